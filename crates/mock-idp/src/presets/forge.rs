//! How a preset makes its token (P134): from the valid token a mint request would give (a
//! `Draft`: header, claims and the key that signs), change exactly one thing: a claim, a header
//! member, the key, the signature bytes or the compact structure. Nothing is random but the
//! ECDSA nonce and the RSA-PSS salt; the attacker keys (`attacker.rs`) come from fixed seeds.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use serde_json::{json, Map, Value};

use super::attacker::{attacker_certificate, attacker_p256, attacker_rsa, never_published_rsa};
use super::catalogue::Preset;
use crate::config::Alg;
use crate::error::{Error, Result};
use crate::keys::{standard_header, SigningKey};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p134_issuer_variants_differ_only_as_named() {
        assert_eq!(issuer_case("http://127.0.0.1:1/default"), "http://127.0.0.1:1/DEFAULT");
        assert_eq!(issuer_scheme("http://h/x"), "https://h/x");
        assert_eq!(issuer_scheme("https://h/x"), "http://h/x");
    }
}
