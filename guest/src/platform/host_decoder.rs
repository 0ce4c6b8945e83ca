//! A compressed layer diff decoded by the host (the `decoding` import):
//! natively, on a thread of its own, while the component extracts what
//! was already decoded. Only the component with host imports has it.

use crate::archive::StreamDigest;
use crate::bindings::graphstore::store::decoding::{DecodeError, Decoder, Format};
use crate::disk::InputFailure;
use crate::records::Compression;
use std::io::{self, Read};
use wasip2::io::streams::InputStream;

/// Most decoded bytes asked of the host at once.
const READ_CHUNK: u64 = 256 * 1024;

/// The decoded diff, read from the host chunk by chunk.
pub struct HostDecoder {
    decoder: Decoder,
    buffer: Vec<u8>,
    offset: usize,
}

impl HostDecoder {
    /// Whether the host decodes `compression`.
    pub fn decodes(compression: Compression) -> bool {
        format_of(compression).is_some()
    }

    /// Hands `stream` to the host, which decodes `already_read` followed
    /// by the rest of the stream as `compression` (one [`Self::decodes`]).
    /// Fails as the component's own decoder would on data that cannot
    /// start such a stream.
    pub fn open(
        stream: InputStream,
        already_read: &[u8],
        compression: Compression,
    ) -> io::Result<Self> {
        let format = format_of(compression).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "the host does not decode this compression",
            )
        })?;
        let decoder = Decoder::open(stream, already_read, format).map_err(into_io)?;
        Ok(HostDecoder {
            decoder,
            buffer: Vec::new(),
            offset: 0,
        })
    }

    /// After the decoded data ended: the digest and length of the diff as
    /// supplied (the host reads the rest of the stream).
    pub fn finish(self) -> io::Result<StreamDigest> {
        let supplied = self.decoder.finish().map_err(into_io)?;
        let sha256 = <[u8; 32]>::try_from(supplied.sha256.as_slice())
            .map_err(|_| io::Error::other("the host's digest of the diff is not 32 bytes"))?;
        Ok(StreamDigest {
            sha256,
            size: supplied.size,
        })
    }
}

impl Read for HostDecoder {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.offset == self.buffer.len() {
            self.buffer = self.decoder.read(READ_CHUNK).map_err(into_io)?;
            self.offset = 0;
        }
        let count = out.len().min(self.buffer.len() - self.offset);
        out[..count].copy_from_slice(&self.buffer[self.offset..self.offset + count]);
        self.offset += count;
        Ok(count)
    }
}

/// The host's format for `compression`, if it decodes it.
fn format_of(compression: Compression) -> Option<Format> {
    match compression {
        Compression::Gzip => Some(Format::Gzip),
        Compression::Zstd => Some(Format::Zstd),
        Compression::None | Compression::Bzip2 | Compression::Xz => None,
    }
}

/// The host's error as the component's own decoder would have raised it:
/// an early end, bad data, or a failure of the caller's stream.
fn into_io(error: DecodeError) -> io::Error {
    match error {
        DecodeError::Truncated(message) => io::Error::new(io::ErrorKind::UnexpectedEof, message),
        DecodeError::Invalid(message) => io::Error::new(io::ErrorKind::InvalidData, message),
        DecodeError::Source(message) => io::Error::other(InputFailure(message)),
    }
}
