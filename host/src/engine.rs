//! The process-wide wasmtime engines and the store component, compiled
//! ahead of time.
//!
//! The build script compiles the component once per engine configuration
//! ([`crate::engine_config`]) and this file embeds the artifacts, so the
//! host links wasmtime's runtime only, without a compiler, and no run
//! compiles anything. Loading an artifact copies it into executable memory
//! (a few MB); to skip that copy the artifact is written once to
//! `$GRAPHSTORE_CACHE_DIR` (default `$XDG_CACHE_HOME/graphstore`, else
//! `~/.cache/graphstore`), named by its sha256, and memory-mapped from there
//! on later runs. Set `GRAPHSTORE_CACHE_DIR=` (empty) to load from the
//! binary every time. Cached artifacts older than 30 days are removed
//! whenever a new one is written.
//!
//! wasmtime checks that an artifact matches the engine it is loaded into
//! (version, settings, CPU features): a binary copied to a CPU that lacks
//! features of the build machine's fails with [`Error`] kind `setup`,
//! naming `GRAPHSTORE_AOT_TARGET` (build with it set to a target triple to
//! compile for any CPU of that architecture).

use crate::bindings::GraphstorePre;
use crate::engine_config::{Flavor, engine_config};
use crate::error::Error;
use crate::state::HostState;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::Engine;
use wasmtime::component::{Component, Linker};

/// The store component (`guest/`, wasm), built by the build script: what
/// the compiled artifacts were compiled from.
pub static COMPONENT_WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/graphstore.wasm"));

/// A compiled artifact embedded in the binary.
struct Artifact {
    bytes: &'static [u8],
    /// Hex sha256 of `bytes` (computed by the build script).
    sha256: &'static str,
}

/// The artifact compiled for `flavor`.
fn artifact(flavor: Flavor) -> Artifact {
    macro_rules! embedded {
        ($name:literal) => {
            Artifact {
                bytes: include_bytes!(concat!(env!("OUT_DIR"), "/", $name)),
                sha256: include_str!(concat!(env!("OUT_DIR"), "/", $name, ".sha256")),
            }
        };
    }
    match flavor {
        Flavor::Plain => embedded!("graphstore-plain.cwasm"),
        Flavor::Interruptible => embedded!("graphstore-interruptible.cwasm"),
    }
}

/// Environment variable naming the artifact cache directory.
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
        let (cell, flavor) = if interruptible {
            (&INTERRUPTIBLE, Flavor::Interruptible)
        } else {
            (&PLAIN, Flavor::Plain)
        };
        cell.get_or_init(|| Runtime::new(flavor))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn new(flavor: Flavor) -> Result<Runtime, Error> {
        crate::fds::raise_limit();
        let engine = Engine::new(&engine_config(flavor))
            .map_err(|e| Error::setup("creating the wasmtime engine", e))?;
        let component = load_component(&engine, &artifact(flavor), cache_dir().as_deref())?;
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

/// Age after which another build's artifact is removed from the cache
/// (each graphstore build adds two of a few MB).
const STALE_ARTIFACT_AGE: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

/// Removes artifacts not written for [`STALE_ARTIFACT_AGE`]. Runs only when
/// an artifact is written (rare); a build still in use after that just
/// writes its artifact once more.
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

/// Where artifacts are cached; `None` disables caching.
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

/// The cache file holding `artifact`.
fn cache_file(artifact: &Artifact, dir: &Path) -> PathBuf {
    dir.join(format!("{}.{CACHE_EXTENSION}", &artifact.sha256[..32]))
}

/// Loads `artifact` into `engine`: memory-mapped from the cache when a copy
/// is there (written now when it is not), else from the binary.
fn load_component(
    engine: &Engine,
    artifact: &Artifact,
    cache: Option<&Path>,
) -> Result<Component, Error> {
    if let Some(dir) = cache {
        let path = cache_file(artifact, dir);
        if path.exists() || store_artifact(dir, &path, artifact.bytes) {
            // SAFETY: the file is a copy of an artifact compiled by this
            // build's build script, written by this program into the user's
            // own cache directory under its sha256; wasmtime still checks its
            // header and that it matches the engine.
            if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
                return Ok(component);
            }
        }
    }
    // SAFETY: bytes produced by `Engine::precompile_component` in the build
    // script, embedded unchanged; wasmtime checks they match the engine.
    unsafe { Component::deserialize(engine, artifact.bytes) }.map_err(|e| {
        Error::setup(
            "loading the store component compiled into graphstore (a binary built \
             for another CPU? build it with GRAPHSTORE_AOT_TARGET=<target triple> \
             to compile for any CPU of that architecture)",
            e,
        )
    })
}

