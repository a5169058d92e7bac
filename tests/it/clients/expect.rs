//! What each official client reports, per case: the outcomes `drivers/OBSERVED.md` records, as
//! the action sequences and per-client error classes the cases in `clients.rs` check.
//!
//! The four clients name the same failure differently: Python raises exceptions, TypeScript
//! errors with a `name`, Go returns errors of a dynamic type (`%T`), Java returns a `Result` whose
//! error is a `WeaviateError` (REST) or throws (login, gRPC). The Go client sends no token on gRPC
//! after an OIDC login, so its gRPC calls fail there (`grpc_without_token`).

use conformance::client::Lang;
use serde_json::{json, Value};

/// What one action must report: `ok`, the error class, the status, and a message fragment.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) ok: bool,
    pub(crate) class: Option<&'static str>,
    pub(crate) status: Option<i64>,
    pub(crate) message: Option<String>,
    pub(crate) value: Option<Value>,
}

pub(crate) fn ok() -> Outcome {
    Outcome {
        ok: true,
        class: None,
        status: None,
        message: None,
        value: None,
    }
}

pub(crate) fn ok_value(v: Value) -> Outcome {
    Outcome { value: Some(v), ..ok() }
}

pub(crate) fn err(class: &'static str, status: Option<i64>, message: &str) -> Outcome {
    Outcome {
        ok: false,
        class: Some(class),
        status,
        message: Some(message.to_string()),
        value: None,
    }
}

pub(crate) fn act(name: &str) -> Value {
    json!({"action": name})
}

/// Per client: the class a read-only user's batch reports. Python raises when every object
/// failed; the others return per-object errors (the driver's synthetic class).
pub(crate) fn all_failed_batch(lang: Lang) -> &'static str {
    match lang {
        Lang::Python => "WeaviateInsertManyAllFailedError",
        Lang::Typescript | Lang::Go | Lang::Java => "BatchObjectErrors",
    }
}

/// Per client: a REST call answered with `status` and a Weaviate error whose message contains
/// `message` (Go and Java only: Python and TypeScript name each status differently).
pub(crate) fn rest_error(lang: Lang, status: i64, message: &str) -> Outcome {
    match lang {
        Lang::Go => err("*fault.WeaviateClientError", Some(status), message),
        Lang::Java => err("WeaviateError", Some(status), message),
        Lang::Python | Lang::Typescript => panic!("rest_error is for the Go and Java clients"),
    }
}

/// Per client: the class and status of a 403 on REST.
pub(crate) fn forbidden(lang: Lang, message: &str) -> Outcome {
    match lang {
        Lang::Python => err("InsufficientPermissionsError", Some(403), message),
        Lang::Typescript => err("WeaviateInsufficientPermissionsError", Some(403), message),
        Lang::Go | Lang::Java => rest_error(lang, 403, message),
    }
}

