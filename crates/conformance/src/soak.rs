//! The load and fault run (attacks.md R6-R9, R14): mixed valid, forged, malformed and oversized
//! bearer tokens against the embedded Weaviate emulation, while the provider's JWKS fails and its
//! signing key rotates. Every answer is compared with the one that request must get; wrong answers
//! are counted, never retried. Figures (rate, latency, RSS, JWKS fetches) are reported, not judged:
//! a caller asserts correctness, `docs/reliability.md` records the figures.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

/// How long and how wide the run is.
#[derive(Debug, Clone, Copy)]
pub struct SoakOptions {
    /// Wall time of the load.
    pub duration: Duration,
    /// Concurrent request loops (one keep-alive connection each).
    pub connections: usize,
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
    /// Slowest answer, milliseconds.
    pub max_ms: f64,
    /// Median and 99th percentile, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SoakReport {
    /// Seconds the load ran.
    pub seconds: f64,
    /// Concurrent loops.
    pub connections: usize,
    /// Requests per second, all classes.
    pub requests_per_s: f64,
    /// Per class: `valid`, `forged`, `malformed`, `oversized`.
    pub classes: BTreeMap<String, ClassFigures>,
    /// Key rotations done during the load.
    pub rotations: u64,
    /// JWKS outages armed during the load (500, truncated JSON, closed connection in turn).
    pub outages: u64,
    /// JWKS requests the provider served (or failed on purpose) during the run.
    pub jwks_fetches: u64,
    /// Resident memory after warm-up and at the end, KiB (Linux; 0 elsewhere).
    pub rss_start_kib: u64,
    /// Resident memory at the end, KiB.
    pub rss_end_kib: u64,
    /// The first wrong answers, for the report: `class status expected body`.
    pub samples: Vec<String>,
}

impl SoakReport {
    /// Wrong answers plus requests without an answer, over every class.
    pub fn failures(&self) -> u64 {
        self.classes.values().map(|c| c.wrong + c.errors).sum()
    }
}

/// One request of the mix: a bearer token and the status it must get.
#[derive(Clone)]
struct Probe {
    class: &'static str,
    token: Arc<str>,
    expect: u16,
}

/// Forgery presets of attacks.md (R2's list) whose answer is 401 on every target.
const FORGED: &[&str] = &[
    "alg-none",
    "alg-none-signed",
    "hs256-public-key",
    "alg-not-advertised",
    "alg-key-mismatch",
    "forged-key-real-kid",
    "unknown-kid",
    "kid-injection-path",
    "kid-injection-huge",
    "embedded-jwk",
    "crit-unknown",
    "two-parts",
    "bad-signature",
    "payload-tampered",
    "wrong-issuer",
    "iss-missing",
    "duplicate-header",
    "es256-der",
    "es256-zero",
    "expired",
    "wrong-audience",
];

const ENV: &[(&str, &str)] = &[
    ("AUTHENTICATION_OIDC_ENABLED", "true"),
    ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
    ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username"),
    ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
];

