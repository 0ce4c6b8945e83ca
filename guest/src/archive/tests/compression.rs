//! Compression detection, decompressors on files made by the real CLIs,
//! and the sniffing reader.

use super::fixtures::fixture;
use crate::archive::{
    ArchiveError, SNIFF_SIZE, SniffingReader, ZstdWriter, decompressor, detect, gzip_writer,
};
use crate::records::Compression;
use std::io::{self, Read, Write};

const GNU_B1_TAR: &[u8] = fixture!("gnu-b1.tar");

/// Every compressed copy of `gnu-b1.tar`, made by the real CLIs.
fn compressed_fixtures() -> [(Compression, &'static [u8]); 4] {
    [
        (Compression::Gzip, fixture!("gnu-b1.tar.gz")),
        (Compression::Bzip2, fixture!("gnu-b1.tar.bz2")),
        (Compression::Xz, fixture!("gnu-b1.tar.xz")),
        (Compression::Zstd, fixture!("gnu-b1.tar.zst")),
    ]
}

fn decompress(compression: Compression, input: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let mut out = Vec::new();
    decompressor(compression, input)?.read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn detect_recognises_each_magic_number() {
    let cases: [(&[u8], Compression); 11] = [
        (b"", Compression::None),
        (b"BZh91AY&SY", Compression::Bzip2),
        (b"BZ", Compression::None),
        (&[0x1F, 0x8B, 0x08, 0x00], Compression::Gzip),
        (&[0x1F, 0x8B, 0x07], Compression::None),
        (&[0xFD, b'7', b'z', b'X', b'Z', 0x00, 0x00], Compression::Xz),
        (&[0xFD, b'7', b'z', b'X', b'Z'], Compression::None),
        (&[0x28, 0xB5, 0x2F, 0xFD, 0x04], Compression::Zstd),
        (b"etc/\0\0\0\0", Compression::None),
        (
            &GNU_B1_TAR[..SNIFF_SIZE.min(GNU_B1_TAR.len())],
            Compression::None,
        ),
        (&[0u8; 1024], Compression::None),
    ];
    for (prefix, expected) in cases {
        assert_eq!(detect(prefix), expected, "prefix {prefix:02x?}");
    }
    for (compression, file) in compressed_fixtures() {
        assert_eq!(detect(file), compression);
    }
}

#[test]
fn decompressors_reproduce_the_cli_input() {
    for (compression, file) in compressed_fixtures() {
        assert_eq!(
            decompress(compression, file).unwrap(),
            GNU_B1_TAR,
            "{compression:?}"
        );
    }
    assert_eq!(
        decompress(Compression::None, GNU_B1_TAR).unwrap(),
        GNU_B1_TAR
    );
}

#[test]
fn decompressors_read_every_member_of_concatenated_streams() {
    let cases = [
        (Compression::Gzip, fixture!("multi.gz")),
        (Compression::Bzip2, fixture!("multi.bz2")),
        (Compression::Xz, fixture!("multi.xz")),
        (Compression::Zstd, fixture!("multi.zst")),
    ];
    for (compression, file) in cases {
        assert_eq!(
            decompress(compression, file).unwrap(),
            b"first\nsecond\n",
            "{compression:?}"
        );
    }
}

#[test]
fn zstd_skips_skippable_frames() {
    let mut input = vec![0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, b'a', b'b', b'c'];
    input.extend_from_slice(fixture!("multi.zst"));
    assert_eq!(
        decompress(Compression::Zstd, &input).unwrap(),
        b"first\nsecond\n"
    );
}

#[test]
fn truncated_compressed_input_is_an_error() {
    for (compression, file) in compressed_fixtures() {
        for cut in [file.len() / 2, file.len() - 1] {
            let result = decompress(compression, &file[..cut]);
            assert!(result.is_err(), "{compression:?} cut at {cut} decoded");
        }
    }
}

#[test]
fn corrupt_compressed_input_is_an_error() {
    for (compression, file) in compressed_fixtures() {
        let mut corrupt = file.to_vec();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0x55;
        corrupt[middle + 1] ^= 0xAA;
        let result = decompress(compression, &corrupt);
        assert!(
            result.as_ref().map_or(true, |out| out != GNU_B1_TAR),
            "{compression:?} ignored corruption"
        );
        assert!(result.is_err(), "{compression:?} corruption not reported");
    }
}

#[test]
fn zstd_rejects_a_non_zstd_stream_up_front() {
    assert!(decompressor(Compression::Zstd, &b"not zstd at all"[..]).is_err());
    assert!(decompressor(Compression::Zstd, &b""[..]).is_err());
}

#[test]
fn gzip_writer_output_decompresses() {
    let mut writer = gzip_writer(Vec::new());
    writer.write_all(GNU_B1_TAR).unwrap();
    let compressed = writer.finish().unwrap();
    assert_eq!(detect(&compressed), Compression::Gzip);
    assert_eq!(
        decompress(Compression::Gzip, &compressed).unwrap(),
        GNU_B1_TAR
    );
}

/// Returns at most `chunk` bytes per read, like a pipe.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn sniffing_reader_detects_replays_and_decompresses() {
    for (compression, file) in compressed_fixtures() {
        let sniffed = SniffingReader::new(file).unwrap();
        assert_eq!(sniffed.compression(), compression);
        assert_eq!(
            sniffed.prefix(),
            file,
            "one read takes up to {SNIFF_SIZE} bytes"
        );
        let mut out = Vec::new();
        sniffed
            .into_decompressed()
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, GNU_B1_TAR);
    }
    let mut replayed = Vec::new();
    let mut sniffed = SniffingReader::new(GNU_B1_TAR).unwrap();
    assert_eq!(sniffed.prefix().len(), SNIFF_SIZE.min(GNU_B1_TAR.len()));
    sniffed.read_to_end(&mut replayed).unwrap();
    assert_eq!(replayed, GNU_B1_TAR);
}

