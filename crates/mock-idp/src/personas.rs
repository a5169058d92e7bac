//! Provider personas (P124): one tenant setting that shapes claims and discovery after a known
//! provider, so a relying party can be tested against the shapes it will meet in production.
//!
//! A persona only *adds* to what the tenant already does: the registered claims, the issuer
//! rules and every MUST item stay as they are, so a persona never makes the provider less
//! conformant. What each one changes is listed by [`markdown_table`], which the README embeds,
//! so the documentation is generated from the same enum the code matches on.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::accounts::User;
use crate::tenant::Tenant;

/// A known provider whose token and discovery shapes a tenant imitates.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Persona {
    /// Keycloak: roles under `realm_access.roles`, `preferred_username` always present.
    Keycloak,
    /// Okta: `ver: 1`, the login name in `preferred_username`, access tokens carry `cid` and `uid`.
    Okta,
    /// Microsoft Entra ID (v2.0 tokens): `tid`, `oid`, `ver: "2.0"`, groups as object GUIDs.
    Entra,
    /// Auth0: the issuer ends in `/`, `nickname` carries the login name.
    Auth0,
    /// Google: `hd` from the e-mail domain, `email_verified` always, no groups claim.
    Google,
}

/// Which token a claim set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ID token.
    Id,
    /// An access token.
    Access,
}

impl Persona {
    /// Every persona, in documentation order.
    pub const ALL: [Persona; 5] = [Persona::Keycloak, Persona::Okta, Persona::Entra, Persona::Auth0, Persona::Google];

    /// The configuration spelling (`persona = "entra"`), from the serde attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Persona::Keycloak => "keycloak",
            Persona::Okta => "okta",
            Persona::Entra => "entra",
            Persona::Auth0 => "auth0",
            Persona::Google => "google",
        }
    }

    /// Whether the default issuer of a tenant with this persona ends in `/` (Auth0 does).
    pub fn trailing_slash_issuer(self) -> bool {
        matches!(self, Persona::Auth0)
    }

    /// Whether the tenant's groups claim is left out (Google puts no groups in tokens).
    pub fn drops_groups(self) -> bool {
        matches!(self, Persona::Google)
    }

    /// Claims this persona adds, for `claims_supported` (P19: list what can be emitted).
    pub fn claims_supported(self) -> &'static [&'static str] {
        match self {
            Persona::Keycloak => &["realm_access", "preferred_username"],
            Persona::Okta => &["ver", "preferred_username"],
            Persona::Entra => &["tid", "oid", "ver", "preferred_username"],
            Persona::Auth0 => &["nickname"],
            Persona::Google => &["hd", "email", "email_verified"],
        }
    }

    /// The `error_description` of `invalid_grant` for bad user credentials, as this provider
    /// words it; one text for unknown users and wrong passwords alike (P58).
    pub fn bad_credentials(self) -> &'static str {
        match self {
            Persona::Keycloak | Persona::Google => "Invalid user credentials",
            Persona::Okta => "The credentials provided were invalid.",
            Persona::Entra => "AADSTS50126: Error validating credentials due to invalid username or password.",
            Persona::Auth0 => "Wrong email or password.",
        }
    }

    /// One line per change, for the README table.
    pub fn changes(self) -> &'static str {
        match self {
            Persona::Keycloak => "`realm_access.roles` = the user's groups; `preferred_username` in every token",
            Persona::Okta => "`ver: 1`; `preferred_username` in every token; access tokens add `cid` (client id) and `uid`; error text \"The credentials provided were invalid.\"",
            Persona::Entra => "`ver: \"2.0\"`; `tid` (tenant GUID); `oid` (user object GUID); groups become GUIDs; `preferred_username`; error text AADSTS50126",
            Persona::Auth0 => "issuer ends in `/` (`{base}/{name}/`); `nickname` = login name; error text \"Wrong email or password.\"",
            Persona::Google => "`hd` = e-mail domain; `email` and `email_verified` always; no groups claim",
        }
    }
}

/// A stable GUID for `what` within `scope` (Entra-style identifiers that do not change between
/// runs, so snapshots stay put).
pub fn stable_guid(scope: &str, what: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"oidc-harness persona guid\0");
    h.update(scope.as_bytes());
    h.update(b"\0");
    h.update(what.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    // RFC 9562 version 8 (custom) and variant bits, so the value is a well-formed UUID.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// Applies the tenant's persona, if any, to a finished claim set. Registered claims (`iss`,
/// `sub`, `aud`, times, `nonce`...) are never touched, so every MUST item still holds.
pub fn shape_claims(tenant: &Tenant, user: Option<&User>, client_id: &str, kind: TokenKind, m: &mut Map<String, Value>) {
    let Some(persona) = tenant.config.persona else {
        return;
    };
    let groups_claim = tenant.config.groups_claim.as_str();
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
            m.insert("tid".into(), Value::String(stable_guid("tenant", &tenant.name)));
            if let Some(u) = user {
                m.insert("oid".into(), Value::String(stable_guid(&tenant.name, &u.sub)));
                if m.contains_key(groups_claim) {
                    let ids: Vec<Value> = u
                        .config
                        .groups
                        .iter()
                        .map(|g| Value::String(stable_guid(&format!("{}/group", tenant.name), g)))
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

/// The bad-credentials description of a tenant: its persona's wording, else the default.
pub fn bad_credentials(tenant: &Tenant, default: &'static str) -> &'static str {
    tenant.config.persona.map_or(default, Persona::bad_credentials)
}

/// The README table: one row per persona, generated from the enum so it cannot drift.
pub fn markdown_table() -> String {
    let mut out = String::from("| persona | what it changes |\n| --- | --- |\n");
    for p in Persona::ALL {
        out.push_str(&format!("| `{}` | {} |\n", p.as_str(), p.changes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p124_table_lists_every_persona_by_its_config_spelling() {
        let table = markdown_table();
        for p in Persona::ALL {
            let spelled = serde_json::to_value(p).unwrap();
            assert!(table.contains(&format!("`{}`", spelled.as_str().unwrap())), "{p:?}");
        }
        assert_eq!(table.lines().count(), 2 + Persona::ALL.len());
    }

    #[test]
    fn p124_stable_guid_is_a_uuid_and_depends_on_its_input() {
        let a = stable_guid("t", "admins");
        assert_eq!(a, stable_guid("t", "admins"));
        assert_ne!(a, stable_guid("t", "viewers"));
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
    }
}
