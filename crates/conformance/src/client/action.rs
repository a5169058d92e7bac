//! One action of a `client` step and what its result must be, common to every client or per
//! client.

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::Lang;
use crate::step::contains;

/// One action of a `client` step: the driver's action (`action` and its arguments) and what its
/// result must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The driver's action: `connect`, `meta`, `own_info`, `insert`, `query`, `wait`, ...
    pub action: String,
    /// `create_collection`, `delete_collection`: the collection (`{client}` becomes the client's
    /// [`Lang::suffix`]).
    #[serde(default)]
    pub name: Option<String>,
    /// `insert`, `query`, `batch_insert`: the collection (`{client}` as for `name`).
    #[serde(default)]
    pub collection: Option<String>,
    /// `insert`: the object's properties.
    #[serde(default)]
    pub properties: Option<Value>,
    /// `batch_insert`: how many objects.
    #[serde(default)]
    pub n: Option<u64>,
    /// `wait`: how long the driver sleeps, in seconds (to let an access token expire: Weaviate
    /// checks `exp` against the real clock).
    #[serde(default)]
    pub seconds: Option<f64>,
    /// What every client's result must be.
    #[serde(default)]
    pub expect: ActionExpect,
    /// What the Python client's result must be, over `expect`.
    #[serde(default)]
    pub python: ActionExpect,
    /// What the TypeScript client's result must be, over `expect`.
    #[serde(default)]
    pub typescript: ActionExpect,
    /// What the Go client's result must be, over `expect`.
    #[serde(default)]
    pub go: ActionExpect,
    /// What the Java client's result must be, over `expect`.
    #[serde(default)]
    pub java: ActionExpect,
}

/// Expectations on one driver result; every field that is set must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionExpect {
    /// The action succeeded.
    #[serde(default)]
    pub ok: Option<bool>,
    /// The client's error class (Python exception, TypeScript error name).
    #[serde(default)]
    pub error_class: Option<String>,
    /// The status the client exposes.
    #[serde(default)]
    pub status: Option<i64>,
    /// A fragment of the error message (after normalization: `{weaviate}`, `{issuer}`...).
    #[serde(default)]
    pub message_contains: Option<String>,
    /// The action's value (objects: a subset).
    #[serde(default)]
    pub value: Option<Value>,
}

impl ActionExpect {
    /// `over`'s fields where set, else this one's.
    fn merged(&self, over: &ActionExpect) -> ActionExpect {
        ActionExpect {
            ok: over.ok.or(self.ok),
            error_class: over.error_class.clone().or_else(|| self.error_class.clone()),
            status: over.status.or(self.status),
            message_contains: over.message_contains.clone().or_else(|| self.message_contains.clone()),
            value: over.value.clone().or_else(|| self.value.clone()),
        }
    }

    /// The failed expectations for one result, one sentence each.
    pub(super) fn check(&self, got: &Value) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(ok) = self.ok {
            if got["ok"] != json!(ok) {
                out.push(format!("ok: expected {ok}, got {}", got["ok"]));
            }
        }
        if let Some(c) = &self.error_class {
            if got["error_class"].as_str() != Some(c.as_str()) {
                out.push(format!("error_class: expected {c:?}, got {}", got["error_class"]));
            }
        }
        if let Some(s) = self.status {
            if got["status"] != json!(s) {
                out.push(format!("status: expected {s}, got {}", got["status"]));
            }
        }
        if let Some(m) = &self.message_contains {
            if !got["message"].as_str().is_some_and(|x| x.contains(m.as_str())) {
                out.push(format!("message: {m:?} not in {}", got["message"]));
            }
        }
        if let Some(v) = &self.value {
            if !contains(&got["value"], v) {
                out.push(format!("value: expected {v}, got {}", got["value"]));
            }
        }
        out
    }
}

impl Action {
    /// The driver's view of the action, without the expectations; `{client}` in a collection
    /// name becomes the client's suffix, so that the clients can run at once on one server.
    pub(super) fn driver_json(&self, lang: Lang) -> Value {
        let suffix = lang.suffix();
        let named = |n: &Option<String>| n.as_ref().map(|n| Value::from(n.replace("{client}", suffix)));
        let mut m = Map::new();
        m.insert("action".into(), json!(self.action));
        let optional = [
            ("name", named(&self.name)),
            ("collection", named(&self.collection)),
            ("properties", self.properties.clone()),
            ("n", self.n.map(Value::from)),
            ("seconds", self.seconds.map(Value::from)),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        }
        Value::Object(m)
    }

    pub(super) fn expect_for(&self, lang: Lang) -> ActionExpect {
        match lang {
            Lang::Python => self.expect.merged(&self.python),
            Lang::Typescript => self.expect.merged(&self.typescript),
            Lang::Go => self.expect.merged(&self.go),
            Lang::Java => self.expect.merged(&self.java),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_client_expectations_override_the_common_ones() {
        let a: Action = toml::from_str(
            r#"
action = "insert"
collection = "C"
expect = { ok = false, status = 403 }
python = { error_class = "InsufficientPermissionsError" }
typescript = { error_class = "WeaviateInsufficientPermissionsError", status = 403 }
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let py = json!({"ok": false, "error_class": "InsufficientPermissionsError", "status": 403});
        assert!(a.expect_for(Lang::Python).check(&py).is_empty());
        assert_eq!(a.expect_for(Lang::Typescript).check(&py).len(), 1);
        assert_eq!(a.driver_json(Lang::Python), json!({"action": "insert", "collection": "C"}));
    }

    #[test]
    fn go_and_java_have_their_own_expectations_suffixes_and_waits() {
        let a: Action = toml::from_str(
            r#"
action = "create_collection"
name = "Books{client}"
expect = { ok = false, status = 403 }
go = { error_class = "*fault.WeaviateClientError" }
java = { error_class = "WeaviateError" }
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let go = json!({"ok": false, "error_class": "*fault.WeaviateClientError", "status": 403});
        assert!(a.expect_for(Lang::Go).check(&go).is_empty());
        assert_eq!(
            a.expect_for(Lang::Java).check(&go),
            vec![r#"error_class: expected "WeaviateError", got "*fault.WeaviateClientError""#]
        );
        assert_eq!(a.driver_json(Lang::Go)["name"], json!("BooksGo"));
        assert_eq!(a.driver_json(Lang::Java)["name"], json!("BooksJava"));
        let wait: Action = toml::from_str("action = \"wait\"\nseconds = 1.5").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(wait.driver_json(Lang::Java), json!({"action": "wait", "seconds": 1.5}));
    }
}
