//! The external and docker targets and `--compare`, against Weaviates these tests start.

use std::collections::BTreeMap;
use std::sync::Arc;

use conformance::provider::Provider;
use conformance::report::Outcome;
use conformance::scenario::{builtin, Scenario};
use conformance::target::{External, Running};
use conformance::{run, Target};

fn scenario(prefix: &str) -> Scenario {
    builtin()
        .expect("built-in scenarios parse")
        .into_iter()
        .find(|s| s.name.starts_with(prefix))
        .unwrap_or_else(|| panic!("no scenario {prefix}"))
}

fn external(url: String, env: BTreeMap<String, String>, idp_listen: Option<std::net::SocketAddr>) -> Target {
    Target::External(Arc::new(External {
        url,
        grpc: None,
        env,
        idp_listen,
    }))
}

#[tokio::test]
async fn external_plays_a_scenario_whose_configuration_is_the_stated_one_and_skips_the_others_with_the_reason() {
    // Arrange: a Weaviate already running with s01's configuration.
    let s01 = scenario("s01");
    let env = s01.env_for("unused");
    let w = weaviate_auth_emu::EmbeddedWeaviate::builder()
        .envs(env.clone())
        .start()
        .await
        .expect("the emulation starts");
    let target = external(w.rest_url(), env, None);
    // Act
    let played = run(&s01, target.clone()).await;
    let same = run(&scenario("s03"), target.clone()).await;
    let other = run(&scenario("s04"), target.clone()).await;
    let startup = run(&scenario("s05c"), target.clone()).await;
    // Assert
    assert_eq!(played.outcome, Outcome::Pass, "{}", played.transcript_json());
    assert_eq!(
        same.outcome,
        Outcome::Pass,
        "s03 has s01's configuration: {}",
        same.transcript_json()
    );
    match &other.outcome {
        Outcome::Skip(why) => assert!(why.contains("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED"), "{why}"),
        o => panic!("s04 should be skipped, got {o:?}"),
    }
    assert!(
        matches!(&startup.outcome, Outcome::Skip(w) if w.contains("startup error")),
        "{:?}",
        startup.outcome
    );
}

#[tokio::test]
async fn external_with_a_wrong_stated_key_fails_instead_of_passing() {
    // Arrange: the user states s01's configuration, but the server holds another key.
    let s01 = scenario("s01");
    let stated = s01.env_for("unused");
    let w = weaviate_auth_emu::EmbeddedWeaviate::builder()
        .envs(stated.clone())
        .env("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "other-key")
        .start()
        .await
        .expect("the emulation starts");
    // Act
    let r = run(&s01, external(w.rest_url(), stated, None)).await;
    // Assert: the suite trusts the statement, and the real answers show it was wrong.
    assert!(
        matches!(&r.outcome, Outcome::Fail(w) if w.contains("status: expected 200, got 401")),
        "{:?}",
        r.outcome
    );
}

/// Starts a Weaviate (`target`) whose issuer is a provider on a fixed address, as a user would
/// with `oidc-harness idp --listen ADDR`, then stops that provider: the suite binds the address
/// again per scenario (`--idp-listen`).
async fn oidc_weaviate(target: &Target, s: &Scenario) -> Result<(Running, std::net::SocketAddr, BTreeMap<String, String>), String> {
    let idp = Provider::start_local(&s.idp, None).await.map_err(|e| e.to_string())?;
    let addr = match &idp {
        Provider::Local(i) => i.address(),
        Provider::Remote(_) => unreachable!("start_local is local"),
    };
    let env = s.env_for(&idp.issuer_url());
    let w = target.start(&env, &idp).await.map_err(|e| format!("{e:?}"))?;
    drop(idp);
    Ok((w, addr, env))
}

#[tokio::test]
async fn external_plays_oidc_with_the_provider_bound_where_the_issuer_points_and_skips_without_it() {
    // Arrange
    let s08 = scenario("s08");
    let (w, addr, env) = oidc_weaviate(&Target::Embedded, &s08).await.expect("starts");
    // Act
    let with = run(&s08, external(w.rest_url(), env.clone(), Some(addr))).await;
    let without = run(&s08, external(w.rest_url(), env, None)).await;
    // Assert
    assert_eq!(with.outcome, Outcome::Pass, "{}", with.transcript_json());
    assert!(
        matches!(&without.outcome, Outcome::Skip(w) if w.contains("AUTHENTICATION_OIDC_ISSUER") && w.contains("--idp-listen")),
        "{:?}",
        without.outcome
    );
}

#[tokio::test]
async fn external_plays_api_key_and_oidc_scenarios_on_a_real_weaviate_server() {
    if let Err(why) = conformance::target::find_weaviate_binary() {
        return conformance::skip::missing(&why);
    }
    for prefix in ["s01", "s08"] {
        // Arrange
        let s = scenario(prefix);
        let (w, addr, env) = oidc_weaviate(&Target::WeaviateBinary, &s).await.expect("weaviate-server starts");
        // Act
        let r = run(&s, external(w.rest_url(), env, Some(addr))).await;
        // Assert
        assert_eq!(r.outcome, Outcome::Pass, "{prefix}: {}", r.transcript_json());
    }
}

#[tokio::test]
#[allow(clippy::print_stdout)]
async fn docker_target_skips_with_the_reason_when_no_engine_answers() {
    // Arrange
    let engine = conformance::target::docker_available().await;
    // Act
    let r = run(&scenario("s01"), Target::Docker).await;
    // Assert
    match engine {
        Err(why) => {
            let why = why.to_string();
            assert!(why.starts_with("no Docker"), "{why}");
            assert_eq!(r.outcome, Outcome::Skip(why.clone()));
            println!("skipped: {why}");
        }
        // With an engine, s01 passes, or is skipped because the provider image is not built.
        Ok(()) => assert!(
            r.outcome == Outcome::Pass || matches!(&r.outcome, Outcome::Skip(w) if w.contains("build-image")),
            "{:?}",
            r.outcome
        ),
    }
}

#[tokio::test]
async fn compare_finds_no_difference_between_a_target_and_itself() {
    let scenarios = [scenario("s01"), scenario("s13")];
    let c = conformance::compare::compare(&scenarios, &Target::Embedded, &Target::Embedded, |_| {}).await;
    assert!(c.passed(), "{}", c.text());
    assert_eq!(c.pairs.len(), 2);
}

#[tokio::test]
async fn compare_embedded_and_the_real_weaviate_server_agree_on_api_key_and_oidc_scenarios() {
    if let Err(why) = conformance::target::find_weaviate_binary() {
        return conformance::skip::missing(&why);
    }
    let scenarios = [scenario("s01"), scenario("s08"), scenario("s13")];
    let mut c = conformance::compare::compare(&scenarios, &Target::Embedded, &Target::WeaviateBinary, |_| {}).await;
    c.apply(&conformance::known_differences::KnownDifferences::builtin().expect("the built-in list parses"));
    assert!(c.passed(), "{}", c.text());
    assert_eq!(c.counts().compared, 3, "{}", c.text());
}
