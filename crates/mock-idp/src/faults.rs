//! Fault plans of a tenant (P144-P149): what a fault is, as configured or requested, and the
//! armed faults of one tenant. The layer that applies them to requests (P139, P146) is in
//! `middleware.rs`.
//!
//! A fault is a `FaultSpec`: a target endpoint (or `all`), a kind, and a scope (the next N
//! requests, a duration on the tenant clock, a probability from a seeded generator, or until
//! cleared). The same struct is read from the config file (`[[tenant.faults]]`, armed when the
//! tenant is built or reset, so a provider can start with discovery down for its first 5 s),
//! from `POST {base}/_mock/faults`, and from `Tenant::add_fault`.
//!
//! What a client sees, by kind:
//! - `latency`: the normal answer, `ms` (+ up to `jitter_ms`) later.
//! - `status`: that status (500, 502, 503, 504), the `body` given or the reason phrase.
//! - `truncated_json`, `wrong_content_type`, `empty_body`, `oversized_body`: the handler runs
//!   (its side effects happen, as when a network breaks a real answer) and its response is cut in
//!   half, relabelled `text/html`, emptied, or padded with spaces to `mib` MiB (still valid JSON,
//!   so only a size limit catches it).
//! - `connection_closed`: no status line at all. The response body fails before its first byte,
//!   so hyper drops the connection with the head still unsent; clients report an incomplete
//!   message / connection closed error.
//! - `hang`: nothing, until the client gives up, the faults are cleared, or `max_ms` (default
//!   5 minutes) passes, whichever comes first.
//! - content faults: a JWKS that is empty, has one extra Ed448 key (P36), or labels every key
//!   with an `alg` of another family; a discovery document whose `issuer` differs, whose
//!   algorithm list omits the signer, or whose `jwks_uri` points at a closed port.
//! - `oauth_error`: `{"error": .., "error_description": ..}` with the chosen status (P149).
//!
//! Only protocol endpoints take faults: `_mock/` routes never do, so a test can always clear them.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::HeaderValue;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use crate::endpoint::{Endpoint, Target};

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

/// The wire form of a [`FaultSpec`]: every parameter of every kind, each optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFaultSpec {
    endpoint: Target,
    kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jitter_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mib: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    times: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    for_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
}

/// A fault object that does not describe a fault: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadFault {
    /// The field (`ms`, `status`, ...).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl std::fmt::Display for BadFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl RawFaultSpec {
    /// The typed fault: refuses a parameter the kind does not take and a missing required one.
    pub(crate) fn into_spec(self) -> Result<FaultSpec, BadFault> {
        use FaultKind as K;
        let bad = |field: &str, reason: String| BadFault {
            field: field.to_owned(),
            reason,
        };
        let params: [(&str, bool, &[K]); 11] = [
            ("ms", self.ms.is_some(), &[K::Latency]),
            ("jitter_ms", self.jitter_ms.is_some(), &[K::Latency]),
            ("status", self.status.is_some(), &[K::Status, K::OauthError]),
            ("body", self.body.is_some(), &[K::Status]),
            ("content_type", self.content_type.is_some(), &[K::Status, K::WrongContentType]),
            ("mib", self.mib.is_some(), &[K::OversizedBody]),
            ("max_ms", self.max_ms.is_some(), &[K::Hang]),
            ("error", self.error.is_some(), &[K::OauthError]),
            ("error_description", self.error_description.is_some(), &[K::OauthError]),
            ("issuer", self.issuer.is_some(), &[K::DiscoveryIssuerMismatch]),
            ("url", self.url.is_some(), &[K::DiscoveryJwksUnreachable]),
        ];
        for (field, present, kinds) in params {
            if present && !kinds.contains(&self.kind) {
                return Err(bad(field, format!("{field} does not apply to kind {}", self.kind.as_str())));
            }
        }
        let fault = match self.kind {
            K::Latency => Fault::Latency {
                ms: self.ms.ok_or_else(|| bad("ms", "latency needs ms".into()))?,
                jitter_ms: self.jitter_ms,
            },
            K::Status => Fault::Status {
                status: self
                    .status
                    .ok_or_else(|| bad("status", "status needs one of 500, 502, 503, 504".into()))?,
                body: self.body,
                content_type: self.content_type,
            },
            K::TruncatedJson => Fault::TruncatedJson,
            K::WrongContentType => Fault::WrongContentType {
                content_type: self.content_type,
            },
            K::EmptyBody => Fault::EmptyBody,
            K::OversizedBody => Fault::OversizedBody {
                mib: self
                    .mib
                    .ok_or_else(|| bad("mib", "oversized_body needs mib between 1 and 64".into()))?,
            },
            K::ConnectionClosed => Fault::ConnectionClosed,
            K::Hang => Fault::Hang { max_ms: self.max_ms },
            K::JwksEmpty => Fault::JwksEmpty,
            K::JwksUnsupportedKey => Fault::JwksUnsupportedKey,
            K::JwksWrongKeyType => Fault::JwksWrongKeyType,
            K::DiscoveryIssuerMismatch => Fault::DiscoveryIssuerMismatch { issuer: self.issuer },
            K::DiscoveryAlgOmitted => Fault::DiscoveryAlgOmitted,
            K::DiscoveryJwksUnreachable => Fault::DiscoveryJwksUnreachable { url: self.url },
            K::OauthError => Fault::OauthError {
                error: self
                    .error
                    .ok_or_else(|| bad("error", "oauth_error needs an error code of printable ASCII (RFC 6749 §5.2)".into()))?,
                error_description: self.error_description,
                status: self.status,
            },
        };
        Ok(FaultSpec {
            endpoint: self.endpoint,
            fault,
            times: self.times,
            for_s: self.for_s,
            probability: self.probability,
            seed: self.seed,
        })
    }
}

