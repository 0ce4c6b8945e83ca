//! Writing tar members into a layer tree with 1.43's extraction rules
//! (§5.5): whiteouts, opaque directories, replacing existing entries,
//! ownership through the layer's ID maps, directory times applied last.
//!
//! Confinement: every path is resolved component by component from the
//! layer's directory descriptor. A symlink met on the way is followed the
//! way a chroot would follow it — absolute targets restart at the layer
//! root and `..` never climbs above it — so a hostile archive can plant
//! links but never write through them to anything outside the layer.

use crate::archive::{Member, MemberKind, path as tar_path};
use crate::disk::{Dir, EntryKind, Errno, Metadata, NodeKind, Profile, Timespec, byte_names};
use crate::error::{ErrorKind, Result, StoreError};
use crate::format::timestamp::Timestamp;
use crate::records::IdMap;
use std::collections::{HashMap, HashSet};
use std::io::Read;

/// Mode of parent directories created because the archive lacks them.
const IMPLIED_DIR_MODE: u32 = 0o755;
/// Symlinks followed while resolving one path before giving up (as Linux).
const MAX_SYMLINKS: usize = 40;
/// Prefix of whiteout names.
const WHITEOUT_PREFIX: &str = ".wh.";
/// Prefix of AUFS metadata names (skipped).
const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
/// The opaque-directory marker.
const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// The directory where AUFS keeps the files hard links point to: never
/// extracted; its regular files are held until links into it are resolved.
const AUFS_LINK_DIR: &str = ".wh..wh.plnk";
/// Most bytes of `.wh..wh.plnk` files one diff may hold for its links (1.43
/// keeps them in a temporary directory; the component keeps them in memory).
const MAX_AUFS_LINK_BYTES: u64 = 256 << 20;
/// Permission bits of a tar mode.
const PERMISSION_BITS: i64 = 0o7777;
/// The setuid, setgid and sticky bits of a tar mode.
const SPECIAL_BITS: i64 = 0o7000;
/// Regular files up to this size are read whole and written, with their
/// metadata, by one host call; larger ones are streamed.
const WHOLE_FILE_LIMIT: i64 = 8 << 20;

/// A member kind as error messages name it.
fn kind_name(kind: MemberKind) -> &'static str {
    match kind {
        MemberKind::Regular => "regular file",
        MemberKind::HardLink => "hard link",
        MemberKind::Symlink => "symbolic link",
        MemberKind::CharDevice => "character device",
        MemberKind::BlockDevice => "block device",
        MemberKind::Directory => "directory",
        MemberKind::Fifo => "FIFO",
        MemberKind::GlobalHeader => "global header",
        MemberKind::Other(_) => "member",
    }
}

/// Maps a tar header's container ID to the host ID the layer stores.
pub fn to_host(id: i64, maps: &[IdMap]) -> Result<u32> {
    let id =
        u32::try_from(id).map_err(|_| StoreError::invalid(format!("ID {id} is out of range")))?;
    crate::ident::id_map::to_host(id, maps).ok_or_else(|| {
        StoreError::invalid(format!("Container ID {id} cannot be mapped to a host ID"))
    })
}

/// The string form of a member's name or link target (names that are not
/// UTF-8 encoded, see [`byte_names`]); refused with a named error where
/// the build cannot carry such names (WASI alone).
pub(super) fn name_text(bytes: &[u8], what: &str) -> Result<String> {
    if std::str::from_utf8(bytes).is_err() && !Dir::carries_byte_names() {
        return Err(StoreError::custom(
            ErrorKind::UnsupportedByProfile,
            format!(
                "{what} {:?} in archive is not UTF-8: this build (WASI only) cannot represent it",
                String::from_utf8_lossy(bytes)
            ),
        ));
    }
    Ok(byte_names::encode_path(bytes).into_owned())
}

/// Component `name` (string form) without the byte prefix `prefix`, in
/// string form; `None` when it does not start with it.
pub(crate) fn strip_name_prefix(name: &str, prefix: &str) -> Option<String> {
    let bytes = byte_names::decode_component(name)?;
    let rest = bytes.strip_prefix(prefix.as_bytes())?;
    Some(byte_names::encode_component(rest).into_owned())
}

