//! Tokens for the differential run, made from a string of choice bytes (a fuzzer's input or a
//! property test's), so that the same bytes always make the same token relative to "now".
//!
//! A token is either one of mock-idp's bad-token presets, minted by the in-process provider, or a
//! valid token taken apart and changed: header and payload members added, removed, duplicated,
//! retyped; numbers at Go's float64 and int64 edges; strings with Unicode, escapes and invalid
//! UTF-8; base64 with padding, the standard alphabet, line breaks or odd trailing bits; one to
//! five segments; and a signature from the right key, a wrong key, another algorithm, or none.
//!
//! Times: `exp` and `nbf` are chosen relative to the provider's clock with margins of at least
//! 5 s around go-oidc's boundaries (expiry at `exp`, not-before at `nbf - 300 s`), so that the
//! milliseconds between the oracle's check and the emulation's never change a verdict.
//!
//! Here: the forge and its keys, presets and structured tokens; `choices.rs` reads the choice
//! bytes, `raw_json.rs` holds the raw JSON material, `reshape.rs` the segment-level changes.

mod choices;
mod raw_json;
mod reshape;

use std::sync::Arc;

pub use self::choices::Choices;
use self::raw_json::{quoted, show, RawObject, ALG_NAMES, EDGE_NUMBERS, HEADER_NAMES, ODD_STRINGS, PAYLOAD_NAMES};
use crate::Error;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey};
use mock_idp::{Alg, MockIdp, Preset, SigningKey, Tenant, TokenBuilder, TokenKind};

/// One forged token and how it was made.
#[derive(Debug, Clone)]
pub struct Forged {
    /// The token's bytes (not always UTF-8: a Go string holds any bytes).
    pub token: Vec<u8>,
    /// How it was made, for a failure message.
    pub recipe: String,
    /// Known to carry no valid signature of a published key over its header and payload (an
    /// attacker's key, another algorithm than the header's, no signature, a flipped bit, an
    /// algorithm outside the allowlist, or a preset go-oidc refuses): such a token must never
    /// verify, whatever its claims.
    pub must_fail: bool,
}

/// A signing key of the run: the tenant's (published) or an attacker's (never published).
#[derive(Clone)]
struct Key {
    alg: Alg,
    kid: String,
    encoding: Arc<EncodingKey>,
}

