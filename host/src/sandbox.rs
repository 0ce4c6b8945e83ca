//! One live component instance of a store: its wasmtime store (WASI
//! context with the store's preopened roots, resource table, limiter), the
//! instance and the component's `store` resource. A [`crate::Store`] holds
//! at most one; it drops it after a trap or when asked to go idle.

use crate::bindings::Graphstore;
use crate::bindings::exports::graphstore::store::types as wit;
use crate::engine::Runtime;
use crate::error::{Error, ErrorKind};
use crate::fds;
use crate::interrupt::Interrupt;
use crate::options::{StoreOptions, parse_driver_options};
use crate::state::HostState;
use graphstore_guest::store::{
    GRAPH_ROOT_PREOPEN, IMAGE_STORE_PREOPEN_PREFIX, RUN_ROOT_PREOPEN, SPLIT_IMAGE_STORE_PREOPEN,
};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::ResourceAny;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Mode of root directories graphstore creates (as containers/storage does).
const ROOT_DIR_MODE: u32 = 0o700;

/// A live instance of the store component.
pub(crate) struct Sandbox {
    pub(crate) wasm: wasmtime::Store<HostState>,
    pub(crate) instance: Graphstore,
    pub(crate) handle: ResourceAny,
}

/// A path as the text the store reports.
fn path_text(path: &Path) -> Result<String, Error> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Setup(format!("{} is not valid UTF-8", path.display())))
}

/// Whether `a` and `b` name one directory (by device and inode; by path
/// when either cannot be examined).
fn same_directory(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
        _ => a == b,
    }
}

/// Makes a root absolute and creates it (mode 0700) when missing.
fn prepare_root(path: &Path, create: bool) -> Result<PathBuf, Error> {
    let absolute = std::path::absolute(path).map_err(|e| Error::setup(path.display(), e))?;
    if create {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(ROOT_DIR_MODE)
            .create(&absolute)
            .map_err(|e| {
                let context = format_args!("creating {}", absolute.display());
                if fds::is_exhaustion(&e) {
                    fds::out_of_descriptors(context)
                } else {
                    Error::setup(context, e)
                }
            })?;
    }
    Ok(absolute)
}

impl Sandbox {
    /// Starts an instance on the roots of `options` (creating them unless
    /// read-only) and opens the store; an `interrupt` makes its calls
    /// stoppable (the component compiled with epoch checks that consult it).
    pub(crate) fn open(
        options: &StoreOptions,
        interrupt: Option<&Arc<Interrupt>>,
    ) -> Result<Self, Error> {
        let driver = parse_driver_options(&options.driver_options)?;
        let create = !options.read_only;
        let graph_root = prepare_root(&options.graph_root, create)?;
        let run_root = prepare_root(&options.run_root, create)?;
        let perms = if options.read_only {
            FsPerms::ReadOnly
        } else {
            FsPerms::ReadWrite
        };
        let mut wasi = WasiCtxBuilder::new();
        wasi.allow_blocking_current_thread(true);
        let grant = |wasi: &mut WasiCtxBuilder, path: &Path, name: &str, perms: FsPerms| {
            wasi.preopened_dir(path, name, perms)
                .map(drop)
                .map_err(|e| {
                    fds::classify(Error::setup(format_args!("opening {}", path.display()), e))
                })
        };
        grant(&mut wasi, &graph_root, GRAPH_ROOT_PREOPEN, perms)?;
        grant(&mut wasi, &run_root, RUN_ROOT_PREOPEN, perms)?;
        let split_image_store = match &options.image_store {
            Some(path) => {
                let path = prepare_root(path, create)?;
                if same_directory(&path, &graph_root) {
                    // Upstream's rule (its options loader): the graph root
                    // would be both the image store and its additional one.
                    return Err(Error::store(
                        ErrorKind::InvalidInput,
                        format!(
                            "imagestore {} must either be not set or be different than graphroot",
                            path.display()
                        ),
                    ));
                }
                grant(&mut wasi, &path, SPLIT_IMAGE_STORE_PREOPEN, perms)?;
                Some(path_text(&path)?)
            }
            None => None,
        };
        let mut image_stores = Vec::new();
        for (index, path) in driver.image_stores.iter().enumerate() {
            let path = prepare_root(path, false)?;
            let name = format!("{IMAGE_STORE_PREOPEN_PREFIX}{index}");
            grant(&mut wasi, &path, &name, FsPerms::ReadOnly)?;
            image_stores.push(path_text(&path)?);
        }
        let runtime = Runtime::get(interrupt.is_some())?;
        let mut wasm = wasmtime::Store::new(
            runtime.engine(),
            HostState::new(wasi.build(), options.limits, graph_root.clone()),
        );
        wasm.limiter(|state| state.limits());
        if let Some(interrupt) = interrupt {
            interrupt.install(&mut wasm);
        }
        let instance = runtime.pre().instantiate(&mut wasm)?;
        let wit_options = wit::StoreOptions {
            graph_root: path_text(&graph_root)?,
            run_root: path_text(&run_root)?,
            driver_name: options.driver_name.clone(),
            driver_options: options.driver_options.clone(),
            image_stores,
            uid_map: options.uid_map.clone(),
            gid_map: options.gid_map.clone(),
            read_only: options.read_only,
            max_diff_bytes: options.max_diff_bytes,
            max_diff_entries: options.max_diff_entries,
            transient_store: options.transient_store,
            image_store: split_image_store,
        };
        if let Some(interrupt) = interrupt {
            interrupt.arm(&mut wasm, options.limits.call_timeout)?;
        }
        let opened = instance
            .graphstore_store_store_api()
            .store()
            .call_open(&mut wasm, &wit_options);
        let handle = match opened {
            Ok(result) => result.map_err(|e| fds::classify(Error::from(e)))?,
            Err(trap) => {
                let refused = wasm.data_mut().limits().take_refused();
                wasm.data_mut().release_handles();
                return Err(Error::from_trap(trap, refused, options.limits.memory_bytes));
            }
        };
        Ok(Sandbox {
            wasm,
            instance,
            handle,
        })
    }

    /// Drops the instance after a trap: the host resources it holds go
    /// first (lock files, so that no other store waits on a lock this dead
    /// instance held), then the instance and its memory.
    pub(crate) fn abandon(mut self) {
        self.wasm.data_mut().release_handles();
        drop(self);
    }
}
