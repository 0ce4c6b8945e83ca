//! Reading a layer tree into a [`Snapshot`] for comparison, and comparing
//! two layers: `changes`, `diff-size` and the naive diff (§5.3, §5.4).

use super::extract::resolve_dir;
use super::{Access, Store};
use crate::changes::{self, Change, EntryInfo, EntryKind, IdMaps, NameLookup, Snapshot};
use crate::disk::{Dir, DirEntry};
use crate::error::{ErrorKind, Result, StoreError};
use crate::file_type::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK};
use crate::format::timestamp::Timestamp;
use crate::records::Layer;
use std::cell::RefCell;
use std::collections::HashMap;

/// Extended attributes 1.43 compares and exports.
pub(super) fn wanted_xattr(name: &str) -> bool {
    name.starts_with(changes::USER_XATTR_PREFIX)
        || name == changes::CAPABILITY_XATTR
        || name == changes::IMA_XATTR
}

fn kind_of(mode: u32) -> EntryKind {
    match mode & S_IFMT {
        S_IFDIR => EntryKind::Directory,
        S_IFLNK => EntryKind::Symlink,
        S_IFCHR => EntryKind::CharDevice,
        S_IFBLK => EntryKind::BlockDevice,
        S_IFIFO => EntryKind::Fifo,
        S_IFSOCK => EntryKind::Socket,
        _ => EntryKind::Regular,
    }
}

/// Describes `entry` of `dir` the way the comparison needs it.
fn entry_info(dir: &Dir, entry: &DirEntry) -> Result<EntryInfo> {
    let name = entry.name.as_str();
    let stat = &entry.stat;
    let mtime = Timestamp::utc(stat.modification.seconds, stat.modification.nanoseconds);
    let kind = kind_of(stat.mode);
    let link_target = if kind == EntryKind::Symlink {
        dir.readlink(name)?
    } else {
        String::new()
    };
    let mut xattrs = std::collections::BTreeMap::new();
    for key in entry.xattrs.iter().filter(|key| wanted_xattr(key)) {
        if let Ok(Some(value)) = dir.get_xattr(name, key) {
            xattrs.insert(key.clone(), value);
        }
    }
    Ok(EntryInfo {
        kind,
        mode: stat.mode,
        uid: stat.uid,
        gid: stat.gid,
        rdev: stat.rdev,
        size: stat.size,
        mtime,
        link_target,
        xattrs,
        dev: stat.dev,
        ino: stat.ino,
        nlink: stat.nlink,
    })
}

/// Reads the whole tree below `root` (parents before children).
pub fn snapshot(root: &Dir) -> Result<Snapshot> {
    let mut tree = Snapshot::new();
    let mut pending = vec![(String::new(), root.reopen()?)];
    while let Some((prefix, dir)) = pending.pop() {
        let mut entries = dir.read_dir()?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        for entry in entries {
            let path = format!("{prefix}/{}", entry.name);
            let info = entry_info(&dir, &entry)?;
            let is_dir = info.kind == EntryKind::Directory;
            tree.insert(&path, info).map_err(|err| {
                StoreError::corrupt(format!("{}: {err}", dir.child_path(&entry.name)))
            })?;
            if is_dir && let Some(child) = dir.open_dir(&entry.name)? {
                pending.push((path, child));
            }
        }
    }
    Ok(tree)
}

/// The host's user and group names, each ID asked once per diff (as Go's
/// `archive/tar` caches its `os/user` lookups): 1.43 names the on-disk
/// owner of every entry of a diff it computes by comparing trees.
#[derive(Default)]
struct HostNames {
    users: RefCell<HashMap<u32, Option<String>>>,
    groups: RefCell<HashMap<u32, Option<String>>>,
}

impl NameLookup for HostNames {
    fn user_name(&self, uid: u32) -> Option<String> {
        let mut users = self.users.borrow_mut();
        users
            .entry(uid)
            .or_insert_with(|| crate::disk::host_user_name(uid))
            .clone()
    }

    fn group_name(&self, gid: u32) -> Option<String> {
        let mut groups = self.groups.borrow_mut();
        groups
            .entry(gid)
            .or_insert_with(|| crate::disk::host_group_name(gid))
            .clone()
    }
}

fn id_maps(layer: &Layer) -> IdMaps {
    IdMaps::new(layer.uid_map.clone(), layer.gid_map.clone())
}

/// A layer and the layer it is compared with.
struct Comparison {
    layer: Layer,
    tree: Dir,
    base: Option<(Layer, Dir)>,
}

impl Store {
    /// Resolves `to` and `from` (default: `to`'s parent; an unknown `from`
    /// falls back to the parent, as in 1.43) and opens their trees.
    fn comparison(&mut self, from: Option<&str>, to: &str) -> Result<Comparison> {
        let layers = self.layers()?;
        let layer = layers
            .find(to)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?
            .record;
        let base = from
            .and_then(|reference| layers.find(reference))
            .or_else(|| layers.find(&layer.parent))
            .map(|l| l.record);
        let open = |id: &str| -> Result<Dir> {
            layers.vfs.open_layer(id)?.ok_or_else(|| {
                StoreError::io(format!(
                    "{}: no such file or directory",
                    layers.vfs.layer_path(id)
                ))
            })
        };
        let tree = open(&layer.id)?;
        let base = match base {
            Some(base) if !layer.parent.is_empty() || from.is_some() => {
                let dir = open(&base.id)?;
                Some((base, dir))
            }
            _ => None,
        };
        Ok(Comparison { layer, tree, base })
    }

