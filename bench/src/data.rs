//! Deterministic layer data: a distro-like tree (nested directories, mostly
//! small files, a few of several MiB, some symlinks) planned from a seed and
//! written as a ustar archive that is byte-for-byte the same for the same
//! [`LayerSpec`]. No downloads, no dependence on the host's files.

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LayerSpec {
    /// Number of regular files.
    pub files: usize,
    /// Total size of the regular files' contents.
    pub total_bytes: u64,
    /// PRNG seed: the same seed gives the same tree and the same tar bytes.
    pub seed: u64,
}

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(PER_MILLE) < per_mille
    }
}

/// Denominator of the probabilities below.
const PER_MILLE: u64 = 1000;
/// Directories every tree starts with (parents before children).
const TOP_LEVEL_DIRS: &[&str] = &[
    "bin",
    "etc",
    "lib",
    "opt",
    "sbin",
    "usr",
    "usr/bin",
    "usr/lib",
    "usr/share",
    "var",
    "var/lib",
];
/// Chance that a file goes into a brand-new subdirectory.
const NEW_DIR_PER_MILLE: u64 = 80;
/// Deepest directory nesting below a top-level directory.
const MAX_DEPTH: usize = 6;
/// Chance that a file also gets a symlink pointing at it.
const SYMLINK_PER_MILLE: u64 = 30;
/// Chance that a file is text (configuration, scripts, docs).
const TEXT_PER_MILLE: u64 = 500;
/// Chance that a binary file is executable.
const EXECUTABLE_PER_MILLE: u64 = 300;
/// File size classes: (chance per mille, smallest and largest power of two).
/// Sizes are log-uniform within a class; most files are small, a few reach
/// several MiB, as in a distro image. They are then scaled to the total.
const SIZE_CLASSES: &[(u64, u32, u32)] = &[(760, 2, 12), (215, 12, 16), (23, 16, 20), (2, 20, 22)];
/// File name extensions of text and binary files.
const TEXT_EXTENSIONS: &[&str] = &["conf", "txt", "py", "h", "sh"];
const BINARY_EXTENSIONS: &[&str] = &["so", "bin", "a", "mo"];
/// Words text files are made of.
const VOCABULARY: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "for", "that", "with", "as", "config", "value", "path",
    "return", "if", "else", "static", "const", "struct", "int", "char", "void", "include",
    "define", "usr", "lib", "share", "option", "enable", "disable", "default", "license",
    "version", "library", "package", "install", "error", "warning", "function", "module", "import",
    "from", "self", "none", "true", "false", "while", "buffer", "length", "size", "#", "=", "{",
    "}", "(", ")", ";", "0", "1", "2", "16", "255", "4096", "0x7f",
];
/// Chance that a separator between words is a newline rather than a space.
const NEWLINE_PER_MILLE: u64 = 120;
/// Binary content alternates zero runs and random runs of up to this many bytes.
const MAX_BINARY_RUN: u64 = 512;
/// Chance that a binary run is zeros (ELF files are full of them).
const ZERO_RUN_PER_MILLE: u64 = 400;

/// Modification time of every entry (2023-01-01T00:00:00Z).
const MTIME: u64 = 1_672_531_200;
const DIR_MODE: u32 = 0o755;
const FILE_MODE: u32 = 0o644;
const EXECUTABLE_MODE: u32 = 0o755;
const SYMLINK_MODE: u32 = 0o777;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A directory.
    Directory,
    /// A regular file whose content is generated from `content_seed`.
    File {
        /// Content length.
        size: u64,
        /// Seed of the content generator.
        content_seed: u64,
        /// Words rather than binary-looking bytes.
        text: bool,
    },
    /// A symbolic link.
    Symlink {
        /// Where it points (relative to its directory).
        target: String,
    },
}

/// One tar entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the layer root, without a trailing slash.
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    /// Directory, file or symlink.
    pub kind: Kind,
}

