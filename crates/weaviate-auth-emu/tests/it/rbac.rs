//! Spec 4.3: RBAC with built-in roles, a custom editor role, root visibility and role assignment.

use crate::support::{Answer, Env};
use serde_json::json;

fn rbac() -> Vec<(&'static str, &'static str)> {
    vec![
        ("AUTHENTICATION_APIKEY_ENABLED", "true"),
        ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "root-key,plain-key,view-key,admin-key"),
        ("AUTHENTICATION_APIKEY_USERS", "root-user,plain-user,view-user,admin-user"),
        ("AUTHENTICATION_DB_USERS_ENABLED", "true"),
        ("AUTHORIZATION_RBAC_ENABLED", "true"),
        ("AUTHORIZATION_RBAC_ROOT_USERS", "root-user"),
        ("EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_USERS", "view-user"),
        ("EXPERIMENTAL_AUTHORIZATION_RBAC_ADMIN_USERS", "admin-user"),
    ]
}

fn denial(user: &str, action: &str, resource: &str) -> String {
    format!("rbac: authorization, forbidden action: user '{user}' has insufficient permissions to {action} {resource}")
}

fn names(a: &Answer) -> Vec<String> {
    a.json()
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn s4_3_viewer_reads_but_cannot_create() {
    // Compared with v1.38.11: the denial text of a viewer creating a collection.
    let env = Env::start(&rbac()).await;
    let denied = env
        .send("POST", "/v1/schema", Some("view-key"), Some(json!({"class": "Bar"})))
        .await;
    assert_eq!(
        (denied.status, denied.error()),
        (
            403,
            denial("view-user", "create_collections", "[[Domain: collections, Collection: Bar]]")
        )
    );
    assert_eq!(
        env.send("POST", "/v1/schema", Some("admin-key"), Some(json!({"class": "Bar"})))
            .await
            .status,
        200
    );
    assert_eq!(env.get("/v1/schema/Bar", Some("view-key")).await.status, 200);
    assert_eq!(env.get("/v1/schema", Some("view-key")).await.json()["classes"][0]["class"], "Bar");
}

#[tokio::test]
async fn s4_3_user_without_roles_sees_empty_lists_and_is_denied() {
    // Compared with v1.38.11: texts of read_data and read_users denials; `[]` lists.
    let env = Env::start(&rbac()).await;
    env.send("POST", "/v1/schema", Some("root-key"), Some(json!({"class": "Foo"})))
        .await;
    assert_eq!(env.get("/v1/schema", Some("plain-key")).await.body, "{\"classes\":[]}\n");
    assert_eq!(env.get("/v1/authz/roles", Some("plain-key")).await.body, "[]\n");
    assert_eq!(env.get("/v1/users/db", Some("plain-key")).await.body, "[]\n");
    let a = env.get("/v1/objects", Some("plain-key")).await;
    assert_eq!(
        a.error(),
        denial("plain-user", "read_data", "[[Domain: data, Collection: *, Tenant: *, Object: *]]")
    );
    let own = env.get("/v1/users/db/plain-user", Some("plain-key")).await;
    assert_eq!(
        own.error(),
        denial("plain-user", "read_users", "[[Domain: users, User: plain-user]]")
    );
    let create = env
        .send(
            "POST",
            "/v1/objects",
            Some("plain-key"),
            Some(json!({"class": "Bar", "properties": {}})),
        )
        .await;
    assert_eq!(
        create.error(),
        denial(
            "plain-user",
            "create_data",
            "[[Domain: data, Collection: Bar, Tenant: *, Object: *]]"
        )
    );
    assert_eq!(env.get("/v1/meta", Some("plain-key")).await.status, 200);
    assert_eq!(
        env.get("/v1/users/own-info", Some("plain-key")).await.json(),
        json!({"groups": null, "roles": null, "username": "plain-user"})
    );
}

#[tokio::test]
async fn s4_3_custom_editor_role_grants_what_it_lists() {
    // Compared with v1.38.11: create role 201, duplicate 409 text, unknown role 404 text, own-info roles.
    let env = Env::start(&rbac()).await;
    let role = json!({"name": "editor", "permissions": [
        {"action": "create_collections", "collections": {"collection": "Foo*"}},
        {"action": "read_collections", "collections": {"collection": "*"}},
    ]});
    assert_eq!(
        env.send("POST", "/v1/authz/roles", Some("root-key"), Some(role.clone()))
            .await
            .status,
        201
    );
    let dup = env.send("POST", "/v1/authz/roles", Some("root-key"), Some(role)).await;
    assert_eq!((dup.status, dup.error().as_str()), (409, "role with name editor already exists"));
    let missing = env
        .send(
            "POST",
            "/v1/authz/users/plain-user/assign",
            Some("root-key"),
            Some(json!({"roles": ["nope"], "userType": "db"})),
        )
        .await;
    assert_eq!(
        (missing.status, missing.error().as_str()),
        (404, "one or more of the roles requested doesn't exist")
    );
    let assign = env
        .send(
            "POST",
            "/v1/authz/users/plain-user/assign",
            Some("root-key"),
            Some(json!({"roles": ["editor"], "userType": "db"})),
        )
        .await;
    assert_eq!(assign.status, 200);
    assert_eq!(
        env.send("POST", "/v1/schema", Some("plain-key"), Some(json!({"class": "FooX"})))
            .await
            .status,
        200
    );
    let denied = env
        .send("POST", "/v1/schema", Some("plain-key"), Some(json!({"class": "Bar"})))
        .await;
    assert_eq!(
        denied.error(),
        denial("plain-user", "create_collections", "[[Domain: collections, Collection: Bar]]")
    );
    let own = env.get("/v1/users/own-info", Some("plain-key")).await.json();
    assert_eq!(own["roles"][0]["name"], "editor");
    assert_eq!(own["roles"][0]["permissions"][0]["action"], "create_collections");
    let roles = env.get("/v1/authz/users/plain-user/roles/db", Some("root-key")).await;
    assert_eq!(roles.json(), json!([{"name": "editor", "permissions": null}]));
    // Role subjects are keyed by user type: the oidc user of the same name holds nothing.
    assert_eq!(
        env.get("/v1/authz/users/plain-user/roles/oidc", Some("root-key")).await.json(),
        json!([])
    );
}

#[tokio::test]
async fn s4_3_root_role_is_visible_only_to_root_users_and_built_ins_cannot_be_deleted() {
    // Compared with v1.38.11.
    let env = Env::start(&rbac()).await;
    assert_eq!(
        names(&env.get("/v1/authz/roles", Some("root-key")).await),
        vec!["admin", "read-only", "root", "viewer"]
    );
    assert_eq!(
        names(&env.get("/v1/authz/roles", Some("view-key")).await),
        vec!["admin", "read-only", "viewer"]
    );
    let viewer = env.get("/v1/authz/roles/viewer", Some("view-key")).await.json();
    assert_eq!(viewer["permissions"].as_array().map(Vec::len), Some(11));
    let denied = env.get("/v1/authz/roles/viewer", Some("plain-key")).await;
    assert_eq!(
        denied.error(),
        format!(
            "can only create roles with less or equal permissions as the current user: {}",
            denial("plain-user", "read_roles", "[[Domain: roles, Role: viewer]]")
        )
    );
    let del = env.send("DELETE", "/v1/authz/roles/viewer", Some("root-key"), None).await;
    assert_eq!((del.status, del.error().as_str()), (400, "you can not delete built-in role viewer"));
    assert_eq!(env.get("/v1/authz/roles/nope", Some("root-key")).await.status, 404);
    let assign = env
        .send(
            "POST",
            "/v1/authz/users/view-user/assign",
            Some("plain-key"),
            Some(json!({"roles": ["admin"], "userType": "db"})),
        )
        .await;
    assert_eq!(
        assign.error(),
        denial("plain-user", "assign_and_revoke_users", "[[Domain: users, User: view-user]]")
    );
}

#[tokio::test]
async fn s4_3_root_lists_static_users_as_db_env_users() {
    // Compared with v1.38.11: configuration order, zero createdAt, roles, first letters for root.
    let env = Env::start(&rbac()).await;
    let list = env.get("/v1/users/db", Some("root-key")).await.json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|u| u["userId"].as_str())
        .collect();
    assert_eq!(ids, vec!["root-user", "plain-user", "view-user", "admin-user"]);
    assert_eq!(list[0]["dbUserType"], "db_env_user");
    assert_eq!(list[0]["createdAt"], "0001-01-01T00:00:00.000Z");
    assert_eq!(list[0]["roles"], json!(["root"]));
    assert_eq!(list[0].get("apiKeyFirstLetters"), None, "static users show no first letters");
    assert_eq!(
        env.get("/v1/users/db", Some("view-key")).await.body,
        "[]\n",
        "static users are for root only"
    );
}

