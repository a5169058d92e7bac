//! Provider personas (P124): one tenant setting that shapes claims, discovery and paths after a
//! known provider, so a relying party can be tested against the shapes it will meet in production.
//!
//! A persona only *adds* to what the tenant already does: the registered claims, the issuer
//! rules and every MUST item stay as they are, so a persona never makes the provider less
//! conformant. Where a tenant's issuer and endpoints live is one [`Paths`] table per persona:
//! discovery advertises it and the router serves it. What each persona changes is listed by
//! [`markdown_table`], which the README embeds, so the documentation is generated from the same
//! enum and tables the code uses.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::endpoint::Endpoint;

/// A known provider whose token and discovery shapes a tenant imitates.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Persona {
    /// Keycloak: roles under `realm_access.roles`, `preferred_username` always present.
    Keycloak,
    /// Okta: `ver: 1`, the login name in `preferred_username`, access tokens carry `cid` and `uid`.
    Okta,
    /// Microsoft Entra ID (v2.0 tokens): `tid`, `oid`, `ver: "2.0"`, groups as object GUIDs.
    Entra,
    /// Auth0: the issuer ends in `/`, `nickname` carries the login name.
    Auth0,
    /// Google: `hd` from the e-mail domain, `email_verified` always, no groups claim.
    Google,
}

/// Which token a claim set is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ID token.
    Id,
    /// An access token.
    Access,
}

impl Persona {
    /// Every persona, in documentation order.
    pub const ALL: [Persona; 5] = [Persona::Keycloak, Persona::Okta, Persona::Entra, Persona::Auth0, Persona::Google];

    /// The configuration spelling (`persona = "entra"`), from the serde attribute.
    pub fn as_str(self) -> &'static str {
        crate::serde_name::name(&self)
    }

    /// Whether the default issuer of a tenant with this persona ends in `/` (Auth0 does).
    pub fn trailing_slash_issuer(self) -> bool {
        matches!(self, Persona::Auth0)
    }

    /// Where this persona's issuer and endpoints live.
    pub fn paths(self) -> &'static Paths {
        match self {
            Persona::Keycloak => &KEYCLOAK,
            Persona::Okta => &OKTA,
            Persona::Entra => &ENTRA,
            Persona::Auth0 => &AUTH0,
            Persona::Google => &GOOGLE,
        }
    }

    /// Whether the tenant's groups claim is left out (Google puts no groups in tokens).
    pub fn drops_groups(self) -> bool {
        matches!(self, Persona::Google)
    }

    /// Claims this persona adds, for `claims_supported` (P19: list what can be emitted).
    pub fn claims_supported(self) -> &'static [&'static str] {
        match self {
            Persona::Keycloak => &["realm_access", "preferred_username"],
            Persona::Okta => &["ver", "preferred_username"],
            Persona::Entra => &["tid", "oid", "ver", "preferred_username"],
            Persona::Auth0 => &["nickname"],
            Persona::Google => &["hd", "email", "email_verified"],
        }
    }

    /// The `error_description` of `invalid_grant` for bad user credentials, as this provider
    /// words it; one text for unknown users and wrong passwords alike (P58).
    pub fn bad_credentials(self) -> &'static str {
        match self {
            Persona::Keycloak | Persona::Google => "Invalid user credentials",
            Persona::Okta => "The credentials provided were invalid.",
            Persona::Entra => "AADSTS50126: Error validating credentials due to invalid username or password.",
            Persona::Auth0 => "Wrong email or password.",
        }
    }

    /// One line per change, for the README table.
    pub fn changes(self) -> &'static str {
        match self {
            Persona::Keycloak => "`realm_access.roles` = the user's groups; `preferred_username` in every token",
            Persona::Okta => "`ver: 1`; `preferred_username` in every token; access tokens add `cid` (client id) and `uid`; error text \"The credentials provided were invalid.\"",
            Persona::Entra => "`ver: \"2.0\"`; `tid` (tenant GUID, the `{tid}` of the paths); `oid` (user object GUID); groups become GUIDs; `preferred_username`; error text AADSTS50126",
            Persona::Auth0 => "issuer ends in `/`; `nickname` = login name; error text \"Wrong email or password.\"",
            Persona::Google => "`hd` = e-mail domain; `email` and `email_verified` always; no groups claim",
        }
    }
}

