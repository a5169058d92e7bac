//! Plays a scenario on a target: starts the provider and Weaviate, runs the steps, records a
//! normalized transcript and checks every expectation.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use mock_idp::secret::Secret;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::normalize::Normalizer;
use crate::provider::Provider;
use crate::report::{Outcome, Row};
use crate::scenario::Scenario;
use crate::step::{Grant, Kind, Step};
use crate::target::{Running, StartError, Target};

/// One exchange of the transcript (also what a baseline file holds per step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// The step number, from 1.
    pub step: usize,
    /// `GET /v1/meta`, `token password admin`, `mint expired`, `startup`.
    pub request: String,
    /// The credential sent, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer: Option<String>,
    /// The answer's status (0 for a startup refusal).
    pub status: u16,
    /// The `Content-Type` of a REST answer from Weaviate, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The normalized answer.
    pub body: Value,
}

/// The result of one scenario on one target.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    /// `s01-api-key-bearer`.
    pub scenario: String,
    /// The target.
    pub target: Target,
    /// Pass, fail with every failed expectation, or skip with the reason.
    pub outcome: Outcome,
    /// What was sent and answered, normalized.
    pub transcript: Vec<Exchange>,
    /// Wall time.
    pub duration: Duration,
}

impl ScenarioRun {
    /// A report row: `s01-api-key-bearer @ embedded`.
    pub fn row(&self) -> Row {
        Row {
            check: format!("{} @ {}", self.scenario, self.target.name()),
            outcome: self.outcome.clone(),
            duration: self.duration,
        }
    }

    /// The transcript as JSON (what the snapshots hold).
    pub fn transcript_json(&self) -> Value {
        json!(self.transcript)
    }
}

/// Plays `scenario` on `target`, with a provider and a Weaviate of its own.
pub async fn run(scenario: &Scenario, target: Target) -> ScenarioRun {
    let started = Instant::now();
    if let Some(why) = target.not_applicable(scenario) {
        return ScenarioRun {
            scenario: scenario.name.clone(),
            target,
            outcome: Outcome::NotApplicable(why),
            transcript: Vec::new(),
            duration: started.elapsed(),
        };
    }
    let mut rec = Record::default();
    let result = play(scenario, &target, &mut rec).await;
    rec.finish(scenario, target, result, started)
}

// Scheduling (which scenarios share a server, how many at once) lives in `crate::schedule`.
pub use crate::schedule::{at_once, run_all};

/// What a scenario recorded while it played: its transcript and its failed expectations.
#[derive(Debug, Default)]
pub(crate) struct Record {
    transcript: Vec<Exchange>,
    failures: Vec<String>,
}

impl Record {
    /// The run: `result` is `Err` when the scenario could not be played (a skip).
    pub(crate) fn finish(self, scenario: &Scenario, target: Target, result: Result<(), Skipped>, started: Instant) -> ScenarioRun {
        let outcome = match result {
            Err(Skipped(why)) => Outcome::Skip(why),
            Ok(()) if self.failures.is_empty() => Outcome::Pass,
            Ok(()) => Outcome::Fail(self.failures.join("; ")),
        };
        ScenarioRun {
            scenario: scenario.name.clone(),
            target,
            outcome,
            transcript: self.transcript,
            duration: started.elapsed(),
        }
    }
}

/// Why a scenario could not be played here (a server, a client or a browser it needs is
/// absent): it is reported as skipped with this reason, never as passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped(pub(crate) String);

impl From<String> for Skipped {
    fn from(why: String) -> Skipped {
        Skipped(why)
    }
}

async fn play(s: &Scenario, target: &Target, rec: &mut Record) -> Result<(), Skipped> {
    if let Some(why) = target.cannot_play(s) {
        return Err(Skipped(why));
    }
    let idp = target.provider(s).await.map_err(|e| e.to_string())?;
    let env = s.env_for(&idp.issuer_url());
    match target.start(&env, &idp).await {
        Err(StartError::Unavailable(why)) => Err(Skipped(why)),
        Err(StartError::Refused(msg)) => {
            refused(s, &idp, &msg, rec);
            Ok(())
        }
        Ok(weaviate) => play_on(s, &idp, &weaviate, rec).await,
    }
}

/// Gets the client drivers the scenario's client steps use (compiling the Go and Java ones on
/// first use) before its first step: a first build (Go, Maven) can outlast a short-lived token
/// that an earlier step fetched for a client step. A driver that cannot be had is reported by
/// the client step itself.
async fn prepare_drivers(s: &Scenario) {
    let mut langs: Vec<crate::client::Lang> = s
        .steps
        .iter()
        .filter(|step| step.kind == Kind::Client)
        .flat_map(|step| {
            if step.clients.is_empty() {
                crate::client::Lang::ALL.to_vec()
            } else {
                step.clients.clone()
            }
        })
        .collect();
    langs.sort();
    langs.dedup();
    for lang in langs {
        // An error is the step's to report, with its reason, when it runs.
        let _ = lang.driver().await;
    }
}

