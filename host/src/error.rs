//! Errors of the host library.

pub use graphstore_guest::error::ErrorKind;

use crate::bindings::exports::graphstore::store::types::Error as WitError;

/// A failure of a store operation or of running the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The store refused the operation (containers/storage's error kinds).
    #[error("{message}")]
    Store {
        /// Which containers/storage error this is.
        kind: ErrorKind,
        /// The message, worded as containers/storage words it.
        message: String,
    },
    /// Preparing the sandbox failed (roots, engine, component).
    #[error("{0}")]
    Setup(String),
    /// The component trapped or the runtime failed; the store is unusable.
    #[error("the store component failed: {0}")]
    Runtime(String),
}

impl Error {
    /// The store error kind, if this is a store error.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Store { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    pub(crate) fn setup(context: impl std::fmt::Display, error: impl std::fmt::Display) -> Self {
        Error::Setup(format!("{context}: {error}"))
    }

    pub(crate) fn store(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::Store {
            kind,
            message: message.into(),
        }
    }
}

impl From<wasmtime::Error> for Error {
    fn from(error: wasmtime::Error) -> Self {
        Error::Runtime(format!("{error:#}"))
    }
}

impl From<WitError> for Error {
    fn from(error: WitError) -> Self {
        let (kind, message) = match error {
            WitError::LayerUnknown(m) => (ErrorKind::LayerUnknown, m),
            WitError::ImageUnknown(m) => (ErrorKind::ImageUnknown, m),
            WitError::ContainerUnknown(m) => (ErrorKind::ContainerUnknown, m),
            WitError::DuplicateId(m) => (ErrorKind::DuplicateId, m),
            WitError::DuplicateName(m) => (ErrorKind::DuplicateName, m),
            WitError::LayerHasChildren(m) => (ErrorKind::LayerHasChildren, m),
            WitError::LayerUsedByImage(m) => (ErrorKind::LayerUsedByImage, m),
            WitError::LayerUsedByContainer(m) => (ErrorKind::LayerUsedByContainer, m),
            WitError::ImageUsedByContainer(m) => (ErrorKind::ImageUsedByContainer, m),
            WitError::NotALayer(m) => (ErrorKind::NotALayer, m),
            WitError::NotAnImage(m) => (ErrorKind::NotAnImage, m),
            WitError::NotAContainer(m) => (ErrorKind::NotAContainer, m),
            WitError::NotALayerImageOrContainer(m) => (ErrorKind::NotALayerImageOrContainer, m),
            WitError::ParentIsContainer(m) => (ErrorKind::ParentIsContainer, m),
            WitError::ReadOnly(m) => (ErrorKind::ReadOnly, m),
            WitError::SizeUnknown(m) => (ErrorKind::SizeUnknown, m),
            WitError::DigestUnknown(m) => (ErrorKind::DigestUnknown, m),
            WitError::InvalidBigDataName(m) => (ErrorKind::InvalidBigDataName, m),
            WitError::IncompleteOptions(m) => (ErrorKind::IncompleteOptions, m),
            WitError::LayerNotMounted(m) => (ErrorKind::LayerNotMounted, m),
            WitError::DriverNotSupported(m) => (ErrorKind::DriverNotSupported, m),
            WitError::Unsupported(m) => (ErrorKind::Unsupported, m),
            WitError::InvalidInput(m) => (ErrorKind::InvalidInput, m),
            WitError::Corrupt(m) => (ErrorKind::Corrupt, m),
            WitError::Io(m) => (ErrorKind::Io, m),
            WitError::BlobUnknown(m) => (ErrorKind::BlobUnknown, m),
            WitError::BlobCorrupt(m) => (ErrorKind::BlobCorrupt, m),
            WitError::LayerLeased(m) => (ErrorKind::LayerLeased, m),
        };
        Error::Store { kind, message }
    }
}
