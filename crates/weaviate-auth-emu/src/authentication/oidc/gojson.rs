//! Go's `encoding/json` and `encoding/base64` as far as go-oidc's error texts show them.
//!
//! go-oidc reports the first decoding problem of the payload verbatim, so the emulation needs
//! Go's syntax-error texts (`invalid character 'h' looking for beginning of value`), Go's string
//! decoding (invalid UTF-8 becomes U+FFFD per byte), Go's `%q` quoting and the offsets of
//! `illegal base64 data at input byte N`. The validator is Go's scanner state machine, run
//! byte by byte before anything is decoded, exactly as `json.Unmarshal` does; the tree builder
//! then only ever sees valid JSON and uses an explicit stack (no recursion on untrusted depth).

/// Go's limit on nesting (`maxNestingDepth`).
const MAX_DEPTH: usize = 10_000;

/// A JSON value, with the byte span of its text in the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub kind: Kind,
    /// Start of the value's text.
    pub start: usize,
    /// End (exclusive) of the value's text.
    pub end: usize,
}

/// Dropping a deep tree frees it level by level from a heap stack: the default drop recurses
/// once per nesting level, which overflows a task's stack at Go's 10000 levels.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack: Vec<Node> = Vec::new();
        let take = |kind: &mut Kind, stack: &mut Vec<Node>| match kind {
            Kind::Array(items) => stack.append(items),
            Kind::Object(members) => stack.extend(members.drain(..).map(|(_, n)| n)),
            _ => {}
        };
        take(&mut self.kind, &mut stack);
        while let Some(mut n) = stack.pop() {
            take(&mut n.kind, &mut stack);
        }
    }
}

/// The kinds of JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    /// The literal text of the number.
    Number(String),
    /// The decoded string, Go-style.
    String(String),
    Array(Vec<Node>),
    /// Members in input order; duplicates kept.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// A `null` with an empty span.
    pub fn null() -> Node {
        Node {
            kind: Kind::Null,
            start: 0,
            end: 0,
        }
    }
}

