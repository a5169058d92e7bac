//! Scheduling: which scenarios share one real Weaviate, how many servers run at once, and the
//! two targets of `--compare` played at the same time.
//!
//! A real `weaviate-server` takes 5-10 s to start on 2 cores, and most scenarios' steps take
//! well under a second, so starting one per scenario is most of a run's time. On a target that
//! [shares servers](Target::shares_servers), the scenarios with the same environment and
//! provider setup ([`Scenario::server_key`]) play one after the other on one Weaviate and one
//! provider, unless [`Scenario::sharing`] says a scenario needs its own (it drives the
//! provider's keys, faults or JWKS counters, expects a refused start, changes users or roles,
//! or declares `fresh_server`). Within a server's batch the scenarios that only read play first
//! and those that write data play last; between two scenarios the provider is reset through its
//! controls (`_mock/reset`: keys, clock, faults, journal, issued tokens), and after one that
//! wrote, every class is deleted and the schema must read empty ([`crate::target::reset`]).
//! When that reset fails, the next scenario gets a fresh server. A writer whose environment
//! names no admin the harness can act as plays last on its batch, or alone.
//!
//! The transcripts are the same as on fresh servers: `tests/it/sharing.rs` plays the shared
//! batches both ways and compares them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Instant;

use futures::StreamExt;

use crate::provider::Provider;
use crate::runner::{play_on, refused, run, Record, ScenarioRun, Skipped};
use crate::scenario::{Scenario, Sharing};
use crate::target::reset::{admin_credential, reset_data};
use crate::target::{Running, StartError, Target};
use crate::Error;

/// Whether scenarios may share a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Servers {
    /// Scenarios of one environment share a server where [`Scenario::sharing`] allows it, on a
    /// target that [shares servers](Target::shares_servers).
    #[default]
    Shared,
    /// Every scenario gets its own provider and Weaviate, as [`run`] gives it.
    Fresh,
}

/// How many scenarios (or, on a target that shares servers, how many servers) a target plays at
/// once. Each embedded scenario has its own provider and emulation, and the slow ones (a
/// browser, the client libraries) mostly wait on other processes. A real `weaviate-server`
/// spends most of its 5-10 s start waiting on its own Raft timers (about 0.4 s of CPU) and then
/// idles between requests, so one more than the machine's cores run together. A Docker or an
/// external server is played one scenario at a time (an external one is shared).
pub fn at_once(target: &Target) -> usize {
    match target {
        Target::Embedded => 4,
        Target::WeaviateBinary | Target::WeaviateBinaryAt(_) => std::thread::available_parallelism().map_or(2, |n| n.get()) + 1,
        Target::Docker | Target::External(_) => 1,
    }
}