/// The normalizer of a scenario on this provider: issuer and provider URLs become names.
fn normalizer(s: &Scenario, idp: &Provider) -> Normalizer {
    let issuer = idp.issuer_url();
    let mut norm = Normalizer::default();
    // Ids and ports the scenario names itself stay in the transcript; other ones are placeholders.
    norm.keep_chosen(&format!("{s:?}"));
    norm.add(issuer.clone(), "{issuer}");
    norm.add(idp.local_issuer_url(), "{issuer}");
    // The A23 preset `issuer-scheme` swaps http for https; its port must not reach a snapshot.
    norm.add(issuer.replacen("http://", "https://", 1), "{issuer_https}");
    norm.add(idp.base_url(), "{idp}");
    norm
}

/// Records a start that Weaviate refused with `msg` and checks it against the scenario.
pub(crate) fn refused(s: &Scenario, idp: &Provider, msg: &str, rec: &mut Record) {
    let norm = normalizer(s, idp);
    rec.transcript.push(Exchange {
        step: 0,
        request: "startup".into(),
        bearer: None,
        status: 0,
        content_type: None,
        body: Value::String(norm.text(msg)),
    });
    // The expected message may name the provider as `{issuer}`, as the transcript does.
    match &s.expect_startup_error {
        Some(m) if m == msg || *m == norm.text(msg) => {}
        Some(m) => rec.failures.push(format!("startup error: expected {m:?}, got {msg:?}")),
        None => rec.failures.push(format!("startup refused: {msg}")),
    }
}

/// Plays the steps of `s` on a running Weaviate started with its environment and `idp`, fresh
/// or used by scenarios before it ([`crate::schedule`]).
pub(crate) async fn play_on(s: &Scenario, idp: &Provider, weaviate: &Running, rec: &mut Record) -> Result<(), Skipped> {
    let Record { transcript, failures } = rec;
    let mut norm = normalizer(s, idp);
    if let Some(m) = &s.expect_startup_error {
        failures.push(format!("started, but the startup error {m:?} was expected"));
        return Ok(());
    }
    let rest = weaviate.rest_url();
    norm.add(rest.clone(), "{weaviate}");
    norm.add(rest.trim_start_matches("http://").to_owned(), "{weaviate_host}");

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| format!("http client: {e}"))?;
    prepare_drivers(s).await;
    let mut creds = Saved::default();
    // Answers of client steps played ahead, as one run of consecutive client steps.
    let mut played_ahead: VecDeque<Result<Answer, StepError>> = VecDeque::new();
    for (i, step) in s.steps.iter().enumerate() {
        let n = i + 1;
        if step.kind == Kind::Client && played_ahead.is_empty() {
            let run: Vec<&Step> = s.steps[i..].iter().take_while(|x| x.kind == Kind::Client).collect();
            played_ahead.extend(crate::client::steps(weaviate, &run, &creds).await);
        }
        let result = match step.kind {
            Kind::Http => http_step(&http, weaviate, step, &creds).await,
            Kind::Grpc => crate::grpc::step(weaviate, step, &creds)
                .await
                .map_err(|e| StepError::Fail(e.to_string())),
            Kind::Token => token_step(&http, idp, step, &creds).await,
            Kind::Idp => idp_step(&http, idp, step).await,
            #[cfg(feature = "browser")]
            Kind::Browser => crate::browser::step(&http, idp, step).await,
            #[cfg(not(feature = "browser"))]
            Kind::Browser => Err(StepError::Skip(
                "this build of conformance has no `browser` feature (fantoccini)".to_owned(),
            )),
            Kind::Client => played_ahead
                .pop_front()
                .unwrap_or_else(|| Err(StepError::Fail("client step not played".into()))),
        };
        let Answer {
            request,
            status,
            raw,
            credential,
            refresh,
            content_type,
        } = match result {
            Ok(x) => x,
            Err(StepError::Fail(e)) => {
                failures.push(format!("step {n}: {e}"));
                return Ok(());
            }
            Err(StepError::Skip(why)) => return Err(Skipped(format!("step {n}: {why}"))),
        };
        for f in step.expect.check(status, &raw, &norm.text(&raw)) {
            failures.push(format!("step {n} ({request}): {f}"));
        }
        for (name, value) in [(&step.name, credential), (&step.save_refresh, refresh)] {
            if let (Some(name), Some(value)) = (name, value) {
                norm.add(value.expose(), format!("<{name}>"));
                creds.insert(name, value);
            }
        }
        transcript.push(Exchange {
            step: n,
            body: norm.answer(&request, &raw),
            request: norm.text(&request),
            bearer: step.bearer.clone(),
            status,
            content_type,
        });
    }
    Ok(())
}

