//! Many tenants in one process: stores registered by tenant ID, opened on
//! demand, and kept live in a bounded set under budgets for live
//! instances, file descriptors and memory.
//!
//! Each tenant is its own [`Store`] (its own sandbox: it sees only the
//! roots of its options). A tenant's instance is started by its first call
//! and stays live until the budgets need room for another tenant: then the
//! least recently used idle tenant is suspended ([`Store::suspend`]: its
//! instance, descriptors and locks are dropped) and its next call starts a
//! new instance transparently (about half a millisecond). A tenant in the
//! middle of a call is never evicted.
//!
//! The budgets are reservations: a live tenant is counted as
//! [`Budgets::fds_per_tenant`] descriptors and its memory cap
//! ([`crate::Limits::memory_bytes`]) of memory, whatever it uses at the
//! moment, so the process can never exceed them.

use crate::error::{Error, ErrorKind};
use crate::options::StoreOptions;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Descriptors reserved per live tenant by default: an open store holds 7
/// (roots, their `vfs-*` directories, lock files), 12 once layers,
/// containers and blobs are used, plus a few while a call runs.
pub const DEFAULT_FDS_PER_TENANT: usize = 16;

/// Limits of the set of live tenant instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Most tenant instances live at once.
    pub live_instances: usize,
    /// Most file descriptors the live tenants may hold together.
    pub fds: usize,
    /// Descriptors counted per live tenant.
    pub fds_per_tenant: usize,
    /// Most memory (sum of the live tenants' memory caps), in bytes.
    pub memory_bytes: u64,
}

impl Budgets {
    /// Budgets that allow `live_instances` live tenants, a descriptor
    /// budget of half the process's limit on open files (raised to its hard
    /// limit) and no memory bound beyond the tenants' own caps.
    pub fn new(live_instances: usize) -> Budgets {
        let limit = crate::fds::raise_limit();
        Budgets {
            live_instances,
            fds: usize::try_from(limit / 2).unwrap_or(usize::MAX),
            fds_per_tenant: DEFAULT_FDS_PER_TENANT,
            memory_bytes: u64::MAX,
        }
    }
}

/// One registered tenant.
struct Tenant {
    options: StoreOptions,
    /// The tenant's store while it is live.
    store: Mutex<Option<Store>>,
    /// When it was last used (a tick of [`Registry::clock`]).
    last_used: AtomicU64,
}

/// What is live and what it costs.
#[derive(Default)]
struct Registry {
    tenants: HashMap<String, Arc<Tenant>>,
    /// Live tenants and the memory each reserves.
    live: HashMap<String, u64>,
    memory_in_use: u64,
}

/// Which budget is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spent {
    Instances,
    Fds,
    Memory,
}

/// Stores of many tenants under common budgets; shareable between threads
/// (calls of different tenants run in parallel, calls of one tenant one at
/// a time).
pub struct Tenants {
    budgets: Budgets,
    registry: Mutex<Registry>,
    clock: AtomicU64,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants")
            .field("budgets", &self.budgets)
            .field("live", &self.live_count())
            .finish_non_exhaustive()
    }
}

impl Tenants {
    /// An empty set of tenants under `budgets`.
    pub fn new(budgets: Budgets) -> Tenants {
        Tenants {
            budgets,
            registry: Mutex::new(Registry::default()),
            clock: AtomicU64::new(0),
        }
    }

