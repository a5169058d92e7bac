//! Spec 6: database users, keys in the `v200` format, and their lifecycle's effect on authentication.

use base64::Engine;
use serde_json::json;

use crate::support::{with, Env, STATIC_KEYS};

fn vars() -> Vec<(&'static str, &'static str)> {
    with(&STATIC_KEYS, &[("AUTHENTICATION_DB_USERS_ENABLED", "true")])
}

async fn create(env: &Env, id: &str) -> String {
    let a = env.send("POST", &format!("/v1/users/db/{id}"), Some("admin-key"), None).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.json()["apikey"].as_str().expect("an apikey").to_owned()
}

async fn whoami(env: &Env, key: &str) -> (u16, String) {
    let a = env.get("/v1/users/own-info", Some(key)).await;
    let text = if a.status == 200 {
        a.json()["username"].as_str().unwrap_or("").to_owned()
    } else {
        a.message()
    };
    (a.status, text)
}

#[tokio::test]
async fn s6_1_created_keys_have_the_v200_format() {
    // Compared with v1.38.11: 88 characters, no padding, three parts of 16 and 44 characters.
    let env = Env::start(&vars()).await;
    let key = create(&env, "alice").await;
    assert_eq!(key.len(), 88);
    let plain = base64::engine::general_purpose::STANDARD.decode(&key).expect("standard base64");
    let plain = String::from_utf8(plain).expect("UTF-8");
    let parts: Vec<&str> = plain.split('_').collect();
    assert_eq!(parts.len(), 3, "{plain}");
    assert_eq!((parts[0].len(), parts[1].len(), parts[2]), (16, 44, "v200"));
    assert_eq!(whoami(&env, &key).await, (200, "alice".into()));
}

#[tokio::test]
async fn s6_2_bad_ids_and_existing_users_are_refused() {
    // Compared with v1.38.11.
    let env = Env::start(&vars()).await;
    let bad = env.send("POST", "/v1/users/db/1bad", Some("admin-key"), None).await;
    assert_eq!((bad.status, bad.error().as_str()), (422, "'1bad' is not a valid user name"));
    let long = format!("a{}", "b".repeat(128));
    let a = env.send("POST", &format!("/v1/users/db/{long}"), Some("admin-key"), None).await;
    assert_eq!(
        a.error(),
        format!("'{long}' is not a valid user name. Name should not be longer than 128 characters")
    );
    create(&env, "alice").await;
    let dup = env.send("POST", "/v1/users/db/alice", Some("admin-key"), None).await;
    assert_eq!((dup.status, dup.error().as_str()), (409, "user 'alice' already exists"));
    let static_user = env.send("POST", "/v1/users/db/ro-user", Some("admin-key"), None).await;
    assert_eq!(static_user.error(), "user 'ro-user' already exists");
}

#[tokio::test]
async fn s6_3_user_info_has_sorted_keys_and_millisecond_times() {
    // Compared with v1.38.11 (non-root caller: no apiKeyFirstLetters).
    let env = Env::start(&vars()).await;
    create(&env, "alice").await;
    let a = env.get("/v1/users/db/alice", Some("admin-key")).await;
    let info = a.json();
    let keys: Vec<&String> = info.as_object().expect("an object").keys().collect();
    assert_eq!(keys, vec!["active", "createdAt", "dbUserType", "lastUsedAt", "roles", "userId"]);
    let created = info["createdAt"].as_str().expect("a time");
    assert_eq!((created.len(), &created[19..20], &created[23..]), (24, ".", "Z"), "{created}");
    assert_eq!(info["lastUsedAt"], "0001-01-01T00:00:00.000Z");
    assert_eq!(info["dbUserType"], "db_user");
    assert_eq!(env.get("/v1/users/db/nobody", Some("admin-key")).await.status, 404);
    let listed = env.get("/v1/users/db", Some("admin-key")).await.json();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(1),
        "static users are shown to root callers only"
    );
}

