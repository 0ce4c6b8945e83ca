//! The store's only door to the disk.
//!
//! Security model: the store holds only the directory capabilities it was
//! given (graph root, run root, additional image stores). Every other
//! directory is opened from one of those, and every name passed here must
//! be a single path component (no `/`, no `..`, no NUL), so a
//! caller-supplied ID or key can never address anything outside the
//! directory it belongs to. The backends resolve each name beneath its
//! directory and never follow a final symlink.
//!
//! The rules in `crate::store` see only [`Dir`], [`Lock`], [`Input`],
//! [`Output`] and the plain values of [`types`]; which [`backend`] runs
//! underneath (the component with host imports, WASI alone, or native) is
//! chosen at build time.

mod backend;
mod dir;
mod error;
mod io;
mod lock;
mod profile;
mod roots;
pub mod types;
#[cfg(target_arch = "wasm32")]
pub mod wasi_streams;

pub use backend::PROFILE;
pub use dir::{AtomicFile, Dir, FileReader, Spool};
pub use error::{DiskError, DiskResult, Errno};
pub use graphstore_posix::byte_names;
pub use io::{Input, InputFailure, Output};
pub use lock::{Lock, LockGuard};
pub use profile::Profile;
#[cfg(not(target_arch = "wasm32"))]
pub use roots::open_native;
#[cfg(target_arch = "wasm32")]
pub use roots::preopened;
pub use roots::{ancestor_owners, host_group_name, host_user_name};
pub use types::{DirEntry, EntryKind, FileInfo, Metadata, NodeKind, Stat, Timespec};

/// Checks that `name` is one usable path component of UTF-8 (what IDs,
/// keys and the store's own files must be).
pub fn check_component(name: &str) -> DiskResult<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(DiskError::BadName(name.to_string()));
    }
    Ok(())
}

/// Checks that `name` can name an entry of a directory: a component
/// [`check_component`] accepts, or one that is not UTF-8 in the exact
/// encoded form of [`graphstore_posix::byte_names`] (layer contents).
pub(crate) fn check_entry_name(name: &str) -> DiskResult<()> {
    if byte_names::is_encoded(name) && byte_names::decode_component(name).is_some() {
        return Ok(());
    }
    check_component(name)
}

/// Permission bits of directories the store creates (umask applies).
pub const DIR_MODE: u32 = 0o700;
/// Permission bits of metadata and data files the store writes.
pub const FILE_MODE: u32 = 0o600;
/// Prefix of temporary files (as Go's `os.CreateTemp` pattern in 1.43).
pub const TEMP_PREFIX: &str = ".tmp-";
/// Largest single read or write request sent to a backend.
const IO_CHUNK: u64 = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_single_names() {
        for good in ["layers.json", "abc", ".tmp-x", "=c2hh", "with space"] {
            assert!(check_component(good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "/abs", "../x", "a\0b", "\0caf\u{e9}"] {
            assert_eq!(
                check_component(bad),
                Err(DiskError::BadName(bad.to_string())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn entry_names_may_carry_bytes_in_the_exact_encoded_form() {
        assert!(check_entry_name("\0caf\u{e9}").is_ok());
        assert!(check_entry_name("plain").is_ok());
        for bad in ["", "..", "a/b", "a\0b", "\0abc", "\0", "\0\u{e9}\u{100}"] {
            assert_eq!(
                check_entry_name(bad),
                Err(DiskError::BadName(bad.to_string())),
                "{bad:?}"
            );
        }
    }
}
