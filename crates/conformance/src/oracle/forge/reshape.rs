//! Segment-level changes to a token: base64 variants, segment counts, whitespace, invalid UTF-8.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;

use super::{Choices, Forge};

impl Forge {
    /// Segment-level changes: base64 variants, segment counts, whitespace, invalid UTF-8.
    pub(super) fn reshape(&self, c: &mut Choices<'_>, token: Vec<u8>, recipe: &mut String) -> Vec<u8> {
        let mut segs: Vec<Vec<u8>> = token.split(|b| *b == b'.').map(<[u8]>::to_vec).collect();
        let kind = c.below(12);
        let i = c.below(segs.len().max(1)).min(segs.len().saturating_sub(1));
        recipe.push_str(&format!("; reshape {kind} at segment {i}"));
        match kind {
            0 => segs[i].push(b'='),
            1 => segs[i].extend_from_slice(b"=="),
            2 => {
                // The standard alphabet: decode and re-encode with + and /.
                if let Ok(raw) = B64.decode(&segs[i]) {
                    segs[i] = STANDARD.encode(raw).trim_end_matches('=').as_bytes().to_vec();
                }
                segs[i] = segs[i]
                    .iter()
                    .map(|b| {
                        if *b == b'-' {
                            b'+'
                        } else if *b == b'_' {
                            b'/'
                        } else {
                            *b
                        }
                    })
                    .collect();
            }
            3 => {
                let at = c.below(segs[i].len() + 1);
                let ws = *c.pick(&[&b"\n"[..], b"\r\n", b" ", b"\t", "\u{a0}".as_bytes(), "\u{2028}".as_bytes()]);
                segs[i].splice(at..at, ws.iter().copied());
            }
            4 => {
                // Non-canonical trailing bits on the last character.
                if let Some(last) = segs[i].last_mut() {
                    *last = match *last {
                        b'A'..=b'Y' | b'a'..=b'y' | b'0'..=b'8' => *last + 1,
                        other => other,
                    };
                }
            }
            5 => {
                segs.pop();
            }
            6 => segs.push(c.pick(&[&b""[..], b"x", b"eyJ9"]).to_vec()),
            7 => {
                segs.push(Vec::new());
                segs.push(b"abc".to_vec());
            }
            8 => {
                let at = c.below(segs[i].len() + 1);
                let bad = *c.pick(&[&b"\xff"[..], b"\xc3\x28", "é".as_bytes(), b"\x00", b"%", b"*"]);
                segs[i].splice(at..at, bad.iter().copied());
            }
            9 => segs = vec![segs.concat()],
            10 => {
                if let Some(s) = segs.get_mut(i) {
                    s.clear();
                }
            }
            _ => {
                let mut out = segs.join(&b'.');
                out.insert(0, *c.pick(b" {.\""));
                return out;
            }
        }
        segs.join(&b'.')
    }
}
