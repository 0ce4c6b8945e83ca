//! Host side of the `posix` interface: file metadata WASI lacks, applied
//! beneath a directory capability.
//!
//! Resolution: the path is split into its parent and final component; the
//! parent is opened with cap-primitives (sandboxed: `..`, absolute paths and
//! symlinks leading out are refused) and the operation is one `*at` call on
//! the final component, never following a final symlink.

use crate::bindings::graphstore::store::posix::{Host, NodeKind, Stat};
use crate::state::HostState;
use rustix::fs::{AtFlags, Mode, OFlags};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sync::clocks::wall_clock::Datetime;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{Descriptor, ErrorCode};

/// Largest extended attribute value read back.
const MAX_XATTR_VALUE: usize = 64 * 1024;
/// Largest list of extended attribute names read back.
const MAX_XATTR_LIST: usize = 64 * 1024;

/// Splits `path` into (parent, final component), refusing absolute paths,
/// empty paths, NUL and a final `.` or `..`.
pub fn split_beneath(path: &str) -> Result<(&str, &str), ErrorCode> {
    if path.is_empty() || path.starts_with('/') || path.contains('\0') {
        return Err(ErrorCode::NotPermitted);
    }
    let trimmed = path.trim_end_matches('/');
    let (parent, name) = match trimmed.rsplit_once('/') {
        Some((parent, name)) => (parent, name),
        None => (".", trimmed),
    };
    if name.is_empty() || name == ".." {
        return Err(ErrorCode::NotPermitted);
    }
    Ok((if parent.is_empty() { "." } else { parent }, name))
}

/// Opens the parent directory of `path` beneath `root`; returns it and the final name.
fn open_parent<'a>(root: &File, path: &'a str) -> Result<(File, &'a str), ErrorCode> {
    let (parent, name) = split_beneath(path)?;
    let parent = cap_primitives::fs::open_dir(root, Path::new(parent)).map_err(io_error_code)?;
    Ok((parent, name))
}

/// Maps an I/O error to the closest WASI error code; escapes are `not-permitted`.
pub fn io_error_code(error: std::io::Error) -> ErrorCode {
    match error
        .raw_os_error()
        .map(rustix::io::Errno::from_raw_os_error)
    {
        Some(errno) => errno_code(errno),
        // cap-primitives reports an escape attempt without an errno.
        None => ErrorCode::NotPermitted,
    }
}

/// Maps an errno to a WASI error code.
pub fn errno_code(errno: rustix::io::Errno) -> ErrorCode {
    use rustix::io::Errno;
    match errno {
        Errno::NOENT => ErrorCode::NoEntry,
        Errno::EXIST => ErrorCode::Exist,
        Errno::ACCESS => ErrorCode::Access,
        Errno::PERM => ErrorCode::NotPermitted,
        Errno::ROFS => ErrorCode::ReadOnly,
        Errno::NOTDIR => ErrorCode::NotDirectory,
        Errno::ISDIR => ErrorCode::IsDirectory,
        Errno::NOTEMPTY => ErrorCode::NotEmpty,
        Errno::NAMETOOLONG => ErrorCode::NameTooLong,
        Errno::NOSPC => ErrorCode::InsufficientSpace,
        Errno::LOOP => ErrorCode::Loop,
        Errno::INVAL => ErrorCode::Invalid,
        Errno::BUSY => ErrorCode::Busy,
        Errno::DQUOT => ErrorCode::Quota,
        Errno::OPNOTSUPP => ErrorCode::Unsupported,
        Errno::XDEV => ErrorCode::CrossDevice,
        _ => ErrorCode::Io,
    }
}

/// Creates directory `path` beneath `root` with `mode`.
pub fn mkdir_beneath(root: &File, path: &str, mode: u32) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    if name == "." {
        return Err(ErrorCode::Exist);
    }
    rustix::fs::mkdirat(&parent, name, Mode::from_raw_mode(mode)).map_err(errno_code)
}

/// Opens the object `path` names beneath `root` as an `O_PATH` descriptor,
/// without following a final symlink.
fn open_object(root: &File, path: &str) -> Result<OwnedFd, ErrorCode> {
    if path == "." {
        return rustix::fs::openat(root, ".", OFlags::PATH | OFlags::CLOEXEC, Mode::empty())
            .map_err(errno_code);
    }
    let (parent, name) = open_parent(root, path)?;
    rustix::fs::openat(
        &parent,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_code)
}

