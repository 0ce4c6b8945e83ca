//! Where the store writes bytes for its caller (a diff, a blob, a data
//! item): any `std::io::Write`, or, in a component, a `wasi:io` output
//! stream, to which the host backend can send a file without copying it
//! through the component. And where it reads a layer diff from: any
//! `std::io::Read`, or, in a component, a `wasi:io` input stream it owns,
//! which the host backend can hand to the host to decode.

use crate::error::{Result, StoreError};
use std::io::{Read, Write};

/// A layer diff as the caller supplies it.
pub struct Input<'a> {
    source: Source<'a>,
}

enum Source<'a> {
    #[cfg(target_arch = "wasm32")]
    Stream(super::wasi_streams::StreamReader<wasip2::io::streams::InputStream>),
    Reader(&'a mut dyn Read),
}

impl<'a> Input<'a> {
    /// Input from a reader.
    pub fn reader(reader: &'a mut dyn Read) -> Self {
        Input {
            source: Source::Reader(reader),
        }
    }

    /// Input from a `wasi:io` stream the component owns.
    #[cfg(target_arch = "wasm32")]
    pub fn stream(stream: wasip2::io::streams::InputStream) -> Self {
        Input {
            source: Source::Stream(super::wasi_streams::StreamReader::new(stream)),
        }
    }

    /// The `wasi:io` stream behind this input and the bytes already taken
    /// from it but not read yet (they come first); the input itself when
    /// it is not a stream.
    #[cfg(target_arch = "wasm32")]
    #[cfg_attr(feature = "wasi-only", allow(dead_code))]
    pub fn into_stream(self) -> Result<(wasip2::io::streams::InputStream, Vec<u8>), Self> {
        match self.source {
            Source::Stream(reader) => Ok(reader.into_parts()),
            source @ Source::Reader(_) => Err(Input { source }),
        }
    }
}

/// Reads the caller's bytes; every error is tagged as an [`InputFailure`].
impl Read for Input<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.source {
            #[cfg(target_arch = "wasm32")]
            Source::Stream(reader) => reader.read(out),
            Source::Reader(reader) => reader.read(out),
        }
        .map_err(|err| std::io::Error::new(err.kind(), InputFailure(err.to_string())))
    }
}

/// Marks an error of reading the caller's input (its stream failed), as
/// opposed to bad data in it.
#[derive(Debug)]
pub struct InputFailure(pub String);

impl std::fmt::Display for InputFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputFailure {}

impl InputFailure {
    /// Whether `error` is (or carries) an error of reading the caller's input.
    pub fn is_cause_of(error: &std::io::Error) -> bool {
        error
            .get_ref()
            .is_some_and(|inner| inner.is::<InputFailure>())
    }
}

/// A destination for the store's output.
pub struct Output<'a> {
    target: Target<'a>,
}

enum Target<'a> {
    #[cfg(target_arch = "wasm32")]
    Stream(&'a wasip2::io::streams::OutputStream),
    Writer(&'a mut dyn Write),
}

impl<'a> Output<'a> {
    /// Output to a writer.
    pub fn writer(writer: &'a mut dyn Write) -> Self {
        Output {
            target: Target::Writer(writer),
        }
    }

    /// Output to a `wasi:io` stream.
    #[cfg(target_arch = "wasm32")]
    pub fn stream(stream: &'a wasip2::io::streams::OutputStream) -> Self {
        Output {
            target: Target::Stream(stream),
        }
    }

    /// The `wasi:io` stream behind this output, if it is one.
    #[cfg(target_arch = "wasm32")]
    #[cfg_attr(feature = "wasi-only", allow(dead_code))]
    pub(super) fn wasi_stream(&self) -> Option<&wasip2::io::streams::OutputStream> {
        match &self.target {
            Target::Stream(stream) => Some(stream),
            Target::Writer(_) => None,
        }
    }

    /// Hands on everything written so far (waits until a stream took it).
    pub fn finish(&mut self) -> Result<()> {
        self.flush()
            .map_err(|err| StoreError::io(format!("flushing output: {err}")))
    }
}

impl Write for Output<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match &mut self.target {
            #[cfg(target_arch = "wasm32")]
            Target::Stream(stream) => {
                super::wasi_streams::write_all(stream, bytes)
                    .map_err(|err| std::io::Error::other(err.message))?;
                Ok(bytes.len())
            }
            Target::Writer(writer) => writer.write(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            #[cfg(target_arch = "wasm32")]
            Target::Stream(stream) => {
                super::wasi_streams::flush(stream).map_err(|err| std::io::Error::other(err.message))
            }
            Target::Writer(writer) => writer.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that fails every read.
    struct Broken;

    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "the pipe broke",
            ))
        }
    }

    #[test]
    fn input_errors_are_marked_as_the_callers() {
        let mut broken = Broken;
        let err = Input::reader(&mut broken).read(&mut [0; 8]).unwrap_err();
        assert!(InputFailure::is_cause_of(&err));
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
        assert_eq!(err.to_string(), "the pipe broke");
        let plain = std::io::Error::other("bad data");
        assert!(!InputFailure::is_cause_of(&plain));
    }

    #[test]
    fn input_passes_bytes_through() {
        let mut bytes = &b"layer"[..];
        let mut out = Vec::new();
        Input::reader(&mut bytes).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"layer");
    }
}
