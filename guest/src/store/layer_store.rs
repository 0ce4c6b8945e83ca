//! The layer store: `layers.json` (graph root), the mount table
//! `mountpoints.json` (run root), additional read-only layer stores and the
//! vfs driver that holds the trees.

use super::vfs::Vfs;
use super::{StoreOptions, VFS_DRIVER};
use crate::disk::{Dir, EntryKind, Lock, LockGuard};
use crate::error::{ErrorKind, Result, StoreError};
use crate::format::go_json;
use crate::records::{Layer, Record as _};
use crate::stores::{Kind, RecordFile};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::rc::Rc;

pub(super) const LAYERS_JSON: &str = "layers.json";
pub(super) const LAYERS_LOCK: &str = "layers.lock";
pub(super) const MOUNTPOINTS_JSON: &str = "mountpoints.json";
/// A transient store's container layer records (in `R/vfs-layers`).
pub(super) const VOLATILE_LAYERS_JSON: &str = "volatile-layers.json";
pub(super) const MOUNTPOINTS_LOCK: &str = "mountpoints.lock";
/// Flag marking a layer whose creation or deletion has not finished.
pub const INCOMPLETE_FLAG: &str = "incomplete";
/// Suffix of the tar-split file beside `layers.json`.
pub const TAR_SPLIT_SUFFIX: &str = ".tar-split.gz";

/// A layer plus what the store knows about it besides its record.
#[derive(Debug, Clone)]
pub struct LayerView {
    /// The layer's `layers.json` record.
    pub record: Layer,
    /// Where the layer is mounted (from `mountpoints.json`); empty when not mounted.
    pub mount_point: String,
    /// How many times the layer is mounted (from `mountpoints.json`).
    pub mount_count: i32,
    /// From an additional read-only store.
    pub read_only: bool,
}

/// One entry of `mountpoints.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MountRecord {
    id: String,
    path: String,
    count: i32,
}

/// Where and how often a layer is mounted.
#[derive(Debug, Clone, Default)]
pub struct Mount {
    pub path: String,
    pub count: i32,
}

/// Layers of the primary store and of the additional read-only stores.
pub struct LayerStore {
    pub file: RecordFile<Layer>,
    /// `R/vfs-layers`.
    run_dir: Dir,
    mounts_lock: Rc<Lock>,
    pub mounts: HashMap<String, Mount>,
    pub additional: Vec<RecordFile<Layer>>,
    pub vfs: Vfs,
    /// Counts loads and saves of the mount records (for [`Self::version`]).
    mounts_generation: u64,
    /// Layers removed at open because a crash left them incomplete.
    recovered: Vec<String>,
    /// A split image store's `layers.lock`, locked after `layers.lock`
    /// (upstream locks both).
    image_store_lock: Option<Rc<Lock>>,
    /// The companion file of read-only layers' records, with a split image
    /// store (`IS/vfs-layers/layers.json`).
    pub image_store_records: Option<usize>,
    /// The companion file of volatile layers' records, in a transient
    /// store (`R/vfs-layers/volatile-layers.json`).
    pub volatile_records: Option<usize>,
}

