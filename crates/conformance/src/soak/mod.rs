//! The load and fault runs of attacks.md R6-R9 and R14 against the embedded Weaviate emulation,
//! with the mock provider in the same process, on 127.0.0.1.
//!
//! Two plans share one load engine (keep-alive loops that send bearer tokens and compare every
//! answer with the status that request must get; wrong answers are counted, never retried):
//! - [`Plan::Mixed`] (R7, R9, R14): half valid tokens, half forged, malformed or oversized ones,
//!   while the provider's key rotates and its JWKS fails in turn (500, truncated JSON, a closed
//!   connection, a 10 MiB body, a 30 s stall, 300 ms of latency);
//! - [`Plan::Steady`] (R6, R8): valid tokens only; at a third of the run the provider adds K2 and
//!   signs with it, at two thirds it deletes K1, whose tokens keep coming.
//!
//! Figures (rate, latency, RSS, JWKS fetches, concurrent fetches) are reported, not judged: a
//! caller asserts correctness, `docs/reliability.md` records the figures.

mod mixed;
mod steady;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::Error;
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::{json, Value};

/// Which schedule runs beside the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    /// R7, R9, R14: valid and bad tokens, key rotation and JWKS faults.
    Mixed,
    /// R6, R8: valid tokens; K2 added at 1/3, K1 deleted at 2/3.
    Steady,
}

impl Plan {
    /// Parses `mixed` or `steady`.
    pub fn parse(s: &str) -> Option<Plan> {
        match s {
            "mixed" => Some(Plan::Mixed),
            "steady" => Some(Plan::Steady),
            _ => None,
        }
    }
}

/// How long and how wide the run is.
#[derive(Debug, Clone, Copy)]
pub struct SoakOptions {
    /// Wall time of the load.
    pub duration: Duration,
    /// Concurrent request loops (one keep-alive connection each).
    pub connections: usize,
    /// The schedule beside the load.
    pub plan: Plan,
}

/// What one class of request saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ClassFigures {
    /// Requests sent.
    pub requests: u64,
    /// Answers with another status than expected.
    pub wrong: u64,
    /// Requests that got no HTTP answer.
    pub errors: u64,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Slowest answer, milliseconds.
    pub max_ms: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// The schedule that ran.
    pub plan: Plan,
    /// Seconds the load ran.
    pub seconds: f64,
    /// Concurrent loops.
    pub connections: usize,
    /// Requests per second, all classes.
    pub requests_per_s: f64,
    /// Per class (`valid`, `forged`, `malformed`, `oversized`; `k1`, `k2`, `k1-deleted`).
    pub classes: BTreeMap<String, ClassFigures>,
    /// Requests answered with the non-2xx status they had to get.
    pub rejections: u64,
    /// Key operations done during the load (rotations; K2 added, K1 deleted).
    pub key_operations: u64,
    /// JWKS faults armed during the load, in order.
    pub faults: Vec<String>,
    /// JWKS requests the provider received after the warm-up.
    pub jwks_fetches: u64,
    /// JWKS requests per phase of the steady plan (empty for the mixed plan).
    pub jwks_fetches_by_phase: Vec<(String, u64)>,
    /// Most JWKS requests the provider was answering at once (answered requests only, from the
    /// journal's arrival times and durations).
    pub jwks_peak_in_flight: u64,
    /// Resident memory after warm-up, KiB (Linux; 0 elsewhere).
    pub rss_start_kib: u64,
    /// Resident memory at the end, KiB.
    pub rss_end_kib: u64,
    /// Resident memory during the load, every twentieth of the run: `(seconds, KiB)`. Growth
    /// shows here; the first samples hold what the connections' buffers and the allocator's
    /// arenas take once the load is on.
    pub rss_during_kib: Vec<(f64, u64)>,
    /// The first wrong answers and schedule failures: `class status expected body`.
    pub samples: Vec<String>,
    /// Schedule steps that did not get the answer they needed (counted as failures).
    pub schedule_failures: u64,
}

impl SoakReport {
    /// Wrong answers, requests without an answer and failed schedule steps.
    pub fn failures(&self) -> u64 {
        self.classes.values().map(|c| c.wrong + c.errors).sum::<u64>() + self.schedule_failures
    }
}