/// The `/proc` magic link naming exactly the object `fd` refers to; path
/// operations through it act on that object (a symlink itself included).
/// Calls that refuse `O_PATH` descriptors (fchmod, fsetxattr) go this way,
/// as cap-primitives does.
fn magic_path(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

fn is_symlink(fd: &OwnedFd) -> Result<bool, ErrorCode> {
    let stat = rustix::fs::fstat(fd).map_err(errno_code)?;
    Ok(rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Symlink)
}

/// Sets permission bits of `path` beneath `root`; a symlink is refused.
pub fn chmod_beneath(root: &File, path: &str, mode: u32) -> Result<(), ErrorCode> {
    let target = open_object(root, path)?;
    if is_symlink(&target)? {
        return Err(ErrorCode::Unsupported);
    }
    rustix::fs::chmod(magic_path(&target).as_str(), Mode::from_raw_mode(mode)).map_err(errno_code)
}

/// Sets the owner of `path` beneath `root` (a final symlink itself).
pub fn lchown_beneath(root: &File, path: &str, uid: u32, gid: u32) -> Result<(), ErrorCode> {
    let target = open_object(root, path)?;
    let (uid, gid) = (
        rustix::fs::Uid::from_raw(uid),
        rustix::fs::Gid::from_raw(gid),
    );
    rustix::fs::chownat(&target, "", Some(uid), Some(gid), AtFlags::EMPTY_PATH).map_err(errno_code)
}

/// Creates a FIFO or (when `allow_devices`) a device node beneath `root`.
pub fn mknod_beneath(
    root: &File,
    path: &str,
    kind: NodeKind,
    mode: u32,
    major: u32,
    minor: u32,
    allow_devices: bool,
) -> Result<(), ErrorCode> {
    let file_type = match kind {
        NodeKind::Fifo => rustix::fs::FileType::Fifo,
        NodeKind::CharacterDevice if allow_devices => rustix::fs::FileType::CharacterDevice,
        NodeKind::BlockDevice if allow_devices => rustix::fs::FileType::BlockDevice,
        _ => return Err(ErrorCode::NotPermitted),
    };
    let (parent, name) = open_parent(root, path)?;
    let device = rustix::fs::makedev(major, minor);
    rustix::fs::mknodat(&parent, name, file_type, Mode::from_raw_mode(mode), device)
        .map_err(errno_code)
}

/// Sets access and modification times of `path` beneath `root` (a final
/// symlink itself).
pub fn set_times_beneath(
    root: &File,
    path: &str,
    access: Datetime,
    modification: Datetime,
) -> Result<(), ErrorCode> {
    let timespec = |t: Datetime| rustix::fs::Timespec {
        tv_sec: t.seconds as i64,
        tv_nsec: i64::from(t.nanoseconds),
    };
    let times = rustix::fs::Timestamps {
        last_access: timespec(access),
        last_modification: timespec(modification),
    };
    let (parent, name) = open_parent(root, path)?;
    rustix::fs::utimensat(&parent, name, &times, AtFlags::SYMLINK_NOFOLLOW).map_err(errno_code)
}

/// Creates symlink `path` beneath `root` with content `target`.
pub fn symlink_beneath(root: &File, path: &str, target: &str) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    rustix::fs::symlinkat(target, &parent, name).map_err(errno_code)
}

/// Removes directory `path` beneath `root` recursively, never following
/// symlinks (cap-primitives' `remove_dir_all`, which works beneath the
/// descriptor at any depth); a missing `path` is fine.
pub fn remove_tree_beneath(root: &File, path: &str) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    match cap_primitives::fs::remove_dir_all(&parent, Path::new(name)) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error_code(error)),
    }
}

/// The content of symlink `path` beneath `root`.
pub fn readlink_beneath(root: &File, path: &str) -> Result<String, ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    let target = rustix::fs::readlinkat(&parent, name, Vec::new()).map_err(errno_code)?;
    target
        .into_string()
        .map_err(|_| ErrorCode::IllegalByteSequence)
}

