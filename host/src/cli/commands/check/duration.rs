//! Go's `time.ParseDuration`, which `check --max` takes: `[-+]` then one
//! or more `<decimal><unit>` (`1h30m`, `1.5h`, `-90s`, `300ms`), or `0`.
//! Errors are worded as Go's.

/// Nanoseconds per unit, as Go's `unitMap`.
const UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60 * 1_000_000_000),
    ("h", 3600 * 1_000_000_000),
];

/// The most nanoseconds a duration may sum to before the sign (2^63).
const LIMIT: u64 = 1 << 63;

/// Why a duration did not parse (Go's message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError(pub String);

impl std::fmt::Display for DurationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Go's `time` package quoting: printable ASCII kept (`"` and `\`
/// escaped), every other byte as `\xNN`.
fn quote(text: &[u8]) -> String {
    let mut quoted = String::from("\"");
    for &byte in text {
        match byte {
            b'"' | b'\\' => {
                quoted.push('\\');
                quoted.push(char::from(byte));
            }
            b' '..=0x7f => quoted.push(char::from(byte)),
            _ => quoted.push_str(&format!("\\x{byte:02x}")),
        }
    }
    quoted.push('"');
    quoted
}

/// Leading decimal digits of `text` as an integer; `None` on overflow.
fn leading_int(text: &[u8]) -> Option<(u64, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut value: u64 = 0;
    for &digit in &text[..digits] {
        if value > LIMIT / 10 {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
        if value > LIMIT {
            return None;
        }
    }
    Some((value, &text[digits..]))
}

/// Leading fraction digits: the value, its scale (10^digits kept) and the
/// rest; digits past what fits are dropped, as Go does.
fn leading_fraction(text: &[u8]) -> (u64, f64, &[u8]) {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let (mut value, mut scale, mut overflow) = (0u64, 1f64, false);
    for &digit in &text[..digits] {
        if overflow {
            continue;
        }
        if value > (LIMIT - 1) / 10 {
            overflow = true;
            continue;
        }
        let next = value * 10 + u64::from(digit - b'0');
        if next > LIMIT {
            overflow = true;
            continue;
        }
        value = next;
        scale *= 10.0;
    }
    (value, scale, &text[digits..])
}

/// Parses `text` as Go's `time.ParseDuration`; nanoseconds.
pub fn parse(text: &[u8]) -> Result<i64, DurationError> {
    let invalid = || DurationError(format!("time: invalid duration {}", quote(text)));
    let mut rest = text;
    let mut negative = false;
    if let Some((&sign, tail)) = rest.split_first()
        && (sign == b'-' || sign == b'+')
    {
        negative = sign == b'-';
        rest = tail;
    }
    if rest == b"0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        if !(rest[0] == b'.' || rest[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = rest.len();
        let (whole, tail) = leading_int(rest).ok_or_else(invalid)?;
        rest = tail;
        let has_whole = before != rest.len();
        let (mut fraction, mut scale, mut has_fraction) = (0, 1.0, false);
        if rest.first() == Some(&b'.') {
            let before = rest.len() - 1;
            let (value, digits_scale, tail) = leading_fraction(&rest[1..]);
            (fraction, scale, rest) = (value, digits_scale, tail);
            has_fraction = before != rest.len();
        }
        if !has_whole && !has_fraction {
            return Err(invalid());
        }
        let unit_len = rest
            .iter()
            .take_while(|b| !(**b == b'.' || b.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return Err(DurationError(format!(
                "time: missing unit in duration {}",
                quote(text)
            )));
        }
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(&(_, nanos)) = UNITS.iter().find(|(name, _)| name.as_bytes() == unit) else {
            return Err(DurationError(format!(
                "time: unknown unit {} in duration {}",
                quote(unit),
                quote(text)
            )));
        };
        if whole > LIMIT / nanos {
            return Err(invalid());
        }
        let mut value = whole * nanos;
        if fraction > 0 {
            value += (fraction as f64 * (nanos as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(invalid());
            }
        }
        total += value;
        if total > LIMIT {
            return Err(invalid());
        }
    }
    if negative {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::parse;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn parses_what_go_parses() {
        let cases: [(&str, i64); 14] = [
            ("0", 0),
            ("-0", 0),
            ("24h", 24 * 3600 * SECOND),
            ("1h30m", 90 * 60 * SECOND),
            ("1.5h", 90 * 60 * SECOND),
            ("-90s", -90 * SECOND),
            ("+5m", 300 * SECOND),
            ("300ms", 300_000_000),
            ("2us", 2_000),
            ("2\u{b5}s", 2_000),
            ("2\u{3bc}s", 2_000),
            (".5s", SECOND / 2),
            ("1.s", SECOND),
            ("9223372036854775807ns", i64::MAX),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text.as_bytes()), Ok(expected), "{text}");
        }
        assert_eq!(parse(b"-9223372036854775808ns"), Ok(i64::MIN));
    }

    #[test]
    fn refuses_with_go_messages() {
        let cases = [
            ("", "time: invalid duration \"\""),
            ("-", "time: invalid duration \"-\""),
            ("abc", "time: invalid duration \"abc\""),
            ("5", "time: missing unit in duration \"5\""),
            ("5x", "time: unknown unit \"x\" in duration \"5x\""),
            ("1h5", "time: missing unit in duration \"1h5\""),
            (".s", "time: invalid duration \".s\""),
            ("1d", "time: unknown unit \"d\" in duration \"1d\""),
            (
                "3\u{e9}",
                "time: unknown unit \"\\xc3\\xa9\" in duration \"3\\xc3\\xa9\"",
            ),
            (
                "9223372036854775808ns",
                "time: invalid duration \"9223372036854775808ns\"",
            ),
            ("3000000h", "time: invalid duration \"3000000h\""),
        ];
        for (text, message) in cases {
            assert_eq!(parse(text.as_bytes()).unwrap_err().0, message, "{text:?}");
        }
    }
}
