//! Baselines: `--record FILE` keeps the normalized transcript of every scenario played on a
//! target in one JSON document, and `--check FILE` plays the scenarios again and lists every
//! step that answers otherwise. A team records its own Weaviate once and checks it after each
//! upgrade or configuration change.
//!
//! The document is stable and diff-friendly: a header (`format`, `format_version`,
//! `tool_version`, `target`, `weaviate_version`), then the scenarios sorted by name, each with
//! its outcome and its steps; object keys are sorted and the text is indented, one value per
//! line, so two recordings differ only where the answers do.
//!
//! Versions: a document of a newer format than this tool reads is refused, naming the tool
//! version that wrote it; one of the same format from another tool version is read, and the
//! check says which version wrote it (its normalization may have been another). Format 1 is
//! the first, so no older one exists yet.
//!
//! Across targets: a baseline recorded on `embedded` and checked on a real Weaviate (or the
//! reverse) differs where the emulation does, so the scenario entries of
//! `fixtures/known-differences.toml` excuse those steps, exactly as in `--compare`. An entry
//! that excuses nothing is shown but does not fail a check (the compare gate is where stale
//! entries fail). Between two real servers, or two embedded runs, no entry applies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::{diff, render_step, StepDiff};
use crate::files::BadFile;
use crate::known_differences::KnownDifferences;
use crate::report::{Outcome, Report, Row};
use crate::runner::{Exchange, ScenarioRun};

/// The value of `format` in every baseline.
pub const FORMAT: &str = "oidc-harness baseline";

/// The newest format this tool writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// This tool's version, written into every baseline.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A baseline document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this tool.
    pub format_version: u64,
    /// The `oidc-harness` version that wrote it.
    pub tool_version: String,
    /// The target played: `embedded`, `weaviate-binary`, `docker`, `external`.
    pub target: String,
    /// What `GET /v1/meta` answered as `version` in the first step that read it; `null` when no
    /// step did.
    pub weaviate_version: Option<String>,
    /// Every scenario played, by name.
    pub scenarios: BTreeMap<String, Recorded>,
}

/// One scenario in a baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recorded {
    /// The scenario's title (for the reader; not compared).
    pub title: String,
    /// `pass`, `fail`, `skip` or `n/a`.
    pub outcome: String,
    /// Why it failed, was skipped or did not apply (not compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The normalized transcript.
    pub steps: Vec<Exchange>,
}

impl Baseline {
    /// The baseline of `runs`, played on the target called `target`; `titles` maps scenario
    /// names to titles.
    pub fn record(target: &str, runs: &[ScenarioRun], titles: &BTreeMap<String, String>) -> Baseline {
        let weaviate_version = runs.iter().flat_map(|r| &r.transcript).find_map(|e| {
            (e.request == "GET /v1/meta" && e.status == 200)
                .then(|| e.body.get("version").and_then(Value::as_str).map(str::to_owned))
                .flatten()
        });
        let scenarios = runs
            .iter()
            .map(|r| {
                (
                    r.scenario.clone(),
                    Recorded {
                        title: titles.get(&r.scenario).cloned().unwrap_or_default(),
                        outcome: r.outcome.label().to_owned(),
                        reason: r.outcome.reason().map(str::to_owned),
                        steps: r.transcript.clone(),
                    },
                )
            })
            .collect();
        Baseline {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            tool_version: TOOL_VERSION.to_owned(),
            target: target.to_owned(),
            weaviate_version,
            scenarios,
        }
    }

