//! The tree comparison of `check` (upstream's `LayerContents` check, pure):
//! the tree a layer's diffs describe, built from the headers of every diff
//! from its base layer up (whiteouts applied, hard links taking their
//! target's attributes), against the tree on disk. Each difference is a
//! line as upstream words it: `+/path` (there but not described), `-/path`
//! (described but gone), `/path(size:1￫2,…)` (attributes differ).

use crate::disk::byte_names;
use crate::store::extract::strip_name_prefix;
use std::collections::BTreeMap;

/// Tar type flags the comparison treats specially.
const TYPE_REGULAR: u8 = b'0';
const TYPE_HARD_LINK: u8 = b'1';
const TYPE_SYMLINK: u8 = b'2';
const TYPE_CHAR_DEVICE: u8 = b'3';
const TYPE_BLOCK_DEVICE: u8 = b'4';
const TYPE_DIRECTORY: u8 = b'5';
const TYPE_FIFO: u8 = b'6';
const TYPE_GLOBAL_HEADER: u8 = b'g';

/// Whiteout name prefix and the opaque-directory marker (OCI layers).
const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// Permission bits a comparison looks at (Go's `os.ModePerm` of a tar mode).
const PERMISSION_BITS: i64 = 0o777;
/// Mode bits shown in a `mode:` difference.
const SHOWN_MODE_BITS: i64 = 0o7777;
/// Mode of a directory no header described (upstream's default).
const DEFAULT_DIRECTORY_MODE: i64 = 0o555;

/// What the comparison knows of one entry: a tar header's fields, or
/// those of a file on disk put in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    /// Path within the layer (`./etc/app`, `etc/`).
    pub name: String,
    /// Tar type flag (`0` regular, `5` directory, …).
    pub typeflag: u8,
    /// Hard link target (tar convention: relative to the archive's root).
    pub link_name: String,
    /// Owner.
    pub uid: i64,
    /// Group.
    pub gid: i64,
    /// Size (only regular files keep theirs).
    pub size: i64,
    /// Mode bits (permissions, setuid/setgid/sticky).
    pub mode: i64,
    /// Modification time, whole seconds.
    pub mtime: i64,
}

/// The tar type flag of a file on disk (`st_mode`); `None` for a socket,
/// which a tar cannot hold.
pub fn typeflag_of_mode(mode: u32) -> Option<u8> {
    use crate::file_type::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG};
    match mode & S_IFMT {
        S_IFREG => Some(TYPE_REGULAR),
        S_IFDIR => Some(TYPE_DIRECTORY),
        S_IFLNK => Some(TYPE_SYMLINK),
        S_IFCHR => Some(TYPE_CHAR_DEVICE),
        S_IFBLK => Some(TYPE_BLOCK_DEVICE),
        S_IFIFO => Some(TYPE_FIFO),
        _ => None,
    }
}

/// Which attribute differences the comparison overlooks (upstream's
/// `checkIgnore`, from the driver options).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ignore {
    /// Owners (`ignore_chown_errors=true`, `force_mask=`).
    pub ownership: bool,
    /// Permission bits (`force_mask=`).
    pub permissions: bool,
    /// File types (`force_mask=`).
    pub file_type: bool,
}

impl Ignore {
    /// What driver options `options` make the comparison overlook (any
    /// option containing the text, as upstream matches them).
    pub fn from_driver_options(options: &[String]) -> Ignore {
        let mut ignore = Ignore::default();
        for option in options {
            if option.contains("ignore_chown_errors=true") {
                ignore.ownership = true;
            }
            if option.contains("force_mask=") {
                ignore = Ignore {
                    ownership: true,
                    permissions: true,
                    file_type: true,
                };
            }
        }
        ignore
    }
}

/// The attributes compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Info {
    typeflag: u8,
    uid: i64,
    gid: i64,
    size: i64,
    mode: i64,
    mtime: i64,
}

