//! The last differences from containers-storage 1.43 found by running both
//! tools (issue 12): each test gives both the same input (or the same root)
//! and compares what they print or leave on disk.

use crate::common::{Roots, gnu_tar, tar_meta};
use std::os::unix::fs::{MetadataExt, symlink};
use std::path::{Path, PathBuf};

/// A base layer tarred by GNU tar from a small tree owned by root.
fn base_layer_tar() -> Vec<u8> {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("etc")).unwrap();
    std::fs::write(src.path().join("etc/hosts"), b"127.0.0.1 localhost\n").unwrap();
    std::fs::write(
        src.path().join("etc/passwd"),
        b"root:x:0:0::/root:/bin/sh\n",
    )
    .unwrap();
    std::fs::write(src.path().join("etc/motd"), b"welcome\n").unwrap();
    gnu_tar(
        src.path(),
        &["--owner=0", "--group=0", "--mtime=@1600000000"],
    )
}

/// Imports `tar` as layer "base", then makes image "img" on it and
/// container `container` of that image, all with the reference CLI when
/// `reference`, else graphstore's; returns the container's layer
/// directory and its two userdata directories.
fn container_on_layer(
    roots: &Roots,
    reference: bool,
    tar: &[u8],
    container: &str,
) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        if reference {
            roots.reference(args)
        } else {
            roots.graphstore(args)
        }
    };
    if reference {
        roots.reference_with_input(&["import-layer", "-i", "base"], tar)
    } else {
        roots.graphstore_with_input(&["import-layer", "-i", "base"], tar)
    }
    .ok();
    run(&["create-image", "-i", "img", "base"]).ok();
    run(&["create-container", "-i", container, "img"]).ok();
    let layer = crate::common::json(run(&["container", "--json", container]).ok())[0]["layer"]
        .as_str()
        .unwrap()
        .to_string();
    (
        roots.graph().join("vfs/dir").join(layer),
        roots
            .graph()
            .join("vfs-containers")
            .join(container)
            .join("userdata"),
        roots
            .run()
            .join("vfs-containers")
            .join(container)
            .join("userdata"),
    )
}

/// The `Size: N` line `container ID` prints.
fn size_line(output: &str) -> String {
    output
        .lines()
        .find(|line| line.starts_with("Size"))
        .unwrap_or_else(|| panic!("no size in {output}"))
        .to_string()
}

/// Changes the container's layer and userdata directories the way a
/// running container would: an ownership-only change, hard links, a
/// symlink; files, a hard link and a symlink in both userdata directories.
fn write_into_container(layer: &Path, data: &Path, run: &Path) {
    std::os::unix::fs::lchown(layer.join("etc/passwd"), Some(1000), Some(1000)).unwrap();
    std::fs::write(layer.join("etc/new"), vec![b'x'; 3000]).unwrap();
    std::fs::hard_link(layer.join("etc/new"), layer.join("etc/new2")).unwrap();
    std::fs::hard_link(layer.join("etc/motd"), layer.join("etc/motd2")).unwrap();
    symlink("/some/long/target/path", layer.join("etc/link")).unwrap();
    for dir in [data, run] {
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/config.json"), vec![b'c'; 700]).unwrap();
        std::fs::hard_link(dir.join("sub/config.json"), dir.join("config2.json")).unwrap();
        std::fs::write(dir.join("hostname"), b"box\n").unwrap();
        symlink("sub/config.json", dir.join("config-link")).unwrap();
    }
}

