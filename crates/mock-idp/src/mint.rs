//! Token minting without a login (P131-P133): `TokenBuilder` in Rust, `POST {issuer}/_mock/mint`.
//!
//! A mint builds the same claims a flow would (`claims::id_token` / `claims::access_token`, so
//! minted tokens look exactly like flow-issued ones), then applies the request in a fixed order:
//! audience, times, groups, `claims` (merged last, P120; a JSON `null` stays `null`, P132), then
//! `remove`. A preset (P134) is applied to each JWT after that. Headers that make a token unsafe
//! (`alg: none`, HS*, `jku`, `x5u`, `jwk`, `x5c`, `crit`) have no free-form field at all: only a
//! named preset produces them (P133), so a test always knows when it asks for an attack token.
//! Minted refresh tokens are stored like `grant_types::issue` stores them, so they really redeem.

use axum::body::Bytes;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::accounts::{Client, User};
use crate::claims::{self, IdTokenExtras, Times};
use crate::config::{Alg, GrantType, UserConfig, MAX_TOKEN_LIFETIME_S};
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::grant_types::{lifetimes, refresh_plan_for, RefreshPlan};
use crate::grants::{half_hash, opaque_token, store_key, RefreshRecord};
use crate::keys::standard_header;
use crate::presets::{Draft, Preset, PresetContext, PresetOptions};
use crate::tenant::Tenant;

/// The tokens a mint request can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    /// An ID token.
    IdToken,
    /// A JWT access token.
    AccessToken,
    /// A refresh token, stored so that it redeems.
    RefreshToken,
}

/// A requested audience: a string stays a string, an array stays an array (P118).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// `"aud": "x"`.
    One(String),
    /// `"aud": ["x", "y"]`.
    Many(Vec<String>),
}

impl Audience {
    fn values(&self) -> Vec<String> {
        match self {
            Audience::One(s) => vec![s.clone()],
            Audience::Many(v) => v.clone(),
        }
    }
}

/// What a mint returns: the shape of a token response (P131).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MintedTokens {
    /// The access token, unless `tokens` left it out.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub access_token: Option<String>,
    /// Always `Bearer`.
    pub token_type: String,
    /// `exp - iat` of the access token (of the ID token when no access token is minted).
    pub expires_in: i64,
    /// The granted scope.
    pub scope: String,
    /// A refresh token that redeems at the token endpoint.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refresh_token: Option<String>,
    /// The ID token.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_token: Option<String>,
}

/// A mint request. Every field is optional; the defaults give tokens a go-oidc verifier
/// configured with the default client's id accepts.
///
/// ```no_run
/// # async fn demo() {
/// use mock_idp::{MockIdp, Preset, TokenBuilder};
/// let idp = MockIdp::start().await;
/// let good = idp.mint(TokenBuilder::new().user("viewer")).unwrap();
/// let expired = idp.mint(TokenBuilder::new().preset(Preset::Expired)).unwrap();
/// # let _ = (good, expired);
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenBuilder {
    user: Option<String>,
    sub: Option<String>,
    client_id: Option<String>,
    aud: Option<Audience>,
    scope: Option<String>,
    groups: Option<Vec<String>>,
    claims: Map<String, Value>,
    remove: Vec<String>,
    lifetime_s: Option<u64>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    alg: Option<Alg>,
    kid: Option<String>,
    typ: Option<String>,
    tokens: Option<Vec<TokenKind>>,
    preset: Option<Preset>,
    options: PresetOptions,
}

fn bad(field: &str, why: impl std::fmt::Display) -> Error {
    Error::BadControlRequest {
        error: "invalid_field",
        message: format!("field `{field}`: {why}"),
    }
}

fn field<T: DeserializeOwned>(name: &str, v: &Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| bad(name, e))
}

/// Header members that make a token unsafe (P133): no mint field sets them.
const UNSAFE_HEADERS: [&str; 6] = ["jku", "x5u", "jwk", "x5c", "crit", "b64"];

