//! Running sha256 and byte count of a stream, for a layer's
//! `diff-digest`/`diff-size` and `compressed-diff-digest`/`compressed-size`.

use crate::platform::Sha256Hasher;
use std::io::{self, Read};

/// The sha256 and length of everything read through a [`DigestingReader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamDigest {
    /// The raw sha256 of the bytes.
    pub sha256: [u8; 32],
    /// How many bytes there were.
    pub size: u64,
}

impl StreamDigest {
    /// The digest as containers/storage stores it: `sha256:<hex>`.
    pub fn digest_string(&self) -> String {
        format!("sha256:{}", hex::encode(self.sha256))
    }
}

/// Passes reads through while hashing and counting the bytes.
pub struct DigestingReader<R> {
    inner: R,
    hasher: Sha256Hasher,
    size: u64,
}

impl<R: Read> DigestingReader<R> {
    /// Starts hashing what is read from `inner`.
    pub fn new(inner: R) -> Self {
        DigestingReader {
            inner,
            hasher: Sha256Hasher::new(),
            size: 0,
        }
    }

    /// Bytes read so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of everything read so far.
    pub fn digest(&mut self) -> StreamDigest {
        StreamDigest {
            sha256: self.hasher.digest(),
            size: self.size,
        }
    }

    /// Reads the rest of the input to EOF (counting it) and returns the
    /// digest of the whole stream.
    pub fn finish(mut self) -> io::Result<StreamDigest> {
        io::copy(&mut self, &mut io::sink())?;
        Ok(self.digest())
    }
}

impl<R: Read> Read for DigestingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}
