//! Scripted key operations of a tenant (P35, P135-P137): add, activate, publish, hide, retire,
//! delete and the `rotate` shortcut, now or at a tenant time.
//!
//! Scheduled operations need no timer: every request to the tenant first runs the operations
//! that are due on the tenant clock (`Tenant::run_due_key_ops`, called by the layer in
//! `faults.rs` and by every control operation). A rotation adds the new key published and makes
//! it the signer under one write lock, so there is no moment when the signer is unpublished
//! (P158) unless a test asks for exactly that (P136). New keys are generated before any lock is
//! taken: RSA generation is slow and must not stall other requests.

use std::collections::BTreeSet;
use std::sync::MutexGuard;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::{Alg, KeyConfig};
use crate::error::{Error, Result};
use crate::keys::{KeyRing, SigningKey};
use crate::tenant::Tenant;

/// The control state of a tenant's keys: what is scheduled and which keys are retired.
#[derive(Debug, Default)]
pub struct KeyAdmin {
    scheduled: Vec<Scheduled>,
    retired: BTreeSet<String>,
    added: u64,
    next_id: u64,
}

#[derive(Debug, Clone)]
enum KeyOp {
    Add {
        key: Box<SigningKey>,
        activate: bool,
    },
    Activate(String),
    Publish(String),
    Hide(String),
    Retire(String),
    Delete(String),
    Rotate {
        key: Box<SigningKey>,
        publish_old: bool,
        overlap_s: f64,
    },
}

impl KeyOp {
    fn name(&self) -> &'static str {
        match self {
            KeyOp::Add { .. } => "add",
            KeyOp::Activate(_) => "activate",
            KeyOp::Publish(_) => "publish",
            KeyOp::Hide(_) => "hide",
            KeyOp::Retire(_) => "retire",
            KeyOp::Delete(_) => "delete",
            KeyOp::Rotate { .. } => "rotate",
        }
    }

    fn kid(&self) -> &str {
        match self {
            KeyOp::Add { key, .. } | KeyOp::Rotate { key, .. } => key.kid().as_str(),
            KeyOp::Activate(k) | KeyOp::Publish(k) | KeyOp::Hide(k) | KeyOp::Retire(k) | KeyOp::Delete(k) => k,
        }
    }
}

#[derive(Debug, Clone)]
struct Scheduled {
    id: u64,
    at: f64,
    op: KeyOp,
}

/// One key in a listing (P135).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Key id.
    pub kid: String,
    /// Algorithm.
    pub alg: Alg,
    /// Listed in the JWKS.
    pub published: bool,
    /// The signer.
    pub active: bool,
    /// Retired: out of the JWKS and not to be activated again.
    pub retired: bool,
}

/// A scheduled key operation in a listing (P137).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduledInfo {
    /// Id of the operation.
    pub id: u64,
    /// Tenant time it runs at.
    pub at: f64,
    /// `add`, `activate`, `publish`, `hide`, `retire`, `delete` or `rotate`.
    pub op: String,
    /// The key it acts on (the new key for `add` and `rotate`).
    pub kid: String,
}

/// What every key operation returns: the keys and the pending operations (P135).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyList {
    /// Every key of the tenant, published or not.
    pub keys: Vec<KeyInfo>,
    /// Operations waiting for their tenant time.
    pub scheduled: Vec<ScheduledInfo>,
}

impl KeyList {
    /// The signer's kid.
    pub fn active(&self) -> Option<&str> {
        self.keys.iter().find(|k| k.active).map(|k| k.kid.as_str())
    }
}

/// `POST {base}/_mock/keys`: a new key (P135).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddKey {
    /// Algorithm (RS256 when absent).
    #[serde(default)]
    pub alg: Alg,
    /// Seed; the same seed gives the same key. A per-tenant sequence when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// Fixed kid instead of the thumbprint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Leave it out of the JWKS (P136). Published unless this is `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
    /// Make it the signer.
    #[serde(default)]
    pub activate: bool,
    /// Run at this tenant time (P137).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
    /// Run after this many seconds of tenant time (P137).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f64>,
}

/// `POST {base}/_mock/keys/rotate` (P35, P135).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    /// Algorithm of the new key (the signer's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<Alg>,
    /// Keep the old key in the JWKS for `overlap_s` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_old: Option<bool>,
    /// Overlap in seconds of tenant time; default the longest token lifetime of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_s: Option<f64>,
    /// Seed of the new key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// Run at this tenant time (P137).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
    /// Run after this many seconds of tenant time (P137).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f64>,
}

/// An operation on one existing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyAction {
    /// Make it the signer.
    Activate,
    /// Put it in the JWKS.
    Publish,
    /// Take it out of the JWKS, keep it usable (P136).
    Hide,
    /// Take it out of the JWKS for good (now, or after `overlap_s`).
    Retire,
    /// Remove it.
    Delete,
}

