//! tar-split files: the entry reader on mutated JSON lines (plain and
//! gzipped) and reassembly from whatever entries it accepts.

use crate::harness::run;
use crate::mutate::{mutate_bytes, mutate_json};
use crate::seeds::fixture;
use crate::tar::tar_seeds;
use graphstore_guest::archive::{
    ArchiveError, Entry, TarSplitReader, assemble, decode_gz, disassemble, encode, encode_gz,
};
use std::io;

/// Cases of mutated plain tar-split streams.
const PLAIN_ITERATIONS: usize = 2000;
/// Cases of mutated gzipped tar-split files.
const GZIP_ITERATIONS: usize = 600;

/// Plain JSON lines of the seeds' tar-split entries, and 1.43's own files.
fn tar_split_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = tar_seeds()
        .iter()
        .filter_map(|tar| disassemble(&tar[..], Vec::new()).ok())
        .map(|done| encode(&done.sink))
        .collect();
    for gz in [
        fixture!("gnu.tar-split.gz"),
        fixture!("pax.tar-split.gz"),
        fixture!("names.tar-split.gz"),
        fixture!("paxglobal.tar-split.gz"),
    ] {
        seeds.push(encode(&decode_gz(gz).expect("fixture decodes")));
    }
    seeds
}

/// The properties of reading `entries_or_error` from some input.
fn check_entries(read: Result<Vec<Entry>, ArchiveError>, gzipped: bool) -> Result<(), String> {
    let entries = match read {
        Ok(entries) => entries,
        Err(ArchiveError::InvalidEntry(message)) if !message.is_empty() => return Ok(()),
        Err(ArchiveError::DuplicatePath { .. }) => return Ok(()),
        // A broken gzip stream surfaces as an I/O error of the decoder.
        Err(ArchiveError::Io(_)) if gzipped => return Ok(()),
        Err(error) => return Err(format!("unexpected error kind {error:?}")),
    };
    // Whatever was accepted re-encodes to lines that read back the same.
    let encoded = encode(&entries);
    let reread: Result<Vec<Entry>, _> = TarSplitReader::new(&encoded[..]).collect();
    match reread {
        Ok(reread) if reread == entries => {}
        other => return Err(format!("accepted entries do not round-trip: {other:?}")),
    }
    if encode(
        &TarSplitReader::new(&encoded[..])
            .collect::<Result<Vec<_>, _>>()
            .unwrap(),
    ) != encoded
    {
        return Err("encoding is not stable".into());
    }
    // Reassembly with empty file contents: bytes or a checksum error.
    let mut out = Vec::new();
    match assemble(entries.iter().cloned().map(Ok), &mut out, |_| {
        Ok(Box::new(io::empty()))
    }) {
        Ok(written) if written == out.len() as u64 => Ok(()),
        Ok(written) => Err(format!("assemble reported {written}, wrote {}", out.len())),
        Err(ArchiveError::ChecksumMismatch { name }) => {
            let message = ArchiveError::ChecksumMismatch { name }.to_string();
            if message.is_empty() {
                Err("empty checksum message".into())
            } else {
                Ok(())
            }
        }
        Err(error) => Err(format!("assemble failed with {error:?}")),
    }
}

#[test]
fn fuzz_tar_split_lines() {
    let seeds = tar_split_seeds();
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    run(
        "tar_split::plain",
        PLAIN_ITERATIONS,
        |rng| {
            let mut data = rng.pick(&seeds).clone();
            if rng.chance(1, 2) {
                mutate_json(rng, &mut data);
            }
            if rng.chance(1, 2) {
                mutate_bytes(rng, &mut data, &others);
            }
            data
        },
        |data| {
            let mut reader = TarSplitReader::new(&data[..]);
            let read: Result<Vec<Entry>, _> = reader.by_ref().collect();
            if read.is_err() && reader.next().is_some() {
                return Err("the reader went on after an error".into());
            }
            check_entries(read, false)
        },
    );
}

#[test]
fn fuzz_tar_split_gzip() {
    let seeds: Vec<Vec<u8>> = tar_split_seeds()
        .iter()
        .map(|plain| {
            let entries: Vec<Entry> = TarSplitReader::new(&plain[..])
                .collect::<Result<_, _>>()
                .unwrap();
            encode_gz(&entries).unwrap()
        })
        .collect();
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    run(
        "tar_split::gzip",
        GZIP_ITERATIONS,
        |rng| {
            let mut data = rng.pick(&seeds).clone();
            mutate_bytes(rng, &mut data, &others);
            data
        },
        |data| check_entries(decode_gz(data), true),
    );
}
