//! The changes module's error type.

use crate::archive::writer::TarWriteError;
use std::io;

/// Why building a snapshot or writing a naive diff failed.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    /// [`super::Snapshot::insert`] was given a path it cannot hold.
    #[error("cannot add {path:?} to a layer snapshot: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The caller's callback could not open a file's content.
    #[error("opening {path:?} for the layer diff: {source}")]
    Open {
        /// The entry's absolute path in the layer.
        path: String,
        /// The callback's error.
        source: io::Error,
    },
    /// Writing the tar stream failed.
    #[error(transparent)]
    Tar(#[from] TarWriteError),
}

/// Result alias for the changes module.
pub type Result<T, E = ChangesError> = std::result::Result<T, E>;
