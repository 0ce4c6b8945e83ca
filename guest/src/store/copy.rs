//! `copy` (1.43's `cmd/containers-storage/copy.go` over
//! `Archiver.CopyWithTar`): a file, or a directory's contents, of one layer
//! copied to a path of another (or the same) layer, owners translated
//! through both layers' ID maps or set with `--chown`.
//!
//! 1.43 tars the source and untars it at the target; here the source tree
//! is walked into the same tar members (as `TarWithOptions` describes each
//! entry) and handed to the extractor without the layer-diff rules
//! (whiteouts are ordinary names, as in 1.43's `Untar`). Both paths are
//! resolved inside their layers, symlinks included, where 1.43 follows
//! them on the host.

use super::extract::{Extractor, components, resolve_dir};
use super::tree::wanted_xattr;
use super::{Access, Store};
use crate::archive::Member;
use crate::archive::header::typeflag;
use crate::archive::path as tar_path;
use crate::disk::{Dir, DirEntry, EntryKind, Stat};
use crate::error::{ErrorKind, Result, StoreError};
use crate::file_type::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG};
use crate::format::timestamp::Timestamp;
use crate::records::{IdMap, Layer};
use std::collections::{BTreeMap, HashMap};

/// Mode of a directory source's missing target directories
/// (`MkdirAllAndChownNew(dst, 0755, …)`).
const NEW_TARGET_DIR_MODE: u32 = 0o755;
/// Mode of a file source's missing parent directories (`MkdirAll(…, 0700)`).
const NEW_FILE_PARENT_MODE: u32 = 0o700;
/// Permission bits, setuid/setgid/sticky included.
const PERMISSION_BITS: u32 = 0o7777;
/// Symlinks followed while resolving the source before giving up (as Linux).
const MAX_SYMLINKS: usize = 40;

/// What a source path names once symlinks are followed.
enum Source {
    /// A directory: its contents are copied.
    Directory(Dir),
    /// A symlink `name` of `parent` leading to a directory: 1.43's tar of
    /// such a path holds the link itself, which lands in the target
    /// directory.
    LinkToDirectory { parent: Dir, name: String },
    /// A regular file `name` of `parent` (reached through any symlinks).
    File { parent: Dir, name: String },
}

/// ID maps of the two layers and the `--chown` owner.
struct Owners<'a> {
    source: &'a Layer,
    target: &'a Layer,
    chown: Option<(u32, u32)>,
}

impl Owners<'_> {
    /// The container IDs a copied entry owned by host `(uid, gid)` of the
    /// source layer gets in the tar (`--chown` wins), as 1.43's
    /// `remapIDs` with the source layer's maps.
    fn container_ids(&self, uid: u32, gid: u32) -> Result<(i64, i64)> {
        if let Some((uid, gid)) = self.chown {
            return Ok((i64::from(uid), i64::from(gid)));
        }
        let map = |id: u32, maps: &[IdMap]| {
            crate::ident::id_map::to_container(id, maps).ok_or_else(|| {
                StoreError::invalid(format!("host ID {id} cannot be mapped to a container ID"))
            })
        };
        Ok((
            i64::from(map(uid, &self.source.uid_map)?),
            i64::from(map(gid, &self.source.gid_map)?),
        ))
    }

    /// Host owner of the target directories a directory copy creates:
    /// the target layer's root IDs, or the `--chown` IDs as given (1.43
    /// does not map those through the target's maps).
    fn new_dir_owner(&self) -> (u32, u32) {
        self.chown.unwrap_or_else(|| {
            let root = |maps: &[IdMap]| crate::ident::id_map::to_host(0, maps).unwrap_or(0);
            (root(&self.target.uid_map), root(&self.target.gid_map))
        })
    }
}

