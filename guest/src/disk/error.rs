//! Errors of disk operations: what the OS (or the host) answered, with the
//! operation and the path, worded like Go's `*PathError` (`open /x: no such
//! file or directory`) because 1.43's messages are.

use crate::error::StoreError;
use std::fmt;

/// What a backend reports when an operation fails: the POSIX condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Errno {
    /// `ENOENT`.
    NoEntry,
    /// `EEXIST`.
    Exist,
    /// `EACCES`.
    Access,
    /// `EPERM`; also an attempt to leave the directory capability.
    NotPermitted,
    /// `EROFS`.
    ReadOnly,
    /// `ENOTDIR`.
    NotDirectory,
    /// `EISDIR`.
    IsDirectory,
    /// `ENOTEMPTY`.
    NotEmpty,
    /// `ENAMETOOLONG`.
    NameTooLong,
    /// `ENOSPC`.
    NoSpace,
    /// `ELOOP`.
    Loop,
    /// `EINVAL`.
    Invalid,
    /// `EBUSY`.
    Busy,
    /// `EDQUOT`.
    Quota,
    /// `EFBIG`: larger than the caller's limit.
    FileTooLarge,
    /// `EPIPE`: the output the data was sent to failed.
    Pipe,
    /// `EILSEQ`: a name that is not UTF-8.
    IllegalByteSequence,
    /// `EOPNOTSUPP`: the backend cannot do this.
    Unsupported,
    /// `EXDEV`.
    CrossDevice,
    /// `ENOMEM`: a reply would exceed the store's memory limit.
    OutOfMemory,
    /// `EBADF`.
    BadDescriptor,
    /// `EIO` and anything without a closer match.
    Io,
}

impl Errno {
    /// The C library's description, as Go prints it.
    pub fn describe(self) -> &'static str {
        match self {
            Errno::NoEntry => "no such file or directory",
            Errno::Exist => "file exists",
            Errno::Access => "permission denied",
            Errno::NotPermitted => "operation not permitted",
            Errno::ReadOnly => "read-only file system",
            Errno::NotDirectory => "not a directory",
            Errno::IsDirectory => "is a directory",
            Errno::NotEmpty => "directory not empty",
            Errno::NameTooLong => "file name too long",
            Errno::NoSpace => "no space left on device",
            Errno::Loop => "too many levels of symbolic links",
            Errno::Invalid => "invalid argument",
            Errno::Busy => "device or resource busy",
            Errno::Quota => "disk quota exceeded",
            Errno::FileTooLarge => "file too large",
            Errno::Pipe => "broken pipe",
            Errno::IllegalByteSequence => "invalid or incomplete multibyte or wide character",
            Errno::Unsupported => "operation not supported",
            Errno::CrossDevice => "invalid cross-device link",
            Errno::OutOfMemory => "cannot allocate memory",
            Errno::BadDescriptor => "bad file descriptor",
            Errno::Io => "input/output error",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What a backend primitive returns.
pub type FsResult<T> = std::result::Result<T, Errno>;

/// A failed disk operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiskError {
    /// A name given to a directory was not one usable path component.
    #[error("{0:?} is not a valid file name: it must be one path component")]
    BadName(String),
    /// The operation `op` on host path `path` failed with `errno`.
    #[error("{op} {path}: {errno}")]
    Os {
        /// The operation, as Go names it (`open`, `mkdir`, `rename`, …).
        op: &'static str,
        /// The host path of the object.
        path: String,
        /// What went wrong.
        errno: Errno,
    },
    /// A lock-file operation failed (the host words these itself).
    #[error("{0}")]
    Lock(String),
    /// The runtime did not grant the store a directory it needs.
    #[error("{0}: directory was not granted to the store")]
    NotGranted(String),
}

impl DiskError {
    /// The POSIX condition, for callers that treat one specially.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            DiskError::Os { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

impl From<DiskError> for StoreError {
    fn from(error: DiskError) -> Self {
        match error {
            DiskError::BadName(_) => StoreError::invalid(error.to_string()),
            other => StoreError::io(other.to_string()),
        }
    }
}

/// Result of the `disk` API.
pub type DiskResult<T> = std::result::Result<T, DiskError>;
