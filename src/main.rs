//! `oidc-harness`: the command line. Each subcommand parses its flags and makes one library call.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mock_idp::Config;

/// Mock OpenID Connect provider, Weaviate auth emulation and conformance suite.
#[derive(Debug, Parser)]
#[command(name = "oidc-harness", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the mock OpenID Connect provider.
    ///
    /// Settings come from, in order of precedence: flags, then environment variables, then the
    /// config file, then the built-in default (fixtures/configs/default.toml). Once it accepts
    /// connections it prints one JSON line on stdout: {"event":"ready","issuer":...}. Logs go to
    /// stderr (filter with RUST_LOG). It stops on SIGTERM or Ctrl-C, finishing in-flight requests.
    Idp(IdpArgs),
    /// Serve the Weaviate auth emulation, configured by Weaviate's own environment variables.
    ///
    /// Reads AUTHENTICATION_* and AUTHORIZATION_* from the process environment exactly as Weaviate
    /// v1.38.11 does. Once it accepts connections it prints one JSON line on stdout:
    /// {"event":"ready","rest":"http://ADDR","grpc":null}. A configuration Weaviate would refuse
    /// makes it log Weaviate's message and exit with status 1. It stops on SIGTERM or Ctrl-C.
    Weaviate(WeaviateArgs),
}

#[derive(Debug, clap::Args)]
struct WeaviateArgs {
    /// REST address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// gRPC address (HTTP/2 cleartext); no gRPC listener when absent.
    #[arg(long)]
    grpc_listen: Option<String>,
}

#[derive(Debug, clap::Args)]
struct IdpArgs {
    /// TOML configuration file; the built-in default when absent.
    #[arg(long, env = "OIDC_HARNESS_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port. Default: the file's server.listen, else 127.0.0.1:8080.
    #[arg(long, env = "OIDC_HARNESS_LISTEN")]
    listen: Option<String>,
    /// Base URL of every issuer (e.g. http://idp:8080 behind Docker). Default: http://{bound address}.
    #[arg(long, env = "OIDC_HARNESS_BASE_URL")]
    base_url: Option<String>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match cli.command {
        Command::Idp(args) => rt.block_on(run_idp(args)),
        Command::Weaviate(args) => rt.block_on(run_weaviate(args)),
    }
}

async fn run_weaviate(args: WeaviateArgs) -> anyhow::Result<()> {
    use weaviate_auth_emu::{AppState, Config, StartupError, StartupStage};
    // A refused start is logged as Weaviate logs it (one JSON line on stderr) and exits with 1.
    fn refuse(e: StartupError) -> ! {
        let (action, level) = match e.stage {
            StartupStage::LoadConfig => ("startup", "error"),
            StartupStage::OidcInit => ("oidc_init", "fatal"),
            StartupStage::ApiKeysInit => ("api_keys_init", "fatal"),
            _ => ("startup", "fatal"),
        };
        eprintln!("{}", serde_json::json!({"action": action, "level": level, "msg": e.message}));
        std::process::exit(1);
    }
    // vars_os: a variable that is not UTF-8 must not panic; it cannot be one of Weaviate's anyway.
    let vars = std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()));
    let config = Config::from_vars(vars).unwrap_or_else(|e| refuse(e));
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let rest = format!("http://{addr}");
    let state = AppState::start(config, rest.clone()).await.unwrap_or_else(|e| refuse(e));
    let mut grpc = serde_json::Value::Null;
    if let Some(grpc_listen) = &args.grpc_listen {
        let grpc_listener = tokio::net::TcpListener::bind(grpc_listen)
            .await
            .with_context(|| format!("listening on {grpc_listen}"))?;
        let grpc_addr = grpc_listener.local_addr().context("reading the bound gRPC address")?;
        grpc = serde_json::Value::String(grpc_addr.to_string());
        tokio::spawn(weaviate_auth_emu::serve_grpc(grpc_listener, state.clone(), shutdown_signal()));
    }
    tracing::info!(%addr, grpc = %grpc, "weaviate emulation listening");
    let ready = serde_json::json!({"event": "ready", "rest": rest, "grpc": grpc});
    #[allow(clippy::print_stdout)]
    {
        println!("{ready}");
    }
    weaviate_auth_emu::serve(listener, state, shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

async fn run_idp(args: IdpArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => Config::builtin(),
    };
    if let Some(base) = args.base_url {
        config.server.base_url = Some(base);
    }
    config.validate().map_err(|(field, reason)| anyhow::anyhow!("{field}: {reason}"))?;
    let listen = args
        .listen
        .or_else(|| config.server.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    let state = mock_idp::AppState::new(&config, &format!("http://{addr}")).context("building the tenants")?;
    let issuers: Vec<serde_json::Value> = state
        .tenants()
        .iter()
        .map(|t| serde_json::json!({"name": t.name, "issuer": t.issuer.as_str(), "discovery": t.discovery_url()}))
        .collect();
    let first = state.tenants().first().map(|t| t.issuer.as_str().to_owned()).unwrap_or_default();
    tracing::info!(%addr, "listening");
    let ready = serde_json::json!({"event": "ready", "issuer": first, "listen": addr.to_string(), "issuers": issuers});
    #[allow(clippy::print_stdout)]
    {
        println!("{ready}");
    }
    mock_idp::serve(listener, state, shutdown_signal()).await.context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
