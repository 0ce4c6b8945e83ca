//! How a layer diff's bytes become its tar stream, and the digest of the
//! diff as supplied. One place decides who decodes: the host (gzip and
//! zstd arriving as a `wasi:io` stream the component owns, in the
//! component with host imports: natively, on another core, overlapped with
//! extraction) or the component (everything else: bzip2 and xz, readers
//! such as the chunked forms' spools, the portable and native builds).

use crate::archive::{DigestingReader, SniffingReader, StreamDigest, decompressor};
use crate::disk::Input;
use crate::error::Result;
use crate::records::Compression;
use std::io::{self, Read};

/// A diff on its way to the tar reader.
pub(super) enum Decoding<'a> {
    /// Not compressed: the input is the tar stream (whose digest the
    /// disassembler computes).
    Plain(SniffingReader<Input<'a>>),
    /// Decoded in the component, the input digested as it is read.
    InComponent {
        /// The compression the input is decoded from.
        format: Compression,
        /// The input (the sniffed bytes first).
        input: DigestingReader<Box<dyn Read + 'a>>,
    },
    /// Decoded by the host, which digests the input.
    #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
    OnHost(crate::platform::HostDecoder),
}

impl<'a> Decoding<'a> {
    /// Chooses how `sniffed`, whose stream is compressed with `format`
    /// (its decoder's choice, from the first bytes), is decoded.
    pub(super) fn choose(sniffed: SniffingReader<Input<'a>>, format: Compression) -> Result<Self> {
        if format == Compression::None {
            return Ok(Decoding::Plain(sniffed));
        }
        let (sniffed_bytes, input) = sniffed.into_parts();
        #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
        let input = if crate::platform::HostDecoder::decodes(format) {
            match input.into_stream() {
                Ok((stream, buffered)) => {
                    let already_read = [sniffed_bytes.as_slice(), &buffered].concat();
                    return crate::platform::HostDecoder::open(stream, &already_read, format)
                        .map(Decoding::OnHost)
                        .map_err(crate::error::StoreError::from_read_error);
                }
                Err(input) => input,
            }
        } else {
            input
        };
        Ok(Decoding::InComponent {
            format,
            input: DigestingReader::new(Box::new(io::Cursor::new(sniffed_bytes).chain(input))),
        })
    }

    /// The decoded stream: the tar diff.
    pub(super) fn decoded(&mut self) -> Result<Box<dyn Read + '_>> {
        Ok(match self {
            Decoding::Plain(sniffed) => Box::new(sniffed),
            Decoding::InComponent { format, input } => decompressor(*format, input)?,
            #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
            Decoding::OnHost(decoder) => Box::new(decoder),
        })
    }

    /// After the decoded stream ended: the digest and length of the diff
    /// as supplied (the rest of the input read to its end). `expanded` is
    /// the tar stream's, which a plain diff's is.
    pub(super) fn finish(self, expanded: StreamDigest) -> io::Result<StreamDigest> {
        match self {
            Decoding::Plain(_) => Ok(expanded),
            Decoding::InComponent { input, .. } => input.finish(),
            #[cfg(all(target_arch = "wasm32", not(feature = "wasi-only")))]
            Decoding::OnHost(decoder) => decoder.finish(),
        }
    }
}
