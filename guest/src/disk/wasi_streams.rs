//! `std::io` adapters over `wasi:io` streams (component builds only): how
//! the component glue hands the caller's streams to the store. Errors say
//! what failed, not which side; callers add "reading input" and the like.

use crate::error::{Result, StoreError};
use std::borrow::Borrow;
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

/// Largest chunk requested from an input stream at once.
pub const STREAM_CHUNK: u64 = 256 * 1024;

/// The next chunk of `stream`; `None` at its end.
pub fn read_chunk(stream: &InputStream) -> Result<Option<Vec<u8>>> {
    loop {
        match stream.blocking_read(STREAM_CHUNK) {
            Ok(chunk) if chunk.is_empty() => continue,
            Ok(chunk) => return Ok(Some(chunk)),
            Err(StreamError::Closed) => return Ok(None),
            Err(StreamError::LastOperationFailed(err)) => {
                return Err(StoreError::io(err.to_debug_string()));
            }
        }
    }
}

/// Writes all of `bytes` to `stream`, respecting its write budget.
pub fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<()> {
    let failed = |err: StreamError| match err {
        StreamError::Closed => StoreError::io("the stream was closed"),
        StreamError::LastOperationFailed(err) => StoreError::io(err.to_debug_string()),
    };
    while !bytes.is_empty() {
        let budget = stream.check_write().map_err(failed)?;
        if budget == 0 {
            stream.subscribe().block();
            continue;
        }
        let count = bytes.len().min(budget as usize);
        stream.write(&bytes[..count]).map_err(failed)?;
        bytes = &bytes[count..];
    }
    Ok(())
}

/// Flushes `stream`, waiting until the data has been handed on.
pub fn flush(stream: &OutputStream) -> Result<()> {
    stream
        .blocking_flush()
        .map_err(|_| StoreError::io("the stream failed"))
}

/// `std::io::Read` over a `wasi:io` input stream, borrowed or owned (`S`).
pub struct StreamReader<S: Borrow<InputStream>> {
    stream: S,
    buffer: Vec<u8>,
    offset: usize,
}

impl<S: Borrow<InputStream>> StreamReader<S> {
    /// Reads `stream`.
    pub fn new(stream: S) -> Self {
        StreamReader {
            stream,
            buffer: Vec::new(),
            offset: 0,
        }
    }

    /// The stream, and the bytes already taken from it that were not read
    /// yet (they come before the stream's next bytes).
    pub fn into_parts(mut self) -> (S, Vec<u8>) {
        self.buffer.drain(..self.offset);
        (self.stream, self.buffer)
    }
}

impl<S: Borrow<InputStream>> std::io::Read for StreamReader<S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.offset == self.buffer.len() {
            match read_chunk(self.stream.borrow())
                .map_err(|err| std::io::Error::other(err.message))?
            {
                Some(chunk) => {
                    self.buffer = chunk;
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
        let count = out.len().min(self.buffer.len() - self.offset);
        out[..count].copy_from_slice(&self.buffer[self.offset..self.offset + count]);
        self.offset += count;
        Ok(count)
    }
}
