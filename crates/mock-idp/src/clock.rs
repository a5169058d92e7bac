//! `Clock`: the tenant's only source of "now" (P142, P143).
//!
//! Every `iat`, `exp`, `nbf`, `auth_time` and every expiry decision of a tenant reads this clock,
//! so a test can freeze it, move it, or run it at an offset without touching the machine's time.
//! HTTP `Date` headers and TLS validity keep real time. A test asks for a change with a
//! [`ClockChange`].

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

/// A change of a tenant's clock (P142): `MockIdp::set_clock`, `Tenant::set_clock`, and
/// `POST {base}/_mock/clock`.
///
/// On the wire it is an object with exactly one member: `{"freeze": true}`, `{"at": 1.8e9}`,
/// `{"advance_s": 60}`, `{"offset_s": -3600}` or `{"real": true}`. Two members, none, or
/// `false` for `freeze` or `real` are refused, naming the members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockChange {
    /// Stop the clock at its current reading (`freeze: true`).
    Freeze,
    /// Freeze at this instant, Unix seconds (`at`).
    FreezeAt(f64),
    /// Move the clock by this many seconds; negative moves it back (`advance_s`).
    Advance(f64),
    /// Run at real time plus this many seconds (`offset_s`).
    Offset(f64),
    /// Follow real time again (`real: true`).
    Real,
}

/// The wire form of a [`ClockChange`]: every member optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    freeze: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    advance_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    real: Option<bool>,
}

impl ClockRequest {
    /// The change this body asks for; the message names the members at fault.
    pub(crate) fn change(self) -> Result<ClockChange, String> {
        let given = [
            self.freeze.map(|_| "freeze"),
            self.at.map(|_| "at"),
            self.advance_s.map(|_| "advance_s"),
            self.offset_s.map(|_| "offset_s"),
            self.real.map(|_| "real"),
        ];
        let given: Vec<&str> = given.into_iter().flatten().collect();
        if given.len() != 1 {
            return Err(format!(
                "{}: give exactly one of freeze, at, advance_s, offset_s, real",
                given.join(", ")
            ));
        }
        match self {
            ClockRequest { freeze: Some(true), .. } => Ok(ClockChange::Freeze),
            ClockRequest { freeze: Some(false), .. } => Err("freeze: only true is meaningful; use {\"real\": true} to unfreeze".to_owned()),
            ClockRequest { at: Some(at), .. } => Ok(ClockChange::FreezeAt(at)),
            ClockRequest { advance_s: Some(s), .. } => Ok(ClockChange::Advance(s)),
            ClockRequest { offset_s: Some(s), .. } => Ok(ClockChange::Offset(s)),
            ClockRequest { real: Some(true), .. } => Ok(ClockChange::Real),
            _ => Err("real: only true is meaningful".to_owned()),
        }
    }
}

impl From<ClockChange> for ClockRequest {
    fn from(change: ClockChange) -> ClockRequest {
        let none = ClockRequest::default();
        match change {
            ClockChange::Freeze => ClockRequest {
                freeze: Some(true),
                ..none
            },
            ClockChange::FreezeAt(at) => ClockRequest { at: Some(at), ..none },
            ClockChange::Advance(s) => ClockRequest {
                advance_s: Some(s),
                ..none
            },
            ClockChange::Offset(s) => ClockRequest { offset_s: Some(s), ..none },
            ClockChange::Real => ClockRequest { real: Some(true), ..none },
        }
    }
}

impl Serialize for ClockChange {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ClockRequest::from(*self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ClockChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ClockChange, D::Error> {
        ClockRequest::deserialize(deserializer)?.change().map_err(serde::de::Error::custom)
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

    #[test]
    fn p142_a_clock_change_is_one_json_member_and_anything_else_names_the_members() {
        use serde_json::json;
        for (wire, change) in [
            (json!({"freeze": true}), ClockChange::Freeze),
            (json!({"at": 1.5}), ClockChange::FreezeAt(1.5)),
            (json!({"advance_s": -2.0}), ClockChange::Advance(-2.0)),
            (json!({"offset_s": 60.0}), ClockChange::Offset(60.0)),
            (json!({"real": true}), ClockChange::Real),
        ] {
            assert_eq!(serde_json::from_value::<ClockChange>(wire.clone()).unwrap(), change);
            assert_eq!(serde_json::to_value(change).unwrap(), wire);
        }
        for (wire, message) in [
            (json!({"advance_s": 1, "real": true}), "advance_s, real: give exactly one of"),
            (json!({}), ": give exactly one of"),
            (json!({"freeze": false}), "freeze: only true is meaningful"),
            (json!({"real": false}), "real: only true is meaningful"),
            (json!({"advance": 1}), "unknown field `advance`"),
        ] {
            let err = serde_json::from_value::<ClockChange>(wire).unwrap_err().to_string();
            assert!(err.starts_with(message), "{err}");
        }
    }
}
