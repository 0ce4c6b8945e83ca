//! Tar reading: the disassembler on generated archives (every member read
//! back exactly, the tar-split reassembling the input byte for byte) and on
//! mutated ones (typed errors, poisoning, the same round trip whenever it
//! succeeds); header blocks, numeric fields and PAX records on their own.

use crate::harness::{Rng, run};
use crate::mutate::{extreme_numeric, mutate_bytes, mutate_tar, set_checksum};
use crate::seeds::{self, Expected, GeneratedTar, pax_record, put_number};
use graphstore_guest::archive::header::{parse_block, parse_numeric};
use graphstore_guest::archive::pax::{parse_records, parse_time, unix_time};
use graphstore_guest::archive::{
    ArchiveError, BLOCK_SIZE, Disassembler, Disassembly, Entry, EntryKind, Member, MemberKind,
    TarSplitReader, assemble, decode_gz, disassemble, encode, encode_gz,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};

/// Cases of generated valid archives.
const GENERATED_ITERATIONS: usize = 300;
/// Cases of mutated archives.
const MUTATED_ITERATIONS: usize = 3000;
/// Cases of single header blocks and numeric fields.
const HEADER_ITERATIONS: usize = 4000;
/// Cases of PAX record sets and times.
const PAX_ITERATIONS: usize = 3000;

/// A reader over a slice that returns at most a few bytes per call and
/// sometimes `Interrupted`, to exercise every short-read path.
pub struct Trickle<'a> {
    data: &'a [u8],
    state: u64,
    max_chunk: usize,
}