/// What a step gave: the request as the transcript shows it, the answer, and the credentials
/// to store.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    /// `GET /v1/meta`, `token password admin`, `browser code id_token admin`.
    pub request: String,
    /// The answer's status (0 when there is none, as for client steps).
    pub status: u16,
    /// The raw answer the expectations are checked on.
    pub raw: String,
    /// The credential to store under the step's `name`.
    pub credential: Option<Secret>,
    /// The refresh token to store under the step's `save_refresh`.
    pub refresh: Option<Secret>,
    /// The `Content-Type` of a REST answer from Weaviate.
    pub content_type: Option<String>,
}

impl Answer {
    /// An answer without a refresh token.
    pub fn new(request: impl Into<String>, status: u16, raw: String, credential: Option<String>) -> Answer {
        Answer {
            request: request.into(),
            status,
            raw,
            credential: credential.map(Secret::from),
            refresh: None,
            content_type: None,
        }
    }
}

/// The credentials a scenario's steps stored, by the name each step gave (`name`,
/// `save_refresh`), for later steps to send. `Debug` shows the names, never the values.
#[derive(Debug, Default)]
pub struct Saved(BTreeMap<String, Secret>);

impl Saved {
    /// Stores `value` under `name`, replacing an earlier one.
    pub fn insert(&mut self, name: &str, value: Secret) {
        self.0.insert(name.to_owned(), value);
    }

    /// The credential stored under `name`.
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.0.get(name)
    }

    /// The credential stored under `name`.
    pub fn named(&self, name: &str) -> Result<&Secret, NoCredential> {
        self.get(name).ok_or_else(|| NoCredential(name.to_owned()))
    }
}

/// A step sends a credential that no step before it stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCredential(pub String);

impl std::fmt::Display for NoCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no credential named {:?}", self.0)
    }
}

impl From<NoCredential> for StepError {
    fn from(e: NoCredential) -> StepError {
        StepError::Fail(e.to_string())
    }
}

/// Why a step gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    /// The step could not be played: the scenario fails.
    Fail(String),
    /// Something the step needs is absent here (a browser, a client library): the scenario is
    /// skipped with this reason, never passed.
    Skip(String),
}

impl From<String> for StepError {
    fn from(why: String) -> StepError {
        StepError::Fail(why)
    }
}

impl From<&str> for StepError {
    fn from(why: &str) -> StepError {
        StepError::Fail(why.to_owned())
    }
}

type StepResult = Result<Answer, StepError>;

async fn http_step(http: &reqwest::Client, w: &Running, step: &Step, creds: &Saved) -> StepResult {
    let method = step.method.as_deref().unwrap_or("GET");
    let path = step.path.as_deref().unwrap_or("/");
    let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| format!("method {method}: {e}"))?;
    let mut req = http.request(m, format!("{}{path}", w.rest_url()));
    for (k, v) in &step.headers {
        req = req.header(k, v);
    }
    if let Some(name) = &step.bearer {
        let token = creds.named(name)?.expose();
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(b) = &step.body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let raw = resp.text().await.map_err(|e| format!("{method} {path}: body: {e}"))?;
    let saved = match &step.save {
        Some(ptr) => Some(
            serde_json::from_str::<Value>(&raw)
                .ok()
                .and_then(|v| v.pointer(ptr).and_then(Value::as_str).map(str::to_owned))
                .ok_or_else(|| format!("{method} {path}: no string at {ptr} in {raw}"))?,
        ),
        None => None,
    };
    Ok(Answer {
        content_type,
        ..Answer::new(format!("{method} {path}"), status, raw, saved)
    })
}

/// A request to the provider's own endpoints (its test controls), relative to the issuer.
async fn idp_step(http: &reqwest::Client, idp: &Provider, step: &Step) -> StepResult {
    let method = step.method.as_deref().unwrap_or("GET");
    let path = step.path.as_deref().unwrap_or("/");
    let m = reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| format!("method {method}: {e}"))?;
    let mut req = http.request(m, format!("{}{path}", idp.local_issuer_url()));
    for (k, v) in &step.headers {
        req = req.header(k, v);
    }
    if let Some(b) = &step.body {
        req = req.json(b);
    }
    let resp = req.send().await.map_err(|e| format!("provider {method} {path}: {e}"))?;
    let status = resp.status().as_u16();
    let raw = resp.text().await.map_err(|e| format!("provider {method} {path}: body: {e}"))?;
    Ok(Answer::new(format!("idp {method} {path}"), status, raw, None))
}

