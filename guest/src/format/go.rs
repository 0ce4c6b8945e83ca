//! Go's text conventions that 1.43's messages and flags follow: `%q`
//! quoting, `strconv.ParseBool`, and logrus's text log line. Shared by the
//! store's messages and the CLI.

use super::timestamp::Timestamp;

/// Go's `strconv.Quote` (`%q`) of `text`: printable characters as they
/// are, quotes and backslashes escaped, control and unprintable characters
/// as escapes, bytes that are not UTF-8 as `\xNN`. Unicode printability is
/// approximated by "not a control, format, private-use or non-ASCII-space
/// character".
pub fn quote(text: impl AsRef<[u8]>) -> String {
    let bytes = text.as_ref();
    let mut quoted = String::with_capacity(bytes.len() + 2);
    quoted.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' | '\\' => {
                    quoted.push('\\');
                    quoted.push(c);
                }
                '\x07' => quoted.push_str("\\a"),
                '\x08' => quoted.push_str("\\b"),
                '\x0c' => quoted.push_str("\\f"),
                '\n' => quoted.push_str("\\n"),
                '\r' => quoted.push_str("\\r"),
                '\t' => quoted.push_str("\\t"),
                '\x0b' => quoted.push_str("\\v"),
                c if c < ' ' || c == '\x7f' => quoted.push_str(&format!("\\x{:02x}", c as u32)),
                c if is_printable(c) => quoted.push(c),
                c if (c as u32) < 0x10000 => quoted.push_str(&format!("\\u{:04x}", c as u32)),
                c => quoted.push_str(&format!("\\U{:08x}", c as u32)),
            }
        }
        for byte in chunk.invalid() {
            quoted.push_str(&format!("\\x{byte:02x}"));
        }
    }
    quoted.push('"');
    quoted
}

/// Go's `%q` of a string slice: `["a" "b"]`.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(quote).collect();
    format!("[{}]", quoted.join(" "))
}

/// Go's `unicode.IsPrint` without Unicode tables: controls, non-ASCII spaces,
/// the common format characters and private-use characters are unprintable;
/// unassigned code points are (wrongly) taken as printable.
fn is_printable(c: char) -> bool {
    let unprintable = c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{e000}'..='\u{f8ff}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{e0000}'..='\u{e007f}'
                | '\u{f0000}'..
        );
    !unprintable
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// One logrus text-format line at `time`, as 1.43 writes its log to
/// standard error: `time="…" level=… msg="…"`.
pub fn log_line(time: Timestamp, level: &str, message: &str) -> String {
    format!(
        "time=\"{}\" level={level} msg={}\n",
        time.format(),
        quote(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_follows_strconv_quote() {
        let cases: [(&[u8], &str); 7] = [
            (b"maybe", r#""maybe""#),
            (b"a\tb\n\"\\", r#""a\tb\n\"\\""#),
            (b"\x01\x7f", r#""\x01\x7f""#),
            ("é😀".as_bytes(), "\"é😀\""),
            (
                "\u{a0}\u{200b}\u{e0001}".as_bytes(),
                r#""\u00a0\u200b\U000e0001""#,
            ),
            (b"bad\xffutf8", r#""bad\xffutf8""#),
            (b"", r#""""#),
        ];
        for (text, expected) in cases {
            assert_eq!(quote(text), expected, "{text:?}");
        }
        assert_eq!(
            quote_list(&["0:1".to_string(), "x".to_string()]),
            r#"["0:1" "x"]"#
        );
    }

    #[test]
    fn booleans_parse_as_strconv_parse_bool() {
        for yes in ["1", "t", "T", "true", "TRUE", "True"] {
            assert_eq!(parse_bool(yes), Some(true), "{yes}");
        }
        for no in ["0", "f", "F", "false", "FALSE", "False"] {
            assert_eq!(parse_bool(no), Some(false), "{no}");
        }
        for neither in ["", "yes", "tRUE", "2", " true"] {
            assert_eq!(parse_bool(neither), None, "{neither}");
        }
    }

    #[test]
    fn log_lines_are_logrus_text_format() {
        let time = Timestamp {
            seconds: 1_795_347_373,
            nanoseconds: 0,
            utc_offset: 3600,
        };
        assert_eq!(
            log_line(time, "debug", "cleaned \"x\""),
            "time=\"2026-11-22T12:36:13+01:00\" level=debug msg=\"cleaned \\\"x\\\"\"\n"
        );
    }
}
