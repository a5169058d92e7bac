//! The JWS side of verification: go-jose's compact parser (steps 15 to 17), its JWK decoding
//! (step 21) and one signature check against one key (steps 16, 18, 22).
//!
//! The parser follows go-jose v4.1.4: exactly three segments, each base64url without padding,
//! a protected header that is a JSON object without repeated member names, string-typed `alg`,
//! `kid` and `nonce`, then the algorithm allowlist. Key-bearing members (`jku`, `x5u`, `jwk`,
//! `x5c`) are only type-checked, never used to find a key. `crit` is not refused here: a token
//! whose `crit` names anything but `b64` simply never verifies (go-jose's `DetachedVerify`).

use std::sync::{Arc, OnceLock};

use aws_lc_rs::signature::{self as sig, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey};

use super::gojson::{self, go_quote, go_quote_bytes, go_quote_list, Kind, Node};

/// A compact JWS that go-jose accepted.
#[derive(Debug)]
pub(crate) struct Jws {
    /// `alg` of the protected header (in the allowlist).
    pub alg: String,
    /// `kid`, empty when absent.
    pub kid: String,
    /// The protected header names only supported critical members (`b64`) or none.
    pub crit_supported: bool,
    /// The `b64` header member (true unless it is JSON `false`).
    pub b64: bool,
    /// The first segment as sent.
    pub protected_b64: String,
    /// The decoded payload.
    pub payload: Vec<u8>,
    /// The decoded signature.
    pub signature: Vec<u8>,
}

/// go-jose's `stripWhitespace`: every Unicode space is removed before parsing.
pub(crate) fn strip_whitespace(s: &str) -> String {
    // The usual token is ASCII without any space: copy it without decoding characters.
    let ascii_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    if s.is_ascii() && !s.as_bytes().iter().any(ascii_space) {
        return s.to_owned();
    }
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// go-jose's `%#v` of a member's raw JSON text: invalid UTF-8 shows as `\xNN`.
fn raw_text(header: &[u8], node: &Node) -> String {
    go_quote_bytes(&header[node.start..node.end])
}

/// go-jose's `ParseSigned` for compact input, with the allowlist. Errors are go-jose's texts.
pub(crate) fn parse_compact(token: &str, allowed: &[String]) -> Result<Jws, String> {
    const THREE: &str = "go-jose/go-jose: compact JWS format must have three parts";
    if token.starts_with('{') {
        // go-jose reads this as the JSON serialization: its syntax errors are Go's. A valid
        // JSON JWS is not supported here (see the module docs of `oidc`).
        gojson::check_valid_to_depth(token.as_bytes(), usize::MAX)?;
        return Err("go-jose/go-jose: JSON serialization is not supported by the emulation".into());
    }
    let (protected, rest) = token.split_once('.').ok_or(THREE)?;
    let (claims, sig) = rest.split_once('.').ok_or(THREE)?;
    if sig.contains('.') {
        return Err(THREE.into());
    }
    let header = gojson::b64url_decode(protected)?;
    let payload = gojson::b64url_decode(claims)?;
    let signature = gojson::b64url_decode(sig)?;

    // real: a header nested 20000 deep is accepted (go-jose's JSON has no depth limit). An
    // empty header segment is no protected header at all (go-jose skips it): no `alg`.
    let mut root = if header.is_empty() {
        Node::null()
    } else {
        gojson::parse_unlimited(&header)?
    };
    let members: Vec<(String, Node)> = match &mut root.kind {
        Kind::Object(m) => std::mem::take(m),
        Kind::Null => Vec::new(),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type jose.rawHeader",
                other.go_word()
            ))
        }
    };
    let mut seen: Vec<&str> = Vec::with_capacity(members.len());
    for (k, _) in &members {
        if seen.contains(&k.as_str()) {
            return Err(format!("json: duplicate key '{k}' in object"));
        }
        seen.push(k);
    }

    let (mut alg, mut kid, mut crit_supported, mut b64, mut embedded_private) = (String::new(), String::new(), true, true, false);
    for (k, v) in &members {
        if v.kind == Kind::Null {
            continue;
        }
        let string_of = |what: &str| -> Result<String, String> {
            match &v.kind {
                Kind::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "failed to unmarshal {what}: json: cannot unmarshal {} into Go value of type string: {}",
                    other.go_word(),
                    raw_text(&header, v)
                )),
            }
        };
        match k.as_str() {
            "alg" => alg = string_of("algorithm")?,
            "kid" => kid = string_of("key ID")?,
            "nonce" => {
                string_of("nonce")?;
            }
            "x5c" => check_x5c(&header, v)?,
            "jwk" => {
                let jwk = Jwk::from_node(v).map_err(|e| format!("failed to unmarshal JWK: {e}: {}", raw_text(&header, v)))?;
                embedded_private = jwk.private || matches!(jwk.key, KeyKind::Oct);
            }
            "crit" => {
                crit_supported = match &v.kind {
                    Kind::Array(items) => items.iter().all(|i| i.kind == Kind::String("b64".into())),
                    _ => false,
                };
            }
            "b64" => b64 = v.kind != Kind::Bool(false),
            _ => {}
        }
        if !matches!(k.as_str(), "alg" | "kid" | "nonce" | "x5c" | "jwk") {
            // go-jose decodes every other member into an interface{}: a number beyond float64
            // (1e309) fails there, wherever it sits in the value.
            if let Some(number) = overflowing_number(v) {
                return Err(format!(
                    "failed to unmarshal value: json: cannot unmarshal number {number} into Go value of type float64: {}",
                    raw_text(&header, v)
                ));
            }
        }
    }
    if !allowed.contains(&alg) {
        return Err(format!(
            "unexpected signature algorithm {}; expected {}",
            go_quote(&alg),
            go_quote_list(allowed)
        ));
    }
    if embedded_private {
        return Err("go-jose/go-jose: invalid embedded jwk, must be public key".into());
    }
    Ok(Jws {
        alg,
        kid,
        crit_supported,
        b64,
        // go-jose signs over its own re-encoding of the decoded header, not the text sent.
        protected_b64: URL_SAFE_NO_PAD.encode(&header),
        payload,
        signature,
    })
}

