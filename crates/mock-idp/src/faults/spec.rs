//! What a fault is (P144-P149): its kind, the parameters each kind takes, where it applies and
//! for how long, and the value checks the types cannot make.

use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// Delay the answer by `ms`, plus up to `jitter_ms`.
    Latency,
    /// Answer `status` (500, 502, 503 or 504) with `body`.
    Status,
    /// Cut the handler's body in half.
    TruncatedJson,
    /// Label the handler's body `content_type` (default `text/html; charset=utf-8`).
    WrongContentType,
    /// Send the handler's status and headers with an empty body.
    EmptyBody,
    /// Pad the handler's body with spaces to `mib` MiB.
    OversizedBody,
    /// Close the connection without a response.
    ConnectionClosed,
    /// Never answer (until the client gives up, faults are cleared, or `max_ms`).
    Hang,
    /// JWKS `{"keys": []}`.
    JwksEmpty,
    /// JWKS with one extra key a verifier cannot parse (P36).
    JwksUnsupportedKey,
    /// JWKS whose keys carry an `alg` of the wrong key type.
    JwksWrongKeyType,
    /// Discovery with an `issuer` that differs from the URL (`issuer`, or `{issuer}/mismatch`).
    DiscoveryIssuerMismatch,
    /// Discovery whose `id_token_signing_alg_values_supported` omits the signing algorithm.
    DiscoveryAlgOmitted,
    /// Discovery whose `jwks_uri` cannot be reached (`url`, or a closed loopback port).
    DiscoveryJwksUnreachable,
    /// An OAuth error body (`error`, `error_description`) with `status` (default 400).
    OauthError,
}

impl FaultKind {
    /// Every kind, in the order the README lists them.
    pub const ALL: [FaultKind; 15] = [
        FaultKind::Latency,
        FaultKind::Status,
        FaultKind::TruncatedJson,
        FaultKind::WrongContentType,
        FaultKind::EmptyBody,
        FaultKind::OversizedBody,
        FaultKind::ConnectionClosed,
        FaultKind::Hang,
        FaultKind::JwksEmpty,
        FaultKind::JwksUnsupportedKey,
        FaultKind::JwksWrongKeyType,
        FaultKind::DiscoveryIssuerMismatch,
        FaultKind::DiscoveryAlgOmitted,
        FaultKind::DiscoveryJwksUnreachable,
        FaultKind::OauthError,
    ];

    /// The serde name, the one spelling users type.
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }
}

/// The README's list of fault kinds and targets (between `<!-- faults:begin -->` and
/// `<!-- faults:end -->`), generated from [`FaultKind::ALL`] and [`Target::every`] so that it
/// cannot drift (`crates/mock-idp/tests/it/docs.rs` compares, and prints this when they differ).
pub fn markdown_list() -> String {
    let names = |list: Vec<&str>| list.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let kinds = names(FaultKind::ALL.iter().map(|k| k.as_str()).collect());
    let targets: Vec<&str> = Target::every().map(Target::as_str).collect();
    let count = targets.len();
    format!(
        "Fault kinds ({}): {kinds}.\n\nTargets ({count}): {}.\n",
        FaultKind::ALL.len(),
        names(targets)
    )
}

/// Where a default unreachable `jwks_uri` points: the discard port on loopback, where nothing
/// listens, so the refusal is immediate.
pub const UNREACHABLE_JWKS_URI: &str = "http://127.0.0.1:9/jwks";

