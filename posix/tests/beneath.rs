//! Every operation acts beneath its directory handle: `..`, absolute paths
//! and symlinks leading out are refused, and a final symlink is never
//! followed.

use graphstore_posix::*;
use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The errno of a failed call (`None` for an error without one, such as an
/// escape refused).
fn errno<T: std::fmt::Debug>(result: io::Result<T>) -> Option<i32> {
    result.expect_err("the call should fail").raw_os_error()
}

/// Whether `result` is an escape refused: `PermissionDenied` without an errno.
fn is_escape<T: std::fmt::Debug>(result: io::Result<T>) -> bool {
    let error = result.expect_err("the escape should be refused");
    error.kind() == io::ErrorKind::PermissionDenied && error.raw_os_error().is_none()
}

/// `<tmp>/root` with `<tmp>/outside` (mode 0644) next to it, and in root
/// `link` → `../outside` and `up` → `..`; returns the temp dir, root's path
/// and root opened.
fn sandbox() -> (tempfile::TempDir, PathBuf, File) {
    let outer = tempfile::tempdir().unwrap();
    let root_path = outer.path().join("root");
    std::fs::create_dir(&root_path).unwrap();
    let outside = outer.path().join("outside");
    std::fs::write(&outside, b"x").unwrap();
    std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink("../outside", root_path.join("link")).unwrap();
    std::os::unix::fs::symlink("..", root_path.join("up")).unwrap();
    let root = File::open(&root_path).unwrap();
    (outer, root_path, root)
}

/// Paths that lead out of the sandbox's root.
const ESCAPES: [&str; 4] = ["../outside", "up/outside", "/etc/passwd", "link/x"];

#[test]
fn operations_stay_beneath_the_directory() {
    let (outer, root_path, root) = sandbox();
    let outside = outer.path().join("outside");

    mkdir(&root, "made", 0o700).unwrap();
    assert!(root_path.join("made").is_dir());
    chmod(&root, "made", 0o555).unwrap();
    assert_eq!(
        std::fs::metadata(root_path.join("made"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o555
    );
    assert_eq!(lstat(&root, "made").unwrap().mode & 0o7777, 0o555);
    assert_eq!(errno(mkdir(&root, ".", 0o700)), Some(libc::EEXIST));

    for escape in [
        "../outside",
        "made/../../outside",
        "up/outside",
        "/etc/passwd",
    ] {
        assert!(chmod(&root, escape, 0o777).is_err(), "{escape}");
        assert!(
            mkdir(&root, &format!("{escape}.d"), 0o777).is_err(),
            "{escape}"
        );
    }
    assert!(is_escape(chmod(&root, "up/outside", 0o777)));
    assert!(is_escape(chmod(&root, "/etc/passwd", 0o777)));
    assert_eq!(errno(chmod(&root, "link", 0o777)), Some(libc::EOPNOTSUPP));
    assert_eq!(
        std::fs::metadata(&outside).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert!(!outer.path().join("outside.d").exists());
    // lstat of the link describes the link itself.
    assert_eq!(
        lstat(&root, "link").unwrap().mode & libc::S_IFMT,
        libc::S_IFLNK
    );
    // Nothing reaches through the link to the outside file.
    let epoch = Timespec {
        seconds: 0,
        nanoseconds: 0,
    };
    set_times(&root, "link", epoch, epoch).unwrap();
    assert_ne!(
        std::fs::metadata(&outside).unwrap().modified().unwrap(),
        std::time::UNIX_EPOCH
    );
    for escape in ["../outside", "up/outside"] {
        assert!(set_times(&root, escape, epoch, epoch).is_err());
        assert!(set_xattr(&root, escape, "user.x", b"1").is_err());
        assert!(lchown(&root, escape, 0, 0).is_err());
        assert!(
            mknod(
                &root,
                &format!("{escape}.fifo"),
                NodeKind::Fifo,
                0o644,
                0,
                0,
                true
            )
            .is_err()
        );
    }
}

#[test]
fn metadata_operations_apply_to_the_named_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), b"x").unwrap();
    let root = File::open(dir.path()).unwrap();
    let when = Timespec {
        seconds: 1_000_000_000,
        nanoseconds: 5,
    };
    set_times(&root, "file", when, when).unwrap();
    let modified = std::fs::metadata(dir.path().join("file"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        modified,
        std::time::UNIX_EPOCH + std::time::Duration::new(1_000_000_000, 5)
    );
    let stat = lstat(&root, "file").unwrap();
    assert_eq!((stat.modification, stat.size, stat.nlink), (when, 1, 1));
    mknod(&root, "pipe", NodeKind::Fifo, 0o600, 0, 0, false).unwrap();
    assert_eq!(
        lstat(&root, "pipe").unwrap().mode & libc::S_IFMT,
        libc::S_IFIFO
    );
    assert_eq!(
        errno(mknod(
            &root,
            "null",
            NodeKind::CharacterDevice,
            0o666,
            1,
            3,
            false
        )),
        Some(libc::EPERM)
    );
    let me = (
        rustix::process::getuid().as_raw(),
        rustix::process::getgid().as_raw(),
    );
    lchown(&root, "file", me.0, me.1).unwrap();
    match set_xattr(&root, "file", "user.graphstore", b"value") {
        Ok(()) => {
            assert_eq!(
                get_xattr(&root, "file", "user.graphstore").unwrap(),
                Some(b"value".to_vec())
            );
            assert_eq!(list_xattrs(&root, "file").unwrap(), ["user.graphstore"]);
            assert_eq!(get_xattr(&root, "file", "user.absent").unwrap(), None);
        }
        // Some file systems refuse user xattrs.
        Err(error) => assert_eq!(error.raw_os_error(), Some(libc::EOPNOTSUPP)),
    }
}

#[test]
fn symlinks_are_made_and_read_not_followed() {
    let (_outer, root_path, root) = sandbox();
    symlink(&root, "abs", "/etc/passwd").unwrap();
    assert_eq!(readlink(&root, "abs").unwrap(), "/etc/passwd");
    assert_eq!(readlink(&root, "link").unwrap(), "../outside");
    assert_eq!(errno(readlink(&root, "missing")), Some(libc::ENOENT));
    assert_eq!(
        std::fs::read_link(root_path.join("abs")).unwrap(),
        Path::new("/etc/passwd")
    );
    for escape in ESCAPES {
        assert!(
            symlink(&root, &format!("{escape}.l"), "x").is_err(),
            "{escape}"
        );
        assert!(readlink(&root, escape).is_err(), "{escape}");
    }
}

fn sample_metadata(mode: u32, xattrs: Vec<(String, Vec<u8>)>) -> Metadata {
    let when = Timespec {
        seconds: 1_234_567_890,
        nanoseconds: 42,
    };
    Metadata {
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
        mode,
        xattrs,
        times: Some((when, when)),
    }
}

fn mode_and_mtime(path: &Path) -> (u32, std::time::SystemTime) {
    let metadata = std::fs::symlink_metadata(path).unwrap();
    (
        metadata.permissions().mode() & 0o7777,
        metadata.modified().unwrap(),
    )
}

#[test]
fn new_files_get_contents_and_metadata_in_one_call() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let root = File::open(dir.path()).unwrap();
    let expected_time = std::time::UNIX_EPOCH + std::time::Duration::new(1_234_567_890, 42);

    create_file(&root, "sub/new", b"hello", &sample_metadata(0o4751, vec![])).unwrap();
    let created = dir.path().join("sub/new");
    assert_eq!(std::fs::read(&created).unwrap(), b"hello");
    assert_eq!(mode_and_mtime(&created), (0o4751, expected_time));
    // An existing name is refused and left alone.
    assert_eq!(
        errno(create_file(
            &root,
            "sub/new",
            b"x",
            &sample_metadata(0o600, vec![])
        )),
        Some(libc::EEXIST)
    );
    assert_eq!(
        errno(create_file(
            &root,
            "sub/.",
            b"x",
            &sample_metadata(0o600, vec![])
        )),
        Some(libc::EEXIST)
    );
    assert_eq!(std::fs::read(&created).unwrap(), b"hello");

    copy_file(
        &root,
        "sub/new",
        &root,
        "copy",
        &sample_metadata(0o640, vec![]),
    )
    .unwrap();
    let copy = dir.path().join("copy");
    assert_eq!(std::fs::read(&copy).unwrap(), b"hello");
    assert_eq!(mode_and_mtime(&copy), (0o640, expected_time));
    // Only regular files are copied; a symlink source is not followed.
    std::os::unix::fs::symlink("sub/new", dir.path().join("link")).unwrap();
    assert_eq!(
        errno(copy_file(
            &root,
            "link",
            &root,
            "c2",
            &sample_metadata(0o600, vec![])
        )),
        Some(libc::ELOOP)
    );
    assert!(!dir.path().join("c2").exists());
}

#[test]
fn a_failed_metadata_step_removes_the_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = File::open(dir.path()).unwrap();
    // No such xattr namespace: setting it fails after the file was written.
    let metadata = sample_metadata(0o644, vec![("bogus.name".into(), b"v".to_vec())]);
    assert_eq!(
        errno(create_file(&root, "new", b"x", &metadata)),
        Some(libc::EOPNOTSUPP)
    );
    assert!(!dir.path().join("new").exists());
}

