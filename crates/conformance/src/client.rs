//! `client` steps: the official Weaviate clients (Python v4, TypeScript v3, Go v5, Java v5) run a
//! list of actions through the drivers in `crates/conformance/drivers` (JSON in on stdin, JSON out).
//!
//! Each action carries what its result must be (`ok`, `error_class`, `status`,
//! `message_contains`, `value`), common to every client or per client, since they name their
//! errors differently (drivers/OBSERVED.md). Consecutive client steps run in one driver process
//! per client, and the clients run at once, so a run of steps costs one interpreter or JVM start
//! per client. The Go and Java drivers are compiled on demand ([`build`]). A missing interpreter,
//! toolchain or client package makes the step a skip with the reason, never a pass; under
//! `CI=true`, where `.ci/run` installs them all, it is a failure. A driver that exits with an
//! error or outlives its deadline fails the step with its stderr.

mod action;
pub mod build;
mod driver;

pub use action::{Action, ActionExpect};
pub use driver::run_driver;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::runner::{Answer, Saved, StepError};
use crate::step::Step;
use crate::target::Running;
use crate::Error;

/// How long one driver run may take (a start, then a few connections and calls each, and the
/// waits of refresh steps).
const DEADLINE: Duration = Duration::from_secs(240);

/// One of the official clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Python `weaviate-client` v4 (`drivers/weaviate_py.py`).
    Python,
    /// TypeScript `weaviate-client` v3 (`drivers/weaviate_ts.mjs`).
    Typescript,
    /// Go `weaviate-go-client` v5 (`drivers/go`, compiled on demand).
    Go,
    /// Java `io.weaviate:client` v5 (`drivers/java`, compiled on demand).
    Java,
}

impl Lang {
    /// Every client, in the order reports list them.
    pub const ALL: [Lang; 4] = [Lang::Python, Lang::Typescript, Lang::Go, Lang::Java];

    /// `python`, `typescript`, `go` or `java`.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Typescript => "typescript",
            Lang::Go => "go",
            Lang::Java => "java",
        }
    }

    /// What `{client}` becomes in a collection name, so that the clients can run at once on one
    /// server: `Py`, `Ts`, `Go`, `Java`.
    pub fn suffix(self) -> &'static str {
        match self {
            Lang::Python => "Py",
            Lang::Typescript => "Ts",
            Lang::Go => "Go",
            Lang::Java => "Java",
        }
    }

    /// The command that runs this client's driver (it reads its input on stdin), after checking
    /// that the client can run here and building its driver when it is compiled; the reason
    /// when it cannot run.
    pub async fn driver(self) -> Result<tokio::process::Command, Error> {
        let dir = build::drivers_dir();
        match self {
            Lang::Python => {
                let probe = tokio::process::Command::new(python())
                    .args(["-c", "import weaviate"])
                    .output()
                    .await;
                match probe {
                    Ok(out) if out.status.success() => {}
                    Ok(_) => {
                        return Err(Error::Unavailable(
                            "Python client: package weaviate missing (run drivers/install.sh)".into(),
                        ))
                    }
                    Err(e) => {
                        return Err(Error::Unavailable(format!(
                            "Python client: interpreter {} not found: {e}",
                            python()
                        )))
                    }
                }
                let mut c = tokio::process::Command::new(python());
                c.arg(dir.join("weaviate_py.py"));
                Ok(c)
            }
            Lang::Typescript => {
                if !dir.join("node_modules/weaviate-client").is_dir() {
                    return Err(Error::Unavailable(
                        "TypeScript client: node_modules missing (run drivers/install.sh)".into(),
                    ));
                }
                match tokio::process::Command::new("node").arg("--version").output().await {
                    Ok(out) if out.status.success() => {}
                    Ok(_) => return Err(Error::Unavailable("TypeScript client: node does not run".into())),
                    Err(e) => return Err(Error::Unavailable(format!("TypeScript client: node not found: {e}"))),
                }
                let mut c = tokio::process::Command::new("node");
                c.arg(dir.join("weaviate_ts.mjs"));
                Ok(c)
            }
            Lang::Go => Ok(tokio::process::Command::new(build::go_driver().await?)),
            Lang::Java => {
                let d = build::java_driver().await?;
                let mut c = tokio::process::Command::new(d.java);
                // The driver makes a few calls: the JVM's quick first tier is all it needs.
                c.args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", &d.classpath, "WeaviateJava"]);
                Ok(c)
            }
        }
    }
}

