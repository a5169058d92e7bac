//! go-oidc's `idToken` claims, decoded with Go's `encoding/json` rules (steps 8 and 9).
//!
//! What matters for faithfulness: struct fields match keys exactly or else case-insensitively
//! (`"ISS"` fills `iss`), the last duplicate wins, unknown members are skipped unread, a plain
//! type mismatch is remembered while decoding goes on (the first one is reported at the end),
//! and an error from a custom decoder (`aud`, `exp`, `iat`, `nbf`) stops decoding at once.

use super::gojson::{go_quote_bytes, Kind, Node};

/// A Unix time as go-oidc's `jsonTime` holds it.
pub(crate) type UnixSeconds = i64;

/// The claims go-oidc decodes before it looks at the signature.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct IdToken {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    /// `None` is Go's zero time (claim missing).
    pub exp: Option<UnixSeconds>,
    pub nbf: Option<UnixSeconds>,
    pub claim_names: Vec<(String, String)>,
    pub claim_sources: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Iss,
    Sub,
    Aud,
    Exp,
    Iat,
    Nbf,
    Nonce,
    AtHash,
    ClaimNames,
    ClaimSources,
}

const FIELDS: [(&str, Field); 10] = [
    ("iss", Field::Iss),
    ("sub", Field::Sub),
    ("aud", Field::Aud),
    ("exp", Field::Exp),
    ("iat", Field::Iat),
    ("nbf", Field::Nbf),
    ("nonce", Field::Nonce),
    ("at_hash", Field::AtHash),
    ("_claim_names", Field::ClaimNames),
    ("_claim_sources", Field::ClaimSources),
];

/// Go's `foldName`: ASCII upper case; other characters through lower then upper case, so that
/// the long s and the Kelvin sign fold onto `S` and `K`.
fn fold(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii() {
                return c.to_ascii_uppercase();
            }
            let mut lower = c.to_lowercase();
            let l = match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            };
            let mut upper = l.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(u), None) => u,
                _ => l,
            }
        })
        .collect()
}

/// The struct field a JSON key lands in (exact match first, then folded).
fn field_for(key: &str) -> Option<(&'static str, Field)> {
    if let Some(f) = FIELDS.iter().find(|(n, _)| *n == key) {
        return Some(*f);
    }
    // The field names are ASCII lower case, so their fold is their ASCII upper case: an ASCII
    // key needs no folded copy (this runs for every claim of every token).
    if key.is_ascii() {
        return FIELDS.iter().find(|(n, _)| key.eq_ignore_ascii_case(n)).copied();
    }
    let folded = fold(key);
    FIELDS.iter().find(|(n, _)| folded.eq_ignore_ascii_case(n)).copied()
}

fn type_error(value: &Kind, struct_name: &str, field: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field {struct_name}.{field} of type {go_type}",
        value.go_word()
    )
}

/// Go's `strconv.ParseInt(s, 10, 64)` success case.
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// Go's `float64 -> int64` conversion on amd64: out-of-range values become `i64::MIN`.
fn float_to_int_amd64(f: f64) -> i64 {
    if f.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        i64::MIN
    } else {
        f.trunc() as i64
    }
}

/// Go's JSON number grammar (`isValidNumber`).
fn is_valid_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 2;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    i == b.len()
}

/// go-oidc's `jsonTime.UnmarshalJSON`: a number, or a numeral in a string, or `null` (which
/// then fails to parse); whole seconds, fractions cut off.
fn json_time(node: &Node, raw: &[u8], field: &str) -> Result<UnixSeconds, String> {
    let n = match &node.kind {
        Kind::Number(n) => n.clone(),
        Kind::Null => String::new(),
        Kind::String(s) => {
            if !is_valid_number(s) {
                let item = go_quote_bytes(&raw[node.start..node.end]);
                return Err(format!("json: invalid number literal, trying to unmarshal {item} into Number"));
            }
            s.clone()
        }
        other => return Err(type_error(other, "idToken", field, "json.Number")),
    };
    if let Some(i) = parse_int(&n) {
        return Ok(i);
    }
    match n.parse::<f64>() {
        Ok(f) if f.is_finite() && !n.is_empty() => Ok(float_to_int_amd64(f)),
        Ok(_) => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            super::gojson::go_quote(&n)
        )),
        Err(_) => Err(format!(
            "strconv.ParseFloat: parsing {}: invalid syntax",
            super::gojson::go_quote(&n)
        )),
    }
}

