//! `wasi:io` streams over ordinary Rust readers and writers, so layer diffs
//! flow between an embedder and the component without being held in memory.
//!
//! The store runs synchronously (blocking calls are allowed on its thread),
//! so these streams are always "ready" and simply block in `read`/`write`.
//! The other way, [`InputStreamReader`] reads a stream the component handed
//! back to the host (a layer diff the host decodes).

use bytes::Bytes;
use std::io::{Read, Write};
use wasmtime_wasi::p2::{
    DynInputStream, InputStream, OutputStream, Pollable, StreamError, StreamResult,
};

/// Largest chunk handed to the component per read.
pub const READ_CHUNK: usize = 256 * 1024;
/// How many bytes the component may write before the host flushes.
pub const WRITE_BUDGET: usize = 1 << 20;

/// An input stream reading from a blocking reader.
pub struct ReaderStream {
    reader: Box<dyn Read + Send>,
    finished: bool,
    /// Read buffer, reused so each read costs no fresh zeroed allocation.
    buffer: Vec<u8>,
}

impl ReaderStream {
    /// Wraps `reader`.
    pub fn new(reader: impl Read + Send + 'static) -> Self {
        ReaderStream {
            reader: Box::new(reader),
            finished: false,
            buffer: Vec::new(),
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ReaderStream {
    async fn ready(&mut self) {}
}

impl InputStream for ReaderStream {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if self.finished {
            return Err(StreamError::Closed);
        }
        let wanted = size.min(READ_CHUNK);
        if self.buffer.len() < wanted {
            self.buffer.resize(wanted, 0);
        }
        loop {
            match self.reader.read(&mut self.buffer[..wanted]) {
                Ok(0) if wanted > 0 => {
                    self.finished = true;
                    return Err(StreamError::Closed);
                }
                Ok(count) => return Ok(Bytes::copy_from_slice(&self.buffer[..count])),
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(StreamError::LastOperationFailed(err.into())),
            }
        }
    }
}

/// A blocking reader over any `wasi:io` input stream (one that answers
/// with empty reads until it is ready is waited for).
pub struct InputStreamReader {
    stream: DynInputStream,
    closed: bool,
}

impl InputStreamReader {
    /// Reads `stream`.
    pub fn new(stream: DynInputStream) -> Self {
        InputStreamReader {
            stream,
            closed: false,
        }
    }
}

impl Read for InputStreamReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.closed || out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.stream.read(out.len()) {
                Ok(bytes) if bytes.is_empty() => {
                    wasmtime_wasi::runtime::in_tokio(self.stream.ready());
                }
                Ok(bytes) => {
                    let count = bytes.len().min(out.len());
                    out[..count].copy_from_slice(&bytes[..count]);
                    return Ok(count);
                }
                Err(StreamError::Closed) => {
                    self.closed = true;
                    return Ok(0);
                }
                Err(StreamError::LastOperationFailed(err) | StreamError::Trap(err)) => {
                    return Err(std::io::Error::other(format!("{err:?}")));
                }
            }
        }
    }
}

/// An output stream writing to a blocking writer.
pub struct WriterStream {
    writer: Box<dyn Write + Send>,
}

impl WriterStream {
    /// Wraps `writer`.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        WriterStream {
            writer: Box::new(writer),
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for WriterStream {
    async fn ready(&mut self) {}
}

impl OutputStream for WriterStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.writer
            .write_all(&bytes)
            .map_err(|err| StreamError::LastOperationFailed(err.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.writer
            .flush()
            .map_err(|err| StreamError::LastOperationFailed(err.into()))
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_stream_yields_chunks_then_closes() {
        let mut stream = ReaderStream::new(std::io::Cursor::new(vec![7u8; READ_CHUNK + 10]));
        assert_eq!(stream.read(usize::MAX).unwrap().len(), READ_CHUNK);
        assert_eq!(stream.read(100).unwrap().as_ref(), &[7u8; 10][..]);
        assert!(matches!(stream.read(100), Err(StreamError::Closed)));
        assert!(matches!(stream.read(100), Err(StreamError::Closed)));
    }

    /// A stream that is not ready `pauses` times before each chunk, then
    /// closes or fails.
    struct Hesitant {
        chunks: Vec<&'static [u8]>,
        pauses: usize,
        paused: usize,
        fail_at_end: bool,
    }

    #[wasmtime_wasi::async_trait]
    impl Pollable for Hesitant {
        async fn ready(&mut self) {}
    }

    impl InputStream for Hesitant {
        fn read(&mut self, size: usize) -> StreamResult<Bytes> {
            if self.paused < self.pauses {
                self.paused += 1;
                return Ok(Bytes::new());
            }
            self.paused = 0;
            if self.chunks.is_empty() {
                return Err(if self.fail_at_end {
                    StreamError::LastOperationFailed(wasmtime::format_err!("the pipe broke"))
                } else {
                    StreamError::Closed
                });
            }
            let chunk = self.chunks.remove(0);
            let count = chunk.len().min(size);
            if count < chunk.len() {
                self.chunks.insert(0, &chunk[count..]);
            }
            Ok(Bytes::from_static(&chunk[..count]))
        }
    }

    #[test]
    fn input_stream_reader_waits_for_a_stream_that_is_not_ready() {
        let stream = Hesitant {
            chunks: vec![b"abc", b"defgh"],
            pauses: 3,
            paused: 0,
            fail_at_end: false,
        };
        let mut reader = InputStreamReader::new(Box::new(stream));
        let mut small = [0u8; 4];
        assert_eq!(reader.read(&mut small).unwrap(), 3);
        let mut out = small[..3].to_vec();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdefgh");
        assert_eq!(reader.read(&mut small).unwrap(), 0, "stays closed");
    }

    #[test]
    fn input_stream_reader_reports_a_failing_stream() {
        let stream = Hesitant {
            chunks: vec![b"abc"],
            pauses: 0,
            paused: 0,
            fail_at_end: true,
        };
        let mut reader = InputStreamReader::new(Box::new(stream));
        let mut out = Vec::new();
        let err = reader.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, b"abc");
        assert!(err.to_string().contains("the pipe broke"), "{err}");
    }

    #[test]
    fn writer_stream_passes_bytes_through() {
        let shared = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Sink {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut stream = WriterStream::new(Sink(shared.clone()));
        stream.write(Bytes::from_static(b"abc")).unwrap();
        stream.flush().unwrap();
        assert_eq!(*shared.lock().unwrap(), b"abc");
    }
}