impl<'a> Trickle<'a> {
    /// Serves `data` in chunks of 1 to `max_chunk` bytes, chosen by `seed`.
    pub fn new(data: &'a [u8], seed: u64, max_chunk: usize) -> Self {
        Trickle {
            data,
            state: seed | 1,
            max_chunk,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // xorshift64
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        if self.state.is_multiple_of(11) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let chunk = 1 + (self.state as usize >> 8) % self.max_chunk;
        let n = chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A disassembly that extracted every member's content.
pub struct Extracted {
    /// The members in order.
    pub members: Vec<Member>,
    /// Each member's content by name.
    pub contents: HashMap<Vec<u8>, Vec<u8>>,
    /// The entries and totals.
    pub done: Disassembly<Vec<Entry>>,
    /// Whether some member's content was left unread (so is missing
    /// from `contents`).
    pub skipped: bool,
}

/// Disassembles `input` read in small chunks, reading all, some or none
/// of each member's content (chosen by `seed`) as an extractor might.
fn extract(input: &[u8], seed: u64) -> Result<Extracted, ArchiveError> {
    let max_chunk = [1, 7, 512, 4096, 65536][(seed % 5) as usize];
    let mut tar = Disassembler::new(Trickle::new(input, seed, max_chunk), Vec::new());
    let mut members = Vec::new();
    let mut contents = HashMap::new();
    let mut step = seed;
    let mut skipped = false;
    loop {
        let member = match tar.next_member() {
            Ok(Some(member)) => member,
            Ok(None) => break,
            Err(error) => {
                check_poisoned(&mut tar)?;
                return Err(error);
            }
        };
        step = step.rotate_left(7) ^ 0x5bd1_e995;
        let mut content = Vec::new();
        let read: io::Result<usize> = if step.is_multiple_of(4) {
            // Leave the content for the disassembler to consume.
            Ok(0)
        } else {
            tar.read_to_end(&mut content)
        };
        match read {
            Ok(_) if step.is_multiple_of(4) => {}
            Ok(_) => {
                if content.len() as u64 != member.content_len() {
                    return Err(ArchiveError::InvalidEntry(format!(
                        "PROPERTY: read {} content bytes of {:?}, content_len is {}",
                        content.len(),
                        member.path,
                        member.content_len()
                    )));
                }
            }
            Err(error) => {
                if error.kind() != io::ErrorKind::UnexpectedEof {
                    return Err(ArchiveError::InvalidEntry(format!(
                        "PROPERTY: content read failed with {error:?}, not an early EOF"
                    )));
                }
                // The next step must report the truncation.
                return match tar.next_member() {
                    Err(ArchiveError::Truncated) => Err(ArchiveError::Truncated),
                    other => Err(ArchiveError::InvalidEntry(format!(
                        "PROPERTY: after an early EOF in content, next_member gave {other:?}"
                    ))),
                };
            }
        }
        if step.is_multiple_of(4) {
            skipped = true;
        } else {
            contents.insert(member.path.clone(), content);
        }
        members.push(member);
    }
    let done = tar.finish()?;
    Ok(Extracted {
        members,
        contents,
        done,
        skipped,
    })
}

/// After an error the disassembler must refuse to go on.
fn check_poisoned<R: Read>(tar: &mut Disassembler<R, Vec<Entry>>) -> Result<(), ArchiveError> {
    if !matches!(tar.next_member(), Err(ArchiveError::Poisoned)) {
        return Err(ArchiveError::InvalidEntry(
            "PROPERTY: next_member after an error is not Poisoned".into(),
        ));
    }
    if tar.read(&mut [0; 16]).is_ok() {
        return Err(ArchiveError::InvalidEntry(
            "PROPERTY: reading after an error succeeded".into(),
        ));
    }
    Ok(())
}

/// The errors a disassembly of bytes in memory can fail with.
fn is_disassembly_error(error: &ArchiveError) -> bool {
    matches!(
        error,
        ArchiveError::Truncated
            | ArchiveError::InvalidHeader { .. }
            | ArchiveError::ExtensionTooLarge { .. }
            | ArchiveError::Unsupported(_)
            | ArchiveError::DuplicatePath { .. }
    )
}

/// Checks every property of disassembling `input`; `Ok(Some(_))` when it
/// is a valid archive (then the round trips held), `Ok(None)` when it was
/// rejected with a proper error.
pub fn check_tar(input: &[u8]) -> Result<Option<Extracted>, String> {
    let seed = input.len() as u64 ^ input.first().map_or(0, |&b| u64::from(b) << 32);
    let streamed = extract(input, seed);
    let whole = disassemble(input, Vec::new());
    let extracted = match (streamed, whole) {
        (Err(ArchiveError::InvalidEntry(property)), _) => return Err(property),
        (Err(streamed), Err(whole)) => {
            if !is_disassembly_error(&streamed) {
                return Err(format!("unexpected error kind {streamed:?}"));
            }
            if std::mem::discriminant(&streamed) != std::mem::discriminant(&whole) {
                return Err(format!(
                    "streamed and whole disassembly disagree: {streamed:?} vs {whole:?}"
                ));
            }
            if streamed.to_string().is_empty() {
                return Err(format!("{streamed:?} has an empty message"));
            }
            return Ok(None);
        }
        (Ok(_), Err(error)) | (Err(error), Ok(_)) => {
            return Err(format!(
                "streamed and whole disassembly disagree: one failed with {error:?}"
            ));
        }
        (Ok(streamed), Ok(whole)) => {
            let same = streamed.done.sink == whole.sink
                && streamed.done.uids == whole.uids
                && streamed.done.gids == whole.gids
                && streamed.done.diff == whole.diff;
            if !same {
                return Err("streamed and whole disassembly produced different results".into());
            }
            streamed
        }
    };
    check_disassembly(input, &extracted)?;
    Ok(Some(extracted))
}

/// The properties of a successful disassembly of `input`.
fn check_disassembly(input: &[u8], extracted: &Extracted) -> Result<(), String> {
    let done = &extracted.done;
    let entries = &done.sink;
    for (index, entry) in entries.iter().enumerate() {
        if entry.position != index as i64 {
            return Err(format!("entry {index} has position {}", entry.position));
        }
    }
    if done.diff.size != input.len() as u64 {
        return Err(format!(
            "diff size {} for {} input bytes",
            done.diff.size,
            input.len()
        ));
    }
    if done.diff.sha256[..] != Sha256::digest(input)[..] {
        return Err("diff digest is not the input's sha256".into());
    }
    for ids in [&done.uids, &done.gids] {
        if !ids.windows(2).all(|pair| pair[0] < pair[1]) {
            return Err(format!("ID set not strictly ascending: {ids:?}"));
        }
    }
    let segments: usize = entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::Segment)
        .map(|entry| entry.payload.as_ref().map_or(0, Vec::len))
        .sum();
    let content: u64 = extracted.members.iter().map(Member::content_len).sum();
    if segments as u64 + content != input.len() as u64 {
        return Err(format!(
            "segments ({segments}) and contents ({content}) do not add up to {}",
            input.len()
        ));
    }
    // The original bytes, from the tar-split and the contents. Members
    // whose content was left unread are fetched from a full extraction.
    let full = if extracted.skipped {
        Some(full_contents(input)?)
    } else {
        None
    };
    let contents = full.as_ref().unwrap_or(&extracted.contents);
    if crate::known_bugs::has_negative_file_size(entries) {
        // As tar-split: the entry's null payload never matches (finding 4).
        let mut out = Vec::new();
        let result = assemble(entries.iter().cloned().map(Ok), &mut out, |name| {
            Ok(Box::new(io::Cursor::new(
                contents.get(name).cloned().unwrap_or_default(),
            )))
        });
        return match result {
            Err(ArchiveError::ChecksumMismatch { .. }) => Ok(()),
            other => Err(format!("negative-size entry reassembled with {other:?}")),
        };
    }
    let reassembled = reassemble(entries, contents)?;
    if reassembled != input {
        return Err(format!(
            "reassembly differs from the input ({} vs {} bytes)",
            reassembled.len(),
            input.len()
        ));
    }
    // The entries survive their JSON encoding, plain and gzipped.
    let parsed: Result<Vec<Entry>, _> = TarSplitReader::new(&encode(entries)[..]).collect();
    match parsed {
        Ok(parsed) if &parsed == entries => {}
        other => return Err(format!("tar-split JSON round trip failed: {other:?}")),
    }
    let gz = encode_gz(entries).map_err(|error| format!("encode_gz: {error}"))?;
    match decode_gz(&gz) {
        Ok(decoded) if &decoded == entries => Ok(()),
        other => Err(format!("tar-split gzip round trip failed: {other:?}")),
    }
}

/// Every member's content, read in full.
fn full_contents(input: &[u8]) -> Result<HashMap<Vec<u8>, Vec<u8>>, String> {
    let mut tar = Disassembler::new(input, Vec::new());
    let mut contents = HashMap::new();
    while let Some(member) = tar
        .next_member()
        .map_err(|error| format!("re-read: {error}"))?
    {
        let mut content = Vec::new();
        tar.read_to_end(&mut content)
            .map_err(|error| format!("re-read: {error}"))?;
        contents.insert(member.path, content);
    }
    Ok(contents)
}

/// Reassembles `entries` with `contents`.
pub fn reassemble(
    entries: &[Entry],
    contents: &HashMap<Vec<u8>, Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let written = assemble(entries.iter().cloned().map(Ok), &mut out, |name| {
        let content = contents.get(name).cloned().unwrap_or_default();
        Ok(Box::new(io::Cursor::new(content)))
    })
    .map_err(|error| format!("reassembly failed: {error:?}"))?;
    if written != out.len() as u64 {
        return Err(format!(
            "assemble reported {written} bytes, wrote {}",
            out.len()
        ));
    }
    Ok(out)
}

/// The generated archives' members compared with what was written.
fn check_generated(generated: &GeneratedTar) -> Result<(), String> {
    let Some(extracted) = check_tar(&generated.bytes)? else {
        let error = disassemble(&generated.bytes[..], Vec::new()).err();
        return Err(format!("a valid archive was rejected: {error:?}"));
    };
    if extracted.members.len() != generated.members.len() {
        return Err(format!(
            "{} members read, {} written",
            extracted.members.len(),
            generated.members.len()
        ));
    }
    let full = full_contents(&generated.bytes)?;
    for (member, expected) in extracted.members.iter().zip(&generated.members) {
        let read = Expected {
            typeflag: member.typeflag,
            path: member.path.clone(),
            link_target: member.link_target.clone(),
            uid: member.uid,
            gid: member.gid,
            size: member.size,
            content: full.get(&member.path).cloned().unwrap_or_default(),
            xattrs: member.xattrs.clone(),
        };
        if &read != expected {
            return Err(format!(
                "member read back as\n{read:?}\nwritten as\n{expected:?}"
            ));
        }
        if expected.typeflag == b'g' && member.kind() != MemberKind::GlobalHeader {
            return Err(format!("global header read as {:?}", member.kind()));
        }
    }
    if extracted.done.uids != generated.uids() || extracted.done.gids != generated.gids() {
        return Err(format!(
            "ID sets {:?}/{:?}, expected {:?}/{:?}",
            extracted.done.uids,
            extracted.done.gids,
            generated.uids(),
            generated.gids()
        ));
    }
    Ok(())
}

/// A generated archive as a failure report shows it.
impl crate::harness::Input for GeneratedTar {
    fn raw(&self) -> Option<&[u8]> {
        Some(&self.bytes)
    }
}

#[test]
fn fuzz_generated_tars_read_back_exactly() {
    run(
        "tar::generated",
        GENERATED_ITERATIONS,
        seeds::generate_tar,
        check_generated,
    );
}

/// The mutation seeds: the fixtures and some generated archives.
pub fn tar_seeds() -> Vec<Vec<u8>> {
    let mut rng = Rng::new(0x7461_7273);
    let mut all: Vec<Vec<u8>> = seeds::fixture_tars()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    all.extend((0..24).map(|_| seeds::generate_tar(&mut rng).bytes));
    all
}

#[test]
fn fuzz_mutated_tars() {
    let seeds = tar_seeds();
    let others: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    run(
        "tar::mutated",
        MUTATED_ITERATIONS,
        |rng| {
            let mut input = rng.pick(&seeds).clone();
            if rng.chance(2, 3) {
                mutate_tar(rng, &mut input, &others);
            } else {
                mutate_bytes(rng, &mut input, &others);
            }
            input
        },
        |input| check_tar(input).map(drop),
    );
}

/// A header block plus the numeric value written into its size field.
#[derive(Debug)]
struct HeaderCase {
    block: Vec<u8>,
    field: (usize, usize),
    value: i64,
}

impl crate::harness::Input for HeaderCase {
    fn raw(&self) -> Option<&[u8]> {
        Some(&self.block)
    }
}

#[test]
fn fuzz_header_blocks_and_numbers() {
    let seeds = tar_seeds();
    let blocks: Vec<Vec<u8>> = seeds
        .iter()
        .flat_map(|tar| {
            crate::mutate::header_offsets(tar)
                .into_iter()
                .map(|at| tar[at..at + BLOCK_SIZE].to_vec())
        })
        .collect();
    run(
        "tar::header",
        HEADER_ITERATIONS,
        |rng| {
            let mut block = rng.pick(&blocks).clone();
            let field = *rng.pick(&[(100, 8), (108, 8), (116, 8), (124, 12), (136, 12)]);
            // A number written as a writer would, to be read back.
            let value = match rng.below(4) {
                0 => rng.next_u64() as i64,
                1 => -(rng.below(1 << 20) as i64),
                2 => rng.next_u64() as i64 >> rng.below(64),
                _ => rng.below(1 << 20) as i64,
            };
            // Base-256 in 8 bytes holds [-2^62, 2^62); 12 bytes hold any i64.
            let len = field.1;
            let value = if len == 8 { value >> 2 } else { value };
            put_number(&mut block[field.0..field.0 + len], value);
            if rng.chance(1, 2) {
                let other = *rng.pick(&[(329, 8), (337, 8), (345, 12), (476, 12)]);
                let extreme = extreme_numeric(rng, other.1);
                block[other.0..other.0 + other.1].copy_from_slice(&extreme);
            }
            if rng.chance(1, 3) {
                mutate_bytes(rng, &mut block, &[]);
                block.resize(BLOCK_SIZE, 0);
            }
            if rng.chance(3, 4) {
                let array: &mut [u8; BLOCK_SIZE] = (&mut block[..]).try_into().unwrap();
                set_checksum(array);
            }
            HeaderCase {
                block,
                field,
                value,
            }
        },
        |case| {
            let field = &case.block[case.field.0..case.field.0 + case.field.1];
            let parsed = parse_numeric(field);
            let mut written = vec![0; case.field.1];
            put_number(&mut written, case.value);
            if field == &written[..] && parsed != Ok(case.value) {
                return Err(format!("wrote {}, read {parsed:?}", case.value));
            }
            let block: &[u8; BLOCK_SIZE] = case.block[..].try_into().unwrap();
            if let Ok(header) = parse_block(block)
                && (header.name.len() > 100 + 1 + 155 || header.linkname.len() > 100)
            {
                return Err(format!("over-long name in {header:?}"));
            }
            Ok(())
        },
    );
}

/// A PAX record set and its encoding (possibly mutated).
#[derive(Debug)]
struct PaxCase {
    records: BTreeMap<Vec<u8>, Vec<u8>>,
    data: Vec<u8>,
    mutated: bool,
    time: (i64, u32),
    time_text: String,
}

impl crate::harness::Input for PaxCase {
    fn raw(&self) -> Option<&[u8]> {
        Some(&self.data)
    }
}

#[test]
fn fuzz_pax_records_and_times() {
    const KEYS: [&[u8]; 10] = [
        b"path",
        b"linkpath",
        b"uname",
        b"gname",
        b"size",
        b"mtime",
        b"comment",
        b"SCHILY.xattr.user.a",
        b"GNU.sparse.map",
        b"k",
    ];
    run(
        "tar::pax",
        PAX_ITERATIONS,
        |rng| {
            let mut records = BTreeMap::new();
            for _ in 0..rng.below(6) {
                let key = rng.pick(&KEYS).to_vec();
                let string_key =
                    [&b"path"[..], b"linkpath", b"uname", b"gname"].contains(&&key[..]);
                let mut value = rng.small_bytes(300);
                if string_key {
                    value.retain(|&b| b != 0);
                }
                records.insert(key, value);
            }
            let mut data: Vec<u8> = records
                .iter()
                .flat_map(|(key, value)| pax_record(key, value))
                .collect();
            let mutated = rng.chance(1, 2);
            if mutated {
                mutate_bytes(rng, &mut data, &[b"30 mtime=1350244992.023960108\n"]);
            }
            let seconds = match rng.below(3) {
                0 => rng.next_u64() as i64,
                1 => rng.below(1 << 40) as i64,
                _ => 0,
            };
            let nanos = rng.below(1_000_000_000) as u32;
            let mut time_text = format!("{seconds}.{nanos:09}");
            if rng.chance(1, 3) {
                let mut bytes = time_text.into_bytes();
                mutate_bytes(rng, &mut bytes, &[]);
                time_text = String::from_utf8_lossy(&bytes).into_owned();
            }
            PaxCase {
                records,
                data,
                mutated,
                time: (seconds, nanos),
                time_text,
            }
        },
        |case| {
            match parse_records(&case.data) {
                Ok(parsed) if !case.mutated && parsed != case.records => {
                    return Err(format!("records parsed as {parsed:?}"));
                }
                Err(issue) if !case.mutated => {
                    return Err(format!("valid records refused: {issue}"));
                }
                _ => {}
            }
            let parsed = parse_time(case.time_text.as_bytes());
            let (seconds, nanos) = case.time;
            if case.time_text == format!("{seconds}.{nanos:09}") {
                let expected = if seconds < 0 {
                    unix_time(seconds, -i64::from(nanos))
                } else {
                    unix_time(seconds, i64::from(nanos))
                };
                if parsed != Ok(expected) {
                    return Err(format!("{:?} parsed as {parsed:?}", case.time_text));
                }
            }
            Ok(())
        },
    );
}
