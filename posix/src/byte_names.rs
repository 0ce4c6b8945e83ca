//! File names that are not UTF-8, carried in strings.
//!
//! Linux file names are bytes, but the `posix` WIT interface and the store's
//! disk API speak strings. A path component that is valid UTF-8 travels as
//! itself; any other travels as [`ENCODED_MARK`] (U+0000) followed by one
//! char per byte (U+0001..U+00FF). A real name can hold neither NUL nor
//! `/`, so an encoded component never clashes with a real one, and a
//! `/`-joined path of encoded components still splits at its `/`s.
//!
//! Only that exact form decodes: a marked component whose bytes would be
//! valid UTF-8 (it would alias the plain name) or that holds NUL, `/` or a
//! char above U+00FF is refused.

use std::borrow::Cow;

/// The first char of a component that carries raw bytes.
pub const ENCODED_MARK: char = '\0';
/// The path separator, as a byte.
const SEPARATOR: u8 = b'/';

/// The string form of one name component's bytes.
pub fn encode_component(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len() * 2 + 1);
            text.push(ENCODED_MARK);
            text.extend(bytes.iter().map(|&byte| char::from(byte)));
            Cow::Owned(text)
        }
    }
}

/// The bytes of a component in string form; `None` when it is marked but
/// not in the exact encoded form.
pub fn decode_component(text: &str) -> Option<Cow<'_, [u8]>> {
    let Some(encoded) = text.strip_prefix(ENCODED_MARK) else {
        return Some(Cow::Borrowed(text.as_bytes()));
    };
    let bytes = encoded
        .chars()
        .map(|c| u8::try_from(c).ok().filter(|&b| b != 0 && b != SEPARATOR))
        .collect::<Option<Vec<u8>>>()?;
    (std::str::from_utf8(&bytes).is_err()).then_some(Cow::Owned(bytes))
}

/// Whether `text` is a component in encoded form (it carries bytes that
/// are not UTF-8).
pub fn is_encoded(text: &str) -> bool {
    text.starts_with(ENCODED_MARK)
}

/// The string form of a `/`-separated path's bytes (each component encoded
/// on its own; the separators stay).
pub fn encode_path(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(
            bytes
                .split(|&b| b == SEPARATOR)
                .map(encode_component)
                .collect::<Vec<_>>()
                .join("/"),
        ),
    }
}

/// The bytes of a path in string form; `None` when one of its components
/// is marked but malformed.
pub fn decode_path(text: &str) -> Option<Cow<'_, [u8]>> {
    if !text.contains(ENCODED_MARK) {
        return Some(Cow::Borrowed(text.as_bytes()));
    }
    let mut bytes = Vec::with_capacity(text.len());
    for (index, component) in text.split('/').enumerate() {
        if index > 0 {
            bytes.push(SEPARATOR);
        }
        bytes.extend_from_slice(&decode_component(component)?);
    }
    Some(Cow::Owned(bytes))
}

/// A path in string form as bytes for display: the decoded bytes, or the
/// string's own bytes when it does not decode.
pub fn display_bytes(text: &str) -> Cow<'_, [u8]> {
    decode_path(text).unwrap_or(Cow::Borrowed(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_names_travel_as_themselves() {
        for name in ["abc", "café", ".wh.x", "日本"] {
            assert_eq!(encode_component(name.as_bytes()), name);
            assert!(matches!(
                encode_component(name.as_bytes()),
                Cow::Borrowed(_)
            ));
            assert_eq!(decode_component(name).unwrap(), name.as_bytes());
            assert!(!is_encoded(name));
        }
    }

    #[test]
    fn other_names_are_marked_one_char_per_byte() {
        let latin1 = b"caf\xe9";
        assert_eq!(encode_component(latin1), "\0caf\u{e9}");
        assert!(is_encoded(&encode_component(latin1)));
        assert_eq!(decode_component("\0caf\u{e9}").unwrap(), &latin1[..]);
        let every_byte: Vec<u8> = (1..=255u8).filter(|&b| b != b'/').collect();
        let text = encode_component(&every_byte);
        assert_eq!(text.chars().count(), every_byte.len() + 1);
        assert_eq!(decode_component(&text).unwrap(), every_byte);
    }

    #[test]
    fn only_the_exact_form_decodes() {
        // Valid UTF-8 behind the mark would alias the plain name.
        assert_eq!(decode_component("\0abc"), None);
        assert_eq!(decode_component("\0"), None);
        // Chars above U+00FF, NUL and `/` are no bytes of a name.
        assert_eq!(decode_component("\0\u{e9}\u{100}"), None);
        assert_eq!(decode_component("\0\u{e9}\0"), None);
        assert_eq!(decode_component("\0\u{e9}/"), None);
    }

    #[test]
    fn paths_encode_component_by_component() {
        let path = b"dir\xff/caf\xe9/plain";
        let text = encode_path(path);
        assert_eq!(text, "\0dir\u{ff}/\0caf\u{e9}/plain");
        assert_eq!(decode_path(&text).unwrap(), &path[..]);
        assert_eq!(encode_path(b"a/b/c"), "a/b/c");
        assert_eq!(decode_path("/abs/./x").unwrap(), &b"/abs/./x"[..]);
        assert_eq!(decode_path("a/\0bad"), None);
        assert_eq!(display_bytes("a/\0bad"), &b"a/\0bad"[..]);
        assert_eq!(display_bytes("\0\u{e9}"), &b"\xe9"[..]);
    }
}
