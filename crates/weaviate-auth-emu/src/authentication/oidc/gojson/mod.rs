//! Go's `encoding/json` and `encoding/base64` as far as go-oidc's error texts show them.
//!
//! go-oidc reports the first decoding problem of the payload verbatim, so the emulation needs
//! Go's syntax-error texts (`invalid character 'h' looking for beginning of value`), Go's string
//! decoding (invalid UTF-8 becomes U+FFFD per byte), Go's `%q` quoting and the offsets of
//! `illegal base64 data at input byte N`. The validator is Go's scanner state machine, run
//! byte by byte before anything is decoded, exactly as `json.Unmarshal` does; the tree builder
//! then only ever sees valid JSON and uses an explicit stack (no recursion on untrusted depth).
//!
//! `scanner` holds the validator, `text` the quoting and base64; this module the tree.

mod scanner;
mod text;

pub(crate) use scanner::{check_valid, check_valid_to_depth};
pub(crate) use text::{b64url_decode, go_quote, go_quote_bytes, go_quote_list};

use scanner::is_space;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step8_tree_keeps_order_duplicates_and_go_strings() {
        let n = parse(b"{\"a\":[1,{\"b\":null}],\"a\":\"x\\ud800y\xff\",\"c\":{}}").unwrap();
        let Kind::Object(m) = &n.kind else { panic!("object expected") };
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].1.kind, Kind::String("x\u{FFFD}y\u{FFFD}".into()));
        assert_eq!(m[2].1.kind, Kind::Object(vec![]));
        let deep = format!("{}{}", "[".repeat(9_999), "]".repeat(9_999));
        assert!(parse(deep.as_bytes()).is_ok());
        // go-jose's JSON fork has no depth limit.
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        assert!(parse_unlimited(deep.as_bytes()).is_ok());
    }
}
