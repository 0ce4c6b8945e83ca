//! tar-split metadata (`<layer>.tar-split.gz`): entries, their JSON
//! encoding exactly as Go's `json.Encoder` writes `storage.Entry` (one
//! object per line, fields `type`, `name`, `name_raw`, `size`, `payload`,
//! `position`, with `omitempty` on `name`, `name_raw` and `size`), and
//! readers and writers over plain and gzip-compressed streams.

use super::compression::gzip_writer_fast;
use super::error::{ArchiveError, Result};
use super::path::SeenNames;
use crate::format::go_json;
use base64::engine::general_purpose::STANDARD;
use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Deserializer, Serialize};
use std::io::{BufReader, Read, Write};

/// Whether an entry stands for a member's content or for raw tar bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// `1`: a member; its content is not stored, only a CRC-64 of it.
    File,
    /// `2`: raw bytes of the stream (headers, padding, trailer).
    Segment,
}

impl EntryKind {
    /// tar-split's numeric code.
    pub fn code(self) -> i64 {
        match self {
            EntryKind::File => 1,
            EntryKind::Segment => 2,
        }
    }

    /// The kind for a numeric code, if it is one tar-split defines.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(EntryKind::File),
            2 => Some(EntryKind::Segment),
            _ => None,
        }
    }
}

/// One tar-split entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File or segment.
    pub kind: EntryKind,
    /// File entries: the member name as raw bytes (stored as `name` when
    /// valid UTF-8, else as base64 `name_raw`). Empty for segments.
    pub name: Vec<u8>,
    /// File entries: the member's size field.
    pub size: i64,
    /// Segments: the raw bytes. Files: the 8-byte CRC-64 of the content,
    /// or `None` (`null`) when the size is 0.
    pub payload: Option<Vec<u8>>,
    /// Running index of the entry in its file, from 0.
    pub position: i64,
}

impl Entry {
    /// A segment of raw stream bytes.
    pub fn segment(payload: Vec<u8>, position: i64) -> Self {
        Entry {
            kind: EntryKind::Segment,
            name: Vec::new(),
            size: 0,
            payload: Some(payload),
            position,
        }
    }

    /// A file entry; `checksum` is `None` for empty content.
    pub fn file(name: Vec<u8>, size: i64, checksum: Option<[u8; 8]>, position: i64) -> Self {
        Entry {
            kind: EntryKind::File,
            name,
            size,
            payload: checksum.map(Vec::from),
            position,
        }
    }

    /// The entry as one JSON line (with its trailing `\n`), byte for byte
    /// as Go writes it.
    pub fn to_json_line(&self) -> Vec<u8> {
        let mut line = go_json::to_vec(&WireEntry::from(self));
        line.push(b'\n');
        line
    }
}

/// The JSON shape of an entry, field order and omission rules as Go's.
#[derive(Serialize, Deserialize)]
struct WireEntry {
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    kind: i64,
    #[serde(
        default,
        skip_serializing_if = "String::is_empty",
        deserialize_with = "null_as_default"
    )]
    name: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_bytes"
    )]
    name_raw: Option<Vec<u8>>,
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "null_as_default"
    )]
    size: i64,
    #[serde(default, with = "base64_bytes")]
    payload: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "null_as_default")]
    position: i64,
}

impl From<&Entry> for WireEntry {
    fn from(entry: &Entry) -> Self {
        let (name, name_raw) = match std::str::from_utf8(&entry.name) {
            Ok(name) => (name.to_owned(), None),
            Err(_) => (String::new(), Some(entry.name.clone())),
        };
        WireEntry {
            kind: entry.kind.code(),
            name,
            name_raw,
            size: entry.size,
            payload: entry.payload.clone(),
            position: entry.position,
        }
    }
}

impl TryFrom<WireEntry> for Entry {
    type Error = ArchiveError;

    fn try_from(wire: WireEntry) -> Result<Self> {
        let kind = EntryKind::from_code(wire.kind).ok_or_else(|| {
            ArchiveError::InvalidEntry(format!("unknown entry type {}", wire.kind))
        })?;
        // Go's `GetName`: a non-empty `name_raw` wins over `name`.
        let name = match wire.name_raw {
            Some(raw) if !raw.is_empty() => raw,
            _ => wire.name.into_bytes(),
        };
        Ok(Entry {
            kind,
            name,
            size: wire.size,
            payload: wire.payload,
            position: wire.position,
        })
    }
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// Go's decoder leaves a field at its zero value when it reads `null`.
fn null_as_default<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `[]byte` as Go's JSON encodes it: padded standard base64, `null` for nil.
mod base64_bytes {
    use super::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(
        value: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => serializer.serialize_str(&STANDARD.encode(bytes)),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| STANDARD.decode(text).map_err(D::Error::custom))
            .transpose()
    }
}