fn jwt_alg(alg: Alg) -> Option<Algorithm> {
    Some(match alg {
        Alg::RS256 => Algorithm::RS256,
        Alg::RS384 => Algorithm::RS384,
        Alg::RS512 => Algorithm::RS512,
        Alg::PS256 => Algorithm::PS256,
        Alg::PS384 => Algorithm::PS384,
        Alg::PS512 => Algorithm::PS512,
        Alg::ES256 => Algorithm::ES256,
        Alg::ES384 => Algorithm::ES384,
        Alg::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

impl Key {
    fn from_signing_key(k: &SigningKey) -> Result<Key, Error> {
        let pem = k.private_pem();
        let encoding = match k.alg() {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => EncodingKey::from_rsa_pem(pem.as_bytes()),
            Alg::ES256 | Alg::ES384 => EncodingKey::from_ec_pem(pem.as_bytes()),
            _ => EncodingKey::from_ed_pem(pem.as_bytes()),
        }
        .map_err(|e| Error::Invalid(format!("key {}: {e}", k.kid().as_str())))?;
        Ok(Key {
            alg: k.alg(),
            kid: k.kid().as_str().to_owned(),
            encoding: Arc::new(encoding),
        })
    }

    /// Whether this key can make a signature of `alg` (RSA keys make RS* and PS*).
    fn signs(&self, alg: Alg) -> bool {
        let rsa = |a: Alg| matches!(a, Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512);
        if rsa(self.alg) {
            rsa(alg)
        } else {
            self.alg == alg
        }
    }

    fn sign(&self, input: &[u8], alg: Alg) -> Vec<u8> {
        let sig = jwt_alg(alg)
            .filter(|_| self.signs(alg))
            .and_then(|a| jsonwebtoken::crypto::sign(input, &self.encoding, a).ok());
        sig.and_then(|s| B64.decode(s).ok()).unwrap_or_default()
    }
}

/// Makes tokens for one provider tenant and one client.
pub struct Forge {
    idp_tenant: Arc<Tenant>,
    issuer: String,
    client_id: String,
    tenant_keys: Vec<Key>,
    attacker_keys: Vec<Key>,
}

impl std::fmt::Debug for Forge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forge").field("issuer", &self.issuer).finish_non_exhaustive()
    }
}

impl Forge {
    /// A forge for the first tenant of `idp`, minting for `client_id`.
    pub fn new(idp: &MockIdp, client_id: &str) -> Result<Forge, Error> {
        let tenant = idp.first_tenant();
        let tenant_keys = {
            let ring = tenant.keys();
            ring.all()
                .iter()
                .filter(|k| k.published)
                .map(Key::from_signing_key)
                .collect::<Result<Vec<_>, _>>()?
        };
        let attacker_keys = [Alg::RS256, Alg::ES256, Alg::EdDSA]
            .into_iter()
            .map(|a| Key::from_signing_key(&SigningKey::from_seed("oidc-harness differential attacker", a)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Forge {
            issuer: tenant.issuer().0.clone(),
            idp_tenant: tenant,
            client_id: client_id.to_owned(),
            tenant_keys,
            attacker_keys,
        })
    }

    fn now(&self) -> i64 {
        self.idp_tenant.clock().now()
    }

    /// The token the choices describe.
    pub fn forge(&self, c: &mut Choices<'_>) -> Forged {
        if c.chance(30) {
            if let Some(f) = self.preset(c) {
                return f;
            }
        }
        self.structured(c)
    }

    /// `preset` minted as an access token, as is.
    pub fn preset_token(&self, preset: Preset) -> Result<Forged, Error> {
        let token = TokenBuilder::new()
            .preset(preset)
            .tokens([TokenKind::AccessToken])
            .mint(&self.idp_tenant)
            .map_err(|e| Error::Invalid(format!("preset {preset}: {e}")))?
            .access_token
            .ok_or_else(|| Error::Invalid(format!("preset {preset}: no access token minted")))?;
        Ok(Forged {
            token: token.into_bytes(),
            recipe: format!("preset {preset}"),
            must_fail: crate::presets::weaviate_outcome(preset).rejected(),
        })
    }

    /// One bad-token preset, minted by the provider, sometimes re-encoded afterwards.
    fn preset(&self, c: &mut Choices<'_>) -> Option<Forged> {
        let preset = *c.pick(&Preset::ALL);
        let mut b = TokenBuilder::new().preset(preset).tokens([TokenKind::AccessToken]);
        if preset == Preset::Oversized && c.chance(50) {
            b = b.preset_size(*c.pick(&[17 * 1024, 64 * 1024, 200 * 1024]));
        }
        let token = b.mint(&self.idp_tenant).ok()?.access_token?;
        let mut recipe = format!("preset {preset}");
        let mut bytes = token.into_bytes();
        let mut must_fail = crate::presets::weaviate_outcome(preset).rejected();
        if c.chance(20) {
            bytes = self.reshape(c, bytes, &mut recipe);
            // A reshape only adds defects, except that dropping the last segment undoes
            // four-parts: what is left is the valid token the preset started from.
            if preset == Preset::FourParts && bytes.split(|b| *b == b'.').count() == 3 {
                must_fail = false;
            }
        }
        Some(Forged {
            token: bytes,
            recipe,
            must_fail,
        })
    }

    fn value(&self, c: &mut Choices<'_>) -> Vec<u8> {
        let now = self.now();
        match c.below(12) {
            0 => b"null".to_vec(),
            1 => c.pick(&[&b"true"[..], b"false"]).to_vec(),
            2 => c.pick(&EDGE_NUMBERS).as_bytes().to_vec(),
            3 => self.time(c, now),
            4 => c.pick(&ODD_STRINGS).to_vec(),
            5 => {
                let s = *c.pick::<&str>(&[self.issuer.as_str(), self.client_id.as_str(), "admin", "b64", "exp", "x-unknown"]);
                quoted(s)
            }
            6 => c
                .pick(&[
                    &b"[]"[..],
                    b"[\"b64\"]",
                    b"[\"exp\"]",
                    b"[1]",
                    b"[null]",
                    b"[\"weaviate\",1]",
                    b"[[\"x\"]]",
                ])
                .to_vec(),
            7 => c
                .pick(&[
                    &b"{}"[..],
                    b"{\"$ne\":null}",
                    b"{\"a\":1}",
                    b"{\"kty\":\"RSA\"}",
                    b"{\"kty\":\"oct\",\"k\":\"AAAA\"}",
                    b"{\"src1\":{\"endpoint\":\"http://127.0.0.1:1/\"}}",
                ])
                .to_vec(),
            8 => {
                let mut v = quoted(&self.client_id);
                if c.chance(50) {
                    v = [b"[".to_vec(), v, b"]".to_vec()].concat();
                }
                v
            }
            9 => format!("\"{}\"", self.time_number(c, now)).into_bytes(),
            10 => {
                let n = *c.pick(&[1usize, 40, 5000, 10_001]);
                [b"[".repeat(n), b"]".repeat(n)].concat()
            }
            _ => quoted(&"x".repeat(*c.pick(&[0usize, 1, 300, 17 * 1024]))),
        }
    }

    /// A time with margins around go-oidc's boundaries (see the module docs).
    fn time_number(&self, c: &mut Choices<'_>, now: i64) -> String {
        let offset = *c.pick(&[-86_400i64, -3600, -6, 6, 60, 294, 306, 3600, 86_400]);
        let whole = now + offset;
        match c.below(4) {
            0 => format!("{whole}.5"),
            1 => format!("{whole}.999999"),
            2 => format!("{}e1", whole / 10 + i64::from(offset > 0)),
            _ => whole.to_string(),
        }
    }

    fn time(&self, c: &mut Choices<'_>, now: i64) -> Vec<u8> {
        self.time_number(c, now).into_bytes()
    }

    /// A valid token's parts, changed by up to four mutations, then encoded and signed.
    fn structured(&self, c: &mut Choices<'_>) -> Forged {
        let now = self.now();
        let signer = self.tenant_keys[c.below(self.tenant_keys.len())].clone();
        let mut header = RawObject::default();
        header.set(b"alg", quoted(signer.alg.as_str()));
        if !c.chance(10) {
            header.set(b"kid", quoted(&signer.kid));
        }
        if !c.chance(30) {
            header.set(b"typ", quoted("JWT"));
        }
        let mut payload = RawObject::default();
        payload.set(b"iss", quoted(&self.issuer));
        payload.set(b"sub", quoted("admin"));
        payload.set(b"aud", quoted(&self.client_id));
        payload.set(b"exp", (now + 600).to_string().into_bytes());
        payload.set(b"iat", now.to_string().into_bytes());
        payload.set(b"preferred_username", quoted("admin"));
        payload.set(b"email", quoted("admin@example.com"));
        payload.set(b"groups", b"[\"admins\"]".to_vec());
        let mut recipe = format!("structured, {} key", signer.alg.as_str());

        for _ in 0..c.below(5) {
            let in_header = c.chance(40);
            let (obj, names): (&mut RawObject, &[&[u8]]) = if in_header {
                (&mut header, &HEADER_NAMES)
            } else {
                (&mut payload, &PAYLOAD_NAMES)
            };
            let part = if in_header { "header" } else { "payload" };
            match c.below(5) {
                0 => {
                    let name = *c.pick(names);
                    let value = self.value(c);
                    recipe.push_str(&format!("; {part} set {} = {}", show(name), show(&value)));
                    obj.set(name, value);
                }
                1 if !obj.0.is_empty() => {
                    let i = c.below(obj.0.len());
                    let (k, _) = obj.0.remove(i);
                    recipe.push_str(&format!("; {part} remove {}", show(&k)));
                }
                2 if !obj.0.is_empty() => {
                    let i = c.below(obj.0.len());
                    let k = obj.0[i].0.clone();
                    let v = if c.chance(50) { obj.0[i].1.clone() } else { self.value(c) };
                    recipe.push_str(&format!("; {part} duplicate {} = {}", show(&k), show(&v)));
                    obj.0.push((k, v));
                }
                3 if in_header => {
                    let alg = *c.pick(&ALG_NAMES);
                    recipe.push_str(&format!("; header alg = {alg:?}"));
                    obj.set(b"alg", quoted(alg));
                }
                3 => {
                    let name = *c.pick(&[&b"exp"[..], b"nbf", b"iat"]);
                    let v = if c.chance(50) {
                        self.time(c, now)
                    } else {
                        c.pick(&EDGE_NUMBERS).as_bytes().to_vec()
                    };
                    recipe.push_str(&format!("; payload {} = {}", show(name), show(&v)));
                    obj.set(name, v);
                }
                _ if !obj.0.is_empty() => {
                    let i = c.below(obj.0.len());
                    let v = self.value(c);
                    recipe.push_str(&format!("; {part} retype {} = {}", show(&obj.0[i].0), show(&v)));
                    obj.0[i].1 = v;
                }
                _ => {}
            }
        }

        let mut header_text = header.text();
        let mut payload_text = payload.text();
        for (text, part) in [(&mut header_text, "header"), (&mut payload_text, "payload")] {
            if c.chance(6) {
                let glitch = c.below(6);
                recipe.push_str(&format!("; {part} text glitch {glitch}"));
                match glitch {
                    0 => text.extend_from_slice(b" trailing"),
                    1 => *text = [b"\xef\xbb\xbf".to_vec(), text.clone()].concat(),
                    2 => text.truncate(text.len() / 2),
                    3 => *text = c.pick(&[&b"null"[..], b"[1]", b"\"s\"", b"", b"{} {}"]).to_vec(),
                    4 => *text = [b" \n\t".to_vec(), text.clone(), b"\r\n".to_vec()].concat(),
                    _ => {
                        if let Some(p) = text.iter().position(|b| *b == b',') {
                            text.insert(p, b',');
                        }
                    }
                }
            }
        }

        // The algorithm the header names, when it names one a key can sign with.
        let declared = header
            .0
            .iter()
            .rev()
            .find(|(k, _)| k == b"alg")
            .and_then(|(_, v)| serde_json::from_slice::<String>(v).ok())
            .and_then(|s| serde_json::from_value::<Alg>(serde_json::Value::String(s)).ok());
        let h = B64.encode(&header_text);
        let p = B64.encode(&payload_text);
        let input = format!("{h}.{p}");
        let right = declared.and_then(|a| {
            let kid = header.0.iter().rev().find(|(k, _)| k == b"kid").map(|(_, v)| v.clone());
            let by_kid = self
                .tenant_keys
                .iter()
                .find(|k| kid.as_deref() == Some(&quoted(&k.kid)[..]) && k.signs(a));
            by_kid
                .or_else(|| self.tenant_keys.iter().find(|k| k.signs(a)))
                .map(|k| (k.clone(), a))
        });
        let mut must_fail = true;
        let signature: Vec<u8> = match c.below(7) {
            0..=2 => match &right {
                Some((k, a)) => {
                    recipe.push_str(&format!("; signed by the right key ({})", a.as_str()));
                    must_fail = false;
                    k.sign(input.as_bytes(), *a)
                }
                None => {
                    recipe.push_str("; signed by the tenant key (the header names no usable alg)");
                    signer.sign(input.as_bytes(), signer.alg)
                }
            },
            3 => {
                let k = &self.attacker_keys[c.below(self.attacker_keys.len())];
                recipe.push_str(&format!("; signed by an attacker key ({})", k.alg.as_str()));
                k.sign(input.as_bytes(), k.alg)
            }
            4 => {
                let other = *c.pick(&[
                    Alg::RS256,
                    Alg::RS384,
                    Alg::RS512,
                    Alg::PS256,
                    Alg::PS512,
                    Alg::ES256,
                    Alg::ES384,
                    Alg::EdDSA,
                ]);
                match self.tenant_keys.iter().find(|k| k.signs(other)) {
                    Some(k) => {
                        recipe.push_str(&format!("; signed as {} by a tenant key", other.as_str()));
                        // The header's algorithm and a published key: it may verify.
                        must_fail = declared != Some(other);
                        k.sign(input.as_bytes(), other)
                    }
                    None => Vec::new(),
                }
            }
            5 => {
                recipe.push_str("; empty signature");
                Vec::new()
            }
            _ => {
                let mut s = match &right {
                    Some((k, a)) => k.sign(input.as_bytes(), *a),
                    None => signer.sign(input.as_bytes(), signer.alg),
                };
                if !s.is_empty() {
                    let i = c.below(s.len());
                    s[i] ^= 1 << c.below(8);
                }
                recipe.push_str("; signature with one bit flipped");
                s
            }
        };
        let token = format!("{input}.{}", B64.encode(signature)).into_bytes();
        // A reshaped token may still verify (go-jose strips whitespace), but no reshaping makes
        // a bad signature good.
        let token = if c.chance(25) { self.reshape(c, token, &mut recipe) } else { token };
        Forged { token, recipe, must_fail }
    }
}
