//! Every scenario of fixtures/scenarios on the embedded target (one snapshot per file), and on
//! the real weaviate-server when it is installed.

use std::path::Path;

use conformance::report::Outcome;
use conformance::scenario::{load_dir, Scenario};
use conformance::{run, Target};

fn scenarios_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scenarios")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

#[test]
fn s_every_scenario_passes_on_embedded() {
    // Arrange
    let rt = runtime();
    let mut failures = Vec::new();
    insta::glob!("../../../../fixtures/scenarios", "*.toml", |path| {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(path).expect("the scenario file reads");
        let scenario = Scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"));
        // Act
        let r = rt.block_on(run(&scenario, Target::Embedded));
        // Assert
        if r.outcome != Outcome::Pass {
            failures.push(format!("{}: {:?}", r.scenario, r.outcome));
        }
        insta::assert_json_snapshot!(r.transcript_json());
    });
    assert!(failures.is_empty(), "scenarios failing on embedded:\n{}", failures.join("\n"));
}

#[test]
fn s_the_builtin_list_is_the_scenario_directory() {
    let dir: Vec<String> = load_dir(&scenarios_dir())
        .expect("scenarios load")
        .into_iter()
        .map(|s| s.name)
        .collect();
    let builtin: Vec<String> = conformance::scenario::builtin()
        .expect("built-in scenarios parse")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(dir.len() >= 14, "{dir:?}");
    assert_eq!(dir, builtin);
}

#[test]
#[allow(clippy::print_stdout)] // `skipped: ...` goes to the test output, as style.md asks.
fn s_scenarios_on_the_real_weaviate_binary_have_the_embedded_outcomes() {
    // Arrange
    if let Err(why) = conformance::target::find_weaviate_binary() {
        println!("skipped: {why}");
        return;
    }
    let rt = runtime();
    let scenarios = load_dir(&scenarios_dir()).expect("scenarios load");
    let mut diffs = Vec::new();
    for s in &scenarios {
        // Act
        let real = rt.block_on(run(s, Target::WeaviateBinary));
        eprintln!("{}", real.row().progress_line());
        if let Outcome::Skip(why) = &real.outcome {
            println!("skipped: {}: {why}", s.name);
            continue;
        }
        let emu = rt.block_on(run(s, Target::Embedded));
        // Transcript differences are fidelity gaps to look at, not failures: print them.
        for (r, e) in real.transcript.iter().zip(&emu.transcript) {
            if r.status != e.status || r.body != e.body {
                eprintln!(
                    "transcript difference {} step {} {}: weaviate-binary {} {} / embedded {} {}",
                    s.name, r.step, r.request, r.status, r.body, e.status, e.body
                );
            }
        }
        // Assert: the expectations hold on the real server, as on the emulation.
        if real.outcome != Outcome::Pass || emu.outcome != Outcome::Pass {
            diffs.push(format!(
                "{}: weaviate-binary {:?} / embedded {:?}",
                s.name, real.outcome, emu.outcome
            ));
        }
    }
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}