#[test]
fn whole_metadata_applies_to_the_named_object_only() {
    let (outer, root_path, root) = sandbox();
    let outside = outer.path().join("outside");
    std::fs::write(root_path.join("file"), b"x").unwrap();
    let before = mode_and_mtime(&outside);

    set_metadata(&root, "file", &sample_metadata(0o700, vec![])).unwrap();
    assert_eq!(
        mode_and_mtime(&root_path.join("file")),
        (
            0o700,
            std::time::UNIX_EPOCH + std::time::Duration::new(1_234_567_890, 42)
        )
    );
    // A symlink gets owner and times itself; its target is untouched.
    set_metadata(&root, "link", &sample_metadata(0o777, vec![])).unwrap();
    assert_eq!(mode_and_mtime(&outside), before);
    for escape in ["../outside", "up/outside", "/etc/passwd"] {
        let metadata = sample_metadata(0o777, vec![]);
        assert!(set_metadata(&root, escape, &metadata).is_err(), "{escape}");
        assert!(create_file(&root, &format!("{escape}.new"), b"x", &metadata).is_err());
        assert!(copy_file(&root, "file", &root, &format!("{escape}.copy"), &metadata).is_err());
        assert!(copy_file(&root, escape, &root, "stolen", &metadata).is_err());
    }
    assert_eq!(mode_and_mtime(&outside), before);
    assert!(!outer.path().join("outside.new").exists());
    assert!(!outer.path().join("outside.copy").exists());
    assert!(!root_path.join("stolen").exists());
}

