//! The WASI-only backend (`--features wasi-only`): everything through WASI
//! 0.2, so the component runs on any runtime that provides WASI (the
//! wasmtime CLI, jco, wasmtime-py) with no graphstore host imports.
//!
//! What WASI 0.2 cannot express, and so this backend does not do:
//! - owners, permission bits and extended attributes are neither applied
//!   nor read back (`lstat` reports owner 0:0 and modes 0755 for
//!   directories, 0777 for symlinks, 0644 for anything else, with the
//!   file type WASI reports); new files get the runtime's default mode
//!   (its umask decides who may read them);
//! - device nodes and FIFOs cannot be created (`mknod` fails with
//!   [`Errno::Unsupported`]);
//! - symlinks with absolute targets are refused by most runtimes;
//! - lock files carry last-writer tokens, so a store reloads what another
//!   writer changed, but they do not exclude other processes: one writer
//!   at a time per root is the embedder's to ensure;
//! - the graph root's ancestors are not visible (no parent owners).

use super::wasi::{self, WasiFile, errno};
use super::{DirOps, FileOps, LockOps, copy_to_output};
use crate::disk::error::{Errno, FsResult};
use crate::disk::io::Output;
use crate::disk::types::{DirEntry, EntryKind, Metadata, NodeKind, Stat, Timespec};
use crate::file_type::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK};
use std::cell::RefCell;
use wasip2::filesystem::types::{
    Datetime, Descriptor, DescriptorFlags, DescriptorStat, DescriptorType, NewTimestamp, OpenFlags,
    PathFlags,
};

/// Mode `lstat` reports for directories (WASI has no permission bits).
const DIR_MODE: u32 = S_IFDIR | 0o755;
/// Mode `lstat` reports for regular files and anything else.
const FILE_MODE: u32 = S_IFREG | 0o644;
/// Mode `lstat` reports for symlinks.
const SYMLINK_MODE: u32 = S_IFLNK | 0o777;
/// Largest file `read_file` builds in memory (a component's memory is
/// bounded by its runtime; failing cleanly beats aborting).
const MAX_READ_BYTES: u64 = 1 << 30;
/// Length of the last-writer token at the start of a lock file (as 1.43).
const TOKEN_LEN: usize = 64;

/// A directory descriptor of the component.
pub struct PortableDir(Descriptor);

impl PortableDir {
    /// The directory the runtime preopened under `name`.
    pub fn preopened(name: &str) -> Option<PortableDir> {
        wasi::preopened(name).map(PortableDir)
    }

    fn stat_of(&self, name: &str) -> FsResult<DescriptorStat> {
        if name == "." {
            return self.0.stat().map_err(errno);
        }
        self.0.stat_at(PathFlags::empty(), name).map_err(errno)
    }
}

/// The graph root's ancestors cannot be seen from WASI.
pub fn ancestor_owners(_graph_root: &str) -> Vec<(u32, u32)> {
    Vec::new()
}

/// WASI has no user database: no names (diffs computed by comparing trees
/// carry empty `uname`/`gname` in the portable component).
pub fn user_name(_uid: u32) -> Option<String> {
    None
}

/// WASI has no group database: no names (see [`user_name`]).
pub fn group_name(_gid: u32) -> Option<String> {
    None
}

fn to_timespec(time: Option<Datetime>) -> Timespec {
    time.map(|time| Timespec {
        seconds: time.seconds as i64,
        nanoseconds: time.nanoseconds,
    })
    .unwrap_or_default()
}

fn to_datetime(time: Timespec) -> NewTimestamp {
    NewTimestamp::Timestamp(Datetime {
        seconds: u64::try_from(time.seconds).unwrap_or(0),
        nanoseconds: time.nanoseconds,
    })
}

impl DirOps for PortableDir {
    type File = WasiFile;
    type Lock = PortableLock;

    fn reopen(&self) -> FsResult<Self> {
        wasi::open_dir(&self.0, ".").map(PortableDir)
    }

    fn open_dir(&self, name: &str) -> FsResult<Self> {
        wasi::open_dir(&self.0, name).map(PortableDir)
    }

    fn mkdir(&self, name: &str, _mode: u32) -> FsResult<()> {
        self.0.create_directory_at(name).map_err(errno)
    }

