//! ID token and access token claims (OIDC Core §2, §5.1; RFC 9068), built from tenant, client,
//! user and request, with the merge order of P120 and the audience forms of P118.
//!
//! Claims are a JSON map rather than a struct, because tests shape them freely (mint, presets)
//! and the registered claims are the only ones with fixed rules. Absent claims are absent, never
//! `null` (P132: `null` appears only when a mint request asks for it).

use serde_json::{json, Map, Value};

use crate::accounts::{Client, User};
use crate::config::AudienceForm;
use crate::personas::{stable_guid, tenant_guid, Persona, TokenKind};
use crate::tenant::Tenant;

/// Registered claims that configuration may not override (P120).
pub const REGISTERED: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "auth_time",
    "nonce",
    "azp",
    "at_hash",
    "c_hash",
    "jti",
];

/// The time fields of one token.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    /// Issued at (tenant clock, P143).
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// Time of the end-user login, when a user logged in.
    pub auth_time: Option<i64>,
}

/// A fresh random `jti`: a version 4 UUID from the thread's generator (`rand::thread_rng`, a
/// CSPRNG seeded by the system), not from a `getrandom` system call per token as `Uuid::new_v4`
/// makes, which under load also gives the scheduler a point to switch threads.
pub fn new_jti() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string()
}

/// Writes `aud` in the chosen form (P118).
pub fn audience_value(aud: &[String], form: AudienceForm) -> Value {
    match (form, aud.len()) {
        (AudienceForm::Array, _) => Value::Array(aud.iter().cloned().map(Value::String).collect()),
        (_, 1) => Value::String(aud[0].clone()),
        _ => Value::Array(aud.iter().cloned().map(Value::String).collect()),
    }
}

/// Whether `scope` (space-separated) contains `word`.
pub fn has_scope(scope: &str, word: &str) -> bool {
    scope.split(' ').any(|s| s == word)
}

fn put_registered(m: &mut Map<String, Value>, tenant: &Tenant, sub: &str, aud: Value, t: Times) {
    m.insert("iss".into(), Value::String(tenant.issuer().0.clone()));
    m.insert("sub".into(), Value::String(sub.to_owned()));
    m.insert("aud".into(), aud);
    m.insert("exp".into(), t.exp.into());
    m.insert("iat".into(), t.iat.into());
    if tenant.config().nbf {
        m.insert("nbf".into(), t.iat.into());
    }
    if let Some(at) = t.auth_time {
        m.insert("auth_time".into(), at.into());
    }
    m.insert("jti".into(), Value::String(new_jti()));
}

/// Adds extra claims without touching registered ones (P120).
fn merge_extra<'a>(m: &mut Map<String, Value>, extra: impl IntoIterator<Item = (&'a String, &'a Value)>) {
    for (k, v) in extra {
        if !REGISTERED.contains(&k.as_str()) {
            m.insert(k.clone(), v.clone());
        }
    }
}

/// Username claims (P121) and the groups claim (P122) of a user.
fn put_identity(m: &mut Map<String, Value>, tenant: &Tenant, user: &User) {
    let u = &user.config;
    for claim in &tenant.config().username_claims {
        let v = match claim.as_str() {
            "preferred_username" => Some(u.preferred_username.clone().unwrap_or_else(|| u.username.clone())),
            "email" => u.email.clone(),
            "name" => Some(u.name.clone().unwrap_or_else(|| u.username.clone())),
            "sub" => None,
            other => Some(
                u.claims
                    .get(other)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| u.username.clone()),
            ),
        };
        if let Some(v) = v {
            m.insert(claim.clone(), Value::String(v));
        }
    }
    if !(u.groups.is_empty() && tenant.config().omit_empty_groups) {
        let groups = u.groups.iter().cloned().map(Value::String).collect();
        m.insert(tenant.config().groups_claim.clone(), Value::Array(groups));
    }
}

