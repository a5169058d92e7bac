//! `oidc-harness`: the command line. Each subcommand parses its flags and makes one library call.

mod cli_mint;
mod shutdown;

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
    /// Mint a token in process, without a server, and print it (see --help for the presets).
    ///
    /// Builds the tenant from the configuration `idp` would serve (the built-in one by default)
    /// and mints as POST {issuer}/_mock/mint does. Prints the JSON token response on stdout, or
    /// just one token with --token.
    Mint(cli_mint::MintArgs),
    /// Print the bad-token preset catalogue (--format markdown is the README's table).
    Presets(cli_mint::PresetsArgs),
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
    /// Serve HTTPS with a generated CA and server certificate; issuers then use https (P153).
    #[arg(long, env = "OIDC_HARNESS_TLS")]
    tls: bool,
    /// Extra host names the generated certificate covers, comma-separated (localhost, 127.0.0.1
    /// and ::1 always are).
    #[arg(long, env = "OIDC_HARNESS_TLS_HOSTS", value_delimiter = ',', requires = "tls")]
    tls_hosts: Vec<String>,
    /// Write the generated CA certificate (PEM) here. Default: a file in the temp folder, named
    /// on the ready line as "ca_file".
    #[arg(long, env = "OIDC_HARNESS_TLS_CA_OUT", requires = "tls")]
    tls_ca_out: Option<PathBuf>,
    /// Derive the CA key from this seed, so restarts keep the same CA key.
    #[arg(long, env = "OIDC_HARNESS_TLS_CA_SEED", requires = "tls")]
    tls_ca_seed: Option<String>,
    /// Keep the CA (ca.pem, ca-key.pem) in this folder and reuse it on the next start.
    #[arg(long, env = "OIDC_HARNESS_TLS_CA_DIR", requires = "tls")]
    tls_ca_dir: Option<PathBuf>,
    /// Serve this PEM certificate chain instead of generating one (with --tls-key; implies TLS).
    #[arg(long, env = "OIDC_HARNESS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "OIDC_HARNESS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve a broken certificate: expired_certificate, wrong_hostname or untrusted_ca (P156).
    #[arg(long, env = "OIDC_HARNESS_TLS_FAULT", requires = "tls", value_parser = parse_tls_fault)]
    tls_fault: Option<mock_idp::tls::TlsFault>,
}

fn parse_tls_fault(s: &str) -> Result<mock_idp::tls::TlsFault, String> {
    mock_idp::tls::TlsFault::parse(s).ok_or_else(|| {
        let all: Vec<&str> = mock_idp::tls::TlsFault::ALL.iter().map(|f| f.as_str()).collect();
        format!("expected one of {}", all.join(", "))
    })
}

impl IdpArgs {
    /// The TLS options the flags ask for; `None` for plain HTTP.
    fn tls_options(&self, port: u16) -> Option<mock_idp::tls::TlsOptions> {
        let own = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(mock_idp::tls::PemFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        if !self.tls && own.is_none() {
            return None;
        }
        let ca_out = match (&own, &self.tls_ca_out) {
            (Some(_), _) => None,
            (None, Some(out)) => Some(out.clone()),
            (None, None) => Some(std::env::temp_dir().join(format!("oidc-harness-{port}-ca.pem"))),
        };
        Some(mock_idp::tls::TlsOptions {
            hosts: self.tls_hosts.clone(),
            ca_seed: self.tls_ca_seed.clone(),
            ca_dir: self.tls_ca_dir.clone(),
            ca_out,
            certificate: own,
            fault: self.tls_fault,
        })
    }
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
        Command::Idp(args) => {
            let result = rt.block_on(run_idp(args));
            // Connections a hang fault still holds must not delay the exit either (P159).
            rt.shutdown_timeout(std::time::Duration::from_millis(200));
            result
        }
        Command::Mint(args) => cli_mint::run_mint(&args),
        Command::Presets(args) => cli_mint::run_presets(&args),
    }
}

