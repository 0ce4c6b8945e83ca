//! The vfs driver: each layer is a full directory tree under `G/vfs/dir/<id>`;
//! a child layer starts as a copy of its parent's tree.

use crate::disk::{Dir, DirEntry, EntryKind, Errno, Metadata, NodeKind};
use crate::error::{Result, StoreError};
use crate::file_type::{S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT};
use crate::ident::id_map;
use crate::records::IdMap;

/// Sub-directory of the driver directory that holds layer trees.
const LAYER_DIRS: &str = "dir";
/// Mode of a base layer's root directory (umask applies).
const BASE_LAYER_MODE: u32 = 0o555;
/// Permission bits (including setuid, setgid, sticky) of a `st_mode`.
const PERMISSION_BITS: u32 = 0o7777;

/// Where a layer's tree lives: the primary graph root, a split image
/// store (newer containers/storage) or an additional store.
pub struct Vfs {
    /// `G/vfs`.
    driver_dir: Dir,
    /// `IS/vfs` of a split image store: read-only layers' trees.
    image_store_dir: Option<Dir>,
    /// `P/vfs/dir` of each additional image store that has one.
    additional: Vec<Dir>,
}

impl Vfs {
    /// The driver over `G/vfs`, a split image store's `IS/vfs` and the
    /// additional stores' layer directories.
    pub fn new(driver_dir: Dir, image_store_dir: Option<Dir>, additional: Vec<Dir>) -> Self {
        Vfs {
            driver_dir,
            image_store_dir,
            additional,
        }
    }

    /// The driver directory new trees go to: the split image store's for
    /// read-only layers (upstream's `dir2(id, true)`), else the graph root's.
    fn home(&self, read_only: bool) -> &Dir {
        match &self.image_store_dir {
            Some(dir) if read_only => dir,
            _ => &self.driver_dir,
        }
    }

    /// Host path of layer `id`'s tree: the graph root's, unless only the
    /// split image store has it.
    pub fn layer_path(&self, id: &str) -> String {
        let in_image_store = |dir: &Dir| {
            matches!(
                dir.open_dir(LAYER_DIRS)
                    .map(|dirs| dirs.map(|d| d.entry_kind(id))),
                Ok(Some(Ok(Some(_))))
            )
        };
        let home = match &self.image_store_dir {
            Some(dir) if !in_image_store(&self.driver_dir) && in_image_store(dir) => dir,
            _ => &self.driver_dir,
        };
        format!("{}/{LAYER_DIRS}/{id}", home.path())
    }

    /// Opens layer `id`'s tree: the graph root first, then the split image
    /// store, then additional stores.
    pub fn open_layer(&self, id: &str) -> Result<Option<Dir>> {
        for home in std::iter::once(&self.driver_dir).chain(&self.image_store_dir) {
            if let Some(dirs) = home.open_dir(LAYER_DIRS)?
                && let Some(dir) = dirs.open_dir(id)?
            {
                return Ok(Some(dir));
            }
        }
        for dirs in &self.additional {
            if let Some(dir) = dirs.open_dir(id)? {
                return Ok(Some(dir));
            }
        }
        Ok(None)
    }

    /// Creates layer `id`'s tree (in the split image store when
    /// `read_only` and there is one): empty (mode 0555, owned by the root
    /// its maps give), or a copy of `source`'s tree re-owned per `maps`.
    pub fn create(
        &self,
        id: &str,
        source: Option<&str>,
        maps: &IdShift,
        read_only: bool,
    ) -> Result<()> {
        let dirs = self.home(read_only).ensure_dir(LAYER_DIRS)?;
        let Some(source) = source else {
            dirs.make_dir(id, BASE_LAYER_MODE)?;
            let root_uid = id_map::to_host(0, &maps.to.0).unwrap_or(id_map::OVERFLOW_ID);
            let root_gid = id_map::to_host(0, &maps.to.1).unwrap_or(id_map::OVERFLOW_ID);
            if (root_uid, root_gid) != (0, 0) {
                dirs.lchown(id, root_uid, root_gid)?;
            }
            return Ok(());
        };
        let from = self.open_layer(source)?.ok_or_else(|| {
            StoreError::io(format!(
                "stat {}: no such file or directory",
                self.layer_path(source)
            ))
        })?;
        let mode = from.lstat(".")?.mode;
        dirs.make_dir(id, mode & PERMISSION_BITS)?;
        let target = dirs
            .open_dir(id)?
            .ok_or_else(|| StoreError::io(format!("{} vanished", self.layer_path(id))))?;
        dirs.chmod(id, mode & PERMISSION_BITS)?;
        copy_tree(&from, &target, maps)
    }

