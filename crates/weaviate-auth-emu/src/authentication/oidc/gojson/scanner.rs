//! Go's JSON scanner state machine (`encoding/json/scanner.go` as behaviour, not code): the
//! syntax error `json.Unmarshal` reports before it decodes anything, with Go's texts.

use super::go_quote;

/// Go's limit on nesting (`maxNestingDepth`).
pub(super) const MAX_DEPTH: usize = 10_000;

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

pub(super) fn is_space(c: u8) -> bool {
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
}
