//! Big-data items of images, layers and containers: files named by
//! `ident::big_data::file_name` in the record's directory, with sizes and
//! digests recorded for images and containers.

use super::images::{image_unknown, is_manifest_key, recompute_digests};
use super::{Access, Store};
use crate::disk::{Dir, Output};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::{big_data, digest};
use crate::records::Record;
use crate::stores::{Kind, RecordFile};
use std::collections::BTreeMap;

/// The file name of item `key`, or 1.43's error for an unusable key.
fn item_file_name(kind: Kind, key: &str) -> Result<String> {
    big_data::file_name(key).ok_or_else(|| {
        StoreError::with_context(
            ErrorKind::InvalidBigDataName,
            format_args!("can't set empty name for {} big data item", kind.noun()),
        )
    })
}

/// 1.43's error for a missing item (worded differently per kind:
/// containers pass the file error through).
fn missing_item(records_dir: &Dir, kind: Kind, id: &str, key: &str, file_name: &str) -> StoreError {
    let message = match kind {
        Kind::Container => format!(
            "open {}/{id}/{file_name}: no such file or directory",
            records_dir.path()
        ),
        Kind::Image => format!(
            "locating item named {key:?} for image with ID {id:?} (consider removing the image to resolve the issue): file does not exist"
        ),
        Kind::Layer => {
            format!("locating item named {key:?} for layer with ID {id:?}: file does not exist")
        }
    };
    StoreError::io(message)
}

/// Opens the directory `records_dir/<id>/` of item `key`; returns it and the
/// item's file name.
fn item_location(records_dir: &Dir, kind: Kind, id: &str, key: &str) -> Result<(Dir, String)> {
    let file_name = item_file_name(kind, key)?;
    crate::disk::check_component(&file_name)?;
    let dir = records_dir
        .open_dir(id)?
        .ok_or_else(|| missing_item(records_dir, kind, id, key, &file_name))?;
    Ok((dir, file_name))
}

/// Reads item `key` of the record with ID `id`.
fn read_item(records_dir: &Dir, kind: Kind, id: &str, key: &str) -> Result<Vec<u8>> {
    let (dir, file_name) = item_location(records_dir, kind, id, key)?;
    dir.read_file(&file_name)?
        .ok_or_else(|| missing_item(records_dir, kind, id, key, &file_name))
}

/// Reads item `key` of the record with ID `id`; `None` when the item (or
/// the record's directory) is not there (`check` tells that apart).
pub(super) fn read_item_if_present(
    records_dir: &Dir,
    kind: Kind,
    id: &str,
    key: &str,
) -> Result<Option<Vec<u8>>> {
    let file_name = item_file_name(kind, key)?;
    crate::disk::check_component(&file_name)?;
    match records_dir.open_dir(id)? {
        Some(dir) => Ok(dir.read_file(&file_name)?),
        None => Ok(None),
    }
}

/// Sends item `key` of the record with ID `id` to `out` (on the host: the
/// bytes never enter the component); returns its length.
fn send_item(
    records_dir: &Dir,
    kind: Kind,
    id: &str,
    key: &str,
    out: &mut Output<'_>,
) -> Result<u64> {
    let (dir, file_name) = item_location(records_dir, kind, id, key)?;
    match dir.send_file(&file_name, out) {
        Ok(Some(length)) => Ok(length),
        Ok(None) => Err(missing_item(records_dir, kind, id, key, &file_name)),
        Err(err) if err.errno() == Some(crate::disk::Errno::Pipe) => Err(StoreError::io(format!(
            "writing data item {key:?}: the output failed"
        ))),
        Err(err) => Err(err.into()),
    }
}

/// Writes item `key` of record `id` atomically, creating its directory.
/// Callers hold the record file's lock exclusively, so the item's fixed
/// temporary is theirs: one a killed writer left is replaced by the next
/// write of the same item (or goes with the record's directory).
fn write_item(records_dir: &Dir, kind: Kind, id: &str, key: &str, data: &[u8]) -> Result<()> {
    let file_name = item_file_name(kind, key)?;
    Ok(records_dir
        .ensure_dir(id)?
        .write_file_atomic_locked(&file_name, data)?)
}

/// The parts of an image or container record that describe its data items.
trait SizedItems: Record {
    fn item_names(&mut self) -> &mut Vec<String>;
    fn item_sizes(&mut self) -> &mut BTreeMap<String, i64>;
    fn item_digests(&mut self) -> &mut BTreeMap<String, String>;
}

macro_rules! sized_items {
    ($record:ty) => {
        impl SizedItems for $record {
            fn item_names(&mut self) -> &mut Vec<String> {
                &mut self.big_data_names
            }
            fn item_sizes(&mut self) -> &mut BTreeMap<String, i64> {
                &mut self.big_data_sizes
            }
            fn item_digests(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.big_data_digests
            }
        }
    };
}
sized_items!(crate::records::Image);
sized_items!(crate::records::Container);

