//! Go-compatible JSON: strings escape exactly as Go's `encoding/json`
//! does and read back unchanged, floats format in Go's shortest form and
//! read back to the same value, and any JSON text that parses re-encodes to
//! text that parses to the same value.

use crate::harness::{Rng, run};
use crate::mutate::{mutate_bytes, mutate_json};
use graphstore_guest::format::go_json::{
    format_float, from_slice, numbers_as_go_floats, to_string, to_vec,
};
use serde_json::Value;

/// Cases of random strings.
const STRING_ITERATIONS: usize = 3000;
/// Cases of random floats.
const FLOAT_ITERATIONS: usize = 3000;
/// Cases of mutated JSON texts.
const VALUE_ITERATIONS: usize = 2000;

/// Characters with special meaning somewhere: escaped by Go (quotes,
/// backslash, controls, HTML, line separators), near them in UTF-8, or
/// multi-byte.
const CHARS: [char; 24] = [
    'a', 'Z', '0', ' ', '/', '"', '\\', '<', '>', '&', '\n', '\r', '\t', '\u{0}', '\u{8}', '\u{c}',
    '\u{1f}', '\u{7f}', 'ü', '€', '\u{2027}', '\u{2028}', '\u{2029}', '🦀',
];

/// A random string, mostly of [`CHARS`], sometimes any scalar value.
pub fn random_string(rng: &mut Rng, max_len: usize) -> String {
    (0..rng.small_len(max_len))
        .map(|_| {
            if rng.chance(1, 8) {
                char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}')
            } else {
                *rng.pick(&CHARS)
            }
        })
        .collect()
}

/// Go's `encoding/json` string encoding with HTML escaping, as Go 1.19
/// (containers/storage 1.43's) writes it: an independent oracle.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn fuzz_go_json_strings() {
    run(
        "go_json::strings",
        STRING_ITERATIONS,
        |rng| random_string(rng, 200),
        |text| {
            let encoded = to_string(text);
            if encoded != go_quote(text) {
                return Err(format!(
                    "encoded as {encoded:?}, Go writes {:?}",
                    go_quote(text)
                ));
            }
            match from_slice::<String>(encoded.as_bytes()) {
                Ok(decoded) if &decoded == text => Ok(()),
                other => Err(format!("{encoded:?} decoded as {other:?}")),
            }
        },
    );
}

/// A float and how it was drawn.
#[derive(Debug)]
struct FloatCase(f64);

impl crate::harness::Input for FloatCase {}

#[test]
fn fuzz_go_json_floats() {
    run(
        "go_json::floats",
        FLOAT_ITERATIONS,
        |rng| {
            FloatCase(match rng.below(4) {
                0 => f64::from_bits(rng.next_u64()),
                1 => (rng.next_u64() as i64) as f64 / 1000.0,
                2 => 10f64.powi(rng.between(0, 60) as i32 - 30) * rng.below(100) as f64,
                _ => f64::from(rng.next_u64() as u32) * 1e15,
            })
        },
        |case| {
            let value = case.0;
            if !value.is_finite() {
                return Ok(());
            }
            let text = format_float(value);
            match text.parse::<f64>() {
                Ok(parsed) if parsed.to_bits() == value.to_bits() => {}
                other => {
                    return Err(format!(
                        "{value:e} formatted as {text}, read back {other:?}"
                    ));
                }
            }
            let abs = value.abs();
            let exponent_form = abs != 0.0 && !(1e-6..1e21).contains(&abs);
            if text.contains('e') != exponent_form {
                return Err(format!("{value:e} formatted as {text}"));
            }
            if to_vec(&value) != text.as_bytes() {
                return Err(format!("to_vec({value:e}) differs from {text}"));
            }
            Ok(())
        },
    );
}

/// JSON texts to mutate.
fn json_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = [
        r#"{"a":[1,2.5,{"z":1e21}],"b":"x<y","c":true,"d":null}"#,
        r#"[0,-0,1e-7,12345678901234567890,-9223372036854775808,"\u2028\ud83e\udd80"]"#,
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
        r#""plain string with \"escapes\" \\ \/ \b\f\n\r\t \u0000""#,
    ]
    .iter()
    .map(|text| text.as_bytes().to_vec())
    .collect();
    seeds.extend(crate::records::record_seeds());
    seeds
}

#[test]
fn fuzz_go_json_values() {
    let seeds = json_seeds();
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    run(
        "go_json::values",
        VALUE_ITERATIONS,
        |rng| {
            let mut text = rng.pick(&seeds).clone();
            if rng.chance(1, 2) {
                mutate_json(rng, &mut text);
            }
            if rng.chance(1, 2) {
                mutate_bytes(rng, &mut text, &others);
            }
            text
        },
        |text| {
            let parsed = from_slice::<Value>(text);
            match std::str::from_utf8(text) {
                Err(_) if parsed.is_ok() => return Err("invalid UTF-8 was accepted".into()),
                Err(_) => return Ok(()),
                Ok(text) => {
                    let plain = serde_json::from_str::<Value>(text);
                    if plain.is_ok() != parsed.is_ok() {
                        return Err(format!("from_slice {parsed:?}, serde_json {plain:?}"));
                    }
                }
            }
            let Ok(mut value) = parsed else {
                return Ok(());
            };
            // As Go stores numbers: re-encoding is stable and lossless.
            numbers_as_go_floats(&mut value);
            let encoded = to_vec(&value);
            let mut reparsed: Value = from_slice(&encoded)
                .map_err(|error| format!("re-encoded text does not parse: {error}"))?;
            numbers_as_go_floats(&mut reparsed);
            if reparsed != value {
                return Err(format!(
                    "value changed through encoding: {value} vs {reparsed}"
                ));
            }
            if to_vec(&reparsed) != encoded {
                return Err("encoding is not stable".into());
            }
            Ok(())
        },
    );
}
