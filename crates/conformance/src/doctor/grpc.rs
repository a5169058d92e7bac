//! The gRPC layers of `doctor`: the port (a TCP connect, then a real
//! `grpc.health.v1.Health/Check` through the generated client), and whether the credential
//! passes authentication there (`TenantsGet`, which checks credentials but no permission).

use std::time::Duration;

use tonic::Code;

use super::{auth_hint, Diagnosis, Status};
use crate::grpc::{self, Method, Request};

const TIMEOUT: Duration = Duration::from_secs(3);

/// The collection `grpc-auth` asks `TenantsGet` about; its existence does not matter.
const PROBE_COLLECTION: &str = "DoctorProbe";

/// The `grpc` layer; returns the address when the health check answered.
pub(super) async fn check_grpc(d: &mut Diagnosis, url: &str, grpc: Option<&str>) -> Option<String> {
    let addr = match grpc {
        Some(a) => a.to_owned(),
        None => {
            let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or("");
            format!("{host}:50051")
        }
    };
    // TCP first: a refused or silent port gets its own diagnosis.
    match tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(&addr)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            d.push(
                "grpc",
                Status::Fail,
                format!("{addr}: {e}"),
                Some(format!(
                    "the clients check gRPC when they connect and fail with a timeout: publish Weaviate's gRPC port (GRPC_PORT, 50051 by default){}, or pass skip_init_checks (Python) / skipInitChecks (TypeScript) for REST-only use",
                    if grpc.is_none() { ", or pass --grpc HOST:PORT" } else { "" }
                )),
            );
            return None;
        }
        Err(_) => {
            d.push(
                "grpc",
                Status::Fail,
                format!("{addr}: no answer within 3 s"),
                Some("a firewall or a wrong address: the clients' init check times out the same way".into()),
            );
            return None;
        }
    }
    let not_grpc = "something answers there, but not Weaviate's gRPC service: check that this is GRPC_PORT (not the REST port) and that no proxy downgrades HTTP/2";
    let answer = match grpc::connect(&addr, TIMEOUT).await {
        Ok(channel) => tokio::time::timeout(TIMEOUT, grpc::call(channel, Method::HealthCheck, &Request::default(), &[])).await,
        Err(e) => {
            d.push("grpc", Status::Fail, e.to_string(), Some(not_grpc.into()));
            return None;
        }
    };
    match answer {
        Ok(Ok(Ok(reply))) if reply["status"] == "SERVING" => {
            d.push("grpc", Status::Ok, format!("{addr}: Health/Check SERVING"), None);
            Some(addr)
        }
        Ok(Ok(Ok(reply))) => {
            d.push(
                "grpc",
                Status::Fail,
                format!("{addr}: Health/Check {}", reply["status"]),
                Some("Weaviate is not ready to serve gRPC: wait for startup to finish, or read its log".into()),
            );
            None
        }
        Ok(Ok(Err(s))) => {
            d.push(
                "grpc",
                Status::Fail,
                format!("{addr}: Health/Check {} {:?}", grpc::code_name(s.code()), s.message()),
                Some(not_grpc.into()),
            );
            None
        }
        Ok(Err(e)) => {
            d.push("grpc", Status::Fail, format!("{addr}: {e}"), None);
            None
        }
        Err(_) => {
            d.push(
                "grpc",
                Status::Fail,
                format!("{addr}: Health/Check got no answer within 3 s"),
                Some(not_grpc.into()),
            );
            None
        }
    }
}

/// The `grpc-auth` layer: one `TenantsGet` with the credential as the clients send it.
/// Unary calls answer a failed authentication with `UNKNOWN` `extract auth: <message>`
/// (weaviate-auth.md 5.2); anything else means the credential was accepted.
pub(super) async fn check_grpc_auth(d: &mut Diagnosis, addr: Option<&str>, bearer: Option<&str>) {
    let Some(addr) = addr else {
        d.push("grpc-auth", Status::Skip, "the gRPC port did not answer", None);
        return;
    };
    let metadata: Vec<(String, String)> = bearer
        .map(|b| ("authorization".to_owned(), format!("Bearer {b}")))
        .into_iter()
        .collect();
    let request = Request {
        collection: Some(PROBE_COLLECTION.into()),
        ..Request::default()
    };
    let answer = match grpc::connect(addr, TIMEOUT).await {
        Ok(channel) => grpc::call(channel, Method::TenantsGet, &request, &metadata).await,
        Err(e) => Err(e),
    };
    let who = if bearer.is_some() { "the credential" } else { "an anonymous call" };
    match answer {
        Err(e) => d.push("grpc-auth", Status::Fail, e.to_string(), None),
        Ok(Ok(_)) => d.push("grpc-auth", Status::Ok, format!("TenantsGet: OK, {who} is accepted"), None),
        Ok(Err(s)) => {
            let refused = s.message().strip_prefix("extract auth: ");
            match (s.code(), refused) {
                (Code::Unknown, Some(why)) | (Code::Unauthenticated, Some(why)) => d.push(
                    "grpc-auth",
                    Status::Fail,
                    format!("TenantsGet: {} {:?}", grpc::code_name(s.code()), s.message()),
                    Some(auth_hint(bearer.is_some(), 0, why).into()),
                ),
                (Code::Unauthenticated, None) => d.push(
                    "grpc-auth",
                    Status::Fail,
                    format!("TenantsGet: UNAUTHENTICATED {:?}", s.message()),
                    Some(auth_hint(bearer.is_some(), 0, s.message()).into()),
                ),
                // Authentication passed; TenantsGet then answers about the probe collection.
                _ => d.push(
                    "grpc-auth",
                    Status::Ok,
                    format!(
                        "TenantsGet: {} {:?}: {who} passed authentication",
                        grpc::code_name(s.code()),
                        s.message()
                    ),
                    None,
                ),
            }
        }
    }
}