/// Plans the tree for `spec`: directories, files and symlinks, sorted by
/// path (so parents precede their contents).
pub fn plan_tree(spec: &LayerSpec) -> Vec<Entry> {
    let mut rng = Rng::new(spec.seed);
    let mut dirs: Vec<(String, usize)> = TOP_LEVEL_DIRS
        .iter()
        .map(|dir| (dir.to_string(), dir.matches('/').count()))
        .collect();
    let mut files = Vec::with_capacity(spec.files);
    let mut symlinks = Vec::new();
    for index in 0..spec.files {
        let mut dir = rng.below(dirs.len() as u64) as usize;
        if rng.chance(NEW_DIR_PER_MILLE) && dirs[dir].1 < MAX_DEPTH {
            let (parent, depth) = dirs[dir].clone();
            dirs.push((format!("{parent}/d{:04}", dirs.len()), depth + 1));
            dir = dirs.len() - 1;
        }
        let text = rng.chance(TEXT_PER_MILLE);
        let extensions = if text {
            TEXT_EXTENSIONS
        } else {
            BINARY_EXTENSIONS
        };
        let extension = extensions[rng.below(extensions.len() as u64) as usize];
        let mode = if !text && rng.chance(EXECUTABLE_PER_MILLE) {
            EXECUTABLE_MODE
        } else {
            FILE_MODE
        };
        let name = format!("f{index:05}.{extension}");
        let size = draw_size(&mut rng);
        let content_seed = rng.next_u64();
        if rng.chance(SYMLINK_PER_MILLE) {
            symlinks.push(Entry {
                path: format!("{}/l{index:05}", dirs[dir].0),
                mode: SYMLINK_MODE,
                kind: Kind::Symlink {
                    target: name.clone(),
                },
            });
        }
        files.push(Entry {
            path: format!("{}/{name}", dirs[dir].0),
            mode,
            kind: Kind::File {
                size,
                content_seed,
                text,
            },
        });
    }
    scale_sizes(&mut files, spec.total_bytes);
    let mut entries: Vec<Entry> = dirs
        .into_iter()
        .map(|(path, _)| Entry {
            path,
            mode: DIR_MODE,
            kind: Kind::Directory,
        })
        .chain(files)
        .chain(symlinks)
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    entries
}

/// A file size drawn from [`SIZE_CLASSES`].
fn draw_size(rng: &mut Rng) -> u64 {
    let mut pick = rng.below(PER_MILLE);
    let &(_, low, high) = SIZE_CLASSES
        .iter()
        .find(|(chance, _, _)| {
            let found = pick < *chance;
            pick = pick.saturating_sub(*chance);
            found
        })
        .unwrap_or(&SIZE_CLASSES[0]);
    let power = 1u64 << (low + rng.below(u64::from(high - low)) as u32);
    power + rng.below(power)
}

/// Scales the files' sizes so that they add up to exactly `total`.
fn scale_sizes(files: &mut [Entry], total: u64) {
    let sizes = || {
        files.iter().map(|entry| match entry.kind {
            Kind::File { size, .. } => size,
            _ => 0,
        })
    };
    let drawn: u64 = sizes().sum();
    if drawn == 0 {
        return;
    }
    let mut assigned = 0;
    for entry in files.iter_mut() {
        if let Kind::File { size, .. } = &mut entry.kind {
            *size = (u128::from(*size) * u128::from(total) / u128::from(drawn)) as u64;
            assigned += *size;
        }
    }
    // Rounding left a few bytes over: give them to the first file.
    if let Some(Kind::File { size, .. }) = files.first_mut().map(|entry| &mut entry.kind) {
        *size += total - assigned;
    }
}

/// Fills `buffer` with the `size` content bytes of a file.
fn fill_content(buffer: &mut Vec<u8>, size: u64, content_seed: u64, text: bool) {
    let size = usize::try_from(size).expect("file sizes fit in memory");
    let mut rng = Rng::new(content_seed);
    buffer.clear();
    while buffer.len() < size {
        if text {
            let word = VOCABULARY[rng.below(VOCABULARY.len() as u64) as usize];
            buffer.extend_from_slice(word.as_bytes());
            buffer.push(if rng.chance(NEWLINE_PER_MILLE) {
                b'\n'
            } else {
                b' '
            });
        } else {
            let run = 1 + rng.below(MAX_BINARY_RUN) as usize;
            if rng.chance(ZERO_RUN_PER_MILLE) {
                buffer.resize(buffer.len() + run, 0);
            } else {
                for _ in 0..run.div_ceil(8) {
                    buffer.extend_from_slice(&rng.next_u64().to_le_bytes());
                }
            }
        }
    }
    buffer.truncate(size);
}

/// Size of a tar block.
const BLOCK: usize = 512;
/// Longest path a plain ustar header holds.
const MAX_NAME: usize = 100;

