//! Weaviate's auth environment variables into `Config`, parsed as Weaviate parses them (spec 1.1-1.5),
//! and its startup checks with the exact logged messages (spec 1.6). Network checks (OIDC discovery)
//! are left to `server.rs`, which calls them in Weaviate's order.
//!
//! Reads: `AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED`, `AUTHENTICATION_APIKEY_{ENABLED,ALLOWED_KEYS,USERS}`,
//! `AUTHENTICATION_DB_USERS_ENABLED`, `AUTHENTICATION_OIDC_*`, `AUTHORIZATION_ADMINLIST_*`,
//! `AUTHORIZATION_RBAC_*` (and their older names), `NAMESPACES_ENABLED`, `DISABLE_GRAPHQL`.

use std::collections::HashMap;
use std::fmt;

/// Spec 1.1: true only for `on`, `enabled`, `1`, `true` after lower-casing; nothing is trimmed.
pub fn parse_bool(value: &str) -> bool {
    matches!(value.to_lowercase().as_str(), "on" | "enabled" | "1" | "true")
}

/// Spec 1.2: split on `,`, no trimming, empty entries kept (`""` gives `[""]`).
pub fn parse_list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_owned).collect()
}

/// Static API keys (`AUTHENTICATION_APIKEY_*`). `Debug` prints users, never keys.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKeyConfig {
    /// `AUTHENTICATION_APIKEY_ENABLED`.
    pub enabled: bool,
    /// `AUTHENTICATION_APIKEY_ALLOWED_KEYS`; `None` when unset or when the switch is off.
    pub allowed_keys: Option<Vec<String>>,
    /// `AUTHENTICATION_APIKEY_USERS`; `None` when unset or when the switch is off.
    pub users: Option<Vec<String>>,
}

impl fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("enabled", &self.enabled)
            .field(
                "allowed_keys",
                &self.allowed_keys.as_ref().map(|k| format!("[{} redacted]", k.len())),
            )
            .field("users", &self.users)
            .finish()
    }
}

impl ApiKeyConfig {
    /// The username of the key at `index` (spec 3.1 step 2): same position, else the first user.
    pub fn user_for(&self, index: usize) -> &str {
        let users = self.users.as_deref().unwrap_or(&[]);
        if users.len() == 1 {
            return &users[0];
        }
        users.get(index).or_else(|| users.first()).map(String::as_str).unwrap_or("")
    }

    /// Whether `name` is one of the static key users.
    pub fn has_user(&self, name: &str) -> bool {
        self.enabled && self.users.as_deref().unwrap_or(&[]).iter().any(|u| u == name)
    }
}

/// OIDC (`AUTHENTICATION_OIDC_*`); strings are `None` when unset or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OidcConfig {
    /// `AUTHENTICATION_OIDC_ENABLED`.
    pub enabled: bool,
    /// `AUTHENTICATION_OIDC_ISSUER`.
    pub issuer: Option<String>,
    /// `AUTHENTICATION_OIDC_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK`.
    pub skip_client_id_check: bool,
    /// `AUTHENTICATION_OIDC_USERNAME_CLAIM`.
    pub username_claim: Option<String>,
    /// `AUTHENTICATION_OIDC_GROUPS_CLAIM`.
    pub groups_claim: Option<String>,
    /// `AUTHENTICATION_OIDC_SCOPES`: only echoed in the well-known document.
    pub scopes: Option<Vec<String>>,
    /// `AUTHENTICATION_OIDC_CERTIFICATE`.
    pub certificate: Option<String>,
    /// `AUTHENTICATION_OIDC_JWKS_URL`.
    pub jwks_url: Option<String>,
    /// `AUTHENTICATION_OIDC_INSECURE_SKIP_TLS_VERIFY`.
    pub insecure_skip_tls_verify: bool,
    /// `AUTHENTICATION_OIDC_NAMESPACE_CLAIM` (namespaces only).
    pub namespace_claim: Option<String>,
    /// `AUTHENTICATION_OIDC_GLOBAL_PRINCIPAL_CLAIM` (namespaces only).
    pub global_principal_claim: Option<String>,
}

/// The admin-list authorizer (`AUTHORIZATION_ADMINLIST_*`); lists are empty when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminListConfig {
    /// `AUTHORIZATION_ADMINLIST_ENABLED`.
    pub enabled: bool,
    /// `AUTHORIZATION_ADMINLIST_USERS`.
    pub users: Vec<String>,
    /// `AUTHORIZATION_ADMINLIST_READONLY_USERS`.
    pub readonly_users: Vec<String>,
    /// `AUTHORIZATION_ADMINLIST_GROUPS`.
    pub groups: Vec<String>,
    /// `AUTHORIZATION_ADMINLIST_READONLY_GROUPS`.
    pub readonly_groups: Vec<String>,
}

