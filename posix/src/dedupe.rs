//! Extent sharing between identical files (`FIDEDUPERANGE`), as storage
//! v1.62's `dedup` does it: the kernel compares the two ranges and shares
//! them only when the bytes are equal.

use crate::resolve::open_parent;
use rustix::fs::{FileType, Mode, OFlags};
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

/// `FIDEDUPERANGE`: `_IOWR(0x94, 54, struct file_dedupe_range)` (24 bytes).
const FIDEDUPERANGE: libc::c_ulong = 0xC018_9436;
/// `FILE_DEDUPE_RANGE_DIFFERS`: the ranges hold different bytes.
const FILE_DEDUPE_RANGE_DIFFERS: i32 = 1;

/// `struct file_dedupe_range` followed by its one `file_dedupe_range_info`.
#[repr(C)]
#[derive(Default)]
struct DedupeRange {
    src_offset: u64,
    src_length: u64,
    dest_count: u16,
    reserved1: u16,
    reserved2: u32,
    dest_fd: i64,
    dest_offset: u64,
    bytes_deduped: u64,
    status: i32,
    reserved: u32,
}

/// Opens regular file `path` beneath `dir` (no final symlink followed).
fn open_regular_file(dir: &File, path: &str, flags: OFlags) -> io::Result<(File, u64)> {
    let (parent, name) = open_parent(dir, path)?;
    let file = rustix::fs::openat(
        &parent,
        name,
        flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let stat = rustix::fs::fstat(&file)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(rustix::io::Errno::INVAL.into());
    }
    Ok((File::from(file), stat.st_size as u64))
}

/// Shares the extents of regular file `from_path` beneath `from_dir` with
/// regular file `path` beneath `dir` where their bytes are equal; returns
/// how many bytes are now shared (0 when the contents differ or the two
/// are one file). `EOPNOTSUPP` where the file system cannot share extents.
pub fn dedupe_file(from_dir: &File, from_path: &str, dir: &File, path: &str) -> io::Result<u64> {
    let (source, size) = open_regular_file(from_dir, from_path, OFlags::RDONLY)?;
    let (target, _) = open_regular_file(dir, path, OFlags::WRONLY)?;
    let (source_stat, target_stat) = (rustix::fs::fstat(&source)?, rustix::fs::fstat(&target)?);
    if (source_stat.st_dev, source_stat.st_ino) == (target_stat.st_dev, target_stat.st_ino) {
        return Ok(0);
    }
    let mut shared = 0;
    // The kernel may share less than asked per call (btrfs: 16 MiB).
    while shared < size {
        let mut range = DedupeRange {
            src_offset: shared,
            src_length: size - shared,
            dest_count: 1,
            dest_fd: i64::from(target.as_raw_fd()),
            dest_offset: shared,
            ..DedupeRange::default()
        };
        // SAFETY: FIDEDUPERANGE reads a `file_dedupe_range` with
        // `dest_count` (1) infos following it and writes their results; the
        // struct is laid out exactly so and lives for the call.
        #[allow(unsafe_code)]
        let result = unsafe { libc::ioctl(source.as_raw_fd(), FIDEDUPERANGE, &mut range) };
        if result != 0 {
            return Err(io::Error::last_os_error());
        }
        match range.status {
            0 if range.bytes_deduped > 0 => shared += range.bytes_deduped,
            0 | FILE_DEDUPE_RANGE_DIFFERS => break,
            negative => return Err(io::Error::from_raw_os_error(-negative)),
        }
    }
    Ok(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_range_matches_the_kernel_layout() {
        // 24-byte header (the size encoded in FIDEDUPERANGE) + 32-byte info.
        assert_eq!(std::mem::size_of::<DedupeRange>(), 24 + 32);
        assert_eq!((FIDEDUPERANGE >> 16) & 0x3fff, 24);
    }

    #[test]
    fn equal_files_are_shared_or_the_file_system_says_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        let contents = vec![7u8; 64 * 1024];
        std::fs::write(dir.path().join("a"), &contents).unwrap();
        std::fs::write(dir.path().join("b"), &contents).unwrap();
        std::fs::write(dir.path().join("c"), vec![8u8; 64 * 1024]).unwrap();
        let root = File::open(dir.path()).unwrap();
        match dedupe_file(&root, "a", &root, "b") {
            Ok(shared) => {
                assert_eq!(shared, contents.len() as u64);
                assert_eq!(dedupe_file(&root, "a", &root, "c").unwrap(), 0);
            }
            Err(error) => assert!(
                matches!(error.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EINVAL)),
                "{error}"
            ),
        }
        assert_eq!(dedupe_file(&root, "a", &root, "a").unwrap(), 0);
        assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), contents);
        let escape = dedupe_file(&root, "../x", &root, "b").unwrap_err();
        assert_eq!(escape.kind(), io::ErrorKind::PermissionDenied, "{escape}");
    }
}