/// Sets extended attribute `name` on `path` beneath `root`.
pub fn set_xattr_beneath(
    root: &File,
    path: &str,
    name: &str,
    value: &[u8],
) -> Result<(), ErrorCode> {
    let target = open_object(root, path)?;
    rustix::fs::setxattr(
        magic_path(&target).as_str(),
        name,
        value,
        rustix::fs::XattrFlags::empty(),
    )
    .map_err(errno_code)
}

/// Value of extended attribute `name` of `path` beneath `root`.
pub fn get_xattr_beneath(
    root: &File,
    path: &str,
    name: &str,
) -> Result<Option<Vec<u8>>, ErrorCode> {
    let target = open_object(root, path)?;
    let mut value = vec![0u8; MAX_XATTR_VALUE];
    match rustix::fs::getxattr(magic_path(&target).as_str(), name, &mut value[..]) {
        Ok(length) => {
            value.truncate(length);
            Ok(Some(value))
        }
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(errno) => Err(errno_code(errno)),
    }
}

/// Names of the extended attributes of `path` beneath `root`.
pub fn list_xattrs_beneath(root: &File, path: &str) -> Result<Vec<String>, ErrorCode> {
    let target = open_object(root, path)?;
    let mut list = vec![0u8; MAX_XATTR_LIST];
    let length =
        rustix::fs::listxattr(magic_path(&target).as_str(), &mut list[..]).map_err(errno_code)?;
    Ok(list[..length]
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect())
}

/// Describes `path` beneath `root` without following a final symlink.
pub fn lstat_beneath(root: &File, path: &str) -> Result<Stat, ErrorCode> {
    let stat = if path == "." {
        rustix::fs::fstat(root).map_err(errno_code)?
    } else {
        let (parent, name) = open_parent(root, path)?;
        rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(errno_code)?
    };
    Ok(Stat {
        mode: stat.st_mode,
        uid: stat.st_uid,
        gid: stat.st_gid,
        rdev: stat.st_rdev,
        nlink: stat.st_nlink,
        ino: stat.st_ino,
        dev: stat.st_dev,
        size: stat.st_size as u64,
    })
}

impl Host for HostState {
    fn mkdir(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        mode: u32,
    ) -> Result<(), ErrorCode> {
        mkdir_beneath(&*self.directory(&dir, true)?, &path, mode)
    }

    fn chmod(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        mode: u32,
    ) -> Result<(), ErrorCode> {
        chmod_beneath(&*self.directory(&dir, true)?, &path, mode)
    }

    fn lstat(&mut self, dir: Resource<Descriptor>, path: String) -> Result<Stat, ErrorCode> {
        lstat_beneath(&*self.directory(&dir, false)?, &path)
    }

    fn lchown(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        uid: u32,
        gid: u32,
    ) -> Result<(), ErrorCode> {
        lchown_beneath(&*self.directory(&dir, true)?, &path, uid, gid)
    }

