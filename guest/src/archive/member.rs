//! A tar member's header as the disassembler hands it to the caller: the
//! header block with GNU long names and PAX records applied, as Go's
//! `tar.Reader.Next` returns it.

use super::header::{HeaderBlock, HeaderIssue, is_header_only, typeflag};
use super::pax::{PaxRecords, key, parse_decimal, parse_time, unix_time};
use crate::format::timestamp::Timestamp;
use std::collections::BTreeMap;

/// What kind of filesystem object a member describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A regular file (`0`, or the old NUL flag without a trailing `/`).
    Regular,
    /// A hard link to an earlier member (`1`).
    HardLink,
    /// A symbolic link (`2`).
    Symlink,
    /// A character device (`3`).
    CharDevice,
    /// A block device (`4`).
    BlockDevice,
    /// A directory (`5`, or the old NUL flag with a trailing `/`).
    Directory,
    /// A FIFO (`6`).
    Fifo,
    /// A PAX global header (`g`), returned as a member as Go does.
    GlobalHeader,
    /// Any other type flag (e.g. `7` contiguous file); extractors decide.
    Other(u8),
}

/// One member of a tar stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The type flag byte (the old NUL flag already resolved to `0` or `5`).
    pub typeflag: u8,
    /// Member name exactly as stored (may not be UTF-8, may start with `./`).
    pub path: Vec<u8>,
    /// Link target of hard and symbolic links.
    pub link_target: Vec<u8>,
    /// Mode bits (permissions, setuid/setgid/sticky).
    pub mode: i64,
    /// Owner ID from the header, before any ID mapping.
    pub uid: i64,
    /// Group ID from the header, before any ID mapping.
    pub gid: i64,
    /// Owner name.
    pub uname: Vec<u8>,
    /// Group name.
    pub gname: Vec<u8>,
    /// Modification time (sub-second precision from PAX `mtime`).
    pub mtime: Timestamp,
    /// Access time, when the archive records one.
    pub atime: Option<Timestamp>,
    /// Status change time, when the archive records one.
    pub ctime: Option<Timestamp>,
    /// Size from the header. Header-only types (links, devices,
    /// directories, FIFOs) have no content whatever this says.
    pub size: i64,
    /// Device major number.
    pub dev_major: i64,
    /// Device minor number.
    pub dev_minor: i64,
    /// Extended attributes from PAX `SCHILY.xattr.<name>` records.
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
    /// All PAX records that applied to this member.
    pub pax_records: PaxRecords,
}

impl Member {
    /// The member's kind, from its type flag.
    pub fn kind(&self) -> MemberKind {
        match self.typeflag {
            typeflag::REGULAR => MemberKind::Regular,
            typeflag::HARD_LINK => MemberKind::HardLink,
            typeflag::SYMLINK => MemberKind::Symlink,
            typeflag::CHAR_DEVICE => MemberKind::CharDevice,
            typeflag::BLOCK_DEVICE => MemberKind::BlockDevice,
            typeflag::DIRECTORY => MemberKind::Directory,
            typeflag::FIFO => MemberKind::Fifo,
            typeflag::PAX_GLOBAL => MemberKind::GlobalHeader,
            other => MemberKind::Other(other),
        }
    }

    /// How many content bytes follow the header in the stream.
    pub fn content_len(&self) -> u64 {
        if is_header_only(self.typeflag) {
            0
        } else {
            u64::try_from(self.size).unwrap_or(0)
        }
    }

    /// A member from a header block, before extensions are applied.
    pub(crate) fn from_block(block: HeaderBlock) -> Self {
        Member {
            typeflag: block.typeflag,
            path: block.name,
            link_target: block.linkname,
            mode: block.mode,
            uid: block.uid,
            gid: block.gid,
            uname: block.uname,
            gname: block.gname,
            mtime: unix_time(block.mtime, 0),
            atime: block.atime.map(|seconds| unix_time(seconds, 0)),
            ctime: block.ctime.map(|seconds| unix_time(seconds, 0)),
            size: block.size,
            dev_major: block.devmajor,
            dev_minor: block.devminor,
            xattrs: BTreeMap::new(),
            pax_records: PaxRecords::new(),
        }
    }

    /// The member Go returns for a PAX global header: only its name, type,
    /// xattrs and records survive; every other field is zero.
    pub(crate) fn global_header(merged: Member) -> Self {
        Member {
            typeflag: merged.typeflag,
            path: merged.path,
            link_target: Vec::new(),
            mode: 0,
            uid: 0,
            gid: 0,
            uname: Vec::new(),
            gname: Vec::new(),
            mtime: Timestamp::default(),
            atime: None,
            ctime: None,
            size: 0,
            dev_major: 0,
            dev_minor: 0,
            xattrs: merged.xattrs,
            pax_records: merged.pax_records,
        }
    }

    /// Applies PAX records (Go's `mergePAX`): empty values keep the header's
    /// value; `SCHILY.xattr.*` records become xattrs.
    pub(crate) fn merge_pax(&mut self, records: PaxRecords) -> Result<(), HeaderIssue> {
        const BAD_NUMBER: HeaderIssue = "malformed PAX number";
        for (name, value) in &records {
            if value.is_empty() {
                continue;
            }
            let number = || parse_decimal(value).ok_or(BAD_NUMBER);
            match name.as_slice() {
                key::PATH => self.path = value.clone(),
                key::LINKPATH => self.link_target = value.clone(),
                key::UNAME => self.uname = value.clone(),
                key::GNAME => self.gname = value.clone(),
                key::UID => self.uid = number()?,
                key::GID => self.gid = number()?,
                key::SIZE => self.size = number()?,
                key::MTIME => self.mtime = parse_time(value)?,
                key::ATIME => self.atime = Some(parse_time(value)?),
                key::CTIME => self.ctime = Some(parse_time(value)?),
                other => {
                    if let Some(xattr) = other.strip_prefix(key::XATTR_PREFIX) {
                        self.xattrs.insert(xattr.to_vec(), value.clone());
                    }
                }
            }
        }
        self.pax_records = records;
        Ok(())
    }

    /// Resolves the pre-POSIX NUL type flag as Go does.
    pub(crate) fn resolve_old_regular(&mut self) {
        if self.typeflag == typeflag::REGULAR_OLD {
            self.typeflag = if self.path.ends_with(b"/") {
                typeflag::DIRECTORY
            } else {
                typeflag::REGULAR
            };
        }
    }
}
