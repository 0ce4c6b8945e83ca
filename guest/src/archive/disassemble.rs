//! Streaming disassembly of a (decompressed) tar stream into tar-split
//! entries, as tar-split's `asm.NewInputTarStream` does while 1.43 applies
//! a diff, with the running totals 1.43 records for the layer.
//!
//! The caller walks the members with [`Disassembler::next_member`] and may
//! read each member's content through the disassembler's [`Read`] impl
//! (to extract it); whatever it leaves unread is consumed for the CRC.
//! Only one member's header data is ever buffered.
//!
//! GNU sparse members (old GNU `S`, PAX 0.0, 0.1 and 1.0) read expanded,
//! holes as zeros, as Go's reader returns them. Their stored data (and a
//! 1.0 map) are recorded as segments and their file entry is empty, so the
//! tar-split rebuilds the stored bytes, with tar-split's Go assembler too;
//! 1.43's own tar-split records the expanded content in their place, and
//! its `diff` of such a layer is not the tar it imported.

use super::checksum::Crc64;
use super::digest::{DigestingReader, StreamDigest};
use super::error::{ArchiveError, Result};
use super::header::{
    BLOCK_SIZE, Block, BlockFormat, HeaderIssue, MAX_EXTENSION_SIZE, block_padding, is_header_only,
    is_zero_block, parse_block, parse_string, typeflag,
};
use super::member::Member;
use super::path::{SeenNames, is_whiteout};
use super::pax::{PaxRecords, parse_records};
use super::sparse::{self, Expansion, Fragment, PaxSparse, Step};
use super::tar_split::{Entry, EntrySink};
use std::collections::BTreeSet;
use std::io::{self, Read};

/// Largest segment holding the bytes that follow the end-of-archive marker.
pub const SEGMENT_CHUNK_SIZE: usize = 1 << 20;

/// Buffer for consuming content the caller did not read.
const DRAIN_BUFFER_SIZE: usize = 32 * 1024;

/// What a finished disassembly produced besides the entries.
#[derive(Debug)]
pub struct Disassembly<S> {
    /// The entry sink, holding or having written every entry.
    pub sink: S,
    /// sha256 and length of the whole decompressed stream up to EOF
    /// (`diff-digest` and `diff-size`).
    pub diff: StreamDigest,
    /// Owner IDs of all members except whiteouts, ascending (`uidset`).
    pub uids: Vec<u32>,
    /// Group IDs of all members except whiteouts, ascending (`gidset`).
    pub gids: Vec<u32>,
}

/// The member whose content is being read.
struct Current {
    name: Vec<u8>,
    size: i64,
    remaining: u64,
    crc: Crc64,
    /// A GNU sparse member: how its stored data expands.
    sparse: Option<Expansion>,
}

/// A member as read from its headers: the member, the expansion of a
/// sparse member, and the length of its data section in the stream (a
/// sparse member's map included), which the padding follows.
type ReadMember = (Member, Option<Expansion>, u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Members,
    Done,
    Failed,
}

/// Disassembles a tar stream read from `R`, sending entries to `S`.
pub struct Disassembler<R: Read, S: EntrySink> {
    input: DigestingReader<R>,
    sink: S,
    next_position: i64,
    /// Raw bytes consumed since the last entry (headers, padding).
    raw: Vec<u8>,
    /// Padding still to be read after the last content or extension.
    pad: u64,
    current: Option<Current>,
    names: SeenNames,
    uids: BTreeSet<u32>,
    gids: BTreeSet<u32>,
    state: State,
    /// Bytes that sparse members' holes add to the content so far.
    hole_bytes: u64,
}

impl<R: Read, S: EntrySink> Disassembler<R, S> {
    /// Starts disassembling `input` (an uncompressed tar stream).
    pub fn new(input: R, sink: S) -> Self {
        Disassembler {
            input: DigestingReader::new(input),
            sink,
            next_position: 0,
            raw: Vec::with_capacity(BLOCK_SIZE),
            pad: 0,
            current: None,
            names: SeenNames::default(),
            uids: BTreeSet::new(),
            gids: BTreeSet::new(),
            state: State::Members,
            hole_bytes: 0,
        }
    }

