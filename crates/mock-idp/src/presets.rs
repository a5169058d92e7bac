//! The bad-token preset catalogue (P134): one enum, each variant breaks one property.
//!
//! A preset starts from the valid token a mint request would give (a `Draft`: header, claims and
//! the key that signs) and changes exactly one thing: a claim, a header member, the key, the
//! signature bytes or the compact structure. Nothing is random but the ECDSA nonce: attacker keys
//! come from fixed seeds and are made once per process. The names, the `_mock/presets` listing,
//! the README table and `--help` all come from this enum's serde names, so they cannot drift.
//!
//! The expected outcomes are go-oidc's as Weaviate uses it (`go-oidc-verifier.md`): 401 with
//! `unauthorized: <go-oidc text>`, 200 when go-oidc accepts, 500 when Weaviate fails after
//! verification (username claim). Where the spec marks a fact UNCONFIRMED, so does the text.

use std::sync::OnceLock;

use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::Alg;
use crate::error::{Error, Result};
use crate::extract::TenantRef;
use crate::keys::{standard_header, SigningKey};

/// A named bad token (P134). Each variant changes one property of a valid minted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Preset {
    /// `exp` = now − N s (default 1).
    Expired,
    /// `exp` = now + N s (default 5).
    ExpiresSoon,
    /// No `exp`.
    ExpMissing,
    /// `"exp": null`.
    ExpNull,
    /// `exp` as a quoted number.
    ExpString,
    /// `exp` with a fraction.
    ExpFloat,
    /// `exp` = 1e300.
    ExpHuge,
    /// `nbf` = now + 1 h.
    #[serde(alias = "not_yet_valid")]
    NotYetValid,
    /// `nbf` = now + 30 s.
    NbfWithinSkew,
    /// `nbf` as a quoted far-future number.
    NbfString,
    /// `iat` = now + 1 day.
    IatFuture,
    /// `iss` of another issuer.
    #[serde(alias = "wrong_issuer")]
    WrongIssuer,
    /// `iss` with a trailing slash added or removed.
    IssuerSlashToggled,
    /// `iss` in another case.
    IssuerCase,
    /// `iss` with `http` and `https` swapped.
    IssuerScheme,
    /// No `iss`.
    IssMissing,
    /// `aud` = another client.
    #[serde(alias = "wrong_audience")]
    WrongAudience,
    /// No `aud`.
    AudMissing,
    /// `aud` = [other, client].
    AudArrayWithClient,
    /// `aud` = [other].
    AudArrayWithoutClient,
    /// `aud` = [].
    AudEmptyArray,
    /// `aud` = 123.
    AudNumber,
    /// `aud` = [client, x], `azp` = x.
    AzpMismatch,
    /// One signature bit flipped.
    #[serde(alias = "bad_signature")]
    BadSignature,
    /// Last signature byte cut.
    SignatureTruncated,
    /// `=` appended to the signature.
    SignaturePadded,
    /// Groups changed after signing.
    PayloadTampered,
    /// `alg: none`, empty signature.
    #[serde(alias = "alg_none")]
    AlgNone,
    /// `alg: None`.
    AlgNoneCapitalized,
    /// `alg: NONE`.
    AlgNoneUpper,
    /// `alg: nOnE`.
    AlgNoneMixed,
    /// `alg: none` with the original signature kept.
    AlgNoneSigned,
    /// HS256 keyed with the public key PEM.
    #[serde(alias = "hs256_with_public_key")]
    Hs256PublicKey,
    /// HS256 keyed with the public key DER.
    Hs256PublicKeyDer,
    /// HS256 keyed with the RSA modulus bytes.
    Hs256PublicKeyN,
    /// Real RSA key, an RSA algorithm discovery does not list.
    AlgNotAdvertised,
    /// `alg: ES256` with the RSA key's `kid`.
    AlgKeyMismatch,
    /// Attacker key, real `kid`.
    ForgedKeyRealKid,
    /// Attacker key with its own `kid`.
    #[serde(alias = "unknown_kid")]
    UnknownKid,
    /// No `kid`, real signature.
    KidMissing,
    /// `kid` is a path.
    KidInjectionPath,
    /// `kid` is an SQL fragment.
    KidInjectionSql,
    /// `kid` of 16 KiB.
    KidInjectionHuge,
    /// `kid` with NUL and invalid UTF-8.
    KidInjectionBinary,
    /// `kid` is a JSON object.
    KidInjectionObject,
    /// `jku` header pointing at an attacker JWKS.
    Jku,
    /// `x5u` header pointing at an attacker certificate.
    X5u,
    /// Attacker public key in a `jwk` header.
    EmbeddedJwk,
    /// Attacker certificate in an `x5c` header.
    X5c,
    /// `crit: ["exp"]`.
    CritExp,
    /// `crit: ["x-unknown"]`.
    CritUnknown,
    /// `crit: []`.
    CritEmpty,
    /// `crit: ["b64"]`, `b64: false`.
    CritB64,
    /// `header.payload`.
    TwoParts,
    /// `header.payload.signature.extra`.
    FourParts,
    /// `header.payload.`.
    EmptySignature,
    /// Username claims removed.
    #[serde(alias = "missing_username_claim")]
    UsernameMissing,
    /// Username claims set to a number.
    UsernameNotString,
    /// Groups claim as a single string.
    #[serde(alias = "groups_as_string")]
    GroupsAsString,
    /// No groups claim.
    GroupsMissing,
    /// No `sub`.
    SubMissing,
    /// A claim written twice.
    DuplicateClaim,
    /// A header member written twice.
    DuplicateHeader,
    /// ES256 signature in DER.
    Es256Der,
    /// ES256 with `s` replaced by `n − s`.
    Es256HighS,
    /// ES256 with `r = s = 0`.
    Es256Zero,
    /// Token padded to a requested size.
    Oversized,
    /// Signed with a key the JWKS no longer lists.
    RetiredKey,
    /// `typ: at+jwt`.
    AtJwt,
}

