//! `bench`: starts each subject (our provider, the embedded Weaviate layer, an axum hello-world,
//! the peers people use instead), loads it from wrk on 127.0.0.1, and writes a markdown report,
//! a JSON file and one SVG bar chart per workload. See docs/benchmarks.md.

mod limit;
mod procs;
mod report;
mod subjects;
mod workloads;
mod wrk;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use serde::Serialize;

use subjects::{Api, Ctx};
use workloads::Workload;

/// Benchmark the provider and the Weaviate layer against their peers.
#[derive(Debug, Parser)]
struct Args {
    /// Seconds of load per workload (wrk -d).
    #[arg(long, default_value_t = 15)]
    duration: u32,
    /// A smoke run: 3 s per workload and 1 s per openssl operation.
    #[arg(long)]
    quick: bool,
    /// wrk threads (-t).
    #[arg(long, default_value_t = 2)]
    threads: u32,
    /// wrk connections (-c).
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Subjects to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', default_values_t = subjects::ALL.iter().map(|s| s.to_string()))]
    subjects: Vec<String>,
    /// Workloads to run, comma-separated ids such as `client_credentials` (default: all).
    #[arg(long, value_delimiter = ',', default_values_t = Workload::ALL.iter().map(|w| w.id().to_owned()))]
    workloads: Vec<String>,
    /// Folder of the JSON results, markdown report and plots.
    #[arg(long, default_value = "docs/bench")]
    out: PathBuf,
    /// Markdown file whose `<!-- bench:begin -->`..`<!-- bench:end -->` section gets the report.
    #[arg(long, default_value = "docs/benchmarks.md")]
    doc: PathBuf,
    /// A sentence printed at the top of the report (e.g. the machine's state).
    #[arg(long, default_value = "")]
    remark: String,
    /// Cache folder for installed peers.
    #[arg(long, default_value = "target/bench-cache")]
    cache: PathBuf,
}

/// One subject's outcome.
#[derive(Debug, Serialize)]
pub struct SubjectResult {
    /// Subject name.
    pub name: String,
    /// Said beside its figures.
    pub note: Option<String>,
    /// Why it did not run, when it did not.
    pub skipped: Option<String>,
    /// Spawn to first successful readiness (discovery) response, ms.
    pub startup_ms: Option<f64>,
    /// RSS of its process tree after start, bytes.
    pub idle_rss: Option<u64>,
    /// Peak RSS of its process tree under load, bytes.
    pub loaded_rss: Option<u64>,
}

/// One (subject, workload) outcome.
#[derive(Debug, Serialize)]
pub struct Run {
    /// Subject name.
    pub subject: String,
    /// Workload.
    pub workload: Workload,
    /// The figures, when it ran.
    pub figures: Option<wrk::Figures>,
    /// Why it did not run (not applicable ones are left out).
    pub skipped: Option<String>,
    /// Peak RSS of the subject's process tree during this workload, bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss: Option<u64>,
    /// RSS of the subject's process tree once this workload's load stopped, bytes: what the
    /// workload left behind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_after: Option<u64>,
    /// Bytes of the body the probe got back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_bytes: Option<usize>,
}