/// What a fault does: its kind with exactly the parameters that kind takes (P145-P149). An
/// absent optional parameter takes the default the variant names.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Delay the normal answer by `ms`, plus up to `jitter_ms` (`ms + jitter_ms` at most 10 minutes).
    Latency {
        /// Milliseconds.
        ms: u64,
        /// Extra random milliseconds, drawn from the seeded generator (none by default).
        jitter_ms: Option<u64>,
    },
    /// Answer `status` (500, 502, 503 or 504) instead of the endpoint.
    Status {
        /// The status.
        status: u16,
        /// Body text (default: the reason phrase).
        body: Option<String>,
        /// Content type (default `text/plain; charset=utf-8`).
        content_type: Option<String>,
    },
    /// Cut the handler's body in half.
    TruncatedJson,
    /// Label the handler's body `content_type`.
    WrongContentType {
        /// Content type (default `text/html; charset=utf-8`).
        content_type: Option<String>,
    },
    /// Send the handler's status and headers with an empty body.
    EmptyBody,
    /// Pad the handler's body with spaces to `mib` MiB (1-64).
    OversizedBody {
        /// Size in MiB.
        mib: u32,
    },
    /// Close the connection without a response.
    ConnectionClosed,
    /// Never answer, until the client gives up, the faults are cleared, or `max_ms` passes.
    Hang {
        /// Longest hang in milliseconds, 1-3600000 (default 5 minutes).
        max_ms: Option<u64>,
    },
    /// JWKS `{"keys": []}` (target `jwks` only).
    JwksEmpty,
    /// JWKS with one extra key a verifier cannot parse (P36; target `jwks` only).
    JwksUnsupportedKey,
    /// JWKS whose keys carry an `alg` of the wrong key type (target `jwks` only).
    JwksWrongKeyType,
    /// Discovery with an `issuer` that differs from the URL (target `discovery` only).
    DiscoveryIssuerMismatch {
        /// Issuer to advertise (default `{issuer}/mismatch`).
        issuer: Option<String>,
    },
    /// Discovery whose `id_token_signing_alg_values_supported` omits the signing algorithm
    /// (target `discovery` only).
    DiscoveryAlgOmitted,
    /// Discovery whose `jwks_uri` cannot be reached (target `discovery` only).
    DiscoveryJwksUnreachable {
        /// `jwks_uri` to advertise (default [`UNREACHABLE_JWKS_URI`]).
        url: Option<String>,
    },
    /// An OAuth error body (P149).
    OauthError {
        /// The `error` code, printable ASCII (RFC 6749 §5.2).
        error: String,
        /// The `error_description`, if any.
        error_description: Option<String>,
        /// Status, 400-599 (default 400).
        status: Option<u16>,
    },
}

impl Fault {
    /// The kind, as named on the wire by `kind`.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Latency { .. } => FaultKind::Latency,
            Fault::Status { .. } => FaultKind::Status,
            Fault::TruncatedJson => FaultKind::TruncatedJson,
            Fault::WrongContentType { .. } => FaultKind::WrongContentType,
            Fault::EmptyBody => FaultKind::EmptyBody,
            Fault::OversizedBody { .. } => FaultKind::OversizedBody,
            Fault::ConnectionClosed => FaultKind::ConnectionClosed,
            Fault::Hang { .. } => FaultKind::Hang,
            Fault::JwksEmpty => FaultKind::JwksEmpty,
            Fault::JwksUnsupportedKey => FaultKind::JwksUnsupportedKey,
            Fault::JwksWrongKeyType => FaultKind::JwksWrongKeyType,
            Fault::DiscoveryIssuerMismatch { .. } => FaultKind::DiscoveryIssuerMismatch,
            Fault::DiscoveryAlgOmitted => FaultKind::DiscoveryAlgOmitted,
            Fault::DiscoveryJwksUnreachable { .. } => FaultKind::DiscoveryJwksUnreachable,
            Fault::OauthError { .. } => FaultKind::OauthError,
        }
    }

    /// The one endpoint a content fault applies to; `None` for the kinds any target takes.
    fn only_endpoint(&self) -> Option<Endpoint> {
        match self {
            Fault::JwksEmpty | Fault::JwksUnsupportedKey | Fault::JwksWrongKeyType => Some(Endpoint::Jwks),
            Fault::DiscoveryIssuerMismatch { .. } | Fault::DiscoveryAlgOmitted | Fault::DiscoveryJwksUnreachable { .. } => {
                Some(Endpoint::Discovery)
            }
            Fault::Latency { .. }
            | Fault::Status { .. }
            | Fault::TruncatedJson
            | Fault::WrongContentType { .. }
            | Fault::EmptyBody
            | Fault::OversizedBody { .. }
            | Fault::ConnectionClosed
            | Fault::Hang { .. }
            | Fault::OauthError { .. } => None,
        }
    }
}

