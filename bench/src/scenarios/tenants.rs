//! Scenario 6: many tenants in one process (`graphstore::Tenants`).
//!
//! - How many live instances fit: the density probe, in child processes
//!   (bare instances and open stores, with the CLI's runtime and the
//!   tenants' one).
//! - 1,000 and 10,000 tenants (quick: fewer) under budgets, one
//!   `create_image` and one `images` each: open time, RSS and descriptors
//!   per live tenant, then `images` on every tenant again (evicted ones
//!   reopen), each tenant seeing only its own image.
//! - Latency of well-behaved tenants while one tenant runs CPU-bound
//!   runaway calls (stopped at their deadline) and another waits on a lock
//!   held elsewhere; the interrupt latency after a deadline.
//! - The cost of the tenants' runtime (epoch checks, small memory
//!   reservations with explicit bounds checks) on the library scenario's
//!   workload, a large listing and a layer import.

use super::Context;
use super::probe::{Footprint, ProbeKind, TENANT_MEMORY_BYTES};
use crate::config::Mode;
use crate::data;
use crate::measure::{Sample, time_call};
use crate::report::{Measurement, Outcome, Row, Section, format_duration};
use crate::stats::Summary;
use crate::tools::Root;
use graphstore::{
    Budgets, ErrorKind, ImageOptions, LayerOptions, NewImage, Store, StoreOptions, Tenants,
};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Section title.
const TITLE: &str = "6. Many tenants (graphstore::Tenants, one process)";
/// Descriptors counted per live tenant: an open store holds 7, one more
/// while a call runs (measured in this scenario, see its notes).
const FDS_PER_TENANT: usize = 8;
/// Share of the process's descriptor limit the tenants may use.
const FD_SHARE: f64 = 0.9;
/// Deadline of the tenants' calls.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// Lock-wait timeout of the tenants' calls.
const LOCK_TIMEOUT: Duration = Duration::from_millis(500);
/// Images in a runaway call: seconds of CPU in the component.
const RUNAWAY_BATCH: usize = 200_000;
/// Deadline of the runaway tenant.
const RUNAWAY_DEADLINE: Duration = Duration::from_millis(200);
/// Memory cap of the runaway tenant (a batch of 200,000 needs it).
const RUNAWAY_MEMORY: usize = 1 << 30;
/// Well-behaved tenants in the interference measurement.
const QUIET_TENANTS: usize = 50;

/// Scale of the scenario in each mode.
struct Scale {
    tenant_counts: &'static [usize],
    probe_max: usize,
    probe_store_max: usize,
    interference: Duration,
    interrupts: usize,
    overhead_images: usize,
    listing_images: usize,
    imports: usize,
}

fn scale(mode: Mode) -> Scale {
    match mode {
        Mode::Full => Scale {
            tenant_counts: &[1_000, 10_000],
            probe_max: 40_000,
            probe_store_max: 20_000,
            interference: Duration::from_secs(5),
            interrupts: 10,
            overhead_images: 2_000,
            listing_images: 20_000,
            imports: 2,
        },
        Mode::Quick => Scale {
            tenant_counts: &[200],
            probe_max: 1_000,
            probe_store_max: 200,
            interference: Duration::from_secs(1),
            interrupts: 3,
            overhead_images: 200,
            listing_images: 2_000,
            imports: 1,
        },
    }
}