fn parse_alg(v: &Value) -> Result<Option<Alg>> {
    let Some(s) = v.as_str() else {
        return if v.is_null() {
            Ok(None)
        } else {
            Err(bad("alg", "expected a JOSE algorithm name"))
        };
    };
    if let Some(a) = Alg::parse(s) {
        return Ok(Some(a));
    }
    if s.eq_ignore_ascii_case("none") || s.to_ascii_uppercase().starts_with("HS") {
        return Err(bad(
            "alg",
            format!("{s:?} makes an unsafe token and is only available through a preset (P133): alg-none, hs256-public-key"),
        ));
    }
    let known: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
    Err(bad("alg", format!("unknown algorithm {s:?}; expected one of {}", known.join(", "))))
}

fn parse_preset(v: &Value) -> Result<Option<Preset>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Preset::parse(s)
            .map(Some)
            .ok_or_else(|| bad("preset", format!("unknown preset {s:?}; GET {{issuer}}/_mock/presets lists them"))),
        _ => Err(bad("preset", "expected a preset name")),
    }
}

impl TokenBuilder {
    /// An empty request: every default.
    pub fn new() -> TokenBuilder {
        TokenBuilder::default()
    }

    /// Reads a `POST _mock/mint` body. Unknown fields and bad values are errors naming the field.
    pub fn from_json(body: &Value) -> Result<TokenBuilder> {
        let obj = body.as_object().ok_or_else(|| Error::BadControlRequest {
            error: "invalid_body",
            message: "the mint request must be a JSON object".into(),
        })?;
        let mut b = TokenBuilder::default();
        for (k, v) in obj {
            match k.as_str() {
                "user" => b.user = field(k, v)?,
                "sub" => b.sub = field(k, v)?,
                "client_id" => b.client_id = field(k, v)?,
                "aud" => b.aud = field(k, v)?,
                "scope" => b.scope = field(k, v)?,
                "groups" => b.groups = field(k, v)?,
                "claims" => b.claims = field::<Option<Map<String, Value>>>(k, v)?.unwrap_or_default(),
                "remove" => b.remove = field::<Option<Vec<String>>>(k, v)?.unwrap_or_default(),
                "lifetime_s" => b.lifetime_s = field(k, v)?,
                "exp" => b.exp = field(k, v)?,
                "iat" => b.iat = field(k, v)?,
                "nbf" => b.nbf = field(k, v)?,
                "alg" => b.alg = parse_alg(v)?,
                "kid" => b.kid = field(k, v)?,
                "typ" => b.typ = field(k, v)?,
                "tokens" => b.tokens = field(k, v)?,
                "preset" => b.preset = parse_preset(v)?,
                "preset_seconds" => b.options.seconds = field(k, v)?,
                "preset_size" => b.options.size = field(k, v)?,
                "preset_url" => b.options.url = field(k, v)?,
                other if UNSAFE_HEADERS.contains(&other) || other == "header" || other == "headers" => {
                    return Err(Error::BadControlRequest {
                        error: "unsafe_header",
                        message: format!(
                            "field `{other}`: unsafe headers are only available through a named preset (P133), e.g. \"preset\": \"jku\""
                        ),
                    });
                }
                other => {
                    return Err(Error::BadControlRequest {
                        error: "unknown_field",
                        message: format!("field `{other}` is not a mint field"),
                    });
                }
            }
        }
        Ok(b)
    }

