//! The parity sweep on the embedded target: answers per credential kind as Weaviate gives them,
//! the emulation against itself (no difference, so any entry is stale), and the published
//! document read from Weaviate's module.

use std::collections::BTreeMap;

use conformance::sweep::known::parse;
use conformance::sweep::plan::{self, Call, Credential, GrpcMethod, Input, Selection, Step};
use conformance::sweep::source::{self, Operation, Published};
use conformance::sweep::{self, send::Answer, Options};
use conformance::Target;

fn op(method: &str, path: &str, params: &[&str], body: bool) -> Operation {
    Operation {
        method: method.into(),
        path: path.into(),
        path_params: params.iter().map(|p| p.to_string()).collect(),
        required_query: Vec::new(),
        takes_body: body,
    }
}

/// A few operations: one read, one write, one the emulation does not serve.
fn published() -> Published {
    Published {
        source: "written in the test".into(),
        operations: vec![
            op("GET", "/v1/schema", &[], false),
            op("POST", "/v1/schema", &[], true),
            op("GET", "/v1/schema/{className}", &["className"], false),
        ],
        grpc_methods: GrpcMethod::ALL.iter().map(|m| m.name().to_owned()).collect(),
    }
}

fn config(name: &str) -> plan::AuthConfig {
    plan::configs().into_iter().find(|c| c.name == name).expect("a configuration")
}

#[tokio::test]
async fn every_credential_kind_gets_weaviates_answer_from_the_emulation_under_the_admin_list() {
    // Arrange: the admin-list configuration, its provider and tokens.
    let cfg = config("admin-list");
    let idp = sweep::start_provider(false).await.expect("provider");
    let secrets = sweep::secrets(&idp).await.expect("tokens");
    let env = sweep::env_of(&cfg, &idp).expect("env");
    let steps = plan::plan(&cfg, &published().operations, &Selection::default());
    let norm = sweep::base_normalizer(&idp, &secrets);
    // Act
    let (answers, _) = sweep::play_on(&Target::Embedded, &env, &idp, &steps, &secrets, norm, cfg.admin)
        .await
        .expect("the emulation plays the plan");
    // Assert: weaviate-auth.md 2-4 (anonymous gate, API keys, go-oidc, admin list).
    let requests: Vec<&plan::Request> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Send(r) => Some(r),
            Step::Restore => None,
        })
        .collect();
    assert_eq!(requests.len(), answers.len());
    let find = |label: &str, c: Credential, input: Input| -> &Answer {
        let i = requests
            .iter()
            .position(|r| r.call.label() == label && r.credential == c && r.input == input)
            .unwrap_or_else(|| panic!("no {label} {c:?} {input:?}"));
        &answers[i]
    };
    let post = "POST /v1/schema";
    let expect = |c: Credential, status: u16, start: &str| {
        let a = find(post, c, Input::Valid);
        assert_eq!(a.status, status, "{} {}: {}", c.name(), post, a.summary());
        assert!(a.message().starts_with(start), "{}: {}", c.name(), a.summary());
    };
    expect(
        Credential::None,
        401,
        "anonymous access not enabled. Please authenticate through one of the available methods",
    );
    expect(Credential::WrongKey, 401, "unauthorized: invalid api key");
    expect(
        Credential::ExpiredOidc,
        401,
        "unauthorized: oidc: token is expired (Token Expiry: <time>)",
    );
    expect(
        Credential::OutsiderOidc,
        403,
        "adminlist: authorization, forbidden action: user 'outsider' has insufficient permissions to C",
    );
    expect(
        Credential::ReadOnlyKey,
        403,
        "adminlist: authorization, forbidden action: user 'viewer-user' has insufficient permissions to C",
    );
    expect(
        Credential::ReadOnlyOidc,
        403,
        "adminlist: authorization, forbidden action: user 'viewer' (of group 'viewers') has insufficient permissions to C",
    );
    // The admin's token creates the class; the admin's key then finds it there.
    expect(Credential::AdminOidc, 200, "");
    assert_eq!(find(post, Credential::AdminKey, Input::Valid).status, 422);
    assert_eq!(find(post, Credential::MalformedToken, Input::Valid).status, 401);
    // Reads: the read-only users may, the outsider may not.
    let get = "GET /v1/schema/{className}";
    assert_eq!(find(get, Credential::ReadOnlyKey, Input::Valid).status, 200);
    assert_eq!(find(get, Credential::ReadOnlyOidc, Input::Valid).status, 200);
    assert_eq!(find(get, Credential::OutsiderOidc, Input::Valid).status, 403);
    assert_eq!(find(get, Credential::AdminKey, Input::UnknownClass).status, 404);
    // Bad input as the admin: Weaviate's 415 and 422 shapes (weaviate-auth.md 2.2).
    assert_eq!(find(post, Credential::AdminKey, Input::WrongContentType).status, 415);
    assert_eq!(find(post, Credential::AdminKey, Input::InvalidJson).status, 400);
    // gRPC: unauthenticated calls are refused with grpc-go's UNKNOWN and Weaviate's text.
    let search = requests
        .iter()
        .position(|r| {
            matches!(
                r.call,
                Call::Grpc {
                    method: GrpcMethod::Search,
                    ..
                }
            ) && r.credential == Credential::WrongKey
        })
        .expect("a Search call");
    assert_eq!(answers[search].summary(), "UNKNOWN extract auth: unauthorized: invalid api key");
}