#[test]
fn whole_files_are_read_up_to_a_limit() {
    let (outer, root_path, root) = sandbox();
    std::fs::write(outer.path().join("secret"), b"outside").unwrap();
    std::fs::write(root_path.join("file"), b"0123456789").unwrap();
    std::os::unix::fs::symlink("../secret", root_path.join("secret-link")).unwrap();
    std::fs::create_dir(root_path.join("dir")).unwrap();

    assert_eq!(read_file(&root, "file", 10).unwrap(), b"0123456789");
    assert_eq!(errno(read_file(&root, "file", 9)), Some(libc::EFBIG));
    assert_eq!(errno(read_file(&root, "missing", 10)), Some(libc::ENOENT));
    assert_eq!(errno(read_file(&root, "dir", 10)), Some(libc::EISDIR));
    // A FIFO is refused at once, not waited on.
    mknod(&root, "pipe", NodeKind::Fifo, 0o600, 0, 0, false).unwrap();
    assert_eq!(errno(read_file(&root, "pipe", 10)), Some(libc::EINVAL));
    // Neither a final symlink nor a path leading out is followed.
    assert_eq!(
        errno(read_file(&root, "secret-link", 100)),
        Some(libc::ELOOP)
    );
    assert!(read_file(&root, "../secret", 100).is_err());
    assert!(read_file(&root, "dir/../../secret", 100).is_err());

    let (file, size) = open_regular(&root, "file").unwrap();
    assert_eq!((size, file.metadata().unwrap().len()), (10, 10));
    assert_eq!(errno(open_regular(&root, "dir")), Some(libc::EISDIR));
}

