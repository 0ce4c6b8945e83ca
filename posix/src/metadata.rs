//! Metadata of the object a path names: `lstat`, mode, owner, times and
//! extended attributes, none of them following a final symlink.

use crate::resolve::{Parent, magic_path, open_object, open_object_in, open_parent, path_in};
use crate::types::{Metadata, Stat, Timespec};
use rustix::fs::{AtFlags, FileType, Gid, Mode, Uid, XattrFlags};
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// Largest extended attribute value read back.
const MAX_XATTR_VALUE: usize = 64 * 1024;
/// Largest list of extended attribute names read back.
const MAX_XATTR_LIST: usize = 64 * 1024;
/// First buffer tried for an xattr read (enough for almost every file).
const SMALL_XATTR_BUFFER: usize = 1024;

/// Describes `path` beneath `dir` without following a final symlink (`.` is
/// `dir` itself).
pub fn lstat(dir: &File, path: &str) -> io::Result<Stat> {
    let stat = if path == "." {
        rustix::fs::fstat(dir)?
    } else {
        let (parent, name) = open_parent(dir, path)?;
        rustix::fs::statat(&parent, &name, AtFlags::SYMLINK_NOFOLLOW)?
    };
    Ok(stat_record(&stat))
}

/// Sets the permission bits of `path` beneath `dir`; a symlink is refused
/// with `EOPNOTSUPP`.
pub fn chmod(dir: &File, path: &str, mode: u32) -> io::Result<()> {
    let target = open_object(dir, path)?;
    if is_symlink(&target)? {
        return Err(rustix::io::Errno::OPNOTSUPP.into());
    }
    chmod_object(&target, mode)
}

/// Sets the owner of `path` beneath `dir` (a final symlink itself).
pub fn lchown(dir: &File, path: &str, uid: u32, gid: u32) -> io::Result<()> {
    chown_object(&open_object(dir, path)?, uid, gid)
}

/// Sets access and modification times of `path` beneath `dir` (a final
/// symlink itself).
pub fn set_times(
    dir: &File,
    path: &str,
    access: Timespec,
    modification: Timespec,
) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    set_times_at(&parent, &name, access, modification)
}

/// Applies `metadata` to `path` beneath `dir` (a final symlink itself):
/// owner, extended attributes, permission bits (not on a symlink), times.
pub fn set_metadata(dir: &File, path: &str, metadata: &Metadata) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    let target = open_object_in(&parent, &name)?;
    chown_object(&target, metadata.uid, metadata.gid)?;
    let magic = magic_path(&target);
    for (key, value) in &metadata.xattrs {
        rustix::fs::setxattr(magic.as_str(), key, value, XattrFlags::empty())?;
    }
    if !is_symlink(&target)? {
        chmod_object(&target, metadata.mode)?;
    }
    if let Some((access, modification)) = metadata.times {
        set_times_at(&parent, &name, access, modification)?;
    }
    Ok(())
}

/// Sets extended attribute `name` on `path` beneath `dir` (a final symlink
/// itself).
pub fn set_xattr(dir: &File, path: &str, name: &str, value: &[u8]) -> io::Result<()> {
    let target = open_object(dir, path)?;
    rustix::fs::setxattr(
        magic_path(&target).as_str(),
        name,
        value,
        XattrFlags::empty(),
    )?;
    Ok(())
}

/// Value of extended attribute `name` of `path` beneath `dir` (a final
/// symlink itself); `None` when it is not set.
pub fn get_xattr(dir: &File, path: &str, name: &str) -> io::Result<Option<Vec<u8>>> {
    let (parent, object) = open_parent(dir, path)?;
    let target = path_in(&parent, &object);
    match read_xattr_data(MAX_XATTR_VALUE, |buffer| {
        rustix::fs::lgetxattr(target.as_os_str(), name, buffer)
    }) {
        Ok(value) => Ok(Some(value)),
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(errno) => Err(errno.into()),
    }
}

