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

use crate::endpoint::Endpoint;
pub use crate::endpoint::Target;

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

    /// The serde name, the one spelling users type (a test keeps the two equal).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::Status => "status",
            FaultKind::TruncatedJson => "truncated_json",
            FaultKind::WrongContentType => "wrong_content_type",
            FaultKind::EmptyBody => "empty_body",
            FaultKind::OversizedBody => "oversized_body",
            FaultKind::ConnectionClosed => "connection_closed",
            FaultKind::Hang => "hang",
            FaultKind::JwksEmpty => "jwks_empty",
            FaultKind::JwksUnsupportedKey => "jwks_unsupported_key",
            FaultKind::JwksWrongKeyType => "jwks_wrong_key_type",
            FaultKind::DiscoveryIssuerMismatch => "discovery_issuer_mismatch",
            FaultKind::DiscoveryAlgOmitted => "discovery_alg_omitted",
            FaultKind::DiscoveryJwksUnreachable => "discovery_jwks_unreachable",
            FaultKind::OauthError => "oauth_error",
        }
    }
}

/// The README's list of fault kinds and targets (between `<!-- faults:begin -->` and
/// `<!-- faults:end -->`), generated from [`FaultKind::ALL`] and [`Target::ALL`] so that it
/// cannot drift (`crates/mock-idp/tests/it/docs.rs` compares, and prints this when they differ).
pub fn markdown_list() -> String {
    let names = |list: Vec<String>| list.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    let kinds = names(FaultKind::ALL.iter().map(|k| k.as_str().to_owned()).collect());
    let targets = names(
        Target::ALL
            .iter()
            .map(|t| {
                serde_json::to_value(t)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect(),
    );
    format!(
        "Fault kinds ({}): {kinds}.\n\nTargets ({}): {targets}.\n",
        FaultKind::ALL.len(),
        Target::ALL.len()
    )
}

/// Where a default unreachable `jwks_uri` points: the discard port on loopback, where nothing
/// listens, so the refusal is immediate.
pub const UNREACHABLE_JWKS_URI: &str = "http://127.0.0.1:9/jwks";

/// One fault as configured or requested (P144-P149). Fields that a kind does not use must be
/// absent; `validate` names the first one that is not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Target endpoint, or `all`.
    pub endpoint: Target,
    /// What happens.
    pub kind: FaultKind,
    /// Latency in milliseconds (`latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
    /// Extra random latency, up to this many milliseconds (`latency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter_ms: Option<u64>,
    /// Status code (`status`: 500/502/503/504; `oauth_error`: 400-599).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Body text (`status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Content type (`status`, `wrong_content_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Size in MiB (`oversized_body`, 1-64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mib: Option<u32>,
    /// Longest hang in milliseconds (`hang`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
    /// OAuth error code (`oauth_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// OAuth error description (`oauth_error`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Issuer to advertise (`discovery_issuer_mismatch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `jwks_uri` to advertise (`discovery_jwks_unreachable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Scope: the next N matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Scope: this many seconds of tenant time from when it is armed (P143).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_s: Option<f64>,
    /// Scope: each matching request is hit with this probability (0-1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed of the generator behind `probability` and `jitter_ms` (default 0): same seed, same hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl FaultSpec {
    /// A fault of `kind` on `endpoint`, with no parameters and no scope (until cleared).
    pub fn new(endpoint: Target, kind: FaultKind) -> FaultSpec {
        FaultSpec {
            endpoint,
            kind,
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
            times: None,
            for_s: None,
            probability: None,
            seed: None,
        }
    }

    /// `status` faults: answer `status` instead of the endpoint.
    pub fn status(endpoint: Target, status: u16) -> FaultSpec {
        FaultSpec {
            status: Some(status),
            ..FaultSpec::new(endpoint, FaultKind::Status)
        }
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

    /// Checks kind, parameters and scope; returns the failing field and the reason.
    pub fn validate(&self) -> Result<(), (String, String)> {
        use FaultKind as K;
        let bad = |f: &str, r: String| Err((f.to_owned(), r));
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
                return bad(field, format!("{field} does not apply to kind {}", self.kind.as_str()));
            }
        }
        let endpoint_ok = match self.kind {
            K::JwksEmpty | K::JwksUnsupportedKey | K::JwksWrongKeyType => self.endpoint == Target::Jwks,
            K::DiscoveryIssuerMismatch | K::DiscoveryAlgOmitted | K::DiscoveryJwksUnreachable => self.endpoint == Target::Discovery,
            _ => true,
        };
        if !endpoint_ok {
            let want = if self.kind.as_str().starts_with("jwks") {
                "jwks"
            } else {
                "discovery"
            };
            return bad("endpoint", format!("kind {} only applies to endpoint {want}", self.kind.as_str()));
        }
        match self.kind {
            K::Latency if self.ms.is_none() => return bad("ms", "latency needs ms".into()),
            K::Latency if self.ms.unwrap_or(0) + self.jitter_ms.unwrap_or(0) > 600_000 => {
                return bad("ms", "ms + jitter_ms is at most 600000 (10 minutes)".into())
            }
            K::Status => match self.status {
                None => return bad("status", "status needs one of 500, 502, 503, 504".into()),
                Some(500 | 502 | 503 | 504) => {}
                Some(s) => return bad("status", format!("{s} is not one of 500, 502, 503, 504")),
            },
            K::OversizedBody => match self.mib {
                Some(1..=64) => {}
                _ => return bad("mib", "oversized_body needs mib between 1 and 64".into()),
            },
            K::Hang if self.max_ms.is_some_and(|m| m == 0 || m > 3_600_000) => {
                return bad("max_ms", "max_ms is between 1 and 3600000".into())
            }
            K::OauthError => {
                let code_ok = self
                    .error
                    .as_deref()
                    .is_some_and(|e| !e.is_empty() && e.chars().all(|c| ('\x20'..='\x7e').contains(&c) && c != '"' && c != '\\'));
                if !code_ok {
                    return bad("error", "oauth_error needs an error code of printable ASCII (RFC 6749 §5.2)".into());
                }
                if let Some(s) = self.status {
                    if !(400..=599).contains(&s) {
                        return bad("status", format!("{s} is not an error status (400-599)"));
                    }
                }
            }
            K::DiscoveryJwksUnreachable => {
                if let Some(url) = &self.url {
                    crate::urls::check_url(url).map_err(|r| ("url".to_owned(), r))?;
                }
            }
            _ => {}
        }
        if let Some(ct) = &self.content_type {
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

    fn label(&self) -> String {
        match self.kind {
            FaultKind::Latency => format!("latency:{}ms", self.ms.unwrap_or(0)),
            FaultKind::Status => format!("status:{}", self.status.unwrap_or(503)),
            FaultKind::OauthError => format!("oauth_error:{}", self.error.as_deref().unwrap_or("")),
            k => k.as_str().to_owned(),
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
            let terminal = spec.kind != FaultKind::Latency;
            if terminal && decision.action.is_some() {
                continue;
            }
            if let Some(p) = spec.probability {
                if armed.rng.gen::<f64>() >= p {
                    continue;
                }
            }
            if spec.kind == FaultKind::Latency {
                let jitter = match spec.jitter_ms {
                    Some(j) if j > 0 => armed.rng.gen_range(0..=j),
                    _ => 0,
                };
                decision.delay += Duration::from_millis(spec.ms.unwrap_or(0) + jitter);
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
        for t in Target::ALL {
            match t {
                Target::All
                | Target::Discovery
                | Target::Jwks
                | Target::Token
                | Target::Authorize
                | Target::Userinfo
                | Target::Introspection
                | Target::Revocation
                | Target::EndSession
                | Target::Login => {}
            }
            let name = serde_json::to_value(t).unwrap();
            assert_eq!(serde_json::from_value::<Target>(name).unwrap(), t);
            assert_eq!(Target::ALL.iter().filter(|x| **x == t).count(), 1, "{t:?}");
        }
        let list = markdown_list();
        assert!(list.contains("`truncated_json`") && list.contains("`end_session`"), "{list}");
    }

    #[test]
    fn p147_faults_in_the_config_file_parse_and_errors_name_the_field() {
        let ok = "[[tenant]]\nname = \"t\"\n[[tenant.faults]]\nendpoint = \"discovery\"\nkind = \"status\"\nstatus = 503\nfor_s = 5\n";
        let config = Config::from_toml(ok, std::path::Path::new("faults.toml")).expect("a valid fault loads");
        assert_eq!(config.tenants[0].faults, vec![FaultSpec::status(Target::Discovery, 503).for_s(5.0)]);
        let bad = ok.replace("503", "418");
        let err = Config::from_toml(&bad, std::path::Path::new("faults.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("tenant[0].faults[0].status"), "{err}");
    }

    #[test]
    fn p146_latencies_stack_one_fault_answers_and_times_runs_out() {
        let plan = FaultPlan::default();
        let latency = FaultSpec {
            ms: Some(5),
            ..FaultSpec::new(Target::All, FaultKind::Latency)
        };
        plan.add(latency.clone(), 0.0);
        plan.add(latency, 0.0);
        plan.add(FaultSpec::status(Target::Jwks, 503).times(1), 0.0);
        plan.add(FaultSpec::status(Target::Jwks, 500), 0.0);
        let d = plan.decide(Endpoint::Jwks, 0.0);
        assert_eq!(d.delay, Duration::from_millis(10));
        assert_eq!(d.action.and_then(|a| a.status), Some(503));
        let d = plan.decide(Endpoint::Jwks, 0.0);
        assert_eq!(d.action.and_then(|a| a.status), Some(500), "the first one is used up");
        assert!(plan.decide(Endpoint::Mint, 0.0).labels.is_empty(), "controls never take faults");
    }

    #[test]
    fn p146_duration_ends_on_the_tenant_clock() {
        let plan = FaultPlan::default();
        plan.add(FaultSpec::status(Target::Token, 503).for_s(10.0), 100.0);
        assert!(plan.decide(Endpoint::Token, 109.9).action.is_some());
        assert!(plan.decide(Endpoint::Token, 110.0).action.is_none());
        assert!(plan.list(110.0).is_empty());
    }
}