/// Splits a cleaned relative path into components.
pub(super) fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

/// Opens the directory at logical path `parts` beneath `root`, following
/// symlinks inside the root, creating missing directories when `create`.
pub fn resolve_dir(root: &Dir, parts: &[String], create: bool) -> Result<Option<Dir>> {
    Ok(walk(root, root.reopen()?, Vec::new(), parts, create)?.map(|(dir, _)| dir))
}

/// Walks `parts` from `start`, the directory at symlink-free path
/// `logical` beneath `root` (see [`resolve_dir`]); returns the directory
/// reached and its symlink-free path.
fn walk(
    root: &Dir,
    start: Dir,
    mut logical: Vec<String>,
    parts: &[String],
    create: bool,
) -> Result<Option<(Dir, Vec<String>)>> {
    let mut pending: Vec<String> = parts.iter().rev().cloned().collect();
    let mut current = start;
    let mut followed = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            logical.pop();
            current = restart(root, &logical)?;
            continue;
        }
        match current.entry_kind(&part)? {
            Some(EntryKind::Directory) => {}
            Some(EntryKind::Symlink) => {
                followed += 1;
                if followed > MAX_SYMLINKS {
                    return Err(StoreError::invalid(format!(
                        "too many levels of symbolic links at {}",
                        current.child_path(&part)
                    )));
                }
                let target = current.readlink(&part)?;
                if target.starts_with('/') {
                    logical.clear();
                }
                pending.extend(components(&target).into_iter().rev());
                current = restart(root, &logical)?;
                continue;
            }
            Some(_) => {
                return Err(StoreError::io(format!(
                    "{}: not a directory",
                    current.child_path(&part)
                )));
            }
            None if create => current.make_dir(&part, IMPLIED_DIR_MODE)?,
            None => return Ok(None),
        }
        current = current
            .open_dir(&part)?
            .ok_or_else(|| StoreError::io(format!("{} vanished", current.child_path(&part))))?;
        logical.push(part);
    }
    Ok(Some((current, logical)))
}

/// The directory most recently resolved beneath one root, kept open: tar
/// members and tar-split entries come grouped by directory, so most
/// lookups hit it and cost no host call, and a lookup below it (the next
/// directory down, after a directory member) walks on from it.
#[derive(Default)]
pub struct DirCache {
    last: Option<CachedDir>,
}

/// The directory [`DirCache`] holds.
struct CachedDir {
    /// The path it was asked for.
    parts: Vec<String>,
    /// Its symlink-free path.
    logical: Vec<String>,
    dir: Dir,
}

impl DirCache {
    /// The directory at `parts` beneath `root` (see [`resolve_dir`]).
    pub fn resolve(&mut self, root: &Dir, parts: &[String], create: bool) -> Result<Option<&Dir>> {
        let hit = matches!(&self.last, Some(cached) if cached.parts.as_slice() == parts);
        if !hit {
            let resolved = match self.last.take() {
                Some(cached) if parts.starts_with(&cached.parts) => {
                    let below = &parts[cached.parts.len()..];
                    walk(root, cached.dir, cached.logical, below, create)?
                }
                _ => walk(root, root.reopen()?, Vec::new(), parts, create)?,
            };
            let Some((dir, logical)) = resolved else {
                return Ok(None);
            };
            self.last = Some(CachedDir {
                parts: parts.to_vec(),
                logical,
                dir,
            });
        }
        Ok(self.last.as_ref().map(|cached| &cached.dir))
    }

    /// Forgets the cached directory (after a change that may have replaced it).
    pub fn clear(&mut self) {
        self.last = None;
    }
}

/// Re-opens the logical path `logical` (already symlink-free) from the root.
fn restart(root: &Dir, logical: &[String]) -> Result<Dir> {
    let mut dir = root.reopen()?;
    for part in logical {
        dir = dir
            .open_dir(part)?
            .ok_or_else(|| StoreError::io(format!("{} vanished", dir.child_path(part))))?;
    }
    Ok(dir)
}

