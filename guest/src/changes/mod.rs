//! Layer changes: comparing a layer's tree with its parent's as
//! containers/storage 1.43 does for `changes`, `diffsize` and the naive
//! `diff` (layers without tar-split), and planning the tar of that diff.
//! Pure: the I/O side walks the layer directories into [`Snapshot`]s and
//! opens file contents through a callback; nothing here touches a file.
//!
//! ```
//! use graphstore_guest::archive::writer::TarWriter;
//! use graphstore_guest::changes::{
//!     ChangeKind, EntryInfo, EntryKind, IdMaps, NoNames, Snapshot, changes, diff_size,
//!     plan_diff, write_ops,
//! };
//! use graphstore_guest::format::timestamp::Timestamp;
//! # fn run() -> Result<(), graphstore_guest::changes::ChangesError> {
//! let file = |size| EntryInfo {
//!     kind: EntryKind::Regular, mode: 0o644, uid: 0, gid: 0, rdev: 0, size,
//!     mtime: Timestamp::utc(1_700_000_000, 0), link_target: String::new(),
//!     xattrs: Default::default(), dev: 1, ino: 2, nlink: 1,
//! };
//! let dir = EntryInfo { kind: EntryKind::Directory, mode: 0o755, size: 4096, ..file(0) };
//! let (mut parent, mut layer) = (Snapshot::new(), Snapshot::new());
//! parent.insert("/etc", dir.clone())?;
//! parent.insert("/etc/hosts", file(10))?;
//! layer.insert("/etc", dir)?;
//! layer.insert("/etc/hosts", file(12))?;
//!
//! let no_maps = IdMaps::default();
//! let list = changes(&parent, &layer, &no_maps, &no_maps);
//! assert_eq!(list[0].path, "/etc");
//! assert_eq!(list[1].kind, ChangeKind::Modify);
//! assert_eq!(diff_size(&list, &layer), 12);
//!
//! let plan = plan_diff(&list, &layer, &no_maps, &NoNames, Timestamp::utc(1_700_000_001, 0));
//! let mut tar = TarWriter::new(Vec::new());
//! write_ops(&plan.ops, &mut tar, |path| {
//!     assert_eq!(path, "/etc/hosts");
//!     Ok(&b"127.0.0.1 a\n"[..])
//! })?;
//! let bytes = tar.finish()?;
//! # assert_eq!(bytes.len(), 5 * 512);
//! # Ok(()) }
//! # run().unwrap();
//! ```

mod compare;
mod error;
mod export;
mod snapshot;

pub use compare::{
    CAPABILITY_XATTR, Change, ChangeKind, USER_XATTR_PREFIX, changes, diff_size, owners,
    same_fs_time,
};
pub use error::{ChangesError, Result};
pub(crate) use export::split_rdev;
pub use export::{
    ExportPlan, IMA_XATTR, NameLookup, NoNames, SkipReason, Skipped, TarOp, plan_diff, plan_tree,
    write_ops,
};
pub use snapshot::{EntryInfo, EntryKind, IdMaps, PERMISSION_MASK, Snapshot};

#[cfg(test)]
mod tests;
