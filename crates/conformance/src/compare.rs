//! `--compare A B`: plays every scenario on two targets and compares the whole normalized
//! transcripts, step by step: the request, the credential, the status (the gRPC code for gRPC
//! steps), the content type and the body (a gRPC refusal's body is its code and message).
//!
//! Normalization ([`crate::normalize`]) makes both transcripts name the same things the same
//! way, so any difference left is a fidelity gap between the two targets, and every one fails
//! the run unless `fixtures/known-differences.toml` lists its step
//! ([`Comparison::apply`]). That file lists how the emulation differs from the real Weaviate,
//! so it applies only when one side is `embedded` and the other is not ([`known_apply`]); two
//! real servers are compared with no exception. An entry whose step no longer differs fails the
//! run too, so the list cannot outlive what it excuses.
//!
//! A scenario skipped on either side is not compared: the skip is shown with its reason,
//! counted, and never counts as equal.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::known_differences::KnownDifferences;
use crate::report::{Outcome, Tally};
use crate::runner::{Exchange, ScenarioRun};
use crate::scenario::Scenario;
use crate::target::Target;

/// One part of a step that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    /// `request`, `bearer`, `status`, `content_type`, `body`, or `body/<JSON pointer>`.
    pub part: String,
    /// On the first side (`None`: absent there).
    pub a: Option<Value>,
    /// On the second side.
    pub b: Option<Value>,
}

/// One step whose answers differ.
#[derive(Debug, Clone, PartialEq)]
pub struct StepDiff {
    /// The step number (0: the startup).
    pub step: usize,
    /// The request, as the first side recorded it (else the second's).
    pub request: String,
    /// The exchange on the first side (`None`: the step is missing there).
    pub a: Option<Exchange>,
    /// The exchange on the second side.
    pub b: Option<Exchange>,
    /// What differs (empty when a side is missing).
    pub deltas: Vec<Delta>,
    /// The known difference that lists this step, when every part that differs is one it
    /// allows.
    pub known: Option<String>,
}

/// The parts of two exchanges of the same step that differ.
pub fn deltas(a: &Exchange, b: &Exchange) -> Vec<Delta> {
    let mut out = Vec::new();
    let mut part = |name: &str, x: Value, y: Value| {
        if x != y {
            out.push(Delta {
                part: name.into(),
                a: Some(x),
                b: Some(y),
            });
        }
    };
    part("request", Value::from(a.request.clone()), Value::from(b.request.clone()));
    part("bearer", Value::from(a.bearer.clone()), Value::from(b.bearer.clone()));
    part("status", Value::from(a.status), Value::from(b.status));
    part(
        "content_type",
        Value::from(a.content_type.clone()),
        Value::from(b.content_type.clone()),
    );
    json_deltas("body", &a.body, &b.body, &mut out);
    out
}

/// The paths where two JSON values differ: objects member by member, arrays of the same length
/// item by item, anything else as a whole.
fn json_deltas(path: &str, a: &Value, b: &Value, out: &mut Vec<Delta>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => json_deltas(&p, v, w, out),
                    (v, w) => out.push(Delta {
                        part: p,
                        a: v.cloned(),
                        b: w.cloned(),
                    }),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                json_deltas(&format!("{path}/{i}"), v, w, out);
            }
        }
        _ if a != b => out.push(Delta {
            part: path.into(),
            a: Some(a.clone()),
            b: Some(b.clone()),
        }),
        _ => {}
    }
}

/// The steps that differ, in step order: steps are matched by number, and a step present on one
/// side only differs.
pub fn diff(a: &[Exchange], b: &[Exchange]) -> Vec<StepDiff> {
    let mut steps: BTreeMap<usize, (Option<&Exchange>, Option<&Exchange>)> = BTreeMap::new();
    for e in a {
        steps.entry(e.step).or_default().0 = Some(e);
    }
    for e in b {
        steps.entry(e.step).or_default().1 = Some(e);
    }
    let mut out = Vec::new();
    for (step, (x, y)) in steps {
        let deltas = match (x, y) {
            (Some(x), Some(y)) => deltas(x, y),
            _ => Vec::new(),
        };
        if x.is_some() && y.is_some() && deltas.is_empty() {
            continue;
        }
        out.push(StepDiff {
            step,
            request: x.or(y).map(|e| e.request.clone()).unwrap_or_default(),
            a: x.cloned(),
            b: y.cloned(),
            deltas,
            known: None,
        });
    }
    out
}