/// A file time as the host sets it; times before the epoch become the
/// epoch (as 1.43 does).
fn timespec(t: Timestamp) -> Timespec {
    if t.seconds < 0 {
        return Timespec {
            seconds: 0,
            nanoseconds: 0,
        };
    }
    Timespec {
        seconds: t.seconds,
        nanoseconds: t.nanoseconds,
    }
}

/// A member's (access, modification) times: the access time only when the
/// archive records one later than the modification time.
fn member_times(member: &Member) -> (Timespec, Timespec) {
    let modification = timespec(member.mtime);
    let access = match member.atime {
        Some(atime)
            if (atime.seconds, atime.nanoseconds)
                > (member.mtime.seconds, member.mtime.nanoseconds) =>
        {
            timespec(atime)
        }
        _ => modification,
    };
    (access, modification)
}

/// What of a member (its kind, tar mode, host owner, whether it has
/// xattrs, its link target) `profile` cannot keep; `None` when all of it
/// can. Permission bits are not checked: a profile without them keeps
/// them in the tar-split only, as `status` says (refusing them would
/// refuse every layer with an executable).
fn beyond_profile(
    profile: &Profile,
    kind: MemberKind,
    mode: i64,
    owner: (u32, u32),
    has_xattrs: bool,
    link_target: &[u8],
) -> Option<&'static str> {
    let device = matches!(
        kind,
        MemberKind::CharDevice | MemberKind::BlockDevice | MemberKind::Fifo
    );
    if device && !profile.device_nodes {
        Some("device nodes and FIFOs")
    } else if kind == MemberKind::Symlink
        && link_target.starts_with(b"/")
        && !profile.absolute_symlinks
    {
        Some("absolute symlinks")
    } else if owner != (0, 0) && !profile.owners {
        Some("owners")
    } else if mode & SPECIAL_BITS != 0 && !profile.special_bits {
        Some("setuid/setgid/sticky bits")
    } else if has_xattrs && !profile.xattrs {
        Some("extended attributes")
    } else {
        None
    }
}

/// Owner (mapped to host IDs), mode, xattrs and, when `with_times`, times
/// of a new entry (directory times are applied last, by `finish`).
fn member_metadata(
    member: &Member,
    uid_map: &[IdMap],
    gid_map: &[IdMap],
    with_times: bool,
) -> Result<Metadata> {
    Ok(Metadata {
        uid: to_host(member.uid, uid_map)?,
        gid: to_host(member.gid, gid_map)?,
        mode: (member.mode & PERMISSION_BITS) as u32,
        xattrs: member
            .xattrs
            .iter()
            .map(|(key, value)| (String::from_utf8_lossy(key).into_owned(), value.clone()))
            .collect(),
        times: with_times.then(|| member_times(member)),
    })
}

/// Extracts members into one layer tree.
pub struct Extractor<'a> {
    root: &'a Dir,
    uid_map: &'a [IdMap],
    gid_map: &'a [IdMap],
    /// Paths this archive created (an opaque marker keeps them).
    created: HashSet<String>,
    /// Directory times, applied after all members.
    dir_times: Vec<(Vec<String>, (Timespec, Timespec))>,
    /// The last parent directory resolved.
    dirs: DirCache,
    /// Contents of the regular file being written (reused between files).
    buffer: Vec<u8>,
    /// Regular files of `.wh..wh.plnk` by base name: header and contents.
    aufs_links: HashMap<String, (Member, Vec<u8>)>,
    /// Bytes held in `aufs_links`.
    aufs_bytes: u64,
    /// Whether whiteouts and AUFS metadata names have their layer-diff
    /// meaning (1.43's `UnpackLayer`), or are ordinary names (`Untar`).
    layer_rules: bool,
}

