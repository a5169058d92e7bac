//! `client` steps: the official Python (v4) and TypeScript (v3) Weaviate clients run a list of
//! actions through the drivers in `crates/conformance/drivers` (JSON in on stdin, JSON out).
//!
//! Each action carries what its result must be (`ok`, `error_class`, `status`,
//! `message_contains`, `value`), common to both clients or per client, since the two name their
//! errors differently (drivers/OBSERVED.md). Both clients of a step run at once, so a step costs
//! one client start. A missing interpreter or client package makes the step a skip with the
//! reason, never a pass.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::io::AsyncWriteExt;

use crate::runner::{Answer, StepError};
use crate::step::{contains, Step};
use crate::target::Running;

/// How long one driver run may take (a connect, a few calls, Python's start).
const DEADLINE: Duration = Duration::from_secs(90);

/// One of the official clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Python `weaviate-client` v4 (`drivers/weaviate_py.py`).
    Python,
    /// TypeScript `weaviate-client` v3 (`drivers/weaviate_ts.mjs`).
    Typescript,
}

impl Lang {
    /// `python` or `typescript`.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Typescript => "typescript",
        }
    }

    fn command(self) -> tokio::process::Command {
        let dir = drivers_dir();
        match self {
            Lang::Python => {
                let mut c = tokio::process::Command::new(python());
                c.arg(dir.join("weaviate_py.py"));
                c
            }
            Lang::Typescript => {
                let mut c = tokio::process::Command::new("node");
                c.arg(dir.join("weaviate_ts.mjs"));
                c
            }
        }
    }

    /// Whether this client can run here; the reason when it cannot.
    pub async fn available(self) -> Result<(), String> {
        let probe = match self {
            Lang::Python => {
                tokio::process::Command::new(python())
                    .args(["-c", "import weaviate"])
                    .output()
                    .await
            }
            Lang::Typescript => {
                if !drivers_dir().join("node_modules/weaviate-client").is_dir() {
                    return Err("TypeScript client: node_modules missing (run drivers/install.sh)".into());
                }
                tokio::process::Command::new("node").arg("--version").output().await
            }
        };
        match probe {
            Ok(out) if out.status.success() => Ok(()),
            Ok(_) if self == Lang::Python => Err("Python client: package weaviate missing (run drivers/install.sh)".into()),
            Ok(_) => Err("TypeScript client: node does not run".into()),
            Err(e) => Err(format!("{} client: interpreter not found: {e}", self.name())),
        }
    }
}

/// `PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// `OIDC_HARNESS_DRIVERS`, else the drivers folder of this crate's source.
fn drivers_dir() -> PathBuf {
    std::env::var_os("OIDC_HARNESS_DRIVERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("drivers"))
}

/// One action of a `client` step: the driver's action (`action` and its arguments) and what its
/// result must be.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// The driver's action: `connect`, `meta`, `own_info`, `insert`, `query`, ...
    pub action: String,
    /// `create_collection`, `delete_collection`: the collection (`{client}` becomes `Py`/`Ts`).
    #[serde(default)]
    pub name: Option<String>,
    /// `insert`, `query`, `batch_insert`: the collection (`{client}` becomes `Py`/`Ts`).
    #[serde(default)]
    pub collection: Option<String>,
    /// `insert`: the object's properties.
    #[serde(default)]
    pub properties: Option<Value>,
    /// `batch_insert`: how many objects.
    #[serde(default)]
    pub n: Option<u64>,
    /// What both clients' results must be.
    #[serde(default)]
    pub expect: ActionExpect,
    /// What the Python client's result must be, over `expect`.
    #[serde(default)]
    pub python: ActionExpect,
    /// What the TypeScript client's result must be, over `expect`.
    #[serde(default)]
    pub typescript: ActionExpect,
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
    fn check(&self, got: &Value) -> Vec<String> {
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
    /// name becomes `Py` or `Ts`, so that both clients can run at once on one server.
    fn driver_json(&self, lang: Lang) -> Value {
        let suffix = match lang {
            Lang::Python => "Py",
            Lang::Typescript => "Ts",
        };
        let named = |n: &Option<String>| n.as_ref().map(|n| Value::from(n.replace("{client}", suffix)));
        let mut m = Map::new();
        m.insert("action".into(), json!(self.action));
        let optional = [
            ("name", named(&self.name)),
            ("collection", named(&self.collection)),
            ("properties", self.properties.clone()),
            ("n", self.n.map(Value::from)),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                m.insert(k.into(), v);
            }
        }
        Value::Object(m)
    }

    fn expect_for(&self, lang: Lang) -> ActionExpect {
        match lang {
            Lang::Python => self.expect.merged(&self.python),
            Lang::Typescript => self.expect.merged(&self.typescript),
        }
    }
}

