//! Signing keys: loading (PEM, seed, random), the public JWK, the `kid`, and JWS signing.
//!
//! Keys are made when a tenant is built, never on the request path (P34): RSA key generation
//! takes tens of milliseconds, and mocks that generate lazily have caused JWKS read timeouts.
//! A seed gives the same key and therefore the same `kid` (the RFC 7638 thumbprint, P30) at every
//! start, so CI can reproduce tokens without committing private keys.
//!
//! Signing builds the compact JWS by hand (header JSON, payload JSON, signature from aws-lc-rs,
//! the crypto backend `jsonwebtoken` is built with). The same function serves normal tokens and
//! the presets that need headers the `jsonwebtoken::Header` type cannot express (`crit`, `jku`,
//! duplicate names). The private key is parsed into an aws-lc-rs key pair once, when the key is
//! made: `jsonwebtoken::crypto::sign` re-parses the DER key (and so rebuilds the RSA blinding)
//! on every call, which cost an RS256 token about half of its instructions (docs/benchmarks.md).

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::config::{Alg, KeyConfig};
use crate::error::ConfigError;

/// A JWK key id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Kid(pub String);

impl Kid {
    /// The key id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The private half of a key, by family.
#[derive(Clone)]
enum Material {
    Rsa(Box<rsa::RsaPrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// The private half parsed for aws-lc-rs, once (shared by the clones of a key).
enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair, Alg),
    Ed25519(Ed25519KeyPair),
}

impl Signer {
    /// The raw signature of `msg` under `alg`, or `None` when this key cannot make one.
    fn sign(&self, msg: &[u8], alg: Alg) -> Option<Vec<u8>> {
        match self {
            Signer::Rsa(k) => {
                let encoding: &'static dyn lc::RsaEncoding = match alg {
                    Alg::RS256 => &lc::RSA_PKCS1_SHA256,
                    Alg::RS384 => &lc::RSA_PKCS1_SHA384,
                    Alg::RS512 => &lc::RSA_PKCS1_SHA512,
                    Alg::PS256 => &lc::RSA_PSS_SHA256,
                    Alg::PS384 => &lc::RSA_PSS_SHA384,
                    Alg::PS512 => &lc::RSA_PSS_SHA512,
                    _ => return None,
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(encoding, &SystemRandom::new(), msg, &mut sig).ok()?;
                Some(sig)
            }
            Signer::Ecdsa(k, own) if *own == alg => k.sign(&SystemRandom::new(), msg).ok().map(|s| s.as_ref().to_vec()),
            Signer::Ecdsa(..) => None,
            Signer::Ed25519(k) => (alg == Alg::EdDSA).then(|| k.sign(msg).as_ref().to_vec()),
        }
    }
}

/// One signing key of a tenant, with its publication state.
#[derive(Clone)]
pub struct SigningKey {
    kid: Kid,
    alg: Alg,
    material: Material,
    signer: Arc<Signer>,
    jwk: Value,
    /// The base64url text of `standard_header(alg, kid, Some("JWT"))`, the header of every
    /// normally issued token, encoded once instead of per token.
    jwt_header: String,
    /// Listed in the JWKS (P136: an active key may be hidden).
    pub published: bool,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("published", &self.published)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Builds the key a `KeyConfig` describes. `fallback_seed` is used when the entry names no
    /// source of its own.
    pub fn from_config(cfg: &KeyConfig, fallback_seed: &str) -> Result<SigningKey, ConfigError> {
        let material = if let Some(file) = &cfg.pem_file {
            let pem = std::fs::read_to_string(file).map_err(|source| ConfigError::Read {
                file: file.display().to_string(),
                source,
            })?;
            material_from_pem(&pem, cfg.alg).map_err(|reason| ConfigError::Key {
                what: file.display().to_string(),
                reason,
            })?
        } else if let Some(pem) = &cfg.pem {
            material_from_pem(pem, cfg.alg).map_err(|reason| ConfigError::Key {
                what: "inline pem".into(),
                reason,
            })?
        } else if cfg.random {
            let mut rng = ChaCha20Rng::from_entropy();
            generate(cfg.alg, &mut rng)
        } else {
            let seed = cfg.seed.as_deref().unwrap_or(fallback_seed);
            generate(cfg.alg, &mut seeded_rng(seed, cfg.alg))
        };
        SigningKey::new(material, cfg.alg, cfg.kid.clone().map(Kid))
    }

