//! Host side of the `locking` interface: containers/storage 1.43 lock files.
//!
//! Locks are fcntl whole-file record locks. We use open-file-description
//! locks (`F_OFD_SETLKW`): they conflict with the classic `F_SETLKW` locks Go
//! processes take, and — unlike classic locks — with each other inside one
//! process, so several store instances in one host exclude each other, and
//! closing some other descriptor of the file never drops our lock. The first
//! 64 bytes of the file hold the last writer's token (§3.3 of the 1.43 notes).

use crate::bindings::graphstore::store::locking::{Host, HostLockFile};
use crate::state::HostState;
use rustix::fs::{Mode, OFlags};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime::component::Resource;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::Descriptor;

/// Length of the last-writer token at the start of a lock file.
pub const LOCK_TOKEN_LEN: usize = 64;
/// Bytes of randomness at the end of a token.
const TOKEN_RANDOM_LEN: usize = 44;
/// Mode of newly created lock files (umask applies).
const LOCK_FILE_MODE: u32 = 0o644;
/// How long to wait before retrying a failed lock call (as 1.43 does).
const LOCK_RETRY: Duration = Duration::from_millis(10);

/// Per-process counter in every token this process writes.
static TOUCH_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An open lock file and what this handle holds.
pub struct LockFile {
    file: File,
    read_only: bool,
    /// The token seen at the last `modified` check or written by `touch`.
    last_token: Option<[u8; LOCK_TOKEN_LEN]>,
    /// How many times this handle holds the lock, and whether exclusively.
    held: Option<(bool, u32)>,
}

/// A fresh last-writer token: time (ns), counter, pid, 44 random bytes.
pub fn new_token() -> [u8; LOCK_TOKEN_LEN] {
    let mut token = [0u8; LOCK_TOKEN_LEN];
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    token[0..8].copy_from_slice(&nanos.to_le_bytes());
    let counter = TOUCH_COUNTER.fetch_add(1, Ordering::Relaxed);
    token[8..16].copy_from_slice(&counter.to_le_bytes());
    token[16..20].copy_from_slice(&std::process::id().to_le_bytes());
    let mut random = [0u8; TOKEN_RANDOM_LEN];
    rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty()).ok();
    token[20..].copy_from_slice(&random);
    token
}

/// Applies (or releases) an OFD whole-file lock, blocking; retries on failure.
fn ofd_lock(file: &File, lock_type: libc::c_int) -> std::io::Result<()> {
    // SAFETY: a zeroed flock is valid; only the fields below matter.
    let mut request: libc::flock = unsafe { std::mem::zeroed() };
    request.l_type = lock_type as libc::c_short;
    request.l_whence = libc::SEEK_SET as libc::c_short;
    request.l_start = 0;
    request.l_len = 0;
    loop {
        // SAFETY: fcntl with a valid fd and a pointer to an initialised flock.
        let result = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLKW, &request) };
        if result == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EBADF | libc::EINVAL) => return Err(error),
            _ => std::thread::sleep(LOCK_RETRY),
        }
    }
}

/// Checks a lock file name is one plain path component.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(format!("{name:?} is not a valid lock file name"));
    }
    Ok(())
}

impl LockFile {
    /// Opens `name` beneath the directory `dir` (never following a symlink).
    pub fn open_beneath(dir: &File, name: &str, read_only: bool) -> Result<LockFile, String> {
        check_name(name)?;
        let access = if read_only {
            OFlags::RDONLY
        } else {
            OFlags::RDWR
        };
        let flags = access | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let mode = Mode::from_raw_mode(LOCK_FILE_MODE);
        let opened: rustix::io::Result<OwnedFd> =
            rustix::fs::openat(dir, name, flags | OFlags::CREATE, mode).or_else(|err| match err {
                // A read-only store's directory may not allow creating the file.
                rustix::io::Errno::ROFS | rustix::io::Errno::ACCESS if read_only => {
                    rustix::fs::openat(dir, name, flags, mode)
                }
                other => Err(other),
            });
        let fd = opened.map_err(|err| format!("opening lock file {name}: {err}"))?;
        Ok(LockFile {
            file: File::from(fd),
            read_only,
            last_token: None,
            held: None,
        })
    }