/// One fault as configured or requested (P144-P149): where, what, and for how long.
///
/// On the wire (control API JSON, `[[tenant.faults]]` in the configuration, scenario files) a
/// fault is one flat object, `{"endpoint": "jwks", "kind": "status", "status": 503, "times": 2}`:
/// `kind` names the [`Fault`] variant and its parameters sit beside it. Reading that object
/// refuses unknown fields, a parameter the kind does not take, and a missing required one,
/// naming the field; [`FaultSpec::validate`] then checks the values.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Target endpoint, or `all`.
    pub endpoint: Target,
    /// What happens.
    pub fault: Fault,
    /// Scope: the next N matching requests.
    pub times: Option<u64>,
    /// Scope: this many seconds of tenant time from when it is armed (P143).
    pub for_s: Option<f64>,
    /// Scope: each matching request is hit with this probability (0-1].
    pub probability: Option<f64>,
    /// Seed of the generator behind `probability` and `jitter_ms` (default 0): same seed, same hits.
    pub seed: Option<u64>,
}

impl FaultSpec {
    /// `fault` on `endpoint` (an [`Endpoint`] or a [`Target`]), with no scope (until cleared).
    pub fn new(endpoint: impl Into<Target>, fault: Fault) -> FaultSpec {
        FaultSpec {
            endpoint: endpoint.into(),
            fault,
            times: None,
            for_s: None,
            probability: None,
            seed: None,
        }
    }

    /// `status` faults: answer `status` instead of the endpoint.
    pub fn status(endpoint: impl Into<Target>, status: u16) -> FaultSpec {
        FaultSpec::new(
            endpoint,
            Fault::Status {
                status,
                body: None,
                content_type: None,
            },
        )
    }

    /// Limits the fault to the next `n` matching requests.
    pub fn times(mut self, n: u64) -> FaultSpec {
        self.times = Some(n);
        self
    }

    /// Limits the fault to `secs` seconds of tenant time.
    pub fn for_s(mut self, secs: f64) -> FaultSpec {
        self.for_s = Some(secs);
        self
    }

    /// Hits each matching request with probability `p`, drawn from a generator seeded with `seed`.
    pub fn probability(mut self, p: f64, seed: u64) -> FaultSpec {
        (self.probability, self.seed) = (Some(p), Some(seed));
        self
    }

