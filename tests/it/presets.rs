//! The mock provider's bad-token presets (P134) played against the real `weaviate-server` and
//! the emulation: both must give each preset's listed status and message prefix. The preset table
//! was written from the spec; the real server decides where they differ.
//!
//! The real target needs `weaviate-server` (see `clients.rs`); without it that half is skipped
//! (a failure under `CI=true`).

use mock_idp::{MockIdp, Preset, TokenBuilder, TokenKind};
use serde_json::Value;

use crate::clients::{weaviate_bin, Kind, Target};

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
    let mut failures = Vec::new();
    for preset in Preset::ALL {
        let spec = preset.spec();
        let token = idp
            .mint(TokenBuilder::new().preset(preset).tokens([TokenKind::AccessToken]))
            .unwrap_or_else(|e| panic!("{preset}: the provider could not mint: {e}"))
            .access_token
            .expect("an access token");
        let resp = http.get(&url).bearer_auth(&token).send().await.expect("the server answers");
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_default();
        // The table holds for both: no preset differs on purpose.
        let want_status = spec.status;
        let want_prefix = match (want_status, spec.error) {
            (200, _) => None,
            (401, Some(e)) => Some(format!("unauthorized: {e}")),
            (_, e) => e.map(str::to_owned),
        };
        let message_ok = want_prefix.as_deref().is_none_or(|p| message.starts_with(p));
        if status != want_status || !message_ok {
            failures.push(format!("{preset}: want {want_status} {want_prefix:?}, got {status} {body}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{kind:?}: {} of {} presets disagree with the table:\n{}",
        failures.len(),
        Preset::ALL.len(),
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
