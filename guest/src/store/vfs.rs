//! The vfs driver: each layer is a full directory tree under `G/vfs/dir/<id>`;
//! a child layer starts as a copy of its parent's tree.

use crate::bindings::graphstore::store::posix;
use crate::disk::{Dir, EntryKind, describe};
use crate::error::{Result, StoreError};
use wasip2::filesystem::types::{DescriptorFlags, OpenFlags, PathFlags};

/// Sub-directory of the driver directory that holds layer trees.
const LAYER_DIRS: &str = "dir";
/// Mode of a base layer's root directory (umask applies).
const BASE_LAYER_MODE: u32 = 0o555;
/// Bytes copied per read/write when copying files.
const COPY_CHUNK: u64 = 1 << 20;
/// Permission bits (including setuid, setgid, sticky) of a `st_mode`.
const PERMISSION_BITS: u32 = 0o7777;

/// Where a layer's tree lives: the primary graph root or an additional store.
pub struct Vfs {
    /// `G/vfs`.
    driver_dir: Dir,
    /// `P/vfs/dir` of each additional image store that has one.
    additional: Vec<Dir>,
}

impl Vfs {
    /// The driver over `G/vfs` and the additional stores' layer directories.
    pub fn new(driver_dir: Dir, additional: Vec<Dir>) -> Self {
        Vfs {
            driver_dir,
            additional,
        }
    }

    fn layer_dirs(&self) -> Result<Dir> {
        self.driver_dir.ensure_dir(LAYER_DIRS)
    }

    /// Host path of layer `id`'s tree.
    pub fn layer_path(&self, id: &str) -> String {
        format!("{}/{LAYER_DIRS}/{id}", self.driver_dir.path())
    }

    /// Opens layer `id`'s tree: the primary store first, then additional stores.
    pub fn open_layer(&self, id: &str) -> Result<Option<Dir>> {
        if let Some(dirs) = self.driver_dir.open_dir(LAYER_DIRS)?
            && let Some(dir) = dirs.open_dir(id)?
        {
            return Ok(Some(dir));
        }
        for dirs in &self.additional {
            if let Some(dir) = dirs.open_dir(id)? {
                return Ok(Some(dir));
            }
        }
        Ok(None)
    }

    /// Creates layer `id`'s tree: empty (mode 0555), or a copy of `parent`'s.
    pub fn create(&self, id: &str, parent: Option<&str>) -> Result<()> {
        let dirs = self.layer_dirs()?;
        match parent {
            None => dirs.make_dir(id, BASE_LAYER_MODE),
            Some(parent) => {
                let source = self.open_layer(parent)?.ok_or_else(|| {
                    StoreError::io(format!(
                        "stat {}: no such file or directory",
                        self.layer_path(parent)
                    ))
                })?;
                let mode = posix::lstat(source.descriptor(), ".")
                    .map_err(|code| {
                        StoreError::io(format!("stat {}: {}", source.path(), describe(code)))
                    })?
                    .mode;
                dirs.make_dir(id, mode & PERMISSION_BITS)?;
                let target = dirs
                    .open_dir(id)?
                    .ok_or_else(|| StoreError::io(format!("{} vanished", self.layer_path(id))))?;
                set_mode(&dirs, id, mode)?;
                copy_tree(&source, &target)
            }
        }
    }

    /// Removes layer `id`'s tree from the primary store.
    pub fn remove(&self, id: &str) -> Result<()> {
        match self.driver_dir.open_dir(LAYER_DIRS)? {
            Some(dirs) => dirs.remove_tree(id),
            None => Ok(()),
        }
    }
}

fn set_mode(dir: &Dir, name: &str, mode: u32) -> Result<()> {
    posix::chmod(dir.descriptor(), name, mode & PERMISSION_BITS).map_err(|code| {
        StoreError::io(format!(
            "chmod {}: {}",
            dir.child_path(name),
            describe(code)
        ))
    })
}