/// One request of the mix: a bearer token and the status it must get.
#[derive(Clone)]
struct Probe {
    class: &'static str,
    token: Arc<str>,
    expect: u16,
    /// When it was made: the mixed plan drops valid tokens before they expire.
    made: Instant,
}

fn probe(class: &'static str, token: String, expect: u16) -> Probe {
    Probe {
        class,
        token: token.into(),
        expect,
        made: Instant::now(),
    }
}

/// What the loops draw from: each loop alternates a valid probe and a bad one (all valid when
/// there are no bad ones). The schedule may change both lists while the load runs.
#[derive(Default)]
struct Mix {
    valid: Vec<Probe>,
    bad: Vec<Probe>,
}

impl Mix {
    /// The probe of a loop's `turn`-th request; `index` spreads the loops over each list.
    fn pick(&self, turn: usize, index: usize) -> Option<Probe> {
        let list = if self.bad.is_empty() || turn.is_multiple_of(2) {
            &self.valid
        } else {
            &self.bad
        };
        (!list.is_empty()).then(|| list[index % list.len()].clone())
    }
}

const ENV: &[(&str, &str)] = &[
    ("AUTHENTICATION_OIDC_ENABLED", "true"),
    ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
    ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username"),
    ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
];

/// The provider, the emulation and what a schedule needs to act on them.
struct Rig {
    idp: mock_idp::MockIdp,
    _weaviate: weaviate_auth_emu::EmbeddedWeaviate,
    issuer: String,
    url: String,
    control: reqwest::Client,
    mix: Arc<RwLock<Mix>>,
    samples: Arc<Mutex<Vec<String>>>,
    schedule_failures: u64,
}

impl Rig {
    async fn start() -> Result<Rig, Error> {
        let idp = mock_idp::MockIdp::builder()
            .try_start()
            .await
            .map_err(|e| Error::Unavailable(format!("provider: {e}")))?;
        let issuer = idp.issuer_url();
        let weaviate = weaviate_auth_emu::EmbeddedWeaviate::builder()
            .envs(ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .env("AUTHENTICATION_OIDC_ISSUER", issuer.clone())
            .start()
            .await
            .map_err(|e| Error::Unavailable(format!("emulation: {}", e.message)))?;
        let url = format!("{}/v1/users/own-info", weaviate.rest_url());
        Ok(Rig {
            idp,
            _weaviate: weaviate,
            issuer,
            url,
            control: reqwest::Client::new(),
            mix: Arc::default(),
            samples: Arc::default(),
            schedule_failures: 0,
        })
    }

    fn mint(&self, body: Value) -> Result<String, Error> {
        let b = mock_idp::TokenBuilder::from_json(&body).map_err(|e| Error::Invalid(format!("mint {body}: {e}")))?;
        let minted = self.idp.mint(b).map_err(|e| Error::Invalid(format!("mint {body}: {e}")))?;
        let v = serde_json::to_value(minted).map_err(Error::invalid)?;
        v.get("access_token")
            .or_else(|| v.get("id_token"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Error::Invalid(format!("mint {body}: no token")))
    }

    fn with_mix(&self, change: impl FnOnce(&mut Mix)) -> Result<(), Error> {
        change(&mut *self.mix.write().map_err(Error::process)?);
        Ok(())
    }

    /// A request outside the load, sent up to `tries` times until it gets `expect`; never
    /// getting it is a schedule failure.
    async fn check(&mut self, what: &str, token: &str, expect: u16, tries: u32) -> Result<(), Error> {
        let mut status = 0;
        for _ in 0..tries {
            status = self
                .control
                .get(&self.url)
                .header("Authorization", format!("Bearer {token}"))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| Error::Exchange(format!("{what}: {e}")))?;
            if status == expect {
                break;
            }
        }
        if status != expect {
            self.schedule_failures += 1;
            self.samples
                .lock()
                .map_err(Error::exchange)?
                .push(format!("{what} got {status}, expected {expect}"));
        }
        Ok(())
    }

    /// A control request to the provider (`{issuer}/_mock/{path}`); its JSON answer.
    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let mut req = self.control.request(method, format!("{}/_mock/{path}", self.issuer));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.map_err(|e| Error::Exchange(format!("_mock/{path}: {e}")))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| Error::Exchange(format!("_mock/{path}: {e}")))?;
        if !status.is_success() {
            return Err(Error::Exchange(format!("_mock/{path} got {status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| Error::Exchange(format!("_mock/{path}: {e}: {text}")))
    }

    async fn jwks_count(&self) -> Result<u64, Error> {
        let counters = self.control(reqwest::Method::GET, "counters", None).await?;
        Ok(counters["jwks"].as_u64().unwrap_or(0))
    }
}

/// Resident set size of this process in KiB (0 where /proc is absent).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// The most intervals `[start, start + length)` (seconds) that overlap at one instant.
fn peak_overlap(intervals: &[(f64, f64)]) -> u64 {
    // Ends sort before starts at the same instant: touching intervals do not overlap.
    let mut edges: Vec<(f64, i64)> = intervals.iter().flat_map(|&(s, len)| [(s, 1), (s + len, -1)]).collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut peak) = (0i64, 0i64);
    for (_, step) in edges {
        now += step;
        peak = peak.max(now);
    }
    peak as u64
}

/// Counts and latencies of one class, kept per loop and merged at the end.
struct Tally {
    figures: ClassFigures,
    /// Answers with the non-2xx status the request had to get.
    rejected: u64,
    micros: Histogram<u64>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            figures: ClassFigures::default(),
            rejected: 0,
            // 1 µs to 10 min at 3 significant digits: a few tens of KiB, however long the run.
            micros: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"),
        }
    }
}

