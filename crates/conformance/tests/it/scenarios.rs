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
        // Assert: a scenario whose browser or client library is absent is skipped, never passed;
        // CI installs them all, so there a skip is a failure.
        if let Outcome::Skip(why) = &r.outcome {
            return conformance::skip::missing(format!("{}: {why}", r.scenario));
        }
        if r.outcome != Outcome::Pass {
            failures.push(format!("{}: {:?}", r.scenario, r.outcome));
        }
        insta::assert_json_snapshot!(r.transcript_json());
    });
    assert!(failures.is_empty(), "scenarios failing on embedded:\n{}", failures.join("\n"));
}

/// No snapshot without its scenario (a renamed or deleted scenario leaves one behind, which
/// `insta` never reads again) and no scenario without its snapshot.
#[test]
fn s_every_snapshot_belongs_to_a_scenario_and_every_scenario_has_one() {
    const PREFIX: &str = "it__scenarios__s_every_scenario_passes_on_embedded@";
    let snapshots_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let mut snapshots: Vec<String> = std::fs::read_dir(&snapshots_dir)
        .expect("the snapshot folder reads")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".snap.new") && !n.ends_with(".pending-snap"))
        .collect();
    snapshots.sort();
    let mut expected: Vec<String> = std::fs::read_dir(scenarios_dir())
        .expect("the scenario folder reads")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .map(|n| format!("{PREFIX}{n}.snap"))
        .collect();
    expected.sort();
    let orphans: Vec<&String> = snapshots.iter().filter(|s| !expected.contains(s)).collect();
    let missing: Vec<&String> = expected.iter().filter(|e| !snapshots.contains(e)).collect();
    assert!(
        orphans.is_empty() && missing.is_empty(),
        "snapshots without a scenario: {orphans:?}; scenarios without a snapshot: {missing:?}"
    );
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
fn s_scenarios_on_the_real_weaviate_binary_answer_as_embedded_but_for_the_known_differences() {
    // Arrange
    if let Err(why) = conformance::target::find_weaviate_binary() {
        return conformance::skip::missing(&why);
    }
    let rt = runtime();
    let scenarios = load_dir(&scenarios_dir()).expect("scenarios load");
    let known = conformance::known_differences::KnownDifferences::builtin().expect("the built-in list parses");
    // Act: as `conformance --compare embedded weaviate-binary` (CI's gate) does.
    let mut c = rt.block_on(conformance::compare::compare(
        &scenarios,
        &Target::Embedded,
        &Target::WeaviateBinary,
        |r| eprintln!("{}", r.row().progress_line()),
    ));
    c.apply(&known);
    // Assert: every expectation holds on both, and every answer is the same unless listed.
    for p in &c.pairs {
        if let Outcome::Skip(why) = &p.b.outcome {
            conformance::skip::missing(format!("{}: {why}", p.b.scenario));
        }
    }
    assert!(c.passed(), "{}", c.text());
}

const ONE_KEY: &str = r#"
id = "s99"
title = "t"

[weaviate.env]
AUTHENTICATION_APIKEY_ENABLED = "true"
AUTHENTICATION_APIKEY_ALLOWED_KEYS = "k"
AUTHENTICATION_APIKEY_USERS = "u"

[[step]]
kind = "token"
name = "k"
value = "k"

[[step]]
kind = "http"
path = "/v1/users/own-info"
bearer = "k"
expect = { status = 200, body_contains = { username = "WHO" } }
"#;

