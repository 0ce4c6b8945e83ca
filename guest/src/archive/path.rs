//! Byte-string path helpers with Go's semantics: `path.Clean` for
//! tar-split's duplicate-name check, `path.Base` for the whiteout test of
//! the uid/gid sets.

use super::error::{ArchiveError, Result};
use std::collections::HashSet;

/// AUFS whiteout prefix; members whose base name has it are left out of
/// the uid/gid sets.
pub const WHITEOUT_PREFIX: &[u8] = b".wh.";

/// Go's `path.Clean` on bytes: collapses `//`, removes `.` elements,
/// resolves `..` lexically, drops a trailing slash; empty becomes `.`.
pub fn clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|last| *last != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(part);
                }
            }
            _ => parts.push(part),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    if rooted {
        out.push(b'/');
    }
    out.extend_from_slice(&parts.join(&b'/'));
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// Go's `path.Base` on bytes: the last element, trailing slashes removed;
/// `.` for an empty path and `/` for a path of slashes.
pub fn base(path: &[u8]) -> &[u8] {
    if path.is_empty() {
        return b".";
    }
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        None => return b"/",
    };
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

/// Whether the member named `path` is an AUFS whiteout (or whiteout meta file).
pub fn is_whiteout(path: &[u8]) -> bool {
    base(path).starts_with(WHITEOUT_PREFIX)
}

/// The cleaned names of file entries seen so far, to reject duplicates as
/// tar-split's packer and unpacker do.
#[derive(Debug, Default)]
pub struct SeenNames(HashSet<Vec<u8>>);

impl SeenNames {
    /// Records `name`; fails with [`ArchiveError::DuplicatePath`] if an
    /// equal name (after cleaning) was recorded before.
    pub fn insert(&mut self, name: &[u8]) -> Result<()> {
        if self.0.insert(clean(name)) {
            Ok(())
        } else {
            Err(ArchiveError::DuplicatePath {
                name: name.to_vec(),
            })
        }
    }
}
