//! The store's error type: a kind that mirrors containers/storage's error
//! values (and the WIT `error` variant) plus the full human message.

use std::fmt;

/// Calls macro `$then!` with every error kind: its doc, its name and the
/// bare message containers/storage uses for it. The one list [`ErrorKind`],
/// [`ErrorKind::base_message`], the WIT `error` variant's conversions on
/// both sides of the component boundary (same case names) are generated
/// from; a kind the WIT lacks fails to compile.
#[macro_export]
macro_rules! for_each_error_kind {
    ($then:ident) => {
        $then! {
            /// No layer has the given ID, name or ID prefix (1.43's `ErrLayerUnknown`).
            LayerUnknown => "layer not known",
            /// No image has the given ID, name or ID prefix (`ErrImageUnknown`).
            ImageUnknown => "image not known",
            /// No container has the given ID, name or ID prefix (`ErrContainerUnknown`).
            ContainerUnknown => "container not known",
            /// A new layer, image or container was given an ID already in use (`ErrDuplicateID`).
            DuplicateId => "that ID is already in use",
            /// A new object was given a name another object of its kind holds (`ErrDuplicateName`).
            DuplicateName => "that name is already in use",
            /// A layer cannot be deleted: another layer names it as parent (`ErrLayerHasChildren`).
            LayerHasChildren => "layer has children",
            /// A layer cannot be deleted: it is an image's top layer (`ErrLayerUsedByImage`).
            LayerUsedByImage => "layer is in use by an image",
            /// A layer cannot be deleted: it is a container's read-write layer (`ErrLayerUsedByContainer`).
            LayerUsedByContainer => "layer is in use by a container",
            /// An image cannot be deleted: a container was created from it (`ErrImageUsedByContainer`).
            ImageUsedByContainer => "image is in use by a container",
            /// A reference given to a layer operation names no layer (`ErrNotALayer`).
            NotALayer => "identifier is not a layer",
            /// A reference given to an image operation names no image (`ErrNotAnImage`).
            NotAnImage => "identifier is not an image",
            /// A reference given to a container operation names no container (`ErrNotAContainer`).
            NotAContainer => "identifier is not a container",
            /// A reference that may name any kind of object names none (`ErrNotALayerImageOrContainer`).
            NotALayerImageOrContainer => "identifier is not a layer, image, or container",
            /// A new layer's requested parent is a container's read-write layer (`ErrParentIsContainer`).
            ParentIsContainer => "would-be parent layer is a container",
            /// A write was attempted on a read-only store or additional image store (`ErrStoreIsReadOnly`).
            ReadOnly => "called a write method on a read-only store",
            /// A big-data item's size is neither recorded nor readable (`ErrSizeUnknown`).
            SizeUnknown => "size is not known",
            /// A big-data item's digest is neither recorded nor computable (`ErrDigestUnknown`).
            DigestUnknown => "could not compute digest of item",
            /// A big-data or metadata key is unusable as a file name, e.g. empty (`ErrInvalidBigDataName`).
            InvalidBigDataName => "not a valid name for a big data item",
            /// The store options lack the graph root or the run root (`ErrIncompleteOptions`).
            IncompleteOptions => "missing necessary StoreOptions",
            /// An operation needs a layer to be mounted and it is not (`ErrLayerNotMounted`).
            LayerNotMounted => "layer is not mounted",
            /// The options name a storage driver other than `vfs` (`drivers.ErrNotSupported`).
            DriverNotSupported => "driver not supported",
            /// A well-formed request the store cannot serve, e.g. a diff compression it cannot write.
            Unsupported => "operation not supported",
            /// An argument, option or diff is malformed or exceeds a limit.
            InvalidInput => "invalid input",
            /// Stored metadata (record files, mount points, leases) cannot be parsed or is inconsistent.
            Corrupt => "store metadata is corrupt",
            /// Reading or writing the disk, or a stream, failed.
            Io => "input/output error",
            /// No stored blob has the given digest (graphstore's blob store, not in 1.43).
            BlobUnknown => "blob not known",
            /// A stored blob's content no longer matches its digest.
            BlobCorrupt => "blob content does not match its digest",
            /// A layer cannot be deleted: a session's lease retains it (graphstore only, not in 1.43).
            LayerLeased => "layer is held by a lease",
            /// A call ran past its deadline or was cancelled, and was stopped (graphstore's host).
            Interrupted => "call interrupted",
            /// The store's memory cap does not allow the call (graphstore's host).
            InsufficientMemory => "not enough memory in the store's sandbox",
            /// The process ran out of file descriptors (`EMFILE`/`ENFILE`), or a host's descriptor budget is spent.
            OutOfDescriptors => "the process is out of file descriptors",
            /// A lock was not granted within the host's lock-wait timeout.
            LockTimeout => "timed out waiting for a lock",
            /// The build's profile cannot keep what the input asks for (the portable build: owners, special permission bits, xattrs, devices, FIFOs, absolute symlinks); refused, never silently altered.
            UnsupportedByProfile => "not supported by this build's profile",
            /// A chunk given to or asked of a chunked form is larger than the largest chunk size.
            ChunkTooLarge => "chunk larger than the largest chunk size",
        }
    };
}

/// Defines [`ErrorKind`] and its messages from [`for_each_error_kind`].
macro_rules! define_error_kind {
    ($($(#[doc = $doc:literal])* $kind:ident => $message:literal,)*) => {
        /// What went wrong, one kind per containers/storage error value.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ErrorKind {
            /// The bare message containers/storage uses for this kind.
            pub fn base_message(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $message,)*
                }
            }
        }
    };
}

for_each_error_kind!(define_error_kind);

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