/// The first number of `v`, in document order, that Go's `strconv.ParseFloat` refuses as out of
/// range (it overflows float64; an underflow rounds to zero without an error, as in Go). A loop,
/// not recursion: go-jose accepts headers nested 20,000 deep.
fn overflowing_number(v: &Node) -> Option<&str> {
    let mut pending = vec![v];
    while let Some(node) = pending.pop() {
        match &node.kind {
            Kind::Number(text) if text.parse::<f64>().is_ok_and(f64::is_infinite) => return Some(text),
            Kind::Array(items) => pending.extend(items.iter().rev()),
            Kind::Object(members) => pending.extend(members.iter().rev().map(|(_, m)| m)),
            Kind::Number(_) | Kind::Null | Kind::Bool(_) | Kind::String(_) => {}
        }
    }
    None
}

/// `x5c` must be an array of base64 (standard alphabet) DER certificates. Only the shape of
/// the DER is checked (Go parses the certificate fully): see the module docs of `oidc`.
fn check_x5c(header: &[u8], v: &Node) -> Result<(), String> {
    let fail = |e: String| Err(format!("failed to unmarshal x5c header: {e}: {}", raw_text(header, v)));
    let Kind::Array(items) = &v.kind else {
        return fail(format!(
            "json: cannot unmarshal {} into Go value of type []string",
            v.kind.go_word()
        ));
    };
    // Go decodes the whole array into []string before it parses any certificate, so a
    // wrongly typed member anywhere wins over a bad certificate before it.
    if let Some(other) = items.iter().find(|it| !matches!(it.kind, Kind::String(_) | Kind::Null)) {
        return fail(format!(
            "json: cannot unmarshal {} into Go value of type string",
            other.kind.go_word()
        ));
    }
    for it in items {
        let s = match &it.kind {
            Kind::String(s) => s,
            _ => "",
        };
        let der = match base64::engine::general_purpose::STANDARD.decode(s) {
            Ok(d) => d,
            Err(_) => return fail("illegal base64 data at input byte 0".into()),
        };
        if !looks_like_certificate(&der) {
            return fail("x509: malformed certificate".into());
        }
    }
    Ok(())
}

/// A DER SEQUENCE whose length covers the whole input and which starts with a SEQUENCE.
fn looks_like_certificate(der: &[u8]) -> bool {
    fn len_at(b: &[u8]) -> Option<(usize, usize)> {
        let first = *b.first()?;
        if first < 0x80 {
            return Some((first as usize, 1));
        }
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || b.len() < 1 + n {
            return None;
        }
        let len = b[1..=n].iter().fold(0usize, |acc, &x| acc << 8 | x as usize);
        Some((len, 1 + n))
    }
    if der.first() != Some(&0x30) {
        return false;
    }
    let Some((len, hdr)) = len_at(&der[1..]) else { return false };
    1 + hdr + len == der.len() && der.get(1 + hdr) == Some(&0x30)
}

