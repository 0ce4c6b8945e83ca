//! Turning a change list (or a whole tree) into the tar members of 1.43's
//! naive diff (`ExportChanges` / `TarWithOptions` with `addTarFile`), and
//! writing them with [`TarWriter`] while the caller opens file contents.

use super::compare::path_order;
use super::compare::{CAPABILITY_XATTR, Change, ChangeKind, USER_XATTR_PREFIX};
use super::error::{ChangesError, Result};
use super::snapshot::{EntryInfo, EntryKind, IdMaps, Snapshot, parent};
use crate::archive::Member;
use crate::archive::header::typeflag;
use crate::archive::path::is_whiteout;
use crate::archive::pax::PaxRecords;
use crate::archive::writer::{TarWriter, whiteout_member};
use crate::format::timestamp::Timestamp;
use graphstore_posix::byte_names;
use std::collections::{BTreeMap, HashMap, hash_map};
use std::io::{self, Read, Write};

/// The IMA signature attribute, exported (but not compared) by 1.43.
pub const IMA_XATTR: &str = "security.ima";

/// Type bits for which 1.43 fills the header's device numbers from
/// `st_rdev` (its test `mode & (S_IFBLK | S_IFCHR) != 0`).
const DEVICE_NUMBER_TYPE_BITS: u32 = 0o060_000;

/// Host user and group names for the header's `uname`/`gname`, which Go's
/// `tar.FileInfoHeader` looks up for the on-disk (host) IDs.
pub trait NameLookup {
    /// The name of host user `uid`, if it has one.
    fn user_name(&self, uid: u32) -> Option<String>;
    /// The name of host group `gid`, if it has one.
    fn group_name(&self, gid: u32) -> Option<String>;
}

/// A [`NameLookup`] that knows no names (headers get empty names).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNames;

impl NameLookup for NoNames {
    fn user_name(&self, _uid: u32) -> Option<String> {
        None
    }
    fn group_name(&self, _gid: u32) -> Option<String> {
        None
    }
}

/// One member of the diff to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarOp {
    /// The header, final (container IDs, names, truncated mtime).
    pub header: Member,
    /// The entry whose content follows the header (absolute layer path), for
    /// regular files with a size above 0; `None` for everything else.
    pub source: Option<String>,
}

/// Why an entry was left out of the diff; 1.43 only logs these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Sockets cannot be archived.
    Socket,
    /// The change names a path the layer snapshot does not have.
    Missing,
    /// The on-disk owner is outside the layer's ID maps.
    UnmappableOwner {
        /// Host UID.
        uid: u32,
        /// Host GID.
        gid: u32,
    },
}

/// An entry left out of the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Absolute layer path.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// The members of a diff in order, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportPlan {
    /// Members in archive order.
    pub ops: Vec<TarOp>,
    /// Entries left out, in the order they were met.
    pub skipped: Vec<Skipped>,
}

/// The naive diff of a layer against its parent (1.43's `ExportChanges`):
/// changes in path order; each Add/Modify becomes the entry's own header
/// (directories are not recursed: their contents are changes of their own),
/// each Delete an AUFS whiteout `dir/.wh.name` dated `whiteout_mtime` (1.43
/// uses the current time). Owners are mapped host→container with `maps`.
pub fn plan_diff(
    changes: &[Change],
    layer: &Snapshot,
    maps: &IdMaps,
    names: &dyn NameLookup,
    whiteout_mtime: Timestamp,
) -> ExportPlan {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| path_order(&a.path, &b.path));
    let mut appender = Appender::new(layer, maps, names);
    for change in sorted {
        match change.kind {
            ChangeKind::Delete => appender.add_whiteout(&change.path, whiteout_mtime),
            ChangeKind::Add | ChangeKind::Modify => appender.add_entry(&change.path),
        }
    }
    appender.plan
}

/// The diff of a layer without parent (1.43's `TarWithOptions` of the whole
/// tree): every entry except the root, depth first with each directory's
/// names in byte order, headers built as for [`plan_diff`].
pub fn plan_tree(layer: &Snapshot, maps: &IdMaps, names: &dyn NameLookup) -> ExportPlan {
    let mut paths: Vec<&str> = layer.iter().map(|(path, _)| path).collect();
    paths.sort_by(|a, b| {
        let bytes = |path| byte_names::display_bytes(path).into_owned();
        let (a, b) = (bytes(a), bytes(b));
        a.split(|&c| c == b'/').cmp(b.split(|&c| c == b'/'))
    });
    let mut appender = Appender::new(layer, maps, names);
    for path in paths {
        appender.add_entry(path);
    }
    appender.plan
}

/// Writes `ops` with `tar`, calling `open` with the absolute layer path of
/// each regular file that has content. The archive is not finished.
pub fn write_ops<W, R, F>(ops: &[TarOp], tar: &mut TarWriter<W>, mut open: F) -> Result<()>
where
    W: Write,
    R: Read,
    F: FnMut(&str) -> io::Result<R>,
{
    for op in ops {
        match &op.source {
            Some(path) => {
                let mut content = open(path).map_err(|source| ChangesError::Open {
                    path: path.clone(),
                    source,
                })?;
                tar.append(&op.header, &mut content)?;
            }
            None => tar.append(&op.header, &mut io::empty())?,
        }
    }
    Ok(())
}

/// 1.43's `tarAppender`: builds headers and remembers hard-linked inodes.
struct Appender<'a> {
    /// The layer the entries come from.
    layer: &'a Snapshot,
    /// The layer's maps, for host→container owners.
    maps: &'a IdMaps,
    /// Host user and group names.
    names: &'a dyn NameLookup,
    /// First member name of each multiply-linked inode, by `(dev, ino)`.
    linked: HashMap<(u64, u64), Vec<u8>>,
    /// What has been planned so far.
    plan: ExportPlan,
}

