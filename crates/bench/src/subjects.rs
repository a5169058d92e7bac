//! The subjects: our provider, the Weaviate layer, the axum ceiling and the peers. Each peer is
//! installed from its registry into the cache folder on first use; when it cannot be, the reason
//! is returned and the subject is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Version pins of the peers.
pub const OAUTH2_MOCK_SERVER: &str = "9.3.0";
/// oidc-provider (npm).
pub const OIDC_PROVIDER: &str = "9.13.3";
/// navikt's mock-oauth2-server (Maven Central).
pub const NAVIKT: &str = "6.0.2";
/// logback-classic, which navikt's standalone server needs on its classpath.
pub const LOGBACK: &str = "1.5.18";
/// keycloak-quarkus-dist (Maven Central).
pub const KEYCLOAK: &str = "26.7.3";
/// The Weaviate version whose test/docker/mockoidc is built, as pinned by the project.
pub const WEAVIATE: &str = "v1.38.11";

/// Every subject, in run order.
pub const ALL: &[&str] = &[
    "oidc-harness",
    "weaviate-emu",
    "axum-hello",
    "oauth2-mock-server",
    "oidc-provider",
    "navikt",
    "keycloak",
    "mockoidc",
    "weaviate-server",
];

/// Where a subject's endpoints are and which grants it offers.
#[derive(Debug, Clone)]
pub struct Oidc {
    /// Discovery document URL.
    pub discovery: String,
    /// JWKS URL.
    pub jwks: String,
    /// Token endpoint, when client_credentials is offered.
    pub token: Option<String>,
    /// Introspection endpoint.
    pub introspect: Option<String>,
    /// Token endpoint of an issuer that signs ES256, with the same client (ours only).
    pub token_es256: Option<String>,
    /// Token endpoint of an issuer that signs EdDSA (Ed25519), with the same client (ours only).
    pub token_eddsa: Option<String>,
    /// A confidential client with client_credentials (id, secret).
    pub client: (String, String),
    /// Password grant: (client_id, client_secret when confidential, username, password).
    pub password: Option<(String, Option<String>, String, String)>,
}

/// What a subject serves (a handful exist per run: boxing the large variant gains nothing).
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Api {
    /// An OpenID provider.
    Oidc(Oidc),
    /// A Weaviate REST API (the embedded layer or the real server) with OIDC and an API key.
    Weaviate {
        /// REST base URL.
        rest: String,
    },
    /// The hello-world ceiling.
    Hello {
        /// Its only URL.
        url: String,
    },
}

/// How to start one subject.
pub struct Launch {
    /// The command, not yet spawned.
    pub cmd: Command,
    /// Polled until 2xx: startup is measured to its first success.
    pub ready_url: String,
    /// Its endpoints.
    pub api: Api,
    /// Said beside its figures.
    pub note: Option<String>,
    /// How long it may take to be ready.
    pub ready_timeout: Duration,
}

/// What preparing a subject needs.
pub struct Ctx {
    /// Cache folder for installed peers (under target/).
    pub cache: PathBuf,
    /// Folder of the release binaries (oidc-harness, hello).
    pub bin_dir: PathBuf,
    /// The issuer of the provider the Weaviate subjects trust (started by the caller).
    pub issuer: Option<String>,
}

/// The API key the Weaviate subjects accept.
pub const API_KEY: &str = "bench-key";

