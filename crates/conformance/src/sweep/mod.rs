//! The parity sweep: every REST operation of Weaviate's published OpenAPI document and every
//! gRPC method the official clients call, under every kind of credential and a few kinds of bad
//! input, in several auth configurations, sent to the emulation and to a real Weaviate, answer
//! against answer.
//!
//! Scenarios check what someone wrote down; the sweep checks everything else. Its requests come
//! from Weaviate's own API description ([`source`]), read at run time from the pinned Go module,
//! so a route the emulation has never heard of is still asked about. [`plan`] makes the requests
//! in a fixed order, [`send`] plays them on each target and normalizes the answers with the
//! suite's [`crate::normalize`], [`known`] holds every remaining difference to a reviewed reason
//! in `fixtures/known-differences.toml`, and [`report`] writes the committed report
//! (`docs/parity-sweep.md` and its JSON).
//!
//! Per configuration, one provider (HTTP, or HTTPS with a generated CA) mints the tokens, and
//! the emulation and the real server start with the same variables and play the same plan at
//! the same time; the comparison is per request, whole answer against whole answer.

pub mod bodies;
pub mod known;
pub mod matrix;
pub mod plan;
pub mod report;
pub mod send;
pub mod source;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::normalize::Normalizer;
use crate::provider::Provider;
use crate::target::{StartError, Target};
use crate::Error;
use known::{Entry, Key, Tally};
use plan::{AuthConfig, Credential, Request, Selection, Step};
use send::{Answer, Player, Secrets};
use source::Published;

/// What to sweep.
#[derive(Debug, Clone)]
pub struct Options {
    /// The real Weaviate the emulation is compared with (`weaviate-binary` or `docker`).
    pub weaviate: Target,
    /// Configuration names to play (all when empty).
    pub configs: Vec<String>,
    /// Operations, methods and credentials to play.
    pub selection: Selection,
    /// The sweep's known differences.
    pub known: Vec<Entry>,
}

impl Options {
    /// The configurations this run plays; an unknown name is an error naming it.
    pub fn chosen_configs(&self) -> Result<Vec<AuthConfig>, Error> {
        let all = plan::configs();
        for name in &self.configs {
            if !all.iter().any(|c| c.name == name) {
                let names: Vec<&str> = all.iter().map(|c| c.name).collect();
                return Err(Error::Invalid(format!("unknown configuration {name:?}: {}", names.join(", "))));
            }
        }
        Ok(all
            .into_iter()
            .filter(|c| self.configs.is_empty() || self.configs.iter().any(|n| n == c.name))
            .collect())
    }

    /// True when nothing is left out.
    pub fn is_everything(&self) -> bool {
        self.configs.is_empty() && self.selection.is_everything()
    }
}

/// One request on both sides.
#[derive(Debug, Clone)]
pub struct Record {
    /// The configuration's name.
    pub config: &'static str,
    /// The request.
    pub request: Request,
    /// The emulation's answer.
    pub embedded: Answer,
    /// The real server's answer.
    pub weaviate: Answer,
    /// The known difference that excuses it (index into [`Sweep::known`]), if it differs.
    pub known: Option<usize>,
}

impl Record {
    /// True when the answers differ in anything (status, content type, body).
    pub fn differs(&self) -> bool {
        self.embedded != self.weaviate
    }

    /// The request as known differences see it.
    pub fn key(&self) -> Key<'_> {
        Key {
            method: self.request.call.method(),
            path: self.request.call.template(),
            config: self.config,
            credential: self.request.credential.name(),
            input: self.request.input.name(),
        }
    }
}

/// One configuration's figures.
#[derive(Debug, Clone)]
pub struct ConfigFigures {
    /// Its name.
    pub name: &'static str,
    /// One line about it.
    pub about: &'static str,
    /// Requests compared.
    pub requests: usize,
    /// Identical answers.
    pub identical: usize,
    /// The emulation's wall time (start, fixture, requests).
    pub embedded_time: Duration,
    /// The real server's wall time (start, fixture, requests).
    pub weaviate_time: Duration,
}