/// What a preset is for and what a go-oidc verifier (as in Weaviate) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetSpec {
    /// One line: what changes.
    pub description: &'static str,
    /// Row(s) of `attacks.md`, or a note when there is none.
    pub attack: &'static str,
    /// Weaviate's HTTP status for this token: 401 rejected, 200 accepted, 500 after verification.
    pub status: u16,
    /// The start of the go-oidc / Weaviate error text (without Weaviate's `unauthorized: `
    /// prefix); `None` when accepted.
    pub error: Option<&'static str>,
    /// Extra note on the outcome (text left open, source, UNCONFIRMED facts).
    pub note: &'static str,
}

const EXPIRED: &str = "oidc: token is expired";
const BAD_SIG: &str = "failed to verify signature: failed to verify id token signature";
const BAD_ALG: &str = "oidc: malformed jwt: unexpected signature algorithm";
const WRONG_ISS: &str = "oidc: id token issued by a different provider";
const WRONG_AUD: &str = "oidc: expected audience";
const THREE_PARTS: &str = "oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts";

fn spec(description: &'static str, attack: &'static str, status: u16, error: Option<&'static str>, note: &'static str) -> PresetSpec {
    PresetSpec {
        description,
        attack,
        status,
        error,
        note,
    }
}

impl Preset {
    /// Every preset, in catalogue order.
    pub const ALL: [Preset; 69] = [
        Preset::Expired,
        Preset::ExpiresSoon,
        Preset::ExpMissing,
        Preset::ExpNull,
        Preset::ExpString,
        Preset::ExpFloat,
        Preset::ExpHuge,
        Preset::NotYetValid,
        Preset::NbfWithinSkew,
        Preset::NbfString,
        Preset::IatFuture,
        Preset::WrongIssuer,
        Preset::IssuerSlashToggled,
        Preset::IssuerCase,
        Preset::IssuerScheme,
        Preset::IssMissing,
        Preset::WrongAudience,
        Preset::AudMissing,
        Preset::AudArrayWithClient,
        Preset::AudArrayWithoutClient,
        Preset::AudEmptyArray,
        Preset::AudNumber,
        Preset::AzpMismatch,
        Preset::BadSignature,
        Preset::SignatureTruncated,
        Preset::SignaturePadded,
        Preset::PayloadTampered,
        Preset::AlgNone,
        Preset::AlgNoneCapitalized,
        Preset::AlgNoneUpper,
        Preset::AlgNoneMixed,
        Preset::AlgNoneSigned,
        Preset::Hs256PublicKey,
        Preset::Hs256PublicKeyDer,
        Preset::Hs256PublicKeyN,
        Preset::AlgNotAdvertised,
        Preset::AlgKeyMismatch,
        Preset::ForgedKeyRealKid,
        Preset::UnknownKid,
        Preset::KidMissing,
        Preset::KidInjectionPath,
        Preset::KidInjectionSql,
        Preset::KidInjectionHuge,
        Preset::KidInjectionBinary,
        Preset::KidInjectionObject,
        Preset::Jku,
        Preset::X5u,
        Preset::EmbeddedJwk,
        Preset::X5c,
        Preset::CritExp,
        Preset::CritUnknown,
        Preset::CritEmpty,
        Preset::CritB64,
        Preset::TwoParts,
        Preset::FourParts,
        Preset::EmptySignature,
        Preset::UsernameMissing,
        Preset::UsernameNotString,
        Preset::GroupsAsString,
        Preset::GroupsMissing,
        Preset::SubMissing,
        Preset::DuplicateClaim,
        Preset::DuplicateHeader,
        Preset::Es256Der,
        Preset::Es256HighS,
        Preset::Es256Zero,
        Preset::Oversized,
        Preset::RetiredKey,
        Preset::AtJwt,
    ];

    /// The preset's one spelling (its serde name), e.g. `not-yet-valid`.
    pub fn name(self) -> String {
        match serde_json::to_value(self) {
            Ok(Value::String(s)) => s,
            _ => format!("{self:?}"),
        }
    }

    /// Parses a name or one of the snake_case aliases (`not_yet_valid`).
    pub fn parse(name: &str) -> Option<Preset> {
        serde_json::from_value(Value::String(name.to_owned())).ok()
    }

