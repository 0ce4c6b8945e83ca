//! A directory capability: a backend handle plus the host path it stands
//! for (used only for messages and for paths the store reports). Every
//! name is checked here, every failure is worded here.

use super::backend::{DirHandle, DirOps, FileOps};
use super::error::{DiskError, DiskResult, Errno};
use super::io::Output;
use super::types::{DirEntry, EntryKind, FileInfo, Metadata, NodeKind, Stat, Timespec};
use super::{DIR_MODE, FILE_MODE, IO_CHUNK, TEMP_PREFIX, byte_names, check_entry_name};
use crate::error::{Result, StoreError};
use std::io::Read as _;

type FileHandle = <DirHandle as DirOps>::File;

/// An open directory the store may read and write beneath.
pub struct Dir {
    handle: DirHandle,
    path: String,
    /// Whether atomic writes here are made durable before they return
    /// (inherited by the directories opened beneath it).
    durable: bool,
}

impl Dir {
    /// A directory from a backend handle standing for host path `path`.
    pub(crate) fn from_handle(handle: DirHandle, path: impl Into<String>) -> Dir {
        Dir {
            handle,
            path: path.into(),
            durable: false,
        }
    }

    /// This directory, with every atomic write beneath it (here and in the
    /// directories opened from it) made durable before it returns: the
    /// renamed file's directory is synced after the rename.
    pub fn durable(mut self) -> Dir {
        self.durable = true;
        self
    }

    /// Directory `handle`, opened as `name` beneath this one.
    fn child(&self, handle: DirHandle, name: &str) -> Dir {
        Dir {
            handle,
            path: self.child_path(name),
            durable: self.durable,
        }
    }

    /// Makes this directory's entries durable (`fsync`).
    pub fn sync(&self) -> DiskResult<()> {
        self.on_self_or("sync", ".", |dir| dir.sync())
    }

    /// Whether [`Dir::sync_filesystem`] can work in this build (WASI alone
    /// has no `syncfs`).
    pub fn can_sync_filesystem() -> bool {
        DirHandle::SYNCS_FILESYSTEM
    }

    /// Whether names that are not UTF-8 can be created and found in this
    /// build (WASI alone cannot carry them).
    pub fn carries_byte_names() -> bool {
        super::PROFILE.byte_names
    }

    /// Writes everything dirty on this directory's file system to its
    /// device (`syncfs`).
    pub fn sync_filesystem(&self) -> DiskResult<()> {
        self.on_self_or("syncfs", ".", |dir| dir.sync_filesystem())
    }

    /// The host path this directory stands for.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The host path of `name` inside this directory (a name that is not
    /// UTF-8 shown with U+FFFD for its invalid bytes).
    pub fn child_path(&self, name: &str) -> String {
        if name == "." {
            return self.path.clone();
        }
        let parent = self.path.trim_end_matches('/');
        if byte_names::is_encoded(name) {
            let shown = String::from_utf8_lossy(&byte_names::display_bytes(name)).into_owned();
            return format!("{parent}/{shown}");
        }
        format!("{parent}/{name}")
    }

    /// The error of operation `op` on `name`.
    fn error(&self, op: &'static str, name: &str, errno: Errno) -> DiskError {
        DiskError::Os {
            op,
            path: self.child_path(name),
            errno,
        }
    }

    /// Checks `name`, then runs `operation`, wording its failure as `op`.
    fn on<T>(
        &self,
        op: &'static str,
        name: &str,
        operation: impl FnOnce(&DirHandle) -> Result<T, Errno>,
    ) -> DiskResult<T> {
        check_entry_name(name)?;
        self.on_self_or(op, name, operation)
    }

    /// `on` for operations that may also name this directory itself (`.`):
    /// status, metadata and times, never creation or removal.
    fn on_self_or<T>(
        &self,
        op: &'static str,
        name: &str,
        operation: impl FnOnce(&DirHandle) -> Result<T, Errno>,
    ) -> DiskResult<T> {
        if name != "." {
            check_entry_name(name)?;
        }
        if !Self::carries_byte_names() && byte_names::is_encoded(name) {
            return Err(self.error(op, name, Errno::IllegalByteSequence));
        }
        operation(&self.handle).map_err(|errno| self.error(op, name, errno))
    }