/// Records item `key` (size, digest, name) on a record; whether anything changed.
fn note_item<T: SizedItems>(record: &mut T, key: &str, size: i64, item_digest: String) -> bool {
    let mut changed = false;
    if record.item_sizes().get(key) != Some(&size) {
        record.item_sizes().insert(key.to_string(), size);
        changed = true;
    }
    if record.item_digests().get(key) != Some(&item_digest) {
        record.item_digests().insert(key.to_string(), item_digest);
        changed = true;
    }
    if !record.item_names().iter().any(|name| name == key) {
        record.item_names().push(key.to_string());
        changed = true;
    }
    changed
}

/// Writes an item of an image or container and records it, saving the
/// record file only when the record changed (as 1.43 does).
fn set_sized_item<T: SizedItems>(
    file: &mut RecordFile<T>,
    kind: Kind,
    position: usize,
    key: &str,
    data: &[u8],
    item_digest: String,
) -> Result<bool> {
    let id = file.at(position).id().to_string();
    write_item(file.dir(), kind, &id, key, data)?;
    let changed = file.update(position, |record| {
        note_item(record, key, data.len() as i64, item_digest)
    });
    if changed {
        file.save()?;
    }
    Ok(changed)
}

impl Store {
    /// The image store and position holding `reference`.
    fn image_home(&self, reference: &str) -> Result<(&RecordFile<crate::records::Image>, usize)> {
        if let Some(position) = self.images.resolve(reference) {
            return Ok((&self.images, position));
        }
        self.additional_images
            .iter()
            .find_map(|store| store.resolve(reference).map(|position| (store, position)))
            .ok_or_else(|| image_unknown(reference))
    }

