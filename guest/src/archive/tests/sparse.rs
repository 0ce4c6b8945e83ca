//! GNU sparse members: map parsing as Go's reader does it, expansion of
//! the content, and tar-split entries that rebuild the stored bytes.

use super::fixtures::{concat, set_checksum, ustar_block};
use crate::archive::header::{BLOCK_SIZE, Block, typeflag};
use crate::archive::pax::parse_records;
use crate::archive::sparse::{
    self, Fragment, MISSING_DATA, PaxSparse, UNREFERENCED_DATA, map_from_data, map_from_records,
    pax_format, validate,
};
use crate::archive::{
    ArchiveError, Disassembler, Entry, EntryKind, SEGMENT_CHUNK_SIZE, assemble, disassemble,
};
use std::io::Read;

const END_OF_ARCHIVE: [u8; 2 * BLOCK_SIZE] = [0; 2 * BLOCK_SIZE];

fn fragments(pairs: &[(i64, i64)]) -> Vec<Fragment> {
    pairs
        .iter()
        .map(|&(offset, length)| Fragment { offset, length })
        .collect()
}

fn pax_record(key: &str, value: &str) -> String {
    let body = key.len() + value.len() + 3;
    let mut len = body + 1;
    while len != body + len.to_string().len() {
        len = body + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

/// A PAX header carrying `records`, padded.
fn pax_header(records: &[(&str, &str)]) -> Vec<u8> {
    let data: String = records.iter().map(|(k, v)| pax_record(k, v)).collect();
    let mut out = ustar_block(
        "PaxHeaders/x",
        typeflag::PAX,
        format!("{:011o}\0", data.len()).as_bytes(),
    )
    .to_vec();
    out.extend_from_slice(data.as_bytes());
    out.resize(out.len().div_ceil(BLOCK_SIZE) * BLOCK_SIZE, 0);
    out
}

/// A regular file member with `data` (padded).
fn file_member(name: &str, data: &[u8]) -> Vec<u8> {
    let mut out = ustar_block(
        name,
        typeflag::REGULAR,
        format!("{:011o}\0", data.len()).as_bytes(),
    )
    .to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK_SIZE) * BLOCK_SIZE, 0);
    out
}

/// A member as read: name, size, content.
type ReadMember = (Vec<u8>, i64, Vec<u8>);

/// Disassembles `tar`, reading every member's content; returns the
/// members and the entries.
fn read_all(tar: &[u8]) -> (Vec<ReadMember>, Vec<Entry>) {
    let mut disassembler = Disassembler::new(tar, Vec::new());
    let mut members = Vec::new();
    while let Some(member) = disassembler.next_member().unwrap() {
        let mut content = Vec::new();
        disassembler.read_to_end(&mut content).unwrap();
        members.push((member.path, member.size, content));
    }
    (members, disassembler.finish().unwrap().sink)
}

/// Reassembles entries that need no file contents.
fn rebuild(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    assemble(entries.iter().cloned().map(Ok), &mut out, |name| {
        panic!("no file content needed, asked for {name:?}")
    })
    .unwrap();
    out
}

#[test]
fn format_0_0_records_fold_into_a_map_as_go_does() {
    let text: String = [
        ("GNU.sparse.size", "100"),
        ("GNU.sparse.numblocks", "2"),
        ("GNU.sparse.offset", "0"),
        ("GNU.sparse.numbytes", "5"),
        ("GNU.sparse.offset", "10"),
        ("GNU.sparse.numbytes", "3"),
    ]
    .iter()
    .map(|(k, v)| pax_record(k, v))
    .collect();
    let records = parse_records(text.as_bytes()).unwrap();
    assert_eq!(records[sparse::key::MAP], b"0,5,10,3");
    assert!(!records.contains_key(sparse::key::OFFSET));
    assert_eq!(pax_format(&records), Some(PaxSparse::InRecords));
    assert_eq!(
        map_from_records(&records).unwrap(),
        fragments(&[(0, 5), (10, 3)])
    );
    let out_of_order =
        pax_record("GNU.sparse.numbytes", "5") + &pax_record("GNU.sparse.offset", "0");
    assert!(parse_records(out_of_order.as_bytes()).is_err());
    assert!(parse_records(pax_record("GNU.sparse.offset", "1,2").as_bytes()).is_err());
}

