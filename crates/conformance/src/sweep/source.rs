//! Where the sweep's list of requests comes from: Weaviate's own published API, read at run time
//! from the Go module of the pinned version (the one `.ci/run` downloads to build the server).
//!
//! Nothing of it is kept in this repository: the OpenAPI document (`openapi-specs/schema.json`)
//! gives every REST path and method, with its path and required query parameters and whether it
//! takes a body; the proto files (`grpc/proto/v1/weaviate.proto`) name the gRPC methods of the
//! `weaviate.v1.Weaviate` service, so the sweep can say which of them the clients do not use.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;
use serde_json::Value;

/// The Weaviate version whose API is swept (the server `.ci/run` builds).
pub const WEAVIATE_VERSION: &str = "v1.38.11";

/// The Go module that holds the OpenAPI document and the protos.
pub const WEAVIATE_MODULE: &str = "github.com/weaviate/weaviate";

/// The OpenAPI document, relative to the module's folder.
pub const OPENAPI_PATH: &str = "openapi-specs/schema.json";

/// The gRPC service definition, relative to the module's folder.
pub const SERVICE_PROTO_PATH: &str = "grpc/proto/v1/weaviate.proto";

/// The module's folder: `OIDC_HARNESS_WEAVIATE_SOURCE` when set, else what `go mod download
/// -json` reports (it downloads the module when the cache lacks it), else the module cache.
pub fn module_dir() -> Result<PathBuf, Error> {
    if let Some(dir) = std::env::var_os("OIDC_HARNESS_WEAVIATE_SOURCE") {
        let dir = PathBuf::from(dir);
        return if dir.join(OPENAPI_PATH).is_file() {
            Ok(dir)
        } else {
            Err(Error::Unavailable(format!(
                "OIDC_HARNESS_WEAVIATE_SOURCE={} has no {OPENAPI_PATH}",
                dir.display()
            )))
        };
    }
    let module = format!("{WEAVIATE_MODULE}@{WEAVIATE_VERSION}");
    let downloaded = Command::new("go").args(["mod", "download", "-json", &module]).output();
    let mut why = match downloaded {
        Ok(out) => match serde_json::from_slice::<Value>(&out.stdout) {
            Ok(v) => match v.get("Dir").and_then(Value::as_str) {
                Some(dir) if Path::new(dir).join(OPENAPI_PATH).is_file() => return Ok(PathBuf::from(dir)),
                _ => format!(
                    "`go mod download -json {module}` gave no folder with {OPENAPI_PATH}: {}",
                    v.get("Error").and_then(Value::as_str).unwrap_or("no Dir")
                ),
            },
            Err(e) => format!("`go mod download -json {module}` printed no JSON ({e})"),
        },
        Err(e) => format!("no Go toolchain to find {module} ({e})"),
    };
    if let Ok(out) = Command::new("go").args(["env", "GOMODCACHE"]).output() {
        let cache = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let dir = Path::new(&cache).join(format!("{WEAVIATE_MODULE}@{WEAVIATE_VERSION}"));
        if !cache.is_empty() && dir.join(OPENAPI_PATH).is_file() {
            return Ok(dir);
        }
        why.push_str(&format!("; not in the module cache {cache} either"));
    }
    Err(Error::Unavailable(why))
}

/// A REST operation of the OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path with `/v1` and its parameters as the document names them:
    /// `/v1/schema/{className}`.
    pub path: String,
    /// The path parameters, in order of appearance.
    pub path_params: Vec<String>,
    /// Query parameters the document marks as required.
    pub required_query: Vec<String>,
    /// Whether the operation takes a body parameter.
    pub takes_body: bool,
}

impl Operation {
    /// `GET /v1/schema/{className}`.
    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// Every operation of a Swagger 2.0 document: paths sorted, methods in a fixed order within a
/// path (GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS), so the order never depends on how a JSON
/// map happens to be kept.
pub fn operations(doc: &Value) -> Result<Vec<Operation>, Error> {
    let base = doc.get("basePath").and_then(Value::as_str).unwrap_or("");
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Invalid("the OpenAPI document has no `paths` object".into()))?;
    let shared = doc.get("parameters").and_then(Value::as_object);
    let resolve = |p: &Value| -> Result<Value, Error> {
        match p.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.rsplit('/').next().unwrap_or(r);
                shared
                    .and_then(|s| s.get(name))
                    .cloned()
                    .ok_or_else(|| Error::Invalid(format!("parameter reference {r} names nothing")))
            }
            None => Ok(p.clone()),
        }
    };
    let mut sorted: Vec<(&String, &Value)> = paths.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (path, item) in sorted {
        let item = item
            .as_object()
            .ok_or_else(|| Error::Invalid(format!("path {path} is not an object")))?;
        let common: Vec<Value> = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let own: Vec<Value> = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
            let params = common.iter().chain(&own).map(resolve).collect::<Result<Vec<_>, _>>()?;
            let of = |place: &'static str| params.iter().filter(move |p| p.get("in").and_then(Value::as_str) == Some(place));
            let full = format!("{base}{path}");
            let mut path_params: Vec<String> = Vec::new();
            for name in placeholders(&full) {
                if !of("path").any(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str())) {
                    return Err(Error::Invalid(format!(
                        "{} {full}: the path names {{{name}}} but no path parameter",
                        m.to_uppercase()
                    )));
                }
                path_params.push(name);
            }
            out.push(Operation {
                method: m.to_uppercase(),
                path: full,
                path_params,
                required_query: of("query")
                    .filter(|p| p.get("required").and_then(Value::as_bool) == Some(true))
                    .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
                takes_body: of("body").next().is_some(),
            });
        }
    }
    Ok(out)
}