    /// The snake_case aliases that are accepted as input (older issue text).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Preset::NotYetValid => &["not_yet_valid"],
            Preset::WrongIssuer => &["wrong_issuer"],
            Preset::WrongAudience => &["wrong_audience"],
            Preset::BadSignature => &["bad_signature"],
            Preset::UnknownKid => &["unknown_kid"],
            Preset::AlgNone => &["alg_none"],
            Preset::Hs256PublicKey => &["hs256_with_public_key"],
            Preset::UsernameMissing => &["missing_username_claim"],
            Preset::GroupsAsString => &["groups_as_string"],
            _ => &[],
        }
    }

    /// Description, attack id and expected outcome.
    pub fn spec(self) -> PresetSpec {
        use Preset as P;
        match self {
            P::Expired => spec(
                "exp = now - N s (preset_seconds, default 1)",
                "A16",
                401,
                Some(EXPIRED),
                "no leeway on exp",
            ),
            P::ExpiresSoon => spec(
                "exp = now + N s (preset_seconds, default 5)",
                "A16",
                200,
                None,
                "accepted until exp: no leeway",
            ),
            P::ExpMissing => spec(
                "exp removed",
                "A17",
                401,
                Some("oidc: token is expired (Token Expiry: 0001-01-01 00:00:00 +0000 UTC)"),
                "a missing exp is Go's zero time",
            ),
            P::ExpNull => spec(
                "exp = null",
                "A17",
                401,
                Some("oidc: failed to unmarshal claims: strconv.ParseFloat: parsing \"\": invalid syntax"),
                "",
            ),
            P::ExpString => spec(
                "exp as a quoted number (the same future instant)",
                "A18",
                200,
                None,
                "Go's json.Number reads a quoted numeral; a strict profile rejects",
            ),
            P::ExpFloat => spec(
                "exp with a fraction (exp + 0.5)",
                "A19",
                200,
                None,
                "fractions are cut to whole seconds",
            ),
            P::ExpHuge => spec(
                "exp = 1e300",
                "A19",
                401,
                Some(EXPIRED),
                "out of int64 range: Go's conversion gives a time in the far past (source reading, UNCONFIRMED)",
            ),
            P::NotYetValid => spec(
                "nbf = now + 1 h",
                "A20",
                401,
                Some("oidc: current time"),
                "text: 'oidc: current time <now> before the nbf (not before) time: <nbf>'",
            ),
            P::NbfWithinSkew => spec("nbf = now + 30 s", "A20", 200, None, "go-oidc tolerates nbf up to 5 minutes ahead"),
            P::NbfString => spec(
                "nbf = \"99999999999\" (a quoted far-future number)",
                "A21",
                401,
                Some("oidc: current time"),
                "go-oidc reads the quoted number; an engine ignoring a string nbf would accept",
            ),
            P::IatFuture => spec("iat = now + 1 day", "A22", 200, None, "iat is never checked"),
            P::WrongIssuer => spec("iss = https://issuer.invalid/other", "A23", 401, Some(WRONG_ISS), ""),
            P::IssuerSlashToggled => spec("iss with a trailing slash added or removed", "A23", 401, Some(WRONG_ISS), ""),
            P::IssuerCase => spec("iss with host and path in upper case", "A23", 401, Some(WRONG_ISS), ""),
            P::IssuerScheme => spec("iss with http and https swapped", "A23", 401, Some(WRONG_ISS), ""),
            P::IssMissing => spec("iss removed", "A24", 401, Some(WRONG_ISS), "got \"\""),
            P::WrongAudience => spec("aud = another client of the tenant", "A28", 401, Some(WRONG_AUD), ""),
            P::AudMissing => spec("aud removed", "A25", 401, Some(WRONG_AUD), "got []"),
            P::AudArrayWithClient => spec("aud = [\"other-audience\", client]", "A26", 200, None, ""),
            P::AudArrayWithoutClient => spec("aud = [\"other-audience\"]", "A26", 401, Some(WRONG_AUD), ""),
            P::AudEmptyArray => spec("aud = []", "A26", 401, Some(WRONG_AUD), "got []"),
            P::AudNumber => spec(
                "aud = 123",
                "A26",
                401,
                Some("oidc: failed to unmarshal claims: json: cannot unmarshal number into Go struct field idToken.aud of type []string"),
                "",
            ),
            P::AzpMismatch => spec(
                "aud = [client, \"other-audience\"], azp = \"other-audience\"",
                "A27",
                200,
                None,
                "azp is ignored; a strict profile rejects",
            ),
            P::BadSignature => spec(
                "one bit of the signature flipped",
                "A14",
                401,
                Some(BAD_SIG),
                "after one JWKS refetch",
            ),
            P::SignatureTruncated => spec(
                "last byte of the signature cut",
                "A14",
                401,
                Some(BAD_SIG),
                "after one JWKS refetch",
            ),
            P::SignaturePadded => spec(
                "'=' appended to the signature segment",
                "A14",
                401,
                Some("oidc: malformed jwt: illegal base64 data at input byte"),
                "go-jose decodes every compact segment as unpadded base64url",
            ),
            P::PayloadTampered => spec(
                "groups claim set to [\"tampered\"] after signing",
                "A15",
                401,
                Some(BAD_SIG),
                "after one JWKS refetch",
            ),
            P::AlgNone => spec(
                "alg = none, empty signature",
                "A1",
                401,
                Some(BAD_ALG),
                "none is never in the allowlist",
            ),
            P::AlgNoneCapitalized => spec("alg = None, empty signature", "A2", 401, Some(BAD_ALG), ""),
            P::AlgNoneUpper => spec("alg = NONE, empty signature", "A2", 401, Some(BAD_ALG), ""),
            P::AlgNoneMixed => spec("alg = nOnE, empty signature", "A2", 401, Some(BAD_ALG), ""),
            P::AlgNoneSigned => spec("alg = none, original signature kept", "A2", 401, Some(BAD_ALG), ""),
            P::Hs256PublicKey => spec(
                "alg = HS256, HMAC keyed with the signing key's public PEM",
                "A3",
                401,
                Some(BAD_ALG),
                "HS* is never in the allowlist",
            ),
            P::Hs256PublicKeyDer => spec("alg = HS256, HMAC keyed with the public key DER", "A3", 401, Some(BAD_ALG), ""),
            P::Hs256PublicKeyN => spec("alg = HS256, HMAC keyed with the RSA modulus bytes", "A3", 401, Some(BAD_ALG), ""),
            P::AlgNotAdvertised => spec(
                "signed by the real RSA key as PS256 (or RS512, ...) which discovery does not list",
                "A4",
                401,
                Some(BAD_ALG),
                "",
            ),
            P::AlgKeyMismatch => spec(
                "alg = ES256 with the RSA key's kid, signed by an attacker P-256 key",
                "A5",
                401,
                Some(BAD_SIG),
                "when discovery lists ES256; otherwise 'unexpected signature algorithm \"ES256\"'",
            ),
            P::ForgedKeyRealKid => spec(
                "signed by a fixed attacker RSA key under the real kid",
                "A6",
                401,
                Some(BAD_SIG),
                "after one JWKS refetch",
            ),
            P::UnknownKid => spec(
                "signed by a fixed attacker RSA key under its own (unpublished) kid",
                "A7",
                401,
                Some(BAD_SIG),
                "each such token costs one JWKS fetch",
            ),
            P::KidMissing => spec(
                "kid removed, real signature",
                "A8",
                200,
                None,
                "without kid every cached key is tried",
            ),
            P::KidInjectionPath => spec(
                "kid = ../../../../dev/null, real signature",
                "A9",
                401,
                Some(BAD_SIG),
                "an unknown kid",
            ),
            P::KidInjectionSql => spec("kid = ' OR '1'='1, real signature", "A9", 401, Some(BAD_SIG), "an unknown kid"),
            P::KidInjectionHuge => spec("kid of 16 KiB, real signature", "A9", 401, Some(BAD_SIG), "an unknown kid"),
            P::KidInjectionBinary => spec(
                "kid with a NUL and invalid UTF-8 bytes, real signature",
                "A9",
                401,
                Some(BAD_SIG),
                "Go decodes invalid UTF-8 as U+FFFD: an unknown kid",
            ),
            P::KidInjectionObject => spec(
                "kid = {\"$ne\": null}, real signature",
                "A9",
                401,
                Some("oidc: malformed jwt:"),
                "the header does not parse (text UNCONFIRMED)",
            ),
            P::Jku => spec(
                "jku = attacker JWKS URL (preset_url), signed by the attacker key under its kid",
                "A10",
                401,
                Some(BAD_SIG),
                "nothing is fetched from jku",
            ),
            P::X5u => spec(
                "x5u = attacker URL (preset_url), signed by the attacker key under its kid",
                "A10",
                401,
                Some(BAD_SIG),
                "nothing is fetched from x5u",
            ),
            P::EmbeddedJwk => spec(
                "attacker public key in a jwk header, signed by it",
                "A11",
                401,
                Some(BAD_SIG),
                "embedded keys are never trusted",
            ),
            P::X5c => spec(
                "attacker self-signed certificate in an x5c header, signed by its key",
                "A11",
                401,
                Some(BAD_SIG),
                "embedded keys are never trusted",
            ),
            P::CritExp => spec(
                "crit = [\"exp\"], real signature",
                "A12",
                401,
                Some(BAD_SIG),
                "go-jose fails every key; one JWKS refetch",
            ),
            P::CritUnknown => spec(
                "crit = [\"x-unknown\"] with x-unknown: true, real signature",
                "A12",
                401,
                Some(BAD_SIG),
                "go-jose fails every key; one JWKS refetch",
            ),
            P::CritEmpty => spec(
                "crit = [], real signature",
                "A12",
                200,
                None,
                "an empty crit names nothing unsupported (UNCONFIRMED)",
            ),
            P::CritB64 => spec(
                "crit = [\"b64\"], b64 = false, signed over the usual (encoded) input",
                "A12",
                401,
                Some(BAD_SIG),
                "go-jose signs b64=false input over the decoded payload, so no key verifies (source reading)",
            ),
            P::TwoParts => spec("signature segment removed: header.payload", "A13", 401, Some(THREE_PARTS), ""),
            P::FourParts => spec("a fourth segment appended", "A13", 401, Some(THREE_PARTS), ""),
            P::EmptySignature => spec("empty signature segment: header.payload.", "A13", 401, Some(BAD_SIG), ""),
            P::UsernameMissing => spec(
                "every configured username claim removed",
                "A40",
                500,
                Some("oidc: token doesn't contain required claim"),
                "the token verifies; Weaviate then fails",
            ),
            P::UsernameNotString => spec(
                "every configured username claim set to 42",
                "A40",
                500,
                Some("oidc: claim"),
                "text: oidc: claim '<name>' is not a string, but float64",
            ),
            P::GroupsAsString => spec(
                "groups claim as one string (the first group)",
                "none (Weaviate groups handling)",
                200,
                None,
                "a single string becomes a one-group list",
            ),
            P::GroupsMissing => spec(
                "groups claim removed",
                "none (Weaviate groups handling)",
                200,
                None,
                "no groups, no error",
            ),
            P::SubMissing => spec("sub removed", "none (go-oidc does not check sub)", 200, None, ""),
            P::DuplicateClaim => spec(
                "the first username claim (else sub) written twice, the second value '<value>-duplicate'",
                "A30",
                200,
                None,
                "Go keeps the last value (faithful); a strict profile rejects (UNCONFIRMED)",
            ),
            P::DuplicateHeader => spec(
                "\"alg\":\"none\" appended after the real alg in the header, real signature",
                "A31",
                401,
                Some("oidc: malformed jwt:"),
                "go-jose refuses a repeated header member (text UNCONFIRMED)",
            ),
            P::Es256Der => spec(
                "ES256 token with its signature DER-encoded",
                "A33",
                401,
                Some(BAD_SIG),
                "JWS needs raw R||S of 64 bytes",
            ),
            P::Es256HighS => spec(
                "ES256 token with s replaced by n - s (the high-s twin of a low-s signature)",
                "A34",
                200,
                None,
                "still a valid ECDSA signature",
            ),
            P::Es256Zero => spec("ES256 token with r = s = 0", "A35", 401, Some(BAD_SIG), ""),
            P::Oversized => spec(
                "a 'pad' claim grows the token to N bytes (preset_size, default 17408)",
                "A32",
                200,
                None,
                "go-oidc has no length cap; Go's 1 MiB header limit answers 431 above it",
            ),
            P::RetiredKey => spec(
                "signed by a tenant key left out of the JWKS (else a fixed never-published key)",
                "A37",
                401,
                Some(BAD_SIG),
                "accepted while a verifier still caches the key; rejected after a refetch or by a fresh verifier",
            ),
            P::AtJwt => spec("typ = at+jwt (RFC 9068)", "A39", 200, None, "typ is not checked"),
        }
    }

    /// The expected outcome as one line, e.g. `rejected: 401 oidc: token is expired`.
    pub fn expected(self) -> String {
        let s = self.spec();
        let mut out = match (s.status, s.error) {
            (200, _) => "accepted".to_owned(),
            (500, Some(e)) => format!("verified, then Weaviate answers 500 {e}"),
            (code, Some(e)) => format!("rejected: {code} {e}"),
            (code, None) => format!("rejected: {code}"),
        };
        if !s.note.is_empty() {
            out.push_str(&format!(" ({})", s.note));
        }
        out
    }

    /// Whether a mint request must use the tenant's ES256 key for this preset.
    pub(crate) fn needs_es256(self) -> bool {
        matches!(self, Preset::Es256Der | Preset::Es256HighS | Preset::Es256Zero)
    }

    /// The listing entry (`GET {issuer}/_mock/presets`).
    pub fn to_json(self) -> Value {
        let s = self.spec();
        json!({
            "name": self.name(),
            "aliases": self.aliases(),
            "description": s.description,
            "attack": s.attack,
            "expected_status": s.status,
            "expected_error": s.error,
            "expected": self.expected(),
        })
    }
}

