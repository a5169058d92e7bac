//! What Weaviate v1.38.11 answers to each of mock-idp's bad-token presets (P134), and the tables
//! that join it with the provider's catalogue: the README's, `oidc-harness presets` and the
//! `_mock/presets` listing of `oidc-harness idp`.
//!
//! The outcomes are go-oidc's as Weaviate uses it (`go-oidc-verifier.md`): 401 with
//! `unauthorized: <go-oidc text>`, 200 when go-oidc accepts, 500 when Weaviate fails after
//! verification (username claim). Where the spec marks a fact UNCONFIRMED, so does the text. The
//! root test `tests/it/presets.rs` plays every preset on the real server and on the emulation
//! and compares both with this table. [`weaviate_outcome`] matches every preset without a
//! catch-all arm: a new preset does not compile until its outcome is written here.

use mock_idp::Preset;
use serde_json::{json, Map, Value};

/// Weaviate's answer to one preset's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status: 401 rejected, 200 accepted, 500 failed after verification.
    pub status: u16,
    /// The start of the go-oidc / Weaviate error text (without Weaviate's `unauthorized: `
    /// prefix); `None` when accepted.
    pub error: Option<&'static str>,
    /// Extra note on the outcome (text left open, source, UNCONFIRMED facts).
    pub note: &'static str,
}

impl Outcome {
    /// Whether the token is refused by verification (401): it must never be accepted.
    pub fn rejected(&self) -> bool {
        self.status == 401
    }

    /// The start of the `message` member of Weaviate's answer: the error text, after
    /// `unauthorized: ` for a 401; `None` when accepted.
    pub fn message_prefix(&self) -> Option<String> {
        match (self.status, self.error) {
            (200, _) | (_, None) => None,
            (401, Some(e)) => Some(format!("unauthorized: {e}")),
            (_, Some(e)) => Some(e.to_owned()),
        }
    }

    /// The outcome as one line, e.g. `rejected: 401 oidc: token is expired`.
    pub fn summary(&self) -> String {
        let mut out = match (self.status, self.error) {
            (200, _) => "accepted".to_owned(),
            (500, Some(e)) => format!("verified, then Weaviate answers 500 {e}"),
            (code, Some(e)) => format!("rejected: {code} {e}"),
            (code, None) => format!("rejected: {code}"),
        };
        if !self.note.is_empty() {
            out.push_str(&format!(" ({})", self.note));
        }
        out
    }
}

const EXPIRED: &str = "oidc: token is expired";
const BAD_SIG: &str = "failed to verify signature: failed to verify id token signature";
const BAD_ALG: &str = "oidc: malformed jwt: unexpected signature algorithm";
const WRONG_ISS: &str = "oidc: id token issued by a different provider";
const WRONG_AUD: &str = "oidc: expected audience";
const THREE_PARTS: &str = "oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts";

fn accepted(note: &'static str) -> Outcome {
    Outcome {
        status: 200,
        error: None,
        note,
    }
}

fn rejected(error: &'static str, note: &'static str) -> Outcome {
    Outcome {
        status: 401,
        error: Some(error),
        note,
    }
}

fn fails_after_verification(error: &'static str, note: &'static str) -> Outcome {
    Outcome {
        status: 500,
        error: Some(error),
        note,
    }
}

