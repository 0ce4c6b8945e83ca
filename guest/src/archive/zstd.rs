//! A zstd decompressor over every frame of a stream, and the compressor
//! `diff` uses for layers applied from zstd (1.43 compresses with
//! klauspost/compress; the bytes differ, the content does not).
//!
//! The decompressor: `ruzstd`'s own streaming decoder stops after one
//! frame; zstd files may hold several (`zstd` concatenates them, and
//! skippable frames carry metadata), and Go's decoder reads them all.

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use ruzstd::encoding::{CompressionLevel, FrameCompressor, MatchGeneratorDriver};
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};

/// Decodes all zstd frames of `R` in sequence, skipping skippable frames
/// and verifying each frame's content checksum when it has one.
pub struct ZstdReader<R: Read> {
    source: BufReader<R>,
    decoder: FrameDecoder,
    /// Whether `decoder` holds a frame that is not fully read yet.
    in_frame: bool,
}

impl<R: Read> ZstdReader<R> {
    /// Starts decoding `source`, reading the first frame's header now so
    /// that a stream that is not zstd fails at once.
    pub fn new(source: R) -> io::Result<Self> {
        let mut reader = ZstdReader {
            source: BufReader::new(source),
            decoder: FrameDecoder::new(),
            in_frame: false,
        };
        if !reader.start_frame()? {
            return Err(invalid_data("empty zstd stream"));
        }
        Ok(reader)
    }

    /// Reads the next frame header, skipping skippable frames; `false` at
    /// the end of the input.
    fn start_frame(&mut self) -> io::Result<bool> {
        loop {
            if self.source.fill_buf()?.is_empty() {
                return Ok(false);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => {
                    self.in_frame = true;
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped != u64::from(length) {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(error) => return Err(decode_error(error)),
            }
        }
    }

    /// Verifies the finished frame's checksum, if it carries one.
    fn finish_frame(&mut self) -> io::Result<()> {
        self.in_frame = false;
        match (
            self.decoder.get_checksum_from_data(),
            self.decoder.get_calculated_checksum(),
        ) {
            (Some(stored), Some(computed)) if stored != computed => {
                Err(invalid_data("zstd frame checksum mismatch"))
            }
            _ => Ok(()),
        }
    }
}

impl<R: Read> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_frame && !self.start_frame()? {
                return Ok(0);
            }
            while self.decoder.can_collect() == 0 && !self.decoder.is_finished() {
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(decode_error)?;
            }
            let n = self.decoder.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            self.finish_frame()?;
        }
    }
}

/// A decoder failure as an I/O error; a frame cut short is an early EOF.
fn decode_error(error: FrameDecoderError) -> io::Error {
    let mut cause = std::error::Error::source(&error);
    let mut truncated = false;
    while let Some(inner) = cause {
        truncated |= inner
            .downcast_ref::<io::Error>()
            .is_some_and(|io_error| io_error.kind() == io::ErrorKind::UnexpectedEof);
        cause = inner.source();
    }
    if truncated {
        io::Error::new(io::ErrorKind::UnexpectedEof, error.to_string())
    } else {
        invalid_data(error)
    }
}

fn invalid_data(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// Uncompressed bytes per zstd frame. `ruzstd`'s compressor pulls its
/// input from a reader and panics on I/O errors, so the writer gathers
/// this much in memory, compresses it into a buffer (no I/O can fail
/// there) and writes the frame itself. A stream of frames is a valid zstd
/// stream (`zstd -d`, Go's decoder and [`ZstdReader`] read them all); the
/// encoder's window is 128 KiB, so splitting at 1 MiB costs almost nothing.
const FRAME_INPUT_SIZE: usize = 1 << 20;

/// A streaming zstd compressor (the "fastest" level, about zstd's level 1)
/// producing one frame, with a content checksum, per [`FRAME_INPUT_SIZE`]
/// bytes of input. Call [`ZstdWriter::finish`] to write the last frame.
pub struct ZstdWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
    compressor: FrameCompressor<Cursor<Vec<u8>>, Vec<u8>, MatchGeneratorDriver>,
    /// Whether at least one frame was written (an empty input still
    /// produces one empty frame, as Go's encoder does).
    wrote_frame: bool,
}

impl<W: Write> ZstdWriter<W> {
    /// A compressor writing frames to `inner`.
    pub fn new(inner: W) -> Self {
        ZstdWriter {
            inner,
            pending: Vec::with_capacity(FRAME_INPUT_SIZE),
            compressor: FrameCompressor::new(CompressionLevel::Fastest),
            wrote_frame: false,
        }
    }

    /// Compresses the pending input as one frame and writes it.
    fn write_frame(&mut self) -> io::Result<()> {
        let input = std::mem::take(&mut self.pending);
        self.compressor.set_source(Cursor::new(input));
        self.compressor.set_drain(Vec::new());
        self.compressor.compress();
        let frame = self.compressor.set_drain(Vec::new()).unwrap_or_default();
        if let Some(source) = self.compressor.set_source(Cursor::new(Vec::new())) {
            self.pending = source.into_inner();
            self.pending.clear();
        }
        self.wrote_frame = true;
        self.inner.write_all(&frame)
    }

    /// Writes the last frame and returns the inner writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        if !self.pending.is_empty() || !self.wrote_frame {
            self.write_frame()?;
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for ZstdWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(FRAME_INPUT_SIZE - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        if self.pending.len() == FRAME_INPUT_SIZE {
            self.write_frame()?;
        }
        Ok(n)
    }

    /// Flushes the inner writer only: a frame is written once full (or by
    /// [`ZstdWriter::finish`]), so that frames stay large.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