/// Writes an artifact atomically (temp file + rename) and prunes stale
/// ones; returns whether it was written (failures are otherwise ignored).
fn store_artifact(dir: &Path, path: &Path, bytes: &[u8]) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    prune_stale_artifacts(dir, std::time::SystemTime::now());
    let temp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        path.file_name()
            .map_or_else(Default::default, |n| n.to_string_lossy())
    ));
    if std::fs::write(&temp, bytes).is_ok() && std::fs::rename(&temp, path).is_ok() {
        return true;
    }
    let _ = std::fs::remove_file(&temp);
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};
    use wasmtime::Config;

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

    /// A first run with an empty cache loads the embedded artifact and
    /// leaves a copy named by its digest (no compiling: the host has no
    /// compiler outside tests); later runs map that copy.
    #[test]
    fn a_first_run_caches_the_embedded_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let flavor = Flavor::Plain;
        let engine = Engine::new(&engine_config(flavor)).unwrap();
        let embedded = artifact(flavor);
        load_component(&engine, &embedded, Some(dir.path())).unwrap();
        let cached = cache_file(&embedded, dir.path());
        assert_eq!(std::fs::read(&cached).unwrap(), embedded.bytes);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [cached.file_name().unwrap()]);
        load_component(&engine, &embedded, Some(dir.path())).unwrap();
    }

    /// A damaged cached copy is not trusted: the embedded artifact loads.
    #[test]
    fn a_damaged_cached_artifact_falls_back_to_the_embedded_one() {
        let dir = tempfile::tempdir().unwrap();
        let flavor = Flavor::Interruptible;
        let engine = Engine::new(&engine_config(flavor)).unwrap();
        let embedded = artifact(flavor);
        let cached = cache_file(&embedded, dir.path());
        std::fs::write(&cached, &embedded.bytes[..embedded.bytes.len() / 2]).unwrap();
        load_component(&engine, &embedded, Some(dir.path())).unwrap();
    }

    /// Each artifact loads only under the configuration it was compiled
    /// for: wasmtime refuses the other flavor's (epoch checks and memory
    /// layout differ), so a mix-up fails instead of running unchecked code.
    #[test]
    fn an_artifact_loads_only_under_its_own_configuration() {
        for flavor in Flavor::ALL {
            let engine = Engine::new(&engine_config(flavor)).unwrap();
            for other in Flavor::ALL {
                let loaded = load_component(&engine, &artifact(other), None);
                assert_eq!(
                    loaded.is_ok(),
                    flavor == other,
                    "{flavor:?} engine, {other:?} artifact"
                );
            }
        }
    }

    /// What `GRAPHSTORE_AOT_TARGET` builds: the component compiled for the
    /// architecture's baseline loads on this CPU (which may have more).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn an_artifact_for_the_baseline_cpu_loads_here() {
        let flavor = Flavor::Plain;
        let mut config = engine_config(flavor);
        config.target("x86_64-unknown-linux-gnu").unwrap();
        let compiled = Engine::new(&config)
            .unwrap()
            .precompile_component(COMPONENT_WASM)
            .unwrap();
        if option_env!("GRAPHSTORE_AOT_TARGET").is_none() {
            // The build compiled for this CPU's features: another artifact.
            assert_ne!(compiled, artifact(flavor).bytes);
        }
        let engine = Engine::new(&engine_config(flavor)).unwrap();
        let baseline = Artifact {
            bytes: Box::leak(compiled.into_boxed_slice()),
            sha256: "baseline-test-artifact-not-cached-0",
        };
        load_component(&engine, &baseline, None).unwrap();
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
