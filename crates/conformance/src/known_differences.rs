//! `fixtures/known-differences.toml`: the one reviewed list of the ways the emulation answers
//! unlike the real Weaviate. `--compare` fails on every difference this file does not list, and
//! the README's "Known differences" section is generated from it ([`KnownDifferences::markdown`]).
//!
//! One `[[difference]]` per entry:
//!
//! ```toml
//! [[difference]]
//! id = "oversized-token"           # a slug, unique in the file
//! scope = "scenario"               # "scenario" | "sweep" | "verifier" | "general"
//! scenario = "a32-oversized"       # scope "scenario": the scenario file name without .toml
//! step = 2                         # ... and the step number (0: the startup)
//! fields = ["status", "body"]      # optional: the parts that may differ ("status",
//!                                  # "content_type", "body", or "body/<JSON pointer>")
//! embedded = "401 token too large" # what the emulation answers, short
//! weaviate = "200"                 # what Weaviate v1.38.11 answers, short
//! reason = "..."                   # why the difference stays
//! title = "Oversized tokens"       # optional: the README's heading for the entry
//! ```
//!
//! Only `scenario` entries excuse a difference of `--compare` (and of `--check` across targets);
//! `general` entries describe what no single step shows (what is not emulated at all), and
//! `sweep` and `verifier` entries belong to those checks, which may give them fields of their
//! own. Why one file: a difference is either listed here, with both answers and a reason a
//! reviewer accepted, or it fails a run. Why the checks on load: an entry naming a scenario or
//! step that does not exist would excuse nothing and hide that the scenario moved, so loading
//! fails and names it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::files::BadFile;
use crate::scenario::Scenario;

/// The file as it is compiled into the binary (fixtures/known-differences.toml).
pub const BUILTIN: &str = include_str!("../../../fixtures/known-differences.toml");

/// Where the file lives in the repository.
pub const PATH: &str = "fixtures/known-differences.toml";

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One step of one scenario answers differently.
    Scenario,
    /// A request of the differential sweep answers differently.
    Sweep,
    /// The token verifier decides differently (crypto the verifier cannot check and the like).
    Verifier,
    /// Something no single step shows: a whole area is not emulated, a limit, a storage detail.
    General,
}

impl Scope {
    fn name(self) -> &'static str {
        match self {
            Scope::Scenario => "scenario",
            Scope::Sweep => "sweep",
            Scope::Verifier => "verifier",
            Scope::General => "general",
        }
    }
}

/// One `[[difference]]`.
#[derive(Debug, Clone, Deserialize)]
pub struct Difference {
    /// A slug, unique in the file: `oversized-token`.
    pub id: String,
    /// What the entry is about.
    pub scope: Scope,
    /// Scope `scenario`: the scenario's file name without `.toml`.
    #[serde(default)]
    pub scenario: Option<String>,
    /// Scope `scenario`: the step number (0: the startup).
    #[serde(default)]
    pub step: Option<usize>,
    /// What the emulation answers, short (a sweep entry's list of globs is joined with " or ").
    #[serde(deserialize_with = "one_or_many")]
    pub embedded: String,
    /// What the real Weaviate answers, short (as `embedded`).
    #[serde(deserialize_with = "one_or_many")]
    pub weaviate: String,
    /// Why the difference stays.
    pub reason: String,
    /// Optional heading for the README (general entries).
    #[serde(default)]
    pub title: Option<String>,
    /// The parts of the answer that may differ: `status`, `content_type`, `body`, or
    /// `body/<JSON pointer>` (everything under it). Empty: any part.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Fields of `sweep` and `verifier` entries that those checks define.
    #[serde(flatten)]
    pub extra: BTreeMap<String, toml::Value>,
}

/// A string, or a list of strings (the sweep's alternative globs) joined with " or ".
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => s,
        OneOrMany::Many(v) => v.join(" or "),
    })
}

impl Difference {
    /// True when a difference in `part` (`status`, `body/a/b`, ...) is one this entry allows.
    pub fn allows(&self, part: &str) -> bool {
        self.fields.is_empty()
            || self
                .fields
                .iter()
                .any(|f| part == f || (part.starts_with(f.as_str()) && part[f.len()..].starts_with('/')))
    }

    /// `s13-bad-oidc-tokens step 5` (scenario entries) or the id.
    pub fn place(&self) -> String {
        match (&self.scenario, self.step) {
            (Some(s), Some(n)) => format!("{s} step {n}"),
            _ => self.id.clone(),
        }
    }
}

