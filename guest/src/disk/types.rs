//! The plain values the `disk` API speaks in: file status, metadata to
//! apply, directory entries — `graphstore-posix`'s records, the same on
//! every backend (the native one passes them straight through) — and what
//! kind of object an entry is.

use crate::file_type::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

pub use graphstore_posix::{DirEntry, Metadata, NodeKind, Stat, Timespec};

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

impl EntryKind {
    /// The kind of the object `stat` describes.
    pub fn of(stat: &Stat) -> EntryKind {
        EntryKind::from_mode(stat.mode)
    }

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

/// Size and modification time of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Size in bytes.
    pub size: u64,
    /// Modification time as (seconds, nanoseconds) since the epoch, when known.
    pub modified: Option<(u64, u32)>,
}
