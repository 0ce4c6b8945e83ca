//! A directory capability: a WASI descriptor plus the host path it stands
//! for (used only for messages and for paths the store reports).

use super::{DIR_MODE, FILE_MODE, check_component};
use crate::bindings::graphstore::store::posix;
use crate::error::{Result, StoreError};
use crate::file_type::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use std::io::Read as _;
use wasip2::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

/// Largest single read or write request sent to the host.
const IO_CHUNK: u64 = 1 << 20;
/// Prefix of temporary files (as Go's `os.CreateTemp` pattern in 1.43).
pub const TEMP_PREFIX: &str = ".tmp-";

/// What kind of object a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A regular file.
    File,
    /// A symbolic link.
    Symlink,
    /// Anything else (devices, FIFOs, sockets).
    Other,
}

/// Size and modification time of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Size in bytes.
    pub size: u64,
    /// Modification time as (seconds, nanoseconds) since the epoch, when known.
    pub modified: Option<(u64, u32)>,
}

/// An open directory the store may read and write beneath.
pub struct Dir {
    fd: Descriptor,
    path: String,
}

impl Dir {
    /// The preopened directory the host named `name`.
    pub fn preopened(name: &str, host_path: &str) -> Result<Dir> {
        wasip2::filesystem::preopens::get_directories()
            .into_iter()
            .find(|(_, preopen)| preopen == name)
            .map(|(fd, _)| Dir {
                fd,
                path: host_path.to_string(),
            })
            .ok_or_else(|| {
                StoreError::io(format!(
                    "{host_path}: directory was not granted to the store"
                ))
            })
    }

    /// The host path this directory stands for.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The host path of `name` inside this directory.
    pub fn child_path(&self, name: &str) -> String {
        format!("{}/{name}", self.path.trim_end_matches('/'))
    }

    /// The underlying descriptor, for host calls that take a capability.
    pub fn descriptor(&self) -> &Descriptor {
        &self.fd
    }

    fn error(&self, operation: &str, name: &str, code: ErrorCode) -> StoreError {
        StoreError::io(format!(
            "{operation} {}: {}",
            self.child_path(name),
            describe(code)
        ))
    }

    /// A second handle on this same directory.
    pub fn reopen(&self) -> Result<Dir> {
        let flags = DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY;
        let fd = self
            .fd
            .open_at(PathFlags::empty(), ".", OpenFlags::DIRECTORY, flags)
            .map_err(|code| self.error("open", ".", code))?;
        Ok(Dir {
            fd,
            path: self.path.clone(),
        })
    }