#[tokio::test]
async fn the_emulation_against_itself_differs_nowhere_so_an_entry_selecting_its_requests_is_stale() {
    // Arrange: the emulation on both sides; one entry about GET /v1/schema, one about gRPC.
    let known = parse(
        r#"
[[difference]]
id = "schema-reads"
scope = "sweep"
method = "GET"
path = "/v1/schema"
embedded = "*"
weaviate = "*"
reason = "a test entry"

[[difference]]
id = "other-config"
scope = "sweep"
config = "rbac"
embedded = "*"
weaviate = "*"
reason = "a test entry for a configuration this run does not play"
"#,
        "test",
    )
    .expect("the entries parse");
    let opts = Options {
        weaviate: Target::Embedded,
        configs: vec!["keys-only".into()],
        selection: Selection {
            no_grpc: true,
            ..Default::default()
        },
        known,
    };
    // Act
    let mut lines = Vec::new();
    let result = sweep::run(&published(), &opts, |l| lines.push(l.to_owned()))
        .await
        .expect("the sweep runs");
    // Assert
    let (requests, identical) = result.totals();
    // 9 credentials per operation; POST: 2 x (wrong content type, invalid JSON); GET by class: 2 x unknown class.
    assert_eq!(requests, 3 * 9 + 4 + 2, "{lines:?}");
    assert_eq!(
        identical,
        requests,
        "{:?}",
        result.unknown().map(|r| r.request.call.label()).collect::<Vec<_>>()
    );
    let stale: Vec<&str> = result.stale().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        stale,
        ["schema-reads"],
        "an entry of an unplayed configuration is not judged on a partial run"
    );
    assert!(!result.passed());
    let report = sweep::report::build(&result);
    assert_eq!(report.stale, ["schema-reads"]);
    assert!(lines[0].starts_with("sweep keys-only"), "{lines:?}");
}

/// Weaviate's OpenAPI document and protos at the pinned version, from its Go module (downloaded
/// by Go, as .ci/run does); `None` after `skip::missing` (a failure under `CI=true`).
fn pinned_module() -> Option<Published> {
    match source::module_dir() {
        Ok(dir) => Some(source::read(&dir).expect("the document and protos read")),
        Err(why) => {
            conformance::skip::missing(format!("Weaviate's Go module: {why}"));
            None
        }
    }
}

#[test]
fn the_emulation_routes_every_published_operation_so_that_it_authenticates_before_answering() {
    // Arrange
    let Some(published) = pinned_module() else { return };
    // Act: the emulation's route table on each documented path, parameters filled in.
    let unrouted: Vec<String> = published
        .operations
        .iter()
        .filter(|op| {
            let path = op
                .path_params
                .iter()
                .fold(op.path.clone(), |p, name| p.replace(&format!("{{{name}}}"), "x"));
            weaviate_auth_emu::rest::route(&op.method, &path).is_err()
        })
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    // Assert: none answers 404 or 405 before the credential check, as Weaviate's router does not.
    assert!(unrouted.is_empty(), "not in the emulation's route table: {unrouted:?}");
}

#[test]
fn every_published_operation_and_client_grpc_method_gets_a_request_under_every_credential() {
    // Arrange: Weaviate's module at the pinned version (downloaded by Go, as .ci/run does).
    let Some(published) = pinned_module() else { return };
    // Assert
    assert!(published.operations.len() >= 100, "{} operations", published.operations.len());
    for m in GrpcMethod::ALL.iter().filter(|m| m.path().starts_with("weaviate.v1.")) {
        assert!(
            published.grpc_methods.iter().any(|p| p == m.name()),
            "{} is not a method of the published service {:?}",
            m.name(),
            published.grpc_methods
        );
    }
    for cfg in plan::configs() {
        let steps = plan::plan(&cfg, &published.operations, &Selection::default());
        let mut per_op: BTreeMap<String, Vec<Credential>> = BTreeMap::new();
        for s in &steps {
            if let Step::Send(r) = s {
                if r.input == Input::Valid {
                    per_op.entry(r.call.label()).or_default().push(r.credential);
                }
            }
        }
        assert_eq!(per_op.len(), published.operations.len() + GrpcMethod::ALL.len(), "{}", cfg.name);
        for (label, creds) in &per_op {
            assert_eq!(creds, &Credential::ALL.to_vec(), "{} {label}", cfg.name);
        }
        for s in &steps {
            if let Step::Send(plan::Request {
                call: Call::Rest { path, .. },
                ..
            }) = s
            {
                assert!(!path.contains('{'), "{} {path}: a path parameter without a value", cfg.name);
            }
        }
    }
}
