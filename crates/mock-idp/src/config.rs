//! The provider's configuration: one `Config` for the TOML file, the builder and the CLI.
//!
//! Every struct denies unknown fields, so a typo in a file is an error that names the key rather
//! than a setting silently ignored. `Config::validate` holds the checks that serde cannot express
//! (P1 issuer syntax, P43 claim types, unique names); it runs before anything is served.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConfigError;
use crate::secret::Secret;
use crate::urls::check_url;

/// The built-in configuration, the same bytes as `fixtures/configs/default.toml`.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../../fixtures/configs/default.toml");

/// The test-only keys `default.toml` names, compiled in.
const BUILTIN_KEYS: [(&str, &str); 3] = [
    ("default-rs256.pem", include_str!("../../../fixtures/keys/default-rs256.pem")),
    ("default-es256.pem", include_str!("../../../fixtures/keys/default-es256.pem")),
    ("default-eddsa.pem", include_str!("../../../fixtures/keys/default-eddsa.pem")),
];

/// Whole provider configuration: server-wide settings and one entry per tenant (issuer).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Server-wide settings.
    #[serde(default)]
    pub server: ServerConfig,
    /// One entry per issuer; each is served under `/{name}`.
    #[serde(default, rename = "tenant")]
    pub tenants: Vec<TenantConfig>,
}

/// Server-wide settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Base URL that issuers hang off (`http://idp:8080`); defaults to `http://{bound address}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Serve the `_mock/` test controls (P125); `false` turns them all off (404), except `/_mock/ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<bool>,
    /// Bearer token of the `_mock/` routes (P125); the only one that opens the server-wide ones.
    /// Any admin token, here or on a tenant, closes every `_mock/` route but `/_mock/ready` and
    /// `/_mock/ca.pem` to requests without one (`admin.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<AdminToken>,
}

/// An admin token of the `_mock/` controls (P125): a secret, so `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AdminToken(String);

