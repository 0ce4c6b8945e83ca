//! One 512-byte tar header block, decoded as Go's `archive/tar` reader
//! (the copy tar-split vendors) decodes it: checksum and magic decide the
//! format (V7, USTAR/PAX, GNU, STAR), numeric fields are octal or GNU
//! base-256, the USTAR/STAR prefix is joined onto the name. No I/O.

/// Size of a tar block; headers are one block, content is padded to blocks.
pub const BLOCK_SIZE: usize = 512;

/// Largest PAX or GNU long-name/long-link content accepted (Go's later
/// `maxSpecialFileSize`); bigger ones are rejected rather than buffered.
pub const MAX_EXTENSION_SIZE: u64 = 1 << 20;

/// A raw header block.
pub type Block = [u8; BLOCK_SIZE];

/// Type flags with special meaning to the reader.
pub mod typeflag {
    /// Regular file.
    pub const REGULAR: u8 = b'0';
    /// Regular file, pre-POSIX spelling; a directory if the name ends in `/`.
    pub const REGULAR_OLD: u8 = b'\0';
    /// Hard link.
    pub const HARD_LINK: u8 = b'1';
    /// Symbolic link.
    pub const SYMLINK: u8 = b'2';
    /// Character device.
    pub const CHAR_DEVICE: u8 = b'3';
    /// Block device.
    pub const BLOCK_DEVICE: u8 = b'4';
    /// Directory.
    pub const DIRECTORY: u8 = b'5';
    /// FIFO.
    pub const FIFO: u8 = b'6';
    /// PAX extended header for the next member.
    pub const PAX: u8 = b'x';
    /// PAX global extended header.
    pub const PAX_GLOBAL: u8 = b'g';
    /// GNU long name for the next member.
    pub const GNU_LONG_NAME: u8 = b'L';
    /// GNU long link target for the next member.
    pub const GNU_LONG_LINK: u8 = b'K';
    /// Old GNU sparse file.
    pub const GNU_SPARSE: u8 = b'S';
}

// Field offsets and lengths (POSIX ustar, GNU and STAR layouts).
const NAME: (usize, usize) = (0, 100);
const MODE: (usize, usize) = (100, 8);
const UID: (usize, usize) = (108, 8);
const GID: (usize, usize) = (116, 8);
const SIZE: (usize, usize) = (124, 12);
const MTIME: (usize, usize) = (136, 12);
const CHECKSUM: (usize, usize) = (148, 8);
const TYPEFLAG: usize = 156;
const LINKNAME: (usize, usize) = (157, 100);
const MAGIC: (usize, usize) = (257, 6);
const VERSION: (usize, usize) = (263, 2);
const UNAME: (usize, usize) = (265, 32);
const GNAME: (usize, usize) = (297, 32);
const DEVMAJOR: (usize, usize) = (329, 8);
const DEVMINOR: (usize, usize) = (337, 8);
const USTAR_PREFIX: (usize, usize) = (345, 155);
const GNU_ATIME: (usize, usize) = (345, 12);
const GNU_CTIME: (usize, usize) = (357, 12);
const STAR_PREFIX: (usize, usize) = (345, 131);
const STAR_ATIME: (usize, usize) = (476, 12);
const STAR_CTIME: (usize, usize) = (488, 12);
const STAR_TRAILER: (usize, usize) = (508, 4);

const MAGIC_USTAR: &[u8] = b"ustar\0";
const MAGIC_GNU: &[u8] = b"ustar ";
const VERSION_GNU: &[u8] = b" \0";
const TRAILER_STAR: &[u8] = b"tar\0";

/// The layout a header block uses, from its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockFormat {
    /// Unix V7: no magic, no user/group names.
    V7,
    /// POSIX ustar (also the base of PAX archives).
    Ustar,
    /// GNU tar's own format.
    Gnu,
    /// Schily's STAR format.
    Star,
}

