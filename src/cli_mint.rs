//! The `mint` and `presets` subcommands: tokens and the bad-token catalogue without a server.
//!
//! `mint` builds the tenant from the same configuration `idp` serves (the built-in one by
//! default) and mints in process with `TokenBuilder`, exactly as `POST {issuer}/_mock/mint`
//! would. Keys come from the configuration (the built-in PEM fixtures, or seeds), so the same
//! configuration gives the same keys and kids, and the tokens verify against a running
//! `oidc-harness idp` whose issuer is the same. The preset list in `--help` and the
//! `presets` output are generated from `mock_idp::Preset` and, for what Weaviate answers to each,
//! `conformance::presets::weaviate_outcome`, so they cannot drift from the code.

use std::path::PathBuf;

use anyhow::Context;
use mock_idp::{Alg, Config, Preset, TokenBuilder, TokenKind};
use serde_json::Value;

/// Flags of `oidc-harness mint`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = presets_help())]
pub struct MintArgs {
    /// TOML configuration file; the built-in default when absent (as for `idp`).
    #[arg(long, env = "OIDC_HARNESS_CONFIG")]
    pub config: Option<PathBuf>,
    /// Tenant to mint in; default: the first one configured.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Base URL of the issuers, as `idp --base-url` takes it. Default: the file's
    /// server.base_url, else http://{server.listen}, else http://127.0.0.1:8080: the issuer a
    /// running `oidc-harness idp` with the same configuration and no flags has.
    #[arg(long, env = "OIDC_HARNESS_BASE_URL")]
    pub base_url: Option<String>,
    /// Username of a configured user whose claims the tokens carry (default: the tenant's
    /// default user, when the client signs users in).
    #[arg(long)]
    pub user: Option<String>,
    /// Client id (default: the tenant's default client).
    #[arg(long)]
    pub client: Option<String>,
    /// Audience; once gives a string `aud`, repeated gives an array.
    #[arg(long = "aud", value_name = "AUD")]
    pub aud: Vec<String>,
    /// Scope (checked like a token request's; default: the client's default scope).
    #[arg(long)]
    pub scope: Option<String>,
    /// Lifetime of the ID and access token, in seconds.
    #[arg(long = "lifetime-s", value_name = "N")]
    pub lifetime_s: Option<u64>,
    /// Signing algorithm; a key of the tenant must support it (none and HS* only via a preset).
    #[arg(long, value_parser = parse_alg)]
    pub alg: Option<Alg>,
    /// A bad-token preset (the list follows); snake_case aliases are accepted too.
    #[arg(long, value_parser = parse_preset)]
    pub preset: Option<Preset>,
    /// Extra claim, merged last: NAME=VALUE where VALUE is JSON (`null` stays null); text that
    /// is not JSON is taken as a string. Repeatable.
    #[arg(long = "claim", value_name = "NAME=JSON", value_parser = parse_claim)]
    pub claims: Vec<(String, Value)>,
    /// Print only this token instead of the JSON token response. A refresh token is stored in
    /// this process only, so a running idp will not redeem it.
    #[arg(long, value_enum)]
    pub token: Option<TokenChoice>,
}

/// `--token`: which single token to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenChoice {
    /// The access token (a JWT).
    Access,
    /// The ID token.
    Id,
    /// The (opaque) refresh token.
    Refresh,
}

/// Flags of `oidc-harness presets`.
#[derive(Debug, clap::Args)]
pub struct PresetsArgs {
    /// `table`: name and description; `markdown`: the README table (with Weaviate's answer to
    /// each); `json`: what `GET {issuer}/_mock/presets` of `oidc-harness idp` serves (with
    /// Weaviate's answer as `expected_status`, `expected_error`, `expected`).
    #[arg(long, value_enum, default_value_t = PresetsFormat::Table)]
    pub format: PresetsFormat,
}

/// Output format of `presets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PresetsFormat {
    /// Aligned plain text, one preset a line.
    Table,
    /// The markdown table the README embeds (`conformance::presets::markdown_table`).
    Markdown,
    /// The `_mock/presets` listing of `oidc-harness idp`, Weaviate's outcomes included.
    Json,
}

fn parse_alg(s: &str) -> Result<Alg, String> {
    Alg::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Alg::ALL.iter().map(|a| a.as_str()).collect();
        format!("expected one of {} (alg none and HS* only through a preset)", all.join(", "))
    })
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    Preset::parse(s).ok_or_else(|| format!("unknown preset {s:?}; `oidc-harness presets` lists them"))
}

