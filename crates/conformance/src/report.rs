//! `Report`: the rows of a check run (name, outcome, duration) rendered as a table, as JSON or
//! as JUnit XML, and [`Tally`], the counts every summary line ends with.
//!
//! A skip is never a pass: every summary says how many rows were skipped, and a run with
//! `--fail-on-skip` fails on the first one ([`Report::passed_with`]). A scenario that does not
//! apply to the Weaviate version played (`NotApplicable`) is counted apart from all three.

use std::time::Duration;

use serde_json::{json, Value};

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The capability works.
    Pass,
    /// The capability is advertised and does not work; the reason says how.
    Fail(String),
    /// The check could not run; the reason says why. Never counted as a pass.
    Skip(String),
    /// The scenario does not apply to this Weaviate version (its `weaviate_versions`); the
    /// reason names both. Counted apart: neither a pass, a failure nor a skip.
    NotApplicable(String),
}

impl Outcome {
    /// `pass`, `fail`, `skip` or `n/a`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail(_) => "fail",
            Outcome::Skip(_) => "skip",
            Outcome::NotApplicable(_) => "n/a",
        }
    }

    /// The reason of a failure, skip or not-applicable row.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Pass => None,
            Outcome::Fail(r) | Outcome::Skip(r) | Outcome::NotApplicable(r) => Some(r),
        }
    }

    /// The outcome called `label` ([`Outcome::label`]) with `reason`.
    pub fn from_label(label: &str, reason: Option<String>) -> Option<Outcome> {
        let reason = reason.unwrap_or_default();
        match label {
            "pass" => Some(Outcome::Pass),
            "fail" => Some(Outcome::Fail(reason)),
            "skip" => Some(Outcome::Skip(reason)),
            "n/a" => Some(Outcome::NotApplicable(reason)),
            _ => None,
        }
    }
}

/// How many outcomes of each kind: the end of every summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped: could not run here. Never counted as passed.
    pub skipped: usize,
    /// Did not apply (another Weaviate version).
    pub not_applicable: usize,
}

impl Tally {
    /// Counts `outcomes`.
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Tally {
        let mut t = Tally::default();
        for o in outcomes {
            t.add(o);
        }
        t
    }

    /// Counts one more outcome.
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Pass => self.passed += 1,
            Outcome::Fail(_) => self.failed += 1,
            Outcome::Skip(_) => self.skipped += 1,
            Outcome::NotApplicable(_) => self.not_applicable += 1,
        }
    }

    /// `3 passed, 1 failed, 2 skipped, 0 not applicable`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped, {} not applicable",
            self.passed, self.failed, self.skipped, self.not_applicable
        )
    }
}

/// One check: what was exercised, how it went, how long it took.
#[derive(Debug, Clone)]
pub struct Row {
    /// The capability, e.g. `grant_type password` or `id_token_signing_alg ES256`.
    pub check: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// Wall time of the check.
    pub duration: Duration,
}

impl Row {
    /// One line for progress output: `pass  grant_type password (12 ms)`.
    pub fn progress_line(&self) -> String {
        let mut line = format!("{:<4}  {} ({} ms)", self.outcome.label(), self.check, self.duration.as_millis());
        if let Some(r) = self.outcome.reason() {
            line.push_str(": ");
            line.push_str(r);
        }
        line
    }
}

/// All rows of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Rows in the order the checks ran.
    pub rows: Vec<Row>,
}

