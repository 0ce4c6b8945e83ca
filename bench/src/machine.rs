//! The machine the benchmark runs on: its description, waiting until it is
//! idle, flushing dirty pages, and timestamps.

use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Fraction of all CPUs' time above which the machine counts as busy.
pub const BUSY_THRESHOLD: f64 = 0.10;
/// How long one CPU-usage reading lasts.
const SAMPLE_WINDOW: Duration = Duration::from_millis(250);

/// What the results depend on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Online CPUs (`nproc`).
    pub cpus: usize,
    /// CPU model name from /proc/cpuinfo.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// Total memory in GiB.
    pub memory_gib: f64,
    /// File system type holding the work directory.
    pub work_filesystem: String,
}

impl Machine {
    /// Describes this machine; `workdir` is where the stores live.
    pub fn describe(workdir: &Path) -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = field(&cpuinfo, "model name")
            .unwrap_or("unknown")
            .to_string();
        let meminfo = read("/proc/meminfo");
        let memory_kib: f64 = field(&meminfo, "MemTotal")
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            memory_gib: (memory_kib / (1024.0 * 1024.0) * 10.0).round() / 10.0,
            work_filesystem: filesystem_of(workdir, &read("/proc/self/mounts")),
        }
    }

    /// One line for the report header.
    pub fn summary(&self) -> String {
        format!(
            "{} CPUs ({}), {} GiB RAM, kernel {}, work dir on {}",
            self.cpus, self.cpu_model, self.memory_gib, self.kernel, self.work_filesystem
        )
    }
}

/// The value of the first `key: value` line of a /proc file.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.trim())
    })
}

/// The type of the mount with the longest mount point containing `path`.
fn filesystem_of(path: &Path, mounts: &str) -> String {
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (_, point, kind) = (fields.next()?, fields.next()?, fields.next()?);
            path.starts_with(point).then_some((point.len(), kind))
        })
        .max_by_key(|(length, _)| *length)
        .map_or_else(|| "unknown".to_string(), |(_, kind)| kind.to_string())
}

/// Busy and total jiffies of all CPUs since boot.
fn cpu_jiffies() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    let total: u64 = values.iter().take(8).sum();
    Some((total - idle, total))
}

/// Fraction of all CPUs' time spent busy over one sampling window.
pub fn busy_fraction() -> f64 {
    let Some((busy_before, total_before)) = cpu_jiffies() else {
        return 0.0;
    };
    std::thread::sleep(SAMPLE_WINDOW);
    let Some((busy_after, total_after)) = cpu_jiffies() else {
        return 0.0;
    };
    let total = total_after.saturating_sub(total_before);
    if total == 0 {
        return 0.0;
    }
    busy_after.saturating_sub(busy_before) as f64 / total as f64
}

/// How idle the machine was when a set of repetitions started.
#[derive(Debug, Clone, Serialize)]
pub struct IdleReading {
    /// The set of repetitions that waited.
    pub set: String,
    /// CPU busy fraction (all CPUs) in the last reading.
    pub busy: f64,
    /// Seconds spent waiting.
    pub waited_s: f64,
    /// Whether the machine was still busy when the wait gave up.
    pub gave_up: bool,
}

/// Flushes dirty pages, then waits (at most `timeout`) until the CPUs are
/// idle, so that earlier work does not bleed into the next measurements.
pub fn settle(set: &str, timeout: Duration) -> IdleReading {
    let start = Instant::now();
    sync_disks();
    loop {
        let busy = busy_fraction();
        let waited = start.elapsed();
        if busy < BUSY_THRESHOLD || waited >= timeout {
            return IdleReading {
                set: set.to_string(),
                busy,
                waited_s: waited.as_secs_f64(),
                gave_up: busy >= BUSY_THRESHOLD,
            };
        }
    }
}

/// Writes all dirty pages to disk (`sync`).
pub fn sync_disks() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_timestamp(seconds)
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_timestamp(seconds: u64) -> String {
    const SECONDS_PER_DAY: u64 = 86_400;
    let (days, time) = (seconds / SECONDS_PER_DAY, seconds % SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_672_531_199), "2022-12-31T23:59:59Z");
    }

    #[test]
    fn filesystem_is_the_longest_matching_mount() {
        let mounts = "/dev/vda / ext4 rw 0 0\ntmpfs /tmp tmpfs rw 0 0\n";
        assert_eq!(filesystem_of(Path::new("/tmp/x"), mounts), "tmpfs");
        assert_eq!(filesystem_of(Path::new("/work"), mounts), "ext4");
    }

    #[test]
    fn proc_fields_are_found_by_key() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC\n";
        assert_eq!(field(text, "model name"), Some("AMD EPYC"));
        assert_eq!(field(text, "flags"), None);
    }
}
