//! The last differences from containers-storage 1.43 found by running both
//! tools (issue 12): each test gives both the same input (or the same root)
//! and compares what they print or leave on disk.

use crate::common::{Roots, gnu_tar};
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
