//! `container_size` (1.43's `ContainerSize`) and `copy` (1.43's `copy`
//! command) on the native backend; the differential versions against
//! 1.43 are in `tests/all/compat143.rs`.

use super::fixture::TestStore;
use super::tar::{TarBuilder, meta};
use crate::error::ErrorKind;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

/// A base layer, an image on it and container `c` of that image; returns
/// the container's layer ID.
fn container_store(test: &mut TestStore) -> String {
    let base = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"127.0.0.1 localhost\n")
        .file("etc/passwd", 0o644, b"root:x:0:0\n")
        .finish();
    test.put_layer("base", None, &base);
    test.image("img", &[], Some("base"));
    test.container("c", &[], Some("img"), None).layer_id
}

#[test]
fn container_size_counts_as_1_43_does() {
    let mut test = TestStore::new();
    let layer = container_store(&mut test);
    let tree = test.path(&format!("graph/vfs/dir/{layer}"));
    // Ownership-only change: the whole file counts.
    std::os::unix::fs::lchown(tree.join("etc/passwd"), Some(7), Some(7)).unwrap();
    std::fs::write(tree.join("etc/new"), [0u8; 100]).unwrap();
    std::fs::hard_link(tree.join("etc/new"), tree.join("etc/new2")).unwrap();
    symlink("hosts", tree.join("etc/link")).unwrap();
    let data = test.path("graph/vfs-containers/c/userdata");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("f"), [0u8; 10]).unwrap();
    std::fs::hard_link(data.join("f"), data.join("g")).unwrap();
    symlink("f", data.join("l")).unwrap();
    let layer_bytes = 11 + 100 + "hosts".len();
    let userdata_bytes = 10 + 1;
    assert_eq!(
        test.store.container_size("c").unwrap(),
        (layer_bytes + userdata_bytes) as i64
    );
}

#[test]
fn copy_copies_directory_contents_with_links_and_chown() {
    let mut test = TestStore::new();
    let source = TarBuilder::new()
        .dir("d", 0o750)
        .file_with("d/a", &meta(0o640, 3, 4), b"alpha")
        .symlink("d/l", "a")
        .finish();
    test.put_layer("src", None, &source);
    test.layer("dst", None);
    // A hard link and a `.wh.` name (an ordinary file for `copy`).
    let d = test.path("graph/vfs/dir/src/d");
    std::fs::hard_link(d.join("a"), d.join("b")).unwrap();
    std::fs::write(d.join(".wh.x"), b"not a whiteout here").unwrap();
    test.store.copy("src", "/d", "dst", "/t", None).unwrap();
    assert_eq!(
        test.entries("graph/vfs/dir/dst/t"),
        [".wh.x", "a", "b", "l"]
    );
    let a = std::fs::metadata(test.path("graph/vfs/dir/dst/t/a")).unwrap();
    assert_eq!((a.uid(), a.gid(), a.nlink()), (3, 4, 2));
    assert_eq!(a.permissions().mode() & 0o7777, 0o640);
    let t = std::fs::metadata(test.path("graph/vfs/dir/dst/t")).unwrap();
    assert_eq!(t.permissions().mode() & 0o7777, 0o755);

    test.store
        .copy("src", "d", "dst", "/owned", Some((9, 10)))
        .unwrap();
    for name in ["owned", "owned/a", "owned/.wh.x"] {
        let meta =
            std::fs::symlink_metadata(test.path(&format!("graph/vfs/dir/dst/{name}"))).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (9, 10), "{name}");
    }
}

#[test]
fn copy_of_a_file_makes_private_parents_and_follows_links_inside_the_layer() {
    let mut test = TestStore::new();
    let source = TarBuilder::new()
        .dir("d", 0o755)
        .file("d/a", 0o600, b"alpha")
        .symlink("abs", "/d/a")
        .symlink("dir-link", "d")
        .finish();
    test.put_layer("src", None, &source);
    test.layer("dst", None);
    // An absolute link resolves inside the source layer, not on the host.
    test.store
        .copy("src", "/abs", "dst", "/x/y/file", None)
        .unwrap();
    assert_eq!(test.read("graph/vfs/dir/dst/x/y/file"), b"alpha");
    let x = std::fs::metadata(test.path("graph/vfs/dir/dst/x")).unwrap();
    assert_eq!(x.permissions().mode() & 0o777, 0o700);
    // A path naming a link to a directory copies the link into the target.
    test.store
        .copy("src", "/dir-link", "dst", "/links", None)
        .unwrap();
    assert_eq!(test.entries("graph/vfs/dir/dst/links"), ["dir-link"]);
    // A file never replaces a layer's root; a missing source is named.
    let over_root = test.store.copy("src", "/d/a", "dst", "/", None);
    assert_eq!(over_root.unwrap_err().kind, ErrorKind::InvalidInput);
    let missing = test
        .store
        .copy("src", "/nope", "dst", "/n", None)
        .unwrap_err();
    assert!(
        missing.message.contains("no such file or directory"),
        "{missing:?}"
    );
    let unknown = test
        .store
        .copy("src", "/d", "nope", "/n", None)
        .unwrap_err();
    assert_eq!(unknown.kind, ErrorKind::LayerUnknown);
}