impl LayerStore {
    /// Opens the layer store, creating its directories (a writable store is
    /// then [`recover`](Self::recover)ed by the caller).
    pub fn open(
        graph: &Dir,
        run: &Dir,
        split_image_store: Option<&Dir>,
        image_stores: &[Dir],
        options: &StoreOptions,
    ) -> Result<LayerStore> {
        let read_only = options.read_only;
        let layers_dir_name = format!("{VFS_DRIVER}-layers");
        let (layers_dir, run_dir) = if read_only {
            let missing = |dir: &Dir| {
                StoreError::io(format!(
                    "{}: no such file or directory",
                    dir.child_path(&layers_dir_name)
                ))
            };
            (
                graph
                    .open_dir(&layers_dir_name)?
                    .ok_or_else(|| missing(graph))?,
                run.open_dir(&layers_dir_name)?
                    .ok_or_else(|| missing(run))?,
            )
        } else {
            (
                graph.ensure_dir(&layers_dir_name)?,
                run.ensure_dir(&layers_dir_name)?,
            )
        };
        let mut file =
            RecordFile::open(layers_dir, LAYERS_JSON, LAYERS_LOCK, Kind::Layer, read_only)?
                .track_mtime();
        // Upstream's record locations, in its load order: layers.json,
        // the split image store's, the volatile one.
        let mut companions = 0;
        let mut image_store_lock = None;
        let mut image_store_records = None;
        let mut image_store_trees = None;
        if let Some(root) = split_image_store {
            let dir = open_or_create(root, &layers_dir_name, read_only)?;
            image_store_lock = Some(Lock::open(&dir, LAYERS_LOCK, read_only)?);
            file = file.with_companion(dir, LAYERS_JSON, true);
            image_store_records = Some(companions);
            companions += 1;
            image_store_trees = Some(open_or_create(root, VFS_DRIVER, read_only)?);
        }
        let mut volatile_records = None;
        if options.transient_store {
            // Container layers' records, in the run root.
            file = file.with_companion(run_dir.reopen()?, VOLATILE_LAYERS_JSON, false);
            volatile_records = Some(companions);
        }
        let mounts_lock = Lock::open(&run_dir, MOUNTPOINTS_LOCK, read_only)?;
        let mut additional = Vec::new();
        let mut additional_trees = Vec::new();
        for root in image_stores {
            if let Some(dir) = root.open_dir(&layers_dir_name)? {
                additional.push(RecordFile::open(
                    dir,
                    LAYERS_JSON,
                    LAYERS_LOCK,
                    Kind::Layer,
                    true,
                )?);
            }
            if let Some(trees) = root
                .open_dir(VFS_DRIVER)?
                .map(|d| d.open_dir("dir"))
                .transpose()?
                .flatten()
            {
                additional_trees.push(trees);
            }
        }
        let driver_dir = if read_only {
            graph.open_dir(VFS_DRIVER)?.ok_or_else(|| {
                StoreError::io(format!(
                    "{}: no such file or directory",
                    graph.child_path(VFS_DRIVER)
                ))
            })?
        } else {
            graph.ensure_dir(VFS_DRIVER)?
        };
        let store = LayerStore {
            file,
            run_dir,
            mounts_lock,
            mounts: HashMap::new(),
            additional,
            vfs: Vfs::new(driver_dir, image_store_trees, additional_trees),
            mounts_generation: 0,
            recovered: Vec::new(),
            image_store_lock,
            image_store_records,
            volatile_records,
        };
        Ok(store)
    }

    /// 1.43's first load of a writable store: drops layers left incomplete
    /// by a crash and temporary files an interrupted writer left behind.
    /// Takes `layers.lock` itself; callers must not hold `storage.lock`
    /// while it waits (see [`crate::store::Store`]'s lock order).
    pub fn recover(&mut self) -> Result<()> {
        let _guards = self.lock(true)?;
        self.remove_incomplete()?;
        self.remove_temporaries()?;
        self.run_dir.remove_stale_temporary(MOUNTPOINTS_JSON)?;
        Ok(())
    }

    /// Locks `layers.lock` and `mountpoints.lock` (and the additional stores,
    /// shared), reloading what changed.
    pub fn lock(&mut self, exclusive: bool) -> Result<Vec<LockGuard>> {
        let mut guards = vec![if exclusive {
            self.file.write_lock()?
        } else {
            self.file.read_lock()?
        }];
        if let Some(lock) = &self.image_store_lock {
            guards.push(if exclusive {
                lock.exclusive()?
            } else {
                lock.shared()?
            });
            // Another store on the same image store wrote its records.
            if lock.modified()? {
                self.file.reload(exclusive)?;
            }
        }
        guards.push(if exclusive {
            self.mounts_lock.exclusive()?
        } else {
            self.mounts_lock.shared()?
        });
        if self.mounts_lock.modified()? {
            self.load_mounts()?;
        }
        for store in &mut self.additional {
            guards.push(store.read_lock()?);
        }
        Ok(guards)
    }