impl Report {
    /// True when no row failed (skips do not fail a run, and do not count as passes).
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(|r| matches!(r.outcome, Outcome::Fail(_)))
    }

    /// [`Report::passed`], and with `fail_on_skip` no row skipped either.
    pub fn passed_with(&self, fail_on_skip: bool) -> bool {
        self.passed() && !(fail_on_skip && self.tally().skipped > 0)
    }

    /// The counts of the rows' outcomes.
    pub fn tally(&self) -> Tally {
        Tally::of(self.rows.iter().map(|r| &r.outcome))
    }

    /// The row named `check`.
    pub fn row(&self, check: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.check == check)
    }

    /// The failed rows.
    pub fn failures(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| matches!(r.outcome, Outcome::Fail(_)))
    }

    /// A plain-text table: check, result, duration, reason; then a summary line.
    pub fn table(&self) -> String {
        let width = self.rows.iter().map(|r| r.check.len()).max().unwrap_or(5).max(5);
        let mut out = format!("{:<width$}  {:<6}  {:>8}  reason\n", "check", "result", "ms");
        out.push_str(&format!(
            "{}  {}  {}  {}\n",
            "-".repeat(width),
            "-".repeat(6),
            "-".repeat(8),
            "-".repeat(6)
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "{:<width$}  {:<6}  {:>8}  {}\n",
                r.check,
                r.outcome.label(),
                r.duration.as_millis(),
                r.outcome.reason().unwrap_or("")
            ));
        }
        out.push_str(&format!("\n{}\n", self.tally().line()));
        out
    }

    /// The same content as JSON: `{"checks":[{check,result,reason,duration_ms}],"passed":n,...}`.
    pub fn json(&self) -> Value {
        let checks: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "check": r.check,
                    "result": r.outcome.label(),
                    "reason": r.outcome.reason(),
                    "duration_ms": r.duration.as_millis() as u64,
                })
            })
            .collect();
        let t = self.tally();
        json!({
            "checks": checks,
            "passed": t.passed,
            "failed": t.failed,
            "skipped": t.skipped,
            "not_applicable": t.not_applicable,
        })
    }
}

