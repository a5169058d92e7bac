//! The admin-list authorizer (spec 4.2): full access for listed users and groups, read-only access
//! (`R` only) for the read-only lists; anonymous callers are the user `anonymous`.

use crate::authorization::{Resource, Verb};
use crate::config::AdminListConfig;
use crate::error::Error;
use crate::principal::{display_name, groups_suffix, Principal};

/// The four lists of `AUTHORIZATION_ADMINLIST_*`.
#[derive(Debug, Clone)]
pub struct AdminList {
    config: AdminListConfig,
}

impl AdminList {
    /// From the parsed lists.
    pub fn new(config: &AdminListConfig) -> Self {
        AdminList { config: config.clone() }
    }

    fn has(list: &[String], name: &str) -> bool {
        list.iter().any(|n| n == name)
    }

    /// Spec 4.2: allowed, or the denial text naming the user, its groups, the action and every resource.
    pub fn authorize(&self, principal: Option<&Principal>, verb: Verb, resources: &[Resource]) -> Result<(), Error> {
        let c = &self.config;
        let name = display_name(principal);
        let groups = principal.map(|p| p.groups.as_slice()).unwrap_or(&[]);
        let full = Self::has(&c.users, name) || groups.iter().any(|g| Self::has(&c.groups, g));
        let read_only = Self::has(&c.readonly_users, name) || groups.iter().any(|g| Self::has(&c.readonly_groups, g));
        if full || (verb == Verb::Read && read_only) {
            return Ok(());
        }
        let paths: Vec<String> = resources.iter().map(Resource::path).collect();
        Err(Error::Forbidden(format!(
            "adminlist: authorization, forbidden action: user '{name}'{} has insufficient permissions to {} [{}]",
            groups_suffix(principal),
            verb.letter(),
            paths.join(" ")
        )))
    }

    /// Whether the caller is on any list (callers on none see `{"classes":null}` from `GET /v1/schema`).
    pub fn lists(&self, principal: Option<&Principal>) -> bool {
        self.authorize(principal, Verb::Read, &[]).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::UserKind;

    fn list() -> AdminList {
        AdminList::new(&AdminListConfig {
            enabled: true,
            users: vec!["admin".into()],
            readonly_users: vec!["ro".into(), "anonymous".into()],
            groups: vec!["admins".into()],
            readonly_groups: vec!["readers".into()],
        })
    }

    fn oidc(name: &str, groups: &[&str]) -> Principal {
        Principal {
            username: name.into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            kind: UserKind::Oidc,
        }
    }

    #[test]
    fn s4_2_read_only_users_and_groups_may_only_read() {
        let l = list();
        let c = Resource::Collections("Foo".into());
        assert!(l
            .authorize(Some(&Principal::db("admin")), Verb::Create, std::slice::from_ref(&c))
            .is_ok());
        assert!(l
            .authorize(Some(&Principal::db("ro")), Verb::Read, std::slice::from_ref(&c))
            .is_ok());
        assert!(
            l.authorize(None, Verb::Read, std::slice::from_ref(&c)).is_ok(),
            "anonymous is on the read-only list"
        );
        assert!(l
            .authorize(Some(&oidc("x", &["readers"])), Verb::Read, std::slice::from_ref(&c))
            .is_ok());
        assert!(l
            .authorize(Some(&oidc("x", &["admins"])), Verb::Delete, std::slice::from_ref(&c))
            .is_ok());
        assert_eq!(
            l.authorize(Some(&Principal::db("ro")), Verb::Create, std::slice::from_ref(&c)),
            Err(Error::Forbidden(
                "adminlist: authorization, forbidden action: user 'ro' has insufficient permissions to C [schema/collections/Foo/shards/#]"
                    .into()
            ))
        );
    }

    #[test]
    fn s4_2_denials_name_one_or_many_groups() {
        let l = list();
        let d = Resource::Data("Foo".into());
        let one = l
            .authorize(Some(&oidc("u", &["g1"])), Verb::Create, std::slice::from_ref(&d))
            .unwrap_err()
            .to_string();
        assert_eq!(one, "adminlist: authorization, forbidden action: user 'u' (of group 'g1') has insufficient permissions to C [data/collections/Foo/shards/*/objects/*]");
        let many = l
            .authorize(Some(&oidc("u", &["g1", "g2"])), Verb::Create, &[d])
            .unwrap_err()
            .to_string();
        assert!(many.contains("user 'u' (of groups 'g1', 'g2') has"), "{many}");
    }
}
