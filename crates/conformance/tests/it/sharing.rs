//! Scenarios that share a real weaviate-server answer as on fresh servers: every scenario that
//! the schedule puts on a used server is played both ways and the transcripts are compared.

use conformance::compare::diff;
use conformance::report::Outcome;
use conformance::scenario::builtin;
use conformance::schedule::{plan, run_all_with, Servers};
use conformance::Target;

#[test]
#[allow(clippy::print_stdout)] // `skipped: ...` goes to the test output, as style.md asks.
fn shared_servers_give_the_transcripts_of_fresh_servers() {
    // Arrange: the scenarios that share a server with another (a batch of one is played as
    // `run` plays it, on a fresh server).
    if let Err(why) = conformance::target::find_weaviate_binary() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI installs weaviate-server: {why}");
        println!("skipped: {why}");
        return;
    }
    let all = builtin().expect("built-in scenarios parse");
    let mut shared: Vec<usize> = plan(&all, &Target::WeaviateBinary, Servers::Shared)
        .into_iter()
        .filter(|b| b.len() > 1)
        .flatten()
        .collect();
    shared.sort_unstable();
    let scenarios: Vec<_> = shared.iter().map(|&i| all[i].clone()).collect();
    assert!(scenarios.len() >= 10, "the built-in scenarios share servers: {shared:?}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    // Act
    let fresh = rt.block_on(run_all_with(&scenarios, Target::WeaviateBinary, Servers::Fresh, |_| {}));
    let reused = rt.block_on(run_all_with(&scenarios, Target::WeaviateBinary, Servers::Shared, |r| {
        eprintln!("{}", r.row().progress_line())
    }));
    // Assert: the same outcome and, step by step, the same normalized answers.
    let mut differences = Vec::new();
    for (f, r) in fresh.iter().zip(&reused) {
        if let (Outcome::Skip(why), _) | (_, Outcome::Skip(why)) = (&f.outcome, &r.outcome) {
            println!("skipped: {}: {why}", f.scenario);
            continue;
        }
        if f.outcome != r.outcome {
            differences.push(format!("{}: fresh {:?} / shared {:?}", f.scenario, f.outcome, r.outcome));
        }
        for d in diff(&f.transcript, &r.transcript) {
            differences.push(format!(
                "{} step {} {}: fresh {:?} / shared {:?}",
                f.scenario, d.step, d.request, d.a, d.b
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "shared servers answered otherwise:\n{}",
        differences.join("\n")
    );
}