/// `container` Size, computed by each tool on the same root: the layer's
/// changes as 1.43's naive `DiffSize` (ownership-only change counted
/// whole, a new hard-linked file once, symlinks by their target's length)
/// plus the userdata directories (symlinks counted, hard links once).
#[test]
fn container_size_matches_the_reference_on_the_same_root() {
    let roots = Roots::new();
    let (layer, data, run) = container_on_layer(&roots, true, &base_layer_tar(), "c1");
    let item = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(item.path(), b"12345").unwrap();
    let item_path = item.path().display().to_string();
    roots
        .reference(&["set-container-data", "-f", &item_path, "c1", "item"])
        .ok();
    write_into_container(&layer, &data, &run);
    let theirs = size_line(roots.reference(&["container", "c1"]).ok());
    let ours = size_line(roots.graphstore(&["container", "c1"]).ok());
    assert_eq!(ours, theirs);
    // Not a coincidence of two wrong sums: 1.43's rule, worked out by hand.
    let layer_bytes = std::fs::metadata(layer.join("etc/passwd")).unwrap().len()
        + 3000
        + std::fs::metadata(layer.join("etc/motd")).unwrap().len()
        + "/some/long/target/path".len() as u64;
    let userdata_bytes = 2 * (700 + 4 + "sub/config.json".len() as u64);
    let item_bytes = 5;
    assert_eq!(
        theirs,
        format!("Size: {}", layer_bytes + userdata_bytes + item_bytes)
    );
    assert!(std::fs::metadata(layer.join("etc/passwd")).unwrap().uid() == 1000);
}

/// Sets the modification time of `path` (not following a symlink).
fn set_mtime(path: &Path, seconds: u64) {
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
    std::fs::File::options()
        .read(true)
        .open(path)
        .and_then(|file| file.set_modified(when))
        .unwrap();
}

