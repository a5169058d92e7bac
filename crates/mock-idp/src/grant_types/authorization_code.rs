//! Authorization code redemption (RFC 6749 §4.1.3, P64-P68) with PKCE (RFC 7636, P72-P75).
//!
//! Every check runs under the grant-store lock, and the code is marked redeemed (with the
//! family its tokens will belong to) before the lock is released: of two concurrent
//! redemptions exactly one passes (P55). A redeemed record stays, so a second use can revoke
//! the first one's tokens (P66). A failed check leaves the code untouched, so the rightful
//! client can still redeem it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::accounts::fingerprint;
use crate::claims::{default_audience, has_scope};
use crate::error::{Error, Result};
use crate::form::Form;
use crate::grant_types::client_auth::ClientAuth;
use crate::grant_types::{issue, refresh_plan_for, Issue, TokenResponse};
use crate::grants::{store_key, CodeRecord};
use crate::tenant::Tenant;

/// Runs the authorization code grant.
pub fn grant(tenant: &Tenant, auth: &ClientAuth, form: &Form) -> Result<TokenResponse> {
    let code = form.require("code")?;
    let (record, family) = redeem(tenant, auth, form, code)?;
    let user = {
        let accounts = tenant.accounts();
        accounts
            .users
            .get(&record.username)
            .cloned()
            .ok_or_else(|| Error::InvalidGrant("the user of this code no longer exists".into()))?
    };
    let resp = issue(
        tenant,
        Issue {
            client: &auth.client,
            user: Some(&user),
            scope: record.scope.clone(),
            aud: default_audience(&auth.client),
            auth_time: Some(record.auth_time),
            nonce: record.nonce.clone(), // P68
            id_token: has_scope(&record.scope, "openid"),
            refresh: refresh_plan_for(&auth.client, &record.scope, tenant),
            family: Some(family),
        },
    )?;
    // A reuse that raced this redemption revoked the family before its tokens were recorded:
    // revoke again, so they are covered too (P66).
    let mut store = tenant.grants();
    if store.families.get(&family).is_some_and(|f| f.revoked) {
        store.revoke_family(family);
    }
    Ok(resp)
}

/// Checks the code against the request and marks it redeemed; returns its record and the
/// family of the tokens about to be issued.
fn redeem(tenant: &Tenant, auth: &ClientAuth, form: &Form, code: &str) -> Result<(CodeRecord, u64)> {
    let now = tenant.clock().now();
    let key = store_key(code);
    let mut store = tenant.grants();
    let record = store
        .codes
        .get(&key)
        .cloned()
        .ok_or_else(|| Error::InvalidGrant("the authorization code is unknown".into()))?;
    if let Some(family) = record.redeemed_family {
        // P66: a second use revokes everything the first one issued.
        store.revoke_family(family);
        tracing::debug!(code = %fingerprint(code), "authorization code reused; its tokens are revoked");
        return Err(Error::InvalidGrant(
            "the authorization code was already used; the tokens issued for it are revoked".into(),
        ));
    }
    if now >= record.expires_at {
        store.codes.remove(&key);
        return Err(Error::InvalidGrant("the authorization code has expired".into()));
    }
    if record.client_id != auth.client.id() {
        return Err(Error::InvalidGrant("the authorization code was issued to another client".into()));
    }
    if let Some(expected) = &record.redirect_uri {
        match form.get("redirect_uri") {
            Some(sent) if sent == expected => {}
            Some(_) => return Err(Error::InvalidGrant("redirect_uri differs from the authorization request".into())),
            None => return Err(Error::InvalidGrant("redirect_uri is required for this code".into())),
        }
    }
    check_pkce(&record, auth, form.get("code_verifier"))?;
    let family = store.new_family(auth.client.id());
    if let Some(r) = store.codes.get_mut(&key) {
        r.redeemed_family = Some(family);
    }
    Ok((record, family))
}

/// P72, P73: the verifier's syntax, its match with the stored challenge, and both downgrades.
fn check_pkce(record: &CodeRecord, auth: &ClientAuth, verifier: Option<&str>) -> Result<()> {
    match (&record.pkce, verifier) {
        (None, Some(_)) => Err(Error::InvalidGrant(
            "code_verifier sent for a code that had no code_challenge".into(),
        )),
        (None, None) if auth.client.requires_pkce() => Err(Error::InvalidGrant("this client must use PKCE".into())),
        (None, None) => Ok(()),
        (Some(_), None) => Err(Error::InvalidGrant("code_verifier is missing".into())),
        (Some((challenge, method)), Some(v)) => {
            if !pkce_syntax_ok(v) {
                return Err(Error::InvalidGrant(
                    "code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]".into(),
                ));
            }
            let ok = match method.as_str() {
                "S256" => s256_challenge(v) == *challenge,
                _ => v == challenge,
            };
            if ok {
                Ok(())
            } else {
                Err(Error::InvalidGrant("code_verifier does not match the code_challenge".into()))
            }
        }
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// 43 to 128 characters from `[A-Za-z0-9-._~]` (RFC 7636 §4.1, §4.2; P70, P72).
pub fn pkce_syntax_ok(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p74_rfc7636_appendix_b_known_answer() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}