impl Store {
    /// Copies `source_path` of `source` to `target_path` of `target` (each
    /// a layer, or a container standing for its layer), as 1.43's `copy`:
    /// a directory's contents go into the target directory (created with
    /// mode 0755, owned by the target's root IDs, when missing); a file
    /// replaces whatever the target path holds (missing parents are
    /// created with mode 0700). Owners are mapped from the source layer's
    /// container IDs to the target's host IDs, or set to `chown`
    /// (container IDs of the target).
    pub fn copy(
        &mut self,
        source: &str,
        source_path: &str,
        target: &str,
        target_path: &str,
        chown: Option<(u32, u32)>,
    ) -> Result<()> {
        self.check_writable()?;
        let _held = self.hold(Access::Write, Access::None, Access::Read)?;
        let (source, _) = self.copy_layer(source)?;
        let (target, target_read_only) = self.copy_layer(target)?;
        if target_read_only {
            return Err(StoreError::with_context(
                ErrorKind::ReadOnly,
                format_args!("copying into layer {:?} of an additional store", target.id),
            ));
        }
        let layers = self.layers()?;
        let open = |layer: &Layer| -> Result<Dir> {
            layers.vfs.open_layer(&layer.id)?.ok_or_else(|| {
                StoreError::io(format!(
                    "{}: no such file or directory",
                    layers.vfs.layer_path(&layer.id)
                ))
            })
        };
        let (source_root, target_root) = (open(&source)?, open(&target)?);
        let owners = Owners {
            source: &source,
            target: &target,
            chown,
        };
        let shown_source = format!("{}/{}", layers.vfs.layer_path(&source.id), source_path);
        match resolve_source(&source_root, source_path, &shown_source)? {
            Source::Directory(dir) => {
                let entries = sorted_entries(&dir)?;
                copy_into_directory(&dir, entries, &target_root, target_path, &owners)
            }
            Source::LinkToDirectory { parent, name } => {
                let entry = DirEntry {
                    stat: parent.lstat(&name)?,
                    xattrs: parent.list_xattrs(&name)?,
                    name,
                };
                copy_into_directory(&parent, vec![entry], &target_root, target_path, &owners)
            }
            Source::File { parent, name } => {
                copy_file(&parent, &name, &target_root, target_path, &owners)
            }
        }
    }

    /// The layer `reference` names (a layer first, else a container's
    /// layer) and whether it belongs to an additional, read-only store.
    fn copy_layer(&mut self, reference: &str) -> Result<(Layer, bool)> {
        let layer_id = match self.layers()?.find(reference) {
            Some(view) => return Ok((view.record, view.read_only)),
            None => self
                .find_container(reference)
                .map(|container| container.layer_id.clone()),
        };
        let view = layer_id
            .and_then(|id| self.layers().ok()?.find(&id))
            .ok_or_else(|| StoreError::new(ErrorKind::LayerUnknown))?;
        Ok((view.record, view.read_only))
    }
}

/// `path` cleaned as a path below a root: `..` never climbs above it.
fn rooted_components(path: &str) -> Vec<String> {
    let cleaned = tar_path::clean(format!("/{path}").as_bytes());
    components(&String::from_utf8_lossy(&cleaned))
}

/// Resolves `path` in the source layer `root`, following symlinks (a
/// final one too, as 1.43's `os.Stat`) inside the layer.
fn resolve_source(root: &Dir, path: &str, shown: &str) -> Result<Source> {
    let missing = || StoreError::io(format!("stat {shown}: no such file or directory"));
    let mut parts = rooted_components(path);
    // The path's own final symlink, if it is one.
    let mut link: Option<(Dir, String)> = None;
    for _ in 0..=MAX_SYMLINKS {
        let Some((name, parent_parts)) = parts.split_last() else {
            return Ok(match link {
                Some((parent, name)) => Source::LinkToDirectory { parent, name },
                None => Source::Directory(root.reopen()?),
            });
        };
        let parent = resolve_dir(root, parent_parts, false)?.ok_or_else(missing)?;
        match parent.entry_kind(name)?.ok_or_else(missing)? {
            EntryKind::Directory => {
                return Ok(match link {
                    Some((parent, name)) => Source::LinkToDirectory { parent, name },
                    None => Source::Directory(parent.open_dir(name)?.ok_or_else(missing)?),
                });
            }
            EntryKind::File => {
                return Ok(Source::File {
                    parent,
                    name: name.clone(),
                });
            }
            EntryKind::Symlink => {
                let target = parent.readlink(name)?;
                if link.is_none() {
                    link = Some((parent.reopen()?, name.clone()));
                }
                let base = if target.starts_with('/') {
                    String::new()
                } else {
                    parent_parts.join("/")
                };
                parts = rooted_components(&format!("{base}/{target}"));
            }
            EntryKind::Other => {
                return Err(StoreError::invalid(format!(
                    "{shown}: only regular files and directories can be copied"
                )));
            }
        }
    }
    Err(StoreError::invalid(format!(
        "stat {shown}: too many levels of symbolic links"
    )))
}

