//! The hardware limit: `openssl speed -multi N` signatures per second on this machine.

use std::process::Command;

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
}
