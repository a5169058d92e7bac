//! The steady plan (attacks.md R6, R8): valid RS256 tokens only. After the warm-up nothing should
//! make the emulation fetch the JWKS again until, at a third of the run, the provider adds K2 and
//! signs with it (one refetch, by the first K2 token). At two thirds the provider deletes K1; K1's
//! tokens keep coming and, as A37 says, stay accepted while K1 is cached.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::{probe, until, Done, Rig};
use crate::Error;

/// Lifetime of the tokens: a day, so that a long run never sees them expire (this plan never
/// drops a key from the JWKS but K1).
const LIFETIME_S: u64 = 86_400;

/// K1's tokens (the provider's signer at start) for two users.
pub(super) fn prepare(rig: &Rig) -> Result<(), Error> {
    let mut valid = Vec::new();
    for user in ["admin", "viewer"] {
        valid.push(probe("k1", rig.mint(json!({ "user": user, "lifetime_s": LIFETIME_S }))?, 200));
    }
    rig.with_mix(|mix| mix.valid = valid)
}

fn active_kid(keys: &Value) -> Result<String, Error> {
    keys["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["active"] == true))
        .and_then(|k| k["kid"].as_str())
        .map(str::to_owned)
        .ok_or_else(|| Error::Invalid(format!("no active key in {keys}")))
}

/// Adds K2 at a third of the run, deletes K1 at two thirds, and counts JWKS fetches per phase.
pub(super) async fn schedule(rig: &mut Rig, duration: Duration, started: Instant) -> Result<Done, Error> {
    let mut done = Done::default();
    let k1 = active_kid(&rig.control(reqwest::Method::GET, "keys", None).await?)?;
    let mut seen = 0;
    let mut phase = |name: &str, count: u64, done: &mut Done| {
        done.phases.push((name.to_owned(), count - seen));
        seen = count;
    };

    until(started, duration / 3).await;
    phase("k1 only", rig.jwks_count().await?, &mut done);
    let keys = rig
        .control(reqwest::Method::POST, "keys", Some(json!({"alg": "RS256", "activate": true})))
        .await?;
    done.key_operations += 1;
    let k2 = active_kid(&keys)?;
    if k2 == k1 {
        return Err(Error::Exchange(format!("adding K2 left {k1} the signer")));
    }
    let mut k2_tokens = Vec::new();
    for user in ["admin", "viewer"] {
        k2_tokens.push(probe("k2", rig.mint(json!({ "user": user, "lifetime_s": LIFETIME_S }))?, 200));
    }
    rig.with_mix(|mix| mix.valid.extend(k2_tokens))?;

    until(started, duration * 2 / 3).await;
    phase("k2 added", rig.jwks_count().await?, &mut done);
    rig.control(reqwest::Method::DELETE, &format!("keys/{k1}"), None).await?;
    done.key_operations += 1;
    rig.with_mix(|mix| {
        for p in mix.valid.iter_mut().filter(|p| p.class == "k1") {
            p.class = "k1-deleted";
        }
    })?;

    until(started, duration).await;
    phase("k1 deleted", rig.jwks_count().await?, &mut done);
    Ok(done)
}