    /// Names of an image's data items.
    pub fn list_image_big_data(&mut self, image: &str) -> Result<Vec<String>> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        let (file, position) = self.image_home(image)?;
        Ok(file.at(position).big_data_names.clone())
    }

    /// Contents of an image's data item.
    pub fn image_big_data(&mut self, image: &str, key: &str) -> Result<Vec<u8>> {
        self.big_data(Kind::Image, image, key)
    }

    /// Contents of data item `key` of the `kind` record `reference`.
    fn big_data(&mut self, kind: Kind, reference: &str, key: &str) -> Result<Vec<u8>> {
        self.with_record_home(kind, reference, |dir, id| read_item(dir, kind, id, key))
    }

    /// Writes data item `key` of the `kind` record `reference` to `out`;
    /// returns its length.
    pub fn write_big_data(
        &mut self,
        kind: Kind,
        reference: &str,
        key: &str,
        out: &mut Output<'_>,
    ) -> Result<u64> {
        let sent = self.with_record_home(kind, reference, |dir, id| {
            send_item(dir, kind, id, key, out)
        })?;
        out.finish()?;
        Ok(sent)
    }

    /// Runs `use_item` with the records directory and ID of the `kind`
    /// record `reference`, under its store's read lock.
    fn with_record_home<T>(
        &mut self,
        kind: Kind,
        reference: &str,
        use_item: impl FnOnce(&Dir, &str) -> Result<T>,
    ) -> Result<T> {
        match kind {
            Kind::Image => {
                let _held = self.hold(Access::None, Access::Read, Access::None)?;
                let (file, position) = self.image_home(reference)?;
                use_item(file.dir(), &file.at(position).id)
            }
            Kind::Layer => {
                let _held = self.hold(Access::Read, Access::None, Access::None)?;
                let layers = self.layers()?;
                let (_, id) = layers.resolve_primary(reference)?;
                use_item(layers.file.dir(), &id)
            }
            Kind::Container => {
                let _held = self.hold(Access::None, Access::None, Access::Read)?;
                let position = self.container_position(reference)?;
                use_item(self.containers.dir(), &self.containers.at(position).id)
            }
        }
    }

    /// Size of an image's data item: recorded, else the file's length.
    pub fn image_big_data_size(&mut self, image: &str, key: &str) -> Result<i64> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        let (file, position) = self.image_home(image)?;
        let record = file.at(position);
        if let Some(size) = record.big_data_sizes.get(key) {
            return Ok(*size);
        }
        read_item(file.dir(), Kind::Image, &record.id, key)
            .map(|data| data.len() as i64)
            .map_err(|_| StoreError::new(ErrorKind::SizeUnknown))
    }

    /// Recorded digest of an image's data item.
    pub fn image_big_data_digest(&mut self, image: &str, key: &str) -> Result<String> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        let (file, position) = self.image_home(image)?;
        file.at(position)
            .big_data_digests
            .get(key)
            .cloned()
            .ok_or_else(|| StoreError::new(ErrorKind::DigestUnknown))
    }

    /// Stores an image data item. Manifest keys record `manifest_digest` when
    /// given, else the sha256 of the bytes.
    pub fn set_image_big_data(
        &mut self,
        image: &str,
        key: &str,
        data: &[u8],
        manifest_digest: Option<&str>,
    ) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::None, Access::Write, Access::None)?;
        let position = self
            .images
            .resolve(image)
            .ok_or_else(|| image_unknown(image))?;
        let item_digest = match manifest_digest {
            Some(given) if is_manifest_key(key) => {
                digest::validate(given)
                    .map_err(|text| StoreError::invalid(format!("{given}: {text}")))?;
                given.to_string()
            }
            _ => digest::sha256_of(data),
        };
        let id = self.images.at(position).id.clone();
        write_item(self.images.dir(), Kind::Image, &id, key, data)?;
        let changed = self.images.update(position, |record| {
            let noted = note_item(record, key, data.len() as i64, item_digest);
            let before = record.digest.clone();
            recompute_digests(record).map_err(StoreError::invalid)?;
            Ok::<_, StoreError>(noted || record.digest != before)
        })?;
        if changed {
            self.images.save()?;
        }
        Ok(())
    }

    /// Names of a layer's data items.
    pub fn list_layer_big_data(&mut self, layer: &str) -> Result<Vec<String>> {
        Ok(self.layer(layer)?.record.big_data_names)
    }

    /// Contents of a layer's data item.
    pub fn layer_big_data(&mut self, layer: &str, key: &str) -> Result<Vec<u8>> {
        self.big_data(Kind::Layer, layer, key)
    }

    /// Stores a layer data item (only its name is recorded).
    pub fn set_layer_big_data(&mut self, layer: &str, key: &str, data: &[u8]) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::None)?;
        let layers = self.layers()?;
        let (position, id) = layers.resolve_primary(layer)?;
        write_item(layers.file.dir(), Kind::Layer, &id, key, data)?;
        let added = layers.file.update(position, |record| {
            let missing = !record.big_data_names.iter().any(|name| name == key);
            if missing {
                record.big_data_names.push(key.to_string());
            }
            missing
        });
        if added {
            layers.save()?;
        }
        Ok(())
    }

    fn container_position(&self, reference: &str) -> Result<usize> {
        self.containers
            .resolve(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))
    }

    /// Names of a container's data items.
    pub fn list_container_big_data(&mut self, container: &str) -> Result<Vec<String>> {
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        let position = self.container_position(container)?;
        Ok(self.containers.at(position).big_data_names.clone())
    }

    /// Contents of a container's data item.
    pub fn container_big_data(&mut self, container: &str, key: &str) -> Result<Vec<u8>> {
        self.big_data(Kind::Container, container, key)
    }

    /// Size (`want_digest` false) or digest of a container's data item; an
    /// item missing from the record is read and recorded, as 1.43 does.
    fn container_item_info(
        &mut self,
        container: &str,
        key: &str,
        want_digest: bool,
    ) -> Result<String> {
        let _held = self.hold(Access::None, Access::None, Access::Write)?;
        let position = self.container_position(container)?;
        let record = self.containers.at(position);
        let known = if want_digest {
            record.big_data_digests.get(key).cloned()
        } else {
            record.big_data_sizes.get(key).map(i64::to_string)
        };
        if let Some(value) = known {
            return Ok(value);
        }
        let unknown = if want_digest {
            ErrorKind::DigestUnknown
        } else {
            ErrorKind::SizeUnknown
        };
        let data = read_item(self.containers.dir(), Kind::Container, &record.id, key)
            .map_err(|_| StoreError::new(unknown))?;
        let item_digest = digest::sha256_of(&data);
        set_sized_item(
            &mut self.containers,
            Kind::Container,
            position,
            key,
            &data,
            item_digest.clone(),
        )?;
        Ok(if want_digest {
            item_digest
        } else {
            data.len().to_string()
        })
    }

    /// Size of a container's data item.
    pub fn container_big_data_size(&mut self, container: &str, key: &str) -> Result<i64> {
        Ok(self
            .container_item_info(container, key, false)?
            .parse()
            .expect("formatted from an i64"))
    }

    /// Digest of a container's data item.
    pub fn container_big_data_digest(&mut self, container: &str, key: &str) -> Result<String> {
        self.container_item_info(container, key, true)
    }

    /// Stores a container data item (digest: sha256 of the bytes).
    pub fn set_container_big_data(
        &mut self,
        container: &str,
        key: &str,
        data: &[u8],
    ) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::None, Access::None, Access::Write)?;
        let position = self.container_position(container)?;
        set_sized_item(
            &mut self.containers,
            Kind::Container,
            position,
            key,
            data,
            digest::sha256_of(data),
        )?;
        Ok(())
    }
}
