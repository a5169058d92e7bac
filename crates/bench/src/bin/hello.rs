//! The ceiling for discovery and JWKS: a minimal axum hello-world, built like the provider.
//! `hello ADDR` serves `GET /` and prints `ready` on stdout once it accepts connections.

use std::io::Write;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    writeln!(std::io::stdout(), "ready {}", listener.local_addr()?)?;
    axum::serve(listener, app).await
}
