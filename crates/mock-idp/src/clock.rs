//! `Clock`: the tenant's only source of "now" (P142, P143).
//!
//! Every `iat`, `exp`, `nbf`, `auth_time` and every expiry decision of a tenant reads this clock,
//! so a test can freeze it, move it, or run it at an offset without touching the machine's time.
//! HTTP `Date` headers and TLS validity keep real time.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How a tenant clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ClockMode {
    /// Follows real time.
    Real,
    /// Stands still at `at` (Unix seconds, fractional).
    Frozen {
        /// The frozen instant.
        at: f64,
    },
    /// Real time plus `offset_s` seconds (may be negative).
    Offset {
        /// The offset.
        offset_s: f64,
    },
}

/// A tenant clock. Cheap to read; changes take effect for the next request.
#[derive(Debug)]
pub struct Clock {
    mode: Mutex<ClockMode>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            mode: Mutex::new(ClockMode::Real),
        }
    }
}

fn real_now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl Clock {
    /// Now, as fractional Unix seconds.
    pub fn now_f64(&self) -> f64 {
        match *crate::sync::lock(&self.mode) {
            ClockMode::Real => real_now(),
            ClockMode::Frozen { at } => at,
            ClockMode::Offset { offset_s } => real_now() + offset_s,
        }
    }

    /// Now, as whole Unix seconds (NumericDate, truncated).
    pub fn now(&self) -> i64 {
        self.now_f64().floor() as i64
    }

    /// The current mode.
    pub fn mode(&self) -> ClockMode {
        *crate::sync::lock(&self.mode)
    }

    /// Sets the mode.
    pub fn set(&self, mode: ClockMode) {
        *crate::sync::lock(&self.mode) = mode;
    }

    /// Freezes the clock at its current reading.
    pub fn freeze(&self) {
        let now = self.now_f64();
        self.set(ClockMode::Frozen { at: now });
    }

    /// Moves the clock forward (or back, with a negative value) by `secs`.
    pub fn advance(&self, secs: f64) {
        let mut mode = crate::sync::lock(&self.mode);
        *mode = match *mode {
            ClockMode::Real => ClockMode::Offset { offset_s: secs },
            ClockMode::Frozen { at } => ClockMode::Frozen { at: at + secs },
            ClockMode::Offset { offset_s } => ClockMode::Offset { offset_s: offset_s + secs },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p142_frozen_clock_stands_still_and_advances_on_request() {
        let c = Clock::default();
        c.set(ClockMode::Frozen { at: 1_000.5 });
        assert_eq!(c.now(), 1000);
        c.advance(3600.0);
        assert_eq!(c.now(), 4600);
        assert_eq!(c.mode(), ClockMode::Frozen { at: 4600.5 });
    }

    #[test]
    fn p142_offset_clock_runs_ahead_of_real_time() {
        let c = Clock::default();
        c.advance(86_400.0);
        let ahead = c.now() - real_now() as i64;
        assert!((86_399..=86_401).contains(&ahead), "offset was {ahead}");
    }
}
