//! Streaming disassembly of a (decompressed) tar stream into tar-split
//! entries, as tar-split's `asm.NewInputTarStream` does while 1.43 applies
//! a diff, with the running totals 1.43 records for the layer.
//!
//! The caller walks the members with [`Disassembler::next_member`] and may
//! read each member's content through the disassembler's [`Read`] impl
//! (to extract it); whatever it leaves unread is consumed for the CRC.
//! Only one member's header data is ever buffered.

use super::checksum::Crc64;
use super::digest::{DigestingReader, StreamDigest};
use super::error::{ArchiveError, Result};
use super::header::{
    BLOCK_SIZE, Block, HeaderIssue, MAX_EXTENSION_SIZE, block_padding, is_header_only,
    is_zero_block, parse_block, parse_string, typeflag,
};
use super::member::Member;
use super::path::{SeenNames, is_whiteout};
use super::pax::{PaxRecords, parse_records};
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
}

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
        let Some(member) = self.read_member()? else {
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
        self.pad += block_padding(remaining);
        self.current = Some(Current {
            name: member.path.clone(),
            size: member.size,
            remaining,
            crc: Crc64::new(),
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
        if let Some(current) = self.current.take() {
            let checksum = (current.size > 0).then(|| current.crc.finish());
            self.emit(Entry::file(current.name, current.size, checksum, 0))?;
        }
        Ok(())
    }

    /// Reads headers up to the next real member, applying PAX and GNU
    /// extension headers (Go's `Reader.next`). `None` at the end of the archive.
    fn read_member(&mut self) -> Result<Option<Member>> {
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
            let mut member = Member::from_block(parse_block(&block).map_err(invalid)?);
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
                    return Ok(Some(Member::global_header(member)));
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
                typeflag::GNU_SPARSE => return Err(ArchiveError::Unsupported("GNU sparse files")),
                _ => {}
            }
            if let Some(records) = pax.take() {
                if Member::is_pax_sparse(&records) {
                    return Err(ArchiveError::Unsupported("GNU sparse files"));
                }
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
            return Ok(Some(member));
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
