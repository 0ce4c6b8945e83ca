//! A directory capability: a WASI descriptor plus the host path it stands
//! for (used only for messages and for paths the store reports).

use super::{DIR_MODE, FILE_MODE, check_component};
use crate::bindings::graphstore::store::posix;
use crate::error::{Result, StoreError};
use wasip2::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

/// Largest single read or write request sent to the host.
const IO_CHUNK: u64 = 1 << 20;

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

    /// Reads all of file `name`; `None` when it does not exist.
    pub fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_component(name)?;
        let file = match self.fd.open_at(
            PathFlags::empty(),
            name,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        ) {
            Ok(file) => file,
            Err(ErrorCode::NoEntry) => return Ok(None),
            Err(code) => return Err(self.error("open", name, code)),
        };
        let mut contents = Vec::new();
        loop {
            let (chunk, end) = file
                .read(IO_CHUNK, contents.len() as u64)
                .map_err(|code| self.error("read", name, code))?;
            contents.extend_from_slice(&chunk);
            if end || chunk.is_empty() {
                return Ok(Some(contents));
            }
        }
    }

    /// Replaces file `name` atomically and durably: a temporary file in this
    /// directory (mode 0600) is written and synced, renamed over `name`, and
    /// the directory is synced. A crash leaves the old or the new contents.
    pub fn write_file_atomic(&self, name: &str, contents: &[u8]) -> Result<()> {
        check_component(name)?;
        let temp = self.create_temp(name)?;
        let result = self.fill_and_publish(&temp.1, &temp.0, name, contents);
        if result.is_err() {
            let _ = self.fd.unlink_file_at(&temp.1);
        }
        result
    }

    fn create_temp(&self, name: &str) -> Result<(Descriptor, String)> {
        let flags = OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
        loop {
            let suffix = u32::from_le_bytes(crate::platform::random_bytes::<4>());
            let temp_name = format!(".tmp-{name}{suffix}");
            match self.fd.open_at(
                PathFlags::empty(),
                &temp_name,
                flags,
                DescriptorFlags::WRITE,
            ) {
                Ok(file) => return Ok((file, temp_name)),
                Err(ErrorCode::Exist) => continue,
                Err(code) => return Err(self.error("create", &temp_name, code)),
            }
        }
    }

    fn fill_and_publish(
        &self,
        temp_name: &str,
        file: &Descriptor,
        name: &str,
        contents: &[u8],
    ) -> Result<()> {
        posix::chmod(&self.fd, temp_name, FILE_MODE)
            .map_err(|code| self.error("chmod", temp_name, code))?;
        let mut written = 0usize;
        while written < contents.len() {
            let end = contents.len().min(written + IO_CHUNK as usize);
            let count = file
                .write(&contents[written..end], written as u64)
                .map_err(|code| self.error("write", temp_name, code))?;
            if count == 0 {
                return Err(self.error("write", temp_name, ErrorCode::InsufficientSpace));
            }
            written += count as usize;
        }
        file.sync_data()
            .map_err(|code| self.error("sync", temp_name, code))?;
        self.fd
            .rename_at(temp_name, &self.fd, name)
            .map_err(|code| self.error("rename", name, code))?;
        self.fd.sync().map_err(|code| self.error("sync", ".", code))
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
    /// Symlinks inside are removed, never followed.
    pub fn remove_tree(&self, name: &str) -> Result<()> {
        check_component(name)?;
        match self.entry_kind(name)? {
            None => Ok(()),
            Some(EntryKind::Directory) => {
                if let Some(child) = self.open_dir(name)? {
                    for (entry, _) in child.entries()? {
                        child.remove_tree(&entry)?;
                    }
                }
                match self.fd.remove_directory_at(name) {
                    Ok(()) | Err(ErrorCode::NoEntry) => Ok(()),
                    Err(code) => Err(self.error("remove", name, code)),
                }
            }
            Some(_) => self.remove_file(name),
        }
    }

    /// The kind of entry `name` (a final symlink is not followed); `None` when missing.
    pub fn entry_kind(&self, name: &str) -> Result<Option<EntryKind>> {
        check_component(name)?;
        match self.fd.stat_at(PathFlags::empty(), name) {
            Ok(stat) => Ok(Some(kind_of(stat.type_))),
            Err(ErrorCode::NoEntry) => Ok(None),
            Err(code) => Err(self.error("stat", name, code)),
        }
    }

    /// Size and modification time of `name`; `None` when missing.
    pub fn file_info(&self, name: &str) -> Result<Option<FileInfo>> {
        check_component(name)?;
        match self.fd.stat_at(PathFlags::empty(), name) {
            Ok(stat) => Ok(Some(FileInfo {
                size: stat.size,
                modified: stat
                    .data_modification_timestamp
                    .map(|t| (t.seconds, t.nanoseconds)),
            })),
            Err(ErrorCode::NoEntry) => Ok(None),
            Err(code) => Err(self.error("stat", name, code)),
        }
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
