//! Authorization (spec 4): the `Authorizer` chosen by the config (RBAC, else the admin list, else
//! allow-all), the `Verb` of a request and the `Resource` it touches, in both of Weaviate's spellings
//! (the admin list's path-like strings and RBAC's `[[Domain: …]]` form).

pub mod admin_list;
pub mod rbac;

use crate::config::Config;
use crate::error::Error;
use crate::principal::Principal;

pub use admin_list::AdminList;
pub use rbac::Rbac;

/// What a request does (the admin list's one letter; RBAC's action prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `C` / `create_*`.
    Create,
    /// `R` / `read_*`.
    Read,
    /// `U` / `update_*`.
    Update,
    /// `D` / `delete_*`.
    Delete,
}

impl Verb {
    /// The admin list's letter.
    pub fn letter(self) -> &'static str {
        match self {
            Verb::Create => "C",
            Verb::Read => "R",
            Verb::Update => "U",
            Verb::Delete => "D",
        }
    }

    /// RBAC's action prefix.
    pub fn word(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Read => "read",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// What a request touches. Collection names may be `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resource {
    /// A collection's definition: `schema/collections/<C>/shards/#`.
    Collections(String),
    /// A collection's objects: `data/collections/<C>/shards/*/objects/*`.
    Data(String),
    /// One object (recorded on v1.38.11 for its REST operations): `data/collections/<C>/shards/*/objects/<id>`.
    Object {
        /// The collection.
        collection: String,
        /// The object's id.
        id: String,
    },
    /// A user: `users/<id>`.
    Users(String),
    /// A role: `roles/<name>`.
    Roles(String),
    /// An OIDC group (role assignment): `groups/<g>`.
    Groups(String),
    /// Node status: `nodes/verbosity/minimal`.
    Nodes,
    /// Cluster statistics: `cluster/*`.
    Cluster,
}

impl Resource {
    /// The admin list's path-like string (spec 4.2).
    pub fn path(&self) -> String {
        match self {
            Resource::Collections(c) => format!("schema/collections/{c}/shards/#"),
            Resource::Data(c) => format!("data/collections/{c}/shards/*/objects/*"),
            Resource::Object { collection, id } => format!("data/collections/{collection}/shards/*/objects/{id}"),
            Resource::Users(u) => format!("users/{u}"),
            Resource::Roles(r) => format!("roles/{r}"),
            Resource::Groups(g) => format!("groups/{g}"),
            Resource::Nodes => "nodes/verbosity/minimal".to_owned(),
            Resource::Cluster => "cluster/*".to_owned(),
        }
    }

    /// RBAC's domain, the suffix of its action names.
    pub fn domain(&self) -> &'static str {
        match self {
            Resource::Collections(_) => "collections",
            Resource::Data(_) | Resource::Object { .. } => "data",
            Resource::Users(_) => "users",
            Resource::Roles(_) => "roles",
            Resource::Groups(_) => "groups",
            Resource::Nodes => "nodes",
            Resource::Cluster => "cluster",
        }
    }

    /// RBAC's readable form, already in its two pairs of brackets (spec 4.3).
    pub fn rbac_display(&self) -> String {
        match self {
            Resource::Collections(c) => format!("[[Domain: collections, Collection: {c}]]"),
            Resource::Data(c) => format!("[[Domain: data, Collection: {c}, Tenant: *, Object: *]]"),
            // UNCONFIRMED: the object form is inferred from the collection form.
            Resource::Object { collection, id } => format!("[[Domain: data, Collection: {collection}, Tenant: *, Object: {id}]]"),
            Resource::Users(u) => format!("[[Domain: users, User: {u}]]"),
            Resource::Roles(r) => format!("[[Domain: roles, Role: {r}]]"),
            // Recorded on v1.38.11: group denials print an empty list.
            Resource::Groups(_) => "[]".to_owned(),
            // UNCONFIRMED: never observed on v1.38.11.
            Resource::Nodes => "[[Domain: nodes, Verbosity: minimal]]".to_owned(),
            Resource::Cluster => "[[Domain: cluster]]".to_owned(),
        }
    }

    /// RBAC's action for `verb` on this resource (`read_nodes`, `create_collections`, …).
    pub fn action(&self, verb: Verb) -> String {
        format!("{}_{}", verb.word(), self.domain())
    }
}

