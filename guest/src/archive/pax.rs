//! PAX extended header records (`"%d %s=%s\n"`) and PAX timestamps, parsed
//! as Go's `archive/tar` parses them. No I/O.

use super::header::HeaderIssue;
use crate::format::timestamp::Timestamp;
use std::collections::BTreeMap;

/// PAX records by key; a later record with the same key replaces an earlier one.
pub type PaxRecords = BTreeMap<Vec<u8>, Vec<u8>>;

/// Keys with a meaning for the member header.
pub mod key {
    /// Member name.
    pub const PATH: &[u8] = b"path";
    /// Link target.
    pub const LINKPATH: &[u8] = b"linkpath";
    /// Owner name.
    pub const UNAME: &[u8] = b"uname";
    /// Group name.
    pub const GNAME: &[u8] = b"gname";
    /// Owner ID.
    pub const UID: &[u8] = b"uid";
    /// Group ID.
    pub const GID: &[u8] = b"gid";
    /// Access time.
    pub const ATIME: &[u8] = b"atime";
    /// Modification time.
    pub const MTIME: &[u8] = b"mtime";
    /// Status change time.
    pub const CTIME: &[u8] = b"ctime";
    /// Content size.
    pub const SIZE: &[u8] = b"size";
    /// Prefix of extended-attribute records (`SCHILY.xattr.<name>`).
    pub const XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";
}

/// Digits of sub-second precision a PAX time keeps (nanoseconds).
const NANO_DIGITS: usize = 9;

/// Smallest possible record, `"5 a=\n"`.
const MIN_RECORD_LEN: usize = 5;

/// Parses the content of a PAX header into its records. As Go's
/// `parsePAX`, the repeated `GNU.sparse.offset` / `GNU.sparse.numbytes`
/// records of GNU sparse format 0.0 are folded, in order, into one
/// `GNU.sparse.map` record (`offset,length,…`), which replaces any given.
pub fn parse_records(mut data: &[u8]) -> Result<PaxRecords, HeaderIssue> {
    use super::sparse::key as sparse;
    let mut records = PaxRecords::new();
    let mut sparse_map: Vec<&[u8]> = Vec::new();
    while !data.is_empty() {
        let (key, value, rest) = parse_record(data)?;
        if key == sparse::OFFSET || key == sparse::NUM_BYTES {
            let expected = if sparse_map.len().is_multiple_of(2) {
                sparse::OFFSET
            } else {
                sparse::NUM_BYTES
            };
            if key != expected || value.contains(&b',') {
                return Err("malformed GNU sparse map");
            }
            sparse_map.push(value);
        } else {
            records.insert(key.to_vec(), value.to_vec());
        }
        data = rest;
    }
    if !sparse_map.is_empty() {
        records.insert(sparse::MAP.to_vec(), sparse_map.join(&b',').to_vec());
    }
    Ok(records)
}

/// One record split off the front of a buffer: `(key, value, rest)`.
type SplitRecord<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// Splits one record off the front of `data`.
fn parse_record(data: &[u8]) -> Result<SplitRecord<'_>, HeaderIssue> {
    const BAD: HeaderIssue = "malformed PAX record";
    let space = data.iter().position(|&b| b == b' ').ok_or(BAD)?;
    let len = parse_decimal(&data[..space]).ok_or(BAD)?;
    let len = usize::try_from(len).map_err(|_| BAD)?;
    if len < MIN_RECORD_LEN || len > data.len() || space + 1 >= len - 1 {
        return Err(BAD);
    }
    let (record, newline, rest) = (&data[space + 1..len - 1], data[len - 1], &data[len..]);
    if newline != b'\n' {
        return Err(BAD);
    }
    let equals = record.iter().position(|&b| b == b'=').ok_or(BAD)?;
    let (key, value) = (&record[..equals], &record[equals + 1..]);
    let names_a_string = [key::PATH, key::LINKPATH, key::UNAME, key::GNAME].contains(&key);
    let checked = if names_a_string { value } else { key };
    if key.is_empty() || checked.contains(&0) {
        return Err(BAD);
    }
    Ok((key, value, rest))
}

/// A decimal integer as Go's `strconv.ParseInt(s, 10, 64)` accepts it
/// (optional sign, digits only).
pub fn parse_decimal(text: &[u8]) -> Option<i64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A PAX time, `seconds[.fraction]`, fraction truncated to nanoseconds.
pub fn parse_time(text: &[u8]) -> Result<Timestamp, HeaderIssue> {
    const BAD: HeaderIssue = "malformed PAX time";
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &[][..]),
    };
    let seconds = parse_decimal(whole).ok_or(BAD)?;
    if !fraction.iter().all(u8::is_ascii_digit) {
        return Err(BAD);
    }
    let nanos = fraction
        .iter()
        .chain(std::iter::repeat(&b'0'))
        .take(NANO_DIGITS)
        .fold(0i64, |acc, digit| acc * 10 + i64::from(digit - b'0'));
    let negative = whole.first() == Some(&b'-');
    Ok(unix_time(seconds, if negative { -nanos } else { nanos }))
}

/// Go's `time.Unix(seconds, nanos)`: normalises nanoseconds into 0..1e9.
pub fn unix_time(seconds: i64, nanos: i64) -> Timestamp {
    const NANOS_PER_SECOND: i64 = 1_000_000_000;
    Timestamp {
        seconds: seconds.wrapping_add(nanos.div_euclid(NANOS_PER_SECOND)),
        nanoseconds: nanos.rem_euclid(NANOS_PER_SECOND) as u32,
        utc_offset: 0,
    }
}