/// Key material of one JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ec {
        crv: String,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
    /// A symmetric key: decodes, but never verifies (HS* are never allowed).
    Oct,
}

/// One JWK as go-jose decodes it; `alg` and `use` are read but never filter anything.
#[derive(Debug, Clone)]
pub(crate) struct Jwk {
    pub kid: String,
    pub key: KeyKind,
    pub private: bool,
    /// An RSA key parsed once per algorithm, shared by the clones of this JWK.
    pub parsed_rsa: Arc<ParsedRsa>,
}

/// The RSA algorithms and the aws-lc parameters `jsonwebtoken` verifies them with (keys of
/// 2048 to 8192 bits).
const RSA_ALGS: [(&str, &RsaParameters); 6] = [
    ("RS256", &sig::RSA_PKCS1_2048_8192_SHA256),
    ("RS384", &sig::RSA_PKCS1_2048_8192_SHA384),
    ("RS512", &sig::RSA_PKCS1_2048_8192_SHA512),
    ("PS256", &sig::RSA_PSS_2048_8192_SHA256),
    ("PS384", &sig::RSA_PSS_2048_8192_SHA384),
    ("PS512", &sig::RSA_PSS_2048_8192_SHA512),
];

/// An RSA public key parsed for each algorithm of `RSA_ALGS` on first use (`None`: the
/// components do not form a key). Building the key from `n` and `e` (the modulus' Montgomery
/// set-up) costs about a tenth of a verification, so a cached JWKS keeps it.
#[derive(Default)]
pub(crate) struct ParsedRsa([OnceLock<Option<ParsedPublicKey>>; 6]);

impl std::fmt::Debug for ParsedRsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedRsa")
    }
}

fn member<'a>(m: &'a [(String, Node)], name: &str) -> Option<&'a Node> {
    m.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
}

impl Jwk {
    /// go-jose's `JSONWebKey.UnmarshalJSON` (main rules; texts are go-jose's where it has one).
    pub fn from_node(node: &Node) -> Result<Jwk, String> {
        let m = match &node.kind {
            Kind::Object(m) => m.as_slice(),
            Kind::Null => &[],
            other => {
                return Err(format!(
                    "json: cannot unmarshal {} into Go value of type jose.rawJSONWebKey",
                    other.go_word()
                ))
            }
        };
        let text = |name: &str| -> Result<String, String> {
            match member(m, name).map(|n| &n.kind) {
                None | Some(Kind::Null) => Ok(String::new()),
                Some(Kind::String(s)) => Ok(s.clone()),
                Some(other) => Err(format!(
                    "json: cannot unmarshal {} into Go struct field rawJSONWebKey.{name} of type string",
                    other.go_word()
                )),
            }
        };
        let bytes = |name: &str| -> Result<Option<Vec<u8>>, String> {
            let s = text(name)?;
            if s.is_empty() {
                return Ok(None);
            }
            gojson::b64url_decode(&s).map(Some)
        };
        let kty = text("kty")?;
        let kid = text("kid")?;
        for name in ["use", "alg", "crv", "x5u", "x5t", "x5t#S256"] {
            text(name)?;
        }
        let private = bytes("d")?.is_some();
        let key = match kty.as_str() {
            "RSA" => match (bytes("n")?, bytes("e")?) {
                (Some(n), Some(e)) => KeyKind::Rsa { n, e },
                _ => return Err("go-jose/go-jose: invalid RSA key, missing n/e values".into()),
            },
            "EC" => {
                let crv = text("crv")?;
                let size = match crv.as_str() {
                    "P-256" => 32,
                    "P-384" => 48,
                    "P-521" => 66,
                    _ => return Err(format!("go-jose/go-jose: unsupported elliptic curve '{crv}'")),
                };
                let (Some(x), Some(y)) = (bytes("x")?, bytes("y")?) else {
                    return Err("go-jose/go-jose: invalid EC key, missing x/y values".into());
                };
                if x.len() != size {
                    return Err("go-jose/go-jose: invalid EC public key, wrong length for x".into());
                }
                if y.len() != size {
                    return Err("go-jose/go-jose: invalid EC public key, wrong length for y".into());
                }
                KeyKind::Ec { crv, x, y }
            }
            "OKP" if text("crv")? == "Ed25519" => match bytes("x")? {
                // go-jose copies `x` into 32 bytes: shorter is zero-padded, longer cut.
                Some(mut x) => {
                    x.resize(32, 0);
                    KeyKind::Ed25519 { x }
                }
                None => return Err("go-jose/go-jose: invalid Ed key, missing x value".into()),
            },
            "oct" => KeyKind::Oct,
            "" => return Err("go-jose/go-jose: missing json web key type".into()),
            _ => return Err("go-jose/go-jose: unsupported key type/format".into()),
        };
        Ok(Jwk {
            kid,
            key,
            private,
            parsed_rsa: Arc::default(),
        })
    }
}

