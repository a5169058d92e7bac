//! Fault plans of a tenant (P144-P149) and the layer that records and breaks requests before
//! their handlers run (P139, P146).
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

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{OriginalUri, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::error::Error;
use crate::journal::{Endpoint, Entry, Facts};
use crate::server::Resolved;
use crate::state::AppState;
use crate::tenant::Tenant;

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

/// What a fault does (P145, P148, P149). The serde name is the one spelling users type.
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
    fn as_str(self) -> &'static str {
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
                    crate::config::check_url(url).map_err(|r| ("url".to_owned(), r))?;
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
        self.plan.lock().unwrap_or_else(|p| p.into_inner())
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

/// A response body that fails before its first byte: hyper then drops the connection without
/// sending the response head (`connection_closed`).
struct Aborted;

impl HttpBody for Aborted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection_closed fault",
        ))))
    }
}

fn real_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// Endpoints whose form bodies the journal reads for client id, grant type and username.
fn reads_form(endpoint: Endpoint) -> bool {
    matches!(
        endpoint,
        Endpoint::Token
            | Endpoint::Authorize
            | Endpoint::Login
            | Endpoint::Userinfo
            | Endpoint::Introspection
            | Endpoint::Revocation
            | Endpoint::EndSession
    )
}

/// Reads the journal facts of a request; a form body is buffered and put back.
async fn gather(req: Request, endpoint: Endpoint) -> Result<(Request, Facts), Error> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let query = req.uri().query().unwrap_or("").to_owned();
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let req = if reads_form(endpoint) && is_form && req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        // The form extractor refuses larger bodies with the same error (P45).
        let bytes = axum::body::to_bytes(body, crate::token::MAX_FORM_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        pairs.extend(form_urlencoded::parse(&bytes).into_owned());
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    let facts = Facts::gather(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), authorization.as_deref());
    Ok((req, facts))
}

/// The OAuth `error` of an error response: from a small JSON body, the `WWW-Authenticate`
/// challenge, or a redirect's `error` parameter. The body is put back unchanged.
async fn error_code(resp: Response) -> (Response, Option<String>) {
    let status = resp.status();
    if let Some(loc) = resp.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        let params = loc
            .split(['?', '#'])
            .skip(1)
            .flat_map(|q| form_urlencoded::parse(q.as_bytes()).into_owned());
        let code = params.into_iter().find(|(k, _)| k == "error").map(|(_, v)| v);
        return (resp, code);
    }
    if !status.is_client_error() && !status.is_server_error() {
        return (resp, None);
    }
    let from_header = resp
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("error=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .map(str::to_owned);
    let small = resp.body().size_hint().upper().is_some_and(|n| n <= 16 * 1024);
    if !small {
        return (resp, from_header);
    }
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.unwrap_or_default();
    let code = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .or(from_header);
    (Response::from_parts(parts, Body::from(bytes)), code)
}

/// The layer every request passes through (see `server::router`): it resolves the tenant, runs
/// due key operations (P137), guards `_mock/` routes (P125), gathers journal facts, applies
/// faults before the handler (P146), and records the journal entry (P139).
pub async fn layer(state: AppState, req: Request, next: Next) -> Response {
    let resolved = req.extensions().get::<Resolved>().map(|r| (r.tenant.clone(), r.endpoint));
    let Some((tenant, endpoint)) = resolved else {
        let path = req.uri().path().to_owned();
        if crate::admin::is_server_control(&path) {
            if let Err(e) = crate::admin::check(&state, crate::admin::Scope::Server, req.headers(), &path) {
                return e.into_response();
            }
        }
        return next.run(req).await;
    };
    // The path as requested, not the internal route `dispatch` rewrote it to.
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned());
    let started = Instant::now();
    let real_time = real_now();
    let virtual_time = tenant.clock.now_f64();
    tenant.run_due_key_ops();
    let method = req.method().to_string();
    let mut entry = Entry {
        seq: 0,
        real_time,
        virtual_time,
        method,
        path,
        endpoint,
        status: None,
        duration_ms: 0.0,
        facts: Facts::default(),
        error: None,
        faults: vec![],
    };
    if endpoint == Endpoint::Other {
        // Nothing is served here; answered before the internal routes, which would otherwise
        // serve a plain path under a tenant whose persona puts it elsewhere.
        let resp = Error::NotFound(entry.path.clone()).into_response();
        return record(&tenant, entry, resp, started).await;
    }
    if matches!(endpoint, Endpoint::Control | Endpoint::Mint) {
        if let Err(e) = crate::admin::check(&state, crate::admin::Scope::Tenant(&tenant), req.headers(), &entry.path) {
            let resp = e.into_response();
            return record(&tenant, entry, resp, started).await;
        }
    }
    let (req, facts) = match gather(req, endpoint).await {
        Ok(x) => x,
        Err(e) => return record(&tenant, entry, e.into_response(), started).await,
    };
    entry.facts = facts;
    let decision = tenant.faults.decide(endpoint, virtual_time);
    entry.faults = decision.labels;
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let Some(fault) = decision.action else {
        let resp = next.run(req).await;
        return record(&tenant, entry, resp, started).await;
    };
    tracing::debug!(tenant = %tenant.name, endpoint = endpoint.as_str(), fault = fault.kind.as_str(), "fault applied");
    match fault.kind {
        FaultKind::ConnectionClosed => {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            tenant.journal.record(entry);
            Response::new(Body::new(Aborted))
        }
        FaultKind::Hang => {
            entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut cleared = tenant.faults.subscribe();
            tenant.journal.record(entry);
            let max = Duration::from_millis(fault.max_ms.unwrap_or(300_000));
            let _ = tokio::time::timeout(max, cleared.changed()).await;
            // Cleared or timed out: the connection is closed as in `connection_closed`.
            Response::new(Body::new(Aborted))
        }
        FaultKind::Latency => {
            let resp = next.run(req).await;
            record(&tenant, entry, resp, started).await
        }
        FaultKind::Status => {
            let status = StatusCode::from_u16(fault.status.unwrap_or(503)).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let body = fault
                .body
                .clone()
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
            let ct = fault.content_type.as_deref().unwrap_or("text/plain; charset=utf-8");
            let resp = with_type((status, body).into_response(), ct);
            record(&tenant, entry, resp, started).await
        }
        FaultKind::OauthError => {
            let status = StatusCode::from_u16(fault.status.unwrap_or(400)).unwrap_or(StatusCode::BAD_REQUEST);
            let mut body = serde_json::Map::new();
            body.insert("error".into(), json!(fault.error.clone().unwrap_or_default()));
            if let Some(d) = &fault.error_description {
                body.insert("error_description".into(), json!(crate::error::sanitize_description(d)));
            }
            let mut resp = (status, axum::Json(Value::Object(body))).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            record(&tenant, entry, resp, started).await
        }
        FaultKind::JwksEmpty | FaultKind::JwksUnsupportedKey | FaultKind::JwksWrongKeyType => {
            let resp = match faulty_jwks(&tenant, fault.kind) {
                Ok(v) => axum::Json(v).into_response(),
                Err(e) => e.into_response(),
            };
            record(&tenant, entry, resp, started).await
        }
        FaultKind::DiscoveryIssuerMismatch | FaultKind::DiscoveryAlgOmitted | FaultKind::DiscoveryJwksUnreachable => {
            let resp = match faulty_discovery(&tenant, &fault) {
                Ok(v) => axum::Json(v).into_response(),
                Err(e) => e.into_response(),
            };
            record(&tenant, entry, resp, started).await
        }
        FaultKind::TruncatedJson | FaultKind::WrongContentType | FaultKind::EmptyBody | FaultKind::OversizedBody => {
            let resp = next.run(req).await;
            let resp = mangle(resp, &fault).await;
            record(&tenant, entry, resp, started).await
        }
    }
}