/// Installs (when needed) and describes subject `name`; `Err` is the reason to skip it.
pub fn prepare(name: &str, ctx: &Ctx) -> Result<Launch, String> {
    let port = crate::procs::free_port().map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{port}");
    match name {
        "oidc-harness" => {
            let config = write_config(ctx)?;
            let mut cmd = Command::new(release_bin(ctx, "oidc-harness")?);
            cmd.args(["idp", "--listen", &format!("127.0.0.1:{port}"), "--config"]).arg(config);
            let iss = format!("{base}/default");
            Ok(launch(cmd, ours(&iss), None, 30))
        }
        "weaviate-emu" | "weaviate-server" => weaviate(name, ctx, port),
        "axum-hello" => {
            let mut cmd = Command::new(release_bin(ctx, "hello")?);
            cmd.arg(format!("127.0.0.1:{port}"));
            Ok(launch(cmd, Api::Hello { url: format!("{base}/") }, None, 30))
        }
        "oauth2-mock-server" => {
            let dir = npm_install(ctx, "oauth2-mock-server", OAUTH2_MOCK_SERVER)?;
            let mut cmd = Command::new("node");
            cmd.arg(dir.join("node_modules/oauth2-mock-server/dist/oauth2-mock-server.mjs"))
                .args(["-a", "127.0.0.1", "-p", &port.to_string()]);
            let api = Oidc {
                discovery: format!("{base}/.well-known/openid-configuration"),
                jwks: format!("{base}/jwks"),
                token: Some(format!("{base}/token")),
                introspect: Some(format!("{base}/introspect")),
                token_es256: None,
                token_eddsa: None,
                client: ("bench".into(), "bench-secret".into()),
                password: Some(("bench".into(), Some("bench-secret".into()), "admin".into(), "admin-pass".into())),
            };
            let note = "its introspection answers {\"active\":true} for any token, checking nothing";
            Ok(launch(cmd, Api::Oidc(api), Some(note), 60))
        }
        "oidc-provider" => {
            let dir = npm_install(ctx, "oidc-provider", OIDC_PROVIDER)?;
            let script = dir.join("oidc-provider-peer.mjs");
            std::fs::write(&script, OIDC_PROVIDER_CONFIG).map_err(|e| e.to_string())?;
            let mut cmd = Command::new("node");
            cmd.arg(&script).arg(port.to_string()).env("NODE_ENV", "production");
            let api = Oidc {
                discovery: format!("{base}/.well-known/openid-configuration"),
                jwks: format!("{base}/jwks"),
                token: Some(format!("{base}/token")),
                introspect: Some(format!("{base}/token/introspection")),
                token_es256: None,
                token_eddsa: None,
                client: ("bench".into(), "bench-secret".into()),
                password: None,
            };
            let note = "no password grant (oidc-provider does not implement it); JWT access tokens via resource indicators";
            Ok(launch(cmd, Api::Oidc(api), Some(note), 60))
        }
        "navikt" => navikt(ctx, port),
        "keycloak" => keycloak(ctx, port),
        "mockoidc" => mockoidc(ctx),
        other => Err(format!("unknown subject {other:?} (known: {})", ALL.join(", "))),
    }
}

fn launch(cmd: Command, api: Api, note: Option<&str>, timeout_s: u64) -> Launch {
    let ready_url = match &api {
        Api::Oidc(o) => o.discovery.clone(),
        Api::Weaviate { rest } => format!("{rest}/v1/.well-known/ready"),
        Api::Hello { url } => url.clone(),
    };
    Launch {
        cmd,
        ready_url,
        api,
        note: note.map(str::to_owned),
        ready_timeout: Duration::from_secs(timeout_s),
    }
}

/// The built-in configuration plus one issuer signing ES256 and one signing EdDSA (first key
/// signs; every issuer keeps an RS256 key, P20), each with the `ci-runner` client.
const EXTRA_TENANTS: &str = r#"
[[tenant]]
name = "es256"
[[tenant.keys]]
alg = "ES256"
pem_file = "../keys/default-es256.pem"
[[tenant.keys]]
alg = "RS256"
pem_file = "../keys/default-rs256.pem"
[[tenant.client]]
client_id = "ci-runner"
secrets = ["ci-runner-secret"]
grant_types = ["client_credentials"]
default_scope = "openid"

