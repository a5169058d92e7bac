//! What a request carries: plausible path and query parameters, a body per operation, the
//! fixture collection and object, and the `unknown-class` rewrite.

use serde_json::{json, Value};

/// The collection every target gets before each operation (with one object).
pub const CLASS: &str = "Sweep";
/// The collection the `unknown-class` input names instead.
pub const UNKNOWN_CLASS: &str = "SweepUnknown";
/// The fixture object's id.
pub const OBJECT_ID: &str = "00000000-0000-4000-8000-000000000001";

/// A plausible value for a path parameter: the fixture's collection and object, names the
/// sweep creates and deletes, or the built-in ones.
pub fn param_value(template: &str, name: &str, unknown_class: bool) -> String {
    let class = if unknown_class { UNKNOWN_CLASS } else { CLASS };
    let v = match name {
        "className" | "collection" => class,
        "id" if template.starts_with("/v1/objects") => OBJECT_ID,
        "id" if template.starts_with("/v1/authz/roles") => "sweep-role",
        "id" if template.starts_with("/v1/authz/users") => "viewer-user",
        "id" if template.starts_with("/v1/authz/groups") => "viewers",
        "id" if template.starts_with("/v1/backups") => "sweep-backup",
        "id" if template.starts_with("/v1/export") => "sweep-export",
        "id" => "00000000-0000-4000-8000-0000000000aa",
        "user_id" => "sweep-user",
        "propertyName" => "title",
        "indexName" => "filterable",
        "vectorIndexName" => "default",
        "shardName" => "sweep-shard",
        "tenantName" => "sweep-tenant",
        "userType" => "db",
        "groupType" => "oidc",
        "aliasName" => "SweepAlias",
        "namespace_id" => "sweepnamespace",
        "backend" => "filesystem",
        _ => "sweep",
    };
    v.to_owned()
}

pub(super) fn query_value(name: &str, unknown_class: bool) -> &'static str {
    match name {
        "collection" | "className" | "class" if unknown_class => UNKNOWN_CLASS,
        "collection" | "className" | "class" => CLASS,
        "replicationFactor" => "1",
        _ => "sweep",
    }
}