    /// Opens sub-directory `name`; `None` when it does not exist.
    pub fn open_dir(&self, name: &str) -> Result<Option<Dir>> {
        check_component(name)?;
        let flags = DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY;
        match self
            .fd
            .open_at(PathFlags::empty(), name, OpenFlags::DIRECTORY, flags)
        {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: self.child_path(name),
            })),
            Err(ErrorCode::NoEntry) => Ok(None),
            Err(code) => Err(self.error("open", name, code)),
        }
    }

    /// Opens sub-directory `name`, creating it (mode 0700) when missing.
    pub fn ensure_dir(&self, name: &str) -> Result<Dir> {
        if let Some(dir) = self.open_dir(name)? {
            return Ok(dir);
        }
        self.make_dir(name, DIR_MODE)?;
        self.open_dir(name)?.ok_or_else(|| {
            StoreError::io(format!(
                "mkdir {}: vanished after creation",
                self.child_path(name)
            ))
        })
    }

    /// Creates sub-directory `name` with `mode`; an existing one is fine.
    pub fn make_dir(&self, name: &str, mode: u32) -> Result<()> {
        check_component(name)?;
        match posix::mkdir(&self.fd, name, mode) {
            Ok(()) | Err(ErrorCode::Exist) => Ok(()),
            Err(code) => Err(self.error("mkdir", name, code)),
        }
    }

    /// Reads all of file `name` (one host call); `None` when it does not exist.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_component(name)?;
        match posix::read_file(&self.fd, name, u64::MAX) {
            Ok(contents) => Ok(Some(contents)),
            Err(ErrorCode::NoEntry) => Ok(None),
            // Worded as Go's `os.ReadFile`: reading a directory fails in read.
            Err(code @ ErrorCode::IsDirectory) => Err(self.error("read", name, code)),
            Err(code) => Err(self.error("open", name, code)),
        }
    }

    /// Replaces file `name` atomically: a temporary file in this directory
    /// (mode 0600) is written, its data synced, and renamed over `name`. A
    /// crash leaves the old or the new contents, never a mix. As in 1.43 the
    /// directory is not synced: a rename lost in a crash leaves the old file.
    pub fn write_file_atomic(&self, name: &str, contents: &[u8]) -> Result<()> {
        let mut file = self.begin_atomic(name)?;
        file.append(contents)?;
        file.commit()
    }

    /// Starts replacing file `name` atomically: write with
    /// [`AtomicFile::append`], publish with [`AtomicFile::commit`]; dropping
    /// it without committing removes the temporary file.
    pub fn begin_atomic(&self, name: &str) -> Result<AtomicFile<'_>> {
        check_component(name)?;
        let flags = OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
        loop {
            let suffix = u32::from_le_bytes(crate::platform::random_bytes::<4>());
            let temp_name = format!("{TEMP_PREFIX}{name}{suffix}");
            match self.fd.open_at(
                PathFlags::empty(),
                &temp_name,
                flags,
                DescriptorFlags::WRITE,
            ) {
                Ok(file) => {
                    let pending = AtomicFile {
                        dir: self,
                        file,
                        temp_name,
                        target: name.to_string(),
                        written: 0,
                        done: false,
                    };
                    posix::chmod(&self.fd, &pending.temp_name, FILE_MODE)
                        .map_err(|code| self.error("chmod", &pending.temp_name, code))?;
                    return Ok(pending);
                }
                Err(ErrorCode::Exist) => continue,
                Err(code) => return Err(self.error("create", &temp_name, code)),
            }
        }
    }

    /// Creates file `name` (which must not exist) with the bytes of
    /// `content`; read failures are classified by
    /// [`StoreError::from_read_error`] and prefixed with `reading`.
    pub fn create_file_from(
        &self,
        name: &str,
        content: &mut dyn std::io::Read,
        reading: &str,
    ) -> Result<()> {
        check_component(name)?;
        let file = self
            .fd
            .open_at(
                PathFlags::empty(),
                name,
                OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
                DescriptorFlags::WRITE,
            )
            .map_err(|code| self.error("create", name, code))?;
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
            let mut written = 0;
            while written < count {
                let done = file
                    .write(&buffer[written..count], offset + written as u64)
                    .map_err(|code| self.error("write", name, code))?;
                written += done as usize;
            }
            offset += count as u64;
        }
    }

    /// Opens file `name` for reading in chunks; `None` when it does not exist.
    pub fn open_reader(&self, name: &str) -> Result<Option<FileReader>> {
        check_component(name)?;
        match self.fd.open_at(
            PathFlags::empty(),
            name,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        ) {
            Ok(file) => Ok(Some(FileReader {
                file,
                path: self.child_path(name),
                offset: 0,
            })),
            Err(ErrorCode::NoEntry) => Ok(None),
            Err(code) => Err(self.error("open", name, code)),
        }
    }

    /// Removes file `name`; a missing file is fine.
    pub fn remove_file(&self, name: &str) -> Result<()> {
        check_component(name)?;
        match self.fd.unlink_file_at(name) {
            Ok(()) | Err(ErrorCode::NoEntry) => Ok(()),
            Err(code) => Err(self.error("remove", name, code)),
        }
    }

    /// Removes `name` and everything beneath it; a missing entry is fine.
    /// Symlinks inside are removed, never followed. Directories are removed
    /// by the host (no recursion here, so any depth works).
    pub fn remove_tree(&self, name: &str) -> Result<()> {
        check_component(name)?;
        match self.entry_kind(name)? {
            None => Ok(()),
            Some(EntryKind::Directory) => {
                posix::remove_tree(&self.fd, name).map_err(|code| self.error("remove", name, code))
            }
            Some(_) => self.remove_file(name),
        }
    }

    /// Describes `name` without following a final symlink; `None` when
    /// missing. (The host's `lstat`: unlike WASI's `stat-at`, a missing
    /// name costs no error object on the host, which matters when every
    /// member of a layer is checked.)
    fn lstat(&self, name: &str) -> Result<Option<posix::Stat>> {
        check_component(name)?;
        match posix::lstat(&self.fd, name) {
            Ok(stat) => Ok(Some(stat)),
            Err(ErrorCode::NoEntry) => Ok(None),
            Err(code) => Err(self.error("stat", name, code)),
        }
    }

    /// The kind of entry `name` (a final symlink is not followed); `None` when missing.
    pub fn entry_kind(&self, name: &str) -> Result<Option<EntryKind>> {
        Ok(self
            .lstat(name)?
            .map(|stat| EntryKind::from_mode(stat.mode)))
    }

    /// Size and modification time of `name`; `None` when missing.
    pub fn file_info(&self, name: &str) -> Result<Option<FileInfo>> {
        Ok(self.lstat(name)?.map(|stat| FileInfo {
            size: stat.size,
            modified: u64::try_from(stat.modification.seconds)
                .ok()
                .map(|seconds| (seconds, stat.modification.nanoseconds)),
        }))
    }

    /// Every entry of this directory (without `.` and `..`) with its `lstat`
    /// and extended attribute names, in one host call.
    pub fn read_dir(&self) -> Result<Vec<posix::DirEntry>> {
        posix::read_dir(&self.fd, ".").map_err(|code| self.error("list", ".", code))
    }

    /// Names and kinds of the entries in this directory (without `.` and `..`).
    pub fn entries(&self) -> Result<Vec<(String, EntryKind)>> {
        let stream = self
            .fd
            .read_directory()
            .map_err(|code| self.error("list", ".", code))?;
        let mut entries = Vec::new();
        while let Some(entry) = stream
            .read_directory_entry()
            .map_err(|code| self.error("list", ".", code))?
        {
            entries.push((entry.name, kind_of(entry.type_)));
        }
        Ok(entries)
    }
}

