//! Capability-scoped file access for the store.
//!
//! Security model: the component holds only the directory descriptors the
//! host preopened (graph root, run root, additional image stores). Every
//! other directory is opened from one of those descriptors, and every name
//! passed here must be a single path component (no `/`, no `..`, no NUL), so
//! a caller-supplied ID or key can never address anything outside the
//! directory it belongs to. WASI resolves each open beneath its descriptor
//! and refuses symlinks leading out.

mod dir;
mod lock;
pub mod streams;

pub use dir::{AtomicFile, Dir, EntryKind, FileInfo, FileReader, TEMP_PREFIX, describe};
pub use lock::{Lock, LockGuard};

use crate::error::{Result, StoreError};

/// Checks that `name` is one usable path component.
pub fn check_component(name: &str) -> Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(StoreError::invalid(format!(
            "{name:?} is not a valid file name: it must be one path component"
        )));
    }
    Ok(())
}

/// Permission bits of directories the store creates (umask applies).
pub const DIR_MODE: u32 = 0o700;
/// Permission bits of metadata and data files the store writes.
pub const FILE_MODE: u32 = 0o600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_single_names() {
        for good in ["layers.json", "abc", ".tmp-x", "=c2hh", "with space"] {
            assert!(check_component(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "/abs", "../x", "a\0b"] {
            assert!(check_component(bad).is_err(), "{bad:?}");
        }
    }
}
