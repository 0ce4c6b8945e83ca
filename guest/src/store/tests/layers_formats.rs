//! Layer diffs in the less common formats: zstd-compressed diffs (and
//! `diff` compressing with zstd), GNU sparse members, header-only members
//! with a negative size.

use super::fixture::{TestStore, failure, sha256};
use super::tar::TarBuilder;
use crate::archive::{ZstdWriter, decompressor};
use crate::disk::{Input, Output};
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
            Input::reader(&mut &tar[..]),
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

/// A tar and the expanded content of each file in it.
type SparseTar = (Vec<u8>, Vec<(String, Vec<u8>)>);

/// A sparse file to make: name, logical size, data fragments (offset, length).
type SparseFile = (&'static str, u64, &'static [(u64, usize)]);

/// Sparse files made on disk with holes, archived by GNU tar with
/// `--sparse` in `format` (`gnu`, or `posix` with `version` 0.0, 0.1,
/// 1.0); `None` where GNU tar is not installed.
fn gnu_sparse_tar(format: &str, version: &str) -> Option<SparseTar> {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let noise = |len: usize, seed: u8| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    };
    // (name, logical size, data fragments)
    let layout: [SparseFile; 5] = [
        ("middle", 200_000, &[(40_960, 8192)]),
        ("head", 1 << 20, &[(0, 4096)]),
        ("tail", 300_000, &[(8192, 100), (299_000, 1000)]),
        (
            "many",
            2 << 20,
            &[
                (0, 512),
                (65_536, 512),
                (131_072, 700),
                (1 << 20, 4096),
                (1_500_000, 10),
                (1_600_000, 10),
                (1_700_000, 10),
            ],
        ),
        ("empty", 50_000, &[]),
    ];
    let mut files = Vec::new();
    for (index, (name, size, fragments)) in layout.iter().enumerate() {
        let file = std::fs::File::create(src.join(name)).unwrap();
        file.set_len(*size).unwrap();
        let mut expected = vec![0u8; *size as usize];
        for &(offset, len) in *fragments {
            let data = noise(len, index as u8 + 1);
            file.write_all_at(&data, offset).unwrap();
            expected[offset as usize..offset as usize + len].copy_from_slice(&data);
        }
        files.push((name.to_string(), expected));
    }
    std::fs::write(src.join("plain"), b"not sparse\n").unwrap();
    files.push(("plain".into(), b"not sparse\n".to_vec()));
    let mut command = std::process::Command::new("tar");
    command.args([
        "--sparse",
        "--format",
        format,
        "--mtime=2020-01-01",
        "--owner=0",
        "--group=0",
    ]);
    if format == "posix" {
        command.arg(format!("--sparse-version={version}"));
        command.args(["--pax-option=delete=atime,delete=ctime"]);
    }
    let output = command
        .arg("-C")
        .arg(&src)
        .args(["-cf", "-", "."])
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some((output.stdout, files))
}

#[test]
fn gnu_pax_sparse_members_are_expanded_and_diff_rebuilds_the_tar() {
    for version in ["0.0", "0.1", "1.0"] {
        let Some((tar, files)) = gnu_sparse_tar("posix", version) else {
            eprintln!("GNU tar not installed; skipped");
            return;
        };
        let mut test = TestStore::new();
        let layer = test.put_layer("sparse", None, &tar);
        assert_eq!(layer.record.uncompressed_digest, sha256(&tar));
        assert_eq!(layer.record.uncompressed_size, tar.len() as i64);
        for (name, expected) in &files {
            let on_disk =
                std::fs::read(test.path(&format!("graph/vfs/dir/sparse/{name}"))).unwrap();
            assert!(on_disk == *expected, "{version}: {name} differs");
        }
        assert!(
            !test.path("graph/vfs/dir/sparse/GNUSparseFile.0").exists(),
            "{version}: the 1.0 placeholder directory is not extracted"
        );
        assert!(
            diff_of(&mut test, "sparse", None) == tar,
            "{version}: diff differs"
        );
    }
}

#[test]
fn old_gnu_sparse_members_are_refused_as_1_43_does() {
    let Some((tar, _)) = gnu_sparse_tar("gnu", "") else {
        eprintln!("GNU tar not installed; skipped");
        return;
    };
    let mut test = TestStore::new();
    let result = test.store.put_layer(
        Some("s"),
        None,
        Vec::new(),
        &Default::default(),
        Input::reader(&mut &tar[..]),
    );
    let (kind, message) = failure(result);
    assert_eq!(kind, ErrorKind::InvalidInput);
    assert!(
        message.starts_with("unhandled tar header type 83 for "),
        "{message}"
    );
}