fn mint(idp: &mock_idp::MockIdp, body: Value) -> Result<String, String> {
    let b = mock_idp::TokenBuilder::from_json(&body).map_err(|e| format!("mint {body}: {e}"))?;
    let v = serde_json::to_value(idp.mint(b).map_err(|e| format!("mint {body}: {e}"))?).map_err(|e| e.to_string())?;
    v.get("access_token")
        .or_else(|| v.get("id_token"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("mint {body}: no token"))
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

/// Runs the load; an `Err` means the set-up failed (nothing was measured).
pub async fn run(options: SoakOptions) -> Result<SoakReport, String> {
    let idp = mock_idp::MockIdp::builder()
        .try_start()
        .await
        .map_err(|e| format!("provider: {e}"))?;
    let issuer = idp.issuer_url();
    let weaviate = weaviate_auth_emu::EmbeddedWeaviate::builder()
        .envs(ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .env("AUTHENTICATION_OIDC_ISSUER", issuer.clone())
        .start()
        .await
        .map_err(|e| format!("emulation: {}", e.message))?;
    let url = format!("{}/v1/users/own-info", weaviate.rest_url());
    let control = reqwest::Client::new();

    let mut probes = Vec::new();
    for user in ["admin", "viewer"] {
        probes.push(probe("valid", mint(&idp, json!({ "user": user }))?, 200));
    }
    for p in FORGED {
        probes.push(probe("forged", mint(&idp, json!({ "user": "admin", "preset": p }))?, 401));
    }
    for garbage in ["", "x", "a.b.c", "....", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        probes.push(probe("malformed", garbage.to_owned(), 401));
    }
    // A32/R14: over the emulation's 16 KiB cap and 100,000 dots (401), over the header limit (431).
    probes.push(probe(
        "oversized",
        mint(&idp, json!({"user": "admin", "preset": "oversized", "preset_size": 17408}))?,
        401,
    ));
    probes.push(probe("oversized", ".".repeat(100_000), 401));
    probes.push(probe("oversized", "a".repeat(1 << 20), 431));
    let probes = Arc::new(RwLock::new(probes));

    // Warm-up: the first valid request loads the JWKS.
    let first = probes.read().map_err(|e| e.to_string())?[0].token.clone();
    let warm = send(&control, &url, "warm", &first).await?;
    if warm != 200 {
        return Err(format!("warm-up got {warm}"));
    }
    control
        .delete(format!("{issuer}/_mock/counters"))
        .send()
        .await
        .map_err(|e| format!("counters: {e}"))?;
    let rss_start_kib = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let latencies: Arc<Mutex<BTreeMap<&'static str, Vec<f64>>>> = Arc::default();
    let figures: Arc<Mutex<BTreeMap<&'static str, ClassFigures>>> = Arc::default();
    let samples: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let mut loops = tokio::task::JoinSet::new();
    for i in 0..options.connections {
        let (stop, probes, latencies, figures, samples, url) = (
            stop.clone(),
            probes.clone(),
            latencies.clone(),
            figures.clone(),
            samples.clone(),
            url.clone(),
        );
        loops.spawn(async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("an HTTP client");
            let mut n = i;
            while !stop.load(Ordering::Relaxed) {
                let p = {
                    let all = probes.read().expect("probes lock");
                    all[n % all.len()].clone()
                };
                n += options.connections;
                let t = Instant::now();
                let answer = http.get(&url).header("Authorization", format!("Bearer {}", p.token)).send().await;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let (status, body) = match answer {
                    Ok(r) => {
                        let s = r.status().as_u16();
                        (Some(s), r.text().await.unwrap_or_default())
                    }
                    Err(e) => (None, e.to_string()),
                };
                let mut f = figures.lock().expect("figures lock");
                let c = f.entry(p.class).or_default();
                c.requests += 1;
                match status {
                    None => c.errors += 1,
                    Some(s) if s != p.expect => c.wrong += 1,
                    Some(_) => {}
                }
                if status != Some(p.expect) {
                    let mut s = samples.lock().expect("samples lock");
                    if s.len() < 10 {
                        s.push(format!(
                            "{} {:?} expected {} {}",
                            p.class,
                            status,
                            p.expect,
                            body.chars().take(200).collect::<String>()
                        ));
                    }
                }
                drop(f);
                latencies.lock().expect("latency lock").entry(p.class).or_default().push(ms);
            }
        });
    }

    // The fault schedule: rotate, warm the new key, then a JWKS outage; repeat.
    let (mut rotations, mut outages) = (0u64, 0u64);
    let faults = [
        json!({"endpoint": "jwks", "kind": "status", "status": 500, "body": "jwks down"}),
        json!({"endpoint": "jwks", "kind": "truncated_json"}),
        json!({"endpoint": "jwks", "kind": "connection_closed"}),
    ];
    let slot = Duration::from_millis(1500);
    while started.elapsed() + slot * 2 < options.duration {
        tokio::time::sleep(slot / 2).await;
        control
            .post(format!("{issuer}/_mock/keys/rotate"))
            .json(&json!({"alg": "RS256"}))
            .send()
            .await
            .map_err(|e| format!("rotate: {e}"))?;
        rotations += 1;
        let fresh = mint(&idp, json!({ "user": "admin" }))?;
        // The new kid is unknown to the cache: this request refetches while the JWKS is up.
        let s = send(&control, &url, "fresh", &fresh).await?;
        if s != 200 {
            samples.lock().map_err(|e| e.to_string())?.push(format!("rotation warm-up got {s}"));
            figures.lock().map_err(|e| e.to_string())?.entry("valid").or_default().wrong += 1;
        }
        probes.write().map_err(|e| e.to_string())?.push(probe("valid", fresh, 200));
        tokio::time::sleep(slot / 2).await;
        let fault = &faults[outages as usize % faults.len()];
        let armed = control
            .post(format!("{issuer}/_mock/faults"))
            .json(fault)
            .send()
            .await
            .map_err(|e| format!("fault: {e}"))?;
        if !armed.status().is_success() {
            return Err(format!("arming {fault} got {}", armed.status()));
        }
        outages += 1;
        tokio::time::sleep(slot).await;
        control
            .delete(format!("{issuer}/_mock/faults"))
            .send()
            .await
            .map_err(|e| format!("faults: {e}"))?;
    }
    tokio::time::sleep(options.duration.saturating_sub(started.elapsed())).await;
    stop.store(true, Ordering::Relaxed);
    while loops.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();

    let counters: Value = control
        .get(format!("{issuer}/_mock/counters"))
        .send()
        .await
        .map_err(|e| format!("counters: {e}"))?
        .json()
        .await
        .map_err(|e| format!("counters: {e}"))?;
    let mut classes: BTreeMap<String, ClassFigures> = BTreeMap::new();
    let lat = latencies.lock().map_err(|e| e.to_string())?;
    for (class, f) in figures.lock().map_err(|e| e.to_string())?.iter() {
        let mut f = f.clone();
        if let Some(l) = lat.get(class) {
            let mut l = l.clone();
            l.sort_by(f64::total_cmp);
            let at = |q: f64| l.get(((l.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
            (f.p50_ms, f.p99_ms, f.max_ms) = (at(0.5), at(0.99), at(1.0));
        }
        classes.insert(class.to_string(), f);
    }
    let total: u64 = classes.values().map(|c| c.requests).sum();
    let samples = samples.lock().map_err(|e| e.to_string())?.clone();
    Ok(SoakReport {
        seconds,
        connections: options.connections,
        requests_per_s: total as f64 / seconds,
        classes,
        rotations,
        outages,
        jwks_fetches: counters["jwks"].as_u64().unwrap_or(0),
        rss_start_kib,
        rss_end_kib: rss_kib(),
        samples,
    })
}

fn probe(class: &'static str, token: String, expect: u16) -> Probe {
    Probe {
        class,
        token: token.into(),
        expect,
    }
}

async fn send(http: &reqwest::Client, url: &str, what: &str, token: &str) -> Result<u16, String> {
    http.get(url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{what}: {e}"))
}
