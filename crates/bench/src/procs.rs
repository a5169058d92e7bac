//! Subject processes: free ports, spawning in their own process group, readiness, RSS and stop.

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A free loopback port (bound then released: another process may race for it, rarely).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Checks `done` every `every` until it holds or `timeout` has passed; whether it held.
pub fn poll_until(timeout: Duration, every: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// A free port `p` whose neighbour `p + 1` is free too (Weaviate's gossip and Raft pairs).
pub fn free_port_pair() -> anyhow::Result<u16> {
    loop {
        let a = TcpListener::bind("127.0.0.1:0")?;
        let p = a.local_addr()?.port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return Ok(p);
        }
    }
}

/// A running subject: its process group is stopped on drop.
pub struct Running {
    child: Child,
    /// Milliseconds from spawn to the first successful readiness response.
    pub startup_ms: f64,
}

impl Running {
    /// Spawns `cmd` in a new process group with stdout and stderr appended to `log`, then polls
    /// `ready_url` until it answers 2xx or `timeout` passes.
    pub fn start(mut cmd: Command, log: &Path, ready_url: &str, timeout: Duration) -> anyhow::Result<Running> {
        let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        cmd.stdin(Stdio::null()).stdout(file.try_clone()?).stderr(file).process_group(0);
        let start = Instant::now();
        let child = cmd.spawn().with_context(|| format!("spawning {:?}", cmd.get_program()))?;
        let mut running = Running { child, startup_ms: 0.0 };
        loop {
            if get_ok(ready_url) {
                running.startup_ms = start.elapsed().as_secs_f64() * 1e3;
                return Ok(running);
            }
            if let Some(status) = running.child.try_wait()? {
                bail!("exited with {status} before it was ready (log: {})", log.display());
            }
            if start.elapsed() > timeout {
                bail!("not ready within {} s (log: {})", timeout.as_secs(), log.display());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The process group id (the child's pid).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        // Children of the group leader (a JVM under kc.sh) may outlive it: kill what is left.
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// One plain HTTP/1.1 GET on loopback, without a client library: true on a 2xx status.
pub fn get_ok(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let Ok(mut s) = std::net::TcpStream::connect(host) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && head[9] == b'2'
}

/// `pid` and all its descendants, from /proc.
fn tree(pid: u32) -> Vec<u32> {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if let Some(pp) = stat_fields(p).and_then(|f| f.get(1)?.parse().ok()) {
                parent.insert(p, pp);
            }
        }
    }
    let in_tree = |mut p: u32| loop {
        if p == pid {
            return true;
        }
        match parent.get(&p) {
            Some(&pp) if pp != 0 && pp != p => p = pp,
            _ => return false,
        }
    };
    parent.keys().copied().filter(|&p| in_tree(p)).collect()
}

/// The fields of /proc/PID/stat after the command name, from the state on (index 0 is the
/// state, 1 the parent, 11 and 12 the user and system CPU ticks). The name may hold spaces and
/// parentheses, so the split is after the last ')'.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    after_name(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The fields of a /proc stat line after `pid (name)`.
fn after_name(stat: &str) -> Option<Vec<String>> {
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// Resident set size in bytes of `pid` and all its descendants.
pub fn tree_rss(pid: u32) -> u64 {
    tree(pid).into_iter().map(rss).sum()
}

/// CPU time (user, system) in clock ticks that `pid` has used, its threads included; a zombie
/// keeps its final figures until it is reaped.
pub fn cpu_ticks(pid: u32) -> Option<(u64, u64)> {
    let f = stat_fields(pid)?;
    Some((f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?))
}

/// CPU time (user, system) in clock ticks of `pid` and all its descendants.
pub fn tree_cpu_ticks(pid: u32) -> (u64, u64) {
    tree(pid)
        .into_iter()
        .filter_map(cpu_ticks)
        .fold((0, 0), |(u, s), (du, ds)| (u + du, s + ds))
}

/// Whether `pid` has exited and waits to be reaped.
pub fn is_zombie(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|s| s == "Z"))
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux when it fails).
pub fn ticks_per_s() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .filter(|&t: &f64| t > 0.0)
            .unwrap_or(100.0)
    })
}

fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Samples `tree_rss(pid)` every 200 ms on a thread until the returned guard is finished.
pub struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    /// Starts sampling.
    pub fn start(pid: u32) -> RssSampler {
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(tree_rss(pid));
                std::thread::sleep(Duration::from_millis(200));
            }
            peak.max(tree_rss(pid))
        });
        RssSampler { stop, thread }
    }

    /// Stops sampling; the peak RSS in bytes.
    pub fn finish(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_stops_when_the_condition_holds_or_the_time_is_up() {
        let mut calls = 0;
        assert!(poll_until(Duration::from_secs(5), Duration::from_millis(1), || {
            calls += 1;
            calls == 3
        }));
        assert_eq!(calls, 3);
        let began = Instant::now();
        assert!(!poll_until(Duration::from_millis(30), Duration::from_millis(5), || false));
        assert!(began.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn the_fields_start_after_a_name_with_spaces_and_parentheses() {
        let line = "4242 (tokio (rt) worker) S 17 4242 4242 0 -1 4194560 100 0 0 0 321 54 0 0 20 0 3 0";
        let f = after_name(line).expect("a stat line");
        assert_eq!((f[0].as_str(), f[1].as_str()), ("S", "17"));
        assert_eq!((f[11].as_str(), f[12].as_str()), ("321", "54"));
        assert_eq!(after_name("no name here"), None);
    }

    #[test]
    fn an_exited_child_keeps_its_cpu_times_until_it_is_reaped() {
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(!is_zombie(std::process::id()));
        let mut child = Command::new("true").spawn().expect("spawn true");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !is_zombie(child.id()) {
            assert!(Instant::now() < deadline, "the child never became a zombie");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(cpu_ticks(child.id()).is_some(), "a zombie's stat still has its times");
        child.wait().expect("reap");
        assert!(ticks_per_s() > 0.0);
    }
}
