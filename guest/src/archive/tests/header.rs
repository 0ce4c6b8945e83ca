//! Header block decoding.

use super::fixtures::{fixture, set_checksum, ustar_block};
use crate::archive::header::{
    BLOCK_SIZE, Block, BlockFormat, block_padding, checksums, is_header_only, parse_block,
    parse_numeric, parse_octal, parse_string, typeflag,
};

fn block_at(tar: &[u8], index: usize) -> Block {
    tar[index * BLOCK_SIZE..(index + 1) * BLOCK_SIZE]
        .try_into()
        .unwrap()
}

#[test]
fn numeric_fields_parse_as_go_does() {
    let cases: [(&[u8], Result<i64, &str>); 14] = [
        (b"0000644\0", Ok(0o644)),
        (b"00000000021\0", Ok(17)),
        (b"  644 \0\0", Ok(0o644)),
        (b"\0\0\0\0\0\0\0\0", Ok(0)),
        (b"        ", Ok(0)),
        (b"12\x0034\0\0\0", Ok(0o12)),
        (b"0000089\0", Err("non-octal numeric field")),
        (b"+000644\0", Err("non-octal numeric field")),
        (b"-000644\0", Err("non-octal numeric field")),
        (&[0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], Ok(1 << 32)),
        (&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], Ok(-1)),
        (&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE], Ok(-2)),
        (
            &[0x80, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            Ok(i64::MAX),
        ),
        (
            &[0x80, 0x80, 0, 0, 0, 0, 0, 0, 0],
            Err("base-256 field overflows"),
        ),
    ];
    for (field, expected) in cases {
        assert_eq!(parse_numeric(field), expected, "field {field:02x?}");
    }
    assert_eq!(parse_octal(b"777777777777"), Ok(0o777777777777));
}

#[test]
fn string_fields_end_at_the_first_nul() {
    assert_eq!(parse_string(b"abc\0def"), b"abc");
    assert_eq!(parse_string(b"abc"), b"abc");
    assert_eq!(parse_string(b"\0abc"), b"");
}

#[test]
fn padding_and_header_only_types() {
    let cases = [
        (0, 0),
        (1, 511),
        (511, 1),
        (512, 0),
        (513, 511),
        (1300, 236),
    ];
    for (size, padding) in cases {
        assert_eq!(block_padding(size), padding, "size {size}");
    }
    for flag in [b'1', b'2', b'3', b'4', b'5', b'6'] {
        assert!(is_header_only(flag));
    }
    for flag in [b'0', b'\0', b'7', b'x', b'g', b'L', b'K', b'S'] {
        assert!(!is_header_only(flag));
    }
}

#[test]
fn gnu_header_fields() {
    let header = parse_block(&block_at(fixture!("gnu.tar"), 17)).unwrap();
    assert_eq!(header.format, BlockFormat::Gnu);
    assert_eq!(header.typeflag, typeflag::REGULAR);
    assert_eq!(header.name, b"./etc/random1300");
    assert_eq!(header.linkname, b"");
    assert_eq!(
        (
            header.size,
            header.mode,
            header.uid,
            header.gid,
            header.mtime
        ),
        (1300, 0o644, 7, 8, 1_672_628_645)
    );
    assert_eq!(
        (header.uname.as_slice(), header.gname.as_slice()),
        (&b"lp"[..], &b"mail"[..])
    );
    assert_eq!((header.atime, header.ctime), (None, None));
}

#[test]
fn gnu_hard_link_header() {
    let header = parse_block(&block_at(fixture!("gnu.tar"), 15)).unwrap();
    assert_eq!(header.typeflag, typeflag::HARD_LINK);
    assert_eq!(header.name, b"./etc/hosts");
    assert_eq!(header.linkname, b"./etc/hardlink");
    assert_eq!((header.uid, header.gid), (1000, 2000));
}

#[test]
fn ustar_prefix_is_joined_onto_the_name() {
    let header = parse_block(&block_at(fixture!("ustar.tar"), 3)).unwrap();
    assert_eq!(header.format, BlockFormat::Ustar);
    let expected = format!("./deep/{}/{}.txt", "d".repeat(60), "f".repeat(70));
    assert_eq!(header.name, expected.as_bytes());
    assert_eq!(header.size, 5);
}

#[test]
fn checksum_accepts_unsigned_and_signed_sums() {
    let mut block = ustar_block("caf\u{e9}", typeflag::REGULAR, b"00000000000\0");
    assert!(parse_block(&block).is_ok());
    let (_, signed) = checksums(&block);
    block[148..156].copy_from_slice(format!("{signed:06o}\0 ").as_bytes());
    assert!(parse_block(&block).is_ok(), "signed sum {signed}");
}

#[test]
fn invalid_blocks_name_the_failed_check() {
    let good = ustar_block("file", typeflag::REGULAR, b"00000000005\0");
    let mut bad_sum = good;
    bad_sum[0] = b'g';
    let mut unparsable_sum = good;
    unparsable_sum[148..156].copy_from_slice(b"zzzzzz\0 ");
    let mut bad_size = ustar_block("file", typeflag::REGULAR, b"0000000009x\0");
    set_checksum(&mut bad_size);
    let cases = [
        (bad_sum, "checksum mismatch"),
        (unparsable_sum, "unparsable checksum field"),
        (bad_size, "non-octal numeric field"),
    ];
    for (block, reason) in cases {
        assert_eq!(parse_block(&block).unwrap_err(), reason);
    }
}

#[test]
fn v7_header_has_no_owner_names() {
    let mut block = ustar_block("old", typeflag::REGULAR_OLD, b"00000000000\0");
    block[257..265].fill(0);
    block[265..269].copy_from_slice(b"root");
    set_checksum(&mut block);
    let header = parse_block(&block).unwrap();
    assert_eq!(header.format, BlockFormat::V7);
    assert_eq!(header.uname, b"");
    assert_eq!(header.name, b"old");
}