impl AdminToken {
    /// The token, for the comparison in `admin::check`; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Non-empty, and only characters an `Authorization` header carries after `Bearer `.
    fn validate(&self) -> Result<(), String> {
        if self.0.is_empty() {
            return Err("must not be empty".into());
        }
        if !self.0.chars().all(|c| c.is_ascii_graphic()) {
            return Err("must be printable ASCII without spaces (it travels in an Authorization header)".into());
        }
        Ok(())
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for AdminToken {
    fn from(s: String) -> AdminToken {
        AdminToken(s)
    }
}

impl From<&str> for AdminToken {
    fn from(s: &str) -> AdminToken {
        AdminToken(s.to_owned())
    }
}

/// One issuer with its own keys, users, clients and token settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Path segment the tenant is served under, e.g. `default` for `/default`.
    pub name: String,
    /// Exact issuer string; defaults to `{base_url}/{name}`. Its path must be `/{name}` or `/{name}/`
    /// (with a persona, the persona's issuer path, e.g. `/realms/{name}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Browser-facing base for `authorization_endpoint` and `end_session_endpoint` (P7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_channel_base: Option<String>,
    /// Server-facing base for token, JWKS, userinfo, introspection and revocation (P7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_channel_base: Option<String>,
    /// Accept any client id and secret at the token and authorize endpoints (P39). Off by default.
    #[serde(default)]
    pub permissive: bool,
    /// Claims that carry the login name, each emitted as a string (P121).
    #[serde(default = "default_username_claims")]
    pub username_claims: Vec<String>,
    /// Name of the groups claim (P122).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Leave the groups claim out when a user has no groups, instead of an empty array (P122).
    #[serde(default)]
    pub omit_empty_groups: bool,
    /// Token lifetimes for the whole tenant (P119).
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// How much memory the tenant's journal and grant store may take (`[tenant.memory]`).
    #[serde(default)]
    pub memory: MemoryBudget,
    /// Put `nbf` (= `iat`) into tokens (P102).
    #[serde(default = "yes")]
    pub nbf: bool,
    /// Send `iss` in authorization responses (RFC 9207, P95).
    #[serde(default = "yes")]
    pub authorization_response_iss: bool,
    /// Accept `code_challenge_method=plain` (P22).
    #[serde(default = "yes")]
    pub pkce_plain: bool,
    /// Grants this tenant serves (P17).
    #[serde(default = "default_grants")]
    pub grant_types: Vec<GrantType>,
    /// Extra scopes beyond `openid profile email offline_access` and the groups scope (P18).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Scope that adds the groups claim to scope-driven claims; `groups` by default.
    #[serde(default = "default_groups_claim")]
    pub groups_scope: String,
    /// Refuse unknown scopes with `invalid_scope` instead of ignoring them (P88).
    #[serde(default)]
    pub strict_scopes: bool,
    /// Extra claims for every token of this tenant (P120).
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// User logged in at once by the authorize endpoint without a page (P98); none shows the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_login: Option<String>,
    /// Default user for `_mock/mint` (P131); the first user when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_user: Option<String>,
    /// Default client for `_mock/mint` (P131); the first client when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_client: Option<String>,
    /// Signing keys; the first is the active signer. Empty means one RS256 key from `key_seed`.
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Seed for keys that name no file; the same seed gives the same keys and `kid`s (P34).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_seed: Option<String>,
    /// Serve introspection, revocation and end-session (P14).
    #[serde(default = "yes")]
    pub optional_endpoints: bool,
    /// Lock a user out after this many wrong passwords in a row (P150); never when unset.
    /// Reset with `Accounts::reset_login_failures`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_after: Option<u32>,
    /// Accept a query `access_token` at userinfo (RFC 6750 §2.3 advises against it, P110).
    #[serde(default)]
    pub userinfo_query_token: bool,
    /// Default issuer `{base_url}/{name}/` instead of `{base_url}/{name}` (P3); ignored when
    /// `issuer` is set.
    #[serde(default)]
    pub trailing_slash: bool,
    /// Shape claims, discovery and error text after a known provider (P124).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persona: Option<crate::personas::Persona>,
    /// Registered users.
    #[serde(default, rename = "user")]
    pub users: Vec<UserConfig>,
    /// Registered clients.
    #[serde(default, rename = "client")]
    pub clients: Vec<ClientConfig>,
    /// Faults armed when the tenant starts or is reset (P146, P147), e.g. discovery down for 5 s.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<crate::faults::FaultSpec>,
    /// Allow private key export through `_mock/keys/{kid}/export` (P37). Off by default.
    #[serde(default)]
    pub export_keys: bool,
    /// Bearer token this tenant's `_mock/` routes accept, besides the server's (P125); it never
    /// opens the server-wide routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<AdminToken>,
}

/// Token lifetimes in seconds (P119).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lifetimes {
    /// ID token lifetime.
    #[serde(default = "hour")]
    pub id_token_s: u64,
    /// Access token lifetime.
    #[serde(default = "hour")]
    pub access_token_s: u64,
    /// Refresh token lifetime.
    #[serde(default = "day")]
    pub refresh_token_s: u64,
    /// Authorization code lifetime (at most 600 s, P65).
    #[serde(default = "minute")]
    pub code_s: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            id_token_s: 3600,
            access_token_s: 3600,
            refresh_token_s: 86400,
            code_s: 60,
        }
    }
}

/// The memory budget of one tenant (`[tenant.memory]`): what its per-request stores may keep.
/// Byte sizes are estimates of the heap the data takes, given as a number of bytes or a string
/// with a unit: `"512 KiB"`, `"2 MiB"`, `"1 GiB"` (also `KB`, `MB`, `GB`, powers of 1000).
///
/// | Field | Default | When it is reached |
/// |---|---|---|
/// | `journal_entries` | 10,000 | the oldest journal entry is dropped (counters keep counting) |
/// | `journal_bytes` | `"2 MiB"` | likewise |
/// | `grant_bytes` | `"2 MiB"` | the least recently used token family is dropped with its refresh tokens |
///
/// Families and refresh tokens whose every token has expired are dropped whatever the budget.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemoryBudget {
    /// Most journal entries kept.
    #[serde(default = "default_journal_entries")]
    pub journal_entries: usize,
    /// Most bytes (estimated) of journal entries kept; at least 64 KiB.
    #[serde(default = "default_journal_bytes")]
    pub journal_bytes: ByteSize,
    /// Most bytes (estimated) of token families and refresh tokens kept; at least 64 KiB.
    #[serde(default = "default_grant_bytes")]
    pub grant_bytes: ByteSize,
}