    /// The document's text: indented JSON, keys sorted, ending in a newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads the baseline file `path`.
    pub fn read(path: &std::path::Path) -> Result<Baseline, BadFile> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| BadFile::new(&name, format!("cannot be read: {e}")))?;
        Baseline::parse(&name, &text)
    }

    /// Parses the text of the baseline file called `file`.
    pub fn parse(file: &str, text: &str) -> Result<Baseline, BadFile> {
        let bad = |problem: String| BadFile::new(file, problem);
        let v: Value = serde_json::from_str(text).map_err(|e| {
            if e.is_eof() {
                bad(format!(
                    "the JSON ends early, at line {} column {}: the file is truncated",
                    e.line(),
                    e.column()
                ))
            } else {
                bad(format!("not valid JSON: {e}"))
            }
        })?;
        let not_ours = "not a baseline of oidc-harness (`oidc-harness conformance --record FILE` writes one)";
        let Some(obj) = v.as_object() else {
            return Err(bad(format!("{not_ours}: the document is not a JSON object")));
        };
        if obj.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(bad(format!("{not_ours}: it has no \"format\": {FORMAT:?}")));
        }
        let writer = obj
            .get("tool_version")
            .and_then(Value::as_str)
            .map(|v| format!("oidc-harness {v}"))
            .unwrap_or_else(|| "an oidc-harness that did not say its version".to_owned());
        let version = obj.get("format_version").and_then(Value::as_u64).ok_or_else(|| {
            bad(format!(
                "written by {writer}, but its \"format_version\" is missing or not a whole number"
            ))
        })?;
        if version > FORMAT_VERSION {
            return Err(bad(format!(
                "written by {writer} in baseline format {version}; this oidc-harness {TOOL_VERSION} reads format {FORMAT_VERSION}: use a newer oidc-harness, or record the baseline again"
            )));
        }
        if version < 1 {
            return Err(bad(format!(
                "written by {writer} in baseline format {version}, which no version reads"
            )));
        }
        serde_json::from_value(v).map_err(|e| bad(format!("written by {writer} in format {version}, but {e}")))
    }

    /// Checks `runs` (played now on `target`) against this baseline. `known` excuses the steps
    /// it lists when one of the baseline's target and `target` is `embedded` and the other is
    /// not.
    pub fn check(&self, target: &str, runs: &[ScenarioRun], known: Option<&KnownDifferences>) -> Check {
        let across = (self.target == "embedded") != (target == "embedded");
        let known = known.filter(|_| across);
        let mut scenarios = Vec::new();
        let mut used = Vec::new();
        for r in runs {
            let played_now = matches!(r.outcome, Outcome::Pass | Outcome::Fail(_));
            let status = match self.scenarios.get(&r.scenario) {
                _ if !played_now => Status::NotPlayed,
                None => Status::New,
                Some(b) if !matches!(b.outcome.as_str(), "pass" | "fail") => Status::New,
                Some(b) => {
                    let mut diffs = diff(&b.steps, &r.transcript);
                    if let Some(k) = known {
                        for d in &mut diffs {
                            d.known = k
                                .for_step(&r.scenario, d.step)
                                .filter(|e| !d.deltas.is_empty() && d.deltas.iter().all(|x| e.allows(&x.part)))
                                .map(|e| e.id.clone());
                            used.extend(d.known.clone());
                        }
                    }
                    let outcome_changed = b.outcome != r.outcome.label();
                    if outcome_changed || diffs.iter().any(|d| d.known.is_none()) {
                        Status::Changed {
                            outcome: (b.outcome.clone(), r.outcome.label().to_owned()),
                            diffs,
                        }
                    } else {
                        Status::Same { known: diffs }
                    }
                }
            };
            scenarios.push(Checked {
                scenario: r.scenario.clone(),
                now: r.outcome.clone(),
                status,
            });
        }
        let gone = self
            .scenarios
            .keys()
            .filter(|name| !runs.iter().any(|r| &r.scenario == *name))
            .cloned()
            .collect();
        let unused = known
            .map(|k| {
                k.of(crate::known_differences::Scope::Scenario)
                    .filter(|e| !used.contains(&e.id))
                    .filter(|e| {
                        scenarios.iter().any(|c| {
                            Some(&c.scenario) == e.scenario.as_ref() && matches!(c.status, Status::Same { .. } | Status::Changed { .. })
                        })
                    })
                    .map(|e| e.id.clone())
                    .collect()
            })
            .unwrap_or_default();
        Check {
            baseline_target: self.target.clone(),
            baseline_tool: self.tool_version.clone(),
            target: target.to_owned(),
            scenarios,
            gone,
            unused,
        }
    }
}

/// How one scenario compares with the baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The same outcome and transcript (`known`: steps that differ only as listed).
    Same {
        /// Steps a known difference excuses.
        known: Vec<StepDiff>,
    },
    /// Another outcome or a step that differs.
    Changed {
        /// `(baseline, now)` outcome labels.
        outcome: (String, String),
        /// The differing steps (baseline first).
        diffs: Vec<StepDiff>,
    },
    /// Played now, but not in the baseline or not played when it was recorded.
    New,
    /// Skipped or not applicable now (whatever the baseline says).
    NotPlayed,
}

/// One scenario of a check.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Its name.
    pub scenario: String,
    /// How it went now.
    pub now: Outcome,
    /// Against the baseline.
    pub status: Status,
}

