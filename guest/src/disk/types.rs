//! The plain values the `disk` API speaks in: file status, metadata to
//! apply, directory entries. Every backend converts to and from these.

use crate::file_type::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

/// A file time: seconds since the epoch (negative before it) and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timespec {
    /// Whole seconds.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanoseconds: u32,
}

/// What `lstat` reports about a file, without following a final symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// File type and permission bits, as in `st_mode`.
    pub mode: u32,
    /// Owner user ID.
    pub uid: u32,
    /// Owner group ID.
    pub gid: u32,
    /// Device number of a character or block device.
    pub rdev: u64,
    /// Number of hard links.
    pub nlink: u64,
    /// Inode number (with `dev`, identifies hard links).
    pub ino: u64,
    /// Device holding the file.
    pub dev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access time.
    pub access: Timespec,
    /// Last modification time.
    pub modification: Timespec,
}

impl Stat {
    /// The kind of object this is.
    pub fn kind(&self) -> EntryKind {
        EntryKind::from_mode(self.mode)
    }
}

/// One entry of a directory, with its `lstat` and extended attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name.
    pub name: String,
    /// What `lstat` reports about it.
    pub stat: Stat,
    /// Names of its extended attributes.
    pub xattrs: Vec<String>,
}

/// Owner, permissions, extended attributes and times given to a file,
/// applied in that order (an owner change clears setuid bits and file
/// capabilities, so they come after it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Owner user ID.
    pub uid: u32,
    /// Owner group ID.
    pub gid: u32,
    /// Permission bits, setuid/setgid/sticky included; never applied to a symlink.
    pub mode: u32,
    /// Extended attributes to set, as (name, value).
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// Access and modification times; `None` leaves the times as they are.
    pub times: Option<(Timespec, Timespec)>,
}

/// Special files `mknod` creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A named pipe.
    Fifo,
    /// A character device.
    CharacterDevice,
    /// A block device.
    BlockDevice,
}

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
