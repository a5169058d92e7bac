//! Control plane, clock (P142, P143): a frozen tenant clock drives `iat`, and moving it
//! expires a token.

use reqwest::Method;
use serde_json::json;

use crate::control_support::ctl;
use crate::support::{claims, Env};

#[tokio::test]
async fn p142_p143_frozen_clock_drives_iat_and_advancing_it_expires_the_token() {
    let env = Env::start().await;
    let (s, frozen) = ctl(&env, Method::POST, "clock", Some(json!({"at": 1_800_000_000.0}))).await;
    assert_eq!(s, 200, "{frozen}");
    assert_eq!(frozen["mode"], "frozen");
    let token = env.password_tokens("admin", "admin-pass").await;
    let c = claims(token["access_token"].as_str().unwrap());
    assert_eq!(c["iat"], 1_800_000_000i64);
    let exp = c["exp"].as_i64().unwrap();
    // The clock stands still...
    let (_, clock) = ctl(&env, Method::GET, "clock", None).await;
    assert_eq!(clock["now_s"], 1_800_000_000i64);
    assert!(clock["now_s"].as_i64().unwrap() < exp, "valid while frozen");
    // ...until advanced past the lifetime.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 301}))).await;
    assert!(clock["now_s"].as_i64().unwrap() > exp, "expired on the tenant clock");
    // Offset and back to real time.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"offset_s": -3600}))).await;
    assert_eq!(clock["mode"], "offset");
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"real": true}))).await;
    assert_eq!(clock["mode"], "real");
    // Freeze at the current reading.
    let (_, clock) = ctl(&env, Method::POST, "clock", Some(json!({"freeze": true}))).await;
    assert_eq!(clock["mode"], "frozen");
}