#[test]
fn versions_are_recognised_as_go_does() {
    let records = |pairs: &[(&str, &str)]| {
        let text: String = pairs.iter().map(|(k, v)| pax_record(k, v)).collect();
        parse_records(text.as_bytes()).unwrap()
    };
    let major_minor =
        |major, minor| records(&[("GNU.sparse.major", major), ("GNU.sparse.minor", minor)]);
    assert_eq!(pax_format(&major_minor("1", "0")), Some(PaxSparse::InData));
    assert_eq!(
        pax_format(&major_minor("0", "1")),
        Some(PaxSparse::InRecords)
    );
    assert_eq!(
        pax_format(&major_minor("0", "0")),
        Some(PaxSparse::InRecords)
    );
    assert_eq!(
        pax_format(&major_minor("2", "0")),
        None,
        "unknown version: not sparse"
    );
    assert_eq!(
        pax_format(&records(&[("GNU.sparse.map", "0,1")])),
        Some(PaxSparse::InRecords)
    );
    assert_eq!(pax_format(&records(&[("path", "x")])), None);
}

#[test]
fn maps_are_parsed_and_validated() {
    assert_eq!(
        map_from_data(b"2\n0\n5\n", 3).unwrap(),
        None,
        "needs more lines"
    );
    assert_eq!(
        map_from_data(b"2\n0\n5\n10\n3\n\0\0", 5).unwrap(),
        Some(fragments(&[(0, 5), (10, 3)]))
    );
    assert!(map_from_data(b"x\n", 1).is_err());
    assert!(map_from_data(b"-1\n", 1).is_err());
    assert!(validate(&fragments(&[(0, 5), (10, 3)]), 13));
    assert!(
        !validate(&fragments(&[(0, 5), (10, 3)]), 12),
        "past the size"
    );
    assert!(!validate(&fragments(&[(0, 5), (4, 3)]), 20), "overlapping");
    assert!(
        !validate(&fragments(&[(10, 1), (0, 1)]), 20),
        "out of order"
    );
    assert!(!validate(&fragments(&[(-1, 1)]), 20));
    assert!(!validate(&fragments(&[(i64::MAX, 1)]), i64::MAX));
    assert!(!validate(&[], -1));
}

/// A PAX 0.1 sparse member: `map`, logical `size`, stored `data`.
fn pax_sparse(name: &str, map: &str, count: usize, size: u64, data: &[u8]) -> Vec<u8> {
    concat(&[
        &pax_header(&[
            ("GNU.sparse.major", "0"),
            ("GNU.sparse.minor", "1"),
            ("GNU.sparse.name", name),
            ("GNU.sparse.size", &size.to_string()),
            ("GNU.sparse.numblocks", &count.to_string()),
            ("GNU.sparse.map", map),
        ]),
        &file_member("GNUSparseFile.0/x", data),
    ])
}

#[test]
fn pax_sparse_content_is_expanded_and_the_tar_split_rebuilds_the_stored_bytes() {
    let tar = concat(&[
        &pax_sparse("s", "2,3,10,2", 2, 16, b"abcde"),
        &file_member("after", b"next"),
        &END_OF_ARCHIVE,
    ]);
    let (members, entries) = read_all(&tar);
    assert_eq!(members[0].0, b"s");
    assert_eq!(members[0].1, 16);
    assert_eq!(members[0].2, b"\0\0abc\0\0\0\0\0de\0\0\0\0");
    assert_eq!(members[1], (b"after".to_vec(), 4, b"next".to_vec()));
    let files: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::File)
        .collect();
    assert_eq!(files[0].name, b"s");
    assert_eq!(
        (files[0].size, files[0].payload.clone()),
        (0, None),
        "no content from the file"
    );
    let mut out = Vec::new();
    assemble(entries.iter().cloned().map(Ok), &mut out, |name| {
        assert_eq!(name, b"after");
        Ok(Box::new(&b"next"[..]))
    })
    .unwrap();
    assert_eq!(out, tar);
}

#[test]
fn large_stored_data_goes_into_segments_of_at_most_one_mebibyte() {
    let data: Vec<u8> = (0..3 * SEGMENT_CHUNK_SIZE + 700)
        .map(|i| (i % 253) as u8)
        .collect();
    let map = format!("4096,{}", data.len());
    let tar = concat(&[
        &pax_sparse("big", &map, 1, 4096 + data.len() as u64 + 5000, &data),
        &END_OF_ARCHIVE,
    ]);
    let (members, entries) = read_all(&tar);
    assert_eq!(members[0].2.len() as u64, 4096 + data.len() as u64 + 5000);
    assert_eq!(&members[0].2[4096..4096 + data.len()], &data[..]);
    assert!(
        entries
            .iter()
            .filter_map(|e| e.payload.as_ref().filter(|_| e.kind == EntryKind::Segment))
            .all(|payload| payload.len() <= SEGMENT_CHUNK_SIZE + 2 * BLOCK_SIZE)
    );
    assert_eq!(rebuild(&entries), tar);
    // Unread content is consumed (and recorded) all the same.
    let entries = disassemble(&tar[..], Vec::new()).unwrap().sink;
    assert_eq!(rebuild(&entries), tar);
}

