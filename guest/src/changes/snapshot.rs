//! The model of a layer tree: a snapshot maps each cleaned absolute path
//! (`/etc/hosts`) to what `lstat` and the xattr calls said about it, plus
//! the ID maps a layer's host IDs are translated with.

use super::error::{ChangesError, Result};
use crate::archive::path::clean;
use crate::file_type::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK};
use crate::format::timestamp::Timestamp;
use crate::records::IdMap;
use std::collections::BTreeMap;
use std::collections::btree_map;

/// Permission bits of a mode, with setuid, setgid and sticky (`07777`).
pub const PERMISSION_MASK: u32 = 0o7777;

/// What kind of filesystem object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A directory.
    Directory,
    /// A regular file.
    Regular,
    /// A symbolic link.
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A FIFO.
    Fifo,
    /// A Unix socket (never written to a diff).
    Socket,
}

impl EntryKind {
    /// The `S_IFMT` bits of this kind, as in `st_mode`.
    pub fn type_bits(self) -> u32 {
        match self {
            EntryKind::Directory => S_IFDIR,
            EntryKind::Regular => S_IFREG,
            EntryKind::Symlink => S_IFLNK,
            EntryKind::CharDevice => S_IFCHR,
            EntryKind::BlockDevice => S_IFBLK,
            EntryKind::Fifo => S_IFIFO,
            EntryKind::Socket => S_IFSOCK,
        }
    }

    /// Whether `st_mode & S_IFDIR == S_IFDIR` holds for this kind, the test
    /// 1.43 uses (as "is a directory") to skip size and mtime comparison: true for
    /// directories and, by accident of the bit patterns, block devices and sockets.
    pub fn has_directory_bit(self) -> bool {
        self.type_bits() & S_IFDIR == S_IFDIR
    }
}

/// What 1.43 knows about one entry of a layer tree (from `lstat`,
/// `readlink` and the xattr calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// Kind of object.
    pub kind: EntryKind,
    /// Permission bits including setuid, setgid and sticky (bits outside
    /// [`PERMISSION_MASK`] are ignored).
    pub mode: u32,
    /// Owner, as stored on disk (a host ID).
    pub uid: u32,
    /// Group, as stored on disk (a host ID).
    pub gid: u32,
    /// Device number of a device node (`st_rdev`), 0 otherwise.
    pub rdev: u64,
    /// `st_size` from `lstat` (a symlink's is its target's length).
    pub size: u64,
    /// Modification time with nanoseconds.
    pub mtime: Timestamp,
    /// Target of a symbolic link; empty otherwise.
    pub link_target: String,
    /// Extended attributes by name. 1.43 reads `security.capability`,
    /// `security.ima` and `user.*`; others are ignored if present.
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// Device the entry lives on (`st_dev`).
    pub dev: u64,
    /// Inode number (`st_ino`).
    pub ino: u64,
    /// Hard link count (`st_nlink`).
    pub nlink: u64,
}

impl EntryInfo {
    /// The permission bits of [`EntryInfo::mode`].
    pub fn permissions(&self) -> u32 {
        self.mode & PERMISSION_MASK
    }
}

/// A layer tree: entries by cleaned absolute path. The root directory
/// itself is not an entry (1.43 never reports or compares it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    entries: BTreeMap<String, EntryInfo>,
}

impl Snapshot {
    /// An empty tree (what a layer without parent is compared against).
    pub fn new() -> Self {
        Snapshot::default()
    }

    /// Adds the entry at `path`, which must be absolute, cleaned, not `/`,
    /// new, and whose parent is `/` or an entry already inserted as a
    /// directory (so insert in walk order, parents first).
    pub fn insert(&mut self, path: &str, info: EntryInfo) -> Result<()> {
        let invalid = |reason| ChangesError::InvalidPath {
            path: path.to_string(),
            reason,
        };
        if !path.starts_with('/') {
            return Err(invalid("not absolute"));
        }
        if path == "/" {
            return Err(invalid("the root is not an entry"));
        }
        if clean(path.as_bytes()) != path.as_bytes() {
            return Err(invalid("not a cleaned path"));
        }
        let parent = parent(path);
        if parent != "/" {
            match self.entries.get(parent) {
                None => return Err(invalid("parent directory not inserted")),
                Some(entry) if entry.kind != EntryKind::Directory => {
                    return Err(invalid("parent is not a directory"));
                }
                Some(_) => {}
            }
        }
        match self.entries.entry(path.to_string()) {
            btree_map::Entry::Occupied(_) => Err(invalid("already inserted")),
            btree_map::Entry::Vacant(slot) => {
                slot.insert(info);
                Ok(())
            }
        }
    }

    /// The entry at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&EntryInfo> {
        self.entries.get(path)
    }

    /// Whether there is an entry at `path`.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    /// Whether `path` is a directory entry.
    pub fn is_dir(&self, path: &str) -> bool {
        self.get(path)
            .is_some_and(|entry| entry.kind == EntryKind::Directory)
    }

    /// All entries, by path in byte order of the string form (a name that
    /// is not UTF-8 is encoded, see `graphstore_posix::byte_names`; callers
    /// that need the order of the bytes sort by the decoded paths).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &EntryInfo)> {
        self.entries
            .iter()
            .map(|(path, info)| (path.as_str(), info))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the tree has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Go's `filepath.Dir` for a cleaned absolute path other than `/`.
pub(crate) fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(slash) => &path[..slash],
    }
}

/// The ancestors of a cleaned absolute path, nearest first, without `/`.
pub(crate) fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(parent(path)), |dir| Some(parent(dir))).take_while(|dir| *dir != "/")
}

/// A layer's ID maps (host IDs on disk, container IDs in tar headers).
/// An empty list maps IDs to themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdMaps {
    /// UID ranges.
    pub uids: Vec<IdMap>,
    /// GID ranges.
    pub gids: Vec<IdMap>,
}

impl IdMaps {
    /// Maps from the layer record's `uidmap` and `gidmap`.
    pub fn new(uids: Vec<IdMap>, gids: Vec<IdMap>) -> Self {
        IdMaps { uids, gids }
    }

    /// Whether both lists are empty (IDs are used as they are).
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty() && self.gids.is_empty()
    }

    /// Host IDs to container IDs (idtools' `ToContainer`): `None` if either
    /// falls outside every range of a non-empty list. 64-bit like Go's `int`.
    pub fn to_container(&self, uid: u32, gid: u32) -> Option<(u64, u64)> {
        Some((
            host_to_container(uid, &self.uids)?,
            host_to_container(gid, &self.gids)?,
        ))
    }
}

/// idtools' `RawToContainer` for one ID.
fn host_to_container(id: u32, ranges: &[IdMap]) -> Option<u64> {
    let id = u64::from(id);
    if ranges.is_empty() {
        return Some(id);
    }
    ranges.iter().find_map(|range| {
        let host = u64::from(range.host_id);
        (id >= host && id < host + u64::from(range.size))
            .then(|| u64::from(range.container_id) + (id - host))
    })
}
