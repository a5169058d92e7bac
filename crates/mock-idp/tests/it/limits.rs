//! Input limits, robustness and graceful shutdown (P157, P159).
//!
//! Each limit is checked at the limit and just past it, so a test fails if the limit moves.

use std::time::Duration;

use mock_idp::{AppState, Config};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::support::Env;

const KIB: usize = 1024;

fn password_form<'a>(extra: &'a [(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "password"),
        ("username", "admin"),
        ("password", "admin-pass"),
        ("client_id", "weaviate"),
    ];
    form.extend_from_slice(extra);
    form
}

#[tokio::test]
async fn p157_headers_over_16_kib_get_431() {
    // Arrange
    let env = Env::start().await;
    let url = env.idp.discovery_url();
    // Act
    let big = env.http.get(&url).header("x-padding", "a".repeat(17 * KIB)).send().await.unwrap();
    let fits = env.http.get(&url).header("x-padding", "a".repeat(8 * KIB)).send().await.unwrap();
    // Assert
    assert_eq!(big.status(), 431);
    assert_eq!(fits.status(), 200, "the same request with smaller headers is served");
}

#[tokio::test]
async fn p157_form_bodies_over_64_kib_are_refused() {
    // Arrange: padding made of many small unknown parameters, which the grant ignores.
    let env = Env::start().await;
    let token = env.endpoint("token_endpoint").await;
    let body = |total: usize| {
        let mut s = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(password_form(&[]))
            .finish();
        for i in 0.. {
            let pad = format!("&pad{i}=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
            if s.len() + pad.len() > total {
                break;
            }
            s.push_str(&pad);
        }
        s
    };
    let send = |b: String| {
        env.http
            .post(&token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b)
            .send()
    };
    // Act
    let (over_body, under_body) = (body(64 * KIB + 512), body(60 * KIB));
    assert!(over_body.len() > 64 * KIB && under_body.len() > 59 * KIB);
    let over = send(over_body).await.unwrap();
    let under = send(under_body).await.unwrap();
    // Assert
    let over_status = over.status().as_u16();
    let over_body: Value = over.json().await.unwrap();
    assert_eq!(over_status, 413, "{over_body}");
    assert_eq!(over_body["error"], "invalid_request");
    let under_status = under.status().as_u16();
    assert_eq!(under_status, 200, "{}", under.text().await.unwrap());
}

#[tokio::test]
async fn p157_a_parameter_over_8_kib_is_invalid_request() {
    // Arrange
    let env = Env::start().await;
    let long = "a".repeat(8 * KIB + 1);
    let at_limit = "a".repeat(8 * KIB);
    // Act
    let (status, body) = env.token(&password_form(&[("scope", &long)])[..]).await;
    let (ok_status, ok_body) = env.token(&password_form(&[("x-note", &at_limit)])[..]).await;
    // Assert
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "{body}");
    assert_eq!(ok_status, 200, "a parameter of exactly 8 KiB is accepted: {ok_body}");
}

/// One malformed request: method, path (relative to the issuer base) or absolute URL,
/// content type, body, and an Authorization header.
struct Garbage {
    method: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    authorization: Option<Vec<u8>>,
    query: &'static str,
}

fn garbage_table() -> Vec<Garbage> {
    let mut t = Vec::new();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"%zz%%%=&&&==&=".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x80, b'=', 0xc3],
        b"{\"grant_type\": \"password\"}".to_vec(),
        b"grant_type=password&grant_type=password".to_vec(),
        b"grant_type=\0&username=\0&password=\0&client_id=\0".to_vec(),
        b"grant_type=authorization_code&code=..&redirect_uri=%00&code_verifier=~".to_vec(),
        b"grant_type=refresh_token&refresh_token=not-a-token&client_id=weaviate".to_vec(),
        b"token=a.b.c&token_type_hint=%FF".to_vec(),
        "client_id=\u{1F600}&response_type=code%20id_token&scope=openid&redirect_uri=javascript:alert(1)"
            .as_bytes()
            .to_vec(),
        "&".repeat(20_000).into_bytes(),
    ];
    let types = [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("application/x-www-form-urlencoded; charset=latin-1"),
        Some("application/json"),
        Some("multipart/form-data; boundary=x"),
        Some("text/plain;;;"),
    ];
    let auths: Vec<Option<Vec<u8>>> = vec![
        None,
        Some(b"Basic".to_vec()),
        Some(b"Basic !!!!".to_vec()),
        Some(b"Basic bm8tY29sb24=".to_vec()), // "no-colon"
        Some(b"Basic w4o6w4o=".to_vec()),     // non-ASCII id and secret
        Some(b"Bearer".to_vec()),
        Some(b"Bearer a.b.c".to_vec()),
        Some(vec![b'B', b'e', b'a', b'r', b'e', b'r', b' ', 0xff, 0xfe]),
    ];
    let queries = [
        "",
        "?%zz",
        "?response_type=&client_id=&&&",
        "?a=1&a=2&redirect_uri=http://[::1",
        "?\u{00e9}=\u{00e9}",
    ];
    for (i, body) in bodies.iter().enumerate() {
        t.push(Garbage {
            method: "POST",
            content_type: types[i % types.len()],
            body: body.clone(),
            authorization: auths[i % auths.len()].clone(),
            query: queries[i % queries.len()],
        });
        t.push(Garbage {
            method: "POST",
            content_type: Some("application/x-www-form-urlencoded"),
            body: body.clone(),
            authorization: auths[(i + 3) % auths.len()].clone(),
            query: "",
        });
    }
    for (i, q) in queries.iter().enumerate() {
        t.push(Garbage {
            method: "GET",
            content_type: None,
            body: Vec::new(),
            authorization: auths[i % auths.len()].clone(),
            query: q,
        });
    }
    for auth in auths {
        t.push(Garbage {
            method: "GET",
            content_type: None,
            body: Vec::new(),
            authorization: auth,
            query: "",
        });
    }
    t
}

