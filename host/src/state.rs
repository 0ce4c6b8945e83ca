//! Per-tenant state inside a wasmtime store: the WASI context (whose only
//! filesystem access is the tenant's preopened roots), the resource table
//! and resource limits.

use crate::decoding::DecodingView;
use crate::hashing::HashingView;
use crate::host_info::HostInfoView;
use crate::locking::LockingView;
use crate::posix::PosixView;
use std::fs::File;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
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
    /// Longest a single call may run in the component before it is
    /// interrupted ([`crate::ErrorKind::Interrupted`]); `None` (the
    /// default, as in 1.43) lets calls run to completion. Time the host
    /// spends blocked (a lock wait, a disk write) is not interrupted, only
    /// checked once the component runs again.
    pub call_timeout: Option<Duration>,
    /// Longest a call waits for a lock another holder has before failing
    /// with [`crate::ErrorKind::LockTimeout`]; `None` (the default, as in
    /// 1.43) waits as long as it takes.
    pub lock_timeout: Option<Duration>,
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
            call_timeout: None,
            lock_timeout: None,
        }
    }
}

/// What the host interfaces may do in one sandbox, beyond its descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Whether layer contents may contain device nodes.
    pub allow_device_nodes: bool,
    /// The component's memory cap: no single host reply may be larger.
    pub memory_bytes: usize,
}

/// What a tenant's wasmtime store holds. Each host interface reaches only
/// its part, through its view (`posix`, `locking`, `hashing`, `decoding`,
/// `host_info`).
pub struct HostState {
    table: ResourceTable,
    wasi: WasiCtx,
    limits: Limiter,
    policy: Policy,
    /// Host path of the graph root (for `host-info`).
    graph_root: PathBuf,
    lock_timeout: Option<Duration>,
    /// Set when a lock wait timed out during the current call.
    lock_timed_out: bool,
}

impl HostState {
    /// State for a sandbox with the given WASI context and limits.
    pub fn new(wasi: WasiCtx, limits: Limits, graph_root: PathBuf) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.handles);
        let limits_lock_timeout = limits.lock_timeout;
        let policy = Policy {
            allow_device_nodes: limits.allow_device_nodes,
            memory_bytes: limits.memory_bytes,
        };
        let limits = Limiter {
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(4)
                .build(),
            refused: false,
        };
        HostState {
            table,
            wasi,
            limits,
            policy,
            graph_root,
            lock_timeout: limits_lock_timeout,
            lock_timed_out: false,
        }
    }

    /// Whether a lock wait timed out since the last call to this method.
    pub(crate) fn take_lock_timed_out(&mut self) -> bool {
        std::mem::take(&mut self.lock_timed_out)
    }

    /// The resource limiter wasmtime consults.
    pub(crate) fn limits(&mut self) -> &mut Limiter {
        &mut self.limits
    }

    /// Releases the host resources the component holds, locks first:
    /// closing a lock file's descriptor drops its fcntl lock. Called when
    /// the instance is abandoned after a trap, before anything else of it
    /// is dropped.
    pub(crate) fn release_handles(&mut self) {
        self.table = ResourceTable::new();
    }

    /// The resource table (streams the embedder hands the component).
    pub(crate) fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// The `posix` interface's view.
    pub(crate) fn posix(&mut self) -> PosixView<'_> {
        PosixView {
            table: &mut self.table,
            policy: &self.policy,
        }
    }

    /// The `locking` interface's view.
    pub(crate) fn locking(&mut self) -> LockingView<'_> {
        LockingView {
            table: &mut self.table,
            timeout: self.lock_timeout,
            timed_out: &mut self.lock_timed_out,
        }
    }

    /// The `hashing` interface's view.
    pub(crate) fn hashing(&mut self) -> HashingView<'_> {
        HashingView {
            table: &mut self.table,
        }
    }

    /// The `decoding` interface's view.
    pub(crate) fn decoding(&mut self) -> DecodingView<'_> {
        DecodingView {
            table: &mut self.table,
        }
    }

    /// The `host-info` interface's view.
    pub(crate) fn host_info(&mut self) -> HostInfoView<'_> {
        HostInfoView {
            graph_root: &self.graph_root,
        }
    }
}

/// The memory limiter of one sandbox: [`StoreLimits`], remembering whether
/// it refused to grow the memory, so that the trap a refused allocation
/// ends in (the guest's allocator aborts) is reported as
/// [`crate::ErrorKind::InsufficientMemory`].
pub struct Limiter {
    limits: StoreLimits,
    refused: bool,
}

impl Limiter {
    /// Whether a growth was refused since the last call to this method.
    pub(crate) fn take_refused(&mut self) -> bool {
        std::mem::take(&mut self.refused)
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let granted = self.limits.memory_growing(current, desired, maximum)?;
        self.refused |= !granted;
        Ok(granted)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.refused = true;
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// The host directory behind a component's directory descriptor, checking
/// that the descriptor allows writing when `write` is set. A handle that
/// is not in the table is a component bug and traps; a file descriptor or a
/// read-only directory is an error the component sees.
pub(crate) fn directory(
    table: &ResourceTable,
    descriptor: &Resource<Descriptor>,
    write: bool,
) -> wasmtime::Result<Result<Arc<File>, ErrorCode>> {
    Ok(match table.get(descriptor)? {
        Descriptor::Dir(dir) if write && dir.perms.write_not_permitted() => {
            Err(ErrorCode::ReadOnly)
        }
        Descriptor::Dir(dir) => Ok(Arc::clone(&dir.dir)),
        Descriptor::File(_) => Err(ErrorCode::NotDirectory),
    })
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