impl<'a> Extractor<'a> {
    /// An extractor writing into `root` with the layer's ID maps.
    pub fn new(root: &'a Dir, uid_map: &'a [IdMap], gid_map: &'a [IdMap]) -> Self {
        Extractor {
            root,
            uid_map,
            gid_map,
            created: HashSet::new(),
            dir_times: Vec::new(),
            dirs: DirCache::default(),
            buffer: Vec::new(),
            aufs_links: HashMap::new(),
            aufs_bytes: 0,
            layer_rules: true,
        }
    }

    /// An extractor for copies (1.43's `Untar`): like [`Extractor::new`],
    /// but `.wh.` names are ordinary files, not whiteouts.
    pub fn plain(root: &'a Dir, uid_map: &'a [IdMap], gid_map: &'a [IdMap]) -> Self {
        Extractor {
            layer_rules: false,
            ..Extractor::new(root, uid_map, gid_map)
        }
    }

    fn parent(&mut self, parts: &[String]) -> Result<&Dir> {
        Ok(self
            .dirs
            .resolve(self.root, parts, true)?
            .expect("missing directories are created"))
    }

    /// Applies one member; `content` is its data (read fully for regular files).
    pub fn apply(&mut self, member: &Member, content: &mut dyn Read) -> Result<()> {
        if member.path.is_empty() && member.kind() != MemberKind::GlobalHeader {
            // Cleaned, "" would be "." and rewrite the layer root's metadata.
            return Err(StoreError::invalid(
                "invalid archive: a member has an empty name",
            ));
        }
        let cleaned = tar_path::clean(&member.path);
        let text = name_text(&cleaned, "file name")?;
        let parts = components(&text);
        if parts.first().is_some_and(|p| p == "..") {
            return Err(StoreError::invalid(format!(
                "invalid archive: {text:?} is outside of the layer"
            )));
        }
        let kind = member.kind();
        if kind == MemberKind::GlobalHeader {
            return Ok(());
        }
        if member.size < 0 {
            // Only header-only types get here (the tar reader refuses the
            // rest). 1.43 imports such a member, records the negative size
            // in the tar-split, and then cannot produce the layer's diff
            // (it reads the directory or link as file content, or blocks
            // opening the FIFO): refused here, before anything is recorded.
            return Err(StoreError::invalid(format!(
                "invalid archive: {text:?} ({}) has a negative size ({})",
                kind_name(kind),
                member.size
            )));
        }
        let whiteout = parts
            .last()
            .is_some_and(|name| name.starts_with(WHITEOUT_PREFIX));
        if !whiteout {
            self.check_profile(member, &text)?;
        }
        let Some((name, parent_parts)) = parts.split_last() else {
            // The archive's root entry ("./"): its metadata applies to the layer root.
            let metadata = member_metadata(member, self.uid_map, self.gid_map, false)?;
            self.dir_times.push((Vec::new(), member_times(member)));
            return Ok(self.root.set_metadata(".", &metadata)?);
        };
        if self.layer_rules
            && cleaned.starts_with(WHITEOUT_META_PREFIX.as_bytes())
            && cleaned != OPAQUE_MARKER.as_bytes()
        {
            // AUFS metadata at the top: skipped after its parent exists, as
            // 1.43 does (so `.wh..wh.plnk/N` leaves an empty `.wh..wh.plnk`).
            self.parent(parent_parts)?;
            if cleaned.starts_with(AUFS_LINK_DIR.as_bytes()) && kind == MemberKind::Regular {
                self.hold_aufs_link(name, member, content)?;
            }
            return Ok(());
        }
        if self.layer_rules
            && let Some(hidden) = strip_name_prefix(name, WHITEOUT_PREFIX)
        {
            return self.apply_whiteout(parent_parts, name, &hidden);
        }
        let parent = self.parent(parent_parts)?;
        let existing = parent.entry_kind(name)?;
        if let Some(existing) = existing
            && !(existing == EntryKind::Directory && kind == MemberKind::Directory)
        {
            parent.remove_tree(name)?;
        }
        self.create(parent_parts, name, member, content)?;
        self.created.insert(text);
        Ok(())
    }