    /// Advances to the next member, finishing the current one (its unread
    /// content is consumed). `None` once the archive has ended; by then the
    /// rest of the stream has been read to EOF and recorded.
    pub fn next_member(&mut self) -> Result<Option<Member>> {
        match self.state {
            State::Done => return Ok(None),
            State::Failed => return Err(ArchiveError::Poisoned),
            State::Members => {}
        }
        let result = self.advance();
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// How many bytes of the (uncompressed) input were read so far.
    pub fn consumed(&self) -> u64 {
        self.input.size()
    }

    /// How many bytes the holes of the sparse members met so far add to
    /// their content (logical size minus stored data): what extraction
    /// writes beyond [`Self::consumed`].
    pub fn hole_bytes(&self) -> u64 {
        self.hole_bytes
    }

    /// Reads to the end of the stream and returns the totals and the sink.
    pub fn finish(mut self) -> Result<Disassembly<S>> {
        while self.next_member()?.is_some() {}
        Ok(Disassembly {
            sink: self.sink,
            diff: self.input.digest(),
            uids: self.uids.into_iter().collect(),
            gids: self.gids.into_iter().collect(),
        })
    }

    fn advance(&mut self) -> Result<Option<Member>> {
        self.finish_current()?;
        let Some((member, sparse, stored)) = self.read_member()? else {
            self.finish_stream()?;
            self.state = State::Done;
            return Ok(None);
        };
        self.names.insert(&member.path)?;
        if !is_whiteout(&member.path) {
            // 1.43 keeps the low 32 bits of the header's (Go int) IDs.
            self.uids.insert(member.uid as u32);
            self.gids.insert(member.gid as u32);
        }
        let segment = std::mem::take(&mut self.raw);
        if !segment.is_empty() {
            self.emit(Entry::segment(segment, 0))?;
        }
        let remaining = member.content_len();
        // Added, not set: a global header's own padding is still pending.
        self.pad += block_padding(stored);
        if let Some(expansion) = &sparse {
            // Its stored data go into segments as read (the file on disk
            // is the expanded content, which would not rebuild the tar);
            // an empty file entry keeps the member's name in the list.
            let holes = remaining - expansion.stored();
            self.emit(Entry::file(member.path.clone(), 0, None, 0))?;
            self.hole_bytes = self.hole_bytes.saturating_add(holes);
        }
        self.current = Some(Current {
            name: member.path.clone(),
            size: member.size,
            remaining,
            crc: Crc64::new(),
            sparse,
        });
        Ok(Some(member))
    }

    /// Consumes the rest of the current member's content and records its
    /// file entry.
    fn finish_current(&mut self) -> Result<()> {
        let mut buf = [0; DRAIN_BUFFER_SIZE];
        loop {
            match self.read_content(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ArchiveError::from_read(error)),
            }
        }
        if let Some(current) = self.current.take().filter(|c| c.sparse.is_none()) {
            let checksum = (current.size > 0).then(|| current.crc.finish());
            self.emit(Entry::file(current.name, current.size, checksum, 0))?;
        }
        Ok(())
    }

