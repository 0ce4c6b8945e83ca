//! Seeded mutations: generic byte-level ones for every format, and
//! tar-aware ones that aim at header fields and keep checksums valid so
//! that mutated archives get past the checksum check.

use crate::harness::Rng;
use graphstore_guest::archive::BLOCK_SIZE;
use graphstore_guest::archive::header::{checksums, is_header_only, parse_numeric};

/// Bytes that tend to sit on parsers' edges: NUL, all bits, high bit,
/// octal digits and their neighbours, separators.
pub const INTERESTING_BYTES: [u8; 16] = [
    0x00, 0xff, 0x80, 0x7f, 0x40, 0xc0, b'0', b'1', b'7', b'8', b'9', b' ', b'\n', b'/', b'=', b'"',
];

/// Applies 1 to 6 generic mutations (more often few) to `data`;
/// `others` are inputs to splice from.
pub fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, others: &[&[u8]]) {
    let rounds = 1 + rng.small_len(5).min(5);
    for _ in 0..rounds {
        mutate_once(rng, data, others);
    }
}

fn mutate_once(rng: &mut Rng, data: &mut Vec<u8>, others: &[&[u8]]) {
    if data.is_empty() {
        let len = rng.small_len(64);
        data.extend(rng.bytes(len));
        return;
    }
    let at = rng.below(data.len());
    match rng.below(12) {
        0 => data[at] ^= 1 << rng.below(8),
        1 => data[at] = *rng.pick(&INTERESTING_BYTES),
        2 => data[at] = rng.byte(),
        3 => {
            let len = if rng.chance(1, 2) {
                at / BLOCK_SIZE * BLOCK_SIZE
            } else {
                at
            };
            data.truncate(len);
        }
        4 => {
            let len = 1 + rng.small_len(31);
            let bytes = rng.bytes(len);
            data.splice(at..at, bytes);
        }
        5 => {
            let len = 1 + rng.small_len(63);
            let value = *rng.pick(&INTERESTING_BYTES);
            let end = (at + len).min(data.len());
            data[at..end].fill(value);
        }
        6 => {
            let end = (at + 1 + rng.small_len(BLOCK_SIZE)).min(data.len());
            data.drain(at..end);
        }
        7 => {
            let end = (at + 1 + rng.small_len(BLOCK_SIZE)).min(data.len());
            let chunk = data[at..end].to_vec();
            let to = rng.below(data.len() + 1);
            data.splice(to..to, chunk);
        }
        8 if !others.is_empty() => {
            let other = rng.pick(others);
            let from = rng.below(other.len() + 1);
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
        }
        9 if data.len() >= BLOCK_SIZE => {
            let block = rng.below(data.len() / BLOCK_SIZE) * BLOCK_SIZE;
            let copy = data[block..block + BLOCK_SIZE].to_vec();
            let to = rng.below(data.len() / BLOCK_SIZE + 1) * BLOCK_SIZE;
            data.splice(to..to, copy);
        }
        10 if data.len() >= BLOCK_SIZE => {
            let block = rng.below(data.len() / BLOCK_SIZE) * BLOCK_SIZE;
            data.drain(block..block + BLOCK_SIZE);
        }
        _ => {
            // Swap two bytes.
            let other = rng.below(data.len());
            data.swap(at, other);
        }
    }
}

/// Field offsets and lengths of a header block that hold numbers.
const NUMERIC_FIELDS: [(usize, usize); 11] = [
    (100, 8),  // mode
    (108, 8),  // uid
    (116, 8),  // gid
    (124, 12), // size
    (136, 12), // mtime
    (148, 8),  // checksum
    (329, 8),  // devmajor
    (337, 8),  // devminor
    (345, 12), // GNU atime
    (357, 12), // GNU ctime
    (476, 12), // STAR atime
];

/// The size field.
const SIZE_FIELD: (usize, usize) = (124, 12);