    fn load_mounts(&mut self) -> Result<()> {
        let bytes = self
            .run_dir
            .read_file(MOUNTPOINTS_JSON)?
            .unwrap_or_default();
        let records: Vec<MountRecord> = if bytes.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            go_json::from_slice::<Option<Vec<MountRecord>>>(&bytes)
                .map_err(|err| {
                    StoreError::corrupt(format!(
                        "{}: {err}",
                        self.run_dir.child_path(MOUNTPOINTS_JSON)
                    ))
                })?
                .unwrap_or_default()
        };
        self.mounts.clear();
        self.mounts_generation += 1;
        for record in records {
            if record.path.is_empty() {
                continue;
            }
            if let Some(position) = self.file.resolve(&record.id) {
                let id = self.file.at(position).id.clone();
                self.mounts.insert(
                    id,
                    Mount {
                        path: record.path,
                        count: record.count,
                    },
                );
            }
        }
        Ok(())
    }

    /// Saves `layers.json` and `mountpoints.json` (1.43 rewrites both on
    /// every layer-store save).
    pub fn save(&mut self) -> Result<()> {
        self.mounts_generation += 1;
        self.file.save()?;
        if let Some(lock) = &self.image_store_lock {
            lock.touch()?;
        }
        let mounted: Vec<MountRecord> = self
            .file
            .records()
            .iter()
            .filter_map(|layer| {
                let mount = self.mounts.get(&layer.id)?;
                (mount.count > 0 && !mount.path.is_empty()).then(|| MountRecord {
                    id: layer.id.clone(),
                    path: mount.path.clone(),
                    count: mount.count,
                })
            })
            .collect();
        self.run_dir
            .write_file_atomic_locked(MOUNTPOINTS_JSON, &go_json::to_vec(&mounted))?;
        Ok(self.mounts_lock.touch()?)
    }

    /// Marks `layers.lock` (both, with a split image store) as written
    /// (other processes reload).
    pub fn touch(&self) -> Result<()> {
        if let Some(lock) = &self.image_store_lock {
            lock.touch()?;
        }
        self.file.touch()
    }

    /// Deletes layers flagged incomplete (left by an interrupted create or delete).
    fn remove_incomplete(&mut self) -> Result<()> {
        let incomplete: Vec<String> = self
            .file
            .records()
            .iter()
            .filter(|layer| {
                layer.flags.get(INCOMPLETE_FLAG) == Some(&serde_json::Value::Bool(true))
            })
            .map(|layer| layer.id.clone())
            .collect();
        for id in incomplete {
            // A layer that cannot be cleaned must not make the store
            // unusable: report it and go on (the next open tries again).
            match self.delete(&id) {
                Ok(()) => self
                    .recovered
                    .push(format!("Found incomplete layer {id:?}, deleting it")),
                Err(err) => self.recovered.push(format!(
                    "Found incomplete layer {id:?}, could not delete it: {err}"
                )),
            }
        }
        Ok(())
    }

    /// Removes temporary files a killed writer left in `vfs-layers`
    /// (`.tmp-<id>.tar-split.gz…`, `.tmp-layers.json…`): every writer of
    /// one holds the layers lock, which the caller holds exclusively.
    fn remove_temporaries(&mut self) -> Result<()> {
        let dir = self.file.dir();
        for (name, kind) in dir.entries()? {
            if name.starts_with(crate::disk::TEMP_PREFIX) && kind != EntryKind::Directory {
                dir.remove_file(&name)?;
                self.recovered
                    .push(format!("removed temporary file {}", dir.child_path(&name)));
            }
        }
        Ok(())
    }

    /// The recovery lines gathered so far (and forgets them).
    pub fn take_recovered(&mut self) -> Vec<String> {
        std::mem::take(&mut self.recovered)
    }

    /// How many layers [`Self::all`] lists.
    pub fn total(&self) -> usize {
        self.file.len() + self.additional.iter().map(RecordFile::len).sum::<usize>()
    }

    /// Changes whenever anything [`Self::all`] lists may have changed.
    pub fn version(&self) -> u64 {
        self.file.generation()
            + self.mounts_generation
            + self
                .additional
                .iter()
                .map(RecordFile::generation)
                .sum::<u64>()
    }

    /// The layer at `index` of [`Self::all`]'s order, with its reply size.
    pub fn view_at(&self, index: usize) -> Option<(LayerView, usize)> {
        if index < self.file.len() {
            let view = self.view(index);
            let size = view.record.reply_size() + view.mount_point.len();
            return Some((view, size));
        }
        let mut index = index - self.file.len();
        for store in &self.additional {
            if index < store.len() {
                let record = store.at(index).clone();
                let size = record.reply_size();
                return Some((
                    LayerView {
                        record,
                        mount_point: String::new(),
                        mount_count: 0,
                        read_only: true,
                    },
                    size,
                ));
            }
            index -= store.len();
        }
        None
    }

    /// A view of the record at `position` of the primary store.
    pub fn view(&self, position: usize) -> LayerView {
        let record = self.file.at(position).clone();
        let mount = self.mounts.get(&record.id).cloned().unwrap_or_default();
        LayerView {
            record,
            mount_point: mount.path,
            mount_count: mount.count,
            read_only: false,
        }
    }

    /// Position and ID of the primary-store layer `reference` names;
    /// `layer-unknown` when there is none.
    pub fn resolve_primary(&self, reference: &str) -> Result<(usize, String)> {
        let position = self
            .file
            .resolve(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        Ok((position, self.file.at(position).id.clone()))
    }

    /// Finds a layer: the primary store, then the additional stores.
    pub fn find(&self, reference: &str) -> Option<LayerView> {
        if let Some(position) = self.file.resolve(reference) {
            return Some(self.view(position));
        }
        self.additional.iter().find_map(|store| {
            store.get(reference).map(|record| LayerView {
                record: record.clone(),
                mount_point: String::new(),
                mount_count: 0,
                read_only: true,
            })
        })
    }

    /// Every layer: primary store first, then additional stores.
    pub fn all(&self) -> Vec<LayerView> {
        let primary = (0..self.file.records().len()).map(|position| self.view(position));
        let additional = self.additional.iter().flat_map(|store| {
            store.records().iter().map(|record| LayerView {
                record: record.clone(),
                mount_point: String::new(),
                mount_count: 0,
                read_only: true,
            })
        });
        primary.chain(additional).collect()
    }

    /// Deletes a primary-store layer with no safety checks (1.43's
    /// `layerStore.Delete`): unmount, mark incomplete, remove the tree,
    /// tar-split and data directory, drop the record.
    pub fn delete(&mut self, id: &str) -> Result<()> {
        let position = self
            .file
            .position_of_id(id)
            .ok_or_else(|| StoreError::new(crate::error::ErrorKind::LayerUnknown))?;
        self.mounts.remove(id);
        let incomplete = serde_json::Value::Bool(true);
        let marked = self.file.update(position, |record| {
            let already = record.flags.get(INCOMPLETE_FLAG) == Some(&incomplete);
            record
                .flags
                .insert(INCOMPLETE_FLAG.into(), incomplete.clone());
            !already
        });
        if marked {
            self.save()?;
        }
        self.vfs.remove(id)?;
        let dir = self.file.dir();
        dir.remove_file(&format!("{id}{TAR_SPLIT_SUFFIX}"))?;
        dir.remove_tree(id)?;
        self.file.remove(position);
        self.save()
    }

    /// Opens the tar-split file of layer `id` beside the record file that
    /// holds the layer (the primary store's, else an additional store's);
    /// `None` when there is none.
    pub fn open_tar_split(&self, id: &str) -> Result<Option<crate::disk::FileReader>> {
        let name = format!("{id}{TAR_SPLIT_SUFFIX}");
        let home = if self.file.position_of_id(id).is_some() {
            Some(&self.file)
        } else {
            self.additional
                .iter()
                .find(|store| store.position_of_id(id).is_some())
        };
        match home {
            Some(store) => Ok(store.dir().open_reader(&name)?),
            None => Ok(None),
        }
    }

    /// IDs of the layers whose parent is `id` (primary store).
    pub fn children_of(&self, id: &str) -> Vec<String> {
        self.file
            .records()
            .iter()
            .filter(|l| l.parent == id)
            .map(|l| l.id.clone())
            .collect()
    }
}

/// Opens directory `name` of `root`, created unless `read_only` (then a
/// missing one is an error naming it).
fn open_or_create(root: &Dir, name: &str, read_only: bool) -> Result<Dir> {
    if read_only {
        root.open_dir(name)?.ok_or_else(|| {
            StoreError::io(format!(
                "{}: no such file or directory",
                root.child_path(name)
            ))
        })
    } else {
        Ok(root.ensure_dir(name)?)
    }
}
