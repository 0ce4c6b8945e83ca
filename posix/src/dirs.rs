//! Directory entries: creating, opening, listing, linking, renaming and
//! removing them.

use crate::byte_names::{encode_component, encode_path};
use crate::metadata::{stat_record, xattr_names_in};
use crate::resolve::{Parent, open_parent, path_bytes};
use crate::types::{DirEntry, NodeKind};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What one [`read_dir`] entry is counted as besides its name and xattr
/// names (the stat record and list headers, which a caller such as the
/// store component holds again).
pub const DIR_ENTRY_COST: usize = 128;

/// Creates directory `path` beneath `dir` with permission bits `mode` (the
/// process umask applies); `.` is `EEXIST`.
pub fn mkdir(dir: &File, path: &str, mode: u32) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    if name == "." {
        return Err(rustix::io::Errno::EXIST.into());
    }
    rustix::fs::mkdirat(&parent, &name, Mode::from_raw_mode(mode))?;
    Ok(())
}

/// Makes the entries of directory `dir` (creations, renames, removals)
/// durable: `fsync` of the directory itself. (`dir` may be an `O_PATH`
/// handle, which cannot be synced: a readable one is opened for it.)
pub fn sync_dir(dir: &File) -> io::Result<()> {
    open_dir(dir, ".")?.sync_all()
}

/// Writes every dirty page and inode of the file system holding `dir` to
/// its device (`syncfs`): what containers/storage's `sync = "filesystem"`
/// does before it marks a layer present.
pub fn sync_filesystem(dir: &File) -> io::Result<()> {
    rustix::fs::syncfs(open_dir(dir, ".")?)?;
    Ok(())
}

/// Opens directory `path` beneath `dir` for reading (`.` reopens `dir`
/// itself); a final symlink is not followed.
pub fn open_dir(dir: &File, path: &str) -> io::Result<File> {
    let (parent, name) = open_parent(dir, path)?;
    let opened = rustix::fs::openat(
        &parent,
        &name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    Ok(File::from(opened))
}

/// Every entry of directory `path` beneath `dir` (not `.` and `..`) with its
/// `lstat` and extended attribute names. A listing that would take more than
/// about `max_bytes` (each entry counted as [`DIR_ENTRY_COST`] plus its
/// strings) fails with kind `OutOfMemory`. Names that are not UTF-8 come in
/// the string form of [`crate::byte_names`]. An entry whose xattrs cannot be listed (a file system
/// without them, say) is described without any.
pub fn read_dir(dir: &File, path: &str, max_bytes: usize) -> io::Result<Vec<DirEntry>> {
    let listed = Parent::Opened(open_dir(dir, path)?);
    let mut entries = Vec::new();
    let mut listed_bytes = 0usize;
    for_each_entry(&listed, |name, _| {
        let stat = rustix::fs::statat(&listed, name, AtFlags::SYMLINK_NOFOLLOW)?;
        let xattrs = xattr_names_in(&listed, OsStr::from_bytes(name)).unwrap_or_default();
        let name = encode_component(name);
        listed_bytes += DIR_ENTRY_COST + name.len() + xattrs.iter().map(String::len).sum::<usize>();
        if listed_bytes > max_bytes {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("listing directory {path:?} takes more than {max_bytes} bytes"),
            ));
        }
        entries.push(DirEntry {
            name: name.into_owned(),
            stat: stat_record(&stat),
            xattrs,
        });
        Ok(())
    })?;
    Ok(entries)
}

/// Names and file-type bits (`st_mode & S_IFMT`) of the entries of
/// directory `path` beneath `dir`, except `.` and `..`: what the directory
/// itself records, with an `lstat` only where it records no type.
pub fn list(dir: &File, path: &str) -> io::Result<Vec<(String, u32)>> {
    let listed = Parent::Opened(open_dir(dir, path)?);
    let mut entries = Vec::new();
    for_each_entry(&listed, |name, file_type| {
        let file_type = match file_type {
            FileType::Unknown => FileType::from_raw_mode(
                rustix::fs::statat(&listed, name, AtFlags::SYMLINK_NOFOLLOW)?.st_mode,
            ),
            known => known,
        };
        entries.push((encode_component(name).into_owned(), file_type.as_raw_mode()));
        Ok(())
    })?;
    Ok(entries)
}