    /// Checks the values the type cannot (target, ranges, header and URL syntax, scope);
    /// returns the failing field and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |f: &str, r: String| Err((f.to_owned(), r));
        let kind = self.fault.kind().as_str();
        if let Target::Endpoint(e) = self.endpoint {
            if !e.takes_faults() {
                return bad("endpoint", format!("{} takes no faults", e.as_str()));
            }
        }
        if let Some(only) = self.fault.only_endpoint() {
            if self.endpoint != Target::Endpoint(only) {
                return bad("endpoint", format!("kind {kind} only applies to endpoint {}", only.as_str()));
            }
        }
        let mut content_type = None;
        match &self.fault {
            Fault::Latency { ms, jitter_ms } => {
                if ms.saturating_add(jitter_ms.unwrap_or(0)) > 600_000 {
                    return bad("ms", "ms + jitter_ms is at most 600000 (10 minutes)".into());
                }
            }
            Fault::Status {
                status, content_type: ct, ..
            } => {
                if !matches!(status, 500 | 502 | 503 | 504) {
                    return bad("status", format!("{status} is not one of 500, 502, 503, 504"));
                }
                content_type = ct.as_deref();
            }
            Fault::WrongContentType { content_type: ct } => content_type = ct.as_deref(),
            Fault::OversizedBody { mib } => {
                if !(1..=64).contains(mib) {
                    return bad("mib", "oversized_body needs mib between 1 and 64".into());
                }
            }
            Fault::Hang { max_ms } => {
                if max_ms.is_some_and(|m| m == 0 || m > 3_600_000) {
                    return bad("max_ms", "max_ms is between 1 and 3600000".into());
                }
            }
            Fault::OauthError { error, status, .. } => {
                let code_ok = !error.is_empty() && error.chars().all(|c| ('\x20'..='\x7e').contains(&c) && c != '"' && c != '\\');
                if !code_ok {
                    return bad("error", "oauth_error needs an error code of printable ASCII (RFC 6749 §5.2)".into());
                }
                if let Some(s) = status {
                    if !(400..=599).contains(s) {
                        return bad("status", format!("{s} is not an error status (400-599)"));
                    }
                }
            }
            Fault::DiscoveryJwksUnreachable { url: Some(url) } => {
                crate::urls::check_url(url).map_err(|r| ("url".to_owned(), r))?;
            }
            Fault::DiscoveryJwksUnreachable { url: None }
            | Fault::TruncatedJson
            | Fault::EmptyBody
            | Fault::ConnectionClosed
            | Fault::JwksEmpty
            | Fault::JwksUnsupportedKey
            | Fault::JwksWrongKeyType
            | Fault::DiscoveryIssuerMismatch { .. }
            | Fault::DiscoveryAlgOmitted => {}
        }
        if let Some(ct) = content_type {
            if HeaderValue::from_str(ct).is_err() {
                return bad("content_type", "not a valid header value".into());
            }
        }
        if self.times == Some(0) {
            return bad("times", "times is at least 1 (leave it out for no limit)".into());
        }
        if let Some(s) = self.for_s {
            if !(s.is_finite() && s > 0.0) {
                return bad("for_s", "for_s is a positive number of seconds".into());
            }
        }
        if let Some(p) = self.probability {
            if !(p > 0.0 && p <= 1.0) {
                return bad("probability", "probability is in (0, 1]".into());
            }
        }
        Ok(())
    }

    /// How the journal names an applied fault.
    pub(super) fn label(&self) -> String {
        match &self.fault {
            Fault::Latency { ms, .. } => format!("latency:{ms}ms"),
            Fault::Status { status, .. } => format!("status:{status}"),
            Fault::OauthError { error, .. } => format!("oauth_error:{error}"),
            other => other.kind().as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn every_kind_and_target_is_listed_once_under_its_serde_name() {
        for k in FaultKind::ALL {
            // A new variant fails to compile here until it is added to ALL and named.
            match k {
                FaultKind::Latency
                | FaultKind::Status
                | FaultKind::TruncatedJson
                | FaultKind::WrongContentType
                | FaultKind::EmptyBody
                | FaultKind::OversizedBody
                | FaultKind::ConnectionClosed
                | FaultKind::Hang
                | FaultKind::JwksEmpty
                | FaultKind::JwksUnsupportedKey
                | FaultKind::JwksWrongKeyType
                | FaultKind::DiscoveryIssuerMismatch
                | FaultKind::DiscoveryAlgOmitted
                | FaultKind::DiscoveryJwksUnreachable
                | FaultKind::OauthError => {}
            }
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str(), "{k:?}");
            assert_eq!(FaultKind::ALL.iter().filter(|x| **x == k).count(), 1, "{k:?}");
        }
        let targets: Vec<Target> = Target::every().collect();
        for t in &targets {
            let name = serde_json::to_value(t).unwrap();
            assert_eq!(serde_json::from_value::<Target>(name).unwrap(), *t);
            assert_eq!(targets.iter().filter(|x| *x == t).count(), 1, "{t:?}");
        }
        assert_eq!(targets.len(), 10, "all and the nine protocol endpoints");
        let list = markdown_list();
        assert!(list.contains("`truncated_json`") && list.contains("`end_session`"), "{list}");
    }

    #[test]
    fn p147_faults_in_the_config_file_parse_and_errors_name_the_field() {
        let ok = "[[tenant]]\nname = \"t\"\n[[tenant.faults]]\nendpoint = \"discovery\"\nkind = \"status\"\nstatus = 503\nfor_s = 5\n";
        let config = Config::from_toml(ok, std::path::Path::new("faults.toml")).expect("a valid fault loads");
        assert_eq!(
            config.tenants[0].faults,
            vec![FaultSpec::status(Endpoint::Discovery, 503).for_s(5.0)]
        );
        let bad = ok.replace("503", "418");
        let err = Config::from_toml(&bad, std::path::Path::new("faults.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tenant[0].faults[0].status"), "{err}");
    }
}
