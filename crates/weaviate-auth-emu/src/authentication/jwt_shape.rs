//! Spec 2.3's malformed-JWT rule, which picks the check a token gets when API keys and OIDC are
//! both on: a token is a JWT when it has three `.`-separated parts whose first two are unpadded
//! base64url JSON objects (or `null`), each read as Go's `json.Decoder` reads the first value of
//! a stream. Every request with a token asks, so the JSON is checked without being built.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Go's `base64.RawURLEncoding`: no padding accepted, non-zero trailing bits tolerated.
const RAW_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Spec 2.3: a token is a malformed JWT unless it has three `.`-separated parts whose first two
/// are unpadded base64url JSON objects. Malformed tokens go to the API-key check.
pub fn is_malformed_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    !(segment_is_json_object(header) && segment_is_json_object(payload))
}

fn segment_is_json_object(segment: &str) -> bool {
    let Ok(bytes) = RAW_URL.decode(segment) else {
        return false;
    };
    // Only the first JSON value is read, as by Go's json.Decoder; what follows it is ignored.
    // Go decodes `null` into a map without error, so it passes too.
    matches!(
        serde_json::Deserializer::from_slice(&bytes).into_iter::<Shape>().next(),
        Some(Ok(Shape::Object | Shape::Null))
    )
}

