//! Disassembly: round trips, equality with containers-storage's tar-split
//! output, members, totals and errors.

use super::fixtures::{concat, extract, fixture, real_tars, set_checksum, ustar_block};
use crate::archive::header::{BLOCK_SIZE, typeflag};
use crate::archive::{
    ArchiveError, Disassembler, Entry, EntryKind, MemberKind, SEGMENT_CHUNK_SIZE, assemble,
    decode_gz, disassemble, encode,
};
use crate::format::timestamp::Timestamp;
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::rc::Rc;

const END_OF_ARCHIVE: [u8; 2 * BLOCK_SIZE] = [0; 2 * BLOCK_SIZE];

/// Reassembles `entries` with file contents from `contents`.
fn reassemble(entries: &[Entry], contents: &HashMap<Vec<u8>, Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    assemble(entries.iter().cloned().map(Ok), &mut out, |name| {
        Ok(Box::new(io::Cursor::new(contents[name].clone())))
    })
    .unwrap();
    out
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn segment_lengths(entries: &[Entry]) -> Vec<usize> {
    entries
        .iter()
        .filter(|e| e.kind == EntryKind::Segment)
        .map(|e| e.payload.as_ref().unwrap().len())
        .collect()
}

fn error_of(tar: &[u8]) -> ArchiveError {
    disassemble(tar, Vec::new()).unwrap_err()
}

#[test]
fn real_tars_round_trip_byte_for_byte() {
    for real in real_tars() {
        let extracted = extract(real.tar);
        let entries = &extracted.done.sink;
        assert_eq!(
            reassemble(entries, &extracted.contents),
            real.tar,
            "{}",
            real.name
        );
    }
}

#[test]
fn entries_equal_containers_storage_tar_split() {
    for real in real_tars() {
        let theirs = decode_gz(real.tar_split_gz).unwrap();
        let ours = extract(real.tar).done.sink;
        let mut their_json = Vec::new();
        flate2::read::MultiGzDecoder::new(real.tar_split_gz)
            .read_to_end(&mut their_json)
            .unwrap();
        assert_eq!(encode(&ours), their_json, "{}", real.name);
        assert_eq!(ours.len(), theirs.len(), "{}", real.name);
        for (ours, theirs) in ours.iter().zip(&theirs) {
            assert_eq!(ours, theirs, "{}", real.name);
        }
    }
}

#[test]
fn containers_storage_tar_split_reassembles_with_our_extraction() {
    for real in real_tars() {
        let theirs = decode_gz(real.tar_split_gz).unwrap();
        let contents = extract(real.tar).contents;
        assert_eq!(reassemble(&theirs, &contents), real.tar, "{}", real.name);
    }
}

#[test]
fn totals_equal_containers_storage_layer_record() {
    for real in real_tars() {
        let done = disassemble(real.tar, Vec::new()).unwrap();
        assert_eq!(done.diff.digest_string(), real.diff_digest, "{}", real.name);
        assert_eq!(
            done.diff.digest_string(),
            sha256_digest(real.tar),
            "{}",
            real.name
        );
        assert_eq!(done.diff.size, real.tar.len() as u64, "{}", real.name);
        assert_eq!(done.uids, real.uids, "{}", real.name);
        assert_eq!(done.gids, real.gids, "{}", real.name);
    }
}

#[test]
fn compressed_inputs_give_the_uncompressed_totals() {
    use crate::archive::SniffingReader;
    let files = [
        fixture!("gnu-b1.tar.gz"),
        fixture!("gnu-b1.tar.bz2"),
        fixture!("gnu-b1.tar.xz"),
        fixture!("gnu-b1.tar.zst"),
    ];
    let plain = disassemble(fixture!("gnu-b1.tar"), Vec::new()).unwrap();
    for file in files {
        let input = SniffingReader::new(file)
            .unwrap()
            .into_decompressed()
            .unwrap();
        let done = disassemble(input, Vec::new()).unwrap();
        assert_eq!(done.diff, plain.diff);
        assert_eq!(done.sink, plain.sink);
    }
}

#[test]
fn the_three_formats_describe_the_same_members() {
    let summary = |tar: &[u8]| {
        extract(tar)
            .members
            .into_iter()
            .map(|m| {
                (
                    m.path.clone(),
                    m.kind(),
                    m.size,
                    m.link_target.clone(),
                    m.uid,
                    m.gid,
                    m.mode,
                )
            })
            .collect::<Vec<_>>()
    };
    let gnu = summary(fixture!("gnu.tar"));
    assert_eq!(gnu.len(), 14);
    assert_eq!(summary(fixture!("pax.tar")), gnu);
    assert_eq!(summary(fixture!("ustar.tar")), gnu);
    let long = format!("./deep/{}/{}.txt", "d".repeat(60), "f".repeat(70));
    assert_eq!(
        gnu[3],
        (
            long.into_bytes(),
            MemberKind::Regular,
            5,
            vec![],
            0,
            0,
            0o644
        )
    );
    assert_eq!(
        gnu[10],
        (
            b"./etc/hosts".to_vec(),
            MemberKind::HardLink,
            0,
            b"./etc/hardlink".to_vec(),
            1000,
            2000,
            0o644
        )
    );
    assert_eq!(
        gnu[11],
        (
            b"./etc/link-to-hosts".to_vec(),
            MemberKind::Symlink,
            0,
            b"hosts".to_vec(),
            0,
            0,
            0o777
        )
    );
    assert_eq!(gnu[4].1, MemberKind::Directory);
}

#[test]
fn pax_members_carry_nanoseconds_and_xattrs() {
    let extracted = extract(fixture!("pax.tar"));
    let hardlink = extracted
        .members
        .iter()
        .find(|m| m.path == b"./etc/hardlink")
        .unwrap();
    assert_eq!(
        hardlink.mtime,
        Timestamp {
            seconds: 1_672_628_645,
            nanoseconds: 123_456_789,
            utc_offset: 0
        }
    );
    assert!(hardlink.atime.is_some());
    assert_eq!(
        hardlink.xattrs.iter().collect::<Vec<_>>(),
        [(&b"user.test".to_vec(), &b"hello".to_vec())]
    );
    assert_eq!(
        (hardlink.uname.as_slice(), hardlink.size),
        (&b"cloudsdk"[..], 12)
    );
    assert_eq!(
        extracted.contents[&b"./etc/hardlink".to_vec()],
        b"hello world\n"
    );
    let gnu = extract(fixture!("gnu.tar"));
    let first = &gnu.members[0];
    assert_eq!(
        first.mtime,
        Timestamp {
            seconds: 1_672_628_645,
            nanoseconds: 0,
            utc_offset: 0
        }
    );
    assert_eq!(first.atime, None);
    assert!(first.xattrs.is_empty());
}

#[test]
fn pax_global_header_is_a_member_as_in_go() {
    let extracted = extract(fixture!("paxglobal.tar"));
    let global = &extracted.members[0];
    assert_eq!(global.kind(), MemberKind::GlobalHeader);
    assert_eq!(global.path, b"/tmp/GlobalHead.1");
    assert_eq!(
        (global.size, global.uid, global.gid, global.mode),
        (0, 0, 0, 0)
    );
    assert_eq!(global.mtime, Timestamp::default());
    assert_eq!(
        global.pax_records.iter().collect::<Vec<_>>(),
        [(&b"comment".to_vec(), &b"hello".to_vec())]
    );
    let names: Vec<_> = extracted.members.iter().map(|m| m.path.clone()).collect();
    assert_eq!(
        names,
        [&b"/tmp/GlobalHead.1"[..], b"etc/hosts", b"etc/empty"]
    );
}

#[test]
fn unread_content_is_consumed_for_the_checksum() {
    let tar = fixture!("gnu.tar");
    let mut disassembler = Disassembler::new(tar, Vec::new());
    while let Some(member) = disassembler.next_member().unwrap() {
        if member.content_len() > 3 {
            let mut head = [0; 3];
            disassembler.read_exact(&mut head).unwrap();
        }
    }
    let done = disassembler.finish().unwrap();
    assert_eq!(done.sink, extract(tar).done.sink);
}

#[test]
fn trailing_data_is_kept_in_chunks_of_one_mebibyte() {
    let tar = fixture!("gnu-b1.tar");
    let trailing = 2 * SEGMENT_CHUNK_SIZE + SEGMENT_CHUNK_SIZE / 2;
    let input = concat(&[tar, &vec![0; trailing]]);
    let extracted = extract(&input);
    let segments = segment_lengths(&extracted.done.sink);
    assert_eq!(
        segments[segments.len() - 5..],
        [
            511 + 2 * BLOCK_SIZE,
            SEGMENT_CHUNK_SIZE,
            SEGMENT_CHUNK_SIZE,
            SEGMENT_CHUNK_SIZE / 2,
            0
        ]
    );
    assert_eq!(extracted.done.diff.size, input.len() as u64);
    assert_eq!(reassemble(&extracted.done.sink, &extracted.contents), input);
}

#[test]
fn trailing_data_of_exactly_one_chunk() {
    let input = concat(&[&END_OF_ARCHIVE, &vec![7; SEGMENT_CHUNK_SIZE]]);
    let done = disassemble(input.as_slice(), Vec::new()).unwrap();
    assert_eq!(
        segment_lengths(&done.sink),
        [2 * BLOCK_SIZE, SEGMENT_CHUNK_SIZE, 0]
    );
}

#[test]
fn empty_input_gives_one_empty_segment() {
    let done = disassemble(&b""[..], Vec::new()).unwrap();
    assert_eq!(done.sink, [Entry::segment(Vec::new(), 0)]);
    assert_eq!(done.diff.size, 0);
    assert_eq!(done.diff.digest_string(), sha256_digest(b""));
    assert!(done.uids.is_empty() && done.gids.is_empty());
}

#[test]
fn archives_ending_early_but_cleanly_still_round_trip() {
    let tar = fixture!("gnu-b1.tar");
    let cases = [
        ("no end blocks", tar.len() - 2 * BLOCK_SIZE),
        ("one end block", tar.len() - BLOCK_SIZE),
        ("inside the last padding", tar.len() - 2 * BLOCK_SIZE - 100),
        (
            "right after the last content",
            tar.len() - 2 * BLOCK_SIZE - 511,
        ),
    ];
    for (case, len) in cases {
        let input = &tar[..len];
        let extracted = extract(input);
        assert_eq!(extracted.members.len(), 9, "{case}");
        assert_eq!(
            reassemble(&extracted.done.sink, &extracted.contents),
            input,
            "{case}"
        );
        assert_eq!(extracted.done.diff.size, len as u64, "{case}");
    }
}

#[test]
fn only_one_header_is_read_ahead() {
    struct Counting<'a> {
        data: &'a [u8],
        consumed: Rc<Cell<usize>>,
    }
    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.data.read(buf)?;
            self.consumed.set(self.consumed.get() + n);
            Ok(n)
        }
    }
    let consumed = Rc::new(Cell::new(0));
    let tar = fixture!("gnu-b1.tar");
    let input = Counting {
        data: tar,
        consumed: consumed.clone(),
    };
    let mut disassembler = Disassembler::new(input, Vec::new());
    let mut expected = Vec::new();
    let mut seen = Vec::new();
    while let Some(member) = disassembler.next_member().unwrap() {
        seen.push(consumed.get());
        expected.push(member.path);
    }
    assert_eq!(seen[..3], [BLOCK_SIZE, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE]);
    assert_eq!(consumed.get(), tar.len());
}

