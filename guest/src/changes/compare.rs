//! Comparing two layer trees (1.43's `ChangesDirs` / `FileInfo.Changes`)
//! and summing the size of the result (`ChangesSize`).

use super::snapshot::{EntryInfo, EntryKind, IdMaps, Snapshot, ancestors, parent};
use crate::format::timestamp::Timestamp;
use graphstore_posix::byte_names;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};

/// The file capability attribute, compared byte for byte (absent = empty).
pub const CAPABILITY_XATTR: &str = "security.capability";

/// Prefix of the user attributes 1.43 compares and exports.
pub const USER_XATTR_PREFIX: &str = "user.";

/// What happened to a path, with 1.43's codes (`archive.ChangeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// 0: the entry exists in both trees and differs, or contains changes.
    Modify,
    /// 1: the entry exists only in the new tree.
    Add,
    /// 2: the entry exists only in the old tree.
    Delete,
}

impl ChangeKind {
    /// 1.43's integer code: 0 Modify, 1 Add, 2 Delete.
    pub fn code(self) -> i64 {
        match self {
            ChangeKind::Modify => 0,
            ChangeKind::Add => 1,
            ChangeKind::Delete => 2,
        }
    }

    /// The word the `changes` command prints: `Modify`, `Add` or `Delete`.
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Modify => "Modify",
            ChangeKind::Add => "Add",
            ChangeKind::Delete => "Delete",
        }
    }
}

impl Serialize for ChangeKind {
    /// Serialises as the integer code, as Go's JSON encoder writes it.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.code())
    }
}

/// One changed path; serialises as 1.43's `{"Path":…,"Kind":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    /// Cleaned absolute path (`/etc/hosts`); names that are not UTF-8 in
    /// the string form of [`byte_names`].
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// The changes that turn `old` into `new`, sorted by path (byte order; 1.43's
/// order is random).
///
/// * *Add*: a path only in `new` (every entry below an added directory too).
/// * *Delete*: a path only in `old` whose parent is still a directory in
///   `new` (so only the top-most deleted path; nothing below a directory
///   replaced by a file).
/// * *Modify*: a path in both whose kind, permission bits, owner (mapped
///   host→container with each side's maps, as [`owners`] describes) or
///   rdev differ; or, unless the old entry has the directory bit
///   ([`EntryKind::has_directory_bit`]), whose size or mtime differ
///   (mtimes are equal if the seconds are and either nanosecond part is 0
///   or both are equal); or whose `security.capability` or `user.*`
///   attributes differ. Also every directory (not `/`) containing a change
///   that is not itself added or modified. Symlink targets are not
///   compared (a retargeted link shows through its size or mtime).
pub fn changes(
    old: &Snapshot,
    new: &Snapshot,
    old_maps: &IdMaps,
    new_maps: &IdMaps,
) -> Vec<Change> {
    let mut found: BTreeMap<&str, ChangeKind> = BTreeMap::new();
    for (path, after) in new.iter() {
        match old.get(path) {
            None => {
                found.insert(path, ChangeKind::Add);
            }
            Some(before) if entry_differs(before, old_maps, after, new_maps) => {
                found.insert(path, ChangeKind::Modify);
            }
            Some(_) => {}
        }
    }
    for (path, _) in old.iter() {
        let dir = parent(path);
        let dir_kept = dir == "/"
            || new
                .get(dir)
                .is_some_and(|entry| entry.kind.has_directory_bit());
        if dir_kept && !new.contains(path) {
            found.insert(path, ChangeKind::Delete);
        }
    }
    let changed: Vec<&str> = found.keys().copied().collect();
    for path in changed {
        for dir in ancestors(path) {
            found.entry(dir).or_insert(ChangeKind::Modify);
        }
    }
    let mut list: Vec<Change> = found
        .into_iter()
        .map(|(path, kind)| Change {
            path: path.to_string(),
            kind,
        })
        .collect();
    // Byte order of the names, not of their string forms.
    list.sort_by(|a, b| path_order(&a.path, &b.path));
    list
}

