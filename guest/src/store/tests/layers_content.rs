//! Layer contents: `put_layer` extracting a diff into the layer tree (files,
//! directories, links, whiteouts, opaque directories), the digests and
//! sizes it records, `diff` rebuilding the applied tar byte for byte,
//! `changes`/`diff_size` between a parent and a child, and confinement of
//! hostile archives.

use super::fixture::{TestStore, failure, sha256, strings};
use super::tar::{MTIME_SECONDS, TarBuilder, meta};
use crate::changes::{Change, ChangeKind};
use crate::disk::{Input, Output};
use crate::error::ErrorKind;
use crate::records::Compression;
use crate::store::LayerOptions;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;

/// The diff of layer `to` (against `from`) as `diff` writes it.
fn diff_of(
    test: &mut TestStore,
    from: Option<&str>,
    to: &str,
    compression: Option<Compression>,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    test.store
        .diff(from, to, compression, &mut Output::writer(&mut bytes))
        .expect("diff");
    bytes
}

/// Status of `path` (not following a final symlink) in layer `id`'s tree.
fn stat(test: &TestStore, id: &str, path: &str) -> std::fs::Metadata {
    let full = test.path(&format!("graph/vfs/dir/{id}/{path}"));
    full.symlink_metadata()
        .unwrap_or_else(|err| panic!("{}: {err}", full.display()))
}

