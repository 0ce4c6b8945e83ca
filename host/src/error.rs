//! Errors of the host library.

pub use graphstore_guest::error::ErrorKind;

use crate::bindings::exports::graphstore::store::types::Error as WitError;
use crate::interrupt::Interrupted;

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
    /// The component trapped (a guest panic) or the runtime failed. The
    /// instance was dropped with its descriptors and locks; the next call on
    /// the store starts a fresh one.
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
        if let Some(interrupted) = error.downcast_ref::<Interrupted>() {
            return Error::from(*interrupted);
        }
        if let Some(wasmtime::Trap::Interrupt) = error.downcast_ref::<wasmtime::Trap>() {
            return Error::store(ErrorKind::Interrupted, "call interrupted");
        }
        Error::Runtime(format!("{error:#}"))
    }
}

impl From<Interrupted> for Error {
    fn from(interrupted: Interrupted) -> Self {
        Error::store(ErrorKind::Interrupted, interrupted.to_string())
    }
}

impl Error {
    /// The error for a call that trapped; `memory_refused` says whether the
    /// sandbox's memory cap refused an allocation during the call (the
    /// guest's allocator then aborts), making it a typed memory error.
    pub(crate) fn from_trap(
        trap: wasmtime::Error,
        memory_refused: bool,
        memory_cap: usize,
    ) -> Self {
        match Error::from(trap) {
            Error::Runtime(message) if memory_refused => Error::store(
                ErrorKind::InsufficientMemory,
                format!(
                    "the call needs more memory than the store's cap of {memory_cap} bytes ({message})"
                ),
            ),
            other => other,
        }
    }
}

impl From<WitError> for Error {
    fn from(error: WitError) -> Self {
        macro_rules! from_wit {
            ($($(#[doc = $doc:literal])* $kind:ident => $message:literal,)*) => {
                match error {
                    $(WitError::$kind(message) => Error::store(ErrorKind::$kind, message),)*
                }
            };
        }
        graphstore_guest::for_each_error_kind!(from_wit)
    }
}
