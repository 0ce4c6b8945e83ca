//! Host side of the `decoding` interface: gzip and zstd layer diffs decoded
//! natively on a thread of their own, while the component extracts what
//! was already decoded (the component has one thread; the host has the
//! second core and native code).
//!
//! The thread reads the source (the bytes the component already took from
//! it, then the rest of its stream), digests and counts it as supplied,
//! decodes it with the component's own decoders compiled natively
//! ([`graphstore_guest::archive::decompressor`]: the same concatenated
//! members and frames, the same error messages) and hands decoded chunks
//! over a bounded channel, so memory stays bounded whatever the diff's
//! size. A dropped [`Decoder`] closes the channel: the thread stops at its
//! next chunk, dropping the source.

use crate::bindings::graphstore::store::decoding::{
    DecodeError, Format, Host, HostDecoder, Supplied,
};
use crate::streams::InputStreamReader;
use graphstore_guest::archive::{DigestingReader, decompressor};
use graphstore_guest::disk::{Input, InputFailure};
use graphstore_guest::records::Compression;
use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::p2::DynInputStream;

/// Bytes of decoded data per chunk handed over (and the most one `read`
/// returns).
pub const CHUNK: usize = 256 * 1024;
/// Decoded chunks that may wait for the component: the thread runs at
/// most this far ahead of the extraction.
const QUEUED_CHUNKS: usize = 4;
/// Name of the decoding threads.
const THREAD_NAME: &str = "graphstore-decode";

/// What the decoding thread sends.
enum Message {
    /// The next decoded bytes (never empty).
    Chunk(Vec<u8>),
    /// The decoded data ended and the source was read to its end.
    End(Supplied),
    /// Decoding or reading the source failed; nothing follows.
    Failed(DecodeError),
}

/// One running decode (the `decoder` resource).
pub struct Decoder {
    chunks: Receiver<Message>,
    /// The chunk being handed out, from `offset` on.
    pending: Vec<u8>,
    offset: usize,
    /// How the decode ended, once the thread said so.
    outcome: Option<Result<Supplied, DecodeError>>,
}

impl Decoder {
    /// Starts decoding `already_read` followed by `source` as `format` on a
    /// new thread. Fails as the component's own decoder would when the
    /// start of the data is not such a stream (zstd reads its first frame
    /// header at once).
    pub fn start(
        source: impl Read + Send + 'static,
        already_read: Vec<u8>,
        format: Format,
    ) -> Result<Decoder, DecodeError> {
        let compression = match format {
            Format::Gzip => Compression::Gzip,
            Format::Zstd => Compression::Zstd,
        };
        let supplied = io::Cursor::new(already_read).chain(source);
        let (started, start_outcome) = channel();
        let (sender, chunks) = sync_channel(QUEUED_CHUNKS);
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || decode(supplied, compression, &started, &sender))
            .map_err(|err| DecodeError::Source(format!("starting the decoding thread: {err}")))?;
        start_outcome.recv().map_err(|_| stopped())??;
        Ok(Decoder {
            chunks,
            pending: Vec::new(),
            offset: 0,
            outcome: None,
        })
    }

    /// The next decoded bytes, at most `len` (and at most [`CHUNK`]); empty
    /// at the end. Blocks until the thread has decoded them.
    pub fn read(&mut self, len: u64) -> Result<Vec<u8>, DecodeError> {
        let len = usize::try_from(len).unwrap_or(usize::MAX).min(CHUNK);
        while self.offset == self.pending.len() {
            if let Some(outcome) = &self.outcome {
                return outcome.as_ref().map(|_| Vec::new()).map_err(Clone::clone);
            }
            self.receive();
        }
        if self.offset == 0 && len >= self.pending.len() {
            return Ok(std::mem::take(&mut self.pending));
        }
        let end = self.pending.len().min(self.offset + len);
        let out = self.pending[self.offset..end].to_vec();
        self.offset = end;
        Ok(out)
    }

    /// Decodes (and drops) whatever is left, then returns the digest and
    /// length of the source.
    pub fn finish(&mut self) -> Result<Supplied, DecodeError> {
        loop {
            if let Some(outcome) = &self.outcome {
                self.pending = Vec::new();
                self.offset = 0;
                return outcome.clone();
            }
            self.receive();
        }
    }

    /// Waits for the thread's next message.
    fn receive(&mut self) {
        match self.chunks.recv() {
            Ok(Message::Chunk(chunk)) => {
                self.pending = chunk;
                self.offset = 0;
            }
            Ok(Message::End(supplied)) => self.outcome = Some(Ok(supplied)),
            Ok(Message::Failed(err)) => self.outcome = Some(Err(err)),
            Err(_) => self.outcome = Some(Err(stopped())),
        }
    }
}

