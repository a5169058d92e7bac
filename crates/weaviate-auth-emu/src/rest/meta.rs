//! `/v1`, `/v1/meta`, the well-known OIDC document, `/v1/nodes` and `/v1/cluster/statistics`:
//! what a client reads before anything else (nodes and statistics need a permission).

use serde_json::{json, Value};

use crate::authorization::{Resource, Verb};
use crate::config::OidcConfig;
use crate::error::Error;
use crate::rest::{Ctx, Reply};

/// The largest gRPC message Weaviate announces by default (from `/v1/meta` of v1.38.11).
pub const GRPC_MAX_MESSAGE_SIZE: u64 = 104_858_000;

/// `GET /v1`: the links document (recorded from v1.38.11).
pub fn links(_: &Ctx<'_>) -> Result<Reply, Error> {
    let doc = "https://weaviate.io/developers/weaviate/api/rest#tag/";
    Ok(Reply::Json(json!({"links": [
        {"href": "/v1/meta", "name": "Meta information about this instance/cluster"},
        {"documentationHref": format!("{doc}schema/get/schema"), "href": "/v1/schema", "name": "view complete schema"},
        {"documentationHref": format!("{doc}schema/put/schema/{{className}}"), "href": "/v1/schema{/:className}", "name": "CRUD schema"},
        {"documentationHref": format!("{doc}objects/"), "href": "/v1/objects{/:id}", "name": "CRUD objects"},
        {"documentationHref": format!("{doc}classifications"), "href": "/v1/classifications{/:id}", "name": "trigger and view status of classifications"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/live"), "href": "/v1/.well-known/live", "name": "check if Weaviate is live (returns 200 on GET when live)"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/ready"), "href": "/v1/.well-known/ready", "name": "check if Weaviate is ready (returns 200 on GET when ready)"},
        {"documentationHref": format!("{doc}well-known/get/.well-known/openid-configuration"), "href": "/v1/.well-known/openid-configuration", "name": "view link to openid configuration (returns 404 on GET if no openid is configured)"},
    ]})))
}

/// `GET /v1/meta`.
pub fn meta(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    Ok(Reply::Json(json!({
        "grpcMaxMessageSize": GRPC_MAX_MESSAGE_SIZE,
        "hostname": ctx.state().hostname(),
        "modules": {},
        "version": crate::WEAVIATE_VERSION,
    })))
}

/// `GET /v1/.well-known/openid-configuration`: an empty 404 with OIDC off.
pub fn openid_configuration(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    openid_document(&ctx.state().config().oidc)
        .map(Reply::Json)
        .ok_or(Error::EmptyNotFound)
}

/// `GET /v1/nodes`: one healthy node.
pub fn nodes(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.caller().authorize(Verb::Read, Resource::Nodes)?;
    Ok(Reply::Json(
        json!({"nodes": [{"gitHash": "", "name": "node1", "status": "HEALTHY", "version": crate::WEAVIATE_VERSION}]}),
    ))
}

/// `GET /v1/cluster/statistics`.
pub fn cluster_statistics(ctx: &Ctx<'_>) -> Result<Reply, Error> {
    ctx.caller().authorize(Verb::Read, Resource::Cluster)?;
    Ok(Reply::Json(json!({"statistics": [], "synchronized": true})))
}

/// Spec 5.1: Weaviate's `/v1/.well-known/openid-configuration` document, `None` (404) with OIDC off.
/// Only `clientId`, `href` and `scopes`, each left out when empty: clients assert their types.
pub fn openid_document(oidc: &OidcConfig) -> Option<Value> {
    if !oidc.enabled {
        return None;
    }
    let mut doc = serde_json::Map::new();
    if let Some(client_id) = &oidc.client_id {
        doc.insert("clientId".into(), json!(client_id));
    }
    if let Some(issuer) = &oidc.issuer {
        // Joined as paths: trailing slashes of the issuer are not doubled. The issuer is used
        // even when a JWKS URL is set.
        doc.insert(
            "href".into(),
            json!(format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))),
        );
    }
    if let Some(scopes) = &oidc.scopes {
        doc.insert("scopes".into(), json!(scopes));
    }
    Some(Value::Object(doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s5_1_openid_document_has_only_the_set_fields() {
        assert_eq!(openid_document(&OidcConfig::default()), None);
        let oidc = OidcConfig {
            enabled: true,
            issuer: Some("http://idp/realms/x/".into()),
            client_id: Some("weaviate".into()),
            jwks_url: Some("http://elsewhere/jwks".into()),
            ..OidcConfig::default()
        };
        assert_eq!(
            openid_document(&oidc),
            Some(json!({"clientId": "weaviate", "href": "http://idp/realms/x/.well-known/openid-configuration"}))
        );
        let with_scopes = OidcConfig {
            scopes: Some(vec!["openid".into(), "email".into()]),
            client_id: None,
            ..oidc
        };
        assert_eq!(
            openid_document(&with_scopes),
            Some(json!({"href": "http://idp/realms/x/.well-known/openid-configuration", "scopes": ["openid", "email"]}))
        );
    }
}
