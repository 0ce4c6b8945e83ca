//! The disk primitives, implemented three ways and chosen at build time:
//!
//! | backend | built when | reaches the disk through |
//! |---|---|---|
//! | [`host`] | `wasm32` (default features) | WASI 0.2 files plus graphstore's host imports `posix`, `locking`, `host-info` |
//! | [`portable`] | `wasm32` with feature `wasi-only` | WASI 0.2 alone (any component runtime); see its docs for what it cannot do |
//! | [`native`] | any other target | the `graphstore-posix` crate (the same code the host runs for `posix`) |
//!
//! Each backend gives a directory handle implementing [`DirOps`], a file
//! handle implementing [`FileOps`] and a lock file implementing
//! [`LockOps`]. Names passed here were already checked by
//! [`super::Dir`] to be one path component (or `.` for the directory
//! itself); errors are bare [`Errno`]s, which `Dir` words with the
//! operation and path.

use super::error::{Errno, FsResult};
use super::io::Output;
use super::types::{DirEntry, EntryKind, Metadata, NodeKind, Stat, Timespec};

#[cfg(target_arch = "wasm32")]
mod wasi;

#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
mod host;
#[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
pub use host::{HostDir as DirHandle, ancestor_owners, group_name, user_name};

#[cfg(all(target_arch = "wasm32", feature = "wasi-only"))]
mod portable;
#[cfg(all(target_arch = "wasm32", feature = "wasi-only"))]
pub use portable::{PortableDir as DirHandle, ancestor_owners, group_name, user_name};

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::{NativeDir as DirHandle, ancestor_owners, errno_of, group_name, user_name};

/// What the store needs of a directory handle. `name` is one component
/// beneath this directory (`.` where the directory itself is meant); no
/// operation follows a final symlink.
pub trait DirOps: Sized {
    /// An open regular file.
    type File: FileOps;
    /// An open lock file.
    type Lock: LockOps;

