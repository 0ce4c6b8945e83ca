//! GNU sparse members as Go's `archive/tar` reader (the copy tar-split
//! vendors) reads them: the old GNU `S` type (map in the header and its
//! extension blocks), and the PAX formats 0.0, 0.1 (map in PAX records)
//! and 1.0 (map at the start of the member's data). The reader hands out
//! the expanded (logical) content: holes read as zeros. No I/O here.

use super::header::{BLOCK_SIZE, Block, HeaderIssue, parse_numeric};
use super::pax::{PaxRecords, parse_decimal};

/// PAX record keys of the GNU sparse formats.
pub mod key {
    /// Format version, major (`1` for 1.0).
    pub const MAJOR: &[u8] = b"GNU.sparse.major";
    /// Format version, minor.
    pub const MINOR: &[u8] = b"GNU.sparse.minor";
    /// Number of map entries (0.0, 0.1).
    pub const NUM_BLOCKS: &[u8] = b"GNU.sparse.numblocks";
    /// One map entry's offset (0.0; the PAX parser folds these into `MAP`).
    pub const OFFSET: &[u8] = b"GNU.sparse.offset";
    /// One map entry's length (0.0; the PAX parser folds these into `MAP`).
    pub const NUM_BYTES: &[u8] = b"GNU.sparse.numbytes";
    /// The map as `offset,length,…` (0.1).
    pub const MAP: &[u8] = b"GNU.sparse.map";
    /// The member's real name (1.0, 0.1).
    pub const NAME: &[u8] = b"GNU.sparse.name";
    /// The logical size (0.0, 0.1).
    pub const SIZE: &[u8] = b"GNU.sparse.size";
    /// The logical size (1.0).
    pub const REAL_SIZE: &[u8] = b"GNU.sparse.realsize";
}

/// One data fragment of a sparse file: `length` bytes at `offset`; the
/// rest of the file is holes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Logical offset of the fragment.
    pub offset: i64,
    /// Length of the fragment.
    pub length: i64,
}

/// Where a PAX sparse member keeps its map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaxSparse {
    /// 0.0 and 0.1: in the PAX records.
    InRecords,
    /// 1.0: at the start of the member's data.
    InData,
}

/// Go's `readGNUSparsePAXHeaders` version check: which PAX sparse format
/// the records describe, if any (an unknown version is not sparse).
pub fn pax_format(records: &PaxRecords) -> Option<PaxSparse> {
    let get = |key: &[u8]| records.get(key).map(Vec::as_slice);
    match (get(key::MAJOR), get(key::MINOR)) {
        (Some(b"0"), Some(b"0" | b"1")) => Some(PaxSparse::InRecords),
        (Some(b"1"), Some(b"0")) => Some(PaxSparse::InData),
        (major, minor)
            if major.is_some_and(|v| !v.is_empty()) || minor.is_some_and(|v| !v.is_empty()) =>
        {
            None
        }
        _ if get(key::MAP).is_some_and(|map| !map.is_empty()) => Some(PaxSparse::InRecords),
        _ => None,
    }
}

/// The logical size from `GNU.sparse.size` or `GNU.sparse.realsize`,
/// `None` when neither is set.
pub fn pax_size(records: &PaxRecords) -> Result<Option<i64>, HeaderIssue> {
    let size = records
        .get(key::SIZE)
        .filter(|value| !value.is_empty())
        .or_else(|| {
            records
                .get(key::REAL_SIZE)
                .filter(|value| !value.is_empty())
        });
    size.map(|value| parse_decimal(value).ok_or("malformed GNU sparse size"))
        .transpose()
}

/// Go's `readGNUSparseMap0x1`: the map of formats 0.0 and 0.1.
pub fn map_from_records(records: &PaxRecords) -> Result<Vec<Fragment>, HeaderIssue> {
    const BAD: HeaderIssue = "malformed GNU sparse map";
    let count = records
        .get(key::NUM_BLOCKS)
        .and_then(|value| parse_decimal(value))
        .filter(|&n| n >= 0 && n.checked_mul(2).is_some())
        .ok_or(BAD)?;
    let map = records.get(key::MAP).map(Vec::as_slice).unwrap_or_default();
    let numbers: Vec<&[u8]> = if map.is_empty() {
        Vec::new()
    } else {
        map.split(|&b| b == b',').collect()
    };
    if numbers.len() as u64 != 2 * count as u64 {
        return Err(BAD);
    }
    numbers
        .chunks(2)
        .map(|pair| {
            Ok(Fragment {
                offset: parse_decimal(pair[0]).ok_or(BAD)?,
                length: parse_decimal(pair[1]).ok_or(BAD)?,
            })
        })
        .collect()
}

/// Go's `readGNUSparseMap1x0`, over the blocks read so far from the
/// start of the member's data, which hold `lines` newlines: `Ok(None)`
/// while more blocks are needed, else the map (the blocks that hold it
/// are the map's whole extent).
pub fn map_from_data(blocks: &[u8], lines: u64) -> Result<Option<Vec<Fragment>>, HeaderIssue> {
    const BAD: HeaderIssue = "malformed GNU sparse map";
    if lines < 1 {
        return Ok(None);
    }
    let mut tokens = blocks.split(|&b| b == b'\n');
    let count = tokens
        .next()
        .and_then(parse_decimal)
        .filter(|&n| n >= 0 && n.checked_mul(2).is_some())
        .ok_or(BAD)? as u64;
    if lines < 1 + 2 * count {
        return Ok(None);
    }
    let mut map = Vec::with_capacity(count.min(1 << 16) as usize);
    for _ in 0..count {
        let mut number = || tokens.next().and_then(parse_decimal).ok_or(BAD);
        let offset = number()?;
        let length = number()?;
        map.push(Fragment { offset, length });
    }
    Ok(Some(map))
}