impl From<&FaultSpec> for RawFaultSpec {
    fn from(spec: &FaultSpec) -> RawFaultSpec {
        let mut raw = RawFaultSpec {
            endpoint: spec.endpoint,
            kind: spec.fault.kind(),
            ms: None,
            jitter_ms: None,
            status: None,
            body: None,
            content_type: None,
            mib: None,
            max_ms: None,
            error: None,
            error_description: None,
            issuer: None,
            url: None,
            times: spec.times,
            for_s: spec.for_s,
            probability: spec.probability,
            seed: spec.seed,
        };
        match spec.fault.clone() {
            Fault::Latency { ms, jitter_ms } => (raw.ms, raw.jitter_ms) = (Some(ms), jitter_ms),
            Fault::Status {
                status,
                body,
                content_type,
            } => (raw.status, raw.body, raw.content_type) = (Some(status), body, content_type),
            Fault::WrongContentType { content_type } => raw.content_type = content_type,
            Fault::OversizedBody { mib } => raw.mib = Some(mib),
            Fault::Hang { max_ms } => raw.max_ms = max_ms,
            Fault::DiscoveryIssuerMismatch { issuer } => raw.issuer = issuer,
            Fault::DiscoveryJwksUnreachable { url } => raw.url = url,
            Fault::OauthError {
                error,
                error_description,
                status,
            } => (raw.error, raw.error_description, raw.status) = (Some(error), error_description, status),
            Fault::TruncatedJson
            | Fault::EmptyBody
            | Fault::ConnectionClosed
            | Fault::JwksEmpty
            | Fault::JwksUnsupportedKey
            | Fault::JwksWrongKeyType
            | Fault::DiscoveryAlgOmitted => {}
        }
        raw
    }
}

impl Serialize for FaultSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawFaultSpec::from(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<FaultSpec, D::Error> {
        RawFaultSpec::deserialize(deserializer)?
            .into_spec()
            .map_err(serde::de::Error::custom)
    }
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
    fn label(&self) -> String {
        match &self.fault {
            Fault::Latency { ms, .. } => format!("latency:{ms}ms"),
            Fault::Status { status, .. } => format!("status:{status}"),
            Fault::OauthError { error, .. } => format!("oauth_error:{error}"),
            other => other.kind().as_str().to_owned(),
        }
    }
}