/// What a client that cannot run here makes of a step: a skip with the reason, or a failure
/// under `CI=true`, where `.ci/run` has installed every client.
pub fn unavailable(why: Error) -> StepError {
    let why = why.to_string();
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        StepError::Fail(format!("{why} (CI=true: every client driver must run)"))
    } else {
        StepError::Skip(why)
    }
}

/// `PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
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

fn prepare<'a>(step: &'a Step, creds: &Saved) -> Result<Prepared<'a>, StepError> {
    let mut langs = step.clients.clone();
    if langs.is_empty() {
        langs = Lang::ALL.to_vec();
    }
    langs.sort_unstable();
    langs.dedup();
    let credential = match (&step.credential, &step.bearer) {
        (Some(c), _) => with_credentials(c, creds)?,
        (None, Some(name)) => {
            let token = creds.named(name)?.expose();
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

/// `credential` with every string `{cred:NAME}` replaced by the stored credential `NAME`, e.g.
/// `refresh_token = "{cred:brief-refresh}"` for a refresh token a `token` step saved.
fn with_credentials(credential: &Value, creds: &Saved) -> Result<Value, StepError> {
    match credential {
        Value::String(s) => match s.strip_prefix("{cred:").and_then(|r| r.strip_suffix('}')) {
            Some(name) => creds
                .get(name)
                .map(|v| Value::from(v.expose()))
                .ok_or_else(|| StepError::Fail(format!("the credential names {s}, but no credential {name:?} was stored"))),
            None => Ok(credential.clone()),
        },
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| Ok((k.clone(), with_credentials(v, creds)?)))
            .collect::<Result<Map<_, _>, StepError>>()
            .map(Value::Object),
        Value::Array(a) => a
            .iter()
            .map(|v| with_credentials(v, creds))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// Plays consecutive `client` steps, each on every client it names (all four by default).
///
/// Each client runs in one driver process for all the steps (a session per step, in order),
/// and the clients run at once, so a run of steps costs one interpreter start per client.
/// Each client writes to its own collections (`{client}`), so the order between them does
/// not matter; within one client it is the steps' order.
///
/// A step's answer status is 200 when every action's result met its expectations, else 500;
/// its body holds each client's results (without warnings, which vary) and every failed
/// expectation, so `expect = { status = 200 }` is how a scenario requires them.
pub async fn steps(weaviate: &Running, steps: &[&Step], creds: &Saved) -> Vec<Result<Answer, StepError>> {
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
            let command = lang.driver().await.map_err(unavailable)?;
            let out = drive(lang, command, json!({ "sessions": inputs }))
                .await
                .map_err(|e| StepError::Fail(e.to_string()))?;
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
async fn drive(lang: Lang, command: tokio::process::Command, input: Value) -> Result<Vec<Vec<Value>>, Error> {
    let doc = run_driver(lang, command, &input, DEADLINE).await?;
    let sessions = doc["sessions"]
        .as_array()
        .ok_or_else(|| Error::Exchange(format!("the {} driver printed no sessions", lang.name())))?;
    Ok(sessions
        .iter()
        .map(|s| s["results"].as_array().cloned().unwrap_or_default())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_stable_and_names_are_kept() {
        assert_eq!(stable(&json!("e54e4646-4fa9-4f16-b414-933551664b64")), json!("<uuid>"));
        assert_eq!(stable(&json!("BooksPy")), json!("BooksPy"));
    }

    #[test]
    fn stored_credentials_fill_the_credential_and_a_missing_one_is_named() {
        let mut creds = Saved::default();
        creds.insert("rt", "refresh-value".into());
        let c = json!({"kind": "bearer", "access_token": "{cred:rt}", "expires_in": 12, "scopes": ["{cred:rt}", "x"]});
        let got = with_credentials(&c, &creds).unwrap_or_else(|_| panic!("filled"));
        assert_eq!(
            got,
            json!({"kind": "bearer", "access_token": "refresh-value", "expires_in": 12, "scopes": ["refresh-value", "x"]})
        );
        match with_credentials(&json!({"refresh_token": "{cred:nope}"}), &creds) {
            Err(StepError::Fail(why)) => assert!(why.contains("\"nope\""), "{why}"),
            other => panic!("expected a failure naming the credential, got {:?}", other.is_ok()),
        }
    }
}
