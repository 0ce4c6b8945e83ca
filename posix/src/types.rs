//! Plain records the operations take and return.

/// A file time: seconds since the epoch (negative before it) and nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timespec {
    /// Seconds since 1970-01-01T00:00:00Z.
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

/// One entry of a directory, as [`read_dir`](crate::read_dir) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name.
    pub name: String,
    /// What `lstat` reports about it.
    pub stat: Stat,
    /// Names of its extended attributes.
    pub xattrs: Vec<String>,
}

/// Owner, extended attributes, permission bits and times given to a file,
/// applied in that order (an owner change clears setuid bits and file
/// capabilities, so they are set after it).
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

/// Special files [`mknod`](crate::mknod) creates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NodeKind {
    /// A named pipe.
    Fifo,
    /// A character device.
    CharacterDevice,
    /// A block device.
    BlockDevice,
}
