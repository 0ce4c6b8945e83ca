//! JSON encoding as Go's `encoding/json` writes it, so files and `--json`
//! output are byte-identical to containers/storage's.
//!
//! Differences from serde_json's compact output: `<`, `>`, `&`, U+2028 and
//! U+2029 are escaped as `\u003c` …; backspace and form feed are `\u0008` and
//! `\u000c`; floating-point numbers use Go's shortest form (`1`, `1e+21`).

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

/// Serialises `value` as compact, Go-compatible JSON.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    value
        .serialize(&mut ser)
        .expect("serialising to memory cannot fail for plain data");
    out
}

/// Serialises `value` as a Go-compatible JSON string.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    String::from_utf8(to_vec(value)).expect("JSON output is UTF-8")
}

/// Formats a float64 as Go's `encoding/json` does.
pub fn format_float(value: f64) -> String {
    let abs = value.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go: strconv 'e' format, exponent with a sign and at least two
        // digits, then "e-07" cleaned to "e-7".
        let text = format!("{value:e}");
        let (mantissa, exponent) = text.split_once('e').expect("{:e} has an exponent");
        match exponent.strip_prefix('-') {
            Some(negative) => format!("{mantissa}e-{negative}"),
            None => format!("{mantissa}e+{exponent:0>2}"),
        }
    } else {
        format!("{value}")
    }
}

/// A serde_json formatter reproducing Go's escaping and number rules.
struct GoFormatter;

/// First byte of the UTF-8 encodings of U+2028 and U+2029.
const LINE_SEPARATOR_LEAD: u8 = 0xE2;

impl Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Scans bytes, not chars: the escaped characters are `<`, `>`, `&`
        // and U+2028/U+2029 (UTF-8 E2 80 A8 / E2 80 A9); most fragments
        // contain none and are written in one piece.
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut index = 0;
        while index < bytes.len() {
            let (escape, length): (&[u8], usize) = match bytes[index] {
                b'<' => (b"\\u003c", 1),
                b'>' => (b"\\u003e", 1),
                b'&' => (b"\\u0026", 1),
                LINE_SEPARATOR_LEAD => match bytes.get(index + 1..index + 3) {
                    Some([0x80, 0xA8]) => (b"\\u2028", 3),
                    Some([0x80, 0xA9]) => (b"\\u2029", 3),
                    _ => {
                        index += 1;
                        continue;
                    }
                },
                _ => {
                    index += 1;
                    continue;
                }
            };
            writer.write_all(&bytes[start..index])?;
            writer.write_all(escape)?;
            index += length;
            start = index;
        }
        writer.write_all(&bytes[start..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        let escaped: &[u8] = match char_escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"/",
            CharEscape::Backspace => b"\\u0008",
            CharEscape::FormFeed => b"\\u000c",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                return write!(writer, "\\u{byte:04x}");
            }
        };
        writer.write_all(escaped)
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(format_float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }
}

/// The JSON string Go's encoder writes for a Go string holding `bytes`:
/// valid UTF-8 as [`to_string`] writes it, each byte that is not as
/// `\ufffd` (as `encoding/json` replaces them).
pub fn bytes_literal(bytes: &[u8]) -> String {
    let mut literal = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let valid = to_string(chunk.valid());
        literal.push_str(&valid[1..valid.len() - 1]);
        for _ in chunk.invalid() {
            literal.push_str("\\ufffd");
        }
    }
    literal.push('"');
    literal
}

/// Parses a metadata file's JSON. Go's decoder would turn invalid UTF-8
/// into U+FFFD and the next save would write the replacement back; here
/// such a file is an error, so it is refused and left as it is.
pub fn from_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        <serde_json::Error as serde::de::Error>::custom(format_args!(
            "invalid UTF-8 at byte {}",
            err.valid_up_to()
        ))
    })?;
    serde_json::from_str(text)
}

/// Rewrites every number in `value` as a float64, as Go's decoder stores
/// numbers in `map[string]interface{}` (so they re-encode the way Go's do).
pub fn numbers_as_go_floats(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().and_then(serde_json::Number::from_f64) {
                *number = float;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(numbers_as_go_floats),
        serde_json::Value::Object(map) => map.values_mut().for_each(numbers_as_go_floats),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_like_go() {
        let cases = [
            ("plain", r#""plain""#),
            ("a<b>&c", r#""a\u003cb\u003e\u0026c""#),
            ("q\"s\\", r#""q\"s\\""#),
            ("\n\r\t", r#""\n\r\t""#),
            ("\u{8}\u{c}\u{1}\u{1f}", r#""\u0008\u000c\u0001\u001f""#),
            ("\u{7f}", "\"\u{7f}\""),
            ("\u{2028}x\u{2029}", r#""\u2028x\u2029""#),
            ("Ü/é", "\"Ü/é\""),
            // Other characters whose UTF-8 starts like U+2028's stay as they are.
            ("€\u{2027}\u{202a}", "\"€\u{2027}\u{202a}\""),
            ("end\u{2029}", r#""end\u2029""#),
        ];
        for (input, expected) in cases {
            assert_eq!(to_string(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn floats_format_like_go() {
        let cases = [
            (1.0, "1"),
            (-0.5, "-0.5"),
            (100.0, "100"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-10, "-2.5e-10"),
            (0.0, "0"),
            (12345678901234567890.0, "12345678901234567000"),
        ];
        for (input, expected) in cases {
            assert_eq!(format_float(input), expected, "input {input}");
        }
    }

    #[test]
    fn maps_sort_keys_and_numbers_become_floats() {
        let mut value = json!({"b": 2, "a": [1, 2.5, {"z": 1e21}], "c": true});
        numbers_as_go_floats(&mut value);
        assert_eq!(
            to_string(&value),
            r#"{"a":[1,2.5,{"z":1e+21}],"b":2,"c":true}"#
        );
    }

    #[test]
    fn invalid_bytes_become_replacement_escapes() {
        assert_eq!(bytes_literal(b"/caf\xe9<"), r#""/caf\ufffd\u003c""#);
        assert_eq!(bytes_literal(b"\xe9\xa9"), r#""\ufffd\ufffd""#);
        assert_eq!(bytes_literal("ok\u{fffd}".as_bytes()), "\"ok\u{fffd}\"");
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let err = from_slice::<String>(b"\"a\xffb\"").unwrap_err();
        assert_eq!(err.to_string(), "invalid UTF-8 at byte 2");
        assert_eq!(from_slice::<String>(b"\"a\"").unwrap(), "a");
    }
}
