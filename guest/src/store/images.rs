//! Image operations of the store: create, look up, list, digests, sizes.

use super::{Access, ImageView, Store, assign_id};
use crate::disk::Dir;
use crate::error::{ErrorKind, Result, StoreError};
use crate::format::timestamp::Timestamp;
use crate::ident::{digest, names};
use crate::records::Image;
use crate::stores::RecordFile;
use std::collections::BTreeSet;

/// Big-data keys starting with this are manifests; their digests make the
/// image findable by digest.
const MANIFEST_KEY_PREFIX: &str = "manifest";

/// Options for a new image (see the WIT `image-options`).
#[derive(Debug, Clone, Default)]
pub struct ImageOptions {
    /// Digest to record as the image's `digest`; must be a valid `algorithm:hex`.
    pub digest: Option<String>,
    /// Creation time to record; none records the current time.
    pub created: Option<Timestamp>,
}

/// Whether big-data item `key` is a manifest.
pub(super) fn is_manifest_key(key: &str) -> bool {
    key.starts_with(MANIFEST_KEY_PREFIX)
}

/// 1.43's digest list: `digest` (validated) then each manifest item's digest
/// not yet listed (in key order here; 1.43 uses random map order). When
/// `digest` is empty the first listed digest becomes it (sticky).
pub(super) fn recompute_digests(image: &mut Image) -> std::result::Result<Vec<String>, String> {
    let mut list = Vec::new();
    if !image.digest.is_empty() {
        digest::validate(&image.digest)
            .map_err(|err| format!("validating image digest {:?}: {err}", image.digest))?;
        list.push(image.digest.clone());
    }
    for (key, value) in &image.big_data_digests {
        if !is_manifest_key(key) {
            continue;
        }
        digest::validate(value).map_err(|err| {
            format!("validating digest {value:?} for big data item {key:?}: {err}")
        })?;
        if !list.contains(value) {
            list.push(value.clone());
        }
    }
    if image.digest.is_empty()
        && let Some(first) = list.first()
    {
        image.digest = first.clone();
    }
    Ok(list)
}

/// An image record with its computed digests.
pub(super) fn view_of(record: &Image, read_only: bool) -> Result<ImageView> {
    let mut record = record.clone();
    let digests = recompute_digests(&mut record).map_err(|message| {
        StoreError::corrupt(format!(
            "computing digests for image with ID {:?} ({:?}): {message}",
            record.id, record.names
        ))
    })?;
    Ok(ImageView {
        record,
        digests,
        read_only,
    })
}

/// One image of a [`Store::create_images`] batch.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    /// The ID to use; a random one when `None`.
    pub id: Option<String>,
    /// Names to give it.
    pub names: Vec<String>,
    /// Its top layer.
    pub layer: Option<String>,
    /// Free-form metadata.
    pub metadata: String,
    /// Digest and creation time.
    pub options: ImageOptions,
}

/// The layer-store access creating images needs (1.43 write-locks the
/// layers when an image names a top layer).
fn layer_access(names_a_layer: bool) -> Access {
    if names_a_layer {
        Access::Write
    } else {
        Access::None
    }
}

impl Store {
    /// Creates an image whose top layer is `layer`.
    pub fn create_image(
        &mut self,
        id: Option<&str>,
        names: Vec<String>,
        layer: Option<&str>,
        metadata: &str,
        options: &ImageOptions,
    ) -> Result<ImageView> {
        self.check_writable()?;
        let _held = self.hold(layer_access(layer.is_some()), Access::Write, Access::None)?;
        let view = self.add_image(id, names, layer, metadata, options)?;
        self.images.save()?;
        Ok(view)
    }

