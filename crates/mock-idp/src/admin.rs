//! Who may use the `_mock/` test controls (P125): the one rule, in one place.
//!
//! The controls mint tokens that every relying party of an issuer accepts, replace its keys, and
//! delete an issuer and create it again under the same URL with new keys (a relying party that
//! trusts the URL refetches the JWKS on the unknown `kid` and accepts them). A tool that does
//! that on request must be closed wherever anyone else can reach it, so:
//!
//! - Without any admin token in the configuration the provider started with (server or tenant),
//!   every route is open: the in-process provider of a test, on loopback.
//! - Once any admin token is configured, every `_mock/` route needs one, except `/_mock/ready`
//!   (health checks) and `/_mock/ca.pem` (the CA certificate relying parties are given anyway).
//!   Read-only routes too: the journal and counters say who logged in and when, the user and
//!   client lists name the accounts that the token endpoint does not reveal, the key list shows
//!   the rotation schedule, `log/wait` holds a connection for up to 5 minutes, the debugger page
//!   carries a mint form, and one rule with two exceptions is easier to trust than a list.
//! - Server-wide routes (`/_mock/issuers`) open with the server's token only; a tenant's token
//!   never does. With only tenant tokens they are closed (403), so no issuer can be deleted and
//!   created again.
//! - A tenant's routes open with the server's token or that tenant's own token. A tenant without
//!   one (also one created at runtime) opens with the server's token alone, and is closed (403)
//!   when the server has none.
//! - Whether the guard is on is decided once, from the starting configuration
//!   ([`AppState`](crate::state::AppState) keeps it), so deleting the tenant that had the token
//!   reopens nothing. A tenant created at runtime with its own token is guarded by it even when
//!   the rest is open.
//!
//! `server.control = false` removes the controls altogether (404), `/_mock/ready` excepted.
//! [`open_exposure`] is the start-up side of the rule: the CLI refuses to listen beyond loopback
//! while the controls are open.

use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::tenant::Tenant;

/// `_mock/` routes that stay open whatever the tokens: readiness and the public CA certificate.
pub const PUBLIC_ROUTES: [&str; 2] = [crate::endpoint::READY_PATH, crate::endpoint::CA_PATH];

/// What a `_mock/` request addresses.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The server-wide routes (`/_mock/issuers`).
    Server,
    /// One tenant's routes (`{issuer}/_mock/...`).
    Tenant(&'a Tenant),
}

/// Whether `config` names any admin token, on the server or on a tenant: then the guard is on.
pub fn guard_on(config: &Config) -> bool {
    config.admin_guard_on()
}

/// Whether a path the tenant table did not resolve is a server-wide control route, which the
/// guard covers: any path with a `_mock` segment but the public ones (fail closed on odd spellings).
pub fn is_server_control(path: &str) -> bool {
    !PUBLIC_ROUTES.contains(&path) && path.split('/').any(|s| s == "_mock")
}

/// Applies the rule to one `_mock/` request: `Ok` when it may go on, else the answer
/// (404 with the controls off, 403 when no configured token opens the route, 401 when the token
/// is missing or not one that opens it).
pub fn check(state: &AppState, scope: Scope<'_>, headers: &HeaderMap, path: &str) -> Result<()> {
    let server = state.server_config();
    if server.control == Some(false) {
        return Err(Error::NotFound(path.to_owned()));
    }
    let tenant_token = match scope {
        Scope::Server => None,
        Scope::Tenant(t) => t.config().admin_token.as_ref(),
    };
    if !state.admin_guard() && tenant_token.is_none() {
        return Ok(());
    }
    let accepted: Vec<&str> = server.admin_token.iter().chain(tenant_token).map(|t| t.expose()).collect();
    if accepted.is_empty() {
        return Err(Error::ControlForbidden(match scope {
            Scope::Server => "server-wide _mock/ routes open only with server.admin_token, and none is set; a tenant's \
                              admin_token never opens them (P125)"
                .to_owned(),
            Scope::Tenant(t) => format!(
                "tenant {:?} has no admin_token and the server none, while an admin token is configured elsewhere: its \
                 _mock/ routes are closed (P125)",
                t.name()
            ),
        }));
    }
    match bearer(headers) {
        None => Err(Error::ControlUnauthorized(
            "this route needs Authorization: Bearer <admin token> (P125)".into(),
        )),
        Some(given) if accepted.iter().any(|e| same_token(e, given)) => Ok(()),
        Some(_) => Err(Error::ControlUnauthorized(match scope {
            Scope::Server => "the admin token is wrong: server-wide routes open with server.admin_token only".into(),
            Scope::Tenant(_) => "the admin token is wrong: a tenant's routes open with its own admin_token or the server's".into(),
        })),
    }
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
}

/// Compares digests in constant time, so neither the length nor the first differing byte of the
/// configured token shows in the time an answer takes.
fn same_token(expected: &str, given: &str) -> bool {
    Sha256::digest(expected.as_bytes()).ct_eq(&Sha256::digest(given.as_bytes())).into()
}

/// Whether `ip` is reachable from this host only: 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Why serving `config` on `addr` would hand the open controls to other hosts, or `None` when it
/// would not (loopback, the controls off, or an admin token configured). The CLI refuses to
/// start on `Some` unless told the provider is meant to be open.
pub fn open_exposure(addr: SocketAddr, config: &Config) -> Option<String> {
    if is_loopback(addr.ip()) || config.server.control == Some(false) || guard_on(config) {
        return None;
    }
    Some(format!(
        "listening on {addr}, beyond loopback, with the _mock/ test controls open and no admin token: anyone who can \
         reach this port can mint tokens that relying parties accept, replace signing keys, delete an issuer and \
         recreate it with new keys, add users and clients, arm faults, move the clock and read the journal"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p125_loopback_is_127_slash_8_and_v6_loopback_including_the_mapped_form() {
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip} is loopback");
        }
        for ip in ["0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1", "fe80::1"] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip} is not loopback");
        }
    }

    #[test]
    fn p125_odd_spellings_of_server_routes_are_guarded_and_public_routes_are_not() {
        for p in [
            "/_mock/issuers",
            "//_mock/issuers",
            "/_mock//issuers",
            "/_x/_mock/clock",
            "/_mock/ready/",
        ] {
            assert!(is_server_control(p), "{p}");
        }
        for p in ["/_mock/ready", "/_mock/ca.pem", "/.well-known/openid-configuration", "/_mockery"] {
            assert!(!is_server_control(p), "{p}");
        }
    }

    #[test]
    fn p125_same_token_needs_the_exact_token() {
        assert!(same_token("s3cret", "s3cret"));
        assert!(!same_token("s3cret", "s3cre"));
        assert!(!same_token("s3cret", "s3cret "));
        assert!(!same_token("s3cret", ""));
    }
}
