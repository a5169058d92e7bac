//! The per-request trace layer is added only when DEBUG events can be recorded as the server
//! starts (`server::traces_requests`); then each request gets its span with the method and the
//! path, and never its query string. A 5xx answer is logged at ERROR either way, once.

use std::io::Write;
use std::sync::{Arc, Mutex};

use mock_idp::MockIdp;

/// A `tracing` writer into a shared buffer.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Logs at `level` and below into the returned buffer while the guard lives (this thread only).
fn capture(level: tracing::Level) -> (Capture, tracing::subscriber::DefaultGuard) {
    let out = Capture(Arc::default());
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (out, tracing::subscriber::set_default(subscriber))
}

// The test runtime has one thread: the server's tasks run on it, under the subscriber set here.
#[tokio::test]
async fn with_debug_events_on_at_start_each_request_is_traced_with_its_path_and_no_query() {
    let (out, _on) = capture(tracing::Level::DEBUG);
    let idp = MockIdp::start().await;
    let url = format!("{}/jwks?secret-query-value=1", idp.issuer_url());
    let resp = reqwest::get(&url).await.expect("the JWKS answers");
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("\"keys\""));
    drop(idp);
    let text = out.text();
    let path = format!("path={}", reqwest::Url::parse(&url).unwrap().path());
    assert!(text.contains("finished processing request"), "{text}");
    assert!(text.contains(&path) && text.contains("method=GET"), "{text}");
    assert!(!text.contains("secret-query-value"), "{text}");
}

// At INFO, without the trace layer, a 5xx answer is still logged at ERROR, once.
#[tokio::test]
async fn at_the_default_info_level_a_5xx_answer_is_logged_as_an_error_once() {
    let (out, _on) = capture(tracing::Level::INFO);
    let env = crate::support::Env::start().await;
    let faults = format!("{}/_mock/faults", env.idp.issuer_url());
    let armed = env
        .http
        .post(&faults)
        .json(&serde_json::json!({"endpoint": "jwks", "kind": "status", "status": 503, "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(armed.status(), 201);
    let jwks = format!("{}/jwks", env.idp.issuer_url());
    assert_eq!(env.http.get(&jwks).send().await.unwrap().status(), 503);
    assert_eq!(env.http.get(&jwks).send().await.unwrap().status(), 200);
    let text = out.text();
    let failures: Vec<&str> = text.lines().filter(|l| l.contains("response failed")).collect();
    assert_eq!(failures.len(), 1, "{text}");
    assert!(failures[0].contains("ERROR") && failures[0].contains("status=503"), "{text}");
}
