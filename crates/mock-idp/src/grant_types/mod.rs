//! The grants of the token endpoint, one file each (RFC 6749 §4, §6), and what they share:
//! client authentication, scope decisions, lifetimes, and `issue`, which signs tokens and
//! records them in the tenant's grant store (`grants.rs`).

pub mod authorization_code;
pub mod client_auth;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use std::collections::HashSet;

use serde::Serialize;

use crate::accounts::{Client, User};
use crate::claims::{self, has_scope, IdTokenExtras, Times};
use crate::error::{Error, Result};
use crate::grants::{half_hash, opaque_token, store_key, RefreshRecord};
use crate::tenant::Tenant;

/// A successful token response (RFC 6749 §5.1, P51).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct TokenResponse {
    /// The access token (a JWT, P107).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires; equals its `exp - iat` (P109).
    pub expires_in: i64,
    /// The granted scope, always sent.
    pub scope: String,
    /// A refresh token, when one is issued (P82).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refresh_token: Option<String>,
    /// An ID token, when `openid` is granted and a user is involved.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id_token: Option<String>,
}

impl TokenResponse {
    /// The response's JSON, as `serde_json` writes it (same members, order and escapes), in a
    /// buffer sized for its tokens up front. A token is hundreds of characters that never need
    /// escaping, which `serde_json` would still examine one at a time, into a buffer it would
    /// grow several times.
    pub fn to_json(&self) -> Vec<u8> {
        let tokens =
            self.access_token.len() + self.id_token.as_ref().map_or(0, String::len) + self.refresh_token.as_ref().map_or(0, String::len);
        let mut out = Vec::with_capacity(tokens + self.scope.len() + 128);
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"access_token\":");
        push_json_string(out, &self.access_token);
        out.extend_from_slice(b",\"token_type\":");
        push_json_string(out, &self.token_type);
        out.extend_from_slice(b",\"expires_in\":");
        out.extend_from_slice(self.expires_in.to_string().as_bytes());
        out.extend_from_slice(b",\"scope\":");
        push_json_string(out, &self.scope);
        if let Some(rt) = &self.refresh_token {
            out.extend_from_slice(b",\"refresh_token\":");
            push_json_string(out, rt);
        }
        if let Some(id) = &self.id_token {
            out.extend_from_slice(b",\"id_token\":");
            push_json_string(out, id);
        }
        out.push(b'}');
    }
}

/// `s` as a JSON string. Text without a quote, a backslash or a control character is copied as
/// it is (what `serde_json` writes for it too); anything else goes through `serde_json`.
fn push_json_string(out: &mut Vec<u8>, s: &str) {
    // Every byte is examined (no early exit), which the compiler turns into wide compares.
    let plain = s.bytes().fold(true, |plain, b| plain & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
}

/// Scopes the tenant knows (P18), each once, in the order of [`scope_sources`].
pub fn supported_scopes(tenant: &Tenant) -> Vec<String> {
    // `dedup` alone only drops neighbours; a configured scope may repeat a built-in one.
    let mut seen = HashSet::new();
    scope_sources(tenant).filter(|w| seen.insert(*w)).map(str::to_owned).collect()
}

/// Every supported scope, repeats included: the built-in ones, the groups scope, the configured ones.
fn scope_sources(tenant: &Tenant) -> impl Iterator<Item = &str> {
    let config = tenant.config();
    ["openid", "profile", "email", "offline_access"]
        .into_iter()
        .chain([config.groups_scope.as_str()])
        .chain(config.scopes.iter().map(String::as_str))
}

/// Whether `word` is one of [`supported_scopes`], without building the list.
fn is_supported_scope(tenant: &Tenant, word: &str) -> bool {
    scope_sources(tenant).any(|s| s == word)
}

/// The scope a request is granted (P56, P88): the client's default when none is asked for;
/// unknown values dropped, or refused in strict mode; values outside the client's allowed list
/// refused.
pub fn grant_scope(tenant: &Tenant, client: &Client, requested: Option<&str>) -> Result<String> {
    let requested = requested.unwrap_or(&client.config.default_scope);
    let mut granted: Vec<&str> = Vec::new();
    for word in requested.split(' ').filter(|w| !w.is_empty()) {
        if !word
            .chars()
            .all(|c| c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))
        {
            return Err(Error::InvalidScope(
                "scope contains a character RFC 6749 §3.3 does not allow".into(),
            ));
        }
        let known = is_supported_scope(tenant, word) || client.config.allowed_scopes.iter().any(|s| s == word);
        if !client.config.allowed_scopes.is_empty() && !client.config.allowed_scopes.iter().any(|s| s == word) && word != "openid" {
            return Err(Error::InvalidScope(format!("scope {word} is not allowed for this client")));
        }
        if !known {
            if tenant.config().strict_scopes {
                return Err(Error::InvalidScope(format!("unknown scope {word}")));
            }
            continue;
        }
        if !granted.contains(&word) {
            granted.push(word);
        }
    }
    Ok(granted.join(" "))
}

/// Lifetimes in force for a client and user (P119): user over client over tenant.
pub fn lifetimes(tenant: &Tenant, client: &Client, user: Option<&User>) -> (i64, i64, i64) {
    let t = &tenant.config().lifetimes;
    let c = &client.config.lifetimes;
    let u = user.map(|u| u.config.lifetimes.clone()).unwrap_or_default();
    let pick = |u: Option<u64>, c: Option<u64>, t: u64| u.or(c).unwrap_or(t) as i64;
    (
        pick(u.id_token_s, c.id_token_s, t.id_token_s),
        pick(u.access_token_s, c.access_token_s, t.access_token_s),
        pick(u.refresh_token_s, c.refresh_token_s, t.refresh_token_s),
    )
}