    /// Names of the layer trees of the primary store (its directories).
    pub fn trees(&self) -> Result<Vec<String>> {
        let Some(dirs) = self.driver_dir.open_dir(LAYER_DIRS)? else {
            return Ok(Vec::new());
        };
        Ok(dirs
            .entries()?
            .into_iter()
            .filter(|(_, kind)| *kind == crate::disk::EntryKind::Directory)
            .map(|(name, _)| name)
            .collect())
    }

    /// Removes layer `id`'s tree from the graph root and the split image store.
    pub fn remove(&self, id: &str) -> Result<()> {
        for home in std::iter::once(&self.driver_dir).chain(&self.image_store_dir) {
            if let Some(dirs) = home.open_dir(LAYER_DIRS)? {
                dirs.remove_tree(id)?;
            }
        }
        Ok(())
    }
}

/// Extended attributes a layer copy keeps (those 1.43's vfs copy keeps).
fn copied_xattr(name: &str) -> bool {
    name.starts_with("user.") || name == "security.capability" || name == "trusted.overlay.opaque"
}

/// How a copied tree's owners change: from the source layer's maps to the
/// new layer's (host → container → host). Equal maps change nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdShift {
    /// The source layer's (UID, GID) maps.
    pub from: (Vec<IdMap>, Vec<IdMap>),
    /// The new layer's (UID, GID) maps.
    pub to: (Vec<IdMap>, Vec<IdMap>),
}

impl IdShift {
    /// The owner a copied entry gets.
    fn owner(&self, uid: u32, gid: u32) -> Result<(u32, u32)> {
        if self.from == self.to {
            return Ok((uid, gid));
        }
        let shifted = |id, from: &[IdMap], to: &[IdMap]| {
            id_map::shift(id, from, to).map_err(StoreError::invalid)
        };
        Ok((
            shifted(uid, &self.from.0, &self.to.0)?,
            shifted(gid, &self.from.1, &self.to.1)?,
        ))
    }
}

/// Copies the tree of `source` into `target` as 1.43's vfs driver does:
/// directories, files, symlinks, FIFOs and device nodes with their mode,
/// owner, times and extended attributes; hard links stay hard links. Owners
/// move per `shift`, except the root's, which keeps the source root's owner.
fn copy_tree(source: &Dir, target: &Dir, shift: &IdShift) -> Result<()> {
    let mut copier = TreeCopier {
        links: std::collections::HashMap::new(),
        target_root: target,
        shift,
    };
    copier.copy_dir(source, target)?;
    let root = DirEntry {
        name: ".".to_string(),
        stat: source.lstat(".")?,
        xattrs: source.list_xattrs(".").unwrap_or_default(),
    };
    copy_metadata(source, target, &root, (root.stat.uid, root.stat.gid))
}

/// State of one tree copy: where each multiply-linked inode went first.
struct TreeCopier<'a> {
    links: std::collections::HashMap<(u64, u64), Vec<String>>,
    target_root: &'a Dir,
    shift: &'a IdShift,
}

/// One directory being copied: its entries and where the walk stands.
struct Level {
    source: Dir,
    target: Dir,
    path: Vec<String>,
    entries: std::vec::IntoIter<DirEntry>,
    /// The directory's own entry, whose metadata is applied once its
    /// children are done.
    finish: Option<DirEntry>,
}