fn changes(list: &[(&str, ChangeKind)]) -> Vec<Change> {
    list.iter()
        .map(|(path, kind)| Change {
            path: path.to_string(),
            kind: *kind,
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A base layer's diff: a directory per kind of content.
fn base_diff() -> Vec<u8> {
    TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"127.0.0.1 localhost\n")
        .symlink("etc/link", "hosts")
        .hard_link("etc/hosts.bak", "etc/hosts")
        .dir("bin", 0o755)
        .file("bin/tool", 0o4755, b"#!/bin/sh\n")
        .file_with("home/user/notes", &meta(0o600, 1000, 2000), b"mine")
        .dir("tmp", 0o1777)
        .finish()
}

#[test]
fn put_layer_extracts_files_directories_and_links() {
    let mut test = TestStore::new();
    test.put_layer("base", None, &base_diff());
    assert_eq!(
        test.entries("graph/vfs/dir/base"),
        strings(&["bin", "etc", "home", "tmp"])
    );
    assert_eq!(
        test.entries("graph/vfs/dir/base/etc"),
        strings(&["hosts", "hosts.bak", "link"])
    );
    assert_eq!(
        test.read("graph/vfs/dir/base/etc/hosts"),
        b"127.0.0.1 localhost\n"
    );
    assert_eq!(test.read("graph/vfs/dir/base/home/user/notes"), b"mine");
    // (path, permission bits, uid, gid)
    let owners_and_modes = [
        ("", 0o555, 0, 0),
        ("etc", 0o755, 0, 0),
        ("etc/hosts", 0o644, 0, 0),
        ("bin/tool", 0o4755, 0, 0),
        ("home", 0o755, 0, 0),
        ("home/user", 0o755, 0, 0),
        ("home/user/notes", 0o600, 1000, 2000),
        ("tmp", 0o1777, 0, 0),
    ];
    for (path, mode, uid, gid) in owners_and_modes {
        let stat = stat(&test, "base", path);
        assert_eq!(
            (stat.mode() & 0o7777, stat.uid(), stat.gid()),
            (mode, uid, gid),
            "{path:?}"
        );
    }
    assert_eq!(
        std::fs::read_link(test.path("graph/vfs/dir/base/etc/link")).unwrap(),
        std::path::Path::new("hosts")
    );
    let (hosts, copy) = (
        stat(&test, "base", "etc/hosts"),
        stat(&test, "base", "etc/hosts.bak"),
    );
    assert_eq!(
        (copy.dev(), copy.ino()),
        (hosts.dev(), hosts.ino()),
        "hard link"
    );
    assert_eq!(hosts.nlink(), 2);
    // Times come from the archive; directories get theirs after their contents.
    for path in ["etc/hosts", "bin/tool", "etc", "tmp"] {
        assert_eq!(stat(&test, "base", path).mtime(), MTIME_SECONDS, "{path}");
    }
}

#[test]
fn put_layer_records_digests_sizes_and_owners_of_the_diff() {
    let mut test = TestStore::new();
    let tar = base_diff();
    let view = test.put_layer("base", None, &tar);
    let record = test.reopen().layer("base").unwrap().record;
    assert_eq!(record, view.record, "saved as returned");
    assert_eq!(record.uncompressed_digest, sha256(&tar));
    assert_eq!(record.compressed_digest, sha256(&tar));
    assert_eq!(record.uncompressed_size, tar.len() as i64);
    assert_eq!(record.compressed_size, tar.len() as i64);
    assert_eq!(record.compression, Compression::None);
    assert_eq!(
        (record.uid_set, record.gid_set),
        (vec![0, 1000], vec![0, 2000])
    );
    assert!(
        record.flags.is_empty(),
        "not left incomplete: {:?}",
        record.flags
    );
    assert_eq!(test.store.layer_size("base").unwrap(), tar.len() as i64);
    for compressed in [false, true] {
        let found = test
            .store
            .layers_by_digest(&sha256(&tar), compressed)
            .unwrap();
        let ids: Vec<&str> = found.iter().map(|l| l.record.id.as_str()).collect();
        assert_eq!(ids, ["base"], "compressed {compressed}");
    }
    assert!(test.exists("graph/vfs-layers/base.tar-split.gz"));
}

#[test]
fn a_gzip_diff_records_both_digests_and_is_given_back_as_applied() {
    let mut test = TestStore::new();
    let tar = base_diff();
    let compressed = gzip(&tar);
    let record = test.put_layer("base", None, &compressed).record;
    assert_eq!(record.compression, Compression::Gzip);
    assert_eq!(record.compressed_digest, sha256(&compressed));
    assert_eq!(record.compressed_size, compressed.len() as i64);
    assert_eq!(record.uncompressed_digest, sha256(&tar));
    assert_eq!(record.uncompressed_size, tar.len() as i64);
    assert_eq!(test.read("graph/vfs/dir/base/bin/tool"), b"#!/bin/sh\n");

    assert_eq!(gunzip(&diff_of(&mut test, None, "base", None)), tar);
    assert_eq!(
        diff_of(&mut test, None, "base", Some(Compression::None)),
        tar
    );
}

#[test]
fn diff_rebuilds_each_applied_tar_byte_for_byte() {
    let mut test = TestStore::new();
    let base = base_diff();
    let child = TarBuilder::new()
        .whiteout("etc", "link")
        .opaque("tmp")
        .file("tmp/new", 0o600, b"fresh")
        .hard_link("tmp/again", "tmp/new")
        .finish();
    test.put_layer("base", None, &base);
    test.put_layer("child", Some("base"), &child);
    assert_eq!(diff_of(&mut test, None, "base", None), base);
    assert_eq!(diff_of(&mut test, None, "child", None), child);
    assert_eq!(diff_of(&mut test, Some("base"), "child", None), child);
    assert_eq!(
        gunzip(&diff_of(&mut test, None, "child", Some(Compression::Gzip))),
        child
    );
    let mut out = Vec::new();
    let unsupported = test.store.diff(
        None,
        "child",
        Some(Compression::Bzip2),
        &mut Output::writer(&mut out),
    );
    assert_eq!(
        failure(unsupported),
        (
            ErrorKind::Unsupported,
            "unsupported compression format tar.bz2".to_string()
        )
    );
}

#[test]
fn a_whiteout_in_a_child_hides_the_parent_file() {
    let mut test = TestStore::new();
    let parent = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"hosts")
        .file("etc/passwd", 0o644, b"root:x:0:0")
        .finish();
    let child = TarBuilder::new()
        .whiteout("etc", "passwd")
        .file("etc/motd", 0o644, b"hello!")
        .finish();
    test.put_layer("parent", None, &parent);
    test.put_layer("child", Some("parent"), &child);
    assert_eq!(
        test.entries("graph/vfs/dir/child/etc"),
        strings(&["hosts", "motd"])
    );
    assert_eq!(
        test.entries("graph/vfs/dir/parent/etc"),
        strings(&["hosts", "passwd"]),
        "the parent is untouched"
    );

    let expected = changes(&[
        ("/etc", ChangeKind::Modify),
        ("/etc/motd", ChangeKind::Add),
        ("/etc/passwd", ChangeKind::Delete),
    ]);
    assert_eq!(test.store.changes(None, "child").unwrap(), expected);
    assert_eq!(
        test.store.changes(Some("parent"), "child").unwrap(),
        expected
    );
    assert_eq!(test.store.diff_size(None, "child").unwrap(), 6);
    // A base layer is all additions.
    assert_eq!(
        test.store.changes(None, "parent").unwrap(),
        changes(&[
            ("/etc", ChangeKind::Add),
            ("/etc/hosts", ChangeKind::Add),
            ("/etc/passwd", ChangeKind::Add),
        ])
    );
    assert_eq!(test.store.diff_size(None, "parent").unwrap(), 5 + 10);
}

#[test]
fn an_opaque_directory_hides_everything_the_parent_had_in_it() {
    let mut test = TestStore::new();
    let parent = TarBuilder::new()
        .dir("data", 0o755)
        .file("data/a", 0o644, b"a")
        .file("data/b", 0o644, b"b")
        .dir("data/sub", 0o755)
        .file("data/sub/c", 0o644, b"c")
        .dir("keep", 0o755)
        .file("keep/k", 0o644, b"k")
        .finish();
    let child = TarBuilder::new()
        .dir("data", 0o755)
        .opaque("data")
        .file("data/new", 0o644, b"new!")
        .finish();
    test.put_layer("parent", None, &parent);
    test.put_layer("child", Some("parent"), &child);
    assert_eq!(test.entries("graph/vfs/dir/child/data"), strings(&["new"]));
    assert_eq!(test.entries("graph/vfs/dir/child/keep"), strings(&["k"]));
    assert_eq!(
        test.entries("graph/vfs/dir/parent/data"),
        strings(&["a", "b", "sub"])
    );
    assert_eq!(
        test.store.changes(None, "child").unwrap(),
        changes(&[
            ("/data", ChangeKind::Modify),
            ("/data/a", ChangeKind::Delete),
            ("/data/b", ChangeKind::Delete),
            ("/data/new", ChangeKind::Add),
            ("/data/sub", ChangeKind::Delete),
        ])
    );
    assert_eq!(test.store.diff_size(None, "child").unwrap(), 4);
}

#[test]
fn diff_size_counts_modified_and_added_files_and_each_inode_once() {
    let mut test = TestStore::new();
    let parent = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"short")
        .file("etc/same", 0o644, b"unchanged")
        .finish();
    let child = TarBuilder::new()
        .file("etc/hosts", 0o644, b"a much longer hosts file")
        .file("etc/new", 0o644, b"12345")
        .hard_link("etc/new2", "etc/new")
        .finish();
    test.put_layer("parent", None, &parent);
    test.put_layer("child", Some("parent"), &child);
    assert_eq!(
        test.store.changes(None, "child").unwrap(),
        changes(&[
            ("/etc", ChangeKind::Modify),
            ("/etc/hosts", ChangeKind::Modify),
            ("/etc/new", ChangeKind::Add),
            ("/etc/new2", ChangeKind::Add),
        ])
    );
    assert_eq!(test.store.diff_size(None, "child").unwrap(), 24 + 5);
    assert_eq!(
        test.store.diff_size(Some("parent"), "child").unwrap(),
        24 + 5
    );
}