#[test]
fn directories_are_listed_with_stats_and_xattr_names() {
    let (_outer, root_path, root) = sandbox();
    std::fs::create_dir_all(root_path.join("sub/inner")).unwrap();
    std::fs::write(root_path.join("sub/file"), b"12345").unwrap();
    std::os::unix::fs::symlink("/etc", root_path.join("sub/link")).unwrap();
    let tagged = set_xattr(&root, "sub/file", "user.tag", b"v").is_ok();

    let mut entries = read_dir(&root, "sub", usize::MAX).unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["file", "inner", "link"]);
    assert_eq!(entries[0].stat.size, 5);
    assert_eq!(entries[0].stat.mode & libc::S_IFMT, libc::S_IFREG);
    assert_eq!(entries[1].stat.mode & libc::S_IFMT, libc::S_IFDIR);
    // A symlink is described, not followed.
    assert_eq!(entries[2].stat.mode & libc::S_IFMT, libc::S_IFLNK);
    if tagged {
        assert_eq!(entries[0].xattrs, ["user.tag"]);
    }
    assert!(entries[1].xattrs.is_empty());
    let mut top: Vec<String> = read_dir(&root, ".", usize::MAX)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    top.sort();
    assert_eq!(top, ["link", "sub", "up"]);
    // Neither a symlink nor a path leading out is listed through.
    assert!(read_dir(&root, "up", usize::MAX).is_err());
    assert!(read_dir(&root, "sub/link", usize::MAX).is_err());
    assert!(read_dir(&root, "../root", usize::MAX).is_err());
    assert_eq!(
        errno(read_dir(&root, "sub/file", usize::MAX)),
        Some(libc::ENOTDIR)
    );
    // A listing larger than the caller can take is refused.
    let over = read_dir(&root, "sub", DIR_ENTRY_COST + 5).unwrap_err();
    assert_eq!(
        (over.kind(), over.raw_os_error()),
        (io::ErrorKind::OutOfMemory, None)
    );
}

#[test]
fn trees_are_removed_without_following_symlinks() {
    let (outer, root_path, root) = sandbox();
    std::fs::create_dir_all(root_path.join("tree/a/b")).unwrap();
    std::fs::write(root_path.join("tree/a/b/file"), b"x").unwrap();
    std::os::unix::fs::symlink("../../..", root_path.join("tree/a/out")).unwrap();
    remove_tree(&root, "tree").unwrap();
    assert!(!root_path.join("tree").exists());
    assert!(outer.path().join("outside").exists());
    // A missing tree is fine.
    remove_tree(&root, "tree").unwrap();
    for escape in ["../root", "up/root", "/tmp"] {
        assert!(remove_tree(&root, escape).is_err(), "{escape}");
    }
    assert!(root_path.exists());
}

