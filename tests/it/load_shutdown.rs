//! R12: SIGTERM to the `oidc-harness idp` process while 64 keep-alive connections request
//! tokens. Every answer that starts is a complete token response, the process exits 0 within
//! 5 s, and no connection is reset or closed under a request written to it: the provider first
//! closes its listener, then answers with `Connection: close` until its connections have closed
//! (`mock_idp::drain`), so each loop ends on a refused connect. Without that drain, 24-53 of the
//! 64 connections were closed under their next request (hyper's `IncompleteMessage`;
//! docs/reliability.md).

use std::time::Duration;

use crate::cli::{client_credentials, keep_alive_client, load_runtime, RunningIdp};

/// What one connection's loop saw.
#[derive(Debug, Default)]
struct Seen {
    /// Complete 200 answers with an access token.
    answered: u64,
    /// Answers that were not a complete token response.
    wrong: Vec<String>,
    /// The error that ended the loop.
    ended_by: Option<String>,
    /// Ended by a refused connection.
    refused: bool,
    /// Ended by a connection the server closed before answering (keep-alive race).
    closed_before_answer: bool,
}

#[test]
fn r12_sigterm_under_64_connection_load_answers_every_request_resets_nothing_and_exits_0_within_5_s() {
    // Arrange
    let idp = RunningIdp::spawn();
    let token_url = format!("{}/token", idp.issuer());
    let rt = load_runtime();
    let loops: Vec<_> = (0..64)
        .map(|_| {
            let url = token_url.clone();
            rt.spawn(async move {
                let http = keep_alive_client();
                let mut seen = Seen::default();
                loop {
                    let sent = client_credentials(&http, &url).await;
                    let body = match sent {
                        Ok(r) => (r.status().as_u16(), r.json::<serde_json::Value>().await.map_err(|e| e.to_string())),
                        Err(e) => {
                            seen.refused = e.is_connect();
                            seen.closed_before_answer = format!("{e:?}").contains("IncompleteMessage");
                            seen.ended_by = Some(format!("{e:?}"));
                            return seen;
                        }
                    };
                    match body {
                        (200, Ok(v)) if v["access_token"].is_string() => seen.answered += 1,
                        other => seen.wrong.push(format!("{other:?}")),
                    }
                }
            })
        })
        .collect();
    // Load for a while, so that requests are in flight when the signal comes.
    std::thread::sleep(Duration::from_millis(1500));

    // Act
    let stopped = idp.terminate(Duration::from_secs(5));
    let seen: Vec<Seen> = rt.block_on(async {
        let mut out = Vec::new();
        for l in loops {
            out.push(l.await.expect("a load loop finished"));
        }
        out
    });

    // Assert
    let (status, took) = stopped.expect("the provider was still running 5 s after SIGTERM");
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
        "R12: {answered} tokens answered; of 64 connections {refused} ended refused, {closed} closed before answering a request written to them; exit after {took:?}"
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