/// Everything one invocation measured.
#[derive(Debug, Serialize)]
pub struct Results {
    /// UTC time of the start, RFC 3339.
    pub started: String,
    /// Wall time of the whole run, s.
    pub wall_s: f64,
    /// The 1-minute load average at the start (other work on the machine).
    pub load_average: Option<f64>,
    /// Logical CPUs.
    pub cpus: usize,
    /// The remark given on the command line.
    pub remark: String,
    /// wrk settings.
    pub load: wrk::Load,
    /// openssl speed.
    pub limit: Option<limit::SignLimit>,
    /// Our signer in process, every core signing.
    pub signer: Option<limit::SignerRate>,
    /// Subjects.
    pub subjects: Vec<SubjectResult>,
    /// Runs.
    pub runs: Vec<Run>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let began = std::time::Instant::now();
    let load = wrk::Load {
        threads: args.threads,
        connections: args.connections,
        seconds: if args.quick { 3 } else { args.duration },
    };
    anyhow::ensure!(wrk::available(), "wrk is not installed (apt-get install wrk)");
    let workloads: Vec<Workload> = Workload::ALL
        .into_iter()
        .filter(|w| args.workloads.iter().any(|id| id == w.id()))
        .collect();
    if let Some(unknown) = args
        .workloads
        .iter()
        .find(|id| !Workload::ALL.iter().any(|w| w.id() == id.as_str()))
    {
        anyhow::bail!("unknown workload {unknown}");
    }
    let bin_dir = std::env::current_exe()?.parent().context("exe folder")?.to_path_buf();
    std::fs::create_dir_all(args.cache.join("logs"))?;
    let cache = args.cache.canonicalize()?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut results = Results {
        started: now_utc(),
        wall_s: 0.0,
        load_average: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok()),
        cpus,
        remark: args.remark.clone(),
        load,
        limit: None,
        signer: None,
        subjects: vec![],
        runs: vec![],
    };

    // The signing limits first: the token workloads they divide run next (our provider is the
    // first subject), so both figures see the machine in the same state. At the end of the run
    // they came seven minutes after the tokens, and a shared machine can change in that time.
    eprintln!("== openssl speed");
    results.limit = limit::measure(if args.quick { 1 } else { 3 }, cpus)
        .map_err(|e| eprintln!("skipped: openssl speed: {e}"))
        .ok();
    eprintln!("== our signer in process");
    results.signer = Some(limit::signer_rate(if args.quick { 1.0 } else { 3.0 }, cpus));

    // The provider the Weaviate subjects trust, kept apart from the measured one.
    let trusted = if args.subjects.iter().any(|s| s.starts_with("weaviate")) {
        let ctx = Ctx {
            cache: cache.clone(),
            bin_dir: bin_dir.clone(),
            issuer: None,
        };
        let launch = subjects::prepare("oidc-harness", &ctx).map_err(anyhow::Error::msg)?;
        let Api::Oidc(oidc) = launch.api.clone() else {
            unreachable!("the provider serves OIDC")
        };
        let running = procs::Running::start(
            launch.cmd,
            &cache.join("logs/trusted-idp.log"),
            &launch.ready_url,
            launch.ready_timeout,
        )?;
        let issuer = launch.ready_url.trim_end_matches("/.well-known/openid-configuration").to_owned();
        Some((running, oidc, issuer))
    } else {
        None
    };
    let ctx = Ctx {
        cache: cache.clone(),
        bin_dir,
        issuer: trusted.as_ref().map(|t| t.2.clone()),
    };

    for name in &args.subjects {
        eprintln!("== {name}");
        let body = |w| {
            let ours = results.runs.iter().find(|r| r.subject == "oidc-harness" && r.workload == w);
            ours.and_then(|r| r.body_bytes)
        };
        let bodies = workloads::Bodies {
            discovery: body(Workload::Discovery),
            jwks: body(Workload::Jwks),
        };
        let trusted_oidc = trusted.as_ref().map(|t| &t.1);
        let (subject, runs) = bench_subject(name, &ctx, load, &workloads, trusted_oidc, bodies);
        if let Some(reason) = &subject.skipped {
            eprintln!("skipped: {name}: {reason}");
        }
        results.subjects.push(subject);
        results.runs.extend(runs);
    }
    drop(trusted);

    results.wall_s = began.elapsed().as_secs_f64();
    report::write(&results, &args.out, &args.doc)?;
    eprintln!("done in {:.0} s; report in {}", results.wall_s, args.out.display());
    Ok(())
}