/// Whether two key sets are the same keys in the same order (what verifies with one verifies
/// with the other).
pub(crate) fn same_keys(a: &[Jwk], b: &[Jwk]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.kid == y.kid && x.key == y.key && x.private == y.private)
}

/// go-jose's `JSONWebKeySet`: one bad key fails the whole set.
pub(crate) fn parse_key_set(body: &[u8]) -> Result<Vec<Jwk>, String> {
    let root = gojson::parse(body)?;
    let m = match &root.kind {
        Kind::Object(m) => m,
        Kind::Null => return Ok(Vec::new()),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type jose.JSONWebKeySet",
                other.go_word()
            ))
        }
    };
    let keys = m.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case("keys")).map(|(_, v)| v);
    match keys.map(|k| &k.kind) {
        None | Some(Kind::Null) => Ok(Vec::new()),
        Some(Kind::Array(items)) => items.iter().map(Jwk::from_node).collect(),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go struct field JSONWebKeySet.keys of type []jose.JSONWebKey",
            other.go_word()
        )),
    }
}

fn jwt_alg(alg: &str) -> Option<Algorithm> {
    Some(match alg {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        _ => return None,
    })
}

/// go-jose's `JSONWebSignature.Verify(&key)`: true when this key verifies this token.
pub(crate) fn verify_with(jws: &Jws, jwk: &Jwk) -> bool {
    if !jws.crit_supported {
        return false;
    }
    let Some(alg) = jwt_alg(&jws.alg) else { return false };
    if let KeyKind::Rsa { n, e } = &jwk.key {
        // The same check `jsonwebtoken` makes, with the key parsed once (see `ParsedRsa`).
        let Some(i) = RSA_ALGS.iter().position(|(a, _)| *a == jws.alg) else {
            return false;
        };
        let key = jwk.parsed_rsa.0[i].get_or_init(|| {
            RsaPublicKeyComponents {
                n: n.as_slice(),
                e: e.as_slice(),
            }
            .to_parsed_public_key(RSA_ALGS[i].1)
            .ok()
        });
        return key
            .as_ref()
            .is_some_and(|k| k.verify_sig(&signing_input(jws), &jws.signature).is_ok());
    }
    let key = match (&jwk.key, jws.alg.as_str()) {
        (KeyKind::Ec { crv, x, y }, a) if (a == "ES256" && crv == "P-256") || (a == "ES384" && crv == "P-384") => {
            match DecodingKey::from_ec_components(&URL_SAFE_NO_PAD.encode(x), &URL_SAFE_NO_PAD.encode(y)) {
                Ok(k) => k,
                Err(_) => return false,
            }
        }
        (KeyKind::Ed25519 { x }, "EdDSA") => match DecodingKey::from_ed_components(&URL_SAFE_NO_PAD.encode(x)) {
            Ok(k) => k,
            Err(_) => return false,
        },
        _ => return false,
    };
    let sig = URL_SAFE_NO_PAD.encode(&jws.signature);
    jsonwebtoken::crypto::verify(&sig, &signing_input(jws), &key, alg).unwrap_or(false)
}

/// go-jose's signing input: the protected segment as sent, then the payload re-encoded, or the
/// raw payload when `b64` is false.
fn signing_input(jws: &Jws) -> Vec<u8> {
    let mut input = Vec::with_capacity(jws.protected_b64.len() + jws.payload.len() * 2 + 1);
    input.extend_from_slice(jws.protected_b64.as_bytes());
    input.push(b'.');
    if jws.b64 {
        input.extend_from_slice(URL_SAFE_NO_PAD.encode(&jws.payload).as_bytes());
    } else {
        input.extend_from_slice(&jws.payload);
    }
    input
}
