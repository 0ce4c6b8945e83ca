//! Compression sniffing as 1.43's `applyDiffWithOptions` does it: one read
//! of up to [`SNIFF_SIZE`] bytes decides the compression that is recorded;
//! the bytes are then replayed in front of the rest of the stream.

use super::compression::{decompressor, detect};
use super::error::Result;
use crate::records::Compression;
use std::io::{self, Read};

/// How many bytes the single sniffing read asks for.
pub const SNIFF_SIZE: usize = 10240;

/// How many leading bytes the decompressor choice looks at (Go's
/// `DecompressStream` peeks this many, reading further if it must).
const DECOMPRESS_PEEK: usize = 10;

/// A reader that has looked at the start of its input: it reports the
/// compression found there and yields the input unchanged, sniffed bytes first.
pub struct SniffingReader<R> {
    inner: R,
    prefix: Vec<u8>,
    replayed: usize,
    recorded: Compression,
}

impl<R: Read> SniffingReader<R> {
    /// Performs the single read of up to [`SNIFF_SIZE`] bytes (retrying
    /// only on `Interrupted`) and detects the compression in it.
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut prefix = vec![0; SNIFF_SIZE];
        let n = loop {
            match inner.read(&mut prefix) {
                Ok(n) => break n,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        prefix.truncate(n);
        let recorded = detect(&prefix);
        Ok(SniffingReader {
            inner,
            prefix,
            replayed: 0,
            recorded,
        })
    }

    /// The compression 1.43 records for the layer (from the single read).
    pub fn compression(&self) -> Compression {
        self.recorded
    }

    /// The sniffed bytes, for callers that want to inspect them.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The sniffed bytes not read yet (they come first) and the input.
    pub fn into_parts(self) -> (Vec<u8>, R) {
        let SniffingReader {
            inner,
            mut prefix,
            replayed,
            ..
        } = self;
        prefix.drain(..replayed);
        (prefix, inner)
    }

    /// The whole input decompressed. As Go's `DecompressStream`, the choice
    /// of decompressor looks at the first 10 bytes of the stream, reading
    /// more if the single sniffing read returned fewer.
    pub fn into_decompressed<'a>(mut self) -> Result<Box<dyn Read + 'a>>
    where
        R: 'a,
    {
        let compression = self.stream_compression()?;
        decompressor(compression, self)
    }

    /// The compression the stream is decoded with: as [`Self::compression`],
    /// except when the single sniffing read returned fewer than 10 bytes,
    /// where (as Go's `DecompressStream`) more is read to decide.
    pub fn stream_compression(&mut self) -> io::Result<Compression> {
        self.top_up(DECOMPRESS_PEEK)?;
        Ok(detect(&self.prefix))
    }

    /// Reads more of the input into the replay buffer until it holds
    /// `wanted` bytes or the input ends.
    fn top_up(&mut self, wanted: usize) -> io::Result<()> {
        while self.prefix.len() < wanted {
            let start = self.prefix.len();
            self.prefix.resize(wanted, 0);
            let result = self.inner.read(&mut self.prefix[start..]);
            self.prefix.truncate(start + *result.as_ref().unwrap_or(&0));
            match result {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for SniffingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let pending = &self.prefix[self.replayed..];
        if pending.is_empty() {
            return self.inner.read(buf);
        }
        let n = pending.len().min(buf.len());
        buf[..n].copy_from_slice(&pending[..n]);
        self.replayed += n;
        Ok(n)
    }
}
