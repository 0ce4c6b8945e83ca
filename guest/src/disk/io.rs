//! Where the store writes bytes for its caller (a diff, a blob, a data
//! item): any `std::io::Write`, or, in a component, a `wasi:io` output
//! stream, to which the host backend can send a file without copying it
//! through the component.

use crate::error::{Result, StoreError};
use std::io::Write;

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
