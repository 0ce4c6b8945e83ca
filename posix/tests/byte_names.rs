//! Names that are not UTF-8 travel encoded (`byte_names`): every operation
//! decodes them to the exact bytes on disk, listings and symlink targets
//! encode them, and a malformed encoding is refused like an escape.

use graphstore_posix::byte_names::{encode_component, encode_path};
use graphstore_posix::*;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// `path` beneath `root`, from its bytes.
fn at(root: &Path, path: &[u8]) -> PathBuf {
    root.join(OsStr::from_bytes(path))
}

#[test]
fn encoded_names_reach_the_exact_bytes() {
    let temp = tempfile::tempdir().unwrap();
    let root_path = temp.path();
    let root = File::open(root_path).unwrap();
    let dir = encode_component(b"d\xff").into_owned();
    let file = format!("{dir}/{}", encode_component(b"caf\xe9"));

    mkdir(&root, &dir, 0o755).unwrap();
    create_file(
        &root,
        &file,
        b"latin-1",
        &Metadata {
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
            mode: 0o640,
            xattrs: Vec::new(),
            times: None,
        },
    )
    .unwrap();
    assert_eq!(
        std::fs::read(at(root_path, b"d\xff/caf\xe9")).unwrap(),
        b"latin-1"
    );
    assert_eq!(read_file(&root, &file, 100).unwrap(), b"latin-1");
    assert_eq!(lstat(&root, &file).unwrap().size, 7);

    let link = format!("{dir}/link");
    symlink(&root, &link, &encode_path(b"../d\xff/caf\xe9")).unwrap();
    let target = std::fs::read_link(at(root_path, b"d\xff/link")).unwrap();
    assert_eq!(target.as_os_str().as_bytes(), b"../d\xff/caf\xe9");
    assert_eq!(readlink(&root, &link).unwrap(), "../\0d\u{ff}/\0caf\u{e9}");

    let opened = open_dir(&root, &dir).unwrap();
    let mut names: Vec<String> = read_dir(&opened, ".", 1 << 20)
        .unwrap()
        .into_iter()
        .map(|entry| entry.name)
        .collect();
    names.sort();
    assert_eq!(names, ["\0caf\u{e9}", "link"]);
    let listed: Vec<String> = list(&root, ".")
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(listed, ["\0d\u{ff}"]);

    let other = format!("{dir}/{}", encode_component(b"n\xe8me"));
    hard_link(&root, &file, &root, &other).unwrap();
    rename(&root, &other, &root, &encode_component(b"top\xe9")).unwrap();
    assert_eq!(
        std::fs::read(at(root_path, b"top\xe9")).unwrap(),
        b"latin-1"
    );
    unlink(&root, &encode_component(b"top\xe9")).unwrap();
    assert!(!at(root_path, b"top\xe9").exists());
    remove_tree(&root, &dir).unwrap();
    assert!(!at(root_path, b"d\xff").exists());
}

#[test]
fn malformed_encodings_are_refused_as_escapes() {
    let temp = tempfile::tempdir().unwrap();
    let root = File::open(temp.path()).unwrap();
    // Valid UTF-8 behind the mark, a char above U+00FF, the mark alone,
    // a NUL among the bytes.
    for bad in ["\0abc", "\0\u{e9}\u{100}", "\0", "x/\0\u{e9}\0"] {
        let error = mkdir(&root, bad, 0o755).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{bad:?}");
        assert_eq!(error.raw_os_error(), None, "{bad:?}");
    }
    let error = symlink(&root, "s", "\0plain").unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}
