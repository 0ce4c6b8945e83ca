//! The density probe: how many live component instances (or open stores)
//! one process holds before something runs out, and what each costs. Runs
//! in a child process (`graphstore-bench --probe KIND MAX DIR`): running
//! out of memory mappings leaves a process unable even to start a thread.

use graphstore::engine::Runtime;
use graphstore::{Limits, Store, StoreOptions};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// What the probe keeps opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// Bare instances of the plain runtime (the CLI's engine settings).
    BarePlain,
    /// Bare instances of the interruptible runtime (the tenants' engine).
    BareTenant,
    /// `Store::open` without a deadline (plain runtime).
    StorePlain,
    /// `Store::open` with a deadline and a 64 MiB memory cap (the tenants'
    /// runtime).
    StoreTenant,
}

impl ProbeKind {
    /// Every kind, in reporting order.
    pub const ALL: [ProbeKind; 4] = [
        ProbeKind::BarePlain,
        ProbeKind::BareTenant,
        ProbeKind::StorePlain,
        ProbeKind::StoreTenant,
    ];

    /// The name `--probe` takes.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::BarePlain => "bare-plain",
            ProbeKind::BareTenant => "bare-tenant",
            ProbeKind::StorePlain => "store-plain",
            ProbeKind::StoreTenant => "store-tenant",
        }
    }

    /// The kind called `name`.
    pub fn parse(name: &str) -> Option<ProbeKind> {
        ProbeKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// The memory cap of probed tenant stores (and of the benchmark's tenants).
pub const TENANT_MEMORY_BYTES: usize = 64 << 20;

/// Resident set, address space (bytes) and mappings of this process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Footprint {
    /// Resident set size.
    pub rss: u64,
    /// Virtual address space in use.
    pub virtual_size: u64,
    /// Lines of `/proc/self/maps`.
    pub mappings: u64,
    /// Open file descriptors.
    pub fds: u64,
}

impl Footprint {
    /// The process now.
    pub fn now() -> Footprint {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let kib = |field: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<u64>()
                        .ok()
                })
                .unwrap_or(0)
                * 1024
        };
        let mappings = std::fs::read_to_string("/proc/self/maps")
            .map(|maps| maps.lines().count() as u64)
            .unwrap_or(0);
        Footprint {
            rss: kib("VmRSS:"),
            virtual_size: kib("VmSize:"),
            mappings,
            fds: graphstore::fds::open_count().unwrap_or(0) as u64,
        }
    }
}

/// Limits of the probed instances.
fn limits(kind: ProbeKind) -> Limits {
    let mut limits = Limits::default();
    if matches!(kind, ProbeKind::BareTenant | ProbeKind::StoreTenant) {
        limits.memory_bytes = TENANT_MEMORY_BYTES;
        limits.call_timeout = Some(Duration::from_secs(3600));
    }
    limits
}

/// Opens instances of `kind` until `max` or the first failure; prints one
/// JSON object: how many, why it stopped, the cost of each.
pub fn run(kind: ProbeKind, max: usize, dir: &Path) -> Result<(), String> {
    graphstore::fds::raise_limit();
    let interruptible = matches!(kind, ProbeKind::BareTenant | ProbeKind::StoreTenant);
    let runtime = Runtime::get(interruptible).map_err(|e| e.to_string())?;
    let limits = limits(kind);
    // One instance first, so that the runtime's one-off costs (the code
    // mapping, the ticker) are not counted per instance.
    let warm = runtime.bare_instance(limits).map_err(|e| e.to_string())?;
    drop(warm);
    let before = Footprint::now();
    let started = Instant::now();
    let mut bare = Vec::new();
    let mut stores = Vec::new();
    let mut stop = format!("reached the probe's maximum of {max}");
    for index in 0..max {
        let opened = match kind {
            ProbeKind::BarePlain | ProbeKind::BareTenant => {
                runtime.bare_instance(limits).map(|i| bare.push(i))
            }
            ProbeKind::StorePlain | ProbeKind::StoreTenant => {
                let root = dir.join(format!("s{index}"));
                let mut options = StoreOptions::new(root.join("graph"), root.join("run"));
                options.limits = limits;
                Store::open(options).map(|s| stores.push(s))
            }
        };
        if let Err(error) = opened {
            stop = error.to_string();
            break;
        }
    }
    let elapsed = started.elapsed();
    let count = (bare.len() + stores.len()) as u64;
    let after = Footprint::now();
    let per = |a: u64, b: u64| (a.saturating_sub(b)) as f64 / count.max(1) as f64;
    let report: Value = json!({
        "kind": kind.name(),
        "count": count,
        "stopped": stop,
        "open_us_mean": elapsed.as_secs_f64() * 1e6 / count.max(1) as f64,
        "rss_per_instance": per(after.rss, before.rss),
        "virtual_per_instance": per(after.virtual_size, before.virtual_size),
        "mappings_per_instance": per(after.mappings, before.mappings),
        "fds_per_instance": per(after.fds, before.fds),
        "mappings_total": after.mappings,
        "virtual_total": after.virtual_size,
    });
    println!("{report}");

    // Dropping thousands of instances takes a while and tells nothing.
    std::mem::forget(bare);
    std::mem::forget(stores);
    Ok(())
}
