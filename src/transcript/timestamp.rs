//! Transcript timestamp parsing.
//!
//! Timestamps in transcripts are ISO-8601 strings such as
//! `2026-05-12T07:30:00.123Z`. The reference implementation of this
//! extension is a Python script that does
//!
//! ```python
//! dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
//! if dt.tzinfo is None:
//!     dt = dt.replace(tzinfo=timezone.utc)
//! dt = dt.astimezone(timezone.utc)
//! ```
//!
//! and treats any `ValueError`/`OverflowError` as "no timestamp". This module
//! reproduces that behaviour exactly, including the (sometimes surprising)
//! corner cases of CPython 3.11's C implementation of
//! `datetime.fromisoformat` (`Modules/_datetimemodule.c`):
//!
//! * every `Z` anywhere in the string is first replaced by `+00:00`;
//! * the string must be at least 7 code points long;
//! * dates: `YYYY-MM-DD`, `YYYYMMDD`, ISO week dates `YYYY-Www`, `YYYY-Www-D`,
//!   `YYYYWww`, `YYYYWwwD`; years 0001..=9999;
//! * the date is followed by *any* single character (also non-ASCII) as the
//!   separator, then the time; the separator position is found with
//!   CPython's byte-based heuristic (positions 7, 8 or 10 of the UTF-8 text);
//! * times: `HH`, `HH:MM`, `HH:MM:SS`, `HHMM`, `HHMMSS`, optionally followed by
//!   `.` or `,` and 1 or more fraction digits (only the first 6 are used);
//!   CPython 3.11 also accepts a fraction directly after `HH` or `HH:MM`,
//!   `:` as a fraction separator after `HH:MM:SS`, and ignores trailing
//!   garbage after a full 6-digit fraction when an offset follows; hour 24
//!   is rejected;
//! * offsets `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS[.ffffff]` (minutes and
//!   seconds are not range checked, the total must be strictly less than
//!   24 h; an offset whose whole seconds are zero is UTC, its fraction is
//!   dropped);
//! * naive times are UTC; converting to UTC must stay within years
//!   1..=9999, otherwise the result is `None` (Python's `OverflowError`).
//!
//! The string is handled as UTF-8 bytes with a virtual NUL terminator, just
//! like the C code (which also means an embedded `\0` behaves as in CPython).
//! The overwhelmingly common shape `YYYY-MM-DDTHH:MM:SS[.f+][Z|±HH:MM]` is
//! handled by an allocation-free fast path; everything else goes through a
//! faithful port of the CPython parser.

const US_PER_SEC: i64 = 1_000_000;
const US_PER_DAY: i64 = 86_400 * US_PER_SEC;

/// Days since 1970-01-01 of 0001-01-01 and 9999-12-31.
const MIN_DAY: i64 = days_from_civil(1, 1, 1);
const MAX_DAY: i64 = days_from_civil(9999, 12, 31);
/// Smallest / largest representable instant (Python `datetime.min` / `max`).
const MIN_US: i64 = MIN_DAY * US_PER_DAY;
const MAX_US: i64 = (MAX_DAY + 1) * US_PER_DAY - 1;

/// Multipliers turning a fraction of `n` digits (index `n - 1`) into µs.
const FRACTION_CORRECTION: [i32; 6] = [100_000, 10_000, 1_000, 100, 10, 1];

/// Parses a transcript timestamp; returns microseconds since the Unix epoch, UTC.
///
/// Returns `None` exactly when Python 3.11's
/// `datetime.fromisoformat(s.replace("Z", "+00:00"))` raises, or when the
/// conversion to UTC overflows (see the module documentation).
#[inline]
pub fn parse_timestamp(s: &str) -> Option<i64> {
    match parse_fast(s.as_bytes()) {
        Some(v) => Some(v),
        None => parse_general(s),
    }
}