/// Per client: a 401 whose Weaviate `message` starts with `message`, at connect (Python,
/// TypeScript: their init checks call `/v1/meta`); Go and Java connect without a call, so the
/// caller checks their first call instead.
pub(crate) fn connect_unauthenticated(lang: Lang, message: &str) -> Outcome {
    match lang {
        Lang::Python => err("UnexpectedStatusCodeError", Some(401), &format!("'message': '{message}")),
        Lang::Typescript => err(
            "WeaviateStartUpError",
            None,
            &format!(r#"Unauthenticated: {{"code":401,"message":"{message}"#),
        ),
        Lang::Go | Lang::Java => ok(),
    }
}

/// Go's gRPC call after an OIDC login: sent without a token, answered UNKNOWN (code 2) with
/// go-oidc's error for the empty token. `batch` is `BatchObjects`, which the client wraps.
pub(crate) fn grpc_without_token(batch: bool) -> Outcome {
    let class = if batch { "*fmt.wrapError" } else { "*status.Error" };
    err(
        class,
        Some(2),
        "rpc error: code = Unknown desc = extract auth: unauthorized: oidc: malformed jwt: oidc: malformed jwt, expected 3 parts got 1",
    )
}

/// Admin writes and reads, the full sequence of one client's user; collection names carry the
/// client so all run at once. `oidc`: logged in through the provider (Go's gRPC then fails).
pub(crate) fn write_then_read(lang: Lang, collection: &str, user: &str, oidc: bool) -> Vec<(Value, Outcome)> {
    let c = format!("{collection}{}", lang.suffix());
    let go_oidc = oidc && lang == Lang::Go;
    let grpc = |batch: bool, good: Outcome| if go_oidc { grpc_without_token(batch) } else { good };
    let mut steps = vec![
        (act("connect"), ok()),
        (act("is_ready"), ok_value(json!(true))),
        (act("meta"), ok_value(json!("1.38.11"))),
        (act("own_info"), ok_value(json!(user))),
        (json!({"action": "create_collection", "name": c}), ok()),
        (json!({"action": "insert", "collection": c, "properties": {"title": "one"}}), ok()),
        (json!({"action": "query", "collection": c}), grpc(false, ok_value(json!(1)))),
        (
            json!({"action": "batch_insert", "collection": c, "n": 3}),
            grpc(true, ok_value(json!(3))),
        ),
        (json!({"action": "query", "collection": c}), grpc(false, ok_value(json!(4)))),
    ];
    let stored = if go_oidc { json!([{"title": "one"}]) } else { stored_properties() };
    steps.push((json!({"action": "fetch", "collection": c}), ok_value(stored)));
    match lang {
        Lang::Python | Lang::Typescript => steps.push((json!({"action": "count", "collection": c}), ok_value(json!(4)))),
        // `count` is an aggregate: GraphQL in these clients, which the emulation does not answer.
        Lang::Go | Lang::Java => {}
    }
    if lang == Lang::Python {
        // `collection.batch.dynamic()` (gRPC `BatchObjects` on v1.38, as `insert_many`).
        let dynamic = format!("{c}Dyn");
        steps.extend([
            (
                json!({"action": "batch_dynamic", "collection": dynamic, "n": 3}),
                ok_value(json!(3)),
            ),
            (json!({"action": "count", "collection": dynamic}), ok_value(json!(3))),
        ]);
    }
    steps
}

/// What `write_then_read` stored: one insert and a batch of three (`{"n": i}`).
pub(crate) fn stored_properties() -> Value {
    json!([{"n": 0}, {"n": 1}, {"n": 2}, {"title": "one"}])
}

/// The read-only user reads what `write_then_read` stored and is denied every write.
pub(crate) fn read_only(lang: Lang, collection: &str, user: &str, group: &str, oidc: bool) -> Vec<(Value, Outcome)> {
    let c = format!("{collection}{}", lang.suffix());
    let go_oidc = oidc && lang == Lang::Go;
    let who = format!("user '{user}'{group} has insufficient permissions to");
    let stored = if go_oidc { json!([{"title": "one"}]) } else { stored_properties() };
    let mut steps = vec![
        (act("connect"), ok()),
        (act("own_info"), ok_value(json!(user))),
        (
            json!({"action": "query", "collection": c}),
            if go_oidc { grpc_without_token(false) } else { ok_value(json!(4)) },
        ),
        (json!({"action": "fetch", "collection": c}), ok_value(stored)),
    ];
    if matches!(lang, Lang::Python | Lang::Typescript) {
        steps.push((json!({"action": "count", "collection": c}), ok_value(json!(4))));
    }
    steps.extend([
        (
            json!({"action": "create_collection", "name": format!("{c}Denied")}),
            forbidden(
                lang,
                &format!("adminlist: authorization, forbidden action: {who} C [schema/collections/{c}Denied/shards/#]"),
            ),
        ),
        (
            json!({"action": "insert", "collection": c, "properties": {"title": "two"}}),
            forbidden(lang, &format!("{who} C [data/collections/{c}/shards/*/objects/*]")),
        ),
        (
            json!({"action": "batch_insert", "collection": c, "n": 2}),
            if go_oidc {
                grpc_without_token(true)
            } else {
                err(
                    all_failed_batch(lang),
                    None,
                    &format!("{who} U [data/collections/{c}/shards/*/objects/*]"),
                )
            },
        ),
        (
            json!({"action": "delete_collection", "name": c}),
            forbidden(lang, &format!("{who} D [schema/collections/{c}/shards/#]")),
        ),
    ]);
    if lang == Lang::Python {
        // `batch.dynamic()` reads the class's `vectorIndexConfig` first, then every object of
        // the `BatchObjects` call fails with the denial (recorded on v1.38.11).
        steps.push((
            json!({"action": "batch_dynamic", "collection": c, "n": 2}),
            err(
                "BatchObjectErrors",
                None,
                &format!("WeaviateInsertManyAllFailedError(\"Every object failed during insertion. Here is the set of all errors: adminlist: authorization, forbidden action: {who} U [data/collections/{c}/shards/*/objects/*]"),
            ),
        ));
    }
    steps
}