/// RBAC (`AUTHORIZATION_RBAC_*` and older names); lists are empty when unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RbacConfig {
    /// `AUTHORIZATION_RBAC_ENABLED` or `AUTHORIZATION_ENABLE_RBAC`.
    pub enabled: bool,
    /// `AUTHORIZATION_RBAC_ROOT_USERS`, else `AUTHORIZATION_ADMIN_USERS`.
    pub root_users: Vec<String>,
    /// `AUTHORIZATION_RBAC_ROOT_GROUPS`.
    pub root_groups: Vec<String>,
    /// `AUTHORIZATION_RBAC_READONLY_GROUPS`, else `EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_ROOT_GROUPS`.
    pub readonly_groups: Vec<String>,
    /// `EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_USERS` (role `viewer`).
    pub viewer_users: Vec<String>,
    /// `EXPERIMENTAL_AUTHORIZATION_RBAC_ADMIN_USERS` (role `admin`).
    pub admin_users: Vec<String>,
    /// `AUTHORIZATION_RBAC_IP_IN_AUDIT_LOG_DISABLED` (read, no effect here: there is no audit log).
    pub ip_in_audit_log_disabled: bool,
}

/// Everything Weaviate's auth layer reads from its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Anonymous access, after the default of spec 1.4.
    pub anonymous_enabled: bool,
    /// Static API keys.
    pub api_key: ApiKeyConfig,
    /// `AUTHENTICATION_DB_USERS_ENABLED`.
    pub db_users_enabled: bool,
    /// OIDC.
    pub oidc: OidcConfig,
    /// Admin list.
    pub admin_list: AdminListConfig,
    /// RBAC.
    pub rbac: RbacConfig,
    /// `NAMESPACES_ENABLED` (not supported: the emulation refuses to start with it on).
    pub namespaces_enabled: bool,
    /// `DISABLE_GRAPHQL`, read only for the namespace check of v1.38.11.
    pub graphql_disabled: bool,
}

/// Which part of Weaviate's startup produced a `StartupError` (the log line's `action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartupStage {
    /// `"action":"startup"`, `"level":"error"`: `could not load config: …`.
    LoadConfig,
    /// `"action":"oidc_init"`, `"level":"fatal"`.
    OidcInit,
    /// `"action":"api_keys_init"`, `"level":"fatal"`.
    ApiKeysInit,
    /// The emulation itself could not start (bind failure and the like); not a Weaviate message.
    Emulation,
}

/// A refused start: `message` is exactly the `msg` Weaviate logs before exiting with status 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupError {
    /// The part of startup that failed.
    pub stage: StartupStage,
    /// The full logged message, e.g. `could not load config: cannot enable anonymous access and rbac authorization`.
    pub message: String,
}

impl StartupError {
    fn load(message: impl Into<String>) -> Self {
        StartupError {
            stage: StartupStage::LoadConfig,
            message: format!("could not load config: {}", message.into()),
        }
    }

    /// An OIDC init failure: `reason` is the text after `oidc init: `.
    pub fn oidc(reason: impl fmt::Display) -> Self {
        StartupError {
            stage: StartupStage::OidcInit,
            message: format!("oidc client could not start up: oidc init: {reason}"),
        }
    }

    fn api_keys(reason: &str) -> Self {
        StartupError {
            stage: StartupStage::ApiKeysInit,
            message: format!("apikey client could not start up: invalid apikey config: {reason}"),
        }
    }
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StartupError {}

/// The variables as a map; the last value of a repeated name wins, as with a process environment.
struct Vars(HashMap<String, String>);

impl Vars {
    fn bool(&self, name: &str) -> bool {
        self.0.get(name).is_some_and(|v| parse_bool(v))
    }
    fn string(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.is_empty()).cloned()
    }
    fn list(&self, name: &str) -> Option<Vec<String>> {
        self.0.get(name).map(|v| parse_list(v))
    }
    fn list_or(&self, name: &str, older: &str) -> Vec<String> {
        self.list(name).or_else(|| self.list(older)).unwrap_or_default()
    }
}