type Tallies = BTreeMap<&'static str, Tally>;

/// One keep-alive loop: draws probes until `stop`, checks each answer.
async fn load_loop(
    first: usize,
    step: usize,
    url: String,
    mix: Arc<RwLock<Mix>>,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<String>>>,
) -> Tallies {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .expect("an HTTP client");
    let mut tallies = Tallies::new();
    let mut turn = 0;
    while !stop.load(Ordering::Relaxed) {
        let Some(p) = mix.read().expect("mix lock").pick(turn, first + (turn / 2) * step) else {
            break;
        };
        turn += 1;
        let t = Instant::now();
        let answer = http.get(&url).header("Authorization", format!("Bearer {}", p.token)).send().await;
        let (status, body) = match answer {
            Ok(r) => {
                let s = r.status().as_u16();
                (Some(s), r.text().await.unwrap_or_default())
            }
            Err(e) => (None, e.to_string()),
        };
        let micros = t.elapsed().as_micros().clamp(1, 600_000_000) as u64;
        let tally = tallies.entry(p.class).or_insert_with(Tally::new);
        tally.figures.requests += 1;
        let _ = tally.micros.record(micros);
        match status {
            None => tally.figures.errors += 1,
            Some(s) if s != p.expect => tally.figures.wrong += 1,
            Some(s) => {
                tally.rejected += u64::from(s >= 400);
                continue;
            }
        }
        let mut s = samples.lock().expect("samples lock");
        if s.len() < 10 {
            let body: String = body.chars().take(200).collect();
            s.push(format!("{} {status:?} expected {} {body}", p.class, p.expect));
        }
    }
    tallies
}