/// Plays a `client` step on every client it names (both by default), at once.
///
/// The answer's status is 200 when every action's result met its expectations, else 500;
/// its body holds each client's results (without warnings, which vary) and every failed
/// expectation, so `expect = { status = 200 }` is how a scenario requires them.
pub async fn step(weaviate: &Running, step: &Step, creds: &BTreeMap<String, String>) -> Result<Answer, StepError> {
    let mut langs = step.clients.clone();
    if langs.is_empty() {
        langs = vec![Lang::Python, Lang::Typescript];
    }
    langs.sort_unstable();
    langs.dedup();
    for lang in &langs {
        lang.available().await.map_err(StepError::Skip)?;
    }
    let credential = match (&step.credential, &step.bearer) {
        (Some(c), _) => c.clone(),
        (None, Some(name)) => {
            let token = creds
                .get(name)
                .ok_or_else(|| StepError::Fail(format!("no credential named {name:?}")))?;
            json!({"kind": "bearer", "access_token": token, "expires_in": 300})
        }
        (None, None) => return Err(StepError::Fail("a client step needs credential or bearer".into())),
    };
    let unreachable = if step.grpc_unreachable {
        Some(closed_port().map_err(|e| StepError::Fail(format!("picking a closed gRPC port: {e}")))?)
    } else {
        None
    };
    let grpc = match unreachable {
        Some(port) => format!("127.0.0.1:{port}"),
        None => weaviate.grpc_addr(),
    };
    let input = |lang: Lang| {
        json!({
            "connection": {
                "rest_url": weaviate.rest_url(),
                "grpc": grpc,
                "skip_init_checks": step.skip_init_checks,
                "timeouts": {"init": step.init_timeout_s.unwrap_or(10), "query": 30, "insert": 60},
            },
            "credential": credential,
            "actions": step.actions.iter().map(|a| a.driver_json(lang)).collect::<Vec<_>>(),
        })
    };
    let outputs = match langs.as_slice() {
        [a, b] => {
            let (x, y) = tokio::join!(drive(*a, input(*a)), drive(*b, input(*b)));
            vec![x, y]
        }
        [a] => vec![drive(*a, input(*a)).await],
        _ => Vec::new(),
    };

    let mut body = Map::new();
    let mut failed = Vec::new();
    for (lang, results) in langs.iter().zip(outputs) {
        let mut results = results.map_err(StepError::Fail)?;
        if let Some(port) = unreachable {
            // The closed port changes from run to run; expectations and transcript name it so.
            let text = Value::Array(results)
                .to_string()
                .replace(&format!("127.0.0.1:{port}"), "{grpc_unreachable}");
            results = serde_json::from_str::<Vec<Value>>(&text).map_err(|e| StepError::Fail(e.to_string()))?;
        }
        if results.len() != step.actions.len() {
            return Err(StepError::Fail(format!(
                "the {} driver gave {} results for {} actions",
                lang.name(),
                results.len(),
                step.actions.len()
            )));
        }
        let mut shown = Vec::new();
        for (action, got) in step.actions.iter().zip(&results) {
            for f in action.expect_for(*lang).check(got) {
                failed.push(format!("{} {}: {f}", lang.name(), action.action));
            }
            shown.push(json!({
                "action": got["action"],
                "ok": got["ok"],
                "error_class": got["error_class"],
                "status": got["status"],
                "message": got["message"],
                "value": stable(&got["value"]),
            }));
        }
        body.insert(lang.name().into(), Value::Array(shown));
    }
    let status = if failed.is_empty() { 200 } else { 500 };
    if !failed.is_empty() {
        body.insert("failed".into(), json!(failed));
    }
    let raw = Value::Object(body).to_string();
    let names: Vec<&str> = langs.iter().map(|l| l.name()).collect();
    let acts: Vec<&str> = step.actions.iter().map(|a| a.action.as_str()).collect();
    let request = format!("client {} [{}]", names.join(","), acts.join(", "));
    Ok(Answer::new(request, status, raw, None))
}

/// The value as the transcript shows it: a generated object id becomes `<uuid>`.
fn stable(v: &Value) -> Value {
    let is_uuid = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    };
    match v.as_str() {
        Some(s) if is_uuid(s) => Value::from("<uuid>"),
        _ => v.clone(),
    }
}

/// A loopback port where nothing listens (bound by the OS, then released).
fn closed_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Runs one driver on `input` and returns its `results`.
async fn drive(lang: Lang, input: Value) -> Result<Vec<Value>, String> {
    let mut child = lang
        .command()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("starting the {} driver: {e}", lang.name()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.to_string().as_bytes())
            .await
            .map_err(|e| format!("writing the {} driver's input: {e}", lang.name()))?;
    }
    let out = tokio::time::timeout(DEADLINE, child.wait_with_output())
        .await
        .map_err(|_| format!("the {} driver did not finish within {DEADLINE:?}", lang.name()))?
        .map_err(|e| format!("waiting for the {} driver: {e}", lang.name()))?;
    if !out.status.success() {
        return Err(format!(
            "the {} driver exited with {}: {}",
            lang.name(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let doc: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("the {} driver printed no JSON document: {e}", lang.name()))?;
    Ok(doc["results"].as_array().cloned().unwrap_or_default())
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
        assert_eq!(stable(&json!("e54e4646-4fa9-4f16-b414-933551664b64")), json!("<uuid>"));
        assert_eq!(stable(&json!("BooksPy")), json!("BooksPy"));
    }
}