/// Whether a refresh token goes with this response (P82).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshPlan {
    /// No refresh token (client credentials, or neither `offline_access` nor always-on).
    None,
    /// A refresh token opening a new family.
    NewFamily,
    /// A refresh token continuing `family` (refresh grant).
    Family(u64),
}

/// Everything `issue` needs to know.
#[derive(Debug)]
pub struct Issue<'a> {
    /// The client.
    pub client: &'a Client,
    /// The user, when one logged in.
    pub user: Option<&'a User>,
    /// Granted scope.
    pub scope: String,
    /// Access token audience.
    pub aud: Vec<String>,
    /// Time of the user's login.
    pub auth_time: Option<i64>,
    /// Nonce for the ID token.
    pub nonce: Option<String>,
    /// Issue an ID token.
    pub id_token: bool,
    /// Refresh token plan.
    pub refresh: RefreshPlan,
    /// Family the tokens belong to, when not opened here (code redemption).
    pub family: Option<u64>,
}

/// The refresh plan for a user grant (P82): offline_access or the client's always-on option.
pub fn refresh_plan_for(client: &Client, scope: &str, tenant: &Tenant) -> RefreshPlan {
    let enabled =
        tenant.grant_enabled(crate::config::GrantType::RefreshToken) && client.allows_grant(crate::config::GrantType::RefreshToken);
    if enabled && (has_scope(scope, "offline_access") || client.config.always_refresh_token) {
        RefreshPlan::NewFamily
    } else {
        RefreshPlan::None
    }
}

/// Signs the tokens of one response, records their ids in the family, and stores the refresh
/// token. Every time comes from the tenant clock (P143).
pub fn issue(tenant: &Tenant, req: Issue<'_>) -> Result<TokenResponse> {
    let now = tenant.clock().now();
    let (id_life, at_life, rt_life) = lifetimes(tenant, req.client, req.user);
    let keys = tenant.keys();
    let key = match req.client.config.alg {
        Some(alg) => keys
            .for_alg(alg)
            .ok_or_else(|| Error::Internal(format!("no key for {}", alg.as_str())))?,
        None => keys.active(),
    };
    let at_claims = claims::access_token(
        tenant,
        req.client,
        req.user,
        &req.scope,
        &req.aud,
        Times {
            iat: now,
            exp: now + at_life,
            auth_time: req.auth_time,
        },
    );
    let at_jti = at_claims["jti"].as_str().unwrap_or_default().to_owned();
    let access_token = key.sign(&at_claims, "JWT");
    let mut jtis = vec![at_jti];
    let id_token = if req.id_token {
        let extras = IdTokenExtras {
            nonce: req.nonce.clone(),
            at_hash: Some(half_hash(key.alg(), &access_token)),
            c_hash: None,
            scope_claims: true,
        };
        let c = claims::id_token(
            tenant,
            req.client,
            req.user,
            &req.scope,
            Times {
                iat: now,
                exp: now + id_life,
                auth_time: req.auth_time,
            },
            &extras,
        );
        jtis.push(c["jti"].as_str().unwrap_or_default().to_owned());
        Some(key.sign(&c, "JWT"))
    } else {
        None
    };
    drop(keys);
    let mut store = tenant.grants();
    let family = match req.refresh {
        RefreshPlan::Family(f) => Some(f),
        RefreshPlan::NewFamily => Some(req.family.unwrap_or_else(|| store.new_family(req.client.id()))),
        RefreshPlan::None => req.family,
    };
    if let Some(f) = family {
        store.record_tokens(f, jtis, now + at_life.max(if req.id_token { id_life } else { 0 }), now);
    }
    let refresh_token = match (req.refresh, family) {
        (RefreshPlan::None, _) | (_, None) => None,
        (_, Some(family)) => {
            let token = opaque_token();
            store.insert_refresh(
                store_key(&token),
                RefreshRecord {
                    client_id: req.client.id().to_owned(),
                    username: req.user.map(|u| u.username().to_owned()),
                    scope: req.scope.clone(),
                    aud: req.aud.clone(),
                    family,
                    auth_time: req.auth_time,
                    expires_at: now + rt_life,
                    used: false,
                },
                now,
            );
            Some(token)
        }
    };
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: at_life,
        scope: req.scope,
        refresh_token,
        id_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_response_is_written_as_serde_json_writes_it() {
        let odd = [
            "",
            "a\"b",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{1}",
            "\u{7f}",
            "é€𝄞",
            "a/b",
            "</script>",
        ];
        let token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl-_";
        let mut cases = vec![TokenResponse {
            access_token: token.into(),
            token_type: "Bearer".into(),
            expires_in: 3600,
            scope: "openid email".into(),
            refresh_token: None,
            id_token: None,
        }];
        for (i, s) in odd.iter().enumerate() {
            cases.push(TokenResponse {
                access_token: format!("{token}{s}"),
                token_type: s.to_string(),
                expires_in: -(i as i64),
                scope: s.to_string(),
                refresh_token: (i % 2 == 0).then(|| s.to_string()),
                id_token: (i % 3 != 0).then(|| format!("{s}{token}")),
            });
        }
        for r in &cases {
            assert_eq!(String::from_utf8(r.to_json()).unwrap(), serde_json::to_string(r).unwrap());
        }
    }
}