/// A ustar header for `entry`.
fn header(entry: &Entry) -> io::Result<[u8; BLOCK]> {
    let mut name = entry.path.clone();
    let (type_flag, size, link) = match &entry.kind {
        Kind::Directory => {
            name.push('/');
            (b'5', 0, "")
        }
        Kind::File { size, .. } => (b'0', *size, ""),
        Kind::Symlink { target } => (b'2', 0, target.as_str()),
    };
    if name.len() > MAX_NAME || link.len() > MAX_NAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name}: path too long for a ustar header"),
        ));
    }
    let mut block = [0u8; BLOCK];
    let mut put = |offset: usize, bytes: &[u8]| {
        block[offset..offset + bytes.len()].copy_from_slice(bytes);
    };
    put(0, name.as_bytes());
    put(100, format!("{:07o}\0", entry.mode).as_bytes());
    put(108, b"0000000\0"); // uid
    put(116, b"0000000\0"); // gid
    put(124, format!("{size:011o}\0").as_bytes());
    put(136, format!("{MTIME:011o}\0").as_bytes());
    put(148, b"        "); // checksum placeholder
    put(156, &[type_flag]);
    put(157, link.as_bytes());
    put(257, b"ustar\0");
    put(263, b"00");
    put(265, b"root");
    put(297, b"root");
    put(329, b"0000000\0"); // devmajor
    put(337, b"0000000\0"); // devminor
    let checksum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    block[148..156].copy_from_slice(format!("{checksum:06o}\0 ").as_bytes());
    Ok(block)
}

/// Writes `entries` as a ustar archive to `out`; returns the bytes written.
pub fn write_tar(entries: &[Entry], out: &mut impl Write) -> io::Result<u64> {
    let mut written = 0u64;
    let mut content = Vec::new();
    for entry in entries {
        out.write_all(&header(entry)?)?;
        written += BLOCK as u64;
        if let Kind::File {
            size,
            content_seed,
            text,
        } = entry.kind
        {
            fill_content(&mut content, size, content_seed, text);
            let padding = (BLOCK - content.len() % BLOCK) % BLOCK;
            content.resize(content.len() + padding, 0);
            out.write_all(&content)?;
            written += content.len() as u64;
        }
    }
    // The end-of-archive marker: two zero blocks.
    out.write_all(&[0u8; 2 * BLOCK])?;
    Ok(written + 2 * BLOCK as u64)
}

/// Passes writes through while hashing them with SHA-256.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `entries` as a ustar archive to `out` (then flushes it); returns
/// the archive's size and its `sha256:<hex>` digest.
pub fn write_tar_hashed(entries: &[Entry], out: impl Write) -> io::Result<(u64, String)> {
    let mut out = HashingWriter {
        inner: out,
        hasher: Sha256::new(),
    };
    let size = write_tar(entries, &mut out)?;
    out.flush()?;
    Ok((
        size,
        format!("sha256:{}", hex::encode(out.hasher.finalize())),
    ))
}

/// The generated files of one layer and what they hold.
#[derive(Debug, Clone, Serialize)]
pub struct LayerData {
    /// What was generated.
    pub spec: LayerSpec,
    /// The tar archive.
    pub tar: PathBuf,
    /// The same archive, gzip-compressed.
    pub tar_gz: PathBuf,
    /// The same archive, zstd-compressed (the `zstd` CLI, default level).
    pub tar_zst: PathBuf,
    /// Size of the tar archive.
    pub tar_bytes: u64,
    /// Size of the gzip-compressed archive.
    pub tar_gz_bytes: u64,
    /// Size of the zstd-compressed archive.
    pub tar_zst_bytes: u64,
    /// `sha256:<hex>` of the tar archive.
    pub tar_digest: String,
    /// Regular files, directories and symlinks in the archive.
    pub files: usize,
    /// Directories in the archive.
    pub directories: usize,
    /// Symlinks in the archive.
    pub symlinks: usize,
}

/// Writes `layer.tar`, `layer.tar.gz` and `layer.tar.zst` for `spec` into
/// `dir`.
pub fn generate(spec: &LayerSpec, dir: &Path) -> io::Result<LayerData> {
    let entries = plan_tree(spec);
    let tar = dir.join("layer.tar");
    let tar_gz = dir.join("layer.tar.gz");
    let (tar_bytes, tar_digest) = write_tar_hashed(&entries, BufWriter::new(File::create(&tar)?))?;
    let mut encoder = GzEncoder::new(
        BufWriter::new(File::create(&tar_gz)?),
        Compression::default(),
    );
    io::copy(&mut File::open(&tar)?, &mut encoder)?;
    encoder.finish()?.flush()?;
    let tar_zst = dir.join("layer.tar.zst");
    zstd_compress(&tar, &tar_zst)?;
    let count = |wanted: fn(&Kind) -> bool| entries.iter().filter(|e| wanted(&e.kind)).count();
    Ok(LayerData {
        spec: *spec,
        tar_gz_bytes: std::fs::metadata(&tar_gz)?.len(),
        tar_zst_bytes: std::fs::metadata(&tar_zst)?.len(),
        tar,
        tar_gz,
        tar_zst,
        tar_bytes,
        tar_digest,
        files: count(|kind| matches!(kind, Kind::File { .. })),
        directories: count(|kind| matches!(kind, Kind::Directory)),
        symlinks: count(|kind| matches!(kind, Kind::Symlink { .. })),
    })
}

