//! R5, short variant: client_credentials tokens over 64 keep-alive connections for a few seconds
//! against the spawned `oidc-harness idp`. Asserts only that every request got a 200 with an
//! access token and that no socket error happened; rate and latency are figures of the 60 s run
//! (`just token-load`, docs/reliability.md), never asserted here.

use std::time::{Duration, Instant};

use crate::cli::{client_credentials, keep_alive_client, load_runtime, RunningIdp};

/// Seconds of load: `OIDC_HARNESS_TOKEN_LOAD_SECONDS`, else 3.
fn seconds() -> u64 {
    std::env::var("OIDC_HARNESS_TOKEN_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// What one connection's loop saw.
#[derive(Debug, Default)]
struct Seen {
    tokens: u64,
    non_2xx: Vec<String>,
    socket_errors: Vec<String>,
}

#[test]
fn r5_client_credentials_over_64_keep_alive_connections_get_only_tokens_and_no_socket_error() {
    // Arrange
    let idp = RunningIdp::spawn();
    let token_url = format!("{}/token", idp.issuer());
    let rt = load_runtime();
    let until = Instant::now() + Duration::from_secs(seconds());

    // Act
    let seen: Vec<Seen> = rt.block_on(async {
        let loops: Vec<_> = (0..64)
            .map(|_| {
                let url = token_url.clone();
                tokio::spawn(async move {
                    let http = keep_alive_client();
                    let mut seen = Seen::default();
                    while Instant::now() < until {
                        let sent = client_credentials(&http, &url).await;
                        let answer = match sent {
                            Ok(r) => (r.status().as_u16(), r.json::<serde_json::Value>().await),
                            Err(e) => {
                                seen.socket_errors.push(format!("{e:?}"));
                                continue;
                            }
                        };
                        match answer {
                            (200, Ok(v)) if v["access_token"].is_string() => seen.tokens += 1,
                            (status, body) => seen.non_2xx.push(format!("{status}: {body:?}")),
                        }
                    }
                    seen
                })
            })
            .collect();
        let mut out = Vec::new();
        for l in loops {
            out.push(l.await.expect("a load loop finished"));
        }
        out
    });

    // Assert
    let tokens: u64 = seen.iter().map(|s| s.tokens).sum();
    let non_2xx: Vec<&String> = seen.iter().flat_map(|s| &s.non_2xx).collect();
    let socket_errors: Vec<&String> = seen.iter().flat_map(|s| &s.socket_errors).collect();
    eprintln!(
        "R5 short: {tokens} tokens in {} s over 64 connections, {} non-2xx, {} socket errors",
        seconds(),
        non_2xx.len(),
        socket_errors.len()
    );
    assert!(non_2xx.is_empty(), "answers other than a token: {non_2xx:?}");
    assert!(socket_errors.is_empty(), "socket errors: {socket_errors:?}");
    assert!(seen.iter().all(|s| s.tokens > 0), "a connection got no token at all");
}