/// The result of a sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Where the operations were read.
    pub source: String,
    /// The real target's name.
    pub target: String,
    /// Methods of `weaviate.v1.Weaviate` the sweep does not call (the clients do not use them).
    pub grpc_not_swept: Vec<String>,
    /// Every request, in plan order per configuration.
    pub records: Vec<Record>,
    /// Per configuration.
    pub configs: Vec<ConfigFigures>,
    /// The known differences used.
    pub known: Vec<Entry>,
    /// How the entries fared.
    pub tally: Tally,
    /// Whether the run covered everything (then an entry that selects nothing is stale).
    pub everything: bool,
    /// Wall time of the whole sweep.
    pub wall: Duration,
}

impl Sweep {
    /// The differences no entry excuses.
    pub fn unknown(&self) -> impl Iterator<Item = &Record> {
        self.records.iter().filter(|r| r.differs() && r.known.is_none())
    }

    /// The stale entries.
    pub fn stale(&self) -> Vec<&Entry> {
        self.tally.stale(self.everything).into_iter().map(|i| &self.known[i]).collect()
    }

    /// No unknown difference and no stale entry.
    pub fn passed(&self) -> bool {
        self.unknown().next().is_none() && self.stale().is_empty()
    }

    /// Requests and identical answers over all configurations.
    pub fn totals(&self) -> (usize, usize) {
        let requests = self.records.len();
        (requests, self.records.iter().filter(|r| !r.differs()).count())
    }

    /// Summed wall time per side: (embedded, weaviate).
    pub fn target_times(&self) -> (Duration, Duration) {
        self.configs.iter().fold((Duration::ZERO, Duration::ZERO), |(a, b), c| {
            (a + c.embedded_time, b + c.weaviate_time)
        })
    }
}

/// Starts the configuration's provider: the built-in users plus `outsider` (on no list, in no
/// group), over HTTPS with a generated CA when the configuration asks for it.
pub async fn start_provider(https: bool) -> Result<Provider, Error> {
    let outsider = mock_idp::UserConfig {
        username: "outsider".into(),
        password: "outsider-pass".into(),
        ..Default::default()
    };
    let mut builder = mock_idp::MockIdp::builder().user(outsider);
    if https {
        builder = builder.tls(mock_idp::tls::TlsOptions::default());
    }
    builder
        .try_start()
        .await
        .map(Provider::Local)
        .map_err(|e| Error::Unavailable(format!("provider: {e}")))
}

/// Mints every token credential and adds the literal ones.
pub async fn secrets(idp: &Provider) -> Result<Secrets, Error> {
    let http = reqwest::Client::new();
    let mut s = Secrets::default();
    s.insert(Credential::AdminKey, "admin-key".into());
    s.insert(Credential::ReadOnlyKey, "viewer-key".into());
    s.insert(Credential::WrongKey, "wrong-key".into());
    // A JWT's shape, but the payload is "not json" in base64url.
    s.insert(Credential::MalformedToken, "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl".into());
    for (kind, body) in [
        (Credential::AdminOidc, json!({ "user": "admin" })),
        (Credential::ReadOnlyOidc, json!({ "user": "viewer" })),
        (Credential::OutsiderOidc, json!({ "user": "outsider" })),
        (Credential::ExpiredOidc, json!({ "user": "admin", "preset": "expired" })),
    ] {
        let minted = idp.mint(&http, &body).await?;
        let token = minted
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| Error::Exchange(format!("mint {body}: no access_token")))?;
        s.insert(kind, token.to_owned());
    }
    Ok(s)
}

/// The configuration's variables with `{issuer}` and `{ca}` filled in.
pub fn env_of(config: &AuthConfig, idp: &Provider) -> Result<BTreeMap<String, String>, Error> {
    let ca = match idp {
        Provider::Local(i) => i.ca_pem().map(str::to_owned),
        Provider::Remote(_) => None,
    };
    config
        .env
        .iter()
        .map(|(k, v)| {
            let v = match *v {
                "{issuer}" => idp.issuer_url(),
                "{ca}" => ca
                    .clone()
                    .ok_or_else(|| Error::Invalid("an HTTPS configuration needs the provider's CA".into()))?,
                other => other.to_owned(),
            };
            Ok(((*k).to_owned(), v))
        })
        .collect()
}