/// The `q`-quantile (0..=1) of `values`.
fn quantile(values: &[Duration], q: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

/// "median X, p99 Y, max Z".
fn spread(values: &[Duration]) -> String {
    format!(
        "median {}, p99 {}, max {}",
        format_duration(quantile(values, 0.5)),
        format_duration(quantile(values, 0.99)),
        format_duration(quantile(values, 1.0))
    )
}

fn measured(samples: Vec<Sample>) -> Outcome {
    Measurement::of(samples).map_or(Outcome::Absent, Outcome::Measured)
}

fn walls(samples: &[Sample]) -> Vec<Duration> {
    samples.iter().map(|s| s.wall).collect()
}

fn kib(bytes: f64) -> String {
    format!("{:.0} KiB", bytes / 1024.0)
}

/// Options of tenant store `index` under `dir`.
fn tenant_options(dir: &Path, index: usize) -> StoreOptions {
    let root = dir.join(format!("t{index}"));
    let mut options = StoreOptions::new(root.join("graph"), root.join("run"));
    options.limits.memory_bytes = TENANT_MEMORY_BYTES;
    options.limits.call_timeout = Some(CALL_TIMEOUT);
    options.limits.lock_timeout = Some(LOCK_TIMEOUT);
    options
}

/// The tenants' budgets: `live` instances, [`FD_SHARE`] of the descriptor
/// limit, memory caps summing to 1 TiB at most.
fn budgets(live: usize) -> Budgets {
    let mut budgets = Budgets::new(live);
    let limit = graphstore::fds::raise_limit();
    budgets.fds = (limit as f64 * FD_SHARE) as usize;
    budgets.fds_per_tenant = FDS_PER_TENANT;
    budgets.memory_bytes = 1 << 40;
    budgets
}

/// Runs the density probe of `kind` in a child process.
fn probe(ctx: &Context<'_>, kind: ProbeKind, max: usize) -> Result<serde_json::Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = ctx.fresh_dir(&format!("probe-{}", kind.name()));
    let output = Command::new(exe)
        .arg("--probe")
        .arg(kind.name())
        .arg(max.to_string())
        .arg(&dir)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or_default();
    let value = serde_json::from_str(line).map_err(|_| {
        format!(
            "probe {} failed ({}): {}",
            kind.name(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    super::remove_in_parallel(vec![dir]);
    Ok(value)
}

/// One note per probe kind.
fn probe_notes(ctx: &mut Context<'_>, section: &mut Section, scale: &Scale) {
    for kind in ProbeKind::ALL {
        let max = match kind {
            ProbeKind::BarePlain | ProbeKind::BareTenant => scale.probe_max,
            ProbeKind::StorePlain | ProbeKind::StoreTenant => scale.probe_store_max,
        };
        ctx.progress(format!(
            "tenants: density probe {} (max {max})",
            kind.name()
        ));
        let note = match probe(ctx, kind, max) {
            Ok(v) => format!(
                "density probe {}: {} live ({}); per instance: {} RSS, {:.1} mappings, {:.1} fds, {:.0} MiB address space, {:.3} ms to open; process total {} mappings, {:.1} TiB address space",
                kind.name(),
                v["count"],
                v["stopped"].as_str().unwrap_or_default(),
                kib(v["rss_per_instance"].as_f64().unwrap_or(0.0)),
                v["mappings_per_instance"].as_f64().unwrap_or(0.0),
                v["fds_per_instance"].as_f64().unwrap_or(0.0),
                v["virtual_per_instance"].as_f64().unwrap_or(0.0) / (1u64 << 20) as f64,
                v["open_us_mean"].as_f64().unwrap_or(0.0) / 1000.0,
                v["mappings_total"],
                v["virtual_total"].as_f64().unwrap_or(0.0) / (1u64 << 40) as f64,
            ),
            Err(error) => error,
        };
        section.notes.push(note);
    }
}

/// `count` tenants: open, create an image and list, then list again.
fn open_tenants(ctx: &mut Context<'_>, section: &mut Section, count: usize) {
    let dir = ctx.fresh_dir(&format!("tenants-{count}"));
    ctx.progress(format!(
        "tenants: {count} tenants, open + create_image + images each"
    ));
    ctx.settle(&format!("tenants-{count}"));
    let tenants = Tenants::new(budgets(count));
    for index in 0..count {
        if let Err(error) = tenants.register(format!("t{index}"), tenant_options(&dir, index)) {
            section.notes.push(format!("register: {error}"));
            return;
        }
    }
    let before = Footprint::now();
    let mut opens = Vec::with_capacity(count);
    let mut works = Vec::with_capacity(count);
    let started = Instant::now();
    for index in 0..count {
        let id = format!("t{index}");
        let (opened, open) = time_call(|| tenants.call(&id, |_| Ok(())));
        let name = format!("tenant-{index}:1");
        let (worked, work) = time_call(|| {
            tenants.call(&id, |store| {
                store.create_image(
                    None,
                    std::slice::from_ref(&name),
                    None,
                    "",
                    &ImageOptions::default(),
                )?;
                store.images()
            })
        });
        if let Err(error) = opened.and(worked) {
            section
                .notes
                .push(format!("{count} tenants: tenant {index} failed: {error}"));
            return;
        }
        opens.push(open);
        works.push(work);
    }
    let first_pass = started.elapsed();
    let after = Footprint::now();
    let live = tenants.live_count().max(1);
    // Second pass, least recently used first: with more tenants than fit,
    // every call reopens an evicted tenant.
    let mut again = Vec::with_capacity(count);
    let mut wrong = 0;
    for index in 0..count {
        let id = format!("t{index}");
        let (images, sample) = time_call(|| tenants.call(&id, |store| store.images()));
        match images {
            Ok(images) => {
                let expected = format!("tenant-{index}:1");
                let names: Vec<&String> = images.iter().flat_map(|i| &i.names).collect();
                if names != [&expected] {
                    wrong += 1;
                }
            }
            Err(error) => {
                section.notes.push(format!(
                    "{count} tenants: second pass, tenant {index}: {error}"
                ));
                return;
            }
        }
        again.push(sample);
    }
    let peak = Footprint::now();
    let per_live = |a: u64, b: u64| a.saturating_sub(b) as f64 / live as f64;
    section.notes.push(format!(
        "{count} tenants ({} live at the end, budget {} fds at {FDS_PER_TENANT} per tenant): open {}; create_image + images {}; first pass {:.1} s; per live tenant {} RSS, {:.1} fds, {:.1} mappings; process {} fds, {} mappings, RSS {:.0} MiB after the second pass",
        tenants.live_count(),
        tenants.budgets().fds,
        spread(&walls(&opens)),
        spread(&walls(&works)),
        first_pass.as_secs_f64(),
        kib(per_live(after.rss, before.rss)),
        per_live(after.fds, before.fds),
        per_live(after.mappings, before.mappings),
        peak.fds,
        peak.mappings,
        peak.rss as f64 / (1u64 << 20) as f64,
    ));
    section.notes.push(format!(
        "{count} tenants, second pass (images on each, oldest first{}): {}; tenants seeing anything but their own image: {wrong}",
        if count > live { ", each reopened" } else { "" },
        spread(&walls(&again)),
    ));
    section.rows.push(
        Row::compared(
            format!("Tenants: open, {count} tenants"),
            measured(opens),
            Outcome::Absent,
        )
        .at(count),
    );
    section.rows.push(
        Row::compared(
            format!("Tenants: create_image + images, {count} tenants"),
            measured(works),
            Outcome::Absent,
        )
        .at(count),
    );
    section.rows.push(
        Row::compared(
            format!("Tenants: images again, {count} tenants"),
            measured(again),
            Outcome::Absent,
        )
        .at(count),
    );
    drop(tenants);
    super::remove_in_parallel(vec![dir]);
}

/// A batch of `count` new images.
fn batch(count: usize) -> Vec<NewImage> {
    (0..count)
        .map(|index| NewImage {
            id: None,
            names: vec![format!("runaway:{index}")],
            layer: None,
            metadata: String::new(),
            options: ImageOptions::default(),
        })
        .collect()
}

/// Latencies of `images` on well-behaved tenants, from two threads, for
/// `duration`.
fn quiet_latencies(tenants: &Arc<Tenants>, duration: Duration) -> Vec<Duration> {
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let threads: Vec<_> = (0..2)
        .map(|thread| {
            let tenants = Arc::clone(tenants);
            let latencies = Arc::clone(&latencies);
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut mine = Vec::new();
                let mut index = thread;
                while started.elapsed() < duration {
                    let id = format!("q{}", index % QUIET_TENANTS);
                    let begun = Instant::now();
                    let result = tenants.call(&id, |store| store.images());
                    mine.push(begun.elapsed());
                    assert!(result.is_ok(), "{id}: {result:?}");
                    index += 2;
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    std::mem::take(&mut *latencies.lock().unwrap())
}

/// Well-behaved tenants' latency, alone and next to a runaway tenant and
/// a tenant waiting on a held lock; then the interrupt latency.
fn interference(ctx: &mut Context<'_>, section: &mut Section, scale: &Scale) {
    let dir = ctx.fresh_dir("tenants-noise");
    ctx.progress("tenants: well-behaved tenants next to a runaway and a lock holder");
    ctx.settle("tenants-noise");
    let tenants = Arc::new(Tenants::new(budgets(QUIET_TENANTS + 2)));
    for index in 0..QUIET_TENANTS {
        let result = tenants
            .register(format!("q{index}"), tenant_options(&dir, index))
            .and_then(|()| {
                tenants.call(&format!("q{index}"), |store| {
                    store.create_image(
                        None,
                        &[format!("q{index}:1")],
                        None,
                        "",
                        &ImageOptions::default(),
                    )
                })
            });
        if let Err(error) = result {
            section.notes.push(format!("quiet tenant {index}: {error}"));
            return;
        }
    }
    let mut runaway = tenant_options(&dir, QUIET_TENANTS);
    runaway.limits.memory_bytes = RUNAWAY_MEMORY;
    runaway.limits.call_timeout = Some(RUNAWAY_DEADLINE);
    let locked = tenant_options(&dir, QUIET_TENANTS + 1);
    let locked_graph = locked.graph_root.clone();
    let setup = tenants
        .register("runaway", runaway)
        .and_then(|()| tenants.register("locked", locked))
        .and_then(|()| tenants.call("runaway", |store| store.images()).map(drop))
        .and_then(|()| tenants.call("locked", |store| store.images()).map(drop));
    if let Err(error) = setup {
        section.notes.push(format!("noisy tenants: {error}"));
        return;
    }
    let quiet = quiet_latencies(&tenants, scale.interference);

    // The interrupt latency, alone.
    let images = Arc::new(batch(RUNAWAY_BATCH));
    let mut late = Vec::new();
    for _ in 0..scale.interrupts {
        let started = Instant::now();
        let result = tenants.call("runaway", |store| store.create_images(&images));
        let elapsed = started.elapsed();
        match result {
            Err(error) if error.kind() == Some(ErrorKind::Interrupted) => {
                late.push(elapsed.saturating_sub(RUNAWAY_DEADLINE));
            }
            other => {
                section.notes.push(format!(
                    "the runaway call was not interrupted: {:?}",
                    other.map(|v| v.len())
                ));
                return;
            }
        }
    }

    // Noise: the runaway tenant calls again and again; another holder
    // keeps the locked tenant's images lock, so its writes wait out their
    // lock timeout.
    let lock_dir = match File::open(locked_graph.join("vfs-images")) {
        Ok(dir) => dir,
        Err(error) => {
            section.notes.push(format!("opening vfs-images: {error}"));
            return;
        }
    };
    let mut holder = match graphstore_posix::LockFile::open(&lock_dir, "images.lock", false) {
        Ok(lock) => lock,
        Err(error) => {
            section.notes.push(format!("images.lock: {error}"));
            return;
        }
    };
    if let Err(error) = holder.lock(true) {
        section.notes.push(format!("locking images.lock: {error}"));
        return;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let runaway_thread = {
        let (tenants, stop, images) = (Arc::clone(&tenants), Arc::clone(&stop), images);
        std::thread::spawn(move || {
            let mut interrupted = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let result = tenants.call("runaway", |store| store.create_images(&images));
                if matches!(result, Err(ref e) if e.kind() == Some(ErrorKind::Interrupted)) {
                    interrupted += 1;
                }
            }
            interrupted
        })
    };
    let locked_thread = {
        let (tenants, stop) = (Arc::clone(&tenants), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut timed_out = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let result = tenants.call("locked", |store| {
                    store.create_image(None, &[], None, "", &ImageOptions::default())
                });
                if matches!(result, Err(ref e) if e.kind() == Some(ErrorKind::LockTimeout)) {
                    timed_out += 1;
                }
            }
            timed_out
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    let noisy = quiet_latencies(&tenants, scale.interference);
    stop.store(true, Ordering::Relaxed);
    let interrupted = runaway_thread.join().unwrap_or(0);
    let timed_out = locked_thread.join().unwrap_or(0);
    let _ = holder.unlock();

    let summary = |values: &[Duration]| {
        Measurement::of(
            values
                .iter()
                .map(|&wall| Sample {
                    wall,
                    cpu: Default::default(),
                })
                .collect(),
        )
        .map_or(Outcome::Absent, Outcome::Measured)
    };
    section.rows.push(Row::compared(
        format!("images, {QUIET_TENANTS} tenants: with noise (right: without)"),
        summary(&noisy),
        summary(&quiet),
    ));
    section.notes.push(format!(
        "well-behaved tenants (images on {QUIET_TENANTS} tenants, 2 threads, {:.0} s each): alone {} ({} calls); next to a runaway tenant (create_images of {RUNAWAY_BATCH}, deadline {RUNAWAY_DEADLINE:?}, interrupted {interrupted} times) and a tenant whose images lock another holder keeps (lock timeout {LOCK_TIMEOUT:?}, timed out {timed_out} times): {} ({} calls)",
        scale.interference.as_secs_f64(),
        spread(&quiet),
        quiet.len(),
        spread(&noisy),
        noisy.len(),
    ));
    section.rows.push(Row::compared(
        format!("interrupt latency past a {RUNAWAY_DEADLINE:?} deadline"),
        summary(&late),
        Outcome::Absent,
    ));
    section.notes.push(format!(
        "interrupt latency (return of a runaway call past its {RUNAWAY_DEADLINE:?} deadline, {} runs, instance dropped included): {}",
        late.len(),
        spread(&late)
    ));
    drop(tenants);
    super::remove_in_parallel(vec![dir]);
}

/// Opens the store under `root`, on the tenants' runtime when `tenant`.
fn open(root: &Root, tenant: bool) -> Result<Store, graphstore::Error> {
    let mut options = StoreOptions::new(&root.graph, &root.run);
    if tenant {
        options.limits.call_timeout = Some(Duration::from_secs(3600));
    }
    Store::open(options)
}

/// CPU time of the calling thread: unlike wall or process time, barely
/// moved by other processes or the benchmark's other threads.
fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime only writes the struct it is given.
    let time = unsafe {
        let mut time: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time);
        time
    };
    Duration::new(time.tv_sec.unsigned_abs(), time.tv_nsec as u32)
}

/// Runs `call`, returning its result, its wall time as a sample and its
/// thread CPU time.
fn timed<T>(call: impl FnOnce() -> T) -> (T, Sample, Duration) {
    let cpu = thread_cpu();
    let (value, sample) = time_call(call);
    (value, sample, thread_cpu().saturating_sub(cpu))
}

/// Thread CPU of the same work on both runtimes: [plain, tenants'].
#[derive(Default)]
struct Compared {
    walls: [Vec<Sample>; 2],
    cpus: [Vec<Duration>; 2],
}

impl Compared {
    fn push(&mut self, tenant: bool, sample: Sample, cpu: Duration) {
        self.walls[usize::from(tenant)].push(sample);
        self.cpus[usize::from(tenant)].push(cpu);
    }

    /// The note ("label: thread CPU median A (tenants') vs B (plain): +x %")
    /// and the row.
    fn finish(self, label: String) -> (String, Row) {
        let median = |values: &[Duration]| Summary::of(values).map_or(Duration::ZERO, |s| s.median);
        let (plain, tenant) = (median(&self.cpus[0]), median(&self.cpus[1]));
        let note = format!(
            "{label}: thread CPU median {} on the tenants' runtime vs {} on the plain one: {:+.1} % ({} runs each)",
            format_duration(tenant),
            format_duration(plain),
            (tenant.as_secs_f64() / plain.as_secs_f64().max(1e-9) - 1.0) * 100.0,
            self.cpus[0].len(),
        );
        let [plain, tenant] = self.walls;
        let row = Row::compared(
            format!("{label}, tenants' runtime (right: plain)"),
            measured(tenant),
            measured(plain),
        );
        (note, row)
    }
}

/// The library scenario's workload, a listing and a layer import on the
/// plain runtime and on the tenants' one (epoch checks, memory copied in
/// at instantiation), interleaved call by call.
fn runtime_overhead(ctx: &mut Context<'_>, section: &mut Section, scale: &Scale) {
    let dir = ctx.fresh_dir("tenants-overhead");
    ctx.progress("tenants: plain runtime vs the tenants' runtime");
    let result = (|| -> Result<(), String> {
        // The library workload: create_image in one process, both stores
        // growing together.
        ctx.settle("tenants-overhead-create");
        let mut stores = [
            open(&Root::under(&dir.join("create-plain")), false).map_err(|e| e.to_string())?,
            open(&Root::under(&dir.join("create-tenant")), true).map_err(|e| e.to_string())?,
        ];
        let mut creates = Compared::default();
        for index in 0..scale.overhead_images {
            let names = [format!("{}{index:05}", super::library::NAME_PREFIX)];
            for tenant in [index % 2 == 1, index % 2 == 0] {
                let store = &mut stores[usize::from(tenant)];
                let (created, sample, cpu) =
                    timed(|| store.create_image(None, &names, None, "", &ImageOptions::default()));
                created.map_err(|e| e.to_string())?;
                creates.push(tenant, sample, cpu);
            }
        }
        drop(stores);
        let (note, row) = creates.finish(format!("create_image x{}", scale.overhead_images));
        section.notes.push(note);
        section.rows.push(row);

        // A large listing: CPU in the component (encoding records).
        let root = Root::under(&dir.join("listing"));
        {
            let mut store = open(&root, false).map_err(|e| e.to_string())?;
            for chunk in batch(scale.listing_images).chunks(1000) {
                store.create_images(chunk).map_err(|e| e.to_string())?;
            }
        }
        let mut stores = [
            open(&root, false).map_err(|e| e.to_string())?,
            open(&root, true).map_err(|e| e.to_string())?,
        ];
        ctx.settle("tenants-overhead-listing");
        let mut listings = Compared::default();
        for rep in 0..22 {
            for tenant in [rep % 2 == 1, rep % 2 == 0] {
                let (listed, sample, cpu) = timed(|| stores[usize::from(tenant)].images());
                listed.map_err(|e| e.to_string())?;
                if rep >= 2 {
                    listings.push(tenant, sample, cpu);
                }
            }
        }
        drop(stores);
        let (note, row) = listings.finish(format!("images ({} images)", scale.listing_images));
        section.notes.push(note);
        section.rows.push(row);

        // A layer import: tar parsing and hashing in the component.
        let layer_dir = dir.join("layer");
        std::fs::create_dir_all(&layer_dir).map_err(|e| e.to_string())?;
        let data = data::generate(&ctx.plan.layer, &layer_dir)
            .map_err(|e| format!("generating the layer: {e}"))?;
        let mut imports = Compared::default();
        for rep in 0..scale.imports {
            for tenant in [rep % 2 == 1, rep % 2 == 0] {
                let root = Root::under(&dir.join(format!("import-{tenant}-{rep}")));
                ctx.settle("tenants-overhead-import");
                let mut store = open(&root, tenant).map_err(|e| e.to_string())?;
                let tar = BufReader::new(File::open(&data.tar).map_err(|e| e.to_string())?);
                let (imported, sample, cpu) =
                    timed(|| store.put_layer(Some("l"), None, &[], &LayerOptions::default(), tar));
                imported.map_err(|e| e.to_string())?;
                imports.push(tenant, sample, cpu);
            }
        }
        let (note, row) = imports.finish(format!("put_layer ({} MiB tar)", data.tar_bytes >> 20));
        section.notes.push(note);
        section.rows.push(row);
        Ok(())
    })();
    if let Err(error) = result {
        section.notes.push(format!("runtime overhead: {error}"));
    }
    super::remove_in_parallel(vec![dir]);
}

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new(TITLE);
    let scale = scale(ctx.plan.mode);
    probe_notes(ctx, &mut section, &scale);
    for &count in scale.tenant_counts {
        open_tenants(ctx, &mut section, count);
    }
    interference(ctx, &mut section, &scale);
    runtime_overhead(ctx, &mut section, &scale);
    section.notes.push(
        "the tenants' runtime is the interruptible one (epoch checks; data segments copied into each instance's memory instead of mapped copy-on-write: 2 mappings per instance instead of 4); the plain one is the CLI's; rows show median and min..max, notes give p99"
            .to_string(),
    );
    section
}