/// A plausible body for an operation that takes one: what a client would send (ids fixed, so
/// that answers do not carry generated ones); `{}` for those the sweep does not know.
pub fn body_for(method: &str, template: &str) -> Value {
    let beacon = format!("weaviate://localhost/{CLASS}/{OBJECT_ID}");
    let role_permission = json!({ "action": "read_collections", "collections": { "collection": CLASS } });
    match (method, template.strip_prefix("/v1").unwrap_or(template)) {
        ("POST", "/replication/replicate") => {
            json!({ "collection": CLASS, "shard": "sweep-shard", "sourceNode": "node1", "targetNode": "node2" })
        }
        ("POST", "/replication/replicate/force-delete") => json!({ "collection": CLASS, "dryRun": true }),
        ("POST", "/replication/scale") => json!({ "collection": CLASS, "replicationFactor": 1 }),
        ("POST", "/users/db/{user_id}/deactivate") => json!({ "revoke_key": false }),
        ("POST", "/authz/roles") => json!({ "name": "sweep-role", "permissions": [role_permission] }),
        ("POST", "/authz/roles/{id}/add-permissions" | "/authz/roles/{id}/remove-permissions") => {
            json!({ "permissions": [role_permission] })
        }
        ("POST", "/authz/roles/{id}/has-permission") => role_permission,
        ("POST", "/authz/users/{id}/assign" | "/authz/users/{id}/revoke") => json!({ "roles": ["viewer"], "userType": "db" }),
        ("POST", "/authz/groups/{id}/assign" | "/authz/groups/{id}/revoke") => {
            json!({ "roles": ["viewer"], "groupType": "oidc" })
        }
        ("POST", "/objects") => {
            json!({ "class": CLASS, "id": "00000000-0000-4000-8000-000000000002", "properties": { "title": "created" } })
        }
        ("PUT" | "PATCH", "/objects/{id}" | "/objects/{className}/{id}") => {
            json!({ "class": CLASS, "id": OBJECT_ID, "properties": { "title": "changed" } })
        }
        ("POST", "/objects/validate") => json!({ "class": CLASS, "properties": { "title": "valid" } }),
        ("POST" | "DELETE", "/objects/{id}/references/{propertyName}" | "/objects/{className}/{id}/references/{propertyName}") => {
            json!({ "beacon": beacon })
        }
        ("PUT", "/objects/{id}/references/{propertyName}" | "/objects/{className}/{id}/references/{propertyName}") => {
            json!([{ "beacon": beacon }])
        }
        ("POST", "/batch/objects") => json!({
            "objects": [{ "class": CLASS, "id": "00000000-0000-4000-8000-000000000003", "properties": { "title": "batch" } }]
        }),
        ("DELETE", "/batch/objects") => json!({
            "match": { "class": CLASS, "where": { "path": ["title"], "operator": "Equal", "valueText": "nothing matches" } },
            "dryRun": true
        }),
        ("POST", "/batch/references") => json!([{ "from": format!("{beacon}/title"), "to": beacon }]),
        ("POST", "/graphql") => json!({ "query": format!("{{ Get {{ {CLASS} {{ title }} }} }}") }),
        ("POST", "/graphql/batch") => json!([{ "query": format!("{{ Get {{ {CLASS} {{ title }} }} }}") }]),
        ("POST", "/tokenize") => json!({ "text": "Hello World", "tokenization": "word" }),
        ("POST", "/schema") => json!({ "class": "SweepNew", "properties": [{ "name": "title", "dataType": ["text"] }] }),
        ("PUT", "/schema/{className}") => json!({ "class": CLASS, "description": "changed" }),
        ("POST", "/schema/{className}/properties") => json!({ "name": "extra", "dataType": ["text"] }),
        ("POST", "/schema/{className}/properties/{propertyName}/tokenize") => json!({ "text": "Hello World" }),
        ("PUT", "/schema/{className}/shards/{shardName}") => json!({ "status": "READY" }),
        ("POST" | "PUT", "/schema/{className}/tenants") => json!([{ "name": "sweep-tenant" }]),
        ("DELETE", "/schema/{className}/tenants") => json!(["sweep-tenant"]),
        ("POST", "/aliases") => json!({ "alias": "SweepAlias", "class": CLASS }),
        ("PUT", "/aliases/{aliasName}") => json!({ "class": CLASS }),
        ("POST", "/backups/{backend}") => json!({ "id": "sweep-backup" }),
        ("POST", "/export/{backend}") => json!({ "id": "sweep-export" }),
        // Refused before any work starts: no property to classify.
        ("POST", "/classifications/") => json!({ "class": CLASS }),
        ("POST", "/search/{collection}/bm25" | "/search/{collection}/hybrid") => json!({ "query": "hello" }),
        ("POST", "/search/{collection}/near-object") => json!({ "id": OBJECT_ID }),
        ("POST", "/search/{collection}/near-text") => json!({ "concepts": ["hello"] }),
        _ => json!({}),
    }
}

/// The class and the object the fixture puts on every target.
pub fn fixture_class() -> Value {
    json!({ "class": CLASS, "properties": [{ "name": "title", "dataType": ["text"] }] })
}

/// The fixture's object.
pub fn fixture_object() -> Value {
    json!({ "class": CLASS, "id": OBJECT_ID, "properties": { "title": "fixture" } })
}

/// A JSON text cut before its end (at least one byte short, so never valid).
pub(super) fn truncated(body: &Value) -> String {
    let text = body.to_string();
    let cut = (text.len() / 2).max(1);
    text[..cut].to_owned()
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Byte offsets where the word `Sweep` stands alone (not `SweepNew`).
fn class_words(text: &str) -> Vec<usize> {
    text.match_indices(CLASS)
        .map(|(i, _)| i)
        .filter(|&i| {
            let before = text[..i].chars().next_back().is_none_or(|c| !is_name_char(c));
            let after = text[i + CLASS.len()..].chars().next().is_none_or(|c| !is_name_char(c));
            before && after
        })
        .collect()
}

pub(super) fn mentions_class(text: &str) -> bool {
    !class_words(text).is_empty()
}

/// `text` with every standalone `Sweep` replaced by the unknown class.
pub fn unknown_class(text: &str) -> String {
    let mut out = text.to_owned();
    for i in class_words(text).into_iter().rev() {
        out.replace_range(i..i + CLASS.len(), UNKNOWN_CLASS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_standalone_class_name_is_replaced() {
        assert_eq!(
            unknown_class(r#"{"class":"Sweep","b":"weaviate://localhost/Sweep/1","n":"SweepNew"}"#),
            r#"{"class":"SweepUnknown","b":"weaviate://localhost/SweepUnknown/1","n":"SweepNew"}"#
        );
        assert!(!mentions_class(r#"{"class":"SweepNew"}"#));
    }
}
