//! The mixed plan (attacks.md R7, R9, R14): every loop alternates a valid token with a forged,
//! malformed or oversized one, while the provider rotates its key and its JWKS fails in turn.

use std::time::{Duration, Instant};

use serde_json::json;

use super::{fault, probe, until, Done, Rig};
use crate::Error;

/// Forgery presets of attacks.md (R2's list) whose answer is 401 on every target.
const FORGED: &[&str] = &[
    "alg-none",
    "alg-none-signed",
    "hs256-public-key",
    "alg-not-advertised",
    "alg-key-mismatch",
    "forged-key-real-kid",
    "unknown-kid",
    "kid-injection-path",
    "kid-injection-huge",
    "embedded-jwk",
    "crit-unknown",
    "two-parts",
    "bad-signature",
    "payload-tampered",
    "wrong-issuer",
    "iss-missing",
    "duplicate-header",
    "es256-der",
    "es256-zero",
    "expired",
    "wrong-audience",
];

/// The valid tokens and the bad ones, with the status each must get.
pub(super) fn prepare(rig: &Rig) -> Result<(), Error> {
    let mut valid = Vec::new();
    for user in ["admin", "viewer"] {
        valid.push(probe("valid", rig.mint(json!({ "user": user }))?, 200));
    }
    let mut bad = Vec::new();
    for p in FORGED {
        bad.push(probe("forged", rig.mint(json!({ "user": "admin", "preset": p }))?, 401));
    }
    for garbage in ["", "x", "a.b.c", "....", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9.e30"] {
        bad.push(probe("malformed", garbage.to_owned(), 401));
    }
    // A32/R14: a 17 KiB token whose signature is broken and 100,000 dots (401), over the header
    // limit (431). (A valid 17 KiB token verifies, as on v1.38.11.)
    let big = rig.mint(json!({"user": "admin", "preset": "oversized", "preset_size": 17408}))?;
    let tail = if big.ends_with("AAAA") { "BBBB" } else { "AAAA" };
    bad.push(probe("oversized", format!("{}{tail}", &big[..big.len().saturating_sub(4)]), 401));
    bad.push(probe("oversized", ".".repeat(100_000), 401));
    bad.push(probe("oversized", "a".repeat(1 << 20), 431));
    rig.with_mix(|mix| {
        mix.valid = valid;
        mix.bad = bad;
    })
}

/// Valid tokens older than this leave the mix. Rotation keeps an old key published for the
/// tenant's longest token lifetime (at least 5 minutes), so younger tokens are never expired nor
/// signed by a key the JWKS has dropped, however long the run.
const FRESH: Duration = Duration::from_secs(60);

/// Repeats: rotate the key, check the new key's first token (it makes the emulation refetch while
/// the JWKS is up) and add fresh tokens of the new key to the valid ones, then arm the next JWKS
/// fault for its slot. Unknown-kid and bad-signature forgeries make the emulation refetch all
/// the time, so every fault meets fetches.
pub(super) async fn schedule(rig: &mut Rig, duration: Duration, started: Instant) -> Result<Done, Error> {
    let half = Duration::from_millis(500);
    let normal = Duration::from_millis(1500);
    // R9's stall outlasts the emulation's 3 s JWKS timeout; clearing the fault ends it.
    let faults = [
        ("hang 30 s", fault("hang", json!({"max_ms": 30_000})), Duration::from_secs(4)),
        ("oversized_body 10 MiB", fault("oversized_body", json!({"mib": 10})), normal),
        ("latency 300 ms", fault("latency", json!({"ms": 300})), normal),
        ("status 500", fault("status", json!({"status": 500, "body": "jwks down"})), normal),
        ("truncated_json", fault("truncated_json", json!({})), normal),
        ("connection_closed", fault("connection_closed", json!({})), normal),
    ];
    let mut done = Done::default();
    let mut at = Duration::ZERO;
    for (name, spec, slot) in faults.iter().cycle() {
        if at + half * 2 + *slot > duration {
            break;
        }
        until(started, at + half).await;
        rig.control(reqwest::Method::POST, "keys/rotate", Some(json!({"alg": "RS256"})))
            .await?;
        done.key_operations += 1;
        let fresh = rig.mint(json!({ "user": "admin" }))?;
        // The first try can join a fetch that began before the rotation and so lacks the new
        // key: go-oidc shares the fetch in flight, and the emulation does the same.
        rig.check("the rotated key's first token", &fresh, 200, 3).await?;
        let viewer = rig.mint(json!({ "user": "viewer" }))?;
        rig.with_mix(|mix| {
            mix.valid.retain(|p| p.made.elapsed() < FRESH);
            mix.valid.push(probe("valid", fresh, 200));
            mix.valid.push(probe("valid", viewer, 200));
        })?;
        until(started, at + half * 2).await;
        rig.control(reqwest::Method::POST, "faults", Some(spec.clone())).await?;
        done.faults.push((*name).to_owned());
        until(started, at + half * 2 + *slot).await;
        rig.control(reqwest::Method::DELETE, "faults", None).await?;
        at += half * 2 + *slot;
    }
    Ok(done)
}
