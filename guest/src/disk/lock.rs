//! Lock files, through the host's `locking` interface.

use super::{Dir, check_component};
use crate::bindings::graphstore::store::locking::LockFile;
use crate::error::{Result, StoreError};
use std::rc::Rc;

/// A containers/storage lock file (`layers.lock`, `images.lock`, …).
pub struct Lock {
    file: LockFile,
    path: String,
    read_only: bool,
}

/// Holds a lock until dropped.
pub struct LockGuard {
    lock: Rc<Lock>,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // An unlock failure leaves the kernel lock to be released when the
        // handle closes; nothing more useful can be done from a destructor.
        let _ = self.lock.file.unlock();
    }
}

impl Lock {
    /// Opens (creating) lock file `name` beneath `dir`.
    pub fn open(dir: &Dir, name: &str, read_only: bool) -> Result<Rc<Lock>> {
        check_component(name)?;
        let path = dir.child_path(name);
        let file = LockFile::open(dir.descriptor(), name, read_only)
            .map_err(|message| StoreError::io(format!("opening lock {path}: {message}")))?;
        Ok(Rc::new(Lock {
            file,
            path,
            read_only,
        }))
    }

    fn acquire(self: &Rc<Self>, exclusive: bool) -> Result<LockGuard> {
        self.file
            .lock(exclusive && !self.read_only)
            .map_err(|message| StoreError::io(format!("locking {}: {message}", self.path)))?;
        Ok(LockGuard {
            lock: Rc::clone(self),
        })
    }

    /// Takes the lock shared (readers).
    pub fn shared(self: &Rc<Self>) -> Result<LockGuard> {
        self.acquire(false)
    }

    /// Takes the lock exclusively (writers).
    pub fn exclusive(self: &Rc<Self>) -> Result<LockGuard> {
        self.acquire(true)
    }

    /// Records that this process wrote what the lock protects.
    pub fn touch(&self) -> Result<()> {
        self.file
            .touch()
            .map_err(|message| StoreError::io(format!("touching lock {}: {message}", self.path)))
    }

    /// Whether another writer changed what the lock protects since we last looked.
    pub fn modified(&self) -> Result<bool> {
        self.file
            .modified()
            .map_err(|message| StoreError::io(format!("reading lock {}: {message}", self.path)))
    }
}