/// An armed fault, as listed by `GET {base}/_mock/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultInfo {
    /// Id, for `DELETE {base}/_mock/faults/{id}`.
    pub id: u64,
    /// The fault.
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// Requests it still applies to, when limited by `times`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining: Option<u64>,
    /// Tenant time it ends at, when limited by `for_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<f64>,
    /// Requests it has been applied to.
    pub applied: u64,
}

#[derive(Debug)]
struct Armed {
    info: FaultInfo,
    rng: ChaCha20Rng,
}

#[derive(Debug, Default)]
struct Plan {
    armed: Vec<Armed>,
    next_id: u64,
}

/// A tenant's faults. `clear` also wakes every request that hangs.
#[derive(Debug)]
pub struct FaultPlan {
    plan: Mutex<Plan>,
    cleared: watch::Sender<u64>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            plan: Mutex::new(Plan::default()),
            cleared: watch::channel(0).0,
        }
    }
}

/// What the faults decided for one request.
#[derive(Debug, Default)]
pub struct Decision {
    /// Total delay before anything else.
    pub delay: Duration,
    /// The fault that answers (or changes the answer), if any.
    pub action: Option<FaultSpec>,
    /// Labels of every applied fault, for the journal.
    pub labels: Vec<String>,
}

impl FaultPlan {
    /// A plan armed with the faults of a configuration at tenant time `now`.
    pub fn from_config(specs: &[FaultSpec], now: f64) -> FaultPlan {
        let plan = FaultPlan::default();
        for spec in specs {
            plan.add(spec.clone(), now);
        }
        plan
    }

    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        crate::sync::lock(&self.plan)
    }

    /// Arms a fault (validated by the caller) at tenant time `now`; returns what was armed.
    pub fn add(&self, spec: FaultSpec, now: f64) -> FaultInfo {
        let mut plan = self.plan();
        plan.next_id += 1;
        let info = FaultInfo {
            id: plan.next_id,
            remaining: spec.times,
            until: spec.for_s.map(|s| now + s),
            applied: 0,
            spec,
        };
        let rng = ChaCha20Rng::seed_from_u64(info.spec.seed.unwrap_or(0));
        plan.armed.push(Armed { info: info.clone(), rng });
        info
    }

    /// The faults still armed at tenant time `now`.
    pub fn list(&self, now: f64) -> Vec<FaultInfo> {
        let mut plan = self.plan();
        plan.armed.retain(|a| live(&a.info, now));
        plan.armed.iter().map(|a| a.info.clone()).collect()
    }

    /// Removes one fault; false when there is none with that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut plan = self.plan();
        let before = plan.armed.len();
        plan.armed.retain(|a| a.info.id != id);
        let removed = plan.armed.len() != before;
        drop(plan);
        if removed {
            self.cleared.send_modify(|n| *n += 1);
        }
        removed
    }

    /// Removes every fault and wakes hanging requests.
    pub fn clear(&self) {
        self.plan().armed.clear();
        self.cleared.send_modify(|n| *n += 1);
    }

    /// Replaces every fault with `specs`, armed at `now` (reset, P127).
    pub fn reset_to(&self, specs: &[FaultSpec], now: f64) {
        self.clear();
        for spec in specs {
            self.add(spec.clone(), now);
        }
    }

    /// Decides the faults of one request to `endpoint` at tenant time `now`, and counts them.
    pub fn decide(&self, endpoint: Endpoint, now: f64) -> Decision {
        let mut plan = self.plan();
        plan.armed.retain(|a| live(&a.info, now));
        let mut decision = Decision::default();
        for armed in plan.armed.iter_mut() {
            let spec = &armed.info.spec;
            if !spec.endpoint.matches(endpoint) {
                continue;
            }
            let latency = match spec.fault {
                Fault::Latency { ms, jitter_ms } => Some((ms, jitter_ms)),
                _ => None,
            };
            if latency.is_none() && decision.action.is_some() {
                continue;
            }
            if let Some(p) = spec.probability {
                if armed.rng.gen::<f64>() >= p {
                    continue;
                }
            }
            if let Some((ms, jitter_ms)) = latency {
                let jitter = match jitter_ms {
                    Some(j) if j > 0 => armed.rng.gen_range(0..=j),
                    _ => 0,
                };
                decision.delay += Duration::from_millis(ms + jitter);
            } else {
                decision.action = Some(spec.clone());
            }
            decision.labels.push(spec.label());
            armed.info.applied += 1;
            if let Some(r) = armed.info.remaining.as_mut() {
                *r = r.saturating_sub(1);
            }
        }
        plan.armed.retain(|a| live(&a.info, now));
        decision
    }

    /// A receiver that changes whenever faults are cleared or removed (ends a hang).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.cleared.subscribe()
    }
}

