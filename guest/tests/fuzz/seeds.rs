//! Seeds: the archive fixtures (real GNU tar output), and valid tars
//! generated here member by member (ustar, GNU and V7 headers, PAX
//! records, GNU long names and links, the ustar prefix, base-256 numbers,
//! hard links, symlinks, devices, whiteouts, global headers, the old NUL
//! type flag, header-only types with a size, trailing data), each with the
//! members a reader must find in it.

use crate::harness::Rng;
use crate::mutate::set_checksum;
use graphstore_guest::archive::BLOCK_SIZE;
use graphstore_guest::archive::path::is_whiteout;
use std::collections::{BTreeMap, BTreeSet};

/// A fixture file under `guest/tests/fixtures/archive`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/archive/",
            $name
        ))
        .as_slice()
    };
}
pub(crate) use fixture;

/// The real tar fixtures (see the fixtures' README).
pub fn fixture_tars() -> Vec<&'static [u8]> {
    vec![
        fixture!("gnu.tar"),
        fixture!("pax.tar"),
        fixture!("ustar.tar"),
        fixture!("gnu-b1.tar"),
        fixture!("paxglobal.tar"),
        fixture!("names.tar"),
        fixture!("dup.tar"),
    ]
}

/// How a header block is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Ustar,
    Gnu,
    V7,
}

/// How a name longer than the name field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LongNames {
    Gnu,
    Pax,
}

/// What a reader must report for one generated member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The type flag after the old NUL flag is resolved.
    pub typeflag: u8,
    /// The full name.
    pub path: Vec<u8>,
    /// The full link target.
    pub link_target: Vec<u8>,
    /// Owner and group IDs.
    pub uid: i64,
    /// Group ID.
    pub gid: i64,
    /// The size (header or PAX).
    pub size: i64,
    /// The content that follows the header.
    pub content: Vec<u8>,
    /// Extended attributes from PAX records.
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// A generated tar and what it holds.
#[derive(Debug, Clone)]
pub struct GeneratedTar {
    /// The archive.
    pub bytes: Vec<u8>,
    /// Its members in order.
    pub members: Vec<Expected>,
}

impl GeneratedTar {
    /// The `uidset` a disassembly must report.
    pub fn uids(&self) -> Vec<u32> {
        self.id_set(|member| member.uid)
    }

    /// The `gidset` a disassembly must report.
    pub fn gids(&self) -> Vec<u32> {
        self.id_set(|member| member.gid)
    }

    fn id_set(&self, id: impl Fn(&Expected) -> i64) -> Vec<u32> {
        let set: BTreeSet<u32> = self
            .members
            .iter()
            .filter(|member| !is_whiteout(&member.path))
            .map(|member| id(member) as u32)
            .collect();
        set.into_iter().collect()
    }
}

/// Characters for generated names: plain, spaces, HTML-escaped by Go's
/// JSON, non-ASCII UTF-8 and bytes that are not UTF-8.
const NAME_PIECES: [&[u8]; 12] = [
    b"a",
    b"file",
    b"x.txt",
    b" ",
    b"<&>",
    "ü".as_bytes(),
    "\u{2028}".as_bytes(),
    b"\xff\xfe",
    b".",
    b"-",
    b"0",
    b"\"q\\",
];

/// A tar of 0 to 8 random valid members.
pub fn generate_tar(rng: &mut Rng) -> GeneratedTar {
    let mut out = Vec::new();
    let mut members = Vec::new();
    let count = rng.below(9);
    for index in 0..count {
        let member = generate_member(rng, index, &mut out, &members);
        members.push(member);
    }
    out.extend_from_slice(&[0; 2 * BLOCK_SIZE]);
    match rng.below(4) {
        // Pad to a 10240-byte record as tar does.
        0 => out.resize(out.len().div_ceil(10240) * 10240, 0),
        // Data after the end-of-archive marker is kept in the tar-split.
        1 => {
            let len = rng.small_len(3000);
            out.extend(rng.bytes(len));
        }
        _ => {}
    }
    GeneratedTar {
        bytes: out,
        members,
    }
}