/// `diff` printed by a CLI (`graphstore` when `ours`) for `layer`,
/// uncompressed.
fn diff_bytes(roots: &Roots, ours: bool, layer: &str) -> Vec<u8> {
    let cli = if ours {
        crate::common::graphstore_cli()
    } else {
        crate::common::reference_cli()
    };
    let out = std::process::Command::new(cli)
        .args(roots.flags())
        .args(["diff", "-u", layer])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A container layer's diff (no tar-split: computed by comparing trees)
/// is byte-identical to 1.43's, host user and group names included
/// (`root`/`root` for 0:0, empty for an ID the host does not name).
#[test]
fn container_layer_diff_is_byte_identical_to_the_reference() {
    let roots = Roots::new();
    let (layer, _, _) = container_on_layer(&roots, true, &base_layer_tar(), "c1");
    std::fs::write(layer.join("etc/hosts"), b"10.0.0.1 changed\n").unwrap();
    std::fs::create_dir(layer.join("srv")).unwrap();
    std::fs::write(layer.join("srv/app"), vec![7u8; 2000]).unwrap();
    std::os::unix::fs::chown(layer.join("srv/app"), Some(4242), Some(4242)).unwrap();
    for path in ["etc/hosts", "srv/app", "srv", "etc"] {
        set_mtime(&layer.join(path), 1_650_000_000);
    }
    let layer_id = layer.file_name().unwrap().to_str().unwrap().to_string();
    let ours = diff_bytes(&roots, true, &layer_id);
    let theirs = diff_bytes(&roots, false, &layer_id);
    assert_eq!(ours, theirs);
    // The names are really there (the test would pass with none on both
    // sides if the reference stopped writing them).
    let mut tar = graphstore_guest::archive::Disassembler::new(&ours[..], Vec::new());
    let mut owners = Vec::new();
    while let Some(member) = tar.next_member().unwrap() {
        owners.push(format!(
            "{} {}:{}",
            String::from_utf8_lossy(&member.path),
            String::from_utf8_lossy(&member.uname),
            String::from_utf8_lossy(&member.gname)
        ));
    }
    let root = graphstore_posix::user_name(0).unwrap();
    let root_group = graphstore_posix::group_name(0).unwrap();
    assert_eq!(
        owners,
        [
            format!("etc/ {root}:{root_group}"),
            format!("etc/hosts {root}:{root_group}"),
            format!("srv/ {root}:{root_group}"),
            "srv/app :".to_string(),
        ]
    );
}

/// A diff with AUFS hard-link emulation: the linked file lives in
/// `.wh..wh.plnk/` and two hard links elsewhere point into it.
fn aufs_tar(link_target: &[u8]) -> Vec<u8> {
    use graphstore_guest::archive::writer::TarWriter;
    let mut tar = TarWriter::new(Vec::new());
    tar.append_dir(b".wh..wh.plnk", &tar_meta(0o700, 0, 1_600_000_000))
        .unwrap();
    tar.append_file(
        b".wh..wh.plnk/262.1234",
        &tar_meta(0o640, 1000, 1_500_000_000),
        9,
        &mut &b"shared!!\n"[..],
    )
    .unwrap();
    tar.append_dir(b"usr", &tar_meta(0o755, 0, 1_600_000_000))
        .unwrap();
    for name in [&b"usr/a"[..], b"usr/b"] {
        tar.append_hardlink(name, link_target, &tar_meta(0o644, 0, 1_600_000_000))
            .unwrap();
    }
    tar.finish().unwrap()
}

/// Hard links into `.wh..wh.plnk` become copies of the held file (its
/// contents, mode, owner and time) as in 1.43, which leaves an empty
/// `.wh..wh.plnk` behind; the layer's `diff` then fails in both (the
/// tar-split names a file that was never extracted).
#[test]
fn aufs_hard_links_are_resolved_as_the_reference_does() {
    let tar = aufs_tar(b".wh..wh.plnk/262.1234");
    let (ours, theirs) = (Roots::new(), Roots::new());
    ours.graphstore_with_input(&["import-layer", "-i", "aufs"], &tar)
        .ok();
    theirs
        .reference_with_input(&["import-layer", "-i", "aufs"], &tar)
        .ok();
    let tree = crate::layers::describe_tree(&ours.graph().join("vfs/dir/aufs"));
    assert_eq!(
        tree,
        crate::layers::describe_tree(&theirs.graph().join("vfs/dir/aufs"))
    );
    assert!(
        tree.iter()
            .any(|line| line == "usr/a 100640 1000:1000 mtime=1500000000 9 bytes, 1 links"),
        "{tree:#?}"
    );
    // The held file is gone, so `diff` stops where the tar-split names it,
    // in both tools, after the same bytes.
    let diff = |roots: &Roots, cli: PathBuf| {
        std::process::Command::new(cli)
            .args(roots.flags())
            .args(["diff", "-u", "aufs"])
            .output()
            .unwrap()
    };
    let (our_diff, their_diff) = (
        diff(&ours, crate::common::graphstore_cli()),
        diff(&theirs, crate::common::reference_cli()),
    );
    assert_eq!(our_diff.status.code(), Some(1));
    assert_eq!(their_diff.status.code(), Some(1));
    assert_eq!(our_diff.stdout, their_diff.stdout);
    for stderr in [&our_diff.stderr, &their_diff.stderr] {
        let stderr = String::from_utf8_lossy(stderr);
        assert!(stderr.contains(".wh..wh.plnk/262.1234"), "{stderr}");
    }
}

/// A hard link into `.wh..wh.plnk` naming a file the diff did not hold
/// there is refused with 1.43's words.
#[test]
fn an_aufs_hard_link_to_a_missing_file_is_refused_as_the_reference_does() {
    let tar = aufs_tar(b".wh..wh.plnk/999.1");
    let (ours, theirs) = (Roots::new(), Roots::new());
    let ours = ours.graphstore_with_input(&["import-layer", "-i", "aufs"], &tar);
    let theirs = theirs.reference_with_input(&["import-layer", "-i", "aufs"], &tar);
    assert_eq!(ours.code, theirs.code);
    assert!(
        theirs.stderr.contains("invalid aufs hardlink"),
        "{theirs:?}"
    );
    assert!(ours.stderr.contains("invalid aufs hardlink"), "{ours:?}");
}

/// A two-layer image whose upper layer hard-links a lower file with
/// another mode, owner and time (and a lower symlink with another owner):
/// 1.43 gives the shared inode the link entry's metadata. Both tools
/// import the same tars; the child trees and the child's `diff` (from
/// its tar-split) and recorded digests are the same.
#[test]
fn hard_link_entries_give_the_shared_inode_their_metadata_as_the_reference_does() {
    let (base, child) = crate::layers::hard_link_layers(0o4711);
    let (ours, theirs) = (Roots::new(), Roots::new());
    for (roots, reference) in [(&ours, false), (&theirs, true)] {
        for (args, tar) in [
            (&["import-layer", "-i", "base"][..], &base),
            (&["import-layer", "-i", "child", "base"][..], &child),
        ] {
            if reference {
                roots.reference_with_input(args, tar).ok();
            } else {
                roots.graphstore_with_input(args, tar).ok();
            }
        }
    }
    let tree = crate::layers::describe_tree(&ours.graph().join("vfs/dir/child"));
    assert_eq!(
        tree,
        crate::layers::describe_tree(&theirs.graph().join("vfs/dir/child"))
    );
    assert!(
        tree.iter()
            .any(|line| line == "bin/busybox 104711 1000:1000 mtime=1700000000 4 bytes, 2 links"),
        "{tree:#?}"
    );
    assert_eq!(diff_bytes(&ours, true, "child"), child);
    assert_eq!(diff_bytes(&theirs, false, "child"), child);
    let digests = |roots: &Roots, reference: bool| {
        let args = ["layer", "--json", "child"];
        let out = if reference {
            roots.reference(&args)
        } else {
            roots.graphstore(&args)
        };
        let layer = crate::common::json(out.ok())[0].clone();
        (
            layer["diff-digest"].clone(),
            layer["compressed-diff-digest"].clone(),
            layer["diff-size"].clone(),
        )
    };
    let our_digests = digests(&ours, false);
    assert_eq!(our_digests, digests(&theirs, true));
    assert!(
        our_digests
            .0
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
}

/// Below the top of the layer, `.wh..wh.x` is no AUFS metadata for 1.43
/// but an ordinary whiteout (of `.wh.x`); at the top it is skipped.
#[test]
fn aufs_metadata_names_below_the_top_are_whiteouts_as_in_the_reference() {
    use graphstore_guest::archive::writer::TarWriter;
    let mut child = TarWriter::new(Vec::new());
    child
        .append_dir(b"a", &tar_meta(0o755, 0, 1_600_000_000))
        .unwrap();
    for name in [&b"a/.wh..wh.gone"[..], b".wh..wh.kept"] {
        child
            .append_file(name, &tar_meta(0o644, 0, 1_600_000_000), 0, &mut &b""[..])
            .unwrap();
    }
    let child = child.finish().unwrap();
    let (ours, theirs) = (Roots::new(), Roots::new());
    for (roots, reference) in [(&ours, false), (&theirs, true)] {
        let run = |args: &[&str], input: &[u8]| {
            if reference {
                roots.reference_with_input(args, input)
            } else {
                roots.graphstore_with_input(args, input)
            }
        };
        run(&["create-layer", "-i", "base"], &[]).ok();
        // Names no diff can create, written into the layer directly.
        let base = roots.graph().join("vfs/dir/base");
        // Fixed times: the two roots are written at different moments.
        std::fs::create_dir(base.join("a")).unwrap();
        for (name, contents) in [("a/.wh.gone", b"x"), (".wh.kept", b"y")] {
            std::fs::write(base.join(name), contents).unwrap();
            std::fs::File::options()
                .write(true)
                .open(base.join(name))
                .unwrap()
                .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000))
                .unwrap();
        }
        run(&["import-layer", "-i", "child", "base"], &child).ok();
    }
    let tree = crate::layers::describe_tree(&ours.graph().join("vfs/dir/child"));
    assert_eq!(
        tree,
        crate::layers::describe_tree(&theirs.graph().join("vfs/dir/child"))
    );
    let names: Vec<&str> = tree
        .iter()
        .map(|line| line.split(' ').next().unwrap())
        .collect();
    assert_eq!(names, [".wh.kept", "a"]);
}

