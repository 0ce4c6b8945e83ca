//! Host side of the `posix` interface: WIT glue over [`graphstore_posix`],
//! which does the work beneath the component's directory descriptor (see its
//! security model). Here: the descriptor's directory (write permission
//! checked), WIT records ↔ crate records, and `io::Error` → WASI
//! `error-code`.

use crate::bindings::graphstore::store::posix::{
    DirEntry, Host, Metadata, NodeKind, Stat, Timespec,
};
use crate::state::{Policy, directory};
use graphstore_posix as os;
use rustix::io::Errno;
use std::fs::File;
use std::io::{self, Read};
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::filesystem as wasi_fs;
use wasmtime_wasi::p2::DynOutputStream;
use wasmtime_wasi::p2::bindings::sync::filesystem::types::{Descriptor, ErrorCode};

/// Whether descriptors the host opens may block the calling thread: as
/// the sandbox's own (`allow_blocking_current_thread`).
const BLOCKING_ALLOWED: bool = true;

/// Chunk size of `send-file`.
const READ_BUFFER: usize = 1 << 20;

/// Maps an I/O error to the closest WASI error code.
pub fn io_error_code(error: io::Error) -> ErrorCode {
    match error.raw_os_error() {
        Some(raw) => errno_code(Errno::from_raw_os_error(raw)),
        None => match error.kind() {
            // An escape refused, by cap-primitives or graphstore-posix: no errno.
            io::ErrorKind::PermissionDenied => ErrorCode::NotPermitted,
            // Data the crate cannot represent (none of its calls makes one
            // today: names that are not UTF-8 travel encoded).
            io::ErrorKind::InvalidData => ErrorCode::IllegalByteSequence,
            // A write that made no progress.
            io::ErrorKind::WriteZero => ErrorCode::InsufficientSpace,
            _ => ErrorCode::Io,
        },
    }
}

/// Maps an errno to a WASI error code.
pub fn errno_code(errno: Errno) -> ErrorCode {
    match errno {
        Errno::NOENT => ErrorCode::NoEntry,
        Errno::EXIST => ErrorCode::Exist,
        Errno::ACCESS => ErrorCode::Access,
        Errno::PERM => ErrorCode::NotPermitted,
        Errno::ROFS => ErrorCode::ReadOnly,
        Errno::NOTDIR => ErrorCode::NotDirectory,
        Errno::ISDIR => ErrorCode::IsDirectory,
        Errno::NOTEMPTY => ErrorCode::NotEmpty,
        Errno::NAMETOOLONG => ErrorCode::NameTooLong,
        Errno::NOSPC => ErrorCode::InsufficientSpace,
        Errno::LOOP => ErrorCode::Loop,
        Errno::INVAL => ErrorCode::Invalid,
        Errno::BUSY => ErrorCode::Busy,
        Errno::DQUOT => ErrorCode::Quota,
        Errno::OPNOTSUPP => ErrorCode::Unsupported,
        Errno::XDEV => ErrorCode::CrossDevice,
        _ => ErrorCode::Io,
    }
}

/// The error code of a failed `read-file`: the crate's "larger than the
/// limit" is `EFBIG`, which no read or open there fails with otherwise.
fn read_file_error_code(error: io::Error) -> ErrorCode {
    match error.raw_os_error() {
        Some(libc::EFBIG) => ErrorCode::FileTooLarge,
        _ => io_error_code(error),
    }
}

/// The error code of a failed `read-dir`: a listing over the component's
/// memory is kind `OutOfMemory` without an errno.
fn read_dir_error_code(error: io::Error) -> ErrorCode {
    match (error.kind(), error.raw_os_error()) {
        (io::ErrorKind::OutOfMemory, None) => ErrorCode::InsufficientMemory,
        _ => io_error_code(error),
    }
}

impl From<Timespec> for os::Timespec {
    fn from(time: Timespec) -> Self {
        os::Timespec {
            seconds: time.seconds,
            nanoseconds: time.nanoseconds,
        }
    }
}

