//! Layer operations of the store: create, look up, list, mount counting.

use super::layer_store::{INCOMPLETE_FLAG, LayerView, TAR_SPLIT_SUFFIX};
use super::vfs::IdShift;
use super::{Access, Store, assign_id};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::names;
use crate::records::{IdMap, Layer};

/// Options for a new layer (see the WIT `layer-options`).
#[derive(Debug, Clone, Default)]
pub struct LayerOptions {
    /// SELinux label to mount the layer with (the record's `mountlabel`).
    pub mount_label: String,
    /// Explicit UID mapping; none inherits the parent's, else the store's default.
    pub uid_map: Option<Vec<IdMap>>,
    /// Explicit GID mapping; none inherits the parent's, else the store's default.
    pub gid_map: Option<Vec<IdMap>>,
    /// Use no UID mapping, ignoring `uid_map` and any inherited one.
    pub host_uid_mapping: bool,
    /// Use no GID mapping, ignoring `gid_map` and any inherited one.
    pub host_gid_mapping: bool,
    /// Ask for a read-only layer (1.43's `writeable: false`); the store does not use it yet.
    pub read_only: bool,
    /// Keep the record in the volatile layer file (a transient store's
    /// container layers, as newer containers/storage).
    pub volatile: bool,
}

impl Store {
    /// Creates a layer: empty, or a copy of `parent`'s tree.
    pub fn create_layer(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        names: Vec<String>,
        options: &LayerOptions,
    ) -> Result<LayerView> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        self.create_layer_locked(id, parent, names, options)
    }

    /// `create_layer` with the layer store locked for writing and the
    /// container store locked for reading.
    pub(super) fn create_layer_locked(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        names: Vec<String>,
        options: &LayerOptions,
    ) -> Result<LayerView> {
        let id = self.begin_layer(id, parent, names, options, None)?;
        self.finish_layer(&id)
    }

    /// Adds a layer record flagged incomplete and creates its tree (empty,
    /// or a copy of the parent's, or of `template`'s with its digests, sizes
    /// and tar-split — 1.43's ID-mapped copies of image top layers); owners
    /// move to the new layer's ID maps. Returns the new ID. A crash before
    /// `finish_layer` leaves a record the next open removes.
    pub(super) fn begin_layer(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        names: Vec<String>,
        options: &LayerOptions,
        template: Option<&Layer>,
    ) -> Result<String> {
        let parent_layer = match super::given(parent) {
            Some(reference) => {
                let layer = self
                    .layers()?
                    .find(reference)
                    .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
                if self
                    .containers
                    .records()
                    .iter()
                    .any(|c| c.layer_id == layer.record.id)
                {
                    return Err(StoreError::new(ErrorKind::ParentIsContainer));
                }
                Some(layer.record)
            }
            None => None,
        };
        let inherit = |explicit: &Option<Vec<IdMap>>,
                       host: bool,
                       parent_map: Option<&Vec<IdMap>>,
                       default: &Vec<IdMap>| {
            if host {
                Vec::new()
            } else if let Some(map) = explicit {
                map.clone()
            } else {
                parent_map.cloned().unwrap_or_else(|| default.clone())
            }
        };
        let uid_map = inherit(
            &options.uid_map,
            options.host_uid_mapping,
            parent_layer.as_ref().map(|p| &p.uid_map),
            &self.options.uid_map,
        );
        let gid_map = inherit(
            &options.gid_map,
            options.host_gid_mapping,
            parent_layer.as_ref().map(|p| &p.gid_map),
            &self.options.gid_map,
        );

        let contents_from = template.or(parent_layer.as_ref());
        let shift = IdShift {
            from: contents_from.map_or_else(
                || (uid_map.clone(), gid_map.clone()),
                |l| (l.uid_map.clone(), l.gid_map.clone()),
            ),
            to: (uid_map.clone(), gid_map.clone()),
        };
        let source = contents_from.map(|l| l.id.clone());

        let layers = self.layers()?;
        let id = assign_id(
            id,
            |candidate| layers.file.position_of_id(candidate).is_some(),
            |_| StoreError::new(ErrorKind::DuplicateId),
        )?;
        let names = names::dedup(names);
        if names
            .iter()
            .any(|name| layers.file.position_of_name(name).is_some())
        {
            return Err(StoreError::new(ErrorKind::DuplicateName));
        }
        let mut record = Layer {
            id: id.clone(),
            names,
            parent: parent_layer.map(|p| p.id).unwrap_or_default(),
            mount_label: options.mount_label.clone(),
            created: crate::platform::now(),
            uid_map,
            gid_map,
            ..Layer::default()
        };
        if let Some(template) = template {
            record.compressed_digest = template.compressed_digest.clone();
            record.compressed_size = template.compressed_size;
            record.uncompressed_digest = template.uncompressed_digest.clone();
            record.uncompressed_size = template.uncompressed_size;
            record.compression = template.compression;
            record.uid_set = template.uid_set.clone();
            record.gid_set = template.gid_set.clone();
        }
        record
            .flags
            .insert(INCOMPLETE_FLAG.into(), serde_json::Value::Bool(true));
        // Upstream's record locations: volatile layers in the volatile
        // file, read-only ones in a split image store's, the rest in
        // `layers.json`.
        let companion = if options.volatile {
            layers.volatile_records
        } else if options.read_only {
            layers.image_store_records
        } else {
            None
        };
        layers.file.push_to(record, companion);
        layers.save()?;
        let created = layers
            .vfs
            .create(&id, source.as_deref(), &shift, options.read_only)
            .and_then(|()| match template {
                Some(template) => copy_tar_split(layers.file.dir(), &template.id, &id),
                None => Ok(()),
            });
        if let Err(err) = created {
            // Best effort: the incomplete flag makes the next open finish the cleanup.
            let _ = layers.delete(&id);
            return Err(err);
        }
        Ok(id)
    }

    /// Clears the incomplete flag of a layer made by `begin_layer` and saves.
    pub(super) fn finish_layer(&mut self, id: &str) -> Result<LayerView> {
        let layers = self.layers()?;
        let position = layers
            .file
            .position_of_id(id)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        layers
            .file
            .update(position, |layer| layer.flags.remove(INCOMPLETE_FLAG));
        self.sync_before_publishing()?;
        let layers = self.layers()?;
        layers.save()?;
        Ok(layers.view(position))
    }

    /// The layer `reference` names (primary store, then additional stores).
    pub fn layer(&mut self, reference: &str) -> Result<LayerView> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        self.layers()?
            .find(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))
    }

    /// Every layer (primary store first).
    pub fn list_layers(&mut self) -> Result<Vec<LayerView>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        Ok(self.layers()?.all())
    }

    /// Layers whose compressed (or uncompressed) diff digest is `digest`.
    pub fn layers_by_digest(&mut self, digest: &str, compressed: bool) -> Result<Vec<LayerView>> {
        crate::ident::digest::validate(digest)
            .map_err(|text| StoreError::invalid(format!("{digest}: {text}")))?;
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        Ok(self
            .layers()?
            .all()
            .into_iter()
            .filter(|layer| {
                let recorded = if compressed {
                    &layer.record.compressed_digest
                } else {
                    &layer.record.uncompressed_digest
                };
                recorded == digest
            })
            .collect())
    }

    /// The recorded uncompressed size of a layer's diff (-1 when unknown).
    pub fn layer_size(&mut self, reference: &str) -> Result<i64> {
        let layer = self.layer(reference)?;
        Ok(if layer.record.uncompressed_digest.is_empty() {
            -1
        } else {
            layer.record.uncompressed_size
        })
    }

    /// Resolves a layer or container reference to a primary-store layer ID.
    fn mountable_layer_id(&mut self, reference: &str) -> Result<String> {
        let container_layer = self
            .containers
            .get(reference)
            .map(|container| container.layer_id.clone());
        let layers = self.layers()?;
        if let Some(layer_id) = container_layer {
            // Only a layer the layer store knows (whose ID was checked when
            // it was loaded) may become a mount point.
            return layers
                .file
                .position_of_id(&layer_id)
                .map(|_| layer_id)
                .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown));
        }
        layers
            .file
            .resolve(reference)
            .map(|position| layers.file.at(position).id.clone())
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))
    }

    /// Mounts a layer (or a container's layer). For vfs the mount point is
    /// the layer's own directory; the count is kept in `mountpoints.json`.
    pub fn mount(&mut self, reference: &str, _mount_label: &str) -> Result<String> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        let id = self.mountable_layer_id(reference)?;
        let layers = self.layers()?;
        let path = layers.vfs.layer_path(&id);
        let mount = layers.mounts.entry(id).or_default();
        mount.count += 1;
        mount.path = path.clone();
        layers.save()?;
        Ok(path)
    }

    /// Drops a mount reference (all of them with `force`); true when the
    /// layer is no longer mounted.
    pub fn unmount(&mut self, reference: &str, force: bool) -> Result<bool> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        let id = match self.mountable_layer_id(reference) {
            Ok(id) => id,
            Err(err) => {
                let layers = self.layers()?;
                let by_path = layers
                    .mounts
                    .iter()
                    .find(|(_, m)| m.path == reference)
                    .map(|(id, _)| id.clone());
                by_path.ok_or(err)?
            }
        };
        let layers = self.layers()?;
        let mount = layers.mounts.entry(id).or_default();
        if force {
            mount.count = 1;
        }
        let unmounted = if mount.count > 1 {
            mount.count -= 1;
            false
        } else {
            mount.count -= 1;
            mount.path.clear();
            true
        };
        layers.save()?;
        Ok(unmounted)
    }

    /// How many times a layer (or a container's layer) is mounted.
    pub fn mounted(&mut self, reference: &str) -> Result<i32> {
        let _held = self.hold(Access::Read, Access::None, Access::Read)?;
        let id = self.mountable_layer_id(reference)?;
        Ok(self
            .layers()?
            .mounts
            .get(&id)
            .map_or(0, |mount| mount.count))
    }
}

/// Copies a template layer's tar-split file to a new layer (when it has one).
fn copy_tar_split(dir: &crate::disk::Dir, from: &str, to: &str) -> Result<()> {
    match dir.read_file(&format!("{from}{TAR_SPLIT_SUFFIX}"))? {
        Some(bytes) => Ok(dir.write_file_atomic(&format!("{to}{TAR_SPLIT_SUFFIX}"), &bytes)?),
        None => Ok(()),
    }
}
