//! The store: layers, images and containers of one graph root and run root,
//! with containers/storage 1.43's rules and on-disk layout (vfs driver).
//!
//! Every public operation takes the locks it needs in 1.43's order (layers,
//! then images, then containers), reloads whatever another process changed,
//! and saves what it changed before the locks are released.

mod apply;
mod big_data;
mod blobs;
mod check;
mod containers;
mod copy;
mod decoding;
mod dedup;
mod delete;
mod diff;
mod driver_layers;
mod durability;
mod extract;
mod gc;
mod graph;
mod images;
pub(crate) mod intent;
mod layer_store;
mod layers;
mod leases;
mod listing;
mod naming;
mod spool;
mod tree;
mod vfs;

pub use apply::DiffLimits;
pub use check::{
    CheckError, CheckOptions, CheckReport, DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS, Findings,
    Problem, RepairOptions,
};
pub use containers::ContainerOptions;
pub use dedup::DedupHash;
pub use delete::DeletedImage;
pub use durability::SyncMode;
pub use images::{ImageOptions, NewImage};
pub use layer_store::LayerView;
pub use layers::LayerOptions;
pub use listing::{PAGE_BYTES, Page};
pub use naming::NameChange;

use crate::disk::{Dir, Lock, LockGuard};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::id::{ID_RANDOM_BYTES, id_from_random};
use crate::records::{Container, IdMap, Image};
use crate::stores::{Kind, RecordFile};
use layer_store::LayerStore;
use std::rc::Rc;

/// Preopen name of the graph root.
pub const GRAPH_ROOT_PREOPEN: &str = "graph-root";
/// Preopen name of the run root.
pub const RUN_ROOT_PREOPEN: &str = "run-root";
/// Preopen name of the split image store (newer containers/storage).
pub const SPLIT_IMAGE_STORE_PREOPEN: &str = "split-image-store";
/// Preopen name prefix of additional image stores (`image-store-0`, …).
pub const IMAGE_STORE_PREOPEN_PREFIX: &str = "image-store-";

/// The only driver graphstore implements.
pub const VFS_DRIVER: &str = "vfs";

const IMAGES_JSON: &str = "images.json";
const IMAGES_LOCK: &str = "images.lock";
const CONTAINERS_JSON: &str = "containers.json";
const CONTAINERS_LOCK: &str = "containers.lock";
/// A transient store's container records (in `R/vfs-containers`).
const VOLATILE_CONTAINERS_JSON: &str = "volatile-containers.json";
/// The containers record file's companion number of the volatile file.
const VOLATILE_CONTAINERS_COMPANION: usize = 0;
const STORAGE_LOCK: &str = "storage.lock";
const USERNS_LOCK: &str = "userns.lock";
/// The directory of image records and image data (graph and run root).
const IMAGES_DIR: &str = "vfs-images";
/// The directory of container records and container data (graph and run root).
const CONTAINERS_DIR: &str = "vfs-containers";
/// A record's directory for its user's files: `<root>/<store>/<id>/userdata`.
const USERDATA_DIR: &str = "userdata";

/// `<root>/<store_dir>/<id>/userdata`, created on demand.
fn userdata_dir(root: &Dir, store_dir: &str, id: &str) -> Result<Dir> {
    Ok(root
        .ensure_dir(store_dir)?
        .ensure_dir(id)?
        .ensure_dir(USERDATA_DIR)?)
}

/// Graph-root directories 1.43 creates at store open (unused by vfs).
const GRAPH_ROOT_AUX_DIRS: [&str; 2] = ["mounts", "tmp"];

/// The directories a store works in, handed to it by whoever opens it
/// (the component glue from its preopens, a native caller from paths).
pub struct StoreRoots {
    /// The graph root (`G`).
    pub graph: Dir,
    /// The run root (`R`).
    pub run: Dir,
    /// The split image store (newer containers/storage's `--image-store`).
    pub split_image_store: Option<Dir>,
    /// Additional read-only image stores, in `options.image_stores` order.
    pub image_stores: Vec<Dir>,
}

