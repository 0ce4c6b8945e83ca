//! Regular files: creating them with their contents and metadata, copying
//! and reading them.

use crate::metadata::timestamps;
use crate::resolve::open_parent;
use crate::types::Metadata;
use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Uid, XattrFlags};
use std::fs::File;
use std::io::{self, Read, Write};

/// Mode a new regular file is created with, before its own mode is applied
/// (so no other user can open it meanwhile).
const NEW_FILE_MODE: u32 = 0o600;

/// Opens regular file `path` beneath `dir` for reading (a final symlink is
/// not followed); returns it and its size. A directory is `EISDIR`, any
/// other non-regular file `EINVAL`. The open is non-blocking, so a FIFO or
/// device planted in a tree neither hangs nor has side effects before the
/// type check (reads of regular files ignore the flag).
pub fn open_regular(dir: &File, path: &str) -> io::Result<(File, u64)> {
    let (parent, name) = open_parent(dir, path)?;
    let file = rustix::fs::openat(
        &parent,
        &name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let stat = rustix::fs::fstat(&file)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok((File::from(file), stat.st_size as u64)),
        FileType::Directory => Err(rustix::io::Errno::ISDIR.into()),
        _ => Err(rustix::io::Errno::INVAL.into()),
    }
}

/// Opens regular file `path` beneath `dir` for reading, as [`open_regular`]
/// does (`ENOENT` when it is missing).
pub fn open_read(dir: &File, path: &str) -> io::Result<File> {
    open_regular(dir, path).map(|(file, _)| file)
}

/// The contents of regular file `path` beneath `dir` (a final symlink is
/// not followed); `EFBIG` when it holds more than `max_size` bytes, and the
/// errors of [`open_regular`].
pub fn read_file(dir: &File, path: &str, max_size: u64) -> io::Result<Vec<u8>> {
    let (file, size) = open_regular(dir, path)?;
    if size > max_size {
        return Err(rustix::io::Errno::FBIG.into());
    }
    let mut contents = Vec::with_capacity(size as usize);
    // Read to the end, not just `size` (the file may have grown meanwhile),
    // but never more than one byte past the limit.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut contents)?;
    if contents.len() as u64 > max_size {
        return Err(rustix::io::Errno::FBIG.into());
    }
    Ok(contents)
}

/// Creates regular file `path` beneath `dir` (`EEXIST` when it exists; a
/// final symlink is not followed) and opens it for writing, with exactly
/// permission bits `mode` (no umask).
pub fn create_new(dir: &File, path: &str, mode: u32) -> io::Result<File> {
    create_with(dir, path, |file| {
        rustix::fs::fchmod(&*file, Mode::from_raw_mode(mode))?;
        Ok(())
    })
}

/// Creates regular file `path` beneath `dir` (`EEXIST` when it exists)
/// holding `contents`, then gives it `metadata`.
pub fn create_file(dir: &File, path: &str, contents: &[u8], metadata: &Metadata) -> io::Result<()> {
    create_with(dir, path, |file| {
        file.write_all(contents)?;
        apply_metadata(file, metadata)
    })
    .map(drop)
}

/// Creates regular file `path` beneath `dir` (`EEXIST` when it exists) as a
/// copy of regular file `from_path` beneath `from_dir`, then gives it
/// `metadata`. The copy is `copy_file_range`, so the file system may share
/// extents.
pub fn copy_file(
    from_dir: &File,
    from_path: &str,
    dir: &File,
    path: &str,
    metadata: &Metadata,
) -> io::Result<()> {
    let (mut source, _) = open_regular(from_dir, from_path)?;
    create_with(dir, path, |target| {
        // Between two files, `std::io::copy` uses `copy_file_range` on Linux
        // (falling back to reads and writes where the kernel refuses it).
        io::copy(&mut source, target)?;
        apply_metadata(target, metadata)
    })
    .map(drop)
}

/// Creates regular file `path` beneath `dir` (it must not exist; `.` is
/// `EEXIST`), lets `fill` write and finish it, and returns it. A failure
/// removes the half-made file.
fn create_with(
    dir: &File,
    path: &str,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<File> {
    let (parent, name) = open_parent(dir, path)?;
    if name == "." {
        return Err(rustix::io::Errno::EXIST.into());
    }
    let file = rustix::fs::openat(
        &parent,
        &name,
        OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(NEW_FILE_MODE),
    )?;
    let mut file = File::from(file);
    match fill(&mut file) {
        Ok(()) => Ok(file),
        Err(error) => {
            let _ = rustix::fs::unlinkat(&parent, &name, AtFlags::empty());
            Err(error)
        }
    }
}

/// Owner, extended attributes, permission bits and times of a file just
/// created.
fn apply_metadata(file: &File, metadata: &Metadata) -> io::Result<()> {
    rustix::fs::fchown(
        file,
        Some(Uid::from_raw(metadata.uid)),
        Some(Gid::from_raw(metadata.gid)),
    )?;
    for (key, value) in &metadata.xattrs {
        rustix::fs::fsetxattr(file, key, value, XattrFlags::empty())?;
    }
    rustix::fs::fchmod(file, Mode::from_raw_mode(metadata.mode))?;
    if let Some((access, modification)) = metadata.times {
        rustix::fs::futimens(file, &timestamps(access, modification))?;
    }
    Ok(())
}
