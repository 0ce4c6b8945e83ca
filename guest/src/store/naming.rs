//! Operations that address "a layer, image or container": names, metadata,
//! flags, existence. 1.43 tries layers, then images, then containers.

use super::{Access, Store};
use crate::error::{ErrorKind, Result, StoreError};
use crate::ident::names;
use crate::records::{Flags, Record};
use crate::stores::RecordFile;

/// How a name list changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameChange {
    /// Replace the names.
    Set,
    /// New names first, then the old ones.
    Add,
    /// Old names minus the given ones.
    Remove,
}

/// Which primary-store record a reference names.
#[derive(Debug, Clone, Copy)]
enum Target {
    Layer(usize),
    Image(usize),
    Container(usize),
}

/// The resulting name list of applying `change` to `old`.
fn apply(change: NameChange, old: &[String], given: Vec<String>) -> Vec<String> {
    match change {
        NameChange::Set => names::dedup(given),
        NameChange::Add => names::dedup(given.into_iter().chain(old.iter().cloned())),
        NameChange::Remove => {
            names::dedup(old.iter().filter(|name| !given.contains(name)).cloned())
        }
    }
}

/// Applies a name change to the record at `position`, taking the new names
/// away from any other record of the same kind. Returns the new names.
fn rename<T: Record>(
    file: &mut RecordFile<T>,
    position: usize,
    change: NameChange,
    given: Vec<String>,
) -> Vec<String> {
    let updated = apply(change, file.at(position).names(), given);
    file.take_names_from_others(&updated, Some(position));
    file.update(position, |record| record.set_names(updated.clone()));
    updated
}

impl Store {
    /// Resolves `reference` in the primary stores, layers first. The caller
    /// holds all three locks.
    fn target(&mut self, reference: &str) -> Result<Option<Target>> {
        if let Some(position) = self.layers()?.file.resolve(reference) {
            return Ok(Some(Target::Layer(position)));
        }
        if let Some(position) = self.images.resolve(reference) {
            return Ok(Some(Target::Image(position)));
        }
        let container = self.find_container(reference).map(|c| c.id.clone());
        Ok(container
            .and_then(|id| self.containers.position_of_id(&id))
            .map(Target::Container))
    }

