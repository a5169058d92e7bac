//! Scripted key operations of a tenant (P35, P135-P137): add, activate, publish, hide, retire,
//! delete and the `rotate` shortcut, now or at a tenant time.
//!
//! Scheduled operations need no timer: every request to the tenant first runs the operations
//! that are due on the tenant clock (`Tenant::run_due_key_ops`, called by the layer in
//! `middleware.rs` and by every control operation). A rotation adds the new key published and makes
//! it the signer under one write lock, so there is no moment when the signer is unpublished
//! (P158) unless a test asks for exactly that (P136). New keys are generated before any lock is
//! taken: RSA generation is slow and must not stall other requests.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::config::Alg;
use crate::error::{Error, Result};
use crate::keys::{KeyRing, SigningKey};

/// The control state of a tenant's keys: what is scheduled and which keys are retired.
#[derive(Debug, Default)]
pub struct KeyAdmin {
    pub(crate) scheduled: Vec<Scheduled>,
    pub(crate) retired: BTreeSet<String>,
    pub(crate) added: u64,
    pub(crate) next_id: u64,
}

#[derive(Debug, Clone)]
pub(crate) enum KeyOp {
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
    pub(crate) fn name(&self) -> &'static str {
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

    pub(crate) fn kid(&self) -> &str {
        match self {
            KeyOp::Add { key, .. } | KeyOp::Rotate { key, .. } => key.kid().as_str(),
            KeyOp::Activate(k) | KeyOp::Publish(k) | KeyOp::Hide(k) | KeyOp::Retire(k) | KeyOp::Delete(k) => k,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Scheduled {
    pub(crate) id: u64,
    pub(crate) at: f64,
    pub(crate) op: KeyOp,
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

pub(crate) fn field(name: &str, message: impl Into<String>) -> Error {
    Error::BadControlRequest {
        error: "invalid_field",
        message: format!("{name}: {}", message.into()),
    }
}

pub(crate) fn no_key(kid: &str) -> Error {
    Error::ControlNotFound(format!("no key with kid {kid:?}"))
}

/// The tenant time an operation runs at; `None` means now.
pub(crate) fn schedule_time(at: Option<f64>, after_s: Option<f64>, now: f64) -> Result<Option<f64>> {
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
pub(crate) fn apply(op: KeyOp, keys: &mut KeyRing, admin: &mut KeyAdmin, now: f64) -> Result<()> {
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