    /// The changes between two layers, sorted by path.
    pub fn changes(&mut self, from: Option<&str>, to: &str) -> Result<Vec<Change>> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        let comparison = self.comparison(from, to)?;
        Ok(compare(&comparison)?.0)
    }

    /// The size of the changes between two layers.
    pub fn diff_size(&mut self, from: Option<&str>, to: &str) -> Result<i64> {
        let _held = self.hold(Access::Read, Access::None, Access::None)?;
        self.compared_size(from, to)
    }

    /// 1.43's `DiffSize(from, to)` with the layers lock already held: the
    /// size of what `changes` adds or modifies (an ownership-only change
    /// counts the whole file), each inode once.
    pub(super) fn compared_size(&mut self, from: Option<&str>, to: &str) -> Result<i64> {
        let comparison = self.comparison(from, to)?;
        let (list, new) = compare(&comparison)?;
        Ok(changes::diff_size(&list, &new))
    }

    /// Writes a tar of the changes between two layers (or the whole tree of
    /// a base layer) to `out`.
    pub(super) fn naive_diff(
        &mut self,
        from: Option<&str>,
        to: &str,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        let comparison = self.comparison(from, to)?;
        let maps = id_maps(&comparison.layer);
        let names = HostNames::default();
        let plan = match &comparison.base {
            Some(_) => {
                let (list, new) = compare(&comparison)?;
                changes::plan_diff(&list, &new, &maps, &names, crate::platform::now())
            }
            None => changes::plan_tree(&snapshot(&comparison.tree)?, &maps, &names),
        };
        let mut tar = crate::archive::writer::TarWriter::new(out);
        let tree = &comparison.tree;
        changes::write_ops(&plan.ops, &mut tar, |path| open_in_tree(tree, path))
            .map_err(|err| StoreError::io(err.to_string()))?;
        tar.finish()
            .map_err(|err| StoreError::io(err.to_string()))?;
        Ok(())
    }
}

/// The change list and the new tree's snapshot.
fn compare(comparison: &Comparison) -> Result<(Vec<Change>, Snapshot)> {
    let new = snapshot(&comparison.tree)?;
    let (old, old_maps) = match &comparison.base {
        Some((base, dir)) => (snapshot(dir)?, id_maps(base)),
        None => (Snapshot::new(), IdMaps::new(Vec::new(), Vec::new())),
    };
    let list = changes::changes(&old, &new, &old_maps, &id_maps(&comparison.layer));
    Ok((list, new))
}

/// Opens the file at snapshot path `path` (`/a/b`) in `tree`.
fn open_in_tree(tree: &Dir, path: &str) -> std::io::Result<crate::disk::FileReader> {
    let parts: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let not_found = || {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{path}: not in the layer"),
        )
    };
    let (name, parent) = parts.split_last().ok_or_else(not_found)?;
    let dir = resolve_dir(tree, parent, false)
        .map_err(|e| std::io::Error::other(e.message))?
        .ok_or_else(not_found)?;
    dir.open_reader(name)
        .map_err(std::io::Error::other)?
        .ok_or_else(not_found)
}

impl Store {
    /// Host UIDs and GIDs owning the directories above a mounted layer
    /// (its mount point's parent up to, not including, `/`) that the
    /// layer's ID maps cannot express (1.43's `ParentOwners`), sorted.
    pub fn layer_parent_owners(&mut self, reference: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        let _held = self.hold(Access::Read, Access::None, Access::Read)?;
        let layer = self
            .layers()?
            .find(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        self.parent_owners_of(&layer)
    }

    /// `layer_parent_owners` of a container's layer.
    pub fn container_parent_owners(&mut self, reference: &str) -> Result<(Vec<u32>, Vec<u32>)> {
        let _held = self.hold(Access::Read, Access::None, Access::Read)?;
        let layer_id = self
            .find_container(reference)
            .ok_or_else(|| StoreError::new(ErrorKind::ContainerUnknown))?
            .layer_id
            .clone();
        let layer = self
            .layers()?
            .find(&layer_id)
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        self.parent_owners_of(&layer)
    }

    fn parent_owners_of(&mut self, layer: &super::LayerView) -> Result<(Vec<u32>, Vec<u32>)> {
        let (uid_map, gid_map) = (&layer.record.uid_map, &layer.record.gid_map);
        if uid_map.is_empty() && gid_map.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        if layer.mount_count <= 0 || layer.mount_point.is_empty() {
            return Err(StoreError::new(ErrorKind::LayerNotMounted));
        }
        // Inside the sandbox: the layer directories' parents up to the graph
        // root; above it, the host reports the graph root's own ancestry.
        let mut owners = crate::disk::ancestor_owners(&self.graph);
        let driver = self.graph.open_dir(super::VFS_DRIVER)?;
        if let Some(driver) = &driver {
            for (dir, name) in [(&self.graph, super::VFS_DRIVER), (driver, "dir")] {
                let stat = dir.lstat(name)?;
                owners.push((stat.uid, stat.gid));
            }
        }
        let root_uid = crate::ident::id_map::to_host(0, uid_map);
        let root_gid = crate::ident::id_map::to_host(0, gid_map);
        if root_uid.is_none() || root_gid.is_none() {
            return Err(StoreError::invalid(format!(
                "reading root ID values for layer {:?}: container ID 0 cannot be mapped to a host ID",
                layer.record.id
            )));
        }
        let unmapped = |ids: Vec<u32>, maps: &[crate::records::IdMap]| {
            let mut ids: Vec<u32> = ids
                .into_iter()
                .filter(|id| crate::ident::id_map::to_container(*id, maps).is_none())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let uids = unmapped(owners.iter().map(|o| o.0).collect(), uid_map);
        let gids = unmapped(owners.iter().map(|o| o.1).collect(), gid_map);
        Ok((uids, gids))
    }
}