/// A directory of the model: its attributes, subdirectories and the rest.
#[derive(Debug, Clone)]
pub struct Tree {
    info: Info,
    directories: BTreeMap<String, Tree>,
    files: BTreeMap<String, Info>,
}

impl Tree {
    /// An empty directory with upstream's defaults (root-owned, 0555,
    /// modified `now`).
    pub fn new(now: i64) -> Tree {
        Tree::directory(Info {
            typeflag: TYPE_DIRECTORY,
            uid: 0,
            gid: 0,
            size: 0,
            mode: DEFAULT_DIRECTORY_MODE,
            mtime: now,
        })
    }

    fn directory(info: Info) -> Tree {
        Tree {
            info: Info {
                typeflag: TYPE_DIRECTORY,
                ..info
            },
            directories: BTreeMap::new(),
            files: BTreeMap::new(),
        }
    }

    /// Adds an entry at `path` (a cleaned path); a missing parent directory
    /// is made with the entry's attributes, as upstream does.
    fn add(&mut self, path: &str, mut info: Info) {
        let mut components: Vec<&str> = path.split('/').collect();
        if components.last() == Some(&"") {
            components.pop();
        }
        if components.first() == Some(&".") {
            components.remove(0);
        }
        if info.typeflag != TYPE_REGULAR {
            info.size = 0;
        }
        let mut directory = self;
        let Some((last, parents)) = components.split_last() else {
            directory.info = Info {
                typeflag: directory.info.typeflag,
                size: directory.info.size,
                ..info
            };
            return;
        };
        for component in parents {
            directory = directory
                .directories
                .entry(component.to_string())
                .or_insert_with(|| Tree::directory(info));
        }
        match info.typeflag {
            TYPE_DIRECTORY => {
                directory.files.remove(*last);
                // Directory entries merge into what is there.
                match directory.directories.get_mut(*last) {
                    Some(existing) => existing.info = info,
                    None => {
                        directory
                            .directories
                            .insert(last.to_string(), Tree::directory(info));
                    }
                }
            }
            // Never on the file system.
            TYPE_GLOBAL_HEADER => {}
            _ => {
                directory.directories.remove(*last);
                directory.files.insert(last.to_string(), info);
            }
        }
    }

    /// Removes the entry at `path`, whatever it is.
    fn remove(&mut self, path: &str) {
        let mut directory = self;
        let mut rest = path;
        while let Some((parent, tail)) = rest.split_once('/') {
            match directory.directories.get_mut(parent) {
                Some(child) => directory = child,
                None => return,
            }
            rest = tail;
        }
        directory.directories.remove(rest);
        directory.files.remove(rest);
    }

    /// The attributes of the non-directory at `path` (a hard link's
    /// target), if the model has one.
    fn file_at(&self, path: &str) -> Option<Info> {
        let mut directory = self;
        for component in path.split('/') {
            if component == "." || component == ".." {
                continue;
            }
            if let Some(child) = directory.directories.get(component) {
                directory = child;
                continue;
            }
            return directory.files.get(component).copied();
        }
        None
    }

    /// Applies one header: whiteouts remove, an opaque whiteout empties
    /// its directory, a hard link takes its target's attributes.
    pub fn apply(&mut self, header: &EntryHeader) {
        let name = clean(&header.name);
        let (dir, base) = match name.rfind('/') {
            Some(slash) => (&name[..=slash], &name[slash + 1..]),
            None => ("", name.as_str()),
        };
        let mut info = Info {
            typeflag: header.typeflag,
            uid: header.uid,
            gid: header.gid,
            size: header.size,
            mode: header.mode,
            mtime: header.mtime,
        };
        if let Some(hidden) = strip_name_prefix(base, WHITEOUT_PREFIX) {
            if base == OPAQUE_WHITEOUT {
                let dir = clean(dir);
                self.remove(&dir);
                self.add(
                    &dir,
                    Info {
                        typeflag: TYPE_DIRECTORY,
                        ..info
                    },
                );
            } else {
                self.remove(&clean(&format!("{dir}{hidden}")));
            }
            return;
        }
        if header.typeflag == TYPE_HARD_LINK
            && let Some(target) = self.file_at(&clean(&header.link_name))
        {
            info = target;
        }
        self.add(&name, info);
    }

