//! Who may do what with database users, and in which order Weaviate checks it (spec 6.2, 6.3):
//! `UserAdmin` holds the rules of `/v1/users/db` as plain functions over the configuration, the
//! records and the caller, so that they can be tested without HTTP. Each check returns the named
//! `Error` Weaviate answers with; the order of the checks is part of the behaviour.

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::authorization::{Caller, Resource, Verb};
use crate::config::Config;
use crate::db_users::{format_time, ApiKey, DbUsers, StateError, ZERO_TIME};
use crate::error::Error;
use crate::principal::UserKind;

/// Spec 6.2: a user id must start with a letter, continue with letters, digits, `-`, `_`, `@`
/// or `.`, and have at most 128 characters.
pub fn validate_user_id(id: &str) -> Result<(), Error> {
    if id.chars().count() > 128 {
        return Err(Error::UserNameTooLong(id.to_owned()));
    }
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '.'));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(Error::InvalidUserName(id.to_owned()))
    }
}

/// What `POST /v1/users/db/{id}` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRequest {
    /// `import`: take over the static key of the static user `id`.
    pub import: bool,
    /// `createTime` of an import (RFC 3339); now when absent or unreadable.
    pub created_at: Option<OffsetDateTime>,
}

/// The rules of `/v1/users/db` for one caller.
#[derive(Debug, Clone, Copy)]
pub struct UserAdmin<'a> {
    config: &'a Config,
    users: &'a DbUsers,
    caller: Caller<'a>,
}

impl<'a> UserAdmin<'a> {
    /// The rules over `config` and `users`, for `caller`.
    pub fn new(config: &'a Config, users: &'a DbUsers, caller: Caller<'a>) -> Self {
        UserAdmin { config, users, caller }
    }

    /// `GET /v1/users/db`: the DB users the caller may read, by id (v1.38.11 lists them in no
    /// fixed order), then, for root callers only, the static users not imported, in
    /// configuration order (recorded on v1.38.11). Empty when DB users are off.
    pub fn list(&self, include_last_used: bool) -> Vec<Value> {
        if !self.users.enabled() {
            return Vec::new();
        }
        let mut out: Vec<Value> = self
            .users
            .list()
            .into_iter()
            .filter(|record| self.caller.allows(Verb::Read, &Resource::Users(record.id.clone())))
            .filter_map(|record| self.db_user_view(&record.id, include_last_used))
            .collect();
        if self.caller.is_root() {
            out.extend(self.env_users().iter().map(|user| self.env_user_view(user)));
        }
        out
    }

    /// `GET /v1/users/db/{id}`: a DB user, or (root callers only) a static user.
    pub fn get(&self, id: &str, include_last_used: bool) -> Result<Value, Error> {
        self.caller.authorize(Verb::Read, Resource::Users(id.to_owned()))?;
        self.require_enabled()?;
        if self.users.exists(id) {
            return self.db_user_view(id, include_last_used).ok_or(Error::EmptyNotFound);
        }
        if self.caller.is_root() && self.env_users().iter().any(|u| u == id) {
            return Ok(self.env_user_view(id));
        }
        Err(Error::EmptyNotFound)
    }

    /// `POST /v1/users/db/{id}`: a new user and its key, or the import of a static user's key.
    /// The name is checked before the permission, the permission before the switch, and the
    /// body (`request`, whose binding error waits until then) after all three.
    pub fn create(&self, id: &str, request: Result<CreateRequest, Error>) -> Result<ApiKey, Error> {
        validate_user_id(id)?;
        self.caller.authorize(Verb::Create, Resource::Users(id.to_owned()))?;
        self.require_enabled()?;
        let request = request?;
        if request.import {
            return self.import(id, request.created_at);
        }
        if self.users.exists(id) || self.is_static_user(id) {
            return Err(Error::UserExists(id.to_owned()));
        }
        if self.is_root_user(id) {
            return Err(Error::RootUserName);
        }
        let key = self.users.create(id);
        tracing::info!(user = id, "db user created");
        Ok(key)
    }

    fn import(&self, id: &str, created_at: Option<OffsetDateTime>) -> Result<ApiKey, Error> {
        if self.caller.rbac().is_some() && !self.caller.is_root() {
            return Err(Error::ImportNeedsRoot);
        }
        if self.users.exists(id) {
            return Err(Error::UserExists(id.to_owned()));
        }
        let api_key = &self.config.api_key;
        let key = api_key
            .allowed_keys
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .find(|(i, _)| api_key.enabled && api_key.user_for(*i) == id)
            .map(|(_, k)| ApiKey::new(k.as_str()))
            .ok_or_else(|| Error::StaticUserMissing(id.to_owned()))?;
        self.users.import(id, &key, created_at);
        Ok(key)
    }