/// How a store is opened (see the WIT `store-options`).
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Path of the graph root (`G`, 1.43's `GraphRoot`), as `status` reports it.
    pub graph_root: String,
    /// Path of the run root (`R`, 1.43's `RunRoot`), as `status` reports it.
    pub run_root: String,
    /// Storage driver name; only `vfs` is supported.
    pub driver_name: String,
    /// Driver options as given (`GraphDriverOptions`), reported by `status`.
    pub driver_options: Vec<String>,
    /// Paths of additional read-only image stores, in lookup order.
    pub image_stores: Vec<String>,
    /// Default UID mapping of new layers that neither inherit nor give one.
    pub uid_map: Vec<IdMap>,
    /// Default GID mapping of new layers that neither inherit nor give one.
    pub gid_map: Vec<IdMap>,
    /// Open the store read-only: every write fails with [`ErrorKind::ReadOnly`].
    pub read_only: bool,
    /// Limits on what one applied layer diff may expand to.
    pub diff_limits: DiffLimits,
    /// Transient store (newer containers/storage): container records and
    /// the containers lock in the run root, saved without syncing.
    pub transient_store: bool,
    /// Path of the split image store (newer containers/storage), if any.
    pub image_store: Option<String>,
}

impl StoreOptions {
    /// Checks that the options name both roots.
    pub fn check(&self) -> Result<()> {
        if self.graph_root.is_empty() || self.run_root.is_empty() {
            return Err(StoreError::new(ErrorKind::IncompleteOptions));
        }
        Ok(())
    }
}

/// An image and what 1.43 computes about it but does not persist.
#[derive(Debug, Clone)]
pub struct ImageView {
    /// The image's `images.json` record.
    pub record: Image,
    /// `digest` followed by the digests of manifest items.
    pub digests: Vec<String>,
    /// From an additional read-only store.
    pub read_only: bool,
}

/// Which access an operation needs to one record file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Access {
    None,
    Read,
    Write,
}

/// Locks held for one operation; released when dropped.
struct Held {
    _guards: Vec<LockGuard>,
}

/// An open store.
pub struct Store {
    options: StoreOptions,
    graph: Dir,
    run: Dir,
    /// The split image store's root (newer containers/storage), if any.
    split_image_store: Option<Dir>,
    /// Roots of the additional image stores.
    image_roots: Vec<Dir>,
    storage_lock: Rc<Lock>,
    /// The `sync` driver option.
    sync: SyncMode,
    /// Opened on first use, as 1.43 does (so `images` never creates layer dirs).
    layer_store: Option<LayerStore>,
    images: RecordFile<Image>,
    containers: RecordFile<Container>,
    additional_images: Vec<RecordFile<Image>>,
}

impl Store {
    /// What was cleaned up after a crash: incomplete layers and temporary
    /// files (opening the layer store and sweeping the blob directories).
    pub fn recovery_report(&mut self) -> Result<Vec<String>> {
        let mut report = if self.options.read_only {
            Vec::new()
        } else {
            self.layers()?.take_recovered()
        };
        report.extend(self.sweep_blob_temporaries()?);
        Ok(report)
    }
}