    /// A configured user (`username`), whose claims the tokens carry.
    pub fn user(mut self, username: impl Into<String>) -> Self {
        self.user = Some(username.into());
        self
    }
    /// The `sub` claim (JSON field `sub`); alone, a user that exists only in this token.
    pub fn subject(mut self, sub: impl Into<String>) -> Self {
        self.sub = Some(sub.into());
        self
    }
    /// A configured client (default: the tenant's default client).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }
    /// `aud` as a string.
    pub fn aud(mut self, aud: impl Into<String>) -> Self {
        self.aud = Some(Audience::One(aud.into()));
        self
    }
    /// `aud` as an array, even of one value.
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, aud: I) -> Self {
        self.aud = Some(Audience::Many(aud.into_iter().map(Into::into).collect()));
        self
    }
    /// The scope (checked like a token request's).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// The groups claim value.
    pub fn groups<I: IntoIterator<Item = S>, S: Into<String>>(mut self, groups: I) -> Self {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }
    /// One claim, merged last; `Value::Null` is emitted as `null` (P132).
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }
    /// Leaves a claim out of the tokens (P132).
    pub fn remove(mut self, name: impl Into<String>) -> Self {
        self.remove.push(name.into());
        self
    }
    /// Lifetime of the ID and access token, seconds.
    pub fn lifetime_s(mut self, secs: u64) -> Self {
        self.lifetime_s = Some(secs);
        self
    }
    /// Absolute `exp`.
    pub fn exp(mut self, exp: i64) -> Self {
        self.exp = Some(exp);
        self
    }
    /// Absolute `iat`.
    pub fn iat(mut self, iat: i64) -> Self {
        self.iat = Some(iat);
        self
    }
    /// Absolute `nbf`.
    pub fn nbf(mut self, nbf: i64) -> Self {
        self.nbf = Some(nbf);
        self
    }
    /// Signing algorithm (a tenant key must support it).
    pub fn alg(mut self, alg: Alg) -> Self {
        self.alg = Some(alg);
        self
    }
    /// Signing key by `kid` (a key of the tenant).
    pub fn kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }
    /// The header's `typ` (default `JWT`).
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }
    /// Which tokens to mint.
    pub fn tokens(mut self, tokens: impl IntoIterator<Item = TokenKind>) -> Self {
        self.tokens = Some(tokens.into_iter().collect());
        self
    }
    /// A bad-token preset (P134).
    pub fn preset(mut self, preset: Preset) -> Self {
        self.preset = Some(preset);
        self
    }
    /// Seconds for `expired` / `expires-soon`.
    pub fn preset_seconds(mut self, secs: u64) -> Self {
        self.options.seconds = Some(secs);
        self
    }
    /// Target size for `oversized`.
    pub fn preset_size(mut self, bytes: usize) -> Self {
        self.options.size = Some(bytes);
        self
    }
    /// URL for `jku` / `x5u`.
    pub fn preset_url(mut self, url: impl Into<String>) -> Self {
        self.options.url = Some(url.into());
        self
    }

    /// Mints the tokens in `tenant`.
    pub fn mint(&self, tenant: &Tenant) -> Result<MintedTokens> {
        mint(tenant, self)
    }
}

fn check_request(b: &TokenBuilder) -> Result<()> {
    if b.lifetime_s.is_some() && b.exp.is_some() {
        return Err(bad("lifetime_s", "give lifetime_s or exp, not both"));
    }
    if b.lifetime_s == Some(0) {
        return Err(bad("lifetime_s", "a lifetime is at least 1 second (P119)"));
    }
    if let Some(name) = b.remove.iter().find(|n| b.claims.contains_key(*n)) {
        return Err(bad("remove", format!("{name:?} is also set in `claims`")));
    }
    if b.tokens.as_ref().is_some_and(Vec::is_empty) {
        return Err(bad("tokens", "name at least one of id_token, access_token, refresh_token"));
    }
    let uses = |p: &[Preset]| b.preset.is_some_and(|x| p.contains(&x));
    if b.options.seconds.is_some() && !uses(&[Preset::Expired, Preset::ExpiresSoon]) {
        return Err(bad("preset_seconds", "only the expired and expires-soon presets take seconds"));
    }
    if b.options.size.is_some() && !uses(&[Preset::Oversized]) {
        return Err(bad("preset_size", "only the oversized preset takes a size"));
    }
    if b.options.url.is_some() && !uses(&[Preset::Jku, Preset::X5u]) {
        return Err(bad("preset_url", "only the jku and x5u presets take a URL"));
    }
    if b.typ.as_deref() == Some("") {
        return Err(bad("typ", "must not be empty"));
    }
    Ok(())
}

