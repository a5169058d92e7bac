//! Steps 15-17 and 22 of go-oidc-verifier.md: go-jose's parser (algorithm allowlist, header
//! members, three segments, `crit`, `b64`) and the signature forms (ECDSA R||S, high s, none).

use super::*;

#[tokio::test]
async fn step15_alg_outside_allowlist_and_claims_first() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let t = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), B64.encode(&claims));
    assert_eq!(
        message(v.authenticate(&t).await),
        r#"unauthorized: oidc: malformed jwt: unexpected signature algorithm "none"; expected ["RS256"]"#
    );
    // An expired `none` token is reported as expired.
    let expired = p.token_with(|c| {
        c.insert("exp".into(), json!(now_s() - 100));
    });
    let e = format!("{}.{}.", B64.encode(r#"{"alg":"none"}"#), segments(&expired)[1]);
    assert!(message(v.authenticate(&e).await).contains("token is expired"));
    let bad_header = format!("{}.{}.{}", B64.encode("hello"), B64.encode(&claims), segments(&p.token())[2]);
    assert_eq!(
        message(v.authenticate(&bad_header).await),
        "unauthorized: oidc: malformed jwt: invalid character 'h' looking for beginning of value"
    );
    // A4: PS256 with the real RSA key while discovery lists only RS256.
    let ps = raw_token(rsa_key(), &header_for(rsa_key(), "PS256"), &claims, Alg::PS256);
    assert!(message(v.authenticate(&ps).await).contains(r#"unexpected signature algorithm "PS256""#));
    assert_eq!(p.hits(), 0);
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn step16_three_parts_duplicate_header_members_and_embedded_keys() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    let three = "unauthorized: oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts";
    assert_eq!(message(v.authenticate(&format!("{}.{}", s[0], s[1])).await), three);
    assert_eq!(message(v.authenticate(&format!("{t}.x")).await), three);
    let claims = Value::Object(p.claims()).to_string();
    let dup = raw_token(rsa_key(), r#"{"alg":"RS256","alg":"none"}"#, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&dup).await),
        "unauthorized: oidc: malformed jwt: json: duplicate key 'alg' in object"
    );
    // A10/A11: jku, x5u and an embedded jwk never select a key; nothing is fetched from them.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let trap_url = format!("http://{}", trap.local_addr().unwrap());
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","jku":"{trap_url}/jwks","x5u":"{trap_url}/c","jwk":{}}}"#,
        rsa_key().kid().as_str(),
        attacker_key().public_jwk()
    );
    let forged = raw_token(attacker_key(), &header, &claims, Alg::RS256);
    assert_eq!(
        message(v.authenticate(&forged).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let nothing = trap.accept().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(
        nothing,
        Err(std::io::ErrorKind::WouldBlock),
        "no connection reached the jku/x5u listener"
    );
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn step16_crit_other_than_b64_never_verifies_and_refetches() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    ok(v.authenticate(&p.token()).await);
    let claims = Value::Object(p.claims()).to_string();
    let kid = rsa_key().kid().as_str().to_owned();
    // real: `"crit":["exp"]` gives 401 and one JWKS fetch per token.
    for crit in [r#"["exp"]"#, r#"["x-unknown"]"#, r#""b64""#] {
        let before = p.hits();
        let t = raw_token(
            rsa_key(),
            &format!(r#"{{"alg":"RS256","kid":"{kid}","crit":{crit}}}"#),
            &claims,
            Alg::RS256,
        );
        assert_eq!(
            message(v.authenticate(&t).await),
            "unauthorized: failed to verify signature: failed to verify id token signature"
        );
        assert_eq!(p.hits(), before + 1);
    }
    for crit in ["[]", r#"["b64"]"#, "null"] {
        let t = raw_token(
            rsa_key(),
            &format!(r#"{{"alg":"RS256","kid":"{kid}","crit":{crit}}}"#),
            &claims,
            Alg::RS256,
        );
        ok(v.authenticate(&t).await);
    }
}

#[tokio::test]
async fn step16_es256_needs_raw_r_s_of_64_bytes() {
    let p = Provider::start(&[rsa_key(), es_key()], &["RS256", "ES256"]).await;
    let v = p.verifier().await;
    let t = es_key().sign(&p.claims(), "JWT");
    ok(v.authenticate(&t).await);
    let s = segments(&t);
    let sig = B64.decode(&s[2]).unwrap();
    assert_eq!(sig.len(), 64);
    let der = der_signature(&sig);
    let d = format!("{}.{}.{}", s[0], s[1], B64.encode(der));
    assert_eq!(
        message(v.authenticate(&d).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let zero = format!("{}.{}.{}", s[0], s[1], B64.encode([0u8; 64]));
    assert_eq!(
        message(v.authenticate(&zero).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
}

fn der_signature(raw: &[u8]) -> Vec<u8> {
    let int = |b: &[u8]| {
        let mut v: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
        if v.first().is_some_and(|x| x & 0x80 != 0) {
            v.insert(0, 0);
        }
        let mut out = vec![0x02, v.len() as u8];
        out.extend(v);
        out
    };
    let mut body = int(&raw[..32]);
    body.extend(int(&raw[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

#[tokio::test]
async fn step22_b64_false_signs_the_raw_payload() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","b64":false,"crit":["b64"]}}"#,
        rsa_key().kid().as_str()
    );
    // Signed over the raw payload: go-jose verifies it, and the payload still matches.
    let input = format!("{}.{}", B64.encode(&header), claims);
    let tok = rsa_key().sign_raw(header.as_bytes(), claims.as_bytes(), Alg::RS256);
    let s = segments(&tok);
    let sig = jsonwebtoken::crypto::sign(
        input.as_bytes(),
        &jsonwebtoken::EncodingKey::from_rsa_pem(rsa_key().private_pem().as_bytes()).unwrap(),
        jsonwebtoken::Algorithm::RS256,
    )
    .unwrap();
    let raw_signed = format!("{}.{}.{sig}", s[0], s[1]);
    ok(v.authenticate(&raw_signed).await);
    // Signed the usual way, the b64:false token does not verify.
    assert_eq!(
        message(v.authenticate(&tok).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
}

#[tokio::test]
async fn step15_header_member_types_and_shapes_use_go_jose_texts() {
    // real: every text below was observed on Weaviate v1.38.11 (go-jose v4.1.4).
    let p = Provider::start(&[rsa_key()], &["RS256", "PS256"]).await;
    let v = p.verifier().await;
    let claims = Value::Object(p.claims()).to_string();
    let kid = rsa_key().kid().as_str().to_owned();
    let cases = [
        (
            r#"{"alg":"RS256","kid":123}"#.to_owned(),
            r#"failed to unmarshal key ID: json: cannot unmarshal number into Go value of type string: "123""#,
        ),
        (
            r#"{"alg":1,"kid":"k1"}"#.to_owned(),
            r#"failed to unmarshal algorithm: json: cannot unmarshal number into Go value of type string: "1""#,
        ),
        (
            "[1]".to_owned(),
            "json: cannot unmarshal array into Go value of type jose.rawHeader",
        ),
        (
            "null".to_owned(),
            r#"unexpected signature algorithm ""; expected ["RS256" "PS256"]"#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":["AAAA"]}}"#),
            r#"failed to unmarshal x5c header: x509: malformed certificate: "[\"AAAA\"]""#,
        ),
        (
            // Found by the differential run (seed 951032634219141): Go decodes the whole
            // array before it parses a certificate.
            format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":["AAAA",1]}}"#),
            r#"failed to unmarshal x5c header: json: cannot unmarshal number into Go value of type string: "[\"AAAA\",1]""#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":["!!"]}}"#),
            r#"failed to unmarshal x5c header: illegal base64 data at input byte 0: "[\"!!\"]""#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","jwk":{{"kty":"oct","k":"AAAA"}}}}"#),
            "go-jose/go-jose: invalid embedded jwk, must be public key",
        ),
        // oracle (go-jose v4.1.4, found by tests/it/differential.rs): every member but alg, kid,
        // nonce, x5c and jwk is decoded into an interface{}, where a number beyond float64 fails.
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","typ":1e309}}"#),
            r#"failed to unmarshal value: json: cannot unmarshal number 1e309 into Go value of type float64: "1e309""#,
        ),
        (
            format!(r#"{{"alg":"RS256","kid":"{kid}","x":{{"y":[1,-2e400]}}}}"#),
            r#"failed to unmarshal value: json: cannot unmarshal number -2e400 into Go value of type float64: "{\"y\":[1,-2e400]}""#,
        ),
    ];
    for (header, text) in cases {
        let t = raw_token(rsa_key(), &header, &claims, Alg::RS256);
        assert_eq!(
            message(v.authenticate(&t).await),
            format!("unauthorized: oidc: malformed jwt: {text}"),
            "{header}"
        );
    }
    assert_eq!(p.hits(), 0);
    // A member nested 20,000 deep is walked without recursion (this overflowed the stack).
    let nested = format!("{}1e999{}", "[".repeat(20_000), "]".repeat(20_000));
    let deep = format!(r#"{{"alg":"RS256","kid":"{kid}","x":{nested}}}"#);
    let expected = format!(
        "unauthorized: oidc: malformed jwt: failed to unmarshal value: json: cannot unmarshal number 1e999 into Go value of type float64: \"{nested}\""
    );
    assert_eq!(
        message(v.authenticate(&raw_token(rsa_key(), &deep, &claims, Alg::RS256)).await),
        expected
    );
    // An underflow rounds to zero in Go without an error.
    ok(v.authenticate(&raw_token(
        rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{kid}","typ":1e-400}}"#),
        &claims,
        Alg::RS256,
    ))
    .await);
    ok(v.authenticate(&raw_token(
        rsa_key(),
        &format!(r#"{{"alg":"RS256","kid":"{kid}","x5c":[]}}"#),
        &claims,
        Alg::RS256,
    ))
    .await);
}

#[tokio::test]
async fn step16_whitespace_inside_the_signature_is_stripped_by_go_jose() {
    // real: `h.p.<sig with a space inside>` is accepted (go-jose strips whitespace; go-oidc's
    // own payload split never sees the third segment).
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let spaced = format!("{} {}", &t[..t.len() - 10], &t[t.len() - 10..]);
    ok(v.authenticate(&spaced).await);
    let s = segments(&t);
    let in_payload = format!("{}.{} {}.{}", s[0], &s[1][..4], &s[1][4..], s[2]);
    assert_eq!(
        message(v.authenticate(&in_payload).await),
        "unauthorized: oidc: malformed jwt: oidc: malformed jwt payload: illegal base64 data at input byte 4"
    );
}

#[tokio::test]
async fn step16_json_serialization_gets_go_syntax_errors() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let s = segments(&p.token());
    let t = format!("{{\"x\":1}}.{}.{}", s[1], s[2]);
    assert_eq!(
        message(v.authenticate(&t).await),
        "unauthorized: oidc: malformed jwt: invalid character '.' after top-level value"
    );
    ok(v.authenticate(&p.token()).await);
}

#[tokio::test]
async fn a34_ecdsa_high_s_is_still_a_valid_signature() {
    // P-256 group order n; replacing s by n - s gives another valid signature (Go accepts it).
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17,
        0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];
    let p = Provider::start(&[es_key()], &["ES256"]).await;
    let v = p.verifier().await;
    let t = es_key().sign(&p.claims(), "JWT");
    let s = segments(&t);
    let sig = B64.decode(&s[2]).unwrap();
    let mut flipped = sig[..32].to_vec();
    let mut borrow = 0i16;
    let mut neg = [0u8; 32];
    for i in (0..32).rev() {
        let d = N[i] as i16 - sig[32 + i] as i16 - borrow;
        borrow = i16::from(d < 0);
        neg[i] = d.rem_euclid(256) as u8;
    }
    flipped.extend_from_slice(&neg);
    ok(v.authenticate(&format!("{}.{}.{}", s[0], s[1], B64.encode(&flipped))).await);
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a2_a13_none_spellings_and_empty_signature_are_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    for alg in ["None", "NONE", "nOnE"] {
        let h = B64.encode(format!(r#"{{"alg":"{alg}"}}"#));
        assert_eq!(
            message(v.authenticate(&format!("{h}.{}.{}", s[1], s[2])).await),
            format!("unauthorized: oidc: malformed jwt: unexpected signature algorithm \"{alg}\"; expected [\"RS256\"]")
        );
    }
    assert_eq!(
        message(v.authenticate(&format!("{}.{}.", s[0], s[1])).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&t).await);
}
