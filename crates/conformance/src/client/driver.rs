//! Running one driver process: its input on stdin, its JSON document on stdout, its stderr kept
//! for the failure message, and a deadline after which it is killed.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Lang;
use crate::Error;

/// The last lines of a driver's stderr, for a failure message.
fn tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// Runs a driver `command` on `input` and returns the JSON document it printed. A driver that
/// cannot start, exits with an error, prints no JSON or outlives `deadline` (it is then killed)
/// is an `Err` that carries its stderr.
pub async fn run_driver(lang: Lang, mut command: tokio::process::Command, input: &Value, deadline: Duration) -> Result<Value, Error> {
    let name = lang.name();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::Process(format!("starting the {name} driver: {e}")))?;
    // Read both pipes while the driver runs, so that a full pipe never stalls it and a driver
    // that hangs still shows what it said.
    let mut stdout = child.stdout.take().ok_or_else(|| Error::process("the driver's stdout is piped"))?;
    let mut stderr = child.stderr.take().ok_or_else(|| Error::process("the driver's stderr is piped"))?;
    let out_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf).await;
        buf
    });
    let err_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf).await;
        buf
    });
    if let Some(mut stdin) = child.stdin.take() {
        match stdin.write_all(input.to_string().as_bytes()).await {
            // A driver that exits before it reads its input closes the pipe: its exit status
            // and stderr below say why, which a "broken pipe" would hide.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => return Err(Error::Process(format!("writing the {name} driver's input: {e}"))),
            Ok(()) => {}
        }
    }
    let status = match tokio::time::timeout(deadline, child.wait()).await {
        Ok(status) => status.map_err(|e| Error::Process(format!("waiting for the {name} driver: {e}")))?,
        Err(_) => {
            let _ = child.kill().await;
            let err = tokio::time::timeout(Duration::from_secs(5), err_task)
                .await
                .ok()
                .and_then(Result::ok);
            return Err(Error::Process(format!(
                "the {name} driver did not finish within {deadline:?} and was killed; stderr:\n{}",
                tail(&err.unwrap_or_default())
            )));
        }
    };
    let out = out_task.await.unwrap_or_default();
    let err = err_task.await.unwrap_or_default();
    if !status.success() {
        return Err(Error::Process(format!(
            "the {name} driver exited with {status}; stderr:\n{}",
            tail(&err)
        )));
    }
    serde_json::from_slice(&out)
        .map_err(|e| Error::Process(format!("the {name} driver printed no JSON document ({e}); stderr:\n{}", tail(&err))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_driver_that_hangs_is_killed_at_its_deadline_and_its_stderr_reported() {
        let mut sh = tokio::process::Command::new("sh");
        sh.args(["-c", "echo started >&2; exec sleep 30"]);
        let started = std::time::Instant::now();
        let err = run_driver(Lang::Go, sh, &json!({}), Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(10), "not killed at the deadline");
        assert!(err.contains("did not finish within") && err.contains("started"), "{err}");
        let mut crash = tokio::process::Command::new("sh");
        crash.args(["-c", "echo boom >&2; exit 3"]);
        let err = run_driver(Lang::Java, crash, &json!({}), Duration::from_secs(10))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("exited with") && err.contains("boom"), "{err}");
        // An input larger than a pipe's buffer, to a driver that never reads it: the write
        // meets a closed pipe, and the error is still the exit status and stderr.
        let mut early = tokio::process::Command::new("sh");
        early.args(["-c", "echo early >&2; exit 4"]);
        let big = json!({ "padding": "x".repeat(1 << 20) });
        let err = run_driver(Lang::Python, early, &big, Duration::from_secs(10))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("exited with") && err.contains("early"), "{err}");
    }
}