#[tokio::test]
async fn s6_3_rotate_kills_the_old_key_at_once() {
    // Compared with v1.38.11.
    let env = Env::start(&vars()).await;
    let old = create(&env, "alice").await;
    let rotated = env.send("POST", "/v1/users/db/alice/rotate-key", Some("admin-key"), None).await;
    assert_eq!(rotated.status, 200);
    let new = rotated.json()["apikey"].as_str().expect("a key").to_owned();
    assert_ne!(new, old);
    assert_eq!(
        whoami(&env, &old).await,
        (401, "unauthorized: invalid api key: invalid token".into())
    );
    assert_eq!(whoami(&env, &new).await, (200, "alice".into()));
    let stat = env.send("POST", "/v1/users/db/ro-user/rotate-key", Some("admin-key"), None).await;
    assert_eq!((stat.status, stat.error().as_str()), (422, "user 'ro-user' is static user"));
    assert_eq!(
        env.send("POST", "/v1/users/db/nobody/rotate-key", Some("admin-key"), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn s6_3_deactivate_revoke_and_activate() {
    // Compared with v1.38.11: statuses, empty 409s and the 401 reasons.
    let env = Env::start(&vars()).await;
    let key = create(&env, "alice").await;
    assert_eq!(
        env.send("POST", "/v1/users/db/alice/deactivate", Some("admin-key"), None)
            .await
            .status,
        200
    );
    let again = env.send("POST", "/v1/users/db/alice/deactivate", Some("admin-key"), None).await;
    assert_eq!((again.status, again.body.as_str()), (409, ""));
    assert_eq!(
        whoami(&env, &key).await,
        (401, "unauthorized: invalid api key: user deactivated".into())
    );
    assert_eq!(
        env.send("POST", "/v1/users/db/alice/activate", Some("admin-key"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        env.send("POST", "/v1/users/db/alice/activate", Some("admin-key"), None)
            .await
            .status,
        409
    );
    assert_eq!(whoami(&env, &key).await, (200, "alice".into()));
    let revoke = env
        .send(
            "POST",
            "/v1/users/db/alice/deactivate",
            Some("admin-key"),
            Some(json!({"revoke_key": true})),
        )
        .await;
    assert_eq!(revoke.status, 200);
    env.send("POST", "/v1/users/db/alice/activate", Some("admin-key"), None).await;
    assert_eq!(
        whoami(&env, &key).await,
        (401, "unauthorized: invalid api key: key is revoked".into())
    );
    let fresh = env
        .send("POST", "/v1/users/db/alice/rotate-key", Some("admin-key"), None)
        .await
        .json()["apikey"]
        .as_str()
        .expect("a key")
        .to_owned();
    assert_eq!(whoami(&env, &fresh).await, (200, "alice".into()), "rotation clears revocation");
}

#[tokio::test]
async fn s6_3_secret_is_checked_before_the_deactivated_flag() {
    let env = Env::start(&vars()).await;
    let old = create(&env, "alice").await;
    env.send("POST", "/v1/users/db/alice/rotate-key", Some("admin-key"), None).await;
    env.send("POST", "/v1/users/db/alice/deactivate", Some("admin-key"), None).await;
    assert_eq!(
        whoami(&env, &old).await,
        (401, "unauthorized: invalid api key: invalid token".into())
    );
}

#[tokio::test]
async fn s6_3_lifecycle_refusals_and_delete() {
    // Compared with v1.38.11: own user and static user texts, 404s, delete then invalid token.
    let env = Env::start(&vars()).await;
    let own = env
        .send("POST", "/v1/users/db/admin-user/deactivate", Some("admin-key"), None)
        .await;
    assert_eq!(
        (own.status, own.error().as_str()),
        (422, "cannot deactivate its own user \"admin-user\"")
    );
    let stat = env.send("DELETE", "/v1/users/db/ro-user", Some("admin-key"), None).await;
    assert_eq!(stat.error(), "user 'ro-user' is static user");
    assert_eq!(env.send("DELETE", "/v1/users/db/nobody", Some("admin-key"), None).await.status, 404);
    assert_eq!(
        env.send("POST", "/v1/users/db/nobody/deactivate", Some("admin-key"), None)
            .await
            .status,
        404
    );
    let key = create(&env, "alice").await;
    let del = env.send("DELETE", "/v1/users/db/alice", Some("admin-key"), None).await;
    assert_eq!((del.status, del.body.as_str()), (204, ""));
    assert_eq!(
        whoami(&env, &key).await,
        (401, "unauthorized: invalid api key: invalid token".into())
    );
}

#[tokio::test]
async fn s6_3_db_users_off_gives_422_except_for_the_list() {
    // Compared with v1.38.11 (the 422 text and the empty list).
    let env = Env::start(&STATIC_KEYS).await;
    let a = env.send("POST", "/v1/users/db/alice", Some("admin-key"), None).await;
    assert_eq!((a.status, a.error().as_str()), (422, "db user management is not enabled"));
    assert_eq!(env.get("/v1/users/db", Some("admin-key")).await.body, "[]\n");
}

#[tokio::test]
async fn s3_1_imported_static_key_authenticates_until_rotated() {
    // Compared with v1.38.11: import returns the static key itself; after rotation it is dead.
    let env = Env::start(&vars()).await;
    let import = env
        .send("POST", "/v1/users/db/ro-user", Some("admin-key"), Some(json!({"import": true})))
        .await;
    assert_eq!((import.status, import.json()), (201, json!({"apikey": "ro-key"})));
    assert_eq!(whoami(&env, "ro-key").await, (200, "ro-user".into()));
    let missing = env
        .send("POST", "/v1/users/db/ghost", Some("admin-key"), Some(json!({"import": true})))
        .await;
    assert_eq!(
        (missing.status, missing.error().as_str()),
        (404, "static user ghost does not exist")
    );
    env.send("POST", "/v1/users/db/ro-user/rotate-key", Some("admin-key"), None).await;
    assert_eq!(whoami(&env, "ro-key").await, (401, "unauthorized: invalid api key".into()));
}

#[tokio::test]
async fn s6_3_last_used_time_is_shown_only_when_asked() {
    // Compared with v1.38.11: zero date by default, a real time with `includeLastUsedTime=true` or `=1`.
    let env = Env::start(&vars()).await;
    let key = create(&env, "carol").await;
    assert_eq!(
        env.get("/v1/users/db/carol?includeLastUsedTime=true", Some("admin-key"))
            .await
            .json()["lastUsedAt"],
        "0001-01-01T00:00:00.000Z",
        "never used yet"
    );
    assert_eq!(whoami(&env, &key).await.0, 200);
    for query in ["true", "1"] {
        let used = env
            .get(&format!("/v1/users/db/carol?includeLastUsedTime={query}"), Some("admin-key"))
            .await
            .json();
        assert_ne!(used["lastUsedAt"], "0001-01-01T00:00:00.000Z", "{query}");
    }
    let hidden = env
        .get("/v1/users/db/carol?includeLastUsedTime=false", Some("admin-key"))
        .await
        .json();
    assert_eq!(hidden["lastUsedAt"], "0001-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn s6_3_deactivate_refuses_a_revoke_key_that_is_not_a_boolean() {
    // Compared with v1.38.11.
    let env = Env::start(&vars()).await;
    create(&env, "carol").await;
    let a = env
        .send(
            "POST",
            "/v1/users/db/carol/deactivate",
            Some("admin-key"),
            Some(json!({"revoke_key": "yes"})),
        )
        .await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.message(),
        "parsing body body from \"\" failed, because json: cannot unmarshal string into Go struct field DeactivateUserBody.revoke_key of type bool"
    );
    let fixed = env
        .send(
            "POST",
            "/v1/users/db/carol/deactivate",
            Some("admin-key"),
            Some(json!({"revoke_key": true})),
        )
        .await;
    assert_eq!(fixed.status, 200);
}
