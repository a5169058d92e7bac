//! The ceilings: a minimal axum hello-world, built like the provider. `hello ADDR` serves
//! - `GET /`: "Hello, World!", the ceiling of the GET targets;
//! - `GET /bytes/{n}`: the first `n` bytes (at most 64 KiB) of a static JSON body: as many bytes
//!   as a document of ours without any work of its own, i.e. what the size of an answer alone
//!   costs the server, the kernel and wrk;
//! - `POST /sign/{alg}` (`es256` or `eddsa`): reads the request body, signs a typical token's
//!   header and payload (`bench::token_sample`) with the provider's own signing call and answers
//!   a token response around it: an HTTP request plus one signature and nothing else, the
//!   measured form of "what a token endpoint can answer when everything besides HTTP and the
//!   signature is free".
//!
//! It prints `ready ADDR` on stdout once it accepts connections.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bench::token_sample::{HEADER, PAYLOAD};
use mock_idp::{Alg, SigningKey};

const MAX: usize = 64 * 1024;

/// `"` + spaces + `"`: a JSON string of any length up to `MAX` (cut at `n`, it is still bytes).
static BODY: [u8; MAX] = {
    let mut b = [b' '; MAX];
    b[0] = b'"';
    b[MAX - 1] = b'"';
    b
};

async fn bytes(Path(n): Path<usize>) -> impl IntoResponse {
    let body = Bytes::from_static(&BODY[..n.min(MAX)]);
    ([(CONTENT_TYPE, "application/json")], body)
}

/// The keys of `POST /sign/{alg}`, made once at start.
struct Signers {
    es256: SigningKey,
    eddsa: SigningKey,
}

async fn sign(State(keys): State<Arc<Signers>>, Path(alg): Path<String>, _form: Bytes) -> Response {
    let (key, alg) = match alg.as_str() {
        "es256" => (&keys.es256, Alg::ES256),
        "eddsa" => (&keys.eddsa, Alg::EdDSA),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let jwt = key.sign_raw(HEADER.as_bytes(), PAYLOAD.as_bytes(), alg);
    let body = format!(r#"{{"access_token":"{jwt}","token_type":"Bearer","expires_in":3600,"scope":"openid"}}"#);
    ([(CONTENT_TYPE, "application/json"), (CACHE_CONTROL, "no-store")], body).into_response()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let keys = Arc::new(Signers {
        es256: SigningKey::from_seed("bench hello", Alg::ES256),
        eddsa: SigningKey::from_seed("bench hello", Alg::EdDSA),
    });
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "Hello, World!" }))
        .route("/bytes/{n}", axum::routing::get(bytes))
        .route("/sign/{alg}", axum::routing::post(sign))
        .with_state(keys);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    writeln!(std::io::stdout(), "ready {}", listener.local_addr()?)?;
    axum::serve(listener, app).await
}
