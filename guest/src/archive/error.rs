//! The archive module's error type. Where containers/storage 1.43 (through
//! Go's `archive/tar` and tar-split) has a fixed message, the variant's
//! message is that text, so the store can show it unchanged.

use std::io;

/// Why reading, disassembling or reassembling a layer diff failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The input ended inside a header, a member's content or a
    /// compressed stream (Go: `io.ErrUnexpectedEOF`).
    #[error("unexpected EOF")]
    Truncated,
    /// A header block failed validation (Go: `tar.ErrHeader`); `reason`
    /// says which check, for logs and tests.
    #[error("archive/tar: invalid tar header")]
    InvalidHeader {
        /// Offset of the offending block in the decompressed stream.
        offset: u64,
        /// Which check failed, e.g. `checksum mismatch`.
        reason: &'static str,
    },
    /// A GNU long-name or PAX header larger than the limit this reader
    /// accepts (Go's own reader later gained the same limit).
    #[error("archive/tar: extension header of {size} bytes exceeds the {limit}-byte limit")]
    ExtensionTooLarge {
        /// The size the header claims.
        size: i64,
        /// [`super::header::MAX_EXTENSION_SIZE`].
        limit: u64,
    },
    /// A tar feature this implementation does not reproduce (none at
    /// present: GNU sparse members are read since they were added).
    #[error("archive/tar: {0} are not supported")]
    Unsupported(&'static str),
    /// Two members' names are equal after path cleaning (tar-split's
    /// `ErrDuplicatePath`).
    #[error("duplicates of file paths not supported")]
    DuplicatePath {
        /// The second member's name as stored.
        name: Vec<u8>,
    },
    /// A file's content did not match the CRC-64 recorded in the tar-split.
    #[error("file integrity checksum failed for {}", crate::format::go::quote(.name))]
    ChecksumMismatch {
        /// The entry's name.
        name: Vec<u8>,
    },
    /// A tar-split line is not a valid entry.
    #[error("invalid tar-split entry: {0}")]
    InvalidEntry(String),
    /// The disassembler was used again after it had failed.
    #[error("tar stream already failed")]
    Poisoned,
    /// Reading the input, a decompressor, a file or writing the output failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl ArchiveError {
    /// Maps a read error from the (decompressed) input: an early EOF is a
    /// truncated archive, anything else stays an I/O error.
    pub fn from_read(error: io::Error) -> Self {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            ArchiveError::Truncated
        } else {
            ArchiveError::Io(error)
        }
    }
}

/// Result alias for archive operations.
pub type Result<T, E = ArchiveError> = std::result::Result<T, E>;