/// Opens directory `parts` below `root`, creating missing ones with `mode`
/// (and, when given, `owner`) as Go's `MkdirAll`/`MkdirAllAndChownNew`.
fn make_dirs(root: &Dir, parts: &[String], mode: u32, owner: Option<(u32, u32)>) -> Result<Dir> {
    let vanished = || StoreError::io(format!("{}: a directory vanished", root.path()));
    for (depth, name) in parts.iter().enumerate() {
        let parent = resolve_dir(root, &parts[..depth], false)?.ok_or_else(vanished)?;
        if parent.entry_kind(name)?.is_none() {
            parent.make_dir(name, mode)?;
            if let Some((uid, gid)) = owner {
                parent.lchown(name, uid, gid)?;
            }
        }
    }
    resolve_dir(root, parts, false)?.ok_or_else(vanished)
}

/// A tar member for a copied entry, as 1.43's copy writes it (PAX: times
/// with nanoseconds, the access time too).
fn member(path: String, kind: u8, stat: &Stat, owner: (i64, i64)) -> Member {
    let time = |t: crate::disk::Timespec| Timestamp::utc(t.seconds, t.nanoseconds);
    let (dev_major, dev_minor) = crate::changes::split_rdev(stat.rdev);
    Member {
        typeflag: kind,
        path: path.into_bytes(),
        link_target: Vec::new(),
        mode: i64::from(stat.mode & PERMISSION_BITS),
        uid: owner.0,
        gid: owner.1,
        uname: Vec::new(),
        gname: Vec::new(),
        mtime: time(stat.modification),
        atime: Some(time(stat.access)),
        ctime: None,
        size: if kind == typeflag::REGULAR {
            i64::try_from(stat.size).unwrap_or(i64::MAX)
        } else {
            0
        },
        dev_major,
        dev_minor,
        xattrs: BTreeMap::new(),
        pax_records: Default::default(),
    }
}

/// A file source: one member named after the target's last component,
/// extracted in the target's parent (created with mode 0700 when missing).
/// Its mode, owner and times are copied; its xattrs are not (1.43's
/// `CopyFileWithTar` builds the header from `stat` alone).
fn copy_file(
    parent: &Dir,
    name: &str,
    target_root: &Dir,
    target_path: &str,
    owners: &Owners<'_>,
) -> Result<()> {
    let parts = rooted_components(target_path);
    let Some((target_name, target_parent)) = parts.split_last() else {
        return Err(StoreError::invalid(
            "a file cannot be copied over the layer's root directory",
        ));
    };
    let dir = make_dirs(target_root, target_parent, NEW_FILE_PARENT_MODE, None)?;
    let stat = parent.lstat(name)?;
    let owner = owners.container_ids(stat.uid, stat.gid)?;
    let entry = member(target_name.clone(), typeflag::REGULAR, &stat, owner);
    let mut content = parent
        .open_reader(name)?
        .ok_or_else(|| StoreError::io(format!("{}: vanished", parent.child_path(name))))?;
    let (uid_map, gid_map) = (&owners.target.uid_map, &owners.target.gid_map);
    let mut extractor = Extractor::plain(&dir, uid_map, gid_map);
    extractor.apply(&entry, &mut content)?;
    extractor.finish()
}

