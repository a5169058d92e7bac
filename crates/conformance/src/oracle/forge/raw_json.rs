//! The raw JSON a structured token is made of: algorithm names, numbers at Go's edges, odd
//! strings, member names go-oidc, go-jose or Weaviate read (and variants of them), an ordered
//! object that keeps duplicates, and the short form of raw text a recipe shows.

/// The algorithms a header may name (supported or not, right case or not).
pub(super) const ALG_NAMES: [&str; 16] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none", "None", "", "rs256",
    "ED25519",
];

/// Numbers at the edges of Go's float64 and int64, as JSON text.
pub(super) const EDGE_NUMBERS: [&str; 26] = [
    "0",
    "-0",
    "-1",
    "1.5",
    "-1.5",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e19",
    "1e300",
    "-1e300",
    "1.7976931348623157e308",
    "1e308",
    "1e309",
    "-1e309",
    "4.9e-324",
    "1e-400",
    "0.0000001",
    "1E3",
    "253402300800",
    "253402300799.999",
    "-62135596800",
    "-62135596801",
];

/// Strings with Unicode, escapes and invalid UTF-8, as raw JSON text.
pub(super) const ODD_STRINGS: [&[u8]; 16] = [
    b"\"\"",
    b"\"\\u00e9l\\u00e8ve\"",
    "\"é\u{200b}\u{2028}x\"".as_bytes(),
    b"\"\\ud800\"",
    b"\"\\ud83d\\ude00\"",
    b"\"\\udc00\\ud800\"",
    b"\"a\xffb\"",
    b"\"\xc3\x28\"",
    b"\"\xe2\x82\"",
    b"\"\\u0000\"",
    b"\"\\/\\\\\\\"\"",
    "\"\u{1F600}\u{10FFFF}\u{E000}\"".as_bytes(),
    b"\"\xf4\x90\x80\x80\"",
    "\"\u{0378}\u{FFFE}\"".as_bytes(),
    b"\"\\u00\"",
    b"\"tab\there\"",
];

/// Member names a mutation may add or retype: the ones go-oidc, go-jose or Weaviate read, case
/// and escape variants of them, and names nobody reads.
pub(super) const HEADER_NAMES: [&[u8]; 16] = [
    b"alg",
    b"kid",
    b"typ",
    b"crit",
    b"b64",
    b"jku",
    b"x5u",
    b"jwk",
    b"x5c",
    b"nonce",
    b"cty",
    b"zip",
    b"ALG",
    b"\\u0061lg",
    b"x-unknown",
    b"",
];
pub(super) const PAYLOAD_NAMES: [&[u8]; 22] = [
    b"iss",
    b"sub",
    b"aud",
    b"exp",
    b"nbf",
    b"iat",
    b"nonce",
    b"at_hash",
    b"azp",
    b"_claim_names",
    b"_claim_sources",
    b"preferred_username",
    b"email",
    b"groups",
    b"ISS",
    b"Exp",
    "\u{017f}ub".as_bytes(),
    b"\\u0069ss",
    b"a.b",
    b"x",
    b"AUD",
    b"",
];

/// An ordered JSON object as raw member texts (duplicates and odd keys allowed).
#[derive(Debug, Clone, Default)]
pub(super) struct RawObject(pub(super) Vec<(Vec<u8>, Vec<u8>)>);

impl RawObject {
    pub(super) fn set(&mut self, key: &[u8], value: Vec<u8>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_vec(), value)),
        }
    }

    pub(super) fn text(&self) -> Vec<u8> {
        let mut out = b"{".to_vec();
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(k);
            out.extend_from_slice(b"\":");
            out.extend_from_slice(v);
        }
        out.push(b'}');
        out
    }
}

pub(super) fn quoted(s: &str) -> Vec<u8> {
    serde_json::to_vec(s).unwrap_or_default()
}

/// A short printable form of raw JSON text for a recipe.
pub(super) fn show(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if s.chars().count() > 60 {
        let head: String = s.chars().take(60).collect();
        format!("{head}… ({} bytes)", raw.len())
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_objects_keep_duplicates_and_order() {
        let mut o = RawObject::default();
        o.set(b"a", b"1".to_vec());
        o.set(b"b", b"2".to_vec());
        o.set(b"a", b"3".to_vec());
        o.0.push((b"a".to_vec(), b"4".to_vec()));
        assert_eq!(o.text(), b"{\"a\":3,\"b\":2,\"a\":4}");
    }
}