impl Store {
    /// Opens the store in `roots`: creates the standard directories and
    /// lock files of the graph root and run root, and checks the driver.
    pub fn from_dirs(roots: StoreRoots, options: StoreOptions) -> Result<Store> {
        options.check()?;
        let StoreRoots {
            graph,
            run,
            split_image_store,
            image_stores,
        } = roots;
        if options.driver_name != VFS_DRIVER {
            return Err(StoreError::with_context(
                ErrorKind::DriverNotSupported,
                format_args!(
                    "failed to GetDriver graph {} {}",
                    options.driver_name, options.graph_root
                ),
            ));
        }
        if options.image_store.is_some() != split_image_store.is_some() {
            return Err(StoreError::invalid(
                "the split image store's directory must be given with its path",
            ));
        }
        if let Some(path) = options
            .image_store
            .as_deref()
            .filter(|p| *p == options.graph_root)
        {
            // Upstream's rule; hosts compare the directories themselves.
            return Err(StoreError::invalid(format!(
                "imagestore {path} must either be not set or be different than graphroot"
            )));
        }
        let read_only = options.read_only;
        let sync = SyncMode::from_driver_options(&options.driver_options)?;
        let graph = match sync {
            SyncMode::Filesystem if !Dir::can_sync_filesystem() => {
                return Err(StoreError::invalid(
                    "invalid sync mode for vfs driver: \"filesystem\" needs syncfs, which this component cannot call (WASI has none)",
                ));
            }
            SyncMode::Filesystem => graph.durable(),
            SyncMode::None => graph,
        };
        if !read_only {
            for name in GRAPH_ROOT_AUX_DIRS {
                graph.ensure_dir(name)?;
            }
            graph.ensure_dir(VFS_DRIVER)?;
        }
        let storage_lock = Lock::open(&graph, STORAGE_LOCK, read_only)?;
        if !read_only {
            Lock::open(&graph, USERNS_LOCK, false)?;
        }
        // With a split image store (newer containers/storage) images live
        // there; the graph root's are read as an additional store.
        if let (Some(root), false) = (&split_image_store, read_only) {
            root.ensure_dir(VFS_DRIVER)?;
        }
        let images_root = split_image_store.as_ref().unwrap_or(&graph);
        let images_dir = open_store_dir(images_root, IMAGES_DIR, read_only)?;
        let images =
            RecordFile::open(images_dir, IMAGES_JSON, IMAGES_LOCK, Kind::Image, read_only)?;
        let containers_dir = open_store_dir(&graph, CONTAINERS_DIR, read_only)?;
        let containers = if options.transient_store {
            let run_containers_dir = open_store_dir(&run, CONTAINERS_DIR, read_only)?;
            // Upstream's transient layout: the lock and the volatile
            // records in the run root; `containers.json` (containers made
            // without the option) and the data directories stay in the
            // graph root.
            RecordFile::open_with_lock(
                containers_dir,
                CONTAINERS_JSON,
                Some(run_containers_dir.reopen()?),
                CONTAINERS_LOCK,
                Kind::Container,
                read_only,
            )?
            .with_companion(run_containers_dir, VOLATILE_CONTAINERS_JSON, false)
        } else {
            RecordFile::open(
                containers_dir,
                CONTAINERS_JSON,
                CONTAINERS_LOCK,
                Kind::Container,
                read_only,
            )?
        };
        if !read_only {
            run.ensure_dir(CONTAINERS_DIR)?;
            run.ensure_dir(&format!("{VFS_DRIVER}-locks"))?;
        }
        let mut additional_images = Vec::new();
        let graph_images = split_image_store.as_ref().map(|_| &graph);
        for root in graph_images.into_iter().chain(&image_stores) {
            if let Some(dir) = root.open_dir(&format!("{VFS_DRIVER}-images"))? {
                additional_images.push(RecordFile::open(
                    dir,
                    IMAGES_JSON,
                    IMAGES_LOCK,
                    Kind::Image,
                    true,
                )?);
            }
        }
        let mut store = Store {
            options,
            graph,
            run,
            split_image_store,
            image_roots: image_stores,
            storage_lock,
            sync,
            layer_store: None,
            images,
            containers,
            additional_images,
        };
        if !read_only {
            store.images.remove_stale_temporary()?;
            store.containers.remove_stale_temporary()?;
        }
        if !read_only && store.graph.entry_kind(intent::INTENT_FILE)?.is_some() {
            // A compound operation was interrupted (or is running in
            // another process: holding its locks waits for it to finish).
            store.hold_for_compound_operation()?;
        }
        Ok(store)
    }

