//! WASI 0.2 filesystem calls both component backends use: opening,
//! listing, reading and writing files, links, renames and removal.

use super::FileOps;
use crate::disk::error::{Errno, FsResult};
use crate::disk::types::EntryKind;
use wasip2::filesystem::types::{
    Descriptor, DescriptorFlags, DescriptorType, ErrorCode, OpenFlags, PathFlags,
};

/// The POSIX condition of a WASI error code.
pub fn errno(code: ErrorCode) -> Errno {
    match code {
        ErrorCode::NoEntry => Errno::NoEntry,
        ErrorCode::Exist => Errno::Exist,
        ErrorCode::Access => Errno::Access,
        ErrorCode::NotPermitted => Errno::NotPermitted,
        ErrorCode::ReadOnly => Errno::ReadOnly,
        ErrorCode::NotDirectory => Errno::NotDirectory,
        ErrorCode::IsDirectory => Errno::IsDirectory,
        ErrorCode::NotEmpty => Errno::NotEmpty,
        ErrorCode::NameTooLong => Errno::NameTooLong,
        ErrorCode::InsufficientSpace => Errno::NoSpace,
        ErrorCode::Loop => Errno::Loop,
        ErrorCode::Invalid => Errno::Invalid,
        ErrorCode::Busy => Errno::Busy,
        ErrorCode::Quota => Errno::Quota,
        ErrorCode::FileTooLarge => Errno::FileTooLarge,
        ErrorCode::Pipe => Errno::Pipe,
        ErrorCode::IllegalByteSequence => Errno::IllegalByteSequence,
        ErrorCode::Unsupported => Errno::Unsupported,
        ErrorCode::CrossDevice => Errno::CrossDevice,
        ErrorCode::InsufficientMemory => Errno::OutOfMemory,
        ErrorCode::BadDescriptor => Errno::BadDescriptor,
        _ => Errno::Io,
    }
}

/// The directory the runtime preopened under `name`.
pub fn preopened(name: &str) -> Option<Descriptor> {
    wasip2::filesystem::preopens::get_directories()
        .into_iter()
        .find(|(_, preopen)| preopen == name)
        .map(|(fd, _)| fd)
}

/// Opens directory `name` beneath `dir` for reading and changing its
/// entries. Runtimes that refuse the `mutate-directory` flag (jco's shim)
/// get a plain read open; their own checks then govern writes.
pub fn open_dir(dir: &Descriptor, name: &str) -> FsResult<Descriptor> {
    let open = |flags| dir.open_at(PathFlags::empty(), name, OpenFlags::DIRECTORY, flags);
    match open(DescriptorFlags::READ | DescriptorFlags::MUTATE_DIRECTORY) {
        Err(ErrorCode::Unsupported | ErrorCode::NotPermitted | ErrorCode::ReadOnly) => {
            open(DescriptorFlags::READ).map_err(errno)
        }
        other => other.map_err(errno),
    }
}

/// Names and kinds of `dir`'s entries.
pub fn list(dir: &Descriptor) -> FsResult<Vec<(String, EntryKind)>> {
    let stream = dir.read_directory().map_err(errno)?;
    let mut entries = Vec::new();
    while let Some(entry) = stream.read_directory_entry().map_err(errno)? {
        let kind = match entry.type_ {
            DescriptorType::Directory => EntryKind::Directory,
            DescriptorType::RegularFile => EntryKind::File,
            DescriptorType::SymbolicLink => EntryKind::Symlink,
            _ => EntryKind::Other,
        };
        entries.push((entry.name, kind));
    }
    Ok(entries)
}

/// Opens file `name` for reading.
pub fn open_read(dir: &Descriptor, name: &str) -> FsResult<WasiFile> {
    dir.open_at(
        PathFlags::empty(),
        name,
        OpenFlags::empty(),
        DescriptorFlags::READ,
    )
    .map(WasiFile)
    .map_err(errno)
}

/// Creates file `name`, which must not exist, for writing (the runtime's
/// default mode; callers set the mode they need).
pub fn create_new(dir: &Descriptor, name: &str) -> FsResult<WasiFile> {
    dir.open_at(
        PathFlags::empty(),
        name,
        OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
        DescriptorFlags::WRITE,
    )
    .map(WasiFile)
    .map_err(errno)
}

/// Makes `to_name` in `to` another link to `name` in `dir`.
pub fn hard_link(dir: &Descriptor, name: &str, to: &Descriptor, to_name: &str) -> FsResult<()> {
    dir.link_at(PathFlags::empty(), name, to, to_name)
        .map_err(errno)
}

/// Renames `name` in `dir` to `to_name` in `to`.
pub fn rename(dir: &Descriptor, name: &str, to: &Descriptor, to_name: &str) -> FsResult<()> {
    dir.rename_at(name, to, to_name).map_err(errno)
}

/// Removes file or symlink `name`.
pub fn unlink(dir: &Descriptor, name: &str) -> FsResult<()> {
    dir.unlink_file_at(name).map_err(errno)
}

/// Makes directory `dir`'s entries durable (WASI `sync` of a directory
/// descriptor: `fsync` of the directory on wasmtime).
pub fn sync_dir(dir: &Descriptor) -> FsResult<()> {
    dir.sync().map_err(errno)
}

/// An open regular file.
pub struct WasiFile(pub Descriptor);

impl FileOps for WasiFile {
    fn read(&self, len: u64, offset: u64) -> FsResult<Vec<u8>> {
        self.0
            .read(len, offset)
            .map(|(chunk, _)| chunk)
            .map_err(errno)
    }

    fn write(&self, bytes: &[u8], offset: u64) -> FsResult<u64> {
        self.0.write(bytes, offset).map_err(errno)
    }

    fn sync_data(&self) -> FsResult<()> {
        self.0.sync_data().map_err(errno)
    }
}
