//! Refresh token grant (RFC 6749 §6, P76-P83): rotation, reuse detection, family revocation.
//!
//! The record is looked at, checked (client, expiry, scope, user) and only then claimed, in a
//! second short critical section that re-checks it: a request that fails a check leaves the
//! token usable, and of several concurrent requests with one rotating token exactly one claims
//! it (P55). The others find it used, which is reuse (P78), so they revoke the family; the
//! winner re-checks its family after signing, so the tokens it answers with are revoked too
//! rather than left alive in a revoked family.

use crate::claims::has_scope;
use crate::config::UserStatus;
use crate::error::{Error, Result};
use crate::form::Form;
use crate::grant_types::client_auth::ClientAuth;
use crate::grant_types::{issue, Issue, RefreshPlan, TokenResponse};
use crate::grants::{store_key, RefreshRecord};
use crate::tenant::Tenant;

/// One answer for unknown, forged, expired and revoked tokens (P79, P80).
pub const INVALID_REFRESH: &str = "The refresh token is invalid, expired or revoked";

/// Runs the refresh token grant.
pub fn grant(tenant: &Tenant, auth: &ClientAuth, form: &Form) -> Result<TokenResponse> {
    let presented = form.require("refresh_token")?;
    let key = store_key(presented);
    let now = tenant.clock().now();
    let record = look_up(tenant, &key, auth.client.id(), now)?;
    let scope = narrow_scope(&record.scope, form.get("scope"))?; // P76
    let user = match &record.username {
        Some(name) => Some(current_user(tenant, name)?), // P80, P81
        None => None,
    };
    let rotate = auth.client.config.rotate_refresh_tokens; // P78
    claim(tenant, &key, rotate)?;
    let id_token = has_scope(&scope, "openid") && user.is_some();
    let resp = issue(
        tenant,
        Issue {
            client: &auth.client,
            user: user.as_ref(),
            scope,
            aud: record.aud.clone(),
            auth_time: record.auth_time, // P81: the original login
            nonce: None,                 // P81: never a nonce on refresh
            id_token,
            refresh: if rotate {
                RefreshPlan::Family(record.family)
            } else {
                RefreshPlan::None
            },
            family: Some(record.family),
        },
    )?;
    let mut store = tenant.grants();
    if store.families.get(&record.family).is_none_or(|f| f.revoked) {
        // A reuse or a revocation raced with this refresh: this request still won the token
        // (P55), but what it was just issued is revoked with the rest of the family (P78).
        store.revoke_family(record.family);
        return Ok(resp);
    }
    if let Some(new) = &resp.refresh_token {
        // RFC 6749 §6: a new refresh token keeps the scope of the one it replaces.
        if let Some(r) = store.refresh.get_mut(&store_key(new)) {
            r.scope = record.scope.clone();
        }
    }
    Ok(resp)
}

/// The record of a presented token, checked for client, reuse and expiry; reuse of a rotated
/// token revokes its family (P77-P80).
fn look_up(tenant: &Tenant, key: &str, client_id: &str, now: i64) -> Result<RefreshRecord> {
    let mut store = tenant.grants();
    let Some(record) = store.refresh.get(key).cloned() else {
        return Err(Error::InvalidGrant(INVALID_REFRESH.into())); // P79
    };
    if record.client_id != client_id {
        return Err(Error::InvalidGrant("The refresh token was issued to another client".into()));
        // P77
    }
    if record.used {
        store.revoke_family(record.family); // P78
        tracing::debug!(family = record.family, "rotated refresh token reused; family revoked");
        return Err(Error::InvalidGrant(
            "The refresh token was already used; its token family is revoked".into(),
        ));
    }
    if store.families.get(&record.family).is_some_and(|f| f.revoked) || record.expires_at <= now {
        return Err(Error::InvalidGrant(INVALID_REFRESH.into())); // P80
    }
    Ok(record)
}

