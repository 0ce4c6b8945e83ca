//! `create-storage-layer` and `storage-layers` (newer containers/storage):
//! layer trees in the vfs driver alone, without a record in `layers.json`
//! (storage v1.62's `driver.Create`/`CreateReadWrite` and
//! `driver.ListLayers`).
//!
//! As upstream, a tree made here is known to no layer record: `layers`
//! does not list it and `gc` removes it when its name looks generated.

use super::layers::LayerOptions;
use super::vfs::IdShift;
use super::{Access, Store, check_user_id, given, new_id};
use crate::error::Result;

impl Store {
    /// Creates a layer tree in the driver only: empty (its root owned by
    /// the root the maps give), or a copy of driver layer `parent`'s tree
    /// (an ID, as the driver knows it; owners kept). Returns its ID: `id`,
    /// or a fresh random one. A tree of that ID must not exist yet.
    pub fn create_storage_layer(
        &mut self,
        id: Option<&str>,
        parent: Option<&str>,
        options: &LayerOptions,
    ) -> Result<String> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::None)?;
        let layers = self.layers()?;
        let id = match given(id) {
            Some(id) => {
                check_user_id(id)?;
                id.to_string()
            }
            None => new_id(|candidate| matches!(layers.vfs.open_layer(candidate), Ok(Some(_)))),
        };
        let maps = (
            if options.host_uid_mapping {
                Vec::new()
            } else {
                options.uid_map.clone().unwrap_or_default()
            },
            if options.host_gid_mapping {
                Vec::new()
            } else {
                options.gid_map.clone().unwrap_or_default()
            },
        );
        let shift = IdShift {
            from: maps.clone(),
            to: maps,
        };
        // A read-only tree goes to the split image store, if any (upstream's
        // `driver.Create` as against `CreateReadWrite`).
        layers
            .vfs
            .create(&id, given(parent), &shift, options.read_only)?;
        Ok(id)
    }

    /// The layer trees of the driver in the graph root (not those of
    /// additional image stores), sorted by name as Go's `os.ReadDir`.
    pub fn storage_layers(&mut self) -> Result<Vec<String>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let mut trees = self.layers()?.vfs.trees()?;
        trees.sort();
        Ok(trees)
    }
}