/// The smallest byte budget accepted: one journal entry (its texts cut to
/// `journal::MAX_TEXT`) and one token family always fit.
pub const MIN_BUDGET_BYTES: u64 = 64 * 1024;

/// How many entries a journal keeps before dropping the oldest (P139).
pub const DEFAULT_JOURNAL_ENTRIES: usize = 10_000;
/// How many bytes (estimated) a journal's entries may take: 2 MiB, about 10,000 typical token
/// requests.
pub const DEFAULT_JOURNAL_BYTES: usize = 2 * 1024 * 1024;
/// The byte budget of a tenant's token families and refresh tokens: 2 MiB, about 1,700 families
/// of one refresh token and two ID/access token ids each.
pub const DEFAULT_GRANT_BYTES: usize = 2 * 1024 * 1024;

fn default_journal_entries() -> usize {
    DEFAULT_JOURNAL_ENTRIES
}
fn default_journal_bytes() -> ByteSize {
    ByteSize(DEFAULT_JOURNAL_BYTES as u64)
}
fn default_grant_bytes() -> ByteSize {
    ByteSize(DEFAULT_GRANT_BYTES as u64)
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget {
            journal_entries: default_journal_entries(),
            journal_bytes: default_journal_bytes(),
            grant_bytes: default_grant_bytes(),
        }
    }
}

/// A number of bytes; in TOML an integer or a string with a unit (`"4 MiB"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The bytes, as a `usize` (saturating on 32-bit targets).
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(s: &str) -> Result<ByteSize, String> {
        let bad =
            || format!("{s:?} is not a size: write a number of bytes, or a number and a unit such as \"512 KiB\", \"4 MiB\", \"1 GiB\"");
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (digits, unit) = t.split_at(split);
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let factor: u64 = match unit.trim() {
            "" | "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            "KB" | "kB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            _ => return Err(bad()),
        };
        n.checked_mul(factor).map(ByteSize).ok_or_else(bad)
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            n if n != 0 && n % (1 << 30) == 0 => write!(f, "{} GiB", n >> 30),
            n if n != 0 && n % (1 << 20) == 0 => write!(f, "{} MiB", n >> 20),
            n if n != 0 && n % (1 << 10) == 0 => write!(f, "{} KiB", n >> 10),
            n => write!(f, "{n}"),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d).map_err(|_| serde::de::Error::custom("expected a number of bytes or a string such as \"4 MiB\""))? {
            Raw::Number(n) => Ok(ByteSize(n)),
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// Per-client or per-user lifetime overrides; unset fields fall back to the tenant's.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LifetimeOverrides {
    /// ID token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_s: Option<u64>,
    /// Access token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_s: Option<u64>,
    /// Refresh token lifetime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_s: Option<u64>,
}

/// A signing key: an algorithm and where its private half comes from (P34).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// JOSE algorithm the key signs with.
    #[serde(default)]
    pub alg: Alg,
    /// PEM file with the private key (PKCS#8 or PKCS#1), relative to the config file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem_file: Option<PathBuf>,
    /// Inline PEM private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pem: Option<String>,
    /// Per-key seed; defaults to the tenant's `key_seed` plus the key's position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// A fresh random key at every start (opt-in, P34).
    #[serde(default)]
    pub random: bool,
    /// Fixed `kid`; defaults to the RFC 7638 thumbprint (P30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// JOSE signing algorithms the provider can sign with (P31).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[default]
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// Ed25519.
    EdDSA,
}

