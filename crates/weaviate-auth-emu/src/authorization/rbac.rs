//! RBAC (spec 4.3), minimal: the built-in roles (`viewer`, `admin`, `root`, `read-only`) with the
//! permission lists v1.38.11 reports for them, roles created over `/v1/authz/roles`, and role
//! assignments keyed by user type (a `db` and an `oidc` user of the same name are different subjects).
//! Startup assignments come from the environment; `root` and `read-only` can only be given that way.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

use crate::authorization::Resource;
use crate::config::Config;
use crate::error::Error;
use crate::principal::{display_name, groups_suffix, Principal, UserKind};

/// The built-in roles, in the order the API lists them.
pub const BUILT_IN: [&str; 4] = ["admin", "read-only", "root", "viewer"];

/// Roles that only the environment can assign.
pub const ENV_ONLY: [&str; 2] = ["root", "read-only"];

/// Every permission of the `admin` and `root` roles as v1.38.11 lists them (recorded); the
/// `viewer` and `read-only` roles hold the `read_*` ones.
fn full_permissions() -> Vec<Value> {
    let roles = json!({"role": "*", "scope": "all"});
    let users = json!({"users": "*"});
    let groups = json!({"group": "*", "groupType": "oidc"});
    let collections = json!({"collection": "*"});
    let data = json!({"collection": "*", "object": "*", "tenant": "*"});
    let tenants = json!({"collection": "*", "tenant": "*"});
    let replicate = json!({"collection": "*", "shard": "*"});
    let aliases = json!({"alias": "*", "collection": "*"});
    let mut out = Vec::new();
    for verb in ["create", "read", "update", "delete"] {
        out.push(json!({"action": format!("{verb}_roles"), "roles": roles}));
    }
    out.push(json!({"action": "manage_backups", "backups": {"collection": "*"}}));
    out.push(json!({"action": "manage_namespaces", "namespaces": {"namespace": "*"}}));
    out.push(json!({"action": "assign_and_revoke_users", "users": users}));
    for verb in ["create", "read", "update", "delete"] {
        out.push(json!({"action": format!("{verb}_users"), "users": users}));
    }
    out.push(json!({"action": "read_cluster"}));
    out.push(json!({"action": "assign_and_revoke_groups", "groups": groups}));
    out.push(json!({"action": "read_groups", "groups": groups}));
    out.push(json!({"action": "read_nodes", "nodes": {"collection": "*", "verbosity": "verbose"}}));
    for (domain, filter) in [
        ("collections", collections),
        ("data", data),
        ("tenants", tenants),
        ("replicate", replicate),
        ("aliases", aliases),
    ] {
        for verb in ["create", "read", "update", "delete"] {
            out.push(json!({"action": format!("{verb}_{domain}"), domain: filter}));
        }
    }
    for verb in ["create", "read", "update"] {
        out.push(json!({"action": format!("{verb}_mcp")}));
    }
    out
}

fn read_permissions() -> Vec<Value> {
    full_permissions()
        .into_iter()
        .filter(|p| p["action"].as_str().is_some_and(|a| a.starts_with("read_")))
        .collect()
}