/// The authorizer of spec 4.1: which one is private; callers ask through its methods.
#[derive(Debug)]
pub struct Authorizer(Kind);

#[derive(Debug)]
enum Kind {
    /// RBAC (spec 4.3).
    Rbac(Rbac),
    /// The admin list (spec 4.2).
    AdminList(AdminList),
    /// Neither: everything is allowed.
    AllowAll,
}

impl Authorizer {
    /// Spec 4.1: RBAC if on, else the admin list if on, else allow-all.
    pub fn from_config(config: &Config) -> Self {
        Authorizer(if config.rbac.enabled {
            Kind::Rbac(Rbac::new(config))
        } else if config.admin_list.enabled {
            Kind::AdminList(AdminList::new(&config.admin_list))
        } else {
            Kind::AllowAll
        })
    }

    /// Allows or denies `verb` on `resource`; a denial is Weaviate's 403 text.
    pub fn authorize(&self, principal: Option<&Principal>, verb: Verb, resource: &Resource) -> Result<(), Error> {
        match &self.0 {
            Kind::Rbac(rbac) => rbac.authorize(principal, &resource.action(verb), resource),
            Kind::AdminList(list) => list.authorize(principal, verb, std::slice::from_ref(resource)),
            Kind::AllowAll => Ok(()),
        }
    }

    /// Like `authorize`, for filtering lists: no error, just yes or no.
    pub fn allows(&self, principal: Option<&Principal>, verb: Verb, resource: &Resource) -> bool {
        self.authorize(principal, verb, resource).is_ok()
    }

    /// RBAC, if that is the authorizer.
    pub fn rbac(&self) -> Option<&Rbac> {
        match &self.0 {
            Kind::Rbac(rbac) => Some(rbac),
            Kind::AdminList(_) | Kind::AllowAll => None,
        }
    }

    /// The admin list, if that is the authorizer.
    pub fn admin_list(&self) -> Option<&AdminList> {
        match &self.0 {
            Kind::AdminList(list) => Some(list),
            Kind::Rbac(_) | Kind::AllowAll => None,
        }
    }

    /// `principal` as this authorizer sees it.
    pub fn caller<'a>(&'a self, principal: Option<&'a Principal>) -> Caller<'a> {
        Caller {
            authorizer: self,
            principal,
        }
    }
}

/// A caller (anonymous is `None`) together with the authorizer that decides for it: what the
/// plain functions behind the handlers take to check permissions in Weaviate's order.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    authorizer: &'a Authorizer,
    principal: Option<&'a Principal>,
}

impl<'a> Caller<'a> {
    /// Who calls; `None` is anonymous.
    pub fn principal(&self) -> Option<&'a Principal> {
        self.principal
    }

    /// The authorizer.
    pub fn authorizer(&self) -> &'a Authorizer {
        self.authorizer
    }

    /// Allows or denies `verb` on `resource` for this caller.
    pub fn authorize(&self, verb: Verb, resource: Resource) -> Result<(), Error> {
        self.authorizer.authorize(self.principal, verb, &resource)
    }

    /// Whether this caller may `verb` `resource` (for filtering lists).
    pub fn allows(&self, verb: Verb, resource: &Resource) -> bool {
        self.authorizer.allows(self.principal, verb, resource)
    }

    /// RBAC, if that is the authorizer.
    pub fn rbac(&self) -> Option<&'a Rbac> {
        self.authorizer.rbac()
    }

    /// Whether the caller holds RBAC's `root` (there is no root with the admin list or allow-all).
    pub fn is_root(&self) -> bool {
        self.rbac().is_some_and(|r| r.is_root(self.principal))
    }
}