    /// Opens a store natively (no sandbox: the roots are opened by path,
    /// created unless read-only; everything beneath them is reached as in
    /// the component).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_native(options: StoreOptions) -> Result<Store> {
        use std::path::Path;
        options.check()?;
        let create = !options.read_only;
        let roots = StoreRoots {
            graph: crate::disk::open_native(Path::new(&options.graph_root), create)?,
            run: crate::disk::open_native(Path::new(&options.run_root), create)?,
            split_image_store: options
                .image_store
                .as_ref()
                .map(|path| crate::disk::open_native(Path::new(path), create))
                .transpose()?,
            image_stores: options
                .image_stores
                .iter()
                .map(|path| crate::disk::open_native(Path::new(path), false))
                .collect::<Result<Vec<_>, _>>()?,
        };
        Store::from_dirs(roots, options)
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    fn check_writable(&self) -> Result<()> {
        if self.options.read_only {
            return Err(StoreError::with_context(
                ErrorKind::ReadOnly,
                "the store was opened read-only",
            ));
        }
        Ok(())
    }

    /// The layer store, opened (and its directories created) on first use.
    fn layers(&mut self) -> Result<&mut LayerStore> {
        if self.layer_store.is_none() {
            let mut layer_store = {
                let _storage = self.storage_lock.shared()?;
                LayerStore::open(
                    &self.graph,
                    &self.run,
                    self.split_image_store.as_ref(),
                    &self.image_roots,
                    &self.options,
                )?
            };
            // `storage.lock` is released before queueing for `layers.lock`:
            // 1.43 takes `storage.lock` exclusively at the start of every
            // operation, and shared holders that wait here for another
            // writer's `layers.lock` would keep it from ever getting a turn.
            if !self.options.read_only {
                layer_store.recover()?;
            }
            self.layer_store = Some(layer_store);
        }
        Ok(self.layer_store.as_mut().expect("initialised above"))
    }

    /// Takes locks in 1.43's order (layers, images, containers; additional
    /// stores shared) and reloads what changed.
    fn hold(&mut self, layers: Access, images: Access, containers: Access) -> Result<Held> {
        let mut guards = Vec::new();
        if layers != Access::None {
            let layer_store = self.layers()?;
            guards.extend(layer_store.lock(layers == Access::Write)?);
        }
        if images != Access::None {
            guards.push(match images {
                Access::Write => self.images.write_lock()?,
                _ => self.images.read_lock()?,
            });
            for store in &mut self.additional_images {
                guards.push(store.read_lock()?);
            }
        }
        if containers != Access::None {
            guards.push(match containers {
                Access::Write => self.containers.write_lock()?,
                _ => self.containers.read_lock()?,
            });
        }
        Ok(Held { _guards: guards })
    }

    /// With `sync = "filesystem"`, writes what a layer's contents left dirty
    /// to the device before the record that marks the layer present.
    fn sync_before_publishing(&self) -> Result<()> {
        if self.sync == SyncMode::Filesystem {
            self.graph.sync_filesystem()?;
        }
        Ok(())
    }

    /// Takes all three locks exclusively, as every compound operation does
    /// (see [`intent`]), and finishes whatever a dead writer left.
    fn hold_for_compound_operation(&mut self) -> Result<Held> {
        let held = self.hold(Access::Write, Access::Write, Access::Write)?;
        self.resolve_intent()?;
        Ok(held)
    }

    /// Status pairs as 1.43 reports them, then, for a build whose disk
    /// profile is not the full one, the profile and what it lacks.
    pub fn status(&mut self) -> Result<Vec<(String, String)>> {
        let mut pairs = vec![
            ("Root".into(), self.options.graph_root.clone()),
            ("Run Root".into(), self.options.run_root.clone()),
            ("Driver Name".into(), self.options.driver_name.clone()),
            (
                "Driver Options".into(),
                format!("[{}]", self.options.driver_options.join(" ")),
            ),
        ];
        pairs.extend(crate::disk::PROFILE.status_rows());
        Ok(pairs)
    }

