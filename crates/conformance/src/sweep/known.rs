//! The sweep's entries of `fixtures/known-differences.toml`: every difference the sweep may
//! find must be listed there with its reason, and every listed entry must still be found.
//!
//! An entry (`scope = "sweep"`; entries of other scopes belong to `--compare` and are left
//! alone) selects requests by `method` (`GET`, ... or `grpc`), `path` (the OpenAPI template or
//! the gRPC method's full name), `config`, `credential` and `input`, each a glob or a list of
//! globs (`*` matches any run of characters; an absent field matches everything), and answers by
//! `embedded` and `weaviate` (required): globs over each side's one-line summary (`404 *`,
//! `401 anonymous access not enabled*`, `UNKNOWN extract auth: *`). A difference is known when an
//! entry matches its request and both answers; the first such entry, in file order, takes it.
//!
//! An entry is stale when it excuses nothing. On a run that covers everything that alone is
//! enough: the difference is gone or changed, or the entry names a path, configuration,
//! credential or answer that does not occur. A partial run (`--only`, `--config`, `--credential`)
//! judges an entry only on evidence: it is stale when it excused nothing and some request it
//! selects, with the emulation answering as it says, now gets the same answer from both sides.
//! An entry whose requests were simply not sent, or were all taken by an earlier entry, is not
//! judged.

use serde::Deserialize;

use super::plan::{configs, Credential, Input};
use crate::known_differences::{KnownDifferences, Scope};
use crate::Error;

/// One `[[difference]]` with `scope = "sweep"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// A slug, unique in the file.
    pub id: String,
    /// Always `sweep` here.
    pub scope: String,
    /// What the emulation answers: globs over its summary line.
    pub embedded: Globs,
    /// What the real server answers: globs over its summary line.
    pub weaviate: Globs,
    /// Why the two differ and why that is acceptable (or when it will be fixed).
    pub reason: String,
    /// `GET`, `POST`, ..., `grpc`.
    #[serde(default)]
    pub method: Globs,
    /// The path template (`/v1/schema/{className}`) or gRPC method (`weaviate.v1.Weaviate/Search`).
    #[serde(default)]
    pub path: Globs,
    /// Configuration names.
    #[serde(default)]
    pub config: Globs,
    /// Credential kinds.
    #[serde(default)]
    pub credential: Globs,
    /// Input kinds.
    #[serde(default)]
    pub input: Globs,
}

/// One glob or several; empty matches everything.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "OneOrMany")]
pub struct Globs(pub Vec<String>);

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl From<OneOrMany> for Globs {
    fn from(v: OneOrMany) -> Globs {
        match v {
            OneOrMany::One(s) => Globs(vec![s]),
            OneOrMany::Many(v) => Globs(v),
        }
    }
}

impl Globs {
    /// True when empty or any glob matches.
    pub fn matches(&self, text: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|g| glob(g, text))
    }
}

/// `*` matches any run of characters (`/` included); everything else matches itself.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// What a request is, as entries see it.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// `GET` or `grpc`.
    pub method: &'a str,
    /// The template or the gRPC method.
    pub path: &'a str,
    /// The configuration's name.
    pub config: &'a str,
    /// The credential kind's name.
    pub credential: &'a str,
    /// The input kind's name.
    pub input: &'a str,
}

impl Entry {
    /// Whether the entry selects this request (answers aside).
    pub fn selects(&self, k: &Key<'_>) -> bool {
        self.method.matches(k.method)
            && self.path.matches(k.path)
            && self.config.matches(k.config)
            && self.credential.matches(k.credential)
            && self.input.matches(k.input)
    }

    /// Whether the entry excuses this difference.
    pub fn excuses(&self, k: &Key<'_>, embedded: &str, weaviate: &str) -> bool {
        self.selects(k) && self.embedded.matches(embedded) && self.weaviate.matches(weaviate)
    }
}

/// Reads the sweep's entries of a known-differences file; `file` names it in errors. The file is
/// read and its common fields checked by [`KnownDifferences::parse`]; this adds the sweep's own
/// fields (the globs) and checks that they name configurations, credentials and inputs that exist.
pub fn parse(text: &str, file: &str) -> Result<Vec<Entry>, Error> {
    let known = KnownDifferences::parse(file, text)?;
    known
        .tables(Scope::Sweep)
        .map(|(d, table)| {
            let name = format!("entry {:?}", d.id);
            let e: Entry = toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e| Error::Invalid(format!("{file}: {name}: {e}")))?;
            check(&e).map_err(|why| Error::Invalid(format!("{file}: {name}: {why}")))?;
            Ok(e)
        })
        .collect()
}