#[test]
fn archives_reaching_outside_the_layer_are_refused_and_leave_nothing() {
    let hostile = [
        (
            TarBuilder::new().file("../escape", 0o644, b"x").finish(),
            "invalid archive: \"../escape\" is outside of the layer",
        ),
        (
            TarBuilder::new()
                .dir("a", 0o755)
                .file("a/../../escape", 0o644, b"x")
                .finish(),
            "invalid archive: \"../escape\" is outside of the layer",
        ),
        (
            TarBuilder::new().hard_link("link", "../../escape").finish(),
            "invalid hard link \"link\": target \"../../escape\" is not in the layer",
        ),
    ];
    for (tar, message) in hostile {
        let mut test = TestStore::new();
        test.layer("other", None);
        let refused = test.store.put_layer(
            Some("evil"),
            None,
            Vec::new(),
            &LayerOptions::default(),
            Input::reader(&mut &tar[..]),
        );
        assert_eq!(
            failure(refused),
            (ErrorKind::InvalidInput, message.to_string())
        );
        assert_eq!(test.layer_ids(), strings(&["other"]), "{message}");
        assert_eq!(
            test.entries("graph/vfs/dir"),
            strings(&["other"]),
            "{message}"
        );
        assert_eq!(
            test.entries("graph/vfs-layers"),
            strings(&["layers.json", "layers.lock"]),
            "no tar-split left: {message}"
        );
        for place in [
            "escape",
            "graph/escape",
            "graph/vfs/escape",
            "graph/vfs/dir/escape",
        ] {
            assert!(!test.exists(place), "{place}: {message}");
        }
    }
}