#[tokio::test]
async fn s6_3_root_users_are_protected_and_only_root_sees_first_letters_or_imports() {
    // Compared with v1.38.11: an admin DB user `bob` against the root user, and root reading bob.
    let env = Env::start(&rbac()).await;
    let created = env.send("POST", "/v1/users/db/bob", Some("root-key"), None).await;
    let bob = created.json()["apikey"].as_str().expect("a key").to_owned();
    let assign = json!({"roles": ["admin"], "userType": "db"});
    assert_eq!(
        env.send("POST", "/v1/authz/users/bob/assign", Some("root-key"), Some(assign))
            .await
            .status,
        200
    );
    let bob = Some(bob.as_str());
    let rows = [
        ("POST", "/v1/users/db/root-user/deactivate", 422, "cannot deactivate root user"),
        ("DELETE", "/v1/users/db/root-user", 422, "cannot delete root user"),
        ("POST", "/v1/users/db/root-user/activate", 422, "cannot activate root user"),
        ("POST", "/v1/users/db/root-user/rotate-key", 422, "user 'root-user' is static user"),
        ("POST", "/v1/users/db/bob/deactivate", 422, "cannot deactivate its own user \"bob\""),
        ("POST", "/v1/users/db/root-user", 409, "user 'root-user' already exists"),
    ];
    for (method, path, status, text) in rows {
        let a = env.send(method, path, bob, None).await;
        assert_eq!((a.status, a.error().as_str()), (status, text), "{method} {path}");
    }
    let import = env
        .send("POST", "/v1/users/db/plain-user", bob, Some(json!({"import": true})))
        .await;
    assert_eq!(
        (import.status, import.error().as_str()),
        (403, "only root users can import static api keys")
    );
    let by_root = env
        .send("POST", "/v1/users/db/plain-user", Some("root-key"), Some(json!({"import": true})))
        .await;
    assert_eq!(by_root.status, 201, "the same import by root succeeds");
    let seen_by_bob = env.get("/v1/users/db/bob", bob).await.json();
    assert_eq!(seen_by_bob.get("apiKeyFirstLetters"), None);
    let listed = env.get("/v1/users/db", Some("root-key")).await.json();
    let ids: Vec<&str> = listed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|u| u["userId"].as_str())
        .collect();
    assert_eq!(
        ids,
        vec!["bob", "plain-user", "root-user", "view-user", "admin-user"],
        "DB users, then static ones"
    );
    let seen_by_root = env.get("/v1/users/db/bob", Some("root-key")).await.json();
    assert_eq!(seen_by_root["apiKeyFirstLetters"].as_str().map(str::len), Some(3));
    assert_eq!(seen_by_root["roles"], json!(["admin"]));
    // Deleting a user removes its role assignments.
    assert_eq!(env.send("DELETE", "/v1/users/db/bob", Some("root-key"), None).await.status, 204);
    assert_eq!(env.get("/v1/authz/users/bob/roles/db", Some("root-key")).await.json(), json!([]));
}