fn live(info: &FaultInfo, now: f64) -> bool {
    info.remaining != Some(0) && info.until.is_none_or(|u| now < u)
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

    #[test]
    fn p146_latencies_stack_one_fault_answers_and_times_runs_out() {
        let plan = FaultPlan::default();
        let latency = FaultSpec::new(Target::All, Fault::Latency { ms: 5, jitter_ms: None });
        plan.add(latency.clone(), 0.0);
        plan.add(latency, 0.0);
        plan.add(FaultSpec::status(Endpoint::Jwks, 503).times(1), 0.0);
        plan.add(FaultSpec::status(Endpoint::Jwks, 500), 0.0);
        let d = plan.decide(Endpoint::Jwks, 0.0);
        assert_eq!(d.delay, Duration::from_millis(10));
        assert!(matches!(d.action.map(|a| a.fault), Some(Fault::Status { status: 503, .. })));
        let d = plan.decide(Endpoint::Jwks, 0.0);
        assert!(
            matches!(d.action.map(|a| a.fault), Some(Fault::Status { status: 500, .. })),
            "the first one is used up"
        );
        assert!(plan.decide(Endpoint::Mint, 0.0).labels.is_empty(), "controls never take faults");
    }

    #[test]
    fn p146_duration_ends_on_the_tenant_clock() {
        let plan = FaultPlan::default();
        plan.add(FaultSpec::status(Endpoint::Token, 503).for_s(10.0), 100.0);
        assert!(plan.decide(Endpoint::Token, 109.9).action.is_some());
        assert!(plan.decide(Endpoint::Token, 110.0).action.is_none());
        assert!(plan.list(110.0).is_empty());
    }

    #[test]
    fn p144_the_wire_form_is_flat_and_a_parameter_of_another_kind_is_named() {
        let wire = serde_json::json!({"endpoint": "all", "kind": "latency", "ms": 5, "jitter_ms": 2, "times": 3, "seed": 7});
        let spec: FaultSpec = serde_json::from_value(wire.clone()).unwrap();
        let want = FaultSpec {
            seed: Some(7),
            ..FaultSpec::new(Target::All, Fault::Latency { ms: 5, jitter_ms: Some(2) }).times(3)
        };
        assert_eq!(spec, want);
        assert_eq!(serde_json::to_value(&spec).unwrap(), wire, "serialized back to the same object");
        let hang: FaultSpec = serde_json::from_value(serde_json::json!({"endpoint": "token", "kind": "hang"})).unwrap();
        assert_eq!(hang, FaultSpec::new(Endpoint::Token, Fault::Hang { max_ms: None }));
        for (wire, message) in [
            (
                serde_json::json!({"endpoint": "jwks", "kind": "latency", "ms": 1, "mib": 2}),
                "mib: mib does not apply to kind latency",
            ),
            (serde_json::json!({"endpoint": "jwks", "kind": "latency"}), "ms: latency needs ms"),
            (
                serde_json::json!({"endpoint": "jwks", "kind": "status"}),
                "status: status needs one of 500, 502, 503, 504",
            ),
            (
                serde_json::json!({"endpoint": "jwks", "kind": "oauth_error", "body": "x"}),
                "body: body does not apply to kind oauth_error",
            ),
            (serde_json::json!({"endpoint": "mint", "kind": "hang"}), "unknown variant `mint`"),
        ] {
            let err = serde_json::from_value::<FaultSpec>(wire).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
        let mint = FaultSpec::new(Endpoint::Mint, Fault::EmptyBody);
        assert_eq!(
            mint.validate().unwrap_err().0,
            "endpoint",
            "the Rust API cannot target a control route either"
        );
    }
}
