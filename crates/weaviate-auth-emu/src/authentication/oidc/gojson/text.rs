//! Go's `%q` quoting and `encoding/base64`'s URL decoding with its error offsets.

/// Go's `strconv.Quote` (and so `%q` of a string).
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if super::super::goprint::is_print(c) => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of raw bytes (invalid UTF-8 shown as `\x..`).
pub(crate) fn go_quote_bytes(b: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in b.utf8_chunks() {
        let q = go_quote(chunk.valid());
        out.push_str(&q[1..q.len() - 1]);
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of a list of strings: `["a" "b"]`.
pub(crate) fn go_quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| go_quote(s.as_ref())).collect();
    format!("[{}]", inner.join(" "))
}

fn b64url_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a') as u32 + 26),
        b'0'..=b'9' => Some((c - b'0') as u32 + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Go's `base64.RawURLEncoding.DecodeString`: no padding, `\r` and `\n` skipped, unused
/// trailing bits ignored; errors are `illegal base64 data at input byte N`.
pub(crate) fn b64url_decode(s: &str) -> Result<Vec<u8>, String> {
    let src = s.as_bytes();
    let bad = |n: usize| format!("illegal base64 data at input byte {n}");
    let mut out = Vec::with_capacity(src.len() * 3 / 4 + 3);
    let mut si = 0usize;
    loop {
        let mut buf = [0u32; 4];
        let mut dlen = 4usize;
        let mut j = 0usize;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                if j == 1 {
                    return Err(bad(si - j));
                }
                dlen = j;
                break;
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64url_value(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            return Err(bad(si - 1));
        }
        let val = buf[0] << 18 | buf[1] << 12 | buf[2] << 6 | buf[3];
        let bytes = [(val >> 16) as u8, (val >> 8) as u8, val as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if dlen < 4 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step7_go_base64_offsets() {
        assert_eq!(b64url_decode("eyJh").unwrap(), b"{\"a");
        assert_eq!(b64url_decode("eyJhIn0").unwrap(), b"{\"a\"}");
        assert_eq!(b64url_decode("eyJhIn0=").unwrap_err(), "illegal base64 data at input byte 7");
        assert_eq!(b64url_decode("ab+c").unwrap_err(), "illegal base64 data at input byte 2");
        assert_eq!(b64url_decode("abcde").unwrap_err(), "illegal base64 data at input byte 4");
        // Unused trailing bits are ignored ("QR" and "QQ" both decode to "A").
        assert_eq!(b64url_decode("QR").unwrap(), b"A");
    }

    #[test]
    fn go_quote_matches_strconv() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é\u{200b}"), "\"a\\\"b\\\\c\\n\\x01é\\u200b\"");
        assert_eq!(go_quote_list(&["a", "b"]), "[\"a\" \"b\"]");
        // real: `got "a\x01\u200bé"` in the issuer message of v1.38.11.
        assert_eq!(go_quote("a\u{1}\u{200b}é"), "\"a\\x01\\u200bé\"");
        assert_eq!(go_quote_list::<&str>(&[]), "[]");
    }
}
