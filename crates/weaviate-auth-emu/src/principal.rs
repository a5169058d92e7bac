//! `Principal`: who made a request once authentication succeeded (spec 2.4). Anonymous is `None`.

/// How a principal authenticated: Weaviate keys RBAC subjects by this (spec 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserKind {
    /// Static API keys and database users (`db`).
    Db,
    /// OIDC bearer tokens (`oidc`).
    Oidc,
}

impl UserKind {
    /// The lower-case name Weaviate uses (`db`, `oidc`).
    pub fn as_str(self) -> &'static str {
        match self {
            UserKind::Db => "db",
            UserKind::Oidc => "oidc",
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The username (a static key's user, a DB user id, or the OIDC username claim; may be empty).
    pub username: String,
    /// Groups (OIDC groups claim only; empty otherwise).
    pub groups: Vec<String>,
    /// How the principal authenticated.
    pub kind: UserKind,
}

impl Principal {
    /// A `db` principal without groups (static keys and DB users).
    pub fn db(username: impl Into<String>) -> Self {
        Principal {
            username: username.into(),
            groups: Vec::new(),
            kind: UserKind::Db,
        }
    }
}

/// The name authorizers use for a caller: the username, or `anonymous` (spec 2.4).
pub fn display_name(principal: Option<&Principal>) -> &str {
    principal.map(|p| p.username.as_str()).unwrap_or("anonymous")
}

/// The `<groups>` part of a denial (spec 4.2): empty, ` (of group 'g')`, or ` (of groups 'a', 'b')`.
pub fn groups_suffix(principal: Option<&Principal>) -> String {
    let groups = principal.map(|p| p.groups.as_slice()).unwrap_or(&[]);
    match groups {
        [] => String::new(),
        [one] => format!(" (of group '{one}')"),
        many => format!(
            " (of groups {})",
            many.iter().map(|g| format!("'{g}'")).collect::<Vec<_>>().join(", ")
        ),
    }
}