    /// Takes the lock (re-entrantly for this handle; no upgrade from shared).
    pub fn lock(&mut self, exclusive: bool) -> Result<(), String> {
        let exclusive = exclusive && !self.read_only;
        match self.held {
            Some((held_exclusive, count)) if held_exclusive || !exclusive => {
                self.held = Some((held_exclusive, count + 1));
                return Ok(());
            }
            Some(_) => return Err("cannot take a write lock while holding a read lock".into()),
            None => {}
        }
        let lock_type = if exclusive {
            libc::F_WRLCK
        } else {
            libc::F_RDLCK
        };
        ofd_lock(&self.file, lock_type).map_err(|err| format!("locking: {err}"))?;
        self.held = Some((exclusive, 1));
        Ok(())
    }

    /// Releases one hold; the kernel lock goes with the last one.
    pub fn unlock(&mut self) -> Result<(), String> {
        match self.held {
            None => Err("unlocking a lock that is not held".into()),
            Some((exclusive, count)) if count > 1 => {
                self.held = Some((exclusive, count - 1));
                Ok(())
            }
            Some(_) => {
                self.held = None;
                ofd_lock(&self.file, libc::F_UNLCK).map_err(|err| format!("unlocking: {err}"))
            }
        }
    }

    /// Writes a fresh token; requires the exclusive lock.
    pub fn touch(&mut self) -> Result<(), String> {
        if self.held.is_none_or(|(exclusive, _)| !exclusive) {
            return Err("touching a lock file requires holding it exclusively".into());
        }
        let token = new_token();
        self.file
            .write_all_at(&token, 0)
            .map_err(|err| format!("writing lock token: {err}"))?;
        self.last_token = Some(token);
        Ok(())
    }

    /// Whether the token changed since this handle last looked (a short
    /// file always counts as changed); adopts the token read.
    pub fn modified(&mut self) -> Result<bool, String> {
        let mut token = [0u8; LOCK_TOKEN_LEN];
        let mut filled = 0;
        while filled < LOCK_TOKEN_LEN {
            match self.file.read_at(&mut token[filled..], filled as u64) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(format!("reading lock token: {err}")),
            }
        }
        if filled < LOCK_TOKEN_LEN {
            self.last_token = None;
            return Ok(true);
        }
        let modified = self.last_token != Some(token);
        self.last_token = Some(token);
        Ok(modified)
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
        let lock = LockFile::open_beneath(&directory, &name, read_only)?;
        self.table.push(lock).map_err(|err| err.to_string())
    }

    fn lock(&mut self, handle: Resource<LockFile>, exclusive: bool) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .lock(exclusive)
    }

    fn unlock(&mut self, handle: Resource<LockFile>) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .unlock()
    }

    fn touch(&mut self, handle: Resource<LockFile>) -> Result<(), String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .touch()
    }

    fn modified(&mut self, handle: Resource<LockFile>) -> Result<bool, String> {
        self.table
            .get_mut(&handle)
            .map_err(|err| err.to_string())?
            .modified()
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

    #[test]
    fn tokens_have_the_1_43_layout() {
        let first = new_token();
        let second = new_token();
        assert_eq!(&first[16..20], &std::process::id().to_le_bytes());
        let counter = |t: &[u8; 64]| u64::from_le_bytes(t[8..16].try_into().unwrap());
        assert!(counter(&second) > counter(&first));
        assert_ne!(first[20..], second[20..]);
    }

    #[test]
    fn handles_exclude_each_other_and_see_touches() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        let mut a = LockFile::open_beneath(&dir_file, "x.lock", false).unwrap();
        let mut b = LockFile::open_beneath(&dir_file, "x.lock", false).unwrap();
        assert!(a.modified().unwrap(), "an empty file reads as modified");
        a.lock(true).unwrap();
        a.touch().unwrap();
        assert!(
            !a.modified().unwrap(),
            "our own touch is not a modification"
        );
        // b cannot take the lock while a holds it.
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            b.lock(false).unwrap();
            sender.send(()).unwrap();
            let modified = b.modified().unwrap();
            b.unlock().unwrap();
            modified
        });
        assert!(
            receiver.recv_timeout(Duration::from_millis(200)).is_err(),
            "b got the lock while a held it"
        );
        a.unlock().unwrap();
        receiver
            .recv_timeout(Duration::from_secs(5))
            .expect("b never got the lock");
        assert!(waiter.join().unwrap(), "b did not see a's touch");
        assert_eq!(
            std::fs::read(dir.path().join("x.lock")).unwrap().len(),
            LOCK_TOKEN_LEN
        );
    }

    #[test]
    fn hostile_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        for name in ["", ".", "..", "../x.lock", "a/b", "x\0"] {
            assert!(
                LockFile::open_beneath(&dir_file, name, false).is_err(),
                "{name:?}"
            );
        }
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("evil.lock")).unwrap();
        assert!(LockFile::open_beneath(&dir_file, "evil.lock", false).is_err());
    }
}