#[test]
fn directories_open_beneath_only() {
    let (_outer, root_path, root) = sandbox();
    std::fs::create_dir_all(root_path.join("a/b")).unwrap();
    std::fs::write(root_path.join("a/b/f"), b"x").unwrap();

    let b = open_dir(&root, "a/b").unwrap();
    assert_eq!(read_file(&b, "f", 10).unwrap(), b"x");
    let itself = open_dir(&root, ".").unwrap();
    assert_eq!(
        itself.metadata().unwrap().ino(),
        std::fs::metadata(&root_path).unwrap().ino()
    );
    assert_eq!(errno(open_dir(&root, "a/b/f")), Some(libc::ENOTDIR));
    assert_eq!(errno(open_dir(&root, "up")), Some(libc::ENOTDIR));
    for escape in ["..", "a/../..", "up/root", "/tmp"] {
        assert!(open_dir(&root, escape).is_err(), "{escape}");
    }
    assert!(is_escape(open_dir(&root, "up/root")));
}

#[test]
fn new_files_get_exactly_their_mode() {
    let (outer, root_path, root) = sandbox();
    for (name, mode) in [("a", 0o777), ("b", 0o4751), ("c", 0o000), ("d", 0o666)] {
        let mut file = create_new(&root, name, mode).unwrap();
        io::Write::write_all(&mut file, b"data").unwrap();
        drop(file);
        let metadata = std::fs::metadata(root_path.join(name)).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o7777, mode, "{name}");
        assert_eq!(metadata.len(), 4, "{name}");
    }
    assert_eq!(errno(create_new(&root, "a", 0o600)), Some(libc::EEXIST));
    assert_eq!(errno(create_new(&root, ".", 0o600)), Some(libc::EEXIST));
    // A final symlink is not followed, even to a missing target.
    std::os::unix::fs::symlink("../new-outside", root_path.join("dangling")).unwrap();
    assert_eq!(
        errno(create_new(&root, "dangling", 0o600)),
        Some(libc::EEXIST)
    );
    for escape in ["../x", "up/x", "/tmp/x", "link/x"] {
        assert!(create_new(&root, escape, 0o600).is_err(), "{escape}");
    }
    assert!(!outer.path().join("new-outside").exists());
    assert!(!outer.path().join("x").exists());
}

#[test]
fn files_open_for_reading_beneath_only() {
    let (_outer, root_path, root) = sandbox();
    std::fs::write(root_path.join("f"), b"contents").unwrap();
    let mut read = String::new();
    io::Read::read_to_string(&mut open_read(&root, "f").unwrap(), &mut read).unwrap();
    assert_eq!(read, "contents");
    assert_eq!(errno(open_read(&root, "missing")), Some(libc::ENOENT));
    assert_eq!(errno(open_read(&root, "link")), Some(libc::ELOOP));
    for escape in ESCAPES {
        assert!(open_read(&root, escape).is_err(), "{escape}");
    }
    assert!(is_escape(open_read(&root, "../outside")));
}

#[test]
fn unlink_removes_the_named_entry_only() {
    let (outer, root_path, root) = sandbox();
    std::fs::write(root_path.join("f"), b"x").unwrap();
    std::fs::create_dir(root_path.join("d")).unwrap();
    unlink(&root, "f").unwrap();
    assert!(!root_path.join("f").exists());
    // A symlink goes itself; its target stays.
    unlink(&root, "link").unwrap();
    assert!(std::fs::symlink_metadata(root_path.join("link")).is_err());
    assert!(outer.path().join("outside").exists());
    assert_eq!(errno(unlink(&root, "f")), Some(libc::ENOENT));
    assert_eq!(errno(unlink(&root, "d")), Some(libc::EISDIR));
    for escape in ["../outside", "up/outside", "/etc/passwd"] {
        assert!(unlink(&root, escape).is_err(), "{escape}");
    }
    assert!(outer.path().join("outside").exists());
}

