//! Go path semantics used for duplicate names and whiteouts.

use crate::archive::ArchiveError;
use crate::archive::path::{SeenNames, base, clean, is_whiteout};

#[test]
fn clean_matches_go() {
    let cases: [(&str, &str); 14] = [
        ("", "."),
        (".", "."),
        ("./", "."),
        ("./etc/", "etc"),
        ("etc//hosts", "etc/hosts"),
        ("/", "/"),
        ("/..", "/"),
        ("/../a", "/a"),
        ("a/../..", ".."),
        ("../a/./b/", "../a/b"),
        ("a/b/../c", "a/c"),
        ("//a//b//", "/a/b"),
        ("..", ".."),
        ("a/..", "."),
    ];
    for (path, cleaned) in cases {
        assert_eq!(clean(path.as_bytes()), cleaned.as_bytes(), "{path:?}");
    }
}

#[test]
fn base_and_whiteouts_match_go() {
    let cases: [(&str, &str, bool); 8] = [
        ("", ".", false),
        ("/", "/", false),
        ("etc/.wh.gone", ".wh.gone", true),
        ("./etc/.wh..wh..opq", ".wh..wh..opq", true),
        ("etc/.wh.dir/", ".wh.dir", true),
        (".wh.top", ".wh.top", true),
        ("etc/x.wh.y", "x.wh.y", false),
        (".wh./file", "file", false),
    ];
    for (path, expected_base, whiteout) in cases {
        assert_eq!(base(path.as_bytes()), expected_base.as_bytes(), "{path:?}");
        assert_eq!(is_whiteout(path.as_bytes()), whiteout, "{path:?}");
    }
}

#[test]
fn seen_names_reject_equal_cleaned_paths() {
    let mut seen = SeenNames::default();
    seen.insert(b"etc/exact512").unwrap();
    seen.insert(b"etc/").unwrap();
    let error = seen.insert(b"./etc/exact512").unwrap_err();
    assert!(matches!(&error, ArchiveError::DuplicatePath { name } if name == b"./etc/exact512"));
    assert_eq!(error.to_string(), "duplicates of file paths not supported");
    assert!(seen.insert(b"etc").is_err());
}