#[test]
fn whiteouts_are_left_out_of_the_id_sets() {
    let mut whiteout = ustar_block("dir/.wh.file", typeflag::REGULAR, b"00000000000\0");
    whiteout[108..116].copy_from_slice(b"0000041\0");
    whiteout[116..124].copy_from_slice(b"0000042\0");
    set_checksum(&mut whiteout);
    let mut owned = ustar_block("dir/file", typeflag::REGULAR, b"00000000000\0");
    owned[108..116].copy_from_slice(&[0x80, 0, 0, 1, 0, 0, 0, 5]);
    owned[116..124].copy_from_slice(b"0000007\0");
    set_checksum(&mut owned);
    let tar = concat(&[&whiteout, &owned, &END_OF_ARCHIVE]);
    let done = disassemble(tar.as_slice(), Vec::new()).unwrap();
    assert_eq!(
        (done.uids, done.gids),
        (vec![5], vec![7]),
        "uids keep their low 32 bits"
    );
}

#[test]
fn header_only_types_have_no_content_whatever_their_size() {
    let dir = ustar_block("dir/", typeflag::DIRECTORY, b"00000000005\0");
    let file = ustar_block("dir/f", typeflag::REGULAR, b"00000000002\0");
    let tar = concat(&[&dir, &file, b"hi", &[0; 510], &END_OF_ARCHIVE]);
    let extracted = extract(&tar);
    assert_eq!(extracted.members[0].size, 5);
    assert_eq!(extracted.members[0].content_len(), 0);
    assert_eq!(extracted.contents[&b"dir/f".to_vec()], b"hi");
    assert_eq!(
        extracted.done.sink[1],
        Entry::file(b"dir/".to_vec(), 5, Some([0; 8]), 1),
        "Go records the empty content's CRC with the header's size"
    );
}