/// What one JSON value is, read with every check that reading it into a `serde_json::Value`
/// makes (syntax, number range, string escapes and UTF-8, nesting depth), through the same
/// `deserialize_any` calls, but with nothing kept: no strings copied, no maps built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Null,
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<Shape>()?.is_some() {}
        Ok(Shape::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_key::<Shape>()?.is_some() {
            map.next_value::<Shape>()?;
        }
        Ok(Shape::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The former definition: the first value read into a `serde_json::Value`.
    fn value_reading(bytes: &[u8]) -> Option<Result<Shape, ()>> {
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<serde_json::Value>()
            .next()
            .map(|r| {
                r.map(|v| match v {
                    serde_json::Value::Object(_) => Shape::Object,
                    serde_json::Value::Null => Shape::Null,
                    _ => Shape::Other,
                })
                .map_err(|_| ())
            })
    }

    fn shape_reading(bytes: &[u8]) -> Option<Result<Shape, ()>> {
        serde_json::Deserializer::from_slice(bytes)
            .into_iter::<Shape>()
            .next()
            .map(|r| r.map_err(|_| ()))
    }

    /// JSON texts at the edges of what a `Value` accepts.
    fn corpus() -> Vec<Vec<u8>> {
        let mut texts: Vec<Vec<u8>> = [
            "",
            " ",
            "{}",
            "null",
            " null x",
            "[]",
            "[1]",
            "\"\"",
            "1",
            "-0",
            "1e400",
            "-1e400",
            "1e-400",
            "18446744073709551616",
            "-9223372036854775809",
            "1.",
            ".5",
            "01",
            "{\"a\":1e400}",
            "{\"a\":1}",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{\"a\":1}}",
            "{\"a\":1} trailing",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":\"\\ud800\\udc00\"}",
            "{\"a\":\"\\udc00\"}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"nl\nhere\"}",
            "{\"a\":\"\\/\"}",
            "{\"a\":\"a\",\"a\":\"b\"}",
            "{1:2}",
            "{\"a\":[1,2,{\"b\":null}]}",
            "{\"a\":tru}",
            "{\"a\":true,\"b\":false,\"c\":null}",
            "NaN",
            "{\"a\":NaN}",
            "{\"a\":Infinity}",
            "\u{feff}{}",
            "{\"é\":\"ü\"}",
            "{\"a\":-}",
            "{\"a\":1e}",
            "{\"a\":1e+}",
            "{\"a\":0x10}",
            "{\"a\":\"\u{0}\"}",
            "{\"a\"\u{0}:1}",
            "/*c*/{}",
            "{\"a\":1.7976931348623157e308}",
            "{\"a\":1.8e308}",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        texts.push(b"{\"a\":\"\xff\"}".to_vec());
        texts.push(b"{\"\xc3\":1}".to_vec());
        for depth in [126, 127, 128, 129, 200] {
            let mut t = "[".repeat(depth) + &"]".repeat(depth);
            texts.push(t.clone().into_bytes());
            t = "{\"a\":".repeat(depth) + "1" + &"}".repeat(depth);
            texts.push(t.into_bytes());
        }
        texts
    }

    #[test]
    fn reads_every_edge_text_as_a_value_does() {
        for text in corpus() {
            assert_eq!(shape_reading(&text), value_reading(&text), "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn reads_random_splices_of_the_edge_texts_as_a_value_does() {
        // Pieces of the corpus glued together, from a fixed xorshift stream, so that the texts are
        // near-JSON more often than random bytes would be.
        let corpus = corpus();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut text = Vec::new();
            for _ in 0..(next() % 4 + 1) {
                let piece = &corpus[(next() % corpus.len() as u64) as usize];
                let from = (next() % (piece.len() as u64 + 1)) as usize;
                let to = from + (next() % (piece.len() - from + 1) as u64) as usize;
                text.extend_from_slice(&piece[from..to]);
            }
            assert_eq!(shape_reading(&text), value_reading(&text), "{:?}", String::from_utf8_lossy(&text));
        }
    }

    #[test]
    fn serde_jsons_private_raw_value_key_is_an_ordinary_key_as_in_go() {
        // A `Value` reads an object whose first key is serde_json's private raw-value marker as
        // the JSON text in its value; Go's decoder sees an object with that key, like any other.
        let h = RAW_URL.encode(br#"{"alg":"RS256"}"#);
        for payload in [
            &br#"{"$serde_json::private::RawValue":"[1]"}"#[..],
            br#"{"$serde_json::private::RawValue":5}"#,
        ] {
            assert_ne!(value_reading(payload), Some(Ok(Shape::Object)), "a Value reads it otherwise");
            let p = RAW_URL.encode(payload);
            assert!(!is_malformed_jwt(&format!("{h}.{p}.sig")), "{}", String::from_utf8_lossy(payload));
        }
    }

    #[test]
    fn s2_3_malformed_jwt_rule() {
        let h = RAW_URL.encode(br#"{"alg":"RS256"}"#);
        let p = RAW_URL.encode(br#"{"sub":"x"}"#);
        assert!(!is_malformed_jwt(&format!("{h}.{p}.sig")));
        assert!(!is_malformed_jwt(&format!("{h}.{p}.")), "garbage signature still goes to OIDC");
        assert!(is_malformed_jwt("one"));
        assert!(is_malformed_jwt(&format!("{h}.{p}")));
        assert!(is_malformed_jwt(&format!("{h}.{p}.s.x")));
        assert!(is_malformed_jwt("aaa.bbb.ccc"));
        assert!(is_malformed_jwt(&format!("{h}.{p}=.sig")), "padded payload");
        let not_json = RAW_URL.encode(b"not json");
        assert!(is_malformed_jwt(&format!("{h}.{not_json}.sig")));
        assert!(is_malformed_jwt(&format!("{not_json}.{p}.sig")));
        // Compared with v1.38.11 (API keys and OIDC on): `null` parts, non-canonical trailing bits and
        // trailing text go to OIDC; an array or a string payload goes to the API-key check.
        assert!(!is_malformed_jwt("bnVsbA.eyJzdWIiOiJ4In0.sig"));
        assert!(!is_malformed_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In1.sig"));
        assert!(is_malformed_jwt("eyJhbGciOiJSUzI1NiJ9.WzFd.sig"));
        assert!(is_malformed_jwt("eyJhbGciOiJSUzI1NiJ9.IiI.sig"));
        let trailing = RAW_URL.encode(br#"{"sub":"x"} trailing"#);
        assert!(
            !is_malformed_jwt(&format!("{h}.{trailing}.sig")),
            "only the first JSON value is read"
        );
        // A number beyond float64 fails Go's decoding into a map, as it fails here.
        let huge = RAW_URL.encode(br#"{"exp":1e400}"#);
        assert!(is_malformed_jwt(&format!("{h}.{huge}.sig")));
    }
}
