//! Serves one workload N times in process, through the router and without sockets, so that
//! `valgrind --tool=callgrind` can count instructions per request (docs/benchmarks.md):
//!
//! ```sh
//! cargo build --release -p mock-idp --example issue_loop
//! valgrind --tool=callgrind target/release/examples/issue_loop client_credentials 200
//! ```
//!
//! Workloads: `client_credentials` (RS256, or `client_credentials:ES256` / `:EdDSA`),
//! `password`, `discovery`, `jwks`. Run it with two counts and divide the difference by the
//! difference of the counts: that removes start-up (key loading) from the figure.

use axum::body::Body;
use axum::http::{header, Request};
use mock_idp::{Alg, AppState, Config};
use tower::ServiceExt;

fn request(workload: &str) -> Request<Body> {
    let form = |body: &'static str, basic: Option<&'static str>| {
        let mut r = Request::post("/default/token").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(b) = basic {
            r = r.header(header::AUTHORIZATION, b);
        }
        r.body(Body::from(body)).expect("request")
    };
    match workload {
        // ci-runner:ci-runner-secret
        "client_credentials" => form("grant_type=client_credentials", Some("Basic Y2ktcnVubmVyOmNpLXJ1bm5lci1zZWNyZXQ=")),
        "password" => form(
            "grant_type=password&client_id=weaviate&username=admin&password=admin-pass&scope=openid",
            None,
        ),
        "discovery" => Request::get("/default/.well-known/openid-configuration")
            .body(Body::empty())
            .expect("request"),
        "jwks" => Request::get("/default/jwks").body(Body::empty()).expect("request"),
        other => panic!("unknown workload {other}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let spec = args.next().unwrap_or_else(|| "client_credentials".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(100);
    let (workload, alg) = spec.split_once(':').map_or((spec.as_str(), None), |(w, a)| (w, Alg::parse(a)));
    let mut config = Config::builtin();
    if let Some(alg) = alg {
        for client in &mut config.tenants[0].clients {
            client.alg = Some(alg);
        }
    }
    let app = mock_idp::router(AppState::new(&config, "http://127.0.0.1:8080").expect("built-in config"));
    let mut bytes = 0;
    for _ in 0..n {
        let resp = app.clone().oneshot(request(workload)).await.expect("infallible");
        assert!(resp.status().is_success(), "{workload}: {}", resp.status());
        bytes += axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("body").len();
    }
    eprintln!("{n} x {spec}: {bytes} bytes");
}
