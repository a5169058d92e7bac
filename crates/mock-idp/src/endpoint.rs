//! The endpoints of a tenant, named once: the journal, the counters and the fault plan all speak
//! of [`Endpoint`]; a fault picks one, or all, with [`Target`] (`all` or an `Endpoint`). Also the
//! paths of the server-wide routes that other layers need to know.
//!
//! The wire names are the serde names (`snake_case`); `as_str` reads them from the derived
//! `Serialize` without allocating (`serde_name.rs`).

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
        crate::serde_name::name(&self)
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Endpoint> {
        crate::serde_name::parse(s)
    }
}

/// Which endpoints a fault applies to (P144): every protocol endpoint, or one [`Endpoint`].
///
/// On the wire it is `all` or the endpoint's serde name; the `_mock/` routes and unserved paths
/// (`mint`, `control`, `other`) take no faults, so their names are refused as a target and
/// [`FaultSpec::validate`](crate::faults::FaultSpec::validate) refuses them from Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every protocol endpoint.
    All,
    /// One endpoint.
    Endpoint(Endpoint),
}

impl Endpoint {
    /// Whether faults apply here: every protocol endpoint, never the `_mock/` routes (so a test
    /// can always clear its faults) nor a path no route serves.
    pub fn takes_faults(self) -> bool {
        !matches!(self, Endpoint::Mint | Endpoint::Control | Endpoint::Other)
    }
}

impl From<Endpoint> for Target {
    fn from(endpoint: Endpoint) -> Target {
        Target::Endpoint(endpoint)
    }
}

impl Target {
    /// Every target, `all` first, then the endpoints that take faults in [`Endpoint::ALL`]'s order.
    pub fn every() -> impl Iterator<Item = Target> {
        std::iter::once(Target::All).chain(Endpoint::ALL.into_iter().filter(|e| e.takes_faults()).map(Target::Endpoint))
    }

    /// Whether a request to `endpoint` is targeted.
    pub fn matches(self, endpoint: Endpoint) -> bool {
        endpoint.takes_faults()
            && match self {
                Target::All => true,
                Target::Endpoint(e) => e == endpoint,
            }
    }

    /// The wire name: `all` or the endpoint's.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::All => "all",
            Target::Endpoint(e) => e.as_str(),
        }
    }

    /// Parses a wire name; `None` for unknown names and endpoints that take no faults.
    pub fn parse(s: &str) -> Option<Target> {
        Target::every().find(|t| t.as_str() == s)
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Target, D::Error> {
        let name = String::deserialize(deserializer)?;
        Target::parse(&name).ok_or_else(|| {
            // The same words as serde's message for an unknown variant.
            let names: Vec<String> = Target::every().map(|t| format!("`{}`", t.as_str())).collect();
            serde::de::Error::custom(format_args!("unknown variant `{name}`, expected one of {}", names.join(", ")))
        })
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
                Some(t) => assert!(t == Target::Endpoint(e) && t.matches(e) && Target::All.matches(e), "{e:?}"),
                // Only the `_mock/` routes and unserved paths are no target: faults never apply there.
                None => {
                    assert!(matches!(e, Endpoint::Mint | Endpoint::Control | Endpoint::Other), "{e:?}");
                    assert!(
                        !e.takes_faults() && !Target::All.matches(e) && !Target::Endpoint(e).matches(e),
                        "{e:?}"
                    );
                }
            }
        }
        let all: Target = serde_json::from_value(serde_json::json!("all")).unwrap();
        assert_eq!((all, serde_json::to_value(all).unwrap()), (Target::All, serde_json::json!("all")));
        let err = serde_json::from_value::<Target>(serde_json::json!("mint")).unwrap_err().to_string();
        assert!(
            err.starts_with("unknown variant `mint`, expected one of `all`, `discovery`,"),
            "{err}"
        );
    }
}
