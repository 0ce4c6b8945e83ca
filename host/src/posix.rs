//! Host side of the `posix` interface: file metadata WASI lacks, applied
//! beneath a directory capability.
//!
//! Resolution: the path is split into its parent and final component; the
//! parent is opened with cap-primitives (sandboxed: `..`, absolute paths and
//! symlinks leading out are refused) and the operation is one `*at` call on
//! the final component, never following a final symlink.

use crate::bindings::graphstore::store::posix::{
    DirEntry, Host, Metadata, NodeKind, Stat, Timespec,
};
use crate::state::HostState;
use rustix::fs::{AtFlags, Mode, OFlags};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::DynOutputStream;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{Descriptor, ErrorCode};

/// Largest extended attribute value read back.
const MAX_XATTR_VALUE: usize = 64 * 1024;
/// Largest list of extended attribute names read back.
const MAX_XATTR_LIST: usize = 64 * 1024;
/// What one `read-dir` entry is counted as besides its strings (the stat
/// record and list headers, on the host and again in the component).
const DIR_ENTRY_COST: usize = 128;
/// First buffer tried for an xattr read (enough for almost every file).
const SMALL_XATTR_BUFFER: usize = 1024;
/// Mode a new regular file is created with, before its metadata is applied.
const NEW_FILE_MODE: u32 = 0o600;
/// Chunk size of `send-file`.
const READ_BUFFER: usize = 1 << 20;

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

/// The directory holding a path's final component: `root` itself for a
/// single-component path (no open needed), otherwise a sandboxed open.
enum Parent<'a> {
    Root(&'a File),
    Opened(File),
}

