//! Control plane, keys (P35, P37, P135-P137): rotation, unpublished signers, overlaps and
//! schedules on the tenant clock, and private key export.

use mock_idp::MockIdp;
use reqwest::Method;
use serde_json::json;

use crate::control_support::{ctl, verifies};
use crate::support::{header, kids, Env};

#[tokio::test]
async fn p135_rotate_makes_a_new_signer_and_every_operation_returns_the_key_list() {
    let env = Env::start().await;
    let old = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys/rotate",
        Some(json!({"alg": "RS256", "publish_old": true, "overlap_s": 60})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let new = list["keys"].as_array().unwrap().iter().find(|k| k["active"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new, old);
    for k in list["keys"].as_array().unwrap() {
        for field in ["kid", "alg", "published", "active"] {
            assert!(k.get(field).is_some(), "{k} lacks {field}");
        }
    }
    assert_eq!(list["scheduled"][0]["op"], "retire");
    assert_eq!(list["scheduled"][0]["kid"], old.as_str());
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(header(token["access_token"].as_str().unwrap())["kid"], new.as_str());
    // Delete: refused for the signer, allowed for another key.
    let (s, err) = ctl(&env, Method::DELETE, &format!("keys/{new}"), None).await;
    assert_eq!(s, 400, "{err}");
    let (s, list) = ctl(&env, Method::DELETE, &format!("keys/{old}"), None).await;
    assert_eq!(s, 200, "{list}");
    assert!(!kids(&env.jwks().await).contains(&old));
    let (s, _) = ctl(&env, Method::POST, "keys/no-such-kid/publish", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn p136_active_unpublished_key_signs_and_publishing_it_lets_verifiers_recover() {
    let env = Env::start().await;
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys",
        Some(json!({"alg": "RS256", "seed": "p136", "published": false, "activate": true})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    let kid = list["keys"].as_array().unwrap().iter().find(|k| k["active"] == true).unwrap()["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(header(&token)["kid"], kid.as_str());
    assert!(!kids(&env.jwks().await).contains(&kid));
    assert!(!verifies(&env, &token).await, "the kid is unknown to a verifier");
    // Publish: the same token now verifies.
    let (s, _) = ctl(&env, Method::POST, &format!("keys/{kid}/publish"), None).await;
    assert_eq!(s, 200);
    assert!(verifies(&env, &token).await);
}

#[tokio::test]
async fn p35_old_key_stays_in_the_jwks_until_the_overlap_ends_on_the_tenant_clock() {
    let env = Env::start().await;
    let old_token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_kid = header(&old_token)["kid"].as_str().unwrap().to_owned();
    let (s, _) = ctl(&env, Method::POST, "keys/rotate", Some(json!({"overlap_s": 600}))).await;
    assert_eq!(s, 200);
    let new_token = env.password_tokens("admin", "admin-pass").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(header(&new_token)["kid"], old_kid.as_str());
    // During the overlap both verify.
    ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 599}))).await;
    assert!(verifies(&env, &old_token).await, "old key still served at 599 s");
    assert!(verifies(&env, &new_token).await);
    // After it, the old key has left the JWKS.
    ctl(&env, Method::POST, "clock", Some(json!({"advance_s": 2}))).await;
    assert!(!kids(&env.jwks().await).contains(&old_kid));
    assert!(!verifies(&env, &old_token).await);
    assert!(verifies(&env, &new_token).await);
}

#[tokio::test]
async fn p137_scheduled_rotation_runs_at_its_tenant_time() {
    let env = Env::start().await;
    let old = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, list) = ctl(
        &env,
        Method::POST,
        "keys/rotate",
        Some(json!({"after_s": 30, "publish_old": false})),
    )
    .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["scheduled"][0]["op"], "rotate");
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_eq!(header(token["access_token"].as_str().unwrap())["kid"], old.as_str(), "not yet");
    env.idp.first_tenant().clock().advance(30.0);
    let token = env.password_tokens("admin", "admin-pass").await;
    assert_ne!(
        header(token["access_token"].as_str().unwrap())["kid"],
        old.as_str(),
        "rotated on the next request"
    );
    assert!(
        !kids(&env.jwks().await).contains(&old),
        "publish_old = false retires the old key at once"
    );
}

#[tokio::test]
async fn p37_private_key_export_only_when_enabled() {
    let env = Env::start().await;
    let kid = env.idp.keys().unwrap().active().unwrap().to_owned();
    let (s, err) = ctl(&env, Method::GET, &format!("keys/{kid}/export"), None).await;
    assert_eq!(s, 403, "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"));
    // Enabled: a test signs its own token and the served JWKS verifies it.
    let env = Env::with(MockIdp::builder().configure(|t| t.export_keys = true).start().await);
    let (s, exported) = ctl(&env, Method::GET, &format!("keys/{kid}/export"), None).await;
    assert_eq!(s, 200);
    let pem = exported["private_pem"].as_str().unwrap();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).expect("the export is a PEM RSA key");
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some(kid);
    let own = jsonwebtoken::encode(&h, &json!({"sub": "self-signed"}), &key).unwrap();
    assert!(verifies(&env, &own).await);
}
