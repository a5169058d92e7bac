//! The bad-token catalogue (P134): the `Preset` enum, its names and aliases, what each preset
//! changes and which attack of `attacks.md` it plays, and the `_mock/presets` listing.
//!
//! The names, the listing and `--help` all come from this enum's serde names, so they cannot
//! drift. How a preset makes its token is in `forge.rs`. What a relying party answers to each
//! preset is not the provider's business: the embedding program may add it to the listing
//! (`PresetExpectations`); `oidc-harness` adds Weaviate's from the conformance crate.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::state::PresetExpectations;

/// A named bad token (P134). Each variant changes one property of a valid minted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
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
    /// `aud` = `["other"]`.
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

/// What a preset changes, and the attack it plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresetSpec {
    /// One line: what changes.
    pub description: &'static str,
    /// Row(s) of `attacks.md`, or a note when there is none.
    pub attack: &'static str,
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

    /// What the preset changes and the attack it plays.
    pub fn spec(self) -> PresetSpec {
        use Preset as P;
        let (description, attack) = match self {
            P::Expired => ("exp = now - N s (preset_seconds, default 1)", "A16"),
            P::ExpiresSoon => ("exp = now + N s (preset_seconds, default 5)", "A16"),
            P::ExpMissing => ("exp removed", "A17"),
            P::ExpNull => ("exp = null", "A17"),
            P::ExpString => ("exp as a quoted number (the same future instant)", "A18"),
            P::ExpFloat => ("exp with a fraction (exp + 0.5)", "A19"),
            P::ExpHuge => ("exp = 1e300", "A19"),
            P::NotYetValid => ("nbf = now + 1 h", "A20"),
            P::NbfWithinSkew => ("nbf = now + 30 s", "A20"),
            P::NbfString => ("nbf = \"99999999999\" (a quoted far-future number)", "A21"),
            P::IatFuture => ("iat = now + 1 day", "A22"),
            P::WrongIssuer => ("iss = https://issuer.invalid/other", "A23"),
            P::IssuerSlashToggled => ("iss with a trailing slash added or removed", "A23"),
            P::IssuerCase => ("iss with host and path in upper case", "A23"),
            P::IssuerScheme => ("iss with http and https swapped", "A23"),
            P::IssMissing => ("iss removed", "A24"),
            P::WrongAudience => ("aud = another client of the tenant", "A28"),
            P::AudMissing => ("aud removed", "A25"),
            P::AudArrayWithClient => ("aud = [\"other-audience\", client]", "A26"),
            P::AudArrayWithoutClient => ("aud = [\"other-audience\"]", "A26"),
            P::AudEmptyArray => ("aud = []", "A26"),
            P::AudNumber => ("aud = 123", "A26"),
            P::AzpMismatch => ("aud = [client, \"other-audience\"], azp = \"other-audience\"", "A27"),
            P::BadSignature => ("one bit of the signature flipped", "A14"),
            P::SignatureTruncated => ("last byte of the signature cut", "A14"),
            P::SignaturePadded => ("'=' appended to the signature segment", "A14"),
            P::PayloadTampered => ("groups claim set to [\"tampered\"] after signing", "A15"),
            P::AlgNone => ("alg = none, empty signature", "A1"),
            P::AlgNoneCapitalized => ("alg = None, empty signature", "A2"),
            P::AlgNoneUpper => ("alg = NONE, empty signature", "A2"),
            P::AlgNoneMixed => ("alg = nOnE, empty signature", "A2"),
            P::AlgNoneSigned => ("alg = none, original signature kept", "A2"),
            P::Hs256PublicKey => ("alg = HS256, HMAC keyed with the signing key's public PEM", "A3"),
            P::Hs256PublicKeyDer => ("alg = HS256, HMAC keyed with the public key DER", "A3"),
            P::Hs256PublicKeyN => ("alg = HS256, HMAC keyed with the RSA modulus bytes", "A3"),
            P::AlgNotAdvertised => (
                "signed by the real RSA key as PS256 (or RS512, ...) which discovery does not list",
                "A4",
            ),
            P::AlgKeyMismatch => ("alg = ES256 with the RSA key's kid, signed by an attacker P-256 key", "A5"),
            P::ForgedKeyRealKid => ("signed by a fixed attacker RSA key under the real kid", "A6"),
            P::UnknownKid => ("signed by a fixed attacker RSA key under its own (unpublished) kid", "A7"),
            P::KidMissing => ("kid removed, real signature", "A8"),
            P::KidInjectionPath => ("kid = ../../../../dev/null, real signature", "A9"),
            P::KidInjectionSql => ("kid = ' OR '1'='1, real signature", "A9"),
            P::KidInjectionHuge => ("kid of 16 KiB, real signature", "A9"),
            P::KidInjectionBinary => ("kid with a NUL and invalid UTF-8 bytes, real signature", "A9"),
            P::KidInjectionObject => ("kid = {\"$ne\": null}, real signature", "A9"),
            P::Jku => (
                "jku = attacker JWKS URL (preset_url), signed by the attacker key under its kid",
                "A10",
            ),
            P::X5u => ("x5u = attacker URL (preset_url), signed by the attacker key under its kid", "A10"),
            P::EmbeddedJwk => ("attacker public key in a jwk header, signed by it", "A11"),
            P::X5c => ("attacker self-signed certificate in an x5c header, signed by its key", "A11"),
            P::CritExp => ("crit = [\"exp\"], real signature", "A12"),
            P::CritUnknown => ("crit = [\"x-unknown\"] with x-unknown: true, real signature", "A12"),
            P::CritEmpty => ("crit = [], real signature", "A12"),
            P::CritB64 => ("crit = [\"b64\"], b64 = false, signed over the usual (encoded) input", "A12"),
            P::TwoParts => ("signature segment removed: header.payload", "A13"),
            P::FourParts => ("a fourth segment appended", "A13"),
            P::EmptySignature => ("empty signature segment: header.payload.", "A13"),
            P::UsernameMissing => ("every configured username claim removed", "A40"),
            P::UsernameNotString => ("every configured username claim set to 42", "A40"),
            P::GroupsAsString => ("groups claim as one string (the first group)", "none (Weaviate groups handling)"),
            P::GroupsMissing => ("groups claim removed", "none (Weaviate groups handling)"),
            P::SubMissing => ("sub removed", "none (go-oidc does not check sub)"),
            P::DuplicateClaim => (
                "the first username claim (else sub) written twice, the second value '<value>-duplicate'",
                "A30",
            ),
            P::DuplicateHeader => ("\"alg\":\"none\" appended after the real alg in the header, real signature", "A31"),
            P::Es256Der => ("ES256 token with its signature DER-encoded", "A33"),
            P::Es256HighS => ("ES256 token with s replaced by n - s (the high-s twin of a low-s signature)", "A34"),
            P::Es256Zero => ("ES256 token with r = s = 0", "A35"),
            P::Oversized => ("a 'pad' claim grows the token to N bytes (preset_size, default 17408)", "A32"),
            P::RetiredKey => (
                "signed by a tenant key left out of the JWKS (else a fixed never-published key)",
                "A37",
            ),
            P::AtJwt => ("typ = at+jwt (RFC 9068)", "A39"),
        };
        PresetSpec { description, attack }
    }

    /// Whether a mint request must use the tenant's ES256 key for this preset.
    pub(crate) fn needs_es256(self) -> bool {
        matches!(self, Preset::Es256Der | Preset::Es256HighS | Preset::Es256Zero)
    }

    /// The listing entry (`GET {issuer}/_mock/presets`): what the provider knows of the preset.
    pub fn to_json(self) -> Value {
        let s = self.spec();
        json!({
            "name": self.name(),
            "aliases": self.aliases(),
            "description": s.description,
            "attack": s.attack,
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

/// The listing document: `{"presets": [...]}`, each entry with the members `expectations`
/// holds for its name (none by default).
pub fn listing(expectations: &PresetExpectations) -> Value {
    let entries: Vec<Value> = Preset::ALL
        .iter()
        .map(|p| {
            let mut entry = p.to_json();
            if let (Some(extra), Value::Object(members)) = (expectations.get(&p.name()), &mut entry) {
                members.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            entry
        })
        .collect();
    json!({ "presets": entries })
}

/// Expectations for every preset, by name, from `f` (e.g. a relying party's outcome table).
pub fn expectations(f: impl Fn(Preset) -> serde_json::Map<String, Value>) -> PresetExpectations {
    Preset::ALL.iter().map(|p| (p.name(), f(*p))).collect()
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
        let src = include_str!("catalogue.rs");
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
}