#[test]
fn s_a_wrong_expectation_fails_the_scenario_naming_the_step_and_the_right_one_passes() {
    // Arrange
    let rt = runtime();
    let wrong = Scenario::parse("s99-x", &ONE_KEY.replace("WHO", "someone-else")).expect("parses");
    let right = Scenario::parse("s99-x", &ONE_KEY.replace("WHO", "u")).expect("parses");
    // Act
    let failed = rt.block_on(run(&wrong, Target::Embedded));
    let passed = rt.block_on(run(&right, Target::Embedded));
    // Assert
    match &failed.outcome {
        Outcome::Fail(why) => assert!(why.contains("step 2") && why.contains("someone-else"), "{why}"),
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(passed.outcome, Outcome::Pass);
}

#[test]
fn s_an_unexpected_or_different_startup_error_fails_the_scenario() {
    // Arrange: the same keys and users start fine, so an expected refusal must fail.
    let rt = runtime();
    let text = ONE_KEY.replace("title = \"t\"", "title = \"t\"\nexpect_startup_error = \"x\"");
    let s = Scenario::parse("s99-x", &text).expect("parses");
    let mismatched = Scenario::parse("s99-x", &text.replace("ALLOWED_KEYS = \"k\"", "ALLOWED_KEYS = \"k,\"")).expect("parses");
    // Act
    let started = rt.block_on(run(&s, Target::Embedded));
    let refused = rt.block_on(run(&mismatched, Target::Embedded));
    // Assert
    assert!(
        matches!(&started.outcome, Outcome::Fail(w) if w.contains("started")),
        "{:?}",
        started.outcome
    );
    assert!(
        matches!(&refused.outcome, Outcome::Fail(w) if w.contains("keys cannot have length 0")),
        "{:?}",
        refused.outcome
    );
}

#[test]
fn s_unknown_keys_and_steps_of_the_wrong_shape_are_refused_when_loading() {
    let unknown = ONE_KEY.replace("title = \"t\"", "title = \"t\"\ntitel = \"typo\"");
    let e = Scenario::parse("s99-x", &unknown).expect_err("unknown key");
    assert!(e.to_string().contains("titel"), "{e}");
    let no_path = ONE_KEY.replace("path = \"/v1/users/own-info\"\n", "");
    let e = Scenario::parse("s99-x", &no_path).expect_err("http step without a path");
    assert!(e.to_string().contains("step 2"), "{e}");
    let e = Scenario::parse("s98-x", ONE_KEY).expect_err("id must start the file name");
    assert!(e.to_string().contains("s99"), "{e}");
    assert!(Scenario::parse("s99-x", ONE_KEY).is_ok());
}

/// The scenario the README shows under "Writing a scenario" parses and passes, so the tutorial
/// cannot rot.
#[test]
fn s_the_readme_example_scenario_passes_on_embedded() {
    let readme = include_str!("../../../../README.md");
    let start = readme.find("### Writing a scenario").expect("README has the section");
    let block = &readme[start..];
    let open = block.find("```toml\n").expect("the section has a TOML example") + "```toml\n".len();
    let close = block[open..].find("```").expect("the example is closed") + open;
    let scenario = Scenario::parse("s42-readme-example", &block[open..close]).unwrap_or_else(|e| panic!("{e}"));
    let r = runtime().block_on(run(&scenario, Target::Embedded));
    assert_eq!(r.outcome, Outcome::Pass, "{}", r.transcript_json());
}

#[test]
fn s_grpc_steps_of_the_wrong_shape_are_refused_and_a_wrong_grpc_code_fails() {
    // Arrange
    let grpc_step = |extra: &str| format!("{ONE_KEY}\n[[step]]\nkind = \"grpc\"\n{extra}\n");
    let right = grpc_step("method = \"Search\"\nbearer = \"k\"\nbody = { collection = \"C\" }\nexpect = { status = 2, message = \"could not find class C in schema\" }")
        .replace("WHO", "u");
    let wrong = right.replace("status = 2,", "status = 7,");
    // Act + Assert: loading
    for (extra, why) in [
        ("method = \"Serch\"", "unknown gRPC method"),
        ("method = \"Search\"", "needs body.collection"),
        ("method = \"Search\"\nbody = { colection = \"C\" }", "colection"),
        ("method = \"BatchObjects\"\nbody = { objects = [{ id = \"x\" }] }", "collection"),
        ("method = \"Search\"\npath = \"/v1\"\nbody = { collection = \"C\" }", "path"),
    ] {
        let e = Scenario::parse("s99-x", &grpc_step(extra)).expect_err(extra);
        assert!(e.to_string().contains("step 3") && e.to_string().contains(why), "{extra}: {e}");
    }
    // Act + Assert: playing
    let rt = runtime();
    let passed = rt.block_on(run(&Scenario::parse("s99-x", &right).expect("parses"), Target::Embedded));
    let failed = rt.block_on(run(&Scenario::parse("s99-x", &wrong).expect("parses"), Target::Embedded));
    assert_eq!(passed.outcome, Outcome::Pass, "{}", passed.transcript_json());
    match &failed.outcome {
        Outcome::Fail(why) => assert!(why.contains("step 3") && why.contains("expected 7, got 2"), "{why}"),
        other => panic!("expected a failure, got {other:?}"),
    }
}