#[test]
fn links_planted_by_an_archive_are_followed_inside_the_layer_only() {
    let mut test = TestStore::new();
    // The layer is <tmp>/graph/vfs/dir/evil: four levels up is <tmp> itself,
    // and an absolute target names <tmp> too, so a naive writer would hit it.
    let tmp = test.dir.path().display().to_string();
    let tar = TarBuilder::new()
        .symlink("up", "../../../..")
        .file("up/escaped", 0o644, b"relative")
        .symlink("abs", &tmp)
        .file("abs/owned", 0o644, b"absolute")
        .file("/rooted", 0o644, b"rooted")
        .finish();
    test.put_layer("evil", None, &tar);
    assert!(!test.exists("escaped"));
    assert!(!test.exists("owned"));
    assert!(!test.exists("rooted"));
    assert_eq!(test.read("graph/vfs/dir/evil/escaped"), b"relative");
    assert_eq!(
        test.read(&format!("graph/vfs/dir/evil{tmp}/owned")),
        b"absolute"
    );
    assert_eq!(test.read("graph/vfs/dir/evil/rooted"), b"rooted");
    assert_eq!(
        std::fs::read_link(test.path("graph/vfs/dir/evil/up")).unwrap(),
        std::path::Path::new("../../../..")
    );
}

/// Members below the directory last written to walk on from it (the
/// extractor's directory cache); links met on the way still resolve from
/// the layer's root, never above it.
#[test]
fn links_below_the_last_directory_resolve_inside_the_layer() {
    let mut test = TestStore::new();
    let tar = TarBuilder::new()
        .dir("a", 0o755)
        .dir("a/b", 0o755)
        .file("a/b/one", 0o644, b"1")
        .symlink("a/b/up", "../../..")
        .file("a/b/up/top", 0o644, b"top")
        .dir("a/b/c", 0o755)
        .file("a/b/c/two", 0o644, b"2")
        .symlink("a/b/c/sibling", "../../d")
        .file("a/b/c/sibling/three", 0o644, b"3")
        .file("a/b/c/e/four", 0o644, b"4")
        .file("a/b/c/sibling/five", 0o644, b"5")
        .finish();
    test.put_layer("walk", None, &tar);
    let layer = "graph/vfs/dir/walk";
    assert_eq!(test.read(&format!("{layer}/a/b/one")), b"1");
    assert_eq!(test.read(&format!("{layer}/top")), b"top");
    assert_eq!(test.read(&format!("{layer}/a/b/c/two")), b"2");
    assert_eq!(test.read(&format!("{layer}/a/d/three")), b"3");
    assert_eq!(test.read(&format!("{layer}/a/b/c/e/four")), b"4");
    assert_eq!(test.read(&format!("{layer}/a/d/five")), b"5");
    assert!(!test.exists("top"));
}

#[test]
fn diff_refuses_a_file_changed_since_the_diff_was_applied() {
    let mut test = TestStore::new();
    test.put_layer("base", None, &base_diff());
    std::fs::write(
        test.path("graph/vfs/dir/base/etc/hosts"),
        b"127.0.0.2 localhost\n",
    )
    .unwrap();
    let mut out = Vec::new();
    let changed = test
        .store
        .diff(None, "base", None, &mut Output::writer(&mut out));
    assert_eq!(
        failure(changed),
        (
            ErrorKind::InvalidInput,
            "file integrity checksum failed for \"etc/hosts\"".to_string()
        )
    );
}