async fn token_step(http: &reqwest::Client, idp: &Provider, step: &Step, creds: &Saved) -> StepResult {
    let which = step.use_token.as_deref().unwrap_or("access_token");
    if let Some(v) = &step.value {
        return Ok(Answer::new("key", 200, String::new(), Some(v.expose().to_owned())));
    }
    if let Some(body) = &step.mint {
        // `{issuer}` in a mint body (a preset's URL) is the provider's issuer, as in the env.
        let body: Value =
            serde_json::from_str(&body.to_string().replace("{issuer}", &idp.issuer_url())).map_err(|e| format!("mint: {e}"))?;
        let body = &body;
        let label = body.get("preset").and_then(Value::as_str).unwrap_or("token");
        let v = idp.mint(http, body).await.map_err(|e| e.to_string())?;
        let token = v
            .get(which)
            .or_else(|| v.get("id_token"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("mint: no {which} in the answer"))?;
        return Ok(Answer::new(format!("mint {label}"), 200, String::new(), Some(token)));
    }
    let grant = step.grant.ok_or("a token step needs value, grant or mint")?;
    let disc: Value = http
        .get(idp.local_discovery_url())
        .send()
        .await
        .map_err(|e| format!("discovery: {e}"))?
        .json()
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    let endpoint = disc["token_endpoint"].as_str().ok_or("discovery has no token_endpoint")?;
    let mut form: Vec<(&str, String)> = Vec::new();
    let label = match grant {
        Grant::Password => {
            form.push(("grant_type", "password".into()));
            form.push(("username", step.username.clone().unwrap_or_default()));
            form.push((
                "password",
                step.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default(),
            ));
            form.push(("scope", "openid".into()));
            format!("token password {}", step.username.as_deref().unwrap_or(""))
        }
        Grant::ClientCredentials => {
            form.push(("grant_type", "client_credentials".into()));
            format!("token client_credentials {}", step.client_id.as_deref().unwrap_or(""))
        }
        Grant::RefreshToken => {
            let name = step.refresh_token.as_deref().unwrap_or_default();
            let token = creds.named(name)?.expose();
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", token.to_owned()));
            format!("token refresh_token {name}")
        }
    };
    let client_id = step.client_id.clone().unwrap_or_else(|| {
        if grant != Grant::ClientCredentials {
            "weaviate".into()
        } else {
            String::new()
        }
    });
    let mut req = http.post(idp.to_local(endpoint));
    match &step.client_secret {
        Some(secret) => req = req.basic_auth(&client_id, Some(secret.expose())),
        None => form.push(("client_id", client_id)),
    }
    let resp = req.form(&form).send().await.map_err(|e| format!("token endpoint: {e}"))?;
    let status = resp.status().as_u16();
    let raw = resp.text().await.map_err(|e| format!("token endpoint: {e}"))?;
    let answer: Option<Value> = serde_json::from_str(&raw).ok();
    let field = |f: &str| answer.as_ref().and_then(|v| v.get(f)).and_then(Value::as_str).map(str::to_owned);
    let (token, refresh) = (field(which), field("refresh_token"));
    if step.save_refresh.is_some() && status == 200 && refresh.is_none() {
        return Err(StepError::Fail(format!("{label}: the answer has no refresh_token to save")));
    }
    // The raw token response holds other tokens too; keep only its shape in the transcript.
    let shown = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(o)) if status == 200 => {
            let keys: Vec<&String> = o.keys().collect();
            json!({ "fields": keys }).to_string()
        }
        _ => raw,
    };
    Ok(Answer {
        refresh: refresh.map(Secret::from),
        ..Answer::new(label, status, shown, token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_credentials_and_an_answers_tokens_never_print() {
        let mut saved = Saved::default();
        saved.insert("admin", Secret::from("eyJ-admin-token"));
        let answer = Answer {
            refresh: Some("refresh-value".into()),
            ..Answer::new("token password admin", 200, "{}".into(), Some("eyJ-access".into()))
        };
        let shown = format!("{saved:?} {answer:?}");
        for secret in ["eyJ-admin-token", "refresh-value", "eyJ-access"] {
            assert!(!shown.contains(secret), "{secret} printed in {shown}");
        }
        assert!(shown.contains("\"admin\""), "the names still print: {shown}");
        assert_eq!(saved.named("admin").map(Secret::expose), Ok("eyJ-admin-token"));
        assert_eq!(
            saved.named("nope").map_err(|e| e.to_string()),
            Err("no credential named \"nope\"".to_owned())
        );
    }
}