impl std::str::FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Preset, String> {
        Preset::parse(s).ok_or_else(|| format!("unknown preset {s:?}"))
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The catalogue as a markdown table (for the README and `--help`).
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
            cell(&p.expected())
        ));
    }
    out
}

/// The listing document: `{"presets": [...]}`.
pub fn listing() -> Value {
    json!({ "presets": Preset::ALL.iter().map(|p| p.to_json()).collect::<Vec<_>>() })
}

/// `GET {issuer}/_mock/presets`.
pub async fn list(TenantRef(_tenant): TenantRef) -> Result<Response> {
    Ok(axum::Json(listing()).into_response())
}

/// Parameters some presets take (mint fields `preset_seconds`, `preset_size`, `preset_url`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetOptions {
    /// Seconds for `expired` (default 1) and `expires-soon` (default 5).
    pub seconds: Option<u64>,
    /// Target token length in bytes for `oversized` (default 17408).
    pub size: Option<usize>,
    /// URL for `jku` and `x5u` (default a closed loopback port).
    pub url: Option<String>,
}

/// Default target size of `oversized`: just over the 16 KiB that many proxies allow for headers
/// (Weaviate itself takes up to Go's 1 MiB).
pub const DEFAULT_OVERSIZED: usize = 17 * 1024;
/// Default key URL of `jku` and `x5u`: port 1 on loopback, where nothing listens.
pub const DEFAULT_ATTACKER_URL: &str = "http://127.0.0.1:1/attacker/jwks.json";
/// The audience value the audience presets add.
pub const OTHER_AUDIENCE: &str = "other-audience";