#[tokio::test]
async fn s4_3_root_and_read_only_are_assigned_by_the_environment_only() {
    // Compared with v1.38.11.
    let env = Env::start(&rbac()).await;
    for (path, verb, role) in [
        ("/v1/authz/users/plain-user/assign", "assigning", "root"),
        ("/v1/authz/users/plain-user/revoke", "revoking", "root"),
        ("/v1/authz/users/plain-user/assign", "assigning", "read-only"),
    ] {
        let a = env
            .send("POST", path, Some("root-key"), Some(json!({"roles": [role], "userType": "db"})))
            .await;
        assert_eq!(
            (a.status, a.error()),
            (
                403,
                format!("{verb}: modifying '{role}' role or changing its assignments is not allowed")
            )
        );
    }
    let ok = env
        .send(
            "POST",
            "/v1/authz/users/plain-user/assign",
            Some("root-key"),
            Some(json!({"roles": ["viewer"]})),
        )
        .await;
    assert_eq!(ok.status, 200, "userType defaults to db");
    assert_eq!(
        env.get("/v1/authz/users/plain-user/roles/db", Some("root-key")).await.json(),
        json!([{"name": "viewer", "permissions": null}])
    );
}

#[tokio::test]
async fn s4_3_group_role_assignment() {
    // Compared with v1.38.11: the empty-list denial, the 400 for a missing type, the empty 404.
    let env = Env::start(&rbac()).await;
    let body = json!({"roles": ["viewer"], "groupType": "oidc"});
    let denied = env
        .send("POST", "/v1/authz/groups/devs/assign", Some("plain-key"), Some(body.clone()))
        .await;
    assert_eq!(denied.error(), denial("plain-user", "assign_and_revoke_groups", "[]"));
    let untyped = env
        .send(
            "POST",
            "/v1/authz/groups/devs/assign",
            Some("root-key"),
            Some(json!({"roles": ["viewer"]})),
        )
        .await;
    assert_eq!((untyped.status, untyped.error().as_str()), (400, "unknown groupType: "));
    let unknown = env
        .send(
            "POST",
            "/v1/authz/groups/devs/assign",
            Some("root-key"),
            Some(json!({"roles": ["nope"], "groupType": "oidc"})),
        )
        .await;
    assert_eq!((unknown.status, unknown.body.as_str()), (404, ""));
    assert_eq!(
        env.send("POST", "/v1/authz/groups/devs/assign", Some("root-key"), Some(body.clone()))
            .await
            .status,
        200
    );
    assert_eq!(
        env.get("/v1/authz/groups/devs/roles/oidc", Some("root-key")).await.json(),
        json!([{"name": "viewer", "permissions": null}])
    );
    assert_eq!(
        env.get("/v1/authz/groups/devs/roles/oidc", Some("plain-key")).await.json(),
        json!([]),
        "no read_groups: empty, not denied"
    );
    assert_eq!(
        env.send("POST", "/v1/authz/groups/devs/revoke", Some("root-key"), Some(body))
            .await
            .status,
        200
    );
    assert_eq!(
        env.get("/v1/authz/groups/devs/roles/oidc", Some("root-key")).await.json(),
        json!([])
    );
}

