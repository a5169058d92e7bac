//! R12: SIGTERM to an `oidc-harness` server process while 64 keep-alive connections send
//! requests: `idp` (token requests), `idp --tls` (the same over HTTPS) and `weaviate` (API-key
//! authenticated `GET /v1/schema`). Every answer that starts is complete, the process exits 0
//! within 5 s, and no connection is reset or closed under a request written to it: the server
//! first closes its listener, then answers with `Connection: close` until its connections have
//! closed (`http_drain`), so each loop ends on a refused connect. Without that drain, most of the
//! 64 connections were closed under their next request (hyper's `IncompleteMessage`;
//! docs/reliability.md has the figures).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{client_credentials, keep_alive_client, load_runtime, RunningIdp};

/// What one connection's loop saw.
#[derive(Debug, Default)]
struct Seen {
    /// Complete answers that passed the check.
    answered: u64,
    /// Answers that were not complete or not the expected one.
    wrong: Vec<String>,
    /// The error that ended the loop.
    ended_by: Option<String>,
    /// Ended by a refused connection.
    refused: bool,
    /// Ended by a connection the server closed before answering (keep-alive race).
    closed_before_answer: bool,
}

/// The status and parsed body of an answer, or the error that ended the request.
type Answer = reqwest::Result<(u16, Result<serde_json::Value, String>)>;

/// A request on one connection's client.
type Request = Arc<dyn Fn(reqwest::Client) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

async fn answer(sent: reqwest::Result<reqwest::Response>) -> Answer {
    let r = sent?;
    let status = r.status().as_u16();
    Ok((status, r.json::<serde_json::Value>().await.map_err(|e| e.to_string())))
}

/// A client_credentials token request to `token_url`.
fn token_request(token_url: String) -> Request {
    Arc::new(move |http| {
        let url = token_url.clone();
        Box::pin(async move { answer(client_credentials(&http, &url).await).await })
    })
}

/// Runs 64 keep-alive loops of `request` (each on a client from `client`) against `server` for
/// 1.5 s, sends SIGTERM, and asserts R12: exit 0 within 5 s, every answer complete and passing
/// `ok`, nothing closed under a written request, every loop ended on a refused connect.
fn r12_under_load(
    what: &str,
    server: RunningIdp,
    client: impl Fn() -> reqwest::Client,
    request: Request,
    ok: fn(u16, &serde_json::Value) -> bool,
) {
    // Arrange
    let rt = load_runtime();
    let loops: Vec<_> = (0..64)
        .map(|_| {
            let http = client();
            let request = request.clone();
            rt.spawn(async move {
                let mut seen = Seen::default();
                loop {
                    match request(http.clone()).await {
                        Ok((status, Ok(v))) if ok(status, &v) => seen.answered += 1,
                        Ok(other) => seen.wrong.push(format!("{other:?}")),
                        Err(e) => {
                            seen.refused = e.is_connect();
                            seen.closed_before_answer = format!("{e:?}").contains("IncompleteMessage");
                            seen.ended_by = Some(format!("{e:?}"));
                            return seen;
                        }
                    }
                }
            })
        })
        .collect();
    // Load for a while, so that requests are in flight when the signal comes.
    std::thread::sleep(Duration::from_millis(1500));

    // Act
    let stopped = server.terminate(Duration::from_secs(5));
    let seen: Vec<Seen> = rt.block_on(async {
        let mut out = Vec::new();
        for l in loops {
            out.push(l.await.expect("a load loop finished"));
        }
        out
    });

    // Assert
    let (status, took) = stopped.unwrap_or_else(|| panic!("{what} was still running 5 s after SIGTERM"));
    let answered: u64 = seen.iter().map(|s| s.answered).sum();
    let refused = seen.iter().filter(|s| s.refused).count();
    let closed = seen.iter().filter(|s| s.closed_before_answer).count();
    let other: Vec<&String> = seen
        .iter()
        .filter(|s| !s.refused && !s.closed_before_answer)
        .filter_map(|s| s.ended_by.as_ref())
        .collect();
    let wrong: Vec<&String> = seen.iter().flat_map(|s| &s.wrong).collect();
    eprintln!(
        "R12 {what}: {answered} answered; of 64 connections {refused} ended refused, {closed} closed before answering a request written to them, {} otherwise; exit after {took:?}",
        other.len()
    );
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(answered > 0, "no request was answered before the signal");
    assert!(wrong.is_empty(), "incomplete or wrong answers: {wrong:?}");
    assert!(
        other.is_empty(),
        "connections ended otherwise (reset mid-answer, timeout): {other:?}"
    );
    assert_eq!(closed, 0, "connections closed under a request written to them (keep-alive race)");
    assert_eq!(refused, 64);
}

fn is_token(status: u16, v: &serde_json::Value) -> bool {
    status == 200 && v["access_token"].is_string()
}

#[test]
fn r12_sigterm_under_64_connection_load_answers_every_request_resets_nothing_and_exits_0_within_5_s() {
    let idp = RunningIdp::spawn();
    let request = token_request(format!("{}/token", idp.issuer()));
    r12_under_load("idp", idp, keep_alive_client, request, is_token);
}

#[test]
fn r12_tls_sigterm_under_64_connection_load_answers_every_request_resets_nothing_and_exits_0_within_5_s() {
    // Arrange: the CA lands in the target's tmp dir; the clients trust it (and only it).
    let ca_file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("r12-tls-ca.pem");
    let ca_arg = ca_file.to_str().expect("a UTF-8 path");
    let idp = RunningIdp::spawn_with(&["idp", "--listen", "127.0.0.1:0", "--tls", "--tls-ca-out", ca_arg], &[]);
    let issuer = idp.issuer();
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    let pem = std::fs::read(&ca_file).expect("the provider wrote its CA");
    let ca = reqwest::Certificate::from_pem(&pem).expect("a PEM CA");
    let client = move || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(10))
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca.clone())
            .build()
            .expect("an HTTPS client")
    };
    let request = token_request(format!("{issuer}/token"));
    // Act + Assert
    r12_under_load("idp --tls", idp, client, request, is_token);
}

#[test]
fn r12_weaviate_sigterm_under_64_connection_rest_load_answers_every_request_resets_nothing_and_exits_0_within_5_s() {
    // Arrange: API keys only, so each request passes the token check.
    let weaviate = RunningIdp::spawn_with(
        &["weaviate", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0"],
        &[
            ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "r12-key"),
            ("AUTHENTICATION_APIKEY_USERS", "r12-user"),
            ("AUTHENTICATION_OIDC_ENABLED", "false"),
            ("AUTHORIZATION_ADMINLIST_ENABLED", "false"),
            ("AUTHORIZATION_RBAC_ENABLED", "false"),
        ],
    );
    let rest = weaviate.ready["rest"].as_str().expect("the ready line has rest").to_owned();
    let schema = format!("{rest}/v1/schema");
    let request: Request = Arc::new(move |http| {
        let sent = http.get(&schema).bearer_auth("r12-key").send();
        Box::pin(async move { answer(sent.await).await })
    });
    // Act + Assert
    r12_under_load("weaviate", weaviate, keep_alive_client, request, |status, v| {
        status == 200 && v["classes"].is_array()
    });
}