/// Offsets of the blocks of `tar` that look like headers, found by walking
/// it as a reader would (header, then content blocks by the size field).
pub fn header_offsets(tar: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut at = 0;
    while at + BLOCK_SIZE <= tar.len() {
        let block = &tar[at..at + BLOCK_SIZE];
        if block.iter().all(|&b| b == 0) {
            at += BLOCK_SIZE;
            continue;
        }
        offsets.push(at);
        let size = parse_numeric(&block[SIZE_FIELD.0..SIZE_FIELD.0 + SIZE_FIELD.1]).unwrap_or(0);
        let content = if is_header_only(block[156]) {
            0
        } else {
            u64::try_from(size).unwrap_or(0)
        };
        let blocks = content.div_ceil(BLOCK_SIZE as u64);
        match usize::try_from(blocks)
            .ok()
            .and_then(|blocks| blocks.checked_mul(BLOCK_SIZE))
            .and_then(|skip| at.checked_add(BLOCK_SIZE + skip))
        {
            Some(next) => at = next,
            None => break,
        }
    }
    offsets
}

/// Rewrites the checksum of every header block of `tar` to match.
pub fn fix_checksums(tar: &mut [u8]) {
    for at in header_offsets(tar) {
        let block: &mut [u8; BLOCK_SIZE] = (&mut tar[at..at + BLOCK_SIZE]).try_into().unwrap();
        set_checksum(block);
    }
}

/// Sets the checksum field of `block` to its unsigned sum, as GNU tar does.
pub fn set_checksum(block: &mut [u8; BLOCK_SIZE]) {
    let (unsigned, _) = checksums(block);
    block[148..156].copy_from_slice(format!("{unsigned:06o}\0 ").as_bytes());
}

/// An extreme or malformed value for a numeric field of `len` bytes.
pub fn extreme_numeric(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut field = vec![0u8; len];
    match rng.below(12) {
        // Largest octal value, NUL-terminated or filling the field.
        0 => field[..len - 1].fill(b'7'),
        1 => field.fill(b'7'),
        2 => field.fill(b' '),
        3 => {}
        // Base-256: largest positive, i64::MAX, overflow, -1, most negative.
        4 => {
            field.fill(0xff);
            field[0] = 0x80;
        }
        5 => {
            field[0] = 0x80;
            let start = len.saturating_sub(8);
            field[start..].fill(0xff);
            field[start] = 0x7f;
        }
        6 => {
            field[0] = 0x80;
            field[len.saturating_sub(8)] = 0x80;
        }
        7 => field.fill(0xff),
        8 => {
            field[0] = 0xc0;
            field[1..].fill(0);
        }
        // Not octal at all.
        9 => {
            let text = *rng.pick(&[&b"8"[..], b"-1", b"+1", b"1 2", b"0x10", b"\xff7", b"9999"]);
            field[..text.len().min(len)].copy_from_slice(&text[..text.len().min(len)]);
        }
        // Leading spaces and a plausible number.
        10 => {
            let text = format!("  {:o} ", rng.next_u64() % (1 << 30));
            let text = text.as_bytes();
            field[..text.len().min(len)].copy_from_slice(&text[..text.len().min(len)]);
        }
        _ => {
            for byte in &mut field {
                *byte = b'0' + rng.below(8) as u8;
            }
        }
    }
    field
}

/// Type flags worth trying, valid and not.
pub const TYPEFLAGS: [u8; 18] = [
    b'0', b'\0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'x', b'g', b'L', b'K', b'S', b'A',
    b'D', b'M', 0xff,
];

