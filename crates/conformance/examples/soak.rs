//! `cargo run --release -p conformance --example soak -- [SECONDS] [CONNECTIONS]`: the load and
//! fault run of `conformance::soak` against the embedded emulation on 127.0.0.1; prints its
//! figures as JSON and exits non-zero on any wrong answer.

use std::time::Duration;

use conformance::soak::{run, SoakOptions};

#[tokio::main]
#[allow(clippy::print_stdout)] // The report is the program's output.
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let connections: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    let options = SoakOptions {
        duration: Duration::from_secs(seconds),
        connections,
    };
    match run(options).await {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            if report.failures() == 0 {
                std::process::ExitCode::SUCCESS
            } else {
                eprintln!("{} wrong answers or unanswered requests", report.failures());
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak set-up failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