#[tokio::test]
async fn p157_malformed_input_to_any_endpoint_never_gets_a_5xx() {
    // Arrange: every endpoint from discovery, plus the test-control paths.
    let env = Env::start().await;
    let doc = env.discovery().await;
    let mut urls: Vec<String> = doc
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("_endpoint") || *k == "jwks_uri")
        .map(|(_, v)| v.as_str().unwrap().to_owned())
        .collect();
    urls.push(env.idp.discovery_url());
    let issuer = env.idp.issuer_url();
    for extra in ["/_mock/mint", "/_mock/presets", "/login", "/no-such-path"] {
        urls.push(format!("{issuer}{extra}"));
    }
    urls.push(format!("{}/_mock/ready", env.idp.base_url()));
    urls.push(format!("{}/.well-known/oauth-authorization-server/default", env.idp.base_url()));
    for odd in ["/%ff%fe/token", "//", "/default/..%2f..%2fetc", "/default/token/", "/_mock/ca.pem"] {
        urls.push(format!("{}{odd}", env.idp.base_url()));
    }
    let table = garbage_table();
    // Act + Assert
    let mut sent = 0;
    for url in &urls {
        for g in &table {
            let mut req = env
                .http
                .request(g.method.parse().unwrap(), format!("{url}{}", g.query))
                .body(g.body.clone());
            if let Some(ct) = g.content_type {
                req = req.header("content-type", ct);
            }
            if let Some(a) = &g.authorization {
                req = req.header("authorization", reqwest::header::HeaderValue::from_bytes(a).unwrap());
            }
            let resp = req.send().await.unwrap_or_else(|e| panic!("{url}: the connection failed: {e}"));
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            assert!(
                !status.is_server_error(),
                "{} {url}{} with body {:?} got {status}: {text}",
                g.method,
                g.query,
                String::from_utf8_lossy(&g.body)
            );
            sent += 1;
        }
    }
    assert!(sent > 300, "the table covers every endpoint ({sent} requests)");
    // The provider still serves a normal request afterwards.
    env.password_tokens("admin", "admin-pass").await;
}

/// Reads from `stream` until `needle` has been seen; returns everything read.
async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&buf).contains(needle) {
        let n = stream.read(&mut chunk).await.expect("the connection stays readable");
        assert!(
            n > 0,
            "connection closed before {needle:?}; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn p159_shutdown_refuses_new_connections_and_finishes_the_request_in_flight() {
    // Arrange: the library entry point on port 0, with a shutdown we trigger.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(&Config::builtin(), &format!("http://{addr}")).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mock_idp::serve(listener, state, async {
        let _ = stopped.await;
    }));
    // A token request whose body is held back. `Expect: 100-continue` makes the server say when
    // the handler starts reading the body, so the request is provably in flight, without a sleep.
    let body = "grant_type=password&username=admin&password=admin-pass&client_id=weaviate";
    let mut in_flight = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /default/token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    read_until(&mut in_flight, "100 Continue").await;
    // Act
    stop.send(()).unwrap();
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match TcpStream::connect(addr).await {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break e,
                // Queued just before the listener closed (then reset): try again.
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await
    .expect("new connections are refused within 5 s of shutdown");
    in_flight.write_all(body.as_bytes()).await.unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), read_until(&mut in_flight, "access_token"))
        .await
        .expect("the in-flight request completes within 5 s");
    let finished = tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns within 5 s");
    // Assert
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    assert!(answer.contains("200 OK"), "{answer}");
    finished.expect("the serve task did not panic").expect("serve ends cleanly");
}
