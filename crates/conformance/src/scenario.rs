//! `Scenario`: one conformance case read from TOML (Weaviate env, provider setup, steps).
//!
//! [`Scenario::sharing`] says whether a scenario may play on a real Weaviate that other
//! scenarios of the same environment used before it (the rule is written there); the
//! scheduler ([`crate::schedule`]) groups scenarios by [`Scenario::server_key`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::step::{Kind, Step};

/// One scenario file, `fixtures/scenarios/sNN-<slug>.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short id, first in the file name: `s01`.
    pub id: String,
    /// One line saying what is checked.
    pub title: String,
    /// Longer text: where the expected answers come from.
    #[serde(default)]
    pub description: String,
    /// The Weaviate configuration, the same for every target.
    #[serde(default)]
    pub weaviate: WeaviateSetup,
    /// Extra provider setup; the built-in provider config is always the base.
    #[serde(default)]
    pub idp: IdpSetup,
    /// When set, Weaviate must refuse to start with exactly this logged message.
    #[serde(default)]
    pub expect_startup_error: Option<String>,
    /// The Weaviate versions the scenario applies to ([`Versions`]); on a target of another
    /// version it is reported as not applicable. Every version when absent.
    #[serde(default)]
    pub weaviate_versions: Option<Versions>,
    /// Why this scenario needs a Weaviate that no other scenario used before, when what its
    /// steps do does not show it ([`Scenario::sharing`] derives the rest).
    #[serde(default)]
    pub fresh_server: Option<String>,
    /// The steps, played in order.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// The file name without `.toml` (`s01-api-key-bearer`), set by the loader.
    #[serde(skip)]
    pub name: String,
}

/// The `[weaviate]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeaviateSetup {
    /// Weaviate's environment variables; `{issuer}` is replaced by the provider's issuer URL.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// The `[idp]` table: additions to the built-in provider configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpSetup {
    /// Extra users.
    #[serde(default, rename = "user")]
    pub users: Vec<mock_idp::UserConfig>,
    /// Extra clients.
    #[serde(default, rename = "client")]
    pub clients: Vec<mock_idp::ClientConfig>,
}

/// The Weaviate versions a scenario applies to: one requirement in the `semver` crate's syntax
/// (`">=1.34"`), or a list of which any may match, for a change that was back-ported to older
/// minor lines (`["~1.31.12", ">=1.32.5"]`: from 1.31.12 within 1.31, and from 1.32.5 on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions(Vec<semver::VersionReq>);

impl Versions {
    /// True when any requirement matches `v`.
    pub fn matches(&self, v: &semver::Version) -> bool {
        self.0.iter().any(|r| r.matches(v))
    }
}

impl std::fmt::Display for Versions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(" or "))
    }
}

impl<'de> Deserialize<'de> for Versions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a semver requirement such as \">=1.30\", or a list of them")]
        enum Form {
            One(semver::VersionReq),
            Any(Vec<semver::VersionReq>),
        }
        match Form::deserialize(d)? {
            Form::One(r) => Ok(Versions(vec![r])),
            Form::Any(rs) if rs.is_empty() => Err(serde::de::Error::custom("an empty list matches no version")),
            Form::Any(rs) => Ok(Versions(rs)),
        }
    }
}

/// Whether a scenario can play on a Weaviate (and provider) that other scenarios of the same
/// environment used before it. Derived from what its steps do ([`Scenario::sharing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sharing {
    /// Reads only: leaves nothing behind in Weaviate.
    Reads,
    /// Writes Weaviate data (classes, objects): shares a server when the scheduler can delete
    /// what it wrote afterwards.
    WritesData,
    /// Needs a server that nothing else used, for this reason.
    Own(String),
}

/// The provider controls whose effect ends with the provider's reset and that Weaviate cannot
/// observe beyond the tokens (the provider's clock).
const RESETTABLE_CONTROLS: [&str; 1] = ["/_mock/clock"];

/// REST paths under which a write only changes data (classes, objects, tenants), which deleting
/// every class undoes.
const DATA_PATHS: [&str; 4] = ["/v1/schema", "/v1/objects", "/v1/batch", "/v1/graphql"];

/// gRPC methods that change nothing.
const GRPC_READS: [&str; 5] = ["Search", "Aggregate", "TenantsGet", "health.Check", "health.Watch"];

