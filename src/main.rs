//! `oidc-harness`: the command line. Each subcommand parses its flags and makes one library call.

mod cli_conformance;
mod cli_mint;
mod cli_sweep;
mod shutdown;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mock_idp::secret::Secret;
use mock_idp::Config;

/// Mock OpenID Connect provider, Weaviate auth emulation and conformance suite.
#[derive(Debug, Parser)]
#[command(name = "oidc-harness", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the mock OpenID Connect provider.
    ///
    /// Settings come from, in order of precedence: flags, then environment variables, then the
    /// config file, then the built-in default (fixtures/configs/default.toml). Once it accepts
    /// connections it prints one JSON line on stdout: {"event":"ready","issuer":...}. Logs go to
    /// stderr (filter with RUST_LOG; RUST_LOG=debug also traces each request's method and path).
    /// It stops on SIGTERM or Ctrl-C, finishing in-flight requests.
    /// It refuses to listen beyond loopback while its _mock/ test controls are open (no admin
    /// token), unless --insecure-open-controls says so. GET {issuer}/_mock/presets lists the
    /// bad-token presets with what Weaviate v1.38.11 answers to each (expected_status,
    /// expected_error, expected; `oidc-harness presets --format json` prints the same).
    Idp(IdpArgs),
    /// Serve the Weaviate auth emulation, configured by Weaviate's own environment variables.
    ///
    /// Reads AUTHENTICATION_* and AUTHORIZATION_* from the process environment exactly as Weaviate
    /// v1.38.11 does. Once it accepts connections it prints one JSON line on stdout:
    /// {"event":"ready","rest":"http://ADDR","grpc":null}. A configuration Weaviate would refuse
    /// makes it log Weaviate's message and exit with status 1. It stops on SIGTERM or Ctrl-C.
    Weaviate(WeaviateArgs),
    /// Run the provider's honesty self-check (P26) and every conformance scenario.
    ///
    /// Starts the built-in provider in-process on a free loopback port, then exercises every
    /// capability its discovery document advertises (response types and modes, grants, client
    /// authentication methods, signing algorithms, PKCE methods) over HTTP. Then plays each
    /// scenario (fixtures/scenarios/*.toml) on the chosen target; a row per scenario reads
    /// `<scenario> @ <target>`. Prints one progress line per check and scenario on stderr and the
    /// report on stdout, ending with the counts (skipped rows included); exits non-zero if any
    /// check or scenario fails (or is skipped, with --fail-on-skip). --compare plays two targets
    /// and fails on every difference fixtures/known-differences.toml does not list; --record
    /// and --check write and check a baseline file.
    Conformance(cli_conformance::ConformanceArgs),
    /// Mint a token in process, without a server, and print it (see --help for the presets).
    ///
    /// Builds the tenant from the configuration `idp` would serve (the built-in one by default)
    /// and mints as POST {issuer}/_mock/mint does. Prints the JSON token response on stdout, or
    /// just one token with --token.
    Mint(cli_mint::MintArgs),
    /// Print the bad-token preset catalogue (--format markdown is the README's table).
    Presets(cli_mint::PresetsArgs),
    /// Print the known differences between the emulation and Weaviate as the README's section.
    ///
    /// Reads fixtures/known-differences.toml (or --file) and fails, naming the entry, when one
    /// names a scenario or step that does not exist.
    KnownDifferences(cli_conformance::KnownDifferencesArgs),
    /// Walk Weaviate's login troubleshooting checklist against a running Weaviate.
    ///
    /// Checks, in order: REST (ready, version), the gRPC port (a grpc.health.v1 Check),
    /// /v1/.well-known/openid-configuration, the provider's discovery and JWKS, the credential
    /// (API key or JWT; a JWT's header and claims are decoded, not trusted, and compared with
    /// Weaviate's issuer and client id), what /v1/users/own-info answers, and whether the
    /// credential passes authentication on gRPC (a TenantsGet call). Prints one line per layer
    /// with what to try; exits non-zero when a layer fails.
    Doctor(DoctorArgs),
    /// Compare the emulation with a real Weaviate on every published operation (the parity sweep).
    ///
    /// The operations are read at run time from Weaviate's Go module at the pinned version
    /// (github.com/weaviate/weaviate@v1.38.11: openapi-specs/schema.json and
    /// grpc/proto/v1/weaviate.proto), found with `go mod download -json`
    /// (OIDC_HARNESS_WEAVIATE_SOURCE names another folder). Each REST operation and each gRPC
    /// method the official clients call is sent under nine kinds of credential (none, wrong-key,
    /// malformed-token, expired-oidc, outsider-oidc, read-only-key, read-only-oidc, admin-oidc,
    /// admin-key) and three kinds of bad input (wrong-content-type, invalid-json, unknown-class),
    /// in seven auth configurations (anonymous-on, anonymous-off, admin-list, rbac, oidc-only,
    /// keys-only, oidc-https), to the emulation and the real target at once, in a fixed order,
    /// restoring a fixture collection after every operation that may write. Whole answers are
    /// compared after normalization (status, content type, body; gRPC code and message).
    ///
    /// Every difference must be excused by a `scope = "sweep"` entry of the known-differences
    /// file (fields: crates/conformance/src/sweep/known.rs); an unknown difference or a stale
    /// entry (it excuses nothing; a partial run judges only entries whose requests now agree)
    /// makes the exit status non-zero. Progress goes to stderr, one line per configuration; the
    /// summary to stdout.
    Sweep(cli_sweep::SweepArgs),
}

