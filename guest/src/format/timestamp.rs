//! RFC 3339 timestamps as Go's `time.Time` marshals them: nanoseconds with
//! trailing zeros removed, `Z` for UTC, the recorded offset otherwise.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Seconds from 0001-01-01T00:00:00Z (Go's zero time) to the Unix epoch.
const ZERO_TIME_UNIX_SECONDS: i64 = -62_135_596_800;
const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// A point in time plus the UTC offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub seconds: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nanoseconds: u32,
    /// Offset from UTC in seconds (0 = `Z`).
    pub utc_offset: i32,
}

impl Default for Timestamp {
    /// Go's zero time, `0001-01-01T00:00:00Z`.
    fn default() -> Self {
        Timestamp {
            seconds: ZERO_TIME_UNIX_SECONDS,
            nanoseconds: 0,
            utc_offset: 0,
        }
    }
}

/// Why a timestamp did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampError(pub String);

impl fmt::Display for TimestampError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parsing time {:?} as RFC 3339: invalid timestamp",
            self.0
        )
    }
}

impl Timestamp {
    /// A UTC timestamp.
    pub fn utc(seconds: i64, nanoseconds: u32) -> Self {
        Timestamp {
            seconds,
            nanoseconds,
            utc_offset: 0,
        }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let fail = || TimestampError(text.to_string());
        let bytes = text.as_bytes();
        if bytes.len() < 20
            || bytes[4] != b'-'
            || bytes[7] != b'-'
            || bytes[10] != b'T'
            || bytes[13] != b':'
            || bytes[16] != b':'
        {
            return Err(fail());
        }
        // Bytes, not `str` slices: a multi-byte character anywhere in the
        // first 19 bytes is simply not a digit (the checks above and these
        // make byte 19 a character boundary).
        let number = |range: std::ops::Range<usize>| -> Result<i64, TimestampError> {
            let digits = &bytes[range];
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(fail());
            }
            Ok(digits
                .iter()
                .fold(0, |value, digit| value * 10 + i64::from(digit - b'0')))
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(fail());
        }
        let mut rest = &text[19..];
        let mut nanoseconds = 0u32;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 || digits > 9 {
                return Err(fail());
            }
            let value: u32 = fraction[..digits].parse().map_err(|_| fail())?;
            nanoseconds = value * 10u32.pow(9 - digits as u32);
            rest = &fraction[digits..];
        }
        let utc_offset = match rest {
            "Z" => 0,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(fail()),
                };
                let zone = &rest[1..];
                if zone.len() != 5 || zone.as_bytes()[2] != b':' {
                    return Err(fail());
                }
                let hours: i32 = zone[0..2].parse().map_err(|_| fail())?;
                let minutes: i32 = zone[3..5].parse().map_err(|_| fail())?;
                if hours > 23 || minutes > 59 {
                    return Err(fail());
                }
                sign * (hours * 3600 + minutes * 60)
            }
        };
        let local = days_from_civil(year, month, day) * SECONDS_PER_DAY
            + hour * 3600
            + minute * 60
            + second;
        Ok(Timestamp {
            seconds: local - i64::from(utc_offset),
            nanoseconds,
            utc_offset,
        })
    }

    /// Formats as Go's `time.RFC3339Nano` in the recorded offset.
    pub fn format(&self) -> String {
        let local = self.seconds + i64::from(self.utc_offset);
        let days = local.div_euclid(SECONDS_PER_DAY);
        let second_of_day = local.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        // Digits are pushed by hand: records hold several timestamps each
        // and `format!` dominated encoding large record files.
        let mut out = String::with_capacity(FORMATTED_CAPACITY);
        match u64::try_from(year) {
            Ok(year) if year <= MAX_PLAIN_YEAR => push_padded(&mut out, year, 4),
            _ => out.push_str(&format!("{year:04}")),
        }
        out.push('-');
        push_padded(&mut out, month as u64, 2);
        out.push('-');
        push_padded(&mut out, day as u64, 2);
        out.push('T');
        push_padded(&mut out, (second_of_day / 3600) as u64, 2);
        out.push(':');
        push_padded(&mut out, (second_of_day / 60 % 60) as u64, 2);
        out.push(':');
        push_padded(&mut out, (second_of_day % 60) as u64, 2);
        let mut fraction = self.nanoseconds % NANOS_PER_SECOND;
        if fraction != 0 {
            let mut width = 9;
            while fraction.is_multiple_of(10) {
                fraction /= 10;
                width -= 1;
            }
            out.push('.');
            push_padded(&mut out, u64::from(fraction), width);
        }
        if self.utc_offset == 0 {
            out.push('Z');
        } else {
            out.push(if self.utc_offset < 0 { '-' } else { '+' });
            let minutes = u64::from(self.utc_offset.unsigned_abs() / 60);
            push_padded(&mut out, minutes / 60, 2);
            out.push(':');
            push_padded(&mut out, minutes % 60, 2);
        }
        out
    }
}

/// Room for the longest usual timestamp (`2006-01-02T15:04:05.999999999-07:00`).
const FORMATTED_CAPACITY: usize = 35;
/// Years printed as four plain digits; others go through `format!`.
const MAX_PLAIN_YEAR: u64 = 9999;

/// Appends `value` in decimal, zero-padded to at least `width` digits.
fn push_padded(out: &mut String, value: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = value;
    loop {
        start -= 1;
        digits[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in (digits.len() - start)..width {
        out.push('0');
    }
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.format())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Go accepts `null` for a time and leaves it zero.
        let text = Option::<String>::deserialize(deserializer)?;
        match text {
            None => Ok(Timestamp::default()),
            Some(text) => Timestamp::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_go_formats() {
        let cases = [
            "2026-11-22T11:50:26.59233171Z",
            "0001-01-01T00:00:00Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59.000000001Z",
            "2026-11-22T12:50:26.5+01:00",
            "1969-12-31T23:59:59.999999999-05:30",
            "9999-12-31T23:59:59Z",
        ];
        for text in cases {
            assert_eq!(Timestamp::parse(text).unwrap().format(), text);
        }
    }

    #[test]
    fn parses_to_unix_seconds() {
        assert_eq!(
            Timestamp::parse("1970-01-01T00:00:00Z").unwrap(),
            Timestamp::utc(0, 0)
        );
        assert_eq!(
            Timestamp::parse("0001-01-01T00:00:00Z").unwrap(),
            Timestamp::default()
        );
        let zoned = Timestamp::parse("1970-01-01T01:00:00+01:00").unwrap();
        assert_eq!((zoned.seconds, zoned.utc_offset), (0, 3600));
        assert_eq!(
            Timestamp::utc(1_700_000_000, 120_000_000).format(),
            "2023-11-14T22:13:20.12Z"
        );
    }

    #[test]
    fn trailing_fraction_zeros_are_trimmed() {
        let parsed = Timestamp::parse("2026-01-01T00:00:00.100000000Z").unwrap();
        assert_eq!(parsed.format(), "2026-01-01T00:00:00.1Z");
    }

    #[test]
    fn rejects_malformed_text() {
        let cases = [
            "",
            "2026-11-22",
            "2026-11-22 11:50:26Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T11:50:26",
            "2026-11-22T11:50:26.Z",
            "2026-11-22T11:50:26+0100",
            "2026-11-22T11:50:26.1234567890Z",
            "20x6-11-22T11:50:26Z",
        ];
        for text in cases {
            assert!(Timestamp::parse(text).is_err(), "accepted {text:?}");
        }
    }
}
