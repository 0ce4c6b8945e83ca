//! Tar members whose names are not UTF-8 (Linux names are bytes), against
//! containers-storage 1.43, which accepts them: the same archives imported
//! into both, then the trees on disk (byte names), `diff` (the imported
//! tar, byte for byte), `changes` (text and JSON), `diffsize`, and the
//! tree-comparison diff of a container layer written to directly; `check`.

use crate::common;

use common::{Roots, run_binary};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Size of the file streamed (not written in one host call) on import.
const BIG_FILE_SIZE: usize = 9 << 20;
/// Modification time given to the file written into a container's layer.
const WRITTEN_MTIME: u64 = 1_700_000_500;

/// `path` beneath `root`, from its bytes.
fn at(root: &Path, path: &[u8]) -> PathBuf {
    root.join(OsStr::from_bytes(path))
}

/// GNU tar of directory `src`, sorted by name, owned by root, fixed times.
fn tar_of(src: &Path, mtime: &str) -> Vec<u8> {
    let out = Command::new("tar")
        .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
        .arg(format!("--mtime={mtime}"))
        .arg("-C")
        .arg(src)
        .args(["-cf", "-", "."])
        .output()
        .expect("run tar");
    assert!(out.status.success(), "tar of {}", src.display());
    out.stdout
}

/// The base layer: a Latin-1 file name, a directory with such a name holding
/// files, a hard link and symlinks with such names and targets, a file
/// large enough to be streamed.
fn base_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(at(src, b"caf\xe9"), b"latin-1\n").unwrap();
    std::fs::create_dir(at(src, b"d\xff")).unwrap();
    std::fs::write(at(src, b"d\xff/inner"), b"inside\n").unwrap();
    std::fs::write(at(src, b"d\xff/n\xe8me"), b"both\n").unwrap();
    std::fs::hard_link(at(src, b"caf\xe9"), at(src, b"link\xe9")).unwrap();
    std::os::unix::fs::symlink(OsStr::from_bytes(b"d\xff/inner"), src.join("to-dir")).unwrap();
    std::os::unix::fs::symlink("plain", at(src, b"s\xe9")).unwrap();
    std::fs::write(at(src, b"big\xe9"), vec![b'z'; BIG_FILE_SIZE]).unwrap();
    tar_of(src, "@1700000000")
}

/// A child layer: a whiteout of a Latin-1 name, a new file with such a
/// name, and the directory of such a name made opaque (listing it is what
/// WASI cannot do).
fn child_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(at(src, b".wh.caf\xe9"), b"").unwrap();
    std::fs::write(at(src, b"n\xf6"), b"new\n").unwrap();
    std::fs::create_dir(at(src, b"d\xff")).unwrap();
    std::fs::write(at(src, b"d\xff/.wh..wh..opq"), b"").unwrap();
    std::fs::write(at(src, b"d\xff/fresh"), b"fresh\n").unwrap();
    tar_of(src, "@1700000100")
}

/// One implementation's roots and CLI.
struct Side {
    roots: Roots,
    cli: PathBuf,
}

impl Side {
    /// Fresh roots for `cli`.
    fn new(cli: PathBuf) -> Side {
        Side {
            roots: Roots::new(),
            cli,
        }
    }

    /// Runs a command that must succeed; its standard output.
    fn ok(&self, args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
        let (stdout, stderr, code) = run_binary(&self.cli, &self.roots, args, stdin);
        assert_eq!(code, 0, "{} {args:?}: {stderr}", self.cli.display());
        stdout
    }

    /// Runs a command that must succeed and print UTF-8; what it printed.
    fn text(&self, args: &[&str]) -> String {
        String::from_utf8(self.ok(args, None)).expect("UTF-8 output")
    }

    /// The directory of layer `id`.
    fn layer_dir(&self, id: &str) -> PathBuf {
        self.roots.graph().join("vfs/dir").join(id)
    }
}

/// Every entry below `root`: its byte path, kind, permission bits, size,
/// contents or symlink target, and which earlier entry it is a hard link of.
fn byte_tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(Vec<u8>, std::fs::Metadata)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .as_os_str()
                .as_bytes()
                .to_vec();
            let is_dir = meta.is_dir();
            out.push((relative, meta));
            if is_dir {
                walk(root, &path, out);
            }
        }
    }
    let mut entries = Vec::new();
    walk(root, root, &mut entries);
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut first_links: Vec<((u64, u64), Vec<u8>)> = Vec::new();
    entries
        .iter()
        .map(|(path, meta)| {
            let full = at(root, path);
            let what = if meta.is_dir() {
                "dir".to_string()
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&full).unwrap();
                format!("-> {}", common_quote(target.as_os_str().as_bytes()))
            } else {
                let contents = std::fs::read(&full).unwrap();
                let shown = if contents.len() > 64 {
                    format!("{} bytes", contents.len())
                } else {
                    common_quote(&contents)
                };
                let inode = (meta.dev(), meta.ino());
                let link = match first_links.iter().find(|(seen, _)| *seen == inode) {
                    Some((_, first)) => format!(" (link of {})", common_quote(first)),
                    None => {
                        first_links.push((inode, path.clone()));
                        String::new()
                    }
                };
                format!("{shown}{link}")
            };
            format!(
                "{} {:o} {}:{} {what}",
                common_quote(path),
                meta.mode() & 0o7777,
                meta.uid(),
                meta.gid()
            )
        })
        .collect()
}

