//! The sweep's committed report: `docs/parity-sweep.md` for people, and the JSON it is written
//! from. Differences are grouped, first by the known-difference entry that excuses them (or as
//! unknown), then by operation, so that "every backup route answers 404 here and 401 there" reads
//! as one line with the configurations and credentials it covers, not as a thousand rows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::plan::{configs, Credential, Input};
use super::send::{shorten, Answer};
use super::{Record, Sweep};

/// One operation's differences within a group.
#[derive(Debug, Clone, Serialize)]
pub struct OperationGroup {
    /// `GET /v1/nodes` or `grpc weaviate.v1.Weaviate/Search`.
    pub operation: String,
    /// How many requests.
    pub count: usize,
    /// The configurations involved (`all` when every one of the run).
    pub configs: String,
    /// The credentials involved.
    pub credentials: String,
    /// The inputs involved.
    pub inputs: String,
    /// The distinct answer pairs, as summaries, with their counts.
    pub answers: Vec<AnswerPair>,
    /// The first such request, whole.
    pub example: Example,
}

/// A pair of summaries.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AnswerPair {
    /// The emulation's.
    pub embedded: String,
    /// The real server's.
    pub weaviate: String,
    /// How often.
    pub count: usize,
}

/// One request, whole.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// Its configuration.
    pub config: String,
    /// Its credential.
    pub credential: String,
    /// Its input.
    pub input: String,
    /// The emulation's answer (body shortened).
    pub embedded: Answer,
    /// The real server's answer (body shortened).
    pub weaviate: Answer,
}

/// The differences one entry excuses, or the unknown ones.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// The entry's id, or `unknown`.
    pub id: String,
    /// The entry's reason (empty for unknown ones).
    pub reason: String,
    /// The entry's answer globs.
    pub embedded: String,
    /// The entry's answer globs.
    pub weaviate: String,
    /// Requests in the group.
    pub count: usize,
    /// Per operation, in plan order.
    pub operations: Vec<OperationGroup>,
}

/// Figures of one configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigLine {
    /// Its name.
    pub name: String,
    /// What it sets.
    pub about: String,
    /// Requests.
    pub requests: usize,
    /// Identical answers.
    pub identical: usize,
    /// Known differences.
    pub known: usize,
    /// Unknown differences.
    pub unknown: usize,
    /// Seconds on the emulation.
    pub embedded_s: f64,
    /// Seconds on the real server.
    pub weaviate_s: f64,
}

/// The whole report, as the JSON file holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Where the operations came from.
    pub source: String,
    /// The real target.
    pub target: String,
    /// REST operations swept.
    pub rest_operations: usize,
    /// gRPC methods swept.
    pub grpc_methods: Vec<String>,
    /// Methods of the service not swept.
    pub grpc_not_swept: Vec<String>,
    /// Requests.
    pub requests: usize,
    /// Identical answers.
    pub identical: usize,
    /// Known differences.
    pub known: usize,
    /// Unknown differences.
    pub unknown: usize,
    /// Stale entries' ids.
    pub stale: Vec<String>,
    /// Per configuration.
    pub configs: Vec<ConfigLine>,
    /// Wall time of the whole sweep, seconds.
    pub wall_s: f64,
    /// Unknown differences first, then one group per entry that excused something.
    pub groups: Vec<Group>,
}

