//! Weaviate releases for the weaviate-binary target: a version the module registry does not
//! have fails with Go's own answer and leaves nothing in the cache; scenarios that do not apply
//! to a version are reported as such.

use conformance::report::Outcome;
use conformance::scenario::Scenario;
use conformance::target::{Installer, WeaviateVersion};
use conformance::{run, Target};

#[test]
#[allow(clippy::print_stdout)] // `skipped: ...` goes to the test output, as style.md asks.
fn a_version_the_registry_does_not_have_fails_with_gos_answer_and_leaves_no_cache_entry() {
    // Arrange: `go` is what .ci/run installs to build weaviate-server.
    if let Err(e) = std::process::Command::new("go").arg("version").output() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI installs Go: {e}");
        println!("skipped: go: {e}");
        return;
    }
    let cache = std::env::temp_dir().join(format!("oidc-harness-versions-{}-{}", std::process::id(), rand_suffix()));
    let installer = Installer {
        cache: cache.clone(),
        go: "go".into(),
    };
    let v: WeaviateVersion = "v0.0.0-does-not-exist".parse().expect("a well-formed version");
    // Act
    let err = installer.ensure(&v, |_| {}).expect_err("no such release");
    // Assert: Go's message names the module and version (the registry's answer follows it).
    let text = err.to_string();
    assert!(
        text.contains("go: github.com/weaviate/weaviate") && text.contains("v0.0.0-does-not-exist"),
        "{text}"
    );
    let left: Vec<_> = std::fs::read_dir(&cache).map(|d| d.collect()).unwrap_or_default();
    assert!(left.is_empty(), "the cache keeps nothing of a failed build: {left:?}");
    let _ = std::fs::remove_dir_all(&cache);
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[test]
fn targets_take_a_version_and_bad_ones_are_refused_with_the_input_named() {
    assert_eq!(
        Target::from_spec("weaviate-binary@v1.29.8").expect("a release").name(),
        "weaviate-binary@v1.29.8"
    );
    let e = Target::from_spec("weaviate-binary@1.30.x").expect_err("not exact").to_string();
    assert!(e.contains("\"1.30.x\""), "{e}");
    let e = Target::from_spec("embedded@v1.29.8")
        .expect_err("the emulation has one version")
        .to_string();
    assert!(e.contains("only weaviate-binary takes a version"), "{e}");
    assert!(Target::from_spec("weaviate")
        .expect_err("unknown")
        .to_string()
        .contains("unknown target \"weaviate\""));
}

#[tokio::test]
async fn a_scenario_for_newer_versions_is_not_applicable_on_an_older_one_and_starts_nothing() {
    // Arrange: a release that is surely not in the cache: were it played, it would be a skip.
    let s = Scenario::parse(
        "s98-db-users",
        "id = \"s98\"\ntitle = \"t\"\nweaviate_versions = \">=1.30\"\n[[step]]\nkind = \"http\"\npath = \"/v1/users/db\"",
    )
    .expect("parses");
    let old = Target::from_spec("weaviate-binary@v1.0.0").expect("a target");
    // Act
    let r = run(&s, old).await;
    // Assert
    assert_eq!(r.outcome, Outcome::NotApplicable("needs Weaviate >=1.30, this is v1.0.0".into()));
    assert!(r.transcript.is_empty());
    assert_eq!(
        Target::Embedded.not_applicable(&s),
        None,
        "the emulation follows the pinned version"
    );
    let bad =
        Scenario::parse("s97-x", "id = \"s97\"\ntitle = \"t\"\nweaviate_versions = \"1.30 or later\"").expect_err("not a requirement");
    assert!(bad.to_string().contains("weaviate_versions"), "{bad}");
}