    /// Refuses `member` (at `path`) when the disk profile cannot keep it
    /// as the archive says, before anything of it is written.
    fn check_profile(&self, member: &Member, path: &str) -> Result<()> {
        let owner = (
            to_host(member.uid, self.uid_map)?,
            to_host(member.gid, self.gid_map)?,
        );
        let kind = member.kind();
        let lacking = beyond_profile(
            &crate::disk::PROFILE,
            kind,
            member.mode,
            owner,
            !member.xattrs.is_empty(),
            &member.link_target,
        );
        match lacking {
            None => Ok(()),
            Some(what) => Err(StoreError::with_context(
                ErrorKind::UnsupportedByProfile,
                format_args!(
                    "{path:?} ({}): the {} profile keeps no {what}",
                    kind_name(kind),
                    crate::disk::PROFILE.name
                ),
            )),
        }
    }

    fn create(
        &mut self,
        parent_parts: &[String],
        name: &str,
        member: &Member,
        content: &mut dyn Read,
    ) -> Result<()> {
        let kind = member.kind();
        match kind {
            MemberKind::GlobalHeader => return Ok(()),
            MemberKind::Other(flag) => {
                return Err(StoreError::invalid(format!(
                    "unhandled tar header type {flag} for {name:?}"
                )));
            }
            MemberKind::HardLink => return self.create_hard_link(parent_parts, name, member),
            MemberKind::Regular => {
                let metadata = member_metadata(member, self.uid_map, self.gid_map, true)?;
                return self.create_file(parent_parts, name, member.size, content, &metadata);
            }
            _ => {}
        }
        let is_dir = kind == MemberKind::Directory;
        let metadata = member_metadata(member, self.uid_map, self.gid_map, !is_dir)?;
        let parent = self.parent(parent_parts)?;
        match kind {
            // An existing directory stays (`apply` removed anything else).
            MemberKind::Directory => parent.make_dir(name, metadata.mode)?,
            MemberKind::Symlink => {
                let target = name_text(&member.link_target, "symlink target")?;
                parent.symlink(name, &target)?;
            }
            _ => {
                let node = match kind {
                    MemberKind::CharDevice => NodeKind::CharacterDevice,
                    MemberKind::BlockDevice => NodeKind::BlockDevice,
                    _ => NodeKind::Fifo,
                };
                let (major, minor) = (member.dev_major as u32, member.dev_minor as u32);
                parent
                    .mknod(name, node, metadata.mode, major, minor)
                    .map_err(|err| match err.errno() {
                        Some(Errno::NotPermitted) => StoreError::invalid(format!(
                            "device node {name:?}: device nodes are not permitted for this store"
                        )),
                        _ => err.into(),
                    })?;
            }
        }
        parent.set_metadata(name, &metadata)?;
        if is_dir {
            let mut path = parent_parts.to_vec();
            path.push(name.to_string());
            self.dir_times.push((path, member_times(member)));
        }
        Ok(())
    }

    /// Keeps regular file `name` of `.wh..wh.plnk` (header and contents)
    /// for the hard links that point into that directory.
    fn hold_aufs_link(
        &mut self,
        name: &str,
        member: &Member,
        content: &mut dyn Read,
    ) -> Result<()> {
        let size = u64::try_from(member.size).unwrap_or_default();
        self.aufs_bytes = self.aufs_bytes.saturating_add(size);
        if self.aufs_bytes > MAX_AUFS_LINK_BYTES {
            return Err(StoreError::invalid(format!(
                "invalid archive: the files of {AUFS_LINK_DIR} hold more than {MAX_AUFS_LINK_BYTES} bytes"
            )));
        }
        let mut contents = Vec::with_capacity(size as usize);
        content
            .read_to_end(&mut contents)
            .map_err(|err| StoreError::from_read_error(err).wrap("reading archive"))?;
        self.aufs_links
            .insert(name.to_string(), (member.clone(), contents));
        Ok(())
    }

