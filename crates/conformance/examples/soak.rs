//! `cargo run --release -p conformance --example soak -- [SECONDS] [CONNECTIONS] [PLAN]`: a load
//! and fault run of `conformance::soak` against the embedded emulation on 127.0.0.1. PLAN is
//! `mixed` (R7, R9, R14; the default) or `steady` (R6, R8). Prints the figures as JSON and exits
//! non-zero on any wrong answer.

use std::time::Duration;

use conformance::soak::{run, Plan, SoakOptions};

#[tokio::main]
#[allow(clippy::print_stdout)] // The report is the program's output.
async fn main() -> std::process::ExitCode {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let connections: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(64);
    let plan = match args.next() {
        None => Plan::Mixed,
        Some(p) => match Plan::parse(&p) {
            Some(plan) => plan,
            None => {
                eprintln!("unknown plan {p:?}: use mixed or steady");
                return std::process::ExitCode::from(2);
            }
        },
    };
    let options = SoakOptions {
        duration: Duration::from_secs(seconds),
        connections,
        plan,
    };
    match run(options).await {
        Ok(report) => {
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            if report.failures() == 0 {
                std::process::ExitCode::SUCCESS
            } else {
                eprintln!("{} wrong answers, unanswered requests or failed schedule steps", report.failures());
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak set-up failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
