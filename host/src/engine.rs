//! The process-wide wasmtime engine, the embedded store component and its
//! compiled-code cache.
//!
//! Compiling the component with Cranelift takes ~100 ms or more; the
//! compiled artifact is cached under `$GRAPHSTORE_CACHE_DIR` (default
//! `$XDG_CACHE_HOME/graphstore`, else `~/.cache/graphstore`), keyed by the
//! sha256 of the component and wasmtime's compatibility hash, and
//! memory-mapped on later runs (well under a millisecond). Set
//! `GRAPHSTORE_CACHE_DIR=` (empty) to disable the cache. Artifacts older
//! than 30 days are removed whenever a new one is written.

use crate::bindings::GraphstorePre;
use crate::error::Error;
use crate::state::HostState;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

/// The store component, built from `guest/` by the build script.
pub static COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphstore.wasm"));
/// Hex sha256 of [`COMPONENT_WASM`], computed by the build script.
pub const COMPONENT_SHA256: &str =
    include_str!(concat!(env!("OUT_DIR"), "/graphstore.wasm.sha256"));

/// Environment variable naming the compiled-code cache directory.
pub const CACHE_DIR_ENV: &str = "GRAPHSTORE_CACHE_DIR";
const CACHE_SUBDIR: &str = "graphstore";
const CACHE_EXTENSION: &str = "cwasm";

/// Engine plus the linked, ready-to-instantiate component.
pub struct Runtime {
    engine: Engine,
    pre: GraphstorePre<HostState>,
}

static PLAIN: OnceLock<Result<Runtime, Error>> = OnceLock::new();
static INTERRUPTIBLE: OnceLock<Result<Runtime, Error>> = OnceLock::new();

impl Runtime {
    /// The process-wide runtime, created on first use: with `interruptible`
    /// the compiled component checks the engine's epoch at loop heads and
    /// function entries, so a call can be stopped (deadlines,
    /// cancellation); the checks cost 5–25 % of the component's CPU time,
    /// so stores that never stop a call (the CLI) run without them.
    pub fn get(interruptible: bool) -> Result<&'static Runtime, Error> {
        let cell = if interruptible {
            &INTERRUPTIBLE
        } else {
            &PLAIN
        };
        cell.get_or_init(|| Runtime::new(interruptible))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn new(interruptible: bool) -> Result<Runtime, Error> {
        crate::fds::raise_limit();
        let mut config = Config::new();
        config.epoch_interruption(interruptible);
        if interruptible {
            dense(&mut config);
        }
        let engine =
            Engine::new(&config).map_err(|e| Error::setup("creating the wasmtime engine", e))?;
        let component = load_component(&engine, cache_dir().as_deref())?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(|e| Error::setup("linking WASI", e))?;
        use crate::bindings::graphstore::store::{decoding, hashing, host_info, locking, posix};
        locking::add_to_linker::<_, crate::locking::Locking>(&mut linker, HostState::locking)
            .map_err(|e| Error::setup("linking locking", e))?;
        host_info::add_to_linker::<_, crate::host_info::HostInfo>(
            &mut linker,
            HostState::host_info,
        )
        .map_err(|e| Error::setup("linking host-info", e))?;
        posix::add_to_linker::<_, crate::posix::Posix>(&mut linker, HostState::posix)
            .map_err(|e| Error::setup("linking posix", e))?;
        hashing::add_to_linker::<_, crate::hashing::Hashing>(&mut linker, HostState::hashing)
            .map_err(|e| Error::setup("linking hashing", e))?;
        decoding::add_to_linker::<_, crate::decoding::Decoding>(&mut linker, HostState::decoding)
            .map_err(|e| Error::setup("linking decoding", e))?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .map_err(|e| Error::setup("linking the component", e))?;
        let pre = GraphstorePre::new(instance_pre)
            .map_err(|e| Error::setup("checking the component's exports", e))?;
        Ok(Runtime { engine, pre })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The linked component.
    pub fn pre(&self) -> &GraphstorePre<HostState> {
        &self.pre
    }

    /// Starts a component instance that opens no store and holds no
    /// descriptor: the least a live tenant costs (address space, memory
    /// mappings, resident memory). For density probes and benchmarks.
    #[doc(hidden)]
    pub fn bare_instance(&self, limits: crate::Limits) -> Result<BareInstance, Error> {
        let state = HostState::new(
            wasmtime_wasi::WasiCtxBuilder::new().build(),
            limits,
            PathBuf::new(),
        );
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.limiter(|state| state.limits());
        // Epoch checks (interruptible runtime) never stop it.
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.pre.instantiate(&mut store)?;
        Ok(BareInstance {
            _store: store,
            _instance: instance,
        })
    }
}

/// A component instance with no store opened ([`Runtime::bare_instance`]).
#[doc(hidden)]
pub struct BareInstance {
    _store: wasmtime::Store<HostState>,
    _instance: crate::bindings::Graphstore,
}

/// Memory settings of the tenants' (interruptible) runtime, for many live
/// instances in one process.
///
/// Each linear memory keeps wasmtime's 64-bit defaults: a 4 GiB reservation
/// plus 32 MiB guards, so the compiled code needs no explicit bounds checks
/// (reservations sized from the tenant's memory cap would make them
/// explicit: measured +10 points of CPU on a large listing and on
/// `create_image`, on top of the epoch checks' 5-10 %, for address space
/// that only runs out beyond ~31,000 live instances: 128 TiB / 4.06 GiB).
///
/// What runs out first is the kernel's count of memory mappings
/// (`vm.max_map_count`, 65,530 by default): with copy-on-write memory
/// images an instance's memory is 4 mappings (its stack, the data image
/// mapped from the compiled artifact, the heap, the inaccessible rest), so
/// the process stops at 16,370 instances and can then not even start a
/// thread. Without them the data segments (164 KiB) are copied in at
/// instantiation and the memory is 2 mappings (accessible, inaccessible):
/// 32,000 instances fit, 10,000 use 20,000 mappings. The copy adds about
/// 0.14 ms to a bare instantiation (0.09 -> 0.23 ms, 1,000 instances) and
/// nothing to an open store's resident memory (opening touches those pages
/// anyway: 220 KiB either way). The CLI's plain runtime
/// keeps the copy-on-write images (one instance per process).
fn dense(config: &mut Config) {
    config.memory_init_cow(false);
}

/// Age after which another build's compiled artifact is removed from the
/// cache (each graphstore build adds one of a few MB).
const STALE_ARTIFACT_AGE: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes compiled artifacts not written for [`STALE_ARTIFACT_AGE`]. Runs
/// only when an artifact is compiled (rare); a build still in use after
/// that just compiles once more.
fn prune_stale_artifacts(dir: &Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_artifact = path.extension().is_some_and(|ext| ext == CACHE_EXTENSION);
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| {
                now.duration_since(modified)
                    .is_ok_and(|age| age > STALE_ARTIFACT_AGE)
            });
        if is_artifact && stale {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Where compiled components are cached; `None` disables caching.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os(CACHE_DIR_ENV) {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|base| base.join(CACHE_SUBDIR)),
    }
}

