//! `dedup` (newer containers/storage): shares the extents of identical
//! files among the layers of every image, as storage v1.62's vfs driver
//! does (`FIDEDUPERANGE`, through the disk door's `dedupe_file`).
//!
//! The layers are every image's top layer and mapped copies and all their
//! ancestors. Each regular non-empty file is hashed (`DedupHash`); a file
//! whose hash was seen before is offered to the earlier files with that
//! hash until the kernel shares one (it compares the bytes itself, so a
//! hash collision changes nothing). Files already seen by inode (hard
//! links, files shared by an earlier run) are skipped, as upstream does.
//! A file system that cannot share extents ends the run without an error
//! (upstream's answer is then "Deduplicated 0 bytes"); a failure on one
//! pair of files only moves on to the next, as upstream.

use super::{Access, Store};
use crate::disk::{Dir, EntryKind, Errno};
use crate::error::Result;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

/// How candidate identical files are found (upstream's hash methods).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupHash {
    /// CRC-64 with Go's ECMA table over the contents (upstream's default).
    Crc,
    /// The file size alone.
    Size,
    /// SHA-256 of the contents.
    Sha256,
}

/// Go's `crc64.MakeTable(crc64.ECMA)` checksum (the catalogue's CRC-64/XZ).
static CRC64_ECMA: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);

/// A file found by the walk: its layer (index into the layer roots) and
/// its path beneath the layer's root, one component per element.
#[derive(Debug, Clone)]
struct Found {
    layer: usize,
    path: Vec<String>,
}

/// Hash key of a file's contents per `method`.
fn file_key(method: DedupHash, dir: &Dir, name: &str, size: u64) -> Result<Vec<u8>> {
    if method == DedupHash::Size {
        return Ok(size.to_be_bytes().to_vec());
    }
    let Some(mut reader) = dir.open_reader(name)? else {
        // Gone since it was listed: a key no other file has.
        return Ok(Vec::new());
    };
    Ok(match method {
        DedupHash::Crc => {
            let mut digest = CRC64_ECMA.digest();
            while let Some(chunk) = reader.next_chunk()? {
                digest.update(&chunk);
            }
            digest.finalize().to_be_bytes().to_vec()
        }
        _ => {
            let mut hasher = crate::platform::Sha256Hasher::new();
            while let Some(chunk) = reader.next_chunk()? {
                hasher.update(&chunk);
            }
            hasher.digest().to_vec()
        }
    })
}

/// Opens the directory holding `found` (walking down from its layer root).
fn parent_of(roots: &[Dir], found: &Found) -> Result<Option<Dir>> {
    let mut dir = roots[found.layer].reopen()?;
    for component in &found.path[..found.path.len() - 1] {
        match dir.open_dir(component)? {
            Some(next) => dir = next,
            None => return Ok(None),
        }
    }
    Ok(Some(dir))
}

/// What one run has seen and shared.
struct Dedup<'a> {
    method: DedupHash,
    roots: &'a [Dir],
    seen_inodes: HashSet<(u64, u64)>,
    by_key: HashMap<Vec<u8>, Vec<Found>>,
    shared: u64,
}

/// Why a walk stopped early.
enum Stop {
    /// The file system cannot share extents: the run ends, no error.
    Unsupported,
    /// A real failure.
    Failed(crate::error::StoreError),
}

impl From<crate::error::StoreError> for Stop {
    fn from(error: crate::error::StoreError) -> Self {
        Stop::Failed(error)
    }
}

impl From<crate::disk::DiskError> for Stop {
    fn from(error: crate::disk::DiskError) -> Self {
        Stop::Failed(error.into())
    }
}