fn parse_claim(s: &str) -> Result<(String, Value), String> {
    let (name, value) = s.split_once('=').ok_or("expected NAME=VALUE")?;
    if name.is_empty() {
        return Err("the claim name is empty".into());
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((name.to_owned(), value))
}

/// The presets as aligned lines: `name  description`.
pub fn preset_lines() -> String {
    let width = Preset::ALL.iter().map(|p| p.name().len()).max().unwrap_or(0);
    Preset::ALL
        .iter()
        .map(|p| format!("  {:width$}  {}\n", p.name(), p.spec().description))
        .collect()
}

/// The long help's epilogue: where keys come from, and every preset.
pub fn presets_help() -> String {
    format!(
        "Keys come from the configuration: the built-in one uses fixed test keys (fixtures/keys), so \
         a token minted here verifies against a running `oidc-harness idp` with the same \
         configuration and base URL (same issuer, same kids). A config without keys derives them \
         from seeds, with the same effect.\n\nPresets (--preset NAME; `oidc-harness presets` shows \
         the expected outcomes):\n{}",
        preset_lines()
    )
}

impl MintArgs {
    /// The `TokenBuilder` the flags describe.
    pub fn builder(&self) -> TokenBuilder {
        let mut b = TokenBuilder::new();
        if let Some(u) = &self.user {
            b = b.user(u);
        }
        if let Some(c) = &self.client {
            b = b.client_id(c);
        }
        match self.aud.as_slice() {
            [] => {}
            [one] => b = b.aud(one),
            many => b = b.audiences(many.iter().cloned()),
        }
        if let Some(s) = &self.scope {
            b = b.scope(s);
        }
        if let Some(l) = self.lifetime_s {
            b = b.lifetime_s(l);
        }
        if let Some(a) = self.alg {
            b = b.alg(a);
        }
        if let Some(p) = self.preset {
            b = b.preset(p);
        }
        for (name, value) in &self.claims {
            b = b.claim(name, value.clone());
        }
        if let Some(t) = self.token {
            b = b.tokens([match t {
                TokenChoice::Access => TokenKind::AccessToken,
                TokenChoice::Id => TokenKind::IdToken,
                TokenChoice::Refresh => TokenKind::RefreshToken,
            }]);
        }
        b
    }
}

/// Base URL a plain `idp` run would give issuers: server.base_url, else http://{server.listen}.
fn default_base(config: &Config) -> String {
    match &config.server.base_url {
        Some(b) => b.clone(),
        None => format!("http://{}", config.server.listen.as_deref().unwrap_or("127.0.0.1:8080")),
    }
}

/// Mints as the flags say and returns what `mint` prints (without the final newline).
pub fn mint(args: &MintArgs) -> anyhow::Result<String> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => Config::builtin(),
    };
    if let Some(base) = &args.base_url {
        config.server.base_url = Some(base.clone());
    }
    config.validate().map_err(|(field, reason)| anyhow::anyhow!("{field}: {reason}"))?;
    let base = default_base(&config);
    let state = mock_idp::AppState::new(&config, &base).context("building the tenants")?;
    let tenant = match &args.tenant {
        Some(name) => state.tenant(name).with_context(|| {
            let names: Vec<String> = state.tenants().iter().map(|t| t.name().to_owned()).collect();
            format!("no tenant {name:?}; the configuration has {}", names.join(", "))
        })?,
        None => state.tenants().into_iter().next().context("the configuration has no tenant")?,
    };
    let minted = args.builder().mint(&tenant).context("minting")?;
    let one = |t: Option<String>, what: &str| t.with_context(|| format!("the mint gave no {what}"));
    Ok(match args.token {
        Some(TokenChoice::Access) => one(minted.access_token, "access token")?,
        Some(TokenChoice::Id) => one(minted.id_token, "ID token")?,
        Some(TokenChoice::Refresh) => one(minted.refresh_token, "refresh token")?,
        None => serde_json::to_string(&minted).context("serialising the token response")?,
    })
}