#[test]
fn old_regular_flag_with_a_slash_is_a_directory() {
    let old_dir = ustar_block("olddir/", typeflag::REGULAR_OLD, b"00000000000\0");
    let old_file = ustar_block("oldfile", typeflag::REGULAR_OLD, b"00000000000\0");
    let tar = concat(&[&old_dir, &old_file, &END_OF_ARCHIVE]);
    let kinds: Vec<_> = extract(&tar).members.iter().map(|m| m.kind()).collect();
    assert_eq!(kinds, [MemberKind::Directory, MemberKind::Regular]);
}

#[test]
fn negative_size_is_only_accepted_for_header_only_types() {
    let negative = [0xFF; 12];
    let dir = ustar_block("dir/", typeflag::DIRECTORY, &negative);
    let tar = concat(&[&dir, &END_OF_ARCHIVE]);
    let done = disassemble(tar.as_slice(), Vec::new()).unwrap();
    assert_eq!(done.sink[1], Entry::file(b"dir/".to_vec(), -1, None, 1));
    let file = ustar_block("file", typeflag::REGULAR, &negative);
    let error = error_of(&concat(&[&file, &END_OF_ARCHIVE]));
    assert!(matches!(
        error,
        ArchiveError::InvalidHeader {
            offset: 0,
            reason: "negative size"
        }
    ));
}

