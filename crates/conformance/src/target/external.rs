//! The external target: a Weaviate that is already running at a URL, which the suite cannot
//! restart.
//!
//! The suite cannot read a running Weaviate's environment, so its user states it (`--env-file`,
//! the file the server was started with). A scenario is played only when its authentication
//! and authorization variables are exactly the stated ones; any other scenario is skipped with
//! the variables that differ, never passed. A scenario that expects a startup error needs a
//! start, so it is skipped too. For OIDC, the suite's provider must be where the server's
//! `AUTHENTICATION_OIDC_ISSUER` points: `idp_listen` binds it there for each scenario.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use super::StartError;
use crate::scenario::Scenario;
use crate::Error;

/// A running Weaviate and what its user states about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// Its REST URL, `http://HOST:PORT`, without a trailing `/`.
    pub url: String,
    /// Its gRPC address `HOST:PORT`, when known.
    pub grpc: Option<String>,
    /// The environment it was started with (at least its `AUTHENTICATION_*` and
    /// `AUTHORIZATION_*` variables).
    pub env: BTreeMap<String, String>,
    /// Where the suite's provider listens, so that tokens carry the issuer the server expects.
    pub idp_listen: Option<SocketAddr>,
}

impl External {
    /// The gRPC address: `--grpc`, else the REST URL's host on Weaviate's default port 50051.
    pub fn grpc_addr(&self) -> String {
        self.grpc.clone().unwrap_or_else(|| {
            let host = self.url.split("://").nth(1).unwrap_or(&self.url);
            let host = host.split(['/', ':']).next().unwrap_or("127.0.0.1");
            format!("{host}:50051")
        })
    }
}

/// Prefixes of the variables a scenario's configuration is compared on.
const AUTH_PREFIXES: [&str; 3] = ["AUTHENTICATION_", "AUTHORIZATION_", "EXPERIMENTAL_AUTHORIZATION_"];

/// `KEY=VALUE` lines (Docker's `--env-file` format, also accepting `export ` and quoted values);
/// blank lines and `#` comments are skipped.
pub fn parse_env_file(text: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("line {}: expected KEY=VALUE, got {line:?}", i + 1)))?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(v);
        out.insert(k.trim().to_owned(), v.to_owned());
    }
    Ok(out)
}

/// The auth variables of `env`, with a `*_ENABLED` of `false` dropped (it means the same as unset).
fn auth_vars(env: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    env.iter()
        .filter(|(k, _)| AUTH_PREFIXES.iter().any(|p| k.starts_with(p)))
        .filter(|(k, v)| !(k.ends_with("_ENABLED") && v.trim().eq_ignore_ascii_case("false")))
        .map(|(k, v)| (k.as_str(), v.trim()))
        .collect()
}

impl External {
    /// A scenario this Weaviate cannot play whatever its configuration.
    pub fn cannot_play(&self, s: &Scenario) -> Option<String> {
        s.expect_startup_error
            .as_ref()
            .map(|_| "expects a startup error: needs its own Weaviate start, and an external Weaviate cannot be restarted".into())
    }

    /// The variables on which the scenario's configuration `want` and the stated one differ,
    /// one sentence each.
    pub fn differences(&self, want: &BTreeMap<String, String>) -> Vec<String> {
        let (want, have) = (auth_vars(want), auth_vars(&self.env));
        let mut keys: Vec<&str> = want.keys().chain(have.keys()).copied().collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| match (want.get(k), have.get(k)) {
                (a, b) if a == b => None,
                (Some(a), Some(b)) => Some(format!("{k}: scenario {a:?}, this Weaviate {b:?}")),
                (Some(a), None) => Some(format!("{k}: scenario {a:?}, this Weaviate unset")),
                (None, Some(b)) => Some(format!("{k}: scenario unset, this Weaviate {b:?}")),
                (None, None) => None,
            })
            .collect()
    }

    /// "Starts" this Weaviate for a scenario configured with `env`: a skip when the stated
    /// configuration differs or the server is not ready, else its URL.
    pub(super) async fn start(&self, env: &BTreeMap<String, String>) -> Result<String, StartError> {
        let diffs = self.differences(env);
        if !diffs.is_empty() {
            let mut why = format!("configuration differs from this Weaviate's: {}", diffs.join("; "));
            if diffs.iter().any(|d| d.starts_with("AUTHENTICATION_OIDC_ISSUER")) && self.idp_listen.is_none() {
                why.push_str(" (bind the suite's provider where the issuer points with --idp-listen)");
            }
            return Err(StartError::Unavailable(why));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| StartError::Unavailable(format!("http client: {e}")))?;
        let ready = format!("{}/v1/.well-known/ready", self.url);
        match http.get(&ready).send().await {
            Ok(r) if r.status().as_u16() == 200 => Ok(self.url.clone()),
            Ok(r) => Err(StartError::Unavailable(format!("{ready} answered {}", r.status()))),
            Err(e) => Err(StartError::Unavailable(format!("{ready}: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn env_files_take_comments_exports_and_quotes_and_refuse_lines_without_equals() {
        let env = parse_env_file("# c\n\nexport A=1\nB=\"x,y\"\nC='z'\nD=\n").expect("parses");
        assert_eq!(env, map(&[("A", "1"), ("B", "x,y"), ("C", "z"), ("D", "")]));
        assert!(parse_env_file("NOPE").unwrap_err().to_string().contains("line 1"));
    }

    #[test]
    fn only_auth_variables_are_compared_and_a_false_switch_equals_an_unset_one() {
        let e = External {
            url: "http://x".into(),
            grpc: None,
            env: map(&[
                ("AUTHENTICATION_APIKEY_ENABLED", "true"),
                ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "k"),
                ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
                ("PERSISTENCE_DATA_PATH", "/data"),
            ]),
            idp_listen: None,
        };
        let same = map(&[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "k"),
        ]);
        assert!(e.differences(&same).is_empty());
        let other = map(&[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "j"),
        ]);
        assert_eq!(
            e.differences(&other),
            ["AUTHENTICATION_APIKEY_ALLOWED_KEYS: scenario \"j\", this Weaviate \"k\""]
        );
        let anon = map(&[("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")]);
        assert_eq!(e.differences(&anon).len(), 3, "{:?}", e.differences(&anon));
    }
}