/// Where a tenant's issuer and endpoints live, as paths on the provider (P124). `root` is the
/// tenant's own path, with `{name}` standing for the tenant name and `{tid}` for its tenant GUID;
/// the issuer is `root` + `issuer` (discovery and the `_mock/` controls hang off it, P3, P125);
/// every endpoint is `root` + its path. [`PLAIN`] is the table of a tenant without a persona, and
/// its endpoint paths are also the provider's internal routes.
#[derive(Debug)]
pub struct Paths {
    /// The tenant's path on the provider.
    pub root: &'static str,
    /// The issuer's path below `root` (`""`, or Entra's `/v2.0`).
    pub issuer: &'static str,
    /// Each protocol endpoint's path below `root`.
    pub endpoints: [(Endpoint, &'static str); 8],
}

/// The endpoints that live at a path of their own (discovery and `_mock/` follow the issuer).
pub const ROUTED: [Endpoint; 8] = [
    Endpoint::Authorize,
    Endpoint::Token,
    Endpoint::Userinfo,
    Endpoint::Jwks,
    Endpoint::Introspection,
    Endpoint::Revocation,
    Endpoint::EndSession,
    Endpoint::Login,
];

/// A tenant without a persona: `{base}/{name}` and short endpoint names.
pub const PLAIN: Paths = Paths {
    root: "/{name}",
    issuer: "",
    endpoints: [
        (Endpoint::Authorize, "/authorize"),
        (Endpoint::Token, "/token"),
        (Endpoint::Userinfo, "/userinfo"),
        (Endpoint::Jwks, "/jwks"),
        (Endpoint::Introspection, "/introspect"),
        (Endpoint::Revocation, "/revoke"),
        (Endpoint::EndSession, "/logout"),
        (Endpoint::Login, "/login"),
    ],
};

/// Keycloak: a realm, with the `protocol/openid-connect` endpoints.
pub const KEYCLOAK: Paths = Paths {
    root: "/realms/{name}",
    issuer: "",
    endpoints: [
        (Endpoint::Authorize, "/protocol/openid-connect/auth"),
        (Endpoint::Token, "/protocol/openid-connect/token"),
        (Endpoint::Userinfo, "/protocol/openid-connect/userinfo"),
        (Endpoint::Jwks, "/protocol/openid-connect/certs"),
        (Endpoint::Introspection, "/protocol/openid-connect/token/introspect"),
        (Endpoint::Revocation, "/protocol/openid-connect/revoke"),
        (Endpoint::EndSession, "/protocol/openid-connect/logout"),
        (Endpoint::Login, "/login-actions/authenticate"),
    ],
};

/// Okta: a custom authorization server, `/oauth2/{id}` with `/v1/` endpoints.
pub const OKTA: Paths = Paths {
    root: "/oauth2/{name}",
    issuer: "",
    endpoints: [
        (Endpoint::Authorize, "/v1/authorize"),
        (Endpoint::Token, "/v1/token"),
        (Endpoint::Userinfo, "/v1/userinfo"),
        (Endpoint::Jwks, "/v1/keys"),
        (Endpoint::Introspection, "/v1/introspect"),
        (Endpoint::Revocation, "/v1/revoke"),
        (Endpoint::EndSession, "/v1/logout"),
        (Endpoint::Login, "/login"),
    ],
};

/// Microsoft Entra ID v2.0: the tenant GUID, the issuer below it at `/v2.0`, endpoints beside
/// it. Entra has no introspection or revocation endpoint; these two follow its naming.
pub const ENTRA: Paths = Paths {
    root: "/{tid}",
    issuer: "/v2.0",
    endpoints: [
        (Endpoint::Authorize, "/oauth2/v2.0/authorize"),
        (Endpoint::Token, "/oauth2/v2.0/token"),
        (Endpoint::Userinfo, "/oidc/userinfo"),
        (Endpoint::Jwks, "/discovery/v2.0/keys"),
        (Endpoint::Introspection, "/oauth2/v2.0/introspect"),
        (Endpoint::Revocation, "/oauth2/v2.0/revoke"),
        (Endpoint::EndSession, "/oauth2/v2.0/logout"),
        (Endpoint::Login, "/login"),
    ],
};

/// Auth0: the tenant at the root of its domain, `/oauth/` grant endpoints, a well-known JWKS.
/// Auth0 has no introspection endpoint; this one follows its naming.
pub const AUTH0: Paths = Paths {
    root: "/{name}",
    issuer: "",
    endpoints: [
        (Endpoint::Authorize, "/authorize"),
        (Endpoint::Token, "/oauth/token"),
        (Endpoint::Userinfo, "/userinfo"),
        (Endpoint::Jwks, "/.well-known/jwks.json"),
        (Endpoint::Introspection, "/oauth/introspect"),
        (Endpoint::Revocation, "/oauth/revoke"),
        (Endpoint::EndSession, "/oidc/logout"),
        (Endpoint::Login, "/u/login"),
    ],
};

/// Google: its endpoints' paths (Google spreads them over several hosts; here they share one).
pub const GOOGLE: Paths = Paths {
    root: "/{name}",
    issuer: "",
    endpoints: [
        (Endpoint::Authorize, "/o/oauth2/v2/auth"),
        (Endpoint::Token, "/token"),
        (Endpoint::Userinfo, "/v1/userinfo"),
        (Endpoint::Jwks, "/oauth2/v3/certs"),
        (Endpoint::Introspection, "/introspect"),
        (Endpoint::Revocation, "/revoke"),
        (Endpoint::EndSession, "/logout"),
        (Endpoint::Login, "/login"),
    ],
};

impl Paths {
    /// The table of a tenant with `persona`, or [`PLAIN`].
    pub fn of(persona: Option<Persona>) -> &'static Paths {
        persona.map_or(&PLAIN, Persona::paths)
    }

    /// The tenant's root path on the provider (`/realms/kc`, `/{guid}`).
    pub fn root_of(&self, name: &str) -> String {
        self.root.replace("{tid}", &tenant_guid(name)).replace("{name}", name)
    }

    /// The path of `endpoint` below the root; `None` for discovery and the `_mock/` routes.
    pub fn path(&self, endpoint: Endpoint) -> Option<&'static str> {
        self.endpoints.iter().find(|(e, _)| *e == endpoint).map(|(_, p)| *p)
    }