    /// Creates every image of `batch` under one lock and one save of the
    /// image records: all of them, or (on the first refusal) none.
    pub fn create_images(&mut self, batch: &[NewImage]) -> Result<Vec<ImageView>> {
        self.check_writable()?;
        let names_a_layer = batch.iter().any(|image| image.layer.is_some());
        let _held = self.hold(layer_access(names_a_layer), Access::Write, Access::None)?;
        let before = self.images.len();
        let mut views = Vec::with_capacity(batch.len());
        for image in batch {
            let added = self.add_image(
                image.id.as_deref(),
                image.names.clone(),
                image.layer.as_deref(),
                &image.metadata,
                &image.options,
            );
            match added {
                Ok(view) => views.push(view),
                Err(err) => {
                    self.images.truncate(before);
                    return Err(err);
                }
            }
        }
        if let Err(err) = self.images.save() {
            self.images.truncate(before);
            return Err(err);
        }
        Ok(views)
    }

    /// Checks and appends one image record (not saved); the caller holds
    /// the image store's write lock.
    fn add_image(
        &mut self,
        id: Option<&str>,
        names: Vec<String>,
        layer: Option<&str>,
        metadata: &str,
        options: &ImageOptions,
    ) -> Result<ImageView> {
        let top_layer = match super::given(layer) {
            Some(reference) => {
                self.layers()?
                    .find(reference)
                    .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
                    .record
                    .id
            }
            None => String::new(),
        };
        let images = &mut self.images;
        let id = assign_id(
            id,
            |candidate| images.position_of_id(candidate).is_some(),
            |id| {
                StoreError::with_context(
                    ErrorKind::DuplicateId,
                    format_args!("an image with ID {id:?} already exists"),
                )
            },
        )?;
        let names = names::dedup(names);
        for name in &names {
            if let Some(position) = images.position_of_name(name) {
                return Err(StoreError::with_context(
                    ErrorKind::DuplicateName,
                    format_args!(
                        "image name {name:?} is already associated with image {:?}",
                        images.at(position).id
                    ),
                ));
            }
        }
        let mut record = Image {
            id,
            digest: options.digest.clone().unwrap_or_default(),
            names,
            top_layer,
            metadata: metadata.to_string(),
            created: options.created.unwrap_or_else(crate::platform::now),
            ..Image::default()
        };
        let digests = recompute_digests(&mut record).map_err(|message| {
            StoreError::invalid(format!("validating digests for new image: {message}"))
        })?;
        images.push(record.clone());
        Ok(ImageView {
            record,
            digests,
            read_only: false,
        })
    }

    /// Finds an image in the primary store, then the additional stores.
    pub(super) fn find_image(&self, reference: &str) -> Result<Option<ImageView>> {
        if let Some(record) = self.images.get(reference) {
            return view_of(record, false).map(Some);
        }
        for store in &self.additional_images {
            if let Some(record) = store.get(reference) {
                return view_of(record, true).map(Some);
            }
        }
        Ok(None)
    }

