//! Resource owner password credentials (RFC 6749 §4.3, P56-P59, P150-P151).
//!
//! RFC 9700 discourages this grant; it is served because Weaviate's username/password login
//! (as Weaviate Cloud users sign in) relies on it. The password is checked before the user's
//! status flags, so a flag's message is only shown to someone who knows the password.

use crate::config::UserStatus;
use crate::error::{Error, Result};
use crate::grants::{grant_scope, issue, refresh_plan_for, Issue, TokenResponse};
use crate::tenant::Tenant;
use crate::token::{ClientAuth, Form};

/// Same text for an unknown user and a wrong password, so usernames cannot be probed (P58).
pub const BAD_CREDENTIALS: &str = "Invalid user credentials";

/// The `error_description` a login-failure flag gives (P151).
pub fn status_description(status: UserStatus) -> &'static str {
    match status {
        UserStatus::WrongPassword => BAD_CREDENTIALS,
        UserStatus::Locked => "Account is locked",
        UserStatus::Disabled => "Account is disabled",
        UserStatus::MfaRequired => "Multi-factor authentication required: this account cannot sign in with a password alone",
        UserStatus::PasswordExpired => "Password has expired and must be changed",
        UserStatus::ConsentDenied => "The user denied consent",
    }
}

/// Runs the password grant.
pub fn grant(tenant: &Tenant, auth: &ClientAuth, form: &Form) -> Result<TokenResponse> {
    let username = form.require("username")?;
    let password = form.require("password")?;
    let scope = grant_scope(tenant, &auth.client, form.get("scope"))?;
    let accounts = tenant
        .accounts
        .read()
        .map_err(|_| Error::Internal("accounts lock poisoned".into()))?;
    let user = accounts
        .users
        .get(username)
        .filter(|u| u.password_matches(password))
        .ok_or_else(|| Error::InvalidGrant(crate::personas::bad_credentials(tenant, BAD_CREDENTIALS).into()))?;
    if let Some(status) = user.config.status {
        return Err(Error::InvalidGrant(status_description(status).into()));
    }
    let now = tenant.clock.now();
    let id_token = crate::claims::has_scope(&scope, "openid");
    let refresh = refresh_plan_for(&auth.client, &scope, tenant);
    let aud = crate::claims::default_audience(&auth.client);
    issue(
        tenant,
        Issue {
            client: &auth.client,
            user: Some(user),
            scope,
            aud,
            auth_time: Some(now),
            nonce: None,
            id_token,
            refresh,
            family: None,
        },
    )
}
