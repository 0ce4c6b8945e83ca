//! Compression of layer diffs: detection by magic number (1.43's
//! `archive.DetectCompression`), streaming decompressors for the four
//! supported formats, and the gzip writer used for `diff` output.

use super::error::{ArchiveError, Result};
use super::zstd::ZstdReader;
use crate::records::Compression;
use flate2::Compression as GzipLevel;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};

/// Magic prefixes, checked in this order; the first that matches wins.
const MAGIC: [(Compression, &[u8]); 4] = [
    (Compression::Bzip2, &[0x42, 0x5A, 0x68]),
    (Compression::Gzip, &[0x1F, 0x8B, 0x08]),
    (Compression::Xz, &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
    (Compression::Zstd, &[0x28, 0xB5, 0x2F, 0xFD]),
];

/// Returns the compression whose magic number `prefix` starts with;
/// anything else, including an empty prefix, is [`Compression::None`].
pub fn detect(prefix: &[u8]) -> Compression {
    MAGIC
        .iter()
        .find(|(_, magic)| prefix.starts_with(magic))
        .map_or(Compression::None, |(compression, _)| *compression)
}

/// Wraps `reader` in a streaming decompressor for `compression`; `None`
/// returns the reader unchanged. Concatenated gzip members, bzip2 and xz
/// streams and zstd frames are all decoded, as Go's readers do.
pub fn decompressor<'a, R: Read + 'a>(
    compression: Compression,
    reader: R,
) -> Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(reader),
        Compression::Gzip => Box::new(MultiGzDecoder::new(reader)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(reader, true)),
        Compression::Zstd => Box::new(ZstdReader::new(reader).map_err(ArchiveError::Io)?),
    })
}

/// A gzip writer at the default level, as Go's `gzip.NewWriter` used for
/// `diff` output (the compressed bytes differ from Go's; the content does not).
/// Call `finish()` to write the trailer.
pub fn gzip_writer<W: Write>(writer: W) -> GzEncoder<W> {
    GzEncoder::new(writer, GzipLevel::default())
}

/// A gzip writer at the fastest level, as 1.43 compresses tar-split files.
pub fn gzip_writer_fast<W: Write>(writer: W) -> GzEncoder<W> {
    GzEncoder::new(writer, GzipLevel::fast())
}