async fn run_idp(args: IdpArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => Config::builtin(),
    };
    if let Some(base) = args.base_url.clone() {
        config.server.base_url = Some(base);
    }
    config.validate().map_err(|(field, reason)| anyhow::anyhow!("{field}: {reason}"))?;
    let listen = args
        .listen
        .clone()
        .or_else(|| config.server.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr().context("reading the bound address")?;
    if let Some(warning) = mock_idp::server::exposure_warning(addr, &config) {
        tracing::warn!("{warning}");
    }
    let tls_options = args.tls_options(addr.port());
    let tls = tls_options
        .as_ref()
        .map(mock_idp::tls::TlsMaterial::build)
        .transpose()
        .context("preparing TLS")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let state = mock_idp::AppState::new(&config, &format!("{scheme}://{addr}")).context("building the tenants")?;
    let issuers: Vec<serde_json::Value> = state
        .tenants()
        .iter()
        .map(|t| serde_json::json!({"name": t.name, "issuer": t.issuer.as_str(), "discovery": t.discovery_url()}))
        .collect();
    let first = state.tenants().first().map(|t| t.issuer.as_str().to_owned()).unwrap_or_default();
    tracing::info!(%addr, "listening");
    let mut ready = serde_json::json!({"event": "ready", "issuer": first, "listen": addr.to_string(), "issuers": issuers});
    if let Some(ca_file) = tls_options.as_ref().and_then(|o| o.ca_out.as_ref()) {
        ready["ca_file"] = serde_json::json!(ca_file.display().to_string());
    }
    #[allow(clippy::print_stdout)]
    {
        println!("{ready}");
    }
    // P159: in-flight requests finish, but a hanging one (a hang fault) cannot hold the exit.
    let served = shutdown::serve_with_grace(shutdown_signal(), shutdown::GRACE, |stop| async move {
        match tls {
            Some(tls) => mock_idp::tls::serve_tls(listener, state, tls, stop).await.context("serving HTTPS"),
            None => mock_idp::serve(listener, state, stop).await.context("serving"),
        }
    })
    .await;
    match served {
        Some(result) => result?,
        None => tracing::warn!(
            grace_s = shutdown::GRACE.as_secs(),
            "requests still open after the grace period; stopping anyway"
        ),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn idp_args(args: &[&str]) -> Result<IdpArgs, clap::Error> {
        let cli = Cli::try_parse_from(["oidc-harness", "idp"].iter().chain(args))?;
        let Command::Idp(a) = cli.command else {
            panic!("the idp subcommand parses as Command::Idp")
        };
        Ok(a)
    }

    #[test]
    fn p153_tls_flags_become_tls_options_with_a_ca_file() {
        let a = idp_args(&[
            "--tls",
            "--tls-hosts",
            "idp,weaviate-idp",
            "--tls-ca-out",
            "ca.pem",
            "--tls-fault",
            "untrusted_ca",
        ])
        .unwrap();
        let o = a.tls_options(8443).expect("TLS is on");
        assert_eq!(o.hosts, ["idp", "weaviate-idp"]);
        assert_eq!(o.ca_out, Some(PathBuf::from("ca.pem")));
        assert_eq!(o.fault, Some(mock_idp::tls::TlsFault::UntrustedCa));
        // Without --tls-ca-out the CA still lands in a file the ready line can name.
        let o = idp_args(&["--tls"]).unwrap().tls_options(8443).unwrap();
        assert!(o.ca_out.is_some());
        assert!(idp_args(&[]).unwrap().tls_options(8443).is_none(), "plain HTTP by default");
    }

    #[test]
    fn p155_own_certificate_needs_both_files_and_writes_no_ca() {
        assert!(
            idp_args(&["--tls-cert", "c.pem"]).is_err(),
            "a certificate without its key is refused"
        );
        let o = idp_args(&["--tls-cert", "c.pem", "--tls-key", "k.pem"])
            .unwrap()
            .tls_options(1)
            .unwrap();
        assert!(o.certificate.is_some());
        assert_eq!(o.ca_out, None);
        assert!(idp_args(&["--tls-hosts", "a"]).is_err(), "--tls-hosts needs --tls");
    }
}
