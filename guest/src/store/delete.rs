//! Deleting: with 1.43's safety checks (`delete-layer`, `delete-image`,
//! `delete-container`), without them (`delete`), everything (`wipe`), and
//! the shutdown check.

use super::intent::Intent;
use super::{Access, Store};
use crate::error::{ErrorKind, Result, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// What deleting an image removed, and what a lease made it keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletedImage {
    /// Layers removed (or removable, in a dry run), in deletion order.
    pub deleted_layers: Vec<String>,
    /// Layers that would have been removed but are held by a lease.
    pub kept_leased_layers: Vec<String>,
}

impl Store {
    /// Deletes a layer that has no children and is no image's top layer and
    /// no container's layer. Unlike 1.43, the checks use the resolved ID, so
    /// deleting by name or ID prefix is checked too.
    pub fn delete_layer(&mut self, reference: &str) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::Write, Access::Read)?;
        let layers = self.layers()?;
        let position = layers
            .file
            .resolve(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::NotALayer))?;
        let id = layers.file.at(position).id.clone();
        if let Some(child) = layers.children_of(&id).first() {
            return Err(StoreError::with_context(
                ErrorKind::LayerHasChildren,
                format_args!("used by layer {child}"),
            ));
        }
        if let Some(image) = self
            .all_images()?
            .iter()
            .find(|image| image.record.top_layer == id)
        {
            return Err(StoreError::with_context(
                ErrorKind::LayerUsedByImage,
                format_args!("layer {reference} used by image {}", image.record.id),
            ));
        }
        if let Some(container) = self.containers.records().iter().find(|c| c.layer_id == id) {
            return Err(StoreError::with_context(
                ErrorKind::LayerUsedByContainer,
                format_args!("layer {reference} used by container {}", container.id),
            ));
        }
        if let Some(session) = self.leased_layers()?.get(&id) {
            return Err(StoreError::with_context(
                ErrorKind::LayerLeased,
                format_args!("layer {reference} is retained by session {session:?}"),
            ));
        }
        self.layers()?
            .delete(&id)
            .map_err(|err| err.wrap(format_args!("delete layer {reference}")))?;
        self.forget_mapped_layer(&id)
    }

    /// Drops `layer` from every primary image's mapped layers.
    fn forget_mapped_layer(&mut self, layer: &str) -> Result<()> {
        let mut changed = false;
        self.images.update_all(|image| {
            let before = image.mapped_top_layers.len();
            image.mapped_top_layers.retain(|mapped| mapped != layer);
            changed |= image.mapped_top_layers.len() != before;
        });
        if changed {
            self.images.save()?;
        }
        Ok(())
    }

    /// Deletes an image no container uses, and the layers only it needed
    /// (returned in deletion order). With `commit` false nothing changes.
    pub fn delete_image(&mut self, reference: &str, commit: bool) -> Result<DeletedImage> {
        if commit {
            self.check_writable()?;
        }
        let _held = if commit {
            self.hold_for_compound_operation()?
        } else {
            self.hold(Access::Read, Access::Read, Access::Read)?
        };
        let position = self
            .images
            .resolve(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::NotAnImage))?;
        let image = self.images.at(position).clone();
        if let Some(container) = self
            .containers
            .records()
            .iter()
            .find(|c| c.image_id == image.id)
        {
            return Err(StoreError::with_context(
                ErrorKind::ImageUsedByContainer,
                format_args!("image used by {}", container.id),
            ));
        }
        let leased = self.leased_layers()?;
        let outcome = self.removable_layers(&image, &leased)?;
        if commit {
            self.delete_image_records(&[image.id], &outcome.deleted_layers)?;
        }
        Ok(outcome)
    }

    /// 1.43's layer collection for deleting `image`: its mapped layers, then
    /// the top layer and its ancestors up to the first one that a container
    /// uses, another image uses, or that has a child not being removed.
    /// Leased layers (and so their ancestors) stay and are reported.
    fn removable_layers(
        &mut self,
        image: &crate::records::Image,
        leased: &BTreeMap<String, String>,
    ) -> Result<DeletedImage> {
        let other_images_layers: BTreeSet<String> = self
            .all_images()?
            .into_iter()
            .filter(|other| other.record.id != image.id)
            .flat_map(|other| {
                std::iter::once(other.record.top_layer).chain(other.record.mapped_top_layers)
            })
            .collect();
        let container_layers: BTreeSet<String> = self
            .containers
            .records()
            .iter()
            .map(|c| c.layer_id.clone())
            .collect();
        let layers = self.layers()?;
        let mut kept = Vec::new();
        let mut removable = Vec::new();
        for id in &image.mapped_top_layers {
            if layers.file.position_of_id(id).is_none() {
                continue;
            }
            if leased.contains_key(id) {
                kept.push(id.clone());
            } else {
                removable.push(id.clone());
            }
        }
        let mut current = image.top_layer.clone();
        while !current.is_empty() {
            let Some(position) = layers.file.position_of_id(&current) else {
                break;
            };
            if container_layers.contains(&current) || other_images_layers.contains(&current) {
                break;
            }
            if leased.contains_key(&current) {
                kept.push(current);
                break;
            }
            let has_other_child = layers
                .file
                .records()
                .iter()
                .any(|layer| layer.parent == current && !removable.contains(&layer.id));
            if has_other_child {
                break;
            }
            removable.push(current.clone());
            current = layers.file.at(position).parent.clone();
        }
        Ok(DeletedImage {
            deleted_layers: removable,
            kept_leased_layers: kept,
        })
    }

    /// Removes the records of `images` (the commit point), then their
    /// directories and whichever of `layers` nothing references any more,
    /// under an intent (see [`super::intent`]). The caller holds all locks
    /// exclusively.
    fn delete_image_records(&mut self, images: &[String], layers: &[String]) -> Result<()> {
        self.begin_intent(&Intent::Delete {
            containers: Vec::new(),
            images: images.to_vec(),
            layers: layers.to_vec(),
        })?;
        for id in images {
            if let Some(position) = self.images.position_of_id(id) {
                self.images.remove(position);
            }
        }
        self.images.save()?;
        self.finish_deletion(&[], images, layers)?;
        self.end_intent()
    }

    /// Deletes a container, its layer and its data and runtime directories.
    pub fn delete_container(&mut self, reference: &str) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold_for_compound_operation()?;
        let id = self
            .find_container(reference)
            .map(|c| c.id.clone())
            .ok_or_else(|| StoreError::new(ErrorKind::NotAContainer))?;
        self.remove_container(&id, true)
    }

    /// Removes container `id`'s record (the commit point), then its data
    /// directories and (with `with_layer`) its layer, under an intent. The
    /// caller holds all locks exclusively.
    fn remove_container(&mut self, id: &str, with_layer: bool) -> Result<()> {
        let position = self
            .containers
            .position_of_id(id)
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))?;
        let containers = vec![id.to_string()];
        let layers = if with_layer {
            vec![self.containers.at(position).layer_id.clone()]
        } else {
            Vec::new()
        };
        self.begin_intent(&Intent::Delete {
            containers: containers.clone(),
            images: Vec::new(),
            layers: layers.clone(),
        })?;
        self.containers.remove(position);
        self.containers.save()?;
        self.finish_deletion(&containers, &[], &layers)?;
        self.end_intent()
    }

    /// Removes container `id`'s data directories (graph root and run root).
    pub(super) fn remove_container_dirs(&mut self, id: &str) -> Result<()> {
        self.containers.dir().remove_tree(id)?;
        if let Some(run_containers) = self.run.open_dir(super::CONTAINERS_DIR)? {
            run_containers.remove_tree(id)?;
        }
        Ok(())
    }

    /// Deletes a container, image or layer with no safety checks.
    pub fn delete(&mut self, reference: &str) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold_for_compound_operation()?;
        if let Some(container) = self.find_container(reference).cloned() {
            if self
                .layers()?
                .file
                .position_of_id(&container.layer_id)
                .is_none()
            {
                return Err(StoreError::new(ErrorKind::NotALayer));
            }
            return self.remove_container(&container.id, true);
        }
        if let Some(position) = self.images.resolve(reference) {
            let id = self.images.at(position).id.clone();
            return self.delete_image_records(&[id], &[]);
        }
        let layers = self.layers()?;
        match layers.file.resolve(reference) {
            Some(position) => {
                let id = layers.file.at(position).id.clone();
                layers.delete(&id)
            }
            None => Err(StoreError::new(ErrorKind::LayerUnknown)),
        }
    }

    /// Deletes every container, image and layer (layers newest first).
    pub fn wipe(&mut self) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold_for_compound_operation()?;
        let containers: Vec<String> = self
            .containers
            .records()
            .iter()
            .map(|c| c.id.clone())
            .collect();
        for id in &containers {
            self.remove_container(id, false)?;
        }
        let images: Vec<String> = self.images.records().iter().map(|i| i.id.clone()).collect();
        if !images.is_empty() {
            self.delete_image_records(&images, &[])?;
        }
        let layers = self.layers()?;
        let mut order: Vec<(crate::format::timestamp::Timestamp, String)> = layers
            .file
            .records()
            .iter()
            .map(|l| (l.created, l.id.clone()))
            .collect();
        order.sort_by_key(|(created, _)| std::cmp::Reverse((created.seconds, created.nanoseconds)));
        for (_, id) in order {
            layers.delete(&id)?;
        }
        Ok(())
    }

    /// Fails when a layer is mounted; with `force`, unmounts everything first
    /// (1.43 hangs in that case). Marks the store as written on success.
    pub fn shutdown(&mut self, force: bool) -> Result<Vec<String>> {
        self.check_writable()?;
        self.layers()?; // opened first: opening takes the storage lock itself
        let _storage = self.storage_lock.exclusive()?;
        let _held = self.hold(Access::Write, Access::None, Access::None)?;
        let layers = self.layers()?;
        let mounted: Vec<String> = layers
            .mounts
            .iter()
            .filter(|(_, m)| m.count > 0)
            .map(|(id, _)| id.clone())
            .collect();
        if !mounted.is_empty() {
            if !force {
                return Err(StoreError::with_context(
                    ErrorKind::LayerUsedByContainer,
                    "a layer is mounted",
                ));
            }
            layers.mounts.clear();
            layers.save()?;
        }
        self.storage_lock.touch()?;
        self.layers()?.touch()?;
        Ok(Vec::new())
    }
}