    /// The endpoint served at `rest`, a path below the root.
    pub fn endpoint_at(&self, rest: &str) -> Option<Endpoint> {
        self.endpoints.iter().find(|(_, p)| *p == rest).map(|(e, _)| *e)
    }
}

/// The Entra tenant GUID of a tenant: the `{tid}` of its paths and its `tid` claim.
pub fn tenant_guid(name: &str) -> String {
    stable_guid("tenant", name)
}

/// A stable GUID for `what` within `scope` (Entra-style identifiers that do not change between
/// runs, so snapshots stay put).
pub fn stable_guid(scope: &str, what: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"oidc-harness persona guid\0");
    h.update(scope.as_bytes());
    h.update(b"\0");
    h.update(what.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    // RFC 9562 version 8 (custom) and variant bits, so the value is a well-formed UUID.
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(b).to_string()
}

/// The README table: one row per persona (and one for none), generated from the enum and the
/// path tables so it cannot drift.
pub fn markdown_table() -> String {
    let mut out = String::from("| persona | issuer | endpoints (after `{base}`) | what it changes |\n| --- | --- | --- | --- |\n");
    let row = |name: &str, paths: &Paths, slash: bool, changes: &str| {
        let issuer = format!("{}{}{}", paths.root, paths.issuer, if slash { "/" } else { "" });
        let endpoints: Vec<String> = paths
            .endpoints
            .iter()
            .map(|(e, p)| format!("{} `{}{p}`", e.as_str(), paths.root))
            .collect();
        format!("| {name} | `{{base}}{issuer}` | {} | {changes} |\n", endpoints.join(", "))
    };
    out.push_str(&row("(none)", &PLAIN, false, "nothing"));
    for p in Persona::ALL {
        out.push_str(&row(
            &format!("`{}`", p.as_str()),
            p.paths(),
            p.trailing_slash_issuer(),
            p.changes(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p124_table_lists_every_persona_by_its_config_spelling() {
        let table = markdown_table();
        for p in Persona::ALL {
            let spelled = serde_json::to_value(p).unwrap();
            assert!(table.contains(&format!("`{}`", spelled.as_str().unwrap())), "{p:?}");
        }
        assert_eq!(table.lines().count(), 3 + Persona::ALL.len());
    }

    #[test]
    fn p124_every_table_places_every_routed_endpoint_once_and_apart() {
        for paths in std::iter::once(&PLAIN).chain(Persona::ALL.iter().map(|p| p.paths())) {
            for e in ROUTED {
                assert!(paths.path(e).is_some_and(|p| p.starts_with('/')), "{paths:?} {e:?}");
            }
            let mut all: Vec<&str> = paths.endpoints.iter().map(|(_, p)| *p).collect();
            all.sort();
            all.dedup();
            assert_eq!(all.len(), ROUTED.len(), "{paths:?}: two endpoints share a path");
            // Discovery and the controls follow the issuer; no endpoint may shadow them.
            let issuer = paths.issuer;
            assert!(all
                .iter()
                .all(|p| !p.starts_with(&format!("{issuer}/_mock")) && *p != format!("{issuer}/.well-known/openid-configuration")));
        }
    }

    #[test]
    fn p124_plain_paths_are_the_internal_routes() {
        assert_eq!(PLAIN.root_of("t"), "/t");
        assert_eq!(KEYCLOAK.root_of("t"), "/realms/t");
        assert_eq!(ENTRA.root_of("t"), format!("/{}", tenant_guid("t")));
        assert_eq!(PLAIN.endpoint_at("/jwks"), Some(Endpoint::Jwks));
        assert_eq!(KEYCLOAK.endpoint_at("/jwks"), None);
    }

    #[test]
    fn p124_stable_guid_is_a_uuid_and_depends_on_its_input() {
        let a = stable_guid("t", "admins");
        assert_eq!(a, stable_guid("t", "admins"));
        assert_ne!(a, stable_guid("t", "viewers"));
        assert!(uuid::Uuid::parse_str(&a).is_ok(), "{a}");
    }
}