/// A token before signing: what a preset starts from.
#[derive(Debug, Clone)]
pub struct Draft {
    /// JOSE header (`alg`, `kid`, `typ`).
    pub header: Map<String, Value>,
    /// Claims.
    pub claims: Map<String, Value>,
    /// The key that signs.
    pub key: SigningKey,
    /// The algorithm it signs with.
    pub alg: Alg,
}

impl Draft {
    /// Signs the draft as it is: the valid token.
    pub fn sign(&self) -> String {
        sign_parts(&self.key, &json_bytes(&self.header), &json_bytes(&self.claims), self.alg)
    }
}

/// What a preset needs to know about the tenant and the request.
#[derive(Debug, Clone)]
pub struct PresetContext {
    /// The tenant's exact issuer.
    pub issuer: String,
    /// The client the token is minted for.
    pub client_id: String,
    /// Another client of the tenant, for `wrong-audience`.
    pub other_client: String,
    /// The tenant's username claims (P121).
    pub username_claims: Vec<String>,
    /// The tenant's groups claim name (P122).
    pub groups_claim: String,
    /// Algorithms discovery lists.
    pub advertised: Vec<Alg>,
    /// A tenant key left out of the JWKS, if any.
    pub retired: Option<SigningKey>,
    /// Tenant time, whole seconds.
    pub now: i64,
    /// Parameters.
    pub options: PresetOptions,
}

fn json_bytes(m: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(m).unwrap_or_default()
}

fn sign_parts(key: &SigningKey, header: &[u8], payload: &[u8], alg: Alg) -> String {
    key.sign_raw(header, payload, alg)
}

/// Splits a compact JWS into its three segments.
fn segments(token: &str) -> (&str, &str, &str) {
    let mut it = token.splitn(3, '.');
    (it.next().unwrap_or(""), it.next().unwrap_or(""), it.next().unwrap_or(""))
}

fn with_signature(token: &str, sig: &[u8]) -> String {
    let (h, p, _) = segments(token);
    format!("{h}.{p}.{}", B64.encode(sig))
}

fn signature_bytes(token: &str) -> Vec<u8> {
    B64.decode(segments(token).2).unwrap_or_default()
}

/// `header.payload` signed with HMAC-SHA256 under `secret`.
fn hmac_token(header: &[u8], payload: &[u8], secret: &[u8]) -> Result<String> {
    let input = format!("{}.{}", B64.encode(header), B64.encode(payload));
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, jsonwebtoken::Algorithm::HS256)
        .map_err(|e| Error::Internal(format!("HMAC signing failed: {e}")))?;
    Ok(format!("{input}.{sig}"))
}

/// Attacker keys: fixed seeds, made once per process, never published by any tenant.
fn attacker_rsa() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness attacker key", Alg::RS256))
}

fn attacker_p256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness attacker key", Alg::ES256))
}

fn never_published_rsa() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::from_seed("oidc-harness retired key", Alg::RS256))
}

fn bad(message: String) -> Error {
    Error::BadControlRequest {
        error: "invalid_field",
        message,
    }
}

/// `iss` with everything after the scheme in upper case (or the whole string when that changes
/// nothing, e.g. an IP address without a path).
fn issuer_case(iss: &str) -> String {
    if let Some((scheme, rest)) = iss.split_once("://") {
        let up = rest.to_uppercase();
        if up != rest {
            return format!("{scheme}://{up}");
        }
    }
    iss.to_uppercase()
}

fn issuer_scheme(iss: &str) -> String {
    if let Some(rest) = iss.strip_prefix("https://") {
        format!("http://{rest}")
    } else if let Some(rest) = iss.strip_prefix("http://") {
        format!("https://{rest}")
    } else {
        format!("https://{iss}")
    }
}

/// Header with `kid` replaced by an attacker key's.
fn attacker_header(d: &Draft, key: &SigningKey) -> Map<String, Value> {
    let mut h = d.header.clone();
    h.insert("alg".into(), Value::String(key.alg().as_str().into()));
    h.insert("kid".into(), Value::String(key.kid().as_str().into()));
    h
}

/// Inserts raw JSON member bytes before the closing brace of an object.
fn append_member(object: &[u8], member: &[u8]) -> Vec<u8> {
    let mut out = object.to_vec();
    if out.last() == Some(&b'}') {
        out.pop();
        if out.len() > 1 {
            out.push(b',');
        }
        out.extend_from_slice(member);
        out.push(b'}');
    }
    out
}