#[test]
fn invalid_archives_fail_with_typed_errors() {
    let gnu = fixture!("gnu.tar");
    let gnu_b1 = fixture!("gnu-b1.tar");
    let mut bad_checksum = gnu.to_vec();
    bad_checksum[BLOCK_SIZE + 3] ^= 1;
    let valid = ustar_block("file", typeflag::REGULAR, b"00000000000\0");
    let zero_then_header = concat(&[&[0; BLOCK_SIZE], &valid, &END_OF_ARCHIVE]);
    let huge = ustar_block(
        "huge",
        typeflag::REGULAR,
        &[0x80, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
    );
    let huge_pax = ustar_block("pax", typeflag::PAX, b"00004000001\0");
    let sparse = ustar_block("sparse", typeflag::GNU_SPARSE, b"00000000000\0");
    let pax_sparse_records = b"22 GNU.sparse.major=1\n22 GNU.sparse.minor=0\n";
    let pax_sparse = concat(&[
        &ustar_block(
            "pax",
            typeflag::PAX,
            format!("{:011o}\0", pax_sparse_records.len()).as_bytes(),
        ),
        pax_sparse_records,
        &[0; BLOCK_SIZE - 44],
        &valid,
        &END_OF_ARCHIVE,
    ]);
    let bad_pax_records = b"30 mtime=not-a-time-at-all-x\n";
    let bad_pax = concat(&[
        &ustar_block(
            "pax",
            typeflag::PAX,
            format!("{:011o}\0", bad_pax_records.len()).as_bytes(),
        ),
        bad_pax_records,
        &[0; BLOCK_SIZE - 29],
        &valid,
        &END_OF_ARCHIVE,
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "cut inside a header",
            gnu[..1000].to_vec(),
            "unexpected EOF",
        ),
        (
            "cut inside content",
            gnu_b1[..10 * BLOCK_SIZE + 100].to_vec(),
            "unexpected EOF",
        ),
        (
            "cut inside a long name",
            gnu[..4 * BLOCK_SIZE + 100].to_vec(),
            "unexpected EOF",
        ),
        (
            "cut inside the second end block",
            concat(&[&[0; BLOCK_SIZE], &[0; 100]]),
            "unexpected EOF",
        ),
        (
            "bad checksum",
            bad_checksum,
            "archive/tar: invalid tar header",
        ),
        (
            "zero block then a header",
            zero_then_header,
            "archive/tar: invalid tar header",
        ),
        ("bad PAX time", bad_pax, "archive/tar: invalid tar header"),
        (
            "duplicate path",
            fixture!("dup.tar").to_vec(),
            "duplicates of file paths not supported",
        ),
        (
            "huge size",
            concat(&[&huge, &END_OF_ARCHIVE]),
            "unexpected EOF",
        ),
        (
            "huge PAX header",
            concat(&[&huge_pax, &END_OF_ARCHIVE]),
            "archive/tar: extension header of 1048577 bytes exceeds the 1048576-byte limit",
        ),
        (
            "old GNU sparse type in a ustar header",
            concat(&[&sparse, &END_OF_ARCHIVE]),
            "archive/tar: invalid tar header",
        ),
        (
            "PAX sparse 1.0 without room for its map",
            pax_sparse,
            "unexpected EOF",
        ),
    ];
    for (case, tar, message) in cases {
        assert_eq!(error_of(&tar).to_string(), message, "{case}");
    }
    let error = error_of(&concat(&[&[0; BLOCK_SIZE], &valid]));
    assert!(matches!(
        error,
        ArchiveError::InvalidHeader {
            offset: 512,
            reason: "zero block followed by a non-zero block"
        }
    ));
}

#[test]
fn a_failed_disassembler_stays_failed() {
    let mut disassembler = Disassembler::new(&fixture!("gnu.tar")[..1000], Vec::new());
    assert_eq!(disassembler.next_member().unwrap().unwrap().path, b"./");
    assert!(matches!(
        disassembler.next_member(),
        Err(ArchiveError::Truncated)
    ));
    assert!(matches!(
        disassembler.next_member(),
        Err(ArchiveError::Poisoned)
    ));
    assert!(disassembler.read(&mut [0; 4]).is_err());
    assert!(matches!(disassembler.finish(), Err(ArchiveError::Poisoned)));
}

#[test]
fn truncated_content_read_reports_unexpected_eof() {
    let tar = &fixture!("gnu-b1.tar")[..10 * BLOCK_SIZE + 100];
    let mut disassembler = Disassembler::new(tar, Vec::new());
    let mut last = None;
    while let Some(member) = disassembler.next_member().unwrap() {
        if member.path == b"etc/random1300" {
            last = Some(member);
            break;
        }
    }
    assert!(last.is_some());
    let error = io::copy(&mut disassembler, &mut io::sink()).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn no_prefix_or_corruption_of_a_real_archive_panics() {
    let tar = fixture!("pax.tar");
    for len in (0..tar.len()).step_by(61) {
        let _ = disassemble(&tar[..len], Vec::new());
    }
    // A fixed linear congruential sequence picks the bytes to corrupt.
    let mut state: u32 = 12345;
    for _ in 0..400 {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let at = (state as usize >> 4) % (tar.len() / 2);
        let mut corrupt = tar.to_vec();
        corrupt[at] = (state >> 24) as u8;
        if let Ok(done) = disassemble(corrupt.as_slice(), Vec::new()) {
            assert_eq!(done.diff.size, tar.len() as u64);
        }
    }
}