impl KeyAction {
    /// Parses the path segment of `POST {base}/_mock/keys/{kid}/{action}`.
    pub fn parse(s: &str) -> Option<KeyAction> {
        match s {
            "activate" => Some(KeyAction::Activate),
            "publish" => Some(KeyAction::Publish),
            "hide" => Some(KeyAction::Hide),
            "retire" => Some(KeyAction::Retire),
            "delete" => Some(KeyAction::Delete),
            _ => None,
        }
    }
}

/// When an operation on an existing key runs: now (all absent), at a tenant time, or later.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// Tenant time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<f64>,
    /// Seconds of tenant time from now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_s: Option<f64>,
    /// For `retire`: keep the key published this many seconds more (same as `after_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlap_s: Option<f64>,
}

fn field(name: &str, message: impl Into<String>) -> Error {
    Error::BadControlRequest {
        error: "invalid_field",
        message: format!("{name}: {}", message.into()),
    }
}

fn no_key(kid: &str) -> Error {
    Error::ControlNotFound(format!("no key with kid {kid:?}"))
}

/// The tenant time an operation runs at; `None` means now.
fn schedule_time(at: Option<f64>, after_s: Option<f64>, now: f64) -> Result<Option<f64>> {
    match (at, after_s) {
        (Some(_), Some(_)) => Err(field("after_s", "give at or after_s, not both")),
        (Some(at), None) if !at.is_finite() => Err(field("at", "must be a number of Unix seconds")),
        (Some(at), None) => Ok((at > now).then_some(at)),
        (None, Some(s)) if !(s.is_finite() && s >= 0.0) => Err(field("after_s", "must be zero or more seconds")),
        (None, Some(s)) => Ok((s > 0.0).then_some(now + s)),
        (None, None) => Ok(None),
    }
}

/// Applies one operation. Each check comes before the one change it makes, so a refused
/// operation leaves the keys as they were.
fn apply(op: KeyOp, keys: &mut KeyRing, admin: &mut KeyAdmin, now: f64) -> Result<()> {
    let exists = |keys: &KeyRing, kid: &str| keys.by_kid(kid).is_some();
    let active_kid = keys.active().kid().as_str().to_owned();
    match op {
        KeyOp::Add { key, activate } => {
            if exists(keys, key.kid().as_str()) {
                return Err(field("kid", format!("a key with kid {:?} exists already", key.kid().as_str())));
            }
            let kid = key.kid().as_str().to_owned();
            keys.add(*key);
            if activate {
                keys.activate(&kid);
            }
        }
        KeyOp::Activate(kid) => {
            if !exists(keys, &kid) {
                return Err(no_key(&kid));
            }
            if admin.retired.contains(&kid) {
                return Err(field("kid", format!("key {kid:?} is retired; publish it first")));
            }
            keys.activate(&kid);
        }
        KeyOp::Publish(kid) => {
            let key = keys.get_mut(&kid).ok_or_else(|| no_key(&kid))?;
            key.published = true;
            admin.retired.remove(&kid);
        }
        KeyOp::Hide(kid) => {
            keys.get_mut(&kid).ok_or_else(|| no_key(&kid))?.published = false;
        }
        KeyOp::Retire(kid) => {
            if !exists(keys, &kid) {
                return Err(no_key(&kid));
            }
            if kid == active_kid {
                return Err(field("kid", format!("key {kid:?} is the signer; activate another key first")));
            }
            if let Some(k) = keys.get_mut(&kid) {
                k.published = false;
            }
            admin.retired.insert(kid);
        }
        KeyOp::Delete(kid) => {
            if !exists(keys, &kid) {
                return Err(no_key(&kid));
            }
            if kid == active_kid {
                return Err(field("kid", format!("key {kid:?} is the signer; activate another key first")));
            }
            keys.remove(&kid);
            admin.retired.remove(&kid);
        }
        KeyOp::Rotate {
            key,
            publish_old,
            overlap_s,
        } => {
            if exists(keys, key.kid().as_str()) {
                return Err(field("seed", format!("the new key's kid {:?} exists already", key.kid().as_str())));
            }
            let kid = key.kid().as_str().to_owned();
            let mut key = *key;
            key.published = true;
            keys.add(key);
            keys.activate(&kid);
            if publish_old && overlap_s > 0.0 {
                admin.next_id += 1;
                admin.scheduled.push(Scheduled {
                    id: admin.next_id,
                    at: now + overlap_s,
                    op: KeyOp::Retire(active_kid),
                });
            } else {
                if let Some(k) = keys.get_mut(&active_kid) {
                    k.published = false;
                }
                admin.retired.insert(active_kid);
            }
        }
    }
    Ok(())
}