/// Whether a client signs users in (so that a mint for it defaults to a user).
fn has_user_grant(client: &Client) -> bool {
    [GrantType::Password, GrantType::AuthorizationCode, GrantType::Implicit]
        .into_iter()
        .any(|g| client.allows_grant(g))
}

/// The client, the user and the other client id, resolved with the mint defaults.
fn parties(tenant: &Tenant, b: &TokenBuilder) -> Result<(Client, Option<User>, String)> {
    let accounts = tenant.accounts();
    let client_id = b
        .client_id
        .clone()
        .or_else(|| tenant.config().default_client.clone())
        .or_else(|| tenant.config().clients.first().map(|c| c.client_id.clone()))
        .or_else(|| accounts.clients.keys().next().cloned())
        .ok_or_else(|| bad("client_id", "the tenant has no clients; name one"))?;
    let client = match accounts.clients.get(&client_id) {
        Some(c) => c.clone(),
        None if tenant.config().permissive => Client::permissive(&client_id),
        None => return Err(bad("client_id", format!("no client {client_id:?} in this tenant"))),
    };
    let user = match (&b.user, &b.sub) {
        (Some(name), sub) => {
            let mut u = accounts
                .users
                .get(name)
                .cloned()
                .ok_or_else(|| bad("user", format!("no user {name:?} in this tenant")))?;
            if let Some(sub) = sub {
                u.sub = sub.clone(); // the user's claims, another subject
            }
            Some(u)
        }
        (None, Some(sub)) => Some(User::new(
            tenant.name(),
            UserConfig {
                username: sub.clone(),
                sub: Some(sub.clone()),
                ..UserConfig::default()
            },
        )),
        (None, None) if has_user_grant(&client) => tenant
            .config()
            .default_user
            .clone()
            .or_else(|| tenant.config().users.first().map(|u| u.username.clone()))
            .and_then(|n| accounts.users.get(&n).cloned())
            .or_else(|| accounts.users.values().next().cloned()),
        (None, None) => None,
    };
    let other = accounts
        .clients
        .keys()
        .find(|id| **id != client_id)
        .cloned()
        .unwrap_or_else(|| "another-client".to_owned());
    Ok((client, user, other))
}

/// Groups claim override (P122): an array, or absent when empty and the tenant omits empties.
fn set_groups(m: &mut Map<String, Value>, tenant: &Tenant, groups: &[String]) {
    let name = tenant.config().groups_claim.clone();
    if groups.is_empty() && tenant.config().omit_empty_groups {
        m.remove(&name);
    } else {
        m.insert(name, json!(groups));
    }
}

/// The request's shaping, common to both tokens, in P120 order: groups, `claims`, `remove`.
fn shape(m: &mut Map<String, Value>, tenant: &Tenant, b: &TokenBuilder) {
    if let Some(nbf) = b.nbf {
        m.insert("nbf".into(), json!(nbf));
    }
    if let Some(g) = &b.groups {
        set_groups(m, tenant, g);
    }
    for (k, v) in &b.claims {
        m.insert(k.clone(), v.clone());
    }
    for k in &b.remove {
        m.remove(k);
    }
}