impl Report {
    /// The same content as JUnit XML: one `testsuite` named `suite`, a `testcase` per row;
    /// failures carry their reason, skips and rows that do not apply are `skipped` (JUnit has no
    /// third kind; the message of the latter starts with `not applicable: `).
    pub fn junit(&self, suite: &str) -> String {
        let t = self.tally();
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
            xml(suite),
            self.rows.len(),
            t.failed,
            t.skipped + t.not_applicable
        );
        for r in &self.rows {
            let time = r.duration.as_secs_f64();
            out.push_str(&format!("  <testcase name=\"{}\" time=\"{time:.3}\"", xml(&r.check)));
            match &r.outcome {
                Outcome::Pass => out.push_str("/>\n"),
                // A reason of several lines (a baseline diff) keeps its first line as the message
                // and the whole text as the element's content, where CI viewers show it as is.
                Outcome::Fail(why) => match why.split_once('\n') {
                    None => out.push_str(&format!(">\n    <failure message=\"{}\"/>\n  </testcase>\n", xml(why))),
                    Some((first, _)) => out.push_str(&format!(
                        ">\n    <failure message=\"{}\">{}</failure>\n  </testcase>\n",
                        xml(first),
                        xml(why)
                    )),
                },
                Outcome::Skip(why) => out.push_str(&format!(">\n    <skipped message=\"{}\"/>\n  </testcase>\n", xml(why))),
                Outcome::NotApplicable(why) => out.push_str(&format!(
                    ">\n    <skipped message=\"not applicable: {}\"/>\n  </testcase>\n",
                    xml(why)
                )),
            }
        }
        out.push_str("</testsuite>\n");
        out
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            rows: vec![
                Row {
                    check: "grant_type password".into(),
                    outcome: Outcome::Pass,
                    duration: Duration::from_millis(3),
                },
                Row {
                    check: "id_token_signing_alg ES384".into(),
                    outcome: Outcome::Fail("no token".into()),
                    duration: Duration::from_millis(1),
                },
                Row {
                    check: "grant_type urn:x".into(),
                    outcome: Outcome::Skip("no check".into()),
                    duration: Duration::ZERO,
                },
            ],
        }
    }

    #[test]
    fn p26_a_failed_row_fails_the_report_and_is_named_in_table_and_json() {
        let r = report();
        assert!(!r.passed());
        let table = r.table();
        assert!(table.contains("id_token_signing_alg ES384  fail"), "{table}");
        assert!(table.ends_with("\n1 passed, 1 failed, 1 skipped, 0 not applicable\n"), "{table}");
        let j = r.json();
        assert_eq!(j["failed"], 1);
        assert_eq!(j["checks"][1]["check"], "id_token_signing_alg ES384");
        assert_eq!(j["checks"][1]["result"], "fail");
        assert_eq!(j["checks"][1]["reason"], "no token");
        assert_eq!(j["checks"][0]["reason"], Value::Null);
    }

    #[test]
    fn junit_lists_every_row_with_failures_and_skips_escaped() {
        let x = report().junit("suite");
        assert!(x.contains(r#"tests="3" failures="1" skipped="1""#), "{x}");
        assert!(x.contains(r#"<failure message="no token"/>"#), "{x}");
        assert!(x.contains(r#"<skipped message="no check"/>"#), "{x}");
        assert!(Report::default().junit("a<b").contains("a&lt;b"));
        let mut diff = report();
        diff.rows[1].outcome = Outcome::Fail("changed s01\n  step 2 GET /\n    now  401".into());
        let x = diff.junit("suite");
        assert!(
            x.contains("<failure message=\"changed s01\">changed s01\n  step 2 GET /\n    now  401</failure>"),
            "{x}"
        );
    }

    #[test]
    fn rows_that_do_not_apply_are_counted_apart_and_neither_pass_fail_nor_skip() {
        let mut r = report();
        r.rows.push(Row {
            check: "s14 @ weaviate-binary@v1.29.8".into(),
            outcome: Outcome::NotApplicable("needs Weaviate >=1.30, this is 1.29.8".into()),
            duration: Duration::ZERO,
        });
        r.rows.remove(1);
        assert!(r.passed());
        let table = r.table();
        assert!(table.contains("s14 @ weaviate-binary@v1.29.8  n/a"), "{table}");
        assert!(table.ends_with("\n1 passed, 0 failed, 1 skipped, 1 not applicable\n"), "{table}");
        let j = r.json();
        assert_eq!(
            (j["passed"].clone(), j["skipped"].clone(), j["not_applicable"].clone()),
            (1.into(), 1.into(), 1.into())
        );
        assert!(r
            .junit("s")
            .contains(r#"<skipped message="not applicable: needs Weaviate &gt;=1.30, this is 1.29.8"/>"#));
    }

    #[test]
    fn p26_skips_alone_do_not_fail_a_report_and_do_not_count_as_passes() {
        let mut r = report();
        r.rows.remove(1);
        assert!(r.passed());
        assert_eq!(r.json()["passed"], 1);
        assert_eq!(r.json()["skipped"], 1);
    }

    #[test]
    fn fail_on_skip_makes_a_skip_fail_and_not_applicable_rows_count_apart() {
        let mut r = report();
        r.rows.remove(1);
        assert!(r.passed_with(false));
        assert!(!r.passed_with(true));
        r.rows[1].outcome = Outcome::NotApplicable("needs >=1.30".into());
        assert!(r.passed_with(true), "a row that does not apply is not a skip");
        assert_eq!(
            r.tally(),
            Tally {
                passed: 1,
                failed: 0,
                skipped: 0,
                not_applicable: 1
            }
        );
        assert!(
            r.table().ends_with("1 passed, 0 failed, 0 skipped, 1 not applicable\n"),
            "{}",
            r.table()
        );
        assert_eq!(r.json()["not_applicable"], 1);
        assert!(r.junit("s").contains("not applicable: needs &gt;=1.30"), "{}", r.junit("s"));
    }

    #[test]
    fn outcomes_come_back_from_their_labels() {
        for o in [
            Outcome::Pass,
            Outcome::Fail("f".into()),
            Outcome::Skip("s".into()),
            Outcome::NotApplicable("n".into()),
        ] {
            assert_eq!(Outcome::from_label(o.label(), o.reason().map(str::to_owned)), Some(o.clone()));
        }
        assert_eq!(Outcome::from_label("passed", None), None);
    }
}
