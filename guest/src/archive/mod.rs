//! Layer diffs: compression detection and decompression, tar parsing, and
//! tar-split — disassembling a diff into `<layer>.tar-split.gz` entries
//! while it is applied, and reassembling the original tar byte for byte
//! for `diff`. Everything works over `Read`/`Write` and byte slices; no
//! filesystem access.
//!
//! Applying a diff (1.43's `applyDiffWithOptions`):
//!
//! ```no_run
//! use graphstore_guest::archive::{DigestingReader, Disassembler, MemberKind, SniffingReader, TarSplitWriter};
//! # fn run(input: impl std::io::Read) -> Result<(), graphstore_guest::archive::ArchiveError> {
//! let mut compressed = DigestingReader::new(input);
//! let sniffed = SniffingReader::new(&mut compressed)?;
//! let compression = sniffed.compression();
//! let mut tar = Disassembler::new(sniffed.into_decompressed()?, TarSplitWriter::gzip(Vec::new()));
//! while let Some(member) = tar.next_member()? {
//!     if member.kind() == MemberKind::Regular {
//!         std::io::copy(&mut tar, &mut std::io::sink())?; // extract the content
//!     }
//! }
//! let done = tar.finish()?;
//! let tar_split_gz: Vec<u8> = done.sink.finish()?;
//! let compressed = compressed.finish()?;
//! # let _ = (compression, tar_split_gz, compressed, done.diff, done.uids, done.gids);
//! # Ok(()) }
//! ```

mod assemble;
mod checksum;
mod compression;
mod digest;
mod disassemble;
mod error;
pub mod header;
mod member;
pub mod path;
pub mod pax;
mod sniff;
pub mod sparse;
mod tar_split;
pub mod writer;
mod zstd;

pub use assemble::assemble;
pub use checksum::{CRC64_LEN, Crc64, crc64_iso};
pub use compression::{decompressor, detect, gzip_writer, gzip_writer_fast};
pub use digest::{DigestingReader, StreamDigest};
pub use disassemble::{Disassembler, Disassembly, SEGMENT_CHUNK_SIZE, disassemble};
pub use error::{ArchiveError, Result};
pub use header::BLOCK_SIZE;
pub use member::{Member, MemberKind};
pub use sniff::{SNIFF_SIZE, SniffingReader};
pub use tar_split::{
    Entry, EntryKind, EntrySink, TarSplitReader, TarSplitWriter, decode_gz, encode, encode_gz,
};
pub use zstd::{ZstdReader, ZstdWriter};

#[cfg(test)]
mod tests;
