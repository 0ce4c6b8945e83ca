//! `gc` (newer containers/storage): removes what no record owns — data
//! directories of images and containers that are gone, layer trees,
//! tar-split files and layer data directories without a layer — then
//! unmounts everything, as upstream's CLI does.
//!
//! As upstream, only entries named like generated IDs (64 lowercase hex
//! digits) are taken for data directories and tar-split files; every
//! directory beneath `vfs/dir` is a layer tree. All three locks are held
//! exclusively, so nothing is being created meanwhile.

use super::layer_store::TAR_SPLIT_SUFFIX;
use super::{CONTAINERS_DIR, IMAGES_DIR, Store};
use crate::disk::{Dir, EntryKind};
use crate::error::Result;
use std::collections::BTreeSet;

/// Hex digits of a generated ID.
const GENERATED_ID_LEN: usize = 64;

/// Whether `name` looks like a generated ID (upstream's `ValidateID`).
fn looks_generated(name: &str) -> bool {
    name.len() == GENERATED_ID_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Removes the directories of `dir` named like generated IDs that are not
/// in `owners`; returns their paths.
fn remove_unowned_dirs(dir: &Dir, owners: &BTreeSet<String>) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for (name, kind) in dir.entries()? {
        if kind == EntryKind::Directory && looks_generated(&name) && !owners.contains(&name) {
            dir.remove_tree(&name)?;
            removed.push(dir.child_path(&name));
        }
    }
    Ok(removed)
}

impl Store {
    /// Removes what no record owns and unmounts every layer; returns the
    /// paths removed.
    pub fn garbage_collect(&mut self) -> Result<Vec<String>> {
        self.check_writable()?;
        let mut removed = Vec::new();
        {
            let _held = self.hold_for_compound_operation()?;
            let containers: BTreeSet<String> = self
                .containers
                .records()
                .iter()
                .map(|c| c.id.clone())
                .collect();
            removed.extend(remove_unowned_dirs(self.containers.dir(), &containers)?);
            if let Some(run) = self.run.open_dir(CONTAINERS_DIR)? {
                removed.extend(remove_unowned_dirs(&run, &containers)?);
            }
            let images: BTreeSet<String> =
                self.images.records().iter().map(|i| i.id.clone()).collect();
            removed.extend(remove_unowned_dirs(self.images.dir(), &images)?);
            if let Some(run) = self.run.open_dir(IMAGES_DIR)? {
                removed.extend(remove_unowned_dirs(&run, &images)?);
            }
            removed.extend(self.collect_layers()?);
        }
        self.shutdown(true)?;
        Ok(removed)
    }

    /// Layer trees, tar-split files and layer data directories without a
    /// layer record.
    fn collect_layers(&mut self) -> Result<Vec<String>> {
        let layers = self.layers()?;
        let known: BTreeSet<String> = layers.file.records().iter().map(|l| l.id.clone()).collect();
        let mut removed = Vec::new();
        for tree in layers.vfs.trees()? {
            if !known.contains(&tree) {
                layers.vfs.remove(&tree)?;
                removed.push(layers.vfs.layer_path(&tree));
            }
        }
        let dir = layers.file.dir();
        for (name, kind) in dir.entries()? {
            let (id, is_tar_split) = match name.strip_suffix(TAR_SPLIT_SUFFIX) {
                Some(id) => (id, true),
                None => (name.as_str(), false),
            };
            if !looks_generated(id) || known.contains(id) {
                continue;
            }
            match (is_tar_split, kind) {
                (true, EntryKind::Directory) => continue,
                (true, _) => dir.remove_file(&name)?,
                (false, EntryKind::Directory) => dir.remove_tree(&name)?,
                (false, _) => continue,
            }
            removed.push(dir.child_path(&name));
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::looks_generated;

    #[test]
    fn only_64_lowercase_hex_digits_look_generated() {
        assert!(looks_generated(&"0a".repeat(32)));
        assert!(!looks_generated(&"0A".repeat(32)));
        assert!(!looks_generated(&"0a".repeat(31)));
        assert!(!looks_generated("images.json"));
        assert!(!looks_generated(&"g".repeat(64)));
    }
}