impl TreeCopier<'_> {
    /// Copies `source`'s entries into `target`, walking with an explicit
    /// stack (deep trees must not exhaust the component's call stack).
    fn copy_dir(&mut self, source: &Dir, target: &Dir) -> Result<()> {
        let mut stack = vec![Level {
            entries: source.read_dir()?.into_iter(),
            source: source.reopen()?,
            target: target.reopen()?,
            path: Vec::new(),
            finish: None,
        }];
        while let Some(level) = stack.last_mut() {
            let Some(entry) = level.entries.next() else {
                let done = stack.pop().expect("non-empty");
                if let (Some(entry), Some(parent)) = (done.finish, stack.last()) {
                    let owner = self.shift.owner(entry.stat.uid, entry.stat.gid)?;
                    copy_metadata(&parent.source, &parent.target, &entry, owner)?;
                }
                continue;
            };
            let kind = EntryKind::from_mode(entry.stat.mode);
            if kind == EntryKind::Directory {
                let name = entry.name.as_str();
                level
                    .target
                    .make_dir(name, entry.stat.mode & PERMISSION_BITS)?;
                if let (Some(from), Some(to)) =
                    (level.source.open_dir(name)?, level.target.open_dir(name)?)
                {
                    let mut path = level.path.clone();
                    path.push(entry.name.clone());
                    stack.push(Level {
                        entries: from.read_dir()?.into_iter(),
                        source: from,
                        target: to,
                        path,
                        finish: Some(entry),
                    });
                }
                continue;
            }
            let (source, target, path) = (&level.source, &level.target, &level.path);
            if self.copy_entry(source, target, path, &entry, kind)? {
                let owner = self.shift.owner(entry.stat.uid, entry.stat.gid)?;
                copy_metadata(source, target, &entry, owner)?;
            }
        }
        Ok(())
    }

    /// Copies one non-directory entry; false when it needs no metadata
    /// applied afterwards (a regular file is copied with its metadata, a
    /// hard link shares its first copy's, a socket is skipped).
    fn copy_entry(
        &mut self,
        source: &Dir,
        target: &Dir,
        path: &[String],
        entry: &DirEntry,
        kind: EntryKind,
    ) -> Result<bool> {
        let (name, stat) = (entry.name.as_str(), &entry.stat);
        match kind {
            EntryKind::Directory => unreachable!("directories are walked by copy_dir"),
            EntryKind::File => {
                if stat.nlink > 1 {
                    if let Some(first) = self.links.get(&(stat.dev, stat.ino)) {
                        self.link_to(first, target, name)?;
                        return Ok(false);
                    }
                    let mut here = path.to_vec();
                    here.push(name.to_string());
                    self.links.insert((stat.dev, stat.ino), here);
                }
                let owner = self.shift.owner(stat.uid, stat.gid)?;
                let metadata = copied_metadata(source, entry, owner);
                source.copy_file(name, target, name, &metadata)?;
                return Ok(false);
            }
            EntryKind::Symlink => {
                target.symlink(name, &source.readlink(name)?)?;
            }
            EntryKind::Other => {
                let node = match stat.mode & S_IFMT {
                    S_IFIFO => NodeKind::Fifo,
                    S_IFCHR => NodeKind::CharacterDevice,
                    S_IFBLK => NodeKind::BlockDevice,
                    _ => return Ok(false), // sockets are not copied
                };
                let (major, minor) = device_numbers(stat.rdev);
                match target.mknod(name, node, stat.mode & PERMISSION_BITS, major, minor) {
                    Ok(()) => {}
                    // Device nodes are skipped where the store may not create them (1.43: rootless).
                    Err(err)
                        if err.errno() == Some(Errno::NotPermitted) && node != NodeKind::Fifo =>
                    {
                        return Ok(false);
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        }
        Ok(true)
    }

    /// Makes `name` in `target` a hard link to the copy at `first`.
    fn link_to(&self, first: &[String], target: &Dir, name: &str) -> Result<()> {
        let (first_name, first_parent) = first.split_last().expect("a path has a name");
        let source_dir = super::extract::resolve_dir(self.target_root, first_parent, false)?
            .ok_or_else(|| StoreError::io(format!("copy of {} vanished", first.join("/"))))?;
        Ok(source_dir.hard_link(first_name, target, name)?)
    }
}

/// Linux's split of a device number into major and minor.
fn device_numbers(rdev: u64) -> (u32, u32) {
    let major = ((rdev >> 32) & 0xffff_f000) | ((rdev >> 8) & 0xfff);
    let minor = ((rdev >> 12) & 0xffff_ff00) | (rdev & 0xff);
    (major as u32, minor as u32)
}

/// What the copy of `entry` of `source` gets: `owner`, its mode, the
/// extended attributes a copy keeps, and its times.
fn copied_metadata(source: &Dir, entry: &DirEntry, owner: (u32, u32)) -> Metadata {
    let (name, stat) = (entry.name.as_str(), &entry.stat);
    let xattrs = entry
        .xattrs
        .iter()
        .filter(|key| copied_xattr(key))
        .filter_map(|key| match source.get_xattr(name, key) {
            Ok(Some(value)) => Some((key.clone(), value)),
            _ => None,
        })
        .collect();
    Metadata {
        uid: owner.0,
        gid: owner.1,
        mode: stat.mode & PERMISSION_BITS,
        xattrs,
        times: Some((stat.access, stat.modification)),
    }
}

/// Gives the copy of `entry` in `target` the metadata of its source (see
/// [`copied_metadata`]).
fn copy_metadata(source: &Dir, target: &Dir, entry: &DirEntry, owner: (u32, u32)) -> Result<()> {
    let metadata = copied_metadata(source, entry, owner);
    Ok(target.set_metadata(&entry.name, &metadata)?)
}