/// The fields of one header block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlock {
    /// Layout of the block.
    pub format: BlockFormat,
    /// Type flag byte.
    pub typeflag: u8,
    /// Name, with the prefix joined on where the format has one.
    pub name: Vec<u8>,
    /// Link target.
    pub linkname: Vec<u8>,
    /// Size field (may be negative in base-256).
    pub size: i64,
    /// Mode bits.
    pub mode: i64,
    /// Owner ID.
    pub uid: i64,
    /// Group ID.
    pub gid: i64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Owner name.
    pub uname: Vec<u8>,
    /// Group name.
    pub gname: Vec<u8>,
    /// Device major number.
    pub devmajor: i64,
    /// Device minor number.
    pub devminor: i64,
    /// Access time in seconds (GNU and STAR headers only).
    pub atime: Option<i64>,
    /// Status change time in seconds (GNU and STAR headers only).
    pub ctime: Option<i64>,
}

/// Why a block is not a valid header.
pub type HeaderIssue = &'static str;

/// Whether `block` is all zeros (an end-of-archive marker).
pub fn is_zero_block(block: &Block) -> bool {
    block.iter().all(|&b| b == 0)
}

/// Decodes a header block; the error says which check failed.
pub fn parse_block(block: &Block) -> Result<HeaderBlock, HeaderIssue> {
    let format = detect_format(block)?;
    let field = |(start, len): (usize, usize)| &block[start..start + len];
    let numeric = |range| parse_numeric(field(range));

    let mut header = HeaderBlock {
        format,
        typeflag: block[TYPEFLAG],
        name: parse_string(field(NAME)).to_vec(),
        linkname: parse_string(field(LINKNAME)).to_vec(),
        size: numeric(SIZE)?,
        mode: numeric(MODE)?,
        uid: numeric(UID)?,
        gid: numeric(GID)?,
        mtime: numeric(MTIME)?,
        uname: Vec::new(),
        gname: Vec::new(),
        devmajor: 0,
        devminor: 0,
        atime: None,
        ctime: None,
    };
    if format == BlockFormat::V7 {
        return Ok(header);
    }
    header.uname = parse_string(field(UNAME)).to_vec();
    header.gname = parse_string(field(GNAME)).to_vec();
    header.devmajor = numeric(DEVMAJOR)?;
    header.devminor = numeric(DEVMINOR)?;
    let prefix = match format {
        BlockFormat::Ustar => parse_string(field(USTAR_PREFIX)),
        BlockFormat::Star => {
            header.atime = Some(numeric(STAR_ATIME)?);
            header.ctime = Some(numeric(STAR_CTIME)?);
            parse_string(field(STAR_PREFIX))
        }
        BlockFormat::Gnu => gnu_times(block, &mut header),
        BlockFormat::V7 => &[],
    };
    if !prefix.is_empty() {
        header.name = [prefix, b"/", &header.name].concat();
    }
    Ok(header)
}

/// GNU access/change times, each present only if its first byte is set.
/// Go-written files before Go 1.8 put a USTAR prefix there instead: if the
/// times do not parse, the field is taken as an ASCII prefix (the
/// returned slice), as Go's reader does.
fn gnu_times<'b>(block: &'b Block, header: &mut HeaderBlock) -> &'b [u8] {
    let field = |(start, len): (usize, usize)| &block[start..start + len];
    let time = |range| {
        let bytes = field(range);
        if bytes[0] == 0 {
            Ok(None)
        } else {
            parse_numeric(bytes).map(Some)
        }
    };
    match (time(GNU_ATIME), time(GNU_CTIME)) {
        (Ok(atime), Ok(ctime)) => {
            header.atime = atime;
            header.ctime = ctime;
            &[]
        }
        _ => {
            let prefix = parse_string(field(USTAR_PREFIX));
            if prefix.is_ascii() { prefix } else { &[] }
        }
    }
}