/// Two sibling roots, each opened, for operations across directories.
fn two_roots() -> (tempfile::TempDir, File, File) {
    let outer = tempfile::tempdir().unwrap();
    for name in ["one", "two"] {
        std::fs::create_dir_all(outer.path().join(name).join("sub")).unwrap();
    }
    let one = File::open(outer.path().join("one")).unwrap();
    let two = File::open(outer.path().join("two")).unwrap();
    (outer, one, two)
}

#[test]
fn rename_works_across_directories_beneath_only() {
    let (outer, one, two) = two_roots();
    let path = |p: &str| outer.path().join(p);
    std::fs::write(path("one/f"), b"moved").unwrap();
    std::fs::write(path("two/sub/old"), b"replaced").unwrap();
    rename(&one, "f", &two, "sub/old").unwrap();
    assert_eq!(std::fs::read(path("two/sub/old")).unwrap(), b"moved");
    assert!(!path("one/f").exists());
    // A symlink is moved itself.
    std::os::unix::fs::symlink("/etc/passwd", path("one/l")).unwrap();
    rename(&one, "l", &one, "sub/l").unwrap();
    assert_eq!(
        std::fs::read_link(path("one/sub/l")).unwrap(),
        Path::new("/etc/passwd")
    );
    assert_eq!(
        errno(rename(&one, "missing", &two, "x")),
        Some(libc::ENOENT)
    );
    std::os::unix::fs::symlink("..", path("one/up")).unwrap();
    for escape in ["../two/sub/old", "up/two/sub/old", "/tmp/x", ".."] {
        assert!(rename(&one, escape, &one, "stolen").is_err(), "{escape}");
        assert!(rename(&two, "sub/old", &one, escape).is_err(), "{escape}");
    }
    assert!(path("two/sub/old").exists());
    assert!(!path("one/stolen").exists());
}

#[test]
fn hard_links_work_across_directories_beneath_only() {
    let (outer, one, two) = two_roots();
    let path = |p: &str| outer.path().join(p);
    std::fs::write(path("one/f"), b"shared").unwrap();
    hard_link(&one, "f", &two, "sub/g").unwrap();
    let (original, linked) = (lstat(&one, "f").unwrap(), lstat(&two, "sub/g").unwrap());
    assert_eq!(
        (linked.ino, linked.dev, linked.nlink),
        (original.ino, original.dev, 2)
    );
    assert_eq!(
        errno(hard_link(&one, "f", &two, "sub/g")),
        Some(libc::EEXIST)
    );
    // A symlink is linked itself, not its target.
    std::os::unix::fs::symlink("f", path("one/l")).unwrap();
    hard_link(&one, "l", &one, "l2").unwrap();
    assert_eq!(
        lstat(&one, "l2").unwrap().mode & libc::S_IFMT,
        libc::S_IFLNK
    );
    std::os::unix::fs::symlink("..", path("one/up")).unwrap();
    for escape in ["../two/sub/g", "up/two/sub/g", "/etc/passwd", ".."] {
        assert!(hard_link(&one, escape, &one, "stolen").is_err(), "{escape}");
        assert!(hard_link(&one, "f", &one, escape).is_err(), "{escape}");
    }
    assert!(!path("one/stolen").exists());
    assert_eq!(lstat(&one, "f").unwrap().nlink, 2);
}

#[test]
fn listing_gives_names_and_types_without_leaving_the_directory() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("file"), b"x").unwrap();
    std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
    let dir = File::open(&root).unwrap();
    let mut listed = list(&dir, ".").unwrap();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("file".to_string(), libc::S_IFREG),
            ("link".to_string(), libc::S_IFLNK),
            ("sub".to_string(), libc::S_IFDIR),
        ]
    );
    assert_eq!(list(&dir, "sub").unwrap(), []);
    assert!(is_escape(list(&dir, "..")));
    // A final symlink is not followed, even one leading out.
    assert_eq!(errno(list(&dir, "link")), Some(libc::ENOTDIR));
}
