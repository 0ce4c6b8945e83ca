//! Timing one run: the wall time of a child process or of an in-process
//! call, with the CPU time it used.

use std::fmt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CPU time split into user and kernel time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// Time spent in user mode.
    pub user: Duration,
    /// Time spent in the kernel.
    pub system: Duration,
}

impl CpuTime {
    /// CPU time accumulated so far by `who` (`RUSAGE_SELF` or `RUSAGE_CHILDREN`).
    fn of(who: libc::c_int) -> CpuTime {
        // SAFETY: getrusage only writes the zero-initialised struct it is given.
        let usage = unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            libc::getrusage(who, &mut usage);
            usage
        };
        let duration = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec.unsigned_abs())
                + Duration::from_micros(t.tv_usec.unsigned_abs())
        };
        CpuTime {
            user: duration(usage.ru_utime),
            system: duration(usage.ru_stime),
        }
    }

    /// The CPU time spent between `earlier` and `self`.
    fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
        }
    }
}

/// One timed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Elapsed (wall-clock) time.
    pub wall: Duration,
    /// CPU time of the run (the child and the children it waited for, or
    /// the whole benchmark process for in-process calls).
    pub cpu: CpuTime,
}

/// Why a run did not complete: the command and what it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failure {}

/// Most characters of a failing command's standard error kept in a [`Failure`].
const STDERR_EXCERPT_CHARS: usize = 200;

/// Runs `command` to completion with standard output discarded and times
/// it from spawn to exit. A non-zero exit becomes a [`Failure`] carrying the
/// start of its standard error.
pub fn run_timed(command: &mut Command) -> Result<Sample, Failure> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let cpu_before = CpuTime::of(libc::RUSAGE_CHILDREN);
    let start = Instant::now();
    let output = command
        .output()
        .map_err(|e| Failure(format!("{}: {e}", describe(command))))?;
    let wall = start.elapsed();
    let cpu = CpuTime::of(libc::RUSAGE_CHILDREN).since(cpu_before);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let excerpt: String = stderr.trim().chars().take(STDERR_EXCERPT_CHARS).collect();
        return Err(Failure(format!(
            "{} exited with {}: {excerpt}",
            describe(command),
            output.status
        )));
    }
    Ok(Sample { wall, cpu })
}

/// Runs `command` to completion (not timed) and returns its standard output.
pub fn run_captured(command: &mut Command) -> Result<String, Failure> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure(format!("{}: {e}", describe(command))))?;
    if !output.status.success() {
        return Err(Failure(format!(
            "{} exited with {}: {}",
            describe(command),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Times an in-process call; the CPU time is the whole process's.
pub fn time_call<T>(call: impl FnOnce() -> T) -> (T, Sample) {
    let cpu_before = CpuTime::of(libc::RUSAGE_SELF);
    let start = Instant::now();
    let value = call();
    let wall = start.elapsed();
    let cpu = CpuTime::of(libc::RUSAGE_SELF).since(cpu_before);
    (value, Sample { wall, cpu })
}

/// The program and its arguments, for messages.
pub fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}