/// `*` anywhere in `pattern` matches any run of characters.
fn glob(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((head, tail)) => {
            let Some(rest) = value.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// Whether a permission (Weaviate's JSON form) grants `action` on `resource`.
fn grants(permission: &Value, action: &str, resource: &Resource) -> bool {
    if permission["action"].as_str() != Some(action) {
        return false;
    }
    let field = |domain: &str, key: &str| permission[domain][key].as_str().unwrap_or("*").to_owned();
    match resource {
        Resource::Collections(c) => glob(&field("collections", "collection"), c),
        Resource::Data(c) => glob(&field("data", "collection"), c),
        Resource::Object { collection, id } => glob(&field("data", "collection"), collection) && glob(&field("data", "object"), id),
        Resource::Users(u) => glob(&field("users", "users"), u),
        Resource::Roles(r) => glob(&field("roles", "role"), r),
        Resource::Groups(g) => glob(&field("groups", "group"), g),
        Resource::Nodes | Resource::Cluster => true,
    }
}

#[derive(Debug, Default)]
struct State {
    roles: BTreeMap<String, Vec<Value>>,
    users: HashMap<(UserKind, String), BTreeSet<String>>,
    groups: HashMap<String, BTreeSet<String>>,
}

/// Why a role operation failed, before it becomes a handler answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleError {
    /// 409 `role with name <n> already exists`.
    Exists(String),
    /// 400 `you can not delete built-in role <n>`.
    BuiltIn(String),
    /// 403: `root` and `read-only` are assigned by the environment only.
    EnvOnly {
        /// `assigning` or `revoking`.
        verb: &'static str,
        /// The role.
        role: String,
    },
    /// 404 `one or more of the roles requested doesn't exist`.
    Missing,
}

impl From<RoleError> for Error {
    fn from(e: RoleError) -> Error {
        match e {
            RoleError::Exists(name) => Error::RoleExists(name),
            RoleError::BuiltIn(name) => Error::BuiltInRole(name),
            RoleError::EnvOnly { verb, role } => Error::EnvOnlyRole { verb, role },
            RoleError::Missing => Error::RolesMissing,
        }
    }
}

/// RBAC: roles and who holds them.
#[derive(Debug)]
pub struct Rbac {
    root_users: Vec<String>,
    state: Mutex<State>,
}

impl Rbac {
    /// The built-in roles plus the startup assignments of spec 4.3.
    pub fn new(config: &Config) -> Self {
        let mut state = State::default();
        state.roles.insert("admin".into(), full_permissions());
        state.roles.insert("root".into(), full_permissions());
        state.roles.insert("viewer".into(), read_permissions());
        state.roles.insert("read-only".into(), read_permissions());
        let r = &config.rbac;
        for (names, role) in [(&r.root_users, "root"), (&r.admin_users, "admin"), (&r.viewer_users, "viewer")] {
            for name in names {
                // A db subject only if the name is a static key user; DB users are never made root this way.
                if config.api_key.has_user(name) {
                    state.users.entry((UserKind::Db, name.clone())).or_default().insert(role.into());
                }
                if config.oidc.enabled {
                    state.users.entry((UserKind::Oidc, name.clone())).or_default().insert(role.into());
                }
            }
        }
        for (groups, role) in [(&r.root_groups, "root"), (&r.readonly_groups, "read-only")] {
            for group in groups {
                state.groups.entry(group.clone()).or_default().insert(role.into());
            }
        }
        Rbac {
            root_users: r.root_users.clone(),
            state: Mutex::new(state),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The role names of a principal: its own, then those of its groups.
    pub fn roles_of(&self, principal: &Principal) -> BTreeSet<String> {
        let state = self.lock();
        let mut roles = state
            .users
            .get(&(principal.kind, principal.username.clone()))
            .cloned()
            .unwrap_or_default();
        for group in &principal.groups {
            if let Some(more) = state.groups.get(group) {
                roles.extend(more.iter().cloned());
            }
        }
        roles
    }

    /// The roles of a subject (no groups), for the user info and `/v1/authz/users/<id>/roles`.
    pub fn roles_of_user(&self, kind: UserKind, name: &str) -> BTreeSet<String> {
        self.lock().users.get(&(kind, name.to_owned())).cloned().unwrap_or_default()
    }

    /// Whether the principal holds `root` (directly or through a group).
    pub fn is_root(&self, principal: Option<&Principal>) -> bool {
        principal.is_some_and(|p| self.roles_of(p).contains("root"))
    }

    /// Whether `name` is listed in `AUTHORIZATION_RBAC_ROOT_USERS` (who may see the `root` role).
    pub fn is_listed_root(&self, principal: Option<&Principal>) -> bool {
        principal.is_some_and(|p| self.root_users.contains(&p.username))
    }

    /// Spec 4.3: allowed, or the `rbac: …` denial text.
    pub fn authorize(&self, principal: Option<&Principal>, action: &str, resource: &Resource) -> Result<(), Error> {
        let Some(p) = principal else {
            return Err(Error::Forbidden("rbac: user is not authenticated".into()));
        };
        let roles = self.roles_of(p);
        let state = self.lock();
        let allowed = roles
            .iter()
            .filter_map(|r| state.roles.get(r))
            .flatten()
            .any(|perm| grants(perm, action, resource));
        if allowed {
            return Ok(());
        }
        Err(Error::Forbidden(format!(
            "rbac: authorization, forbidden action: user '{}'{} has insufficient permissions to {action} {}",
            display_name(principal),
            groups_suffix(principal),
            resource.rbac_display()
        )))
    }

    /// The permissions of `name`.
    pub fn role(&self, name: &str) -> Option<Vec<Value>> {
        self.lock().roles.get(name).cloned()
    }

    /// Every role name.
    pub fn role_names(&self) -> Vec<String> {
        self.lock().roles.keys().cloned().collect()
    }

    /// Creates a role.
    pub fn create_role(&self, name: &str, permissions: Vec<Value>) -> Result<(), RoleError> {
        let mut state = self.lock();
        if state.roles.contains_key(name) {
            return Err(RoleError::Exists(name.to_owned()));
        }
        state.roles.insert(name.to_owned(), permissions);
        Ok(())
    }

    /// Deletes a role and its assignments.
    pub fn delete_role(&self, name: &str) -> Result<(), RoleError> {
        if BUILT_IN.contains(&name) {
            return Err(RoleError::BuiltIn(name.to_owned()));
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        state.roles.remove(name);
        for roles in state.users.values_mut().chain(state.groups.values_mut()) {
            roles.remove(name);
        }
        Ok(())
    }

    /// Assigns (or with `assign == false`, revokes) roles of a user (`Some(kind)`) or of an OIDC
    /// group (`None`).
    pub fn assign(&self, kind: Option<UserKind>, subject: &str, roles: &[String], assign: bool) -> Result<(), RoleError> {
        if let Some(r) = roles.iter().find(|r| ENV_ONLY.contains(&r.as_str())) {
            // Recorded on v1.38.11.
            return Err(RoleError::EnvOnly {
                verb: if assign { "assigning" } else { "revoking" },
                role: r.clone(),
            });
        }
        let mut state = self.lock();
        if roles.iter().any(|r| !state.roles.contains_key(r)) {
            return Err(RoleError::Missing);
        }
        let held = match kind {
            Some(kind) => state.users.entry((kind, subject.to_owned())).or_default(),
            None => state.groups.entry(subject.to_owned()).or_default(),
        };
        for role in roles {
            if assign {
                held.insert(role.clone());
            } else {
                held.remove(role);
            }
        }
        Ok(())
    }

    /// The roles of an OIDC group.
    pub fn roles_of_group(&self, group: &str) -> BTreeSet<String> {
        self.lock().groups.get(group).cloned().unwrap_or_default()
    }

    /// Removes every assignment of a subject (a deleted DB user).
    pub fn forget(&self, kind: UserKind, user: &str) {
        self.lock().users.remove(&(kind, user.to_owned()));
    }

    /// `{"name":…,"permissions":[…]}` of every held role, for own-info; `None` without roles.
    pub fn role_objects(&self, names: &BTreeSet<String>) -> Option<Vec<Value>> {
        if names.is_empty() {
            return None;
        }
        let state = self.lock();
        Some(
            names
                .iter()
                .map(|n| json!({"name": n, "permissions": state.roles.get(n).cloned().unwrap_or_default()}))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s4_3_globs() {
        assert!(glob("*", "Foo"));
        assert!(glob("Foo*", "FooBar"));
        assert!(!glob("Foo*", "Bar"));
        assert!(glob("*Bar", "FooBar"));
        assert!(glob("Foo", "Foo"));
    }

    #[test]
    fn s4_3_built_in_permission_counts_match_v1_38_11() {
        // Recorded from v1.38.11: admin and root list 38 permissions, viewer and read-only 11.
        assert_eq!(full_permissions().len(), 38);
        assert_eq!(read_permissions().len(), 11);
    }
}
