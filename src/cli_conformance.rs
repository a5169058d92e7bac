//! The `conformance` and `known-differences` subcommands.
//!
//! `conformance` runs the provider's self-check, then plays the scenarios in one of four ways:
//! on one target (a report table), on two (`--compare A B`: every differing step fails unless
//! fixtures/known-differences.toml lists it), or against a baseline file (`--record FILE`
//! writes one, `--check FILE` plays again and lists what changed). Every way ends with the
//! number of skipped rows; `--fail-on-skip` makes any skip fail the run.
//!
//! Bad files (a baseline, the known-differences list) are read before anything is played, so
//! a typo fails in a second, not after a ten-minute run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use conformance::baseline::Baseline;
use conformance::known_differences::KnownDifferences;
use conformance::{Report, Scenario, Target};

/// Flags of `oidc-harness conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Where the scenarios' Weaviate runs: embedded (the in-process emulation), weaviate-binary
    /// (the real weaviate-server: WEAVIATE_BIN, else PATH, else $HOME/go/bin),
    /// weaviate-binary@vX.Y.Z (that release, built once with `go install` into
    /// $OIDC_HARNESS_WEAVIATE_CACHE or the user's cache folder), docker (the official image), or
    /// external (a running Weaviate: --url, --env-file). A target that cannot run here is a
    /// skip with its reason.
    #[arg(long, default_value = "embedded")]
    pub target: String,
    /// weaviate-binary: the Weaviate release to run, e.g. v1.30.17 (same as
    /// --target weaviate-binary@v1.30.17). Default: the pinned version.
    #[arg(long, value_name = "vX.Y.Z", conflicts_with = "compare")]
    pub weaviate_version: Option<String>,
    /// Play every scenario on two targets (both at once, each as for --target, e.g.
    /// `--compare weaviate-binary@v1.30.17 weaviate-binary`) and compare the whole normalized
    /// answers (status, content type, body, gRPC code and message) step by step. Every
    /// difference fails, unless the targets are the emulation and the pinned Weaviate and the
    /// known-differences file lists its step; a listed step that no longer differs fails too.
    #[arg(long, num_args = 2, value_names = ["A", "B"], conflicts_with_all = ["target", "record", "check"])]
    pub compare: Option<Vec<String>>,
    /// weaviate-binary: start a server for every scenario, instead of playing the scenarios of
    /// one environment one after the other on one server (the rule is in the README).
    #[arg(long, conflicts_with = "compare")]
    pub fresh_servers: bool,
    /// Write the normalized transcript of every scenario played on --target to FILE, as one
    /// sorted JSON document (a baseline for --check).
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    pub record: Option<PathBuf>,
    /// Play the scenarios on --target and fail on any difference from the baseline FILE,
    /// printing each differing step (the baseline's answer, then today's) and the counts.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// With --check: a scenario that is not in the baseline, or one of the baseline that was
    /// not played, fails instead of being reported.
    #[arg(long, requires = "check")]
    pub strict: bool,
    /// Fail when any check or scenario is skipped (a skip is never a pass, but by default it
    /// does not fail the run).
    #[arg(long)]
    pub fail_on_skip: bool,
    /// The known differences between the emulation and Weaviate, for --compare and --check.
    /// Default: known-differences.toml beside the scenario folder (fixtures/), else the list
    /// compiled into the binary when the built-in scenarios are played.
    #[arg(long, value_name = "FILE")]
    pub known_differences: Option<PathBuf>,
    /// external: the running Weaviate's REST URL.
    #[arg(long)]
    pub url: Option<String>,
    /// external: its gRPC HOST:PORT.
    #[arg(long)]
    pub grpc: Option<String>,
    /// external: the environment file it was started with (KEY=VALUE lines); a scenario runs
    /// only when its AUTHENTICATION_* / AUTHORIZATION_* variables are exactly these.
    #[arg(long)]
    pub env_file: Option<PathBuf>,
    /// external: where the suite's provider listens, the address in the server's
    /// AUTHENTICATION_OIDC_ISSUER (http://ADDR/default).
    #[arg(long)]
    pub idp_listen: Option<std::net::SocketAddr>,
    /// Folder of scenario files. Default: fixtures/scenarios of the repository around the
    /// current folder, else the scenarios compiled into the binary.
    #[arg(long)]
    pub scenarios: Option<PathBuf>,
    /// Also write the report as JUnit XML to this file (with --check: one test case per
    /// scenario, failed when it changed).
    #[arg(long)]
    pub junit: Option<PathBuf>,
}