fn mint(tenant: &Tenant, b: &TokenBuilder) -> Result<MintedTokens> {
    check_request(b)?;
    let (client, user, other_client) = parties(tenant, b)?;
    let scope = crate::grant_types::grant_scope(tenant, &client, b.scope.as_deref()).map_err(|e| bad("scope", e))?;
    let now = tenant.clock().now();
    let iat = b.iat.unwrap_or(now);
    let (id_life, at_life, rt_life) = lifetimes(tenant, &client, user.as_ref());
    let (id_life, at_life) = match b.lifetime_s {
        Some(l) => (l as i64, l as i64),
        None => (id_life, at_life),
    };
    let exp_at = b.exp.unwrap_or(iat.saturating_add(at_life));
    let exp_id = b.exp.unwrap_or(iat.saturating_add(id_life));
    // P105: exp is never more than 50 years ahead, unless a preset or `claims` says otherwise.
    if exp_at.max(exp_id) > now.saturating_add(MAX_TOKEN_LIFETIME_S as i64) {
        let f = if b.exp.is_some() { "exp" } else { "lifetime_s" };
        return Err(bad(
            f,
            "exp would be more than 50 years ahead (P105); the exp-huge preset makes such tokens",
        ));
    }
    let auth_time = user.as_ref().map(|_| iat);

    // Which tokens: as a flow would issue them, unless the request says.
    let wants = |k: TokenKind| b.tokens.as_ref().map(|t| t.contains(&k));
    let want_at = wants(TokenKind::AccessToken).unwrap_or(true);
    let want_id = wants(TokenKind::IdToken)
        .unwrap_or_else(|| claims::has_scope(&scope, "openid") && (user.is_some() || client.config.id_token_for_client_credentials));
    let account_only_in_token = b.user.is_none() && b.sub.is_some();
    let want_rt = wants(TokenKind::RefreshToken)
        .unwrap_or_else(|| user.is_some() && !account_only_in_token && refresh_plan_for(&client, &scope, tenant) == RefreshPlan::NewFamily);
    if want_rt {
        if !(tenant.grant_enabled(GrantType::RefreshToken) && client.allows_grant(GrantType::RefreshToken)) {
            return Err(bad(
                "tokens",
                format!(
                    "client {:?} may not use the refresh_token grant, so its refresh token would not redeem",
                    client.id()
                ),
            ));
        }
        if account_only_in_token {
            return Err(bad(
                "tokens",
                "a refresh token needs a configured `user`; `sub` alone names no account",
            ));
        }
    }

    // The signing key (P32): explicit kid, explicit alg, the preset's, the client's, the active one.
    let keys = tenant.keys();
    let preset_alg = b.preset.filter(|p| p.needs_es256()).map(|_| Alg::ES256);
    if let (Some(p), Some(a)) = (preset_alg, b.alg) {
        if p != a {
            return Err(bad(
                "alg",
                format!("preset {} signs with ES256", b.preset.map(|p| p.name()).unwrap_or_default()),
            ));
        }
    }
    let want_alg = b.alg.or(preset_alg);
    let key = match (&b.kid, want_alg) {
        (Some(kid), alg) => {
            let k = keys.by_kid(kid).ok_or_else(|| {
                bad(
                    "kid",
                    format!("no key {kid:?} in this tenant (the unknown-kid preset makes such tokens)"),
                )
            })?;
            if let Some(a) = alg.filter(|a| !k.supports(*a)) {
                return Err(bad("alg", format!("key {kid:?} cannot sign {}", a.as_str())));
            }
            k
        }
        (None, Some(a)) => keys.for_alg(a).ok_or_else(|| {
            bad(
                if b.alg.is_some() { "alg" } else { "preset" },
                format!("the tenant has no key for {}", a.as_str()),
            )
        })?,
        (None, None) => match client.config.alg {
            Some(a) => keys
                .for_alg(a)
                .ok_or_else(|| Error::Internal(format!("no key for {}", a.as_str())))?,
            None => keys.active(),
        },
    }
    .clone();
    let alg = want_alg.unwrap_or(key.alg());
    let ctx = PresetContext {
        issuer: tenant.issuer().0.clone(),
        client_id: client.id().to_owned(),
        other_client,
        username_claims: tenant.config().username_claims.clone(),
        groups_claim: tenant.config().groups_claim.clone(),
        advertised: keys.algorithms(),
        retired: keys.all().iter().find(|k| !k.published).cloned(),
        now,
        options: b.options.clone(),
    };
    drop(keys);
    let typ = b.typ.clone().unwrap_or_else(|| "JWT".to_owned());
    let header = standard_header(alg, key.kid(), Some(&typ));
    let finish = |claims: Map<String, Value>| -> Result<String> {
        let draft = Draft {
            header: header.clone(),
            claims,
            key: key.clone(),
            alg,
        };
        match b.preset {
            Some(p) => p.apply(draft, &ctx),
            None => Ok(draft.sign()),
        }
    };

    // Access token (P107, P108).
    let at_aud = b
        .aud
        .as_ref()
        .map(Audience::values)
        .unwrap_or_else(|| claims::default_audience(&client));
    let mut jtis = Vec::new();
    let mut expires_in = exp_at - iat;
    let access_token = if want_at {
        let t = Times {
            iat,
            exp: exp_at,
            auth_time,
        };
        let mut c = claims::access_token(tenant, &client, user.as_ref(), &scope, &at_aud, t);
        if let Some(Audience::One(a)) = &b.aud {
            c.insert("aud".into(), json!(a));
        } else if let Some(Audience::Many(a)) = &b.aud {
            c.insert("aud".into(), json!(a));
        }
        shape(&mut c, tenant, b);
        if let (Some(e), Some(i)) = (c.get("exp").and_then(Value::as_i64), c.get("iat").and_then(Value::as_i64)) {
            expires_in = e - i; // P109
        }
        jtis.extend(c.get("jti").and_then(Value::as_str).map(str::to_owned));
        Some(finish(c)?)
    } else {
        expires_in = exp_id - iat;
        None
    };

    // ID token (P101): its aud always contains the client id, unless a preset removes it.
    let id_token = if want_id {
        let extras = IdTokenExtras {
            nonce: None,
            at_hash: access_token.as_ref().map(|t| half_hash(alg, t)),
            c_hash: None,
            scope_claims: true,
        };
        let t = Times {
            iat,
            exp: exp_id,
            auth_time,
        };
        let mut c = claims::id_token(tenant, &client, user.as_ref(), &scope, t, &extras);
        if let Some(req) = &b.aud {
            let mut aud = req.values();
            if !aud.iter().any(|a| a == client.id()) {
                aud.insert(0, client.id().to_owned());
            }
            let value = match req {
                Audience::One(_) if aud.len() == 1 => json!(aud[0]),
                _ => json!(aud),
            };
            c.insert("aud".into(), value);
            if aud.len() > 1 || client.config.always_azp {
                c.insert("azp".into(), json!(client.id()));
            } else {
                c.remove("azp");
            }
        }
        shape(&mut c, tenant, b);
        jtis.extend(c.get("jti").and_then(Value::as_str).map(str::to_owned));
        Some(finish(c)?)
    } else {
        None
    };

    // Refresh token: stored like grant_types::issue stores it, so the refresh grant redeems it.
    let refresh_token = if want_rt {
        let mut store = tenant.grants();
        let family = store.new_family(client.id());
        store.record_tokens(family, jtis, exp_at.max(exp_id), now);
        let token = opaque_token();
        store.insert_refresh(
            store_key(&token),
            RefreshRecord {
                client_id: client.id().to_owned(),
                username: user.as_ref().map(|u| u.username().to_owned()),
                scope: scope.clone(),
                aud: at_aud,
                family,
                auth_time,
                expires_at: now + rt_life,
                used: false,
            },
            now,
        );
        Some(token)
    } else {
        None
    };
    Ok(MintedTokens {
        access_token,
        token_type: "Bearer".into(),
        expires_in,
        scope,
        refresh_token,
        id_token,
    })
}

/// `POST {issuer}/_mock/mint`: a JSON `TokenBuilder` in, a token response out.
pub async fn handle(TenantRef(tenant): TenantRef, body: Bytes) -> Result<Response> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::BadControlRequest {
            error: "invalid_json",
            message: format!("the mint request is not JSON: {e}"),
        })?
    };
    let minted = TokenBuilder::from_json(&value)?.mint(&tenant)?;
    let mut resp = axum::Json(minted).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