/// One scenario on both targets.
#[derive(Debug, Clone)]
pub struct Pair {
    /// On the first target.
    pub a: ScenarioRun,
    /// On the second target.
    pub b: ScenarioRun,
    /// The differing steps (empty when a side did not play).
    pub diffs: Vec<StepDiff>,
}

impl Pair {
    /// Pairs two runs of one scenario and finds the steps that differ.
    pub fn new(a: ScenarioRun, b: ScenarioRun) -> Pair {
        let played = |r: &ScenarioRun| matches!(r.outcome, Outcome::Pass | Outcome::Fail(_));
        let diffs = if played(&a) && played(&b) {
            diff(&a.transcript, &b.transcript)
        } else {
            Vec::new()
        };
        Pair { a, b, diffs }
    }

    /// True when both sides played (neither skipped nor not applicable).
    pub fn compared(&self) -> bool {
        [&self.a.outcome, &self.b.outcome]
            .iter()
            .all(|o| matches!(o, Outcome::Pass | Outcome::Fail(_)))
    }

    /// The differing steps no known difference covers.
    pub fn unexplained(&self) -> impl Iterator<Item = &StepDiff> {
        self.diffs.iter().filter(|d| d.known.is_none())
    }

    /// True when both sides played and a step differs that no known difference covers.
    pub fn differs(&self) -> bool {
        self.compared() && self.unexplained().next().is_some()
    }

    /// True when either side failed.
    pub fn failed(&self) -> bool {
        matches!(self.a.outcome, Outcome::Fail(_)) || matches!(self.b.outcome, Outcome::Fail(_))
    }
}

/// True when `fixtures/known-differences.toml` applies to a comparison of `a` and `b`: it
/// lists how the emulation differs from the pinned Weaviate, so exactly one side is `embedded`
/// and the other is not another release.
pub fn known_apply(a: &Target, b: &Target) -> bool {
    let other_release = |t: &Target| matches!(t, Target::WeaviateBinaryAt(v) if *v != crate::target::WeaviateVersion::pinned());
    matches!(a, Target::Embedded) != matches!(b, Target::Embedded) && !other_release(a) && !other_release(b)
}

/// The result of a comparison run.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// One pair per scenario, in order.
    pub pairs: Vec<Pair>,
    /// Known differences whose step no longer differs, as messages naming them.
    pub stale: Vec<String>,
}

/// Counts of a comparison.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Scenarios played on both sides.
    pub compared: usize,
    /// ... whose transcripts are identical.
    pub identical: usize,
    /// ... that differ only in steps the known differences list.
    pub known_only: usize,
    /// ... with a difference no entry lists.
    pub differ: usize,
    /// Steps covered by a known difference.
    pub known_steps: usize,
    /// Steps that differ with no entry.
    pub unexplained_steps: usize,
    /// Outcomes of every run, both sides.
    pub runs: Tally,
}

impl Comparison {
    /// Marks each differing step that an entry of `known` covers (its scenario and step, and
    /// every differing part one its `fields` allow), and records as stale every entry whose
    /// scenario was played on both sides without a difference at its step.
    pub fn apply(&mut self, known: &KnownDifferences) {
        for p in &mut self.pairs {
            for d in &mut p.diffs {
                d.known = known
                    .for_step(&p.a.scenario, d.step)
                    .filter(|k| !d.deltas.is_empty() && d.deltas.iter().all(|x| k.allows(&x.part)))
                    .map(|k| k.id.clone());
            }
        }
        for k in known.of(crate::known_differences::Scope::Scenario) {
            let (Some(name), Some(step)) = (&k.scenario, k.step) else {
                continue;
            };
            let Some(p) = self.pairs.iter().find(|p| &p.a.scenario == name) else {
                continue;
            };
            if p.compared() && !p.diffs.iter().any(|d| d.step == step) {
                self.stale.push(format!(
                    "known difference {:?} ({name} step {step}) no longer differs: remove it from {}",
                    k.id, known.source
                ));
            }
        }
    }

    /// No scenario differs beyond the known differences, none failed and no known difference
    /// is stale (skips are shown and counted, and fail only with `--fail-on-skip`).
    pub fn passed(&self) -> bool {
        self.stale.is_empty() && !self.pairs.iter().any(|p| p.differs() || p.failed())
    }