impl Kind {
    /// The word Go's `UnmarshalTypeError` uses for this kind.
    pub fn go_word(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "bool",
            Kind::Number(_) => "number",
            Kind::String(_) => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum St {
    BeginValueOrEmpty,
    BeginValue,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    One,
    Zero,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Lit(&'static [u8], u8, &'static str),
}

#[derive(Clone, Copy, PartialEq)]
enum Ps {
    ObjectKey,
    ObjectValue,
    ArrayValue,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Go's `quoteChar`: how a byte is shown in a syntax error.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        _ => {
            let q = go_quote(&char::from(c).to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

struct Scanner {
    step: St,
    stack: Vec<Ps>,
    end_top: bool,
    max_depth: usize,
}

impl Scanner {
    fn err(c: u8, ctx: &str) -> Result<(), String> {
        Err(format!("invalid character {} {ctx}", quote_char(c)))
    }

    fn push(&mut self, c: u8, ps: Ps) -> Result<(), String> {
        self.stack.push(ps);
        if self.stack.len() <= self.max_depth {
            Ok(())
        } else {
            Scanner::err(c, "exceeded max depth")
        }
    }

    fn pop(&mut self) {
        self.stack.pop();
        if self.stack.is_empty() {
            self.step = St::EndTop;
            self.end_top = true;
        } else {
            self.step = St::EndValue;
        }
    }

    fn begin_value(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        match c {
            b'{' => {
                self.step = St::BeginStringOrEmpty;
                self.push(c, Ps::ObjectKey)
            }
            b'[' => {
                self.step = St::BeginValueOrEmpty;
                self.push(c, Ps::ArrayValue)
            }
            b'"' => {
                self.step = St::InString;
                Ok(())
            }
            b'-' => {
                self.step = St::Neg;
                Ok(())
            }
            b'0' => {
                self.step = St::Zero;
                Ok(())
            }
            b't' => {
                self.step = St::Lit(b"rue", 0, "true");
                Ok(())
            }
            b'f' => {
                self.step = St::Lit(b"alse", 0, "false");
                Ok(())
            }
            b'n' => {
                self.step = St::Lit(b"ull", 0, "null");
                Ok(())
            }
            b'1'..=b'9' => {
                self.step = St::One;
                Ok(())
            }
            _ => Scanner::err(c, "looking for beginning of value"),
        }
    }

    fn end_value(&mut self, c: u8) -> Result<(), String> {
        let Some(&ps) = self.stack.last() else {
            self.step = St::EndTop;
            self.end_top = true;
            return self.end_top_step(c);
        };
        if is_space(c) {
            self.step = St::EndValue;
            return Ok(());
        }
        let n = self.stack.len() - 1;
        match ps {
            Ps::ObjectKey => {
                if c == b':' {
                    self.stack[n] = Ps::ObjectValue;
                    self.step = St::BeginValue;
                    return Ok(());
                }
                Scanner::err(c, "after object key")
            }
            Ps::ObjectValue => {
                if c == b',' {
                    self.stack[n] = Ps::ObjectKey;
                    self.step = St::BeginString;
                    return Ok(());
                }
                if c == b'}' {
                    self.pop();
                    return Ok(());
                }
                Scanner::err(c, "after object key:value pair")
            }
            Ps::ArrayValue => {
                if c == b',' {
                    self.step = St::BeginValue;
                    return Ok(());
                }
                if c == b']' {
                    self.pop();
                    return Ok(());
                }
                Scanner::err(c, "after array element")
            }
        }
    }

    fn end_top_step(&mut self, c: u8) -> Result<(), String> {
        if !is_space(c) {
            return Scanner::err(c, "after top-level value");
        }
        Ok(())
    }

    fn step(&mut self, c: u8) -> Result<(), String> {
        let hex = |c: u8| c.is_ascii_hexdigit();
        match self.step {
            St::BeginValueOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b']' {
                    return self.end_value(c);
                }
                self.begin_value(c)
            }
            St::BeginValue => self.begin_value(c),
            St::BeginStringOrEmpty => {
                if is_space(c) {
                    return Ok(());
                }
                if c == b'}' {
                    let n = self.stack.len() - 1;
                    self.stack[n] = Ps::ObjectValue;
                    return self.end_value(c);
                }
                self.begin_string(c)
            }
            St::BeginString => self.begin_string(c),
            St::EndValue => self.end_value(c),
            St::EndTop => self.end_top_step(c),
            St::InString => {
                match c {
                    b'"' => self.step = St::EndValue,
                    b'\\' => self.step = St::InStringEsc,
                    0..=0x1f => return Scanner::err(c, "in string literal"),
                    _ => {}
                }
                Ok(())
            }
            St::InStringEsc => match c {
                b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => {
                    self.step = St::InString;
                    Ok(())
                }
                b'u' => {
                    self.step = St::InStringEscU(0);
                    Ok(())
                }
                _ => Scanner::err(c, "in string escape code"),
            },
            St::InStringEscU(i) => {
                if !hex(c) {
                    return Scanner::err(c, "in \\u hexadecimal character escape");
                }
                self.step = if i == 3 { St::InString } else { St::InStringEscU(i + 1) };
                Ok(())
            }
            St::Neg => match c {
                b'0' => {
                    self.step = St::Zero;
                    Ok(())
                }
                b'1'..=b'9' => {
                    self.step = St::One;
                    Ok(())
                }
                _ => Scanner::err(c, "in numeric literal"),
            },
            St::One => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.zero(c)
            }
            St::Zero => self.zero(c),
            St::Dot => {
                if c.is_ascii_digit() {
                    self.step = St::Dot0;
                    return Ok(());
                }
                Scanner::err(c, "after decimal point in numeric literal")
            }
            St::Dot0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                if c == b'e' || c == b'E' {
                    self.step = St::E;
                    return Ok(());
                }
                self.end_value(c)
            }
            St::E => {
                if c == b'+' || c == b'-' {
                    self.step = St::ESign;
                    return Ok(());
                }
                self.e_sign(c)
            }
            St::ESign => self.e_sign(c),
            St::E0 => {
                if c.is_ascii_digit() {
                    return Ok(());
                }
                self.end_value(c)
            }
            St::Lit(rest, i, word) => {
                let want = rest[i as usize];
                if c != want {
                    return Err(format!(
                        "invalid character {} in literal {word} (expecting '{}')",
                        quote_char(c),
                        char::from(want)
                    ));
                }
                self.step = if i as usize + 1 == rest.len() {
                    St::EndValue
                } else {
                    St::Lit(rest, i + 1, word)
                };
                Ok(())
            }
        }
    }

    fn begin_string(&mut self, c: u8) -> Result<(), String> {
        if is_space(c) {
            return Ok(());
        }
        if c == b'"' {
            self.step = St::InString;
            return Ok(());
        }
        Scanner::err(c, "looking for beginning of object key string")
    }

    fn zero(&mut self, c: u8) -> Result<(), String> {
        if c == b'.' {
            self.step = St::Dot;
            return Ok(());
        }
        if c == b'e' || c == b'E' {
            self.step = St::E;
            return Ok(());
        }
        self.end_value(c)
    }

    fn e_sign(&mut self, c: u8) -> Result<(), String> {
        if c.is_ascii_digit() {
            self.step = St::E0;
            return Ok(());
        }
        Scanner::err(c, "in exponent of numeric literal")
    }
}

/// Go's `checkValid`: the syntax error `json.Unmarshal` reports before decoding anything.
pub(crate) fn check_valid(data: &[u8]) -> Result<(), String> {
    check_valid_to_depth(data, MAX_DEPTH)
}

/// `check_valid` with another nesting limit: go-jose's JSON fork has none (`usize::MAX`).
pub(crate) fn check_valid_to_depth(data: &[u8], max_depth: usize) -> Result<(), String> {
    let mut s = Scanner {
        step: St::BeginValue,
        stack: Vec::new(),
        end_top: false,
        max_depth,
    };
    for &c in data {
        s.step(c)?;
    }
    if s.end_top {
        return Ok(());
    }
    s.step(b' ')?;
    if s.end_top {
        return Ok(());
    }
    Err("unexpected end of JSON input".into())
}

/// Validates like Go, then builds the tree.
pub(crate) fn parse(data: &[u8]) -> Result<Node, String> {
    check_valid(data)?;
    Ok(build(data))
}

/// Validates like go-jose's JSON fork (no depth limit), then builds the tree.
pub(crate) fn parse_unlimited(data: &[u8]) -> Result<Node, String> {
    check_valid_to_depth(data, usize::MAX)?;
    Ok(build(data))
}

enum Frame {
    Array(usize, Vec<Node>),
    Object(usize, Vec<(String, Node)>, Option<String>),
}

/// Builds the tree of input that `check_valid` accepted.
fn build(data: &[u8]) -> Node {
    let mut i = 0usize;
    let mut stack: Vec<Frame> = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < data.len() && is_space(data[*i]) {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        // Object keys and the separators around values.
        if let Some(Frame::Object(_, _, key @ None)) = stack.last_mut() {
            if data[i] == b'"' {
                let (s, end) = read_string(data, i);
                *key = Some(s);
                i = end;
                skip_ws(&mut i);
                i += 1; // ':'
                skip_ws(&mut i);
            }
        }
        let start = i;
        let mut value: Option<Node> = match data[i] {
            b'{' => {
                stack.push(Frame::Object(start, Vec::new(), None));
                i += 1;
                skip_ws(&mut i);
                if data[i] == b'}' {
                    i += 1;
                    let Some(Frame::Object(s, m, _)) = stack.pop() else {
                        unreachable!()
                    };
                    Some(Node {
                        kind: Kind::Object(m),
                        start: s,
                        end: i,
                    })
                } else {
                    None
                }
            }
            b'[' => {
                stack.push(Frame::Array(start, Vec::new()));
                i += 1;
                skip_ws(&mut i);
                if data[i] == b']' {
                    i += 1;
                    let Some(Frame::Array(s, v)) = stack.pop() else { unreachable!() };
                    Some(Node {
                        kind: Kind::Array(v),
                        start: s,
                        end: i,
                    })
                } else {
                    None
                }
            }
            b'"' => {
                let (s, end) = read_string(data, i);
                i = end;
                Some(Node {
                    kind: Kind::String(s),
                    start,
                    end,
                })
            }
            b't' => {
                i += 4;
                Some(Node {
                    kind: Kind::Bool(true),
                    start,
                    end: i,
                })
            }
            b'f' => {
                i += 5;
                Some(Node {
                    kind: Kind::Bool(false),
                    start,
                    end: i,
                })
            }
            b'n' => {
                i += 4;
                Some(Node {
                    kind: Kind::Null,
                    start,
                    end: i,
                })
            }
            _ => {
                while i < data.len() && matches!(data[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                let text = String::from_utf8_lossy(&data[start..i]).into_owned();
                Some(Node {
                    kind: Kind::Number(text),
                    start,
                    end: i,
                })
            }
        };
        // Attach the finished value to its parent; close parents that end here.
        while let Some(v) = value.take() {
            match stack.last_mut() {
                None => return v,
                Some(Frame::Array(_, items)) => items.push(v),
                Some(Frame::Object(_, members, key)) => {
                    let k = key.take().unwrap_or_default();
                    members.push((k, v));
                }
            }
            skip_ws(&mut i);
            match data.get(i) {
                Some(b',') => {
                    i += 1;
                }
                Some(b']') | Some(b'}') => {
                    i += 1;
                    value = match stack.pop() {
                        Some(Frame::Array(s, items)) => Some(Node {
                            kind: Kind::Array(items),
                            start: s,
                            end: i,
                        }),
                        Some(Frame::Object(s, m, _)) => Some(Node {
                            kind: Kind::Object(m),
                            start: s,
                            end: i,
                        }),
                        None => None,
                    };
                }
                _ => {}
            }
        }
    }
}

/// Decodes the string literal starting at `data[start] == '"'` as Go does; returns it and the
/// index after the closing quote.
fn read_string(data: &[u8], start: usize) -> (String, usize) {
    let mut i = start + 1;
    let mut raw: Vec<u8> = Vec::new();
    let mut out = String::new();
    let flush = |raw: &mut Vec<u8>, out: &mut String| {
        for chunk in raw.utf8_chunks() {
            out.push_str(chunk.valid());
            for _ in chunk.invalid() {
                out.push('\u{FFFD}');
            }
        }
        raw.clear();
    };
    let hex4 = |i: usize| -> Option<u32> {
        let s = std::str::from_utf8(data.get(i..i + 4)?).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    while i < data.len() {
        match data[i] {
            b'"' => {
                flush(&mut raw, &mut out);
                return (out, i + 1);
            }
            b'\\' => {
                flush(&mut raw, &mut out);
                let e = data.get(i + 1).copied().unwrap_or(b'\\');
                i += 2;
                match e {
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let r = hex4(i).unwrap_or(0xFFFD);
                        i += 4;
                        if (0xD800..0xE000).contains(&r) {
                            // A surrogate: valid only as the first of a pair.
                            if r < 0xDC00 && data.get(i) == Some(&b'\\') && data.get(i + 1) == Some(&b'u') {
                                if let Some(r2) = hex4(i + 2) {
                                    if (0xDC00..0xE000).contains(&r2) {
                                        let c = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                                        out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                                        i += 6;
                                        continue;
                                    }
                                }
                            }
                            out.push('\u{FFFD}');
                        } else {
                            out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                        }
                    }
                    other => out.push(char::from(other)),
                }
            }
            c => {
                raw.push(c);
                i += 1;
            }
        }
    }
    flush(&mut raw, &mut out);
    (out, i)
}

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
            c if super::goprint::is_print(c) => out.push(c),
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
    fn step8_go_syntax_error_texts() {
        assert_eq!(
            check_valid(b"hello").unwrap_err(),
            "invalid character 'h' looking for beginning of value"
        );
        assert_eq!(check_valid(b"{\"a\":").unwrap_err(), "unexpected end of JSON input");
        assert_eq!(check_valid(b"{} x").unwrap_err(), "invalid character 'x' after top-level value");
        assert_eq!(check_valid(b"{\"a\" 1}").unwrap_err(), "invalid character '1' after object key");
        assert_eq!(
            check_valid(b"{\"a\":1 2}").unwrap_err(),
            "invalid character '2' after object key:value pair"
        );
        assert_eq!(
            check_valid(b"tru").unwrap_err(),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(
            check_valid(b"trux").unwrap_err(),
            "invalid character 'x' in literal true (expecting 'e')"
        );
        assert_eq!(
            check_valid(b"\xef\xbb\xbf{}").unwrap_err(),
            "invalid character '\u{ef}' looking for beginning of value"
        );
        assert_eq!(check_valid(b"\"\x01\"").unwrap_err(), "invalid character '\\x01' in string literal");
        assert_eq!(
            check_valid(b"1.").unwrap_err(),
            "invalid character ' ' after decimal point in numeric literal"
        );
        assert_eq!(
            check_valid(b"1.x").unwrap_err(),
            "invalid character 'x' after decimal point in numeric literal"
        );
        assert_eq!(
            check_valid(b"{'a':1}").unwrap_err(),
            "invalid character '\\'' looking for beginning of object key string"
        );
        let deep = "[".repeat(10_001);
        assert_eq!(
            check_valid(deep.as_bytes()).unwrap_err(),
            "invalid character '[' exceeded max depth"
        );
        assert!(check_valid(b" {\"a\":[1,-2.5e+3,true,false,null,{}],\"b\":\"\\u00e9\"} ").is_ok());
    }

    #[test]
    fn step8_tree_keeps_order_duplicates_and_go_strings() {
        let n = parse(b"{\"a\":[1,{\"b\":null}],\"a\":\"x\\ud800y\xff\",\"c\":{}}").unwrap();
        let Kind::Object(m) = &n.kind else { panic!("object expected") };
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].1.kind, Kind::String("x\u{FFFD}y\u{FFFD}".into()));
        assert_eq!(m[2].1.kind, Kind::Object(vec![]));
        let deep = format!("{}{}", "[".repeat(9_999), "]".repeat(9_999));
        assert!(parse(deep.as_bytes()).is_ok());
    }

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
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        assert!(parse_unlimited(deep.as_bytes()).is_ok());
        assert_eq!(go_quote_list::<&str>(&[]), "[]");
    }
}