/// What Weaviate v1.38.11 answers to `preset`'s token (an access token of the default tenant,
/// client id `weaviate`, username claim `preferred_username`, groups claim `groups`).
pub fn weaviate_outcome(preset: Preset) -> Outcome {
    use Preset as P;
    match preset {
        P::Expired => rejected(EXPIRED, "no leeway on exp"),
        P::ExpiresSoon => accepted("accepted until exp: no leeway"),
        P::ExpMissing => rejected(
            "oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)",
            "a missing exp is Go's zero time",
        ),
        P::ExpNull => rejected(
            "oidc: failed to unmarshal claims: strconv.ParseFloat: parsing \"\": invalid syntax",
            "",
        ),
        P::ExpString => accepted("Go's json.Number reads a quoted numeral; a strict profile rejects"),
        P::ExpFloat => accepted("fractions are cut to whole seconds"),
        P::ExpHuge => rejected(
            EXPIRED,
            "out of int64 range: Go's conversion gives a time in the far past (source reading, UNCONFIRMED)",
        ),
        P::NotYetValid => rejected(
            "oidc: current time",
            "text: 'oidc: current time <now> before the nbf (not before) time: <nbf>'",
        ),
        P::NbfWithinSkew => accepted("go-oidc tolerates nbf up to 5 minutes ahead"),
        P::NbfString => rejected(
            "oidc: current time",
            "go-oidc reads the quoted number; an engine ignoring a string nbf would accept",
        ),
        P::IatFuture => accepted("iat is never checked"),
        P::WrongIssuer => rejected(WRONG_ISS, ""),
        P::IssuerSlashToggled => rejected(WRONG_ISS, ""),
        P::IssuerCase => rejected(WRONG_ISS, ""),
        P::IssuerScheme => rejected(WRONG_ISS, ""),
        P::IssMissing => rejected(WRONG_ISS, "got \"\""),
        P::WrongAudience => rejected(WRONG_AUD, ""),
        P::AudMissing => rejected(WRONG_AUD, "got []"),
        P::AudArrayWithClient => accepted(""),
        P::AudArrayWithoutClient => rejected(WRONG_AUD, ""),
        P::AudEmptyArray => rejected(WRONG_AUD, "got []"),
        P::AudNumber => rejected(
            "oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.aud of type []string",
            "",
        ),
        P::AzpMismatch => accepted("azp is ignored; a strict profile rejects"),
        P::BadSignature => rejected(BAD_SIG, "after one JWKS refetch"),
        P::SignatureTruncated => rejected(BAD_SIG, "after one JWKS refetch"),
        P::SignaturePadded => rejected(
            "oidc: malformed jwt: illegal base64 data at input byte",
            "go-jose decodes every compact segment as unpadded base64url",
        ),
        P::PayloadTampered => rejected(BAD_SIG, "after one JWKS refetch"),
        P::AlgNone => rejected(BAD_ALG, "none is never in the allowlist"),
        P::AlgNoneCapitalized => rejected(BAD_ALG, ""),
        P::AlgNoneUpper => rejected(BAD_ALG, ""),
        P::AlgNoneMixed => rejected(BAD_ALG, ""),
        P::AlgNoneSigned => rejected(BAD_ALG, ""),
        P::Hs256PublicKey => rejected(BAD_ALG, "HS* is never in the allowlist"),
        P::Hs256PublicKeyDer => rejected(BAD_ALG, ""),
        P::Hs256PublicKeyN => rejected(BAD_ALG, ""),
        P::AlgNotAdvertised => rejected(BAD_ALG, ""),
        P::AlgKeyMismatch => rejected(
            BAD_SIG,
            "when discovery lists ES256; otherwise 'unexpected signature algorithm \"ES256\"'",
        ),
        P::ForgedKeyRealKid => rejected(BAD_SIG, "after one JWKS refetch"),
        P::UnknownKid => rejected(BAD_SIG, "each such token costs one JWKS fetch"),
        P::KidMissing => accepted("without kid every cached key is tried"),
        P::KidInjectionPath => rejected(BAD_SIG, "an unknown kid"),
        P::KidInjectionSql => rejected(BAD_SIG, "an unknown kid"),
        P::KidInjectionHuge => rejected(BAD_SIG, "an unknown kid"),
        P::KidInjectionBinary => rejected(BAD_SIG, "Go decodes invalid UTF-8 as U+FFFD: an unknown kid"),
        P::KidInjectionObject => rejected("oidc: malformed jwt:", "the header does not parse (text UNCONFIRMED)"),
        P::Jku => rejected(BAD_SIG, "nothing is fetched from jku"),
        P::X5u => rejected(BAD_SIG, "nothing is fetched from x5u"),
        P::EmbeddedJwk => rejected(BAD_SIG, "embedded keys are never trusted"),
        P::X5c => rejected(BAD_SIG, "embedded keys are never trusted"),
        P::CritExp => rejected(BAD_SIG, "go-jose fails every key; one JWKS refetch"),
        P::CritUnknown => rejected(BAD_SIG, "go-jose fails every key; one JWKS refetch"),
        P::CritEmpty => accepted("an empty crit names nothing unsupported (UNCONFIRMED)"),
        P::CritB64 => rejected(
            BAD_SIG,
            "go-jose signs b64=false input over the decoded payload, so no key verifies (source reading)",
        ),
        P::TwoParts => rejected(THREE_PARTS, ""),
        P::FourParts => rejected(THREE_PARTS, ""),
        P::EmptySignature => rejected(BAD_SIG, ""),
        P::UsernameMissing => fails_after_verification(
            "oidc: token doesn't contain required claim",
            "the token verifies; Weaviate then fails",
        ),
        P::UsernameNotString => fails_after_verification("oidc: claim", "text: oidc: claim '<name>' is not a string, but float64"),
        P::GroupsAsString => accepted("a single string becomes a one-group list"),
        P::GroupsMissing => accepted("no groups, no error"),
        P::SubMissing => accepted(""),
        P::DuplicateClaim => accepted("Go keeps the last value (faithful); a strict profile rejects (UNCONFIRMED)"),
        P::DuplicateHeader => rejected(
            "oidc: malformed jwt:",
            "go-jose refuses a repeated header member (text UNCONFIRMED)",
        ),
        P::Es256Der => rejected(BAD_SIG, "JWS needs raw R||S of 64 bytes"),
        P::Es256HighS => accepted("still a valid ECDSA signature"),
        P::Es256Zero => rejected(BAD_SIG, ""),
        P::Oversized => accepted("go-oidc has no length cap; Go's 1 MiB header limit answers 431 above it"),
        P::RetiredKey => rejected(
            BAD_SIG,
            "accepted while a verifier still caches the key; rejected after a refetch or by a fresh verifier",
        ),
        P::AtJwt => accepted("typ is not checked"),
    }
}

