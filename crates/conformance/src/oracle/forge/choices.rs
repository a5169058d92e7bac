//! The choice bytes a forged token is made from (a fuzzer's input or a property test's).

/// Reads choices from bytes; once they run out every choice is 0: the first option, and no
/// change (`chance` is false), so an empty input makes the valid token and a longer one
/// changes it.
#[derive(Debug)]
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Choices<'a> {
    /// Choices from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Choices<'a> {
        Choices { bytes, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let v = u16::from_le_bytes([self.byte(), self.byte()]) as usize;
        v % n
    }

    /// True with about `percent` % probability; false for a 0 byte (an exhausted input).
    pub fn chance(&mut self, percent: u8) -> bool {
        (255 - self.byte() as u16) * 100 / 256 < percent as u16
    }

    /// One element of `items`.
    pub fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_are_deterministic_and_default_to_the_first_option() {
        let mut c = Choices::new(&[]);
        assert_eq!((c.below(7), c.chance(99), *c.pick(&["a", "b"])), (0, false, "a"));
        assert!(Choices::new(&[255]).chance(1));
        let mut a = Choices::new(&[5, 0, 200]);
        let mut b = Choices::new(&[5, 0, 200]);
        assert_eq!((a.below(3), a.chance(50)), (b.below(3), b.chance(50)));
    }
}
