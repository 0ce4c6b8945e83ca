//! `repair` (upstream's `Store.Repair`): removes what a [`CheckReport`]
//! found damaged in the primary store, and what depends on it: damaged
//! containers (only when asked), damaged images with the layers only they
//! used, then the damaged layers left, children before parents, and last
//! the layer trees no record names. Additional image stores are never
//! touched.
//!
//! Every removal is one of the store's own deletions (`delete-container`,
//! `delete-image`, `delete-layer`), each crash-safe on its own: a repair
//! killed half-way leaves a consistent store that a new `check` reports
//! the rest of.

use super::{CheckReport, Findings, Problem, RepairOptions};
use crate::error::{ErrorKind, Result, StoreError};
use crate::records::Record;
use crate::store::{Access, Store};
use std::collections::{HashMap, HashSet};

/// IDs of the primary store's layers, images and containers.
struct PresentIds {
    layers: HashSet<String>,
    images: HashSet<String>,
    containers: HashSet<String>,
}

/// How a damaged layer is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Removal {
    /// A layer with a record: deleted as `delete-layer` does.
    Layer(String),
    /// A tree no record names: removed from the driver's directory.
    Tree(String),
}

/// The order damaged layers are removed in: layers with a record first,
/// those at the end of a longer chain of `parents` before those nearer
/// its base (children before parents; ties by ID), then trees without a
/// record, by name (the order the vfs driver lists them in upstream).
fn removal_order(layers: &Findings, parents: &HashMap<String, String>) -> Vec<Removal> {
    let depth = |id: &str| {
        let mut seen = HashSet::new();
        let mut current = parents.get(id).map(String::as_str).unwrap_or_default();
        while !current.is_empty() && seen.insert(current) {
            current = parents.get(current).map(String::as_str).unwrap_or_default();
        }
        seen.len()
    };
    let unaccounted = |id: &str| {
        layers[id]
            .iter()
            .any(|found| found.problem == Problem::LayerUnaccounted)
    };
    let mut order: Vec<(bool, std::cmp::Reverse<usize>, &String)> = layers
        .keys()
        .map(|id| (unaccounted(id), std::cmp::Reverse(depth(id)), id))
        .collect();
    order.sort();
    order
        .into_iter()
        .map(|(unaccounted, _, id)| match unaccounted {
            true => Removal::Tree(id.clone()),
            false => Removal::Layer(id.clone()),
        })
        .collect()
}

/// Whether a failed removal only says the object is already gone (which
/// upstream ignores too).
fn already_gone(error: &StoreError) -> bool {
    matches!(
        error.kind,
        ErrorKind::ContainerUnknown
            | ErrorKind::NotAContainer
            | ErrorKind::ImageUnknown
            | ErrorKind::NotAnImage
            | ErrorKind::LayerUnknown
            | ErrorKind::NotALayer
    )
}

