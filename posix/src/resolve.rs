//! The one building block every operation resolves through: split a path
//! into its parent and final component, open the parent beneath the
//! directory handle, act on the final component with one `*at` call.

use crate::byte_names;
use rustix::fs::{Mode, OFlags};
use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Where the kernel exposes this process's descriptors by number.
const PROC_SELF_FD: &str = "/proc/self/fd";

/// The error for a path that does not stay beneath its directory; like
/// cap-primitives' own escape error, it has kind `PermissionDenied` and no
/// errno.
pub(crate) fn escape(path: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("path {path:?} does not stay beneath its directory"),
    )
}

/// Splits `path` into (parent, final component), refusing absolute paths,
/// empty paths, NUL and a final `..` (a `PermissionDenied` error without an
/// errno). A final `.` is kept: it names the parent itself.
pub fn split_beneath(path: &str) -> io::Result<(&str, &str)> {
    if path.contains('\0') {
        return Err(escape(path));
    }
    let (parent, name) = split_bytes(path.as_bytes()).ok_or_else(|| escape(path))?;
    // Both halves end at a `/` or at the ends of `path`: char boundaries.
    fn text<'a>(bytes: &'a [u8], path: &str) -> io::Result<&'a str> {
        std::str::from_utf8(bytes).map_err(|_| escape(path))
    }
    Ok((text(parent, path)?, text(name, path)?))
}

/// [`split_beneath`] of a path's bytes; `None` where it refuses.
fn split_bytes(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.is_empty() || path.starts_with(b"/") || path.contains(&0) {
        return None;
    }
    let end = path.iter().rposition(|&b| b != b'/')? + 1;
    let trimmed = &path[..end];
    let (parent, name) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&trimmed[..slash], &trimmed[slash + 1..]),
        None => (&b"."[..], trimmed),
    };
    if name == b".." {
        return None;
    }
    Some((if parent.is_empty() { b"." } else { parent }, name))
}

/// The bytes `path` stands for (names that are not UTF-8 arrive encoded,
/// see [`crate::byte_names`]); a malformed encoding is refused as an escape.
pub(crate) fn path_bytes(path: &str) -> io::Result<Cow<'_, [u8]>> {
    byte_names::decode_path(path).ok_or_else(|| escape(path))
}

/// The directory holding a path's final component: the directory handle
/// itself for a single-component path (no open needed), otherwise a
/// sandboxed open.
pub(crate) enum Parent<'a> {
    Root(&'a File),
    Opened(File),
}

impl Parent<'_> {
    pub(crate) fn as_file(&self) -> &File {
        match self {
            Parent::Root(root) => root,
            Parent::Opened(dir) => dir,
        }
    }
}

impl AsFd for Parent<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.as_file().as_fd()
    }
}

/// Opens the parent directory of `path` beneath `root`; returns it and the
/// final name. The final name is never `/`-separated, so every `*at` call on
/// it stays in the parent.
pub(crate) fn open_parent<'r>(root: &'r File, path: &str) -> io::Result<(Parent<'r>, OsString)> {
    let bytes = path_bytes(path)?;
    let (parent, name) = split_bytes(&bytes).ok_or_else(|| escape(path))?;
    let name = OsStr::from_bytes(name).to_os_string();
    if parent == b"." {
        return Ok((Parent::Root(root), name));
    }
    let parent = cap_primitives::fs::open_dir(root, Path::new(OsStr::from_bytes(parent)))?;
    Ok((Parent::Opened(parent), name))
}

/// Opens the object `path` names beneath `root` as an `O_PATH` descriptor,
/// without following a final symlink (`.` is `root` itself).
pub(crate) fn open_object(root: &File, path: &str) -> io::Result<OwnedFd> {
    if path == "." {
        return Ok(rustix::fs::openat(
            root,
            ".",
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
        )?);
    }
    let (parent, name) = open_parent(root, path)?;
    open_object_in(&parent, &name)
}

/// Opens `name` in `parent` as an `O_PATH` descriptor, not following a
/// final symlink.
pub(crate) fn open_object_in(parent: &Parent<'_>, name: &OsStr) -> io::Result<OwnedFd> {
    Ok(rustix::fs::openat(
        parent,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// The `/proc` magic link naming exactly the object `fd` refers to; path
/// operations through it act on that object (a symlink itself included).
/// Calls that refuse `O_PATH` descriptors (fchmod, fsetxattr) go this way,
/// as cap-primitives does.
pub(crate) fn magic_path(fd: &OwnedFd) -> String {
    format!("{PROC_SELF_FD}/{}", fd.as_raw_fd())
}

/// `/proc/self/fd/<parent>/<name>`: `name` inside `parent`, for the
/// `l*xattr` calls, which take no directory descriptor. `name` is one
/// component (see [`split_beneath`]), so nothing beyond `parent` is resolved,
/// and the `l*` calls do not follow a final symlink.
pub(crate) fn path_in(parent: &Parent<'_>, name: &OsStr) -> OsString {
    let mut path = OsString::from(format!("{PROC_SELF_FD}/{}/", parent.as_fd().as_raw_fd()));
    path.push(name);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_refuses_escapes() {
        assert_eq!(split_beneath("a/b/c").unwrap(), ("a/b", "c"));
        assert_eq!(split_beneath("c").unwrap(), (".", "c"));
        assert_eq!(split_beneath("c/").unwrap(), (".", "c"));
        assert_eq!(split_beneath(".").unwrap(), (".", "."));
        for bad in ["", "/etc/passwd", "a/..", "..", "a\0b"] {
            let error = split_beneath(bad).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied, "{bad:?}");
            assert_eq!(error.raw_os_error(), None, "{bad:?}");
        }
    }

    #[test]
    fn encoded_names_split_as_their_bytes() {
        assert_eq!(
            split_bytes(b"d\xff/caf\xe9"),
            Some((&b"d\xff"[..], &b"caf\xe9"[..]))
        );
        assert_eq!(&*path_bytes("\0d\u{ff}/x").unwrap(), b"d\xff/x");
        let malformed = path_bytes("\0plain").unwrap_err();
        assert_eq!(malformed.kind(), io::ErrorKind::PermissionDenied);
    }
}
