//! Host side of the `locking` interface: WIT glue over
//! [`graphstore_posix::LockFile`] (containers/storage 1.43 lock files, OFD
//! fcntl locks). Errors reach the component as messages: an OS failure with
//! the step that failed ("locking: …"), a misuse as the crate words it.

use crate::bindings::graphstore::store::locking::{Host, HostLockFile};
use crate::state::HostState;
pub use graphstore_posix::LockFile;
use std::io;
use wasmtime::component::Resource;
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

impl Host for HostState {}

impl HostLockFile for HostState {
    fn open(
        &mut self,
        dir: Resource<Descriptor>,
        name: String,
        read_only: bool,
    ) -> Result<Resource<LockFile>, String> {
        let directory = self
            .directory(&dir, !read_only)
            .map_err(|err| err.to_string())?;
        let lock = LockFile::open(&directory, &name, read_only)
            .map_err(|err| lock_message(&format!("opening lock file {name}"), err))?;
        self.table.push(lock).map_err(|err| err.to_string())
    }

    fn lock(&mut self, handle: Resource<LockFile>, exclusive: bool) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .lock(exclusive)
            .map_err(|err| lock_message("locking", err))
    }

    fn unlock(&mut self, handle: Resource<LockFile>) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .unlock()
            .map_err(|err| lock_message("unlocking", err))
    }

    fn touch(&mut self, handle: Resource<LockFile>) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .touch()
            .map_err(|err| lock_message("writing lock token", err))
    }

    fn modified(&mut self, handle: Resource<LockFile>) -> Result<bool, String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .modified()
            .map_err(|err| lock_message("reading lock token", err))
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
