//! `check`: walks layers, images and containers under read locks and
//! reports what is damaged, in upstream's order (layers of the primary
//! store, then of additional stores; images likewise; containers; then
//! unreferenced layers and layer trees without a record).

use super::contents::{self, EntryHeader, Ignore, Tree};
use super::{
    CheckError, CheckOptions, CheckReport, DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS, Findings, Noun,
    Problem, Subject, content_modified, incorrect_size, missing_container_image,
    missing_image_layer, missing_parent, note,
};
use crate::archive::{Disassembler, Entry, EntryKind, EntrySink, TarSplitReader};
use crate::disk::{Dir, EntryKind as EntryKindOnDisk, byte_names};
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
    /// Headers of the diffs of layers whose rebuilt diff matched its record.
    diff_headers: HashMap<String, Vec<EntryHeader>>,
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
            for layer in &primary {
                let subject = layer_subject(&layer.id, false);
                if !trees.contains(&layer.id) {
                    let path = self.layers()?.vfs.layer_path(&layer.id);
                    let gone = subject.failure(missing_tree(&path));
                    note(&mut scan.report.layers, &layer.id, [gone]);
                    continue;
                }
                if options.layer_digests && options.layer_contents {
                    let found = self.compare_layer_tree(layer, subject, scan)?;
                    note(&mut scan.report.layers, &layer.id, found);
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
            let digest_findings = self.check_layer_digest(layer, subject)?;
            if digest_findings.is_empty()
                && options.layer_contents
                && let Some(headers) = self.diff_headers(id)
            {
                scan.diff_headers.insert(id.clone(), headers);
            }
            found.extend(digest_findings);
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

    /// The headers of layer `id`'s diff, read from its tar-split (file
    /// contents are not read: zeros stand in for them); `None` when there
    /// is no tar-split or it does not parse.
    fn diff_headers(&mut self, id: &str) -> Option<Vec<EntryHeader>> {
        let tar_split = self.layers().ok()?.open_tar_split(id).ok()??;
        let stream = HeaderStream::new(TarSplitReader::gzip(tar_split));
        let mut tar = Disassembler::new(stream, Discard);
        let mut headers = Vec::new();
        while let Some(member) = tar.next_member().ok()? {
            headers.push(EntryHeader {
                // Names that are not UTF-8 as the tree walk reports them.
                name: byte_names::encode_path(&member.path).into_owned(),
                typeflag: member.typeflag,
                link_name: byte_names::encode_path(&member.link_target).into_owned(),
                uid: member.uid,
                gid: member.gid,
                size: member.size,
                mode: member.mode,
                mtime: member.mtime.seconds,
            });
        }
        Some(headers)
    }

    /// Compares a primary-store layer's tree with what the diffs of it and
    /// its ancestors describe (only when every one of them matched its
    /// record; ID-mapped layers, whose owners were shifted, are skipped).
    fn compare_layer_tree(
        &mut self,
        layer: &Layer,
        subject: Subject<'_>,
        scan: &Scan,
    ) -> Result<Vec<CheckError>> {
        if layer.uncompressed_digest.is_empty()
            || !layer.uid_map.is_empty()
            || !layer.gid_map.is_empty()
        {
            return Ok(Vec::new());
        }
        let mut chain = Vec::new();
        let mut current = layer.id.as_str();
        while !current.is_empty() {
            let Some(headers) = scan.diff_headers.get(current) else {
                return Ok(Vec::new());
            };
            if chain.len() > scan.parents.len() {
                return Ok(Vec::new()); // a cycle of parents
            }
            chain.push(headers);
            current = scan.parents.get(current).map(String::as_str).unwrap_or("");
        }
        let now = crate::platform::now().seconds;
        let mut expected = Tree::new(now);
        for headers in chain.into_iter().rev() {
            expected.apply_diff(headers);
        }
        let Some(root) = self.layers()?.vfs.open_layer(&layer.id)? else {
            return Ok(Vec::new());
        };
        let actual = match disk_tree(&root, now) {
            Ok(tree) => tree,
            Err(err) => {
                let scanning = format!("scanning contents of {}: {err}", subject.prefix());
                return Ok(vec![super::finding(Problem::Other, scanning)]);
            }
        };
        let ignore = Ignore::from_driver_options(&self.options.driver_options);
        Ok(contents::differences(&expected, &actual, now, ignore)
            .iter()
            .map(|difference| content_modified(subject, difference))
            .collect())
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

/// The tree on disk under `root`, as upstream reads it into tar headers.
fn disk_tree(root: &Dir, now: i64) -> Result<Tree> {
    let mut tree = Tree::new(now);
    let mut pending = vec![(String::new(), root.reopen()?)];
    while let Some((prefix, dir)) = pending.pop() {
        let mut entries = dir.read_dir()?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            let stat = &entry.stat;
            let Some(typeflag) = contents::typeflag_of_mode(stat.mode) else {
                return Err(crate::error::StoreError::io(
                    "archive/tar: sockets not supported",
                ));
            };
            let name = format!("{prefix}{}", entry.name);
            let is_regular = EntryKindOnDisk::from_mode(stat.mode) == EntryKindOnDisk::File;
            tree.apply(&EntryHeader {
                name: name.clone(),
                typeflag,
                link_name: String::new(),
                uid: i64::from(stat.uid),
                gid: i64::from(stat.gid),
                size: if is_regular { stat.size as i64 } else { 0 },
                mode: i64::from(stat.mode & MODE_BITS),
                mtime: stat.modification.seconds,
            });
            if EntryKindOnDisk::from_mode(stat.mode) == EntryKindOnDisk::Directory
                && let Some(child) = dir.open_dir(&entry.name)?
            {
                pending.push((format!("{name}/"), child));
            }
        }
    }
    Ok(tree)
}

/// Permission bits plus setuid, setgid and sticky (what a tar header holds).
const MODE_BITS: u32 = 0o7777;

/// A tar stream rebuilt from tar-split entries with zeros in place of the
/// files' contents: enough to read every header without the files.
struct HeaderStream<I> {
    entries: I,
    pending: Vec<u8>,
    offset: usize,
    zeros: u64,
}

impl<I> HeaderStream<I> {
    fn new(entries: I) -> Self {
        HeaderStream {
            entries,
            pending: Vec::new(),
            offset: 0,
            zeros: 0,
        }
    }
}

impl<I: Iterator<Item = crate::archive::Result<Entry>>> std::io::Read for HeaderStream<I> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if self.zeros > 0 {
                let n = buf
                    .len()
                    .min(usize::try_from(self.zeros).unwrap_or(usize::MAX));
                buf[..n].fill(0);
                self.zeros -= n as u64;
                return Ok(n);
            }
            if self.offset < self.pending.len() {
                let n = buf.len().min(self.pending.len() - self.offset);
                buf[..n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
                self.offset += n;
                return Ok(n);
            }
            let Some(entry) = self.entries.next() else {
                return Ok(0);
            };
            let entry = entry.map_err(std::io::Error::other)?;
            match entry.kind {
                EntryKind::Segment => {
                    self.pending = entry.payload.unwrap_or_default();
                    self.offset = 0;
                }
                EntryKind::File => self.zeros = u64::try_from(entry.size).unwrap_or(0),
            }
        }
    }
}

/// Keeps no tar-split entries (only the headers are wanted).
struct Discard;

impl EntrySink for Discard {
    fn add_entry(&mut self, _entry: Entry) -> crate::archive::Result<()> {
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
