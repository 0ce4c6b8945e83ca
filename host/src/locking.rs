//! Host side of the `locking` interface: WIT glue over
//! [`graphstore_posix::LockFile`] (containers/storage 1.43 lock files, OFD
//! fcntl locks). Errors reach the component as messages: an OS failure with
//! the step that failed ("locking: …"), a misuse as the crate words it.

use crate::bindings::graphstore::store::locking::{Host, HostLockFile};
use crate::state::directory;
pub use graphstore_posix::LockFile;
use std::io;
use std::time::{Duration, Instant};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::bindings::sync::filesystem::types::Descriptor;

/// The message for a failed lock-file call: a misuse (kind `InvalidInput`
/// without an errno) is worded by the crate already; anything else is
/// prefixed with `step`.
fn lock_message(step: &str, error: io::Error) -> String {
    match (error.kind(), error.raw_os_error()) {
        (io::ErrorKind::InvalidInput, None) => error.to_string(),
        _ => format!("{step}: {error}"),
    }
}

/// What the `locking` interface reaches of a tenant's state: its resource
/// table (directory descriptors and lock files).
pub struct LockingView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    /// Longest a lock wait may take (none: as long as it takes).
    pub(crate) timeout: Option<Duration>,
    /// Set when a wait ran out, for the host to type the call's error.
    pub(crate) timed_out: &'a mut bool,
}

/// Marks the `locking` interface for `add_to_linker`.
pub struct Locking;

impl HasData for Locking {
    type Data<'a> = LockingView<'a>;
}

/// A `locking` call's result: a trap for a bad handle (a component bug),
/// else what the component sees.
type Outcome<T> = wasmtime::Result<Result<T, String>>;

impl LockingView<'_> {
    /// Runs `operation` on the lock file behind `handle`; its failure is
    /// worded with `step`.
    fn with_lock<T>(
        &mut self,
        handle: &Resource<LockFile>,
        step: &str,
        operation: impl FnOnce(&mut LockFile) -> io::Result<T>,
    ) -> Outcome<T> {
        let lock = self.table.get_mut(handle)?;
        Ok(operation(lock).map_err(|err| lock_message(step, err)))
    }
}

impl Host for LockingView<'_> {}

impl HostLockFile for LockingView<'_> {
    fn open(
        &mut self,
        dir: Resource<Descriptor>,
        name: String,
        read_only: bool,
    ) -> Outcome<Resource<LockFile>> {
        let directory = match directory(self.table, &dir, !read_only)? {
            Ok(directory) => directory,
            Err(code) => return Ok(Err(code.to_string())),
        };
        match LockFile::open(&directory, &name, read_only) {
            Ok(lock) => Ok(Ok(self.table.push(lock)?)),
            Err(err) => Ok(Err(lock_message(&format!("opening lock file {name}"), err))),
        }
    }

    fn lock(&mut self, handle: Resource<LockFile>, exclusive: bool) -> Outcome<()> {
        let Some(timeout) = self.timeout else {
            return self.with_lock(&handle, "locking", |lock| lock.lock(exclusive));
        };
        let deadline = Instant::now() + timeout;
        let granted = self.with_lock(&handle, "locking", |lock| {
            lock.lock_until(exclusive, deadline)
        })?;
        Ok(match granted {
            Ok(true) => Ok(()),
            Ok(false) => {
                *self.timed_out = true;
                Err(format!(
                    "locking: not granted within the lock-wait timeout of {timeout:?}"
                ))
            }
            Err(message) => Err(message),
        })
    }

    fn unlock(&mut self, handle: Resource<LockFile>) -> Outcome<()> {
        self.with_lock(&handle, "unlocking", LockFile::unlock)
    }

    fn touch(&mut self, handle: Resource<LockFile>) -> Outcome<()> {
        self.with_lock(&handle, "writing lock token", LockFile::touch)
    }

    fn modified(&mut self, handle: Resource<LockFile>) -> Outcome<bool> {
        self.with_lock(&handle, "reading lock token", LockFile::modified)
    }

    fn drop(&mut self, handle: Resource<LockFile>) -> wasmtime::Result<()> {
        // Closing the descriptor releases any lock still held.
        self.table.delete(handle)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lock handle that is not in the table traps instead of answering.
    #[test]
    fn a_bad_handle_traps() {
        let mut table = ResourceTable::new();
        let mut timed_out = false;
        let mut view = LockingView {
            table: &mut table,
            timeout: None,
            timed_out: &mut timed_out,
        };
        assert!(view.lock(Resource::new_borrow(7), true).is_err());
        assert!(view.touch(Resource::new_borrow(7)).is_err());
        assert!(
            view.open(Resource::new_borrow(8), "x.lock".into(), false)
                .is_err()
        );
    }
    use std::fs::File;

    #[test]
    fn messages_are_those_of_the_1_43_host() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("evil.lock")).unwrap();
        let open = |name: &str| {
            let error = LockFile::open(&dir_file, name, false).unwrap_err();
            lock_message(&format!("opening lock file {name}"), error)
        };
        assert_eq!(open("a/b"), "\"a/b\" is not a valid lock file name");
        assert_eq!(
            open("evil.lock"),
            "opening lock file evil.lock: Too many levels of symbolic links (os error 40)"
        );
        let mut lock = LockFile::open(&dir_file, "x.lock", false).unwrap();
        assert_eq!(
            lock_message("unlocking", lock.unlock().unwrap_err()),
            "unlocking a lock that is not held"
        );
        assert_eq!(
            lock_message("locking", io::Error::from_raw_os_error(libc::EINVAL)),
            "locking: Invalid argument (os error 22)"
        );
        assert_eq!(
            lock_message(
                "writing lock token",
                io::Error::from(io::ErrorKind::WriteZero)
            ),
            "writing lock token: write zero"
        );
    }
}
