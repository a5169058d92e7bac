//! The per-request trace layer is added only when DEBUG events can be recorded as the server
//! starts (`server::traces_requests`); then each request gets its span with the method and the
//! path, and never its query string.

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

// The test runtime has one thread: the server's tasks run on it, under the subscriber set here.
#[tokio::test]
async fn with_debug_events_on_at_start_each_request_is_traced_with_its_path_and_no_query() {
    let out = Capture(Arc::default());
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _on = tracing::subscriber::set_default(subscriber);
    let idp = MockIdp::start().await;
    let url = format!("{}/jwks?secret-query-value=1", idp.issuer_url());
    let resp = reqwest::get(&url).await.expect("the JWKS answers");
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("\"keys\""));
    drop(idp);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let path = format!("path={}/jwks", idp_path(&url));
    assert!(text.contains("finished processing request"), "{text}");
    assert!(text.contains(&path) && text.contains("method=GET"), "{text}");
    assert!(!text.contains("secret-query-value"), "{text}");
}

/// The path part of `url`, without its query.
fn idp_path(url: &str) -> String {
    let after_host = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_host.find('/').map_or("", |i| &after_host[i..]);
    path.split('?').next().unwrap_or("").trim_end_matches("/jwks").to_owned()
}
