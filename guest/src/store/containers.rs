//! Container operations of the store: create, look up, directories, sizes.

use super::images::image_unknown;
use super::intent::{Intent, MappedCopy};
use super::layers::LayerOptions;
use super::{Access, Store, VOLATILE_CONTAINERS_COMPANION, assign_id};
use crate::disk::Dir;
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::names;
use crate::records::{Container, IdMap};

/// Flag keys 1.43 writes on containers.
const MOUNT_LABEL_FLAG: &str = "MountLabel";
const PROCESS_LABEL_FLAG: &str = "ProcessLabel";
const VOLATILE_FLAG: &str = "Volatile";

/// Options for a new container (see the WIT `container-options`).
#[derive(Debug, Clone, Default)]
pub struct ContainerOptions {
    /// UID mapping for the container; none or empty asks for no mapping.
    pub uid_map: Option<Vec<IdMap>>,
    /// GID mapping for the container; none or empty asks for no mapping.
    pub gid_map: Option<Vec<IdMap>>,
    /// Use no UID mapping, ignoring `uid_map` (1.43's `HostUIDMapping`).
    pub host_uid_mapping: bool,
    /// Use no GID mapping, ignoring `gid_map` (1.43's `HostGIDMapping`).
    pub host_gid_mapping: bool,
    /// SELinux mount label, stored in the `MountLabel` flag; give both labels or neither.
    pub mount_label: Option<String>,
    /// SELinux process label, stored in the `ProcessLabel` flag; give both labels or neither.
    pub process_label: Option<String>,
    /// Mark the container volatile by setting its `Volatile` flag, as 1.43 does.
    pub volatile: bool,
}

/// The layer a new container builds on.
enum TopLayer {
    /// A layer that exists (or none: empty).
    Existing(String),
    /// An ID-mapped copy of an image's top layer, to be made with ID `id`.
    Copy {
        id: String,
        from: Box<crate::records::Layer>,
        options: LayerOptions,
    },
}

/// 1.43's check that no range of a mapping overlaps an earlier one (on
/// either side); each offending range is reported once.
fn check_overlaps(map: &[IdMap]) -> Result<()> {
    let overlaps = |a: u32, b: u32, size_a: u32, size_b: u32| {
        let (a, b, size_a, size_b) = (
            u64::from(a),
            u64::from(b),
            u64::from(size_a),
            u64::from(size_b),
        );
        a < b + size_b && b < a + size_a
    };
    let mut conflicts = Vec::new();
    for (index, range) in map.iter().enumerate() {
        let clash = map.iter().enumerate().any(|(other_index, other)| {
            other_index < index
                && (overlaps(
                    range.container_id,
                    other.container_id,
                    range.size,
                    other.size,
                ) || overlaps(range.host_id, other.host_id, range.size, other.size))
        });
        if clash {
            conflicts.push(format!(
                "{}:{}:{}",
                range.container_id, range.host_id, range.size
            ));
        }
    }
    match conflicts.len() {
        0 => Ok(()),
        1 => Err(StoreError::invalid(format!(
            "the specified UID and/or GID mapping {} conflicts with other mappings: invalid mappings specified",
            conflicts[0]
        ))),
        _ => Err(StoreError::invalid(format!(
            "the specified UID and/or GID mappings {} conflict with other mappings: invalid mappings specified",
            conflicts.join(", ")
        ))),
    }
}