/// Starts one subject, runs each of `workloads` it supports, stops it.
fn bench_subject(
    name: &str,
    ctx: &Ctx,
    load: wrk::Load,
    workloads: &[Workload],
    trusted: Option<&subjects::Oidc>,
    bodies: workloads::Bodies,
) -> (SubjectResult, Vec<Run>) {
    let mut subject = SubjectResult {
        name: name.to_owned(),
        note: None,
        skipped: None,
        startup_ms: None,
        idle_rss: None,
        loaded_rss: None,
    };
    let launch = match subjects::prepare(name, ctx) {
        Ok(l) => l,
        Err(reason) => {
            subject.skipped = Some(reason);
            return (subject, vec![]);
        }
    };
    subject.note = launch.note.clone();
    let log = ctx.cache.join(format!("logs/{name}.log"));
    let running = match procs::Running::start(launch.cmd, &log, &launch.ready_url, launch.ready_timeout) {
        Ok(r) => r,
        Err(e) => {
            subject.skipped = Some(format!("{e:#}"));
            return (subject, vec![]);
        }
    };
    subject.startup_ms = Some(running.startup_ms);
    eprintln!("ready in {:.1} ms", running.startup_ms);
    std::thread::sleep(Duration::from_millis(500));
    subject.idle_rss = Some(procs::tree_rss(running.pid()));
    // A fresh token per subject: the Weaviate runs stay within its lifetime.
    let token = trusted.map(workloads::fetch_token).transpose();
    let mut runs = vec![];
    let mut peak = 0;
    for &w in workloads {
        let req = match &token {
            Err(e) => Err(format!("token from the trusted provider: {e}")),
            Ok(t) => workloads::request(w, &launch.api, t.as_deref(), bodies),
        };
        let req = match req {
            Err(reason) if reason == "not applicable" => continue,
            Err(reason) => Err(reason),
            Ok(req) => workloads::probe(w, &req).map(|bytes| (req, bytes)),
        };
        let run = match req {
            Err(reason) => {
                eprintln!("skipped: {name} {}: {reason}", w.id());
                Run {
                    subject: name.to_owned(),
                    workload: w,
                    figures: None,
                    skipped: Some(reason),
                    peak_rss: None,
                    rss_after: None,
                    body_bytes: None,
                }
            }
            Ok((req, body_bytes)) => {
                let sampler = procs::RssSampler::start(running.pid());
                let script = ctx.cache.join(format!("logs/{name}-{}.lua", w.id()));
                let figures = wrk::run(&req, load, &script, running.pid());
                let workload_peak = sampler.finish();
                peak = peak.max(workload_peak);
                let after = procs::tree_rss(running.pid());
                let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
                match figures {
                    Ok(f) => {
                        let us = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.2}"));
                        eprintln!(
                            "{:<24} {:>10.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {} status / {} socket  RSS peak {:.1} MiB, after {:.1} MiB  CPU µs/request server {} wrk {}",
                            w.id(),
                            f.rps,
                            f.p50_ms,
                            f.p99_ms,
                            f.status_errors,
                            f.socket_errors,
                            mib(workload_peak),
                            mib(after),
                            us(f.server_cpu_us),
                            us(f.client_cpu_us)
                        );
                        Run {
                            subject: name.to_owned(),
                            workload: w,
                            figures: Some(f),
                            skipped: None,
                            peak_rss: Some(workload_peak),
                            rss_after: Some(after),
                            body_bytes: Some(body_bytes),
                        }
                    }
                    Err(e) => Run {
                        subject: name.to_owned(),
                        workload: w,
                        figures: None,
                        skipped: Some(format!("{e:#}")),
                        peak_rss: Some(workload_peak),
                        rss_after: Some(after),
                        body_bytes: Some(body_bytes),
                    },
                }
            }
        };
        runs.push(run);
    }
    subject.loaded_rss = (peak > 0).then_some(peak);
    drop(running);
    (subject, runs)
}

/// The current UTC time, RFC 3339.
fn now_utc() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
