//! Layer contents: importing tar diffs through the component, compared with
//! containers-storage 1.43 importing the same tars (records, trees on disk,
//! tar-split), and the reference reproducing our diffs byte for byte.

use crate::common;

use common::{Roots, json};
use graphstore::{ErrorKind, LayerOptions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// Builds a small but varied tree and returns the tar of it.
fn sample_tar(dir: &Path) -> Vec<u8> {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("etc/deep/er")).unwrap();
    std::fs::create_dir_all(src.join("data")).unwrap();
    std::fs::write(src.join("etc/hosts"), b"127.0.0.1 localhost\n").unwrap();
    std::fs::write(src.join("etc/deep/er/file"), vec![7u8; 70_000]).unwrap();
    std::fs::write(src.join("data/a.txt"), b"a").unwrap();
    std::fs::write(src.join("data/empty"), b"").unwrap();
    std::os::unix::fs::symlink("/etc/hosts", src.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("../etc/hosts", src.join("data/rel-link")).unwrap();
    std::fs::hard_link(src.join("data/a.txt"), src.join("data/hard")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(src.join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    std::fs::set_permissions(
        src.join("data/a.txt"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::os::unix::fs::chown(src.join("data/a.txt"), Some(1000), Some(100)).unwrap();
    std::os::unix::fs::lchown(src.join("data/rel-link"), Some(2000), Some(2000)).unwrap();
    crate::common::gnu_tar(&src, &["--xattrs"])
}

/// `path type mode uid:gid size mtime target-or-content-length` for every entry of a tree.
pub(crate) fn describe_tree(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            let extra = if meta.file_type().is_symlink() {
                std::fs::read_link(&path).unwrap().display().to_string()
            } else if meta.is_file() {
                format!("{} bytes, {} links", meta.len(), meta.nlink())
            } else {
                String::new()
            };
            out.push(format!(
                "{relative} {:o} {}:{} mtime={} {extra}",
                meta.mode(),
                meta.uid(),
                meta.gid(),
                meta.mtime()
            ));
            if meta.is_dir() {
                pending.push(path);
            }
        }
    }
    out.sort();
    out
}

fn without_created(mut value: serde_json::Value) -> serde_json::Value {
    for record in value.as_array_mut().unwrap() {
        record.as_object_mut().unwrap().remove("created");
    }
    value
}

#[test]
fn imports_match_the_reference_and_diff_back_byte_for_byte() {
    let work = tempfile::tempdir().unwrap();
    let tar = sample_tar(work.path());
    let gzip = {
        let path = work.path().join("layer.tar");
        std::fs::write(&path, &tar).unwrap();
        assert!(
            Command::new("gzip")
                .arg("-k")
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
        std::fs::read(work.path().join("layer.tar.gz")).unwrap()
    };
    for (label, input) in [("plain", tar.clone()), ("gzip", gzip)] {
        let (ours, theirs) = (Roots::new(), Roots::new());
        let layer = ours
            .open()
            .put_layer(
                Some("L1"),
                None,
                &["base".to_string()],
                &LayerOptions::default(),
                std::io::Cursor::new(input.clone()),
            )
            .unwrap();
        theirs
            .reference_with_input(&["import-layer", "-i", "L1", "-n", "base"], &input)
            .ok();

        let read = |roots: &Roots| {
            without_created(json(
                &String::from_utf8(roots.read_graph("vfs-layers/layers.json")).unwrap(),
            ))
        };
        assert_eq!(read(&ours), read(&theirs), "{label}: layers.json differs");
        assert_eq!(layer.uncompressed_size, tar.len() as i64);
        assert_eq!(
            describe_tree(&ours.graph().join("vfs/dir/L1")),
            describe_tree(&theirs.graph().join("vfs/dir/L1")),
            "{label}: trees differ"
        );
        // The reference rebuilds the original tar from our tar-split and files.
        let diff = Command::new(common::reference_cli())
            .args(ours.flags())
            .args(["diff", "-u", "L1"])
            .output()
            .unwrap();
        assert!(
            diff.status.success(),
            "{}",
            String::from_utf8_lossy(&diff.stderr)
        );
        assert!(
            diff.stdout == tar,
            "{label}: reference diff of our layer differs from the input"
        );
        // Our tar-split entries equal the reference's.
        let entries = |roots: &Roots| {
            graphstore_guest::archive::decode_gz(&roots.read_graph("vfs-layers/L1.tar-split.gz"))
                .unwrap()
        };
        assert_eq!(
            entries(&ours),
            entries(&theirs),
            "{label}: tar-split differs"
        );
    }
}

/// Imports `base` and then `child` on it, into graphstore and into 1.43;
/// checks the child trees are the same; returns graphstore's roots and the
/// child tree's description.
fn import_base_and_child(base: &[u8], child: &[u8]) -> (Roots, Vec<String>) {
    let (ours, theirs) = (Roots::new(), Roots::new());
    let mut store = ours.open();
    for (id, parent, tar) in [("base", None, base), ("child", Some("base"), child)] {
        store
            .put_layer(
                Some(id),
                parent,
                &[],
                &LayerOptions::default(),
                std::io::Cursor::new(tar.to_vec()),
            )
            .unwrap();
    }
    theirs
        .reference_with_input(&["import-layer", "-i", "base"], base)
        .ok();
    theirs
        .reference_with_input(&["import-layer", "-i", "child", "base"], child)
        .ok();
    let tree = describe_tree(&ours.graph().join("vfs/dir/child"));
    assert_eq!(tree, describe_tree(&theirs.graph().join("vfs/dir/child")));
    (ours, tree)
}

#[test]
fn child_layers_apply_whiteouts_and_opaque_directories() {
    let work = tempfile::tempdir().unwrap();
    let base = sample_tar(work.path());
    let child_dir = work.path().join("child");
    std::fs::create_dir_all(child_dir.join("data")).unwrap();
    std::fs::create_dir_all(child_dir.join("etc")).unwrap();
    std::fs::write(child_dir.join("data/.wh.a.txt"), b"").unwrap();
    std::fs::write(child_dir.join("etc/.wh..wh..opq"), b"").unwrap();
    std::fs::write(child_dir.join("etc/new"), b"new").unwrap();
    let child_tar = work.path().join("child.tar");
    assert!(
        Command::new("tar")
            .arg("-C")
            .arg(&child_dir)
            .arg("-cf")
            .arg(&child_tar)
            .arg(".")
            .status()
            .unwrap()
            .success()
    );
    let child = std::fs::read(child_tar).unwrap();

    let (ours, _) = import_base_and_child(&base, &child);
    assert!(!ours.graph().join("vfs/dir/child/data/a.txt").exists());
    assert!(ours.graph().join("vfs/dir/child/data/hard").exists());
    let etc: Vec<_> = std::fs::read_dir(ours.graph().join("vfs/dir/child/etc"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(etc, vec!["new"]);
}

#[test]
fn a_failed_import_leaves_no_layer_behind() {
    let work = tempfile::tempdir().unwrap();
    let tar = sample_tar(work.path());
    let roots = Roots::new();
    let mut store = roots.open();
    let truncated = tar[..tar.len() / 2 + 100].to_vec();
    let err = store
        .put_layer(
            Some("broken"),
            None,
            &[],
            &LayerOptions::default(),
            std::io::Cursor::new(truncated),
        )
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::InvalidInput), "{err}");
    assert!(store.layers().unwrap().is_empty());
    assert!(!roots.graph().join("vfs/dir/broken").exists());
    assert!(
        !roots
            .graph()
            .join("vfs-layers/broken.tar-split.gz")
            .exists()
    );
}

/// Runs `Store::diff` into memory.
fn our_diff(
    store: &mut graphstore::Store,
    to: &str,
    compression: Option<graphstore::Compression>,
) -> Result<Vec<u8>, graphstore::Error> {
    let sink = common::SharedBuffer::default();
    store.diff(
        None,
        to,
        graphstore::DiffOptions { compression },
        sink.clone(),
    )?;
    Ok(sink.bytes())
}

#[test]
fn diffs_reproduce_the_applied_tar_from_either_implementation() {
    let work = tempfile::tempdir().unwrap();
    let tar = sample_tar(work.path());
    // A root where the reference imported the layer: we read its tar-split.
    let theirs = Roots::new();
    theirs
        .reference_with_input(&["import-layer", "-i", "L1"], &tar)
        .ok();
    assert!(our_diff(&mut theirs.open(), "L1", None).unwrap() == tar);
    // Our own import, plain and gzip output.
    let ours = Roots::new();
    let mut store = ours.open();
    store
        .put_layer(
            Some("L1"),
            None,
            &[],
            &LayerOptions::default(),
            std::io::Cursor::new(tar.clone()),
        )
        .unwrap();
    assert!(our_diff(&mut store, "L1", None).unwrap() == tar);
    let gzipped = our_diff(&mut store, "L1", Some(graphstore::Compression::Gzip)).unwrap();
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped[..]),
        &mut unzipped,
    )
    .unwrap();
    assert!(unzipped == tar);
    let err = our_diff(&mut store, "L1", Some(graphstore::Compression::Xz)).unwrap_err();
    assert_eq!(err.to_string(), "unsupported compression format tar.xz");
    // A file changed behind the store's back fails the integrity check.
    std::fs::write(
        ours.graph().join("vfs/dir/L1/etc/hosts"),
        b"127.0.0.1 evil.example\n",
    )
    .unwrap();
    let err = our_diff(&mut store, "L1", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file integrity checksum failed for \"./etc/hosts\""
    );
}

/// Lines sorted, for outputs 1.43 prints in random order.
fn sorted(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn changes_diffsize_and_tree_diffs_match_the_reference() {
    let work = tempfile::tempdir().unwrap();
    let base = sample_tar(work.path());
    let (ours, theirs) = (Roots::new(), Roots::new());
    for roots in [&ours, &theirs] {
        roots
            .reference_with_input(&["import-layer", "-i", "base"], &base)
            .ok();
        roots
            .reference(&["create-layer", "-i", "child", "base"])
            .ok();
        // The same edits in both child layers: modify, add, delete.
        let tree = roots.graph().join("vfs/dir/child");
        std::fs::write(tree.join("etc/hosts"), b"changed\n").unwrap();
        std::fs::create_dir(tree.join("added")).unwrap();
        std::fs::write(tree.join("added/file"), vec![1u8; 1234]).unwrap();
        std::fs::remove_dir_all(tree.join("etc/deep")).unwrap();
        std::fs::remove_file(tree.join("data/empty")).unwrap();
        for path in ["etc/hosts", "added/file", "added", "etc", "data"] {
            let when =
                std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
            std::fs::File::options()
                .read(true)
                .open(tree.join(path))
                .and_then(|f| f.set_modified(when))
                .unwrap();
        }
    }
    let changes = ours.graphstore(&["changes", "child"]);
    assert_eq!(
        sorted(changes.ok()),
        sorted(theirs.reference(&["changes", "child"]).ok())
    );
    assert_eq!(
        changes.stdout,
        "Add \"/added\"\nAdd \"/added/file\"\nModify \"/data\"\nDelete \"/data/empty\"\nModify \"/etc\"\nDelete \"/etc/deep\"\nModify \"/etc/hosts\"\n"
    );
    assert_eq!(
        ours.graphstore(&["diffsize", "child"]).ok(),
        theirs.reference(&["diffsize", "child"]).ok()
    );
    // The naive diffs hold the same members (1.43 adds host user names and
    // dates whiteouts with the current time; those are left out).
    let members = |tar: &[u8]| -> Vec<String> {
        let mut d = graphstore_guest::archive::Disassembler::new(tar, Vec::new());
        let mut out = Vec::new();
        while let Some(m) = d.next_member().unwrap() {
            let is_whiteout = String::from_utf8_lossy(&m.path).contains(".wh.");
            let mtime = if is_whiteout { 0 } else { m.mtime.seconds };
            out.push(format!(
                "{} {} {:o} {}:{} {} {mtime}",
                String::from_utf8_lossy(&m.path),
                m.typeflag as char,
                m.mode,
                m.uid,
                m.gid,
                m.size
            ));
        }
        out
    };
    let diff = |roots: &Roots, cli: std::path::PathBuf| {
        let out = Command::new(cli)
            .args(roots.flags())
            .args(["diff", "-u", "child"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    assert_eq!(
        members(&diff(&ours, common::graphstore_cli())),
        members(&diff(&theirs, common::reference_cli()))
    );
}

#[test]
fn id_mapped_layers_and_containers_match_the_reference() {
    let work = tempfile::tempdir().unwrap();
    let tar = sample_tar(work.path());
    let (ours, theirs) = (Roots::new(), Roots::new());
    let maps = ["--uidmap", "0:100000:65536", "--gidmap", "0:200000:65536"];
    // The same commands on both implementations (`ours` runs graphstore).
    for (roots, graphstore) in [(&ours, true), (&theirs, false)] {
        let run = |args: &[&str], input: &[u8]| {
            if graphstore {
                roots.graphstore_with_input(args, input)
            } else {
                roots.reference_with_input(args, input)
            }
        };
        run(&["import-layer", "-i", "base"], &tar).ok();
        run(&["create-image", "-i", "img", "base"], &[]).ok();
        for (command, id, target) in [
            ("create-container", "c1", "img"),
            ("create-container", "c2", "img"),
        ] {
            let mut args = vec![command, "-i", id];
            args.extend(maps);
            args.push(target);
            run(&args, &[]).ok();
        }
        let mut args = vec!["create-layer", "-i", "mapped-base"];
        args.extend(maps);
        run(&args, &[]).ok();
        run(
            &[
                "create-layer",
                "-i",
                "unmapped-child",
                "--hostuidmap",
                "--hostgidmap",
                "mapped-base",
            ],
            &[],
        )
        .ok();
    }
    let image = |roots: &Roots| {
        json(&String::from_utf8(roots.read_graph("vfs-images/images.json")).unwrap())[0].clone()
    };
    let (our_image, their_image) = (image(&ours), image(&theirs));
    let mapped = |image: &serde_json::Value| {
        image["mapped-layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        mapped(&our_image).len(),
        1,
        "one mapped copy, reused by the second container"
    );
    assert_eq!(mapped(&their_image).len(), 1);
    // The mapped copy's tree: owners shifted by the maps, like the
    // reference's. 1.43 sometimes leaves a copied directory with the copy
    // time as its mtime (graphstore keeps the source's), so directory
    // mtimes are not compared here.
    let tree_of = |roots: &Roots, id: &str| -> Vec<String> {
        describe_tree(&roots.graph().join("vfs/dir").join(id))
            .into_iter()
            .map(|line| match line.split_once(" 40") {
                Some((name, rest)) => format!(
                    "{name} 40{}",
                    rest.split(" mtime=").next().unwrap_or_default()
                ),
                None => line,
            })
            .collect()
    };
    assert_eq!(
        tree_of(&ours, &mapped(&our_image)[0]),
        tree_of(&theirs, &mapped(&their_image)[0])
    );
    let container_layer = |roots: &Roots, name: &str| {
        let list =
            json(&String::from_utf8(roots.read_graph("vfs-containers/containers.json")).unwrap());
        list.as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == name)
            .unwrap()["layer"]
            .as_str()
            .unwrap()
            .to_string()
    };
    for container in ["c1", "c2"] {
        assert_eq!(
            tree_of(&ours, &container_layer(&ours, container)),
            tree_of(&theirs, &container_layer(&theirs, container))
        );
    }
    for layer in ["mapped-base", "unmapped-child"] {
        let meta = |roots: &Roots| {
            let m = std::fs::metadata(roots.graph().join("vfs/dir").join(layer)).unwrap();
            (m.uid(), m.gid(), m.mode())
        };
        assert_eq!(meta(&ours), meta(&theirs), "{layer}");
    }
    assert_eq!(
        std::fs::metadata(ours.graph().join("vfs/dir/mapped-base"))
            .unwrap()
            .uid(),
        100000
    );
    // Records: the mapped copy carries the top layer's digests and ID maps.
    let layers = |roots: &Roots| {
        without_created(json(
            &String::from_utf8(roots.read_graph("vfs-layers/layers.json")).unwrap(),
        ))
    };
    let strip_ids = |value: serde_json::Value| -> Vec<String> {
        let mut lines: Vec<String> = value
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let mut l = l.clone();
                let o = l.as_object_mut().unwrap();
                o.remove("id");
                o.remove("parent");
                l.to_string()
            })
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(strip_ids(layers(&ours)), strip_ids(layers(&theirs)));
}

/// A base layer (`bin/busybox`, `bin/sh` → busybox, all 0:0, 2020) and a
/// child that hard-links both with metadata of its own: `bin/ls` →
/// `bin/busybox` with `link_mode`, owner 1000 and a 2023 mtime, `bin/sh2`
/// → `bin/sh` owned by 2000. The child carries `bin` itself too: else both
/// tools date it when they link into it, and two imports a second apart
/// differ.
pub(crate) fn hard_link_layers(link_mode: i64) -> (Vec<u8>, Vec<u8>) {
    use crate::common::tar_meta as meta;
    use graphstore_guest::archive::writer::TarWriter;
    let mut base = TarWriter::new(Vec::new());
    base.append_dir(b"bin", &meta(0o755, 0, 1_600_000_000))
        .unwrap();
    base.append_file(
        b"bin/busybox",
        &meta(0o755, 0, 1_600_000_000),
        4,
        &mut &b"elf!"[..],
    )
    .unwrap();
    base.append_symlink(b"bin/sh", b"busybox", &meta(0o777, 0, 1_600_000_000))
        .unwrap();
    let base = base.finish().unwrap();
    let mut child = TarWriter::new(Vec::new());
    child
        .append_dir(b"bin", &meta(0o755, 0, 1_650_000_000))
        .unwrap();
    child
        .append_hardlink(
            b"bin/ls",
            b"bin/busybox",
            &meta(link_mode, 1000, 1_700_000_000),
        )
        .unwrap();
    child
        .append_hardlink(b"bin/sh2", b"bin/sh", &meta(0o777, 2000, 1_700_000_000))
        .unwrap();
    (base, child.finish().unwrap())
}

/// A later layer hard-linking a file of a lower layer with its own mode,
/// owner and time: 1.43 gives the shared inode the link entry's metadata.
#[test]
fn hard_links_to_lower_files_carry_their_own_metadata() {
    let (base, child) = hard_link_layers(0o644);
    let (_, tree) = import_base_and_child(&base, &child);
    assert!(
        tree.iter()
            .any(|line| line.starts_with("bin/busybox 100644 1000:1000 mtime=1700000000")),
        "{tree:#?}"
    );
}