impl From<os::Timespec> for Timespec {
    fn from(time: os::Timespec) -> Self {
        Timespec {
            seconds: time.seconds,
            nanoseconds: time.nanoseconds,
        }
    }
}

impl From<os::Stat> for Stat {
    fn from(stat: os::Stat) -> Self {
        Stat {
            mode: stat.mode,
            uid: stat.uid,
            gid: stat.gid,
            rdev: stat.rdev,
            nlink: stat.nlink,
            ino: stat.ino,
            dev: stat.dev,
            size: stat.size,
            access: stat.access.into(),
            modification: stat.modification.into(),
        }
    }
}

impl From<os::DirEntry> for DirEntry {
    fn from(entry: os::DirEntry) -> Self {
        DirEntry {
            name: entry.name,
            stat: entry.stat.into(),
            xattrs: entry.xattrs,
        }
    }
}

impl From<Metadata> for os::Metadata {
    fn from(metadata: Metadata) -> Self {
        os::Metadata {
            uid: metadata.uid,
            gid: metadata.gid,
            mode: metadata.mode,
            xattrs: metadata.xattrs,
            times: metadata
                .times
                .map(|(access, modification)| (access.into(), modification.into())),
        }
    }
}

impl From<NodeKind> for os::NodeKind {
    fn from(kind: NodeKind) -> Self {
        match kind {
            NodeKind::Fifo => os::NodeKind::Fifo,
            NodeKind::CharacterDevice => os::NodeKind::CharacterDevice,
            NodeKind::BlockDevice => os::NodeKind::BlockDevice,
        }
    }
}

/// What the `posix` interface reaches of a tenant's state: its resource
/// table (the component's descriptors and streams) and its sandbox policy.
pub struct PosixView<'a> {
    pub(crate) table: &'a mut ResourceTable,
    pub(crate) policy: &'a Policy,
}

/// Marks the `posix` interface for `add_to_linker`.
pub struct Posix;

impl HasData for Posix {
    type Data<'a> = PosixView<'a>;
}

/// A `posix` call's result: a trap for a bad handle (a component bug), else
/// what the component sees.
type Outcome<T> = wasmtime::Result<Result<T, ErrorCode>>;

impl PosixView<'_> {
    /// Runs `operation` on the directory behind `dir` (writable when `write`).
    fn in_dir<T>(
        &self,
        dir: &Resource<Descriptor>,
        write: bool,
        operation: impl FnOnce(&File) -> Result<T, ErrorCode>,
    ) -> Outcome<T> {
        Ok(directory(self.table, dir, write)?.and_then(|root| operation(&root)))
    }
}

