//! Reassembly of the original tar stream from tar-split entries and the
//! files' contents, as tar-split's `asm.WriteOutputTarStream` does for
//! 1.43's `diff`: segments are written verbatim, each non-empty file is
//! copied whole from the caller and its CRC-64 checked afterwards.

use super::checksum::Crc64;
use super::error::{ArchiveError, Result};
use super::tar_split::{Entry, EntryKind};
use std::io::{self, Read, Write};

/// Buffer for copying file contents.
const COPY_BUFFER_SIZE: usize = 256 * 1024;

/// Writes the tar stream described by `entries` to `output`. For every
/// file entry with a non-zero size, `open` is called with the entry's name
/// and the whole reader it returns is copied (as Go does, not just `size`
/// bytes); a CRC-64 different from the entry's payload fails with
/// [`ArchiveError::ChecksumMismatch`], after the content was written.
/// Returns the number of bytes written.
pub fn assemble<'a, I, W, F>(entries: I, output: &mut W, mut open: F) -> Result<u64>
where
    I: IntoIterator<Item = Result<Entry>>,
    W: Write + ?Sized,
    F: FnMut(&[u8]) -> Result<Box<dyn Read + 'a>>,
{
    let mut written = 0u64;
    let mut buf = vec![0; COPY_BUFFER_SIZE];
    for entry in entries {
        let entry = entry?;
        match entry.kind {
            EntryKind::Segment => {
                let payload = entry.payload.as_deref().unwrap_or_default();
                output.write_all(payload)?;
                written += payload.len() as u64;
            }
            EntryKind::File if entry.size == 0 => {}
            EntryKind::File => {
                let mut content = open(&entry.name)?;
                let mut crc = Crc64::new();
                written += copy_with_crc(&mut content, output, &mut crc, &mut buf)?;
                if entry.payload.as_deref() != Some(&crc.finish()[..]) {
                    return Err(ArchiveError::ChecksumMismatch { name: entry.name });
                }
            }
        }
    }
    Ok(written)
}

/// Copies all of `input` to `output`, feeding `crc`; returns the length.
fn copy_with_crc<W: Write + ?Sized>(
    input: &mut dyn Read,
    output: &mut W,
    crc: &mut Crc64,
    buf: &mut [u8],
) -> Result<u64> {
    let mut copied = 0u64;
    loop {
        let n = match input.read(buf) {
            Ok(0) => return Ok(copied),
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(ArchiveError::Io(error)),
        };
        output.write_all(&buf[..n])?;
        crc.update(&buf[..n]);
        copied += n as u64;
    }
}
