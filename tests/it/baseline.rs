//! `conformance --record`, `--check`, `--fail-on-skip` and the known-differences file, through
//! the built binary as a user runs them: one scenario in a folder of its own, so each run takes
//! a second or two.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::cli::BIN;

/// A folder of its own under the temp folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("oidc-harness-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("scenarios")).expect("the scratch folder is created");
        Scratch(dir)
    }

    /// Copies the repository's scenario `name` into `scenarios/`; returns its new path.
    fn scenario(&self, name: &str) -> PathBuf {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/scenarios")
            .join(format!("{name}.toml"));
        let to = self.0.join("scenarios").join(format!("{name}.toml"));
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
        to
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    // Removes the folder and what the test wrote into it.
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn conformance(scratch: &Scratch, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("conformance")
        .arg("--scenarios")
        .arg(scratch.path("scenarios"))
        .args(args)
        .env("RUST_LOG", "off")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_baseline_passes_its_own_check_and_one_changed_variable_fails_it_with_a_per_step_diff() {
    // Arrange: a baseline of s05a (keys k1, k2, k3 map to u1, u2, u3) on the embedded target.
    let scratch = Scratch::new("baseline-check");
    let file = scratch.scenario("s05a-api-key-users-by-position");
    let baseline = scratch.path("baseline.json");
    let b = baseline.to_str().expect("a UTF-8 path");
    let recorded = conformance(&scratch, &["--record", b]);
    assert!(recorded.status.success(), "{}", text(&recorded.stderr));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).expect("written")).expect("JSON");
    assert_eq!(doc["format"], "oidc-harness baseline");
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["target"], "embedded");
    assert_eq!(
        doc["scenarios"]["s05a-api-key-users-by-position"]["steps"][4]["body"]["username"],
        "u3"
    );
    // Act + Assert: the same configuration answers the same.
    let same = conformance(&scratch, &["--check", b]);
    assert!(same.status.success(), "{}\n{}", text(&same.stdout), text(&same.stderr));
    assert!(text(&same.stdout).contains("1 scenarios: 1 same"), "{}", text(&same.stdout));
    // Act: the third key now maps to u9.
    let toml = std::fs::read_to_string(&file).expect("the copy reads");
    std::fs::write(&file, toml.replace("\"u1,u2,u3\"", "\"u1,u2,u9\"")).expect("the copy is edited");
    let changed = conformance(&scratch, &["--check", b]);
    // Assert: a failure that shows the step, the baseline's answer and today's.
    let out = text(&changed.stdout);
    assert!(!changed.status.success(), "{out}");
    assert!(
        out.contains("changed s05a-api-key-users-by-position: outcome pass in the baseline, fail now"),
        "{out}"
    );
    assert!(out.contains("  step 5 GET /v1/users/own-info (bearer k3)\n"), "{out}");
    assert!(
        out.contains("    baseline  200 application/json {\"groups\":null,\"roles\":null,\"username\":\"u3\"}"),
        "{out}"
    );
    assert!(
        out.contains("    now       200 application/json {\"groups\":null,\"roles\":null,\"username\":\"u9\"}"),
        "{out}"
    );
    assert!(
        out.contains("1 scenarios: 0 same (0 only with known differences), 1 changed"),
        "{out}"
    );
    assert!(
        text(&changed.stderr).contains("differ from the baseline"),
        "{}",
        text(&changed.stderr)
    );
}

#[test]
fn a_file_that_is_not_a_baseline_is_refused_naming_the_file_and_the_problem_before_playing() {
    let scratch = Scratch::new("baseline-bad");
    scratch.scenario("s01-api-key-bearer");
    let bad = scratch.path("baseline.json");
    for (content, problem) in [
        (
            "{\"format\": \"oidc-harness baseline\", \"format_version\": 1, \"sce",
            "the file is truncated",
        ),
        ("{\"name\": \"my-app\", \"version\": \"2.0.0\"}", "not a baseline of oidc-harness"),
        ("format = 1", "not valid JSON"),
    ] {
        std::fs::write(&bad, content).expect("written");
        let out = conformance(&scratch, &["--check", bad.to_str().expect("UTF-8")]);
        let stderr = text(&out.stderr);
        assert!(!out.status.success(), "{problem}");
        assert!(
            stderr.contains(&format!("{}: ", bad.display())) && stderr.contains(problem),
            "{problem}: {stderr}"
        );
        assert!(!stderr.contains("s01-api-key-bearer @"), "nothing is played: {stderr}");
    }
}

#[test]
fn a_known_difference_naming_a_missing_step_fails_before_playing_naming_the_entry() {
    let scratch = Scratch::new("known-bad");
    scratch.scenario("s01-api-key-bearer");
    let known = scratch.path("known-differences.toml");
    std::fs::write(
        &known,
        "[[difference]]\nid = \"gone-step\"\nscope = \"scenario\"\nscenario = \"s01-api-key-bearer\"\nstep = 99\nembedded = \"a\"\nweaviate = \"b\"\nreason = \"c\"\n",
    )
    .expect("written");
    // The file beside the scenario folder is the default one.
    let out = conformance(&scratch, &["--compare", "embedded", "embedded"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "{}: entry \"gone-step\": scenario \"s01-api-key-bearer\" has no step 99",
            known.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s01-api-key-bearer @"), "nothing is played: {stderr}");
}

#[test]
fn every_run_ends_with_the_skipped_count_and_fail_on_skip_makes_a_skip_fail() {
    // Arrange: the real target with no binary, so its one scenario is skipped.
    let scratch = Scratch::new("skips");
    scratch.scenario("s01-api-key-bearer");
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .arg("conformance")
            .arg("--scenarios")
            .arg(scratch.path("scenarios"))
            .args(["--target", "weaviate-binary"])
            .args(extra)
            .env("WEAVIATE_BIN", scratch.path("no-such-binary"))
            .env("RUST_LOG", "off")
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs")
    };
    // Act
    let lenient = run(&[]);
    let strict = run(&["--fail-on-skip"]);
    // Assert
    let table = text(&lenient.stdout);
    assert!(lenient.status.success(), "{table}");
    assert!(table.trim_end().ends_with(" failed, 1 skipped, 0 not applicable"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("s01-api-key-bearer @ weaviate-binary ") && l.split_whitespace().nth(3) == Some("skip")),
        "{table}"
    );
    assert!(!strict.status.success());
    assert!(
        text(&strict.stderr).contains("1 row(s) skipped, and --fail-on-skip makes a skip fail"),
        "{}",
        text(&strict.stderr)
    );
}
