//! Compound operations that survive a kill at any point: the intent file.
//!
//! Creating or deleting a container and deleting an image each change
//! several things (a record file, a layer, directories) that no single
//! rename can publish together. 1.43 has windows where a crash leaves a
//! container whose layer is gone, or an orphaned layer or image directory.
//! graphstore writes what it is about to do to `graphstore-intent.json` in
//! the graph root first, then saves the one record file whose rename is the
//! operation's commit point, then does the rest. Whoever finds the file
//! later (the next open, or the next compound operation) finishes a
//! committed operation or forgets one that never reached its commit point:
//! afterwards the operation is either fully done or fully absent.
//!
//! Every compound operation holds the layers, images and containers locks
//! exclusively from before the intent is written until it is removed (as
//! 1.43's deletes do), so an intent found under those locks belongs to a
//! writer that died.

use super::Store;
use crate::error::Result;
use crate::format::go_json;
use serde::{Deserialize, Serialize};

/// The intent file, in the graph root (1.43 ignores files it does not know).
pub(super) const INTENT_FILE: &str = "graphstore-intent.json";

/// What an interrupted compound operation was doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", rename_all = "kebab-case")]
pub(super) enum Intent {
    /// Removing the records of `containers` and `images` in one save (the
    /// commit point), then their directories and whichever of `layers`
    /// nothing references any more (in this order).
    Delete {
        /// Container IDs whose records go.
        #[serde(default)]
        containers: Vec<String>,
        /// Image IDs whose records go.
        #[serde(default)]
        images: Vec<String>,
        /// Layers to delete afterwards, children before parents.
        #[serde(default)]
        layers: Vec<String>,
    },
    /// Creating container `container` on new layer `layer` (and, for ID
    /// maps no layer of the image has, on a new mapped copy of the image's
    /// top layer, recorded on the image first): the layers are made first,
    /// saving the container record is the commit point.
    CreateContainer {
        /// The new container's ID.
        container: String,
        /// The new container's layer ID.
        layer: String,
        /// The mapped copy made for it, if one is.
        #[serde(
            default,
            rename = "mapped-copy",
            skip_serializing_if = "Option::is_none"
        )]
        mapped_copy: Option<MappedCopy>,
    },
}

/// An ID-mapped copy of an image's top layer made for a new container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MappedCopy {
    /// The image whose mapped top layers list the copy.
    pub image: String,
    /// The copy's layer ID.
    pub layer: String,
}

/// Parses an intent file; `None` for a torn one (a writer killed while
/// writing it had not reached its commit point).
pub(super) fn parse(bytes: &[u8]) -> Option<Intent> {
    go_json::from_slice(bytes).ok()
}

impl Store {
    /// Records `intent` before a compound operation's first change. The
    /// caller holds all three locks exclusively and has resolved any intent
    /// a dead writer left ([`Store::hold_for_compound_operation`] does
    /// both); one still there makes this fail (`exist`), never overwritten.
    pub(super) fn begin_intent(&mut self, intent: &Intent) -> Result<()> {
        let bytes = go_json::to_vec(intent);
        self.graph
            .create_file_from(INTENT_FILE, &mut bytes.as_slice(), "intent")
    }

    /// Forgets the intent once the operation is complete.
    pub(super) fn end_intent(&mut self) -> Result<()> {
        Ok(self.graph.remove_file(INTENT_FILE)?)
    }

    /// Finishes or forgets the operation a dead writer's intent file
    /// describes, and removes the file. The caller holds all three locks
    /// exclusively.
    pub(super) fn resolve_intent(&mut self) -> Result<()> {
        let Some(bytes) = self.graph.read_file(INTENT_FILE)? else {
            return Ok(());
        };
        match parse(&bytes) {
            Some(Intent::Delete {
                containers,
                images,
                layers,
            }) => {
                let committed = containers
                    .iter()
                    .all(|id| self.containers.position_of_id(id).is_none())
                    && images
                        .iter()
                        .all(|id| self.images.position_of_id(id).is_none());
                if committed {
                    self.finish_deletion(&containers, &images, &layers)?;
                }
            }
            Some(Intent::CreateContainer {
                container,
                layer,
                mapped_copy,
            }) if self.containers.position_of_id(&container).is_none() => {
                self.finish_deletion(&[container], &[], &[layer])?;
                if let Some(copy) = mapped_copy {
                    self.forget_mapped_copy(&copy)?;
                }
            }
            Some(Intent::CreateContainer { .. }) | None => {}
        }
        self.end_intent()
    }

    /// What remains of deleting records: the directories of `containers`
    /// and `images` (which have no records any more), then each of `layers`
    /// that still exists and that no layer, image, container or lease
    /// references. Running it again after an interruption is harmless.
    pub(super) fn finish_deletion(
        &mut self,
        containers: &[String],
        images: &[String],
        layers: &[String],
    ) -> Result<()> {
        for id in containers {
            self.remove_container_dirs(id)?;
        }
        let run_images = self.run.open_dir(super::IMAGES_DIR)?;
        for id in images {
            self.images.dir().remove_tree(id)?;
            if let Some(run_images) = &run_images {
                run_images.remove_tree(id)?;
            }
        }
        if layers.is_empty() {
            return Ok(());
        }
        let leased = self.leased_layers()?;
        for id in layers {
            if !leased.contains_key(id) && self.layer_is_unreferenced(id)? {
                self.layers()?.delete(id)?;
            }
        }
        Ok(())
    }

    /// Takes back a mapped copy made for a container that was never
    /// created: off its image's list, then deleted if nothing else uses it.
    fn forget_mapped_copy(&mut self, copy: &MappedCopy) -> Result<()> {
        if let Some(position) = self.images.position_of_id(&copy.image)
            && self
                .images
                .at(position)
                .mapped_top_layers
                .contains(&copy.layer)
        {
            self.images.update(position, |image| {
                image.mapped_top_layers.retain(|layer| *layer != copy.layer)
            });
            self.images.save()?;
        }
        self.finish_deletion(&[], &[], std::slice::from_ref(&copy.layer))
    }

    /// Whether primary-store layer `id` exists and no layer, image or
    /// container refers to it.
    fn layer_is_unreferenced(&mut self, id: &str) -> Result<bool> {
        let layers = self.layers()?;
        if layers.file.position_of_id(id).is_none() || !layers.children_of(id).is_empty() {
            return Ok(false);
        }
        let used_by_container = self.containers.records().iter().any(|c| c.layer_id == id);
        let used_by_image = self.images.records().iter().any(|image| {
            image.top_layer == id || image.mapped_top_layers.iter().any(|mapped| mapped == id)
        });
        Ok(!used_by_container && !used_by_image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_round_trip_and_torn_files_parse_as_none() {
        let intent = Intent::Delete {
            containers: vec!["c".into()],
            images: vec![],
            layers: vec!["l".into()],
        };
        let bytes = go_json::to_vec(&intent);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"operation":"delete","containers":["c"],"images":[],"layers":["l"]}"#
        );
        assert_eq!(parse(&bytes), Some(intent));
        assert_eq!(parse(&bytes[..bytes.len() - 1]), None);
        assert_eq!(parse(b""), None);
        let create = br#"{"operation":"create-container","container":"c","layer":"l"}"#;
        assert_eq!(
            parse(create),
            Some(Intent::CreateContainer {
                container: "c".into(),
                layer: "l".into(),
                mapped_copy: None,
            })
        );
    }
}