    /// `on`, with a missing `name` answered as `None`.
    fn on_existing<T>(
        &self,
        op: &'static str,
        name: &str,
        operation: impl FnOnce(&DirHandle) -> Result<T, Errno>,
    ) -> DiskResult<Option<T>> {
        match self.on(op, name, operation) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.errno() == Some(Errno::NoEntry) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// A second handle on this same directory.
    pub fn reopen(&self) -> DiskResult<Dir> {
        let handle = self.on_self_or("open", ".", |dir| dir.reopen())?;
        Ok(self.child(handle, "."))
    }

    /// Opens sub-directory `name`; `None` when it does not exist.
    pub fn open_dir(&self, name: &str) -> DiskResult<Option<Dir>> {
        Ok(self
            .on_existing("open", name, |dir| dir.open_dir(name))?
            .map(|handle| self.child(handle, name)))
    }

    /// Opens sub-directory `name`, creating it (mode 0700) when missing.
    pub fn ensure_dir(&self, name: &str) -> DiskResult<Dir> {
        if let Some(dir) = self.open_dir(name)? {
            return Ok(dir);
        }
        self.make_dir(name, DIR_MODE)?;
        self.open_dir(name)?
            .ok_or_else(|| self.error("open", name, Errno::NoEntry))
    }

    /// Creates sub-directory `name` with `mode`; an existing one is fine.
    pub fn make_dir(&self, name: &str, mode: u32) -> DiskResult<()> {
        match self.on("mkdir", name, |dir| dir.mkdir(name, mode)) {
            Err(err) if err.errno() == Some(Errno::Exist) => Ok(()),
            other => other,
        }
    }

    /// Reads all of file `name`; `None` when it does not exist.
    pub fn read_file(&self, name: &str) -> DiskResult<Option<Vec<u8>>> {
        match self.on_existing("open", name, |dir| dir.read_file(name, u64::MAX)) {
            // Worded as Go's `os.ReadFile`: reading a directory fails in read.
            Err(err) if err.errno() == Some(Errno::IsDirectory) => {
                Err(self.error("read", name, Errno::IsDirectory))
            }
            other => other,
        }
    }

    /// Reads all of file `name` when it holds at most `max_size` bytes
    /// (`None` when it is larger; callers then stream it).
    pub fn read_small_file(&self, name: &str, max_size: u64) -> DiskResult<Option<Vec<u8>>> {
        match self.on("read", name, |dir| dir.read_file(name, max_size)) {
            Ok(contents) => Ok(Some(contents)),
            Err(err) if err.errno() == Some(Errno::FileTooLarge) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Replaces file `name` atomically: a temporary file in this directory
    /// (mode 0600) is written, its data synced, and renamed over `name`. A
    /// crash leaves the old or the new contents, never a mix. As in 1.43 the
    /// directory is not synced: a rename lost in a crash leaves the old file.
    pub fn write_file_atomic(&self, name: &str, contents: &[u8]) -> DiskResult<()> {
        let mut file = self.begin_atomic(name)?;
        file.append(contents)?;
        file.commit()
    }

    /// Like [`write_file_atomic`](Self::write_file_atomic), for files only
    /// ever written under an exclusive lock (record files): the temporary
    /// has the fixed name `.tmp-<name>`, so one a killed writer left is
    /// replaced by the next write instead of accumulating.
    pub fn write_file_atomic_locked(&self, name: &str, contents: &[u8]) -> DiskResult<()> {
        let temp_name = self.remove_stale_temporary(name)?;
        let mut file = self.create_temporary(temp_name, name)?;
        file.append(contents)?;
        file.commit()
    }

    /// Like [`write_file_atomic_locked`](Self::write_file_atomic_locked)
    /// without syncing the data before the rename (newer containers/storage's
    /// volatile record files: a crash may leave an empty file, which holds
    /// no records).
    pub fn write_file_atomic_locked_unsynced(&self, name: &str, contents: &[u8]) -> DiskResult<()> {
        let temp_name = self.remove_stale_temporary(name)?;
        let mut file = self.create_temporary(temp_name, name)?;
        file.append(contents)?;
        file.sync_data = false;
        file.commit()
    }

    /// Creates temporary file `temp_name` (which must not exist) that
    /// [`AtomicFile::commit`] publishes as `target`.
    fn create_temporary(&self, temp_name: String, target: &str) -> DiskResult<AtomicFile<'_>> {
        let file = self.on("create", &temp_name, |dir| {
            dir.create_new(&temp_name, FILE_MODE)
        })?;
        Ok(AtomicFile {
            dir: self,
            file,
            temp_name,
            target: target.to_string(),
            written: 0,
            done: false,
            sync_data: true,
        })
    }

    /// Removes the fixed-name temporary of
    /// [`write_file_atomic_locked`](Self::write_file_atomic_locked) that a
    /// killed writer may have left beside `name`; returns its name. The
    /// caller holds the lock that guards `name` exclusively.
    pub fn remove_stale_temporary(&self, name: &str) -> DiskResult<String> {
        check_entry_name(name)?;
        let temp_name = format!("{TEMP_PREFIX}{name}");
        self.remove_file(&temp_name)?;
        Ok(temp_name)
    }

    /// Starts replacing file `name` atomically: write with
    /// [`AtomicFile::append`], publish with [`AtomicFile::commit`]; dropping
    /// it without committing removes the temporary file.
    pub fn begin_atomic(&self, name: &str) -> DiskResult<AtomicFile<'_>> {
        check_entry_name(name)?;
        loop {
            let suffix = u32::from_le_bytes(crate::platform::random_bytes::<4>());
            let temp_name = format!("{TEMP_PREFIX}{name}{suffix}");
            match self.create_temporary(temp_name, name) {
                Ok(file) => return Ok(file),
                Err(err) if err.errno() == Some(Errno::Exist) => continue,
                Err(err) => return Err(err),
            }
        }
    }

    /// Creates file `name` (which must not exist, mode 0600) with the bytes
    /// of `content`; read failures are classified by
    /// [`StoreError::from_read_error`] and prefixed with `reading`.
    pub fn create_file_from(
        &self,
        name: &str,
        content: &mut dyn std::io::Read,
        reading: &str,
    ) -> Result<()> {
        let file = self.on("create", name, |dir| dir.create_new(name, FILE_MODE))?;
        let mut buffer = Vec::with_capacity(IO_CHUNK as usize);
        let mut offset = 0u64;
        loop {
            buffer.clear();
            let count = (&mut *content)
                .take(IO_CHUNK)
                .read_to_end(&mut buffer)
                .map_err(|err| StoreError::from_read_error(err).wrap(reading))?;
            if count == 0 {
                return Ok(());
            }
            write_all_at(&file, &buffer, offset)
                .map_err(|errno| self.error("write", name, errno))?;
            offset += count as u64;
        }
    }

    /// Creates regular file `name` (which must not exist) holding
    /// `contents` and carrying `metadata`, in one backend call.
    pub fn create_file(&self, name: &str, contents: &[u8], metadata: &Metadata) -> DiskResult<()> {
        self.on("create", name, |dir| {
            dir.create_file(name, contents, metadata)
        })
    }

    /// Creates `target_name` in `target` as a copy of regular file `name`
    /// (sharing extents where the file system can), carrying `metadata`.
    pub fn copy_file(
        &self,
        name: &str,
        target: &Dir,
        target_name: &str,
        metadata: &Metadata,
    ) -> DiskResult<()> {
        check_entry_name(name)?;
        target.on("copy to", target_name, |to| {
            self.handle.copy_file(name, to, target_name, metadata)
        })
    }

    /// Shares the extents of regular file `name` with regular file
    /// `target_name` in `target` where their bytes are equal; returns the
    /// bytes shared. [`Errno::Unsupported`] where the file system (or the
    /// portable component) cannot share extents.
    pub fn dedupe_file(&self, name: &str, target: &Dir, target_name: &str) -> DiskResult<u64> {
        check_entry_name(name)?;
        target.on("dedupe to", target_name, |to| {
            self.handle.dedupe_file(name, to, target_name)
        })
    }

    /// Opens file `name` for reading in chunks; `None` when it does not exist.
    pub fn open_reader(&self, name: &str) -> DiskResult<Option<FileReader>> {
        Ok(self
            .on_existing("open", name, |dir| dir.open_read(name))?
            .map(|file| FileReader {
                file,
                path: self.child_path(name),
                offset: 0,
            }))
    }

    /// Creates an unnamed scratch file here: created under a random
    /// temporary name, opened for reading too, then unlinked at once, so
    /// nothing of it outlives its handles (not even a crash). A component
    /// writes what it receives in chunks into one, and reads it back
    /// whole (see [`Spool`]).
    pub fn create_spool(&self) -> DiskResult<Spool> {
        loop {
            let suffix = u32::from_le_bytes(crate::platform::random_bytes::<4>());
            let name = format!("{TEMP_PREFIX}{SPOOL_INFIX}{suffix}");
            let writer = match self.on("create", &name, |dir| dir.create_new(&name, FILE_MODE)) {
                Ok(file) => file,
                Err(err) if err.errno() == Some(Errno::Exist) => continue,
                Err(err) => return Err(err),
            };
            let reader = self.on("open", &name, |dir| dir.open_read(&name));
            // Unlinked whatever happened; a sweep of temporaries that got
            // here first is fine.
            self.remove_file(&name)?;
            return Ok(Spool {
                writer,
                reader: reader?,
                path: self.child_path(&name),
                len: 0,
            });
        }
    }

    /// Writes regular file `name` to `out` (a component's host backend
    /// sends it without the bytes entering the component); returns its
    /// length, `None` when the file does not exist.
    pub fn send_file(&self, name: &str, out: &mut Output<'_>) -> DiskResult<Option<u64>> {
        self.on_existing("read", name, |dir| dir.send_file(name, out))
    }

    /// Applies `metadata` to `name` (a final symlink itself).
    pub fn set_metadata(&self, name: &str, metadata: &Metadata) -> DiskResult<()> {
        self.on_self_or("set metadata of", name, |dir| {
            dir.set_metadata(name, metadata)
        })
    }

    /// Sets the permission bits of `name`.
    pub fn chmod(&self, name: &str, mode: u32) -> DiskResult<()> {
        self.on_self_or("chmod", name, |dir| dir.chmod(name, mode))
    }

    /// Sets the owner of `name` (a final symlink itself).
    pub fn lchown(&self, name: &str, uid: u32, gid: u32) -> DiskResult<()> {
        self.on_self_or("lchown", name, |dir| dir.lchown(name, uid, gid))
    }

    /// Sets the access and modification times of `name`.
    pub fn set_times(
        &self,
        name: &str,
        access: Timespec,
        modification: Timespec,
    ) -> DiskResult<()> {
        self.on_self_or("utimes", name, |dir| {
            dir.set_times(name, access, modification)
        })
    }

    /// Creates symlink `name` with content `target` (which may be absolute).
    pub fn symlink(&self, name: &str, target: &str) -> DiskResult<()> {
        self.on("symlink", name, |dir| dir.symlink(name, target))
    }

    /// The content of symlink `name`.
    pub fn readlink(&self, name: &str) -> DiskResult<String> {
        self.on("readlink", name, |dir| dir.readlink(name))
    }

    /// Creates a FIFO or device node `name`; device nodes fail with
    /// [`Errno::NotPermitted`] where the store may not create them.
    pub fn mknod(
        &self,
        name: &str,
        kind: NodeKind,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> DiskResult<()> {
        self.on("mknod", name, |dir| {
            dir.mknod(name, kind, mode, major, minor)
        })
    }

    /// Value of extended attribute `key` of `name`; `None` when unset.
    pub fn get_xattr(&self, name: &str, key: &str) -> DiskResult<Option<Vec<u8>>> {
        self.on_self_or("getxattr", name, |dir| dir.get_xattr(name, key))
    }

    /// Names of the extended attributes of `name`.
    pub fn list_xattrs(&self, name: &str) -> DiskResult<Vec<String>> {
        self.on_self_or("listxattr", name, |dir| dir.list_xattrs(name))
    }

    /// Makes `target_name` in `target` another link to file `name` here.
    pub fn hard_link(&self, name: &str, target: &Dir, target_name: &str) -> DiskResult<()> {
        check_entry_name(name)?;
        target.on("link", target_name, |to| {
            self.handle.hard_link(name, to, target_name)
        })
    }

    /// Renames `name` to `target_name` in `target`, replacing it.
    pub fn rename(&self, name: &str, target: &Dir, target_name: &str) -> DiskResult<()> {
        check_entry_name(name)?;
        target.on("rename", target_name, |to| {
            self.handle.rename(name, to, target_name)
        })
    }

    /// Removes file `name`; a missing file is fine.
    pub fn remove_file(&self, name: &str) -> DiskResult<()> {
        self.on_existing("remove", name, |dir| dir.unlink(name))
            .map(drop)
    }

    /// Removes `name` and everything beneath it; a missing entry is fine.
    /// Symlinks inside are removed, never followed; any depth works.
    pub fn remove_tree(&self, name: &str) -> DiskResult<()> {
        match self.entry_kind(name)? {
            None => Ok(()),
            Some(EntryKind::Directory) => self
                .on_existing("remove", name, |dir| dir.remove_tree(name))
                .map(drop),
            Some(_) => self.remove_file(name),
        }
    }

    /// Describes `name` without following a final symlink.
    pub fn lstat(&self, name: &str) -> DiskResult<Stat> {
        self.on_self_or("lstat", name, |dir| dir.lstat(name))
    }

    /// Describes `name`; `None` when it does not exist.
    pub fn try_lstat(&self, name: &str) -> DiskResult<Option<Stat>> {
        self.on_existing("stat", name, |dir| dir.lstat(name))
    }

    /// The kind of entry `name` (a final symlink is not followed); `None` when missing.
    pub fn entry_kind(&self, name: &str) -> DiskResult<Option<EntryKind>> {
        Ok(self.try_lstat(name)?.as_ref().map(EntryKind::of))
    }

    /// Size and modification time of `name`; `None` when missing.
    pub fn file_info(&self, name: &str) -> DiskResult<Option<FileInfo>> {
        Ok(self.try_lstat(name)?.map(|stat| FileInfo {
            size: stat.size,
            modified: u64::try_from(stat.modification.seconds)
                .ok()
                .map(|seconds| (seconds, stat.modification.nanoseconds)),
        }))
    }

    /// Every entry of this directory (without `.` and `..`) with its `lstat`
    /// and extended attribute names.
    pub fn read_dir(&self) -> DiskResult<Vec<DirEntry>> {
        self.on_self_or("list", ".", |dir| dir.read_dir())
    }

    /// Names and kinds of the entries in this directory (without `.` and `..`).
    pub fn entries(&self) -> DiskResult<Vec<(String, EntryKind)>> {
        self.on_self_or("list", ".", |dir| dir.list())
    }

    /// Opens (creating unless `read_only`) lock file `name` here.
    pub(super) fn open_lock(
        &self,
        name: &str,
        read_only: bool,
    ) -> DiskResult<<DirHandle as DirOps>::Lock> {
        check_entry_name(name)?;
        self.handle.open_lock(name, read_only).map_err(|message| {
            DiskError::Lock(format!("opening lock {}: {message}", self.child_path(name)))
        })
    }
}

/// Writes all of `bytes` at `offset`.
fn write_all_at(file: &FileHandle, mut bytes: &[u8], mut offset: u64) -> Result<(), Errno> {
    while !bytes.is_empty() {
        let end = bytes.len().min(IO_CHUNK as usize);
        let count = file.write(&bytes[..end], offset)?;
        if count == 0 {
            return Err(Errno::NoSpace);
        }
        offset += count;
        bytes = &bytes[count as usize..];
    }
    Ok(())
}

/// A file being written under a temporary name, published by `commit`.
pub struct AtomicFile<'a> {
    dir: &'a Dir,
    file: FileHandle,
    temp_name: String,
    target: String,
    written: u64,
    done: bool,
    /// Whether `commit` syncs the data before the rename.
    sync_data: bool,
}

impl AtomicFile<'_> {
    /// Appends `bytes`.
    pub fn append(&mut self, bytes: &[u8]) -> DiskResult<()> {
        write_all_at(&self.file, bytes, self.written)
            .map_err(|errno| self.dir.error("write", &self.temp_name, errno))?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.written
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// Syncs the data and renames it over the target (then syncs the
    /// directory, when it is [`durable`](Dir::durable)).
    pub fn commit(self) -> DiskResult<()> {
        let target = self.target.clone();
        self.commit_as(&target)
    }

    /// Like `commit`, but publishes under `target` (a name only known once
    /// the content is written, e.g. its digest).
    pub fn commit_as(mut self, target: &str) -> DiskResult<()> {
        check_entry_name(target)?;
        if self.sync_data {
            self.file
                .sync_data()
                .map_err(|errno| self.dir.error("sync", &self.temp_name, errno))?;
        }
        self.dir.rename(&self.temp_name, self.dir, target)?;
        self.done = true;
        if self.dir.durable {
            self.dir.sync()?;
        }
        Ok(())
    }
}

impl Drop for AtomicFile<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.dir.handle.unlink(&self.temp_name);
        }
    }
}