impl EntryKind {
    /// The kind of a file with `st_mode` `mode`.
    pub fn from_mode(mode: u32) -> EntryKind {
        match mode & S_IFMT {
            S_IFDIR => EntryKind::Directory,
            S_IFREG => EntryKind::File,
            S_IFLNK => EntryKind::Symlink,
            _ => EntryKind::Other,
        }
    }
}

fn kind_of(kind: DescriptorType) -> EntryKind {
    match kind {
        DescriptorType::Directory => EntryKind::Directory,
        DescriptorType::RegularFile => EntryKind::File,
        DescriptorType::SymbolicLink => EntryKind::Symlink,
        _ => EntryKind::Other,
    }
}

/// A POSIX-style description of a WASI error code, as Go would print it.
pub fn describe(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::NoEntry => "no such file or directory",
        ErrorCode::Exist => "file exists",
        ErrorCode::Access => "permission denied",
        ErrorCode::NotPermitted => "operation not permitted",
        ErrorCode::ReadOnly => "read-only file system",
        ErrorCode::NotDirectory => "not a directory",
        ErrorCode::IsDirectory => "is a directory",
        ErrorCode::NotEmpty => "directory not empty",
        ErrorCode::NameTooLong => "file name too long",
        ErrorCode::InsufficientSpace => "no space left on device",
        ErrorCode::Loop => "too many levels of symbolic links",
        ErrorCode::Invalid => "invalid argument",
        ErrorCode::Busy => "device or resource busy",
        ErrorCode::Quota => "disk quota exceeded",
        ErrorCode::Io => "input/output error",
        other => other.name(),
    }
}

/// A file being written under a temporary name, published by `commit`.
pub struct AtomicFile<'a> {
    dir: &'a Dir,
    file: Descriptor,
    temp_name: String,
    target: String,
    written: u64,
    done: bool,
}

impl AtomicFile<'_> {
    /// Appends `bytes`.
    pub fn append(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let end = bytes.len().min(IO_CHUNK as usize);
            let count = self
                .file
                .write(&bytes[..end], self.written)
                .map_err(|code| self.dir.error("write", &self.temp_name, code))?;
            if count == 0 {
                return Err(self
                    .dir
                    .error("write", &self.temp_name, ErrorCode::InsufficientSpace));
            }
            self.written += count;
            bytes = &bytes[count as usize..];
        }
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

    /// Syncs the data and renames it over the target.
    pub fn commit(self) -> Result<()> {
        let target = self.target.clone();
        self.commit_as(&target)
    }

    /// Like `commit`, but publishes under `target` (a name only known once
    /// the content is written, e.g. its digest).
    pub fn commit_as(mut self, target: &str) -> Result<()> {
        check_component(target)?;
        self.file
            .sync_data()
            .map_err(|code| self.dir.error("sync", &self.temp_name, code))?;
        self.dir
            .fd
            .rename_at(&self.temp_name, &self.dir.fd, target)
            .map_err(|code| self.dir.error("rename", target, code))?;
        self.done = true;
        Ok(())
    }
}

impl Drop for AtomicFile<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.dir.fd.unlink_file_at(&self.temp_name);
        }
    }
}

/// A file read in chunks (it owns its descriptor).
pub struct FileReader {
    file: Descriptor,
    path: String,
    offset: u64,
}

impl FileReader {
    /// The next chunk of the file; `None` at its end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let (chunk, end) = self
            .file
            .read(IO_CHUNK, self.offset)
            .map_err(|code| StoreError::io(format!("read {}: {}", self.path, describe(code))))?;
        self.offset += chunk.len() as u64;
        if chunk.is_empty() && end {
            return Ok(None);
        }
        Ok(Some(chunk))
    }
}

impl std::io::Read for FileReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let wanted = (out.len() as u64).min(IO_CHUNK);
        let (chunk, _) = self.file.read(wanted, self.offset).map_err(|code| {
            std::io::Error::other(format!("read {}: {}", self.path, describe(code)))
        })?;
        out[..chunk.len()].copy_from_slice(&chunk);
        self.offset += chunk.len() as u64;
        Ok(chunk.len())
    }
}

impl std::io::Write for AtomicFile<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.append(bytes)
            .map_err(|err| std::io::Error::other(err.message))?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