/// Flags of `oidc-harness known-differences`.
#[derive(Debug, clap::Args)]
pub struct KnownDifferencesArgs {
    /// The file. Default: fixtures/known-differences.toml of the repository around the current
    /// folder, else the one compiled into the binary.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The scenario folder its entries name. Default: as for `conformance`.
    #[arg(long)]
    pub scenarios: Option<PathBuf>,
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// A plain-text table with a summary line.
    Table,
    /// One JSON object.
    Json,
}

/// `oidc-harness conformance`.
pub async fn run_conformance(args: ConformanceArgs) -> anyhow::Result<()> {
    // Everything the user gave is read before the first scenario plays.
    let (scenarios, dir) = load_scenarios(args.scenarios.as_deref())?;
    let known = known_differences(args.known_differences.as_deref(), dir.as_deref())?;
    known.validate(&scenarios)?;
    let baseline = args.check.as_deref().map(Baseline::read).transpose()?;

    // The targets too: a bad name or version, or a release that cannot be built, ends the run
    // before anything is played.
    let targets = match &args.compare {
        Some(pair) => vec![target_of(&pair[0], &args)?, target_of(&pair[1], &args)?],
        None => vec![match &args.weaviate_version {
            Some(v) if args.target == "weaviate-binary" => target_of(&format!("weaviate-binary@{v}"), &args)?,
            Some(_) => anyhow::bail!("--weaviate-version goes with --target weaviate-binary, not {}", args.target),
            None => target_of(&args.target, &args)?,
        }],
    };
    for t in &targets {
        prepare(t)?;
    }

    let idp = mock_idp::MockIdp::start().await;
    tracing::info!(issuer = %idp.issuer_url(), "self-check of the embedded provider");
    let progress = |row: &conformance::Row| eprintln!("{}", row.progress_line());
    let mut report = conformance::self_check_with(&idp.discovery_url(), &conformance::Credentials::default(), progress).await;
    let self_check = report.tally();
    let on_run = |run: &conformance::ScenarioRun| eprintln!("{}", run.row().progress_line());

    if let [a, b] = &targets[..] {
        let mut comparison = conformance::compare::compare(&scenarios, a, b, on_run).await;
        if conformance::compare::known_apply(a, b) {
            comparison.apply(&known);
        }
        print(&format!("self-check (P26): {}\n{}", self_check.line(), comparison.text()));
        let skipped = self_check.skipped + comparison.counts().runs.skipped;
        let ok = report.passed() && comparison.passed();
        return verdict(ok, skipped, args.fail_on_skip, "the targets differ, or a check or scenario failed");
    }

    let target = targets.into_iter().next().context("one target")?;
    let servers = if args.fresh_servers {
        conformance::schedule::Servers::Fresh
    } else {
        conformance::schedule::Servers::Shared
    };
    let target_name = target.name();
    let runs = conformance::schedule::run_all_with(&scenarios, target, servers, on_run).await;
    let played = conformance::Tally::of(runs.iter().map(|r| &r.outcome));
    let ok = if let Some(baseline) = &baseline {
        let check = baseline.check(&target_name, &runs, Some(&known));
        let rows = check.report(args.strict);
        report.rows.extend(rows.rows);
        write_junit(&args, &report)?;
        match args.format {
            Format::Table => print(&format!("self-check (P26): {}\n{}", self_check.line(), check.text(args.strict))),
            Format::Json => print(&format!("{:#}\n", report.json())),
        }
        report.passed() && check.passed(args.strict)
    } else {
        report.rows.extend(runs.iter().map(|r| r.row()));
        if let Some(path) = &args.record {
            let titles: BTreeMap<String, String> = scenarios.iter().map(|s| (s.name.clone(), s.title.clone())).collect();
            let text = Baseline::record(&target_name, &runs, &titles).to_text();
            std::fs::write(path, text).with_context(|| format!("writing the baseline {}", path.display()))?;
            eprintln!(
                "baseline of {} scenarios on {target_name} written to {}",
                runs.len(),
                path.display()
            );
        }
        write_junit(&args, &report)?;
        match args.format {
            Format::Table => print(&report.table()),
            Format::Json => print(&format!("{:#}\n", report.json())),
        }
        report.passed()
    };
    let what = if baseline.is_some() {
        "the answers differ from the baseline, or a check failed"
    } else {
        "a check or scenario failed"
    };
    verdict(ok, self_check.skipped + played.skipped, args.fail_on_skip, what)
}