fn generate_member(
    rng: &mut Rng,
    index: usize,
    out: &mut Vec<u8>,
    earlier: &[Expected],
) -> Expected {
    let format = *rng.pick(&[Format::Ustar, Format::Ustar, Format::Gnu, Format::V7]);
    let long_names = if rng.chance(1, 2) {
        LongNames::Gnu
    } else {
        LongNames::Pax
    };
    let typeflag = *rng.pick(b"000\x001234567g");
    let global = typeflag == b'g';
    let mut path = if global {
        format!("{index}-global").into_bytes()
    } else {
        random_path(rng, index)
    };
    if typeflag == b'5' || (typeflag == b'\0' && rng.chance(1, 4)) {
        path.push(b'/');
    }
    let link_target = match typeflag {
        b'1' if !earlier.is_empty() => earlier[rng.below(earlier.len())].path.clone(),
        b'1' | b'2' => {
            let index = rng.below(1000);
            random_path(rng, index)
        }
        _ => Vec::new(),
    };
    let header_only = matches!(typeflag, b'1'..=b'6');
    let content_len = if header_only || path.ends_with(b"/") && typeflag == b'\0' {
        0
    } else if rng.chance(1, 16) {
        rng.between(32 * 1024, 70 * 1024)
    } else {
        rng.small_len(2000)
    };
    let content = rng.bytes(content_len);
    // Header-only types may carry a size field without content.
    let size = if header_only && rng.chance(1, 4) {
        rng.between(1, 5000) as i64
    } else {
        content_len as i64
    };
    let mut uid = *rng.pick(&[0i64, 0, 1000, 65534, 7]);
    let mut gid = *rng.pick(&[0i64, 0, 100, 2000]);
    if rng.chance(1, 8) {
        // Only base-256 can hold these in the header.
        uid = 1 << 40 | rng.below(1000) as i64;
    }

    let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut pax_size = None;
    if format != Format::V7 && rng.chance(1, 3) {
        for _ in 0..rng.between(1, 4) {
            match rng.below(7) {
                0 => {
                    let name = format!("user.k{}", rng.below(5));
                    let value = rng.small_bytes(40);
                    pax.push((format!("SCHILY.xattr.{name}").into_bytes(), value));
                }
                1 => {
                    gid = rng.below(1 << 31) as i64 * 8;
                    pax.push((b"gid".to_vec(), gid.to_string().into_bytes()));
                }
                2 => pax.push((b"mtime".to_vec(), b"1672628645.123456789".to_vec())),
                3 => pax.push((b"comment".to_vec(), rng.small_bytes(100))),
                4 => pax.push((b"uname".to_vec(), b"someone".to_vec())),
                5 if !header_only => pax_size = Some(content_len as i64),
                _ => pax.push((b"atime".to_vec(), b"-1.5".to_vec())),
            }
        }
    }
    // A record for each key, as a writer would make (later ones win anyway).
    pax.sort();
    pax.dedup_by(|a, b| a.0 == b.0);
    // Records with empty values are ignored by readers (Go's `mergePAX`).
    let xattrs: BTreeMap<Vec<u8>, Vec<u8>> = pax
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .filter_map(|(key, value)| {
            let name = key.strip_prefix(b"SCHILY.xattr.")?;
            Some((name.to_vec(), value.clone()))
        })
        .collect();
    if let Some(size) = pax_size {
        pax.push((b"size".to_vec(), size.to_string().into_bytes()));
    }

    let mut name_field = path.clone();
    let mut prefix_field = Vec::new();
    if path.len() > 100 {
        let split = (format == Format::Ustar && rng.chance(1, 2))
            .then(|| ustar_split(&path))
            .flatten();
        match (split, long_names) {
            (Some(at), _) => {
                prefix_field = path[..at].to_vec();
                name_field = path[at + 1..].to_vec();
            }
            (None, LongNames::Gnu) => {
                let mut data = path.clone();
                data.push(0);
                write_extension(out, b'L', &data);
                name_field.truncate(100);
            }
            (None, LongNames::Pax) => {
                pax.push((b"path".to_vec(), path.clone()));
                name_field.truncate(100);
            }
        }
    }
    let mut link_field = link_target.clone();
    if link_target.len() > 100 {
        if long_names == LongNames::Gnu {
            let mut data = link_target.clone();
            data.push(0);
            write_extension(out, b'K', &data);
        } else {
            pax.push((b"linkpath".to_vec(), link_target.clone()));
        }
        link_field.truncate(100);
    }
    if !pax.is_empty() && typeflag != b'g' {
        write_extension(out, b'x', &pax_records(&pax));
    }

    let mut block = [0u8; BLOCK_SIZE];
    block[..name_field.len()].copy_from_slice(&name_field);
    put_number(&mut block[100..108], 0o644);
    put_number(&mut block[108..116], uid);
    put_number(
        &mut block[116..124],
        if pax.iter().any(|(k, _)| k == b"gid") {
            0
        } else {
            gid
        },
    );
    let header_size = match (global, pax_size) {
        (true, _) => pax_records(&pax).len() as i64,
        (false, Some(_)) => 0,
        (false, None) => size,
    };
    put_number(&mut block[124..136], header_size);
    put_number(&mut block[136..148], 1_672_628_645);
    block[156] = typeflag;
    block[157..157 + link_field.len()].copy_from_slice(&link_field);
    match format {
        Format::Ustar => {
            block[257..263].copy_from_slice(b"ustar\0");
            block[263..265].copy_from_slice(b"00");
            block[345..345 + prefix_field.len()].copy_from_slice(&prefix_field);
        }
        Format::Gnu => {
            block[257..263].copy_from_slice(b"ustar ");
            block[263..265].copy_from_slice(b" \0");
        }
        Format::V7 => {}
    }
    if format != Format::V7 {
        block[265..265 + 4].copy_from_slice(b"root");
        block[297..297 + 4].copy_from_slice(b"root");
        put_number(&mut block[329..337], rng.below(300) as i64);
        put_number(&mut block[337..345], rng.below(300) as i64);
    }
    set_checksum(&mut block);
    out.extend_from_slice(&block);
    if global {
        let data = pax_records(&pax);
        out.extend_from_slice(&data);
        pad(out);
        return Expected {
            typeflag,
            path: name_field,
            link_target: Vec::new(),
            uid: 0,
            gid: 0,
            size: 0,
            content: Vec::new(),
            xattrs,
        };
    }
    out.extend_from_slice(&content);
    pad(out);
    let resolved = match typeflag {
        b'\0' if path.ends_with(b"/") => b'5',
        b'\0' => b'0',
        other => other,
    };
    let gid = pax
        .iter()
        .find(|(key, _)| key == b"gid")
        .map_or(gid, |(_, value)| {
            std::str::from_utf8(value).unwrap().parse().unwrap()
        });
    Expected {
        typeflag: resolved,
        path,
        link_target,
        uid,
        gid,
        size,
        content,
        xattrs,
    }
}