#[derive(Debug, clap::Args)]
struct DoctorArgs {
    /// Weaviate's REST URL, e.g. http://localhost:8080.
    #[arg(long)]
    url: String,
    /// Weaviate's gRPC HOST:PORT. Default: the URL's host, port 50051.
    #[arg(long)]
    grpc: Option<String>,
    /// An API key.
    #[arg(long, conflicts_with_all = ["bearer", "username"])]
    api_key: Option<Secret>,
    /// A bearer token (an OIDC access or ID token).
    #[arg(long, conflicts_with = "username")]
    bearer: Option<Secret>,
    /// A username for the provider's password grant (with --password).
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// The password of --username.
    #[arg(long, requires = "username")]
    password: Option<Secret>,
    /// The client of the password grant. Default: the clientId Weaviate advertises.
    #[arg(long, requires = "username")]
    client_id: Option<String>,
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
    /// Address to listen on; port 0 picks a free port. Default: the file's server.listen, else
    /// 127.0.0.1:8080. Beyond loopback the provider refuses to start while its _mock/ test
    /// controls are open: set an admin token, or see --insecure-open-controls.
    #[arg(long, env = "OIDC_HARNESS_LISTEN")]
    listen: Option<String>,
    /// Admin token of the _mock/ test controls (replaces the file's server.admin_token). With any
    /// admin token configured, every _mock/ route but /_mock/ready and /_mock/ca.pem needs
    /// `Authorization: Bearer <token>`. A flag's value shows in the process list: prefer the
    /// environment variable or --admin-token-file.
    #[arg(
        long,
        env = "OIDC_HARNESS_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "admin_token_file"
    )]
    admin_token: Option<Secret>,
    /// Read the admin token from this file (its first line), e.g. a Docker or Kubernetes secret.
    #[arg(long, env = "OIDC_HARNESS_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// Start even though the provider listens beyond loopback with no admin token, leaving its
    /// _mock/ test controls open to anyone who can reach the port. They can then mint tokens
    /// that every relying party trusting these issuers accepts, replace, hide or delete signing
    /// keys, delete an issuer and create it again under the same URL with new keys, add users
    /// and clients, arm faults that break discovery and the JWKS, move the clock, reset tenants,
    /// export private keys where export_keys is on, and read the journal of who logged in.
    /// Only for a throw-away provider on a network you alone use.
    #[arg(long, env = "OIDC_HARNESS_INSECURE_OPEN_CONTROLS")]
    insecure_open_controls: bool,
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
    /// The admin token from --admin-token (or its variable) or the first line of --admin-token-file.
    fn admin_token(&self) -> anyhow::Result<Option<mock_idp::AdminToken>> {
        if let Some(t) = &self.admin_token {
            return Ok(Some(t.expose().into()));
        }
        let Some(path) = &self.admin_token_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the admin token file {}", path.display()))?;
        let token = text.lines().next().unwrap_or("").trim();
        anyhow::ensure!(!token.is_empty(), "the admin token file {} is empty", path.display());
        Ok(Some(token.into()))
    }

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
        Command::Weaviate(args) => rt.block_on(run_weaviate(args)),
        Command::Conformance(args) => rt.block_on(cli_conformance::run_conformance(args)),
        Command::KnownDifferences(args) => cli_conformance::run_known_differences(&args),
        Command::Mint(args) => cli_mint::run_mint(&args),
        Command::Presets(args) => cli_mint::run_presets(&args),
        Command::Doctor(args) => rt.block_on(run_doctor(args)),
        Command::Sweep(args) => rt.block_on(cli_sweep::run_sweep(args)),
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
    let mut grpc_listener = None;
    if let Some(grpc_listen) = &args.grpc_listen {
        let l = tokio::net::TcpListener::bind(grpc_listen)
            .await
            .with_context(|| format!("listening on {grpc_listen}"))?;
        grpc = serde_json::Value::String(l.local_addr().context("reading the bound gRPC address")?.to_string());
        grpc_listener = Some(l);
    }
    tracing::info!(%addr, grpc = %grpc, "weaviate emulation listening");
    let ready = serde_json::json!({"event": "ready", "rest": rest, "grpc": grpc});
    let shutdown = shutdown_signal()?;
    #[allow(clippy::print_stdout)]
    {
        println!("{ready}");
    }
    // R12: both servers stop on the signal, and the process waits for both (bounded, as `idp`).
    let served = shutdown::serve_with_grace(shutdown, shutdown::GRACE, |stop| async move {
        let (stopped, fired) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            stop.await;
            let _ = stopped.send(true);
        });
        let signalled = |mut fired: tokio::sync::watch::Receiver<bool>| async move {
            let _ = fired.wait_for(|f| *f).await;
        };
        let rest = async {
            weaviate_auth_emu::serve(listener, state.clone(), signalled(fired.clone()))
                .await
                .context("serving REST")
        };
        let grpc = async {
            match grpc_listener {
                Some(l) => weaviate_auth_emu::serve_grpc(l, state.clone(), signalled(fired.clone()))
                    .await
                    .context("serving gRPC"),
                None => Ok(()),
            }
        };
        tokio::try_join!(rest, grpc).map(|_| ())
    })
    .await;
    stopped(served)
}