impl Dedup<'_> {
    /// Walks layer `layer`'s tree depth first, without recursion. A
    /// directory is opened when its turn comes, from its parent's handle
    /// (shared while siblings wait), so open handles stay about as many
    /// as the tree is deep.
    fn walk(&mut self, layer: usize) -> std::result::Result<(), Stop> {
        let root = Rc::new(self.roots[layer].reopen()?);
        self.walk_dir(layer, &root, &[])?;
        let mut pending: Vec<(Rc<Dir>, Vec<String>)> = self.subdirs(&root, &[])?;
        while let Some((parent, path)) = pending.pop() {
            let name = path.last().expect("a sub-directory has a name");
            let Some(dir) = parent.open_dir(name)? else {
                continue;
            };
            drop(parent);
            let dir = Rc::new(dir);
            self.walk_dir(layer, &dir, &path)?;
            pending.extend(self.subdirs(&dir, &path)?);
        }
        Ok(())
    }

    /// The sub-directories of `dir` (at `path`), to be walked later.
    fn subdirs(&self, dir: &Rc<Dir>, path: &[String]) -> Result<Vec<(Rc<Dir>, Vec<String>)>> {
        let mut names: Vec<String> = dir
            .entries()?
            .into_iter()
            .filter(|(_, kind)| *kind == EntryKind::Directory)
            .map(|(name, _)| name)
            .collect();
        // Popped last first: walk in name order.
        names.sort_unstable_by(|a, b| b.cmp(a));
        Ok(names
            .into_iter()
            .map(|name| {
                let mut child = path.to_vec();
                child.push(name);
                (Rc::clone(dir), child)
            })
            .collect())
    }

    /// Offers every regular non-empty file of `dir` (at `path`).
    fn walk_dir(
        &mut self,
        layer: usize,
        dir: &Dir,
        path: &[String],
    ) -> std::result::Result<(), Stop> {
        let mut entries = dir.read_dir()?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            if EntryKind::of(&entry.stat) != EntryKind::File || entry.stat.size == 0 {
                continue;
            }
            if !self.seen_inodes.insert((entry.stat.dev, entry.stat.ino)) {
                continue;
            }
            let key = file_key(self.method, dir, &entry.name, entry.stat.size)?;
            let mut file_path = path.to_vec();
            file_path.push(entry.name.clone());
            let found = Found {
                layer,
                path: file_path,
            };
            self.offer(dir, &entry.name, key, found)?;
        }
        Ok(())
    }

    /// Shares file `name` of `dir` with the first earlier file of the same
    /// key the kernel accepts; otherwise remembers it as a candidate.
    fn offer(
        &mut self,
        dir: &Dir,
        name: &str,
        key: Vec<u8>,
        found: Found,
    ) -> std::result::Result<(), Stop> {
        let Some(candidates) = self.by_key.get(&key) else {
            self.by_key.insert(key, vec![found]);
            return Ok(());
        };
        for candidate in candidates {
            let Some(source_dir) = parent_of(self.roots, candidate)? else {
                continue;
            };
            let source_name = candidate.path.last().expect("a file has a name");
            match source_dir.dedupe_file(source_name, dir, name) {
                Ok(shared) if shared > 0 => {
                    self.shared += shared;
                    return Ok(());
                }
                Ok(_) => {}
                Err(error) if error.errno() == Some(Errno::Unsupported) => {
                    return Err(Stop::Unsupported);
                }
                // Upstream only logs a pair it could not share.
                Err(_) => {}
            }
        }
        self.by_key.entry(key).or_default().push(found);
        Ok(())
    }
}

impl Store {
    /// Shares the extents of identical files among the layers of every
    /// image; returns the bytes shared (upstream's `Deduped`), 0 where the
    /// file system cannot share extents.
    pub fn dedup(&mut self, method: DedupHash) -> Result<u64> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::Read, Access::None)?;
        let tops: Vec<String> = self
            .images
            .records()
            .iter()
            .chain(self.additional_images.iter().flat_map(|s| s.records()))
            .flat_map(|image| {
                std::iter::once(image.top_layer.clone()).chain(image.mapped_top_layers.clone())
            })
            .collect();
        let layers = self.layers()?;
        let mut chosen = BTreeSet::new();
        for top in tops {
            let mut current = top;
            while !current.is_empty() && !chosen.contains(&current) {
                let Some(position) = layers.file.position_of_id(&current) else {
                    break;
                };
                chosen.insert(current.clone());
                current = layers.file.at(position).parent.clone();
            }
        }
        let mut roots = Vec::new();
        for id in &chosen {
            if let Some(root) = layers.vfs.open_layer(id)? {
                roots.push(root);
            }
        }
        let mut run = Dedup {
            method,
            roots: &roots,
            seen_inodes: HashSet::new(),
            by_key: HashMap::new(),
            shared: 0,
        };
        for layer in 0..roots.len() {
            match run.walk(layer) {
                Ok(()) => {}
                Err(Stop::Unsupported) => break,
                Err(Stop::Failed(error)) => return Err(error),
            }
        }
        Ok(run.shared)
    }
}