impl Config {
    /// Reads name/value pairs (the process environment, or a literal list in tests) and runs the
    /// configuration checks of spec 1.6 items 1-5, in order; the first failure wins.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Config, StartupError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Vars(vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        let config = Config::parse(&vars);
        config.validate()?;
        Ok(config)
    }

    fn parse(v: &Vars) -> Config {
        let api_enabled = v.bool("AUTHENTICATION_APIKEY_ENABLED");
        let api_key = ApiKeyConfig {
            enabled: api_enabled,
            allowed_keys: api_enabled.then(|| v.list("AUTHENTICATION_APIKEY_ALLOWED_KEYS")).flatten(),
            users: api_enabled.then(|| v.list("AUTHENTICATION_APIKEY_USERS")).flatten(),
        };
        let oidc_enabled = v.bool("AUTHENTICATION_OIDC_ENABLED");
        let oidc = if oidc_enabled {
            OidcConfig {
                enabled: true,
                issuer: v.string("AUTHENTICATION_OIDC_ISSUER"),
                client_id: v.string("AUTHENTICATION_OIDC_CLIENT_ID"),
                skip_client_id_check: v.bool("AUTHENTICATION_OIDC_SKIP_CLIENT_ID_CHECK"),
                username_claim: v.string("AUTHENTICATION_OIDC_USERNAME_CLAIM"),
                groups_claim: v.string("AUTHENTICATION_OIDC_GROUPS_CLAIM"),
                scopes: v.list("AUTHENTICATION_OIDC_SCOPES"),
                certificate: v.string("AUTHENTICATION_OIDC_CERTIFICATE"),
                jwks_url: v.string("AUTHENTICATION_OIDC_JWKS_URL"),
                insecure_skip_tls_verify: v.bool("AUTHENTICATION_OIDC_INSECURE_SKIP_TLS_VERIFY"),
                namespace_claim: v.string("AUTHENTICATION_OIDC_NAMESPACE_CLAIM"),
                global_principal_claim: v.string("AUTHENTICATION_OIDC_GLOBAL_PRINCIPAL_CLAIM"),
            }
        } else {
            OidcConfig::default()
        };
        let db_users_enabled = v.bool("AUTHENTICATION_DB_USERS_ENABLED");
        let admin_enabled = v.bool("AUTHORIZATION_ADMINLIST_ENABLED");
        let list = |name: &str| v.list(name).unwrap_or_default();
        let admin_list = if admin_enabled {
            AdminListConfig {
                enabled: true,
                users: list("AUTHORIZATION_ADMINLIST_USERS"),
                readonly_users: list("AUTHORIZATION_ADMINLIST_READONLY_USERS"),
                groups: list("AUTHORIZATION_ADMINLIST_GROUPS"),
                readonly_groups: list("AUTHORIZATION_ADMINLIST_READONLY_GROUPS"),
            }
        } else {
            AdminListConfig::default()
        };
        let rbac_enabled = v.bool("AUTHORIZATION_RBAC_ENABLED") || v.bool("AUTHORIZATION_ENABLE_RBAC");
        let rbac = if rbac_enabled {
            RbacConfig {
                enabled: true,
                root_users: v.list_or("AUTHORIZATION_RBAC_ROOT_USERS", "AUTHORIZATION_ADMIN_USERS"),
                root_groups: list("AUTHORIZATION_RBAC_ROOT_GROUPS"),
                readonly_groups: v.list_or(
                    "AUTHORIZATION_RBAC_READONLY_GROUPS",
                    "EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_ROOT_GROUPS",
                ),
                viewer_users: list("EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_USERS"),
                admin_users: list("EXPERIMENTAL_AUTHORIZATION_RBAC_ADMIN_USERS"),
                ip_in_audit_log_disabled: v.bool("AUTHORIZATION_RBAC_IP_IN_AUDIT_LOG_DISABLED"),
            }
        } else {
            RbacConfig::default()
        };
        let mut anonymous_enabled = v.bool("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED");
        // Spec 1.4: with no method at all, Weaviate switches anonymous access on.
        if !anonymous_enabled && !api_key.enabled && !db_users_enabled && !oidc.enabled {
            anonymous_enabled = true;
        }
        Config {
            anonymous_enabled,
            api_key,
            db_users_enabled,
            oidc,
            admin_list,
            rbac,
            namespaces_enabled: v.bool("NAMESPACES_ENABLED"),
            graphql_disabled: v.bool("DISABLE_GRAPHQL"),
        }
    }

    /// Spec 1.6 items 1-5 (`could not load config: …`), in Weaviate's order.
    pub fn validate(&self) -> Result<(), StartupError> {
        if !self.anonymous_enabled && !self.api_key.enabled && !self.db_users_enabled && !self.oidc.enabled {
            return Err(StartupError::load(
                "invalid config: no authentication scheme configured, you must select at least one",
            ));
        }
        if self.admin_list.enabled && self.rbac.enabled {
            return Err(StartupError::load(
                "invalid config: cannot enable adminlist and rbac at the same time",
            ));
        }
        if self.admin_list.enabled {
            let a = &self.admin_list;
            for (full, read_only) in [(&a.users, &a.readonly_users), (&a.groups, &a.readonly_groups)] {
                if let Some(name) = full.iter().find(|n| read_only.contains(n)) {
                    return Err(StartupError::load(format!(
                        "invalid config: authorization adminlist: admin list: subject '{name}' is present on both admin and read-only list"
                    )));
                }
            }
        }
        if self.anonymous_enabled && self.rbac.enabled {
            return Err(StartupError::load("cannot enable anonymous access and rbac authorization"));
        }
        if self.namespaces_enabled {
            // Observed on v1.38.11: this check comes before the RBAC one (not in the written spec).
            if !self.graphql_disabled {
                return Err(StartupError::load(
                    "NAMESPACES_ENABLED=true requires DISABLE_GRAPHQL=true: GraphQL is not supported on namespace-enabled clusters",
                ));
            }
            if !self.rbac.enabled {
                return Err(StartupError::load("NAMESPACES_ENABLED=true requires RBAC to be enabled"));
            }
            // Not a Weaviate message: the emulation has no namespaces and refuses to pretend.
            return Err(StartupError::load("namespaces are not supported by weaviate-auth-emu"));
        }
        if self.oidc.namespace_claim.is_some() || self.oidc.global_principal_claim.is_some() {
            return Err(StartupError::load(
                "invalid config: AUTHENTICATION_OIDC_NAMESPACE_CLAIM and AUTHENTICATION_OIDC_GLOBAL_PRINCIPAL_CLAIM must not be set when NAMESPACES_ENABLED=false",
            ));
        }
        Ok(())
    }

    /// Spec 1.6 item 6, the part without network: the collected problems of the OIDC settings.
    pub fn check_oidc(&self) -> Result<(), StartupError> {
        let o = &self.oidc;
        if !o.enabled {
            return Ok(());
        }
        let mut problems = Vec::new();
        if o.issuer.is_none() {
            problems.push("missing required field 'issuer'");
        }
        if o.username_claim.is_none() {
            problems.push("missing required field 'username_claim'");
        }
        if o.client_id.is_none() && !o.skip_client_id_check {
            problems.push("missing required field 'client_id': either set a client_id or explicitly disable the check with 'skip_client_id_check: true'");
        }
        if o.certificate.is_some() && o.insecure_skip_tls_verify {
            problems.push("custom OIDC certificate and insecure_skip_tls_verify are mutually exclusive: remove the certificate or disable insecure_skip_tls_verify");
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StartupError::oidc(format!("invalid config: {}", problems.join(", "))))
        }
    }

    /// Spec 1.6 item 7: the static key settings; the first problem wins.
    pub fn check_api_keys(&self) -> Result<(), StartupError> {
        let a = &self.api_key;
        if !a.enabled {
            return Ok(());
        }
        let keys = match &a.allowed_keys {
            Some(keys) if !keys.is_empty() => keys,
            _ => return Err(StartupError::api_keys("need at least one valid allowed key")),
        };
        if keys.iter().any(String::is_empty) {
            return Err(StartupError::api_keys("keys cannot have length 0"));
        }
        let mut seen = std::collections::HashSet::new();
        if !keys.iter().all(|k| seen.insert(k)) {
            return Err(StartupError::api_keys("keys must be unique"));
        }
        let users = match &a.users {
            Some(users) if !users.is_empty() => users,
            _ => return Err(StartupError::api_keys("need at least one user")),
        };
        if users.iter().any(String::is_empty) {
            return Err(StartupError::api_keys("users cannot have length 0"));
        }
        if users.len() > 1 && users.len() != keys.len() {
            return Err(StartupError::api_keys(
                "length of users and keys must match, alternatively provide single user for all keys",
            ));
        }
        Ok(())
    }

    /// Spec 1.4: static keys or DB users are on.
    pub fn api_key_auth_available(&self) -> bool {
        self.api_key.enabled || self.db_users_enabled
    }

    /// The `<list>` of the anonymous gate's 401 (spec 2.1 step 3).
    pub fn available_methods(&self) -> String {
        let mut methods = Vec::new();
        if self.api_key_auth_available() {
            methods.push("API-keys");
        }
        if self.oidc.enabled {
            methods.push("OIDC");
        }
        methods.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_1_booleans_are_lowercased_but_not_trimmed() {
        for yes in ["on", "ON", "Enabled", "1", "true", "TRUE"] {
            assert!(parse_bool(yes), "{yes}");
        }
        for no in ["yes", "TRUE ", " true", "", "0", "false", "y"] {
            assert!(!parse_bool(no), "{no:?}");
        }
    }

    #[test]
    fn s3_1_debug_output_never_shows_static_keys() {
        let c = ApiKeyConfig {
            enabled: true,
            allowed_keys: Some(vec!["top-secret".into()]),
            users: Some(vec!["u".into()]),
        };
        let printed = format!("{c:?}");
        assert!(!printed.contains("top-secret") && printed.contains("[1 redacted]"), "{printed}");
    }

    #[test]
    fn s1_2_lists_keep_spaces_and_empty_entries() {
        assert_eq!(parse_list("a, b"), vec!["a", " b"]);
        assert_eq!(parse_list(""), vec![""]);
        assert_eq!(parse_list("a,,b,"), vec!["a", "", "b", ""]);
    }
}