/// Claims the token: marks it used when rotating. Fails when another request claimed it first.
fn claim(tenant: &Tenant, key: &str, rotate: bool) -> Result<()> {
    let mut store = tenant.grants();
    let Some(record) = store.refresh.get_mut(key) else {
        return Err(Error::InvalidGrant(INVALID_REFRESH.into()));
    };
    if record.used {
        let family = record.family;
        store.revoke_family(family); // P55, P78: the loser of a race is a reuse
        return Err(Error::InvalidGrant(
            "The refresh token was already used; its token family is revoked".into(),
        ));
    }
    if rotate {
        record.used = true;
    }
    Ok(())
}

/// The scope of a refresh: the original one, or a subset of it (P76), in the original order.
pub fn narrow_scope(original: &str, requested: Option<&str>) -> Result<String> {
    let Some(requested) = requested else {
        return Ok(original.to_owned());
    };
    let asked: Vec<&str> = requested.split(' ').filter(|w| !w.is_empty()).collect();
    if let Some(extra) = asked.iter().find(|w| !has_scope(original, w)) {
        return Err(Error::InvalidScope(format!(
            "scope {} was not granted originally; a refresh may only narrow the scope",
            crate::error::sanitize_description(extra)
        )));
    }
    Ok(original
        .split(' ')
        .filter(|w| !w.is_empty() && asked.contains(w))
        .collect::<Vec<_>>()
        .join(" "))
}

/// The user record as it is now: deleted, locked (flag or lockout) or disabled users get
/// `invalid_grant` (P80); the rest is read again for the new tokens (P81).
fn current_user(tenant: &Tenant, username: &str) -> Result<crate::accounts::User> {
    let accounts = tenant.accounts();
    let user = accounts
        .users
        .get(username)
        .ok_or_else(|| Error::InvalidGrant("The user of this grant no longer exists".into()))?;
    match user.config.status {
        Some(UserStatus::Locked) => return Err(Error::InvalidGrant("Account is locked".into())),
        Some(UserStatus::Disabled) => return Err(Error::InvalidGrant("Account is disabled".into())),
        _ => {}
    }
    if tenant
        .config()
        .lockout_after
        .is_some_and(|n| user.login_failures.wrong_passwords >= n)
    {
        return Err(Error::InvalidGrant(crate::grant_types::password::LOCKED_OUT.into()));
    }
    Ok(user.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p55_a_token_claimed_between_look_up_and_claim_is_a_reuse() {
        // Two requests both passed `look_up`; only the first claim wins, and the second one
        // revokes the family (the case a concurrent test rarely hits, so it is pinned here).
        let tenant = Tenant::new(crate::config::TenantConfig::named("t"), "http://127.0.0.1").unwrap();
        let key = store_key("rt");
        {
            let mut store = tenant.grants();
            let family = store.new_family("c");
            store.families.get_mut(&family).unwrap().jtis.push("jti-1".into());
            store.refresh.insert(
                key.clone(),
                RefreshRecord {
                    client_id: "c".into(),
                    username: None,
                    scope: "openid".into(),
                    aud: vec!["c".into()],
                    family,
                    auth_time: None,
                    expires_at: i64::MAX,
                    used: false,
                },
            );
        }
        let first = look_up(&tenant, &key, "c", 0).unwrap();
        let second = look_up(&tenant, &key, "c", 0).unwrap();
        assert_eq!(first.family, second.family);
        assert!(claim(&tenant, &key, true).is_ok());
        assert!(matches!(claim(&tenant, &key, true), Err(Error::InvalidGrant(_))));
        let store = tenant.grants();
        assert!(store.families[&first.family].revoked);
        assert!(store.revoked_jtis.contains("jti-1"));
        assert!(store.refresh.is_empty());
    }

    #[test]
    fn p76_scope_may_only_narrow() {
        let original = "openid profile email offline_access";
        assert_eq!(narrow_scope(original, None).unwrap(), original);
        assert_eq!(narrow_scope(original, Some("email openid")).unwrap(), "openid email");
        assert!(matches!(narrow_scope(original, Some("openid groups")), Err(Error::InvalidScope(_))));
    }
}