    /// Version pairs (1.43 reports none).
    pub fn version(&self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Opens (creating unless read-only) a per-kind store directory of the graph root.
fn open_store_dir(graph: &Dir, name: &str, read_only: bool) -> Result<Dir> {
    if read_only {
        graph.open_dir(name)?.ok_or_else(|| {
            StoreError::io(format!(
                "{}: no such file or directory",
                graph.child_path(name)
            ))
        })
    } else {
        Ok(graph.ensure_dir(name)?)
    }
}

/// A reference or requested ID as 1.43 reads it: the empty string names
/// nothing (`create-layer ""` makes a base layer, `create-image ""` an
/// image without a top layer, an empty ID a random one).
fn given(reference: Option<&str>) -> Option<&str> {
    reference.filter(|reference| !reference.is_empty())
}

/// The ID of a new record: `requested` (checked to be usable, and free
/// per `taken`; else the error `duplicate` words) or a fresh random one.
fn assign_id(
    requested: Option<&str>,
    taken: impl Fn(&str) -> bool,
    duplicate: impl FnOnce(&str) -> StoreError,
) -> Result<String> {
    match given(requested) {
        Some(id) => {
            check_user_id(id)?;
            if taken(id) {
                return Err(duplicate(id));
            }
            Ok(id.to_string())
        }
        None => Ok(new_id(taken)),
    }
}

/// A fresh random ID for which `taken` is false.
fn new_id(taken: impl Fn(&str) -> bool) -> String {
    loop {
        if let Some(id) = id_from_random(&crate::platform::random_bytes::<ID_RANDOM_BYTES>())
            && !taken(&id)
        {
            return id;
        }
    }
}

/// Decimal digits of the random suffix of a temporary file name (a `u32`).
const TEMP_SUFFIX_DIGITS: usize = 10;

/// Longest caller-supplied ID: every file name derived from an ID must fit
/// in the file system's 255-byte name limit, the longest being the
/// temporary file an atomic write of the tar-split goes through
/// (`.tmp-<id>.tar-split.gz<u32>`).
pub const MAX_ID_LEN: usize =
    255 - crate::disk::TEMP_PREFIX.len() - layer_store::TAR_SPLIT_SUFFIX.len() - TEMP_SUFFIX_DIGITS;

/// File names the store keeps next to the per-ID directories (1.43's
/// layout puts `<id>/` beside them): an ID equal to one would alias it.
const RESERVED_IDS: [&str; 12] = [
    IMAGES_JSON,
    IMAGES_LOCK,
    CONTAINERS_JSON,
    CONTAINERS_LOCK,
    VOLATILE_CONTAINERS_JSON,
    layer_store::VOLATILE_LAYERS_JSON,
    layer_store::LAYERS_JSON,
    layer_store::LAYERS_LOCK,
    layer_store::MOUNTPOINTS_JSON,
    layer_store::MOUNTPOINTS_LOCK,
    STORAGE_LOCK,
    USERNS_LOCK,
];

/// Whether `id` would name one of the store's own files rather than a
/// record's directory (checked for new IDs and for IDs read from disk).
pub(crate) fn names_own_file(id: &str) -> bool {
    RESERVED_IDS.contains(&id)
        || id.ends_with(layer_store::TAR_SPLIT_SUFFIX)
        || id.starts_with(crate::disk::TEMP_PREFIX)
}

/// Checks a caller-supplied ID: 1.43 accepts any string, but an ID names
/// files and directories, so it must be one safe path component that fits
/// in a file name and names none of the store's own files (record files,
/// locks, `<id>.tar-split.gz`, temporary files).
fn check_user_id(id: &str) -> Result<()> {
    if crate::disk::check_component(id).is_err() || id.len() > MAX_ID_LEN {
        return Err(StoreError::invalid(format!(
            "invalid ID {id:?}: an ID must be 1 to {MAX_ID_LEN} bytes, contain no '/' or NUL, and not be '.' or '..'"
        )));
    }
    if names_own_file(id) {
        return Err(StoreError::invalid(format!(
            "invalid ID {id:?}: it names one of the store's own files"
        )));
    }
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
