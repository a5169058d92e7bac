//! Secret hygiene (P140, issue "Bad input"): the provider and the emulation run every flow at the
//! most verbose log level, and nothing they were given or issued (passwords, client secrets, API
//! keys, codes, access, ID and refresh tokens) appears in what they log.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::cli::BIN;

/// A child started with `RUST_LOG=trace`, its ready line read, its stderr kept in a temp file.
struct Traced {
    child: Child,
    ready: Value,
    log: std::path::PathBuf,
}

impl Traced {
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Traced {
        let log = std::env::temp_dir().join(format!("oidc-harness-trace-{}-{}.log", std::process::id(), args[0]));
        let file = std::fs::File::create(&log).expect("a temp log file can be created");
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env("RUST_LOG", "trace")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("could not spawn {BIN}: {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout is piped"))
            .read_line(&mut line)
            .expect("a ready line");
        let ready = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("ready line is not JSON ({e}): {line:?}"));
        Traced { child, ready, log }
    }

    /// Stops the child (SIGTERM, so it logs its shutdown too) and returns everything it logged.
    fn finish(mut self) -> String {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let mut text = String::new();
        std::fs::File::open(&self.log)
            .and_then(|mut f| f.read_to_string(&mut text))
            .expect("the log is readable");
        let _ = std::fs::remove_file(&self.log);
        text
    }
}

impl Drop for Traced {
    fn drop(&mut self) {
        // A failed assertion must not leave the child running.
        let _ = self.child.kill();
    }
}

fn assert_absent(log: &str, secrets: &[String]) {
    // Proof that the most verbose level was really on, or the search below would prove nothing.
    assert!(
        log.contains(" TRACE ") && log.contains(" DEBUG "),
        "no trace and debug lines were logged:\n{log}"
    );
    for s in secrets {
        assert!(s.len() >= 8, "a secret under test is too short to search for: {s:?}");
        assert!(!log.contains(s.as_str()), "a secret appears in the trace log: {}…", &s[..8]);
    }
}

#[tokio::test]
async fn p140_provider_logs_no_password_secret_code_or_token_at_trace_level() {
    let idp = Traced::spawn(&["idp", "--listen", "127.0.0.1:0"], &[]);
    let issuer = idp.ready["issuer"].as_str().expect("issuer").to_owned();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = |form: Vec<(&'static str, String)>| {
        let (http, url) = (http.clone(), format!("{issuer}/token"));
        async move { http.post(url).form(&form).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mut secrets: Vec<String> = ["admin-pass", "ci-runner-secret", "wrong-password-123"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    // Password grant (right and wrong), client credentials, refresh, userinfo, introspection, revocation, mint.
    let pw = token(vec![
        ("grant_type", "password".into()),
        ("username", "admin".into()),
        ("password", "admin-pass".into()),
        ("client_id", "weaviate".into()),
    ])
    .await;
    let bad = token(vec![
        ("grant_type", "password".into()),
        ("username", "admin".into()),
        ("password", "wrong-password-123".into()),
        ("client_id", "weaviate".into()),
    ])
    .await;
    assert_eq!(bad["error"], "invalid_grant");
    let cc = token(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", "ci-runner".into()),
        ("client_secret", "ci-runner-secret".into()),
    ])
    .await;
    let rt = pw["refresh_token"].as_str().expect("a refresh token").to_owned();
    let refreshed = token(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", rt.clone()),
        ("client_id", "weaviate".into()),
    ])
    .await;
    let at = pw["access_token"].as_str().unwrap().to_owned();
    let ui = http.get(format!("{issuer}/userinfo")).bearer_auth(&at).send().await.unwrap();
    assert_eq!(ui.status(), 200);
    let intro = http
        .post(format!("{issuer}/introspect"))
        .basic_auth("ci-runner", Some("ci-runner-secret"))
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(intro.status(), 200);
    let minted: Value = http
        .post(format!("{issuer}/_mock/mint"))
        .body(r#"{"user":"viewer"}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rev = http
        .post(format!("{issuer}/revoke"))
        .form(&[("token", rt.as_str()), ("client_id", "weaviate")])
        .send()
        .await
        .unwrap();
    assert_eq!(rev.status(), 200);
    for v in [&pw, &cc, &refreshed, &minted] {
        for k in ["access_token", "id_token", "refresh_token"] {
            if let Some(t) = v[k].as_str() {
                secrets.push(t.to_owned());
            }
        }
    }
    assert!(
        secrets.len() >= 9,
        "the flows issued the tokens under test: {} values",
        secrets.len()
    );
    assert_absent(&idp.finish(), &secrets);
}

#[tokio::test]
async fn p140_emulation_logs_no_api_key_or_bearer_token_at_trace_level() {
    let key = "admin-key-0123456789";
    let weaviate = Traced::spawn(
        &["weaviate", "--listen", "127.0.0.1:0"],
        &[
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", key),
            ("AUTHENTICATION_APIKEY_USERS", "admin"),
        ],
    );
    let rest = weaviate.ready["rest"].as_str().expect("rest url").to_owned();
    let http = reqwest::Client::new();
    for (token, want) in [(key, 200), ("wrong-key-0123456789", 401)] {
        let r = http.get(format!("{rest}/v1/schema")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), want);
    }
    let q = http.get(format!("{rest}/v1/meta?access_token={key}")).send().await.unwrap();
    assert_eq!(q.status(), 200);
    assert_absent(&weaviate.finish(), &[key.to_owned(), "wrong-key-0123456789".to_owned()]);
}