/// The `{name}` parts of a path template, in order.
pub fn placeholders(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

/// The `rpc` names of a proto file's services, in order.
pub fn rpc_names(proto: &str) -> Vec<String> {
    proto
        .lines()
        .filter_map(|l| l.trim().strip_prefix("rpc "))
        .filter_map(|rest| rest.split('(').next())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

/// What the sweep reads from the module.
#[derive(Debug, Clone)]
pub struct Published {
    /// Where it was read (for the report).
    pub source: String,
    /// Every REST operation.
    pub operations: Vec<Operation>,
    /// The methods of `weaviate.v1.Weaviate`.
    pub grpc_methods: Vec<String>,
}

/// Reads the OpenAPI document and the service proto from `dir`.
pub fn read(dir: &Path) -> Result<Published, Error> {
    let doc_path = dir.join(OPENAPI_PATH);
    let text = std::fs::read_to_string(&doc_path).map_err(|e| Error::Invalid(format!("reading {}: {e}", doc_path.display())))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| Error::Invalid(format!("{}: not JSON: {e}", doc_path.display())))?;
    let proto_path = dir.join(SERVICE_PROTO_PATH);
    let proto = std::fs::read_to_string(&proto_path).map_err(|e| Error::Invalid(format!("reading {}: {e}", proto_path.display())))?;
    Ok(Published {
        source: format!("{WEAVIATE_MODULE}@{WEAVIATE_VERSION}: {OPENAPI_PATH}, {SERVICE_PROTO_PATH}"),
        operations: operations(&doc).map_err(|e| Error::Invalid(format!("{}: {e}", doc_path.display())))?,
        grpc_methods: rpc_names(&proto),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_carry_base_path_parameters_and_body_and_refs_are_resolved() {
        let doc = json!({
            "basePath": "/v1",
            "parameters": { "Consistency": { "name": "consistency_level", "in": "query", "required": true } },
            "paths": {
                "/schema/{className}": {
                    "parameters": [ { "name": "className", "in": "path", "required": true } ],
                    "delete": {},
                    "get": { "parameters": [ { "$ref": "#/parameters/Consistency" } ] },
                    "put": { "parameters": [ { "name": "body", "in": "body", "required": true } ] }
                },
                "/meta": { "get": {} }
            }
        });
        let ops = operations(&doc).expect("parses");
        let labels: Vec<String> = ops.iter().map(Operation::label).collect();
        assert_eq!(
            labels,
            [
                "GET /v1/meta",
                "GET /v1/schema/{className}",
                "PUT /v1/schema/{className}",
                "DELETE /v1/schema/{className}"
            ]
        );
        assert_eq!(ops[1].path_params, ["className"]);
        assert_eq!(ops[1].required_query, ["consistency_level"]);
        assert!(!ops[1].takes_body && ops[2].takes_body);
    }

    #[test]
    fn a_placeholder_without_its_parameter_and_a_dangling_ref_are_named() {
        let doc = json!({ "paths": { "/x/{id}": { "get": {} } } });
        assert_eq!(
            operations(&doc).unwrap_err().to_string(),
            "GET /x/{id}: the path names {id} but no path parameter"
        );
        let doc = json!({ "paths": { "/x": { "get": { "parameters": [ { "$ref": "#/parameters/Nope" } ] } } } });
        assert_eq!(
            operations(&doc).unwrap_err().to_string(),
            "parameter reference #/parameters/Nope names nothing"
        );
        assert!(operations(&json!({})).is_err());
    }

    #[test]
    fn rpc_names_are_read_from_service_blocks() {
        let proto = "service W {\n  rpc Search(SearchRequest) returns (SearchReply) {};\n  rpc BatchStream(stream A) returns (stream B) {};\n}\n// rpc is a word\n";
        assert_eq!(rpc_names(proto), ["Search", "BatchStream"]);
    }
}