/// Ends a server command after `shutdown::serve_with_grace`: the server's own result, or a warning
/// when requests were still open after the grace period.
fn stopped(served: Option<anyhow::Result<()>>) -> anyhow::Result<()> {
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

async fn run_idp(args: IdpArgs) -> anyhow::Result<()> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path).with_context(|| format!("loading {}", path.display()))?,
        None => Config::builtin(),
    };
    if let Some(base) = args.base_url.clone() {
        config.server.base_url = Some(base);
    }
    if let Some(token) = args.admin_token()? {
        config.server.admin_token = Some(token);
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
    if let Some(exposure) = mock_idp::open_exposure(addr, &config) {
        if !args.insecure_open_controls {
            anyhow::bail!(
                "refusing to start: {exposure}. Set an admin token (OIDC_HARNESS_ADMIN_TOKEN, --admin-token-file or \
                 server.admin_token), listen on loopback, turn the controls off (server.control = false), or pass \
                 --insecure-open-controls if an open test provider is what you want"
            );
        }
        tracing::warn!("{exposure} (--insecure-open-controls)");
    }
    let tls_options = args.tls_options(addr.port());
    let tls = tls_options
        .as_ref()
        .map(mock_idp::tls::TlsMaterial::build)
        .transpose()
        .context("preparing TLS")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The provider knows no relying party: its preset listing carries Weaviate's outcomes because
    // this program supplies them.
    let state = mock_idp::AppState::new(&config, &format!("{scheme}://{addr}"))
        .context("building the tenants")?
        .with_preset_expectations(mock_idp::presets::expectations(conformance::presets::listing_members));
    let issuers: Vec<serde_json::Value> = state
        .tenants()
        .iter()
        .map(|t| serde_json::json!({"name": t.name(), "issuer": t.issuer().as_str(), "discovery": t.discovery_url()}))
        .collect();
    let first = state.tenants().first().map(|t| t.issuer().as_str().to_owned()).unwrap_or_default();
    tracing::info!(%addr, "listening");
    let mut ready = serde_json::json!({"event": "ready", "issuer": first, "listen": addr.to_string(), "issuers": issuers});
    if let Some(ca_file) = tls_options.as_ref().and_then(|o| o.ca_out.as_ref()) {
        ready["ca_file"] = serde_json::json!(ca_file.display().to_string());
    }
    let shutdown = shutdown_signal()?;
    #[allow(clippy::print_stdout)]
    {
        println!("{ready}");
    }
    // P159: in-flight requests finish, but a hanging one (a hang fault) cannot hold the exit.
    let served = shutdown::serve_with_grace(shutdown, shutdown::GRACE, |stop| async move {
        match tls {
            Some(tls) => mock_idp::tls::serve_tls(listener, state, tls, stop).await.context("serving HTTPS"),
            None => mock_idp::serve_draining(listener, state, stop, mock_idp::DRAIN_WINDOW)
                .await
                .context("serving"),
        }
    })
    .await;
    stopped(served)
}

async fn run_doctor(args: DoctorArgs) -> anyhow::Result<()> {
    use conformance::doctor::{diagnose, Credential, Options};
    let credential = match (args.api_key, args.bearer, args.username, args.password) {
        (Some(k), _, _, _) => Credential::ApiKey(k),
        (_, Some(t), _, _) => Credential::Bearer(t),
        (_, _, Some(username), Some(password)) => Credential::Password {
            username,
            password,
            client_id: args.client_id,
        },
        _ => Credential::None,
    };
    let d = diagnose(&Options {
        url: args.url,
        grpc: args.grpc,
        credential,
    })
    .await;
    #[allow(clippy::print_stdout)]
    {
        print!("{}", d.text());
    }
    if d.failed() {
        anyhow::bail!("a layer failed; see the lines marked FAIL");
    }
    Ok(())
}

/// Installs the SIGTERM and Ctrl-C handlers at once and returns a future that resolves on
/// either. Installed before the ready line is printed: a signal sent as soon as the line is out
/// must already mean a graceful stop (P159), not the default action (killed by signal 15).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idp_args(args: &[&str]) -> Result<IdpArgs, clap::Error> {
        let cli = Cli::try_parse_from(["oidc-harness", "idp"].iter().chain(args))?;
        match cli.command {
            Command::Idp(a) => Ok(a),
            other => panic!("`oidc-harness idp ...` parsed as {other:?}"),
        }
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