    /// The counts the summary line shows.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for p in &self.pairs {
            c.runs.add(&p.a.outcome);
            c.runs.add(&p.b.outcome);
            if !p.compared() {
                continue;
            }
            c.compared += 1;
            let unexplained = p.unexplained().count();
            c.unexplained_steps += unexplained;
            c.known_steps += p.diffs.len() - unexplained;
            match (p.diffs.is_empty(), unexplained) {
                (true, _) => c.identical += 1,
                (false, 0) => c.known_only += 1,
                _ => c.differ += 1,
            }
        }
        c
    }

    /// Every differing, failed or skipped scenario with its steps, the stale known differences,
    /// then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.pairs {
            let names = (p.a.target.name(), p.b.target.name());
            let (an, bn) = (names.0.as_ref(), names.1.as_ref());
            for (name, o) in [(an, &p.a.outcome), (bn, &p.b.outcome)] {
                match o {
                    Outcome::Pass => {}
                    Outcome::Skip(why) => out.push_str(&format!("skip    {} @ {name}: {why}\n", p.a.scenario)),
                    Outcome::NotApplicable(why) => out.push_str(&format!("n/a     {} @ {name}: {why}\n", p.a.scenario)),
                    Outcome::Fail(why) => out.push_str(&format!("fail    {} @ {name}: {why}\n", p.a.scenario)),
                }
            }
            if !p.compared() {
                continue;
            }
            for d in p.diffs.iter().filter(|d| d.known.is_some()) {
                out.push_str(&format!(
                    "known   {} step {} {}: {}\n",
                    p.a.scenario,
                    d.step,
                    d.request,
                    d.known.as_deref().unwrap_or_default()
                ));
            }
            if !p.differs() {
                continue;
            }
            out.push_str(&format!(
                "differs {}: {an} {} / {bn} {}\n",
                p.a.scenario,
                p.a.outcome.label(),
                p.b.outcome.label()
            ));
            for d in p.unexplained() {
                out.push_str(&render_step(d, an, bn));
            }
        }
        for s in &self.stale {
            out.push_str(&format!("stale   {s}\n"));
        }
        let c = self.counts();
        out.push_str(&format!(
            "\n{} scenarios: {} compared ({} identical, {} differ only as known, {} differ), {} known steps, {} differing steps, {} stale known differences\nruns: {}\n",
            self.pairs.len(),
            c.compared,
            c.identical,
            c.known_only,
            c.differ,
            c.known_steps,
            c.unexplained_steps,
            self.stale.len(),
            c.runs.line()
        ));
        out
    }
}

/// Bodies up to this many characters are shown whole; longer ones as their differing parts.
const SHORT_BODY: usize = 240;

/// How many differing parts of a long body are listed.
const MAX_PARTS: usize = 12;

/// A differing step as text: the request, then each side's answer (status, content type,
/// body), or the differing parts of a long body.
pub fn render_step(d: &StepDiff, a_name: &str, b_name: &str) -> String {
    let mut out = format!("  step {} {}", d.step, d.request);
    if let Some(bearer) = d.a.as_ref().or(d.b.as_ref()).and_then(|e| e.bearer.as_deref()) {
        out.push_str(&format!(" (bearer {bearer})"));
    }
    out.push('\n');
    let width = a_name.len().max(b_name.len()).max(8);
    let long = [&d.a, &d.b]
        .iter()
        .any(|e| e.as_ref().is_some_and(|e| e.body.to_string().len() > SHORT_BODY));
    let body_parts: Vec<&Delta> = d.deltas.iter().filter(|x| x.part.starts_with("body")).collect();
    for (name, side) in [(a_name, &d.a), (b_name, &d.b)] {
        match side {
            None => out.push_str(&format!("    {name:<width$}  (no such step)\n")),
            Some(e) => {
                let ct = e.content_type.as_deref().unwrap_or("-");
                if long && !body_parts.is_empty() {
                    out.push_str(&format!("    {name:<width$}  {} {ct}\n", e.status));
                } else {
                    out.push_str(&format!("    {name:<width$}  {} {ct} {}\n", e.status, e.body));
                }
            }
        }
    }
    if long && d.a.is_some() && d.b.is_some() {
        for x in body_parts.iter().take(MAX_PARTS) {
            let show = |v: &Option<Value>| v.as_ref().map(|v| clip(&v.to_string())).unwrap_or_else(|| "(absent)".into());
            out.push_str(&format!("    {}: {a_name} {} | {b_name} {}\n", x.part, show(&x.a), show(&x.b)));
        }
        if body_parts.len() > MAX_PARTS {
            out.push_str(&format!("    ... and {} more parts of the body\n", body_parts.len() - MAX_PARTS));
        }
    }
    for x in d.deltas.iter().filter(|x| x.part == "request" || x.part == "bearer") {
        out.push_str(&format!("    {}: {a_name} {:?} | {b_name} {:?}\n", x.part, x.a, x.b));
    }
    out
}