/// A name unique among the archive's members (its last component starts
/// with the member's index), sometimes longer than the name field.
fn random_path(rng: &mut Rng, index: usize) -> Vec<u8> {
    let mut path = rng
        .pick(&[&b""[..], b"./", b"a/", b"a/b/", b"./etc/"])
        .to_vec();
    if rng.chance(1, 6) {
        for _ in 0..rng.between(1, 6) {
            path.extend_from_slice(&vec![b'd'; rng.between(1, 60)]);
            path.push(b'/');
        }
    }
    if rng.chance(1, 8) {
        path.extend_from_slice(b".wh.");
    }
    path.extend_from_slice(format!("{index}-").as_bytes());
    for _ in 0..rng.small_len(12) {
        let piece: &&[u8] = rng.pick(&NAME_PIECES);
        path.extend_from_slice(piece);
    }
    if rng.chance(1, 10) {
        path.extend_from_slice(&vec![b'n'; rng.between(90, 200)]);
    }
    path
}

/// Where `path` can be split into a ustar prefix (≤ 155) and name (≤ 100).
fn ustar_split(path: &[u8]) -> Option<usize> {
    (1..path.len().min(156))
        .rev()
        .find(|&at| path[at] == b'/' && path.len() - at - 1 <= 100 && path.len() - at > 1)
}

/// Writes an extension header (`x`, `L`, `K`) carrying `data`.
fn write_extension(out: &mut Vec<u8>, typeflag: u8, data: &[u8]) {
    let mut block = [0u8; BLOCK_SIZE];
    let name = b"././@LongLink";
    block[..name.len()].copy_from_slice(name);
    put_number(&mut block[100..108], 0o644);
    put_number(&mut block[124..136], data.len() as i64);
    block[156] = typeflag;
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    set_checksum(&mut block);
    out.extend_from_slice(&block);
    out.extend_from_slice(data);
    pad(out);
}

/// PAX records (`"%d %s=%s\n"`, the length counting its own digits).
pub fn pax_records(records: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut data = Vec::new();
    for (key, value) in records {
        data.extend_from_slice(&pax_record(key, value));
    }
    data
}

/// One PAX record.
pub fn pax_record(key: &[u8], value: &[u8]) -> Vec<u8> {
    let base = key.len() + value.len() + 3;
    let mut len = base + 1;
    while base + len.to_string().len() != len {
        len = base + len.to_string().len();
    }
    [len.to_string().as_bytes(), b" ", key, b"=", value, b"\n"].concat()
}

/// A numeric field: NUL-terminated octal if it fits, else GNU base-256.
pub fn put_number(field: &mut [u8], value: i64) {
    let octal = format!("{value:o}");
    if value >= 0 && octal.len() < field.len() {
        let end = field.len() - 1;
        let start = end - octal.len();
        field[..start].fill(b'0');
        field[start..end].copy_from_slice(octal.as_bytes());
        field[end] = 0;
    } else {
        let bytes = value.to_be_bytes();
        let fill = if value < 0 { 0xff } else { 0 };
        field.fill(fill);
        let len = field.len();
        let take = bytes.len().min(len);
        field[len - take..].copy_from_slice(&bytes[bytes.len() - take..]);
        field[0] |= 0x80;
    }
}

/// Zero padding to the next block boundary.
fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().div_ceil(BLOCK_SIZE) * BLOCK_SIZE, 0);
}