/// The error when the thread went away without a word (it panicked).
fn stopped() -> DecodeError {
    DecodeError::Invalid("the decoding thread stopped".into())
}

/// The decoder's error as the component's decoder would have met it.
fn classify(err: &io::Error) -> DecodeError {
    if InputFailure::is_cause_of(err) {
        DecodeError::Source(err.to_string())
    } else if err.kind() == io::ErrorKind::UnexpectedEof {
        DecodeError::Truncated(err.to_string())
    } else {
        DecodeError::Invalid(err.to_string())
    }
}

/// The decoding thread: reports the start, then sends chunks until the
/// end, a failure, or the receiver is gone.
fn decode<R: Read>(
    mut supplied: R,
    compression: Compression,
    started: &std::sync::mpsc::Sender<Result<(), DecodeError>>,
    chunks: &SyncSender<Message>,
) {
    // The source as supplied, digested and counted as it is read; its read
    // errors tagged as the caller's (`InputFailure`), as in the component.
    let mut source = DigestingReader::new(Input::reader(&mut supplied));
    let mut decoded = match decompressor(compression, &mut source) {
        Ok(decoded) => decoded,
        Err(err) => {
            let err = match err {
                graphstore_guest::archive::ArchiveError::Io(io) => classify(&io),
                other => DecodeError::Invalid(other.to_string()),
            };
            let _ = started.send(Err(err));
            return;
        }
    };
    if started.send(Ok(())).is_err() {
        return;
    }
    loop {
        let mut chunk = vec![0; CHUNK];
        let (count, failure) = fill(&mut decoded, &mut chunk);
        chunk.truncate(count);
        // The bytes decoded before a failure go first, as a reader in the
        // component would have returned them before the error.
        if !chunk.is_empty() && chunks.send(Message::Chunk(chunk)).is_err() {
            return;
        }
        if let Some(err) = failure {
            let _ = chunks.send(Message::Failed(classify(&err)));
            return;
        }
        if count == 0 {
            break;
        }
    }
    drop(decoded);
    let _ = chunks.send(match source.finish() {
        Ok(digest) => Message::End(Supplied {
            sha256: digest.sha256.to_vec(),
            size: digest.size,
        }),
        Err(err) => Message::Failed(classify(&err)),
    });
}

/// Reads until `buf` is full, the input ends or a read fails; how much was
/// read, and the failure.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return (filled, Some(err)),
        }
    }
    (filled, None)
}

/// What the `decoding` interface reaches of a tenant's state: its resource
/// table (the component's streams and the running decoders).
pub struct DecodingView<'a> {
    pub(crate) table: &'a mut ResourceTable,
}

/// Marks the `decoding` interface for `add_to_linker`.
pub struct Decoding;

impl HasData for Decoding {
    type Data<'a> = DecodingView<'a>;
}

impl Host for DecodingView<'_> {}