/// The layer `copy` tests copy from: a directory with a setuid file, a
/// hard link, a symlink, a FIFO and a subdirectory, owned by several IDs,
/// and a symlink to the subdirectory.
fn copy_source_tar() -> Vec<u8> {
    use graphstore_guest::archive::writer::{SpecialKind, TarWriter};
    let mut tar = TarWriter::new(Vec::new());
    tar.append_dir(b"d", &tar_meta(0o750, 1, 1_600_000_001))
        .unwrap();
    tar.append_file(
        b"d/a",
        &tar_meta(0o4751, 2, 1_600_000_002),
        6,
        &mut &b"alpha\n"[..],
    )
    .unwrap();
    tar.append_hardlink(b"d/hard", b"d/a", &tar_meta(0o4751, 2, 1_600_000_002))
        .unwrap();
    tar.append_symlink(b"d/link", b"a", &tar_meta(0o777, 3, 1_600_000_003))
        .unwrap();
    tar.append_special(
        b"d/fifo",
        SpecialKind::Fifo,
        &tar_meta(0o600, 4, 1_600_000_004),
    )
    .unwrap();
    tar.append_dir(b"d/sub", &tar_meta(0o700, 5, 1_600_000_005))
        .unwrap();
    tar.append_symlink(b"to-d", b"d/sub", &tar_meta(0o777, 0, 1_600_000_007))
        .unwrap();
    tar.finish().unwrap()
}