    /// A key derived from `seed` alone: the same seed and algorithm always give the same key.
    pub fn from_seed(seed: &str, alg: Alg) -> SigningKey {
        let material = generate(alg, &mut seeded_rng(seed, alg));
        SigningKey::new(material, alg, None).expect("a generated key matches its algorithm")
    }

    fn new(material: Material, alg: Alg, kid: Option<Kid>) -> Result<SigningKey, ConfigError> {
        let (signer, mut jwk) = match &material {
            Material::Rsa(k) => {
                let der = k.to_pkcs1_der().map_err(|e| key_err(e.to_string()))?;
                let jwk = json!({
                    "e": B64.encode(k.e().to_bytes_be()),
                    "kty": "RSA",
                    "n": B64.encode(k.n().to_bytes_be()),
                });
                (
                    RsaKeyPair::from_der(der.as_bytes())
                        .map(Signer::Rsa)
                        .map_err(|e| key_err(e.to_string()))?,
                    jwk,
                )
            }
            Material::P256(k) => {
                let der = k.to_pkcs8_der().map_err(|e| key_err(e.to_string()))?;
                let point = p256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&k.public_key(), false);
                let jwk = json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": B64.encode(point.x().expect("uncompressed point has x")),
                    "y": B64.encode(point.y().expect("uncompressed point has y")),
                });
                let pair = EcdsaKeyPair::from_pkcs8(&lc::ECDSA_P256_SHA256_FIXED_SIGNING, der.as_bytes());
                (pair.map(|p| Signer::Ecdsa(p, Alg::ES256)).map_err(|e| key_err(e.to_string()))?, jwk)
            }
            Material::P384(k) => {
                let der = k.to_pkcs8_der().map_err(|e| key_err(e.to_string()))?;
                let point = p384::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&k.public_key(), false);
                let jwk = json!({
                    "crv": "P-384",
                    "kty": "EC",
                    "x": B64.encode(point.x().expect("uncompressed point has x")),
                    "y": B64.encode(point.y().expect("uncompressed point has y")),
                });
                let pair = EcdsaKeyPair::from_pkcs8(&lc::ECDSA_P384_SHA384_FIXED_SIGNING, der.as_bytes());
                (pair.map(|p| Signer::Ecdsa(p, Alg::ES384)).map_err(|e| key_err(e.to_string()))?, jwk)
            }
            Material::Ed25519(k) => {
                let der = k.to_pkcs8_der().map_err(|e| key_err(e.to_string()))?;
                let jwk = json!({
                    "crv": "Ed25519",
                    "kty": "OKP",
                    "x": B64.encode(k.verifying_key().as_bytes()),
                });
                let pair = Ed25519KeyPair::from_pkcs8(der.as_bytes());
                (pair.map(Signer::Ed25519).map_err(|e| key_err(e.to_string()))?, jwk)
            }
        };
        if family_of(alg) != family_of_material(&material) {
            return Err(key_err(format!("the key is not a {} key", alg.as_str())));
        }
        let kid = kid.unwrap_or_else(|| Kid(thumbprint(&jwk)));
        let obj = jwk.as_object_mut().expect("jwk is an object");
        obj.insert("kid".into(), Value::String(kid.0.clone()));
        obj.insert("use".into(), Value::String("sig".into()));
        obj.insert("alg".into(), Value::String(alg.as_str().into()));
        let jwt_header = B64.encode(serde_json::to_vec(&standard_header(alg, &kid, Some("JWT"))).expect("header serialises"));
        Ok(SigningKey {
            kid,
            alg,
            material,
            signer: Arc::new(signer),
            jwk,
            jwt_header,
            published: true,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &Kid {
        &self.kid
    }

    /// The algorithm this key signs with.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public JWK (`kty`, `kid`, `use`, `alg` and the public parameters only, P28/P29).
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The public key as SubjectPublicKeyInfo PEM (used by the `hs256-public-key` preset).
    pub fn public_pem(&self) -> String {
        match &self.material {
            Material::Rsa(k) => k.to_public_key().to_public_key_pem(LineEnding::LF).unwrap_or_default(),
            Material::P256(k) => k.public_key().to_public_key_pem(LineEnding::LF).unwrap_or_default(),
            Material::P384(k) => k.public_key().to_public_key_pem(LineEnding::LF).unwrap_or_default(),
            Material::Ed25519(k) => k.verifying_key().to_public_key_pem(LineEnding::LF).unwrap_or_default(),
        }
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub fn public_der(&self) -> Vec<u8> {
        let doc = match &self.material {
            Material::Rsa(k) => k.to_public_key().to_public_key_der(),
            Material::P256(k) => k.public_key().to_public_key_der(),
            Material::P384(k) => k.public_key().to_public_key_der(),
            Material::Ed25519(k) => k.verifying_key().to_public_key_der(),
        };
        doc.map(|d| d.as_bytes().to_vec()).unwrap_or_default()
    }

    /// The private key as PKCS#8 PEM (P37 export; never logged).
    pub fn private_pem(&self) -> String {
        let doc = match &self.material {
            Material::Rsa(k) => k.to_pkcs8_pem(LineEnding::LF),
            Material::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
            Material::P384(k) => k.to_pkcs8_pem(LineEnding::LF),
            Material::Ed25519(k) => k.to_pkcs8_pem(LineEnding::LF),
        };
        doc.map(|d| d.to_string()).unwrap_or_default()
    }

    /// Signs `payload` under `header` and returns the compact JWS. The header is written as given:
    /// callers put `alg` and `kid` in it (see `standard_header`).
    pub fn sign_raw(&self, header_json: &[u8], payload_json: &[u8], alg: Alg) -> String {
        let mut out = String::with_capacity((header_json.len() + payload_json.len()) * 4 / 3 + 400);
        B64.encode_string(header_json, &mut out);
        self.finish(out, payload_json, alg)
    }

    /// Appends `.payload.signature` to `out`, which holds the encoded header.
    fn finish(&self, mut out: String, payload_json: &[u8], alg: Alg) -> String {
        out.push('.');
        B64.encode_string(payload_json, &mut out);
        let sig = self
            .signer
            .sign(out.as_bytes(), alg)
            .expect("a loaded key signs with its own algorithm family");
        out.push('.');
        B64.encode_string(sig, &mut out);
        out
    }

    /// Signs claims with this key's algorithm under the normal header (`alg`, `kid`, `typ`).
    pub fn sign(&self, claims: &Map<String, Value>, typ: &str) -> String {
        let p = serde_json::to_vec(claims).expect("claims serialise");
        if typ != "JWT" {
            let h = serde_json::to_vec(&standard_header(self.alg, &self.kid, Some(typ))).expect("header serialises");
            return self.sign_raw(&h, &p, self.alg);
        }
        let mut out = String::with_capacity(self.jwt_header.len() + p.len() * 4 / 3 + 400);
        out.push_str(&self.jwt_header);
        self.finish(out, &p, self.alg)
    }

    /// Whether this key can sign with `alg` (RSA keys sign RS* and PS*).
    pub fn supports(&self, alg: Alg) -> bool {
        family_of(alg) == family_of_material(&self.material)
            && match &self.material {
                Material::P256(_) => alg == Alg::ES256,
                Material::P384(_) => alg == Alg::ES384,
                _ => true,
            }
    }
}

/// The header of a normally issued token: `alg`, `kid`, and `typ` when asked for (P33).
pub fn standard_header(alg: Alg, kid: &Kid, typ: Option<&str>) -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("alg".into(), Value::String(alg.as_str().into()));
    h.insert("kid".into(), Value::String(kid.0.clone()));
    if let Some(t) = typ {
        h.insert("typ".into(), Value::String(t.into()));
    }
    h
}

/// The `jsonwebtoken` algorithm for ours.
pub fn to_jwt_alg(alg: Alg) -> jsonwebtoken::Algorithm {
    use jsonwebtoken::Algorithm as A;
    match alg {
        Alg::RS256 => A::RS256,
        Alg::RS384 => A::RS384,
        Alg::RS512 => A::RS512,
        Alg::PS256 => A::PS256,
        Alg::PS384 => A::PS384,
        Alg::PS512 => A::PS512,
        Alg::ES256 => A::ES256,
        Alg::ES384 => A::ES384,
        Alg::EdDSA => A::EdDSA,
    }
}

#[derive(PartialEq, Eq)]
enum Family {
    Rsa,
    Ec,
    Okp,
}

fn family_of(alg: Alg) -> Family {
    match alg {
        Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => Family::Rsa,
        Alg::ES256 | Alg::ES384 => Family::Ec,
        Alg::EdDSA => Family::Okp,
    }
}

fn family_of_material(m: &Material) -> Family {
    match m {
        Material::Rsa(_) => Family::Rsa,
        Material::P256(_) | Material::P384(_) => Family::Ec,
        Material::Ed25519(_) => Family::Okp,
    }
}

fn key_err(reason: String) -> ConfigError {
    ConfigError::Key {
        what: "key".into(),
        reason,
    }
}

/// A deterministic generator for one seed and algorithm.
fn seeded_rng(seed: &str, alg: Alg) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"oidc-harness key v1\0");
    h.update(seed.as_bytes());
    h.update(b"\0");
    h.update(alg.as_str().as_bytes());
    ChaCha20Rng::from_seed(h.finalize().into())
}

