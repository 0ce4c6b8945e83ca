//! Host side of the `posix` interface: file metadata WASI lacks, applied
//! beneath a directory capability.
//!
//! Resolution: the path is split into its parent and final component; the
//! parent is opened with cap-primitives (sandboxed: `..`, absolute paths and
//! symlinks leading out are refused) and the operation is one `*at` call on
//! the final component, never following a final symlink.

use crate::bindings::graphstore::store::posix::{Host, Stat};
use crate::state::HostState;
use rustix::fs::{AtFlags, Mode, OFlags};
use std::fs::File;
use std::path::Path;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{Descriptor, ErrorCode};

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

/// Sets permission bits of `path` beneath `root`; a symlink is refused.
pub fn chmod_beneath(root: &File, path: &str, mode: u32) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    let target = rustix::fs::openat(
        &parent,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_code)?;
    let stat = rustix::fs::fstat(&target).map_err(errno_code)?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::Symlink {
        return Err(ErrorCode::Unsupported);
    }
    // fchmod refuses O_PATH descriptors; the /proc magic link names exactly
    // the object we opened (the approach cap-primitives uses too).
    let magic = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&target));
    rustix::fs::chmod(magic.as_str(), Mode::from_raw_mode(mode)).map_err(errno_code)
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
    }
}