impl Alg {
    /// Every algorithm, in discovery order.
    pub const ALL: [Alg; 9] = [
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::EdDSA,
    ];

    /// The JOSE name, as in a JWT header (the serde name).
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }

    /// Parses a JOSE name.
    pub fn parse(s: &str) -> Option<Alg> {
        crate::serde_name::parse(s)
    }
}

/// OAuth grant types (P17).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// Front-channel ID tokens (`response_type=id_token`).
    Implicit,
    /// RFC 6749 §4.3, resource owner password credentials.
    Password,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §6.
    RefreshToken,
}

impl GrantType {
    /// The wire name (the serde name).
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<GrantType> {
        crate::serde_name::parse(s)
    }
}

/// A registered user (P41).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Login name.
    pub username: String,
    /// Password; stored only as a digest once loaded (P40).
    pub password: Secret,
    /// Subject; derived from tenant and username when unset (P42).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `email` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `name` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `given_name` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// `family_name` claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// `preferred_username` claim; the username when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// Groups, emitted as an array under the tenant's groups claim (P122).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Extra claims, any JSON (P120). Standard claims must have their OIDC types (P43).
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// Lifetime overrides (P119).
    #[serde(default)]
    pub lifetimes: LifetimeOverrides,
    /// Login-failure flags (P150).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// One-time code the MFA step accepts (P152).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otp: Option<Secret>,
    /// The next N logins with the right password fail, then logins work again (P150).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_next: Option<u32>,
}

/// Login-failure presets of a user (P150).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UserStatus {
    /// Every password is refused.
    WrongPassword,
    /// The account is locked.
    Locked,
    /// The account is disabled.
    Disabled,
    /// A second factor is required; the password grant cannot provide one.
    MfaRequired,
    /// The password has expired.
    PasswordExpired,
    /// The user refuses consent in the browser flow.
    ConsentDenied,
}

/// A registered client (P38).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Client identifier.
    pub client_id: String,
    /// Secrets; several at once allow rotation. Empty for public clients.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// A public client authenticates with `none` (P49).
    #[serde(default)]
    pub public: bool,
    /// Registered token endpoint auth method; any secret method when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<AuthMethod>,
    /// Allowed grants; all the tenant's when empty.
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    /// Registered redirect URIs, matched as exact strings (P85).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Registered post-logout redirect URIs (P117).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes this client may ask for; any when empty.
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    /// Scope used when a request names none.
    #[serde(default = "default_scope")]
    pub default_scope: String,
    /// Audiences of access tokens instead of the client id (P63, P118).
    #[serde(default)]
    pub audience: Vec<String>,
    /// Extra audiences added to the client id in access tokens (P118).
    #[serde(default)]
    pub extra_audiences: Vec<String>,
    /// Allow the `audience`/`resource` request parameters (P63).
    #[serde(default = "yes")]
    pub audience_parameter: bool,
    /// Shape of `aud` (P118).
    #[serde(default)]
    pub audience_form: AudienceForm,
    /// Lifetime overrides (P119).
    #[serde(default)]
    pub lifetimes: LifetimeOverrides,
    /// Algorithm of this client's tokens (P32).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<Alg>,
    /// Require PKCE; public clients always do (P71).
    #[serde(default)]
    pub require_pkce: bool,
    /// Rotate refresh tokens (P78).
    #[serde(default = "yes")]
    pub rotate_refresh_tokens: bool,
    /// Always issue a refresh token, without `offline_access` (P82).
    #[serde(default = "yes")]
    pub always_refresh_token: bool,
    /// Issue an ID token for client credentials too (P61).
    #[serde(default)]
    pub id_token_for_client_credentials: bool,
    /// Put `azp` in every ID token, not only when required (P101).
    #[serde(default)]
    pub always_azp: bool,
    /// Extra claims for this client's tokens (P120); for client credentials, add the username here.
    #[serde(default)]
    pub claims: BTreeMap<String, Value>,
    /// Require a `state` parameter at the authorize endpoint (P90).
    #[serde(default)]
    pub require_state: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            client_id: String::new(),
            secrets: vec![],
            public: false,
            auth_method: None,
            grant_types: vec![],
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            allowed_scopes: vec![],
            default_scope: default_scope(),
            audience: vec![],
            extra_audiences: vec![],
            audience_parameter: true,
            audience_form: AudienceForm::Auto,
            lifetimes: LifetimeOverrides::default(),
            alg: None,
            require_pkce: false,
            rotate_refresh_tokens: true,
            always_refresh_token: true,
            id_token_for_client_credentials: false,
            always_azp: false,
            claims: BTreeMap::new(),
            require_state: false,
        }
    }
}

