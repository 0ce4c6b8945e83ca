//! Reassembly: verbatim segments, CRC checks, which files are opened.

use super::fixtures::{extract, fixture};
use crate::archive::{ArchiveError, Entry, assemble, crc64_iso};
use std::cell::RefCell;
use std::io::{self, Cursor, Read};

fn run(
    entries: Vec<Entry>,
    files: &[(&str, &[u8])],
) -> (Result<u64, ArchiveError>, Vec<u8>, Vec<Vec<u8>>) {
    let opened = RefCell::new(Vec::new());
    let mut out = Vec::new();
    let result = assemble(entries.into_iter().map(Ok), &mut out, |name| {
        opened.borrow_mut().push(name.to_vec());
        match files.iter().find(|(n, _)| n.as_bytes() == name) {
            Some((_, content)) => Ok(Box::new(Cursor::new(content.to_vec())) as Box<dyn Read>),
            None => Err(ArchiveError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "open {}: no such file or directory",
                    String::from_utf8_lossy(name)
                ),
            ))),
        }
    });
    (result, out, opened.into_inner())
}

#[test]
fn crc64_matches_go_iso_table() {
    let cases: [(&[u8], [u8; 8]); 4] = [
        (b"", [0; 8]),
        (
            b"hello world\n",
            [0x44, 0xE9, 0xCF, 0x3F, 0x57, 0x2A, 0xD9, 0xAC],
        ),
        (b"x", [0x23, 0x10, 0, 0, 0, 0, 0, 0]),
        (
            &[b'a'; 512],
            [0xE8, 0x70, 0xA8, 0x88, 0x88, 0x88, 0x88, 0x88],
        ),
    ];
    for (content, crc) in cases {
        assert_eq!(crc64_iso(content), crc, "{content:?}");
    }
}

#[test]
fn segments_are_written_and_files_opened_only_when_non_empty() {
    let entries = vec![
        Entry::segment(b"head".to_vec(), 0),
        Entry::file(b"empty".to_vec(), 0, None, 1),
        Entry::segment(b"|".to_vec(), 2),
        Entry::file(b"a".to_vec(), 1, Some(crc64_iso(b"x")), 3),
        Entry::segment(Vec::new(), 4),
    ];
    let (result, out, opened) = run(entries, &[("a", b"x")]);
    assert_eq!(result.unwrap(), 6);
    assert_eq!(out, b"head|x");
    assert_eq!(opened, [b"a".to_vec()]);
}

#[test]
fn checksum_mismatch_names_the_file_after_writing_it() {
    let entries = vec![Entry::file(
        "etc/hosts \"q\"".as_bytes().to_vec(),
        1,
        Some(crc64_iso(b"x")),
        0,
    )];
    let (result, out, _) = run(entries, &[("etc/hosts \"q\"", b"y")]);
    assert_eq!(
        result.unwrap_err().to_string(),
        r#"file integrity checksum failed for "etc/hosts \"q\"""#
    );
    assert_eq!(out, b"y", "partial output, as 1.43");
}

#[test]
fn whole_file_is_copied_even_if_longer_than_recorded() {
    let entries = vec![Entry::file(b"f".to_vec(), 1, Some(crc64_iso(b"x")), 0)];
    let (result, out, _) = run(entries, &[("f", b"xyz")]);
    assert!(matches!(result, Err(ArchiveError::ChecksumMismatch { name }) if name == b"f"));
    assert_eq!(out, b"xyz");
}

#[test]
fn open_errors_pass_through_unchanged() {
    let entries = vec![Entry::file(b"etc/.wh.gone".to_vec(), 2, Some([0; 8]), 0)];
    let (result, _, _) = run(entries, &[]);
    assert_eq!(
        result.unwrap_err().to_string(),
        "open etc/.wh.gone: no such file or directory"
    );
}

#[test]
fn checksum_message_escapes_like_go() {
    let error = ArchiveError::ChecksumMismatch {
        name: vec![b'a', b'\n', 0x01, 0xFF, b'\\'],
    };
    assert_eq!(
        error.to_string(),
        r#"file integrity checksum failed for "a\n\x01\xff\\""#
    );
    let error = ArchiveError::ChecksumMismatch {
        name: "üñí ©ode".as_bytes().to_vec(),
    };
    assert_eq!(
        error.to_string(),
        "file integrity checksum failed for \"üñí ©ode\""
    );
}

#[test]
fn entry_errors_stop_assembly() {
    let mut out = Vec::new();
    let entries = vec![
        Ok(Entry::segment(b"a".to_vec(), 0)),
        Err(ArchiveError::Truncated),
    ];
    let result = assemble(entries, &mut out, |_| unreachable!("no files"));
    assert!(matches!(result, Err(ArchiveError::Truncated)));
    assert_eq!(out, b"a");
}

#[test]
fn gzip_tar_split_stream_assembles_directly() {
    let tar = fixture!("pax.tar");
    let extracted = extract(tar);
    let reader = crate::archive::TarSplitReader::gzip(fixture!("pax.tar-split.gz"));
    let mut out = Vec::new();
    let written = assemble(reader, &mut out, |name| {
        Ok(Box::new(Cursor::new(extracted.contents[name].clone())))
    })
    .unwrap();
    assert_eq!(written, tar.len() as u64);
    assert_eq!(out, tar);
}
