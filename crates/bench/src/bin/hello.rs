//! The ceiling for discovery and JWKS: a minimal axum hello-world, built like the provider.
//! `hello ADDR` serves `GET /` ("Hello, World!") and `GET /bytes/{n}`, the first `n` bytes (at
//! most 64 KiB) of a static JSON body, and prints `ready` on stdout once it accepts connections.
//! The second route answers as many bytes as a document of ours without any work of its own:
//! what the size of an answer alone costs the server, the kernel and wrk.

use std::io::Write;

use axum::extract::Path;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

const MAX: usize = 64 * 1024;

/// `"` + spaces + `"`: a JSON string of any length up to `MAX` (cut at `n`, it is still bytes).
static BODY: [u8; MAX] = {
    let mut b = [b' '; MAX];
    b[0] = b'"';
    b[MAX - 1] = b'"';
    b
};

async fn bytes(Path(n): Path<usize>) -> impl IntoResponse {
    let body = axum::body::Bytes::from_static(&BODY[..n.min(MAX)]);
    ([(CONTENT_TYPE, "application/json")], body)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "Hello, World!" }))
        .route("/bytes/{n}", axum::routing::get(bytes));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    writeln!(std::io::stdout(), "ready {}", listener.local_addr()?)?;
    axum::serve(listener, app).await
}
