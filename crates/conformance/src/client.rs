//! `client` steps: the official Python (v4) and TypeScript (v3) Weaviate clients run a list of
//! actions through the drivers in `crates/conformance/drivers` (JSON in on stdin, JSON out).
//!
//! Each action carries what its result must be (`ok`, `error_class`, `status`,
//! `message_contains`, `value`), common to both clients or per client, since the two name their
//! errors differently (drivers/OBSERVED.md). Consecutive client steps run in one driver process
//! per client, and the two clients run at once, so a run of steps costs one interpreter start. A missing interpreter or client package makes the step a skip with the
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

/// How long one driver run may take (Python's start, then a few connections and calls each).
const DEADLINE: Duration = Duration::from_secs(180);

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

/// One client step made ready to run: its clients, its credential and the closed port it uses
/// when its gRPC port is to be unreachable.
struct Prepared<'a> {
    step: &'a Step,
    langs: Vec<Lang>,
    credential: Value,
    unreachable: Option<u16>,
}

impl Prepared<'_> {
    /// The driver's input for one connection of this step.
    fn input(&self, weaviate: &Running, lang: Lang) -> Value {
        let grpc = match self.unreachable {
            Some(port) => format!("127.0.0.1:{port}"),
            None => weaviate.grpc_addr(),
        };
        json!({
            "connection": {
                "rest_url": weaviate.rest_url(),
                "grpc": grpc,
                "skip_init_checks": self.step.skip_init_checks,
                "timeouts": {"init": self.step.init_timeout_s.unwrap_or(10), "query": 30, "insert": 60},
            },
            "credential": self.credential,
            "actions": self.step.actions.iter().map(|a| a.driver_json(lang)).collect::<Vec<_>>(),
        })
    }
}

fn prepare<'a>(step: &'a Step, creds: &BTreeMap<String, String>) -> Result<Prepared<'a>, StepError> {
    let mut langs = step.clients.clone();
    if langs.is_empty() {
        langs = vec![Lang::Python, Lang::Typescript];
    }
    langs.sort_unstable();
    langs.dedup();
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
    Ok(Prepared {
        step,
        langs,
        credential,
        unreachable,
    })
}

/// Plays consecutive `client` steps, each on every client it names (both by default).
///
/// Each client runs in one driver process for all the steps (a session per step, in order),
/// and the two clients run at once, so a run of steps costs one interpreter start per client.
/// Each client writes to its own collections (`{client}`), so the order between the two does
/// not matter; within one client it is the steps' order.
///
/// A step's answer status is 200 when every action's result met its expectations, else 500;
/// its body holds each client's results (without warnings, which vary) and every failed
/// expectation, so `expect = { status = 200 }` is how a scenario requires them.
pub async fn steps(weaviate: &Running, steps: &[&Step], creds: &BTreeMap<String, String>) -> Vec<Result<Answer, StepError>> {
    let prepared: Vec<Result<Prepared, StepError>> = steps.iter().map(|s| prepare(s, creds)).collect();
    let mut sessions: BTreeMap<Lang, Vec<usize>> = BTreeMap::new();
    for (i, p) in prepared.iter().enumerate() {
        if let Ok(p) = p {
            for lang in &p.langs {
                sessions.entry(*lang).or_default().push(i);
            }
        }
    }
    let run = |lang: Lang, indices: Vec<usize>| {
        let inputs: Vec<Value> = indices
            .iter()
            .filter_map(|i| prepared[*i].as_ref().ok().map(|p| p.input(weaviate, lang)))
            .collect();
        async move {
            lang.available().await.map_err(StepError::Skip)?;
            let out = drive(lang, json!({ "sessions": inputs })).await.map_err(StepError::Fail)?;
            Ok::<_, StepError>(indices.into_iter().zip(out).collect::<BTreeMap<usize, Vec<Value>>>())
        }
    };
    let outputs: BTreeMap<Lang, Result<BTreeMap<usize, Vec<Value>>, StepError>> =
        futures::future::join_all(sessions.into_iter().map(|(lang, idx)| {
            let run = run(lang, idx);
            async move { (lang, run.await) }
        }))
        .await
        .into_iter()
        .collect();
    prepared
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let p = p?;
            let mut per_lang = Vec::new();
            for lang in &p.langs {
                let results = match outputs.get(lang) {
                    Some(Ok(by_step)) => by_step
                        .get(&i)
                        .cloned()
                        .ok_or_else(|| StepError::Fail(format!("the {} driver gave no session for this step", lang.name())))?,
                    Some(Err(e)) => return Err(e.clone()),
                    None => return Err(StepError::Fail(format!("the {} driver did not run", lang.name()))),
                };
                per_lang.push((*lang, results));
            }
            answer(&p, per_lang)
        })
        .collect()
}

/// Checks one step's results, per client, against its actions' expectations.
fn answer(p: &Prepared, per_lang: Vec<(Lang, Vec<Value>)>) -> Result<Answer, StepError> {
    let step = p.step;
    let mut body = Map::new();
    let mut failed = Vec::new();
    for (lang, mut results) in per_lang {
        if let Some(port) = p.unreachable {
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
            for f in action.expect_for(lang).check(got) {
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
    let names: Vec<&str> = p.langs.iter().map(|l| l.name()).collect();
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

/// Runs one driver on `input` (`{"sessions": [...]}`) and returns each session's `results`.
async fn drive(lang: Lang, input: Value) -> Result<Vec<Vec<Value>>, String> {
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
    let sessions = doc["sessions"]
        .as_array()
        .ok_or_else(|| format!("the {} driver printed no sessions", lang.name()))?;
    Ok(sessions
        .iter()
        .map(|s| s["results"].as_array().cloned().unwrap_or_default())
        .collect())
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