async fn record(tenant: &Tenant, mut entry: Entry, resp: Response, started: Instant) -> Response {
    let (resp, code) = error_code(resp).await;
    entry.status = Some(resp.status().as_u16());
    entry.error = code;
    entry.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tenant.journal.record(entry);
    resp
}

fn with_type(mut resp: Response, content_type: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// Changes the handler's answer for the body faults.
async fn mangle(resp: Response, fault: &FaultSpec) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let bytes: Bytes = match fault.kind {
        FaultKind::TruncatedJson => {
            let cut = if bytes.len() > 1 { bytes.len() / 2 } else { 0 };
            if bytes.len() > 1 {
                bytes.slice(..cut)
            } else {
                Bytes::from_static(b"{\"")
            }
        }
        FaultKind::EmptyBody => Bytes::new(),
        FaultKind::OversizedBody => {
            let target = fault.mib.unwrap_or(1) as usize * 1024 * 1024;
            let mut v = bytes.to_vec();
            if v.len() < target {
                v.resize(target, b' ');
            }
            Bytes::from(v)
        }
        _ => {
            let ct = fault.content_type.as_deref().unwrap_or("text/html; charset=utf-8");
            if let Ok(v) = HeaderValue::from_str(ct) {
                parts.headers.insert(header::CONTENT_TYPE, v);
            }
            bytes
        }
    };
    Response::from_parts(parts, Body::from(bytes))
}

/// The JWKS content faults (P148).
fn faulty_jwks(tenant: &Tenant, kind: FaultKind) -> Result<Value, Error> {
    let mut jwks = tenant.keys.read().map_err(|_| Error::Internal("key lock poisoned".into()))?.jwks();
    let keys = jwks["keys"]
        .as_array_mut()
        .ok_or_else(|| Error::Internal("JWKS without keys".into()))?;
    match kind {
        FaultKind::JwksEmpty => keys.clear(),
        FaultKind::JwksUnsupportedKey => keys.push(json!({
            // An OKP curve other than Ed25519 (P36): 57 zero bytes as the public key.
            "kty": "OKP",
            "crv": "Ed448",
            "kid": "unsupported-ed448",
            "use": "sig",
            "alg": "EdDSA",
            "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        })),
        _ => {
            for k in keys.iter_mut() {
                let wrong = if k["kty"] == "RSA" { "ES256" } else { "RS256" };
                k["alg"] = json!(wrong);
            }
        }
    }
    Ok(jwks)
}

/// The discovery content faults (P148).
fn faulty_discovery(tenant: &Tenant, fault: &FaultSpec) -> Result<Value, Error> {
    let mut doc = crate::discovery::metadata(tenant)?;
    match fault.kind {
        FaultKind::DiscoveryIssuerMismatch => {
            let other = fault.issuer.clone().unwrap_or_else(|| format!("{}/mismatch", tenant.issuer.base()));
            doc["issuer"] = json!(other);
        }
        FaultKind::DiscoveryJwksUnreachable => {
            doc["jwks_uri"] = json!(fault.url.clone().unwrap_or_else(|| UNREACHABLE_JWKS_URI.to_owned()));
        }
        _ => {
            let signer = tenant
                .keys
                .read()
                .map_err(|_| Error::Internal("key lock poisoned".into()))?
                .active()
                .alg()
                .as_str();
            let mut algs: Vec<Value> = doc["id_token_signing_alg_values_supported"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| a != signer)
                .collect();
            if algs.is_empty() {
                algs.push(json!(if signer == "PS512" { "ES512" } else { "PS512" }));
            }
            doc["id_token_signing_alg_values_supported"] = json!(algs);
        }
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

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
