//! containers/storage 1.43 lock files.
//!
//! Locks are fcntl whole-file record locks. We use open-file-description
//! locks (`F_OFD_SETLKW`): they conflict with the classic `F_SETLKW` locks Go
//! processes take, and — unlike classic locks — with each other inside one
//! process, so several stores in one process exclude each other, and
//! closing some other descriptor of the file never drops our lock. The first
//! [`LOCK_TOKEN_LEN`] bytes of the file hold the last writer's token (§3.3 of
//! the 1.43 notes).

use crate::random::fill_random;
use rustix::fs::{Mode, OFlags};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    // Time, counter and pid already make the token unique in practice; a
    // failed random source leaves zeros rather than failing a `touch`.
    let _ = fill_random(&mut token[LOCK_TOKEN_LEN - TOKEN_RANDOM_LEN..]);
    token
}

/// An open lock file and what this handle holds.
///
/// Misuse (a bad name, unlocking what is not held, upgrading a shared lock,
/// touching without the exclusive lock) fails with kind `InvalidInput` and
/// no errno; OS failures carry their errno.
#[derive(Debug)]
pub struct LockFile {
    file: File,
    read_only: bool,
    /// The token seen at the last `modified` check or written by `touch`.
    last_token: Option<[u8; LOCK_TOKEN_LEN]>,
    /// How many times this handle holds the lock, and whether exclusively.
    held: Option<(bool, u32)>,
}

/// A misuse of a lock file, worded for the user.
fn misuse(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Applies (or releases) an OFD whole-file lock, blocking; retries on failure.
#[allow(unsafe_code)]
fn ofd_lock(file: &File, lock_type: libc::c_int) -> io::Result<()> {
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
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EBADF | libc::EINVAL) => return Err(error),
            _ => std::thread::sleep(LOCK_RETRY),
        }
    }
}

/// Tries to apply an OFD whole-file lock without waiting: false when
/// another holder conflicts.
#[allow(unsafe_code)]
fn ofd_try_lock(file: &File, lock_type: libc::c_int) -> io::Result<bool> {
    // SAFETY: a zeroed flock is valid; only the fields below matter.
    let mut request: libc::flock = unsafe { std::mem::zeroed() };
    request.l_type = lock_type as libc::c_short;
    request.l_whence = libc::SEEK_SET as libc::c_short;
    loop {
        // SAFETY: fcntl with a valid fd and a pointer to an initialised flock.
        let result = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &request) };
        if result == 0 {
            return Ok(true);
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN | libc::EACCES) => return Ok(false),
            _ => return Err(error),
        }
    }
}

/// Checks a lock file name is one plain path component.
fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(misuse(format!("{name:?} is not a valid lock file name")));
    }
    Ok(())
}

impl LockFile {
    /// Opens (creating it when it is missing and the directory allows) lock
    /// file `name`, one path component, in directory `dir`; a symlink is
    /// never followed.
    pub fn open(dir: &File, name: &str, read_only: bool) -> io::Result<LockFile> {
        check_name(name)?;
        let access = if read_only {
            OFlags::RDONLY
        } else {
            OFlags::RDWR
        };
        let flags = access | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let mode = Mode::from_raw_mode(LOCK_FILE_MODE);
        let fd = rustix::fs::openat(dir, name, flags | OFlags::CREATE, mode).or_else(|err| {
            match err {
                // A read-only store's directory may not allow creating the file.
                rustix::io::Errno::ROFS | rustix::io::Errno::ACCESS if read_only => {
                    rustix::fs::openat(dir, name, flags, mode)
                }
                other => Err(other),
            }
        })?;
        Ok(LockFile {
            file: File::from(fd),
            read_only,
            last_token: None,
            held: None,
        })
    }

    /// Takes the lock (re-entrantly for this handle; no upgrade from shared),
    /// waiting as long as another holder has it. A read-only handle only
    /// ever takes the shared lock.
    pub fn lock(&mut self, exclusive: bool) -> io::Result<()> {
        let exclusive = exclusive && !self.read_only;
        match self.held {
            Some((held_exclusive, count)) if held_exclusive || !exclusive => {
                self.held = Some((held_exclusive, count + 1));
                return Ok(());
            }
            Some(_) => {
                return Err(misuse(
                    "cannot take a write lock while holding a read lock".into(),
                ));
            }
            None => {}
        }
        let lock_type = if exclusive {
            libc::F_WRLCK
        } else {
            libc::F_RDLCK
        };
        ofd_lock(&self.file, lock_type)?;
        self.held = Some((exclusive, 1));
        Ok(())
    }