/// Copies the entries of `source` into `target`: directories, regular files
/// and symlinks with their permission bits. (Owners, times, xattrs, hard
/// links and device nodes need the host's POSIX interface; see the
/// layer-content work.)
fn copy_tree(source: &Dir, target: &Dir) -> Result<()> {
    for (name, kind) in source.entries()? {
        let stat = posix::lstat(source.descriptor(), &name).map_err(|code| {
            StoreError::io(format!(
                "lstat {}: {}",
                source.child_path(&name),
                describe(code)
            ))
        })?;
        match kind {
            EntryKind::Directory => {
                target.make_dir(&name, stat.mode & PERMISSION_BITS)?;
                let (from, to) = (source.open_dir(&name)?, target.open_dir(&name)?);
                if let (Some(from), Some(to)) = (from, to) {
                    copy_tree(&from, &to)?;
                }
                set_mode(target, &name, stat.mode)?;
            }
            EntryKind::File => {
                copy_file(source, target, &name)?;
                set_mode(target, &name, stat.mode)?;
            }
            EntryKind::Symlink => {
                let link = source.descriptor().readlink_at(&name).map_err(|code| {
                    StoreError::io(format!(
                        "readlink {}: {}",
                        source.child_path(&name),
                        describe(code)
                    ))
                })?;
                target
                    .descriptor()
                    .symlink_at(&link, &name)
                    .map_err(|code| {
                        StoreError::io(format!(
                            "symlink {}: {}",
                            target.child_path(&name),
                            describe(code)
                        ))
                    })?;
            }
            EntryKind::Other => {}
        }
    }
    Ok(())
}

fn copy_file(source: &Dir, target: &Dir, name: &str) -> Result<()> {
    let io_error = |dir: &Dir, op: &str, code| {
        StoreError::io(format!("{op} {}: {}", dir.child_path(name), describe(code)))
    };
    let from = source
        .descriptor()
        .open_at(
            PathFlags::empty(),
            name,
            OpenFlags::empty(),
            DescriptorFlags::READ,
        )
        .map_err(|code| io_error(source, "open", code))?;
    let to = target
        .descriptor()
        .open_at(
            PathFlags::empty(),
            name,
            OpenFlags::CREATE | OpenFlags::EXCLUSIVE,
            DescriptorFlags::WRITE,
        )
        .map_err(|code| io_error(target, "create", code))?;
    let mut offset = 0u64;
    loop {
        let (chunk, end) = from
            .read(COPY_CHUNK, offset)
            .map_err(|code| io_error(source, "read", code))?;
        let mut written = 0usize;
        while written < chunk.len() {
            let count = to
                .write(&chunk[written..], offset + written as u64)
                .map_err(|code| io_error(target, "write", code))?;
            written += count as usize;
        }
        offset += chunk.len() as u64;
        if end || chunk.is_empty() {
            return Ok(());
        }
    }
}

impl Vfs {
    /// Bytes of regular files in layer `id` that are new or differ (size,
    /// mode or modification time) from `parent`: the size of a diff computed
    /// by comparing trees. Hard links count once.
    pub fn changed_bytes(&self, id: &str, parent: Option<&str>) -> Result<i64> {
        let Some(tree) = self.open_layer(id)? else {
            return Ok(0);
        };
        let parent_tree = match parent {
            Some(parent) => self.open_layer(parent)?,
            None => None,
        };
        let mut seen_inodes = std::collections::HashSet::new();
        changed_bytes_in(&tree, parent_tree.as_ref(), &mut seen_inodes)
    }
}

fn changed_bytes_in(
    tree: &Dir,
    parent: Option<&Dir>,
    seen: &mut std::collections::HashSet<(u64, u64)>,
) -> Result<i64> {
    let mut total = 0;
    for (name, kind) in tree.entries()? {
        match kind {
            EntryKind::Directory => {
                let child = tree.open_dir(&name)?;
                let parent_child = match parent {
                    Some(parent) => parent.open_dir(&name)?,
                    None => None,
                };
                if let Some(child) = child {
                    total += changed_bytes_in(&child, parent_child.as_ref(), seen)?;
                }
            }
            EntryKind::File => {
                let stat = lstat(tree, &name)?;
                let unchanged = match parent {
                    Some(parent) => match posix::lstat(parent.descriptor(), &name) {
                        Ok(old) => {
                            old.size == stat.size
                                && old.mode == stat.mode
                                && mtime(parent, &name)? == mtime(tree, &name)?
                        }
                        Err(_) => false,
                    },
                    None => false,
                };
                if !unchanged && (stat.nlink <= 1 || seen.insert((stat.dev, stat.ino))) {
                    total += stat.size as i64;
                }
            }
            EntryKind::Symlink | EntryKind::Other => {}
        }
    }
    Ok(total)
}

fn lstat(dir: &Dir, name: &str) -> Result<posix::Stat> {
    posix::lstat(dir.descriptor(), name).map_err(|code| {
        StoreError::io(format!(
            "lstat {}: {}",
            dir.child_path(name),
            describe(code)
        ))
    })
}

fn mtime(dir: &Dir, name: &str) -> Result<Option<(u64, u32)>> {
    Ok(dir.file_info(name)?.and_then(|info| info.modified))
}