#[test]
fn sniffing_uses_a_single_read_but_decompresses_by_the_first_ten_bytes() {
    let gzip = fixture!("gnu-b1.tar.gz");
    let sniffed = SniffingReader::new(Trickle {
        data: gzip,
        chunk: 2,
    })
    .unwrap();
    assert_eq!(sniffed.prefix(), &gzip[..2]);
    assert_eq!(
        sniffed.compression(),
        Compression::None,
        "1.43 records what one read saw"
    );
    let mut out = Vec::new();
    sniffed
        .into_decompressed()
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, GNU_B1_TAR);
}

#[test]
fn sniffing_an_empty_stream_is_uncompressed_and_empty() {
    let sniffed = SniffingReader::new(&b""[..]).unwrap();
    assert_eq!(sniffed.compression(), Compression::None);
    let mut out = Vec::new();
    sniffed
        .into_decompressed()
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert!(out.is_empty());
}

/// Deterministic data that compresses somewhat: text runs and noise.
fn mixed_data(len: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if (i / 4096) % 3 == 0 {
                state as u8
            } else {
                b"layer contents, "[i % 16]
            }
        })
        .collect()
}

fn zstd_compress(data: &[u8], write_size: usize) -> Vec<u8> {
    let mut writer = ZstdWriter::new(Vec::new());
    for chunk in data.chunks(write_size.max(1)) {
        writer.write_all(chunk).unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn zstd_writer_output_decompresses_to_the_input() {
    let frame = 1 << 20;
    for len in [0, 1, 511, frame - 1, frame, frame + 1, 3 * frame + 12345] {
        let data = mixed_data(len);
        for write_size in [1000, 64 * 1024, 4 << 20] {
            let compressed = zstd_compress(&data, write_size);
            assert_eq!(detect(&compressed), Compression::Zstd, "{len}");
            assert_eq!(
                decompress(Compression::Zstd, &compressed).unwrap(),
                data,
                "{len} bytes written {write_size} at a time"
            );
        }
    }
}

#[test]
fn zstd_writer_compresses() {
    let data = mixed_data(4 << 20);
    let compressed = zstd_compress(&data, 1 << 16);
    assert!(
        compressed.len() < data.len() / 2,
        "{} of {}",
        compressed.len(),
        data.len()
    );
}

/// The reference decoder reads the writer's frames back (skipped where
/// the `zstd` CLI is not installed).
#[test]
fn zstd_writer_output_is_read_by_the_zstd_cli() {
    use std::process::{Command, Stdio};
    let data = mixed_data(2_500_000);
    let compressed = zstd_compress(&data, 100_000);
    let child = Command::new("zstd")
        .args(["-d", "-c", "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("zstd CLI not installed; skipped");
        return;
    };
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(&compressed));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, data);
}

#[test]
fn zstd_writer_reports_write_errors() {
    struct Failing;
    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut writer = ZstdWriter::new(Failing);
    let error = writer.write_all(&mixed_data(3 << 20)).unwrap_err();
    assert_eq!(error.to_string(), "disk full");
    let writer = ZstdWriter::new(Failing);
    assert!(writer.finish().is_err());
}

#[test]
fn sniffing_reader_parts_are_the_unread_bytes_then_the_input() {
    let mut sniffed = SniffingReader::new(Trickle {
        data: GNU_B1_TAR,
        chunk: 700,
    })
    .unwrap();
    let mut head = [0u8; 100];
    sniffed.read_exact(&mut head).unwrap();
    let (unread, mut rest) = sniffed.into_parts();
    assert_eq!(unread, &GNU_B1_TAR[100..700]);
    let mut tail = Vec::new();
    rest.read_to_end(&mut tail).unwrap();
    assert_eq!([&head[..], &unread, &tail].concat(), GNU_B1_TAR);
}