/// The parsed file.
#[derive(Debug, Clone, Default)]
pub struct KnownDifferences {
    /// Where it was read from (for messages).
    pub source: String,
    entries: Vec<Difference>,
    /// Each entry's whole table, in the same order (for the fields a check defines itself).
    tables: Vec<toml::Table>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default, rename = "difference")]
    differences: Vec<Difference>,
}

/// The fields every entry may have; sweep and verifier entries may add their own.
const FIELDS: [&str; 9] = [
    "id", "scope", "scenario", "step", "embedded", "weaviate", "reason", "title", "fields",
];

impl KnownDifferences {
    /// The file compiled into the binary.
    pub fn builtin() -> Result<KnownDifferences, BadFile> {
        KnownDifferences::parse(PATH, BUILTIN)
    }

    /// Reads `path`.
    pub fn load(path: &std::path::Path) -> Result<KnownDifferences, BadFile> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| BadFile::new(&name, format!("cannot be read: {e}")))?;
        KnownDifferences::parse(&name, &text)
    }

    /// Parses the text of a file called `source`, checking each entry's own fields (not yet
    /// whether its scenario exists: [`KnownDifferences::validate`]).
    pub fn parse(source: &str, text: &str) -> Result<KnownDifferences, BadFile> {
        let file: File = toml::from_str(text).map_err(|e| BadFile::new(source, e.to_string().trim_end().to_owned()))?;
        let tables = toml::from_str::<toml::Table>(text)
            .ok()
            .and_then(|mut t| t.remove("difference"))
            .and_then(|d| match d {
                toml::Value::Array(items) => Some(items),
                _ => None,
            })
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| match item {
                toml::Value::Table(t) => Some(t),
                _ => None,
            })
            .collect::<Vec<_>>();
        if tables.len() != file.differences.len() {
            return Err(BadFile::new(source, "every [[difference]] must be a table"));
        }
        let mut seen = BTreeSet::new();
        for d in &file.differences {
            let bad = |problem: String| BadFile::new(source, format!("entry {:?}: {problem}", d.id));
            if d.id.is_empty() || !d.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
                return Err(bad("the id must be a slug (a-z, 0-9, -)".into()));
            }
            if !seen.insert(d.id.clone()) {
                return Err(bad("the id is used twice".into()));
            }
            for (name, value) in [("embedded", &d.embedded), ("weaviate", &d.weaviate), ("reason", &d.reason)] {
                if value.trim().is_empty() {
                    return Err(bad(format!("`{name}` is empty")));
                }
            }
            match d.scope {
                Scope::Scenario => {
                    if d.scenario.is_none() || d.step.is_none() {
                        return Err(bad("scope \"scenario\" needs `scenario` and `step`".into()));
                    }
                }
                Scope::General | Scope::Sweep | Scope::Verifier => {
                    if d.step.is_some() || !d.fields.is_empty() {
                        return Err(bad(format!(
                            "`step` and `fields` belong to scope \"scenario\", not {:?}",
                            d.scope.name()
                        )));
                    }
                }
            }
            if matches!(d.scope, Scope::Scenario | Scope::General) {
                if let Some(key) = d.extra.keys().next() {
                    return Err(bad(format!(
                        "unknown field `{key}` (an entry of scope {:?} has {})",
                        d.scope.name(),
                        FIELDS.join(", ")
                    )));
                }
            }
            for f in &d.fields {
                if !(["status", "content_type", "body"].contains(&f.as_str()) || f.starts_with("body/")) {
                    return Err(bad(format!(
                        "field {f:?} is none of status, content_type, body, body/<JSON pointer>"
                    )));
                }
            }
        }
        Ok(KnownDifferences {
            source: source.to_owned(),
            entries: file.differences,
            tables,
        })
    }

    /// Fails, naming the entry, when a scenario entry names a scenario that is not in
    /// `scenarios` or a step it does not have.
    pub fn validate(&self, scenarios: &[Scenario]) -> Result<(), BadFile> {
        for d in self.of(Scope::Scenario) {
            let (Some(name), Some(step)) = (&d.scenario, d.step) else {
                continue;
            };
            let bad = |problem: String| BadFile::new(&self.source, format!("entry {:?}: {problem}", d.id));
            let Some(s) = scenarios.iter().find(|s| &s.name == name) else {
                return Err(bad(format!("scenario {name:?} does not exist")));
            };
            let has_step = if step == 0 {
                s.expect_startup_error.is_some()
            } else {
                step <= s.steps.len()
            };
            if !has_step {
                return Err(bad(format!(
                    "scenario {name:?} has no step {step} (it has {} steps{})",
                    s.steps.len(),
                    if s.expect_startup_error.is_some() {
                        " and the startup, step 0"
                    } else {
                        ""
                    }
                )));
            }
        }
        Ok(())
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[Difference] {
        &self.entries
    }

    /// The entries of one scope, in file order.
    pub fn of(&self, scope: Scope) -> impl Iterator<Item = &Difference> {
        self.entries.iter().filter(move |d| d.scope == scope)
    }

    /// The entries of one scope with their whole tables, in file order: for a check that reads
    /// fields of its own (the sweep's globs, [`crate::sweep::known`]).
    pub fn tables(&self, scope: Scope) -> impl Iterator<Item = (&Difference, &toml::Table)> {
        self.entries.iter().zip(&self.tables).filter(move |(d, _)| d.scope == scope)
    }

    /// The scenario entry for `scenario`'s step `step`.
    pub fn for_step(&self, scenario: &str, step: usize) -> Option<&Difference> {
        self.of(Scope::Scenario)
            .find(|d| d.scenario.as_deref() == Some(scenario) && d.step == Some(step))
    }

    /// The README section: general entries as paragraphs, then a table per other scope.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for d in self.of(Scope::General) {
            let title = d.title.clone().unwrap_or_else(|| d.id.clone());
            out.push_str(&format!(
                "- **{}** (`{}`). Embedded: {} Weaviate v1.38.11: {} Why: {}\n",
                cell(&title),
                d.id,
                sentence(&d.embedded),
                sentence(&d.weaviate),
                sentence(&d.reason)
            ));
        }
        for (scope, heading, first) in [
            (Scope::Scenario, "Scenario steps that answer differently", "Scenario, step"),
            (Scope::Verifier, "Token verifier", "Entry"),
            (Scope::Sweep, "Sweep requests", "Entry"),
        ] {
            let entries: Vec<&Difference> = self.of(scope).collect();
            if entries.is_empty() {
                continue;
            }
            out.push_str(&format!(
                "\n{heading} ({} {}):\n\n| {first} | Embedded | Weaviate v1.38.11 | Why |\n|---|---|---|---|\n",
                entries.len(),
                if entries.len() == 1 { "entry" } else { "entries" }
            ));
            for d in entries {
                let place = match (&d.scenario, d.step) {
                    (Some(s), Some(n)) => format!("`{s}` {n} (`{}`)", d.id),
                    (Some(s), None) => format!("`{s}` (`{}`)", d.id),
                    _ => format!("`{}`", d.id),
                };
                out.push_str(&format!(
                    "| {place} | {} | {} | {} |\n",
                    cell(&d.embedded),
                    cell(&d.weaviate),
                    cell(&d.reason)
                ));
            }
        }
        out
    }
}