    /// Applies one diff's headers in upstream's order: within a directory
    /// the opaque whiteout, then whiteouts, then the rest; hard links last
    /// (a total order close to upstream's comparator, which is not one).
    pub fn apply_diff(&mut self, headers: &[EntryHeader]) {
        let rank = |header: &EntryHeader| {
            let (dir, file) = split(&header.name);
            let kind = if file == OPAQUE_WHITEOUT {
                0
            } else if strip_name_prefix(file, WHITEOUT_PREFIX).is_some() {
                1
            } else {
                2
            };
            (header.typeflag == TYPE_HARD_LINK, dir.to_string(), kind)
        };
        let mut ordered: Vec<(usize, &EntryHeader)> = headers.iter().enumerate().collect();
        ordered.sort_by_cached_key(|(index, header)| (rank(header), *index));
        for (_, header) in ordered {
            self.apply(header);
        }
    }
}

/// Go's `path.Split`: everything up to the last `/`, and the rest.
fn split(path: &str) -> (&str, &str) {
    match path.rfind('/') {
        Some(slash) => (&path[..=slash], &path[slash + 1..]),
        None => ("", path),
    }
}

/// Go's `path.Clean`.
fn clean(path: &str) -> String {
    String::from_utf8_lossy(&crate::archive::path::clean(path.as_bytes())).into_owned()
}

/// How two entries' attributes differ (`size:1￫2,mode:0644￫0600`); empty
/// when they do not.
fn compare_info(expected: &Info, actual: &Info, ignore: Ignore) -> String {
    let mut differences = Vec::new();
    if expected.typeflag != actual.typeflag && !ignore.file_type {
        differences.push(format!(
            "filetype:{}￫{}",
            expected.typeflag, actual.typeflag
        ));
    }
    if expected.uid != actual.uid && !ignore.ownership {
        differences.push(format!("uid:{}￫{}", expected.uid, actual.uid));
    }
    if expected.gid != actual.gid && !ignore.ownership {
        differences.push(format!("gid:{}￫{}", expected.gid, actual.gid));
    }
    if expected.size != actual.size {
        differences.push(format!("size:{}￫{}", expected.size, actual.size));
    }
    if expected.mode & PERMISSION_BITS != actual.mode & PERMISSION_BITS && !ignore.permissions {
        differences.push(format!(
            "mode:{:04o}￫{:04o}",
            expected.mode & SHOWN_MODE_BITS,
            actual.mode & SHOWN_MODE_BITS
        ));
    }
    if expected.mtime != actual.mtime {
        differences.push(format!("mtime:0x{:x}￫0x{:x}", expected.mtime, actual.mtime));
    }
    differences.join(",")
}

/// Differences below `path` between `expected` and `actual` (either may be
/// missing: an empty directory then).
fn compare_directories(
    path: &str,
    expected: Option<&Tree>,
    actual: Option<&Tree>,
    now: i64,
    ignore: Ignore,
    out: &mut Vec<String>,
) {
    let empty = Tree::new(now);
    let (expected, actual) = (expected.unwrap_or(&empty), actual.unwrap_or(&empty));
    for (name, directory) in &expected.directories {
        let here = format!("{path}/{name}");
        match actual.directories.get(name) {
            None => {
                out.push(format!("-{}/", shown(&here)));
                compare_directories(&here, Some(directory), None, now, ignore, out);
            }
            Some(found) => {
                let attributes = compare_info(&directory.info, &found.info, ignore);
                if !attributes.is_empty() {
                    out.push(format!("{}({attributes})", shown(&here)));
                }
                compare_directories(&here, Some(directory), Some(found), now, ignore, out);
            }
        }
    }
    for (name, directory) in &actual.directories {
        if !expected.directories.contains_key(name) {
            let here = format!("{path}/{name}");
            out.push(format!("+{}/", shown(&here)));
            compare_directories(&here, None, Some(directory), now, ignore, out);
        }
    }
    for (name, info) in &expected.files {
        match actual.files.get(name) {
            None => out.push(format!("-{}", shown(&format!("{path}/{name}")))),
            Some(found) => {
                let attributes = compare_info(info, found, ignore);
                if !attributes.is_empty() {
                    out.push(format!(
                        "{}({attributes})",
                        shown(&format!("{path}/{name}"))
                    ));
                }
            }
        }
    }
    for (name, found) in &actual.files {
        match expected.files.get(name) {
            None => out.push(format!("+{}", shown(&format!("{path}/{name}")))),
            Some(info) => {
                let attributes = compare_info(info, found, ignore);
                if !attributes.is_empty() {
                    out.push(format!(
                        "+{}({attributes})",
                        shown(&format!("{path}/{name}"))
                    ));
                }
            }
        }
    }
}