impl std::io::Write for AtomicFile<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.append(bytes).map_err(std::io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Infix of a scratch file's temporary name (`.tmp-spool-<n>`), seen
/// only between its creation and its unlinking.
const SPOOL_INFIX: &str = "spool-";

/// An unnamed scratch file (see [`Dir::create_spool`]): append bytes,
/// then read them back from the start with [`Spool::into_reader`].
pub struct Spool {
    writer: FileHandle,
    reader: FileHandle,
    path: String,
    len: u64,
}

impl Spool {
    /// Appends `bytes`.
    pub fn append(&mut self, bytes: &[u8]) -> DiskResult<()> {
        write_all_at(&self.writer, bytes, self.len).map_err(|errno| DiskError::Os {
            op: "write",
            path: self.path.clone(),
            errno,
        })?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Bytes appended so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Everything appended, read from the start (the writing handle is closed).
    pub fn into_reader(self) -> FileReader {
        FileReader {
            file: self.reader,
            path: self.path,
            offset: 0,
        }
    }
}

impl std::io::Write for Spool {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.append(bytes).map_err(std::io::Error::other)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A file read in chunks (it owns its handle).
pub struct FileReader {
    file: FileHandle,
    path: String,
    offset: u64,
}

impl FileReader {
    /// Up to `max` bytes (at most 1 MiB) from where the last read ended;
    /// empty at the end of the file.
    pub fn read_up_to(&mut self, max: u64) -> DiskResult<Vec<u8>> {
        let chunk = self
            .file
            .read(max.min(IO_CHUNK), self.offset)
            .map_err(|errno| DiskError::Os {
                op: "read",
                path: self.path.clone(),
                errno,
            })?;
        self.offset += chunk.len() as u64;
        Ok(chunk)
    }

    /// The next chunk of the file; `None` at its end.
    pub fn next_chunk(&mut self) -> DiskResult<Option<Vec<u8>>> {
        let chunk = self.read_up_to(IO_CHUNK)?;
        Ok((!chunk.is_empty()).then_some(chunk))
    }
}

impl std::io::Read for FileReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let wanted = (out.len() as u64).min(IO_CHUNK);
        let chunk = self
            .file
            .read(wanted, self.offset)
            .map_err(|errno| std::io::Error::other(format!("read {}: {errno}", self.path)))?;
        out[..chunk.len()].copy_from_slice(&chunk);
        self.offset += chunk.len() as u64;
        Ok(chunk.len())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// A spool reads back what was appended, from the start, and has no
    /// name in its directory from the moment it exists.
    #[test]
    fn spools_read_back_and_leave_no_name() {
        let temp = tempfile::tempdir().unwrap();
        let dir = super::super::open_native(temp.path(), false).unwrap();
        let mut spool = dir.create_spool().unwrap();
        assert!(spool.is_empty());
        assert_eq!(dir.entries().unwrap(), Vec::new());
        let big: Vec<u8> = (0..(IO_CHUNK as usize + 10)).map(|i| i as u8).collect();
        spool.append(b"head ").unwrap();
        std::io::Write::write_all(&mut spool, &big).unwrap();
        assert_eq!(spool.len(), 5 + big.len() as u64);
        let mut reader = spool.into_reader();
        assert_eq!(reader.read_up_to(5).unwrap(), b"head ");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert!(rest == big);
        assert_eq!(reader.read_up_to(5).unwrap(), b"");
        assert_eq!(dir.entries().unwrap(), Vec::new());
    }
}
