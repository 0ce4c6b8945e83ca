//! The native backend: the store rules compiled for the host target, over
//! `graphstore-posix` (the same beneath-a-directory syscall code the host
//! runs for the component's `posix` and `locking` imports). Used by the
//! rules' unit tests and by the sandbox-cost benchmark.

use super::{DirOps, FileOps, LockOps, copy_to_output};
use crate::disk::error::{Errno, FsResult};
use crate::disk::io::Output;
use crate::disk::types::{DirEntry, EntryKind, Metadata, NodeKind, Stat, Timespec};
use graphstore_posix as sys;
use std::cell::RefCell;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// No reply larger than this is built in memory (a component's memory cap
/// plays this part in the other backends).
const MAX_REPLY_BYTES: usize = 1 << 30;

fn errno(error: std::io::Error) -> Errno {
    errno_of(&error)
}

/// The POSIX condition of an I/O error; an error without an errno is an
/// attempt to leave the directory (cap-primitives words those itself).
pub fn errno_of(error: &std::io::Error) -> Errno {
    let Some(code) = error.raw_os_error() else {
        // The same reading as the host's `posix` glue gives these.
        return match error.kind() {
            std::io::ErrorKind::PermissionDenied => Errno::NotPermitted,
            std::io::ErrorKind::OutOfMemory => Errno::OutOfMemory,
            std::io::ErrorKind::InvalidData => Errno::IllegalByteSequence,
            std::io::ErrorKind::WriteZero => Errno::NoSpace,
            _ => Errno::Io,
        };
    };
    match code {
        libc::ENOENT => Errno::NoEntry,
        libc::EEXIST => Errno::Exist,
        libc::EACCES => Errno::Access,
        libc::EPERM => Errno::NotPermitted,
        libc::EROFS => Errno::ReadOnly,
        libc::ENOTDIR => Errno::NotDirectory,
        libc::EISDIR => Errno::IsDirectory,
        libc::ENOTEMPTY => Errno::NotEmpty,
        libc::ENAMETOOLONG => Errno::NameTooLong,
        libc::ENOSPC => Errno::NoSpace,
        libc::ELOOP => Errno::Loop,
        libc::EINVAL => Errno::Invalid,
        libc::EBUSY => Errno::Busy,
        libc::EDQUOT => Errno::Quota,
        libc::EFBIG => Errno::FileTooLarge,
        libc::EPIPE => Errno::Pipe,
        libc::EILSEQ => Errno::IllegalByteSequence,
        libc::EOPNOTSUPP => Errno::Unsupported,
        libc::EXDEV => Errno::CrossDevice,
        libc::ENOMEM => Errno::OutOfMemory,
        libc::EBADF => Errno::BadDescriptor,
        _ => Errno::Io,
    }
}

/// An open host directory.
pub struct NativeDir(File);

impl NativeDir {
    /// Opens host directory `path`.
    pub fn open_path(path: &std::path::Path) -> std::io::Result<NativeDir> {
        let file = File::open(path)?;
        if !file.metadata()?.is_dir() {
            return Err(std::io::Error::from_raw_os_error(libc::ENOTDIR));
        }
        Ok(NativeDir(file))
    }
}

/// Owners of the graph root and its ancestors.
pub fn ancestor_owners(graph_root: &str) -> Vec<(u32, u32)> {
    sys::ancestor_owners(std::path::Path::new(graph_root))
}

/// The host's name for user `uid`.
pub fn user_name(uid: u32) -> Option<String> {
    sys::user_name(uid)
}

/// The host's name for group `gid`.
pub fn group_name(gid: u32) -> Option<String> {
    sys::group_name(gid)
}

impl DirOps for NativeDir {
    type File = NativeFile;
    type Lock = NativeLock;

    fn reopen(&self) -> FsResult<Self> {
        sys::open_dir(&self.0, ".").map(NativeDir).map_err(errno)
    }

    fn open_dir(&self, name: &str) -> FsResult<Self> {
        sys::open_dir(&self.0, name).map(NativeDir).map_err(errno)
    }

    fn mkdir(&self, name: &str, mode: u32) -> FsResult<()> {
        sys::mkdir(&self.0, name, mode).map_err(errno)
    }

    fn lstat(&self, name: &str) -> FsResult<Stat> {
        sys::lstat(&self.0, name).map_err(errno)
    }

    fn read_dir(&self) -> FsResult<Vec<DirEntry>> {
        sys::read_dir(&self.0, ".", MAX_REPLY_BYTES).map_err(errno)
    }

    fn list(&self) -> FsResult<Vec<(String, EntryKind)>> {
        let entries = sys::list(&self.0, ".").map_err(errno)?;
        Ok(entries
            .into_iter()
            .map(|(name, file_type)| (name, EntryKind::from_mode(file_type)))
            .collect())
    }

    fn read_file(&self, name: &str, max_size: u64) -> FsResult<Vec<u8>> {
        sys::read_file(&self.0, name, max_size.min(MAX_REPLY_BYTES as u64)).map_err(errno)
    }