impl Store {
    /// Creates a container from `image` (if any) with a new read-write layer
    /// (ID `layer` when given) on the image's top layer.
    pub fn create_container(
        &mut self,
        id: Option<&str>,
        names: Vec<String>,
        image: Option<&str>,
        layer: Option<&str>,
        metadata: &str,
        options: &ContainerOptions,
    ) -> Result<Container> {
        self.check_writable()?;
        let (image, layer) = (super::given(image), super::given(layer));
        let _held = self.hold_for_compound_operation()?;
        let uid_map = if options.host_uid_mapping {
            None
        } else {
            options.uid_map.clone().filter(|m| !m.is_empty())
        };
        let gid_map = if options.host_gid_mapping {
            None
        } else {
            options.gid_map.clone().filter(|m| !m.is_empty())
        };

        let (image_id, top) = match image {
            Some(reference) => {
                let view = self
                    .find_image(reference)?
                    .ok_or_else(|| image_unknown(reference))?;
                let top = self.top_layer_for_maps(&view, uid_map.as_ref(), gid_map.as_ref())?;
                (view.record.id, top)
            }
            None => (String::new(), TopLayer::Existing(String::new())),
        };
        let mount_label = options.mount_label.clone().unwrap_or_default();
        let process_label = options.process_label.clone().unwrap_or_default();
        if mount_label.is_empty() != process_label.is_empty() {
            return Err(StoreError::invalid(
                "ProcessLabel and Mountlabel must either not be specified or both specified",
            ));
        }

        let layer_options = LayerOptions {
            mount_label: mount_label.clone(),
            uid_map: uid_map.clone(),
            gid_map: gid_map.clone(),
            host_uid_mapping: options.host_uid_mapping,
            host_gid_mapping: options.host_gid_mapping,
            read_only: false,
            // A transient store's container layers are volatile (upstream).
            volatile: self.options.transient_store,
        };
        let (uid_map_record, gid_map_record) = (
            uid_map.clone().unwrap_or_default(),
            gid_map.clone().unwrap_or_default(),
        );
        check_overlaps(&uid_map_record)?;
        check_overlaps(&gid_map_record)?;
        // Both IDs are fixed (and checked) before the intent names them.
        let (id, names) = self.new_container_identity(id, names)?;
        let layers = self.layers()?;
        let layer_id = assign_id(
            layer,
            |candidate| layers.file.position_of_id(candidate).is_some(),
            |_| StoreError::new(ErrorKind::DuplicateId),
        )?;
        self.begin_intent(&Intent::CreateContainer {
            container: id.clone(),
            layer: layer_id.clone(),
            mapped_copy: match &top {
                TopLayer::Copy { id, .. } => Some(MappedCopy {
                    image: image_id.clone(),
                    layer: id.clone(),
                }),
                TopLayer::Existing(_) => None,
            },
        })?;
        let created = self
            .make_top_layer(&image_id, top)
            .and_then(|top_layer| {
                let parent = (!top_layer.is_empty()).then_some(top_layer.as_str());
                self.create_layer_locked(Some(&layer_id), parent, Vec::new(), &layer_options)
            })
            .and_then(|_| {
                let mut record = Container {
                    id,
                    names,
                    image_id,
                    layer_id,
                    metadata: metadata.to_string(),
                    created: crate::platform::now(),
                    uid_map: uid_map_record,
                    gid_map: gid_map_record,
                    ..Container::default()
                };
                record
                    .flags
                    .insert(MOUNT_LABEL_FLAG.into(), mount_label.into());
                record
                    .flags
                    .insert(PROCESS_LABEL_FLAG.into(), process_label.into());
                // A transient store's containers are all volatile (upstream).
                if options.volatile || self.options.transient_store {
                    record.flags.insert(VOLATILE_FLAG.into(), true.into());
                }
                let companion = self
                    .options
                    .transient_store
                    .then_some(VOLATILE_CONTAINERS_COMPANION);
                self.containers.push_to(record.clone(), companion);
                // The commit point.
                self.containers.save()?;
                Ok(record)
            });
        // Whether or not it committed, the intent says what remains to do.
        self.resolve_intent()?;
        created
    }

    /// The ID (requested or new) and de-duplicated names of a new
    /// container, checked against the existing ones.
    fn new_container_identity(
        &mut self,
        id: Option<&str>,
        names: Vec<String>,
    ) -> Result<(String, Vec<String>)> {
        let containers = &mut self.containers;
        let id = assign_id(
            id,
            |candidate| containers.position_of_id(candidate).is_some(),
            |_| StoreError::new(ErrorKind::DuplicateId),
        )?;
        let names = names::dedup(names);
        for name in &names {
            if let Some(position) = containers.position_of_name(name) {
                return Err(StoreError::with_context(
                    ErrorKind::DuplicateName,
                    format_args!(
                        "the container name {name:?} is already in use by {}. You have to remove that container to be able to reuse that name",
                        containers.at(position).id
                    ),
                ));
            }
        }
        Ok((id, names))
    }

