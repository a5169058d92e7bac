//! Resource owner password credentials (RFC 6749 §4.3, P56-P59, P150-P151).
//!
//! RFC 9700 discourages this grant; it is served because Weaviate's username/password login
//! (as Weaviate Cloud users sign in) relies on it. The password is checked before the user's
//! status flags, so a flag's message is only shown to someone who knows the password.
//!
//! `check_login` is the one login decision (lockout, password, status flag, `fail_next`); the
//! browser login page can call it too, and maps `LoginFailure` to its own outcome (P152).

use crate::accounts::User;
use crate::config::UserStatus;
use crate::error::{Error, Result};
use crate::form::Form;
use crate::grant_types::client_auth::ClientAuth;
use crate::grant_types::client_credentials::requested_audience;
use crate::grant_types::{grant_scope, issue, refresh_plan_for, Issue, TokenResponse};
use crate::tenant::Tenant;

/// Same text for an unknown user and a wrong password, so usernames cannot be probed (P58).
pub const BAD_CREDENTIALS: &str = "Invalid user credentials";
/// The description of a lockout after too many wrong passwords (P150, `lockout_after`).
pub const LOCKED_OUT: &str = "Account is temporarily locked after too many failed logins";
/// The description of a login refused by the `fail_next` preset (P150).
pub const FAIL_NEXT: &str = "Login failed: the fail_next preset refused this attempt";

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

/// Why a login was refused (P150).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginFailure {
    /// Unknown user or wrong password: one answer for both (P58).
    BadCredentials,
    /// Too many wrong passwords in a row (`lockout_after`).
    LockedOut,
    /// A configured status flag.
    Status(UserStatus),
    /// The `fail_next` preset consumed this attempt.
    FailNext,
}

impl LoginFailure {
    /// The documented `error_description` (P151).
    pub fn description(self) -> &'static str {
        match self {
            LoginFailure::BadCredentials => BAD_CREDENTIALS,
            LoginFailure::LockedOut => LOCKED_OUT,
            LoginFailure::Status(s) => status_description(s),
            LoginFailure::FailNext => FAIL_NEXT,
        }
    }
}

/// Checks a username and password against the tenant's users and login-failure presets, and
/// updates the counters. The password's digest comes first, for unknown users too, so every path
/// costs the same digest work (P58). Then, in order: lockout (so the right password does not
/// help while locked out), password (a wrong one counts towards the lockout), status flag, then
/// `fail_next`, which only consumes attempts with the right password.
pub fn check_login(tenant: &Tenant, username: &str, password: &str) -> Result<std::result::Result<User, LoginFailure>> {
    let mut accounts = tenant.accounts_mut();
    // First, and on every path: one digest whether or not the user exists (P58).
    let password_ok = accounts.password_matches(username, password);
    let Some(user) = accounts.users.get_mut(username) else {
        return Ok(Err(LoginFailure::BadCredentials));
    };
    let lockout_after = tenant.config().lockout_after;
    if lockout_after.is_some_and(|n| user.login_failures.wrong_passwords >= n) {
        return Ok(Err(LoginFailure::LockedOut));
    }
    if !password_ok {
        if lockout_after.is_some() {
            user.login_failures.wrong_passwords += 1;
        }
        return Ok(Err(LoginFailure::BadCredentials));
    }
    user.login_failures.wrong_passwords = 0;
    if let Some(status) = user.config.status {
        return Ok(Err(LoginFailure::Status(status)));
    }
    if user.login_failures.fail_next > 0 {
        user.login_failures.fail_next -= 1;
        return Ok(Err(LoginFailure::FailNext));
    }
    Ok(Ok(user.clone()))
}

/// Runs the password grant.
pub fn grant(tenant: &Tenant, auth: &ClientAuth, form: &Form) -> Result<TokenResponse> {
    let username = form.require("username")?;
    let password = form.require("password")?;
    let scope = grant_scope(tenant, &auth.client, form.get("scope"))?;
    let aud = requested_audience(auth, form)?.unwrap_or_else(|| crate::claims::default_audience(&auth.client));
    let user = check_login(tenant, username, password)?.map_err(|f| {
        Error::InvalidGrant(match f {
            // The persona's wording for bad credentials (P124), the same for unknown users.
            LoginFailure::BadCredentials => bad_credentials(tenant, BAD_CREDENTIALS).into(),
            other => other.description().into(),
        })
    })?;
    let now = tenant.clock().now();
    let id_token = crate::claims::has_scope(&scope, "openid");
    let refresh = refresh_plan_for(&auth.client, &scope, tenant);
    issue(
        tenant,
        Issue {
            client: &auth.client,
            user: Some(&user),
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

/// The bad-credentials description of a tenant: its persona's wording, else the default.
fn bad_credentials(tenant: &Tenant, default: &'static str) -> &'static str {
    tenant.config().persona.map_or(default, crate::personas::Persona::bad_credentials)
}