/// `oidc-harness known-differences`: the README's section, after checking every entry.
pub fn run_known_differences(args: &KnownDifferencesArgs) -> anyhow::Result<()> {
    let (scenarios, dir) = load_scenarios(args.scenarios.as_deref())?;
    let known = known_differences(args.file.as_deref(), dir.as_deref())?;
    known.validate(&scenarios)?;
    print(&known.markdown());
    Ok(())
}

/// The exit: an error when `ok` is false, or when a row was skipped under `--fail-on-skip`.
fn verdict(ok: bool, skipped: usize, fail_on_skip: bool, what: &str) -> anyhow::Result<()> {
    if !ok {
        anyhow::bail!("{what}");
    }
    if skipped > 0 {
        if fail_on_skip {
            anyhow::bail!("{skipped} row(s) skipped, and --fail-on-skip makes a skip fail");
        }
        eprintln!("{skipped} row(s) skipped: not passed, not failed (--fail-on-skip makes a skip fail)");
    }
    Ok(())
}

#[allow(clippy::print_stdout)] // The report is the command's output.
fn print(text: &str) {
    print!("{text}");
}

fn write_junit(args: &ConformanceArgs, report: &Report) -> anyhow::Result<()> {
    if let Some(path) = &args.junit {
        std::fs::write(path, report.junit("oidc-harness conformance")).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Builds what a target needs before the run (a Weaviate release not in the cache yet), with
/// Go's progress on stderr.
fn prepare(target: &Target) -> anyhow::Result<()> {
    target
        .prepare(|line| eprintln!("{}: {line}", target.name()))
        .map_err(|e| anyhow::anyhow!("{}: {e}", target.name()))
}

/// The target called `name` (`weaviate-binary@vX.Y.Z` too); `external` takes --url, --grpc,
/// --env-file and --idp-listen.
fn target_of(name: &str, args: &ConformanceArgs) -> anyhow::Result<Target> {
    if name != "external" {
        return Target::from_spec(name).map_err(|e| anyhow::anyhow!(e));
    }
    let url = args.url.clone().context("--target external needs --url")?;
    let path = args
        .env_file
        .as_ref()
        .context("--target external needs --env-file: the variables that Weaviate was started with")?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let env = conformance::target::parse_env_file(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Target::External(std::sync::Arc::new(conformance::target::External {
        url: url.trim_end_matches('/').to_owned(),
        grpc: args.grpc.clone(),
        env,
        idp_listen: args.idp_listen,
    })))
}

/// The scenarios of `dir`; without one, fixtures/scenarios of the nearest enclosing folder that
/// has it, else the list compiled into the binary. Also returns the folder read (`None`: the
/// built-in list).
fn load_scenarios(dir: Option<&Path>) -> anyhow::Result<(Vec<Scenario>, Option<PathBuf>)> {
    if let Some(d) = dir {
        return Ok((conformance::scenario::load_dir(d)?, Some(d.to_owned())));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    for base in cwd.ancestors() {
        let d = base.join("fixtures/scenarios");
        if d.is_dir() {
            return Ok((conformance::scenario::load_dir(&d)?, Some(d)));
        }
    }
    Ok((conformance::scenario::builtin()?, None))
}

/// `file`; else known-differences.toml beside the scenario folder `dir` (none there: an empty
/// list); else, for the built-in scenarios, the built-in list.
fn known_differences(file: Option<&Path>, dir: Option<&Path>) -> anyhow::Result<KnownDifferences> {
    if let Some(f) = file {
        return Ok(KnownDifferences::load(f)?);
    }
    match dir {
        Some(d) => {
            let beside = d.parent().unwrap_or(Path::new(".")).join("known-differences.toml");
            if beside.is_file() {
                Ok(KnownDifferences::load(&beside)?)
            } else {
                Ok(KnownDifferences::default())
            }
        }
        None => Ok(KnownDifferences::builtin()?),
    }
}
