//! Users and clients of a tenant, with password and secret checks (P38-P43).
//!
//! Only SHA-256 digests of passwords and secrets are kept (P40). Checks compare digests in
//! constant time and look at every configured secret, so neither timing nor the position of a
//! match tells anything. The plain values never reach a log: `Secret` prints `[redacted]`.
//!
//! Checks go through `Accounts` only ([`Accounts::password_matches`],
//! [`Accounts::client_secret_matches`]): each computes exactly one digest whether or not the
//! name exists, so an unknown user or client costs what a wrong password or secret costs (P58).
//! [`Accounts::digest_count`] counts that work, so tests prove it rather than time it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{AuthMethod, ClientConfig, GrantType, UserConfig};
pub use crate::secret::Secret;

/// First 8 hex digits of the SHA-256 of a value: how secrets are named in logs (P140).
pub fn fingerprint(value: &str) -> String {
    hex::encode(&Sha256::digest(value.as_bytes())[..4])
}

fn digest(salt: &str, value: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(value.as_bytes());
    h.finalize().into()
}

/// A registered user: its configuration minus the password, plus the password digest.
#[derive(Debug, Clone)]
pub struct User {
    /// Configuration (the `password` field is emptied once loaded).
    pub config: UserConfig,
    /// Subject, configured or derived (P42).
    pub sub: String,
    /// Runtime login-failure state (P150): `fail_next` left, wrong passwords in a row.
    pub login_failures: LoginFailures,
    password_digest: [u8; 32],
}

/// A user's login-failure counters (P150); runtime state, not configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// Logins with the right password that will still fail (`fail_next: N`).
    pub fail_next: u32,
    /// Wrong passwords in a row; the user is locked out when it reaches `lockout_after`.
    pub wrong_passwords: u32,
}

impl User {
    /// Loads a user of `tenant`, deriving `sub` when it is not configured (P42).
    pub fn new(tenant: &str, mut config: UserConfig) -> User {
        let password_digest = digest(&config.username, config.password.expose());
        config.password = Secret::default();
        let sub = config.sub.clone().unwrap_or_else(|| derive_sub(tenant, &config.username));
        let login_failures = LoginFailures {
            fail_next: config.fail_next.unwrap_or(0),
            wrong_passwords: 0,
        };
        User {
            config,
            sub,
            login_failures,
            password_digest,
        }
    }

    /// Login name.
    pub fn username(&self) -> &str {
        &self.config.username
    }
}

/// The subject of a user without a configured `sub`: stable per tenant and username (P42).
pub fn derive_sub(tenant: &str, username: &str) -> String {
    let d = Sha256::digest(format!("{tenant}\0{username}").as_bytes());
    let h = hex::encode(&d[..16]);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A registered client with its secret digests.
#[derive(Debug, Clone)]
pub struct Client {
    /// Configuration (secrets emptied once loaded).
    pub config: ClientConfig,
    secret_digests: Vec<[u8; 32]>,
}

impl Client {
    /// Loads a client.
    pub fn new(mut config: ClientConfig) -> Client {
        let secret_digests = config.secrets.iter().map(|s| digest(&config.client_id, s.expose())).collect();
        config.secrets.clear();
        Client { config, secret_digests }
    }

    /// A client made up on the spot in permissive mode (P39): confidential, any grant.
    pub fn permissive(client_id: &str) -> Client {
        Client {
            config: ClientConfig {
                client_id: client_id.to_owned(),
                ..ClientConfig::default()
            },
            secret_digests: vec![],
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.config.client_id
    }

    /// Whether the client is public (authenticates with `none`).
    pub fn is_public(&self) -> bool {
        self.config.public
    }

    /// Whether the client may use `method` at the token endpoint (P50).
    pub fn allows_method(&self, method: AuthMethod) -> bool {
        match (self.config.public, self.config.auth_method, method) {
            (true, _, AuthMethod::None) => true,
            (true, _, _) => false,
            (false, _, AuthMethod::None) => false,
            (false, None, _) => true,
            (false, Some(registered), m) => registered == m,
        }
    }

    /// Whether the client may use `grant` given the tenant's enabled grants.
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.config.grant_types.is_empty() || self.config.grant_types.contains(&grant)
    }

    /// Whether PKCE is required (always for public clients, P71).
    pub fn requires_pkce(&self) -> bool {
        self.config.public || self.config.require_pkce
    }
}

/// Credential digests computed by checks (not by loading); a clone starts from the same count.
#[derive(Debug, Default)]
struct DigestCount(AtomicU64);

impl Clone for DigestCount {
    fn clone(&self) -> Self {
        DigestCount(AtomicU64::new(self.0.load(Ordering::Relaxed)))
    }
}

/// What an unknown name's digest is compared with, so that its check does the same work as a
/// known one's. No input digests to all zeros (that would be a SHA-256 preimage), and the
/// result is discarded anyway.
const NO_DIGEST: [u8; 32] = [0; 32];

/// The users and clients of one tenant.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// Users by username.
    pub users: BTreeMap<String, User>,
    /// Clients by id.
    pub clients: BTreeMap<String, Client>,
    digests: DigestCount,
}

