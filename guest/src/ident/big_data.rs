//! File names of big-data items: 1.43's `makeBigDataBaseName`.
//!
//! A key made only of `.`, `0-9` and `a-z` is its own file name; any other key
//! becomes `=` plus the padded standard base64 of its bytes. That alphabet
//! has `/` (`ab?` is `=YWI/`): the disk door refuses such a name as not one
//! file name (1.43 fails too, on the missing subdirectory), so no key reaches
//! outside its record's directory. `.` and `..` are refused outright (1.43
//! would let them collide with the directory itself).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The file name under the record's directory that stores item `key`; `None`
/// for keys that cannot be stored safely (empty, `.`, `..`).
pub fn file_name(key: &str) -> Option<String> {
    if key.is_empty() || key == "." || key == ".." {
        return None;
    }
    let plain = key
        .bytes()
        .all(|b| b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase());
    Some(if plain {
        key.to_string()
    } else {
        format!("={}", STANDARD.encode(key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_1_43() {
        let cases = [
            ("manifest", Some("manifest")),
            ("config.json", Some("config.json")),
            (
                "manifest-sha256:1234",
                Some("=bWFuaWZlc3Qtc2hhMjU2OjEyMzQ="),
            ),
            ("sha256:abcdef", Some("=c2hhMjU2OmFiY2RlZg==")),
            ("Key/2", Some("=S2V5LzI=")),
            ("Hello World/Ü", Some("=SGVsbG8gV29ybGQvw5w=")),
            ("../../etc/passwd", Some("=Li4vLi4vZXRjL3Bhc3N3ZA==")),
            ("", None),
            (".", None),
            ("..", None),
        ];
        for (key, expected) in cases {
            assert_eq!(file_name(key).as_deref(), expected, "{key:?}");
        }
    }

    #[test]
    fn encoded_names_never_contain_nul_and_slashes_come_only_from_base64() {
        for key in ["a/b", "/", "\0", "x\u{0}y/..", &"é/".repeat(500)] {
            let name = file_name(key).unwrap();
            assert!(
                !name.contains('/') && !name.contains('\0'),
                "{key:?} -> {name}"
            );
        }
        assert_eq!(file_name("ab?").as_deref(), Some("=YWI/"));
    }
}