impl HostDecoder for DecodingView<'_> {
    fn open(
        &mut self,
        source: Resource<DynInputStream>,
        already_read: Vec<u8>,
        format: Format,
    ) -> wasmtime::Result<Result<Resource<Decoder>, DecodeError>> {
        let stream = self.table.delete(source)?;
        Ok(
            match Decoder::start(InputStreamReader::new(stream), already_read, format) {
                Ok(decoder) => Ok(self.table.push(decoder)?),
                Err(err) => Err(err),
            },
        )
    }

    fn read(
        &mut self,
        handle: Resource<Decoder>,
        len: u64,
    ) -> wasmtime::Result<Result<Vec<u8>, DecodeError>> {
        Ok(self.table.get_mut(&handle)?.read(len))
    }

    fn finish(
        &mut self,
        handle: Resource<Decoder>,
    ) -> wasmtime::Result<Result<Supplied, DecodeError>> {
        Ok(self.table.get_mut(&handle)?.finish())
    }

    fn drop(&mut self, handle: Resource<Decoder>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graphstore_guest::archive::{ZstdWriter, gzip_writer};
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    /// Bytes that compress somewhat (not all equal, not random).
    fn content(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 11) as u8)
            .collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut writer = gzip_writer(Vec::new());
        writer.write_all(data).unwrap();
        writer.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        let mut writer = ZstdWriter::new(Vec::new());
        writer.write_all(data).unwrap();
        writer.finish().unwrap()
    }

    fn sha256(data: &[u8]) -> Vec<u8> {
        <sha2::Sha256 as sha2::Digest>::digest(data).to_vec()
    }

    /// Decodes `compressed`, of which the first `split` bytes are handed
    /// over as already read; the decoded bytes, `read` asking `len` at a time.
    fn decode_all(
        compressed: &[u8],
        split: usize,
        format: Format,
        len: u64,
    ) -> Result<(Vec<u8>, Supplied), DecodeError> {
        let rest = io::Cursor::new(compressed[split..].to_vec());
        let mut decoder = Decoder::start(rest, compressed[..split].to_vec(), format)?;
        let mut out = Vec::new();
        loop {
            let chunk = decoder.read(len)?;
            if chunk.is_empty() {
                break;
            }
            assert!(chunk.len() as u64 <= len.min(CHUNK as u64));
            out.extend_from_slice(&chunk);
        }
        Ok((out, decoder.finish()?))
    }

    #[test]
    fn concatenated_gzip_members_decode_to_all_their_data() {
        let (first, second) = (content(700_000, 1), content(300_000, 2));
        let compressed = [gzip(&first), gzip(&second)].concat();
        for (split, len) in [(0, u64::MAX), (10, 4096), (compressed.len(), 100_000)] {
            let (decoded, supplied) = decode_all(&compressed, split, Format::Gzip, len).unwrap();
            assert_eq!(
                decoded,
                [first.as_slice(), &second].concat(),
                "split {split}"
            );
            assert_eq!(supplied.sha256, sha256(&compressed));
            assert_eq!(supplied.size, compressed.len() as u64);
        }
    }

    #[test]
    fn zstd_frames_and_skippable_frames_decode_to_all_their_data() {
        let (first, second) = (content(500_000, 3), content(50_000, 4));
        let skippable = [
            &0x184D_2A50u32.to_le_bytes()[..],
            &3u32.to_le_bytes(),
            b"abc",
        ]
        .concat();
        let compressed = [zstd(&first), skippable, zstd(&second)].concat();
        let (decoded, supplied) = decode_all(&compressed, 10, Format::Zstd, 65536).unwrap();
        assert_eq!(decoded, [first.as_slice(), &second].concat());
        assert_eq!(supplied.sha256, sha256(&compressed));
        assert_eq!(supplied.size, compressed.len() as u64);
    }

    #[test]
    fn damaged_data_fails_with_the_component_decoders_words() {
        let compressed = gzip(&content(200_000, 5));
        let cut = &compressed[..compressed.len() / 2];
        assert_eq!(
            decode_all(cut, 10, Format::Gzip, u64::MAX).unwrap_err(),
            DecodeError::Truncated("incomplete deflate stream".into())
        );
        let mut bad_crc = compressed.clone();
        let crc_at = bad_crc.len() - 8;
        bad_crc[crc_at] ^= 0xff;
        assert!(matches!(
            decode_all(&bad_crc, 10, Format::Gzip, u64::MAX).unwrap_err(),
            DecodeError::Invalid(message) if message.contains("checksum")
        ));
        let with_garbage = [compressed.as_slice(), b"garbage!garbage!"].concat();
        assert!(matches!(
            decode_all(&with_garbage, 10, Format::Gzip, u64::MAX).unwrap_err(),
            DecodeError::Invalid(_)
        ));
        let zstd_cut = zstd(&content(300_000, 6));
        assert!(matches!(
            decode_all(&zstd_cut[..zstd_cut.len() / 2], 10, Format::Zstd, u64::MAX).unwrap_err(),
            DecodeError::Truncated(_)
        ));
    }

    #[test]
    fn a_bad_zstd_header_fails_at_the_start() {
        let err = Decoder::start(io::empty(), b"not zstd at all".to_vec(), Format::Zstd)
            .err()
            .expect("refused");
        assert!(matches!(err, DecodeError::Invalid(_)), "{err:?}");
    }

    /// A source that fails after `good` bytes.
    struct FailingSource {
        good: io::Cursor<Vec<u8>>,
    }

    impl Read for FailingSource {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.good.read(out)? {
                0 => Err(io::Error::other("the pipe broke")),
                count => Ok(count),
            }
        }
    }

    #[test]
    fn a_failing_source_is_reported_as_such() {
        let compressed = gzip(&content(2_000_000, 7));
        let source = FailingSource {
            good: io::Cursor::new(compressed[100..compressed.len() / 2].to_vec()),
        };
        let mut decoder = Decoder::start(source, compressed[..100].to_vec(), Format::Gzip).unwrap();
        let err = loop {
            match decoder.read(u64::MAX) {
                Ok(chunk) => assert!(!chunk.is_empty(), "ended without the error"),
                Err(err) => break err,
            }
        };
        assert_eq!(err, DecodeError::Source("the pipe broke".into()));
        assert_eq!(decoder.finish().unwrap_err(), err);
    }

    #[test]
    fn finish_before_the_end_decodes_the_rest() {
        let compressed = zstd(&content(3_000_000, 8));
        let mut decoder = Decoder::start(
            io::Cursor::new(compressed.clone()),
            Vec::new(),
            Format::Zstd,
        )
        .unwrap();
        assert_eq!(decoder.read(10).unwrap().len(), 10);
        let supplied = decoder.finish().unwrap();
        assert_eq!(supplied.sha256, sha256(&compressed));
        assert_eq!(decoder.read(10).unwrap(), Vec::<u8>::new());
    }

    /// A source of endless gzip members that says when it is dropped.
    struct EndlessSource {
        member: Vec<u8>,
        offset: usize,
        dropped: Arc<AtomicBool>,
    }

    impl Read for EndlessSource {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let count = out.len().min(self.member.len() - self.offset);
            out[..count].copy_from_slice(&self.member[self.offset..self.offset + count]);
            self.offset = (self.offset + count) % self.member.len();
            Ok(count)
        }
    }

    impl Drop for EndlessSource {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_decoder_stops_its_thread() {
        let dropped = Arc::new(AtomicBool::new(false));
        let source = EndlessSource {
            member: gzip(&vec![0; 4 << 20]),
            offset: 0,
            dropped: Arc::clone(&dropped),
        };
        let mut decoder = Decoder::start(source, Vec::new(), Format::Gzip).unwrap();
        assert_eq!(decoder.read(u64::MAX).unwrap().len(), CHUNK);
        drop(decoder);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "the decoding thread kept running"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