impl Store {
    /// Removes what `report` found damaged (see the module documentation);
    /// returns the removals that failed, each worded `deleting <kind> <id>:
    /// <error>` as upstream's. Containers are removed only with
    /// `options.remove_containers`.
    pub fn repair(
        &mut self,
        report: &CheckReport,
        options: &RepairOptions,
    ) -> Result<Vec<StoreError>> {
        self.check_writable()?;
        let mut failures = Vec::new();
        let mut keep = |outcome: Result<()>, context: std::fmt::Arguments<'_>| {
            if let Err(error) = outcome
                && !already_gone(&error)
            {
                failures.push(error.wrap(context));
            }
        };
        let present = self.present_ids()?;
        if options.remove_containers {
            for id in report.containers.keys() {
                if present.containers.contains(id) {
                    let outcome = self.delete_container(id);
                    keep(outcome, format_args!("deleting container {id}"));
                }
            }
        }
        let mut deleted_layers = HashSet::new();
        for id in report.images.keys() {
            if present.images.contains(id) {
                let outcome = self.delete_image(id, true).map(|deleted| {
                    deleted_layers.extend(deleted.deleted_layers);
                });
                keep(outcome, format_args!("deleting image {id}"));
            }
        }
        let parents = self.layer_parents()?;
        for removal in removal_order(&report.layers, &parents) {
            match removal {
                Removal::Layer(id)
                    if present.layers.contains(&id) && !deleted_layers.contains(&id) =>
                {
                    let outcome = self.delete_layer(&id);
                    keep(outcome, format_args!("deleting layer {id}"));
                }
                Removal::Layer(_) => {}
                Removal::Tree(id) => {
                    let outcome = self.remove_unaccounted_tree(&id);
                    keep(outcome, format_args!("deleting storage layer {id}"));
                }
            }
        }
        Ok(failures)
    }

    /// IDs of the primary store's records: a report names objects by ID,
    /// and an entry whose object is gone is skipped (never taken for a
    /// name or ID prefix of another object).
    fn present_ids(&mut self) -> Result<PresentIds> {
        let _held = self.hold(Access::Read, Access::Read, Access::Read)?;
        fn ids<T: Record>(records: &[T]) -> HashSet<String> {
            records
                .iter()
                .map(|record| record.id().to_string())
                .collect()
        }
        Ok(PresentIds {
            layers: ids(self.layers()?.file.records()),
            images: ids(self.images.records()),
            containers: ids(self.containers.records()),
        })
    }

    /// Every known layer's parent (all stores).
    fn layer_parents(&mut self) -> Result<HashMap<String, String>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        Ok(self
            .layers()?
            .all()
            .into_iter()
            .map(|view| (view.record.id, view.record.parent))
            .collect())
    }

    /// Removes the primary store's layer tree `id` unless a layer record
    /// names it by now (one created since the check is not damage).
    fn remove_unaccounted_tree(&mut self, id: &str) -> Result<()> {
        let _held = self.hold(Access::Write, Access::None, Access::None)?;
        let layers = self.layers()?;
        if layers.file.position_of_id(id).is_some() {
            return Ok(());
        }
        layers.vfs.remove(id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CheckError, Problem};
    use super::*;

    fn found(problem: Problem) -> Vec<CheckError> {
        vec![CheckError {
            problem,
            message: String::new(),
        }]
    }

    #[test]
    fn children_go_before_parents_and_unrecorded_trees_last() {
        let parents: HashMap<String, String> = [("base", ""), ("mid", "base"), ("top", "mid")]
            .into_iter()
            .map(|(id, parent)| (id.to_string(), parent.to_string()))
            .collect();
        let mut layers = Findings::new();
        for id in ["base", "top", "mid", "other"] {
            layers.insert(id.into(), found(Problem::LayerIncorrectContentDigest));
        }
        layers.insert("b-tree".into(), found(Problem::LayerUnaccounted));
        layers.insert("a-tree".into(), found(Problem::LayerUnaccounted));
        assert_eq!(
            removal_order(&layers, &parents),
            vec![
                Removal::Layer("top".into()),
                Removal::Layer("mid".into()),
                Removal::Layer("base".into()),
                Removal::Layer("other".into()),
                Removal::Tree("a-tree".into()),
                Removal::Tree("b-tree".into()),
            ]
        );
    }

    #[test]
    fn a_parent_cycle_does_not_hang_the_ordering() {
        let parents: HashMap<String, String> = [("a", "b"), ("b", "a")]
            .into_iter()
            .map(|(id, parent)| (id.to_string(), parent.to_string()))
            .collect();
        let mut layers = Findings::new();
        layers.insert("a".into(), found(Problem::LayerMissing));
        assert_eq!(
            removal_order(&layers, &parents),
            vec![Removal::Layer("a".into())]
        );
    }

    #[test]
    fn only_unknown_object_errors_count_as_already_gone() {
        assert!(already_gone(&StoreError::new(ErrorKind::NotALayer)));
        assert!(already_gone(&StoreError::new(ErrorKind::ImageUnknown)));
        assert!(!already_gone(&StoreError::new(ErrorKind::LayerUsedByImage)));
        assert!(!already_gone(&StoreError::io("stat x: permission denied")));
    }
}
