//! The honesty self-check (P26): every capability a provider's discovery document advertises,
//! exercised over HTTP against the running provider. It never reads the provider's code or
//! state, only what a relying party sees, so it can check any OpenID provider.
//!
//! Capabilities and what proves each one:
//! - `grant_type`: a successful grant whose tokens verify against the JWKS.
//! - `token_endpoint_auth_method`: the confidential client (or, for `none`, the public one)
//!   gets tokens while authenticating that way.
//! - `id_token_signing_alg`: a token minted with that `alg` (`POST {issuer}/_mock/mint`) verifies
//!   against the JWKS; without a mint endpoint, only the alg that flow tokens use can be proven.
//! - `response_type` x `response_mode`: a full authorization request (logging in through the
//!   HTML form when the provider shows one), the response found where the mode puts it, the
//!   ID token's `nonce` and `c_hash`, and the code redeemed.
//! - `code_challenge_method`: the right verifier redeems a code and a wrong one is refused.
//!
//! Anything the self-check cannot exercise is a skipped row with its reason, never a pass.
//!
//! The checks are split by what they exercise: `provider` (discovery, grants, signing algs,
//! token verification), `flows` (the authorization endpoint: response types and modes, PKCE)
//! and `html` (reading the login and form_post pages).

use std::future::Future;
use std::time::Instant;

use crate::report::{Outcome, Report, Row};

mod flows;
mod html;
mod provider;

use provider::Provider;

/// Accounts the self-check signs in with; the default is the built-in configuration's.
#[derive(Clone)]
pub struct Credentials {
    /// A user who can log in with a password.
    pub username: String,
    /// That user's password.
    pub password: String,
    /// A public client allowed the password grant and the authorization endpoint.
    pub public_client: String,
    /// A redirect URI registered for the public client.
    pub redirect_uri: String,
    /// A confidential client allowed client credentials.
    pub confidential_client: String,
    /// Its secret.
    pub confidential_secret: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            username: "admin".into(),
            password: "admin-pass".into(),
            public_client: "weaviate".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            confidential_client: "ci-runner".into(),
            confidential_secret: "ci-runner-secret".into(),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("public_client", &self.public_client)
            .field("redirect_uri", &self.redirect_uri)
            .field("confidential_client", &self.confidential_client)
            .field("confidential_secret", &"[redacted]")
            .finish()
    }
}

/// Runs the self-check against the provider whose discovery document is at `discovery_url`.
pub async fn self_check(discovery_url: &str, creds: &Credentials) -> Report {
    self_check_with(discovery_url, creds, |_| {}).await
}

/// Like [`self_check`], calling `on_row` after each check (for progress output).
pub async fn self_check_with(discovery_url: &str, creds: &Credentials, mut on_row: impl FnMut(&Row)) -> Report {
    let mut report = Report::default();
    let mut push = |report: &mut Report, row: Row| {
        on_row(&row);
        report.rows.push(row);
    };
    let started = Instant::now();
    let provider = match Provider::discover(discovery_url, creds).await {
        Ok(p) => {
            push(&mut report, row("discovery", Ok(()), started));
            p
        }
        Err(o) => {
            push(&mut report, row("discovery", Err(o), started));
            return report;
        }
    };
    let p = &provider;

    for g in p.list("grant_types_supported", &["authorization_code", "implicit"]) {
        let r = timed(format!("grant_type {g}"), p.grant_type(&g)).await;
        push(&mut report, r);
    }
    for m in p.list("token_endpoint_auth_methods_supported", &["client_secret_basic"]) {
        let r = timed(format!("token_endpoint_auth_method {m}"), p.auth_method(&m)).await;
        push(&mut report, r);
    }
    for alg in p.list("id_token_signing_alg_values_supported", &[]) {
        let r = timed(format!("id_token_signing_alg {alg}"), p.signing_alg(&alg)).await;
        push(&mut report, r);
    }
    let modes = p.list("response_modes_supported", &["query", "fragment"]);
    for rt in p.list("response_types_supported", &[]) {
        let has_id_token = rt.split(' ').any(|w| w == "id_token");
        for mode in &modes {
            if mode == "query" && has_id_token {
                // Not a valid combination (P91): the provider must refuse it, so it is no capability.
                continue;
            }
            let r = timed(format!("response_type {rt:?} response_mode {mode}"), p.response(&rt, mode)).await;
            push(&mut report, r);
        }
    }
    for m in p.list("code_challenge_methods_supported", &[]) {
        let r = timed(format!("code_challenge_method {m}"), p.pkce_method(&m)).await;
        push(&mut report, r);
    }
    report
}

/// A check's failure or skip, carried by `?`.
type Step<T> = Result<T, Outcome>;

fn fail<T>(why: impl Into<String>) -> Step<T> {
    Err(Outcome::Fail(why.into()))
}

fn row(check: &str, result: Step<()>, started: Instant) -> Row {
    Row {
        check: check.to_owned(),
        outcome: result.err().unwrap_or(Outcome::Pass),
        duration: started.elapsed(),
    }
}

async fn timed(check: String, f: impl Future<Output = Step<()>>) -> Row {
    let started = Instant::now();
    let result = f.await;
    row(&check, result, started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_redacts_secrets() {
        let d = format!("{:?}", Credentials::default());
        assert!(!d.contains("admin-pass") && !d.contains("ci-runner-secret"), "{d}");
    }
}