[[tenant]]
name = "eddsa"
[[tenant.keys]]
alg = "EdDSA"
pem_file = "../keys/default-eddsa.pem"
[[tenant.keys]]
alg = "RS256"
pem_file = "../keys/default-rs256.pem"
[[tenant.client]]
client_id = "ci-runner"
secrets = ["ci-runner-secret"]
grant_types = ["client_credentials"]
default_scope = "openid"
"#;

/// Writes our provider's configuration (`configs/bench.toml`, keys in `keys/`) under the cache.
fn write_config(ctx: &Ctx) -> Result<PathBuf, String> {
    let root = ctx.cache.join("oidc-harness");
    let keys = [
        ("default-rs256.pem", include_str!("../../../fixtures/keys/default-rs256.pem")),
        ("default-es256.pem", include_str!("../../../fixtures/keys/default-es256.pem")),
        ("default-eddsa.pem", include_str!("../../../fixtures/keys/default-eddsa.pem")),
    ];
    let err = |e: std::io::Error| e.to_string();
    std::fs::create_dir_all(root.join("keys")).map_err(err)?;
    std::fs::create_dir_all(root.join("configs")).map_err(err)?;
    for (name, pem) in keys {
        std::fs::write(root.join("keys").join(name), pem).map_err(err)?;
    }
    let config = root.join("configs/bench.toml");
    let text = format!("{}{EXTRA_TENANTS}", include_str!("../../../fixtures/configs/default.toml"));
    std::fs::write(&config, text).map_err(err)?;
    Ok(config)
}

/// Our provider's confidential client in the bench configuration: (id, secret).
pub const CLIENT: (&str, &str) = ("ci-runner", "ci-runner-secret");

/// Our provider's endpoints under `iss` with the built-in configuration's clients and users.
pub fn ours(iss: &str) -> Api {
    let base = iss.strip_suffix("/default").unwrap_or(iss);
    Api::Oidc(Oidc {
        token_es256: Some(format!("{base}/es256/token")),
        token_eddsa: Some(format!("{base}/eddsa/token")),
        discovery: format!("{iss}/.well-known/openid-configuration"),
        jwks: format!("{iss}/jwks"),
        token: Some(format!("{iss}/token")),
        introspect: Some(format!("{iss}/introspect")),
        client: (CLIENT.0.into(), CLIENT.1.into()),
        password: Some(("weaviate".into(), None, "admin".into(), "admin-pass".into())),
    })
}

fn release_bin(ctx: &Ctx, name: &str) -> Result<PathBuf, String> {
    let p = ctx.bin_dir.join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} not built (cargo build --release --bin {name})", p.display()))
    }
}

fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<(), String> {
    let file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let status = cmd.stdout(file).stderr(err).status().map_err(|e| format!("{what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status}); see {}", log.display()))
    }
}

/// `npm install pkg@version` into the cache's npm folder (once).
fn npm_install(ctx: &Ctx, pkg: &str, version: &str) -> Result<PathBuf, String> {
    let dir = ctx.cache.join("npm");
    let installed = dir.join("node_modules").join(pkg).join("package.json");
    let have = std::fs::read_to_string(&installed).unwrap_or_default();
    if have.contains(&format!("\"version\": \"{version}\"")) {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    eprintln!("installing {pkg}@{version} with npm");
    let mut cmd = Command::new("npm");
    cmd.args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(format!("{pkg}@{version}"));
    run_logged(&mut cmd, &ctx.cache.join(format!("install-{pkg}.log")), "npm install")?;
    Ok(dir)
}

/// oidc-provider's minimal configuration: one confidential client with client_credentials and
/// JWT (RS256) access tokens, introspection on, development keys.
const OIDC_PROVIDER_CONFIG: &str = r#"import Provider from 'oidc-provider';
const port = Number(process.argv[2]);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{ client_id: 'bench', client_secret: 'bench-secret', grant_types: ['client_credentials'],
    redirect_uris: [], response_types: [] }],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:bench',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience: 'urn:bench', accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});
