//! `check`: walks layers, images and containers under read locks and
//! reports what is damaged, in upstream's order (layers of the primary
//! store, then of additional stores; images likewise; containers; then
//! unreferenced layers and layer trees without a record).

use super::{
    CheckError, CheckOptions, CheckReport, DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS, Findings, Noun,
    Problem, Subject, incorrect_size, missing_container_image, missing_image_layer, missing_parent,
    note,
};
use crate::disk::Dir;
use crate::error::Result;
use crate::format::timestamp::Timestamp;
use crate::platform::Sha256Hasher;
use crate::records::Layer;
use crate::store::big_data::read_item_if_present;
use crate::store::diff::missing_tree;
use crate::store::{Access, Store};
use crate::stores::Kind;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;

/// The only digest algorithm a rebuilt diff is hashed with (what 1.43 and
/// graphstore record); layers recorded with another one are not compared.
const CHECKED_ALGORITHM: &str = "sha256:";
const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// What one `check` has learned so far.
#[derive(Default)]
struct Scan {
    report: CheckReport,
    /// Each known layer's parent ("" for none).
    parents: HashMap<String, String>,
    /// Layers of the primary store, and whether something uses them.
    referenced: HashMap<String, bool>,
    /// Layers of additional stores, and whether something uses them.
    referenced_read_only: HashMap<String, bool>,
    /// Images looked at (the first copy of an ID wins).
    examined_images: HashSet<String>,
}

impl Scan {
    fn knows_layer(&self, id: &str) -> bool {
        self.referenced.contains_key(id) || self.referenced_read_only.contains_key(id)
    }

    fn layer_findings(&mut self, read_only: bool) -> &mut Findings {
        if read_only {
            &mut self.report.read_only_layers
        } else {
            &mut self.report.layers
        }
    }

    /// Marks `layer` and its ancestors as used.
    fn reference_chain(&mut self, layer: &str) {
        let mut seen = HashSet::new();
        let mut current = layer.to_string();
        while !current.is_empty() && seen.insert(current.clone()) {
            for map in [&mut self.referenced, &mut self.referenced_read_only] {
                if let Some(used) = map.get_mut(&current) {
                    *used = true;
                }
            }
            current = self.parents.get(&current).cloned().unwrap_or_default();
        }
    }

    /// The findings of layer `id` (both stores' lists).
    fn findings_of_layer(&self, id: &str) -> Vec<CheckError> {
        let report = &self.report;
        let primary = report.layers.get(id).into_iter().flatten();
        let read_only = report.read_only_layers.get(id).into_iter().flatten();
        primary.chain(read_only).cloned().collect()
    }
}

/// Hashes and counts what is written (a rebuilt diff).
struct DigestingWriter {
    hasher: Sha256Hasher,
    size: u64,
}

impl Write for DigestingWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(data);
        self.size += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Nanoseconds since the Unix epoch.
fn nanos(time: Timestamp) -> i128 {
    i128::from(time.seconds) * NANOS_PER_SECOND + i128::from(time.nanoseconds)
}

/// Whether an unreferenced layer created at `created` is reported: it was
/// created before `now - maximum_age`, or its creation time is unknown
/// (Go's zero time).
pub(super) fn unreferenced_too_long(created: Timestamp, maximum_age: i64, now: Timestamp) -> bool {
    let zero = Timestamp::default();
    let unknown = (created.seconds, created.nanoseconds) == (zero.seconds, zero.nanoseconds);
    unknown || nanos(created) + i128::from(maximum_age) < nanos(now)
}

impl Store {
    /// Checks the store (upstream's `Store.Check`) and reports what is
    /// damaged; changes nothing.
    pub fn check(&mut self, options: &CheckOptions) -> Result<CheckReport> {
        let _held = self.hold(Access::Read, Access::Read, Access::Read)?;
        let mut scan = Scan::default();
        self.check_layers(options, &mut scan)?;
        self.check_images(options, &mut scan)?;
        self.check_containers(options, &mut scan)?;
        for layer in self.leased_layers()?.into_keys() {
            // A lease protects a pull in flight: its layers are in use.
            scan.reference_chain(&layer);
        }
        self.check_unreferenced(options, &mut scan)?;
        self.check_unaccounted(&mut scan)?;
        Ok(scan.report)
    }

