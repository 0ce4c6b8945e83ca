//! Graph queries over the loaded layer records (no file-system walks).

use super::{Access, Store};
use crate::error::{ErrorKind, Result, StoreError};
use std::collections::BTreeSet;

impl Store {
    /// IDs of layers that are no layer's parent (primary and additional stores).
    pub fn heads(&mut self) -> Result<Vec<String>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let all = self.layers()?.all();
        let parents: BTreeSet<&str> = all.iter().map(|l| l.record.parent.as_str()).collect();
        Ok(all
            .iter()
            .filter(|l| !parents.contains(l.record.id.as_str()))
            .map(|l| l.record.id.clone())
            .collect())
    }

    /// IDs of the layers whose parent is `layer`.
    pub fn children(&mut self, layer: &str) -> Result<Vec<String>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let layers = self.layers()?;
        let id = layers
            .find(layer)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
            .record
            .id;
        Ok(layers
            .all()
            .into_iter()
            .filter(|l| l.record.parent == id)
            .map(|l| l.record.id)
            .collect())
    }
}