/// go-oidc's `audience.UnmarshalJSON`: a string (or `null`, which gives `[""]`), else an array
/// of strings.
fn audience(node: &Node) -> Result<Vec<String>, String> {
    match &node.kind {
        Kind::String(s) => Ok(vec![s.clone()]),
        Kind::Null => Ok(vec![String::new()]),
        Kind::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut first_err: Option<String> = None;
            for it in items {
                match &it.kind {
                    Kind::String(s) => out.push(s.clone()),
                    Kind::Null => out.push(String::new()),
                    other => {
                        first_err.get_or_insert_with(|| type_error(other, "idToken", "aud", "string"));
                        out.push(String::new());
                    }
                }
            }
            match first_err {
                Some(e) => Err(e),
                None => Ok(out),
            }
        }
        other => Err(type_error(other, "idToken", "aud", "[]string")),
    }
}

/// Decodes the payload into go-oidc's `idToken`. `raw` is the payload the tree came from.
pub(crate) fn decode(root: &Node, raw: &[u8]) -> Result<IdToken, String> {
    let mut t = IdToken::default();
    let members = match &root.kind {
        Kind::Object(m) => m,
        Kind::Null => return Ok(t),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type oidc.idToken",
                other.go_word()
            ));
        }
    };
    let mut saved: Option<String> = None;
    let mut save = |e: String| {
        saved.get_or_insert(e);
    };
    for (key, value) in members {
        let Some((name, field)) = field_for(key) else { continue };
        match field {
            Field::Iss | Field::Sub | Field::Nonce | Field::AtHash => match &value.kind {
                Kind::String(s) => match field {
                    Field::Iss => t.iss = s.clone(),
                    Field::Sub => t.sub = s.clone(),
                    _ => {}
                },
                Kind::Null => {}
                other => save(type_error(other, "idToken", name, "string")),
            },
            Field::Aud => t.aud = audience(value)?,
            Field::Exp => t.exp = Some(json_time(value, raw, name)?),
            Field::Iat => {
                json_time(value, raw, name)?;
            }
            Field::Nbf => match value.kind {
                Kind::Null => t.nbf = None,
                _ => t.nbf = Some(json_time(value, raw, name)?),
            },
            Field::ClaimNames => match &value.kind {
                Kind::Null => t.claim_names.clear(),
                Kind::Object(m) => {
                    for (k, v) in m {
                        let s = match &v.kind {
                            Kind::String(s) => s.clone(),
                            Kind::Null => String::new(),
                            other => {
                                save(type_error(other, "idToken", name, "string"));
                                continue;
                            }
                        };
                        t.claim_names.retain(|(n, _)| n != k);
                        t.claim_names.push((k.clone(), s));
                    }
                }
                other => save(type_error(other, "idToken", name, "map[string]string")),
            },
            Field::ClaimSources => match &value.kind {
                Kind::Null => t.claim_sources.clear(),
                Kind::Object(m) => {
                    for (k, v) in m {
                        match &v.kind {
                            Kind::Object(fields) => {
                                for (fk, fv) in fields {
                                    let fname = match fold(fk).as_str() {
                                        "ENDPOINT" => "endpoint",
                                        "ACCESS_TOKEN" => "access_token",
                                        _ => continue,
                                    };
                                    if !matches!(fv.kind, Kind::String(_) | Kind::Null) {
                                        save(type_error(&fv.kind, "claimSource", &format!("{name}.{fname}"), "string"));
                                    }
                                }
                            }
                            Kind::Null => {}
                            other => save(type_error(other, "idToken", name, "oidc.claimSource")),
                        }
                        if !t.claim_sources.contains(k) {
                            t.claim_sources.push(k.clone());
                        }
                    }
                }
                other => save(type_error(other, "idToken", name, "map[string]oidc.claimSource")),
            },
        }
    }
    match saved {
        Some(e) => Err(e),
        None => Ok(t),
    }
}