    /// `POST /v1/users/db/{id}/rotate-key`. No root check here (spec 6.3): a root user that is
    /// not a DB user gets 404.
    pub fn rotate(&self, id: &str) -> Result<ApiKey, Error> {
        self.caller.authorize(Verb::Update, Resource::Users(id.to_owned()))?;
        self.require_enabled()?;
        if self.is_static_user(id) && !self.users.exists(id) {
            return Err(Error::StaticUser(id.to_owned()));
        }
        let key = self.users.rotate(id).ok_or(Error::EmptyNotFound)?;
        tracing::info!(user = id, "db user key rotated");
        Ok(key)
    }

    /// `POST /v1/users/db/{id}/activate` and `…/deactivate`. `revoke` (deactivate only: the
    /// body's `revoke_key`) is read after the checks, so its binding error comes last.
    pub fn set_active(&self, id: &str, active: bool, revoke: Result<bool, Error>) -> Result<(), Error> {
        self.caller.authorize(Verb::Update, Resource::Users(id.to_owned()))?;
        self.require_enabled()?;
        self.lifecycle_checks(id, if active { "activate" } else { "deactivate" })?;
        let revoke = revoke?;
        self.users.set_active(id, active, revoke).map_err(|e| match e {
            StateError::Unknown => Error::EmptyNotFound,
            StateError::Unchanged => Error::UserStateUnchanged,
        })
    }

    /// `DELETE /v1/users/db/{id}`; the user's role assignments go with it.
    pub fn delete(&self, id: &str) -> Result<(), Error> {
        self.caller.authorize(Verb::Delete, Resource::Users(id.to_owned()))?;
        self.require_enabled()?;
        self.lifecycle_checks(id, "delete")?;
        if !self.users.delete(id) {
            return Err(Error::EmptyNotFound);
        }
        if let Some(rbac) = self.caller.rbac() {
            rbac.forget(UserKind::Db, id);
        }
        Ok(())
    }

    /// Spec 6.3: own user, root user, static user, then existence (left to the caller).
    fn lifecycle_checks(&self, id: &str, action: &'static str) -> Result<(), Error> {
        if action != "activate" && self.caller.principal().is_some_and(|p| p.username == id) {
            return Err(Error::OwnUser {
                action,
                user: id.to_owned(),
            });
        }
        if self.is_root_user(id) {
            return Err(Error::RootUser { action });
        }
        if self.is_static_user(id) && !self.users.exists(id) {
            return Err(Error::StaticUser(id.to_owned()));
        }
        Ok(())
    }

    fn require_enabled(&self) -> Result<(), Error> {
        if self.users.enabled() {
            Ok(())
        } else {
            Err(Error::DbUsersDisabled)
        }
    }

    /// Whether `id` is an RBAC root user (by name, as Weaviate's checks compare names).
    fn is_root_user(&self, id: &str) -> bool {
        self.caller.rbac().is_some() && self.config.rbac.root_users.iter().any(|u| u == id)
    }

    fn is_static_user(&self, id: &str) -> bool {
        self.config.api_key.has_user(id)
    }

    /// Static users not imported as DB users, in configuration order without repeats.
    fn env_users(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.config.api_key.enabled {
            for user in self.config.api_key.users.as_deref().unwrap_or(&[]) {
                if !out.contains(user) && !self.users.exists(user) {
                    out.push(user.clone());
                }
            }
        }
        out
    }

    fn roles_of(&self, id: &str) -> Vec<String> {
        self.caller
            .rbac()
            .map(|r| r.roles_of_user(UserKind::Db, id).into_iter().collect())
            .unwrap_or_default()
    }