/// Text for a table cell: one line, `|` escaped.
fn cell(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

/// Text ending in a full stop.
fn sentence(s: &str) -> String {
    let s = cell(s);
    if s.ends_with(['.', '!', '?']) {
        s
    } else {
        format!("{s}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[difference]]
id = "big-token"
scope = "scenario"
scenario = "s01-x"
step = 2
fields = ["status", "body/message"]
embedded = "401"
weaviate = "200"
reason = "a cap"

[[difference]]
id = "not-emulated"
scope = "general"
title = "Not emulated"
embedded = "404"
weaviate = "backups"
reason = "auth only"

[[difference]]
id = "sweep-one"
scope = "sweep"
embedded = "a"
weaviate = "b"
reason = "c"
method = "GET"
"#;

    fn scenario(steps: usize) -> Scenario {
        let mut text = String::from("id = \"s01\"\ntitle = \"t\"\n");
        for _ in 0..steps {
            text.push_str("[[step]]\nkind = \"token\"\nname = \"k\"\nvalue = \"k\"\n");
        }
        Scenario::parse("s01-x", &text).expect("parses")
    }

    #[test]
    fn entries_parse_with_their_scope_and_sweep_entries_keep_their_own_fields() {
        let k = KnownDifferences::parse("k.toml", ONE).expect("parses");
        assert_eq!(k.entries().len(), 3);
        assert_eq!(k.for_step("s01-x", 2).map(|d| d.id.as_str()), Some("big-token"));
        assert!(k.for_step("s01-x", 1).is_none());
        let sweep = k.of(Scope::Sweep).next().expect("a sweep entry");
        assert_eq!(sweep.extra.get("method").and_then(|v| v.as_str()), Some("GET"));
    }

    #[test]
    fn fields_limit_what_an_entry_allows() {
        let k = KnownDifferences::parse("k.toml", ONE).expect("parses");
        let d = k.for_step("s01-x", 2).expect("entry");
        assert!(d.allows("status"));
        assert!(d.allows("body/message"));
        assert!(d.allows("body/message/0"));
        assert!(!d.allows("body/messages"));
        assert!(!d.allows("body/code"));
        assert!(!d.allows("content_type"));
    }

    #[test]
    fn a_missing_scenario_or_step_fails_naming_the_entry() {
        let k = KnownDifferences::parse("k.toml", ONE).expect("parses");
        assert!(k.validate(&[scenario(2)]).is_ok());
        let e = k.validate(&[scenario(1)]).expect_err("step 2 of 1");
        assert_eq!(e.file, "k.toml");
        assert!(e.problem.contains("\"big-token\"") && e.problem.contains("no step 2"), "{e}");
        let e = k.validate(&[]).expect_err("no scenario");
        assert!(e.to_string().contains("\"big-token\": scenario \"s01-x\" does not exist"), "{e}");
    }

    #[test]
    fn malformed_entries_are_refused_naming_the_entry_and_the_problem() {
        for (edit, why) in [
            (ONE.replace("id = \"big-token\"", "id = \"Big Token\""), "slug"),
            (ONE.replace("id = \"not-emulated\"", "id = \"big-token\""), "used twice"),
            (ONE.replace("step = 2\n", ""), "needs `scenario` and `step`"),
            (ONE.replace("reason = \"a cap\"", "reason = \" \""), "`reason` is empty"),
            (ONE.replace("title = \"Not emulated\"", "titel = \"x\""), "unknown field `titel`"),
            (ONE.replace("\"body/message\"", "\"message\""), "field \"message\""),
            (
                ONE.replace("scope = \"general\"", "scope = \"general\"\nstep = 1"),
                "belong to scope",
            ),
            (ONE.replace("scope = \"sweep\"", "scope = \"sweeps\""), "sweeps"),
            (
                ONE.replace("[[difference]]\nid = \"sweep-one\"", "[[differences]]\nid = \"sweep-one\""),
                "differences",
            ),
        ] {
            let e = KnownDifferences::parse("k.toml", &edit).expect_err(why);
            assert!(e.to_string().starts_with("k.toml: ") && e.to_string().contains(why), "{why}: {e}");
        }
    }

    #[test]
    fn markdown_lists_general_entries_then_a_table_of_scenario_steps() {
        let md = KnownDifferences::parse("k.toml", ONE).expect("parses").markdown();
        assert!(
            md.starts_with("- **Not emulated** (`not-emulated`). Embedded: 404. Weaviate v1.38.11: backups. Why: auth only.\n"),
            "{md}"
        );
        assert!(md.contains("| `s01-x` 2 (`big-token`) | 401 | 200 | a cap |"), "{md}");
        assert!(md.contains("| `sweep-one` | a | b | c |"), "{md}");
    }

    #[test]
    fn the_readme_section_is_the_generated_one() {
        const README: &str = include_str!("../../../README.md");
        let (begin, end) = ("<!-- known-differences:begin -->\n", "<!-- known-differences:end -->");
        let start = README.find(begin).expect("README has the begin marker") + begin.len();
        let stop = README[start..].find(end).expect("README has the end marker") + start;
        let want = KnownDifferences::builtin().unwrap_or_else(|e| panic!("{e}")).markdown();
        assert_eq!(
            README[start..stop].trim_end(),
            want.trim_end(),
            "regenerate the README's section with `oidc-harness known-differences`"
        );
    }

    #[test]
    fn the_builtin_file_parses_and_names_only_scenarios_and_steps_that_exist() {
        let k = KnownDifferences::builtin().unwrap_or_else(|e| panic!("{e}"));
        let scenarios = crate::scenario::builtin().expect("scenarios parse");
        k.validate(&scenarios).unwrap_or_else(|e| panic!("{e}"));
    }
}