    fn lstat(&self, name: &str) -> FsResult<Stat> {
        let stat = self.stat_of(name)?;
        let hash = if name == "." {
            self.0.metadata_hash()
        } else {
            self.0.metadata_hash_at(PathFlags::empty(), name)
        }
        .map_err(errno)?;
        let mode = match stat.type_ {
            DescriptorType::Directory => DIR_MODE,
            DescriptorType::SymbolicLink => SYMLINK_MODE,
            DescriptorType::Fifo => S_IFIFO | 0o644,
            DescriptorType::CharacterDevice => S_IFCHR | 0o644,
            DescriptorType::BlockDevice => S_IFBLK | 0o644,
            DescriptorType::Socket => S_IFSOCK | 0o644,
            _ => FILE_MODE,
        };
        Ok(Stat {
            mode,
            uid: 0,
            gid: 0,
            rdev: 0,
            nlink: stat.link_count,
            // WASI names a file by a hash of its identity: enough to pair hard links.
            ino: hash.lower,
            dev: hash.upper,
            size: stat.size,
            access: to_timespec(stat.data_access_timestamp),
            modification: to_timespec(stat.data_modification_timestamp),
        })
    }

    fn read_dir(&self) -> FsResult<Vec<DirEntry>> {
        wasi::list(&self.0)?
            .into_iter()
            .map(|(name, _)| {
                let stat = self.lstat(&name)?;
                Ok(DirEntry {
                    name,
                    stat,
                    xattrs: Vec::new(),
                })
            })
            .collect()
    }

    fn list(&self) -> FsResult<Vec<(String, EntryKind)>> {
        wasi::list(&self.0)
    }

    fn read_file(&self, name: &str, max_size: u64) -> FsResult<Vec<u8>> {
        let max_size = max_size.min(MAX_READ_BYTES);
        let file = self.open_read(name)?;
        let size = file.0.stat().map_err(errno)?.size;
        if size > max_size {
            return Err(Errno::FileTooLarge);
        }
        let mut contents = Vec::with_capacity(size as usize);
        loop {
            let chunk = file.read(crate::disk::IO_CHUNK, contents.len() as u64)?;
            if chunk.is_empty() {
                return Ok(contents);
            }
            if (contents.len() + chunk.len()) as u64 > max_size {
                return Err(Errno::FileTooLarge);
            }
            contents.extend_from_slice(&chunk);
        }
    }

    fn open_read(&self, name: &str) -> FsResult<WasiFile> {
        // Only regular files: opening a FIFO planted in a layer would block.
        match self.stat_of(name)?.type_ {
            DescriptorType::RegularFile => wasi::open_read(&self.0, name),
            DescriptorType::Directory => Err(Errno::IsDirectory),
            _ => Err(Errno::Invalid),
        }
    }

    fn create_new(&self, name: &str, _mode: u32) -> FsResult<WasiFile> {
        wasi::create_new(&self.0, name)
    }

    fn create_file(&self, name: &str, contents: &[u8], metadata: &Metadata) -> FsResult<()> {
        let file = wasi::create_new(&self.0, name)?;
        let written =
            write_all_at(&file, contents, 0).and_then(|()| self.set_metadata(name, metadata));
        if written.is_err() {
            let _ = wasi::unlink(&self.0, name);
        }
        written
    }

    fn copy_file(
        &self,
        name: &str,
        target: &Self,
        target_name: &str,
        metadata: &Metadata,
    ) -> FsResult<()> {
        let from = self.open_read(name)?;
        let to = wasi::create_new(&target.0, target_name)?;
        let copied =
            copy_contents(&from, &to).and_then(|()| target.set_metadata(target_name, metadata));
        if copied.is_err() {
            let _ = wasi::unlink(&target.0, target_name);
        }
        copied
    }

    fn set_metadata(&self, name: &str, metadata: &Metadata) -> FsResult<()> {
        // Owner, mode and xattrs have no WASI form (see the module docs).
        match metadata.times {
            Some((access, modification)) => self.set_times(name, access, modification),
            None => Ok(()),
        }
    }

    fn chmod(&self, _name: &str, _mode: u32) -> FsResult<()> {
        Ok(())
    }

    fn lchown(&self, _name: &str, _uid: u32, _gid: u32) -> FsResult<()> {
        Ok(())
    }

    fn set_times(&self, name: &str, access: Timespec, modification: Timespec) -> FsResult<()> {
        let (access, modification) = (to_datetime(access), to_datetime(modification));
        if name == "." {
            return self.0.set_times(access, modification).map_err(errno);
        }
        self.0
            .set_times_at(PathFlags::empty(), name, access, modification)
            .map_err(errno)
    }

    fn symlink(&self, name: &str, target: &str) -> FsResult<()> {
        self.0.symlink_at(target, name).map_err(errno)
    }

    fn readlink(&self, name: &str) -> FsResult<String> {
        self.0.readlink_at(name).map_err(errno)
    }

    fn mknod(&self, _: &str, _: NodeKind, _: u32, _: u32, _: u32) -> FsResult<()> {
        Err(Errno::Unsupported)
    }

    fn get_xattr(&self, _name: &str, _key: &str) -> FsResult<Option<Vec<u8>>> {
        Ok(None)
    }

    fn list_xattrs(&self, _name: &str) -> FsResult<Vec<String>> {
        Ok(Vec::new())
    }