    /// Reads headers up to the next real member, applying PAX and GNU
    /// extension headers (Go's `Reader.next`). `None` at the end of the archive.
    fn read_member(&mut self) -> Result<Option<ReadMember>> {
        let mut pax: Option<PaxRecords> = None;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        loop {
            if !self.read_padding()? {
                return Ok(None);
            }
            let offset = self.input.size();
            let Some(block) = self.read_header_block()? else {
                return Ok(None);
            };
            let invalid = |reason| ArchiveError::InvalidHeader { offset, reason };
            let header = parse_block(&block).map_err(invalid)?;
            let format = header.format;
            let mut member = Member::from_block(header);
            check_size(&member).map_err(invalid)?;
            match member.typeflag {
                typeflag::PAX | typeflag::PAX_GLOBAL => {
                    let records =
                        parse_records(&self.read_extension(member.size)?).map_err(invalid)?;
                    if member.typeflag == typeflag::PAX {
                        pax = Some(records);
                        continue;
                    }
                    // Go ignores merge errors in a global header.
                    let _ = member.merge_pax(records);
                    // Its content was read above (its padding is pending).
                    return Ok(Some((Member::global_header(member), None, 0)));
                }
                typeflag::GNU_LONG_NAME | typeflag::GNU_LONG_LINK => {
                    let data = self.read_extension(member.size)?;
                    let value = parse_string(&data).to_vec();
                    if member.typeflag == typeflag::GNU_LONG_NAME {
                        long_name = Some(value);
                    } else {
                        long_link = Some(value);
                    }
                    continue;
                }
                _ => {}
            }
            if let Some(records) = pax.take() {
                member.merge_pax(records).map_err(invalid)?;
            }
            if let Some(name) = long_name.take().filter(|name| !name.is_empty()) {
                member.path = name;
            }
            if let Some(link) = long_link.take().filter(|link| !link.is_empty()) {
                member.link_target = link;
            }
            member.resolve_old_regular();
            check_size(&member).map_err(invalid)?;
            let stored = member.content_len();
            let sparse = self.read_sparse_map(&mut member, &block, format, stored, offset)?;
            return Ok(Some((member, sparse, stored)));
        }
    }

    /// Go's `handleSparseFile`: for an old GNU sparse member or one whose
    /// PAX records describe a GNU sparse file, reads the map (from the
    /// header and its extension blocks, the records, or the start of the
    /// data), renames and resizes the member to its real name and logical
    /// size and returns how its `stored` data bytes (the map of format 1.0
    /// first) expand.
    fn read_sparse_map(
        &mut self,
        member: &mut Member,
        block: &Block,
        format: BlockFormat,
        stored: u64,
        offset: u64,
    ) -> Result<Option<Expansion>> {
        let invalid = |reason| ArchiveError::InvalidHeader { offset, reason };
        let mut map_bytes = 0;
        let map = if member.typeflag == typeflag::GNU_SPARSE {
            // STAR uses the same flag with another layout.
            if format != BlockFormat::Gnu {
                return Err(invalid("old GNU sparse header not in GNU format"));
            }
            member.size = sparse::gnu_real_size(block).map_err(invalid)?;
            let mut map = Vec::new();
            let mut more = sparse::gnu_header_map(block, &mut map).map_err(invalid)?;
            let mut extension_bytes = 0u64;
            while more {
                extension_bytes += BLOCK_SIZE as u64;
                if extension_bytes > MAX_EXTENSION_SIZE {
                    return Err(too_large(extension_bytes));
                }
                let mut extension = [0; BLOCK_SIZE];
                if self.read_full(&mut extension)? != BLOCK_SIZE {
                    return Err(ArchiveError::Truncated);
                }
                self.raw.extend_from_slice(&extension);
                more = sparse::gnu_extension_map(&extension, &mut map).map_err(invalid)?;
            }
            map
        } else {
            let records = &member.pax_records;
            let Some(kind) = sparse::pax_format(records) else {
                return Ok(None);
            };
            let name = records
                .get(sparse::key::NAME)
                .filter(|n| !n.is_empty())
                .cloned();
            let size = sparse::pax_size(records).map_err(invalid)?;
            let map = match kind {
                PaxSparse::InRecords => sparse::map_from_records(records).map_err(invalid)?,
                PaxSparse::InData => {
                    let (map, bytes) = self.read_data_map(stored, offset)?;
                    map_bytes = bytes;
                    map
                }
            };
            if let Some(name) = name {
                member.path = name;
            }
            if let Some(size) = size {
                member.size = size;
            }
            map
        };
        if is_header_only(member.typeflag) || !sparse::validate(&map, member.size) {
            return Err(invalid("invalid GNU sparse map"));
        }
        // Go finds out while reading the content (`errMissData`,
        // `errUnrefData`) and the import fails then; the map's data must
        // fill the stored data exactly, so checking now fails the same
        // imports before anything of the member is extracted.
        let stored = stored - map_bytes;
        let mapped: u64 = map.iter().map(|fragment| fragment.length as u64).sum();
        if mapped > stored {
            return Err(invalid(sparse::MISSING_DATA));
        }
        if mapped < stored {
            return Err(invalid(sparse::UNREFERENCED_DATA));
        }
        Ok(Some(Expansion::new(&map, member.size, stored)))
    }

