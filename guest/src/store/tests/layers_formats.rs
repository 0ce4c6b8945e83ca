//! Layer diffs in the less common formats: zstd-compressed diffs (and
//! `diff` compressing with zstd), GNU sparse members, header-only members
//! with a negative size.

use super::fixture::{TestStore, failure};
use super::tar::TarBuilder;
use crate::archive::{ZstdWriter, decompressor};
use crate::disk::Output;
use crate::error::ErrorKind;
use crate::records::Compression;
use std::io::{Read, Write};

fn diff_of(test: &mut TestStore, to: &str, compression: Option<Compression>) -> Vec<u8> {
    let mut bytes = Vec::new();
    test.store
        .diff(None, to, compression, &mut Output::writer(&mut bytes))
        .expect("diff");
    bytes
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut writer = ZstdWriter::new(Vec::new());
    writer.write_all(bytes).unwrap();
    writer.finish().unwrap()
}

fn unzstd(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    decompressor(Compression::Zstd, bytes)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn sample_tar() -> Vec<u8> {
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"127.0.0.1 localhost\n")
        .file("big", 0o644, &big)
        .symlink("link", "etc/hosts")
        .finish()
}

#[test]
fn diff_of_a_layer_applied_from_zstd_is_zstd_compressed() {
    let mut test = TestStore::new();
    let tar = sample_tar();
    let layer = test.put_layer("z", None, &zstd(&tar));
    assert_eq!(layer.record.compression, Compression::Zstd);
    let diff = diff_of(&mut test, "z", None);
    assert!(diff.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]), "not zstd");
    assert!(diff.len() < tar.len() / 2);
    assert_eq!(unzstd(&diff), tar);
    // An explicit choice still wins, either way.
    assert_eq!(diff_of(&mut test, "z", Some(Compression::None)), tar);
    test.put_layer("plain", None, &tar);
    assert_eq!(
        unzstd(&diff_of(&mut test, "plain", Some(Compression::Zstd))),
        tar
    );
}

#[test]
fn diff_as_xz_is_still_unsupported() {
    let mut test = TestStore::new();
    test.put_layer("z", None, &zstd(&sample_tar()));
    let mut out = Vec::new();
    let result = test.store.diff(
        None,
        "z",
        Some(Compression::Xz),
        &mut Output::writer(&mut out),
    );
    assert_eq!(
        failure(result),
        (
            ErrorKind::Unsupported,
            "unsupported compression format tar.xz".to_string()
        )
    );
}

/// `tar` with the size field of its member at `block` set to -1
/// (base-256), checksum fixed.
fn with_negative_size(mut tar: Vec<u8>, block: usize) -> Vec<u8> {
    let header = &mut tar[block * 512..(block + 1) * 512];
    header[124..136].fill(0xff);
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    tar
}

#[test]
fn header_only_members_with_a_negative_size_are_refused() {
    let cases = [
        (
            TarBuilder::new().file("f", 0o644, b"x").dir("d", 0o755),
            "\"d\" (directory)",
        ),
        (
            TarBuilder::new().file("f", 0o644, b"x").symlink("s", "f"),
            "\"s\" (symbolic link)",
        ),
        (
            TarBuilder::new().file("f", 0o644, b"x").hard_link("h", "f"),
            "\"h\" (hard link)",
        ),
    ];
    for (builder, named) in cases {
        let mut test = TestStore::new();
        let tar = with_negative_size(builder.finish(), 2);
        let result = test.store.put_layer(
            Some("neg"),
            None,
            Vec::new(),
            &Default::default(),
            &mut &tar[..],
        );
        assert_eq!(
            failure(result),
            (
                ErrorKind::InvalidInput,
                format!("invalid archive: {named} has a negative size (-1)")
            )
        );
        assert!(test.store.layer("neg").is_err(), "the layer stays");
    }
}
