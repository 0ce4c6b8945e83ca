//! File descriptors: the process's budget, counting what is open, and
//! telling "the process is out of descriptors" apart from other I/O errors.
//!
//! An `EMFILE`/`ENFILE` met by the host's own code (lock files, `posix`,
//! opening the roots) carries its errno; one met inside WASI's file calls
//! reaches the component as a plain I/O error. Either way the host looks at
//! a failed call's I/O error once more: when it names errno 23/24, or the
//! process cannot open [`HEADROOM`] more descriptors right after it, the
//! error becomes [`ErrorKind::OutOfDescriptors`].

use crate::error::{Error, ErrorKind};
use std::os::fd::AsFd;

/// Descriptors a call may need beyond what a store holds while idle: if
/// fewer than this many can still be opened after an I/O error, the error
/// is taken to be descriptor exhaustion.
pub const HEADROOM: usize = 16;

/// Raises the soft limit on open files to the hard limit (as Go's runtime
/// does: walking a deep layer tree holds a descriptor per level) and
/// returns the resulting budget, the soft limit.
pub fn raise_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current < limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        let _ = setrlimit(Resource::Nofile, raised);
    }
    limit_now()
}

/// The process's current soft limit on open files (`u64::MAX` when unlimited).
pub fn limit_now() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}

/// How many descriptors the process has open now (entries of
/// `/proc/self/fd`, less the one listing it).
pub fn open_count() -> std::io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?
        .count()
        .saturating_sub(1))
}

/// Whether the process can open fewer than [`HEADROOM`] more descriptors.
fn nearly_out() -> bool {
    let probe = match std::fs::File::open("/dev/null") {
        Ok(file) => file,
        Err(error) => return is_exhaustion(&error),
    };
    let mut held = Vec::with_capacity(HEADROOM);
    for _ in 1..HEADROOM {
        match rustix::io::fcntl_dupfd_cloexec(probe.as_fd(), 0) {
            Ok(fd) => held.push(fd),
            Err(errno) => {
                return errno == rustix::io::Errno::MFILE || errno == rustix::io::Errno::NFILE;
            }
        }
    }
    false
}

/// How the component words an I/O error without a closer errno.
const IO_WORDING: &str = "input/output error";
/// How Go words `EMFILE`.
const EMFILE_WORDING: &str = "too many open files";

/// Whether `error` is `EMFILE` or `ENFILE`.
pub fn is_exhaustion(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

/// Whether a message names `EMFILE`/`ENFILE` as Rust's `io::Error` words them.
fn names_exhaustion(message: &str) -> bool {
    message.contains("(os error 24)") || message.contains("(os error 23)")
}

/// The error for running out of descriptors while doing `what`.
pub fn out_of_descriptors(what: impl std::fmt::Display) -> Error {
    Error::store(
        ErrorKind::OutOfDescriptors,
        format!(
            "{what}: the process is out of file descriptors (limit {})",
            limit_now()
        ),
    )
}

/// Re-kinds an I/O or set-up error that was descriptor exhaustion.
pub(crate) fn classify(error: Error) -> Error {
    let message = match &error {
        Error::Store {
            kind: ErrorKind::Io,
            message,
        }
        | Error::Setup(message) => message,
        _ => return error,
    };
    if names_exhaustion(message) {
        return out_of_descriptors(message);
    }
    if nearly_out() {
        // WASI's file calls report EMFILE as a plain I/O error, worded
        // with the errno the component saw; say what it was.
        let message = match message.strip_suffix(IO_WORDING) {
            Some(operation) => format!("{operation}{EMFILE_WORDING}"),
            None => message.clone(),
        };
        return out_of_descriptors(message);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_23_and_24_are_exhaustion() {
        assert!(is_exhaustion(&std::io::Error::from_raw_os_error(
            libc::EMFILE
        )));
        assert!(is_exhaustion(&std::io::Error::from_raw_os_error(
            libc::ENFILE
        )));
        assert!(!is_exhaustion(&std::io::Error::from_raw_os_error(
            libc::EIO
        )));
        let message = format!(
            "opening lock file images.lock: {}",
            std::io::Error::from_raw_os_error(libc::EMFILE)
        );
        assert!(names_exhaustion(&message), "{message}");
        let classified = classify(Error::store(ErrorKind::Io, message));
        assert_eq!(classified.kind(), Some(ErrorKind::OutOfDescriptors));
        assert!(
            classified
                .to_string()
                .contains("the process is out of file descriptors"),
            "{classified}"
        );
        let plain = Error::store(ErrorKind::Io, "read x: input/output error");
        assert_eq!(classify(plain.clone()), plain);
    }
}