/// Applies 1 to 3 header-aware mutations to `tar` (numeric fields,
/// type flag, magic, names), then usually fixes every checksum.
pub fn mutate_tar(rng: &mut Rng, tar: &mut Vec<u8>, others: &[&[u8]]) {
    let headers = header_offsets(tar);
    if headers.is_empty() || rng.chance(1, 3) {
        mutate_bytes(rng, tar, others);
    }
    let headers = if headers.is_empty() {
        header_offsets(tar)
    } else {
        headers
    };
    for _ in 0..rng.between(1, 3) {
        let Some(&at) = headers.get(rng.below(headers.len().max(1))) else {
            break;
        };
        if at + BLOCK_SIZE > tar.len() {
            continue;
        }
        let block = &mut tar[at..at + BLOCK_SIZE];
        match rng.below(6) {
            0 | 1 => {
                let (start, len) = if rng.chance(1, 2) {
                    SIZE_FIELD
                } else {
                    *rng.pick(&NUMERIC_FIELDS)
                };
                let value = extreme_numeric(rng, len);
                block[start..start + len].copy_from_slice(&value);
            }
            2 => block[156] = *rng.pick(&TYPEFLAGS),
            3 => {
                let (magic, version): (&[u8], &[u8]) = *rng.pick(&[
                    (&b"ustar\0"[..], &b"00"[..]),
                    (b"ustar ", b" \0"),
                    (b"\0\0\0\0\0\0", b"\0\0"),
                    (b"ustar\0", b"\0\0"),
                ]);
                block[257..263].copy_from_slice(magic);
                block[263..265].copy_from_slice(version);
                if rng.chance(1, 4) {
                    block[508..512].copy_from_slice(b"tar\0");
                }
            }
            4 => {
                // Name, link name or prefix: unterminated, dot-dot, empty, whiteout.
                let (start, len) = *rng.pick(&[(0usize, 100usize), (157, 100), (345, 155)]);
                let value: Vec<u8> = match rng.below(5) {
                    0 => vec![b'a'; len],
                    1 => b"../../x".to_vec(),
                    2 => Vec::new(),
                    3 => b"d/.wh..wh..opq".to_vec(),
                    _ => rng.small_bytes(len),
                };
                block[start..start + len].fill(0);
                block[start..start + value.len()].copy_from_slice(&value);
            }
            _ => {
                // Copy another header's name here (a duplicate path).
                let other = headers[rng.below(headers.len())];
                if other + 100 <= tar.len() {
                    let name = tar[other..other + 100].to_vec();
                    tar[at..at + 100].copy_from_slice(&name);
                }
            }
        }
    }
    if rng.chance(7, 8) {
        fix_checksums(tar);
    }
}

/// Tokens to put in place of a JSON value.
pub const JSON_REPLACEMENTS: [&[u8]; 16] = [
    b"-1",
    b"0",
    b"3",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1e999",
    b"1.5",
    b"null",
    b"\"\"",
    b"\"!!!\"",
    b"\"YWJj\"",
    b"\"\\ud800\"",
    b"[]",
    b"{}",
    b"true",
];

/// Replaces one JSON value after a `:` with an odd token, nests a value
/// deeply, or repeats, drops or reorders a line.
pub fn mutate_json(rng: &mut Rng, data: &mut Vec<u8>) {
    let colons: Vec<usize> = data
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b':')
        .map(|(at, _)| at)
        .collect();
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    match rng.below(5) {
        4 if !colons.is_empty() => {
            // Wrap the value in up to 200 arrays (past serde_json's
            // recursion limit of 128).
            let at = colons[rng.below(colons.len())] + 1;
            let end = data[at..]
                .iter()
                .position(|&b| b == b',' || b == b'}')
                .map_or(data.len(), |len| at + len);
            let depth = rng.between(1, 200);
            data.splice(end..end, std::iter::repeat_n(b']', depth));
            data.splice(at..at, std::iter::repeat_n(b'[', depth));
        }
        0 | 1 if !colons.is_empty() => {
            let start = colons[rng.below(colons.len())] + 1;
            let end = data[start..]
                .iter()
                .position(|&b| b == b',' || b == b'}')
                .map_or(data.len(), |len| start + len);
            let token = rng.pick(&JSON_REPLACEMENTS).to_vec();
            data.splice(start..end, token);
        }
        2 if !lines.is_empty() => {
            let line = lines[rng.below(lines.len())].to_vec();
            let to = rng.below(lines.len());
            let mut out: Vec<u8> = lines[..to].concat();
            out.extend_from_slice(&line);
            out.extend(lines[to..].concat());
            *data = out;
        }
        _ if lines.len() > 1 => {
            let mut lines: Vec<Vec<u8>> = lines.into_iter().map(<[u8]>::to_vec).collect();
            let drop = rng.below(lines.len());
            let line = lines.remove(drop);
            if rng.chance(1, 2) {
                let to = rng.below(lines.len() + 1);
                lines.insert(to, line);
            }
            *data = lines.concat();
        }
        _ => {}
    }
}