// ---------------------------------------------------------------------------
// Calendar helpers

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`); valid for any month 1..=12 and day 1..=31.
const fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[inline]
fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

#[inline]
fn days_in_month(y: i32, m: i32) -> i32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Validated calendar date -> days since the epoch (Python's `date()` checks).
#[inline]
fn ymd_to_days(y: i32, m: i32, d: i32) -> Option<i64> {
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y as i64, m as i64, d as i64))
}

/// ISO week date -> days since the epoch, following CPython's `iso_to_ymd`
/// plus the `datetime` constructor's range check.
fn iso_week_to_days(y: i32, week: i32, day: i32) -> Option<i64> {
    // Year 0 can only be produced by the 4-digit parser; CPython's C code then
    // computes a month <= 0 and the constructor rejects it.
    if !(1..=9999).contains(&y) {
        return None;
    }
    let jan1 = days_from_civil(y as i64, 1, 1);
    // Monday = 0; 1970-01-01 was a Thursday.
    let jan1_wd = (jan1 + 3).rem_euclid(7);
    if !(1..53).contains(&week) {
        let long_year = week == 53 && (jan1_wd == 3 || (jan1_wd == 2 && is_leap(y)));
        if !long_year {
            return None;
        }
    }
    if !(1..8).contains(&day) {
        return None;
    }
    let mut week1_monday = jan1 - jan1_wd;
    if jan1_wd > 3 {
        week1_monday += 7;
    }
    let days = week1_monday + (week as i64 - 1) * 7 + (day as i64 - 1);
    if days > MAX_DAY {
        return None; // year 10000
    }
    Some(days)
}

/// Combines validated parts into µs since the epoch (UTC), applying Python's
/// `datetime` constructor checks and the `astimezone` overflow check.
#[inline]
fn finish(days: i64, h: i32, mi: i32, sec: i32, us: i32, offset_us: i64) -> Option<i64> {
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let local = days * US_PER_DAY + (h as i64 * 3600 + mi as i64 * 60 + sec as i64) * US_PER_SEC + us as i64;
    let utc = local - offset_us;
    if !(MIN_US..=MAX_US).contains(&utc) {
        return None;
    }
    Some(utc)
}

// ---------------------------------------------------------------------------
// Fast path: `YYYY-MM-DDTHH:MM:SS[.f+][Z|±HH:MM]`, no allocation.

#[inline(always)]
fn digit(b: u8) -> Option<i32> {
    let d = b.wrapping_sub(b'0');
    if d < 10 {
        Some(d as i32)
    } else {
        None
    }
}

/// Returns `Some` only for strings whose result is certain; `None` means
/// "let the general parser decide".
#[inline]
fn parse_fast(b: &[u8]) -> Option<i64> {
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if head[4] != b'-' || head[7] != b'-' || head[10] != b'T' || head[13] != b':' || head[16] != b':' {
        return None;
    }
    // All 14 digit positions, validated at once.
    const DIGIT_POS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let mut d = [0i32; 14];
    let mut bad = 0u8;
    for (k, &i) in DIGIT_POS.iter().enumerate() {
        let v = head[i].wrapping_sub(b'0');
        bad |= (v > 9) as u8;
        d[k] = v as i32;
    }
    if bad != 0 {
        return None;
    }
    let year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
    let month = d[4] * 10 + d[5];
    let day = d[6] * 10 + d[7];
    let hour = d[8] * 10 + d[9];
    let minute = d[10] * 10 + d[11];
    let second = d[12] * 10 + d[13];

    let mut rest = &b[19..];
    let mut us = 0;
    if let [b'.' | b',', tail @ ..] = rest {
        let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for &c in &tail[..n.min(6)] {
            us = us * 10 + (c - b'0') as i32;
        }
        if n < 6 {
            us *= FRACTION_CORRECTION[n - 1];
        }
        rest = &tail[n..];
    }

    let offset_us = match *rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h1, h2, m1, m2) = (digit(h1)?, digit(h2)?, digit(m1)?, digit(m2)?);
            let secs = ((h1 * 10 + h2) * 3600 + (m1 * 10 + m2) * 60) as i64;
            if secs >= 86_400 {
                return None;
            }
            if sign == b'-' {
                -secs * US_PER_SEC
            } else {
                secs * US_PER_SEC
            }
        }
        _ => return None,
    };

    let days = ymd_to_days(year, month, day)?;
    finish(days, hour, minute, second, us, offset_us)
}

// ---------------------------------------------------------------------------
// General path: port of CPython 3.11 `datetime_fromisoformat`.

/// UTF-8 bytes with a virtual NUL terminator, like a C string.
struct CStr<'a>(&'a [u8]);

impl CStr<'_> {
    #[inline(always)]
    fn at(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
}

#[inline(always)]
fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}

/// CPython `parse_digits`: reads exactly `n` digits at `*p`.
#[inline]
fn parse_digits(s: &CStr, p: &mut usize, n: usize) -> Option<i32> {
    let mut v = 0i32;
    for _ in 0..n {
        let d = digit(s.at(*p))?;
        *p += 1;
        v = v * 10 + d;
    }
    Some(v)
}

/// CPython `_find_isoformat_datetime_separator` (byte positions; may be -1).
fn find_separator(s: &CStr, len: usize) -> isize {
    if len == 7 {
        return 7;
    }
    if s.at(4) == b'-' {
        if s.at(5) == b'W' {
            if len < 8 {
                return -1;
            }
            if len > 8 && s.at(8) == b'-' {
                if len == 9 {
                    return -1;
                }
                if len > 10 && is_digit(s.at(10)) {
                    return 8;
                }
                return 10;
            }
            8
        } else {
            10
        }
    } else if s.at(4) == b'W' {
        let mut idx = 7;
        while idx < len && is_digit(s.at(idx)) {
            idx += 1;
        }
        if idx < 9 {
            idx as isize
        } else if idx % 2 == 0 {
            7
        } else {
            8
        }
    } else {
        8
    }
}

/// CPython `parse_isoformat_date`; returns days since the epoch.
fn parse_date(s: &CStr, sep: isize) -> Option<i64> {
    // `len` is a size_t in C: -1 becomes huge.
    let len = if sep < 0 { usize::MAX } else { sep as usize };
    let mut p = 0usize;
    let year = parse_digits(s, &mut p, 4)?;
    let uses_sep = s.at(p) == b'-';
    if uses_sep {
        p += 1;
    }
    if s.at(p) == b'W' {
        p += 1;
        let week = parse_digits(s, &mut p, 2)?;
        let day = if p < len {
            if uses_sep {
                let c = s.at(p);
                p += 1;
                if c != b'-' {
                    return None;
                }
            }
            parse_digits(s, &mut p, 1)?
        } else {
            1
        };
        return iso_week_to_days(year, week, day);
    }
    let month = parse_digits(s, &mut p, 2)?;
    if uses_sep {
        let c = s.at(p);
        p += 1;
        if c != b'-' {
            return None;
        }
    }
    let day = parse_digits(s, &mut p, 2)?;
    ymd_to_days(year, month, day)
}

/// Result of CPython `parse_hh_mm_ss_ff`: `rv` is -3/-4 (error), 0 (parsed up
/// to the end) or 1 (something follows).
struct Hms {
    rv: i32,
    h: i32,
    m: i32,
    s: i32,
    us: i32,
}

/// CPython `parse_hh_mm_ss_ff(tstr, tstr_end)`.
fn parse_hh_mm_ss_ff(s: &CStr, start: usize, end: usize) -> Hms {
    let mut vals = [0i32; 3];
    let mut out = Hms { rv: 0, h: 0, m: 0, s: 0, us: 0 };
    let mut p = start;
    let mut has_sep = true;
    let mut i = 0;
    while i < 3 {
        match parse_digits(s, &mut p, 2) {
            Some(v) => vals[i] = v,
            None => {
                out.rv = -3;
                return out;
            }
        }
        let c = s.at(p);
        p += 1;
        if i == 0 {
            has_sep = c == b':';
        }
        if p >= end {
            out.rv = (c != 0) as i32;
            out.h = vals[0];
            out.m = vals[1];
            out.s = vals[2];
            return out;
        } else if has_sep && c == b':' {
            i += 1;
            continue;
        } else if c == b'.' || c == b',' {
            break;
        } else if !has_sep {
            p -= 1;
        } else {
            out.rv = -4;
            return out;
        }
        i += 1;
    }
    out.h = vals[0];
    out.m = vals[1];
    out.s = vals[2];

    // Fractional part; here p < end.
    let to_parse = (end - p).min(6);
    let Some(mut us) = parse_digits(s, &mut p, to_parse) else {
        out.rv = -3;
        return out;
    };
    us *= FRACTION_CORRECTION[to_parse - 1];
    while is_digit(s.at(p)) {
        p += 1;
    }
    out.us = us;
    out.rv = (s.at(p) != 0) as i32;
    out
}

/// CPython `parse_isoformat_time` + `tzinfo_from_isoformat_results`.
/// Returns (h, m, s, us, offset in µs).
fn parse_time(s: &CStr, start: usize, len: usize) -> Option<(i32, i32, i32, i32, i64)> {
    let p_end = start + len;
    let mut tz = start;
    loop {
        let c = s.at(tz);
        if c == b'Z' || c == b'+' || c == b'-' {
            break;
        }
        tz += 1;
        if tz >= p_end {
            break;
        }
    }

    let t = parse_hh_mm_ss_ff(s, start, tz);
    if t.rv < 0 {
        return None;
    }
    if tz == p_end {
        return if t.rv == 1 { None } else { Some((t.h, t.m, t.s, t.us, 0)) };
    }
    if s.at(tz) == b'Z' {
        // Unreachable after the `Z` replacement, kept for fidelity.
        return if s.at(tz + 1) != 0 { None } else { Some((t.h, t.m, t.s, t.us, 0)) };
    }
    let negative = s.at(tz) == b'-';
    let z = parse_hh_mm_ss_ff(s, tz + 1, p_end);
    if z.rv != 0 {
        return None;
    }
    let mut secs = z.h as i64 * 3600 + z.m as i64 * 60 + z.s as i64;
    let mut frac = z.us as i64;
    if negative {
        secs = -secs;
        frac = -frac;
    }
    // A zero whole-second offset becomes `timezone.utc`, dropping the fraction.
    let offset_us = if secs == 0 { 0 } else { secs * US_PER_SEC + frac };
    if offset_us.abs() >= US_PER_DAY {
        return None;
    }
    Some((t.h, t.m, t.s, t.us, offset_us))
}

#[cold]
fn parse_general(s: &str) -> Option<i64> {
    let replaced;
    let bytes: &[u8] = if s.as_bytes().contains(&b'Z') {
        replaced = s.replace('Z', "+00:00");
        replaced.as_bytes()
    } else {
        s.as_bytes()
    };
    // Python requires at least 7 code points (a code point is <= 4 bytes).
    if bytes.len() < 7 || (bytes.len() < 28 && bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() < 7) {
        return None;
    }
    let len = bytes.len();
    let s = CStr(bytes);

    let sep = find_separator(&s, len);
    let days = parse_date(&s, sep)?;
    if sep < 0 {
        return None; // parse_date cannot succeed in this case; defensive
    }
    let (h, m, sec, us, offset_us) = if (len as isize) > sep {
        // Skip the separator character (one UTF-8 sequence).
        let lead = s.at(sep as usize);
        let width = if lead & 0x80 == 0 {
            1
        } else {
            match lead & 0xF0 {
                0xE0 => 3,
                0xF0 => 4,
                _ => 2,
            }
        };
        let start = sep as usize + width;
        parse_time(&s, start, len.saturating_sub(start))?
    } else {
        (0, 0, 0, 0, 0)
    };
    finish(days, h, m, sec, us, offset_us)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, expected) pairs; expected values were produced by Python 3.11.7:
    /// `fromisoformat(s.replace("Z", "+00:00"))`, naive -> UTC, `.astimezone(utc)`.
    const CASES: &[(&str, Option<i64>)] = &[
        ("2026-05-12T07:30:00.123Z", Some(1_778_571_000_123_000)), // fast path, millis + Z
        ("2026-05-12T07:30:00Z", Some(1_778_571_000_000_000)),     // fast path, no fraction
        ("2026-05-12T07:30:00", Some(1_778_571_000_000_000)),      // fast path, naive is UTC
        ("2026-05-12T07:30:00+05:30", Some(1_778_551_200_000_000)), // fast path, +05:30
        ("2026-05-12T07:30:00.123456Z", Some(1_778_571_000_123_456)), // fast path, micros
        ("1970-01-01T00:00:00Z", Some(0)),                         // epoch
        ("1969-12-31T23:59:59.999999Z", Some(-1)),                 // before epoch
        ("2026-05-12T07:30:00-0800", Some(1_778_599_800_000_000)), // basic offset -0800
        ("2026-05-12T07:30:00-08", Some(1_778_599_800_000_000)),   // hour-only offset
        ("2026-05-12T07:30:00+05:30:15", Some(1_778_551_185_000_000)), // offset with seconds
        ("2026-05-12T07:30:00+05:99", Some(1_778_547_060_000_000)), // offset minutes not range-checked
        ("2026-05-12T07:30:00+24:00", None),                       // offset 24h
        ("2026-05-12T07:30:00-00:00:01.5", Some(1_778_571_001_500_000)), // offset fraction
        ("2026-05-12T07:30:00+00:00:00.5", Some(1_778_571_000_000_000)), // zero offset drops fraction
        ("2026-05-12T07:30:00.1", Some(1_778_571_000_100_000)),    // fraction 1 digit
        ("2026-05-12T07:30:00.123", Some(1_778_571_000_123_000)),  // fraction 3 digits
        ("2026-05-12T07:30:00.123456", Some(1_778_571_000_123_456)), // fraction 6 digits
        ("2026-05-12T07:30:00.123456789Z", Some(1_778_571_000_123_456)), // fraction 9 digits truncated
        ("2026-05-12T07:30:00,5", Some(1_778_571_000_500_000)),    // comma fraction
        ("2026-05-12T07:30:00.", None),                            // empty fraction
        ("2026-05-12", Some(1_778_544_000_000_000)),               // date only
        ("20260512", Some(1_778_544_000_000_000)),                 // basic date
        ("20260512T073000.5", Some(1_778_571_000_500_000)),        // basic date and time
        ("2026-05-12T0730", Some(1_778_571_000_000_000)),          // basic time HHMM
        ("2026-05-12T07", Some(1_778_569_200_000_000)),            // hour only
        ("2026-05-12 07:30", Some(1_778_571_000_000_000)),         // space separator
        ("2026-05-12é07:30", Some(1_778_571_000_000_000)),         // non-ASCII separator
        ("2026-05-12😀07:30", Some(1_778_571_000_000_000)),        // emoji separator
        ("2026-W20-2", Some(1_778_544_000_000_000)),               // week date
        ("2026-W20", Some(1_778_457_600_000_000)),                 // week date, no day
        ("2026W202T10", Some(1_778_580_000_000_000)),              // basic week date with time
        ("2020-W53-7", Some(1_609_632_000_000_000)),               // week 53 ok
        ("2021-W53-1", None),                                      // week 53 invalid
        ("2026-05-12T24:00", None),                                // hour 24 rejected
        ("2026-02-29T00:00", None),                                // Feb 29 non-leap
        ("2024-02-29T00:00", Some(1_709_164_800_000_000)),         // Feb 29 leap
        ("0000-01-01", None),                                      // year 0
        ("0001-01-01T00:00:00Z", Some(-62_135_596_800_000_000)),   // year 1
        ("0001-01-01T00:00+00:01", None),                          // year 1 overflows with +offset
        ("0001-01-01T00:00-00:01", Some(-62_135_596_740_000_000)), // year 1 with -offset
        ("9999-12-31T23:59:59.999999", Some(253_402_300_799_999_999)), // max datetime
        ("9999-12-31T23:00-01:00", None),                          // year 9999 overflows with -offset
        ("9999-12-31T23:00+01:00", Some(253_402_293_600_000_000)), // year 9999 with +offset
        ("2020-01-01ZZ", Some(1_577_836_800_000_000)),             // Z in odd place
        ("2020-01-01T10:30+05Z", None),                            // Z after offset
        ("2026-05-12T07:30:00z", None),                            // lowercase z
        ("", None),                                                // empty
        ("not a timestamp", None),                                 // garbage
        ("2026-5", None),                                          // too short
        ("2026-05-12T07:30:00 ", None),                            // trailing space
        ("2026-05-12T07:30:00.123abc", None),                      // trailing junk
    ];

    #[test]
    fn matches_python_reference() {
        for &(input, expected) in CASES {
            assert_eq!(parse_timestamp(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn fast_path_agrees_with_general_parser() {
        for &(input, expected) in CASES {
            if let Some(v) = parse_fast(input.as_bytes()) {
                assert_eq!(Some(v), expected, "fast path, input {input:?}");
            }
            assert_eq!(parse_general(input), expected, "general parser, input {input:?}");
        }
    }

    #[test]
    fn common_shapes_take_the_fast_path() {
        for input in [
            "2026-05-12T07:30:00.123Z",
            "2026-05-12T07:30:00Z",
            "2026-05-12T07:30:00.123456+00:00",
            "2026-05-12T07:30:00-08:00",
            "2026-05-12T07:30:00",
        ] {
            assert!(parse_fast(input.as_bytes()).is_some(), "input {input:?}");
        }
    }

    #[test]
    fn embedded_nul_behaves_like_cpython() {
        // CPython's C parser checks for '\0' in places; an embedded NUL acts
        // like an end of string there.
        assert_eq!(parse_timestamp("2020-01-01T12\0"), Some(1_577_880_000_000_000));
        assert_eq!(parse_timestamp("2020-01-01T12:30:45.123\0"), None);
    }

    #[test]
    fn calendar_constants() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(MIN_US, -62_135_596_800_000_000);
        assert_eq!(MAX_US, 253_402_300_799_999_999);
    }
}
