//! A tenant's key operations (P35, P135-P137), over its ring and its `KeyAdmin`: the rules of
//! each operation are in `rotation.rs`; this is where they meet the tenant's locks and clock.

use serde_json::{json, Value};

use super::Tenant;
use crate::config::{Alg, KeyConfig};
use crate::error::{Error, Result};
use crate::keys::{KeyRing, SigningKey};
use crate::rotation::Scheduled;
use crate::rotation::{
    apply, field, no_key, schedule_time, AddKey, KeyAction, KeyAdmin, KeyInfo, KeyList, KeyOp, RotateKeys, ScheduledInfo, When,
};

impl Tenant {
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
        let keys = self.keys();
        Ok(self.key_list_locked(&keys, &admin))
    }

    /// Runs an operation now, or schedules it at `at` (P137).
    fn run_or_schedule(&self, op: KeyOp, at: Option<f64>) -> Result<KeyList> {
        self.run_due_key_ops();
        let mut admin = self.key_admin();
        let mut keys = self.keys_mut();
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
        self.run_key_ops_due_at(self.clock.now_f64());
    }

    /// `run_due_key_ops` at tenant time `now`, which the caller read from the tenant clock.
    pub fn run_key_ops_due_at(&self, now: f64) {
        if !self.any_key_op_scheduled() {
            return;
        }
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
        let mut keys = self.keys_mut();
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
            None => self.keys().active().alg(),
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
        let keys = self.keys();
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
        *self.keys_mut() = self.initial_keys.clone();
    }
}