/// Profile and email claims granted by scope (P104).
pub fn put_scope_claims(m: &mut Map<String, Value>, tenant: &Tenant, user: &User, scope: &str) {
    let u = &user.config;
    if has_scope(scope, "profile") {
        m.insert(
            "preferred_username".into(),
            Value::String(u.preferred_username.clone().unwrap_or_else(|| u.username.clone())),
        );
        for (k, v) in [("name", &u.name), ("given_name", &u.given_name), ("family_name", &u.family_name)] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
    }
    if has_scope(scope, "email") {
        if let Some(e) = &u.email {
            m.insert("email".into(), Value::String(e.clone()));
            m.insert("email_verified".into(), Value::Bool(u.email_verified.unwrap_or(false)));
        }
    }
    if has_scope(scope, &tenant.config().groups_scope) && !(u.groups.is_empty() && tenant.config().omit_empty_groups) {
        // P122: the omit option applies to scope-driven groups too.
        m.insert(
            tenant.config().groups_claim.clone(),
            Value::Array(u.groups.iter().cloned().map(Value::String).collect()),
        );
    }
}

/// What an ID token is issued for.
#[derive(Debug, Clone, Default)]
pub struct IdTokenExtras {
    /// The authorization request's nonce (P89).
    pub nonce: Option<String>,
    /// `at_hash` of the access token issued with it (P68).
    pub at_hash: Option<String>,
    /// `c_hash` of the code issued with it (P94).
    pub c_hash: Option<String>,
    /// Put the scope-driven claims in (P104).
    pub scope_claims: bool,
}

/// ID token claims for `user` (or for the client itself when `user` is `None`).
pub fn id_token(
    tenant: &Tenant,
    client: &Client,
    user: Option<&User>,
    scope: &str,
    t: Times,
    extras: &IdTokenExtras,
) -> Map<String, Value> {
    let mut m = Map::new();
    let sub = user.map(|u| u.sub.clone()).unwrap_or_else(|| client.id().to_owned());
    let mut aud = vec![client.id().to_owned()];
    aud.extend(client.config.extra_audiences.iter().cloned());
    put_registered(&mut m, tenant, &sub, audience_value(&aud, client.config.audience_form), t);
    if aud.len() > 1 || client.config.always_azp {
        m.insert("azp".into(), Value::String(client.id().to_owned())); // P101
    }
    if let Some(n) = &extras.nonce {
        m.insert("nonce".into(), Value::String(n.clone()));
    }
    if let Some(h) = &extras.at_hash {
        m.insert("at_hash".into(), Value::String(h.clone()));
    }
    if let Some(h) = &extras.c_hash {
        m.insert("c_hash".into(), Value::String(h.clone()));
    }
    merge_extra(&mut m, &tenant.config().claims);
    merge_extra(&mut m, &client.config.claims);
    if let Some(u) = user {
        put_identity(&mut m, tenant, u);
        if extras.scope_claims {
            put_scope_claims(&mut m, tenant, u, scope);
        }
        merge_extra(&mut m, &u.config.claims);
    }
    shape_claims(tenant, user, client.id(), TokenKind::Id, &mut m); // P124
    m
}

/// Access token claims (P108), with the audience chosen by the grant (P63).
pub fn access_token(tenant: &Tenant, client: &Client, user: Option<&User>, scope: &str, aud: &[String], t: Times) -> Map<String, Value> {
    let mut m = Map::new();
    let sub = user.map(|u| u.sub.clone()).unwrap_or_else(|| client.id().to_owned()); // P62
    put_registered(&mut m, tenant, &sub, audience_value(aud, client.config.audience_form), t);
    m.insert("client_id".into(), Value::String(client.id().to_owned()));
    m.insert("scope".into(), Value::String(scope.to_owned()));
    if aud.len() > 1 || aud.first().map(String::as_str) != Some(client.id()) {
        m.insert("azp".into(), Value::String(client.id().to_owned()));
    }
    merge_extra(&mut m, &tenant.config().claims);
    merge_extra(&mut m, &client.config.claims);
    if let Some(u) = user {
        put_identity(&mut m, tenant, u);
        merge_extra(&mut m, &u.config.claims);
    }
    shape_claims(tenant, user, client.id(), TokenKind::Access, &mut m); // P124
    m
}

