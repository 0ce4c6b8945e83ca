//! Lock files (`layers.lock`, `images.lock`, …), through the backend's
//! lock primitive.

use super::Dir;
use super::backend::{DirHandle, DirOps, LockOps};
use super::error::{DiskError, DiskResult};
use std::rc::Rc;

/// A containers/storage lock file.
pub struct Lock {
    file: <DirHandle as DirOps>::Lock,
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
    /// Opens (creating unless `read_only`) lock file `name` beneath `dir`.
    pub fn open(dir: &Dir, name: &str, read_only: bool) -> DiskResult<Rc<Lock>> {
        let file = dir.open_lock(name, read_only)?;
        Ok(Rc::new(Lock {
            file,
            path: dir.child_path(name),
            read_only,
        }))
    }

    fn failed(&self, doing: &str, message: String) -> DiskError {
        DiskError::Lock(format!("{doing} {}: {message}", self.path))
    }

    fn acquire(self: &Rc<Self>, exclusive: bool) -> DiskResult<LockGuard> {
        self.file
            .lock(exclusive && !self.read_only)
            .map_err(|message| self.failed("locking", message))?;
        Ok(LockGuard {
            lock: Rc::clone(self),
        })
    }

    /// Takes the lock shared (readers).
    pub fn shared(self: &Rc<Self>) -> DiskResult<LockGuard> {
        self.acquire(false)
    }

    /// Takes the lock exclusively (writers).
    pub fn exclusive(self: &Rc<Self>) -> DiskResult<LockGuard> {
        self.acquire(true)
    }

    /// Records that this process wrote what the lock protects.
    pub fn touch(&self) -> DiskResult<()> {
        self.file
            .touch()
            .map_err(|message| self.failed("touching lock", message))
    }

    /// Whether another writer changed what the lock protects since we last looked.
    pub fn modified(&self) -> DiskResult<bool> {
        self.file
            .modified()
            .map_err(|message| self.failed("reading lock", message))
    }
}