    /// Names of the layer, image or container `reference` (any store).
    pub fn names(&mut self, reference: &str) -> Result<Vec<String>> {
        let _held = self.hold(Access::Read, Access::Read, Access::Read)?;
        if let Some(layer) = self.layers()?.find(reference) {
            return Ok(layer.record.names);
        }
        if let Some(image) = self.find_image(reference)? {
            return Ok(image.record.names);
        }
        self.find_container(reference)
            .map(|c| c.names.clone())
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))
    }

    /// Changes the names of the layer, image or container `reference`. An
    /// image of an additional store is first copied into the primary store
    /// (as 1.43 does, but keeping every given name).
    pub fn update_names(
        &mut self,
        reference: &str,
        change: NameChange,
        given: Vec<String>,
    ) -> Result<Vec<String>> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::Write, Access::Write)?;
        let updated = match self.target(reference)? {
            Some(Target::Layer(position)) => {
                let layers = self.layers()?;
                let updated = rename(&mut layers.file, position, change, given);
                layers.save()?;
                updated
            }
            Some(Target::Image(position)) => self.rename_image(position, change, given)?,
            Some(Target::Container(position)) => {
                let updated = rename(&mut self.containers, position, change, given);
                self.containers.save()?;
                updated
            }
            None => {
                let Some(copy) = self
                    .additional_images
                    .iter()
                    .find_map(|store| store.get(reference))
                    .cloned()
                else {
                    return Err(StoreError::new(ErrorKind::LayerUnknown));
                };
                // 1.43 copies ID, top layer, metadata, creation time and digest (no data items).
                let record = crate::records::Image {
                    id: copy.id,
                    digest: copy.digest,
                    top_layer: copy.top_layer,
                    metadata: copy.metadata,
                    created: copy.created,
                    ..Default::default()
                };
                self.images.push(record);
                let position = self.images.records().len() - 1;
                self.rename_image(position, NameChange::Set, given)?
            }
        };
        Ok(updated)
    }

    fn rename_image(
        &mut self,
        position: usize,
        change: NameChange,
        given: Vec<String>,
    ) -> Result<Vec<String>> {
        let updated = rename(&mut self.images, position, change, given);
        self.images.update(position, |image| {
            image.names_history = names::updated_history(&image.names_history, &updated);
        });
        self.images.save()?;
        Ok(updated)
    }

    /// Metadata of the layer, image or container `reference` (any store).
    pub fn metadata(&mut self, reference: &str) -> Result<String> {
        let _held = self.hold(Access::Read, Access::Read, Access::Read)?;
        if let Some(layer) = self.layers()?.find(reference) {
            return Ok(layer.record.metadata);
        }
        if let Some(image) = self.find_image(reference)? {
            return Ok(image.record.metadata);
        }
        self.find_container(reference)
            .map(|c| c.metadata.clone())
            .ok_or_else(|| StoreError::new(ErrorKind::NotALayerImageOrContainer))
    }

    /// Applies `edit` to the metadata and flags of the primary-store layer,
    /// image or container `reference`, then saves.
    fn edit_record(
        &mut self,
        reference: &str,
        edit: impl FnOnce(&mut String, &mut Flags),
    ) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::Write, Access::Write)?;
        match self.target(reference)? {
            Some(Target::Layer(position)) => {
                let layers = self.layers()?;
                layers.file.update(position, |layer| {
                    edit(&mut layer.metadata, &mut layer.flags)
                });
                layers.save()
            }
            Some(Target::Image(position)) => {
                self.images.update(position, |image| {
                    edit(&mut image.metadata, &mut image.flags)
                });
                self.images.save()
            }
            Some(Target::Container(position)) => {
                self.containers.update(position, |container| {
                    edit(&mut container.metadata, &mut container.flags)
                });
                self.containers.save()
            }
            None => Err(StoreError::new(ErrorKind::NotALayerImageOrContainer)),
        }
    }

    /// Replaces the metadata of a layer, image or container.
    pub fn set_metadata(&mut self, reference: &str, metadata: &str) -> Result<()> {
        self.edit_record(reference, |current, _| *current = metadata.to_string())
    }

    /// Sets flag `key` to the JSON value `value` on a layer, image or container.
    pub fn set_flag(&mut self, reference: &str, key: &str, value: &str) -> Result<()> {
        let mut value: serde_json::Value = serde_json::from_str(value).map_err(|err| {
            StoreError::invalid(format!("flag {key:?}: value is not JSON: {err}"))
        })?;
        crate::format::go_json::numbers_as_go_floats(&mut value);
        self.edit_record(reference, |_, flags| {
            flags.insert(key.to_string(), value);
        })
    }

    /// Removes flag `key` from a layer, image or container.
    pub fn clear_flag(&mut self, reference: &str, key: &str) -> Result<()> {
        self.edit_record(reference, |_, flags| {
            flags.remove(key);
        })
    }

    /// Whether a layer answers to `reference` (any store).
    pub fn layer_exists(&mut self, reference: &str) -> Result<bool> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        Ok(self.layers()?.find(reference).is_some())
    }

    /// Whether an image answers to `reference` (any store).
    pub fn image_exists(&mut self, reference: &str) -> Result<bool> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        Ok(self.images.resolve(reference).is_some()
            || self
                .additional_images
                .iter()
                .any(|s| s.resolve(reference).is_some()))
    }

    /// Whether a container answers to `reference`.
    pub fn container_exists(&mut self, reference: &str) -> Result<bool> {
        let _held = self.hold(Access::None, Access::None, Access::Read)?;
        Ok(self.find_container(reference).is_some())
    }

    /// Whether a layer, image or container answers to `reference`.
    pub fn exists(&mut self, reference: &str) -> Result<bool> {
        Ok(self.layer_exists(reference)?
            || self.image_exists(reference)?
            || self.container_exists(reference)?)
    }

    /// The ID of the layer, image or container that answers to `name`.
    pub fn lookup(&mut self, name: &str) -> Result<String> {
        let _held = self.hold(Access::Read, Access::Read, Access::Read)?;
        if let Some(layer) = self.layers()?.find(name) {
            return Ok(layer.record.id);
        }
        if let Some(image) = self.find_image(name)? {
            return Ok(image.record.id);
        }
        self.find_container(name)
            .map(|c| c.id.clone())
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn name_changes_follow_the_library() {
        let old = strings(&["a", "b"]);
        assert_eq!(
            apply(NameChange::Set, &old, strings(&["x", "x", "y"])),
            strings(&["x", "y"])
        );
        assert_eq!(
            apply(NameChange::Add, &old, strings(&["c", "a"])),
            strings(&["c", "a", "b"])
        );
        assert_eq!(
            apply(NameChange::Remove, &old, strings(&["a", "z"])),
            strings(&["b"])
        );
    }
}