    /// The layer a container of `image` with the requested ID maps builds
    /// on (1.43's `imageTopLayerForMapping` for vfs): the top layer or a
    /// mapped copy with exactly those maps; when none exists and the image
    /// is writable, a new copy re-owned to the maps, to be made (by
    /// [`Store::make_top_layer`]) under the container's intent. Images of
    /// additional stores get no copy.
    fn top_layer_for_maps(
        &mut self,
        image: &super::ImageView,
        uid_map: Option<&Vec<IdMap>>,
        gid_map: Option<&Vec<IdMap>>,
    ) -> Result<TopLayer> {
        let top_id = &image.record.top_layer;
        if top_id.is_empty() {
            return Ok(TopLayer::Existing(String::new()));
        }
        let layers = self.layers()?;
        let top = layers
            .find(top_id)
            .ok_or_else(|| {
                StoreError::with_context(
                    ErrorKind::LayerUnknown,
                    format_args!("locating layer with ID {top_id:?}"),
                )
            })?
            .record;
        // No maps requested means no maps: a mapped top layer gets an
        // unmapped copy (1.43 compares the requested maps, not inherited ones).
        let no_maps = Vec::new();
        let wanted_uid = uid_map.unwrap_or(&no_maps);
        let wanted_gid = gid_map.unwrap_or(&no_maps);
        let candidates = std::iter::once(&top.id).chain(&image.record.mapped_top_layers);
        for candidate in candidates {
            if let Some(layer) = layers.find(candidate)
                && layer.record.uid_map == *wanted_uid
                && layer.record.gid_map == *wanted_gid
            {
                return Ok(TopLayer::Existing(layer.record.id));
            }
        }
        if image.read_only {
            return Ok(TopLayer::Existing(top.id));
        }
        let options = LayerOptions {
            mount_label: top.mount_label.clone(),
            uid_map: Some(wanted_uid.clone()),
            gid_map: Some(wanted_gid.clone()),
            // Upstream makes mapped copies read-only (in a split image
            // store, if any).
            read_only: true,
            ..LayerOptions::default()
        };
        let id = assign_id(
            None,
            |candidate| layers.file.position_of_id(candidate).is_some(),
            |_| StoreError::new(ErrorKind::DuplicateId),
        )?;
        Ok(TopLayer::Copy {
            id,
            from: Box::new(top),
            options,
        })
    }

    /// Makes the copy a [`TopLayer::Copy`] plans and records it among
    /// image `image`'s mapped top layers; returns the layer to build on.
    fn make_top_layer(&mut self, image: &str, top: TopLayer) -> Result<String> {
        let (id, from, options) = match top {
            TopLayer::Existing(id) => return Ok(id),
            TopLayer::Copy { id, from, options } => (id, from, options),
        };
        let parent = (!from.parent.is_empty()).then_some(from.parent.clone());
        self.begin_layer(
            Some(&id),
            parent.as_deref(),
            Vec::new(),
            &options,
            Some(&from),
        )?;
        self.finish_layer(&id)?;
        let position = self
            .images
            .position_of_id(image)
            .ok_or_else(|| StoreError::new(ErrorKind::ImageUnknown))?;
        self.images
            .update(position, |record| record.mapped_top_layers.push(id.clone()));
        self.images.save()?;
        Ok(id)
    }

    /// The container `reference` names (ID, name, layer ID, unique prefix).
    pub(super) fn find_container(&self, reference: &str) -> Option<&Container> {
        let by_id_or_name = self
            .containers
            .position_of_id(reference)
            .or_else(|| self.containers.position_of_name(reference));
        let by_layer = || {
            self.containers
                .records()
                .iter()
                .position(|c| c.layer_id == reference)
        };
        let position = by_id_or_name
            .or_else(by_layer)
            .or_else(|| self.containers.resolve(reference))?;
        Some(self.containers.at(position))
    }