/// Calls `each` with the name and recorded type of every entry of
/// `listed` except `.` and `..`.
fn for_each_entry(
    listed: &Parent<'_>,
    mut each: impl FnMut(&[u8], FileType) -> io::Result<()>,
) -> io::Result<()> {
    let mut listing = rustix::fs::Dir::read_from(listed)?;
    while let Some(entry) = listing.read() {
        let entry = entry?;
        let raw = entry.file_name().to_bytes();
        if raw == b"." || raw == b".." {
            continue;
        }
        each(raw, entry.file_type())?;
    }
    Ok(())
}

/// Removes directory `path` beneath `dir` and everything in it, never
/// following symlinks (cap-primitives' `remove_dir_all`, which works beneath
/// the descriptor at any depth); a missing `path` is fine.
pub fn remove_tree(dir: &File, path: &str) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    match cap_primitives::fs::remove_dir_all(parent.as_file(), Path::new(&name)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Creates a FIFO or (when `allow_devices`) a device node `path` beneath
/// `dir`; a device node otherwise is `EPERM`.
pub fn mknod(
    dir: &File,
    path: &str,
    kind: NodeKind,
    mode: u32,
    major: u32,
    minor: u32,
    allow_devices: bool,
) -> io::Result<()> {
    let file_type = match kind {
        NodeKind::Fifo => FileType::Fifo,
        NodeKind::CharacterDevice if allow_devices => FileType::CharacterDevice,
        NodeKind::BlockDevice if allow_devices => FileType::BlockDevice,
        _ => return Err(rustix::io::Errno::PERM.into()),
    };
    let (parent, name) = open_parent(dir, path)?;
    let device = rustix::fs::makedev(major, minor);
    rustix::fs::mknodat(&parent, &name, file_type, Mode::from_raw_mode(mode), device)?;
    Ok(())
}

/// Creates symlink `path` beneath `dir` with content `target` (in the
/// string form of [`crate::byte_names`]), which may be absolute or lead
/// anywhere: nothing here ever follows it.
pub fn symlink(dir: &File, path: &str, target: &str) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    let target = path_bytes(target)?;
    rustix::fs::symlinkat(&*target, &parent, &name)?;
    Ok(())
}

/// The content of symlink `path` beneath `dir`, in the string form of
/// [`crate::byte_names`].
pub fn readlink(dir: &File, path: &str) -> io::Result<String> {
    let (parent, name) = open_parent(dir, path)?;
    let target = rustix::fs::readlinkat(&parent, &name, Vec::new())?;
    Ok(encode_path(target.as_bytes()).into_owned())
}

/// Removes the file or symlink `path` beneath `dir` (a symlink itself, never
/// its target).
pub fn unlink(dir: &File, path: &str) -> io::Result<()> {
    let (parent, name) = open_parent(dir, path)?;
    rustix::fs::unlinkat(&parent, &name, AtFlags::empty())?;
    Ok(())
}

/// Renames `from` beneath `from_dir` to `to` beneath `to_dir` (replacing
/// what `to` names as `rename(2)` does); a final symlink is moved itself.
pub fn rename(from_dir: &File, from: &str, to_dir: &File, to: &str) -> io::Result<()> {
    let (from_parent, from_name) = open_parent(from_dir, from)?;
    let (to_parent, to_name) = open_parent(to_dir, to)?;
    rustix::fs::renameat(&from_parent, &from_name, &to_parent, &to_name)?;
    Ok(())
}

/// Creates `to` beneath `to_dir` as a hard link to `from` beneath
/// `from_dir`; a final symlink `from` is linked itself, not followed.
pub fn hard_link(from_dir: &File, from: &str, to_dir: &File, to: &str) -> io::Result<()> {
    let (from_parent, from_name) = open_parent(from_dir, from)?;
    let (to_parent, to_name) = open_parent(to_dir, to)?;
    rustix::fs::linkat(
        &from_parent,
        &from_name,
        &to_parent,
        &to_name,
        AtFlags::empty(),
    )?;
    Ok(())
}