/// Compresses `from` into `to` with the `zstd` CLI at its default level,
/// as images are usually compressed.
fn zstd_compress(from: &Path, to: &Path) -> io::Result<()> {
    let status = std::process::Command::new("zstd")
        .args(["-q", "-f", "-o"])
        .arg(to)
        .arg(from)
        .status()
        .map_err(|err| io::Error::new(err.kind(), format!("running zstd: {err}")))?;
    if !status.success() {
        return Err(io::Error::other(format!("zstd failed: {status}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: LayerSpec = LayerSpec {
        files: 300,
        total_bytes: 512 * 1024,
        seed: 42,
    };

    fn tar_digest(entries: &[Entry]) -> io::Result<String> {
        write_tar_hashed(entries, io::sink()).map(|(_, digest)| digest)
    }

    #[test]
    fn same_seed_gives_the_same_tar_bytes() {
        let first = tar_digest(&plan_tree(&SMALL)).unwrap();
        let second = tar_digest(&plan_tree(&SMALL)).unwrap();
        assert_eq!(first, second);
    }

    /// Changing the generator changes every benchmark's input: do it on
    /// purpose only, and update this digest with it.
    #[test]
    fn generator_output_is_pinned() {
        assert_eq!(
            tar_digest(&plan_tree(&SMALL)).unwrap(),
            "sha256:589a092978dd29262dfa4502d1a993bb2d309bf1d4e85486e5c26edddfdaf0cd"
        );
    }

    #[test]
    fn another_seed_gives_other_bytes() {
        let other = LayerSpec { seed: 43, ..SMALL };
        assert_ne!(
            tar_digest(&plan_tree(&SMALL)).unwrap(),
            tar_digest(&plan_tree(&other)).unwrap()
        );
    }

    #[test]
    fn tree_has_the_requested_files_and_bytes() {
        let entries = plan_tree(&SMALL);
        let sizes: Vec<u64> = entries
            .iter()
            .filter_map(|e| match e.kind {
                Kind::File { size, .. } => Some(size),
                _ => None,
            })
            .collect();
        assert_eq!(sizes.len(), SMALL.files);
        assert_eq!(sizes.iter().sum::<u64>(), SMALL.total_bytes);
        // Mostly small files, as in a distro image.
        let small = sizes.iter().filter(|&&s| s < 4096).count();
        assert!(small * 2 > sizes.len(), "{small} of {} small", sizes.len());
        assert!(
            entries
                .iter()
                .any(|e| e.kind == Kind::Directory && e.path.contains("/d"))
        );
    }

    #[test]
    fn parents_come_before_their_contents() {
        let entries = plan_tree(&SMALL);
        let mut seen = std::collections::HashSet::new();
        for entry in &entries {
            if let Some((parent, _)) = entry.path.rsplit_once('/') {
                assert!(seen.contains(parent), "{} before {parent}", entry.path);
            }
            if entry.kind == Kind::Directory {
                seen.insert(entry.path.as_str());
            }
        }
    }

    /// Walks the archive's headers, checking checksums and sizes.
    #[test]
    fn archive_is_well_formed_ustar() {
        let entries = plan_tree(&SMALL);
        let mut bytes = Vec::new();
        let length = write_tar(&entries, &mut bytes).unwrap();
        assert_eq!(length, bytes.len() as u64);
        assert_eq!(bytes.len() % BLOCK, 0);
        let octal = |field: &[u8]| {
            let text = std::str::from_utf8(field).unwrap();
            u64::from_str_radix(text.trim_matches(|c| c == '\0' || c == ' '), 8).unwrap()
        };
        let mut offset = 0;
        let mut headers = 0;
        while bytes[offset..offset + BLOCK].iter().any(|&b| b != 0) {
            let block = &bytes[offset..offset + BLOCK];
            let mut unsigned: u64 = block.iter().map(|&b| u64::from(b)).sum();
            unsigned -= block[148..156].iter().map(|&b| u64::from(b)).sum::<u64>();
            unsigned += 8 * u64::from(b' ');
            assert_eq!(octal(&block[148..156]), unsigned);
            assert_eq!(&block[257..263], b"ustar\0");
            let size = octal(&block[124..136]) as usize;
            offset += BLOCK + size.div_ceil(BLOCK) * BLOCK;
            headers += 1;
        }
        assert_eq!(headers, entries.len());
        assert_eq!(offset + 2 * BLOCK, bytes.len());
    }

    #[test]
    fn rng_is_the_reference_splitmix64() {
        // First output of SplitMix64 seeded with 0.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
        let mut rng = Rng::new(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
    }
}