/// At most 160 characters of `s`.
fn clip(s: &str) -> String {
    match s.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Plays every scenario on `a` and on `b` at the same time ([`crate::schedule::run_both`]),
/// calling `on_run` after each run.
pub async fn compare(scenarios: &[Scenario], a: &Target, b: &Target, on_run: impl FnMut(&ScenarioRun)) -> Comparison {
    let mut pairs = Vec::new();
    let (runs_a, runs_b) = crate::schedule::run_both(scenarios, a, b, crate::schedule::Servers::Shared, on_run).await;
    for (ra, rb) in runs_a.into_iter().zip(runs_b) {
        pairs.push(Pair::new(ra, rb));
    }
    Comparison { pairs, stale: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn ex(step: usize, request: &str, status: u16, body: Value) -> Exchange {
        Exchange {
            step,
            request: request.into(),
            bearer: None,
            status,
            content_type: Some("application/json".into()),
            body,
        }
    }

    fn run_of(target: Target, outcome: Outcome, transcript: Vec<Exchange>) -> ScenarioRun {
        ScenarioRun {
            scenario: "s01-x".into(),
            target,
            outcome,
            transcript,
            duration: Duration::ZERO,
        }
    }

    fn pair(oa: Outcome, ta: &[Exchange], ob: Outcome, tb: &[Exchange]) -> Pair {
        Pair::new(
            run_of(Target::Embedded, oa, ta.to_vec()),
            run_of(Target::WeaviateBinary, ob, tb.to_vec()),
        )
    }

    const KNOWN: &str = r#"
[[difference]]
id = "meta-differs"
scope = "scenario"
scenario = "s01-x"
step = 1
fields = ["body/v"]
embedded = "1"
weaviate = "2"
reason = "r"
"#;

    #[test]
    fn only_steps_with_another_status_body_or_request_are_listed_and_a_missing_step_differs() {
        let a = vec![
            ex(1, "GET /v1/meta", 200, json!({"v": 1})),
            ex(2, "GET /v1/schema", 401, json!({"message": "no"})),
            ex(3, "GET /v1/x", 200, json!(null)),
        ];
        let b = vec![
            ex(1, "GET /v1/meta", 200, json!({"v": 1})),
            ex(2, "GET /v1/schema", 403, json!({"message": "no"})),
        ];
        let d = diff(&a, &b);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].step, 2);
        assert_eq!(
            d[0].deltas,
            vec![Delta {
                part: "status".into(),
                a: Some(json!(401)),
                b: Some(json!(403))
            }]
        );
        assert_eq!((d[1].step, d[1].b.clone(), d[1].deltas.len()), (3, None, 0));
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn the_content_type_and_each_body_member_are_compared() {
        let a = ex(1, "GET /v1/schema", 200, json!({"class": "C", "cfg": {"ef": -1, "x": [1, 2]}}));
        let mut b = ex(
            1,
            "GET /v1/schema",
            200,
            json!({"class": "C", "cfg": {"ef": 100, "x": [1, 3], "new": true}}),
        );
        b.content_type = Some("text/plain".into());
        let parts: Vec<String> = deltas(&a, &b).into_iter().map(|d| d.part).collect();
        assert_eq!(parts, ["content_type", "body/cfg/ef", "body/cfg/new", "body/cfg/x/1"]);
        let c = ex(1, "GET /v1/schema", 200, json!([1]));
        let parts: Vec<String> = deltas(&a, &c).into_iter().map(|d| d.part).collect();
        assert_eq!(parts, ["body"]);
    }

    #[test]
    fn a_difference_or_a_failure_fails_the_comparison_and_a_skip_is_shown_but_not_compared() {
        let t = vec![ex(1, "GET /", 200, json!({}))];
        let other = vec![ex(1, "GET /", 500, json!({}))];
        let equal = Comparison {
            pairs: vec![pair(Outcome::Pass, &t, Outcome::Pass, &t)],
            ..Default::default()
        };
        assert!(equal.passed(), "{}", equal.text());
        let differing = Comparison {
            pairs: vec![pair(Outcome::Pass, &t, Outcome::Pass, &other)],
            ..Default::default()
        };
        assert!(!differing.passed());
        let text = differing.text();
        assert!(text.contains("differs s01-x") && text.contains("step 1 GET /"), "{text}");
        assert!(text.contains("weaviate-binary  500 application/json {}"), "{text}");
        assert!(text.contains("1 differ)"), "{text}");
        let failing = Comparison {
            pairs: vec![pair(Outcome::Fail("x".into()), &t, Outcome::Pass, &t)],
            ..Default::default()
        };
        assert!(!failing.passed());
        let skipped = Comparison {
            pairs: vec![pair(Outcome::Pass, &t, Outcome::Skip("no binary".into()), &[])],
            ..Default::default()
        };
        assert!(skipped.passed());
        assert!(skipped.pairs[0].diffs.is_empty());
        let text = skipped.text();
        assert!(text.contains("skip    s01-x @ weaviate-binary: no binary"), "{text}");
        assert!(
            text.contains("0 compared") && text.ends_with("runs: 1 passed, 0 failed, 1 skipped, 0 not applicable\n"),
            "{text}"
        );
    }

    #[test]
    fn a_listed_difference_passes_only_within_its_fields_and_a_stale_entry_fails_naming_it() {
        let known = KnownDifferences::parse("known.toml", KNOWN).expect("parses");
        let a = vec![ex(1, "GET /v1/meta", 200, json!({"v": 1, "w": 1}))];
        // Arrange: the listed part differs.
        let listed = vec![ex(1, "GET /v1/meta", 200, json!({"v": 2, "w": 1}))];
        let mut c = Comparison {
            pairs: vec![pair(Outcome::Pass, &a, Outcome::Pass, &listed)],
            ..Default::default()
        };
        c.apply(&known);
        assert!(c.passed(), "{}", c.text());
        assert!(c.text().contains("known   s01-x step 1 GET /v1/meta: meta-differs"), "{}", c.text());
        assert_eq!((c.counts().known_only, c.counts().known_steps), (1, 1));
        // A part the entry does not list differs too: not covered.
        let more = vec![ex(1, "GET /v1/meta", 200, json!({"v": 2, "w": 2}))];
        let mut c = Comparison {
            pairs: vec![pair(Outcome::Pass, &a, Outcome::Pass, &more)],
            ..Default::default()
        };
        c.apply(&known);
        assert!(!c.passed());
        // Nothing differs any more: the entry is stale.
        let mut c = Comparison {
            pairs: vec![pair(Outcome::Pass, &a, Outcome::Pass, &a)],
            ..Default::default()
        };
        c.apply(&known);
        assert!(!c.passed());
        assert!(
            c.text()
                .contains("stale   known difference \"meta-differs\" (s01-x step 1) no longer differs: remove it from known.toml"),
            "{}",
            c.text()
        );
        // A skipped side says nothing about the entry.
        let mut c = Comparison {
            pairs: vec![pair(Outcome::Pass, &a, Outcome::Skip("no binary".into()), &[])],
            ..Default::default()
        };
        c.apply(&known);
        assert!(c.stale.is_empty() && c.passed());
    }

    #[test]
    fn long_bodies_are_shown_as_their_differing_parts() {
        let big = |ef: i64| json!({"class": "C", "pad": "x".repeat(300), "vectorIndexConfig": {"ef": ef}});
        let d = diff(
            &[ex(2, "GET /v1/schema/C", 200, big(-1))],
            &[ex(2, "GET /v1/schema/C", 200, big(100))],
        );
        let text = render_step(&d[0], "embedded", "weaviate-binary");
        assert!(
            text.contains("body/vectorIndexConfig/ef: embedded -1 | weaviate-binary 100"),
            "{text}"
        );
        assert!(!text.contains("xxxx"), "{text}");
    }

    #[test]
    fn known_differences_apply_only_between_the_emulation_and_a_real_weaviate() {
        assert!(known_apply(&Target::Embedded, &Target::WeaviateBinary));
        assert!(known_apply(&Target::Docker, &Target::Embedded));
        assert!(!known_apply(&Target::Embedded, &Target::Embedded));
        assert!(!known_apply(&Target::WeaviateBinary, &Target::Docker));
    }
}