/// The result of `--check`.
#[derive(Debug, Clone)]
pub struct Check {
    /// The target the baseline was recorded on.
    pub baseline_target: String,
    /// The tool version that wrote it.
    pub baseline_tool: String,
    /// The target played now.
    pub target: String,
    /// Every scenario played now, in order.
    pub scenarios: Vec<Checked>,
    /// Scenarios of the baseline that were not played now.
    pub gone: Vec<String>,
    /// Known differences of played scenarios that excused nothing.
    pub unused: Vec<String>,
}

/// Counts of a check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckCounts {
    /// Same outcome and transcript.
    pub same: usize,
    /// ... of which differing only in known steps.
    pub same_but_known: usize,
    /// Changed.
    pub changed: usize,
    /// Not in the baseline.
    pub new: usize,
    /// In the baseline, not played now.
    pub gone: usize,
    /// Skipped now.
    pub skipped: usize,
    /// Not applicable now.
    pub not_applicable: usize,
}

impl Check {
    /// The counts.
    pub fn counts(&self) -> CheckCounts {
        let mut c = CheckCounts {
            gone: self.gone.len(),
            ..Default::default()
        };
        for s in &self.scenarios {
            match &s.status {
                Status::Same { known } => {
                    c.same += 1;
                    c.same_but_known += usize::from(!known.is_empty());
                }
                Status::Changed { .. } => c.changed += 1,
                Status::New => c.new += 1,
                Status::NotPlayed => {}
            }
            match s.now {
                Outcome::Skip(_) => c.skipped += 1,
                Outcome::NotApplicable(_) => c.not_applicable += 1,
                Outcome::Pass | Outcome::Fail(_) => {}
            }
        }
        c
    }

    /// No scenario changed; with `strict`, none is new or gone either.
    pub fn passed(&self, strict: bool) -> bool {
        let c = self.counts();
        c.changed == 0 && !(strict && (c.new > 0 || c.gone > 0))
    }

    /// One report row per scenario (for the JSON and JUnit reports): same is a pass, changed a
    /// failure with its diff, new a skip (a failure with `strict`), skipped and not applicable
    /// as they were.
    pub fn report(&self, strict: bool) -> Report {
        let mut rows: Vec<Row> = self
            .scenarios
            .iter()
            .map(|s| Row {
                check: format!("{} @ {} (baseline {})", s.scenario, self.target, self.baseline_target),
                outcome: match &s.status {
                    Status::Same { .. } => Outcome::Pass,
                    Status::Changed { outcome, diffs } => Outcome::Fail(self.changed_text(&s.scenario, outcome, diffs)),
                    Status::New if strict => Outcome::Fail("not in the baseline (--strict)".into()),
                    Status::New => Outcome::Skip("not in the baseline: record it again to include it".into()),
                    Status::NotPlayed => s.now.clone(),
                },
                duration: std::time::Duration::ZERO,
            })
            .collect();
        rows.extend(self.gone.iter().map(|g| Row {
            check: format!("{g} @ {} (baseline {})", self.target, self.baseline_target),
            outcome: if strict {
                Outcome::Fail("in the baseline, not played now (--strict)".into())
            } else {
                Outcome::Skip("in the baseline, not played now".into())
            },
            duration: std::time::Duration::ZERO,
        }));
        Report { rows }
    }

    fn changed_text(&self, scenario: &str, outcome: &(String, String), diffs: &[StepDiff]) -> String {
        let mut out = format!("changed {scenario}");
        if outcome.0 != outcome.1 {
            out.push_str(&format!(": outcome {} in the baseline, {} now", outcome.0, outcome.1));
        }
        out.push('\n');
        for d in diffs.iter().filter(|d| d.known.is_none()) {
            out.push_str(&render_step(d, "baseline", "now"));
        }
        out
    }