    /// Data items and rebuilt diffs of every layer; trees and parents of
    /// the primary store's.
    fn check_layers(&mut self, options: &CheckOptions, scan: &mut Scan) -> Result<()> {
        let layers = self.layers()?;
        let primary: Vec<Layer> = layers.file.records().to_vec();
        let trees: BTreeSet<String> = layers.vfs.trees()?.into_iter().collect();
        let additional: Vec<(Dir, Vec<Layer>)> = layers
            .additional
            .iter()
            .map(|store| Ok((store.dir().reopen()?, store.records().to_vec())))
            .collect::<Result<_>>()?;
        let primary_dir = layers.file.dir().reopen()?;
        for layer in &primary {
            self.check_layer(layer, &primary_dir, false, options, scan)?;
        }
        if options.layer_mountable {
            let layers = self.layers()?;
            for layer in &primary {
                if !trees.contains(&layer.id) {
                    let path = layers.vfs.layer_path(&layer.id);
                    let subject = layer_subject(&layer.id, false);
                    note(
                        &mut scan.report.layers,
                        &layer.id,
                        [subject.failure(missing_tree(&path))],
                    );
                }
            }
        }
        for (dir, records) in &additional {
            for layer in records {
                self.check_layer(layer, dir, true, options, scan)?;
            }
        }
        // Parents are looked for in every store (upstream looks only among
        // the layers seen before the additional stores, so a container
        // layer whose parent is a read-only image's layer would be missing).
        for layer in &primary {
            if !layer.parent.is_empty() && !scan.knows_layer(&layer.parent) {
                note(
                    &mut scan.report.layers,
                    &layer.id,
                    [missing_parent(&layer.parent)],
                );
            }
        }
        Ok(())
    }

    /// Data items and rebuilt diff of one layer (skipped when a store
    /// before had the same ID).
    fn check_layer(
        &mut self,
        layer: &Layer,
        records_dir: &Dir,
        read_only: bool,
        options: &CheckOptions,
        scan: &mut Scan,
    ) -> Result<()> {
        let id = &layer.id;
        if scan.knows_layer(id) {
            return Ok(());
        }
        scan.parents.insert(id.clone(), layer.parent.clone());
        if read_only {
            scan.referenced_read_only.insert(id.clone(), false);
        } else {
            scan.referenced.insert(id.clone(), false);
        }
        let subject = layer_subject(id, read_only);
        let mut found = Vec::new();
        if options.layer_data {
            for key in &layer.big_data_names {
                match read_item_if_present(records_dir, Kind::Layer, id, key) {
                    Ok(Some(_)) => {}
                    Ok(None) => found.push(subject.data_item(key, Problem::LayerDataMissing)),
                    Err(err) => found.push(subject.data_item_failure(key, err)),
                }
            }
        }
        if options.layer_digests && !layer.uncompressed_digest.is_empty() {
            found.extend(self.check_layer_digest(layer, subject)?);
        }
        note(scan.layer_findings(read_only), id, found);
        Ok(())
    }

    /// Rebuilds the layer's diff and compares its digest and size with
    /// the recorded ones.
    fn check_layer_digest(
        &mut self,
        layer: &Layer,
        subject: Subject<'_>,
    ) -> Result<Vec<CheckError>> {
        let recorded = &layer.uncompressed_digest;
        if let Err(err) = crate::ident::digest::validate(recorded) {
            return Ok(vec![subject.failure(err)]);
        }
        if !recorded.starts_with(CHECKED_ALGORITHM) {
            return Ok(Vec::new());
        }
        let mut rebuilt = DigestingWriter {
            hasher: Sha256Hasher::new(),
            size: 0,
        };
        if let Err(err) = self.write_layer_tar(layer, &layer.parent, &mut rebuilt) {
            return Ok(vec![subject.failure(err)]);
        }
        let digest = format!(
            "{CHECKED_ALGORITHM}{}",
            hex::encode(rebuilt.hasher.digest())
        );
        let mut found = Vec::new();
        if &digest != recorded {
            found.push(subject.problem(Problem::LayerIncorrectContentDigest));
        }
        if layer.uncompressed_size != -1
            && i128::from(rebuilt.size) != i128::from(layer.uncompressed_size)
        {
            found.push(incorrect_size(
                subject,
                rebuilt.size,
                layer.uncompressed_size,
            ));
        }
        Ok(found)
    }

    /// Data items of every image and the layers they use (each image
    /// carries its layers' findings).
    fn check_images(&mut self, options: &CheckOptions, scan: &mut Scan) -> Result<()> {
        let stores = std::iter::once((&self.images, false))
            .chain(self.additional_images.iter().map(|store| (store, true)));
        for (store, read_only) in stores {
            for image in store.records() {
                if !scan.examined_images.insert(image.id.clone()) {
                    continue;
                }
                let subject = Subject {
                    noun: Noun::Image,
                    id: &image.id,
                    read_only,
                };
                let mut found = Vec::new();
                if options.image_data {
                    for key in &image.big_data_names {
                        let recorded = image.big_data_sizes.get(key).copied().unwrap_or(0);
                        found.extend(check_sized_item(
                            store.dir(),
                            Kind::Image,
                            subject,
                            key,
                            recorded,
                            Problem::ImageDataMissing,
                            Problem::ImageDataIncorrectSize,
                        ));
                    }
                }
                let tops = std::iter::once(&image.top_layer).chain(&image.mapped_top_layers);
                let mut walked = HashSet::new();
                for top in tops {
                    if top.is_empty() || !walked.insert(top.clone()) {
                        continue;
                    }
                    let mut chain = HashSet::new();
                    let mut layer = top.clone();
                    while !layer.is_empty() && chain.insert(layer.clone()) {
                        if scan.knows_layer(&layer) {
                            scan.reference_chain(&layer);
                        } else {
                            found.push(missing_image_layer(subject, &layer));
                        }
                        found.extend(scan.findings_of_layer(&layer));
                        layer = scan.parents.get(&layer).cloned().unwrap_or_default();
                    }
                }
                let findings = if read_only {
                    &mut scan.report.read_only_images
                } else {
                    &mut scan.report.images
                };
                note(findings, &image.id, found);
            }
        }
        Ok(())
    }

