//! Compressed layer diffs (gzip and zstd, which the host decodes on a
//! thread of its own when the diff arrives as a stream) against
//! containers-storage 1.43: the same bytes, on standard input and as a
//! file argument, give the same layer records (compressed and
//! uncompressed digests and sizes, compression) and the same tree;
//! damaged ones fail on both, leave no layer and no lock behind.

use crate::common::{self, Roots, run_binary};
use graphstore::{ErrorKind, LayerOptions, Store};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Bytes of the largest file of the test layer: several of the host's
/// 256 KiB chunks.
const BIG_FILE: usize = 1_500_000;
/// Small files in the test layer.
const SMALL_FILES: usize = 200;

/// Content that compresses, but not to nothing.
fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if i % 3 == 0 {
                (state % 16) as u8 + b'a'
            } else {
                b' '
            }
        })
        .collect()
}

/// A layer tar made by GNU tar: a big file, many small ones, a symlink.
fn layer_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("usr/lib")).unwrap();
    std::fs::write(src.join("usr/lib/big.so"), content(BIG_FILE, 1)).unwrap();
    for i in 0..SMALL_FILES {
        std::fs::write(
            src.join(format!("usr/lib/f{i}")),
            content(100 + i * 37, i as u32),
        )
        .unwrap();
    }
    std::os::unix::fs::symlink("lib/big.so", src.join("usr/link")).unwrap();
    common::gnu_tar(&src, &["--mtime=2020-01-01", "--owner=0", "--group=0"])
}

fn gzip(data: &[u8]) -> Vec<u8> {
    common::filter("gzip", &["-c", "-n"], data)
}

fn zstd(data: &[u8]) -> Vec<u8> {
    common::filter("zstd", &["-c", "-q"], data)
}

/// `tar` compressed by `compress` in two parts, concatenated (two gzip
/// members, two zstd frames), split inside the big file.
fn in_two_parts(tar: &[u8], compress: fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let (first, second) = tar.split_at(tar.len() / 3);
    [compress(first), compress(second)].concat()
}

/// One CLI on its own roots.
struct Tool {
    program: std::path::PathBuf,
    roots: Roots,
}

impl Tool {
    fn graphstore() -> Tool {
        Tool {
            program: common::graphstore_cli(),
            roots: Roots::new(),
        }
    }

    fn reference() -> Tool {
        Tool {
            program: common::reference_cli(),
            roots: Roots::new(),
        }
    }

    /// (stdout, stderr, exit code).
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> (Vec<u8>, String, i32) {
        run_binary(&self.program, &self.roots, args, stdin)
    }

    fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        let (out, err, code) = self.run(args, stdin);
        assert_eq!(code, 0, "{} {args:?}: {err}", self.program.display());
        out
    }

    /// Imports `diff` as layer `id`, from standard input or from a file.
    fn import(&self, id: &str, diff: &[u8], from_file: bool) -> (Vec<u8>, String, i32) {
        if from_file {
            let file = self.roots.dir.path().join(format!("{id}.diff"));
            std::fs::write(&file, diff).unwrap();
            let path = file.display().to_string();
            self.run(&["import-layer", "-i", id, "-f", &path], None)
        } else {
            self.run(&["import-layer", "-i", id], Some(diff))
        }
    }

    /// The diff fields of layer `id`'s record.
    fn record(&self, id: &str) -> Vec<String> {
        let out = self.ok(&["layer", "--json", id], None);
        let records = common::json(&String::from_utf8_lossy(&out));
        assert_eq!(records.as_array().map(Vec::len), Some(1), "{records}");
        common::diff_fields(&records[0])
    }

    /// The tree of layer `id`.
    fn tree(&self, id: &str) -> Vec<String> {
        let dir = self.roots.graph().join("vfs/dir").join(id);
        assert!(dir.is_dir(), "{} has no tree", dir.display());
        common::tree(&dir)
    }

    /// The IDs of every layer.
    fn layers(&self) -> String {
        String::from_utf8(self.ok(&["layers"], None)).unwrap()
    }
}

