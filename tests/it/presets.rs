//! The mock provider's bad-token presets (P134) played against the real `weaviate-server` and
//! the emulation: both must give each preset's status and message prefix from the conformance
//! crate's outcome table (`conformance::presets::weaviate_outcome`), for the access token and the
//! ID token alike. The table was written from the spec; the real server decides where they
//! differ. Also here: the README's preset table is the generated one, and `oidc-harness idp`
//! serves the outcomes in its `_mock/presets` listing.
//!
//! The real target needs `weaviate-server` (see `clients.rs`); without it that half is skipped
//! (a failure under `CI=true`).

use conformance::presets::weaviate_outcome;
use mock_idp::{MockIdp, Preset, TokenBuilder, TokenKind};
use serde_json::Value;

use crate::cli::RunningIdp;
use crate::clients::{weaviate_bin, Kind, Target};

/// Status and body of `GET /v1/users/own-info` with `token`.
async fn own_info(http: &reqwest::Client, url: &str, token: &str) -> (u16, String) {
    let resp = http.get(url).bearer_auth(token).send().await.expect("the server answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn play(kind: Kind) {
    let bin = match kind {
        Kind::Embedded => None,
        Kind::Real => match weaviate_bin() {
            Ok(bin) => Some(bin),
            Err(why) => return conformance::skip::missing(&why),
        },
    };
    let idp = MockIdp::start().await;
    let env: Vec<(&str, String)> = vec![
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false".into()),
        ("AUTHENTICATION_OIDC_ENABLED", "true".into()),
        ("AUTHENTICATION_OIDC_ISSUER", idp.issuer_url()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate".into()),
        ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username".into()),
        ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups".into()),
    ];
    let server = Target::start(bin.as_deref(), &env).await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/users/own-info", server.rest_url());
    // The baseline (no preset) is accepted as the default user.
    let base = idp.mint_access_token("admin");
    let (status, body) = own_info(&http, &url, &base).await;
    let username = serde_json::from_str::<Value>(&body).ok().map(|v| v["username"].clone());
    assert_eq!(
        (status, username),
        (200, Some(Value::from("admin"))),
        "{kind:?}: the valid token: {body}"
    );
    let mut failures = Vec::new();
    for preset in Preset::ALL {
        let outcome = weaviate_outcome(preset);
        let minted = idp
            .mint(
                TokenBuilder::new()
                    .preset(preset)
                    .tokens([TokenKind::AccessToken, TokenKind::IdToken]),
            )
            .unwrap_or_else(|e| panic!("{preset}: the provider could not mint: {e}"));
        for (which, token) in [("access", minted.access_token), ("id", minted.id_token)] {
            let token = token.unwrap_or_else(|| panic!("{preset}: an {which} token"));
            let (status, body) = own_info(&http, &url, &token).await;
            let message = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_owned))
                .unwrap_or_default();
            // The table holds for both targets: no preset differs on purpose.
            let want_prefix = outcome.message_prefix();
            let message_ok = want_prefix.as_deref().is_none_or(|p| message.starts_with(p));
            if status != outcome.status || !message_ok {
                failures.push(format!(
                    "{preset} ({which} token): want {} {want_prefix:?}, got {status} {body}",
                    outcome.status
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{kind:?}: {} of {} tokens disagree with the table:\n{}",
        failures.len(),
        2 * Preset::ALL.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p134_presets_on_the_real_server_match_the_table() {
    play(Kind::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p134_presets_on_the_emulation_match_the_table() {
    play(Kind::Embedded).await;
}

#[test]
fn p134_readme_preset_table_is_the_generated_one() {
    let readme = include_str!("../../README.md");
    let (begin, end) = ("<!-- presets:begin -->\n", "<!-- presets:end -->");
    let start = readme.find(begin).expect("README has the presets:begin marker") + begin.len();
    let stop = readme[start..].find(end).expect("README has the presets:end marker") + start;
    assert_eq!(
        readme[start..stop].trim_end(),
        conformance::presets::markdown_table().trim_end(),
        "regenerate with `oidc-harness presets --format markdown`"
    );
}

#[test]
fn p134_idp_lists_the_presets_with_weaviates_outcomes() {
    let idp = RunningIdp::spawn();
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let listing: Value = rt.block_on(async {
        reqwest::get(format!("{}/_mock/presets", idp.issuer()))
            .await
            .expect("the listing answers")
            .json()
            .await
            .expect("the listing is JSON")
    });
    assert_eq!(listing, conformance::presets::listing());
    let entries = listing["presets"].as_array().expect("a presets array");
    assert_eq!(entries.len(), Preset::ALL.len());
    for (entry, preset) in entries.iter().zip(Preset::ALL) {
        let outcome = weaviate_outcome(preset);
        assert_eq!(entry["name"], preset.name());
        assert_eq!(entry["expected_status"], outcome.status, "{entry}");
        assert_eq!(entry["expected"], outcome.summary(), "{entry}");
    }
}
