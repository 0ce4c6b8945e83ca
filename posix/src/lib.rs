//! POSIX file operations beneath a directory handle, and containers/storage
//! 1.43 lock files: the OS code under graphstore's host (which exposes it to
//! the store component as the `posix` and `locking` WIT interfaces) and under
//! a native build of the store.
//!
//! # Security model
//! Every operation takes an open directory (`&File`) and a path relative to
//! it, and acts on nothing outside that directory:
//!
//! - The path is split into its parent and final component
//!   ([`split_beneath`]); absolute paths, empty paths, NUL bytes and a final
//!   `..` are refused.
//! - The parent is opened with cap-primitives, which resolves it beneath the
//!   directory: a `..` or a symlink leading out is refused as an escape
//!   (an [`std::io::Error`] of kind `PermissionDenied` without an errno).
//! - The operation is one `*at` call on the final component, which never
//!   follows a final symlink: a symlink is acted on (or refused) itself.
//!
//! Functions return [`std::io::Result`]: OS failures carry their errno;
//! errors made here carry one too where a natural errno exists (`EEXIST`,
//! `EISDIR`, `EINVAL`, `EFBIG`, `EPERM`, `EOPNOTSUPP`), else a distinct kind
//! (`OutOfMemory` for a listing over budget, `InvalidInput` for misuse of
//! a [`LockFile`]).
//!
//! Names that are not UTF-8 travel in the string paths in the form of
//! [`byte_names`]: every path is decoded to bytes before it is resolved
//! (a malformed encoding is refused as an escape), and listed names and
//! symlink targets are encoded.

//!
//! The plain records ([`Stat`], [`Metadata`], …) build for every target (the
//! store component speaks them too); the operations only off `wasm32`.

#![warn(missing_docs, missing_debug_implementations)]
#![deny(unsafe_code)]

pub mod byte_names;
#[cfg(not(target_arch = "wasm32"))]
mod dedupe;
#[cfg(not(target_arch = "wasm32"))]
mod dirs;
#[cfg(not(target_arch = "wasm32"))]
mod files;
#[cfg(not(target_arch = "wasm32"))]
mod lock;
#[cfg(not(target_arch = "wasm32"))]
mod metadata;
#[cfg(not(target_arch = "wasm32"))]
mod names;
#[cfg(not(target_arch = "wasm32"))]
mod owners;
#[cfg(not(target_arch = "wasm32"))]
mod random;
#[cfg(not(target_arch = "wasm32"))]
mod resolve;
mod types;

#[cfg(not(target_arch = "wasm32"))]
pub use dedupe::dedupe_file;
#[cfg(not(target_arch = "wasm32"))]
pub use dirs::{
    DIR_ENTRY_COST, hard_link, list, mkdir, mknod, open_dir, read_dir, readlink, remove_tree,
    rename, symlink, sync_dir, sync_filesystem, unlink,
};
#[cfg(not(target_arch = "wasm32"))]
pub use files::{copy_file, create_file, create_new, open_read, open_regular, read_file};
#[cfg(not(target_arch = "wasm32"))]
pub use lock::{LOCK_TOKEN_LEN, LockFile, new_token};
#[cfg(not(target_arch = "wasm32"))]
pub use metadata::{
    chmod, get_xattr, lchown, list_xattrs, lstat, set_metadata, set_times, set_xattr,
};
#[cfg(not(target_arch = "wasm32"))]
pub use names::{group_name, user_name};
#[cfg(not(target_arch = "wasm32"))]
pub use owners::ancestor_owners;
#[cfg(not(target_arch = "wasm32"))]
pub use random::random_bytes;
#[cfg(not(target_arch = "wasm32"))]
pub use resolve::split_beneath;
pub use types::{DirEntry, Metadata, NodeKind, Stat, Timespec};