/// Token endpoint client authentication methods (P21).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthMethod {
    /// HTTP Basic (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// Public client: `client_id` only.
    None,
}

impl AuthMethod {
    /// The wire name (the serde name).
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }
}

/// How `aud` is written (P118).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AudienceForm {
    /// A string for one audience, an array for several.
    #[default]
    Auto,
    /// Always a string; several audiences are a configuration error.
    String,
    /// Always an array.
    Array,
}

fn yes() -> bool {
    true
}
fn hour() -> u64 {
    3600
}
fn day() -> u64 {
    86400
}
fn minute() -> u64 {
    60
}
fn default_scope() -> String {
    "openid profile email".to_owned()
}
fn default_username_claims() -> Vec<String> {
    vec!["preferred_username".into(), "email".into()]
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_grants() -> Vec<GrantType> {
    vec![
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::Password,
        GrantType::ClientCredentials,
        GrantType::RefreshToken,
    ]
}

impl Config {
    /// Whether any admin token is configured, on the server or on a tenant: then every `_mock/`
    /// route needs one (P125; the rule is told in `admin.rs`).
    pub fn admin_guard_on(&self) -> bool {
        self.server.admin_token.is_some() || self.tenants.iter().any(|t| t.admin_token.is_some())
    }

    /// The built-in configuration (`fixtures/configs/default.toml`).
    pub fn builtin() -> Config {
        let mut config =
            Config::from_toml(DEFAULT_CONFIG_TOML, Path::new("<built-in default.toml>")).expect("the built-in default.toml is valid");
        // The key files are compiled in too, so the binary needs no fixtures folder.
        for tenant in &mut config.tenants {
            for key in &mut tenant.keys {
                if let Some(file) = key.pem_file.take() {
                    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    let pem = BUILTIN_KEYS.iter().find(|(n, _)| *n == name).map(|(_, pem)| *pem);
                    key.pem = Some(pem.expect("every key of default.toml is compiled in").to_owned());
                }
            }
        }
        config
    }

    /// Reads and validates a TOML file. Relative key paths resolve against the file's folder.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: path.display().to_string(),
            source,
        })?;
        let mut config = Config::from_toml(&text, path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        for tenant in &mut config.tenants {
            for key in &mut tenant.keys {
                if let Some(file) = &key.pem_file {
                    if file.is_relative() {
                        key.pem_file = Some(dir.join(file));
                    }
                }
            }
        }
        Ok(config)
    }

    /// Parses TOML text; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            file: origin.display().to_string(),
            field: String::new(),
            reason: e.to_string(),
        })?;
        config.validate().map_err(|(field, reason)| ConfigError::Invalid {
            file: origin.display().to_string(),
            field,
            reason,
        })?;
        Ok(config)
    }

    /// Checks what serde cannot: returns the failing key path and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if let Some(base) = &self.server.base_url {
            check_url(base).map_err(|r| ("server.base_url".to_owned(), r))?;
        }
        if let Some(token) = &self.server.admin_token {
            token.validate().map_err(|r| ("server.admin_token".to_owned(), r))?;
        }
        let mut names = std::collections::HashSet::new();
        for (i, t) in self.tenants.iter().enumerate() {
            let at = |f: &str| format!("tenant[{i}].{f}");
            t.validate().map_err(|(f, r)| (at(&f), r))?;
            if !names.insert(t.name.as_str()) {
                return Err((at("name"), format!("tenant name {:?} is used twice", t.name)));
            }
        }
        Ok(())
    }
}

