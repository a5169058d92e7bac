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
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
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

/// Resident set size in bytes of `pid` and all its descendants, from /proc.
pub fn tree_rss(pid: u32) -> u64 {
    let mut parent: HashMap<u32, u32> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(p) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            // stat is "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
            if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
                if let Some(pp) = stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(1)) {
                    parent.insert(p, pp.parse().unwrap_or(0));
                }
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
    parent.keys().filter(|&&p| in_tree(p)).map(|&p| rss(p)).sum()
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