provider.listen(port, '127.0.0.1');
"#;

/// A JDK of at least `min` major version: BENCH_JAVA_HOME, JAVA_HOME, the JDKs in the usual
/// system folder, then `java` on PATH; the newest that qualifies.
fn java(min: u32) -> Result<PathBuf, String> {
    let mut homes: Vec<PathBuf> = ["BENCH_JAVA_HOME", "JAVA_HOME"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect();
    if let Ok(dir) = std::fs::read_dir("/usr/lib/jvm") {
        homes.extend(dir.flatten().map(|e| e.path()));
    }
    if let Some(java) = which("java").and_then(|p| p.canonicalize().ok()) {
        homes.extend(java.parent().and_then(Path::parent).map(Path::to_path_buf));
    }
    let best = homes
        .into_iter()
        .map(|h| h.join("bin/java"))
        .filter(|j| j.is_file())
        .filter_map(|j| Some((java_major(&j)?, j)))
        .max_by_key(|(v, _)| *v);
    match best {
        Some((v, j)) if v >= min => Ok(j),
        Some((v, _)) => Err(format!("needs Java {min}+, newest found is {v} (set JAVA_HOME)")),
        None => Err(format!("needs Java {min}+, none found (set JAVA_HOME)")),
    }
}

fn java_major(java: &Path) -> Option<u32> {
    let out = Command::new(java).arg("-version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let v = text.split('"').nth(1)?;
    let mut parts = v.split('.');
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// navikt's standalone server: its jar and dependencies (plus logback-classic) copied by Maven.
fn navikt(ctx: &Ctx, port: u16) -> Result<Launch, String> {
    let java = java(21)?;
    let dir = ctx.cache.join(format!("navikt-{NAVIKT}"));
    let lib = dir.join("lib");
    if !lib.join(format!("mock-oauth2-server-{NAVIKT}.jar")).is_file() {
        which("mvn").ok_or("needs mvn (Maven) to fetch it from Maven Central")?;
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let pom = format!(
            "<project><modelVersion>4.0.0</modelVersion><groupId>bench</groupId><artifactId>navikt-peer</artifactId>\
             <version>1</version><dependencies>\
             <dependency><groupId>no.nav.security</groupId><artifactId>mock-oauth2-server</artifactId><version>{NAVIKT}</version></dependency>\
             <dependency><groupId>ch.qos.logback</groupId><artifactId>logback-classic</artifactId><version>{LOGBACK}</version></dependency>\
             </dependencies></project>"
        );
        std::fs::write(dir.join("pom.xml"), pom).map_err(|e| e.to_string())?;
        eprintln!("fetching mock-oauth2-server {NAVIKT} with mvn");
        let mut cmd = Command::new("mvn");
        cmd.current_dir(&dir)
            .args(["-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime"])
            .arg(format!("-DoutputDirectory={}", lib.display()));
        run_logged(&mut cmd, &dir.join("install.log"), "mvn dependency:copy-dependencies")?;
    }
    // Logging every request at DEBUG (logback's default) would measure the console, not the server.
    let logback = dir.join("logback.xml");
    std::fs::write(&logback, "<configuration><root level=\"WARN\"/></configuration>").map_err(|e| e.to_string())?;
    let mut cmd = Command::new(java);
    cmd.arg(format!("-Dlogback.configurationFile={}", logback.display()))
        .arg("-cp")
        .arg(format!("{}/*", lib.display()))
        .arg("no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt")
        .env("SERVER_HOSTNAME", "127.0.0.1")
        .env("SERVER_PORT", port.to_string());
    let iss = format!("http://127.0.0.1:{port}/default");
    let api = Oidc {
        discovery: format!("{iss}/.well-known/openid-configuration"),
        jwks: format!("{iss}/jwks"),
        token: Some(format!("{iss}/token")),
        introspect: Some(format!("{iss}/introspect")),
        token_es256: None,
        token_eddsa: None,
        client: ("bench".into(), "bench-secret".into()),
        password: Some(("bench".into(), Some("bench-secret".into()), "admin".into(), "admin-pass".into())),
    };
    let note = "closes every connection (no keep-alive): each request pays a TCP connect";
    Ok(launch(cmd, Api::Oidc(api), Some(note), 120))
}

/// Keycloak in dev mode (`start-dev`), with a realm imported at start: a confidential client
/// with service accounts and direct access grants, and one user.
fn keycloak(ctx: &Ctx, port: u16) -> Result<Launch, String> {
    let java = java(21)?;
    let home = ctx.cache.join(format!("keycloak-{KEYCLOAK}"));
    let kc = home.join("bin/kc.sh");
    if !kc.is_file() {
        which("mvn").ok_or("needs mvn (Maven) to fetch it from Maven Central")?;
        std::fs::create_dir_all(&ctx.cache).map_err(|e| e.to_string())?;
        eprintln!("fetching keycloak-quarkus-dist {KEYCLOAK} with mvn (about 180 MB)");
        let mut cmd = Command::new("mvn");
        cmd.current_dir(&ctx.cache)
            .args(["-q", "-B", "dependency:copy"])
            .arg(format!("-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK}:zip"))
            .arg(format!("-DoutputDirectory={}", ctx.cache.display()));
        run_logged(&mut cmd, &ctx.cache.join("install-keycloak.log"), "mvn dependency:copy")?;
        let zip = ctx.cache.join(format!("keycloak-quarkus-dist-{KEYCLOAK}.zip"));
        let jar = java.with_file_name("jar");
        let mut unzip = Command::new(&jar);
        unzip.current_dir(&ctx.cache).arg("xf").arg(&zip);
        run_logged(&mut unzip, &ctx.cache.join("unzip-keycloak.log"), "jar xf")?;
        let _ = std::fs::remove_file(&zip);
        // jar does not keep the executable bit.
        let _ = Command::new("chmod").arg("+x").arg(&kc).status();
    }
    let import = home.join("data/import");
    std::fs::create_dir_all(&import).map_err(|e| e.to_string())?;
    std::fs::write(import.join("bench-realm.json"), KEYCLOAK_REALM).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&kc);
    cmd.args([
        "start-dev",
        "--import-realm",
        "--http-host=127.0.0.1",
        &format!("--http-port={port}"),
    ])
    .env("JAVA_HOME", java.parent().and_then(Path::parent).unwrap_or(Path::new("/")))
    .env("KC_LOG_LEVEL", "warn");
    let iss = format!("http://127.0.0.1:{port}/realms/bench");
    let api = Oidc {
        discovery: format!("{iss}/.well-known/openid-configuration"),
        jwks: format!("{iss}/protocol/openid-connect/certs"),
        token: Some(format!("{iss}/protocol/openid-connect/token")),
        introspect: Some(format!("{iss}/protocol/openid-connect/token/introspect")),
        token_es256: None,
        token_eddsa: None,
        client: ("bench".into(), "bench-secret".into()),
        password: Some(("bench".into(), Some("bench-secret".into()), "admin".into(), "admin-pass".into())),
    };
    Ok(launch(cmd, Api::Oidc(api), Some("dev mode (start-dev, H2 database)"), 300))
}

const KEYCLOAK_REALM: &str = r#"{"realm": "bench", "enabled": true,
 "clients": [{"clientId": "bench", "secret": "bench-secret", "enabled": true, "publicClient": false,
   "clientAuthenticatorType": "client-secret", "serviceAccountsEnabled": true,
   "directAccessGrantsEnabled": true, "standardFlowEnabled": false}],
 "users": [{"username": "admin", "enabled": true, "email": "admin@example.com", "emailVerified": true,
   "firstName": "Admin", "lastName": "User",
   "credentials": [{"type": "password", "value": "admin-pass", "temporary": false}]}]}
"#;

/// Weaviate's own mock (test/docker/mockoidc at the pinned version), built with `go install`.
/// It listens on its fixed port 48001 and offers only the authorization-code and refresh grants,
/// so discovery and JWKS are its workloads.
fn mockoidc(ctx: &Ctx) -> Result<Launch, String> {
    let bin_dir = ctx.cache.join(format!("go-{WEAVIATE}"));
    let bin = bin_dir.join("mockoidc");
    if !bin.is_file() {
        which("go").ok_or("needs a Go toolchain")?;
        std::fs::create_dir_all(&bin_dir).map_err(|e| e.to_string())?;
        eprintln!("building Weaviate's mockoidc {WEAVIATE} with go install");
        let mut cmd = Command::new("go");
        cmd.env("GOBIN", &bin_dir)
            .arg("install")
            .arg(format!("github.com/weaviate/weaviate/test/docker/mockoidc@{WEAVIATE}"));
        run_logged(&mut cmd, &bin_dir.join("install.log"), "go install")?;
    }
    // Both of its ports are fixed: 48001 (the provider) and 48002 (its admin server, without
    // which it exits). An outgoing connection of an earlier subject can hold either for a while
    // after that subject stopped, so each gets up to 15 s to come free.
    for port in [48001, 48002] {
        let free = || std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        if !crate::procs::poll_until(Duration::from_secs(15), Duration::from_millis(250), free) {
            return Err(format!("its fixed port {port} is taken"));
        }
    }
    let mut cmd = Command::new(bin);
    cmd.env("MOCK_HOSTNAME", "127.0.0.1");
    let base = "http://127.0.0.1:48001/oidc";
    let api = Oidc {
        discovery: format!("{base}/.well-known/openid-configuration"),
        jwks: format!("{base}/.well-known/jwks.json"),
        token: None,
        introspect: None,
        token_es256: None,
        token_eddsa: None,
        client: ("mock-oidc-test".into(), "Secret".into()),
        password: None,
    };
    Ok(launch(cmd, Api::Oidc(api), Some("authorization-code and refresh grants only"), 30))
}

/// The Weaviate layer configured as a deployment would be: OIDC trusting our provider (client
/// `weaviate`, username from `email`), one API key, anonymous access off.
fn weaviate(name: &str, ctx: &Ctx, port: u16) -> Result<Launch, String> {
    let issuer = ctx.issuer.clone().ok_or("no provider to trust")?;
    let env = [
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
        ("AUTHENTICATION_OIDC_ENABLED", "true"),
        ("AUTHENTICATION_OIDC_ISSUER", issuer.as_str()),
        ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
        ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "email"),
        ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", API_KEY),
        ("AUTHENTICATION_APIKEY_USERS", "bench-user"),
    ];
    let rest = format!("http://127.0.0.1:{port}");
    let (mut cmd, note, timeout) = if name == "weaviate-emu" {
        let mut cmd = Command::new(release_bin(ctx, "oidc-harness")?);
        cmd.args(["weaviate", "--listen", &format!("127.0.0.1:{port}")]);
        (cmd, None, 30)
    } else {
        let bin = conformance::target::find_weaviate_binary().map_err(|e| e.to_string())?;
        let data = ctx.cache.join("weaviate-data");
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
        let err = |e: anyhow::Error| e.to_string();
        let ports = conformance::target::ServerPorts {
            rest: port,
            grpc: crate::procs::free_port().map_err(err)?,
            gossip: crate::procs::free_port_pair().map_err(err)?,
            raft: crate::procs::free_port_pair().map_err(err)?,
        };
        let cmd = conformance::target::server_command(&bin, &data, ports);
        (cmd, Some("the real server, for comparison with the embedded layer"), 120)
    };
    cmd.envs(env);
    Ok(launch(cmd, Api::Weaviate { rest }, note, timeout))
}
