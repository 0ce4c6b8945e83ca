//! tar-split entries: JSON lines byte-identical to Go's, readers and writers.

use super::fixtures::real_tars;
use crate::archive::{
    ArchiveError, Entry, EntryKind, TarSplitReader, decode_gz, encode, encode_gz,
};
use std::io::Read;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn entries_encode_exactly_as_go_writes_them() {
    let cases: [(Entry, &str); 8] = [
        (
            Entry::segment(b"abc".to_vec(), 0),
            r#"{"type":2,"payload":"YWJj","position":0}"#,
        ),
        (
            Entry::segment(Vec::new(), 30),
            r#"{"type":2,"payload":"","position":30}"#,
        ),
        (
            Entry::file(b"./".to_vec(), 0, None, 1),
            r#"{"type":1,"name":"./","payload":null,"position":1}"#,
        ),
        (
            Entry::file(
                b"./etc/exact512".to_vec(),
                512,
                Some([0xE8, 0x70, 0xA8, 0x88, 0x88, 0x88, 0x88, 0x88]),
                17,
            ),
            r#"{"type":1,"name":"./etc/exact512","size":512,"payload":"6HCoiIiIiIg=","position":17}"#,
        ),
        (
            Entry::file(vec![b'a', 0xFF, 0xFE], 0, None, 2),
            r#"{"type":1,"name_raw":"Yf/+","payload":null,"position":2}"#,
        ),
        (
            Entry::file(b"a<b>&c\"d\\".to_vec(), 0, None, 3),
            r#"{"type":1,"name":"a\u003cb\u003e\u0026c\"d\\","payload":null,"position":3}"#,
        ),
        (
            Entry::file("üñí ©ode".as_bytes().to_vec(), -1, None, 4),
            r#"{"type":1,"name":"üñí ©ode","size":-1,"payload":null,"position":4}"#,
        ),
        (
            Entry::file(Vec::new(), 0, None, 5),
            r#"{"type":1,"payload":null,"position":5}"#,
        ),
    ];
    for (entry, line) in cases {
        assert_eq!(
            String::from_utf8(entry.to_json_line()).unwrap(),
            format!("{line}\n")
        );
        let parsed: Vec<Entry> = TarSplitReader::new(line.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(parsed, [entry], "{line}");
    }
}

#[test]
fn real_tar_split_files_reencode_byte_for_byte() {
    for real in real_tars() {
        let entries = decode_gz(real.tar_split_gz).unwrap();
        assert_eq!(encode(&entries), gunzip(real.tar_split_gz), "{}", real.name);
        for (index, entry) in entries.iter().enumerate() {
            assert_eq!(entry.position, index as i64, "{}", real.name);
        }
        assert_eq!(decode_gz(&encode_gz(&entries).unwrap()).unwrap(), entries);
    }
}

#[test]
fn empty_diff_tar_split_is_one_empty_segment() {
    let entries = decode_gz(&encode_gz(&[Entry::segment(Vec::new(), 0)]).unwrap()).unwrap();
    assert_eq!(entries, [Entry::segment(Vec::new(), 0)]);
    assert_eq!(
        encode(&entries),
        b"{\"type\":2,\"payload\":\"\",\"position\":0}\n"
    );
}

#[test]
fn reader_is_as_lenient_as_go_decoder() {
    let text = concat!(
        r#"{"type":2,"payload":"YQ==","position":0} {"position":1,"type":1,"#,
        r#""name":"x","name_raw":null,"size":null,"payload":null,"extra":true}"#,
        "\n\n",
        r#"{"type":1,"name":"ignored","name_raw":"eQ==","payload":null,"position":2}"#
    );
    let entries: Vec<Entry> = TarSplitReader::new(text.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        entries,
        [
            Entry::segment(b"a".to_vec(), 0),
            Entry::file(b"x".to_vec(), 0, None, 1),
            Entry::file(b"y".to_vec(), 0, None, 2),
        ]
    );
}

#[test]
fn reader_errors_end_the_stream() {
    let cases: [(&str, &str); 4] = [
        (
            r#"{"type":3,"payload":null,"position":0}"#,
            "invalid tar-split entry: unknown entry type 3",
        ),
        (
            r#"{"type":2,"payload":"@@","position":0}"#,
            "invalid tar-split entry: ",
        ),
        (r#"{"type":2,"payload":"YQ==""#, "invalid tar-split entry: "),
        (
            concat!(
                r#"{"type":1,"name":"etc/hosts","payload":null,"position":0}"#,
                r#"{"type":1,"name":"./etc//hosts","payload":null,"position":1}"#
            ),
            "duplicates of file paths not supported",
        ),
    ];
    for (text, message) in cases {
        let results: Vec<_> = TarSplitReader::new(text.as_bytes()).collect();
        let error = results.last().unwrap().as_ref().unwrap_err();
        assert!(error.to_string().starts_with(message), "{text}: {error}");
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    }
}

#[test]
fn gzip_errors_are_io_errors() {
    let gz = real_tars()[0].tar_split_gz;
    let error = decode_gz(&gz[..gz.len() / 2]).unwrap_err();
    assert!(matches!(error, ArchiveError::Io(_)), "{error:?}");
}

#[test]
fn entry_kind_codes() {
    assert_eq!(EntryKind::File.code(), 1);
    assert_eq!(EntryKind::Segment.code(), 2);
    assert_eq!(EntryKind::from_code(1), Some(EntryKind::File));
    assert_eq!(EntryKind::from_code(0), None);
}
