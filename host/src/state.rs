//! Per-tenant state inside a wasmtime store: the WASI context (whose only
//! filesystem access is the tenant's preopened roots), the resource table
//! and resource limits.

use std::fs::File;
use std::sync::Arc;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{Descriptor, ErrorCode};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Resource limits of one tenant's sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest linear memory the component may grow to, in bytes.
    pub memory_bytes: usize,
    /// Most handles (descriptors, streams, locks) the component may hold at once.
    pub handles: usize,
    /// Whether layer contents may contain device nodes (needs CAP_MKNOD).
    pub allow_device_nodes: bool,
}

/// Default linear-memory cap per tenant.
pub const DEFAULT_MEMORY_BYTES: usize = 1 << 30;
/// Default handle cap per tenant.
pub const DEFAULT_HANDLES: usize = 10_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: DEFAULT_MEMORY_BYTES,
            handles: DEFAULT_HANDLES,
            // Creating device nodes needs root; containers/storage extracts them as root too.
            allow_device_nodes: rustix::process::geteuid().is_root(),
        }
    }
}

/// What a tenant's wasmtime store holds.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    pub(crate) limits: StoreLimits,
    pub(crate) allow_device_nodes: bool,
    /// The component's memory cap: no single host reply may be larger.
    pub(crate) memory_bytes: usize,
    /// Host path of the graph root (for `host-info`).
    pub(crate) graph_root: std::path::PathBuf,
}

impl HostState {
    /// State for a sandbox with the given WASI context and limits.
    pub fn new(wasi: WasiCtx, limits: Limits, graph_root: std::path::PathBuf) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.handles);
        let allow_device_nodes = limits.allow_device_nodes;
        let memory_bytes = limits.memory_bytes;
        let limits = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes)
            .instances(4)
            .build();
        HostState {
            table,
            wasi,
            limits,
            allow_device_nodes,
            memory_bytes,
            graph_root,
        }
    }

    /// The host directory behind a guest's directory descriptor, checking
    /// the descriptor's permissions allow writing when `write` is set.
    pub(crate) fn directory(
        &self,
        descriptor: &Resource<Descriptor>,
        write: bool,
    ) -> Result<Arc<File>, ErrorCode> {
        match self.table.get(descriptor) {
            Ok(Descriptor::Dir(dir)) if write && dir.perms.write_not_permitted() => {
                Err(ErrorCode::ReadOnly)
            }
            Ok(Descriptor::Dir(dir)) => Ok(Arc::clone(&dir.dir)),
            Ok(Descriptor::File(_)) => Err(ErrorCode::NotDirectory),
            Err(_) => Err(ErrorCode::BadDescriptor),
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