/// Imports each of `diffs` (by label) into both tools, from standard input
/// and from a file, and compares records, trees and the reassembled tar.
fn imports_match_1_43(diffs: &[(&str, Vec<u8>)], tar: &[u8]) {
    let ours = Tool::graphstore();
    let reference = Tool::reference();
    for (label, diff) in diffs {
        for from_file in [false, true] {
            let id = format!("{label}-{}", if from_file { "file" } else { "stdin" });
            for tool in [&ours, &reference] {
                let (_, err, code) = tool.import(&id, diff, from_file);
                assert_eq!(code, 0, "{id}: {err}");
            }
            let record = ours.record(&id);
            assert_eq!(record, reference.record(&id), "{id}");
            assert!(
                record.contains(&format!("compressed-size={}", diff.len())),
                "{id}: {record:?}"
            );
            assert_eq!(ours.tree(&id), reference.tree(&id), "{id}");
            assert_eq!(ours.ok(&["diff", "-u", &id], None), tar, "{id}");
        }
    }
}

#[test]
fn gzip_imports_match_1_43() {
    let tar = layer_tar();
    let single = gzip(&tar);
    let members = in_two_parts(&tar, gzip);
    imports_match_1_43(&[("gz", single), ("gz-members", members)], &tar);
}

#[test]
fn zstd_imports_match_1_43() {
    let tar = layer_tar();
    let single = zstd(&tar);
    let frames = in_two_parts(&tar, zstd);
    imports_match_1_43(&[("zst", single), ("zst-frames", frames)], &tar);
}

/// `applydiff` of a compressed diff records the same as 1.43's.
#[test]
fn compressed_applydiff_matches_1_43() {
    let tar = layer_tar();
    for (label, diff) in [("gz", gzip(&tar)), ("zst", zstd(&tar))] {
        let ours = Tool::graphstore();
        let reference = Tool::reference();
        for tool in [&ours, &reference] {
            tool.ok(&["create-layer", "--id", label], None);
            tool.ok(&["applydiff", label], Some(&diff));
        }
        assert_eq!(ours.record(label), reference.record(label), "{label}");
        assert_eq!(ours.tree(label), reference.tree(label), "{label}");
    }
}

/// `data` with the `len` bytes from `at` inverted.
fn inverted(data: &[u8], at: usize, len: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    for byte in &mut out[at..at + len] {
        *byte = !*byte;
    }
    out
}

/// Damaged diffs, and words graphstore's message must hold ("" when the
/// damage can surface in several ways: as corrupt data or as a bad tar).
fn damaged() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let tar = layer_tar();
    let gz = gzip(&tar);
    let zst = zstd(&tar);
    vec![
        (
            "gz-truncated",
            gz[..gz.len() / 2].to_vec(),
            "incomplete deflate stream",
        ),
        ("gz-bad-crc", inverted(&gz, gz.len() - 8, 1), "checksum"),
        ("gz-corrupt", inverted(&gz, gz.len() / 2, 64), ""),
        (
            "zst-truncated",
            zst[..zst.len() / 2].to_vec(),
            "unexpected EOF",
        ),
        (
            "zst-bad-checksum",
            inverted(&zst, zst.len() - 4, 1),
            "checksum",
        ),
        ("zst-corrupt", inverted(&zst, zst.len() / 2, 64), ""),
    ]
}

#[test]
fn damaged_compressed_diffs_fail_as_in_1_43_and_leave_nothing() {
    let good = gzip(&layer_tar());
    for (label, diff, words) in damaged() {
        for from_file in [false, true] {
            let ours = Tool::graphstore();
            let reference = Tool::reference();
            let (_, our_err, our_code) = ours.import(label, &diff, from_file);
            let (_, _, their_code) = reference.import(label, &diff, from_file);
            assert_eq!(
                our_code, their_code,
                "{label} (file: {from_file}): {our_err}"
            );
            assert_ne!(our_code, 0, "{label}");
            assert!(
                our_err.contains(words) && our_err.trim().len() > 5,
                "{label} (file: {from_file}): {our_err:?} does not say {words:?}"
            );
            assert_eq!(ours.layers(), "", "{label}");
            assert_eq!(ours.layers(), reference.layers(), "{label}");
            let trees = ours.roots.graph().join("vfs/dir");
            assert_eq!(common::tree(&trees), Vec::<String>::new(), "{label}");
            // The store works after the failure.
            let (_, err, code) = ours.import("good", &good, from_file);
            assert_eq!(code, 0, "after {label}: {err}");
        }
    }
}

