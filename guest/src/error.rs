//! The store's error type: a kind that mirrors containers/storage's error
//! values (and the WIT `error` variant) plus the full human message.

use std::fmt;

/// What went wrong, one kind per containers/storage error value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    LayerUnknown,
    ImageUnknown,
    ContainerUnknown,
    DuplicateId,
    DuplicateName,
    LayerHasChildren,
    LayerUsedByImage,
    LayerUsedByContainer,
    ImageUsedByContainer,
    NotALayer,
    NotAnImage,
    NotAContainer,
    NotALayerImageOrContainer,
    ParentIsContainer,
    ReadOnly,
    SizeUnknown,
    DigestUnknown,
    InvalidBigDataName,
    IncompleteOptions,
    LayerNotMounted,
    DriverNotSupported,
    Unsupported,
    InvalidInput,
    Corrupt,
    Io,
    BlobUnknown,
    BlobCorrupt,
    LayerLeased,
}

impl ErrorKind {
    /// The bare message containers/storage uses for this kind, where it has one.
    pub fn base_message(self) -> &'static str {
        match self {
            ErrorKind::LayerUnknown => "layer not known",
            ErrorKind::ImageUnknown => "image not known",
            ErrorKind::ContainerUnknown => "container not known",
            ErrorKind::DuplicateId => "that ID is already in use",
            ErrorKind::DuplicateName => "that name is already in use",
            ErrorKind::LayerHasChildren => "layer has children",
            ErrorKind::LayerUsedByImage => "layer is in use by an image",
            ErrorKind::LayerUsedByContainer => "layer is in use by a container",
            ErrorKind::ImageUsedByContainer => "image is in use by a container",
            ErrorKind::NotALayer => "identifier is not a layer",
            ErrorKind::NotAnImage => "identifier is not an image",
            ErrorKind::NotAContainer => "identifier is not a container",
            ErrorKind::NotALayerImageOrContainer => {
                "identifier is not a layer, image, or container"
            }
            ErrorKind::ParentIsContainer => "would-be parent layer is a container",
            ErrorKind::ReadOnly => "called a write method on a read-only store",
            ErrorKind::SizeUnknown => "size is not known",
            ErrorKind::DigestUnknown => "could not compute digest of item",
            ErrorKind::InvalidBigDataName => "not a valid name for a big data item",
            ErrorKind::IncompleteOptions => "missing necessary StoreOptions",
            ErrorKind::LayerNotMounted => "layer is not mounted",
            ErrorKind::DriverNotSupported => "driver not supported",
            ErrorKind::Unsupported => "operation not supported",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Corrupt => "store metadata is corrupt",
            ErrorKind::Io => "input/output error",
            ErrorKind::BlobUnknown => "blob not known",
            ErrorKind::BlobCorrupt => "blob content does not match its digest",
            ErrorKind::LayerLeased => "layer is held by a lease",
        }
    }
}

/// A store failure: its kind and the message shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StoreError {
    /// Which containers/storage error this is.
    pub kind: ErrorKind,
    /// The full message, e.g. `layer 3f… used by image 9a…: layer is in use by an image`.
    pub message: String,
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StoreError {
    /// An error of `kind` with its bare message.
    pub fn new(kind: ErrorKind) -> Self {
        StoreError {
            kind,
            message: kind.base_message().to_string(),
        }
    }

    /// An error of `kind` whose message is `context: <bare message>`.
    pub fn with_context(kind: ErrorKind, context: impl fmt::Display) -> Self {
        StoreError {
            kind,
            message: format!("{context}: {}", kind.base_message()),
        }
    }

    /// An error of `kind` with a message of its own.
    pub fn custom(kind: ErrorKind, message: impl Into<String>) -> Self {
        StoreError {
            kind,
            message: message.into(),
        }
    }

    /// Prefixes the message with `context: `, keeping the kind (Go's `%w` wrapping).
    pub fn wrap(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// An invalid-input error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::custom(ErrorKind::InvalidInput, message)
    }

    /// A corrupt-metadata error.
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::custom(ErrorKind::Corrupt, message)
    }

    /// An I/O error.
    pub fn io(message: impl Into<String>) -> Self {
        Self::custom(ErrorKind::Io, message)
    }
}

/// Result alias for store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<crate::archive::ArchiveError> for StoreError {
    fn from(error: crate::archive::ArchiveError) -> Self {
        match error {
            crate::archive::ArchiveError::Io(io) => StoreError::from_read_error(io),
            other => StoreError::invalid(other.to_string()),
        }
    }
}

impl StoreError {
    /// Classifies an error met while reading a diff: bad data (corrupt
    /// compression, limits) is invalid input; anything else is I/O.
    pub fn from_read_error(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::InvalidData
            | std::io::ErrorKind::InvalidInput
            | std::io::ErrorKind::UnexpectedEof => StoreError::invalid(error.to_string()),
            _ => StoreError::io(error.to_string()),
        }
    }
}