impl Accounts {
    /// Loads users and clients from configuration.
    pub fn new(tenant: &str, users: &[UserConfig], clients: &[ClientConfig]) -> Accounts {
        Accounts {
            users: users.iter().map(|u| (u.username.clone(), User::new(tenant, u.clone()))).collect(),
            clients: clients.iter().map(|c| (c.client_id.clone(), Client::new(c.clone()))).collect(),
            digests: DigestCount::default(),
        }
    }

    /// The one digest of a check, counted.
    fn check_digest(&self, name: &str, value: &str) -> [u8; 32] {
        self.digests.0.fetch_add(1, Ordering::Relaxed);
        digest(name, value)
    }

    /// How many credential digests checks have computed since these accounts were loaded: the
    /// same for an unknown name as for a wrong password or secret (P58).
    pub fn digest_count(&self) -> u64 {
        self.digests.0.load(Ordering::Relaxed)
    }

    /// Constant-time password check (P40). One digest whether or not `username` exists, and the
    /// same comparison, so an unknown user costs what a wrong password costs (P58).
    pub fn password_matches(&self, username: &str, password: &str) -> bool {
        let given = self.check_digest(username, password);
        let user = self.users.get(username);
        let same: bool = given.ct_eq(user.map_or(&NO_DIGEST, |u| &u.password_digest)).into();
        same && user.is_some()
    }

    /// Constant-time check against every secret of `client_id` (P40); one digest whether or not
    /// the client exists, so an unknown client costs what a wrong secret costs.
    pub fn client_secret_matches(&self, client_id: &str, secret: &str) -> bool {
        let given = self.check_digest(client_id, secret);
        let client = self.clients.get(client_id);
        let stored = client.map_or(std::slice::from_ref(&NO_DIGEST), |c| c.secret_digests.as_slice());
        let mut ok = subtle::Choice::from(0u8);
        for s in stored {
            ok |= s.ct_eq(&given);
        }
        bool::from(ok) && client.is_some()
    }

    /// Clears a user's lockout and re-arms its configured `fail_next` (P150). False when there
    /// is no such user.
    pub fn reset_login_failures(&mut self, username: &str) -> bool {
        match self.users.get_mut(username) {
            Some(u) => {
                u.login_failures = LoginFailures {
                    fail_next: u.config.fail_next.unwrap_or(0),
                    wrong_passwords: 0,
                };
                true
            }
            None => false,
        }
    }

    /// Makes the next `n` logins of a user fail (P150). False when there is no such user.
    pub fn set_fail_next(&mut self, username: &str, n: u32) -> bool {
        match self.users.get_mut(username) {
            Some(u) => {
                u.login_failures.fail_next = n;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> UserConfig {
        UserConfig {
            username: "alice".into(),
            password: "pw".into(),
            ..Default::default()
        }
    }

    fn rotating_client() -> ClientConfig {
        ClientConfig {
            client_id: "c".into(),
            secrets: vec!["old".into(), "new".into()],
            ..Default::default()
        }
    }

    #[test]
    fn p40_passwords_are_kept_as_digests_and_checked() {
        let a = Accounts::new("t", &[alice()], &[]);
        let u = &a.users["alice"];
        assert!(u.config.password.expose().is_empty());
        assert!(a.password_matches("alice", "pw"));
        assert!(!a.password_matches("alice", "pw "));
        assert!(!a.password_matches("bob", "pw"));
        assert!(!format!("{u:?}").contains("pw\""));
    }

    #[test]
    fn p40_every_secret_of_a_rotating_client_works() {
        let a = Accounts::new("t", &[], &[rotating_client()]);
        assert!(a.client_secret_matches("c", "old"));
        assert!(a.client_secret_matches("c", "new"));
        assert!(!a.client_secret_matches("c", "other"));
        assert!(!a.client_secret_matches("d", "old"));
    }

    #[test]
    fn p58_an_unknown_name_costs_one_digest_like_a_wrong_secret() {
        let a = Accounts::new("t", &[alice()], &[rotating_client()]);
        assert_eq!(a.digest_count(), 0, "loading is not counted");
        let cost = |check: &dyn Fn() -> bool| {
            let before = a.digest_count();
            assert!(!check());
            a.digest_count() - before
        };
        assert_eq!(cost(&|| a.password_matches("alice", "wrong")), 1);
        assert_eq!(cost(&|| a.password_matches("nobody", "wrong")), 1);
        assert_eq!(cost(&|| a.client_secret_matches("c", "wrong")), 1);
        assert_eq!(cost(&|| a.client_secret_matches("nobody", "wrong")), 1);
    }

    #[test]
    fn p42_derived_sub_is_stable_and_per_tenant() {
        assert_eq!(derive_sub("a", "bob"), derive_sub("a", "bob"));
        assert_ne!(derive_sub("a", "bob"), derive_sub("b", "bob"));
        assert!(derive_sub("a", "bob").len() <= 255);
    }

    #[test]
    fn p140_secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "[redacted]");
    }
}