    /// A second handle on this directory.
    fn reopen(&self) -> FsResult<Self>;
    /// Opens sub-directory `name`.
    fn open_dir(&self, name: &str) -> FsResult<Self>;
    /// Creates directory `name` with permission bits `mode` (umask applies;
    /// the portable backend cannot apply modes).
    fn mkdir(&self, name: &str, mode: u32) -> FsResult<()>;
    /// Describes `name`.
    fn lstat(&self, name: &str) -> FsResult<Stat>;
    /// Every entry (no `.`/`..`) with its `lstat` and xattr names.
    fn read_dir(&self) -> FsResult<Vec<DirEntry>>;
    /// Names and kinds of the entries (no `.`/`..`); cheaper than `read_dir`.
    fn list(&self) -> FsResult<Vec<(String, EntryKind)>>;
    /// The whole of regular file `name`; [`Errno::FileTooLarge`] above `max_size`.
    fn read_file(&self, name: &str, max_size: u64) -> FsResult<Vec<u8>>;
    /// Opens regular file `name` for reading.
    fn open_read(&self, name: &str) -> FsResult<Self::File>;
    /// Creates file `name`, which must not exist, for writing, with exactly
    /// `mode` (the portable backend: the runtime's default mode).
    fn create_new(&self, name: &str, mode: u32) -> FsResult<Self::File>;
    /// Creates file `name`, which must not exist, holding `contents` and carrying `metadata`.
    fn create_file(&self, name: &str, contents: &[u8], metadata: &Metadata) -> FsResult<()>;
    /// Creates `target_name` in `target` as a copy of regular file `name`, carrying `metadata`.
    fn copy_file(
        &self,
        name: &str,
        target: &Self,
        target_name: &str,
        metadata: &Metadata,
    ) -> FsResult<()>;
    /// Applies `metadata` to `name`.
    fn set_metadata(&self, name: &str, metadata: &Metadata) -> FsResult<()>;
    /// Sets the permission bits of `name`.
    fn chmod(&self, name: &str, mode: u32) -> FsResult<()>;
    /// Sets the owner of `name`.
    fn lchown(&self, name: &str, uid: u32, gid: u32) -> FsResult<()>;
    /// Sets the access and modification times of `name`.
    fn set_times(&self, name: &str, access: Timespec, modification: Timespec) -> FsResult<()>;
    /// Creates symlink `name` pointing at `target` (which may be absolute).
    fn symlink(&self, name: &str, target: &str) -> FsResult<()>;
    /// The target of symlink `name`.
    fn readlink(&self, name: &str) -> FsResult<String>;
    /// Creates a FIFO or device node `name`.
    fn mknod(&self, name: &str, kind: NodeKind, mode: u32, major: u32, minor: u32) -> FsResult<()>;
    /// Value of extended attribute `key` of `name`; `None` when unset.
    fn get_xattr(&self, name: &str, key: &str) -> FsResult<Option<Vec<u8>>>;
    /// Names of the extended attributes of `name`.
    fn list_xattrs(&self, name: &str) -> FsResult<Vec<String>>;
    /// Makes `target_name` in `target` another link to `name`.
    fn hard_link(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()>;
    /// Renames `name` to `target_name` in `target`, replacing it.
    fn rename(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()>;
    /// Removes file or symlink `name`.
    fn unlink(&self, name: &str) -> FsResult<()>;
    /// Removes directory `name` and everything beneath it (any depth).
    fn remove_tree(&self, name: &str) -> FsResult<()>;
    /// Makes this directory's entries durable (`fsync` of the directory).
    fn sync(&self) -> FsResult<()>;
    /// Writes everything dirty on this directory's file system to its
    /// device (`syncfs`); `Unsupported` where the backend cannot.
    fn sync_filesystem(&self) -> FsResult<()>;
    /// Whether [`DirOps::sync_filesystem`] can work at all.
    const SYNCS_FILESYSTEM: bool;
    /// Whether names that are not UTF-8 (encoded, see
    /// [`graphstore_posix::byte_names`]) can be created and found.
    const BYTE_NAMES: bool;
    /// Writes regular file `name` to `out`; returns its length.
    fn send_file(&self, name: &str, out: &mut Output<'_>) -> FsResult<u64>;
    /// Opens (creating unless `read_only`) lock file `name`.
    fn open_lock(&self, name: &str, read_only: bool) -> Result<Self::Lock, String>;
}

/// An open regular file.
pub trait FileOps {
    /// Up to `len` bytes at `offset`; empty at the end of the file.
    fn read(&self, len: u64, offset: u64) -> FsResult<Vec<u8>>;
    /// Writes some of `bytes` at `offset`; returns how many.
    fn write(&self, bytes: &[u8], offset: u64) -> FsResult<u64>;
    /// Flushes the file's data to stable storage.
    fn sync_data(&self) -> FsResult<()>;
}

/// A containers/storage lock file (fcntl-locked where the backend can).
pub trait LockOps {
    /// Blocks until the lock is held, exclusively or shared.
    fn lock(&self, exclusive: bool) -> Result<(), String>;
    /// Releases it.
    fn unlock(&self) -> Result<(), String>;
    /// Records a write: a fresh last-writer token.
    fn touch(&self) -> Result<(), String>;
    /// Whether another writer touched the file since this handle last looked.
    fn modified(&self) -> Result<bool, String>;
}

/// Copies an open file to `out` in chunks: how backends without a faster
/// path send files.
pub fn copy_to_output<F: FileOps>(file: &F, out: &mut Output<'_>) -> FsResult<u64> {
    let mut offset = 0u64;
    loop {
        let chunk = file.read(super::IO_CHUNK, offset)?;
        if chunk.is_empty() {
            return Ok(offset);
        }
        std::io::Write::write_all(out, &chunk).map_err(|_| Errno::Pipe)?;
        offset += chunk.len() as u64;
    }
}
