//! One load run with `wrk`: a generated Lua script sets the request and prints the figures as JSON.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Serialize;

/// An HTTP request to repeat, and the status every answer should have.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Form body of a POST.
    pub body: Option<String>,
    /// The status each response should have (200, or 401 for a rejected token).
    pub expect: u16,
}

impl Request {
    /// A GET expecting 200.
    pub fn get(url: String) -> Request {
        Request {
            method: "GET",
            url,
            headers: vec![],
            body: None,
            expect: 200,
        }
    }

    /// A form POST expecting 200.
    pub fn form(url: String, body: String) -> Request {
        let ct = ("Content-Type".to_owned(), "application/x-www-form-urlencoded".to_owned());
        Request {
            method: "POST",
            url,
            headers: vec![ct],
            body: Some(body),
            expect: 200,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: String) -> Request {
        self.headers.push((name.to_owned(), value));
        self
    }

    /// Adds HTTP Basic client authentication.
    pub fn basic(self, id: &str, secret: &str) -> Request {
        use base64::Engine;
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        self.header("Authorization", format!("Basic {b}"))
    }

    /// Sets the expected status.
    pub fn expecting(mut self, status: u16) -> Request {
        self.expect = status;
        self
    }
}

/// Load settings: wrk's -t, -c and -d.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Load {
    /// wrk threads.
    pub threads: u32,
    /// Open connections.
    pub connections: u32,
    /// Seconds per workload.
    pub seconds: u32,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Completed requests per second.
    pub rps: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Responses with another status than expected.
    pub status_errors: u64,
    /// Socket errors (connect, read, write, timeout); a server that closes every connection
    /// shows up here as read errors.
    pub socket_errors: u64,
    /// Completed requests.
    pub requests: u64,
    /// CPU time of the subject's processes (user and system) per completed request, µs: what the
    /// requests cost the server whatever the throughput.
    pub server_cpu_us: Option<f64>,
    /// CPU time of wrk itself per completed request, µs: on the same cores, a larger answer
    /// costs the client more too.
    pub client_cpu_us: Option<f64>,
}

/// The Lua script for `req`. Expecting a non-2xx status needs a per-response hook (slower) to
/// count the answers with any other status; otherwise wrk's own count of status >= 400 is used.
fn script(req: &Request) -> String {
    let mut s = format!("wrk.method = {:?}\n", req.method);
    if let Some(body) = &req.body {
        s += &format!("wrk.body = {body:?}\n");
    }
    for (k, v) in &req.headers {
        s += &format!("wrk.headers[{k:?}] = {v:?}\n");
    }
    let custom = !(200..300).contains(&req.expect);
    if custom {
        s += &format!(
            "local threads = {{}}\nfunction setup(t) table.insert(threads, t) end\n\
             function init(args) unexpected = 0 end\n\
             function response(status, headers, body) if status ~= {} then unexpected = unexpected + 1 end end\n",
            req.expect
        );
    }
    s += "function done(summary, latency, requests)\n  local unexpected = 0\n";
    if custom {
        s += "  for _, t in ipairs(threads) do unexpected = unexpected + t:get(\"unexpected\") end\n";
    } else {
        s += "  unexpected = summary.errors.status\n";
    }
    s += "  local e = summary.errors\n  io.write(string.format('BENCH {\"requests\":%d,\"duration_us\":%d,\
\"socket\":%d,\"unexpected\":%d,\"p50_us\":%d,\"p99_us\":%d}\\n', summary.requests, summary.duration,\
 e.connect + e.read + e.write + e.timeout, unexpected, latency:percentile(50), latency:percentile(99)))\nend\n";
    s
}

#[derive(serde::Deserialize)]
struct Raw {
    requests: u64,
    duration_us: u64,
    socket: u64,
    unexpected: u64,
    p50_us: u64,
    p99_us: u64,
}

/// Runs wrk against `req` with `load` while the subject runs as `server_pid` (and its
/// descendants); the script is written to `script_path`.
pub fn run(req: &Request, load: Load, script_path: &Path, server_pid: u32) -> anyhow::Result<Figures> {
    use std::io::Read;
    std::fs::write(script_path, script(req))?;
    let server_before = crate::procs::tree_cpu_ticks(server_pid);
    let mut child = Command::new("wrk")
        .arg(format!("-t{}", load.threads))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.seconds))
        .args(["--timeout", "5s", "-s"])
        .arg(script_path)
        .arg(&req.url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running wrk")?;
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).context("reading wrk's output")?;
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).context("reading wrk's errors")?;
    }
    let server_after = crate::procs::tree_cpu_ticks(server_pid);
    // wrk's own CPU time: read once it has exited, before it is reaped.
    let exited = crate::procs::poll_until(Duration::from_secs(10), Duration::from_millis(2), || {
        crate::procs::is_zombie(child.id())
    });
    let client = if exited { crate::procs::cpu_ticks(child.id()) } else { None };
    child.wait().context("waiting for wrk")?;
    let Some(line) = stdout.lines().find_map(|l| l.strip_prefix("BENCH ")) else {
        bail!("wrk printed no figures: {stdout}{stderr}");
    };
    let raw: Raw = serde_json::from_str(line).context("wrk's figures")?;
    let per_request =
        |(u, s): (u64, u64)| (raw.requests > 0).then(|| (u + s) as f64 / crate::procs::ticks_per_s() * 1e6 / raw.requests as f64);
    let server = (
        server_after.0.saturating_sub(server_before.0),
        server_after.1.saturating_sub(server_before.1),
    );
    Ok(Figures {
        rps: raw.requests as f64 / (raw.duration_us.max(1) as f64 / 1e6),
        p50_ms: raw.p50_us as f64 / 1e3,
        p99_ms: raw.p99_us as f64 / 1e3,
        status_errors: raw.unexpected,
        socket_errors: raw.socket,
        requests: raw.requests,
        server_cpu_us: per_request(server),
        client_cpu_us: client.and_then(per_request),
    })
}

/// Whether `wrk` can be run.
pub fn available() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}