    fn hard_link(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        wasi::hard_link(&self.0, name, &target.0, target_name)
    }

    fn rename(&self, name: &str, target: &Self, target_name: &str) -> FsResult<()> {
        wasi::rename(&self.0, name, &target.0, target_name)
    }

    fn unlink(&self, name: &str) -> FsResult<()> {
        wasi::unlink(&self.0, name)
    }

    const SYNCS_FILESYSTEM: bool = false;
    const BYTE_NAMES: bool = false;

    fn sync(&self) -> FsResult<()> {
        wasi::sync_dir(&self.0)
    }

    /// WASI has no `syncfs`: `sync = "filesystem"` is refused at open.
    fn sync_filesystem(&self) -> FsResult<()> {
        Err(Errno::Unsupported)
    }

    fn remove_tree(&self, name: &str) -> FsResult<()> {
        // Depth first with an explicit stack: any depth, no recursion.
        let top = self.open_dir(name)?;
        let entries = wasi::list(&top.0)?;
        let mut stack = vec![(top, entries, name.to_string())];
        while let Some((dir, entries, _)) = stack.last_mut() {
            match entries.pop() {
                Some((child, EntryKind::Directory)) => {
                    let sub = dir.open_dir(&child)?;
                    let sub_entries = wasi::list(&sub.0)?;
                    stack.push((sub, sub_entries, child));
                }
                Some((child, _)) => wasi::unlink(&dir.0, &child)?,
                None => {
                    let (_, _, done) = stack.pop().expect("non-empty");
                    let parent = stack.last().map_or(&self.0, |(dir, _, _)| &dir.0);
                    parent.remove_directory_at(&done).map_err(errno)?;
                }
            }
        }
        Ok(())
    }

    fn send_file(&self, name: &str, out: &mut Output<'_>) -> FsResult<u64> {
        copy_to_output(&self.open_read(name)?, out)
    }

    fn open_lock(&self, name: &str, read_only: bool) -> Result<PortableLock, String> {
        let access = if read_only {
            DescriptorFlags::READ
        } else {
            DescriptorFlags::READ | DescriptorFlags::WRITE
        };
        let open = |flags| self.0.open_at(PathFlags::empty(), name, flags, access);
        // As the host: create it; a read-only store may not be able to.
        let file = match open(OpenFlags::CREATE) {
            Err(_) if read_only => open(OpenFlags::empty()),
            other => other,
        }
        .map_err(|code| format!("opening lock file {name}: {}", errno(code)))?;
        Ok(PortableLock {
            file,
            last_token: RefCell::new(None),
        })
    }
}

/// Writes all of `bytes` to `file` at `offset`; a write that makes no
/// progress is a full disk.
fn write_all_at(file: &WasiFile, mut bytes: &[u8], mut offset: u64) -> FsResult<()> {
    while !bytes.is_empty() {
        let count = file.write(bytes, offset)?;
        if count == 0 {
            return Err(Errno::NoSpace);
        }
        offset += count;
        bytes = &bytes[count as usize..];
    }
    Ok(())
}

/// Copies the contents of `from` into `to`.
fn copy_contents(from: &WasiFile, to: &WasiFile) -> FsResult<()> {
    let mut offset = 0u64;
    loop {
        let chunk = from.read(crate::disk::IO_CHUNK, offset)?;
        if chunk.is_empty() {
            return Ok(());
        }
        write_all_at(to, &chunk, offset)?;
        offset += chunk.len() as u64;
    }
}

/// A lock file whose last-writer token is kept, but which excludes no one.
pub struct PortableLock {
    file: Descriptor,
    last_token: RefCell<Option<Vec<u8>>>,
}

impl PortableLock {
    fn read_token(&self) -> Result<Vec<u8>, String> {
        self.file
            .read(TOKEN_LEN as u64, 0)
            .map(|(token, _)| token)
            .map_err(|code| errno(code).to_string())
    }
}

impl LockOps for PortableLock {
    fn lock(&self, _exclusive: bool) -> Result<(), String> {
        Ok(())
    }

    fn unlock(&self) -> Result<(), String> {
        Ok(())
    }

    fn touch(&self) -> Result<(), String> {
        let mut token = crate::platform::random_bytes::<TOKEN_LEN>();
        let now = wasip2::clocks::wall_clock::now();
        token[..8].copy_from_slice(&now.seconds.to_le_bytes());
        self.file
            .write(&token, 0)
            .map_err(|code| errno(code).to_string())?;
        *self.last_token.borrow_mut() = Some(token.to_vec());
        Ok(())
    }

    fn modified(&self) -> Result<bool, String> {
        let token = self.read_token()?;
        let mut last = self.last_token.borrow_mut();
        let changed = last.as_ref() != Some(&token);
        *last = Some(token);
        Ok(changed)
    }
}