/// Names of the extended attributes of `path` beneath `dir` (a final
/// symlink itself).
pub fn list_xattrs(dir: &File, path: &str) -> io::Result<Vec<String>> {
    let (parent, object) = open_parent(dir, path)?;
    Ok(xattr_names_in(&parent, &object)?)
}

/// Names of the extended attributes of `name` in `parent`.
pub(crate) fn xattr_names_in(parent: &Parent<'_>, name: &OsStr) -> rustix::io::Result<Vec<String>> {
    let target = path_in(parent, name);
    let list = read_xattr_data(MAX_XATTR_LIST, |buffer| {
        rustix::fs::llistxattr(target.as_os_str(), buffer)
    })?;
    Ok(list
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect())
}

/// Runs an xattr read with a small buffer first (most files have no or
/// short xattrs), then with `max` bytes when it was too small.
fn read_xattr_data(
    max: usize,
    call: impl Fn(&mut [u8]) -> rustix::io::Result<usize>,
) -> rustix::io::Result<Vec<u8>> {
    let mut buffer = vec![0u8; SMALL_XATTR_BUFFER];
    let length = match call(&mut buffer) {
        Err(rustix::io::Errno::RANGE) => {
            buffer = vec![0u8; max];
            call(&mut buffer)?
        }
        other => other?,
    };
    buffer.truncate(length);
    Ok(buffer)
}

fn is_symlink(fd: &OwnedFd) -> io::Result<bool> {
    let stat = rustix::fs::fstat(fd)?;
    Ok(FileType::from_raw_mode(stat.st_mode) == FileType::Symlink)
}

/// Sets the permission bits of the object behind an `O_PATH` descriptor
/// (through its magic link: `fchmod` refuses `O_PATH` descriptors).
fn chmod_object(target: &OwnedFd, mode: u32) -> io::Result<()> {
    rustix::fs::chmod(magic_path(target).as_str(), Mode::from_raw_mode(mode))?;
    Ok(())
}

/// Sets the owner of the object behind an `O_PATH` descriptor (a symlink
/// itself).
fn chown_object(target: &OwnedFd, uid: u32, gid: u32) -> io::Result<()> {
    rustix::fs::chownat(
        target,
        "",
        Some(Uid::from_raw(uid)),
        Some(Gid::from_raw(gid)),
        AtFlags::EMPTY_PATH,
    )?;
    Ok(())
}

/// Sets the times of `name` in `parent`, not following a final symlink.
fn set_times_at(
    parent: &impl AsFd,
    name: &OsStr,
    access: Timespec,
    modification: Timespec,
) -> io::Result<()> {
    rustix::fs::utimensat(
        parent,
        name,
        &timestamps(access, modification),
        AtFlags::SYMLINK_NOFOLLOW,
    )?;
    Ok(())
}

/// Access and modification times as `utimensat`/`futimens` take them.
pub(crate) fn timestamps(access: Timespec, modification: Timespec) -> rustix::fs::Timestamps {
    let timespec = |t: Timespec| rustix::fs::Timespec {
        tv_sec: t.seconds,
        tv_nsec: i64::from(t.nanoseconds),
    };
    rustix::fs::Timestamps {
        last_access: timespec(access),
        last_modification: timespec(modification),
    }
}

/// The [`Stat`] record of a `struct stat`.
pub(crate) fn stat_record(stat: &rustix::fs::Stat) -> Stat {
    let time = |seconds: i64, nanoseconds: i64| Timespec {
        seconds,
        nanoseconds: nanoseconds as u32,
    };
    Stat {
        access: time(stat.st_atime, stat.st_atime_nsec as i64),
        modification: time(stat.st_mtime, stat.st_mtime_nsec as i64),
        mode: stat.st_mode,
        uid: stat.st_uid,
        gid: stat.st_gid,
        rdev: stat.st_rdev,
        nlink: stat.st_nlink,
        ino: stat.st_ino,
        dev: stat.st_dev,
        size: stat.st_size as u64,
    }
}
