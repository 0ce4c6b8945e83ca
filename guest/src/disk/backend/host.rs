//! The component's default backend: WASI 0.2 for files and directories,
//! graphstore's host imports for what WASI lacks (`posix`: owners, modes,
//! xattrs, devices, whole-file calls; `locking`: fcntl locks that
//! interlock with containers/storage; `host-info`). Full fidelity.
//!
//! Names that are not UTF-8 reach this backend encoded (see
//! [`graphstore_posix::byte_names`]); WASI cannot carry them, so every
//! operation on such a name goes through `posix`.

use super::wasi::{self, WasiFile, errno};
use super::{DirOps, LockOps, copy_to_output};
use crate::bindings::graphstore::store::{host_info, locking, posix};
use crate::disk::error::{Errno, FsResult};
use crate::disk::io::Output;
use crate::disk::types::{DirEntry, EntryKind, Metadata, NodeKind, Stat, Timespec};
use graphstore_posix::byte_names::is_encoded;
use wasip2::filesystem::types::Descriptor;

/// What this backend keeps on disk.
pub const PROFILE: crate::disk::Profile = crate::disk::Profile::FULL;

/// A directory descriptor of the component.
pub struct HostDir(Descriptor);

impl HostDir {
    /// The directory the runtime preopened under `name`.
    pub fn preopened(name: &str) -> Option<HostDir> {
        wasi::preopened(name).map(HostDir)
    }
}

/// Owners of the graph root and its ancestors, as the host reports them.
pub fn ancestor_owners(_graph_root: &str) -> Vec<(u32, u32)> {
    host_info::graph_root_owners()
}

/// The host's name for user `uid`, as the host reports it.
pub fn user_name(uid: u32) -> Option<String> {
    host_info::user_name(uid)
}

/// The host's name for group `gid`, as the host reports it.
pub fn group_name(gid: u32) -> Option<String> {
    host_info::group_name(gid)
}

fn to_timespec(time: posix::Timespec) -> Timespec {
    Timespec {
        seconds: time.seconds,
        nanoseconds: time.nanoseconds,
    }
}

fn from_timespec(time: Timespec) -> posix::Timespec {
    posix::Timespec {
        seconds: time.seconds,
        nanoseconds: time.nanoseconds,
    }
}

fn to_stat(stat: posix::Stat) -> Stat {
    Stat {
        mode: stat.mode,
        uid: stat.uid,
        gid: stat.gid,
        rdev: stat.rdev,
        nlink: stat.nlink,
        ino: stat.ino,
        dev: stat.dev,
        size: stat.size,
        access: to_timespec(stat.access),
        modification: to_timespec(stat.modification),
    }
}

fn from_metadata(metadata: &Metadata) -> posix::Metadata {
    posix::Metadata {
        uid: metadata.uid,
        gid: metadata.gid,
        mode: metadata.mode,
        xattrs: metadata.xattrs.clone(),
        times: metadata
            .times
            .map(|(access, modification)| (from_timespec(access), from_timespec(modification))),
    }
}

impl DirOps for HostDir {
    type File = WasiFile;
    type Lock = HostLock;

    fn reopen(&self) -> FsResult<Self> {
        wasi::open_dir(&self.0, ".").map(HostDir)
    }

    fn open_dir(&self, name: &str) -> FsResult<Self> {
        if is_encoded(name) {
            return posix::open_dir(&self.0, name).map(HostDir).map_err(errno);
        }
        wasi::open_dir(&self.0, name).map(HostDir)
    }

    fn mkdir(&self, name: &str, mode: u32) -> FsResult<()> {
        posix::mkdir(&self.0, name, mode).map_err(errno)
    }

    fn lstat(&self, name: &str) -> FsResult<Stat> {
        posix::lstat(&self.0, name).map(to_stat).map_err(errno)
    }

    fn read_dir(&self) -> FsResult<Vec<DirEntry>> {
        let entries = posix::read_dir(&self.0, ".").map_err(errno)?;
        Ok(entries
            .into_iter()
            .map(|entry| DirEntry {
                name: entry.name,
                stat: to_stat(entry.stat),
                xattrs: entry.xattrs,
            })
            .collect())
    }

    fn list(&self) -> FsResult<Vec<(String, EntryKind)>> {
        match wasi::list(&self.0) {
            // A name WASI cannot carry: the host lists them encoded.
            Err(Errno::IllegalByteSequence) => Ok(self
                .read_dir()?
                .into_iter()
                .map(|entry| (entry.name, EntryKind::of(&entry.stat)))
                .collect()),
            other => other,
        }
    }

    fn read_file(&self, name: &str, max_size: u64) -> FsResult<Vec<u8>> {
        posix::read_file(&self.0, name, max_size).map_err(errno)
    }

    fn open_read(&self, name: &str) -> FsResult<WasiFile> {
        if is_encoded(name) {
            return posix::open_read(&self.0, name).map(WasiFile).map_err(errno);
        }
        wasi::open_read(&self.0, name)
    }

