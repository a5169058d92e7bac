//! One token through go-oidc (the [`Oracle`]) and through the emulation's `OidcVerifier`, both
//! configured as one Weaviate (issuer, client id `weaviate`, username claim
//! `preferred_username`, groups claim `groups`) against the same in-process mock provider, and
//! the two verdicts compared.
//!
//! What must agree: accepted or refused; the status (401 or 500); the principal (username and
//! groups) of an accepted token; and the message of a refused one, after two normalisations and
//! with one tolerance:
//! - the current time in go-oidc's not-before text (`current time <now> before the nbf ...`) is
//!   a reading of each side's own clock, so it is replaced by `<now>` on both sides;
//! - go-jose checks the members of a JWS header in Go's random map order, so a header with two
//!   bad members gets either complaint. When the texts differ, the oracle is asked again (up to
//!   [`RETRIES`] times); the emulation's text passes when Go gives it in one of those answers;
//! - messages the emulation does not claim to be Go's ([`claims_go_text`]) are compared by
//!   verdict and status only.
//!
//! The emulation receives the token as a request header would give it to Weaviate's Go code:
//! bytes that are not UTF-8 arrive in the emulation as U+FFFD (its bearer extraction reads the
//! header lossily), in Go as the bytes themselves.

use std::time::{Duration, Instant};

use mock_idp::config::KeyConfig;
use mock_idp::{Alg, MockIdp, Preset};
use weaviate_auth_emu::authentication::{OidcSettings, OidcVerifier};

use super::forge::{Choices, Forge, Forged};
use super::{Oracle, OracleSettings, Unavailable, Verdict};
use crate::Error;

/// How many more times the oracle is asked when its text differs from the emulation's.
pub const RETRIES: usize = 24;
/// The built-in tenant's RSA key (a test-only fixture).
const FIXTURE_RSA_PEM: &str = include_str!("../../../../fixtures/keys/default-rs256.pem");
/// The client id of the run's Weaviate.
pub const CLIENT_ID: &str = "weaviate";
/// Its username claim.
pub const USERNAME_CLAIM: &str = "preferred_username";
/// Its groups claim.
pub const GROUPS_CLAIM: &str = "groups";

/// Texts the emulation writes itself where Go would go on (README, known differences): only
/// the verdict and status of these are compared.
pub fn claims_go_text(emulation_message: &str) -> bool {
    !emulation_message.contains("is not supported by the emulation")
}

/// Replaces the current time of go-oidc's not-before text by `<now>`.
pub fn normalize(message: &str) -> String {
    const START: &str = "oidc: current time ";
    const END: &str = " before the nbf (not before) time: ";
    if let Some(a) = message.find(START) {
        if let Some(b) = message[a..].find(END) {
            return format!("{}<now>{}", &message[..a + START.len()], &message[a + b..]);
        }
    }
    message.to_owned()
}

/// A token on which the two verifiers disagree.
#[derive(Debug, Clone)]
pub struct Difference {
    /// The token (lossy UTF-8, for reading).
    pub token: String,
    /// How the token was made.
    pub recipe: String,
    /// What go-oidc said.
    pub go: Verdict,
    /// What the emulation said.
    pub emulation: Verdict,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token: String = if self.token.len() > 600 {
            format!(
                "{}… ({} bytes)",
                &self.token.chars().take(600).collect::<String>(),
                self.token.len()
            )
        } else {
            self.token.clone()
        };
        write!(
            f,
            "go-oidc and the emulation disagree\n  recipe:    {}\n  token:     {token:?}\n  go-oidc:   {}\n  emulation: {}",
            self.recipe, self.go, self.emulation
        )
    }
}

/// Counters of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Tokens compared.
    pub tokens: u64,
    /// Accepted by both.
    pub accepted: u64,
    /// Refused by both with the same status and text.
    pub refused: u64,
    /// Refused by both; the emulation's text is one of the several Go gives (header order).
    pub go_random: u64,
    /// Refused by both; a text the emulation does not claim to be Go's.
    pub own_text: u64,
}

/// The provider, the emulation's verifier and the forge, on their own runtime: what the
/// differential run and the no-oracle fuzz target share.
pub struct Emulation {
    rt: tokio::runtime::Runtime,
    idp: MockIdp,
    verifier: OidcVerifier,
    forge: Forge,
}

impl std::fmt::Debug for Emulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulation")
            .field("issuer", &self.idp.issuer_url())
            .finish_non_exhaustive()
    }
}