/// The normalizer every target of a configuration shares: provider URLs and secrets.
pub fn base_normalizer(idp: &Provider, secrets: &Secrets) -> Normalizer {
    let mut n = Normalizer::default();
    n.add(idp.issuer_url(), "{issuer}");
    n.add(idp.base_url(), "{idp}");
    secrets.redact_in(&mut n);
    n
}

/// Starts `target` with `env` and plays `steps` on it: the answers and the wall time.
pub async fn play_on(
    target: &Target,
    env: &BTreeMap<String, String>,
    idp: &Provider,
    steps: &[Step],
    secrets: &Secrets,
    norm: Normalizer,
    admin: Credential,
) -> Result<(Vec<Answer>, Duration), Error> {
    let started = Instant::now();
    let name = target.name();
    let w = target.start(env, idp).await.map_err(|e| match e {
        StartError::Refused(m) => Error::Refused(format!("{name} refused the configuration: {m}")),
        StartError::Unavailable(why) => Error::Unavailable(format!("{name} is unavailable: {why}")),
    })?;
    let mut player = Player::new(&w, secrets, norm, admin)?;
    let answers = player.play(steps).await.map_err(|e| e.context(&name))?;
    drop(w);
    Ok((answers, started.elapsed()))
}

/// Plays one configuration on both sides.
async fn sweep_config(config: &AuthConfig, published: &Published, opts: &Options) -> Result<(Vec<Record>, ConfigFigures), Error> {
    let idp = start_provider(config.https).await?;
    let secrets = secrets(&idp).await?;
    let env = env_of(config, &idp)?;
    let steps = plan::plan(config, &published.operations, &opts.selection);
    let norm = base_normalizer(&idp, &secrets);
    let (a, b) = tokio::join!(
        play_on(&Target::Embedded, &env, &idp, &steps, &secrets, norm.clone(), config.admin),
        play_on(&opts.weaviate, &env, &idp, &steps, &secrets, norm, config.admin),
    );
    let ((ea, et), (wa, wt)) = (a?, b?);
    let requests = steps.iter().filter_map(|s| match s {
        Step::Send(r) => Some(r.clone()),
        Step::Restore => None,
    });
    let records: Vec<Record> = requests
        .zip(ea.into_iter().zip(wa))
        .map(|(request, (embedded, weaviate))| Record {
            config: config.name,
            request,
            embedded,
            weaviate,
            known: None,
        })
        .collect();
    let figures = ConfigFigures {
        name: config.name,
        about: config.about,
        requests: records.len(),
        identical: records.iter().filter(|r| !r.differs()).count(),
        embedded_time: et,
        weaviate_time: wt,
    };
    Ok((records, figures))
}

/// Runs the sweep; `progress` gets one line per configuration.
pub async fn run(published: &Published, opts: &Options, mut progress: impl FnMut(&str)) -> Result<Sweep, Error> {
    let started = Instant::now();
    let mut records = Vec::new();
    let mut configs = Vec::new();
    for config in opts.chosen_configs()? {
        let (r, f) = sweep_config(&config, published, opts)
            .await
            .map_err(|e| Error::Exchange(format!("configuration {}: {e}", config.name)))?;
        progress(&format!(
            "sweep {:<14} {:>5} requests, {:>5} identical, {:>5} differ (embedded {:.1} s, {} {:.1} s)",
            f.name,
            f.requests,
            f.identical,
            f.requests - f.identical,
            f.embedded_time.as_secs_f64(),
            opts.weaviate.name(),
            f.weaviate_time.as_secs_f64()
        ));
        records.extend(r);
        configs.push(f);
    }
    let mut tally = Tally::new(opts.known.len());
    for r in &mut records {
        let (e, w) = (r.embedded.summary(), r.weaviate.summary());
        let differs = r.differs();
        r.known = known::classify(&opts.known, &mut tally, &r.key(), (&e, &w), differs);
    }
    let swept: Vec<&str> = plan::GrpcMethod::ALL.iter().map(|m| m.name()).collect();
    Ok(Sweep {
        source: published.source.clone(),
        target: opts.weaviate.name().into_owned(),
        grpc_not_swept: published
            .grpc_methods
            .iter()
            .filter(|m| !swept.contains(&m.as_str()))
            .cloned()
            .collect(),
        records,
        configs,
        known: opts.known.clone(),
        tally,
        everything: opts.is_everything(),
        wall: started.elapsed(),
    })
}