    /// The container `reference` names.
    pub fn container(&mut self, reference: &str) -> Result<Container> {
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        self.find_container(reference)
            .cloned()
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))
    }

    /// Every container.
    pub fn list_containers(&mut self) -> Result<Vec<Container>> {
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        Ok(self.containers.records().to_vec())
    }

    /// The container whose read-write layer is `layer`.
    pub fn container_by_layer(&mut self, layer: &str) -> Result<Container> {
        let _held = self.hold(Access::Read, Access::None, Access::Read)?;
        let id = self
            .layers()?
            .find(layer)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
            .record
            .id;
        self.containers
            .records()
            .iter()
            .find(|c| c.layer_id == id)
            .cloned()
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))
    }

    /// `<root>/vfs-containers/<id>/userdata` of the graph root or run root,
    /// created on demand.
    fn userdata_dir(&mut self, container: &str, run_root: bool) -> Result<Dir> {
        self.check_writable()?;
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        let id = self
            .find_container(container)
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))?
            .id
            .clone();
        let root = if run_root { &self.run } else { &self.graph };
        super::userdata_dir(root, super::CONTAINERS_DIR, &id)
    }

    /// Host path of the container's data directory.
    pub fn container_directory(&mut self, container: &str) -> Result<String> {
        Ok(self.userdata_dir(container, false)?.path().to_string())
    }

    /// Host path of the container's runtime directory.
    pub fn container_run_directory(&mut self, container: &str) -> Result<String> {
        Ok(self.userdata_dir(container, true)?.path().to_string())
    }

    /// Writes `file` (one name) in the container's data or runtime directory.
    pub fn set_container_file(
        &mut self,
        container: &str,
        run_root: bool,
        file: &str,
        data: &[u8],
    ) -> Result<()> {
        self.userdata_dir(container, run_root)?
            .write_file_atomic(file, data)?;
        Ok(())
    }

    /// Reads `file` (one name) from the container's data or runtime directory.
    pub fn container_file(
        &mut self,
        container: &str,
        run_root: bool,
        file: &str,
    ) -> Result<Vec<u8>> {
        let dir = self.userdata_dir(container, run_root)?;
        dir.read_file(file)?.ok_or_else(|| {
            StoreError::io(format!(
                "open {}: no such file or directory",
                dir.child_path(file)
            ))
        })
    }

    /// A container's size: its layer's changed bytes, its data items and the
    /// files in its two userdata directories.
    pub fn container_size(&mut self, reference: &str) -> Result<i64> {
        let data_dir = self.userdata_dir(reference, false)?;
        let run_dir = self.userdata_dir(reference, true)?;
        let _held = self.hold(Access::Read, Access::None, Access::Read)?;
        let container = self
            .find_container(reference)
            .cloned()
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))?;
        let layer_id = self
            .layers()?
            .find(&container.layer_id)
            .ok_or_else(|| {
                StoreError::with_context(
                    ErrorKind::LayerUnknown,
                    format_args!("locating layer with ID {:?}", container.layer_id),
                )
            })?
            .record
            .id;
        let layer_bytes = self.compared_size(None, &layer_id).map_err(|err| {
            err.wrap(format_args!(
                "determining size of layer with ID {layer_id:?}"
            ))
        })?;
        let items: i64 = container.big_data_sizes.values().sum();
        Ok(layer_bytes + items + tree_usage(&data_dir)? + tree_usage(&run_dir)?)
    }
}

/// 1.43's `directory.Size`: the sizes (as `lstat` reports them) of every
/// entry beneath `dir` that is not a directory, symlinks included, each
/// inode once (hard links inside the tree count once). Walked with an
/// explicit stack.
fn tree_usage(dir: &Dir) -> Result<i64> {
    let mut total = 0i64;
    let mut seen = std::collections::HashSet::new();
    let mut pending = vec![dir.reopen()?];
    while let Some(dir) = pending.pop() {
        for entry in dir.read_dir()? {
            let stat = &entry.stat;
            if !seen.insert((stat.dev, stat.ino)) {
                continue;
            }
            if crate::disk::EntryKind::from_mode(stat.mode) == crate::disk::EntryKind::Directory {
                pending.extend(dir.open_dir(&entry.name)?);
            } else {
                total = total.saturating_add(i64::try_from(stat.size).unwrap_or(i64::MAX));
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(c: u32, h: u32, s: u32) -> IdMap {
        IdMap {
            container_id: c,
            host_id: h,
            size: s,
        }
    }

    #[test]
    fn overlapping_ranges_are_rejected_with_1_43_text() {
        assert!(check_overlaps(&[map(0, 1000, 1), map(1, 100000, 65536)]).is_ok());
        let message = |ranges: &[IdMap]| check_overlaps(ranges).unwrap_err().message;
        assert_eq!(
            message(&[map(0, 1000, 10), map(5, 2000, 10)]),
            "the specified UID and/or GID mapping 5:2000:10 conflicts with other mappings: invalid mappings specified"
        );
        assert_eq!(
            message(&[map(0, 1000, 10), map(5, 2000, 10), map(20, 1005, 1)]),
            "the specified UID and/or GID mappings 5:2000:10, 20:1005:1 conflict with other mappings: invalid mappings specified"
        );
    }
}