/// The batches of a run: indices into `scenarios`, each batch played in order on one server;
/// the longest first, so that it does not end the run alone.
pub fn plan(scenarios: &[Scenario], target: &Target, servers: Servers) -> Vec<Vec<usize>> {
    if servers == Servers::Fresh || !target.shares_servers() {
        return (0..scenarios.len()).map(|i| vec![i]).collect();
    }
    // Per server key, in the order keys first appear: readers, then writers.
    let mut groups: Vec<(String, Vec<usize>, Vec<usize>)> = Vec::new();
    let mut alone = Vec::new();
    for (i, s) in scenarios.iter().enumerate() {
        if target.not_applicable(s).is_some() {
            // Played as a run of its own, which starts nothing.
            alone.push(vec![i]);
            continue;
        }
        let key = s.server_key();
        let slot = match groups.iter().position(|(k, _, _)| *k == key) {
            Some(p) => p,
            None => {
                groups.push((key, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        match s.sharing() {
            Sharing::Own(_) => alone.push(vec![i]),
            Sharing::Reads => groups[slot].1.push(i),
            Sharing::WritesData => groups[slot].2.push(i),
        }
    }
    let mut batches = alone;
    for (_, readers, writers) in groups {
        let mut batch = readers;
        let resettable = writers
            .first()
            .is_some_and(|&w| admin_credential(&scenarios[w].weaviate.env).is_some());
        if resettable {
            batch.extend(writers);
        } else {
            // Nothing can undo a write here: one writer may still end the batch.
            let mut writers = writers.into_iter();
            batch.extend(writers.next());
            batches.extend(writers.map(|w| vec![w]));
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
    }
    batches.sort_by_key(|b| std::cmp::Reverse(b.len()));
    batches
}

/// Plays every scenario, calling `on_run` as each ends, and returns the runs in the scenarios'
/// order; scenarios share servers where they may ([`Servers::Shared`]).
pub async fn run_all(scenarios: &[Scenario], target: Target, on_run: impl FnMut(&ScenarioRun)) -> Vec<ScenarioRun> {
    run_all_with(scenarios, target, Servers::Shared, on_run).await
}

/// [`run_all`], with or without shared servers.
pub async fn run_all_with(scenarios: &[Scenario], target: Target, servers: Servers, on_run: impl FnMut(&ScenarioRun)) -> Vec<ScenarioRun> {
    let on_run = RefCell::new(on_run);
    let report = |r: &ScenarioRun| (on_run.borrow_mut())(r);
    let limit = at_once(&target);
    play_batches(scenarios, &target, servers, limit, &report).await
}

/// Plays every scenario on `a` and on `b` at the same time, each target with its own
/// schedule; two real-binary targets share the machine's server slots. Returns both lists of
/// runs in the scenarios' order.
pub async fn run_both(
    scenarios: &[Scenario],
    a: &Target,
    b: &Target,
    servers: Servers,
    on_run: impl FnMut(&ScenarioRun),
) -> (Vec<ScenarioRun>, Vec<ScenarioRun>) {
    let on_run = RefCell::new(on_run);
    let report = |r: &ScenarioRun| (on_run.borrow_mut())(r);
    let (mut la, mut lb) = (at_once(a), at_once(b));
    if a.shares_servers() && b.shares_servers() {
        (la, lb) = (la.div_ceil(2), lb.div_ceil(2));
    }
    futures::join!(
        play_batches(scenarios, a, servers, la, &report),
        play_batches(scenarios, b, servers, lb, &report)
    )
}

async fn play_batches(
    scenarios: &[Scenario],
    target: &Target,
    servers: Servers,
    limit: usize,
    report: &dyn Fn(&ScenarioRun),
) -> Vec<ScenarioRun> {
    let mut runs = Vec::with_capacity(scenarios.len());
    let mut played = futures::stream::iter(plan(scenarios, target, servers))
        .map(|batch| play_batch(scenarios, batch, target, report))
        .buffer_unordered(limit.max(1));
    while let Some(batch) = played.next().await {
        runs.extend(batch);
    }
    runs.sort_by_key(|(i, _)| *i);
    runs.into_iter().map(|(_, r)| r).collect()
}

/// Plays one batch on one provider and one Weaviate (a batch of one: [`run`]).
async fn play_batch(
    scenarios: &[Scenario],
    batch: Vec<usize>,
    target: &Target,
    report: &dyn Fn(&ScenarioRun),
) -> Vec<(usize, ScenarioRun)> {
    let mut out = Vec::with_capacity(batch.len());
    if let [i] = batch[..] {
        let r = run(&scenarios[i], target.clone()).await;
        report(&r);
        out.push((i, r));
        return out;
    }
    let first = &scenarios[batch[0]];
    let started = Instant::now();
    let idp = match target.provider(first).await {
        Ok(p) => p,
        Err(why) => {
            for &i in &batch {
                let r = Record::default().finish(&scenarios[i], target.clone(), Err(Skipped(why.to_string())), started);
                report(&r);
                out.push((i, r));
            }
            return out;
        }
    };
    let mut shared = Shared {
        env: first.env_for(&idp.issuer_url()),
        admin: admin_credential(&first.weaviate.env),
        idp,
        server: None,
        unavailable: None,
        dirty: false,
        http: reqwest::Client::new(),
    };
    for (k, &i) in batch.iter().enumerate() {
        let s = &scenarios[i];
        let started = Instant::now();
        let mut rec = Record::default();
        let result = shared.play(s, target, k > 0, &mut rec).await;
        let r = rec.finish(s, target.clone(), result, started);
        report(&r);
        out.push((i, r));
    }
    out
}

/// A batch's provider and Weaviate, and what the scenarios before left on them.
struct Shared {
    idp: Provider,
    env: BTreeMap<String, String>,
    admin: Option<crate::target::reset::AdminCredential>,
    server: Option<Running>,
    /// Why the server could not start: the rest of the batch is skipped with it.
    unavailable: Option<String>,
    /// The previous scenario wrote data.
    dirty: bool,
    http: reqwest::Client,
}

impl Shared {
    async fn play(&mut self, s: &Scenario, target: &Target, after_another: bool, rec: &mut Record) -> Result<(), Skipped> {
        if let Some(why) = target.cannot_play(s) {
            return Err(Skipped(why));
        }
        if let Some(why) = &self.unavailable {
            return Err(Skipped(why.clone()));
        }
        if after_another {
            self.idp.reset(&self.http, &s.idp).await.map_err(|e| e.to_string())?;
        }
        if std::mem::take(&mut self.dirty) {
            let reset = match (&self.server, &self.admin) {
                (Some(w), Some(admin)) => reset_data(&self.http, w, &self.idp, admin).await,
                (Some(_), None) => Err(Error::Invalid("no admin credential in this environment".into())),
                (None, _) => Ok(()),
            };
            if reset.is_err() {
                // Dropping the server kills it; this scenario gets a fresh one, as it would alone.
                self.server = None;
            }
        }
        self.dirty = s.sharing() == Sharing::WritesData;
        let w = match &self.server {
            Some(w) => w,
            None => match target.start(&self.env, &self.idp).await {
                Err(StartError::Unavailable(why)) => {
                    self.unavailable = Some(why.clone());
                    return Err(Skipped(why));
                }
                Err(StartError::Refused(msg)) => {
                    refused(s, &self.idp, &msg, rec);
                    return Ok(());
                }
                Ok(w) => self.server.insert(w),
            },
        };
        play_on(s, &self.idp, w, rec).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, env: &str, steps: &str) -> Scenario {
        let text = format!("id = \"{name}\"\ntitle = \"t\"\n[weaviate.env]\n{env}\n{steps}");
        Scenario::parse(name, &text).unwrap_or_else(|e| panic!("{e}"))
    }

    const KEYS: &str =
        "AUTHENTICATION_APIKEY_ENABLED = \"true\"\nAUTHENTICATION_APIKEY_ALLOWED_KEYS = \"k\"\nAUTHENTICATION_APIKEY_USERS = \"u\"";
    const ANON: &str = "AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED = \"true\"\nAUTHORIZATION_ADMINLIST_ENABLED = \"true\"";
    const READ: &str = "[[step]]\nkind = \"http\"\npath = \"/v1/schema\"";
    const WRITE: &str = "[[step]]\nkind = \"http\"\nmethod = \"POST\"\npath = \"/v1/schema\"\nbody = { class = \"A\" }";
    const ROTATE: &str = "[[step]]\nkind = \"idp\"\nmethod = \"POST\"\npath = \"/_mock/keys/rotate\"";
    const CLOCK: &str = "[[step]]\nkind = \"idp\"\nmethod = \"POST\"\npath = \"/_mock/clock\"";
    const USERS: &str = "[[step]]\nkind = \"http\"\nmethod = \"POST\"\npath = \"/v1/users/db/x\"";

    #[test]
    fn one_environment_shares_a_server_readers_first_and_the_provider_drivers_play_alone() {
        let s = vec![
            scenario("x1", KEYS, WRITE),
            scenario("x2", KEYS, READ),
            scenario("x3", KEYS, ROTATE),
            scenario("x4", KEYS, CLOCK),
            scenario("x5", KEYS, USERS),
            scenario("x6", KEYS, WRITE),
            scenario("y1", ANON, READ),
        ];
        assert_eq!(
            s[2].sharing(),
            Sharing::Own("step 1 drives the provider (/_mock/keys/rotate), which a used server's JWKS cache would see".into())
        );
        assert_eq!(
            s[4].sharing(),
            Sharing::Own("step 1 changes /v1/users/db/x, which the reset does not undo".into())
        );
        let batches = plan(&s, &Target::WeaviateBinary, Servers::Shared);
        assert_eq!(batches, vec![vec![1, 3, 0, 5], vec![2], vec![4], vec![6]]);
        let fresh = plan(&s, &Target::WeaviateBinary, Servers::Fresh);
        assert_eq!(fresh.len(), s.len());
        assert_eq!(
            plan(&s, &Target::Embedded, Servers::Shared).len(),
            s.len(),
            "the emulation starts in milliseconds"
        );
    }

    #[test]
    fn without_an_admin_to_reset_with_only_one_writer_ends_the_batch() {
        let s = vec![scenario("y1", ANON, WRITE), scenario("y2", ANON, READ), scenario("y3", ANON, WRITE)];
        assert_eq!(plan(&s, &Target::WeaviateBinary, Servers::Shared), vec![vec![1, 0], vec![2]]);
    }

    #[test]
    fn a_declared_fresh_server_and_an_expected_refusal_play_alone() {
        let declared = Scenario::parse(
            "z1",
            &format!("id = \"z1\"\ntitle = \"t\"\nfresh_server = \"counts cache misses\"\n{READ}"),
        )
        .expect("parses");
        assert_eq!(declared.sharing(), Sharing::Own("declared: counts cache misses".into()));
        let refused = Scenario::parse("z2", "id = \"z2\"\ntitle = \"t\"\nexpect_startup_error = \"no\"").expect("parses");
        assert!(matches!(refused.sharing(), Sharing::Own(_)));
    }
}