fn check(e: &Entry) -> Result<(), Error> {
    if e.id.trim().is_empty() || e.id.contains(char::is_whitespace) {
        return Err(Error::Invalid("`id` must be a slug".into()));
    }
    if e.embedded.0.is_empty() || e.weaviate.0.is_empty() {
        return Err(Error::Invalid(
            "`embedded` and `weaviate` need at least one glob each (\"*\" for any answer)".into(),
        ));
    }
    if e.reason.trim().is_empty() {
        return Err(Error::Invalid("`reason` is empty: say why the difference is acceptable".into()));
    }
    let names = |what: &str, globs: &Globs, known: &[&str]| -> Result<(), Error> {
        for g in &globs.0 {
            if !known.iter().any(|k| glob(g, k)) {
                return Err(Error::Invalid(format!("{what} {g:?} matches none of {}", known.join(", "))));
            }
        }
        Ok(())
    };
    let config_names: Vec<&str> = configs().iter().map(|c| c.name).collect();
    names("config", &e.config, &config_names)?;
    let creds: Vec<&str> = Credential::ALL.iter().map(|c| c.name()).collect();
    names("credential", &e.credential, &creds)?;
    let inputs: Vec<&str> = Input::ALL.iter().map(|i| i.name()).collect();
    names("input", &e.input, &inputs)?;
    names(
        "method",
        &e.method,
        &["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "grpc"],
    )?;
    Ok(())
}

/// How the entries fared in a run.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Per entry (file order): requests it selects, with the emulation answering as it says,
    /// whose answers agree.
    pub agreed: Vec<usize>,
    /// Per entry: differences it excused.
    pub excused: Vec<usize>,
}

impl Tally {
    /// A tally for `n` entries.
    pub fn new(n: usize) -> Tally {
        Tally {
            agreed: vec![0; n],
            excused: vec![0; n],
        }
    }

    /// The stale entries' indices: those that excused nothing, on a run that covered
    /// everything; on a partial run, those of them with agreeing requests.
    pub fn stale(&self, everything: bool) -> Vec<usize> {
        (0..self.excused.len())
            .filter(|&i| self.excused[i] == 0 && (everything || self.agreed[i] > 0))
            .collect()
    }
}