/// Offsets within an old GNU header of its sparse array: 4 entries, the
/// "is extended" flag, and the real size.
const GNU_SPARSE_ARRAY: usize = 386;
const GNU_SPARSE_ENTRIES: usize = 4;
const GNU_REAL_SIZE: (usize, usize) = (483, 12);
/// Entries per extension block (the flag follows them, at 504).
const EXTENSION_ENTRIES: usize = 21;
/// One entry: offset and length, 12 bytes each.
const ENTRY_SIZE: usize = 24;

/// The real (logical) size of an old GNU sparse header.
pub fn gnu_real_size(block: &Block) -> Result<i64, HeaderIssue> {
    parse_numeric(&block[GNU_REAL_SIZE.0..GNU_REAL_SIZE.0 + GNU_REAL_SIZE.1])
}

/// Appends the entries of one sparse array (in the header, or a whole
/// extension block) to `map`; returns whether an extension block follows.
fn read_array(array: &[u8], entries: usize, map: &mut Vec<Fragment>) -> Result<bool, HeaderIssue> {
    for i in 0..entries {
        let entry = &array[i * ENTRY_SIZE..(i + 1) * ENTRY_SIZE];
        // As GNU and BSD tar: an entry whose offset starts with NUL ends the array.
        if entry[0] == 0 {
            break;
        }
        map.push(Fragment {
            offset: parse_numeric(&entry[..12])?,
            length: parse_numeric(&entry[12..])?,
        });
    }
    Ok(array[entries * ENTRY_SIZE] > 0)
}

/// The map entries in an old GNU sparse header; `true` if extension
/// blocks follow.
pub fn gnu_header_map(block: &Block, map: &mut Vec<Fragment>) -> Result<bool, HeaderIssue> {
    read_array(&block[GNU_SPARSE_ARRAY..], GNU_SPARSE_ENTRIES, map)
}

/// The map entries in an old GNU sparse extension block; `true` if
/// another follows.
pub fn gnu_extension_map(block: &Block, map: &mut Vec<Fragment>) -> Result<bool, HeaderIssue> {
    debug_assert_eq!(block.len(), BLOCK_SIZE);
    read_array(block, EXTENSION_ENTRIES, map)
}

/// Go's `validateSparseEntries`: sizes non-negative, fragments in order,
/// not overlapping, within `size`.
pub fn validate(map: &[Fragment], size: i64) -> bool {
    if size < 0 {
        return false;
    }
    let mut previous_end = 0i64;
    for fragment in map {
        let Some(end) = fragment.offset.checked_add(fragment.length) else {
            return false;
        };
        if fragment.offset < 0
            || fragment.length < 0
            || end > size
            || previous_end > fragment.offset
        {
            return false;
        }
        previous_end = end;
    }
    true
}

/// Reading state of a sparse member's content.
#[derive(Debug)]
pub struct Expansion {
    /// The non-empty data fragments, in order (validated).
    fragments: Vec<(u64, u64)>,
    /// Index of the first fragment not read completely.
    next: usize,
    /// Logical position.
    position: u64,
    /// Logical size.
    size: u64,
    /// Data bytes still to come from the stream.
    physical: u64,
}

/// What the next read of a sparse member's content is.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// `n` bytes of data to read from the stream.
    Data(usize),
    /// `n` zero bytes of a hole.
    Hole(usize),
    /// The end of the content.
    End,
}

/// Go's `errMissData`.
pub const MISSING_DATA: &str = "archive/tar: sparse file references non-existent data";
/// Go's `errUnrefData`.
pub const UNREFERENCED_DATA: &str = "archive/tar: sparse file contains unreferenced data";

impl Expansion {
    /// The content of a member with a validated `map` and logical `size`,
    /// whose stream holds `physical` data bytes.
    pub fn new(map: &[Fragment], size: i64, physical: u64) -> Self {
        Expansion {
            fragments: map
                .iter()
                .filter(|f| f.length > 0)
                .map(|f| (f.offset as u64, f.length as u64))
                .collect(),
            next: 0,
            position: 0,
            size: size as u64,
            physical,
        }
    }

    /// Stored data bytes not read yet (all of them before the first read).
    pub fn stored(&self) -> u64 {
        self.physical
    }

    /// What the next read of at most `wanted` bytes is; an error when the
    /// map and the stream's data disagree (Go's `errMissData`, `errUnrefData`).
    pub fn step(&self, wanted: usize) -> Result<Step, &'static str> {
        if self.position == self.size {
            return if self.physical > 0 {
                Err(UNREFERENCED_DATA)
            } else {
                Ok(Step::End)
            };
        }
        let cap = |n: u64| n.min(wanted as u64) as usize;
        match self.fragments.get(self.next) {
            Some(&(offset, length)) if self.position >= offset => {
                if self.physical == 0 {
                    return Err(MISSING_DATA);
                }
                Ok(Step::Data(cap(
                    (offset + length - self.position).min(self.physical)
                )))
            }
            Some(&(offset, _)) => Ok(Step::Hole(cap(offset - self.position))),
            None => Ok(Step::Hole(cap(self.size - self.position))),
        }
    }

    /// Records that `n` bytes were read (`from_stream`: data, else a hole).
    pub fn advance(&mut self, n: usize, from_stream: bool) {
        self.position += n as u64;
        if from_stream {
            self.physical -= n as u64;
        }
        while let Some(&(offset, length)) = self.fragments.get(self.next) {
            if offset + length > self.position {
                break;
            }
            self.next += 1;
        }
    }
}
