//! The file-type bits of a POSIX `st_mode` (what the host's `lstat`
//! reports, and what 1.43 puts into tar modes), shared by the pure and the
//! I/O modules.

/// Mask of the file-type bits.
pub const S_IFMT: u32 = 0o170000;
/// A FIFO.
pub const S_IFIFO: u32 = 0o010000;
/// A character device.
pub const S_IFCHR: u32 = 0o020000;
/// A directory.
pub const S_IFDIR: u32 = 0o040000;
/// A block device.
pub const S_IFBLK: u32 = 0o060000;
/// A regular file.
pub const S_IFREG: u32 = 0o100000;
/// A symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// A socket.
pub const S_IFSOCK: u32 = 0o140000;