    /// A hard link into `.wh..wh.plnk` (AUFS's store of linked files): as
    /// 1.43, `name` becomes a regular file of its own with the held file's
    /// contents, owner, mode, xattrs and times (links are not shared).
    fn create_aufs_link(
        &mut self,
        parent_parts: &[String],
        name: &str,
        target: &str,
    ) -> Result<()> {
        let base = target.rsplit('/').next().unwrap_or(target);
        let (held, contents) = self
            .aufs_links
            .remove(base)
            .ok_or_else(|| StoreError::invalid("invalid aufs hardlink"))?;
        let metadata = member_metadata(&held, self.uid_map, self.gid_map, true);
        let result = metadata.and_then(|metadata| {
            let parent = self.parent(parent_parts)?;
            Ok(parent.create_file(name, &contents, &metadata)?)
        });
        self.aufs_links.insert(base.to_string(), (held, contents));
        result
    }

    /// Links `name` to an earlier member, then gives the shared inode the
    /// link entry's own owner, xattrs, mode and times, as 1.43 does (a later
    /// layer's link to a lower file may carry other metadata than the
    /// file); a link to a symlink takes no times.
    fn create_hard_link(
        &mut self,
        parent_parts: &[String],
        name: &str,
        member: &Member,
    ) -> Result<()> {
        let cleaned = tar_path::clean(&member.link_target);
        let target = name_text(&cleaned, "hard link target")?;
        if self.layer_rules && cleaned.starts_with(AUFS_LINK_DIR.as_bytes()) {
            return self.create_aufs_link(parent_parts, name, &target);
        }
        let target_parts = components(&target);
        let missing = || {
            StoreError::invalid(format!(
                "invalid hard link {name:?}: target {target:?} is not in the layer"
            ))
        };
        let (target_name, target_parent) = target_parts.split_last().ok_or_else(missing)?;
        if target_parent.first().is_some_and(|p| p == "..") {
            return Err(missing());
        }
        let root = self.root;
        let source = resolve_dir(root, target_parent, false)?.ok_or_else(missing)?;
        let target_kind = source.entry_kind(target_name)?;
        if target_kind.is_none_or(|k| k == EntryKind::Directory) {
            return Err(missing());
        }
        // A link to a symlink keeps the symlink's times, as in 1.43 (its
        // mode is never applied: symlinks have none of their own).
        let with_times = target_kind != Some(EntryKind::Symlink);
        let metadata = member_metadata(member, self.uid_map, self.gid_map, with_times)?;
        let parent = self.parent(parent_parts)?;
        source.hard_link(target_name, parent, name)?;
        Ok(parent.set_metadata(name, &metadata)?)
    }

    /// Writes regular file `name` with its contents and `metadata`: small
    /// files in one host call, large ones streamed then given their metadata.
    fn create_file(
        &mut self,
        parent_parts: &[String],
        name: &str,
        size: i64,
        content: &mut dyn Read,
        metadata: &Metadata,
    ) -> Result<()> {
        let reading = |err| StoreError::from_read_error(err).wrap("reading archive");
        let mut buffer = std::mem::take(&mut self.buffer);
        let parent = self.parent(parent_parts)?;
        let result = if size <= WHOLE_FILE_LIMIT {
            buffer.clear();
            content.read_to_end(&mut buffer).map_err(reading)?;
            parent
                .create_file(name, &buffer, metadata)
                .map_err(StoreError::from)
        } else {
            parent.create_file_from(name, content, "reading archive")?;
            parent
                .set_metadata(name, metadata)
                .map_err(StoreError::from)
        };
        self.buffer = buffer;
        result
    }

    fn apply_whiteout(&mut self, parent_parts: &[String], name: &str, hidden: &str) -> Result<()> {
        self.dirs.clear();
        // A missing parent is created empty first, as 1.43 does for every
        // member (not for `.wh.`, which names nothing and is refused below
        // where its directory exists).
        let create = !hidden.is_empty();
        let Some(parent) = resolve_dir(self.root, parent_parts, create)? else {
            return Ok(());
        };
        if name == OPAQUE_MARKER {
            let prefix = parent_parts.join("/");
            for (entry, _) in parent.entries()? {
                let path = if prefix.is_empty() {
                    entry.clone()
                } else {
                    format!("{prefix}/{entry}")
                };
                if !self.created.contains(&path) {
                    parent.remove_tree(&entry)?;
                }
            }
        } else {
            // Below the top, `.wh..wh.x` is an ordinary whiteout of `.wh.x`
            // (1.43 skips AUFS metadata only at the top, see `apply`).
            parent.remove_tree(hidden)?;
        }
        Ok(())
    }