/// Classifies one request from both answers' summaries: `Some(entry index)` for a known
/// difference, `None` for an unknown one or when the answers agree (`differs == false`, which
/// counts towards the entries' `agreed`).
pub fn classify(entries: &[Entry], tally: &mut Tally, k: &Key<'_>, (embedded, weaviate): (&str, &str), differs: bool) -> Option<usize> {
    if !differs {
        for (i, e) in entries.iter().enumerate() {
            if e.selects(k) && e.embedded.matches(embedded) {
                tally.agreed[i] += 1;
            }
        }
        return None;
    }
    let hit = entries.iter().position(|e| e.excuses(k, embedded, weaviate))?;
    tally.excused[hit] += 1;
    Some(hit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[difference]]
id = "scenario-entry"
scope = "scenario"
scenario = "s01"
step = 3
embedded = "401"
weaviate = "403"
reason = "not ours"

[[difference]]
id = "not-emulated"
scope = "sweep"
path = ["/v1/nodes*", "/v1/backups/*"]
embedded = "404 *"
weaviate = "*"
reason = "not emulated"

[[difference]]
id = "grpc-text"
scope = "sweep"
method = "grpc"
credential = "expired-oidc"
embedded = "UNKNOWN *"
weaviate = "UNAUTHENTICATED *"
reason = "another code"
"#;

    fn key<'a>(method: &'a str, path: &'a str, credential: &'a str) -> Key<'a> {
        Key {
            method,
            path,
            config: "admin-list",
            credential,
            input: "valid",
        }
    }

    #[test]
    fn the_repositorys_file_gives_the_sweep_its_entries() {
        let entries = parse(crate::known_differences::BUILTIN, crate::known_differences::PATH).expect("parses");
        assert!(!entries.is_empty());
        assert!(entries.iter().all(|e| e.scope == "sweep"));
    }

    #[test]
    fn globs_match_runs_of_anything() {
        assert!(glob("/v1/backups/*", "/v1/backups/{backend}/{id}/restore"));
        assert!(glob("404 *", "404 (empty)"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b", "aXXc"));
        assert!(!glob("/v1/nodes", "/v1/nodes/{className}"));
    }

    #[test]
    fn only_sweep_entries_are_read_and_differences_are_classified_by_request_and_answers() {
        let entries = parse(FILE, "k.toml").expect("parses");
        assert_eq!(
            entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["not-emulated", "grpc-text"]
        );
        let mut t = Tally::new(entries.len());
        let nodes = key("GET", "/v1/nodes/{className}", "none");
        assert_eq!(classify(&entries, &mut t, &nodes, ("404 no route", "401 anonymous"), true), Some(0));
        // The same request with another emulation answer is not excused.
        assert_eq!(classify(&entries, &mut t, &nodes, ("401 x", "401 anonymous"), true), None);
        let search = key("grpc", "weaviate.v1.Weaviate/Search", "expired-oidc");
        assert_eq!(
            classify(&entries, &mut t, &search, ("UNKNOWN a", "UNAUTHENTICATED b"), true),
            Some(1)
        );
        assert!(t.stale(true).is_empty());
    }

    #[test]
    fn an_entry_whose_requests_now_agree_is_stale_and_one_that_excused_nothing_on_a_full_run() {
        let entries = parse(FILE, "k.toml").expect("parses");
        let mut t = Tally::new(entries.len());
        // The emulation still answers 404 and the real server now agrees: the difference is gone.
        classify(&entries, &mut t, &key("GET", "/v1/nodes", "none"), ("404 x", "404 x"), false);
        assert_eq!(t.stale(false), [0]);
        assert_eq!(t.stale(true), [0, 1]);
        // A served route (the emulation answers 200) tells nothing about the not-emulated entry,
        // and grpc-text, whose requests this partial run did not send, is not judged.
        let mut t = Tally::new(entries.len());
        classify(&entries, &mut t, &key("GET", "/v1/nodes", "none"), ("200 a", "200 a"), false);
        assert!(t.stale(false).is_empty());
        classify(&entries, &mut t, &key("GET", "/v1/nodes", "none"), ("404 a", "401 b"), true);
        assert_eq!((t.excused.clone(), t.stale(false), t.stale(true)), (vec![1, 0], vec![], vec![1]));
    }

    #[test]
    fn bad_entries_are_refused_with_their_id_and_the_problem() {
        let bad = |body: &str| {
            parse(&format!("[[difference]]\nid = \"x\"\nscope = \"sweep\"\n{body}"), "k.toml")
                .unwrap_err()
                .to_string()
        };
        let e = bad("embedded = \"*\"\nweaviate = \"*\"\nreason = \"r\"\nconfig = \"nope\"\n");
        assert!(
            e.starts_with("k.toml: entry \"x\": config \"nope\" matches none of anonymous-on"),
            "{e}"
        );
        let e = bad("embedded = \"*\"\nweaviate = \"*\"\nreason = \" \"\n");
        assert!(e.contains("`reason` is empty"), "{e}");
        let e = bad("embedded = \"*\"\nreason = \"r\"\n");
        assert!(e.contains("missing field `weaviate`"), "{e}");
        let e = bad("embedded = \"*\"\nweaviate = \"*\"\nreason = \"r\"\nstep = 3\n");
        assert!(e.contains("`step` and `fields` belong to scope \"scenario\""), "{e}");
        let e = bad("embedded = \"*\"\nweaviate = \"*\"\nreason = \"r\"\nstatus = 3\n");
        assert!(e.contains("unknown field `status`"), "{e}");
        let e = bad("embedded = \"*\"\nweaviate = \"*\"\nreason = \"r\"\ncredential = \"root\"\n");
        assert!(e.contains("credential \"root\""), "{e}");
        let twice = "[[difference]]\nid = \"x\"\nscope = \"sweep\"\nembedded = \"*\"\nweaviate = \"*\"\nreason = \"r\"\n";
        let e = parse(&format!("{twice}{twice}"), "k.toml").unwrap_err().to_string();
        assert!(e.contains("used twice"), "{e}");
    }
}
