//! `oidc-harness sweep`: the parity sweep's flags, and the report files it writes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use conformance::sweep::{self, plan::Credential, plan::Selection};

/// Flags of `oidc-harness sweep` (its help is the `Sweep` command's doc in main.rs).
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The real Weaviate to compare the emulation with.
    #[arg(long, default_value = "weaviate-binary", value_parser = ["weaviate-binary", "docker"])]
    target: String,
    /// Play only these configurations (repeatable; all by default).
    #[arg(long = "config", value_name = "NAME")]
    configs: Vec<String>,
    /// Play only REST operations whose `METHOD /v1/path` contains this text (repeatable).
    #[arg(long = "only", value_name = "TEXT")]
    only: Vec<String>,
    /// Leave the gRPC methods out.
    #[arg(long)]
    no_grpc: bool,
    /// Send only these credential kinds (repeatable; all by default).
    #[arg(long = "credential", value_name = "KIND")]
    credentials: Vec<String>,
    /// The known-differences file.
    #[arg(long, default_value = "fixtures/known-differences.toml")]
    known: PathBuf,
    /// Write the Markdown report here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the report's JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Runs the sweep and writes its reports; an error when anything differs unexcused or an entry
/// is stale.
pub async fn run_sweep(args: SweepArgs) -> anyhow::Result<()> {
    let weaviate = conformance::Target::parse(&args.target).with_context(|| format!("unknown target {}", args.target))?;
    let credentials = args
        .credentials
        .iter()
        .map(|c| {
            Credential::parse(c).with_context(|| {
                let names: Vec<&str> = Credential::ALL.iter().map(|c| c.name()).collect();
                format!("unknown credential kind {c:?}: {}", names.join(", "))
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let text = std::fs::read_to_string(&args.known).with_context(|| format!("reading {}", args.known.display()))?;
    let known = sweep::known::parse(&text, &args.known.display().to_string()).map_err(anyhow::Error::msg)?;
    let dir = sweep::source::module_dir().map_err(anyhow::Error::msg)?;
    let published = sweep::source::read(&dir).map_err(anyhow::Error::msg)?;
    let opts = sweep::Options {
        weaviate,
        configs: args.configs,
        selection: Selection {
            only: args.only,
            no_grpc: args.no_grpc,
            credentials,
        },
        known,
    };
    opts.chosen_configs().map_err(anyhow::Error::msg)?;
    let result = sweep::run(&published, &opts, |line| eprintln!("{line}"))
        .await
        .map_err(anyhow::Error::msg)?;
    let report = sweep::report::build(&result);
    if let Some(path) = &args.out {
        write(path, &sweep::report::markdown(&report))?;
    }
    if let Some(path) = &args.json {
        write(path, &format!("{:#}\n", serde_json::to_value(&report)?))?;
    }
    let (embedded, real) = result.target_times();
    #[allow(clippy::print_stdout)]
    {
        for u in result.unknown().take(40) {
            println!(
                "unknown {} {} {} {}: embedded {} / {} {}",
                u.config,
                u.request.credential.name(),
                u.request.input.name(),
                u.request.call.label(),
                u.embedded.summary(),
                result.target,
                u.weaviate.summary()
            );
        }
        for e in result.stale() {
            println!("stale   {}: it excuses no difference of this run", e.id);
        }
        println!(
            "{} requests, {} identical, {} known differences, {} unknown, {} stale entries; embedded {:.1} s, {} {:.1} s, wall {:.1} s",
            report.requests,
            report.identical,
            report.known,
            report.unknown,
            report.stale.len(),
            embedded.as_secs_f64(),
            result.target,
            real.as_secs_f64(),
            result.wall.as_secs_f64()
        );
    }
    if !result.passed() {
        anyhow::bail!("the sweep found unknown differences or stale entries");
    }
    Ok(())
}
