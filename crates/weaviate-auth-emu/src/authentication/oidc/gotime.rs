//! Go's `time.Time` as go-oidc prints it with `%v`, in the UTC zone Weaviate runs in.
//!
//! go-oidc builds times with `time.Unix(sec, 0)`, whose internal seconds are `sec` plus a fixed
//! offset with wrapping `int64` arithmetic, and Go's calendar works on unsigned "absolute"
//! seconds. Extreme `exp` values (`9223372036854775807`, or a float that overflowed to
//! `-9223372036854775808`) therefore print odd years on the real server. The date arithmetic
//! below follows the same unsigned, wrapping steps so that those texts match too; ordinary
//! dates come out as the familiar `2026-11-23 08:54:32 +0000 UTC`.

/// Seconds from Go's internal epoch (year 1) to the Unix epoch.
pub(crate) const UNIX_TO_INTERNAL: i64 = (1969 * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400) * 86_400;
const ABSOLUTE_YEARS: u64 = 292_277_022_400;
const MARCH_THRU_DECEMBER: u64 = 31 + 30 + 31 + 30 + 31 + 31 + 30 + 31 + 30 + 31;
/// `-(absoluteYears*365.2425 + marchThruDecember) * secondsPerDay`, as Go computes it.
const ABSOLUTE_TO_INTERNAL: i64 = -((ABSOLUTE_YEARS as i64 * 3_652_425 / 10_000 + MARCH_THRU_DECEMBER as i64) * 86_400);
const UNIX_TO_ABSOLUTE: i64 = UNIX_TO_INTERNAL.wrapping_sub(ABSOLUTE_TO_INTERNAL);

/// Appends `x` as Go's `appendInt` does: a `-` for negatives, zero-padded to `width`.
fn append_int(out: &mut String, x: i64, width: usize) {
    let u = if x < 0 {
        out.push('-');
        (x as u64).wrapping_neg()
    } else {
        x as u64
    };
    let digits = u.to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

/// The civil date and clock of Unix second `unix`, by Go's absolute-date algorithm.
fn civil(unix: i64) -> (i64, u64, u64, u64, u64, u64) {
    let abs = (unix as u64).wrapping_add(UNIX_TO_ABSOLUTE as u64);
    let days = abs / 86_400;
    let d = 4u64.wrapping_mul(days).wrapping_add(3);
    let century = d / 146_097;
    let cd = ((d % 146_097) as u32) | 3;
    let prod = 2_939_745u64 * cd as u64;
    let cyear = prod >> 32;
    let ayday = ((prod as u32) / 2_939_745 / 4) as u64;
    let md = 2141 * ayday as u32 + 197_913;
    let amonth = (md >> 16) as u64;
    let mday = 1 + ((md & 0xFFFF) / 2141) as u64;
    let jan_feb = u64::from(ayday >= MARCH_THRU_DECEMBER);
    let year = (century.wrapping_mul(100).wrapping_sub(ABSOLUTE_YEARS) as i64)
        .wrapping_add(cyear as i64)
        .wrapping_add(jan_feb as i64);
    let month = amonth - jan_feb * 12;
    let secs = abs % 86_400;
    (year, month, mday, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `time.Unix(unix, 0).String()` in UTC: `2026-11-23 08:54:32 +0000 UTC`.
pub(crate) fn format_unix(unix: i64) -> String {
    format_with_nanos(unix, 0)
}

/// Go's `2006-01-02 15:04:05.999999999 -0700 MST` layout: trailing zeros of the fraction are
/// dropped, and so is the dot when there are no nanoseconds.
fn format_with_nanos(unix: i64, nanos: u32) -> String {
    let (year, month, day, h, m, s) = civil(unix);
    let mut out = String::with_capacity(40);
    append_int(&mut out, year, 4);
    out.push('-');
    append_int(&mut out, month as i64, 2);
    out.push('-');
    append_int(&mut out, day as i64, 2);
    out.push(' ');
    append_int(&mut out, h as i64, 2);
    out.push(':');
    append_int(&mut out, m as i64, 2);
    out.push(':');
    append_int(&mut out, s as i64, 2);
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// `time.Now().String()`: the wall clock with nanoseconds, then Go's monotonic reading
/// ` m=+<seconds>.<9 digits>`, here the uptime of this process's verifier clock.
pub(crate) fn format_now(unix: i64, nanos: u32, mono: std::time::Duration) -> String {
    let mut out = format_with_nanos(unix, nanos);
    out.push_str(&format!(" m=+{}.{:09}", mono.as_secs(), mono.subsec_nanos()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected texts printed by Go 1.26 (the toolchain of the v1.38.11 build) for
    // `time.Unix(x, 0).UTC().String()`, including the overflow cases.
    #[test]
    fn step12_go_time_text_for_ordinary_and_extreme_seconds() {
        assert_eq!(format_unix(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(format_unix(-1), "1969-12-31 23:59:59 +0000 UTC");
        assert_eq!(format_unix(1_795_251_272), "2026-11-21 08:54:32 +0000 UTC");
        assert_eq!(format_unix(-UNIX_TO_INTERNAL), "0001-01-01 00:00:00 +0000 UTC");
        assert_eq!(format_unix(253_402_300_800), "10000-01-01 00:00:00 +0000 UTC");
        assert_eq!(format_unix(i64::MIN), GO_MIN);
        assert_eq!(format_unix(i64::MAX), GO_MAX);
    }

    const GO_MIN: &str = "292277026596-12-04 15:30:08 +0000 UTC";
    const GO_MAX: &str = "292277026596-12-04 15:30:07 +0000 UTC";

    #[test]
    fn step13_go_now_text_has_nanos_and_monotonic_suffix() {
        let s = format_now(1_795_251_333, 601_963_898, std::time::Duration::new(9, 492_822_773));
        assert_eq!(s, "2026-11-21 08:55:33.601963898 +0000 UTC m=+9.492822773");
        let s = format_now(1_795_251_333, 600_000_000, std::time::Duration::new(0, 5));
        assert_eq!(s, "2026-11-21 08:55:33.6 +0000 UTC m=+0.000000005");
    }
}