/// Runs the load with the plan's schedule; an `Err` means the set-up failed (nothing measured).
pub async fn run(options: SoakOptions) -> Result<SoakReport, Error> {
    let mut rig = Rig::start().await?;
    match options.plan {
        Plan::Mixed => mixed::prepare(&rig)?,
        Plan::Steady => steady::prepare(&rig)?,
    }
    // Warm-up: the first valid request loads the JWKS; the counters then start from zero.
    let first = rig.mix.read().map_err(Error::process)?.valid[0].token.clone();
    rig.check("warm-up", &first, 200, 1).await?;
    rig.control(reqwest::Method::DELETE, "counters", None).await?;
    let rss_start_kib = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut loops = tokio::task::JoinSet::new();
    for i in 0..options.connections {
        loops.spawn(load_loop(
            i,
            options.connections,
            rig.url.clone(),
            rig.mix.clone(),
            stop.clone(),
            rig.samples.clone(),
        ));
    }
    let sampler = {
        let stop = stop.clone();
        let every = options.duration / 20;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(every).await;
                samples.push(((started.elapsed().as_secs_f64() * 10.0).round() / 10.0, rss_kib()));
            }
            samples
        })
    };
    let schedule = match options.plan {
        Plan::Mixed => mixed::schedule(&mut rig, options.duration, started).await,
        Plan::Steady => steady::schedule(&mut rig, options.duration, started).await,
    };
    tokio::time::sleep(options.duration.saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    let mut merged = Tallies::new();
    while let Some(tallies) = loops.join_next().await {
        for (class, t) in tallies.map_err(|e| Error::Exchange(format!("a load loop: {e}")))? {
            let m = merged.entry(class).or_insert_with(Tally::new);
            m.figures.requests += t.figures.requests;
            m.figures.wrong += t.figures.wrong;
            m.figures.errors += t.figures.errors;
            m.rejected += t.rejected;
            m.micros.add(&t.micros).map_err(Error::invalid)?;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let schedule = schedule?;
    let rss_during_kib = sampler.await.map_err(|e| Error::Exchange(format!("the RSS sampler: {e}")))?;

    let journal = rig.control(reqwest::Method::GET, "log?endpoint=jwks", None).await?;
    let intervals: Vec<(f64, f64)> = journal["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["status"].is_u64())
                .filter_map(|e| Some((e["real_time"].as_f64()?, e["duration_ms"].as_f64()? / 1000.0)))
                .collect()
        })
        .unwrap_or_default();
    let mut classes = BTreeMap::new();
    let mut rejections = 0;
    for (class, t) in &merged {
        let ms = |q: f64| t.micros.value_at_quantile(q) as f64 / 1000.0;
        let mut f = t.figures.clone();
        (f.p50_ms, f.p99_ms, f.max_ms) = (ms(0.5), ms(0.99), t.micros.max() as f64 / 1000.0);
        rejections += t.rejected;
        classes.insert(class.to_string(), f);
    }
    let total: u64 = classes.values().map(|c| c.requests).sum();
    let samples = rig.samples.lock().map_err(Error::process)?.clone();
    Ok(SoakReport {
        plan: options.plan,
        seconds,
        connections: options.connections,
        requests_per_s: total as f64 / seconds,
        classes,
        rejections,
        key_operations: schedule.key_operations,
        faults: schedule.faults,
        jwks_fetches: rig.jwks_count().await?,
        jwks_fetches_by_phase: schedule.phases,
        jwks_peak_in_flight: peak_overlap(&intervals),
        rss_start_kib,
        rss_end_kib: rss_kib(),
        rss_during_kib,
        samples,
        schedule_failures: rig.schedule_failures,
    })
}

/// What a schedule did beside the load.
#[derive(Default)]
struct Done {
    key_operations: u64,
    faults: Vec<String>,
    phases: Vec<(String, u64)>,
}

/// Sleeps until `at` after `started` (at once when that is past).
async fn until(started: Instant, at: Duration) {
    tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
}

/// The JSON of a fault to arm, for the schedules.
fn fault(kind: &str, extra: Value) -> Value {
    let mut f = json!({ "endpoint": "jwks", "kind": kind });
    if let (Some(f), Some(extra)) = (f.as_object_mut(), extra.as_object()) {
        f.extend(extra.clone());
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_overlap_counts_intervals_open_at_one_instant() {
        assert_eq!(peak_overlap(&[]), 0);
        assert_eq!(
            peak_overlap(&[(0.0, 1.0), (1.0, 1.0), (2.0, 0.5)]),
            1,
            "touching is not overlapping"
        );
        assert_eq!(peak_overlap(&[(0.0, 1.0), (0.5, 1.0), (0.9, 0.05), (3.0, 1.0)]), 3);
    }

    #[test]
    fn mix_alternates_valid_and_bad_and_falls_back_to_valid() {
        let p = |class| probe(class, String::new(), 200);
        let mut mix = Mix {
            valid: vec![p("valid")],
            bad: vec![],
        };
        assert!((0..4).all(|n| mix.pick(n, n).is_some_and(|p| p.class == "valid")));
        mix.bad = vec![p("forged"), p("malformed")];
        let classes: Vec<_> = (0..6).map(|n| mix.pick(n, n / 2).map(|p| p.class)).collect();
        let expected = ["valid", "forged", "valid", "malformed", "valid", "forged"];
        assert_eq!(classes, expected.map(Some));
        assert!(Mix::default().pick(0, 0).is_none());
    }
}