impl Emulation {
    /// Starts the provider (the built-in tenant plus a PS256 and an ES384 key, so that the
    /// allowlist holds every family) and the emulation's verifier, on a runtime of its own.
    /// Call from outside any async runtime.
    pub fn start() -> Result<Emulation, Error> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Unavailable(format!("cannot build a runtime: {e}")))?;
        let idp = rt.block_on(
            MockIdp::builder()
                .configure(|t| {
                    // The fixture RSA key again, as PS256 under its own kid (no RSA key
                    // generation: it is slow in unoptimised fuzz builds), and a P-384 key.
                    t.keys.push(KeyConfig {
                        alg: Alg::PS256,
                        pem_file: None,
                        pem: Some(FIXTURE_RSA_PEM.into()),
                        seed: None,
                        random: false,
                        kid: Some("differential-ps256".into()),
                    });
                    t.keys.push(KeyConfig {
                        alg: Alg::ES384,
                        pem_file: None,
                        pem: None,
                        seed: Some("differential es384".into()),
                        random: false,
                        kid: None,
                    });
                })
                .start(),
        );
        let settings = OidcSettings {
            issuer: idp.issuer_url(),
            client_id: Some(CLIENT_ID.into()),
            username_claim: USERNAME_CLAIM.into(),
            groups_claim: Some(GROUPS_CLAIM.into()),
            ..OidcSettings::default()
        };
        let verifier = rt
            .block_on(OidcVerifier::start(settings))
            .map_err(|e| Error::Unavailable(format!("the emulation's verifier did not start: {e}")))?;
        let forge = Forge::new(&idp, CLIENT_ID)?;
        Ok(Emulation { rt, idp, verifier, forge })
    }

    /// The issuer the provider serves and both verifiers trust.
    pub fn issuer(&self) -> String {
        self.idp.issuer_url()
    }

    /// The token `choices` describe.
    pub fn forge(&self, choices: &[u8]) -> Forged {
        self.forge.forge(&mut Choices::new(choices))
    }

    /// The preset minted as is.
    pub fn preset(&self, preset: Preset) -> Result<Forged, Error> {
        self.forge.preset_token(preset)
    }

    /// The emulation's verdict on `token`.
    pub fn verdict(&self, token: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(token);
        match self.rt.block_on(self.verifier.authenticate(&text)) {
            Ok(id) => Verdict::Accepted {
                username: id.username,
                groups: id.groups,
            },
            Err(failure) => {
                // The status Weaviate answers with, as the emulation's error.rs picks it.
                let message = failure.message.clone();
                let status = weaviate_auth_emu::Error::from(failure).status().as_u16();
                Verdict::Refused { status, message }
            }
        }
    }
}

/// The emulation and the oracle of a differential run.
pub struct Differential {
    emulation: Emulation,
    oracle: Oracle,
    tally: Tally,
}

impl std::fmt::Debug for Differential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Differential")
            .field("emulation", &self.emulation)
            .field("oracle", &self.oracle)
            .field("tally", &self.tally)
            .finish()
    }
}

/// Why a run could not start: the oracle is missing (a skip outside CI) or something broke.
#[derive(Debug)]
pub enum StartError {
    /// No oracle here.
    Unavailable(Unavailable),
    /// The provider, the emulation's verifier or the forge failed to start.
    Failed(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Unavailable(u) => write!(f, "{u}"),
            StartError::Failed(e) => f.write_str(e),
        }
    }
}

impl Differential {
    /// Starts the [`Emulation`] and an oracle configured as the same Weaviate.
    pub fn start() -> Result<Differential, StartError> {
        let emulation = Emulation::start().map_err(|e| StartError::Failed(e.to_string()))?;
        let oracle = Oracle::start(&OracleSettings {
            issuer: emulation.issuer(),
            client_id: CLIENT_ID.into(),
            username_claim: USERNAME_CLAIM.into(),
            groups_claim: GROUPS_CLAIM.into(),
            ..OracleSettings::default()
        })
        .map_err(StartError::Unavailable)?;
        Ok(Differential {
            emulation,
            oracle,
            tally: Tally::default(),
        })
    }

    /// The oracle's Go, go-oidc and go-jose versions.
    pub fn oracle_versions(&self) -> &str {
        self.oracle.versions()
    }

    /// The counters so far.
    pub fn tally(&self) -> Tally {
        self.tally
    }

    /// The emulation side (forge, provider, verifier).
    pub fn emulation(&self) -> &Emulation {
        &self.emulation
    }

    /// Forges the token `choices` describe and compares the two verdicts on it.
    pub fn check_choices(&mut self, choices: &[u8]) -> Result<(), Error> {
        let forged = self.emulation.forge(choices);
        self.check(&forged)
    }