impl Tenant {
    fn key_admin(&self) -> MutexGuard<'_, KeyAdmin> {
        self.key_admin.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn key_list_locked(&self, keys: &KeyRing, admin: &KeyAdmin) -> KeyList {
        let active = keys.active().kid().as_str().to_owned();
        let mut scheduled: Vec<ScheduledInfo> = admin
            .scheduled
            .iter()
            .map(|s| ScheduledInfo {
                id: s.id,
                at: s.at,
                op: s.op.name().to_owned(),
                kid: s.op.kid().to_owned(),
            })
            .collect();
        scheduled.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.id.cmp(&b.id)));
        KeyList {
            keys: keys
                .all()
                .iter()
                .map(|k| KeyInfo {
                    kid: k.kid().as_str().to_owned(),
                    alg: k.alg(),
                    published: k.published,
                    active: k.kid().as_str() == active,
                    retired: admin.retired.contains(k.kid().as_str()),
                })
                .collect(),
            scheduled,
        }
    }

    /// Every key and every scheduled operation (P135).
    pub fn key_list(&self) -> Result<KeyList> {
        self.run_due_key_ops();
        let admin = self.key_admin();
        let keys = self.keys.read().map_err(|_| Error::Internal("key lock poisoned".into()))?;
        Ok(self.key_list_locked(&keys, &admin))
    }

    /// Runs an operation now, or schedules it at `at` (P137).
    fn run_or_schedule(&self, op: KeyOp, at: Option<f64>) -> Result<KeyList> {
        self.run_due_key_ops();
        let mut admin = self.key_admin();
        let mut keys = self.keys.write().map_err(|_| Error::Internal("key lock poisoned".into()))?;
        match at {
            None => {
                let name = op.name();
                let kid = op.kid().to_owned();
                apply(op, &mut keys, &mut admin, self.clock.now_f64())?;
                tracing::info!(tenant = %self.name, op = name, %kid, "key operation");
            }
            Some(at) => {
                match &op {
                    KeyOp::Add { key, .. } | KeyOp::Rotate { key, .. } if keys.by_kid(key.kid().as_str()).is_some() => {
                        return Err(field("kid", format!("a key with kid {:?} exists already", key.kid().as_str())));
                    }
                    KeyOp::Add { .. } | KeyOp::Rotate { .. } => {}
                    other if keys.by_kid(other.kid()).is_none() => return Err(no_key(other.kid())),
                    _ => {}
                }
                admin.next_id += 1;
                let id = admin.next_id;
                admin.scheduled.push(Scheduled { id, at, op });
            }
        }
        Ok(self.key_list_locked(&keys, &admin))
    }

    /// Runs every scheduled key operation that is due on the tenant clock (P137). Cheap when
    /// nothing is due; a failing operation is logged and dropped.
    pub fn run_due_key_ops(&self) {
        let now = self.clock.now_f64();
        let mut admin = self.key_admin();
        if admin.scheduled.iter().all(|s| s.at > now) {
            return;
        }
        let mut due: Vec<Scheduled> = Vec::new();
        admin.scheduled.retain(|s| {
            if s.at <= now {
                due.push(s.clone());
                false
            } else {
                true
            }
        });
        due.sort_by(|a, b| a.at.total_cmp(&b.at).then(a.id.cmp(&b.id)));
        let Ok(mut keys) = self.keys.write() else {
            tracing::error!(tenant = %self.name, "key lock poisoned; scheduled key operations dropped");
            return;
        };
        for s in due {
            let (name, kid) = (s.op.name(), s.op.kid().to_owned());
            match apply(s.op, &mut keys, &mut admin, s.at) {
                Ok(()) => tracing::info!(tenant = %self.name, op = name, %kid, "scheduled key operation"),
                Err(e) => tracing::warn!(tenant = %self.name, op = name, %kid, error = %e, "scheduled key operation failed"),
            }
        }
    }

    /// A new key from a request's seed, or from the tenant seed and a per-tenant sequence.
    fn new_key(&self, alg: Alg, seed: Option<&str>, kid: Option<&str>) -> Result<SigningKey> {
        let seed = match seed {
            Some(s) => s.to_owned(),
            None => {
                let mut admin = self.key_admin();
                admin.added += 1;
                let base = self
                    .config
                    .key_seed
                    .clone()
                    .unwrap_or_else(|| format!("oidc-harness:{}", self.name));
                format!("{base}#added-{}", admin.added)
            }
        };
        let cfg = KeyConfig {
            alg,
            pem_file: None,
            pem: None,
            seed: Some(seed),
            random: false,
            kid: kid.map(str::to_owned),
        };
        SigningKey::from_config(&cfg, "").map_err(|e| field("alg", e.to_string()))
    }

    /// Adds a key, published unless asked otherwise, now or later (P135, P136).
    pub fn add_key(&self, req: AddKey) -> Result<KeyList> {
        if req.kid.as_deref().is_some_and(|k| k.is_empty() || k.len() > 255) {
            return Err(field("kid", "a kid is 1 to 255 characters"));
        }
        let at = schedule_time(req.at, req.after_s, self.clock.now_f64())?;
        let mut key = self.new_key(req.alg, req.seed.as_deref(), req.kid.as_deref())?;
        key.published = req.published.unwrap_or(true);
        self.run_or_schedule(
            KeyOp::Add {
                key: Box::new(key),
                activate: req.activate,
            },
            at,
        )
    }

    /// Adds a key, makes it the signer, and retires the old signer now or after the overlap
    /// (P35). The default overlap is the tenant's longest token lifetime.
    pub fn rotate_keys(&self, req: RotateKeys) -> Result<KeyList> {
        let now = self.clock.now_f64();
        let at = schedule_time(req.at, req.after_s, now)?;
        if let Some(o) = req.overlap_s {
            if !(o.is_finite() && o >= 0.0) {
                return Err(field("overlap_s", "must be zero or more seconds"));
            }
        }
        let l = &self.config.lifetimes;
        let overlap_s = req.overlap_s.unwrap_or(l.id_token_s.max(l.access_token_s) as f64);
        let alg = match req.alg {
            Some(a) => a,
            None => self
                .keys
                .read()
                .map_err(|_| Error::Internal("key lock poisoned".into()))?
                .active()
                .alg(),
        };
        let key = self.new_key(alg, req.seed.as_deref(), None)?;
        self.run_or_schedule(
            KeyOp::Rotate {
                key: Box::new(key),
                publish_old: req.publish_old.unwrap_or(true),
                overlap_s,
            },
            at,
        )
    }

    /// Activates, publishes, hides, retires or deletes the key `kid`, now or later (P135).
    pub fn key_action(&self, kid: &str, action: KeyAction, when: When) -> Result<KeyList> {
        if when.overlap_s.is_some() && action != KeyAction::Retire {
            return Err(field("overlap_s", "only applies to retire"));
        }
        let after = match (when.after_s, when.overlap_s) {
            (Some(_), Some(_)) => return Err(field("overlap_s", "give after_s or overlap_s, not both")),
            (a, o) => a.or(o),
        };
        let at = schedule_time(when.at, after, self.clock.now_f64())?;
        let kid = kid.to_owned();
        let op = match action {
            KeyAction::Activate => KeyOp::Activate(kid),
            KeyAction::Publish => KeyOp::Publish(kid),
            KeyAction::Hide => KeyOp::Hide(kid),
            KeyAction::Retire => KeyOp::Retire(kid),
            KeyAction::Delete => KeyOp::Delete(kid),
        };
        self.run_or_schedule(op, at)
    }

    /// The private key `kid` as PKCS#8 PEM, with its public JWK (P37). Refused unless the tenant
    /// sets `export_keys = true`; the key is never logged.
    pub fn export_key(&self, kid: &str) -> Result<Value> {
        if !self.config.export_keys {
            return Err(Error::ControlForbidden(
                "private key export is disabled; set export_keys = true in this tenant's configuration (P37)".into(),
            ));
        }
        let keys = self.keys.read().map_err(|_| Error::Internal("key lock poisoned".into()))?;
        let key = keys.by_kid(kid).ok_or_else(|| no_key(kid))?;
        Ok(json!({
            "kid": key.kid().as_str(),
            "alg": key.alg().as_str(),
            "private_pem": key.private_pem(),
            "public_jwk": key.public_jwk(),
        }))
    }

    /// Puts the keys back as configured and drops every scheduled operation (P127).
    pub(crate) fn reset_keys(&self) {
        let mut admin = self.key_admin();
        *admin = KeyAdmin::default();
        match self.keys.write() {
            Ok(mut keys) => *keys = self.initial_keys.clone(),
            Err(_) => tracing::error!(tenant = %self.name, "key lock poisoned; keys not reset"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p137_schedule_time_rules() {
        assert_eq!(schedule_time(None, None, 100.0).unwrap(), None);
        assert_eq!(schedule_time(None, Some(5.0), 100.0).unwrap(), Some(105.0));
        assert_eq!(schedule_time(Some(50.0), None, 100.0).unwrap(), None);
        assert!(schedule_time(Some(1.0), Some(1.0), 100.0).is_err());
        assert!(schedule_time(None, Some(-1.0), 100.0).is_err());
    }
}
