//! The sweep's axes besides the operations: the kinds of credential and of bad input, and the
//! auth configurations each target is started in. Names are how reports and the
//! known-differences file spell them.

/// A kind of credential; the name is how reports and the known-differences file spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Credential {
    /// No `Authorization` header.
    None,
    /// A key no configuration lists.
    WrongKey,
    /// Three dot-separated parts that are not a JWT: the payload is not JSON.
    MalformedToken,
    /// The admin's token, expired a second after it was minted.
    ExpiredOidc,
    /// A valid token of `outsider`, who is on no list and has no group.
    OutsiderOidc,
    /// `viewer-key` (user `viewer-user`), read-only where the configuration has read-only users.
    ReadOnlyKey,
    /// A valid token of `viewer` (group `viewers`).
    ReadOnlyOidc,
    /// A valid token of `admin` (group `admins`).
    AdminOidc,
    /// `admin-key` (user `admin-user`).
    AdminKey,
}

impl Credential {
    /// Every kind, in the order the sweep sends them (the admin ones last).
    pub const ALL: [Credential; 9] = [
        Credential::None,
        Credential::WrongKey,
        Credential::MalformedToken,
        Credential::ExpiredOidc,
        Credential::OutsiderOidc,
        Credential::ReadOnlyKey,
        Credential::ReadOnlyOidc,
        Credential::AdminOidc,
        Credential::AdminKey,
    ];

    /// `admin-key`, `expired-oidc`, ...
    pub fn name(self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::WrongKey => "wrong-key",
            Credential::MalformedToken => "malformed-token",
            Credential::ExpiredOidc => "expired-oidc",
            Credential::OutsiderOidc => "outsider-oidc",
            Credential::ReadOnlyKey => "read-only-key",
            Credential::ReadOnlyOidc => "read-only-oidc",
            Credential::AdminOidc => "admin-oidc",
            Credential::AdminKey => "admin-key",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<Credential> {
        Credential::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What is wrong with a request, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Input {
    /// A plausible request.
    Valid,
    /// The body sent as `text/plain`.
    WrongContentType,
    /// A JSON body cut in the middle.
    InvalidJson,
    /// The collection in the path or body replaced by one that does not exist.
    UnknownClass,
}

impl Input {
    /// Every kind.
    pub const ALL: [Input; 4] = [Input::Valid, Input::WrongContentType, Input::InvalidJson, Input::UnknownClass];

    /// `valid`, `wrong-content-type`, `invalid-json`, `unknown-class`.
    pub fn name(self) -> &'static str {
        match self {
            Input::Valid => "valid",
            Input::WrongContentType => "wrong-content-type",
            Input::InvalidJson => "invalid-json",
            Input::UnknownClass => "unknown-class",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// One auth configuration: Weaviate's variables, `{issuer}` and `{ca}` filled in at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `admin-list`, `oidc-https`, ...
    pub name: &'static str,
    /// One line for the report.
    pub about: &'static str,
    /// The variables.
    pub env: Vec<(&'static str, &'static str)>,
    /// The provider serves HTTPS with a generated CA, given to Weaviate as
    /// `AUTHENTICATION_OIDC_CERTIFICATE` (inline PEM).
    pub https: bool,
    /// The credential that sets the fixture up and sends the bad inputs.
    pub admin: Credential,
}

const KEYS: [(&str, &str); 3] = [
    ("AUTHENTICATION_APIKEY_ENABLED", "true"),
    ("AUTHENTICATION_APIKEY_ALLOWED_KEYS", "admin-key,viewer-key"),
    ("AUTHENTICATION_APIKEY_USERS", "admin-user,viewer-user"),
];

const OIDC: [(&str, &str); 5] = [
    ("AUTHENTICATION_OIDC_ENABLED", "true"),
    ("AUTHENTICATION_OIDC_ISSUER", "{issuer}"),
    ("AUTHENTICATION_OIDC_CLIENT_ID", "weaviate"),
    ("AUTHENTICATION_OIDC_USERNAME_CLAIM", "preferred_username"),
    ("AUTHENTICATION_OIDC_GROUPS_CLAIM", "groups"),
];

const ADMIN_LIST_USERS: [(&str, &str); 3] = [
    ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
    ("AUTHORIZATION_ADMINLIST_USERS", "admin-user,admin"),
    ("AUTHORIZATION_ADMINLIST_READONLY_USERS", "viewer-user,viewer"),
];

fn env(parts: &[&[(&'static str, &'static str)]]) -> Vec<(&'static str, &'static str)> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// Every configuration, in the order the sweep plays them.
pub fn configs() -> Vec<AuthConfig> {
    vec![
        AuthConfig {
            name: "anonymous-on",
            about: "anonymous access on, API keys and OIDC, no authorization",
            env: env(&[&[("AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED", "true")], &KEYS, &OIDC]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "anonymous-off",
            about: "anonymous access off, API keys and OIDC, no authorization",
            env: env(&[&KEYS, &OIDC]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "admin-list",
            about: "API keys and OIDC; admin list: admin-user and admin, read-only viewer-user and viewer",
            env: env(&[&KEYS, &OIDC, &ADMIN_LIST_USERS]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "rbac",
            about: "API keys, database users and OIDC; RBAC: root admin-user and admin, read-only viewer-user and viewer",
            env: env(&[
                &KEYS,
                &OIDC,
                &[
                    ("AUTHENTICATION_DB_USERS_ENABLED", "true"),
                    ("AUTHORIZATION_RBAC_ENABLED", "true"),
                    ("AUTHORIZATION_RBAC_ROOT_USERS", "admin-user,admin"),
                    ("EXPERIMENTAL_AUTHORIZATION_RBAC_READONLY_USERS", "viewer-user,viewer"),
                ],
            ]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "oidc-only",
            about: "OIDC only; admin list by group: admins, read-only viewers",
            env: env(&[
                &OIDC,
                &[
                    ("AUTHORIZATION_ADMINLIST_ENABLED", "true"),
                    ("AUTHORIZATION_ADMINLIST_GROUPS", "admins"),
                    ("AUTHORIZATION_ADMINLIST_READONLY_GROUPS", "viewers"),
                ],
            ]),
            https: false,
            admin: Credential::AdminOidc,
        },
        AuthConfig {
            name: "keys-only",
            about: "API keys only; admin list: admin-user, read-only viewer-user",
            env: env(&[&KEYS, &ADMIN_LIST_USERS]),
            https: false,
            admin: Credential::AdminKey,
        },
        AuthConfig {
            name: "oidc-https",
            about: "API keys and OIDC from an HTTPS provider trusted through AUTHENTICATION_OIDC_CERTIFICATE; admin list",
            env: env(&[&KEYS, &OIDC, &[("AUTHENTICATION_OIDC_CERTIFICATE", "{ca}")], &ADMIN_LIST_USERS]),
            https: true,
            admin: Credential::AdminKey,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        for c in Credential::ALL {
            assert_eq!(Credential::parse(c.name()), Some(c));
        }
        for i in Input::ALL {
            assert_eq!(Input::parse(i.name()), Some(i));
        }
        let names: std::collections::BTreeSet<&str> = configs().iter().map(|c| c.name).collect();
        assert_eq!(names.len(), configs().len());
    }
}