impl Parent<'_> {
    fn as_file(&self) -> &File {
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
fn open_parent<'r, 'p>(root: &'r File, path: &'p str) -> Result<(Parent<'r>, &'p str), ErrorCode> {
    let (parent, name) = split_beneath(path)?;
    if parent == "." {
        return Ok((Parent::Root(root), name));
    }
    let parent = cap_primitives::fs::open_dir(root, Path::new(parent)).map_err(io_error_code)?;
    Ok((Parent::Opened(parent), name))
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
    access: Timespec,
    modification: Timespec,
) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    rustix::fs::utimensat(
        &parent,
        name,
        &timestamps(access, modification),
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .map_err(errno_code)
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
    match cap_primitives::fs::remove_dir_all(parent.as_file(), Path::new(name)) {
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
    let (parent, object) = open_parent(root, path)?;
    let target = path_in(&parent, object);
    match read_xattr_data(MAX_XATTR_VALUE, |buffer| {
        rustix::fs::lgetxattr(target.as_str(), name, buffer)
    }) {
        Ok(value) => Ok(Some(value)),
        Err(rustix::io::Errno::NODATA) => Ok(None),
        Err(errno) => Err(errno_code(errno)),
    }
}

/// Names of the extended attributes of `path` beneath `root`.
pub fn list_xattrs_beneath(root: &File, path: &str) -> Result<Vec<String>, ErrorCode> {
    let (parent, object) = open_parent(root, path)?;
    let target = path_in(&parent, object);
    let list = read_xattr_data(MAX_XATTR_LIST, |buffer| {
        rustix::fs::llistxattr(target.as_str(), buffer)
    })
    .map_err(errno_code)?;
    Ok(xattr_names(&list))
}

/// `/proc/self/fd/<parent>/<name>`: `name` inside `parent`, for the
/// `l*xattr` calls, which take no directory descriptor. `name` is one
/// component (see [`split_beneath`]), so nothing beyond `parent` is resolved,
/// and the `l*` calls do not follow a final symlink.
fn path_in(parent: &Parent<'_>, name: &str) -> String {
    format!("/proc/self/fd/{}/{name}", parent.as_fd().as_raw_fd())
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

fn timestamps(access: Timespec, modification: Timespec) -> rustix::fs::Timestamps {
    let timespec = |t: Timespec| rustix::fs::Timespec {
        tv_sec: t.seconds,
        tv_nsec: i64::from(t.nanoseconds),
    };
    rustix::fs::Timestamps {
        last_access: timespec(access),
        last_modification: timespec(modification),
    }
}

/// Applies `metadata` to `path` beneath `root` (a final symlink itself):
/// owner, extended attributes, permission bits (not on a symlink), times.
pub fn set_metadata_beneath(root: &File, path: &str, metadata: &Metadata) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    let target = rustix::fs::openat(
        &parent,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_code)?;
    rustix::fs::chownat(
        &target,
        "",
        Some(rustix::fs::Uid::from_raw(metadata.uid)),
        Some(rustix::fs::Gid::from_raw(metadata.gid)),
        AtFlags::EMPTY_PATH,
    )
    .map_err(errno_code)?;
    let magic = magic_path(&target);
    for (key, value) in &metadata.xattrs {
        rustix::fs::setxattr(magic.as_str(), key, value, rustix::fs::XattrFlags::empty())
            .map_err(errno_code)?;
    }
    if !is_symlink(&target)? {
        rustix::fs::chmod(magic.as_str(), Mode::from_raw_mode(metadata.mode))
            .map_err(errno_code)?;
    }
    if let Some((access, modification)) = metadata.times {
        rustix::fs::utimensat(
            &parent,
            name,
            &timestamps(access, modification),
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .map_err(errno_code)?;
    }
    Ok(())
}

/// Creates regular file `path` beneath `root` (it must not exist), lets
/// `fill` write its contents, then gives it `metadata`. A failure removes
/// the half-made file.
fn create_file_with(
    root: &File,
    path: &str,
    metadata: &Metadata,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<(), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    if name == "." {
        return Err(ErrorCode::Exist);
    }
    let file = rustix::fs::openat(
        &parent,
        name,
        OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(NEW_FILE_MODE),
    )
    .map_err(errno_code)?;
    let mut file = File::from(file);
    let result = fill(&mut file)
        .map_err(file_io_error_code)
        .and_then(|()| finish_new_file(&file, metadata));
    if result.is_err() {
        let _ = rustix::fs::unlinkat(&parent, name, AtFlags::empty());
    }
    result
}

/// Owner, extended attributes, permission bits and times of a file just created.
fn finish_new_file(file: &File, metadata: &Metadata) -> Result<(), ErrorCode> {
    rustix::fs::fchown(
        file,
        Some(rustix::fs::Uid::from_raw(metadata.uid)),
        Some(rustix::fs::Gid::from_raw(metadata.gid)),
    )
    .map_err(errno_code)?;
    for (key, value) in &metadata.xattrs {
        rustix::fs::fsetxattr(file, key, value, rustix::fs::XattrFlags::empty())
            .map_err(errno_code)?;
    }
    rustix::fs::fchmod(file, Mode::from_raw_mode(metadata.mode)).map_err(errno_code)?;
    if let Some((access, modification)) = metadata.times {
        rustix::fs::futimens(file, &timestamps(access, modification)).map_err(errno_code)?;
    }
    Ok(())
}

/// Opens regular file `path` beneath `root` for reading (a final symlink is
/// not followed; anything but a regular file is `invalid`); returns it and
/// its size.
fn open_regular_beneath(root: &File, path: &str) -> Result<(File, u64), ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    // Non-blocking and without a controlling terminal: opening a FIFO or a
    // device planted in a layer must neither hang nor have side effects
    // before the type check below (reads of regular files ignore the flag).
    let file = rustix::fs::openat(
        &parent,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_code)?;
    let stat = rustix::fs::fstat(&file).map_err(errno_code)?;
    match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
        rustix::fs::FileType::RegularFile => Ok((File::from(file), stat.st_size as u64)),
        rustix::fs::FileType::Directory => Err(ErrorCode::IsDirectory),
        _ => Err(ErrorCode::Invalid),
    }
}

/// Writes all of regular file `path` beneath `root` to `out` in chunks;
/// returns the number of bytes. A failure of `out` is `pipe`.
pub fn send_file_beneath(
    root: &File,
    path: &str,
    out: &mut dyn wasmtime_wasi::p2::OutputStream,
) -> Result<u64, ErrorCode> {
    let (mut file, _) = open_regular_beneath(root, path)?;
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut sent = 0u64;
    loop {
        let count = match file.read(&mut buffer) {
            Ok(0) => return Ok(sent),
            Ok(count) => count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(file_io_error_code(error)),
        };
        let chunk = bytes::Bytes::copy_from_slice(&buffer[..count]);
        wasmtime_wasi::runtime::in_tokio(out.blocking_write_and_flush(chunk))
            .map_err(|_| ErrorCode::Pipe)?;
        sent += count as u64;
    }
}

/// The contents of regular file `path` beneath `root` (a final symlink is
/// not followed); `file-too-large` when it is larger than `max_size`.
pub fn read_file_beneath(root: &File, path: &str, max_size: u64) -> Result<Vec<u8>, ErrorCode> {
    let (file, size) = open_regular_beneath(root, path)?;
    if size > max_size {
        return Err(ErrorCode::FileTooLarge);
    }
    let mut contents = Vec::with_capacity(size as usize);
    // Read to the end, not just `size` (the file may have grown meanwhile),
    // but never more than one byte past the limit.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut contents)
        .map_err(file_io_error_code)?;
    if contents.len() as u64 > max_size {
        return Err(ErrorCode::FileTooLarge);
    }
    Ok(contents)
}

/// Creates regular file `path` beneath `root` holding `contents`, with `metadata`.
pub fn create_file_beneath(
    root: &File,
    path: &str,
    contents: &[u8],
    metadata: &Metadata,
) -> Result<(), ErrorCode> {
    create_file_with(root, path, metadata, |file| file.write_all(contents))
}

/// Creates regular file `path` beneath `root` as a copy of regular file
/// `from_path` beneath `from_root` (`copy_file_range`, so the file system
/// may share extents), with `metadata`.
pub fn copy_file_beneath(
    from_root: &File,
    from_path: &str,
    root: &File,
    path: &str,
    metadata: &Metadata,
) -> Result<(), ErrorCode> {
    let (mut source, _) = open_regular_beneath(from_root, from_path)?;
    // Between two files, `std::io::copy` uses `copy_file_range` on Linux
    // (falling back to reads and writes where the kernel refuses it).
    create_file_with(root, path, metadata, |target| {
        std::io::copy(&mut source, target).map(drop)
    })
}

/// The error code of a failed read or write of an open file.
fn file_io_error_code(error: std::io::Error) -> ErrorCode {
    match error.raw_os_error() {
        Some(raw) => errno_code(rustix::io::Errno::from_raw_os_error(raw)),
        None if error.kind() == std::io::ErrorKind::WriteZero => ErrorCode::InsufficientSpace,
        None => ErrorCode::Io,
    }
}

/// Describes `path` beneath `root` without following a final symlink.
pub fn lstat_beneath(root: &File, path: &str) -> Result<Stat, ErrorCode> {
    let stat = if path == "." {
        rustix::fs::fstat(root).map_err(errno_code)?
    } else {
        let (parent, name) = open_parent(root, path)?;
        rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(errno_code)?
    };
    Ok(stat_record(&stat))
}

/// Every entry of directory `path` beneath `root` (not `.` and `..`) with
/// its `lstat` and extended attribute names; `insufficient-memory` when the
/// listing would take more than about `max_bytes`.
pub fn read_dir_beneath(
    root: &File,
    path: &str,
    max_bytes: usize,
) -> Result<Vec<DirEntry>, ErrorCode> {
    let (parent, name) = open_parent(root, path)?;
    let dir = rustix::fs::openat(
        &parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(errno_code)?;
    let dir_parent = Parent::Opened(File::from(dir));
    let mut listing = rustix::fs::Dir::read_from(&dir_parent).map_err(errno_code)?;
    let mut entries = Vec::new();
    let mut listed_bytes = 0usize;
    while let Some(entry) = listing.read() {
        let entry = entry.map_err(errno_code)?;
        let raw = entry.file_name().to_bytes();
        if raw == b"." || raw == b".." {
            continue;
        }
        let name = std::str::from_utf8(raw).map_err(|_| ErrorCode::IllegalByteSequence)?;
        let stat =
            rustix::fs::statat(&dir_parent, name, AtFlags::SYMLINK_NOFOLLOW).map_err(errno_code)?;
        let target = path_in(&dir_parent, name);
        // An entry whose xattrs cannot be listed (a file system without
        // them, say) is described without any, as `list-xattrs` callers did.
        let xattrs = read_xattr_data(MAX_XATTR_LIST, |buffer| {
            rustix::fs::llistxattr(target.as_str(), buffer)
        })
        .map(|list| xattr_names(&list))
        .unwrap_or_default();
        listed_bytes += DIR_ENTRY_COST + name.len() + xattrs.iter().map(String::len).sum::<usize>();
        if listed_bytes > max_bytes {
            return Err(ErrorCode::InsufficientMemory);
        }
        entries.push(DirEntry {
            name: name.to_string(),
            stat: stat_record(&stat),
            xattrs,
        });
    }
    Ok(entries)
}

/// The names in a `listxattr` result (NUL-separated).
fn xattr_names(list: &[u8]) -> Vec<String> {
    list.split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

/// The `stat` record of a `struct stat`.
fn stat_record(stat: &rustix::fs::Stat) -> Stat {
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
        access: Timespec,
        modification: Timespec,
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

    fn read_dir(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Result<Vec<DirEntry>, ErrorCode> {
        read_dir_beneath(&*self.directory(&dir, false)?, &path, self.memory_bytes)
    }

    fn set_metadata(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        metadata: Metadata,
    ) -> Result<(), ErrorCode> {
        set_metadata_beneath(&*self.directory(&dir, true)?, &path, &metadata)
    }

    fn read_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        max_size: u64,
    ) -> Result<Vec<u8>, ErrorCode> {
        let max_size = max_size.min(self.memory_bytes as u64);
        read_file_beneath(&*self.directory(&dir, false)?, &path, max_size)
    }

    fn send_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        out: Resource<DynOutputStream>,
    ) -> Result<u64, ErrorCode> {
        let root = self.directory(&dir, false)?;
        let stream = self
            .table
            .get_mut(&out)
            .map_err(|_| ErrorCode::BadDescriptor)?;
        send_file_beneath(&root, &path, stream.as_mut())
    }

    fn create_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        contents: Vec<u8>,
        metadata: Metadata,
    ) -> Result<(), ErrorCode> {
        create_file_beneath(&*self.directory(&dir, true)?, &path, &contents, &metadata)
    }

    fn copy_file(
        &mut self,
        from_dir: Resource<Descriptor>,
        from_path: String,
        dir: Resource<Descriptor>,
        path: String,
        metadata: Metadata,
    ) -> Result<(), ErrorCode> {
        let from = self.directory(&from_dir, false)?;
        copy_file_beneath(
            &from,
            &from_path,
            &*self.directory(&dir, true)?,
            &path,
            &metadata,
        )
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
        let epoch = Timespec {
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
        let when = Timespec {
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

        create_file_beneath(&root, "sub/new", b"hello", &sample_metadata(0o4751, vec![])).unwrap();
        let created = dir.path().join("sub/new");
        assert_eq!(std::fs::read(&created).unwrap(), b"hello");
        assert_eq!(mode_and_mtime(&created), (0o4751, expected_time));
        // An existing name is refused and left alone.
        assert_eq!(
            create_file_beneath(&root, "sub/new", b"x", &sample_metadata(0o600, vec![])),
            Err(ErrorCode::Exist)
        );
        assert_eq!(std::fs::read(&created).unwrap(), b"hello");

        copy_file_beneath(
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
        assert!(
            copy_file_beneath(&root, "link", &root, "c2", &sample_metadata(0o600, vec![])).is_err()
        );
        assert!(!dir.path().join("c2").exists());
    }

    #[test]
    fn whole_metadata_applies_to_the_named_object_only() {
        let outer = tempfile::tempdir().unwrap();
        let root_path = outer.path().join("root");
        std::fs::create_dir(&root_path).unwrap();
        let outside = outer.path().join("outside");
        std::fs::write(&outside, b"x").unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink("../outside", root_path.join("link")).unwrap();
        std::os::unix::fs::symlink("..", root_path.join("up")).unwrap();
        std::fs::write(root_path.join("file"), b"x").unwrap();
        let root = File::open(&root_path).unwrap();
        let before = mode_and_mtime(&outside);

        set_metadata_beneath(&root, "file", &sample_metadata(0o700, vec![])).unwrap();
        assert_eq!(
            mode_and_mtime(&root_path.join("file")),
            (
                0o700,
                std::time::UNIX_EPOCH + std::time::Duration::new(1_234_567_890, 42)
            )
        );
        // A symlink gets owner and times itself; its target is untouched.
        set_metadata_beneath(&root, "link", &sample_metadata(0o777, vec![])).unwrap();
        assert_eq!(mode_and_mtime(&outside), before);
        for escape in ["../outside", "up/outside", "/etc/passwd"] {
            let metadata = sample_metadata(0o777, vec![]);
            assert!(
                set_metadata_beneath(&root, escape, &metadata).is_err(),
                "{escape}"
            );
            assert!(create_file_beneath(&root, &format!("{escape}.new"), b"x", &metadata).is_err());
            assert!(
                copy_file_beneath(&root, "file", &root, &format!("{escape}.copy"), &metadata)
                    .is_err()
            );
            assert!(copy_file_beneath(&root, escape, &root, "stolen", &metadata).is_err());
        }
        assert_eq!(mode_and_mtime(&outside), before);
        assert!(!outer.path().join("outside.new").exists());
        assert!(!outer.path().join("outside.copy").exists());
        assert!(!root_path.join("stolen").exists());
    }

    #[test]
    fn whole_files_are_read_up_to_a_limit() {
        let outer = tempfile::tempdir().unwrap();
        let root_path = outer.path().join("root");
        std::fs::create_dir(&root_path).unwrap();
        std::fs::write(outer.path().join("secret"), b"outside").unwrap();
        std::fs::write(root_path.join("file"), b"0123456789").unwrap();
        std::os::unix::fs::symlink("../secret", root_path.join("link")).unwrap();
        std::fs::create_dir(root_path.join("dir")).unwrap();
        let root = File::open(&root_path).unwrap();

        assert_eq!(read_file_beneath(&root, "file", 10).unwrap(), b"0123456789");
        assert_eq!(
            read_file_beneath(&root, "file", 9),
            Err(ErrorCode::FileTooLarge)
        );
        assert_eq!(
            read_file_beneath(&root, "missing", 10),
            Err(ErrorCode::NoEntry)
        );
        assert_eq!(
            read_file_beneath(&root, "dir", 10),
            Err(ErrorCode::IsDirectory)
        );
        // A FIFO is refused at once, not waited on.
        mknod_beneath(&root, "pipe", NodeKind::Fifo, 0o600, 0, 0, false).unwrap();
        assert_eq!(
            read_file_beneath(&root, "pipe", 10),
            Err(ErrorCode::Invalid)
        );
        // Neither a final symlink nor a path leading out is followed.
        assert!(read_file_beneath(&root, "link", 100).is_err());
        assert!(read_file_beneath(&root, "../secret", 100).is_err());
        assert!(read_file_beneath(&root, "dir/../../secret", 100).is_err());
    }

    #[test]
    fn directories_are_listed_with_stats_and_xattr_names() {
        let outer = tempfile::tempdir().unwrap();
        let root_path = outer.path().join("root");
        std::fs::create_dir_all(root_path.join("sub/inner")).unwrap();
        std::fs::write(root_path.join("sub/file"), b"12345").unwrap();
        std::os::unix::fs::symlink("..", root_path.join("up")).unwrap();
        std::os::unix::fs::symlink("/etc", root_path.join("sub/link")).unwrap();
        let root = File::open(&root_path).unwrap();
        let tagged = set_xattr_beneath(&root, "sub/file", "user.tag", b"v").is_ok();

        let mut entries = read_dir_beneath(&root, "sub", usize::MAX).unwrap();
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
        let top: Vec<String> = read_dir_beneath(&root, ".", usize::MAX)
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(top.len(), 2);
        // Neither a symlink nor a path leading out is listed through.
        assert!(read_dir_beneath(&root, "up", usize::MAX).is_err());
        assert!(read_dir_beneath(&root, "sub/link", usize::MAX).is_err());
        assert!(read_dir_beneath(&root, "../root", usize::MAX).is_err());
        assert_eq!(
            read_dir_beneath(&root, "sub/file", usize::MAX),
            Err(ErrorCode::NotDirectory)
        );
        // A listing larger than the caller can take is refused.
        assert_eq!(
            read_dir_beneath(&root, "sub", DIR_ENTRY_COST + 5),
            Err(ErrorCode::InsufficientMemory)
        );
    }
}