/// Bytes shown with `\xNN` escapes for what is not UTF-8.
fn common_quote(bytes: &[u8]) -> String {
    graphstore_guest::format::go::quote(bytes)
}

#[test]
fn non_utf8_names_match_containers_storage() {
    let ours = Side::new(common::graphstore_cli());
    let theirs = Side::new(common::reference_cli());
    let (base, child) = (base_tar(), child_tar());
    for side in [&ours, &theirs] {
        side.ok(&["import-layer", "-i", "base"], Some(&base));
        side.ok(&["import-layer", "-i", "child", "base"], Some(&child));
    }

    // The trees on disk, byte names and all.
    let tree = byte_tree(&ours.layer_dir("base"));
    assert_eq!(tree, byte_tree(&theirs.layer_dir("base")));
    for expected in [
        r#""caf\xe9" 644 0:0 "latin-1\n""#,
        r#""d\xff" 755 0:0 dir"#,
        r#""d\xff/n\xe8me" 644 0:0 "both\n""#,
        r#""link\xe9" 644 0:0 "latin-1\n" (link of "caf\xe9")"#,
        r#""to-dir" 777 0:0 -> "d\xff/inner""#,
        r#""big\xe9" 644 0:0 9437184 bytes"#,
    ] {
        assert!(
            tree.iter().any(|line| line == expected),
            "{expected} in {tree:#?}"
        );
    }
    for side in [&ours, &theirs] {
        side.ok(&["create-layer", "-i", "applied"], None);
        side.ok(&["applydiff", "applied"], Some(&base));
    }
    assert_eq!(byte_tree(&ours.layer_dir("applied")), tree);
    assert_eq!(byte_tree(&theirs.layer_dir("applied")), tree);
    let child_tree = byte_tree(&ours.layer_dir("child"));
    assert_eq!(child_tree, byte_tree(&theirs.layer_dir("child")));
    assert!(
        !child_tree
            .iter()
            .any(|line| line.starts_with(r#""caf\xe9""#))
    );
    assert!(
        child_tree
            .iter()
            .any(|line| line == r#""n\xf6" 644 0:0 "new\n""#)
    );

    // Diffs rebuilt from tar-split: the imported tars, byte for byte.
    for side in [&ours, &theirs] {
        assert!(
            side.ok(&["diff", "-u", "base"], None) == base,
            "{}",
            side.cli.display()
        );
        assert!(
            side.ok(&["diff", "-u", "child"], None) == child,
            "{}",
            side.cli.display()
        );
    }

    // changes, as 1.43 prints the raw bytes of its Go strings.
    // (1.43's order is random: compared sorted.)
    let sorted_lines = |text: String| {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        lines.sort_unstable();
        lines
    };
    let lines = sorted_lines(ours.text(&["changes", "child"]));
    assert_eq!(
        lines,
        [
            r#"Add "/d\xff/fresh""#,
            r#"Add "/n\xf6""#,
            r#"Delete "/caf\xe9""#,
            r#"Delete "/d\xff/inner""#,
            r#"Delete "/d\xff/n\xe8me""#,
            r#"Modify "/d\xff""#,
        ]
    );
    assert_eq!(lines, sorted_lines(theirs.text(&["changes", "child"])));
    let json = ours.text(&["changes", "--json", "child"]);
    assert!(json.contains(r#"{"Path":"/n\ufffd","Kind":1}"#), "{json}");
    let sorted_json = |text: String| {
        let mut entries: Vec<String> = text
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split("},{")
            .map(|e| e.trim_matches(|c| c == '{' || c == '}').to_string())
            .collect();
        entries.sort();
        entries
    };
    assert_eq!(
        sorted_json(json),
        sorted_json(theirs.text(&["changes", "--json", "child"]))
    );
    let base_changes = sorted_lines(ours.text(&["changes", "base"]));
    assert_eq!(
        base_changes,
        sorted_lines(theirs.text(&["changes", "base"]))
    );
    assert!(
        base_changes
            .iter()
            .any(|line| line == r#"Add "/d\xff/n\xe8me""#)
    );

    // Sizes and listings are unaffected.
    for args in [["diffsize", "child"], ["diffsize", "base"]] {
        assert_eq!(ours.text(&args), theirs.text(&args), "{args:?}");
    }
    for layer in ["base", "child"] {
        let record = |side: &Side| common::json(&side.text(&["layer", "--json", layer]))[0].clone();
        let (our_record, their_record) = (record(&ours), record(&theirs));
        for field in [
            "diff-digest",
            "diff-size",
            "compressed-diff-digest",
            "compressed-size",
        ] {
            assert_eq!(our_record[field], their_record[field], "{layer} {field}");
        }
        assert_eq!(
            our_record["diff-size"],
            (if layer == "base" {
                base.len()
            } else {
                child.len()
            }) as u64
        );
    }

    // `check` (newer upstream; 1.43 lacks it) finds the trees its diffs
    // describe, names that are not UTF-8 included.
    assert_eq!(ours.text(&["check"]), "");

    // A container layer written to directly: its diff compares trees.
    // Both CLIs read the same store, so the symlink's time is the same.
    ours.ok(&["create-image", "-i", "img", "child"], None);
    ours.ok(&["create-container", "-i", "ctr", "img"], None);
    let record = common::json(&ours.text(&["container", "--json", "ctr"]));
    let layer = record[0]["layer"].as_str().expect("a layer ID").to_string();
    let layer_dir = ours.layer_dir(&layer);
    let written = at(&layer_dir, b"written\xe9");
    std::fs::write(&written, b"written into the container\n").unwrap();
    let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs(WRITTEN_MTIME);
    std::fs::File::options()
        .write(true)
        .open(&written)
        .and_then(|file| file.set_modified(mtime))
        .unwrap();
    std::os::unix::fs::symlink(OsStr::from_bytes(b"caf\xe9"), at(&layer_dir, b"sym\xe9")).unwrap();
    let reference = |args: &[&str]| {
        let (stdout, stderr, code) = run_binary(&theirs.cli, &ours.roots, args, None);
        assert_eq!(code, 0, "1.43 {args:?}: {stderr}");
        stdout
    };
    let our_lines = sorted_lines(ours.text(&["changes", &layer]));
    assert_eq!(our_lines, [r#"Add "/sym\xe9""#, r#"Add "/written\xe9""#]);
    let reference_changes = String::from_utf8(reference(&["changes", &layer])).unwrap();
    assert_eq!(our_lines, sorted_lines(reference_changes));
    let diff = ours.ok(&["diff", "-u", &layer], None);
    assert!(
        diff == reference(&["diff", "-u", &layer]),
        "the naive diff is 1.43's, byte for byte"
    );
    assert_eq!(
        tar_listing(&diff),
        [r#""sym\xe9" 0 "caf\xe9""#, r#""written\xe9" 27 """#]
    );

    // A file of such a name gone from a layer is reported readably.
    std::fs::remove_file(at(&ours.layer_dir("applied"), b"d\xff/n\xe8me")).unwrap();
    let (report, _, code) = run_binary(&ours.cli, &ours.roots, &["check"], None);
    assert_eq!(code, 1);
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains(" layer applied: ./d\u{fffd}/n\u{fffd}me: no such file in the layer\n"),
        "{report}"
    );

    // Deleting layers holding such names removes their trees (the image's
    // layers go with it).
    ours.ok(&["delete-container", "ctr"], None);
    ours.ok(&["delete-image", "img"], None);
    ours.ok(&["delete-layer", "applied"], None);
    for layer in ["child", "base", "applied", &layer] {
        assert!(!ours.layer_dir(layer).exists(), "{layer}");
    }
}

/// Name, size and link target of each member of `tar`, shown with `\xNN`
/// escapes.
fn tar_listing(tar: &[u8]) -> Vec<String> {
    let mut reader = graphstore_guest::archive::Disassembler::new(tar, Vec::new());
    let mut members = Vec::new();
    while let Some(member) = reader.next_member().expect("a valid tar") {
        members.push(format!(
            "{} {} {}",
            common_quote(&member.path),
            member.size,
            common_quote(&member.link_target)
        ));
    }
    members
}

/// A name too long for the ustar header travels in a PAX `path` record
/// holding the raw bytes: extracted as its bytes and rebuilt byte for
/// byte, as 1.43 does.
#[test]
fn pax_records_carry_names_that_are_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut long = vec![b'x'; 120];
    long.push(0xe9);
    std::fs::write(at(dir.path(), &long), b"long\n").unwrap();
    let out = Command::new("tar")
        .args(["--format=pax", "--sort=name", "--owner=0", "--group=0"])
        .args(["--mtime=@1700000000", "-C"])
        .arg(dir.path())
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(out.status.success());
    let tar = out.stdout;
    let ours = Side::new(common::graphstore_cli());
    let theirs = Side::new(common::reference_cli());
    for side in [&ours, &theirs] {
        side.ok(&["import-layer", "-i", "pax"], Some(&tar));
        assert!(
            side.ok(&["diff", "-u", "pax"], None) == tar,
            "{}",
            side.cli.display()
        );
    }
    let tree = byte_tree(&ours.layer_dir("pax"));
    assert_eq!(tree, byte_tree(&theirs.layer_dir("pax")));
    assert_eq!(
        tree,
        [format!("{} 644 0:0 \"long\\n\"", common_quote(&long))]
    );
}
