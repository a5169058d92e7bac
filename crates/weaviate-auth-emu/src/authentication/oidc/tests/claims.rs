//! Steps 7-14 and 27 of go-oidc-verifier.md: the payload decoded and checked before any key is
//! touched (segments, Go's JSON types, distributed claims, issuer, audience, exp, nbf, dotted names).

use super::*;

#[tokio::test]
async fn step7_fewer_than_two_segments_and_bad_payload_base64() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    assert_eq!(
        message(v.authenticate("abc").await),
        "unauthorized: oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got 1"
    );
    let t = p.token();
    let s = segments(&t);
    let padded = format!("{}.{}=.{}", s[0], s[1], s[2]);
    assert_eq!(
        message(v.authenticate(&padded).await),
        format!(
            "unauthorized: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte {}",
            s[1].len()
        )
    );
    assert_eq!(p.hits(), 0, "nothing is fetched before the claims pass");
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step8_claim_types_are_checked_before_the_signature() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let cases: [(&str, Value, &str); 5] = [
        (
            "aud",
            json!(1),
            "json: cannot unmarshal number into Go struct field idToken.aud of type []string",
        ),
        (
            "exp",
            json!(true),
            "json: cannot unmarshal bool into Go struct field idToken.exp of type json.Number",
        ),
        (
            "exp",
            json!("tomorrow"),
            r#"json: invalid number literal, trying to unmarshal "\"tomorrow\"" into Number"#,
        ),
        ("exp", Value::Null, r#"strconv.ParseFloat: parsing "": invalid syntax"#),
        (
            "sub",
            json!(5),
            "json: cannot unmarshal number into Go struct field idToken.sub of type string",
        ),
    ];
    for (claim, value, text) in cases {
        let t = p.token_with(|c| {
            c.insert(claim.into(), value.clone());
        });
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: failed to unmarshal claims: {text}")
        );
    }
    let not_json = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), "hello", Alg::RS256);
    assert_eq!(
        message(v.authenticate(&not_json).await),
        "unauthorized: oidc: failed to unmarshal claims: invalid character 'h' looking for beginning of value"
    );
    // real: a quoted future exp passes; a fractional exp passes; "nbf": null counts as absent.
    let future = (now_s() + 600).to_string();
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("exp".into(), json!(future));
    }))
    .await);
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() as f64 + 60.5));
        c.insert("nbf".into(), Value::Null);
    }))
    .await);
    assert_eq!(p.hits(), 1);
}

#[tokio::test]
async fn step8_quoted_past_exp_is_expired_and_duplicate_claim_last_wins() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let past = now_s() - 10;
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(past.to_string()));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!("unauthorized: oidc: token is expired (Token Expiry: {})", gotime::format_unix(past))
    );
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"alice@example.com","email":"admin@example.com"}}"#,
        p.issuer(),
        now_s() + 60
    );
    let dup = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    assert_eq!(ok(v.authenticate(&dup).await).username, "admin@example.com");
}

#[tokio::test]
async fn step9_distributed_claim_without_source_is_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
    });
    assert_eq!(message(v.authenticate(&t).await), "unauthorized: oidc: source does not exist");
    let t = p.token_with(|c| {
        c.insert("_claim_names".into(), json!({"groups": "src1"}));
        c.insert("_claim_sources".into(), json!({"src1": {"endpoint": "http://127.0.0.1:9/never"}}));
    });
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step10_issuer_is_compared_byte_for_byte() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let iss = format!("{}/", p.issuer());
    let t = p.token_with(|c| {
        c.insert("iss".into(), json!(iss));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{0}\" got \"{0}/\"",
            p.issuer()
        )
    );
    let t = p.token_with(|c| {
        c.remove("iss");
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{}\" got \"\"",
            p.issuer()
        )
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step11_audience_must_contain_the_client_id_unless_skipped() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let other = p.token_with(|c| {
        c.insert("aud".into(), json!(["a", "b"]));
    });
    assert_eq!(
        message(v.authenticate(&other).await),
        "unauthorized: oidc: expected audience \"weaviate\" got [\"a\" \"b\"]"
    );
    let none = p.token_with(|c| {
        c.remove("aud");
    });
    assert_eq!(
        message(v.authenticate(&none).await),
        "unauthorized: oidc: expected audience \"weaviate\" got []"
    );
    let both = p.token_with(|c| {
        c.insert("aud".into(), json!(["other", CLIENT]));
        c.insert("azp".into(), json!("other"));
    });
    ok(v.authenticate(&both).await);
    let mut s = p.settings();
    s.skip_client_id_check = true;
    s.client_id = None;
    let skip = OidcVerifier::start(s).await.unwrap();
    ok(skip.authenticate(&other).await);
    ok(skip.authenticate(&none).await);
    let numeric = p.token_with(|c| {
        c.insert("aud".into(), json!(1));
    });
    assert!(message(skip.authenticate(&numeric).await).contains("idToken.aud of type []string"));
}

#[tokio::test]
async fn step12_expiry_has_no_leeway_and_missing_exp_is_the_zero_time() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let past = now_s() - 1;
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(past));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        format!("unauthorized: oidc: token is expired (Token Expiry: {})", gotime::format_unix(past))
    );
    let t = p.token_with(|c| {
        c.remove("exp");
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)"
    );
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() + 2));
    });
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step12_exp_equal_to_now_is_already_expired() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let token = p.token_with(|c| {
        c.insert("exp".into(), json!(1_795_251_272));
    });
    // The same second with nanoseconds is after `exp`; the whole second itself is not.
    let at = |ns: u32| UNIX_EPOCH + std::time::Duration::new(1_795_251_272, ns);
    assert_eq!(
        v.verify(&token, at(1)).await.unwrap_err(),
        "oidc: token is expired (Token Expiry: 2026-11-21 08:54:32 +0000 UTC)"
    );
    assert!(v.verify(&token, at(0)).await.is_ok());
}

