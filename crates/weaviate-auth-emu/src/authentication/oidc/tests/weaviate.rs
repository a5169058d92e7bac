//! Steps 23-26 of go-oidc-verifier.md: what Weaviate does around the verifier (claims decoded
//! again, the username and groups claims), and a token of the real mock provider end to end.

use super::*;

#[tokio::test]
async fn step25_username_claim_missing_or_not_string_is_a_500() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.remove("email");
    });
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.kind, f.message.as_str()),
        (OidcFailureKind::Claims, "oidc: token doesn't contain required claim 'email'")
    );
    for (value, ty) in [
        (json!(42), "float64"),
        (json!(true), "bool"),
        (json!([1]), "[]interface {}"),
        (json!({}), "map[string]interface {}"),
        (Value::Null, "<nil>"),
    ] {
        let t = p.token_with(|c| {
            c.insert("email".into(), value.clone());
        });
        let f = v.authenticate(&t).await.unwrap_err();
        assert_eq!(
            (f.kind, f.message),
            (OidcFailureKind::Claims, format!("oidc: claim 'email' is not a string, but {ty}"))
        );
    }
    let t = p.token_with(|c| {
        c.insert("email".into(), json!(""));
    });
    assert_eq!(ok(v.authenticate(&t).await).username, "");
    assert_eq!(ok(v.authenticate(&p.token()).await).username, "alice@example.com");
}

#[tokio::test]
async fn step25_sub_as_username_is_typed_by_the_library() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.username_claim = "sub".into();
    let v = OidcVerifier::start(s).await.unwrap();
    let t = p.token_with(|c| {
        c.insert("sub".into(), json!(7));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.sub of type string"
    );
    let t = p.token_with(|c| {
        c.insert("sub".into(), Value::Null);
    });
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.kind, f.message.as_str()),
        (OidcFailureKind::Claims, "oidc: claim 'sub' is not a string, but <nil>")
    );
    assert_eq!(ok(v.authenticate(&p.token()).await).username, "user-1");
}

#[tokio::test]
async fn step26_groups_claim_rules() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let cases: [(Option<Value>, Vec<&str>); 5] = [
        (Some(json!(["a", 1, "b", null])), vec!["a", "b"]),
        (Some(json!("solo")), vec!["solo"]),
        (Some(json!(5)), vec![]),
        (Some(json!({"a": 1})), vec![]),
        (None, vec![]),
    ];
    for (value, want) in cases {
        let t = p.token_with(|c| match &value {
            Some(v) => {
                c.insert("groups".into(), v.clone());
            }
            None => {
                c.remove("groups");
            }
        });
        assert_eq!(ok(v.authenticate(&t).await).groups, want);
    }
}

#[tokio::test]
async fn step24_float_overflow_anywhere_is_a_500_after_verification() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"a","x":1e400}}"#,
        p.issuer(),
        now_s() + 60
    );
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    let f = v.authenticate(&t).await.unwrap_err();
    assert_eq!(
        (f.kind, f.message.as_str()),
        (
            OidcFailureKind::Claims,
            "oidc: could not extract claims from token: json: cannot unmarshal number 1e400 into Go value of type float64"
        )
    );
    let payload = payload.replace("1e400", "1e300");
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn mock_idp_password_token_verifies_end_to_end() {
    let idp = mock_idp::MockIdp::start().await;
    let settings = OidcSettings {
        issuer: idp.issuer_url(),
        client_id: Some(CLIENT.into()),
        username_claim: "email".into(),
        groups_claim: Some("groups".into()),
        ..OidcSettings::default()
    };
    let v = OidcVerifier::start(settings).await.unwrap();
    let token_url = format!("{}/token", idp.issuer_url());
    let resp: Value = reqwest::Client::new()
        .post(token_url)
        .form(&[
            ("grant_type", "password"),
            ("client_id", CLIENT),
            ("username", "admin"),
            ("password", "admin-pass"),
            ("scope", "openid email groups"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = ok(v.authenticate(resp["id_token"].as_str().expect("an id_token")).await);
    assert_eq!(id.username, "admin@example.com");
    assert_eq!(id.groups, ["admins"]);
    let _unused: AtomicU64 = AtomicU64::new(0);
}