    /// Takes the lock as [`LockFile::lock`] does, waiting at most until
    /// `deadline` (polling): false when it was not granted by then.
    pub fn lock_until(&mut self, exclusive: bool, deadline: Instant) -> io::Result<bool> {
        let exclusive = exclusive && !self.read_only;
        if self.held.is_some() {
            return self.lock(exclusive).map(|()| true);
        }
        let lock_type = if exclusive {
            libc::F_WRLCK
        } else {
            libc::F_RDLCK
        };
        let mut pause = Duration::from_millis(1);
        loop {
            if ofd_try_lock(&self.file, lock_type)? {
                self.held = Some((exclusive, 1));
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(LOCK_RETRY);
        }
    }

    /// Releases one hold; the kernel lock goes with the last one.
    pub fn unlock(&mut self) -> io::Result<()> {
        match self.held {
            None => Err(misuse("unlocking a lock that is not held".into())),
            Some((exclusive, count)) if count > 1 => {
                self.held = Some((exclusive, count - 1));
                Ok(())
            }
            Some(_) => {
                self.held = None;
                ofd_lock(&self.file, libc::F_UNLCK)
            }
        }
    }

    /// Writes a fresh token ([`new_token`]); requires the exclusive lock.
    pub fn touch(&mut self) -> io::Result<()> {
        if self.held.is_none_or(|(exclusive, _)| !exclusive) {
            return Err(misuse(
                "touching a lock file requires holding it exclusively".into(),
            ));
        }
        let token = new_token();
        self.file.write_all_at(&token, 0)?;
        self.last_token = Some(token);
        Ok(())
    }

    /// Whether the token changed since this handle last looked (a short
    /// file always counts as changed); adopts the token read.
    pub fn modified(&mut self) -> io::Result<bool> {
        let mut token = [0u8; LOCK_TOKEN_LEN];
        let mut filled = 0;
        while filled < LOCK_TOKEN_LEN {
            match self.file.read_at(&mut token[filled..], filled as u64) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_1_43_layout() {
        let first = new_token();
        let second = new_token();
        assert_eq!(&first[16..20], &std::process::id().to_le_bytes());
        let counter = |t: &[u8; LOCK_TOKEN_LEN]| u64::from_le_bytes(t[8..16].try_into().unwrap());
        assert!(counter(&second) > counter(&first));
        assert_ne!(first[20..], second[20..]);
    }

    #[test]
    fn handles_exclude_each_other_and_see_touches() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        let mut a = LockFile::open(&dir_file, "x.lock", false).unwrap();
        let mut b = LockFile::open(&dir_file, "x.lock", false).unwrap();
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
    fn misuse_is_invalid_input_with_a_message() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        let mut lock = LockFile::open(&dir_file, "x.lock", false).unwrap();
        let message = |error: io::Error| {
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
            assert_eq!(error.raw_os_error(), None);
            error.to_string()
        };
        assert_eq!(
            message(lock.unlock().unwrap_err()),
            "unlocking a lock that is not held"
        );
        lock.lock(false).unwrap();
        assert_eq!(
            message(lock.touch().unwrap_err()),
            "touching a lock file requires holding it exclusively"
        );
        assert_eq!(
            message(lock.lock(true).unwrap_err()),
            "cannot take a write lock while holding a read lock"
        );
        assert_eq!(
            message(LockFile::open(&dir_file, "a/b", false).unwrap_err()),
            "\"a/b\" is not a valid lock file name"
        );
    }

    #[test]
    fn hostile_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let dir_file = File::open(dir.path()).unwrap();
        for name in ["", ".", "..", "../x.lock", "a/b", "x\0"] {
            assert!(LockFile::open(&dir_file, name, false).is_err(), "{name:?}");
        }
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("evil.lock")).unwrap();
        assert_eq!(
            LockFile::open(&dir_file, "evil.lock", false)
                .unwrap_err()
                .raw_os_error(),
            Some(libc::ELOOP)
        );
    }
}