    /// Reads the map of GNU sparse format 1.0 from the start of the
    /// member's `stored` data, whole blocks, into `raw`; returns the map
    /// and how many bytes it took.
    fn read_data_map(&mut self, stored: u64, offset: u64) -> Result<(Vec<Fragment>, u64)> {
        let mut blocks = Vec::new();
        let mut lines = 0u64;
        loop {
            if let Some(map) = sparse::map_from_data(&blocks, lines)
                .map_err(|reason| ArchiveError::InvalidHeader { offset, reason })?
            {
                self.raw.extend_from_slice(&blocks);
                return Ok((map, blocks.len() as u64));
            }
            let used = blocks.len() as u64 + BLOCK_SIZE as u64;
            if used > MAX_EXTENSION_SIZE {
                return Err(too_large(used));
            }
            let mut block = [0; BLOCK_SIZE];
            if used > stored || self.read_full(&mut block)? != BLOCK_SIZE {
                return Err(ArchiveError::Truncated);
            }
            lines += block.iter().filter(|&&b| b == b'\n').count() as u64;
            blocks.extend_from_slice(&block);
        }
    }

    /// Reads the pending padding into `raw`. `false` if the stream ended
    /// first, which Go's reader takes as the end of the archive.
    fn read_padding(&mut self) -> Result<bool> {
        let wanted = std::mem::take(&mut self.pad) as usize;
        let mut padding = [0; BLOCK_SIZE];
        let n = self.read_full(&mut padding[..wanted])?;
        self.raw.extend_from_slice(&padding[..n]);
        Ok(n == wanted)
    }

    /// Reads the next header block, or `None` at the end of the archive:
    /// EOF at a block boundary, or two zero blocks (or one, then EOF).
    fn read_header_block(&mut self) -> Result<Option<Block>> {
        let Some(block) = self.read_block()? else {
            return Ok(None);
        };
        if !is_zero_block(&block) {
            return Ok(Some(block));
        }
        let offset = self.input.size();
        match self.read_block()? {
            Some(next) if !is_zero_block(&next) => Err(ArchiveError::InvalidHeader {
                offset,
                reason: "zero block followed by a non-zero block",
            }),
            _ => Ok(None),
        }
    }

    /// Reads one whole block into `raw`; `None` on EOF before its first byte.
    fn read_block(&mut self) -> Result<Option<Block>> {
        let mut block = [0; BLOCK_SIZE];
        match self.read_full(&mut block)? {
            0 => Ok(None),
            BLOCK_SIZE => {
                self.raw.extend_from_slice(&block);
                Ok(Some(block))
            }
            _ => Err(ArchiveError::Truncated),
        }
    }

    /// Reads the content of a PAX or GNU extension header into `raw` and
    /// returns it; its padding is left pending.
    fn read_extension(&mut self, size: i64) -> Result<Vec<u8>> {
        let len = u64::try_from(size).unwrap_or(0);
        if len > MAX_EXTENSION_SIZE {
            return Err(ArchiveError::ExtensionTooLarge {
                size,
                limit: MAX_EXTENSION_SIZE,
            });
        }
        let mut data = vec![0; len as usize];
        if self.read_full(&mut data)? != data.len() {
            return Err(ArchiveError::Truncated);
        }
        self.raw.extend_from_slice(&data);
        self.pad = block_padding(len);
        Ok(data)
    }