/// Runs the same `copy` commands with each tool on its own roots (same
/// layers), then compares the target layers' trees; directories the
/// copies create or add to are dated now by both, so they are dated
/// alike before the comparison.
#[test]
fn copy_matches_the_reference_for_files_directories_chown_and_id_maps() {
    let tar = copy_source_tar();
    let copies: [&[&str]; 6] = [
        &["copy", "src:/d", "dst:/tree"],
        &["copy", "src:/d/a", "dst:/file"],
        &["copy", "src:/d/link", "dst:/new/parents/file"],
        &["copy", "src:/to-d", "dst:/new/parents/via-link"],
        &["copy", "--chown", "7:8", "src:/d", "dst:/owned"],
        &["copy", "src:/d", "src:/d/sub", "mapped:/m"],
    ];
    let (ours, theirs) = (Roots::new(), Roots::new());
    for (roots, reference) in [(&ours, false), (&theirs, true)] {
        let run = |args: &[&str], input: &[u8]| {
            if reference {
                roots.reference_with_input(args, input)
            } else {
                roots.graphstore_with_input(args, input)
            }
        };
        run(&["import-layer", "-i", "src"], &tar).ok();
        // A `.wh.` name no diff can create, an ordinary file for `copy`.
        let sub = roots.graph().join("vfs/dir/src/d/sub");
        std::fs::write(sub.join(".wh.kept"), b"w\n").unwrap();
        std::os::unix::fs::chown(sub.join(".wh.kept"), Some(6), Some(6)).unwrap();
        set_mtime(&sub.join(".wh.kept"), 1_600_000_006);
        set_mtime(&sub, 1_600_000_005);
        run(&["create-layer", "-i", "dst"], &[]).ok();
        let maps = ["--uidmap", "0:100000:65536", "--gidmap", "0:200000:65536"];
        let mut mapped = vec!["create-layer", "-i", "mapped"];
        mapped.extend(maps);
        run(&mapped, &[]).ok();
        for args in copies {
            run(args, &[]).ok();
        }
        for dir in [
            "dst/tree",
            "dst/new",
            "dst/new/parents",
            "dst/new/parents/via-link",
            "dst/owned",
            "mapped/m",
        ] {
            set_mtime(&roots.graph().join("vfs/dir").join(dir), 1_650_000_000);
        }
    }
    for layer in ["dst", "mapped", "src"] {
        let tree = |roots: &Roots| {
            crate::layers::describe_tree(&roots.graph().join("vfs/dir").join(layer))
        };
        assert_eq!(tree(&ours), tree(&theirs), "layer {layer}");
    }
    let dst = crate::layers::describe_tree(&ours.graph().join("vfs/dir/dst"));
    for expected in [
        "tree 40755 0:0 mtime=1650000000 ",
        "tree/a 104751 2:2 mtime=1600000002 6 bytes, 2 links",
        "tree/sub/.wh.kept 100644 6:6 mtime=1600000006 2 bytes, 1 links",
        "file 104751 2:2 mtime=1600000002 6 bytes, 1 links",
        "new 40700 0:0 mtime=1650000000 ",
        "new/parents/via-link/to-d 120777 0:0 mtime=1600000007 d/sub",
        "owned 40755 7:8 mtime=1650000000 ",
        "owned/a 104751 7:8 mtime=1600000002 6 bytes, 2 links",
    ] {
        assert!(
            dst.iter().any(|line| line == expected),
            "{expected}: {dst:#?}"
        );
    }
    let mapped = crate::layers::describe_tree(&ours.graph().join("vfs/dir/mapped"));
    assert!(
        mapped
            .iter()
            .any(|line| line == "m/a 104751 100002:200002 mtime=1600000002 6 bytes, 2 links"),
        "{mapped:#?}"
    );
}

