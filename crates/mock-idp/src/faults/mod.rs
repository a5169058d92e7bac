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
//!
//! The fault itself is in `spec.rs` ([`Fault`], [`FaultSpec`]), its flat wire form in `wire.rs`;
//! this file holds the armed faults of a tenant and decides which apply to a request.

mod spec;
mod wire;

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::sync::{Flagged, FlaggedGuard};

pub use crate::endpoint::Endpoint;
pub use spec::{markdown_list, Fault, FaultKind, FaultSpec, UNREACHABLE_JWKS_URI};
pub(crate) use wire::RawFaultSpec;

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
    /// Flagged while any fault is armed: every request asks (`decide`).
    plan: Flagged<Plan>,
    cleared: watch::Sender<u64>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            plan: Flagged::new(Plan::default(), |p| !p.armed.is_empty()),
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

    fn plan(&self) -> FlaggedGuard<'_, Plan> {
        self.plan.lock()
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
        if !self.plan.pending() {
            return Decision::default();
        }
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
    use crate::endpoint::Target;

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
}