    /// The image `reference` names.
    pub fn image(&mut self, reference: &str) -> Result<ImageView> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        self.find_image(reference)?
            .ok_or_else(|| image_unknown(reference))
    }

    /// All image views: primary store first.
    pub(super) fn all_images(&self) -> Result<Vec<ImageView>> {
        let stores: Vec<&RecordFile<Image>> = std::iter::once(&self.images)
            .chain(&self.additional_images)
            .collect();
        let mut views = Vec::new();
        for store in stores {
            for record in store.records() {
                views.push(view_of(record, store.is_read_only())?);
            }
        }
        Ok(views)
    }

    /// Every image.
    pub fn list_images(&mut self) -> Result<Vec<ImageView>> {
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        self.all_images()
    }

    /// Images whose digest list contains `digest`.
    pub fn images_by_digest(&mut self, wanted: &str) -> Result<Vec<ImageView>> {
        digest::validate(wanted)
            .map_err(|text| StoreError::invalid(format!("{wanted}: {text}")))?;
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        Ok(self
            .all_images()?
            .into_iter()
            .filter(|image| image.digests.iter().any(|d| d == wanted))
            .collect())
    }

    /// Images whose top layer (or a mapped copy of it) is `layer`.
    pub fn images_by_top_layer(&mut self, layer: &str) -> Result<Vec<ImageView>> {
        let _held = self.hold(Access::Read, Access::Read, Access::None)?;
        let id = self
            .layers()?
            .find(layer)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
            .record
            .id;
        Ok(self
            .all_images()?
            .into_iter()
            .filter(|image| {
                image.record.top_layer == id || image.record.mapped_top_layers.contains(&id)
            })
            .collect())
    }

    /// An image's size: the diffs of its top layer, mapped layers and their
    /// ancestors (each once), plus its data items.
    pub fn image_size(&mut self, reference: &str) -> Result<i64> {
        let _held = self.hold(Access::Read, Access::Read, Access::None)?;
        let image = self
            .find_image(reference)?
            .ok_or_else(|| image_unknown(reference))?
            .record;
        let mut pending: Vec<String> = std::iter::once(image.top_layer.clone())
            .chain(image.mapped_top_layers.iter().cloned())
            .filter(|id| !id.is_empty())
            .collect();
        let mut seen = BTreeSet::new();
        let mut size = 0i64;
        while let Some(id) = pending.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let layer = self
                .layers()?
                .find(&id)
                .ok_or_else(|| {
                    StoreError::with_context(
                        ErrorKind::LayerUnknown,
                        format_args!("locating layer with ID {id:?}"),
                    )
                })?
                .record;
            size += if layer.uncompressed_digest.is_empty() {
                self.compared_size(None, &layer.id).map_err(|err| {
                    err.wrap(format_args!(
                        "size/digest of layer with ID {:?} could not be calculated",
                        layer.id
                    ))
                })?
            } else {
                layer.uncompressed_size
            };
            if !layer.parent.is_empty() {
                pending.push(layer.parent);
            }
        }
        Ok(size + image.big_data_sizes.values().sum::<i64>())
    }
}

/// 1.43's "image not known" for a reference.
impl Store {
    /// `<root>/vfs-images/<id>/userdata` of the graph root or run root for
    /// image `reference`, created on demand (upstream's `ImageDirectory`;
    /// unlike upstream, an unknown image is an error, not a new directory).
    fn image_userdata_dir(&mut self, reference: &str, run_root: bool) -> Result<Dir> {
        self.check_writable()?;
        let _held = self.hold(Access::None, Access::Read, Access::None)?;
        let id = self
            .find_image(reference)?
            .ok_or_else(|| image_unknown(reference))?
            .record
            .id;
        let root = if run_root { &self.run } else { &self.graph };
        super::userdata_dir(root, super::IMAGES_DIR, &id)
    }

    /// Host path of the image's data directory (`get-image-dir`).
    pub fn image_directory(&mut self, image: &str) -> Result<String> {
        Ok(self.image_userdata_dir(image, false)?.path().to_string())
    }

    /// Host path of the image's runtime directory (`get-image-run-dir`).
    pub fn image_run_directory(&mut self, image: &str) -> Result<String> {
        Ok(self.image_userdata_dir(image, true)?.path().to_string())
    }
}

pub(super) fn image_unknown(reference: &str) -> StoreError {
    StoreError::with_context(
        ErrorKind::ImageUnknown,
        format_args!("locating image with ID {reference:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn digest_list_puts_explicit_digest_first_and_is_sticky() {
        let mut image = Image {
            digest: sha('a'),
            ..Image::default()
        };
        image.big_data_digests.insert("manifest".into(), sha('b'));
        image.big_data_digests.insert("config".into(), sha('c'));
        image.big_data_digests.insert("manifest-x".into(), sha('a'));
        assert_eq!(
            recompute_digests(&mut image).unwrap(),
            vec![sha('a'), sha('b')]
        );

        let mut unnamed = Image::default();
        unnamed.big_data_digests.insert("manifest".into(), sha('d'));
        assert_eq!(recompute_digests(&mut unnamed).unwrap(), vec![sha('d')]);
        assert_eq!(unnamed.digest, sha('d'));
    }

    #[test]
    fn invalid_digests_are_reported() {
        let mut image = Image {
            digest: "sha256:1234".into(),
            ..Image::default()
        };
        assert_eq!(
            recompute_digests(&mut image).unwrap_err(),
            "validating image digest \"sha256:1234\": invalid checksum digest length"
        );
    }
}
