//! `Scenario`: one conformance case read from TOML (Weaviate env, provider setup, steps).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::step::Step;

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
