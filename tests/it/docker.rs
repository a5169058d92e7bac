//! The shipped `docker/Dockerfile` and `docker/compose.yml` are safe as shipped and match the CLI
//! (P125): no port published on all interfaces, an admin token required and wired, and the
//! binary, run with exactly the environment each file gives it, refuses or starts accordingly.
//! No Docker engine runs here, so the files are read as text and the binary stands in for the image.

use std::collections::BTreeMap;
use std::process::Command;

use crate::cli::{assert_refused, assert_started, mint_status, BIN};

const DOCKERFILE: &str = include_str!("../../docker/Dockerfile");
const COMPOSE: &str = include_str!("../../docker/compose.yml");

/// The `ENV` pairs of the Dockerfile's last stage (continuation lines joined).
fn dockerfile_env() -> BTreeMap<String, String> {
    let last_stage = DOCKERFILE.rsplit("\nFROM ").next().expect("a FROM line");
    let joined = last_stage.replace("\\\n", " ");
    let mut env = BTreeMap::new();
    for line in joined.lines().filter_map(|l| l.trim().strip_prefix("ENV ")) {
        for pair in line.split_whitespace() {
            let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("ENV {pair:?} is not KEY=VALUE"));
            env.insert(k.to_owned(), v.trim_matches('"').to_owned());
        }
    }
    env
}

/// The JSON-array instruction `name` (`ENTRYPOINT`, `CMD`) of the Dockerfile.
fn dockerfile_exec(name: &str) -> Vec<String> {
    let line = DOCKERFILE
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("the Dockerfile has no {name}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} is not an exec-form array ({e}): {line}"))
}

/// One compose service: its `environment` mapping and its `ports` list, read line by line
/// (the file uses two-space indentation and no flow style).
#[derive(Debug, Default)]
struct Service {
    environment: BTreeMap<String, String>,
    ports: Vec<String>,
}

fn compose_services() -> BTreeMap<String, Service> {
    let mut services = BTreeMap::new();
    let (mut service, mut key) = (None::<String>, String::new());
    let mut in_services = false;
    for line in COMPOSE.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        match indent {
            0 => in_services = text == "services:",
            2 if in_services => {
                let name = text.trim_end_matches(':').to_owned();
                services.insert(name.clone(), Service::default());
                service = Some(name);
            }
            4 if in_services => key = text.trim_end_matches(':').to_owned(),
            6 if in_services => {
                let s = services.get_mut(service.as_deref().expect("a service")).expect("known");
                match key.as_str() {
                    "ports" => s.ports.push(text.trim_start_matches("- ").trim_matches('"').to_owned()),
                    "environment" => {
                        let (k, v) = text.split_once(':').expect("KEY: VALUE");
                        s.environment.insert(k.to_owned(), v.trim().trim_matches('"').to_owned());
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    services
}

/// `env` with the listen port made 0: tests take their ports from the OS.
fn free_port(mut env: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let listen = env.get("OIDC_HARNESS_LISTEN").expect("a listen address").clone();
    let (host, _) = listen.rsplit_once(':').expect("HOST:PORT");
    env.insert("OIDC_HARNESS_LISTEN".into(), format!("{host}:0"));
    env
}

#[test]
fn p125_compose_publishes_every_port_on_loopback_only() {
    let services = compose_services();
    let ports: Vec<(&String, &String)> = services.iter().flat_map(|(n, s)| s.ports.iter().map(move |p| (n, p))).collect();
    assert!(ports.len() >= 3, "the idp and Weaviate's REST and gRPC ports: {ports:?}");
    for (service, port) in ports {
        let parts: Vec<&str> = port.split(':').collect();
        assert!(
            parts.len() == 3 && parts[0] == "127.0.0.1",
            "{service}: port {port:?} must be published as 127.0.0.1:HOST:CONTAINER"
        );
    }
}

#[test]
fn p125_compose_requires_an_admin_token_and_the_provider_started_with_its_environment_is_guarded() {
    // Arrange: the idp service's environment, with the token compose would substitute.
    let services = compose_services();
    let env = &services.get("idp").expect("an idp service").environment;
    let token = env.get("OIDC_HARNESS_ADMIN_TOKEN").expect("the idp gets an admin token");
    assert!(
        token.starts_with("${OIDC_HARNESS_ADMIN_TOKEN:?") && token.ends_with('}'),
        "the token must be required from the environment (no default anyone could read): {token}"
    );
    assert!(!env.contains_key("OIDC_HARNESS_INSECURE_OPEN_CONTROLS"), "{env:?}");
    assert!(env["OIDC_HARNESS_LISTEN"].starts_with("0.0.0.0:"), "inside its network: {env:?}");
    let mut env = free_port(env.clone());
    env.insert("OIDC_HARNESS_ADMIN_TOKEN".into(), "compose-test-token".into());
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Act: the image's command with the compose environment.
    let args = [dockerfile_exec("ENTRYPOINT"), dockerfile_exec("CMD")].concat();
    assert_eq!(args, ["oidc-harness", "idp"]);
    let (_idp, issuer) = assert_started("compose-idp", &args[1..].iter().map(String::as_str).collect::<Vec<_>>(), &envs);
    // Assert: the controls need the token; the health check's route does not.
    assert_eq!(mint_status(&issuer, None), 401);
    assert_eq!(mint_status(&issuer, Some("compose-test-token")), 200);
    let base = issuer.trim_end_matches("/default");
    let ready = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async { reqwest::get(format!("{base}/_mock/ready")).await.unwrap().status() });
    assert_eq!(ready, 200);
    assert!(DOCKERFILE.contains("/_mock/ready"), "the HEALTHCHECK probes the public ready route");
}

#[test]
fn p125_the_image_as_shipped_refuses_to_start_without_a_token() {
    // Arrange: the Dockerfile's own environment, and nothing else.
    let env = dockerfile_env();
    assert!(env["OIDC_HARNESS_LISTEN"].starts_with("0.0.0.0:"), "{env:?}");
    for baked in [
        "OIDC_HARNESS_ADMIN_TOKEN",
        "OIDC_HARNESS_ADMIN_TOKEN_FILE",
        "OIDC_HARNESS_INSECURE_OPEN_CONTROLS",
    ] {
        assert!(!env.contains_key(baked), "the image must not set {baked}");
    }
    let env = free_port(env);
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // Act + Assert
    assert_refused("image-as-shipped", &["idp"], &envs);
}

#[test]
fn p125_every_variable_the_docker_files_set_is_one_the_cli_reads() {
    let out = Command::new(BIN).args(["idp", "--help"]).output().expect("the binary runs");
    let help = String::from_utf8_lossy(&out.stdout);
    let mut names: Vec<String> = dockerfile_env().into_keys().collect();
    names.extend(compose_services()["idp"].environment.keys().cloned());
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let read = help.contains(&format!("[env: {name}]")) || help.contains(&format!("[env: {name}="));
        assert!(read, "idp --help does not read {name}:\n{help}");
    }
}