impl<'a> Appender<'a> {
    fn new(layer: &'a Snapshot, maps: &'a IdMaps, names: &'a dyn NameLookup) -> Self {
        Appender {
            layer,
            maps,
            names,
            linked: HashMap::new(),
            plan: ExportPlan::default(),
        }
    }

    /// 1.43's `addTarFile` for the entry at `path`.
    fn add_entry(&mut self, path: &str) {
        let Some(info) = self.layer.get(path) else {
            return self.skip(path, SkipReason::Missing);
        };
        let Some(mut header) = file_info_header(path, info, self.names) else {
            return self.skip(path, SkipReason::Socket);
        };
        if info.kind != EntryKind::Directory && info.nlink > 1 {
            match self.linked.entry((info.dev, info.ino)) {
                hash_map::Entry::Occupied(first) => {
                    header.typeflag = typeflag::HARD_LINK;
                    header.link_target = first.get().clone();
                    header.size = 0;
                }
                hash_map::Entry::Vacant(slot) => {
                    slot.insert(header.path.clone());
                }
            }
        }
        // As 1.43 does, after registering the link: a skipped first link
        // still becomes the target of the later ones.
        if !is_whiteout(&header.path) && !self.maps.is_empty() {
            let Some((uid, gid)) = self.maps.to_container(info.uid, info.gid) else {
                let reason = SkipReason::UnmappableOwner {
                    uid: info.uid,
                    gid: info.gid,
                };
                return self.skip(path, reason);
            };
            header.uid = uid as i64;
            header.gid = gid as i64;
        }
        let has_content = header.typeflag == typeflag::REGULAR && header.size > 0;
        self.plan.ops.push(TarOp {
            header,
            source: has_content.then(|| path.to_string()),
        });
    }

    /// The whiteout for the deleted `path`.
    fn add_whiteout(&mut self, path: &str, mtime: Timestamp) {
        let dir = parent(path).trim_start_matches('/');
        let name = &path[path.rfind('/').map_or(0, |slash| slash + 1)..];
        let (dir, name) = (
            byte_names::display_bytes(dir),
            byte_names::display_bytes(name),
        );
        self.plan.ops.push(TarOp {
            header: whiteout_member(&dir, &name, mtime),
            source: None,
        });
    }

    fn skip(&mut self, path: &str, reason: SkipReason) {
        self.plan.skipped.push(Skipped {
            path: path.to_string(),
            reason,
        });
    }
}

/// 1.43's `FileInfoHeader` (Go's plus file-type bits in the mode, device
/// numbers, a canonical name) with its xattrs and a truncated mtime; IDs
/// still the on-disk ones. `None` for a socket, which tar cannot hold.
fn file_info_header(path: &str, info: &EntryInfo, names: &dyn NameLookup) -> Option<Member> {
    let mut name = byte_names::display_bytes(path.trim_start_matches('/')).into_owned();
    let (flag, size, link_target) = match info.kind {
        EntryKind::Directory => {
            name.push(b'/');
            (typeflag::DIRECTORY, 0, "")
        }
        EntryKind::Regular => (
            typeflag::REGULAR,
            i64::try_from(info.size).unwrap_or(i64::MAX),
            "",
        ),
        EntryKind::Symlink => (typeflag::SYMLINK, 0, info.link_target.as_str()),
        EntryKind::CharDevice => (typeflag::CHAR_DEVICE, 0, ""),
        EntryKind::BlockDevice => (typeflag::BLOCK_DEVICE, 0, ""),
        EntryKind::Fifo => (typeflag::FIFO, 0, ""),
        EntryKind::Socket => return None,
    };
    let (dev_major, dev_minor) = if info.kind.type_bits() & DEVICE_NUMBER_TYPE_BITS != 0 {
        split_rdev(info.rdev)
    } else {
        (0, 0)
    };
    let name_bytes = |name: Option<String>| name.map(String::into_bytes).unwrap_or_default();
    Some(Member {
        typeflag: flag,
        path: name,
        link_target: byte_names::display_bytes(link_target).into_owned(),
        mode: i64::from(info.permissions() | info.kind.type_bits()),
        uid: i64::from(info.uid),
        gid: i64::from(info.gid),
        uname: name_bytes(names.user_name(info.uid)),
        gname: name_bytes(names.group_name(info.gid)),
        mtime: Timestamp::utc(info.mtime.seconds, 0),
        atime: None,
        ctime: None,
        size,
        dev_major,
        dev_minor,
        xattrs: exported_xattrs(info),
        pax_records: PaxRecords::new(),
    })
}

/// The attributes 1.43 puts into headers: `security.capability`,
/// `security.ima` and `user.*`.
fn exported_xattrs(info: &EntryInfo) -> BTreeMap<Vec<u8>, Vec<u8>> {
    info.xattrs
        .iter()
        .filter(|(name, _)| {
            *name == CAPABILITY_XATTR || *name == IMA_XATTR || name.starts_with(USER_XATTR_PREFIX)
        })
        .map(|(name, value)| (name.as_bytes().to_vec(), value.clone()))
        .collect()
}

/// 1.43's `major`/`minor` (its own, 12-bit-major split of `st_rdev`).
pub(crate) fn split_rdev(rdev: u64) -> (i64, i64) {
    let major = (rdev >> 8) & 0xfff;
    let minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    (major as i64, minor as i64)
}