impl Host for PosixView<'_> {
    fn mkdir(&mut self, dir: Resource<Descriptor>, path: String, mode: u32) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::mkdir(root, &path, mode).map_err(io_error_code)
        })
    }

    fn chmod(&mut self, dir: Resource<Descriptor>, path: String, mode: u32) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::chmod(root, &path, mode).map_err(io_error_code)
        })
    }

    fn lstat(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<Stat> {
        self.in_dir(&dir, false, |root| {
            os::lstat(root, &path)
                .map(Stat::from)
                .map_err(io_error_code)
        })
    }

    fn lchown(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        uid: u32,
        gid: u32,
    ) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::lchown(root, &path, uid, gid).map_err(io_error_code)
        })
    }

    fn mknod(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        kind: NodeKind,
        mode: u32,
        major: u32,
        minor: u32,
    ) -> Outcome<()> {
        let allow_devices = self.policy.allow_device_nodes;
        self.in_dir(&dir, true, |root| {
            os::mknod(root, &path, kind.into(), mode, major, minor, allow_devices)
                .map_err(io_error_code)
        })
    }

    fn set_times(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        access: Timespec,
        modification: Timespec,
    ) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::set_times(root, &path, access.into(), modification.into()).map_err(io_error_code)
        })
    }

    fn set_xattr(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        name: String,
        value: Vec<u8>,
    ) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::set_xattr(root, &path, &name, &value).map_err(io_error_code)
        })
    }

    fn get_xattr(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        name: String,
    ) -> Outcome<Option<Vec<u8>>> {
        self.in_dir(&dir, false, |root| {
            os::get_xattr(root, &path, &name).map_err(io_error_code)
        })
    }

    fn symlink(&mut self, dir: Resource<Descriptor>, path: String, target: String) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::symlink(root, &path, &target).map_err(io_error_code)
        })
    }

    fn remove_tree(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::remove_tree(root, &path).map_err(io_error_code)
        })
    }

    fn sync_filesystem(&mut self, dir: Resource<Descriptor>) -> Outcome<()> {
        self.in_dir(&dir, false, |root| {
            os::sync_filesystem(root).map_err(io_error_code)
        })
    }

    fn readlink(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<String> {
        self.in_dir(&dir, false, |root| {
            os::readlink(root, &path).map_err(io_error_code)
        })
    }

    fn read_dir(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<Vec<DirEntry>> {
        let budget = self.policy.memory_bytes;
        self.in_dir(&dir, false, |root| {
            let entries = os::read_dir(root, &path, budget).map_err(read_dir_error_code)?;
            Ok(entries.into_iter().map(DirEntry::from).collect())
        })
    }

    fn set_metadata(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        metadata: Metadata,
    ) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::set_metadata(root, &path, &metadata.into()).map_err(io_error_code)
        })
    }

    fn read_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        max_size: u64,
    ) -> Outcome<Vec<u8>> {
        let max_size = max_size.min(self.policy.memory_bytes as u64);
        self.in_dir(&dir, false, |root| {
            os::read_file(root, &path, max_size).map_err(read_file_error_code)
        })
    }

    fn send_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        out: Resource<DynOutputStream>,
    ) -> Outcome<u64> {
        let opened = self.in_dir(&dir, false, |root| {
            os::open_regular(root, &path).map_err(io_error_code)
        })?;
        let out = self.table.get_mut(&out)?;
        Ok(opened.and_then(|(file, _)| send(file, out.as_mut())))
    }

    fn create_file(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        contents: Vec<u8>,
        metadata: Metadata,
    ) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::create_file(root, &path, &contents, &metadata.into()).map_err(io_error_code)
        })
    }

    fn copy_file(
        &mut self,
        from_dir: Resource<Descriptor>,
        from_path: String,
        dir: Resource<Descriptor>,
        path: String,
        metadata: Metadata,
    ) -> Outcome<()> {
        let from = match directory(self.table, &from_dir, false)? {
            Ok(from) => from,
            Err(code) => return Ok(Err(code)),
        };
        self.in_dir(&dir, true, |root| {
            os::copy_file(&from, &from_path, root, &path, &metadata.into()).map_err(io_error_code)
        })
    }

    fn dedupe_file(
        &mut self,
        from_dir: Resource<Descriptor>,
        from_path: String,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Outcome<u64> {
        let from = match directory(self.table, &from_dir, false)? {
            Ok(from) => from,
            Err(code) => return Ok(Err(code)),
        };
        self.in_dir(&dir, true, |root| {
            os::dedupe_file(&from, &from_path, root, &path).map_err(io_error_code)
        })
    }

    fn list_xattrs(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<Vec<String>> {
        self.in_dir(&dir, false, |root| {
            os::list_xattrs(root, &path).map_err(io_error_code)
        })
    }

    fn open_dir(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Outcome<Resource<Descriptor>> {
        self.open_beneath(
            &dir,
            false,
            |root| os::open_dir(root, &path),
            |file, parent| {
                Descriptor::Dir(wasi_fs::Dir::new(
                    file,
                    parent.perms,
                    parent.open_mode,
                    BLOCKING_ALLOWED,
                ))
            },
        )
    }

    fn open_read(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Outcome<Resource<Descriptor>> {
        self.open_beneath(
            &dir,
            false,
            |root| os::open_read(root, &path),
            |file, parent| {
                Descriptor::File(wasi_fs::File::new(
                    file,
                    parent.perms,
                    wasi_fs::OpenMode::READ,
                    BLOCKING_ALLOWED,
                ))
            },
        )
    }

    fn create_new(
        &mut self,
        dir: Resource<Descriptor>,
        path: String,
        mode: u32,
    ) -> Outcome<Resource<Descriptor>> {
        self.open_beneath(
            &dir,
            true,
            |root| os::create_new(root, &path, mode),
            |file, parent| {
                Descriptor::File(wasi_fs::File::new(
                    file,
                    parent.perms,
                    wasi_fs::OpenMode::WRITE,
                    BLOCKING_ALLOWED,
                ))
            },
        )
    }

    fn hard_link(
        &mut self,
        from_dir: Resource<Descriptor>,
        from_path: String,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Outcome<()> {
        let from = match directory(self.table, &from_dir, false)? {
            Ok(from) => from,
            Err(code) => return Ok(Err(code)),
        };
        self.in_dir(&dir, true, |root| {
            os::hard_link(&from, &from_path, root, &path).map_err(io_error_code)
        })
    }

    fn rename(
        &mut self,
        from_dir: Resource<Descriptor>,
        from_path: String,
        dir: Resource<Descriptor>,
        path: String,
    ) -> Outcome<()> {
        let from = match directory(self.table, &from_dir, true)? {
            Ok(from) => from,
            Err(code) => return Ok(Err(code)),
        };
        self.in_dir(&dir, true, |root| {
            os::rename(&from, &from_path, root, &path).map_err(io_error_code)
        })
    }

    fn unlink(&mut self, dir: Resource<Descriptor>, path: String) -> Outcome<()> {
        self.in_dir(&dir, true, |root| {
            os::unlink(root, &path).map_err(io_error_code)
        })
    }
}

impl PosixView<'_> {
    /// Opens something beneath the directory behind `dir` (writable when
    /// `write`) and gives the component a descriptor for it, made by `wrap`
    /// with the rights of `dir`'s descriptor.
    fn open_beneath(
        &mut self,
        dir: &Resource<Descriptor>,
        write: bool,
        open: impl FnOnce(&File) -> io::Result<File>,
        wrap: impl FnOnce(File, &wasi_fs::Dir) -> Descriptor,
    ) -> Outcome<Resource<Descriptor>> {
        let parent = match self.table.get(dir)? {
            Descriptor::Dir(parent) => parent.clone(),
            Descriptor::File(_) => return Ok(Err(ErrorCode::NotDirectory)),
        };
        if write && parent.perms.write_not_permitted() {
            return Ok(Err(ErrorCode::ReadOnly));
        }
        let opened = match open(&parent.dir) {
            Ok(opened) => opened,
            Err(error) => return Ok(Err(io_error_code(error))),
        };
        Ok(Ok(self.table.push(wrap(opened, &parent))?))
    }
}

/// Writes all of `file` to `out`, flushing as `blocking-write-and-flush`
/// does; returns the byte count (`pipe` when `out` fails).
fn send(mut file: File, out: &mut dyn wasmtime_wasi::p2::OutputStream) -> Result<u64, ErrorCode> {
    let mut buffer = vec![0u8; READ_BUFFER];
    let mut sent = 0u64;
    loop {
        let count = match file.read(&mut buffer) {
            Ok(0) => return Ok(sent),
            Ok(count) => count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(io_error_code(error)),
        };
        let chunk = bytes::Bytes::copy_from_slice(&buffer[..count]);
        wasmtime_wasi::runtime::in_tokio(out.blocking_write_and_flush(chunk))
            .map_err(|_| ErrorCode::Pipe)?;
        sent += count as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A descriptor that is not in the table is a component bug: the call
    /// traps (an outer error) instead of answering with an error code.
    #[test]
    fn a_bad_handle_traps() {
        let mut table = ResourceTable::new();
        let policy = Policy {
            allow_device_nodes: false,
            memory_bytes: 1 << 20,
        };
        let mut view = PosixView {
            table: &mut table,
            policy: &policy,
        };
        let missing = || Resource::<Descriptor>::new_borrow(42);
        assert!(view.mkdir(missing(), "x".into(), 0o700).is_err());
        assert!(view.lstat(missing(), "x".into()).is_err());
        assert!(view.read_dir(missing(), ".".into()).is_err());
    }
    use std::fs::File;

    /// Names that are not UTF-8 (encoded) go through the `posix` calls that
    /// stand in for WASI's: opened descriptors carry the parent's rights.
    #[test]
    fn encoded_names_open_link_rename_and_unlink() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let temp = tempfile::tempdir().unwrap();
        let at = |path: &[u8]| temp.path().join(OsStr::from_bytes(path));
        std::fs::create_dir(at(b"d\xff")).unwrap();
        std::fs::write(at(b"d\xff/caf\xe9"), b"latin-1").unwrap();
        let mut table = ResourceTable::new();
        let policy = Policy {
            allow_device_nodes: false,
            memory_bytes: 1 << 20,
        };
        let mut view = PosixView {
            table: &mut table,
            policy: &policy,
        };
        let descriptor = |perms| {
            Descriptor::Dir(wasi_fs::Dir::new(
                File::open(temp.path()).unwrap(),
                perms,
                wasi_fs::OpenMode::READ | wasi_fs::OpenMode::WRITE,
                BLOCKING_ALLOWED,
            ))
        };
        let root = view
            .table
            .push(descriptor(wasi_fs::FsPerms::ReadWrite))
            .unwrap();
        let borrow =
            |handle: &Resource<Descriptor>| Resource::<Descriptor>::new_borrow(handle.rep());

        let dir = view
            .open_dir(borrow(&root), "\0d\u{ff}".into())
            .unwrap()
            .unwrap();
        assert!(matches!(view.table.get(&dir).unwrap(), Descriptor::Dir(_)));
        let names: Vec<String> = view
            .read_dir(borrow(&dir), ".".into())
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|entry| entry.name)
            .collect();
        assert_eq!(names, ["\0caf\u{e9}"]);
        let file = view
            .open_read(borrow(&dir), "\0caf\u{e9}".into())
            .unwrap()
            .unwrap();
        match view.table.get(&file).unwrap() {
            Descriptor::File(file) => assert_eq!(file.open_mode, wasi_fs::OpenMode::READ),
            Descriptor::Dir(_) => panic!("a file was opened"),
        }
        let created = view
            .create_new(borrow(&dir), "\0n\u{e8}".into(), 0o640)
            .unwrap()
            .unwrap();
        assert!(matches!(
            view.table.get(&created).unwrap(),
            Descriptor::File(_)
        ));
        assert!(at(b"d\xff/n\xe8").is_file());
        view.hard_link(
            borrow(&dir),
            "\0caf\u{e9}".into(),
            borrow(&root),
            "\0l\u{e9}".into(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(std::fs::read(at(b"l\xe9")).unwrap(), b"latin-1");
        view.rename(
            borrow(&root),
            "\0l\u{e9}".into(),
            borrow(&dir),
            "\0r\u{e9}".into(),
        )
        .unwrap()
        .unwrap();
        assert!(at(b"d\xff/r\xe9").is_file() && !at(b"l\xe9").exists());
        view.unlink(borrow(&dir), "\0r\u{e9}".into())
            .unwrap()
            .unwrap();
        assert!(!at(b"d\xff/r\xe9").exists());
        // A malformed encoding is an escape; a read-only parent stays read-only.
        let malformed = view.open_dir(borrow(&root), "\0plain".into()).unwrap();
        assert_eq!(malformed.unwrap_err(), ErrorCode::NotPermitted);
        let read_only = view
            .table
            .push(descriptor(wasi_fs::FsPerms::ReadOnly))
            .unwrap();
        let refused = view
            .create_new(borrow(&read_only), "x".into(), 0o600)
            .unwrap();
        assert_eq!(refused.unwrap_err(), ErrorCode::ReadOnly);
        assert!(
            view.open_dir(Resource::new_borrow(4242), "x".into())
                .is_err()
        );
    }

    #[test]
    fn io_errors_map_to_wasi_codes() {
        let cases = [
            (
                io::Error::from_raw_os_error(libc::ENOENT),
                ErrorCode::NoEntry,
            ),
            (io::Error::from_raw_os_error(libc::EEXIST), ErrorCode::Exist),
            (
                io::Error::from_raw_os_error(libc::EOPNOTSUPP),
                ErrorCode::Unsupported,
            ),
            (io::Error::from_raw_os_error(libc::EFBIG), ErrorCode::Io),
            (io::Error::from_raw_os_error(libc::ENOMEM), ErrorCode::Io),
            (
                io::Error::new(io::ErrorKind::PermissionDenied, "escape"),
                ErrorCode::NotPermitted,
            ),
            (
                io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"),
                ErrorCode::IllegalByteSequence,
            ),
            (
                io::Error::from(io::ErrorKind::WriteZero),
                ErrorCode::InsufficientSpace,
            ),
            (io::Error::from(io::ErrorKind::OutOfMemory), ErrorCode::Io),
            (io::Error::from(io::ErrorKind::UnexpectedEof), ErrorCode::Io),
        ];
        for (error, code) in cases {
            let shown = error.to_string();
            assert_eq!(io_error_code(error), code, "{shown}");
        }
    }

    #[test]
    fn only_the_operation_that_makes_an_error_maps_it_specially() {
        let efbig = || io::Error::from_raw_os_error(libc::EFBIG);
        let over_budget = || io::Error::from(io::ErrorKind::OutOfMemory);
        assert_eq!(read_file_error_code(efbig()), ErrorCode::FileTooLarge);
        assert_eq!(read_file_error_code(over_budget()), ErrorCode::Io);
        assert_eq!(
            read_dir_error_code(over_budget()),
            ErrorCode::InsufficientMemory
        );
        assert_eq!(
            read_dir_error_code(io::Error::from_raw_os_error(libc::ENOMEM)),
            ErrorCode::Io
        );
        assert_eq!(read_dir_error_code(efbig()), ErrorCode::Io);
    }

    #[test]
    fn crate_errors_reach_the_guest_as_before() {
        let outer = tempfile::tempdir().unwrap();
        let root_path = outer.path().join("root");
        std::fs::create_dir(&root_path).unwrap();
        std::os::unix::fs::symlink("..", root_path.join("up")).unwrap();
        std::fs::write(root_path.join("file"), b"0123456789").unwrap();
        let root = File::open(&root_path).unwrap();
        let code = |error: io::Error| io_error_code(error);
        // Escapes: split_beneath's and cap-primitives'.
        assert_eq!(
            code(os::lstat(&root, "/etc").unwrap_err()),
            ErrorCode::NotPermitted
        );
        assert_eq!(
            code(os::lstat(&root, "up/x").unwrap_err()),
            ErrorCode::NotPermitted
        );
        assert_eq!(
            code(os::mkdir(&root, ".", 0o700).unwrap_err()),
            ErrorCode::Exist
        );
        assert_eq!(
            code(os::chmod(&root, "up", 0o700).unwrap_err()),
            ErrorCode::Unsupported
        );
        assert_eq!(
            read_file_error_code(os::read_file(&root, "file", 9).unwrap_err()),
            ErrorCode::FileTooLarge
        );
        assert_eq!(
            read_file_error_code(os::read_file(&root, ".", 9).unwrap_err()),
            ErrorCode::IsDirectory
        );
        assert_eq!(
            read_dir_error_code(os::read_dir(&root, ".", 1).unwrap_err()),
            ErrorCode::InsufficientMemory
        );
        assert_eq!(
            code(
                os::mknod(&root, "dev", os::NodeKind::BlockDevice, 0o600, 1, 1, false).unwrap_err()
            ),
            ErrorCode::NotPermitted
        );
    }
}
