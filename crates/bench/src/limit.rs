//! The hardware limit: `openssl speed -multi N` signatures per second on this machine, and our
//! own signer's rate in process (the call every issued token makes, without HTTP around it).

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bench::token_sample::{HEADER, PAYLOAD};
use mock_idp::{Alg, SigningKey};

use serde::Serialize;

/// Signatures per second with every core signing.
#[derive(Debug, Clone, Serialize)]
pub struct SignLimit {
    /// RSA-2048 signs/s.
    pub rsa2048: Option<f64>,
    /// ECDSA P-256 signs/s.
    pub ecdsap256: Option<f64>,
    /// Ed25519 signs/s.
    pub ed25519: Option<f64>,
    /// The command that measured them.
    pub command: String,
}

/// Runs `openssl speed` for `seconds` per operation on `processes` processes.
pub fn measure(seconds: u32, processes: usize) -> anyhow::Result<SignLimit> {
    let args = [
        "speed".to_owned(),
        "-seconds".into(),
        seconds.to_string(),
        "-multi".into(),
        processes.to_string(),
        "rsa2048".into(),
        "ecdsap256".into(),
        "ed25519".into(),
    ];
    let out = Command::new("openssl").args(&args).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(SignLimit {
        rsa2048: sign_rate(&text, "2048 bits"),
        ecdsap256: sign_rate(&text, "(nistp256)"),
        ed25519: sign_rate(&text, "(Ed25519)"),
        command: format!("openssl {}", args.join(" ")),
    })
}

/// Tokens signed per second by `SigningKey::sign_raw`, the provider's own signing call, with
/// every core signing and nothing else: what a token costs when HTTP, parsing, claims and the
/// journal cost nothing.
#[derive(Debug, Clone, Serialize)]
pub struct SignerRate {
    /// RS256 (RSA-2048) signed tokens/s.
    pub rs256: f64,
    /// ES256 (P-256) signed tokens/s.
    pub es256: f64,
    /// EdDSA (Ed25519) signed tokens/s.
    pub eddsa: f64,
    /// Bytes of the header and payload signed each time (a client_credentials token's).
    pub input_bytes: usize,
}

/// Measures [`SignerRate`] for `seconds` per algorithm on `threads` threads.
pub fn signer_rate(seconds: f64, threads: usize) -> SignerRate {
    let rate = |alg| {
        let key = SigningKey::from_seed("bench signer rate", alg);
        let stop = AtomicBool::new(false);
        let signed = AtomicU64::new(0);
        let began = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads.max(1) {
                scope.spawn(|| {
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::black_box(key.sign_raw(HEADER.as_bytes(), PAYLOAD.as_bytes(), alg));
                        n += 1;
                    }
                    signed.fetch_add(n, Ordering::Relaxed);
                });
            }
            std::thread::sleep(Duration::from_secs_f64(seconds));
            stop.store(true, Ordering::Relaxed);
        });
        signed.load(Ordering::Relaxed) as f64 / began.elapsed().as_secs_f64()
    };
    SignerRate {
        rs256: rate(Alg::RS256),
        es256: rate(Alg::ES256),
        eddsa: rate(Alg::EdDSA),
        input_bytes: HEADER.len() + PAYLOAD.len(),
    }
}

/// The sign/s column of the result line containing `marker`: the first rate after the
/// per-operation times (which end in `s`).
fn sign_rate(text: &str, marker: &str) -> Option<f64> {
    let line = text.lines().rfind(|l| l.contains(marker) && !l.starts_with('+'))?;
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let last_time = tokens
        .iter()
        .rposition(|t| t.strip_suffix('s').is_some_and(|n| n.parse::<f64>().is_ok()))?;
    tokens.get(last_time + 1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sign_column_of_openssl_3_lines() {
        let text = "                  sign    verify    sign/s verify/s\n\
                    rsa 2048 bits 0.000546s 0.000016s   1830.8  62360.4\n\
                    \x20256 bits ecdsa (nistp256)   0.0001s   0.0002s  15259.0   5563.0\n\
                    \x20253 bits EdDSA (Ed25519)   0.0001s   0.0003s   8655.5   3235.0\n";
        assert_eq!(sign_rate(text, "2048 bits"), Some(1830.8));
        assert_eq!(sign_rate(text, "(nistp256)"), Some(15259.0));
        assert_eq!(sign_rate(text, "(Ed25519)"), Some(8655.5));
        assert_eq!(sign_rate(text, "4096 bits"), None);
    }

    #[test]
    fn the_signer_rate_counts_tokens_that_verify() {
        let r = signer_rate(0.05, 1);
        assert!(r.rs256 > 0.0 && r.es256 > 0.0 && r.eddsa > 0.0, "{r:?}");
        assert_eq!(r.input_bytes, HEADER.len() + PAYLOAD.len());
        // What was counted is a real signature over the input: three segments, the third one
        // the size of a P-256 signature (64 bytes, 86 in base64url).
        let token = SigningKey::from_seed("bench signer rate", Alg::ES256).sign_raw(HEADER.as_bytes(), PAYLOAD.as_bytes(), Alg::ES256);
        assert_eq!(token.split('.').map(str::len).nth(2), Some(86));
    }
}