    /// Records the end of the archive: the raw bytes since the last entry,
    /// then everything up to EOF in chunks, then an empty segment.
    fn finish_stream(&mut self) -> Result<()> {
        let trailer = std::mem::take(&mut self.raw);
        if !trailer.is_empty() {
            self.emit(Entry::segment(trailer, 0))?;
        }
        loop {
            let mut chunk = Vec::new();
            (&mut self.input)
                .take(SEGMENT_CHUNK_SIZE as u64)
                .read_to_end(&mut chunk)
                .map_err(ArchiveError::from_read)?;
            let full = chunk.len() == SEGMENT_CHUNK_SIZE;
            if !chunk.is_empty() {
                self.emit(Entry::segment(chunk, 0))?;
            }
            if !full {
                break;
            }
        }
        self.emit(Entry::segment(Vec::new(), 0))
    }

    /// Gives `entry` the next position and hands it to the sink.
    fn emit(&mut self, mut entry: Entry) -> Result<()> {
        entry.position = self.next_position;
        self.next_position += 1;
        self.sink.add_entry(entry)
    }

    /// Reads until `buf` is full or EOF; returns how much was read.
    fn read_full(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ArchiveError::from_read(error)),
            }
        }
        Ok(filled)
    }

    /// Reads content of the current member, updating its CRC; 0 at its end.
    fn read_content(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(current) = self.current.as_mut() else {
            return Ok(0);
        };
        if current.sparse.is_some() {
            return self.read_sparse(buf);
        }
        let wanted = buf
            .len()
            .min(usize::try_from(current.remaining).unwrap_or(usize::MAX));
        if wanted == 0 {
            return Ok(0);
        }
        let n = self.input.read(&mut buf[..wanted])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        current.crc.update(&buf[..n]);
        current.remaining -= n as u64;
        Ok(n)
    }
}

impl<R: Read, S: EntrySink> Disassembler<R, S> {
    /// Reads expanded content of the current (sparse) member: zeros for
    /// holes, stored data otherwise, which also goes to the raw bytes
    /// (emitted as segments of at most [`SEGMENT_CHUNK_SIZE`]).
    fn read_sparse(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(sparse) = self.current.as_mut().and_then(|c| c.sparse.as_mut()) else {
            return Ok(0);
        };
        let step = sparse
            .step(buf.len())
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidData, message))?;
        let n = match step {
            Step::End => return Ok(0),
            Step::Hole(n) => {
                buf[..n].fill(0);
                sparse.advance(n, false);
                n
            }
            Step::Data(wanted) => {
                // Segments stay within the chunk size (raw is flushed below).
                let wanted = wanted.min(SEGMENT_CHUNK_SIZE.saturating_sub(self.raw.len()).max(1));
                let n = self.input.read(&mut buf[..wanted])?;
                if n == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                sparse.advance(n, true);
                self.raw.extend_from_slice(&buf[..n]);
                n
            }
        };
        if let Some(current) = self.current.as_mut() {
            current.remaining -= n as u64;
        }
        if self.raw.len() >= SEGMENT_CHUNK_SIZE {
            let chunk = std::mem::take(&mut self.raw);
            self.emit(Entry::segment(chunk, 0))
                .map_err(|error| io::Error::other(error.to_string()))?;
        }
        Ok(n)
    }
}

/// A sparse map bigger than the extension-header limit.
fn too_large(size: u64) -> ArchiveError {
    ArchiveError::ExtensionTooLarge {
        size: size as i64,
        limit: MAX_EXTENSION_SIZE,
    }
}

impl<R: Read, S: EntrySink> Read for Disassembler<R, S> {
    /// Reads the current member's content (nothing for header-only types).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state == State::Failed {
            return Err(io::Error::other(ArchiveError::Poisoned));
        }
        self.read_content(buf)
    }
}

/// Go's `handleRegularFile` check: a negative size is invalid unless the
/// type has no content anyway.
fn check_size(member: &Member) -> std::result::Result<(), HeaderIssue> {
    if member.size < 0 && !is_header_only(member.typeflag) {
        Err("negative size")
    } else {
        Ok(())
    }
}

/// Disassembles all of `input` without extracting anything.
pub fn disassemble<R: Read, S: EntrySink>(input: R, sink: S) -> Result<Disassembly<S>> {
    Disassembler::new(input, sink).finish()
}