#[test]
fn map_and_stored_data_must_agree() {
    let error = |tar: &[u8]| disassemble(tar, Vec::new()).unwrap_err();
    let more_mapped = concat(&[&pax_sparse("s", "0,10", 1, 20, b"abc"), &END_OF_ARCHIVE]);
    assert!(matches!(
        error(&more_mapped),
        ArchiveError::InvalidHeader { reason, .. } if reason == MISSING_DATA
    ));
    let less_mapped = concat(&[&pax_sparse("s", "0,1", 1, 20, b"abc"), &END_OF_ARCHIVE]);
    assert!(matches!(
        error(&less_mapped),
        ArchiveError::InvalidHeader { reason, .. } if reason == UNREFERENCED_DATA
    ));
}

#[test]
fn format_1_0_reads_its_map_from_the_data() {
    let mut data = b"2\n1\n2\n600\n3\n".to_vec();
    data.resize(BLOCK_SIZE, 0);
    data.extend_from_slice(b"xyzab");
    let tar = concat(&[
        &pax_header(&[
            ("GNU.sparse.major", "1"),
            ("GNU.sparse.minor", "0"),
            ("GNU.sparse.name", "one"),
            ("GNU.sparse.realsize", "700"),
        ]),
        &file_member("GNUSparseFile.0/one", &data),
        &END_OF_ARCHIVE,
    ]);
    let (members, entries) = read_all(&tar);
    let mut expected = vec![0u8; 700];
    expected[1..3].copy_from_slice(b"xy");
    expected[600..603].copy_from_slice(b"zab");
    assert_eq!(members[0], (b"one".to_vec(), 700, expected));
    assert_eq!(rebuild(&entries), tar);
}

/// An old GNU sparse header (GNU magic) with `entries` in the header
/// (at most 4) and `extension` entries in one extension block.
fn old_gnu_sparse(
    entries: &[(u64, u64)],
    extension: &[(u64, u64)],
    real: u64,
    data: &[u8],
) -> Vec<u8> {
    let mut header: Block = ustar_block(
        "old",
        typeflag::GNU_SPARSE,
        format!("{:011o}\0", data.len()).as_bytes(),
    );
    header[257..265].copy_from_slice(b"ustar  \0");
    let put = |block: &mut [u8], at: usize, (offset, length): (u64, u64)| {
        block[at..at + 12].copy_from_slice(format!("{offset:011o}\0").as_bytes());
        block[at + 12..at + 24].copy_from_slice(format!("{length:011o}\0").as_bytes());
    };
    for (i, &entry) in entries.iter().enumerate() {
        put(&mut header, 386 + 24 * i, entry);
    }
    header[482] = u8::from(!extension.is_empty());
    header[483..495].copy_from_slice(format!("{real:011o}\0").as_bytes());
    set_checksum(&mut header);
    let mut out = header.to_vec();
    if !extension.is_empty() {
        let mut block = [0u8; BLOCK_SIZE];
        for (i, &entry) in extension.iter().enumerate() {
            put(&mut block, 24 * i, entry);
        }
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(BLOCK_SIZE) * BLOCK_SIZE, 0);
    out
}

#[test]
fn old_gnu_sparse_headers_and_extension_blocks_are_read() {
    let entries = [(0, 1), (10, 1), (20, 1), (30, 1)];
    let tar = concat(&[
        &old_gnu_sparse(&entries, &[(40, 2)], 50, b"abcdef"),
        &END_OF_ARCHIVE,
    ]);
    let (members, entries) = read_all(&tar);
    let mut expected = vec![0u8; 50];
    for (i, at) in [0, 10, 20, 30].into_iter().enumerate() {
        expected[at] = b"abcd"[i];
    }
    expected[40..42].copy_from_slice(b"ef");
    assert_eq!(members[0], (b"old".to_vec(), 50, expected));
    assert_eq!(rebuild(&entries), tar);
}