    /// The budgets.
    pub fn budgets(&self) -> Budgets {
        self.budgets
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers tenant `id` with its store options (nothing is opened
    /// yet); replaces the options of a tenant not live, and refuses to
    /// replace those of a live one.
    pub fn register(&self, id: impl Into<String>, options: StoreOptions) -> Result<(), Error> {
        let id = id.into();
        let mut registry = self.registry();
        if registry.live.contains_key(&id) {
            return Err(Error::store(
                ErrorKind::InvalidInput,
                format!("tenant {id:?} is live: remove it before registering it again"),
            ));
        }
        let tenant = Tenant {
            options,
            store: Mutex::new(None),
            last_used: AtomicU64::new(0),
        };
        registry.tenants.insert(id, Arc::new(tenant));
        Ok(())
    }

    /// Forgets tenant `id`, closing its store (waits for its running call).
    pub fn remove(&self, id: &str) -> bool {
        let tenant = self.registry().tenants.remove(id);
        let Some(tenant) = tenant else {
            return false;
        };
        let mut store = tenant.store.lock().unwrap_or_else(|e| e.into_inner());
        let mut registry = self.registry();
        if store.take().is_some() {
            registry.release(id);
        }
        true
    }

    /// How many tenants are registered.
    pub fn len(&self) -> usize {
        self.registry().tenants.len()
    }

    /// Whether no tenant is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many tenants have a live store.
    pub fn live_count(&self) -> usize {
        self.registry().live.len()
    }

    /// Runs `operation` on tenant `id`'s store, opening it (and evicting
    /// the least recently used idle tenants to stay within the budgets)
    /// when it is not live. An unknown tenant is
    /// [`ErrorKind::InvalidInput`]; budgets spent by tenants all in the
    /// middle of calls are [`ErrorKind::OutOfDescriptors`] or
    /// [`ErrorKind::InsufficientMemory`].
    pub fn call<T>(
        &self,
        id: &str,
        operation: impl FnOnce(&mut Store) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let tenant = self.registry().tenants.get(id).cloned().ok_or_else(|| {
            Error::store(
                ErrorKind::InvalidInput,
                format!("tenant {id:?} is not registered"),
            )
        })?;
        let mut slot = tenant.store.lock().unwrap_or_else(|e| e.into_inner());
        tenant.last_used.store(
            self.clock.fetch_add(1, Ordering::Relaxed) + 1,
            Ordering::Relaxed,
        );
        if slot.is_none() {
            let memory = tenant.options.limits.memory_bytes as u64;
            self.admit(id, memory)?;
            match Store::open(tenant.options.clone()) {
                Ok(store) => *slot = Some(store),
                Err(error) => {
                    self.registry().release(id);
                    return Err(error);
                }
            }
        }
        operation(slot.as_mut().expect("opened above"))
    }

    /// Reserves room for tenant `id` (holding its own slot lock), evicting
    /// idle tenants least recently used first.
    fn admit(&self, id: &str, memory: u64) -> Result<(), Error> {
        let mut registry = self.registry();
        while let Some(spent) = self.spent(&registry, memory) {
            if !registry.evict_one(id) {
                return Err(self.spent_error(spent, registry.live.len()));
            }
        }
        registry.live.insert(id.to_string(), memory);
        registry.memory_in_use += memory;
        Ok(())
    }

    /// Which budget one more live tenant reserving `memory` would exceed.
    fn spent(&self, registry: &Registry, memory: u64) -> Option<Spent> {
        let live = registry.live.len() + 1;
        if live > self.budgets.live_instances {
            Some(Spent::Instances)
        } else if live.saturating_mul(self.budgets.fds_per_tenant) > self.budgets.fds {
            Some(Spent::Fds)
        } else if registry.memory_in_use.saturating_add(memory) > self.budgets.memory_bytes {
            Some(Spent::Memory)
        } else {
            None
        }
    }

    fn spent_error(&self, spent: Spent, live: usize) -> Error {
        let budgets = self.budgets;
        match spent {
            Spent::Fds => Error::store(
                ErrorKind::OutOfDescriptors,
                format!(
                    "the tenants' descriptor budget of {} ({} per live tenant) is spent: all {live} live tenants are in calls",
                    budgets.fds, budgets.fds_per_tenant
                ),
            ),
            Spent::Memory => Error::store(
                ErrorKind::InsufficientMemory,
                format!(
                    "the tenants' memory budget of {} bytes is spent: all {live} live tenants are in calls",
                    budgets.memory_bytes
                ),
            ),
            Spent::Instances => Error::store(
                ErrorKind::InsufficientMemory,
                format!(
                    "the budget of {} live tenant instances is spent: all are in calls",
                    budgets.live_instances
                ),
            ),
        }
    }
}

impl Registry {
    /// Forgets that tenant `id` is live.
    fn release(&mut self, id: &str) {
        if let Some(memory) = self.live.remove(id) {
            self.memory_in_use -= memory;
        }
    }

    /// Suspends the least recently used live tenant other than `except`
    /// that is not in a call; false when there is none.
    fn evict_one(&mut self, except: &str) -> bool {
        let mut candidates: Vec<(u64, &String)> = self
            .live
            .keys()
            .filter(|id| id.as_str() != except)
            .filter_map(|id| {
                let tenant = self.tenants.get(id)?;
                Some((tenant.last_used.load(Ordering::Relaxed), id))
            })
            .collect();
        candidates.sort_unstable();
        let mut evicted = None;
        for (_, id) in candidates {
            let Some(tenant) = self.tenants.get(id) else {
                continue;
            };
            // A tenant in a call holds its lock: skip it, never wait.
            if let Ok(mut slot) = tenant.store.try_lock() {
                drop(slot.take());
                evicted = Some(id.clone());
                break;
            }
        }
        match evicted {
            Some(id) => {
                self.release(&id);
                true
            }
            None => false,
        }
    }
}