    /// Applies the deferred directory times.
    /// Siblings come one after another, so their parent stays open.
    pub fn finish(mut self) -> Result<()> {
        for (path, (access, modification)) in self.dir_times.iter().rev() {
            let (parent, name) = match path.split_last() {
                Some((name, parent)) => (parent, name.as_str()),
                None => (&[][..], "."),
            };
            if let Some(dir) = self.dirs.resolve(self.root, parent, false)? {
                dir.set_times(name, *access, *modification)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_to_host_ranges() {
        let maps = [IdMap {
            container_id: 0,
            host_id: 100000,
            size: 65536,
        }];
        assert_eq!(to_host(1000, &maps).unwrap(), 101000);
        assert_eq!(to_host(1000, &[]).unwrap(), 1000);
        assert!(to_host(70000, &maps).is_err());
        assert!(to_host(-1, &[]).is_err());
    }

    #[test]
    fn the_portable_profile_refuses_what_it_cannot_keep() {
        let portable = &Profile::PORTABLE;
        let regular = MemberKind::Regular;
        let check = |kind, mode, owner, xattrs, target: &[u8]| {
            beyond_profile(portable, kind, mode, owner, xattrs, target)
        };
        assert_eq!(check(regular, 0o755, (0, 0), false, b""), None);
        assert_eq!(
            check(MemberKind::Directory, 0o700, (0, 0), false, b""),
            None
        );
        assert_eq!(
            check(MemberKind::Symlink, 0o777, (0, 0), false, b"../x"),
            None
        );
        assert_eq!(
            check(MemberKind::Symlink, 0o777, (0, 0), false, b"/etc/x"),
            Some("absolute symlinks")
        );
        for device in [
            MemberKind::CharDevice,
            MemberKind::BlockDevice,
            MemberKind::Fifo,
        ] {
            assert_eq!(
                check(device, 0o600, (0, 0), false, b""),
                Some("device nodes and FIFOs")
            );
        }
        assert_eq!(check(regular, 0o644, (1000, 0), false, b""), Some("owners"));
        assert_eq!(check(regular, 0o644, (0, 1000), false, b""), Some("owners"));
        for special in [0o4755, 0o2755, 0o1777] {
            assert_eq!(
                check(regular, special, (0, 0), false, b""),
                Some("setuid/setgid/sticky bits")
            );
        }
        assert_eq!(
            check(regular, 0o644, (0, 0), true, b""),
            Some("extended attributes")
        );
    }

    #[test]
    fn whiteout_prefixes_are_stripped_from_the_bytes() {
        let encoded = byte_names::encode_component(b".wh.caf\xe9");
        assert_eq!(
            strip_name_prefix(&encoded, WHITEOUT_PREFIX).unwrap(),
            "\0caf\u{e9}"
        );
        assert_eq!(
            strip_name_prefix(".wh.plain", WHITEOUT_PREFIX).unwrap(),
            "plain"
        );
        assert_eq!(strip_name_prefix("\0caf\u{e9}", WHITEOUT_PREFIX), None);
        assert_eq!(
            name_text(b"a/caf\xe9", "file name").unwrap(),
            "a/\0caf\u{e9}"
        );
    }

    #[test]
    fn the_full_profile_keeps_everything() {
        for kind in [
            MemberKind::Regular,
            MemberKind::CharDevice,
            MemberKind::Symlink,
        ] {
            assert_eq!(
                beyond_profile(&Profile::FULL, kind, 0o4755, (1000, 1000), true, b"/abs"),
                None
            );
        }
    }

    #[test]
    fn paths_split_into_components() {
        assert_eq!(components("a/./b//c"), vec!["a", "b", "c"]);
        assert_eq!(components("/x"), vec!["x"]);
        assert!(components(".").is_empty());
    }
}