/// The members `oidc-harness idp` adds to a preset's `_mock/presets` entry:
/// `expected_status`, `expected_error`, `expected`.
pub fn listing_members(preset: Preset) -> Map<String, Value> {
    let o = weaviate_outcome(preset);
    let mut m = Map::new();
    m.insert("expected_status".into(), json!(o.status));
    m.insert("expected_error".into(), json!(o.error));
    m.insert("expected".into(), json!(o.summary()));
    m
}

/// The `_mock/presets` listing with Weaviate's outcomes, as `oidc-harness idp` serves it.
pub fn listing() -> Value {
    mock_idp::presets::listing(&mock_idp::presets::expectations(listing_members))
}

/// The catalogue with Weaviate's outcomes as a markdown table (the README's).
pub fn markdown_table() -> String {
    let mut out = String::from("| Preset | What changes | Attack | Expected (go-oidc / Weaviate) |\n|---|---|---|---|\n");
    for p in Preset::ALL {
        let s = p.spec();
        let cell = |t: &str| t.replace('|', "\\|");
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            p.name(),
            cell(s.description),
            cell(s.attack),
            cell(&weaviate_outcome(p).summary())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p134_markdown_table_has_one_row_per_preset() {
        let t = markdown_table();
        assert_eq!(t.lines().count(), Preset::ALL.len() + 2);
        assert!(t.contains("| `alg-none` |"));
    }

    #[test]
    fn p134_outcomes_are_consistent() {
        for p in Preset::ALL {
            let o = weaviate_outcome(p);
            assert!([200, 401, 500].contains(&o.status), "{p}");
            assert_eq!(o.error.is_none(), o.status == 200, "{p}: an error text exactly when not accepted");
        }
        let expired = weaviate_outcome(Preset::Expired);
        assert_eq!(expired.message_prefix().as_deref(), Some("unauthorized: oidc: token is expired"));
        assert_eq!(expired.summary(), "rejected: 401 oidc: token is expired (no leeway on exp)");
        let missing = weaviate_outcome(Preset::UsernameMissing);
        assert_eq!(
            missing.message_prefix().as_deref(),
            Some("oidc: token doesn't contain required claim")
        );
        assert_eq!(weaviate_outcome(Preset::ExpiresSoon).message_prefix(), None);
    }

    #[test]
    fn p134_listing_joins_the_catalogue_and_the_outcomes() {
        let listing = listing();
        let entries = listing["presets"].as_array().expect("a presets array");
        assert_eq!(entries.len(), Preset::ALL.len());
        for (e, p) in entries.iter().zip(Preset::ALL) {
            let o = weaviate_outcome(p);
            assert_eq!(e["name"], p.name());
            assert_eq!(e["description"], p.spec().description);
            assert_eq!(e["expected_status"], o.status);
            assert_eq!(e["expected_error"], json!(o.error));
            assert_eq!(e["expected"], o.summary());
        }
    }
}