/// A directory source: `entries` of `source` (its whole contents, or the
/// symlink that led to it) and everything below them, extracted into the
/// target directory (made with mode 0755 and the new-directory owner when
/// missing), walked as Go's `WalkDir` (names in byte order, parents
/// first); a later link to an inode already copied becomes a hard link,
/// sockets are skipped. `entries` come last name first.
fn copy_into_directory(
    source: &Dir,
    entries: Vec<DirEntry>,
    target_root: &Dir,
    target_path: &str,
    owners: &Owners<'_>,
) -> Result<()> {
    let parts = rooted_components(target_path);
    let owner = Some(owners.new_dir_owner());
    let target = make_dirs(target_root, &parts, NEW_TARGET_DIR_MODE, owner)?;
    let (uid_map, gid_map) = (&owners.target.uid_map, &owners.target.gid_map);
    let mut extractor = Extractor::plain(&target, uid_map, gid_map);
    let mut first_links: HashMap<(u64, u64), String> = HashMap::new();
    let mut pending = vec![(String::new(), entries, source.reopen()?)];
    while let Some((prefix, mut entries, dir)) = pending.pop() {
        let Some(entry) = entries.pop() else {
            continue;
        };
        let path = format!("{prefix}{}", entry.name);
        let stat = &entry.stat;
        let owner = owners.container_ids(stat.uid, stat.gid)?;
        let kind = match stat.mode & S_IFMT {
            S_IFDIR => typeflag::DIRECTORY,
            S_IFREG => typeflag::REGULAR,
            S_IFLNK => typeflag::SYMLINK,
            S_IFCHR => typeflag::CHAR_DEVICE,
            S_IFBLK => typeflag::BLOCK_DEVICE,
            S_IFIFO => typeflag::FIFO,
            _ => {
                // A socket: tar cannot hold it (1.43 skips it too).
                pending.push((prefix, entries, dir));
                continue;
            }
        };
        let mut item = member(path.clone(), kind, stat, owner);
        item.xattrs = copied_xattrs(&dir, &entry)?;
        if kind == typeflag::SYMLINK {
            item.link_target = dir.readlink(&entry.name)?.into_bytes();
        }
        if kind != typeflag::DIRECTORY && stat.nlink > 1 {
            match first_links.get(&(stat.dev, stat.ino)) {
                Some(first) => {
                    item.typeflag = typeflag::HARD_LINK;
                    item.link_target = first.clone().into_bytes();
                    item.size = 0;
                }
                None => {
                    first_links.insert((stat.dev, stat.ino), path.clone());
                }
            }
        }
        if item.typeflag == typeflag::REGULAR {
            let mut content = dir.open_reader(&entry.name)?.ok_or_else(|| {
                StoreError::io(format!("{}: vanished", dir.child_path(&entry.name)))
            })?;
            extractor.apply(&item, &mut content)?;
        } else {
            extractor.apply(&item, &mut std::io::empty())?;
        }
        let child = if kind == typeflag::DIRECTORY {
            dir.open_dir(&entry.name)?
        } else {
            None
        };
        pending.push((prefix, entries, dir));
        if let Some(child) = child {
            pending.push((format!("{path}/"), sorted_entries(&child)?, child));
        }
    }
    extractor.finish()
}

/// The entries of `dir`, last name first (so popping yields byte order).
fn sorted_entries(dir: &Dir) -> Result<Vec<DirEntry>> {
    let mut entries = dir.read_dir()?;
    entries.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(entries)
}

/// The extended attributes 1.43's tar of a tree carries:
/// `security.capability`, `security.ima` and `user.*`.
fn copied_xattrs(dir: &Dir, entry: &DirEntry) -> Result<BTreeMap<Vec<u8>, Vec<u8>>> {
    let mut xattrs = BTreeMap::new();
    for key in entry.xattrs.iter().filter(|key| wanted_xattr(key)) {
        if let Some(value) = dir.get_xattr(&entry.name, key)? {
            xattrs.insert(key.as_bytes().to_vec(), value);
        }
    }
    Ok(xattrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_root() {
        assert_eq!(rooted_components("../../etc/x"), ["etc", "x"]);
        assert_eq!(rooted_components("/a/./b/../c/"), ["a", "c"]);
        assert!(rooted_components("/").is_empty());
        assert!(rooted_components("").is_empty());
    }
}