/// A scenario that could not be read.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl Scenario {
    /// Parses one scenario; `name` is its file name without extension.
    pub fn parse(name: &str, text: &str) -> Result<Scenario, LoadError> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| LoadError(format!("{name}: {e}")))?;
        if !name.starts_with(&s.id) {
            return Err(LoadError(format!("{name}: the file name must start with the id {:?}", s.id)));
        }
        for (i, step) in s.steps.iter().enumerate() {
            step.validate().map_err(|e| LoadError(format!("{name}: step {}: {e}", i + 1)))?;
        }
        s.name = name.to_owned();
        Ok(s)
    }

    /// Whether this scenario can play on a server others used before it, decided by what it
    /// does:
    ///
    /// - `fresh_server` (declared) or an expected startup refusal: its own server;
    /// - an `idp` step other than the provider's clock (faults, key rotation, JWKS counters,
    ///   the journal): its own server, since a used Weaviate has the keys cached and fetches
    ///   them at other moments than a fresh one;
    /// - a REST write outside classes and objects (database users, roles, backups...): its own
    ///   server, since the reset deletes classes only;
    /// - a REST write to classes or objects, a gRPC call that is not a read, or a `client`
    ///   step (the official clients create collections): [`Sharing::WritesData`];
    /// - otherwise [`Sharing::Reads`].
    pub fn sharing(&self) -> Sharing {
        if let Some(why) = &self.fresh_server {
            return Sharing::Own(format!("declared: {why}"));
        }
        if self.expect_startup_error.is_some() {
            return Sharing::Own("expects Weaviate to refuse to start".into());
        }
        let mut writes = false;
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            let path = step.path.as_deref().unwrap_or("");
            match step.kind {
                Kind::Idp if !RESETTABLE_CONTROLS.iter().any(|c| path.starts_with(c)) => {
                    return Sharing::Own(format!(
                        "step {n} drives the provider ({path}), which a used server's JWKS cache would see"
                    ));
                }
                Kind::Http if !matches!(step.method.as_deref().unwrap_or("GET"), "GET" | "HEAD" | "OPTIONS") => {
                    if !DATA_PATHS.iter().any(|p| path == *p || path.starts_with(&format!("{p}/"))) {
                        return Sharing::Own(format!("step {n} changes {path}, which the reset does not undo"));
                    }
                    writes = true;
                }
                Kind::Grpc if !GRPC_READS.contains(&step.method.as_deref().unwrap_or("")) => writes = true,
                Kind::Client => writes = true,
                Kind::Idp | Kind::Http | Kind::Grpc | Kind::Token | Kind::Browser => {}
            }
        }
        if writes {
            Sharing::WritesData
        } else {
            Sharing::Reads
        }
    }

    /// Scenarios with the same key can play on one Weaviate and one provider: the same
    /// environment (before `{issuer}` is replaced) and the same provider setup.
    pub fn server_key(&self) -> String {
        let users: Vec<Value> = self
            .idp
            .users
            .iter()
            .map(|u| serde_json::to_value(u).unwrap_or(Value::Null))
            .collect();
        let clients: Vec<Value> = self
            .idp
            .clients
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .collect();
        serde_json::json!({ "env": self.weaviate.env, "users": users, "clients": clients }).to_string()
    }

    /// The env with `{issuer}` replaced.
    pub fn env_for(&self, issuer: &str) -> BTreeMap<String, String> {
        self.weaviate
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{issuer}", issuer)))
            .collect()
    }
}

/// Every `*.toml` of `dir`, sorted by file name.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| LoadError(format!("{}: {e}", p.display())))?;
            let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Scenario::parse(&name, &text)
        })
        .collect()
}

include!(concat!(env!("OUT_DIR"), "/builtin_scenarios.rs"));

/// The scenarios compiled into the binary (fixtures/scenarios at build time).
pub fn builtin() -> Result<Vec<Scenario>, LoadError> {
    BUILTIN.iter().map(|(name, text)| Scenario::parse(name, text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(line: &str) -> Result<Option<Versions>, LoadError> {
        Scenario::parse("s99-x", &format!("id = \"s99\"\ntitle = \"t\"\n{line}\n")).map(|s| s.weaviate_versions)
    }

    #[test]
    fn weaviate_versions_take_one_requirement_or_alternatives_and_refuse_what_matches_nothing() {
        let v = |s: &str| semver::Version::parse(s).expect("a version");
        let one = versions("weaviate_versions = \">=1.34\"").expect("parses").expect("set");
        assert!(one.matches(&v("1.38.11")) && !one.matches(&v("1.33.9")));
        let any = versions("weaviate_versions = [\"~1.31.12\", \">=1.32.5\"]")
            .expect("parses")
            .expect("set");
        assert!(any.matches(&v("1.31.12")) && any.matches(&v("1.32.5")) && any.matches(&v("1.38.11")));
        assert!(!any.matches(&v("1.31.11")) && !any.matches(&v("1.32.4")) && !any.matches(&v("1.30.17")));
        assert_eq!(any.to_string(), "~1.31.12 or >=1.32.5");
        assert_eq!(versions("").expect("parses"), None);
        let empty = versions("weaviate_versions = []").expect_err("matches nothing").to_string();
        assert!(empty.contains("an empty list matches no version"), "{empty}");
        let bad = versions("weaviate_versions = \"newer than 1.30\"")
            .expect_err("not semver")
            .to_string();
        assert!(bad.contains("s99-x") && bad.contains("weaviate_versions"), "{bad}");
    }
}