fn list_or_all<T: Ord + Copy>(seen: &BTreeSet<T>, all: &[T], name: impl Fn(T) -> String) -> String {
    if all.iter().all(|x| seen.contains(x)) {
        "all".to_owned()
    } else {
        all.iter()
            .filter(|x| seen.contains(x))
            .map(|x| name(*x))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn shortened(a: &Answer) -> Answer {
    let body = match &a.body {
        Value::String(s) => Value::String(shorten(s, 300)),
        other => {
            let text = other.to_string();
            if text.chars().count() > 300 {
                Value::String(shorten(&text, 300))
            } else {
                other.clone()
            }
        }
    };
    Answer { body, ..a.clone() }
}

fn group_of(id: String, reason: String, embedded: String, weaviate: String, records: &[&Record], sweep: &Sweep) -> Group {
    let all_configs: Vec<&str> = configs()
        .iter()
        .map(|c| c.name)
        .filter(|n| sweep.configs.iter().any(|f| f.name == *n))
        .collect();
    let mut ops: Vec<(String, Vec<&Record>)> = Vec::new();
    for r in records {
        let label = r.request.call.label();
        match ops.iter_mut().find(|(l, _)| *l == label) {
            Some((_, v)) => v.push(r),
            None => ops.push((label, vec![r])),
        }
    }
    let operations = ops
        .into_iter()
        .map(|(operation, rs)| {
            let cfgs: BTreeSet<&str> = rs.iter().map(|r| r.config).collect();
            let creds: BTreeSet<Credential> = rs.iter().map(|r| r.request.credential).collect();
            let inputs: BTreeSet<Input> = rs.iter().map(|r| r.request.input).collect();
            let mut pairs: BTreeMap<(String, String), usize> = BTreeMap::new();
            for r in &rs {
                *pairs.entry((r.embedded.summary(), r.weaviate.summary())).or_default() += 1;
            }
            let first = rs[0];
            OperationGroup {
                operation,
                count: rs.len(),
                configs: list_or_all(&cfgs, &all_configs, str::to_owned),
                credentials: list_or_all(&creds, &Credential::ALL, |c| c.name().to_owned()),
                inputs: inputs.iter().map(|i| i.name()).collect::<Vec<_>>().join(", "),
                answers: pairs
                    .into_iter()
                    .map(|((embedded, weaviate), count)| AnswerPair { embedded, weaviate, count })
                    .collect(),
                example: Example {
                    config: first.config.to_owned(),
                    credential: first.request.credential.name().to_owned(),
                    input: first.request.input.name().to_owned(),
                    embedded: shortened(&first.embedded),
                    weaviate: shortened(&first.weaviate),
                },
            }
        })
        .collect();
    Group {
        id,
        reason,
        embedded,
        weaviate,
        count: records.len(),
        operations,
    }
}

/// The report of a sweep.
pub fn build(sweep: &Sweep) -> Report {
    let (requests, identical) = sweep.totals();
    let unknown: Vec<&Record> = sweep.unknown().collect();
    let mut groups = Vec::new();
    if !unknown.is_empty() {
        groups.push(group_of(
            "unknown".into(),
            String::new(),
            String::new(),
            String::new(),
            &unknown,
            sweep,
        ));
    }
    for (i, e) in sweep.known.iter().enumerate() {
        let rs: Vec<&Record> = sweep.records.iter().filter(|r| r.known == Some(i)).collect();
        if !rs.is_empty() {
            groups.push(group_of(
                e.id.clone(),
                e.reason.clone(),
                e.embedded.0.join(" | "),
                e.weaviate.0.join(" | "),
                &rs,
                sweep,
            ));
        }
    }
    let configs = sweep
        .configs
        .iter()
        .map(|f| {
            let of: Vec<&Record> = sweep.records.iter().filter(|r| r.config == f.name).collect();
            ConfigLine {
                name: f.name.to_owned(),
                about: f.about.to_owned(),
                requests: f.requests,
                identical: f.identical,
                known: of.iter().filter(|r| r.differs() && r.known.is_some()).count(),
                unknown: of.iter().filter(|r| r.differs() && r.known.is_none()).count(),
                embedded_s: round(f.embedded_time.as_secs_f64()),
                weaviate_s: round(f.weaviate_time.as_secs_f64()),
            }
        })
        .collect();
    let rest_ops: BTreeSet<String> = sweep
        .records
        .iter()
        .filter(|r| r.request.call.method() != "grpc")
        .map(|r| r.request.call.label())
        .collect();
    let grpc: BTreeSet<String> = sweep
        .records
        .iter()
        .filter(|r| r.request.call.method() == "grpc")
        .map(|r| r.request.call.template().to_owned())
        .collect();
    Report {
        source: sweep.source.clone(),
        target: sweep.target.clone(),
        rest_operations: rest_ops.len(),
        grpc_methods: grpc.into_iter().collect(),
        grpc_not_swept: sweep.grpc_not_swept.clone(),
        requests,
        identical,
        known: sweep.records.iter().filter(|r| r.differs() && r.known.is_some()).count(),
        unknown: unknown.len(),
        stale: sweep.stale().iter().map(|e| e.id.clone()).collect(),
        configs,
        wall_s: round(sweep.wall.as_secs_f64()),
        groups,
    }
}

fn round(s: f64) -> f64 {
    (s * 10.0).round() / 10.0
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown report.
pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line("# Parity sweep: the emulation against a real Weaviate");
    line("");
    line("Generated by `just sweep` (`oidc-harness sweep --out docs/parity-sweep.md --json docs/parity-sweep.json`);");
    line("do not edit by hand. Every REST operation of Weaviate's OpenAPI document and every gRPC method");
    line("the official clients call, under nine kinds of credential and three kinds of bad input, in each");
    line("auth configuration below; the emulation (`embedded`) and the real server answer the same requests");
    line("in the same order, and their whole answers (status, content type, normalized body; gRPC code and");
    line("message) are compared. Every difference is either excused by an entry of");
    line("`fixtures/known-differences.toml` (its id and reason below) or fails the sweep.");
    line("");
    line(&format!("- Source: {}", r.source));
    line(&format!(
        "- Operations: {} REST, {} gRPC ({})",
        r.rest_operations,
        r.grpc_methods.len(),
        r.grpc_methods.join(", ")
    ));
    if !r.grpc_not_swept.is_empty() {
        line(&format!(
            "- gRPC methods of the service not swept (no official client calls them): {}",
            r.grpc_not_swept.join(", ")
        ));
    }
    line(&format!("- Real target: `{}`", r.target));
    line(&format!(
        "- **{} requests, {} identical, {} known differences, {} unknown**; stale entries: {}",
        r.requests,
        r.identical,
        r.known,
        r.unknown,
        if r.stale.is_empty() {
            "none".to_owned()
        } else {
            r.stale.join(", ")
        }
    ));
    line(&format!(
        "- Wall time: {:.1} s (both targets of a configuration run at once)",
        r.wall_s
    ));
    line("");
    line("| Configuration | What it sets | Requests | Identical | Known | Unknown | Embedded (s) | Real (s) |");
    line("|---|---|---:|---:|---:|---:|---:|---:|");
    for c in &r.configs {
        line(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {:.1} | {:.1} |",
            c.name, c.about, c.requests, c.identical, c.known, c.unknown, c.embedded_s, c.weaviate_s
        ));
    }
    line("");
    line("Credentials: `none`, `wrong-key`, `malformed-token` (three parts, payload not JSON), `expired-oidc`,");
    line("`outsider-oidc` (a valid token of a user on no list), `read-only-key`, `read-only-oidc`, `admin-oidc`,");
    line("`admin-key`. Inputs: `valid`; `wrong-content-type`, `invalid-json` and `unknown-class` are sent with no");
    line("credential and as the configuration's admin.");
    line("");
    line("## Differences");
    line("");
    if r.groups.is_empty() {
        line("None.");
    }
    for g in &r.groups {
        if g.id == "unknown" {
            line(&format!("### Unknown ({} requests): these fail the sweep", g.count));
        } else {
            line(&format!("### `{}` ({} requests)", g.id, g.count));
            line("");
            line(&format!("Embedded `{}`, real `{}`. {}", g.embedded, g.weaviate, g.reason.trim()));
        }
        line("");
        line("| Operation | Requests | Configurations | Credentials | Inputs | Embedded → real |");
        line("|---|---:|---|---|---|---|");
        for o in &g.operations {
            let answers: Vec<String> = o
                .answers
                .iter()
                .take(4)
                .map(|a| {
                    format!(
                        "`{}` → `{}` ({})",
                        cell(&shorten(&a.embedded, 70)),
                        cell(&shorten(&a.weaviate, 70)),
                        a.count
                    )
                })
                .collect();
            let more = o.answers.len().saturating_sub(4);
            let more = if more > 0 { format!("<br>and {more} more") } else { String::new() };
            line(&format!(
                "| `{}` | {} | {} | {} | {} | {}{} |",
                o.operation,
                o.count,
                o.configs,
                o.credentials,
                o.inputs,
                answers.join("<br>"),
                more
            ));
        }
        line("");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::known::{parse, Tally};
    use crate::sweep::plan::{Call, Request};
    use crate::sweep::ConfigFigures;
    use serde_json::json;
    use std::time::Duration;

    fn answer(status: u16, message: &str) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            body: json!({ "message": message }),
            grpc: false,
        }
    }

    fn record(path: &str, credential: Credential, e: Answer, w: Answer, known: Option<usize>) -> Record {
        Record {
            config: "admin-list",
            request: Request {
                credential,
                input: Input::Valid,
                call: Call::Rest {
                    method: "GET".into(),
                    template: path.into(),
                    path: path.into(),
                    body: None,
                    content_type: None,
                },
            },
            embedded: e,
            weaviate: w,
            known,
        }
    }

    #[test]
    fn differences_are_grouped_by_entry_then_operation_with_their_credentials() {
        let known = parse(
            "[[difference]]\nid = \"nodes\"\nscope = \"sweep\"\npath = \"/v1/nodes\"\nembedded = \"404 *\"\nweaviate = \"*\"\nreason = \"not emulated\"\n",
            "k.toml",
        )
        .expect("parses");
        let records = vec![
            record("/v1/nodes", Credential::None, answer(404, "no"), answer(401, "anon"), Some(0)),
            record("/v1/nodes", Credential::AdminKey, answer(404, "no"), answer(200, "ok"), Some(0)),
            record("/v1/meta", Credential::None, answer(200, "m"), answer(200, "m"), None),
            record("/v1/schema", Credential::None, answer(401, "a"), answer(401, "b"), None),
        ];
        let sweep = Sweep {
            source: "src".into(),
            target: "weaviate-binary".into(),
            grpc_not_swept: vec![],
            records,
            configs: vec![ConfigFigures {
                name: "admin-list",
                about: "about",
                requests: 4,
                identical: 1,
                embedded_time: Duration::from_millis(100),
                weaviate_time: Duration::from_secs(2),
            }],
            known,
            tally: Tally::new(1),
            everything: false,
            wall: Duration::from_secs(2),
        };
        let r = build(&sweep);
        assert_eq!((r.requests, r.identical, r.known, r.unknown), (4, 1, 2, 1));
        assert_eq!(r.groups[0].id, "unknown");
        assert_eq!(r.groups[0].operations[0].answers[0].embedded, "401 a");
        let nodes = &r.groups[1].operations[0];
        assert_eq!((nodes.operation.as_str(), nodes.count), ("GET /v1/nodes", 2));
        assert_eq!(nodes.credentials, "none, admin-key");
        assert_eq!(nodes.configs, "all");
        let md = markdown(&r);
        assert!(md.contains("**4 requests, 1 identical, 2 known differences, 1 unknown**"), "{md}");
        assert!(md.contains("### Unknown (1 requests): these fail the sweep"), "{md}");
        assert!(
            md.contains("| `GET /v1/nodes` | 2 | all | none, admin-key | valid | `404 no` → `200 ok` (1)<br>`404 no` → `401 anon` (1) |"),
            "{md}"
        );
    }
}
