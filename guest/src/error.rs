//! The store's error type: a kind that mirrors containers/storage's error
//! values (and the WIT `error` variant) plus the full human message.

use std::fmt;

/// What went wrong, one kind per containers/storage error value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No layer has the given ID, name or ID prefix (1.43's `ErrLayerUnknown`).
    LayerUnknown,
    /// No image has the given ID, name or ID prefix (`ErrImageUnknown`).
    ImageUnknown,
    /// No container has the given ID, name or ID prefix (`ErrContainerUnknown`).
    ContainerUnknown,
    /// A new layer, image or container was given an ID already in use (`ErrDuplicateID`).
    DuplicateId,
    /// A new object was given a name another object of its kind holds (`ErrDuplicateName`).
    DuplicateName,
    /// A layer cannot be deleted: another layer names it as parent (`ErrLayerHasChildren`).
    LayerHasChildren,
    /// A layer cannot be deleted: it is an image's top layer (`ErrLayerUsedByImage`).
    LayerUsedByImage,
    /// A layer cannot be deleted: it is a container's read-write layer (`ErrLayerUsedByContainer`).
    LayerUsedByContainer,
    /// An image cannot be deleted: a container was created from it (`ErrImageUsedByContainer`).
    ImageUsedByContainer,
    /// A reference given to a layer operation names no layer (`ErrNotALayer`).
    NotALayer,
    /// A reference given to an image operation names no image (`ErrNotAnImage`).
    NotAnImage,
    /// A reference given to a container operation names no container (`ErrNotAContainer`).
    NotAContainer,
    /// A reference that may name any kind of object names none (`ErrNotALayerImageOrContainer`).
    NotALayerImageOrContainer,
    /// A new layer's requested parent is a container's read-write layer (`ErrParentIsContainer`).
    ParentIsContainer,
    /// A write was attempted on a read-only store or additional image store (`ErrStoreIsReadOnly`).
    ReadOnly,
    /// A big-data item's size is neither recorded nor readable (`ErrSizeUnknown`).
    SizeUnknown,
    /// A big-data item's digest is neither recorded nor computable (`ErrDigestUnknown`).
    DigestUnknown,
    /// A big-data or metadata key is unusable as a file name, e.g. empty (`ErrInvalidBigDataName`).
    InvalidBigDataName,
    /// The store options lack the graph root or the run root (`ErrIncompleteOptions`).
    IncompleteOptions,
    /// An operation needs a layer to be mounted and it is not (`ErrLayerNotMounted`).
    LayerNotMounted,
    /// The options name a storage driver other than `vfs` (`drivers.ErrNotSupported`).
    DriverNotSupported,
    /// A well-formed request the store cannot serve, e.g. a diff compression it cannot write.
    Unsupported,
    /// An argument, option or diff is malformed or exceeds a limit.
    InvalidInput,
    /// Stored metadata (record files, mount points, leases) cannot be parsed or is inconsistent.
    Corrupt,
    /// Reading or writing the disk, or a stream, failed.
    Io,
    /// No stored blob has the given digest (graphstore's blob store, not in 1.43).
    BlobUnknown,
    /// A stored blob's content no longer matches its digest.
    BlobCorrupt,
    /// A layer cannot be deleted: a session's lease retains it (graphstore only, not in 1.43).
    LayerLeased,
}

/// Calls macro `$then!` with the name of every [`ErrorKind`]: the list that
/// the WIT `error` variant (same case names) and the conversions on both
/// sides of the component boundary are generated from. A kind missing
/// from an exhaustive `match` built from it fails to compile.
#[macro_export]
macro_rules! for_each_error_kind {
    ($then:ident) => {
        $then! {
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
    };
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