impl TenantConfig {
    /// A tenant named `name` with no users, no clients and every default.
    pub fn named(name: &str) -> TenantConfig {
        toml::from_str(&format!("name = {:?}", name)).expect("a name alone is a valid tenant")
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let ok_name = !self.name.is_empty()
            && !self.name.starts_with('_')
            && self.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok_name {
            return Err((
                "name".into(),
                format!(
                    "{:?} is not a valid tenant name (letters, digits, '-', '_', '.'; not starting with '_')",
                    self.name
                ),
            ));
        }
        if let Some(token) = &self.admin_token {
            token.validate().map_err(|r| ("admin_token".to_owned(), r))?;
        }
        if let Some(issuer) = &self.issuer {
            check_url(issuer).map_err(|r| ("issuer".to_owned(), r))?; // P1
            let path = issuer_path(issuer);
            let paths = crate::personas::Paths::of(self.persona);
            let want = format!("{}{}", paths.root_of(&self.name), paths.issuer);
            if path.trim_end_matches('/') != want {
                return Err((
                    "issuer".into(),
                    format!("issuer {issuer:?} must have the path {want:?} (optionally with a trailing '/') so that it is served by this tenant"),
                ));
            }
        }
        for (field, base) in [
            ("front_channel_base", &self.front_channel_base),
            ("back_channel_base", &self.back_channel_base),
        ] {
            if let Some(b) = base {
                check_url(b).map_err(|r| (field.to_owned(), r))?;
            }
        }
        let l = &self.lifetimes;
        for (f, v) in [
            ("lifetimes.id_token_s", l.id_token_s),
            ("lifetimes.access_token_s", l.access_token_s),
            ("lifetimes.refresh_token_s", l.refresh_token_s),
            ("lifetimes.code_s", l.code_s),
        ] {
            if v == 0 {
                return Err((f.into(), "a lifetime is at least 1 second (P119)".into()));
            }
        }
        check_token_lifetimes("lifetimes", Some(l.id_token_s), Some(l.access_token_s))?;
        let m = &self.memory;
        if m.journal_entries == 0 {
            return Err(("memory.journal_entries".into(), "must be at least 1".into()));
        }
        for (f, v) in [("memory.journal_bytes", m.journal_bytes), ("memory.grant_bytes", m.grant_bytes)] {
            if v.0 < MIN_BUDGET_BYTES {
                return Err((
                    f.into(),
                    format!("{v} is below the smallest budget, {}", ByteSize(MIN_BUDGET_BYTES)),
                ));
            }
        }
        if l.code_s > 600 {
            return Err((
                "lifetimes.code_s".into(),
                "an authorization code lives at most 600 s (RFC 6749 §4.1.2)".into(),
            ));
        }
        if self.groups_claim.is_empty() {
            return Err(("groups_claim".into(), "must not be empty".into()));
        }
        for (k, v) in &self.claims {
            check_claim_type(k, v).map_err(|r| (format!("claims.{k}"), r))?;
        }
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.users.iter().enumerate() {
            if u.username.is_empty() {
                return Err((format!("user[{i}].username"), "must not be empty".into()));
            }
            if !seen.insert(u.username.as_str()) {
                return Err((format!("user[{i}].username"), format!("user {:?} is defined twice", u.username)));
            }
            if let Some(sub) = &u.sub {
                if sub.is_empty() || sub.len() > 255 || !sub.is_ascii() {
                    return Err((format!("user[{i}].sub"), "sub is 1 to 255 ASCII characters (P42)".into()));
                }
            }
            let o = &u.lifetimes;
            check_token_lifetimes(&format!("user[{i}].lifetimes"), o.id_token_s, o.access_token_s)?;
            for (k, v) in &u.claims {
                check_claim_type(k, v).map_err(|r| (format!("user[{i}].claims.{k}"), r))?;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.clients.iter().enumerate() {
            let at = |f: &str| format!("client[{i}].{f}");
            if c.client_id.is_empty() {
                return Err((at("client_id"), "must not be empty".into()));
            }
            if !seen.insert(c.client_id.as_str()) {
                return Err((at("client_id"), format!("client {:?} is defined twice", c.client_id)));
            }
            if !c.public && c.secrets.is_empty() {
                return Err((
                    at("secrets"),
                    format!(
                        "confidential client {:?} needs at least one secret (or set public = true)",
                        c.client_id
                    ),
                ));
            }
            if c.public && !c.secrets.is_empty() {
                return Err((at("secrets"), format!("public client {:?} must not have secrets", c.client_id)));
            }
            for uri in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
                if uri.contains('#') {
                    return Err((
                        at("redirect_uris"),
                        format!("redirect URI {uri:?} must not contain a fragment (P92)"),
                    ));
                }
                // A registered query is allowed and kept (RFC 6749 §3.1.2, P92); a fragment is not.
                check_url(uri.split('?').next().unwrap_or(uri)).map_err(|r| (at("redirect_uris"), r))?;
            }
            // The client id is an audience too unless `audience` replaces it (claims::default_audience).
            let audiences = if c.audience.is_empty() {
                1 + c.extra_audiences.len()
            } else {
                c.audience.len()
            };
            if c.audience_form == AudienceForm::String && (audiences > 1 || !c.extra_audiences.is_empty()) {
                return Err((
                    at("audience_form"),
                    "audience_form = \"string\" allows only one audience (P118)".into(),
                ));
            }
            let o = &c.lifetimes;
            check_token_lifetimes(&at("lifetimes"), o.id_token_s, o.access_token_s)?;
            for (k, v) in &c.claims {
                check_claim_type(k, v).map_err(|r| (at(&format!("claims.{k}")), r))?;
            }
        }
        if let Some(u) = &self.auto_login {
            if !self.users.iter().any(|x| &x.username == u) {
                return Err(("auto_login".into(), format!("no user {u:?} in this tenant")));
            }
        }
        if let Some(u) = &self.default_user {
            if !self.users.iter().any(|x| &x.username == u) {
                return Err(("default_user".into(), format!("no user {u:?} in this tenant")));
            }
        }
        if let Some(c) = &self.default_client {
            if !self.clients.iter().any(|x| &x.client_id == c) {
                return Err(("default_client".into(), format!("no client {c:?} in this tenant")));
            }
        }
        for (i, k) in self.keys.iter().enumerate() {
            let sources = [k.pem_file.is_some(), k.pem.is_some(), k.random, k.seed.is_some()];
            if sources.iter().filter(|x| **x).count() > 1 {
                return Err((format!("keys[{i}]"), "choose one of pem_file, pem, seed or random".into()));
            }
        }
        for (i, f) in self.faults.iter().enumerate() {
            f.validate().map_err(|(field, r)| (format!("faults[{i}].{field}"), r))?;
        }
        if !self.keys.is_empty() && !self.keys.iter().any(|k| k.alg == Alg::RS256) {
            return Err(("keys".into(), "every issuer keeps at least one RS256 key (P20)".into()));
        }
        Ok(())
    }
}

/// The path part of an absolute URL (`""` when there is none).
pub(crate) fn issuer_path(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("")
}

/// Longest ID or access token lifetime: `exp` is never more than 50 years ahead (P105).
pub const MAX_TOKEN_LIFETIME_S: u64 = 50 * 365 * 86_400;

/// P105 and P119: token lifetimes are 1 s to 50 years.
fn check_token_lifetimes(prefix: &str, id_token_s: Option<u64>, access_token_s: Option<u64>) -> Result<(), (String, String)> {
    for (f, v) in [("id_token_s", id_token_s), ("access_token_s", access_token_s)] {
        match v {
            Some(0) => return Err((format!("{prefix}.{f}"), "a lifetime is at least 1 second (P119)".into())),
            Some(v) if v > MAX_TOKEN_LIFETIME_S => return Err((format!("{prefix}.{f}"), "a token lives at most 50 years (P105)".into())),
            _ => {}
        }
    }
    Ok(())
}

/// P43: standard claims keep their OIDC Core §5.1 JSON types.
fn check_claim_type(name: &str, v: &Value) -> Result<(), String> {
    let ok = match name {
        "email_verified" | "phone_number_verified" => v.is_boolean(),
        "updated_at" => v.is_number(),
        "address" => v.is_object(),
        "iss" | "sub" | "aud" | "exp" | "iat" | "nbf" | "auth_time" | "nonce" | "azp" | "at_hash" | "c_hash" | "jti" => {
            return Err(format!(
                "{name:?} is a registered claim and cannot be set by configuration (P120); use a mint request"
            ));
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("claim {name:?} has the wrong JSON type for OIDC Core §5.1 (P43): {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p140_debug_of_users_and_clients_redacts_passwords_one_time_codes_and_secrets() {
        let user = UserConfig {
            username: "carol".into(),
            password: "pw-XYZZY".into(),
            otp: Some("otp-PLUGH".into()),
            ..UserConfig::default()
        };
        let client = ClientConfig {
            client_id: "ci".into(),
            secrets: vec!["s3cret-1".into(), "s3cret-2".into()],
            ..ClientConfig::default()
        };
        let (u, c) = (format!("{user:?}"), format!("{client:?}"));
        assert!(u.contains("carol") && !u.contains("XYZZY") && !u.contains("PLUGH"), "{u}");
        assert!(
            c.contains("\"ci\"") && c.contains("[[redacted], [redacted]]") && !c.contains("s3cret"),
            "{c}"
        );
    }

    #[test]
    fn memory_budget_takes_sizes_with_units_and_refuses_bad_ones_naming_the_field() {
        let parse = |memory: &str| {
            Config::from_toml(
                &format!("[[tenant]]\nname = \"t\"\n[tenant.memory]\n{memory}\n"),
                Path::new("budget.toml"),
            )
        };
        let c = parse("journal_entries = 500\njournal_bytes = \"8 MiB\"\ngrant_bytes = 1048576").unwrap();
        let m = &c.tenants[0].memory;
        assert_eq!(
            (m.journal_entries, m.journal_bytes, m.grant_bytes),
            (500, ByteSize(8 << 20), ByteSize(1 << 20))
        );
        let tenant = crate::tenant::Tenant::new(c.tenants[0].clone(), "http://127.0.0.1").unwrap();
        assert_eq!(tenant.grants().max_bytes(), 1 << 20, "the tenant takes its budget");
        assert_eq!(parse("").unwrap().tenants[0].memory, MemoryBudget::default());
        assert_eq!(TenantConfig::named("t").memory.journal_bytes.to_string(), "2 MiB");
        for (text, bytes) in [("\"512 KiB\"", 512 << 10), ("\" 3MB \"", 3_000_000), ("\"65536\"", 65_536)] {
            let c = parse(&format!("grant_bytes = {text}")).unwrap();
            assert_eq!(c.tenants[0].memory.grant_bytes, ByteSize(bytes), "{text}");
        }
        for (memory, field, says) in [
            ("journal_bytes = \"8 parsecs\"", "journal_bytes", "\"4 MiB\""),
            ("journal_bytes = \"MiB\"", "journal_bytes", "is not a size"),
            ("journal_bytes = -1", "journal_bytes", "number of bytes"),
            (
                "grant_bytes = 1000",
                "tenant[0].memory.grant_bytes",
                "below the smallest budget, 64 KiB",
            ),
            ("journal_entries = 0", "tenant[0].memory.journal_entries", "at least 1"),
            ("journal_byte = 100000", "journal_byte", "unknown field"),
        ] {
            let err = parse(memory).unwrap_err().to_string();
            assert!(err.contains(field) && err.contains(says), "{memory}: {err}");
        }
    }
}