/// Options whose lock waits fail fast instead of hanging a failing test.
fn impatient(roots: &Roots) -> graphstore::StoreOptions {
    let mut options = roots.options();
    options.limits.lock_timeout = Some(Duration::from_secs(5));
    options
}

#[test]
fn a_failed_library_import_holds_no_lock() {
    let roots = Roots::new();
    let mut store = Store::open(impatient(&roots)).unwrap();
    let mut other = Store::open(impatient(&roots)).unwrap();
    for (label, diff, _) in damaged() {
        let error = store
            .put_layer(
                Some(label),
                None,
                &[],
                &LayerOptions::default(),
                std::io::Cursor::new(diff),
            )
            .unwrap_err();
        assert_eq!(
            error.kind(),
            Some(ErrorKind::InvalidInput),
            "{label}: {error}"
        );
        assert!(store.layers().unwrap().is_empty(), "{label}");
        // Another instance (another holder of the lock files) can write.
        let layer = other
            .create_layer(
                Some(&format!("{label}-after")),
                None,
                &[],
                &LayerOptions::default(),
            )
            .unwrap();
        other.delete_layer(&layer.id).unwrap();
    }
}

/// A reader of `data` that says when it is dropped.
struct Watched {
    data: std::io::Cursor<Vec<u8>>,
    dropped: Arc<AtomicBool>,
}

impl Read for Watched {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        self.data.read(out)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.dropped.store(true, Ordering::SeqCst);
    }
}

/// A diff whose tar is bad early fails at once although much compressed
/// data follows: the host's decoding stops and lets go of the reader.
#[test]
fn a_diff_refused_early_stops_the_decoding() {
    let mut bad_tar = layer_tar();
    bad_tar[148..156].copy_from_slice(b"9999999\0"); // the first header's checksum
    bad_tar.extend(content(16 << 20, 9));
    let diff = zstd(&bad_tar);
    let roots = Roots::new();
    let mut store = Store::open(impatient(&roots)).unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let reader = Watched {
        data: std::io::Cursor::new(diff),
        dropped: Arc::clone(&dropped),
    };
    let error = store
        .put_layer(Some("bad"), None, &[], &LayerOptions::default(), reader)
        .unwrap_err();
    assert_eq!(error.kind(), Some(ErrorKind::InvalidInput), "{error}");
    assert!(error.to_string().contains("invalid tar header"), "{error}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dropped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the decoding thread kept the reader"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(store.layers().unwrap().is_empty());
}

/// The record of a gzip layer imported through the library matches the
/// CLI's (both hand the host a stream).
#[test]
fn library_and_cli_record_the_same_digests() {
    let tar = layer_tar();
    let diff = in_two_parts(&tar, gzip);
    let cli = Tool::graphstore();
    cli.ok(&["import-layer", "-i", "l"], Some(&diff));
    let roots = Roots::new();
    let mut store = roots.open();
    let layer = store
        .put_layer(
            Some("l"),
            None,
            &[],
            &LayerOptions::default(),
            std::io::Cursor::new(diff.clone()),
        )
        .unwrap();
    let record = cli.record("l");
    let digest = |value: &Option<String>| serde_json::json!(value.as_deref().unwrap_or_default());
    assert!(
        record.contains(&format!(
            "compressed-diff-digest={}",
            digest(&layer.compressed_digest)
        )),
        "{record:?} {layer:?}"
    );
    assert_eq!(layer.compressed_size, diff.len() as i64);
    assert!(
        record.contains(&format!(
            "diff-digest={}",
            digest(&layer.uncompressed_digest)
        )),
        "{record:?} {layer:?}"
    );
    assert_eq!(layer.uncompressed_size, tar.len() as i64);
}