/// The order of two snapshot paths by the bytes they stand for (names that
/// are not UTF-8 are encoded in them, see [`byte_names`]).
pub(crate) fn path_order(a: &str, b: &str) -> std::cmp::Ordering {
    byte_names::display_bytes(a).cmp(&byte_names::display_bytes(b))
}

/// 1.43's `ChangesSize`: the sizes of the non-directory entries of `new`
/// that `changes` adds or modifies, each inode with several links counted
/// once. Paths missing from `new` are skipped.
pub fn diff_size(changes: &[Change], new: &Snapshot) -> i64 {
    let mut linked_inodes = HashSet::new();
    changes
        .iter()
        .filter(|change| change.kind != ChangeKind::Delete)
        .filter_map(|change| new.get(&change.path))
        .filter(|entry| entry.kind != EntryKind::Directory)
        .filter(|entry| entry.nlink <= 1 || linked_inodes.insert((entry.dev, entry.ino)))
        .fold(0i64, |total, entry| {
            total.saturating_add(i64::try_from(entry.size).unwrap_or(i64::MAX))
        })
}

/// Whether an entry present in both trees counts as modified.
fn entry_differs(old: &EntryInfo, old_maps: &IdMaps, new: &EntryInfo, new_maps: &IdMaps) -> bool {
    stat_differs(old, old_maps, new, new_maps) || xattrs_differ(old, new)
}

/// 1.43's `statDifferent`.
fn stat_differs(old: &EntryInfo, old_maps: &IdMaps, new: &EntryInfo, new_maps: &IdMaps) -> bool {
    let (old_owner, new_owner) = owners(old, old_maps, new, new_maps);
    old.kind != new.kind
        || old.permissions() != new.permissions()
        || old_owner != new_owner
        || old.rdev != new.rdev
        || (!old.kind.has_directory_bit()
            && (!same_fs_time(&old.mtime, &new.mtime) || old.size != new.size))
}

/// The `(uid, gid)` pairs 1.43 compares: both container IDs if the new
/// entry's owner maps with `new_maps` (the old one then also mapped with
/// `old_maps` if it can be, else left as on disk); both as on disk if the
/// new one does not map. Truncated to 32 bits as Go does.
pub fn owners(
    old: &EntryInfo,
    old_maps: &IdMaps,
    new: &EntryInfo,
    new_maps: &IdMaps,
) -> ((u32, u32), (u32, u32)) {
    let on_disk = |entry: &EntryInfo| (entry.uid, entry.gid);
    let mapped = |entry: &EntryInfo, maps: &IdMaps| {
        maps.to_container(entry.uid, entry.gid)
            .map(|(uid, gid)| (uid as u32, gid as u32))
    };
    match mapped(new, new_maps) {
        Some(new_owner) => (
            mapped(old, old_maps).unwrap_or_else(|| on_disk(old)),
            new_owner,
        ),
        None => (on_disk(old), on_disk(new)),
    }
}

/// Go's `sameFsTimeSpec`: equal seconds, and equal nanoseconds unless
/// either side has none (tar round trips lose them).
pub fn same_fs_time(a: &Timestamp, b: &Timestamp) -> bool {
    a.seconds == b.seconds
        && (a.nanoseconds == b.nanoseconds || a.nanoseconds == 0 || b.nanoseconds == 0)
}

/// Whether the compared attributes differ: the capability (absent equals
/// empty) or the set of `user.*` attributes.
fn xattrs_differ(old: &EntryInfo, new: &EntryInfo) -> bool {
    capability(old) != capability(new) || user_xattrs(old).ne(user_xattrs(new))
}

/// The entry's capability attribute, empty if it has none.
fn capability(entry: &EntryInfo) -> &[u8] {
    entry
        .xattrs
        .get(CAPABILITY_XATTR)
        .map_or(&[][..], Vec::as_slice)
}

/// The entry's `user.*` attributes in name order.
fn user_xattrs(entry: &EntryInfo) -> impl Iterator<Item = (&String, &Vec<u8>)> {
    entry
        .xattrs
        .iter()
        .filter(|(name, _)| name.starts_with(USER_XATTR_PREFIX))
}