/// The default access token audience of a client: its configured audience, else its id plus
/// its extra audiences (P63, P118).
pub fn default_audience(client: &Client) -> Vec<String> {
    if !client.config.audience.is_empty() {
        return client.config.audience.clone();
    }
    let mut aud = vec![client.id().to_owned()];
    aud.extend(client.config.extra_audiences.iter().cloned());
    aud
}

/// Applies the tenant's persona, if any, to a finished claim set. Registered claims (`iss`,
/// `sub`, `aud`, times, `nonce`...) are never touched, so every MUST item still holds.
pub fn shape_claims(tenant: &Tenant, user: Option<&User>, client_id: &str, kind: TokenKind, m: &mut Map<String, Value>) {
    let Some(persona) = tenant.config().persona else {
        return;
    };
    let groups_claim = tenant.config().groups_claim.as_str();
    let login = user.map(|u| u.config.preferred_username.clone().unwrap_or_else(|| u.config.username.clone()));
    match persona {
        Persona::Keycloak => {
            if let Some(u) = user {
                m.insert("realm_access".into(), json!({ "roles": u.config.groups }));
            }
            if let Some(l) = login {
                m.insert("preferred_username".into(), Value::String(l));
            }
        }
        Persona::Okta => {
            m.insert("ver".into(), json!(1));
            if let Some(l) = login {
                m.insert("preferred_username".into(), Value::String(l));
            }
            if kind == TokenKind::Access {
                m.insert("cid".into(), Value::String(client_id.to_owned()));
                if let Some(u) = user {
                    m.insert("uid".into(), Value::String(u.sub.clone()));
                }
            }
        }
        Persona::Entra => {
            m.insert("ver".into(), json!("2.0"));
            m.insert("tid".into(), Value::String(tenant_guid(tenant.name())));
            if let Some(u) = user {
                m.insert("oid".into(), Value::String(stable_guid(tenant.name(), &u.sub)));
                if m.contains_key(groups_claim) {
                    let ids: Vec<Value> = u
                        .config
                        .groups
                        .iter()
                        .map(|g| Value::String(stable_guid(&format!("{}/group", tenant.name()), g)))
                        .collect();
                    m.insert(groups_claim.to_owned(), Value::Array(ids));
                }
            }
            if let Some(l) = login {
                m.insert("preferred_username".into(), Value::String(l));
            }
        }
        Persona::Auth0 => {
            if let Some(u) = user {
                m.insert("nickname".into(), Value::String(u.config.username.clone()));
            }
        }
        Persona::Google => {
            m.remove(groups_claim);
            if let Some(email) = user.and_then(|u| u.config.email.clone()) {
                if let Some((_, domain)) = email.split_once('@') {
                    m.insert("hd".into(), Value::String(domain.to_owned()));
                }
                let verified = user.and_then(|u| u.config.email_verified).unwrap_or(false);
                m.insert("email".into(), Value::String(email));
                m.insert("email_verified".into(), Value::Bool(verified));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::new_jti;

    #[test]
    fn a_jti_is_a_random_version_4_uuid_in_its_hyphenated_form() {
        let jti = new_jti();
        let uuid = uuid::Uuid::parse_str(&jti).expect("a UUID");
        assert_eq!(uuid.get_version(), Some(uuid::Version::Random));
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(jti, uuid.hyphenated().to_string());
        let many: std::collections::HashSet<String> = (0..1000).map(|_| new_jti()).collect();
        assert_eq!(many.len(), 1000);
    }
}