    /// A DB user as the API shows it: `lastUsedAt` only when asked for, `apiKeyFirstLetters` to
    /// root callers only.
    fn db_user_view(&self, id: &str, include_last_used: bool) -> Option<Value> {
        let record = self.users.get(id)?;
        let mut info = serde_json::Map::new();
        info.insert("active".into(), json!(record.active));
        info.insert("createdAt".into(), json!(format_time(record.created_at)));
        info.insert("dbUserType".into(), json!("db_user"));
        let last_used = if include_last_used {
            format_time(record.last_used)
        } else {
            ZERO_TIME.to_owned()
        };
        info.insert("lastUsedAt".into(), json!(last_used));
        if self.caller.is_root() {
            info.insert("apiKeyFirstLetters".into(), json!(record.first_letters));
        }
        info.insert("roles".into(), json!(self.roles_of(id)));
        info.insert("userId".into(), json!(id));
        Some(Value::Object(info))
    }

    /// A static user as the API shows it. Recorded on v1.38.11: no `apiKeyFirstLetters`, even
    /// to root callers.
    fn env_user_view(&self, id: &str) -> Value {
        json!({
            "active": true,
            "createdAt": ZERO_TIME,
            "dbUserType": "db_env_user",
            "lastUsedAt": ZERO_TIME,
            "roles": self.roles_of(id),
            "userId": id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization::Authorizer;
    use crate::principal::Principal;

    #[test]
    fn s6_2_user_ids() {
        assert!(validate_user_id("alice@example.com").is_ok());
        assert_eq!(validate_user_id("1bad"), Err(Error::InvalidUserName("1bad".into())));
        let long = format!("a{}", "b".repeat(128));
        assert_eq!(validate_user_id(&long), Err(Error::UserNameTooLong(long.clone())));
        assert!(validate_user_id(&format!("a{}", "b".repeat(127))).is_ok());
    }

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_vars(vars.iter().copied()).expect("a valid config")
    }

    #[test]
    fn s6_3_checks_run_in_weaviates_order() {
        let config = config(&[
            ("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "false"),
            ("AUTHENTICATION_APIKEY_ENABLED", "true"),
            ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "root-key,static-key"),
            ("AUTHENTICATION_APIKEY_USERS", "root,static"),
            ("AUTHENTICATION_DB_USERS_ENABLED", "true"),
            ("AUTHORIZATION_RBAC_ENABLED", "true"),
            ("AUTHORIZATION_RBAC_ROOT_USERS", "root"),
        ]);
        let users = DbUsers::new(true);
        let authorizer = Authorizer::from_config(&config);
        let root = Principal::db("root");
        let admin = UserAdmin::new(&config, &users, authorizer.caller(Some(&root)));
        // The name before anything else, even for a caller without permissions.
        let nobody = UserAdmin::new(&config, &users, authorizer.caller(None));
        assert_eq!(
            nobody.create("1x", Err(Error::InvalidBody("later".into()))),
            Err(Error::InvalidUserName("1x".into()))
        );
        assert!(matches!(nobody.create("x", Ok(CreateRequest::default())), Err(Error::Forbidden(_))));
        assert_eq!(
            admin.create("static", Ok(CreateRequest::default())),
            Err(Error::UserExists("static".into()))
        );
        let key = admin.create("dora", Ok(CreateRequest::default())).expect("a new user");
        assert_eq!(key.expose().len(), 88);
        assert_eq!(
            admin.delete("root"),
            Err(Error::OwnUser {
                action: "delete",
                user: "root".into()
            })
        );
        assert_eq!(
            admin.set_active("static", false, Ok(false)),
            Err(Error::StaticUser("static".into()))
        );
        admin.set_active("dora", false, Ok(true)).expect("dora deactivated");
        assert_eq!(admin.set_active("dora", false, Ok(false)), Err(Error::UserStateUnchanged));
        // Root callers see the static users after the DB users.
        let ids: Vec<Value> = admin.list(false).iter().map(|u| u["userId"].clone()).collect();
        assert_eq!(ids, vec![json!("dora"), json!("root"), json!("static")]);
        let imported = admin
            .create(
                "static",
                Ok(CreateRequest {
                    import: true,
                    created_at: None,
                }),
            )
            .expect("an import");
        assert_eq!(imported.expose(), "static-key");
        assert_eq!(admin.get("static", false).expect("imported")["dbUserType"], "db_user");
    }

    #[test]
    fn s6_3_db_users_off_is_a_422_after_the_permission_check() {
        let config = config(&[]);
        let users = DbUsers::new(false);
        let authorizer = Authorizer::from_config(&config);
        let admin = UserAdmin::new(&config, &users, authorizer.caller(None));
        assert_eq!(admin.rotate("x"), Err(Error::DbUsersDisabled));
        assert!(admin.list(true).is_empty());
    }
}