/// Somewhere tar-split entries go as they are produced.
pub trait EntrySink {
    /// Accepts the next entry (positions are already assigned).
    fn add_entry(&mut self, entry: Entry) -> Result<()>;
}

impl EntrySink for Vec<Entry> {
    fn add_entry(&mut self, entry: Entry) -> Result<()> {
        self.push(entry);
        Ok(())
    }
}

impl<S: EntrySink + ?Sized> EntrySink for &mut S {
    fn add_entry(&mut self, entry: Entry) -> Result<()> {
        (**self).add_entry(entry)
    }
}

/// Writes entries as JSON lines to `W` (wrap `W` in a gzip writer for a
/// `.tar-split.gz` file, see [`TarSplitWriter::gzip`]).
pub struct TarSplitWriter<W: Write> {
    out: W,
}

impl<W: Write> TarSplitWriter<W> {
    /// Writes plain JSON lines to `out`.
    pub fn new(out: W) -> Self {
        TarSplitWriter { out }
    }

    /// Writes one entry as a JSON line.
    pub fn write_entry(&mut self, entry: &Entry) -> Result<()> {
        self.out.write_all(&entry.to_json_line())?;
        Ok(())
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> TarSplitWriter<flate2::write::GzEncoder<W>> {
    /// Writes gzip-compressed JSON lines to `out`, at the fastest level as 1.43 does.
    pub fn gzip(out: W) -> Self {
        TarSplitWriter::new(gzip_writer_fast(out))
    }

    /// Ends the gzip stream and returns `out`.
    pub fn finish(self) -> Result<W> {
        Ok(self.out.finish()?)
    }
}

impl<W: Write> EntrySink for TarSplitWriter<W> {
    fn add_entry(&mut self, entry: Entry) -> Result<()> {
        self.write_entry(&entry)
    }
}

/// Reads entries from a stream of JSON values (whitespace-separated, as
/// Go's `json.Decoder` accepts them), rejecting a file entry whose cleaned
/// name repeats an earlier one as tar-split's unpacker does.
pub struct TarSplitReader<R: Read> {
    values:
        serde_json::StreamDeserializer<'static, serde_json::de::IoRead<BufReader<R>>, WireEntry>,
    seen: SeenNames,
    failed: bool,
}

impl<R: Read> TarSplitReader<R> {
    /// Reads plain (already decompressed) JSON from `input`.
    pub fn new(input: R) -> Self {
        TarSplitReader {
            values: serde_json::Deserializer::from_reader(BufReader::new(input)).into_iter(),
            seen: SeenNames::default(),
            failed: false,
        }
    }

    fn next_entry(&mut self) -> Option<Result<Entry>> {
        let wire = match self.values.next()? {
            Ok(wire) => wire,
            Err(error) if error.is_io() => return Some(Err(ArchiveError::Io(error.into()))),
            Err(error) => return Some(Err(ArchiveError::InvalidEntry(error.to_string()))),
        };
        let entry = Entry::try_from(wire).and_then(|entry| {
            if entry.kind == EntryKind::File {
                self.seen.insert(&entry.name)?;
            }
            Ok(entry)
        });
        Some(entry)
    }
}

impl<R: Read> TarSplitReader<MultiGzDecoder<R>> {
    /// Reads a gzip-compressed tar-split file (`.tar-split.gz`).
    pub fn gzip(input: R) -> Self {
        TarSplitReader::new(MultiGzDecoder::new(input))
    }
}

impl<R: Read> Iterator for TarSplitReader<R> {
    type Item = Result<Entry>;

    /// The next entry; after an error the iterator ends.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_entry();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// Encodes `entries` as a complete `.tar-split.gz` file.
pub fn encode_gz(entries: &[Entry]) -> Result<Vec<u8>> {
    let mut writer = TarSplitWriter::gzip(Vec::new());
    for entry in entries {
        writer.write_entry(entry)?;
    }
    writer.finish()
}

/// Decodes a complete `.tar-split.gz` file.
pub fn decode_gz(bytes: &[u8]) -> Result<Vec<Entry>> {
    TarSplitReader::gzip(bytes).collect()
}

/// Encodes `entries` as plain JSON lines.
pub fn encode(entries: &[Entry]) -> Vec<u8> {
    entries.iter().flat_map(Entry::to_json_line).collect()
}