/// `path` as a report shows it: names that are not UTF-8 (encoded, see
/// [`byte_names`]) with U+FFFD for their invalid bytes.
fn shown(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains(byte_names::ENCODED_MARK) {
        return std::borrow::Cow::Borrowed(path);
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&byte_names::display_bytes(path)).into_owned())
}

/// Every difference between the described tree and the one on disk, in
/// upstream's order (by path after the first character; a removal first).
pub fn differences(expected: &Tree, actual: &Tree, now: i64, ignore: Ignore) -> Vec<String> {
    let mut out = Vec::new();
    compare_directories("", Some(expected), Some(actual), now, ignore, &mut out);
    out.sort_by(|a, b| {
        let key = |line: &str| {
            (
                line.get(1..).unwrap_or("").to_string(),
                !line.starts_with('-'),
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, typeflag: u8, size: i64, mode: i64) -> EntryHeader {
        EntryHeader {
            name: name.into(),
            typeflag,
            link_name: String::new(),
            uid: 0,
            gid: 0,
            size,
            mode,
            mtime: 100,
        }
    }

    fn tree(diffs: &[&[EntryHeader]]) -> Tree {
        let mut tree = Tree::new(7);
        for diff in diffs {
            tree.apply_diff(diff);
        }
        tree
    }

    fn base() -> Vec<EntryHeader> {
        vec![
            header("./", TYPE_DIRECTORY, 0, 0o755),
            header("./etc/", TYPE_DIRECTORY, 0, 0o755),
            header("./etc/hosts", TYPE_REGULAR, 10, 0o644),
            header("./etc/old", TYPE_REGULAR, 3, 0o644),
            header("./var/", TYPE_DIRECTORY, 0, 0o755),
            header("./var/log", TYPE_REGULAR, 1, 0o600),
        ]
    }

    #[test]
    fn identical_trees_have_no_differences() {
        let expected = tree(&[&base()]);
        assert!(differences(&expected, &tree(&[&base()]), 7, Ignore::default()).is_empty());
    }

    #[test]
    fn additions_removals_and_attributes_are_worded_as_upstream() {
        let expected = tree(&[&base()]);
        let mut on_disk = base();
        on_disk.retain(|h| h.name != "./var/log" && h.name != "./var/");
        on_disk[2].size = 11;
        on_disk[2].mode = 0o4600;
        on_disk.push(header("./etc/new", TYPE_REGULAR, 1, 0o644));
        on_disk.push(header("./opt/", TYPE_DIRECTORY, 0, 0o755));
        on_disk.push(header("./opt/tool", TYPE_SYMLINK, 0, 0o777));
        let actual = tree(&[&on_disk]);
        assert_eq!(
            differences(&expected, &actual, 7, Ignore::default()),
            // As upstream, a file in both trees with other attributes is
            // listed twice; lines sort by what follows their first byte.
            [
                "+/etc/hosts(size:10￫11,mode:0644￫4600)",
                "+/etc/new",
                "+/opt/",
                "+/opt/tool",
                "-/var/",
                "-/var/log",
                "/etc/hosts(size:10￫11,mode:0644￫4600)",
            ]
        );
    }

    #[test]
    fn names_that_are_not_utf8_are_reported_readably() {
        assert_eq!(shown("/d/\0caf\u{e9}"), "/d/caf\u{fffd}");
        assert_eq!(shown("/plain"), "/plain");
    }

    #[test]
    fn whiteouts_remove_and_opaque_directories_start_empty() {
        let child = vec![
            header("./etc/", TYPE_DIRECTORY, 0, 0o755),
            header("./etc/.wh.old", TYPE_REGULAR, 0, 0o644),
            header("./var/", TYPE_DIRECTORY, 0, 0o700),
            header("./var/.wh..wh..opq", TYPE_REGULAR, 0, 0o700),
            header("./var/new", TYPE_REGULAR, 2, 0o644),
        ];
        let expected = tree(&[&base(), &child]);
        let mut on_disk = base();
        on_disk.retain(|h| !h.name.ends_with("old") && h.name != "./var/log");
        on_disk.retain(|h| h.name != "./var/");
        on_disk.push(header("./var/", TYPE_DIRECTORY, 0, 0o700));
        on_disk.push(header("./var/new", TYPE_REGULAR, 2, 0o644));
        assert!(differences(&expected, &tree(&[&on_disk]), 7, Ignore::default()).is_empty());
    }

    #[test]
    fn hard_links_take_their_targets_attributes() {
        let mut link = header("./etc/link", TYPE_HARD_LINK, 0, 0o777);
        link.link_name = "./etc/hosts".into();
        let expected = tree(&[&base(), &[link]]);
        let mut on_disk = base();
        on_disk.push(header("./etc/link", TYPE_REGULAR, 10, 0o644));
        assert!(differences(&expected, &tree(&[&on_disk]), 7, Ignore::default()).is_empty());
    }

    #[test]
    fn type_changes_show_the_flags_as_numbers() {
        let expected = tree(&[&base()]);
        let mut on_disk = base();
        on_disk[3] = header("./etc/old", TYPE_SYMLINK, 0, 0o644);
        assert_eq!(
            differences(&expected, &tree(&[&on_disk]), 7, Ignore::default()),
            [
                "+/etc/old(filetype:48￫50,size:3￫0)",
                "/etc/old(filetype:48￫50,size:3￫0)"
            ]
        );
    }

    #[test]
    fn driver_options_overlook_owners_modes_and_types() {
        let expected = tree(&[&base()]);
        let mut on_disk = base();
        on_disk[2].uid = 1000;
        on_disk[2].mode = 0o600;
        on_disk[3] = header("./etc/old", TYPE_SYMLINK, 3, 0o644);
        let actual = tree(&[&on_disk]);
        let chown = Ignore::from_driver_options(&["vfs.ignore_chown_errors=true".into()]);
        assert_eq!(
            differences(&expected, &actual, 7, chown),
            [
                "+/etc/hosts(mode:0644￫0600)",
                "+/etc/old(filetype:48￫50,size:3￫0)",
                "/etc/hosts(mode:0644￫0600)",
                "/etc/old(filetype:48￫50,size:3￫0)",
            ]
        );
        let masked = Ignore::from_driver_options(&["vfs.force_mask=0700".into()]);
        assert_eq!(
            differences(&expected, &actual, 7, masked),
            ["+/etc/old(size:3￫0)", "/etc/old(size:3￫0)"]
        );
        assert_eq!(
            Ignore::from_driver_options(&["vfs.ignore_chown_errors=false".into()]),
            Ignore::default()
        );
    }

    #[test]
    fn sockets_have_no_type_flag() {
        assert_eq!(typeflag_of_mode(0o140755), None);
        assert_eq!(typeflag_of_mode(0o100644), Some(TYPE_REGULAR));
        assert_eq!(typeflag_of_mode(0o040755), Some(TYPE_DIRECTORY));
    }
}