impl Preset {
    /// Turns the valid draft into the bad token.
    pub fn apply(self, d: Draft, ctx: &PresetContext) -> Result<String> {
        use Preset as P;
        let mut d = d;
        let now = ctx.now;
        let claim = |d: &mut Draft, name: &str, v: Value| {
            d.claims.insert(name.to_owned(), v);
        };
        let token = match self {
            P::Expired => {
                claim(&mut d, "exp", json!(now - ctx.options.seconds.unwrap_or(1) as i64));
                d.sign()
            }
            P::ExpiresSoon => {
                claim(&mut d, "exp", json!(now + ctx.options.seconds.unwrap_or(5) as i64));
                d.sign()
            }
            P::ExpMissing => {
                d.claims.remove("exp");
                d.sign()
            }
            P::ExpNull => {
                claim(&mut d, "exp", Value::Null);
                d.sign()
            }
            P::ExpString => {
                let exp = d.claims.get("exp").cloned().unwrap_or(json!(now + 3600));
                claim(&mut d, "exp", Value::String(exp.to_string()));
                d.sign()
            }
            P::ExpFloat => {
                let exp = d.claims.get("exp").and_then(Value::as_i64).unwrap_or(now + 3600);
                claim(&mut d, "exp", json!(exp as f64 + 0.5));
                d.sign()
            }
            P::ExpHuge => {
                claim(&mut d, "exp", json!(1e300));
                d.sign()
            }
            P::NotYetValid => {
                claim(&mut d, "nbf", json!(now + 3600));
                d.sign()
            }
            P::NbfWithinSkew => {
                claim(&mut d, "nbf", json!(now + 30));
                d.sign()
            }
            P::NbfString => {
                claim(&mut d, "nbf", json!("99999999999"));
                d.sign()
            }
            P::IatFuture => {
                claim(&mut d, "iat", json!(now + 86_400));
                d.sign()
            }
            P::WrongIssuer => {
                claim(&mut d, "iss", json!("https://issuer.invalid/other"));
                d.sign()
            }
            P::IssuerSlashToggled => {
                let iss = match ctx.issuer.strip_suffix('/') {
                    Some(s) => s.to_owned(),
                    None => format!("{}/", ctx.issuer),
                };
                claim(&mut d, "iss", json!(iss));
                d.sign()
            }
            P::IssuerCase => {
                claim(&mut d, "iss", json!(issuer_case(&ctx.issuer)));
                d.sign()
            }
            P::IssuerScheme => {
                claim(&mut d, "iss", json!(issuer_scheme(&ctx.issuer)));
                d.sign()
            }
            P::IssMissing => {
                d.claims.remove("iss");
                d.sign()
            }
            P::WrongAudience => {
                claim(&mut d, "aud", json!(ctx.other_client));
                d.sign()
            }
            P::AudMissing => {
                d.claims.remove("aud");
                d.sign()
            }
            P::AudArrayWithClient => {
                claim(&mut d, "aud", json!([OTHER_AUDIENCE, ctx.client_id]));
                d.sign()
            }
            P::AudArrayWithoutClient => {
                claim(&mut d, "aud", json!([OTHER_AUDIENCE]));
                d.sign()
            }
            P::AudEmptyArray => {
                claim(&mut d, "aud", json!([]));
                d.sign()
            }
            P::AudNumber => {
                claim(&mut d, "aud", json!(123));
                d.sign()
            }
            P::AzpMismatch => {
                claim(&mut d, "aud", json!([ctx.client_id, OTHER_AUDIENCE]));
                claim(&mut d, "azp", json!(OTHER_AUDIENCE));
                d.sign()
            }
            P::BadSignature => {
                let token = d.sign();
                let mut sig = signature_bytes(&token);
                let mid = sig.len() / 2;
                if let Some(b) = sig.get_mut(mid) {
                    *b ^= 0x01;
                }
                with_signature(&token, &sig)
            }
            P::SignatureTruncated => {
                let token = d.sign();
                let mut sig = signature_bytes(&token);
                sig.pop();
                with_signature(&token, &sig)
            }
            P::SignaturePadded => format!("{}=", d.sign()),
            P::PayloadTampered => {
                let token = d.sign();
                let (h, _, s) = segments(&token);
                let mut claims = d.claims.clone();
                claims.insert(ctx.groups_claim.clone(), json!(["tampered"]));
                format!("{h}.{}.{s}", B64.encode(json_bytes(&claims)))
            }
            P::AlgNone | P::AlgNoneCapitalized | P::AlgNoneUpper | P::AlgNoneMixed => {
                let alg = match self {
                    P::AlgNoneCapitalized => "None",
                    P::AlgNoneUpper => "NONE",
                    P::AlgNoneMixed => "nOnE",
                    _ => "none",
                };
                let mut h = d.header.clone();
                h.insert("alg".into(), json!(alg));
                format!("{}.{}.", B64.encode(json_bytes(&h)), B64.encode(json_bytes(&d.claims)))
            }
            P::AlgNoneSigned => {
                let token = d.sign();
                let (_, p, s) = segments(&token);
                let mut h = d.header.clone();
                h.insert("alg".into(), json!("none"));
                format!("{}.{p}.{s}", B64.encode(json_bytes(&h)))
            }
            P::Hs256PublicKey | P::Hs256PublicKeyDer | P::Hs256PublicKeyN => {
                let secret = match self {
                    P::Hs256PublicKey => d.key.public_pem().into_bytes(),
                    P::Hs256PublicKeyDer => d.key.public_der(),
                    _ => {
                        let n = d.key.public_jwk()["n"].as_str().unwrap_or_default();
                        let n = B64.decode(n).unwrap_or_default();
                        if n.is_empty() {
                            return Err(bad(format!("preset {self} needs an RSA signing key")));
                        }
                        n
                    }
                };
                let mut h = d.header.clone();
                h.insert("alg".into(), json!("HS256"));
                hmac_token(&json_bytes(&h), &json_bytes(&d.claims), &secret)?
            }
            P::AlgNotAdvertised => {
                let candidates = [Alg::PS256, Alg::RS512, Alg::RS384, Alg::PS384, Alg::PS512];
                let alg = candidates
                    .into_iter()
                    .find(|a| !ctx.advertised.contains(a) && d.key.supports(*a))
                    .ok_or_else(|| {
                        bad(format!(
                            "preset {self} needs an RSA signing key and an RSA algorithm discovery does not list"
                        ))
                    })?;
                d.header.insert("alg".into(), json!(alg.as_str()));
                d.alg = alg;
                d.sign()
            }
            P::AlgKeyMismatch => {
                let key = attacker_p256();
                let mut h = d.header.clone();
                h.insert("alg".into(), json!("ES256"));
                sign_parts(key, &json_bytes(&h), &json_bytes(&d.claims), Alg::ES256)
            }
            P::ForgedKeyRealKid => {
                let key = attacker_rsa();
                let mut h = d.header.clone();
                h.insert("alg".into(), json!("RS256"));
                sign_parts(key, &json_bytes(&h), &json_bytes(&d.claims), Alg::RS256)
            }
            P::UnknownKid => {
                let key = attacker_rsa();
                sign_parts(key, &json_bytes(&attacker_header(&d, key)), &json_bytes(&d.claims), Alg::RS256)
            }
            P::KidMissing => {
                d.header.remove("kid");
                d.sign()
            }
            P::KidInjectionPath => {
                d.header.insert("kid".into(), json!("../../../../dev/null"));
                d.sign()
            }
            P::KidInjectionSql => {
                d.header.insert("kid".into(), json!("' OR '1'='1"));
                d.sign()
            }
            P::KidInjectionHuge => {
                d.header.insert("kid".into(), json!("A".repeat(16 * 1024)));
                d.sign()
            }
            P::KidInjectionObject => {
                d.header.insert("kid".into(), json!({"$ne": null}));
                d.sign()
            }
            P::KidInjectionBinary => {
                let mut h = d.header.clone();
                h.remove("kid");
                let mut member = br#""kid":"\u0000"#.to_vec();
                member.extend_from_slice(&[0xff, 0xfe]);
                member.push(b'"');
                let header = append_member(&json_bytes(&h), &member);
                sign_parts(&d.key, &header, &json_bytes(&d.claims), d.alg)
            }
            P::Jku | P::X5u => {
                let key = attacker_rsa();
                let mut h = attacker_header(&d, key);
                let url = ctx.options.url.clone().unwrap_or_else(|| DEFAULT_ATTACKER_URL.to_owned());
                h.insert(if self == P::Jku { "jku" } else { "x5u" }.into(), json!(url));
                sign_parts(key, &json_bytes(&h), &json_bytes(&d.claims), Alg::RS256)
            }
            P::EmbeddedJwk => {
                let key = attacker_rsa();
                let mut h = attacker_header(&d, key);
                h.insert("jwk".into(), key.public_jwk().clone());
                sign_parts(key, &json_bytes(&h), &json_bytes(&d.claims), Alg::RS256)
            }
            P::X5c => {
                let key = attacker_rsa();
                let mut h = attacker_header(&d, key);
                h.insert("x5c".into(), json!([STANDARD.encode(attacker_certificate()?)]));
                sign_parts(key, &json_bytes(&h), &json_bytes(&d.claims), Alg::RS256)
            }
            P::CritExp => {
                d.header.insert("crit".into(), json!(["exp"]));
                d.sign()
            }
            P::CritUnknown => {
                d.header.insert("crit".into(), json!(["x-unknown"]));
                d.header.insert("x-unknown".into(), json!(true));
                d.sign()
            }
            P::CritEmpty => {
                d.header.insert("crit".into(), json!([]));
                d.sign()
            }
            P::CritB64 => {
                d.header.insert("crit".into(), json!(["b64"]));
                d.header.insert("b64".into(), json!(false));
                d.sign()
            }
            P::TwoParts => {
                let token = d.sign();
                let (h, p, _) = segments(&token);
                format!("{h}.{p}")
            }
            P::FourParts => {
                let token = d.sign();
                let s = segments(&token).2.to_owned();
                format!("{token}.{s}")
            }
            P::EmptySignature => {
                let token = d.sign();
                let (h, p, _) = segments(&token);
                format!("{h}.{p}.")
            }
            P::UsernameMissing => {
                for c in &ctx.username_claims {
                    d.claims.remove(c);
                }
                d.sign()
            }
            P::UsernameNotString => {
                for c in &ctx.username_claims {
                    d.claims.insert(c.clone(), json!(42));
                }
                d.sign()
            }
            P::GroupsAsString => {
                let first = d
                    .claims
                    .get(&ctx.groups_claim)
                    .and_then(|g| g.as_array())
                    .and_then(|a| a.first())
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                d.claims.insert(ctx.groups_claim.clone(), json!(first));
                d.sign()
            }
            P::GroupsMissing => {
                d.claims.remove(&ctx.groups_claim);
                d.sign()
            }
            P::SubMissing => {
                d.claims.remove("sub");
                d.sign()
            }
            P::DuplicateClaim => {
                let name = ctx
                    .username_claims
                    .iter()
                    .find(|c| d.claims.get(*c).is_some_and(Value::is_string))
                    .cloned()
                    .unwrap_or_else(|| "sub".to_owned());
                let value = d.claims.get(&name).and_then(Value::as_str).unwrap_or("").to_owned();
                let member = format!("{}:{}", json!(name), json!(format!("{value}-duplicate")));
                let payload = append_member(&json_bytes(&d.claims), member.as_bytes());
                sign_parts(&d.key, &json_bytes(&d.header), &payload, d.alg)
            }
            P::DuplicateHeader => {
                let header = append_member(&json_bytes(&d.header), br#""alg":"none""#);
                sign_parts(&d.key, &header, &json_bytes(&d.claims), d.alg)
            }
            P::Es256Der | P::Es256HighS | P::Es256Zero => {
                if d.alg != Alg::ES256 {
                    return Err(bad(format!("preset {self} needs an ES256 key in the tenant")));
                }
                let token = d.sign();
                let raw = signature_bytes(&token);
                let sig = p256::ecdsa::Signature::from_slice(&raw).map_err(|e| Error::Internal(format!("ES256 signature: {e}")))?;
                let out = match self {
                    P::Es256Der => sig.to_der().as_bytes().to_vec(),
                    P::Es256HighS => {
                        // Start from the low-s form, so that n - s is always the high one.
                        let low = sig.normalize_s().unwrap_or(sig);
                        let (r, s) = low.split_scalars();
                        let high = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes())
                            .map_err(|e| Error::Internal(format!("ES256 signature: {e}")))?;
                        high.to_bytes().to_vec()
                    }
                    _ => vec![0u8; 64],
                };
                with_signature(&token, &out)
            }
            P::Oversized => {
                let size = ctx.options.size.unwrap_or(DEFAULT_OVERSIZED);
                let base = d.sign();
                let (h, p, s) = segments(&base);
                let other = h.len() + s.len() + 2;
                let payload_len = B64.decode(p).map(|v| v.len()).unwrap_or(0);
                // Payload bytes needed for `size` (base64url: 4 characters per 3 bytes), minus
                // the `,"pad":""` wrapper.
                let want = size.saturating_sub(other).div_ceil(4) * 3;
                let pad = want.saturating_sub(payload_len + 9);
                d.claims.insert("pad".into(), json!("x".repeat(pad)));
                d.sign()
            }
            P::RetiredKey => {
                let key = ctx.retired.clone().unwrap_or_else(|| never_published_rsa().clone());
                let h = standard_header(key.alg(), key.kid(), d.header.get("typ").and_then(Value::as_str));
                sign_parts(&key, &json_bytes(&h), &json_bytes(&d.claims), key.alg())
            }
            P::AtJwt => {
                d.header.insert("typ".into(), json!("at+jwt"));
                d.sign()
            }
        };
        Ok(token)
    }
}