#[tokio::test]
async fn step12_extreme_exp_values_never_panic() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    // Go turns an overflowing float into i64::MIN and wraps i64::MAX: both are expired.
    for (raw, shown) in [
        ("1e300", "292277026596-12-04 15:30:08 +0000 UTC"),
        ("9223372036854775808", "292277026596-12-04 15:30:08 +0000 UTC"),
        ("9223372036854775807", "292277026596-12-04 15:30:07 +0000 UTC"),
        ("-1", "1969-12-31 23:59:59 +0000 UTC"),
    ] {
        let payload = format!(r#"{{"iss":"{}","aud":"{CLIENT}","exp":{raw},"email":"a"}}"#, p.issuer());
        let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: token is expired (Token Expiry: {shown})")
        );
    }
    let payload = format!(r#"{{"iss":"{}","aud":"{CLIENT}","exp":1e400,"email":"a"}}"#, p.issuer());
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: strconv.ParseFloat: parsing "1e400": value out of range"#
    );
}

#[tokio::test]
async fn step13_nbf_has_five_minutes_of_leeway() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let nbf = now_s() + 600;
    let t = p.token_with(|c| {
        c.insert("nbf".into(), json!(nbf));
    });
    let m = message(v.authenticate(&t).await);
    let suffix = format!(" before the nbf (not before) time: {}", gotime::format_unix(nbf));
    assert!(m.starts_with("unauthorized: oidc: current time 20") && m.ends_with(&suffix), "{m}");
    let now_part = &m["unauthorized: oidc: current time ".len()..m.len() - suffix.len()];
    let (wall, mono) = now_part.split_once(" +0000 UTC m=+").expect("Go's time.Now() shape");
    assert!(
        wall.len() >= 19 && mono.split_once('.').is_some_and(|(_, ns)| ns.len() == 9),
        "{now_part}"
    );
    ok(v.authenticate(&p.token_with(|c| {
        c.insert("nbf".into(), json!(now_s() + 120));
    }))
    .await);
    // A quoted nbf is read as a number (A21): far in the future, refused.
    let t = p.token_with(|c| {
        c.insert("nbf".into(), json!("99999999999"));
    });
    assert!(message(v.authenticate(&t).await).contains("before the nbf (not before) time"));
}

#[tokio::test]
async fn step14_unchecked_claims_iat_sub_typ_azp() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token_with(|c| {
        c.insert("iat".into(), json!(now_s() + 86_400));
        c.remove("sub");
        c.insert("nonce".into(), json!("n"));
    });
    ok(v.authenticate(&t).await);
    let payload = Value::Object(p.claims()).to_string();
    let at = raw_token(
        rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{}","typ":"at+jwt"}}"#, rsa_key().kid().as_str()),
        &payload,
        Alg::RS256,
    );
    ok(v.authenticate(&at).await);
}

#[tokio::test]
async fn step8_field_names_fold_case_and_null_aud_is_one_empty_string() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let exp = now_s() + 600;
    // real: `ISS` and `iſs` (long s) both fill `iss`; a null payload has issuer "".
    for key in ["ISS", "i\u{17f}s"] {
        let payload = format!(r#"{{"{key}":"{}","aud":"{CLIENT}","exp":{exp},"email":"a"}}"#, p.issuer());
        ok(
            v.authenticate(&raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), &payload, Alg::RS256))
                .await,
        );
    }
    let t = raw_token(rsa_key(), &header_for(rsa_key(), "RS256"), "null", Alg::RS256);
    assert_eq!(
        message(v.authenticate(&t).await),
        format!(
            "unauthorized: oidc: id token issued by a different provider, expected \"{}\" got \"\"",
            p.issuer()
        )
    );
    // real: `"aud": null` decodes as [""].
    let t = p.token_with(|c| {
        c.insert("aud".into(), Value::Null);
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: expected audience \"weaviate\" got [\"\"]"
    );
    // real: `"iat": null` and `"exp": ""` fail to decode.
    let t = p.token_with(|c| {
        c.insert("iat".into(), Value::Null);
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: strconv.ParseFloat: parsing "": invalid syntax"#
    );
    let t = p.token_with(|c| {
        c.insert("exp".into(), json!(""));
    });
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: failed to unmarshal claims: json: invalid number literal, trying to unmarshal "\"\"" into Number"#
    );
}

#[tokio::test]
async fn step27_dotted_claim_names_are_flat_keys() {
    // real: with USERNAME_CLAIM=a.b and GROUPS_CLAIM=g.h, {"a":{"b":..}} is "doesn't contain"
    // (500) and {"a.b":"flat","g.h":["y"]} gives username "flat", groups ["y"].
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let mut s = p.settings();
    s.username_claim = "a.b".into();
    s.groups_claim = Some("g.h".into());
    let v = OidcVerifier::start(s).await.unwrap();
    let nested = p.token_with(|c| {
        c.insert("a".into(), json!({"b": "nested"}));
        c.insert("g".into(), json!({"h": ["x"]}));
    });
    let f = v.authenticate(&nested).await.unwrap_err();
    assert_eq!(
        (f.kind, f.message.as_str()),
        (OidcFailureKind::Claims, "oidc: token doesn't contain required claim 'a.b'")
    );
    let flat = p.token_with(|c| {
        c.insert("a.b".into(), json!("flat"));
        c.insert("g.h".into(), json!(["y"]));
    });
    assert_eq!(
        ok(v.authenticate(&flat).await),
        OidcIdentity {
            username: "flat".into(),
            groups: vec!["y".into()]
        }
    );
}