    fn open_read(&self, name: &str) -> FsResult<NativeFile> {
        sys::open_read(&self.0, name).map(NativeFile).map_err(errno)
    }

    fn create_new(&self, name: &str, mode: u32) -> FsResult<NativeFile> {
        sys::create_new(&self.0, name, mode)
            .map(NativeFile)
            .map_err(errno)
    }

    fn create_file(&self, name: &str, contents: &[u8], metadata: &Metadata) -> FsResult<()> {
        sys::create_file(&self.0, name, contents, metadata).map_err(errno)
    }

    fn copy_file(
        &self,
        name: &str,
        target: &Self,
        target_name: &str,
        metadata: &Metadata,
    ) -> FsResult<()> {
        sys::copy_file(&self.0, name, &target.0, target_name, metadata).map_err(errno)
    }

    fn set_metadata(&self, name: &str, metadata: &Metadata) -> FsResult<()> {
        sys::set_metadata(&self.0, name, metadata).map_err(errno)
    }

    fn chmod(&self, name: &str, mode: u32) -> FsResult<()> {
        sys::chmod(&self.0, name, mode).map_err(errno)
    }

    fn lchown(&self, name: &str, uid: u32, gid: u32) -> FsResult<()> {
        sys::lchown(&self.0, name, uid, gid).map_err(errno)
    }

    fn set_times(&self, name: &str, access: Timespec, modification: Timespec) -> FsResult<()> {
        sys::set_times(&self.0, name, access, modification).map_err(errno)
    }

    fn symlink(&self, name: &str, target: &str) -> FsResult<()> {
        sys::symlink(&self.0, name, target).map_err(errno)
    }

    fn readlink(&self, name: &str) -> FsResult<String> {
        sys::readlink(&self.0, name).map_err(errno)
    }

    fn mknod(&self, name: &str, kind: NodeKind, mode: u32, major: u32, minor: u32) -> FsResult<()> {
        // The kernel decides: a process without CAP_MKNOD gets EPERM.
        sys::mknod(&self.0, name, kind, mode, major, minor, true).map_err(errno)
    }

    fn get_xattr(&self, name: &str, key: &str) -> FsResult<Option<Vec<u8>>> {
        sys::get_xattr(&self.0, name, key).map_err(errno)
    }

    fn list_xattrs(&self, name: &str) -> FsResult<Vec<String>> {
        sys::list_xattrs(&self.0, name).map_err(errno)
    }

    fn hard_link(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        sys::hard_link(&self.0, name, &target.0, target_name).map_err(errno)
    }

    fn rename(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        sys::rename(&self.0, name, &target.0, target_name).map_err(errno)
    }

    fn unlink(&self, name: &str) -> FsResult<()> {
        sys::unlink(&self.0, name).map_err(errno)
    }

    fn remove_tree(&self, name: &str) -> FsResult<()> {
        sys::remove_tree(&self.0, name).map_err(errno)
    }

    const SYNCS_FILESYSTEM: bool = true;
    const BYTE_NAMES: bool = true;

    fn sync(&self) -> FsResult<()> {
        sys::sync_dir(&self.0).map_err(errno)
    }

    fn sync_filesystem(&self) -> FsResult<()> {
        sys::sync_filesystem(&self.0).map_err(errno)
    }

    fn send_file(&self, name: &str, out: &mut Output<'_>) -> FsResult<u64> {
        copy_to_output(&self.open_read(name)?, out)
    }

    fn open_lock(&self, name: &str, read_only: bool) -> Result<NativeLock, String> {
        sys::LockFile::open(&self.0, name, read_only)
            .map(|file| NativeLock(RefCell::new(file)))
            .map_err(|err| format!("opening lock file {name}: {err}"))
    }
}

/// An open host file.
pub struct NativeFile(File);

impl FileOps for NativeFile {
    fn read(&self, len: u64, offset: u64) -> FsResult<Vec<u8>> {
        let mut buffer = vec![0; len.min(super::super::IO_CHUNK) as usize];
        let count = self.0.read_at(&mut buffer, offset).map_err(errno)?;
        buffer.truncate(count);
        Ok(buffer)
    }

    fn write(&self, bytes: &[u8], offset: u64) -> FsResult<u64> {
        self.0
            .write_at(bytes, offset)
            .map(|count| count as u64)
            .map_err(errno)
    }

    fn sync_data(&self) -> FsResult<()> {
        self.0.sync_data().map_err(errno)
    }
}

/// A lock file held with the same OFD fcntl locks the host uses.
pub struct NativeLock(RefCell<sys::LockFile>);

impl LockOps for NativeLock {
    fn lock(&self, exclusive: bool) -> Result<(), String> {
        self.0
            .borrow_mut()
            .lock(exclusive)
            .map_err(|e| e.to_string())
    }

    fn unlock(&self) -> Result<(), String> {
        self.0.borrow_mut().unlock().map_err(|e| e.to_string())
    }

    fn touch(&self) -> Result<(), String> {
        self.0.borrow_mut().touch().map_err(|e| e.to_string())
    }

    fn modified(&self) -> Result<bool, String> {
        self.0.borrow_mut().modified().map_err(|e| e.to_string())
    }
}
