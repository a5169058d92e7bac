//! The endpoints of a tenant, named once: the journal, the counters and the fault plan all speak
//! of [`Endpoint`]; a fault picks one, or all, with [`Target`]. Also the paths of the
//! server-wide routes that other layers need to know.
//!
//! The wire names are the serde names (`snake_case`); `as_str` returns the same text without
//! allocating, and a test holds the two together.

use serde::{Deserialize, Serialize};

/// Where the provider's CA certificate is served (TLS with generated material).
pub const CA_PATH: &str = "/_mock/ca.pem";

/// The readiness route.
pub const READY_PATH: &str = "/_mock/ready";

/// The endpoint a request was addressed to, as named in the journal, counters and faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `/.well-known/openid-configuration` and the RFC 8414 metadata.
    Discovery,
    /// `/jwks`.
    Jwks,
    /// `/token`.
    Token,
    /// `/authorize`.
    Authorize,
    /// `/userinfo`.
    Userinfo,
    /// `/introspect`.
    Introspection,
    /// `/revoke`.
    Revocation,
    /// `/logout`.
    EndSession,
    /// `/login` (the login form's target).
    Login,
    /// `/_mock/mint`.
    Mint,
    /// Every other `/_mock/` route.
    Control,
    /// A path no route serves.
    Other,
}

impl Endpoint {
    /// Every endpoint, in a fixed order.
    pub const ALL: [Endpoint; 12] = [
        Endpoint::Discovery,
        Endpoint::Jwks,
        Endpoint::Token,
        Endpoint::Authorize,
        Endpoint::Userinfo,
        Endpoint::Introspection,
        Endpoint::Revocation,
        Endpoint::EndSession,
        Endpoint::Login,
        Endpoint::Mint,
        Endpoint::Control,
        Endpoint::Other,
    ];

    /// The name used on the wire (`end_session`, `jwks`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Discovery => "discovery",
            Endpoint::Jwks => "jwks",
            Endpoint::Token => "token",
            Endpoint::Authorize => "authorize",
            Endpoint::Userinfo => "userinfo",
            Endpoint::Introspection => "introspection",
            Endpoint::Revocation => "revocation",
            Endpoint::EndSession => "end_session",
            Endpoint::Login => "login",
            Endpoint::Mint => "mint",
            Endpoint::Control => "control",
            Endpoint::Other => "other",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

/// Which endpoint a fault applies to (P144).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// Every protocol endpoint below.
    All,
    /// The discovery document.
    Discovery,
    /// The JWKS.
    Jwks,
    /// The token endpoint.
    Token,
    /// The authorization endpoint.
    Authorize,
    /// The userinfo endpoint.
    Userinfo,
    /// Introspection.
    Introspection,
    /// Revocation.
    Revocation,
    /// End-session (logout).
    EndSession,
    /// The login form's target.
    Login,
}

impl Target {
    /// Every target, `all` first.
    pub const ALL: [Target; 10] = [
        Target::All,
        Target::Discovery,
        Target::Jwks,
        Target::Token,
        Target::Authorize,
        Target::Userinfo,
        Target::Introspection,
        Target::Revocation,
        Target::EndSession,
        Target::Login,
    ];

    /// Whether a request to `endpoint` is targeted.
    pub fn matches(self, endpoint: Endpoint) -> bool {
        let named = match self {
            Target::All => {
                return !matches!(endpoint, Endpoint::Mint | Endpoint::Control | Endpoint::Other);
            }
            Target::Discovery => Endpoint::Discovery,
            Target::Jwks => Endpoint::Jwks,
            Target::Token => Endpoint::Token,
            Target::Authorize => Endpoint::Authorize,
            Target::Userinfo => Endpoint::Userinfo,
            Target::Introspection => Endpoint::Introspection,
            Target::Revocation => Endpoint::Revocation,
            Target::EndSession => Endpoint::EndSession,
            Target::Login => Endpoint::Login,
        };
        named == endpoint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_is_the_serde_name_and_parse_reads_it_back() {
        for e in Endpoint::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str(), "{e:?}");
            assert_eq!(Endpoint::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn a_target_names_the_endpoint_of_the_same_serde_name() {
        for e in Endpoint::ALL {
            let target: Option<Target> = serde_json::from_value(serde_json::json!(e.as_str())).ok();
            match target {
                Some(t) => assert!(t.matches(e) && Target::All.matches(e), "{e:?}"),
                // Only the `_mock/` routes and unserved paths are no target: faults never apply there.
                None => assert!(matches!(e, Endpoint::Mint | Endpoint::Control | Endpoint::Other), "{e:?}"),
            }
        }
    }
}
