//! Attacks on the verifier as a whole (A14, A29, A32): damaged tokens, mutations and random
//! bytes, deep nesting and large tokens, never a panic.

use super::*;

#[tokio::test]
async fn a32_large_tokens_verify_as_go_oidc_has_no_length_cap() {
    // real: v1.38.11 accepts a validly signed 17 KiB token; only Go's 1 MiB header limit (the
    // transport, not the verifier) bounds a token.
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    for pad in [17 * 1024, 200 * 1024] {
        let t = p.token_with(|c| {
            c.insert("pad".into(), json!("x".repeat(pad)));
        });
        assert!(t.len() > pad);
        ok(v.authenticate(&t).await);
    }
    // 100,000 dots: an empty payload segment (go-oidc checked by the oracle).
    assert_eq!(
        message(v.authenticate(&".".repeat(100_000)).await),
        "unauthorized: oidc: failed to unmarshal claims: unexpected end of JSON input"
    );
}

#[tokio::test]
async fn a14_damaged_signature_and_edited_payload_are_refused() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let s = segments(&t);
    let mut sig = B64.decode(&s[2]).unwrap();
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", s[0], s[1], B64.encode(&sig));
    assert_eq!(
        message(v.authenticate(&flipped).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    let edited = p.token_with(|c| {
        c.insert("email".into(), json!("admin@example.com"));
    });
    let forged = format!("{}.{}.{}", s[0], segments(&edited)[1], s[2]);
    assert_eq!(
        message(v.authenticate(&forged).await),
        "unauthorized: failed to verify signature: failed to verify id token signature"
    );
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a29_mutated_tokens_and_random_bytes_never_panic() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let t = p.token();
    let now = SystemTime::now();
    let bytes = t.as_bytes();
    let replacements = [b'.', b'=', b'+', b'/', b'A', b'_', b' ', b'{'];
    for i in 0..bytes.len() {
        for r in replacements {
            let mut m = bytes.to_vec();
            m[i] = r;
            let m = String::from_utf8(m).unwrap();
            let _ = v.check_claims(&m, now);
            let _ = super::super::jose::parse_compact(&m, v.algorithms());
        }
    }
    // A small LCG feeds arbitrary bytes to the JSON scanner and the JWK/JWKS decoders.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let len = (x % 40) as usize;
        let mut buf = Vec::with_capacity(len);
        for _ in 0..len {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let alphabet = b"{}[]\":,0123456789.eE+-tfnrulsa \\u\xff";
            buf.push(alphabet[(x >> 33) as usize % alphabet.len()]);
        }
        let _ = gojson::parse(&buf);
        let _ = super::super::jose::parse_key_set(&buf);
    }
    ok(v.authenticate(&t).await);
}

#[tokio::test]
async fn a29_deeply_nested_claims_verify_without_stack_overflow() {
    let p = Provider::start(&[rsa_key()], &["RS256"]).await;
    let v = p.verifier().await;
    let depth = 5_000;
    let payload = format!(
        r#"{{"iss":"{}","aud":"{CLIENT}","exp":{},"email":"a","x":{}{}}}"#,
        p.issuer(),
        now_s() + 60,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let header = format!(
        r#"{{"alg":"RS256","kid":"{}","y":{}1{}}}"#,
        rsa_key().kid().as_str(),
        "{\"a\":".repeat(300),
        "}".repeat(300)
    );
    let t = raw_token(rsa_key(), &header, &payload, Alg::RS256);
    assert_eq!(ok(v.authenticate(&t).await).username, "a");
}