/// What `presets` prints, in `format`.
pub fn presets(format: PresetsFormat) -> String {
    match format {
        PresetsFormat::Table => preset_lines(),
        PresetsFormat::Markdown => conformance::presets::markdown_table(),
        PresetsFormat::Json => serde_json::to_string_pretty(&conformance::presets::listing()).unwrap_or_default() + "\n",
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}

/// Runs `mint`: the token or the token response on stdout.
pub fn run_mint(args: &MintArgs) -> anyhow::Result<()> {
    emit(&(mint(args)? + "\n"))
}

/// Runs `presets`: the catalogue on stdout.
pub fn run_presets(args: &PresetsArgs) -> anyhow::Result<()> {
    emit(&presets(args.format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use clap::{CommandFactory, Parser};

    #[derive(Debug, Parser)]
    struct Mint {
        #[command(flatten)]
        args: MintArgs,
    }

    fn parse(args: &[&str]) -> Result<MintArgs, clap::Error> {
        Mint::try_parse_from(["mint"].iter().chain(args)).map(|m| m.args)
    }

    fn payload(jwt: &str) -> Value {
        let part = jwt.split('.').nth(1).expect("a JWT has a payload");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    }

    #[test]
    fn p131_mint_flags_become_a_token_builder() {
        let a = parse(&[
            "--user",
            "viewer",
            "--client",
            "weaviate",
            "--aud",
            "a",
            "--aud",
            "b",
            "--lifetime-s",
            "60",
            "--alg",
            "ES256",
            "--preset",
            "not_yet_valid",
            "--claim",
            "tier=\"gold\"",
            "--claim",
            "n=3",
            "--claim",
            "plain=text",
            "--token",
            "access",
        ])
        .unwrap();
        let want = TokenBuilder::new()
            .user("viewer")
            .client_id("weaviate")
            .audiences(["a", "b"])
            .lifetime_s(60)
            .alg(Alg::ES256)
            .preset(Preset::NotYetValid)
            .claim("tier", "gold")
            .claim("n", 3)
            .claim("plain", "text")
            .tokens([TokenKind::AccessToken]);
        assert_eq!(a.builder(), want);
        assert_eq!(parse(&["--aud", "only"]).unwrap().builder(), TokenBuilder::new().aud("only"));
    }

    #[test]
    fn p133_mint_refuses_unknown_presets_unsafe_algorithms_and_bad_claims() {
        assert!(parse(&["--preset", "no-such-preset"]).is_err());
        assert!(parse(&["--alg", "none"]).is_err(), "alg none only through a preset");
        assert!(parse(&["--alg", "HS256"]).is_err());
        assert!(parse(&["--claim", "no-equals-sign"]).is_err());
        assert!(parse(&["--token", "bearer"]).is_err());
        // The fixed requests parse.
        assert!(parse(&["--preset", "alg-none", "--alg", "RS256", "--claim", "x=1", "--token", "id"]).is_ok());
    }

    #[test]
    fn p134_long_help_lists_every_preset_with_its_description() {
        let mut cmd = Mint::command();
        let help = cmd.render_long_help().to_string();
        for p in Preset::ALL {
            let line = help
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{} ", p.name())))
                .unwrap_or_else(|| panic!("--help lists {}", p.name()));
            assert!(line.contains(p.spec().description), "{line}");
        }
        assert!(help.contains("oidc-harness idp"), "the help says the tokens verify against idp");
    }

    #[test]
    fn p134_presets_formats_come_from_the_enum() {
        assert_eq!(presets(PresetsFormat::Markdown), conformance::presets::markdown_table());
        let json: Value = serde_json::from_str(&presets(PresetsFormat::Json)).unwrap();
        assert_eq!(json, conformance::presets::listing());
        assert_eq!(json["presets"][0]["expected_status"], 401, "Weaviate's outcome is in the listing");
        assert_eq!(presets(PresetsFormat::Table).lines().count(), Preset::ALL.len());
    }

    #[test]
    fn p131_mint_with_the_builtin_config_gives_a_token_for_the_default_issuer() {
        let out = mint(&parse(&["--user", "viewer", "--token", "access"]).unwrap()).unwrap();
        let claims = payload(&out);
        assert_eq!(claims["iss"], "http://127.0.0.1:8080/default");
        assert_eq!(claims["preferred_username"], "viewer");
        // The kid is the built-in fixture key's, which a served idp publishes too.
        let served = mock_idp::AppState::new(&Config::builtin(), "http://127.0.0.1:8080").unwrap();
        let active = served.tenants()[0].key_list().unwrap().active().unwrap().to_owned();
        let header = out.split('.').next().unwrap();
        let header: Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["kid"], active.as_str());
        // Without --token: the JSON token response.
        let response: Value = serde_json::from_str(&mint(&parse(&["--user", "admin"]).unwrap()).unwrap()).unwrap();
        assert_eq!(response["token_type"], "Bearer");
        assert!(response["access_token"].is_string() && response["id_token"].is_string());
        // --base-url moves the issuer, as it does for idp.
        let out = mint(&parse(&["--base-url", "http://idp:8080", "--token", "id"]).unwrap()).unwrap();
        assert_eq!(payload(&out)["iss"], "http://idp:8080/default");
    }

    #[test]
    fn p4_mint_names_an_unknown_tenant_and_an_unknown_user() {
        let err = mint(&parse(&["--tenant", "nope"]).unwrap()).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("default"), "{err}");
        let err = format!("{:#}", mint(&parse(&["--user", "nobody"]).unwrap()).unwrap_err());
        assert!(err.contains("nobody"), "{err}");
        assert!(mint(&parse(&["--tenant", "default", "--user", "admin"]).unwrap()).is_ok());
    }
}