/// The cache file for the embedded component under this engine.
fn cache_file(engine: &Engine, dir: &Path) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_key = hasher.finish();
    dir.join(format!(
        "{}-{engine_key:016x}.{CACHE_EXTENSION}",
        &COMPONENT_SHA256[..32]
    ))
}

/// Loads the component: from the cache when present, else compiles it and
/// stores the artifact (best effort: a read-only cache just means compiling).
fn load_component(engine: &Engine, cache: Option<&Path>) -> Result<Component, Error> {
    if let Some(dir) = cache {
        let path = cache_file(engine, dir);
        if path.exists() {
            // SAFETY: the artifact was written by this program into the user's
            // own cache directory, under a key that covers the exact component
            // and engine configuration; wasmtime still checks its header.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(component);
            }
        }
        let compiled = engine
            .precompile_component(COMPONENT_WASM)
            .map_err(|e| Error::setup("compiling the component", e))?;
        store_artifact(dir, &path, &compiled);
        // SAFETY: bytes produced by `precompile_component` of this engine.
        return unsafe { Component::deserialize(engine, &compiled) }
            .map_err(|e| Error::setup("loading the compiled component", e));
    }
    Component::new(engine, COMPONENT_WASM).map_err(|e| Error::setup("compiling the component", e))
}

/// Writes a compiled artifact atomically (temp file + rename) and prunes
/// stale ones; failures are ignored.
fn store_artifact(dir: &Path, path: &Path, bytes: &[u8]) {
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    prune_stale_artifacts(dir, std::time::SystemTime::now());
    let temp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy())
    ));
    if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, path).is_ok() {
        return;
    }
    let _ = std::fs::remove_file(&temp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// The WASI-only build (`--features wasi-only`) must run on runtimes
    /// that know nothing of graphstore's host interfaces.
    #[test]
    fn portable_component_imports_only_wasi() {
        let path = env!("GRAPHSTORE_PORTABLE_WASM");
        assert!(
            !path.is_empty(),
            "built from a prebuilt component: no portable build"
        );
        let engine = Engine::new(&Config::new()).unwrap();
        let component = Component::from_file(&engine, path).unwrap();
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports: Vec<String> = ty
            .exports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();
        eprintln!("imports: {imports:#?}\nexports: {exports:#?}");
        assert!(
            imports
                .iter()
                .any(|name| name.starts_with("wasi:filesystem/"))
        );
        assert!(
            imports.iter().all(|name| name.starts_with("wasi:")),
            "{imports:?}"
        );
        assert_eq!(
            exports,
            [
                "graphstore:store/types@0.1.0",
                "graphstore:store/store-api@0.1.0"
            ]
        );
    }

    /// Lines of `/proc/self/maps`.
    fn mappings() -> usize {
        std::fs::read_to_string("/proc/self/maps")
            .unwrap()
            .lines()
            .count()
    }

    /// The tenants' runtime must fit 10,000 live instances under the
    /// kernel's default `vm.max_map_count` (65,530) with room to spare:
    /// 2 mappings per instance (the plain runtime's copy-on-write images
    /// take 4).
    #[test]
    fn a_tenant_instance_takes_two_mappings() {
        const INSTANCES: usize = 500;
        let runtime = Runtime::get(true).unwrap();
        let limits = crate::Limits::default();
        drop(runtime.bare_instance(limits).unwrap());
        let before = mappings();
        let live: Vec<_> = (0..INSTANCES)
            .map(|_| runtime.bare_instance(limits).unwrap())
            .collect();
        let per_instance = (mappings() - before) as f64 / INSTANCES as f64;
        drop(live);
        eprintln!("{per_instance:.2} mappings per instance");
        assert!(per_instance < 2.5, "{per_instance}");
    }

    #[test]
    fn only_old_artifacts_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let now = SystemTime::now();
        let write = |name: &str, age: Duration| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"x").unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(now - age).unwrap();
            path
        };
        let day = Duration::from_secs(24 * 3600);
        let old = write("old.cwasm", 40 * day);
        let recent = write("recent.cwasm", 2 * day);
        let unrelated = write("notes.txt", 400 * day);
        prune_stale_artifacts(dir.path(), now);
        assert!(!old.exists());
        assert!(recent.exists());
        assert!(unrelated.exists());
    }
}