/// `copy`'s refusals, worded and exited as 1.43's: an unknown target or
/// source layer, a bad `--chown`, a missing source path.
#[test]
fn copy_refusals_match_the_reference() {
    let tar = copy_source_tar();
    let (ours, theirs) = (Roots::new(), Roots::new());
    ours.graphstore_with_input(&["import-layer", "-i", "src"], &tar)
        .ok();
    theirs
        .reference_with_input(&["import-layer", "-i", "src"], &tar)
        .ok();
    for args in [
        &["copy", "src:/d", "nope:/x"][..],
        &["copy", "nope:/d", "src:/x"],
        &["copy", "--chown", "x:1", "src:/d", "src:/x"],
        &["copy", "--chown", "1:4294967296", "src:/d", "src:/x"],
    ] {
        let (our_run, their_run) = (ours.graphstore(args), theirs.reference(args));
        assert_eq!(
            (our_run.code, &our_run.stderr),
            (their_run.code, &their_run.stderr),
            "{args:?}"
        );
        assert_eq!(our_run.code, 1);
    }
    let args = ["copy", "src:/missing", "src:/x"];
    let (our_run, their_run) = (ours.graphstore(&args), theirs.reference(&args));
    assert_eq!((our_run.code, their_run.code), (1, 1));
    let missing = ours.graph().join("vfs/dir/src/missing");
    let prefix = format!("error copying \"{}\"", missing.display());
    assert!(our_run.stderr.starts_with(&prefix), "{our_run:?}");
    assert!(
        our_run.stderr.contains("no such file or directory"),
        "{our_run:?}"
    );
    assert!(
        their_run.stderr.contains("no such file or directory"),
        "{their_run:?}"
    );
}

/// graphstore's addition: a container stands for its layer in `copy`
/// (through the API and the CLI); a host path is refused by name.
#[test]
fn copy_takes_containers_and_refuses_host_paths() {
    let roots = Roots::new();
    let (layer, _, _) = container_on_layer(&roots, false, &base_layer_tar(), "c1");
    let mut store = roots.open();
    store
        .copy("c1", "/etc/hosts", "c1", "/etc/hosts.copy", Some((5, 6)))
        .unwrap();
    drop(store);
    let copied = layer.join("etc/hosts.copy");
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        b"127.0.0.1 localhost\n".to_vec()
    );
    let meta = std::fs::metadata(&copied).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (5, 6));
    roots
        .graphstore(&["copy", "c1:/etc/motd", "base:/motd"])
        .ok();
    assert_eq!(
        std::fs::read(roots.graph().join("vfs/dir/base/motd")).unwrap(),
        b"welcome\n".to_vec()
    );
    let refused = roots.graphstore(&["copy", "/etc/hostname", "c1:/x"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("paths of the host are not supported"),
        "{refused:?}"
    );
}