#[tokio::test]
async fn s5_1_authz_endpoints_without_rbac_act_as_an_empty_store() {
    // Compared with v1.38.11 (anonymous only, no authorizer).
    let env = Env::start(&[]).await;
    assert_eq!(env.get("/v1/authz/roles", None).await.body, "[]\n");
    let role = json!({"name": "x", "permissions": [{"action": "read_collections", "collections": {"collection": "*"}}]});
    let created = env.send("POST", "/v1/authz/roles", None, Some(role)).await;
    assert_eq!((created.status, created.body.as_str()), (200, ""));
    assert_eq!(env.get("/v1/authz/roles", None).await.body, "[]\n", "nothing was kept");
    let get = env.get("/v1/authz/roles/viewer", None).await;
    assert_eq!((get.status, get.body.as_str()), (404, ""));
    let roles = env.get("/v1/authz/users/u/roles/db", None).await;
    assert_eq!((roles.status, roles.body.as_str()), (200, ""));
    let assign = env
        .send("POST", "/v1/authz/users/u/assign", None, Some(json!({"roles": ["viewer"]})))
        .await;
    assert_eq!(
        (assign.status, assign.error().as_str()),
        (404, "one or more of the roles requested doesn't exist")
    );
    let empty = env.send("POST", "/v1/authz/users/u/assign", None, Some(json!({"roles": []}))).await;
    assert_eq!((empty.status, empty.error().as_str()), (400, "roles can not be empty"));
    let group = env
        .send(
            "POST",
            "/v1/authz/groups/g/assign",
            None,
            Some(json!({"roles": ["viewer"], "groupType": "oidc"})),
        )
        .await;
    assert_eq!((group.status, group.body.as_str()), (404, ""));
}