    fn create_new(&self, name: &str, mode: u32) -> FsResult<WasiFile> {
        if is_encoded(name) {
            return posix::create_new(&self.0, name, mode)
                .map(WasiFile)
                .map_err(errno);
        }
        let file = wasi::create_new(&self.0, name)?;
        if let Err(code) = posix::chmod(&self.0, name, mode) {
            let _ = wasi::unlink(&self.0, name);
            return Err(errno(code));
        }
        Ok(file)
    }

    fn create_file(&self, name: &str, contents: &[u8], metadata: &Metadata) -> FsResult<()> {
        posix::create_file(&self.0, name, contents, &from_metadata(metadata)).map_err(errno)
    }

    fn copy_file(
        &self,
        name: &str,
        target: &Self,
        target_name: &str,
        metadata: &Metadata,
    ) -> FsResult<()> {
        posix::copy_file(
            &self.0,
            name,
            &target.0,
            target_name,
            &from_metadata(metadata),
        )
        .map_err(errno)
    }

    fn dedupe_file(&self, name: &str, target: &Self, target_name: &str) -> FsResult<u64> {
        posix::dedupe_file(&self.0, name, &target.0, target_name).map_err(errno)
    }

    fn set_metadata(&self, name: &str, metadata: &Metadata) -> FsResult<()> {
        posix::set_metadata(&self.0, name, &from_metadata(metadata)).map_err(errno)
    }

    fn chmod(&self, name: &str, mode: u32) -> FsResult<()> {
        posix::chmod(&self.0, name, mode).map_err(errno)
    }

    fn lchown(&self, name: &str, uid: u32, gid: u32) -> FsResult<()> {
        posix::lchown(&self.0, name, uid, gid).map_err(errno)
    }

    fn set_times(&self, name: &str, access: Timespec, modification: Timespec) -> FsResult<()> {
        posix::set_times(
            &self.0,
            name,
            from_timespec(access),
            from_timespec(modification),
        )
        .map_err(errno)
    }

    fn symlink(&self, name: &str, target: &str) -> FsResult<()> {
        posix::symlink(&self.0, name, target).map_err(errno)
    }

    fn readlink(&self, name: &str) -> FsResult<String> {
        posix::readlink(&self.0, name).map_err(errno)
    }

    fn mknod(&self, name: &str, kind: NodeKind, mode: u32, major: u32, minor: u32) -> FsResult<()> {
        let kind = match kind {
            NodeKind::Fifo => posix::NodeKind::Fifo,
            NodeKind::CharacterDevice => posix::NodeKind::CharacterDevice,
            NodeKind::BlockDevice => posix::NodeKind::BlockDevice,
        };
        posix::mknod(&self.0, name, kind, mode, major, minor).map_err(errno)
    }

    fn get_xattr(&self, name: &str, key: &str) -> FsResult<Option<Vec<u8>>> {
        posix::get_xattr(&self.0, name, key).map_err(errno)
    }

    fn list_xattrs(&self, name: &str) -> FsResult<Vec<String>> {
        posix::list_xattrs(&self.0, name).map_err(errno)
    }

    fn hard_link(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        if is_encoded(name) || is_encoded(target_name) {
            return posix::hard_link(&self.0, name, &target.0, target_name).map_err(errno);
        }
        wasi::hard_link(&self.0, name, &target.0, target_name)
    }

    fn rename(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        if is_encoded(name) || is_encoded(target_name) {
            return posix::rename(&self.0, name, &target.0, target_name).map_err(errno);
        }
        wasi::rename(&self.0, name, &target.0, target_name)
    }

    fn unlink(&self, name: &str) -> FsResult<()> {
        if is_encoded(name) {
            return posix::unlink(&self.0, name).map_err(errno);
        }
        wasi::unlink(&self.0, name)
    }

    fn remove_tree(&self, name: &str) -> FsResult<()> {
        posix::remove_tree(&self.0, name).map_err(errno)
    }

    const SYNCS_FILESYSTEM: bool = true;

    fn sync(&self) -> FsResult<()> {
        wasi::sync_dir(&self.0)
    }

    fn sync_filesystem(&self) -> FsResult<()> {
        posix::sync_filesystem(&self.0).map_err(errno)
    }

    fn send_file(&self, name: &str, out: &mut Output<'_>) -> FsResult<u64> {
        match out.wasi_stream() {
            // The host writes the file to the stream: no copy through the component.
            Some(stream) => posix::send_file(&self.0, name, stream).map_err(errno),
            None => copy_to_output(&self.open_read(name)?, out),
        }
    }

    fn open_lock(&self, name: &str, read_only: bool) -> Result<HostLock, String> {
        locking::LockFile::open(&self.0, name, read_only).map(HostLock)
    }
}

/// A lock file held through the host's `locking` interface.
pub struct HostLock(locking::LockFile);

impl LockOps for HostLock {
    fn lock(&self, exclusive: bool) -> Result<(), String> {
        self.0.lock(exclusive)
    }

    fn unlock(&self) -> Result<(), String> {
        self.0.unlock()
    }

    fn touch(&self) -> Result<(), String> {
        self.0.touch()
    }

    fn modified(&self) -> Result<bool, String> {
        self.0.modified()
    }
}
