//! `--compare A B`: plays every scenario on two targets and lists those whose normalized
//! transcripts differ, step by step.
//!
//! Normalization ([`crate::normalize`]) makes both transcripts name the same things the same
//! way, so any difference left is a fidelity gap between the two targets. A scenario skipped on
//! either side is not compared; the skip is shown with its reason, and never counts as equal.

use serde_json::Value;

use crate::report::Outcome;
use crate::runner::{Exchange, ScenarioRun};
use crate::scenario::Scenario;
use crate::target::Target;

/// One step whose answers differ (`None`: the step is missing on that side).
#[derive(Debug, Clone, PartialEq)]
pub struct StepDiff {
    /// The step number.
    pub step: usize,
    /// The request, as the first side recorded it (else the second's).
    pub request: String,
    /// `(status, body)` on the first target.
    pub a: Option<(u16, Value)>,
    /// `(status, body)` on the second target.
    pub b: Option<(u16, Value)>,
}

/// One scenario on both targets.
#[derive(Debug, Clone)]
pub struct Pair {
    /// On the first target.
    pub a: ScenarioRun,
    /// On the second target.
    pub b: ScenarioRun,
    /// The differing steps (empty when a side was skipped).
    pub diffs: Vec<StepDiff>,
}

impl Pair {
    /// True when both sides ran, and their outcomes or transcripts differ.
    pub fn differs(&self) -> bool {
        let not_played = |o: &Outcome| matches!(o, Outcome::Skip(_) | Outcome::NotApplicable(_));
        let skipped = not_played(&self.a.outcome) || not_played(&self.b.outcome);
        !skipped && (!self.diffs.is_empty() || self.a.outcome.label() != self.b.outcome.label())
    }

    /// True when either side failed.
    pub fn failed(&self) -> bool {
        matches!(self.a.outcome, Outcome::Fail(_)) || matches!(self.b.outcome, Outcome::Fail(_))
    }
}

fn answer(e: &Exchange) -> (u16, Value) {
    (e.status, e.body.clone())
}

/// The steps whose status or normalized body differ, in step order.
pub fn diff(a: &[Exchange], b: &[Exchange]) -> Vec<StepDiff> {
    let mut out = Vec::new();
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        let same = match (x, y) {
            (Some(x), Some(y)) => x.request == y.request && x.status == y.status && x.body == y.body,
            _ => false,
        };
        if !same {
            let first = x.or(y);
            out.push(StepDiff {
                step: first.map(|e| e.step).unwrap_or(i + 1),
                request: first.map(|e| e.request.clone()).unwrap_or_default(),
                a: x.map(answer),
                b: y.map(answer),
            });
        }
    }
    out
}

/// The result of a comparison run.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// One pair per scenario, in order.
    pub pairs: Vec<Pair>,
}

impl Comparison {
    /// No scenario differs and none failed (skips are shown but neither pass nor fail).
    pub fn passed(&self) -> bool {
        !self.pairs.iter().any(|p| p.differs() || p.failed())
    }

    /// Every differing, failed or skipped scenario with its steps, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let (mut differ, mut failed, mut skipped) = (0, 0, 0);
        for p in &self.pairs {
            let names = (p.a.target.name(), p.b.target.name());
            let (an, bn) = (names.0.as_ref(), names.1.as_ref());
            for (name, o) in [(an, &p.a.outcome), (bn, &p.b.outcome)] {
                match o {
                    Outcome::Skip(why) => {
                        skipped += 1;
                        out.push_str(&format!("skip    {} @ {name}: {why}\n", p.a.scenario));
                    }
                    Outcome::Fail(why) => {
                        failed += 1;
                        out.push_str(&format!("fail    {} @ {name}: {why}\n", p.a.scenario));
                    }
                    Outcome::NotApplicable(why) => out.push_str(&format!("n/a     {} @ {name}: {why}\n", p.a.scenario)),
                    _ => {}
                }
            }
            if !p.differs() {
                continue;
            }
            differ += 1;
            out.push_str(&format!(
                "differs {}: {an} {} / {bn} {}\n",
                p.a.scenario,
                p.a.outcome.label(),
                p.b.outcome.label()
            ));
            for d in &p.diffs {
                out.push_str(&format!("  step {} {}\n", d.step, d.request));
                for (name, side) in [(an, &d.a), (bn, &d.b)] {
                    match side {
                        Some((status, body)) => out.push_str(&format!("    {name:<16} {status} {body}\n")),
                        None => out.push_str(&format!("    {name:<16} (no such step)\n")),
                    }
                }
            }
        }
        out.push_str(&format!(
            "\n{} scenarios: {} differ, {} runs failed, {} runs skipped\n",
            self.pairs.len(),
            differ,
            failed,
            skipped
        ));
        out
    }
}

/// Plays every scenario on `a` and on `b` at the same time ([`crate::schedule::run_both`]),
/// calling `on_run` after each run.
pub async fn compare(scenarios: &[Scenario], a: &Target, b: &Target, on_run: impl FnMut(&ScenarioRun)) -> Comparison {
    let mut pairs = Vec::new();
    let (runs_a, runs_b) = crate::schedule::run_both(scenarios, a, b, crate::schedule::Servers::Shared, on_run).await;
    for (ra, rb) in runs_a.into_iter().zip(runs_b) {
        let diffs = match (&ra.outcome, &rb.outcome) {
            (Outcome::Skip(_) | Outcome::NotApplicable(_), _) | (_, Outcome::Skip(_) | Outcome::NotApplicable(_)) => Vec::new(),
            _ => diff(&ra.transcript, &rb.transcript),
        };
        pairs.push(Pair { a: ra, b: rb, diffs });
    }
    Comparison { pairs }
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
        assert_eq!(d[0].a, Some((401, json!({"message": "no"}))));
        assert_eq!(d[0].b, Some((403, json!({"message": "no"}))));
        assert_eq!((d[1].step, d[1].b.clone()), (3, None));
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn a_difference_or_a_failure_fails_the_comparison_and_a_skip_is_shown_but_not_compared() {
        let t = vec![ex(1, "GET /", 200, json!({}))];
        let other = vec![ex(1, "GET /", 500, json!({}))];
        let pair = |oa: Outcome, ta: &Vec<Exchange>, ob: Outcome, tb: &Vec<Exchange>| {
            let (a, b) = (
                run_of(Target::Embedded, oa, ta.clone()),
                run_of(Target::WeaviateBinary, ob, tb.clone()),
            );
            let diffs = diff(&a.transcript, &b.transcript);
            Pair { a, b, diffs }
        };
        let equal = Comparison {
            pairs: vec![pair(Outcome::Pass, &t, Outcome::Pass, &t)],
        };
        assert!(equal.passed(), "{}", equal.text());
        let differing = Comparison {
            pairs: vec![pair(Outcome::Pass, &t, Outcome::Pass, &other)],
        };
        assert!(!differing.passed());
        let text = differing.text();
        assert!(text.contains("differs s01-x") && text.contains("step 1 GET /"), "{text}");
        assert!(text.contains("weaviate-binary  500"), "{text}");
        let failing = Comparison {
            pairs: vec![pair(Outcome::Fail("x".into()), &t, Outcome::Pass, &t)],
        };
        assert!(!failing.passed());
        let mut skipped = pair(Outcome::Pass, &t, Outcome::Skip("no binary".into()), &vec![]);
        skipped.diffs.clear();
        let skipped = Comparison { pairs: vec![skipped] };
        assert!(skipped.passed());
        assert!(
            skipped.text().contains("skip    s01-x @ weaviate-binary: no binary"),
            "{}",
            skipped.text()
        );
    }
}