    /// Every changed, new, gone or skipped scenario with its per-step diff, then the counts.
    pub fn text(&self, strict: bool) -> String {
        let mut out = format!(
            "baseline: recorded on {} by oidc-harness {}; played now on {} by oidc-harness {TOOL_VERSION}\n",
            self.baseline_target, self.baseline_tool, self.target
        );
        if self.baseline_tool != TOOL_VERSION {
            out.push_str("note: another version wrote the baseline; a difference may come from its normalization\n");
        }
        for s in &self.scenarios {
            match &s.status {
                Status::Same { known } => {
                    for d in known {
                        out.push_str(&format!(
                            "known   {} step {} {}: {}\n",
                            s.scenario,
                            d.step,
                            d.request,
                            d.known.as_deref().unwrap_or_default()
                        ));
                    }
                }
                Status::Changed { outcome, diffs } => out.push_str(&self.changed_text(&s.scenario, outcome, diffs)),
                Status::New => out.push_str(&format!(
                    "new     {} (not in the baseline{})\n",
                    s.scenario,
                    if strict { "; --strict makes this a failure" } else { "" }
                )),
                Status::NotPlayed => out.push_str(&format!(
                    "{:<7} {}: {}\n",
                    s.now.label(),
                    s.scenario,
                    s.now.reason().unwrap_or_default()
                )),
            }
        }
        for g in &self.gone {
            out.push_str(&format!("gone    {g} (in the baseline, not played now)\n"));
        }
        for u in &self.unused {
            out.push_str(&format!("unused  known difference {u:?} excused nothing here\n"));
        }
        let c = self.counts();
        out.push_str(&format!(
            "\n{} scenarios: {} same ({} only with known differences), {} changed, {} new, {} gone, {} skipped, {} not applicable\n",
            self.scenarios.len(),
            c.same,
            c.same_but_known,
            c.changed,
            c.new,
            c.gone,
            c.skipped,
            c.not_applicable
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;
    use serde_json::json;
    use std::time::Duration;

    fn ex(step: usize, request: &str, status: u16, body: Value) -> Exchange {
        Exchange {
            step,
            request: request.into(),
            bearer: Some("admin".into()),
            status,
            content_type: Some("application/json".into()),
            body,
        }
    }

    fn run(name: &str, target: Target, outcome: Outcome, transcript: Vec<Exchange>) -> ScenarioRun {
        ScenarioRun {
            scenario: name.into(),
            target,
            outcome,
            transcript,
            duration: Duration::ZERO,
        }
    }

    fn recorded() -> Baseline {
        let runs = [
            run(
                "s02-b",
                Target::Embedded,
                Outcome::Pass,
                vec![ex(1, "GET /v1/meta", 200, json!({"version": "1.38.11"}))],
            ),
            run(
                "s01-a",
                Target::Embedded,
                Outcome::Pass,
                vec![ex(1, "GET /v1/users/own-info", 200, json!({"username": "u"}))],
            ),
        ];
        Baseline::record("embedded", &runs, &BTreeMap::from([("s01-a".into(), "A".into())]))
    }

    #[test]
    fn a_recording_is_sorted_json_with_its_header_and_reads_back() {
        let b = recorded();
        let text = b.to_text();
        assert!(
            text.starts_with("{\n  \"format\": \"oidc-harness baseline\",\n  \"format_version\": 1,\n"),
            "{text}"
        );
        assert!(text.contains("\"weaviate_version\": \"1.38.11\""), "{text}");
        assert!(text.find("s01-a").unwrap_or(usize::MAX) < text.find("s02-b").unwrap_or(0), "{text}");
        assert_eq!(Baseline::parse("b.json", &text).expect("reads"), b);
        assert_eq!(text, Baseline::parse("b.json", &text).expect("reads").to_text(), "stable");
    }

    #[test]
    fn files_that_are_not_baselines_are_refused_naming_the_file_and_the_problem() {
        let good = recorded().to_text();
        let cases = [
            (good[..good.len() / 2].to_owned(), "the file is truncated"),
            (
                good.replacen("\"format_version\": 1,", "\"format_version\": 1", 1),
                "not valid JSON",
            ),
            ("[1, 2]".to_owned(), "not a JSON object"),
            ("{\"name\": \"my-app\", \"version\": \"1.0.0\"}".to_owned(), "no \"format\""),
            (good.replacen("\"format_version\": 1", "\"format_version\": 7", 1), "format 7"),
            (
                good.replacen("\"format_version\": 1", "\"format_version\": \"1\"", 1),
                "\"format_version\"",
            ),
            (good.replacen("\"outcome\"", "\"result\"", 1), "unknown field `result`"),
        ];
        for (text, why) in cases {
            let e = Baseline::parse("base.json", &text).expect_err(why);
            assert_eq!(e.file, "base.json");
            assert!(e.problem.contains(why), "{why}: {e}");
        }
        let newer = good.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
        let e = Baseline::parse("base.json", &newer).expect_err("newer");
        assert!(
            e.problem
                .contains(&format!("written by oidc-harness {TOOL_VERSION} in baseline format 2")),
            "{e}"
        );
    }

    #[test]
    fn the_same_answers_pass_and_a_changed_answer_fails_with_a_per_step_diff() {
        let b = recorded();
        let same = [
            run("s01-a", Target::Embedded, Outcome::Pass, b.scenarios["s01-a"].steps.clone()),
            run("s02-b", Target::Embedded, Outcome::Pass, b.scenarios["s02-b"].steps.clone()),
        ];
        let c = b.check("embedded", &same, None);
        assert!(c.passed(true), "{}", c.text(true));
        assert_eq!(c.counts().same, 2);
        let changed = [
            run(
                "s01-a",
                Target::Embedded,
                Outcome::Fail("step 1".into()),
                vec![ex(1, "GET /v1/users/own-info", 401, json!({"username": "v"}))],
            ),
            run("s02-b", Target::Embedded, Outcome::Pass, b.scenarios["s02-b"].steps.clone()),
        ];
        let c = b.check("embedded", &changed, None);
        assert!(!c.passed(false));
        let text = c.text(false);
        assert!(text.contains("changed s01-a: outcome pass in the baseline, fail now\n"), "{text}");
        assert!(text.contains("  step 1 GET /v1/users/own-info (bearer admin)\n"), "{text}");
        assert!(text.contains("    baseline  200 application/json {\"username\":\"u\"}\n"), "{text}");
        assert!(text.contains("    now       401 application/json {\"username\":\"v\"}\n"), "{text}");
        assert!(
            text.ends_with("2 scenarios: 1 same (0 only with known differences), 1 changed, 0 new, 0 gone, 0 skipped, 0 not applicable\n"),
            "{text}"
        );
        let report = c.report(false);
        assert_eq!(report.tally().failed, 1);
    }

    #[test]
    fn a_new_scenario_is_reported_and_fails_only_when_strict_and_a_skip_is_counted() {
        let b = recorded();
        let runs = [
            run("s01-a", Target::Embedded, Outcome::Skip("no python".into()), vec![]),
            run("s03-c", Target::Embedded, Outcome::Pass, vec![]),
        ];
        let c = b.check("embedded", &runs, None);
        assert!(c.passed(false), "{}", c.text(false));
        assert!(!c.passed(true));
        let text = c.text(true);
        assert!(
            text.contains("new     s03-c (not in the baseline; --strict makes this a failure)"),
            "{text}"
        );
        assert!(text.contains("skip    s01-a: no python"), "{text}");
        assert!(text.contains("gone    s02-b"), "{text}");
        let counts = c.counts();
        assert_eq!((counts.new, counts.gone, counts.skipped), (1, 1, 1));
        assert_eq!(c.report(false).tally().skipped, 3, "new, gone and the skip");
        assert_eq!(c.report(true).tally().failed, 2, "new and gone");
    }

    #[test]
    fn a_scenario_skipped_when_recorded_and_now_is_a_skip_and_played_later_is_new() {
        // As on an external Weaviate, where scenarios of another configuration are skipped.
        let skipped = [run("s01-a", Target::Embedded, Outcome::Skip("env differs".into()), vec![])];
        let b = Baseline::record("external", &skipped, &BTreeMap::new());
        assert_eq!(b.scenarios["s01-a"].reason.as_deref(), Some("env differs"));
        let c = b.check("external", &skipped, None);
        assert!(c.passed(true), "{}", c.text(true));
        assert_eq!((c.counts().new, c.counts().skipped), (0, 1));
        let played = [run("s01-a", Target::Embedded, Outcome::Pass, vec![])];
        assert_eq!(b.check("external", &played, None).counts().new, 1);
    }

    #[test]
    fn known_differences_excuse_their_steps_only_across_the_emulation_and_a_real_weaviate() {
        let known = KnownDifferences::parse(
            "k.toml",
            r#"
[[difference]]
id = "meta"
scope = "scenario"
scenario = "s02-b"
step = 1
embedded = "1.38.11"
weaviate = "1.38.12"
reason = "r"
"#,
        )
        .expect("parses");
        let b = recorded();
        let runs = [
            run("s01-a", Target::WeaviateBinary, Outcome::Pass, b.scenarios["s01-a"].steps.clone()),
            run(
                "s02-b",
                Target::WeaviateBinary,
                Outcome::Pass,
                vec![ex(1, "GET /v1/meta", 200, json!({"version": "1.38.12"}))],
            ),
        ];
        let across = b.check("weaviate-binary", &runs, Some(&known));
        assert!(across.passed(true), "{}", across.text(true));
        assert!(across.text(true).contains("known   s02-b step 1 GET /v1/meta: meta"));
        assert_eq!(across.counts().same_but_known, 1);
        let same_side = b.check("embedded", &runs, Some(&known));
        assert!(!same_side.passed(false), "embedded against embedded: no entry applies");
    }
}