fn generate(alg: Alg, rng: &mut ChaCha20Rng) -> Material {
    match family_of(alg) {
        Family::Rsa => Material::Rsa(Box::new(rsa::RsaPrivateKey::new(rng, 2048).expect("RSA-2048 generation succeeds"))),
        Family::Ec if alg == Alg::ES384 => Material::P384(p384::SecretKey::random(rng)),
        Family::Ec => Material::P256(p256::SecretKey::random(rng)),
        Family::Okp => Material::Ed25519(Box::new(ed25519_dalek::SigningKey::generate(rng))),
    }
}

fn material_from_pem(pem: &str, alg: Alg) -> Result<Material, String> {
    let m = match family_of(alg) {
        Family::Rsa => {
            let k = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
                .or_else(|_| rsa::pkcs1::DecodeRsaPrivateKey::from_pkcs1_pem(pem))
                .map_err(|e| format!("not an RSA private key in PKCS#8 or PKCS#1 PEM: {e}"))?;
            if k.size() * 8 < 2048 {
                return Err("RSA keys have at least 2048 bits (P31)".into());
            }
            Material::Rsa(Box::new(k))
        }
        Family::Ec if alg == Alg::ES384 => {
            Material::P384(p384::SecretKey::from_pkcs8_pem(pem).map_err(|e| format!("not a P-384 private key in PKCS#8 PEM: {e}"))?)
        }
        Family::Ec => {
            Material::P256(p256::SecretKey::from_pkcs8_pem(pem).map_err(|e| format!("not a P-256 private key in PKCS#8 PEM: {e}"))?)
        }
        Family::Okp => Material::Ed25519(Box::new(
            ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| format!("not an Ed25519 private key in PKCS#8 PEM: {e}"))?,
        )),
    };
    Ok(m)
}

/// RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order, base64url.
pub fn thumbprint(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str() {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let mut canon = String::from("{");
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            canon.push(',');
        }
        canon.push_str(&format!("\"{m}\":\"{}\"", jwk[*m].as_str().unwrap_or("")));
    }
    canon.push('}');
    B64.encode(Sha256::digest(canon.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p30_rfc7638_thumbprint_known_answer() {
        // RFC 7638 §3.1 example key and its thumbprint.
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(thumbprint(&jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn p34_same_seed_gives_same_kid_and_other_seed_does_not() {
        for alg in [Alg::ES256, Alg::ES384, Alg::EdDSA] {
            let a = SigningKey::from_seed("seed-1", alg);
            let b = SigningKey::from_seed("seed-1", alg);
            let c = SigningKey::from_seed("seed-2", alg);
            assert_eq!(a.kid(), b.kid(), "{alg:?}");
            assert_ne!(a.kid(), c.kid(), "{alg:?}");
        }
    }

    #[test]
    fn p28_p29_public_jwk_has_only_public_members() {
        for alg in [Alg::ES256, Alg::ES384, Alg::EdDSA] {
            let k = SigningKey::from_seed("s", alg);
            let jwk = k.public_jwk().as_object().unwrap();
            for secret in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                assert!(!jwk.contains_key(secret), "{alg:?} leaks {secret}");
            }
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["alg"], alg.as_str());
        }
        let es = SigningKey::from_seed("s", Alg::ES256);
        assert_eq!(B64.decode(es.public_jwk()["x"].as_str().unwrap()).unwrap().len(), 32);
        let es = SigningKey::from_seed("s", Alg::ES384);
        assert_eq!(B64.decode(es.public_jwk()["y"].as_str().unwrap()).unwrap().len(), 48);
    }

    #[test]
    fn the_pre_encoded_jwt_header_gives_the_tokens_the_standard_header_gives() {
        let claims = json!({"iss": "https://idp.example", "sub": "s", "exp": 1, "x": "\"quoted\""});
        let claims = claims.as_object().unwrap();
        for alg in [Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA] {
            let k = SigningKey::from_seed("s", alg);
            for typ in ["JWT", "at+jwt"] {
                let header = serde_json::to_vec(&standard_header(alg, k.kid(), Some(typ))).unwrap();
                let by_header = k.sign_raw(&header, &serde_json::to_vec(claims).unwrap(), alg);
                let signed = k.sign(claims, typ);
                if matches!(alg, Alg::RS256 | Alg::EdDSA) {
                    // Deterministic signatures: the whole token is the same.
                    assert_eq!(signed, by_header, "{alg:?} {typ}");
                } else {
                    let signing_input = |t: &str| t.rsplit_once('.').unwrap().0.to_owned();
                    assert_eq!(signing_input(&signed), signing_input(&by_header), "{alg:?} {typ}");
                }
            }
        }
    }
}

/// The keys of one tenant: which one signs, which ones are published (P35, P135, P136).
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: Vec<SigningKey>,
    active: usize,
    generation: u64,
}

/// Source of `KeyRing::generation` values, unique in the process.
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn next_generation() -> u64 {
    GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl KeyRing {
    /// A ring whose first key signs.
    pub fn new(keys: Vec<SigningKey>) -> KeyRing {
        assert!(!keys.is_empty(), "a key ring holds at least one key");
        KeyRing {
            keys,
            active: 0,
            generation: next_generation(),
        }
    }

    /// Identifies the ring's contents: every change takes a value no other ring state had, and
    /// a clone keeps it. Documents derived from the ring (JWKS, discovery) are cached under it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The signing key.
    pub fn active(&self) -> &SigningKey {
        &self.keys[self.active]
    }

    /// Every key, published or not.
    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The key to sign with `alg` (P32): the active key if it can, else the first key that can.
    pub fn for_alg(&self, alg: Alg) -> Option<&SigningKey> {
        let active = self.active();
        if active.alg() == alg {
            return Some(active);
        }
        self.keys
            .iter()
            .find(|k| k.alg() == alg)
            .or_else(|| self.keys.iter().find(|k| k.supports(alg)))
    }

    /// The key with `kid`.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid().as_str() == kid)
    }

    /// Algorithms of every published key plus the signer's, in a fixed order, RS256 always first
    /// (P20). A published RSA key may sign RS*/PS* only when a key with that `alg` exists.
    pub fn algorithms(&self) -> Vec<Alg> {
        let mut algs: Vec<Alg> = self
            .keys
            .iter()
            .filter(|k| k.published || std::ptr::eq(*k, self.active()))
            .map(|k| k.alg())
            .collect();
        algs.push(Alg::RS256);
        algs.sort();
        algs.dedup();
        algs
    }

    /// The JWKS document: published keys only (P27-P30).
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self.keys.iter().filter(|k| k.published).map(|k| k.public_jwk().clone()).collect();
        json!({ "keys": keys })
    }

    /// Adds a key and returns its position.
    pub fn add(&mut self, key: SigningKey) -> usize {
        self.generation = next_generation();
        self.keys.push(key);
        self.keys.len() - 1
    }

    /// Makes the key with `kid` the signer. Returns false when no such key exists.
    pub fn activate(&mut self, kid: &str) -> bool {
        match self.keys.iter().position(|k| k.kid().as_str() == kid) {
            Some(i) => {
                self.generation = next_generation();
                self.active = i;
                true
            }
            None => false,
        }
    }

    /// Removes the key with `kid`, unless it is the signer. Returns the removed key.
    pub fn remove(&mut self, kid: &str) -> Option<SigningKey> {
        let i = self.keys.iter().position(|k| k.kid().as_str() == kid)?;
        if i == self.active {
            return None;
        }
        self.generation = next_generation();
        let key = self.keys.remove(i);
        if i < self.active {
            self.active -= 1;
        }
        Some(key)
    }

    /// Mutable access to the key with `kid` (counts as a change of the ring).
    pub fn get_mut(&mut self, kid: &str) -> Option<&mut SigningKey> {
        self.generation = next_generation();
        self.keys.iter_mut().find(|k| k.kid().as_str() == kid)
    }
}
