//! Putting a used Weaviate back to the state a fresh one starts in, the way the real server
//! allows: through its REST API, with a credential that its own environment makes an admin.
//!
//! Only data is reset (every class, with its objects and tenants, is deleted, then the schema
//! must read empty). Database users, roles and role assignments live in Weaviate's Raft store
//! and cannot all be listed the same way on every version, so a scenario that changes them gets
//! a server of its own instead ([`crate::scenario::Scenario::sharing`]).

use std::collections::BTreeMap;

use mock_idp::secret::Secret;
use serde_json::{json, Value};

use super::Running;
use crate::provider::Provider;
use crate::Error;

/// How the reset authenticates, derived from Weaviate's environment.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminCredential {
    /// Anonymous requests may write (anonymous access on, no authorization module).
    Anonymous,
    /// This API key belongs to an admin (or every user is one).
    ApiKey(Secret),
    /// A token minted with this `_mock/mint` body names an admin user or group.
    Mint(Value),
}

fn on(env: &BTreeMap<String, String>, key: &str) -> bool {
    env.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

fn list(env: &BTreeMap<String, String>, key: &str) -> Vec<String> {
    env.get(key)
        .map(|v| v.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A credential with which the reset may delete every class, as Weaviate reads `env`: an API
/// key whose user (by position, or the only user) is an admin (admin list) or root (RBAC); a
/// token naming such a user or group in the configured claims; anonymous access when no
/// authorization module is on. `None` when the environment makes nobody an admin that the
/// harness can act as.
pub fn admin_credential(env: &BTreeMap<String, String>) -> Option<AdminCredential> {
    let (everyone, users, groups) = if on(env, "AUTHORIZATION_RBAC_ENABLED") {
        (
            false,
            list(env, "AUTHORIZATION_RBAC_ROOT_USERS"),
            list(env, "AUTHORIZATION_RBAC_ROOT_GROUPS"),
        )
    } else if on(env, "AUTHORIZATION_ADMINLIST_ENABLED") {
        (
            false,
            list(env, "AUTHORIZATION_ADMINLIST_USERS"),
            list(env, "AUTHORIZATION_ADMINLIST_GROUPS"),
        )
    } else {
        (true, Vec::new(), Vec::new())
    };
    if on(env, "AUTHENTICATION_APIKEY_ENABLED") {
        let keys = list(env, "AUTHENTICATION_APIKEY_ALLOWED_KEYS");
        let key_users = list(env, "AUTHENTICATION_APIKEY_USERS");
        let user_of = |i: usize| {
            if key_users.len() == 1 {
                key_users.first()
            } else {
                key_users.get(i)
            }
        };
        let admin_key = keys
            .iter()
            .enumerate()
            .find(|(i, _)| everyone || user_of(*i).is_some_and(|u| users.contains(u)));
        if let Some((_, key)) = admin_key {
            return Some(AdminCredential::ApiKey(key.as_str().into()));
        }
    }
    if on(env, "AUTHENTICATION_OIDC_ENABLED") {
        let mut claims = serde_json::Map::new();
        let username_claim = env
            .get("AUTHENTICATION_OIDC_USERNAME_CLAIM")
            .filter(|c| !c.is_empty())
            .cloned()
            .unwrap_or_else(|| "sub".into());
        let groups_claim = env.get("AUTHENTICATION_OIDC_GROUPS_CLAIM").filter(|c| !c.is_empty());
        if let Some(u) = users.first() {
            claims.insert(username_claim, json!(u));
        } else if let (Some(g), Some(claim)) = (groups.first(), groups_claim) {
            claims.insert(claim.clone(), json!([g]));
        } else if !everyone {
            return None;
        }
        let mut body = json!({ "claims": claims });
        if let Some(client) = env.get("AUTHENTICATION_OIDC_CLIENT_ID") {
            body["aud"] = json!(client);
        }
        return Some(AdminCredential::Mint(body));
    }
    (everyone && on(env, "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED")).then_some(AdminCredential::Anonymous)
}

/// Deletes every class of `w`, then checks that its schema reads empty, as a fresh server's does.
pub async fn reset_data(http: &reqwest::Client, w: &Running, idp: &Provider, cred: &AdminCredential) -> Result<(), Error> {
    let bearer = match cred {
        AdminCredential::Anonymous => None,
        AdminCredential::ApiKey(k) => Some(k.expose().to_owned()),
        AdminCredential::Mint(body) => {
            let minted = idp.mint(http, body).await?;
            Some(
                minted
                    .get("access_token")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Error::Exchange("reset: the minted answer has no access_token".into()))?
                    .to_owned(),
            )
        }
    };
    let send = |req: reqwest::RequestBuilder| match &bearer {
        Some(t) => req.bearer_auth(t),
        None => req,
    };
    let schema = format!("{}/v1/schema", w.rest_url());
    let classes = |v: &Value| -> Vec<String> {
        v.get("classes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.get("class").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let read = |resp: reqwest::Response| async move {
        let status = resp.status();
        let text = resp.text().await.map_err(|e| Error::Exchange(format!("reset: {e}")))?;
        if !status.is_success() {
            return Err(Error::Exchange(format!("reset: {status}: {text}")));
        }
        serde_json::from_str::<Value>(&text).map_err(|e| Error::Exchange(format!("reset: {e}: {text}")))
    };
    let before = read(
        send(http.get(&schema))
            .send()
            .await
            .map_err(|e| Error::Exchange(format!("reset: {e}")))?,
    )
    .await?;
    for class in classes(&before) {
        let resp = send(http.delete(format!("{schema}/{class}")))
            .send()
            .await
            .map_err(|e| Error::Exchange(format!("reset: deleting {class}: {e}")))?;
        if !resp.status().is_success() {
            return Err(Error::Exchange(format!("reset: deleting {class}: {}", resp.status())));
        }
    }
    let after = read(
        send(http.get(&schema))
            .send()
            .await
            .map_err(|e| Error::Exchange(format!("reset: {e}")))?,
    )
    .await?;
    match classes(&after) {
        left if left.is_empty() => Ok(()),
        left => Err(Error::Exchange(format!("reset: classes left after deletion: {left:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_admin_key_is_the_one_whose_user_is_on_the_admin_list() {
        let e = env(&[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "ro-key, admin-key"),
            ("AUTHENTICATION_APIKEY_USERS", "ro-user,admin-user"),
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin-user"),
            ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "ro-user"),
        ]);
        assert_eq!(admin_credential(&e), Some(AdminCredential::ApiKey("admin-key".into())));
    }

    #[test]
    fn rbac_needs_a_root_user_and_one_user_owns_every_key() {
        let mut e = env(&[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "k1,k2"),
            ("AUTHENTICATION_APIKEY_USERS", "solo"),
            ("AUTHORIZATION_RBAC_ENABLED", "true"),
            ("AUTHORIZATION_RBAC_ROOT_USERS", "someone-else"),
        ]);
        assert_eq!(admin_credential(&e), None);
        e.insert("AUTHORIZATION_RBAC_ROOT_USERS".into(), "solo".into());
        assert_eq!(admin_credential(&e), Some(AdminCredential::ApiKey("k1".into())));
    }

    #[test]
    fn oidc_admins_are_minted_in_the_configured_claims_and_anonymous_writes_without_authorization() {
        let e = env(&[
            ("AUTHENTICATION_OIDC_ENABLED", "true"),
            ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
            ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "email"),
            ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_GROUPS", "admins"),
        ]);
        assert_eq!(
            admin_credential(&e),
            Some(AdminCredential::Mint(json!({"claims": {"groups": ["admins"]}, "aud": "weaviate"})))
        );
        let anon = env(&[("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")]);
        assert_eq!(admin_credential(&anon), Some(AdminCredential::Anonymous));
        let nobody = env(&[
            ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
        ]);
        assert_eq!(admin_credential(&nobody), None);
    }
}