/// Step 9: every distributed claim names a source that exists.
pub(crate) fn check_distributed(t: &IdToken) -> Result<(), String> {
    for (_, src) in &t.claim_names {
        if src.is_empty() {
            return Err("oidc: failed to obtain source from claim name".into());
        }
        if !t.claim_sources.contains(src) {
            return Err("oidc: source does not exist".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::gojson::parse;
    use super::*;

    fn dec(s: &str) -> Result<IdToken, String> {
        let n = parse(s.as_bytes()).map_err(|e| format!("syntax: {e}"))?;
        decode(&n, s.as_bytes())
    }

    #[test]
    fn step8_type_errors_use_go_texts() {
        assert_eq!(
            dec(r#"{"aud":1}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field idToken.aud of type []string"
        );
        assert_eq!(
            dec(r#"{"aud":["a",1]}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field idToken.aud of type string"
        );
        assert_eq!(
            dec(r#"{"exp":true}"#).unwrap_err(),
            "json: cannot unmarshal bool into Go struct field idToken.exp of type json.Number"
        );
        assert_eq!(
            dec(r#"{"exp":"tomorrow"}"#).unwrap_err(),
            r#"json: invalid number literal, trying to unmarshal "\"tomorrow\"" into Number"#
        );
        assert_eq!(
            dec(r#"{"exp":null}"#).unwrap_err(),
            r#"strconv.ParseFloat: parsing "": invalid syntax"#
        );
        assert_eq!(
            dec(r#"{"exp":1e400}"#).unwrap_err(),
            r#"strconv.ParseFloat: parsing "1e400": value out of range"#
        );
        assert_eq!(
            dec(r#"{"sub":7}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field idToken.sub of type string"
        );
        assert_eq!(
            dec(r#"{"sub":[]}"#).unwrap_err(),
            "json: cannot unmarshal array into Go struct field idToken.sub of type string"
        );
        assert_eq!(
            dec(r#"[1]"#).unwrap_err(),
            "json: cannot unmarshal array into Go value of type oidc.idToken"
        );
        // A saved mismatch loses against a later decoder error, which stops decoding.
        assert_eq!(
            dec(r#"{"sub":7,"exp":true}"#).unwrap_err(),
            "json: cannot unmarshal bool into Go struct field idToken.exp of type json.Number"
        );
        assert_eq!(
            dec(r#"{"iat":"x"}"#).unwrap_err(),
            r#"json: invalid number literal, trying to unmarshal "\"x\"" into Number"#
        );
        // real (v1.38.11): the struct context of map values and of claimSource fields.
        assert_eq!(
            dec(r#"{"_claim_names":{"a":1}}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field idToken._claim_names of type string"
        );
        assert_eq!(
            dec(r#"{"_claim_sources":{"s":{"endpoint":1}}}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field claimSource._claim_sources.endpoint of type string"
        );
        assert_eq!(
            dec(r#"{"nonce":5}"#).unwrap_err(),
            "json: cannot unmarshal number into Go struct field idToken.nonce of type string"
        );
        // real: a payload nested 20000 deep hits Go's limit.
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(20_000), "]".repeat(20_000));
        assert_eq!(dec(&deep).unwrap_err(), "syntax: invalid character '[' exceeded max depth");
        // real: exp -1.5 prints 1969-12-31 23:59:59 (truncated toward zero).
        assert_eq!(dec(r#"{"exp":-1.5}"#).unwrap().exp, Some(-1));
    }

    #[test]
    fn step8_values_go_accepts() {
        let t = dec(r#"{"ISS":"a","ſub":"s","aud":null,"exp":"1795251272","nbf":null,"iat":1.9,"x":[{"y":1e999}]}"#).unwrap();
        assert_eq!((t.iss.as_str(), t.sub.as_str()), ("a", "s"));
        assert_eq!(t.aud, vec![String::new()]);
        assert_eq!(t.exp, Some(1_795_251_272));
        assert_eq!(t.nbf, None);
        let t = dec(r#"{"exp":1795251272.9,"nbf":-1.5,"iss":"a","iss":"b","sub":null}"#).unwrap();
        assert_eq!((t.exp, t.nbf, t.iss.as_str()), (Some(1_795_251_272), Some(-1), "b"));
        let t = dec(r#"{"exp":1e300}"#).unwrap();
        assert_eq!(t.exp, Some(i64::MIN));
        let t = dec(r#"{"exp":9223372036854775808}"#).unwrap();
        assert_eq!(t.exp, Some(i64::MIN));
        assert_eq!(dec("null").unwrap(), IdToken::default());
    }

    #[test]
    fn step9_distributed_claims_need_a_source() {
        let t = dec(r#"{"_claim_names":{"groups":"src1"}}"#).unwrap();
        assert_eq!(check_distributed(&t).unwrap_err(), "oidc: source does not exist");
        let t = dec(r#"{"_claim_names":{"groups":""}}"#).unwrap();
        assert_eq!(check_distributed(&t).unwrap_err(), "oidc: failed to obtain source from claim name");
        let t = dec(r#"{"_claim_names":{"groups":"src1"},"_claim_sources":{"src1":{"endpoint":"http://x"}}}"#).unwrap();
        assert!(check_distributed(&t).is_ok());
    }
}