    /// Both verdicts on one token; `Err` names the difference (or an oracle failure).
    pub fn check(&mut self, forged: &Forged) -> Result<(), Error> {
        let go = self.oracle.verify(&forged.token)?;
        let emulation = self.emulation.verdict(&forged.token);
        self.tally.tokens += 1;
        let differ = || Difference {
            token: String::from_utf8_lossy(&forged.token).into_owned(),
            recipe: forged.recipe.clone(),
            go: go.clone(),
            emulation: emulation.clone(),
        };
        match (&go, &emulation) {
            (Verdict::Accepted { .. }, Verdict::Accepted { .. }) if go == emulation => {
                self.tally.accepted += 1;
                Ok(())
            }
            (Verdict::Refused { status: gs, message: gm }, Verdict::Refused { status: es, message: em }) if gs == es => {
                if !claims_go_text(em) {
                    self.tally.own_text += 1;
                    return Ok(());
                }
                let want = normalize(em);
                if normalize(gm) == want {
                    self.tally.refused += 1;
                    return Ok(());
                }
                for _ in 0..RETRIES {
                    if let Verdict::Refused { message, .. } = self.oracle.verify(&forged.token)? {
                        if normalize(&message) == want {
                            self.tally.go_random += 1;
                            return Ok(());
                        }
                    }
                }
                Err(Error::Disagreement(differ().to_string()))
            }
            _ => Err(Error::Disagreement(differ().to_string())),
        }
    }

    /// Compares tokens forged from `seed`-derived choices until `count` tokens or `limit` time,
    /// whichever comes first; stops at the first difference.
    pub fn run(&mut self, seed: u64, count: u64, limit: Duration) -> Result<Tally, Error> {
        let began = Instant::now();
        let mut state = seed;
        for i in 0..count {
            if began.elapsed() >= limit {
                break;
            }
            let mut choices = vec![0u8; 96];
            for chunk in choices.chunks_mut(8) {
                state = splitmix(state);
                chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
            }
            self.check_choices(&choices)
                .map_err(|e| Error::Exchange(format!("token {i} of seed {seed}: {e}")))?;
        }
        Ok(self.tally)
    }
}

/// SplitMix64: a tiny, well-known generator; enough to turn a seed into choice bytes.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nbf_now_is_normalized_and_other_texts_are_kept() {
        let go = "unauthorized: oidc: current time 2026-11-23 08:55:33.601963898 +0000 UTC m=+9.492822773 before the nbf (not before) time: 2026-11-23 09:05:32 +0000 UTC";
        let emu = "unauthorized: oidc: current time 2026-11-23 08:55:33.7 +0000 UTC m=+0.1 before the nbf (not before) time: 2026-11-23 09:05:32 +0000 UTC";
        assert_eq!(normalize(go), normalize(emu));
        assert_ne!(normalize(go), normalize(&emu.replace("09:05:32", "09:05:33")));
        assert_eq!(
            normalize("unauthorized: oidc: token is expired"),
            "unauthorized: oidc: token is expired"
        );
    }

    /// Found by the `oidc_verify` fuzz target in CI: the forge reshaped a four-parts token by
    /// dropping its last segment, which gives back the valid token, yet still expected a refusal.
    #[test]
    fn four_parts_without_its_appended_segment_is_the_valid_token_again() {
        let choices: [u8; 94] = [
            232, 46, 110, 228, 237, 116, 155, 134, 125, 1, 211, 204, 120, 127, 186, 207, 247, 132, 239, 24, 100, 11, 33, 54, 173, 100, 183,
            19, 82, 21, 25, 159, 226, 4, 51, 223, 169, 218, 73, 111, 227, 255, 78, 173, 26, 197, 239, 135, 10, 34, 231, 191, 252, 99, 149,
            87, 199, 111, 203, 220, 181, 37, 229, 199, 48, 57, 139, 104, 75, 122, 29, 160, 19, 6, 3, 115, 142, 56, 178, 58, 131, 11, 77, 3,
            1, 199, 101, 67, 97, 167, 119, 223, 224, 164,
        ];
        let emu = Emulation::start().expect("the emulation starts");
        let forged = emu.forge(&choices);
        assert_eq!(forged.recipe, "preset four-parts; reshape 5 at segment 3");
        assert!(matches!(emu.verdict(&forged.token), Verdict::Accepted { .. }));
        assert!(!forged.must_fail, "a token that verifies was expected to fail");
        // The preset itself, not reshaped, is still one that must fail.
        let plain = emu.preset(Preset::FourParts).expect("mints");
        assert!(plain.must_fail);
        assert!(!matches!(emu.verdict(&plain.token), Verdict::Accepted { .. }));
    }

    #[test]
    fn only_the_emulations_own_texts_are_exempt() {
        assert!(!claims_go_text(
            "unauthorized: oidc: malformed jwt: go-jose/go-jose: JSON serialization is not supported by the emulation"
        ));
        assert!(claims_go_text(
            "unauthorized: failed to verify signature: failed to verify id token signature"
        ));
    }
}