/// A self-signed X.509 certificate for the attacker key, DER, built by hand (fixed serial and
/// validity, so it is the same bytes at every run).
fn attacker_certificate() -> Result<Vec<u8>> {
    static CERT: OnceLock<Vec<u8>> = OnceLock::new();
    if let Some(c) = CERT.get() {
        return Ok(c.clone());
    }
    let key = attacker_rsa();
    let tlv = |tag: u8, content: &[u8]| -> Vec<u8> {
        let mut out = vec![tag];
        let n = content.len();
        if n < 0x80 {
            out.push(n as u8);
        } else if n < 0x100 {
            out.extend_from_slice(&[0x81, n as u8]);
        } else {
            out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
        }
        out.extend_from_slice(content);
        out
    };
    let seq = |parts: &[&[u8]]| tlv(0x30, &parts.concat());
    // sha256WithRSAEncryption, NULL parameters.
    let alg_id = seq(&[&tlv(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]), &[0x05, 0x00]]);
    // Name: CN=oidc-harness attacker.
    let cn = seq(&[&tlv(0x06, &[0x55, 0x04, 0x03]), &tlv(0x0c, b"oidc-harness attacker")]);
    let name = seq(&[&tlv(0x31, &cn)]);
    let validity = seq(&[&tlv(0x17, b"260101000000Z"), &tlv(0x17, b"361231235959Z")]);
    let version = tlv(0xa0, &tlv(0x02, &[0x02]));
    let serial = tlv(0x02, &[0x01]);
    let spki = key.public_der();
    let tbs = seq(&[&version, &serial, &alg_id, &name, &validity, &name, &spki]);
    let private = <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&key.private_pem())
        .map_err(|e| Error::Internal(format!("attacker key: {e}")))?;
    let digest = Sha256::digest(&tbs);
    let sig = private
        .sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|e| Error::Internal(format!("attacker certificate: {e}")))?;
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    let cert = seq(&[&tbs, &alg_id, &tlv(0x03, &bits)]);
    Ok(CERT.get_or_init(|| cert).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p134_names_are_unique_kebab_case_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for p in Preset::ALL {
            let n = p.name();
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{n}");
            assert!(seen.insert(n.clone()), "{n} twice");
            assert_eq!(Preset::parse(&n), Some(p));
            for a in p.aliases() {
                assert_eq!(Preset::parse(a), Some(p), "alias {a}");
            }
        }
    }

    #[test]
    fn p134_all_lists_every_variant_of_the_enum() {
        // `ALL` is written by hand; count the variants in the enum's own source to catch drift.
        let src = include_str!("presets.rs");
        let start = src.find("pub enum Preset {").expect("the enum is in this file");
        let body = &src[start..start + src[start..].find("\n}").expect("the enum ends")];
        let variants = body
            .lines()
            .filter(|l| l.starts_with("    ") && !l.starts_with("     ") && l.trim_end().ends_with(',') && !l.contains("//"))
            .count();
        assert_eq!(variants, Preset::ALL.len());
    }

    #[test]
    fn p134_issue_aliases_resolve() {
        for (alias, name) in [
            ("expired", "expired"),
            ("not_yet_valid", "not-yet-valid"),
            ("wrong_issuer", "wrong-issuer"),
            ("wrong_audience", "wrong-audience"),
            ("bad_signature", "bad-signature"),
            ("unknown_kid", "unknown-kid"),
            ("alg_none", "alg-none"),
            ("hs256_with_public_key", "hs256-public-key"),
            ("missing_username_claim", "username-missing"),
            ("groups_as_string", "groups-as-string"),
        ] {
            assert_eq!(Preset::parse(alias).map(Preset::name).as_deref(), Some(name), "{alias}");
        }
        assert_eq!(Preset::parse("no-such-preset"), None);
    }

    #[test]
    fn p134_markdown_table_has_one_row_per_preset() {
        let t = markdown_table();
        assert_eq!(t.lines().count(), Preset::ALL.len() + 2);
        assert!(t.contains("| `alg-none` |"));
    }

    #[test]
    fn p134_attacker_certificate_is_stable_der() {
        let a = attacker_certificate().unwrap();
        assert_eq!(a, attacker_certificate().unwrap());
        assert_eq!(a[0], 0x30);
    }

    #[test]
    fn p134_issuer_variants_differ_only_as_named() {
        assert_eq!(issuer_case("http://127.0.0.1:1/default"), "http://127.0.0.1:1/DEFAULT");
        assert_eq!(issuer_scheme("http://h/x"), "https://h/x");
        assert_eq!(issuer_scheme("https://h/x"), "http://h/x");
    }
}