    fn mknod(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        kind: NodeKind,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Result<(), ErrorCode> {
        let allow_devices = self.allow_device_nodes;
        mknod_beneath(
            &*self.directory(&dir, true)?,
            &path,
            kind,
            mode,
            major,
            minor,
            allow_devices,
        )
    }

    fn set_times(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        access: Datetime,
        modification: Datetime,
    ) -> Result<(), ErrorCode> {
        set_times_beneath(&*self.directory(&dir, true)?, &path, access, modification)
    }

    fn set_xattr(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        name: String,
        value: Vec<u8>,
    ) -> Result<(), ErrorCode> {
        set_xattr_beneath(&*self.directory(&dir, true)?, &path, &name, &value)
    }

    fn get_xattr(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        name: String,
    ) -> Result<Option<Vec<u8>>, ErrorCode> {
        get_xattr_beneath(&*self.directory(&dir, false)?, &path, &name)
    }

    fn symlink(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        target: String,
    ) -> Result<(), ErrorCode> {
        symlink_beneath(&*self.directory(&dir, true)?, &path, &target)
    }

    fn remove_tree(&mut self, dir: Resource<Descriptor>, path: String) -> Result<(), ErrorCode> {
        remove_tree_beneath(&*self.directory(&dir, true)?, &path)
    }

    fn readlink(&mut self, dir: Resource<Descriptor>, path: String) -> Result<String, ErrorCode> {
        readlink_beneath(&*self.directory(&dir, false)?, &path)
    }

    fn list_xattrs(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Result<Vec<String>, ErrorCode> {
        list_xattrs_beneath(&*self.directory(&dir, false)?, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn split_refuses_escapes() {
        assert_eq!(split_beneath("a/b/c").unwrap(), ("a/b", "c"));
        assert_eq!(split_beneath("c").unwrap(), (".", "c"));
        assert_eq!(split_beneath("c/").unwrap(), (".", "c"));
        for bad in ["", "/etc/passwd", "a/..", "..", "a\0b"] {
            assert!(split_beneath(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn operations_stay_beneath_the_directory() {
        let outer = tempfile::tempdir().unwrap();
        let root_path = outer.path().join("root");
        std::fs::create_dir(&root_path).unwrap();
        let outside = outer.path().join("outside.txt");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink("../outside.txt", root_path.join("link")).unwrap();
        std::os::unix::fs::symlink("..", root_path.join("up")).unwrap();
        let root = File::open(&root_path).unwrap();

        mkdir_beneath(&root, "made", 0o700).unwrap();
        assert!(root_path.join("made").is_dir());
        chmod_beneath(&root, "made", 0o555).unwrap();
        assert_eq!(
            std::fs::metadata(root_path.join("made"))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777,
            0o555
        );
        assert_eq!(lstat_beneath(&root, "made").unwrap().mode & 0o7777, 0o555);

        for escape in [
            "../outside.txt",
            "made/../../outside.txt",
            "up/outside.txt",
            "/etc/passwd",
        ] {
            assert!(chmod_beneath(&root, escape, 0o777).is_err(), "{escape}");
            assert!(
                mkdir_beneath(&root, &format!("{escape}.d"), 0o777).is_err(),
                "{escape}"
            );
        }
        assert_eq!(
            chmod_beneath(&root, "link", 0o777),
            Err(ErrorCode::Unsupported)
        );
        assert_eq!(
            std::fs::metadata(&outside).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert!(!outer.path().join("outside.txt.d").exists());
        // lstat of the link describes the link itself.
        assert_eq!(
            lstat_beneath(&root, "link").unwrap().mode & libc::S_IFMT,
            libc::S_IFLNK
        );
        // Nothing reaches through the link to the outside file.
        let epoch = Datetime {
            seconds: 0,
            nanoseconds: 0,
        };
        set_times_beneath(&root, "link", epoch, epoch).unwrap();
        assert_ne!(
            std::fs::metadata(&outside).unwrap().modified().unwrap(),
            std::time::UNIX_EPOCH
        );
        for escape in ["../outside.txt", "up/outside.txt"] {
            assert!(set_times_beneath(&root, escape, epoch, epoch).is_err());
            assert!(set_xattr_beneath(&root, escape, "user.x", b"1").is_err());
            assert!(lchown_beneath(&root, escape, 0, 0).is_err());
            assert!(
                mknod_beneath(
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
        let when = Datetime {
            seconds: 1_000_000_000,
            nanoseconds: 5,
        };
        set_times_beneath(&root, "file", when, when).unwrap();
        let modified = std::fs::metadata(dir.path().join("file"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            modified,
            std::time::UNIX_EPOCH + std::time::Duration::new(1_000_000_000, 5)
        );
        mknod_beneath(&root, "pipe", NodeKind::Fifo, 0o600, 0, 0, false).unwrap();
        assert_eq!(
            lstat_beneath(&root, "pipe").unwrap().mode & libc::S_IFMT,
            libc::S_IFIFO
        );
        assert_eq!(
            mknod_beneath(&root, "null", NodeKind::CharacterDevice, 0o666, 1, 3, false),
            Err(ErrorCode::NotPermitted)
        );
        let me = (
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        );
        lchown_beneath(&root, "file", me.0, me.1).unwrap();
        match set_xattr_beneath(&root, "file", "user.graphstore", b"value") {
            Ok(()) => {
                assert_eq!(
                    get_xattr_beneath(&root, "file", "user.graphstore").unwrap(),
                    Some(b"value".to_vec())
                );
                assert!(
                    list_xattrs_beneath(&root, "file")
                        .unwrap()
                        .contains(&"user.graphstore".to_string())
                );
                assert_eq!(
                    get_xattr_beneath(&root, "file", "user.absent").unwrap(),
                    None
                );
            }
            // Some file systems refuse user xattrs.
            Err(code) => assert_eq!(code, ErrorCode::Unsupported),
        }
    }
}