    /// Data items, image and layer of every container (each container
    /// carries its image's findings and its layer's).
    fn check_containers(&mut self, options: &CheckOptions, scan: &mut Scan) -> Result<()> {
        for container in self.containers.records() {
            let subject = Subject {
                noun: Noun::Container,
                id: &container.id,
                read_only: false,
            };
            let mut found = Vec::new();
            if options.container_data {
                for key in &container.big_data_names {
                    let recorded = container.big_data_sizes.get(key).copied().unwrap_or(0);
                    found.extend(check_sized_item(
                        self.containers.dir(),
                        Kind::Container,
                        subject,
                        key,
                        recorded,
                        Problem::ContainerDataMissing,
                        Problem::ContainerDataIncorrectSize,
                    ));
                }
            }
            let image = &container.image_id;
            if !image.is_empty() {
                if !scan.examined_images.contains(image) {
                    found.push(missing_container_image(image));
                }
                let report = &scan.report;
                for findings in [&report.images, &report.read_only_images] {
                    found.extend(findings.get(image).into_iter().flatten().cloned());
                }
            }
            let layer = &container.layer_id;
            if !layer.is_empty() {
                // Beyond upstream, which neither notices a container's
                // missing layer nor passes its layer's findings on.
                if !scan.knows_layer(layer) {
                    found.push(missing_parent(layer));
                }
                found.extend(scan.findings_of_layer(layer));
                scan.referenced.insert(layer.clone(), true);
            }
            note(&mut scan.report.containers, &container.id, found);
        }
        Ok(())
    }

    /// Primary-store layers nothing uses, created longer ago than allowed.
    fn check_unreferenced(&mut self, options: &CheckOptions, scan: &mut Scan) -> Result<()> {
        let maximum_age = options
            .layer_unreferenced_maximum_age
            .unwrap_or(DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS);
        let now = crate::platform::now();
        for layer in self.layers()?.file.records() {
            let used = scan.referenced.get(&layer.id).copied().unwrap_or(false);
            if !used && unreferenced_too_long(layer.created, maximum_age, now) {
                let subject = layer_subject(&layer.id, false);
                note(
                    &mut scan.report.layers,
                    &layer.id,
                    [subject.problem(Problem::LayerUnreferenced)],
                );
            }
        }
        Ok(())
    }

    /// Layer trees of the primary store that no layer record names.
    fn check_unaccounted(&mut self, scan: &mut Scan) -> Result<()> {
        for tree in self.layers()?.vfs.trees()? {
            if !scan.referenced.contains_key(&tree) {
                let subject = layer_subject(&tree, false);
                note(
                    &mut scan.report.layers,
                    &tree,
                    [subject.problem(Problem::LayerUnaccounted)],
                );
            }
        }
        Ok(())
    }
}

fn layer_subject(id: &str, read_only: bool) -> Subject<'_> {
    Subject {
        noun: Noun::Layer,
        id,
        read_only,
    }
}

/// Reads data item `key` of a record and compares its length with the
/// recorded size.
fn check_sized_item(
    records_dir: &Dir,
    kind: Kind,
    subject: Subject<'_>,
    key: &str,
    recorded: i64,
    missing: Problem,
    wrong_size: Problem,
) -> Option<CheckError> {
    match read_item_if_present(records_dir, kind, subject.id, key) {
        Ok(Some(data)) if i64::try_from(data.len()) == Ok(recorded) => None,
        Ok(Some(_)) => Some(subject.data_item(key, wrong_size)),
        Ok(None) => Some(subject.data_item(key, missing)),
        Err(err) => Some(subject.data_item_failure(key, err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreferenced_layers_are_reported_past_the_allowed_age_or_without_a_creation_time() {
        let now = Timestamp::utc(1_000_000, 0);
        let hour = 3600 * 1_000_000_000_i64;
        let created = Timestamp::utc(1_000_000 - 7200, 0);
        assert!(unreferenced_too_long(created, hour, now));
        assert!(!unreferenced_too_long(created, 3 * hour, now));
        // Exactly at the limit is not past it.
        assert!(!unreferenced_too_long(created, 2 * hour, now));
        assert!(unreferenced_too_long(created, 2 * hour - 1, now));
        // A negative age reports even a layer made just now.
        assert!(unreferenced_too_long(now, -1, now));
        assert!(!unreferenced_too_long(now, 0, now));
        assert!(unreferenced_too_long(Timestamp::default(), i64::MAX, now));
    }
}