/// Verifies the checksum (unsigned or signed sum, as historic tars used
/// either) and classifies the block by its magic.
fn detect_format(block: &Block) -> Result<BlockFormat, HeaderIssue> {
    let stored = parse_octal(&block[CHECKSUM.0..CHECKSUM.0 + CHECKSUM.1])
        .map_err(|_| "unparsable checksum field")?;
    let (unsigned, signed) = checksums(block);
    if stored != unsigned && stored != signed {
        return Err("checksum mismatch");
    }
    let at = |(start, len): (usize, usize)| &block[start..start + len];
    Ok(
        if at(MAGIC) == MAGIC_USTAR && at(STAR_TRAILER) == TRAILER_STAR {
            BlockFormat::Star
        } else if at(MAGIC) == MAGIC_USTAR {
            BlockFormat::Ustar
        } else if at(MAGIC) == MAGIC_GNU && at(VERSION) == VERSION_GNU {
            BlockFormat::Gnu
        } else {
            BlockFormat::V7
        },
    )
}

/// The unsigned and signed byte sums of `block` with the checksum field
/// counted as spaces.
pub fn checksums(block: &Block) -> (i64, i64) {
    let checksum_field = CHECKSUM.0..CHECKSUM.0 + CHECKSUM.1;
    block
        .iter()
        .enumerate()
        .fold((0, 0), |(unsigned, signed), (i, &byte)| {
            let byte = if checksum_field.contains(&i) {
                b' '
            } else {
                byte
            };
            (unsigned + i64::from(byte), signed + i64::from(byte as i8))
        })
}

/// A string field: its bytes up to the first NUL.
pub fn parse_string(field: &[u8]) -> &[u8] {
    field
        .iter()
        .position(|&b| b == 0)
        .map_or(field, |nul| &field[..nul])
}

/// A numeric field: GNU base-256 if the high bit of the first byte is
/// set (two's complement when the next bit is set too), octal otherwise.
pub fn parse_numeric(field: &[u8]) -> Result<i64, HeaderIssue> {
    let Some(&first) = field.first() else {
        return Ok(0);
    };
    if first & 0x80 == 0 {
        return parse_octal(field);
    }
    let invert = if first & 0x40 != 0 { 0xff } else { 0 };
    let mut value: u64 = 0;
    for (i, &byte) in field.iter().enumerate() {
        let mut byte = byte ^ invert;
        if i == 0 {
            byte &= 0x7f;
        }
        if value >> 56 > 0 {
            return Err("base-256 field overflows");
        }
        value = value << 8 | u64::from(byte);
    }
    if value >> 63 > 0 {
        return Err("base-256 field overflows");
    }
    let value = value as i64;
    Ok(if invert == 0xff { !value } else { value })
}

/// An octal field, surrounding spaces and NULs ignored; empty is 0.
pub fn parse_octal(field: &[u8]) -> Result<i64, HeaderIssue> {
    let is_pad = |b: &u8| *b == b' ' || *b == 0;
    let start = field.iter().position(|b| !is_pad(b)).unwrap_or(field.len());
    let end = field
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |i| i + 1);
    let digits = parse_string(&field[start..end]);
    if digits.is_empty() {
        return Ok(0);
    }
    let text = std::str::from_utf8(digits).map_err(|_| "non-octal numeric field")?;
    if text.starts_with('+') {
        return Err("non-octal numeric field");
    }
    u64::from_str_radix(text, 8)
        .map(|value| value as i64)
        .map_err(|_| "non-octal numeric field")
}

/// Padding that follows `size` bytes of content to the next block boundary.
pub fn block_padding(size: u64) -> u64 {
    size.wrapping_neg() % BLOCK_SIZE as u64
}

/// Whether members of this type never have content, whatever their size
/// field says (Go's `isHeaderOnlyType`).
pub fn is_header_only(typeflag: u8) -> bool {
    matches!(
        typeflag,
        typeflag::HARD_LINK
            | typeflag::SYMLINK
            | typeflag::CHAR_DEVICE
            | typeflag::BLOCK_DEVICE
            | typeflag::DIRECTORY
            | typeflag::FIFO
    )
}
