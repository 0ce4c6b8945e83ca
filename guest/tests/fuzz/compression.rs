//! Compressed layer diffs: sniffing, the four decompressors on mutated
//! streams (headers especially, where window and dictionary sizes are
//! declared), and the decompressed stream fed to the disassembler.

use crate::harness::{Input, run};
use crate::mutate::mutate_bytes;
use crate::seeds::{self, fixture};
use graphstore_guest::archive::{
    ArchiveError, SNIFF_SIZE, SniffingReader, detect, disassemble, gzip_writer,
};
use graphstore_guest::records::Compression;
use std::io::{self, Read, Write};

/// Cases of mutated compressed streams.
const ITERATIONS: usize = 1200;

/// Most decompressed bytes a case reads (a small input can expand a lot).
const OUTPUT_LIMIT: u64 = 16 << 20;

/// A compressed stream, and its content when it was left unmutated.
#[derive(Debug)]
struct Case {
    data: Vec<u8>,
    plain: Option<Vec<u8>>,
}

impl Input for Case {
    fn raw(&self) -> Option<&[u8]> {
        Some(&self.data)
    }
}

/// Fails reads once more than `left` bytes were read through it.
struct Limit<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Limit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or_else(|| io::Error::other("decompressed output over the harness's limit"))?;
        Ok(n)
    }
}

/// Compressed seeds with their content: the CLIs' files and gzipped
/// generated archives.
fn compressed_seeds() -> Vec<(Vec<u8>, Vec<u8>)> {
    let tar = fixture!("gnu-b1.tar").to_vec();
    let multi = b"first\nsecond\n".to_vec();
    let mut seeds = vec![
        (fixture!("gnu-b1.tar.gz").to_vec(), tar.clone()),
        (fixture!("gnu-b1.tar.bz2").to_vec(), tar.clone()),
        (fixture!("gnu-b1.tar.xz").to_vec(), tar.clone()),
        (fixture!("gnu-b1.tar.zst").to_vec(), tar.clone()),
        (fixture!("multi.gz").to_vec(), multi.clone()),
        (fixture!("multi.bz2").to_vec(), multi.clone()),
        (fixture!("multi.xz").to_vec(), multi.clone()),
        (fixture!("multi.zst").to_vec(), multi),
        (tar.clone(), tar),
    ];
    let mut rng = crate::harness::Rng::new(0x677a);
    for _ in 0..4 {
        let plain = seeds::generate_tar(&mut rng).bytes;
        let mut writer = gzip_writer(Vec::new());
        writer.write_all(&plain).unwrap();
        seeds.push((writer.finish().unwrap(), plain));
    }
    seeds
}

#[test]
fn fuzz_compressed_streams() {
    let seeds = compressed_seeds();
    let others: Vec<&[u8]> = seeds.iter().map(|(data, _)| data.as_slice()).collect();
    run(
        "compression::streams",
        ITERATIONS,
        |rng| {
            let (data, plain) = rng.pick(&seeds);
            let mut data = data.clone();
            if rng.chance(1, 10) {
                return Case {
                    data,
                    plain: Some(plain.clone()),
                };
            }
            if rng.chance(1, 2) && data.len() > 32 {
                // Aim at the stream and frame headers.
                let mut head = data[..32].to_vec();
                mutate_bytes(rng, &mut head, &[]);
                data.splice(..32, head);
            } else {
                mutate_bytes(rng, &mut data, &others);
            }
            Case { data, plain: None }
        },
        |case| {
            let data = &case.data[..];
            let sniffed = SniffingReader::new(data).map_err(|error| format!("sniff: {error}"))?;
            let prefix = &data[..data.len().min(SNIFF_SIZE)];
            if sniffed.prefix() != prefix || sniffed.compression() != detect(prefix) {
                return Err(format!("sniffed {:?} wrongly", sniffed.compression()));
            }
            let compression = sniffed.compression();
            let mut out = Vec::new();
            let read = sniffed.into_decompressed().and_then(|decompressed| {
                Limit {
                    inner: decompressed,
                    left: OUTPUT_LIMIT,
                }
                .read_to_end(&mut out)
                .map_err(ArchiveError::Io)
            });
            if let Some(plain) = &case.plain
                && (read.is_err() || &out != plain)
            {
                return Err(format!("valid {compression:?} stream decoded to {read:?}"));
            }
            if let Err(error) = &read
                && (!matches!(error, ArchiveError::Io(_)) || error.to_string().is_empty())
            {
                return Err(format!("unexpected error {error:?}"));
            }
            // The layer-apply path: the decompressed stream as a tar.
            if compression != Compression::None {
                let sniffed =
                    SniffingReader::new(data).map_err(|error| format!("second sniff: {error}"))?;
                // A stream whose header is refused was checked above.
                if let Ok(decompressed) = sniffed.into_decompressed() {
                    let limited = Limit {
                        inner: decompressed,
                        left: OUTPUT_LIMIT,
                    };
                    if let Err(error) = disassemble(limited, Vec::new())
                        && error.to_string().is_empty()
                    {
                        return Err(format!("{error:?} has an empty message"));
                    }
                }
            }
            Ok(())
        },
    );
}
