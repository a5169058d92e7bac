//! Spec 4.2: the admin list over HTTP, with exact denial texts for users and anonymous.
//! Group forms need OIDC principals: over HTTP in `oidc.rs`, and in the unit tests of `admin_list.rs`.

use crate::support::{with, Env, STATIC_KEYS};
use serde_json::json;

fn admin_list() -> Vec<(&'static str, &'static str)> {
    with(
        &STATIC_KEYS,
        &[
            ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
            ("AUTHORIZATION_ADMINLIST_USERS", "admin-user"),
            ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "ro-user"),
        ],
    )
}

fn denial(user: &str, action: &str, resource: &str) -> String {
    format!("adminlist: authorization, forbidden action: user '{user}' has insufficient permissions to {action} [{resource}]")
}

#[tokio::test]
async fn s4_2_read_only_user_reads_but_cannot_write() {
    // Compared with v1.38.11: texts and statuses.
    let env = Env::start(&admin_list()).await;
    let class = json!({"class": "Foo"});
    let denied = env.send("POST", "/v1/schema", Some("ro-key"), Some(class.clone())).await;
    assert_eq!(
        (denied.status, denied.error()),
        (403, denial("ro-user", "C", "schema/collections/Foo/shards/#"))
    );
    assert_eq!(
        env.send("POST", "/v1/schema", Some("admin-key"), Some(class.clone())).await.status,
        200
    );
    let again = env.send("POST", "/v1/schema", Some("admin-key"), Some(class)).await;
    assert_eq!(
        (again.status, again.body.as_str()),
        (
            422,
            "{\"allowed\":null,\"error\":[{\"message\":\"class name Foo already exists\"}]}\n"
        )
    );
    assert_eq!(env.get("/v1/schema/Foo", Some("ro-key")).await.status, 200);
    let object = json!({"class": "Foo", "properties": {"a": "b"}});
    let denied = env.send("POST", "/v1/objects", Some("ro-key"), Some(object.clone())).await;
    assert_eq!(denied.error(), denial("ro-user", "C", "data/collections/Foo/shards/*/objects/*"));
    assert_eq!(env.send("POST", "/v1/objects", Some("admin-key"), Some(object)).await.status, 200);
    let list = env.get("/v1/objects?class=Foo", Some("ro-key")).await;
    assert_eq!(list.json()["totalResults"], 1);
    let update = env
        .send("PUT", "/v1/schema/Foo", Some("ro-key"), Some(json!({"class": "Foo"})))
        .await;
    assert_eq!(update.error(), denial("ro-user", "U", "schema/collections/Foo/shards/#"));
    for path in ["/v1/nodes", "/v1/cluster/statistics", "/v1/users/db", "/v1/authz/roles"] {
        assert_eq!(env.get(path, Some("ro-key")).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn s4_2_user_on_no_list_is_denied_with_its_name() {
    // Compared with v1.38.11, including the wrapped text of a class-filtered object list.
    let env = Env::start(&admin_list()).await;
    let a = env.send("DELETE", "/v1/schema/Nope", Some("other-key"), None).await;
    assert_eq!(
        a.error(),
        denial("other-user", "D", "schema/collections/Nope/shards/#"),
        "authorization before existence"
    );
    assert_eq!(
        env.get("/v1/nodes", Some("other-key")).await.error(),
        denial("other-user", "R", "nodes/verbosity/minimal")
    );
    assert_eq!(
        env.get("/v1/cluster/statistics", Some("other-key")).await.error(),
        denial("other-user", "R", "cluster/*")
    );
    assert_eq!(
        env.get("/v1/objects", Some("other-key")).await.error(),
        denial("other-user", "R", "data/collections/*/shards/*/objects/*")
    );
    let inner = denial("other-user", "R", "data/collections/Foo/shards/*/objects/*");
    assert_eq!(
        env.get("/v1/objects?class=Foo", Some("other-key")).await.error(),
        format!("msg:{inner} code:403 err:{inner}")
    );
    let create = env.send("POST", "/v1/users/db/zed", Some("other-key"), None).await;
    assert_eq!(create.error(), denial("other-user", "C", "users/zed"));
    let gql = env
        .send("POST", "/v1/graphql", Some("other-key"), Some(json!({"query": "{Get{Foo{a}}}"})))
        .await;
    assert_eq!(
        gql.error(),
        format!(
            "due to GraphQL introspection, this role must have the permission to `read_collections` on `*` (all) collections: {}",
            denial("other-user", "R", "schema/collections/*/shards/#")
        )
    );
    assert_eq!(
        env.send("POST", "/v1/graphql", Some("admin-key"), Some(json!({"query": "{Get{Foo{a}}}"})))
            .await
            .status,
        200
    );
    // Endpoints that never authorize (spec 4.1).
    assert_eq!(env.get("/v1/meta", Some("other-key")).await.status, 200);
    assert_eq!(env.get("/v1/users/own-info", Some("other-key")).await.status, 200);
}

#[tokio::test]
async fn s4_1_schema_list_is_filtered_to_null_for_callers_on_no_list() {
    // Compared with v1.38.11: `[]` with no class, `null` once a class exists.
    let env = Env::start(&admin_list()).await;
    assert_eq!(env.get("/v1/schema", Some("other-key")).await.body, "{\"classes\":[]}\n");
    env.send("POST", "/v1/schema", Some("admin-key"), Some(json!({"class": "Foo"})))
        .await;
    assert_eq!(env.get("/v1/schema", Some("other-key")).await.body, "{\"classes\":null}\n");
    assert_eq!(env.get("/v1/schema", Some("ro-key")).await.json()["classes"][0]["class"], "Foo");
}

#[tokio::test]
async fn s4_2_anonymous_is_the_user_anonymous() {
    let vars = [
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true"),
        ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
        ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "anonymous"),
    ];
    let env = Env::start(&vars).await;
    assert_eq!(env.get("/v1/schema/Foo", None).await.status, 404, "read allowed, class missing");
    let denied = env.send("POST", "/v1/schema", None, Some(json!({"class": "Foo"}))).await;
    assert_eq!(denied.error(), denial("anonymous", "C", "schema/collections/Foo/shards/#"));
    let off = Env::start(&[
        ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true"),
        ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
    ])
    .await;
    assert_eq!(
        off.get("/v1/schema/Foo", None).await.error(),
        denial("anonymous", "R", "schema/collections/Foo/shards/#")
    );
}
