//! Tests of the changes module: table-driven comparisons, and fixtures made
//! with containers-storage 1.43 (`guest/tests/fixtures/changes`, see
//! `make_fixtures.sh`): two layer trees dumped with their stat data, and
//! the `changes -j`, `diffsize` and `diff -u` outputs for them.

use super::*;
use crate::archive::path::is_whiteout;
use crate::archive::writer::TarWriter;
use crate::archive::{Disassembler, TarSplitWriter};
use crate::format::timestamp::Timestamp;
use crate::records::IdMap;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::io;

const MTIME: i64 = 1_700_000_000;

fn at(seconds: i64, nanoseconds: u32) -> Timestamp {
    Timestamp::utc(seconds, nanoseconds)
}

fn file(size: u64) -> EntryInfo {
    EntryInfo {
        kind: EntryKind::Regular,
        mode: 0o644,
        uid: 0,
        gid: 0,
        rdev: 0,
        size,
        mtime: at(MTIME, 0),
        link_target: String::new(),
        xattrs: BTreeMap::new(),
        dev: 1,
        ino: 0,
        nlink: 1,
    }
}

fn dir() -> EntryInfo {
    EntryInfo {
        kind: EntryKind::Directory,
        mode: 0o755,
        size: 4096,
        ..file(0)
    }
}

fn symlink(target: &str) -> EntryInfo {
    EntryInfo {
        kind: EntryKind::Symlink,
        mode: 0o777,
        size: target.len() as u64,
        link_target: target.to_string(),
        ..file(0)
    }
}

fn with(mut info: EntryInfo, edit: impl FnOnce(&mut EntryInfo)) -> EntryInfo {
    edit(&mut info);
    info
}

fn snapshot(entries: &[(&str, EntryInfo)]) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for (path, info) in entries {
        snapshot.insert(path, info.clone()).unwrap();
    }
    snapshot
}

fn maps(host_id: u32) -> IdMaps {
    let range = IdMap {
        container_id: 0,
        host_id,
        size: 65536,
    };
    IdMaps::new(vec![range], vec![range])
}

fn list(changes: &[Change]) -> Vec<(&str, ChangeKind)> {
    changes.iter().map(|c| (c.path.as_str(), c.kind)).collect()
}

struct Case {
    name: &'static str,
    old: Vec<(&'static str, EntryInfo)>,
    new: Vec<(&'static str, EntryInfo)>,
    maps: (IdMaps, IdMaps),
    expected: Vec<(&'static str, ChangeKind)>,
}

fn case(
    name: &'static str,
    old: Vec<(&'static str, EntryInfo)>,
    new: Vec<(&'static str, EntryInfo)>,
    expected: Vec<(&'static str, ChangeKind)>,
) -> Case {
    Case {
        name,
        old,
        new,
        maps: Default::default(),
        expected,
    }
}

fn cases() -> Vec<Case> {
    use ChangeKind::{Add, Delete, Modify};
    let xattr = |name: &str, value: &[u8]| {
        let (name, value) = (name.to_string(), value.to_vec());
        move |info: &mut EntryInfo| {
            info.xattrs.insert(name, value);
        }
    };
    vec![
        case(
            "identical trees",
            vec![("/f", file(1))],
            vec![("/f", file(1))],
            vec![],
        ),
        case(
            "mtime equal when one side has 0 nanoseconds",
            vec![
                ("/a", with(file(1), |f| f.mtime = at(MTIME, 500))),
                ("/b", file(1)),
            ],
            vec![
                ("/a", file(1)),
                ("/b", with(file(1), |f| f.mtime = at(MTIME, 7))),
            ],
            vec![],
        ),
        case(
            "mtime differs in nanoseconds on both sides or in seconds",
            vec![
                ("/a", with(file(1), |f| f.mtime = at(MTIME, 1))),
                ("/b", file(1)),
            ],
            vec![
                ("/a", with(file(1), |f| f.mtime = at(MTIME, 2))),
                ("/b", with(file(1), |f| f.mtime = at(MTIME + 1, 0))),
            ],
            vec![("/a", Modify), ("/b", Modify)],
        ),
        case(
            "size, mode, setuid and rdev changes",
            vec![
                ("/size", file(1)),
                ("/mode", file(1)),
                ("/suid", with(file(1), |f| f.mode = 0o755)),
                (
                    "/dev",
                    with(file(0), |f| {
                        (f.kind, f.rdev) = (EntryKind::CharDevice, 0x103)
                    }),
                ),
            ],
            vec![
                ("/size", file(2)),
                ("/mode", with(file(1), |f| f.mode = 0o600)),
                ("/suid", with(file(1), |f| f.mode = 0o4755)),
                (
                    "/dev",
                    with(file(0), |f| {
                        (f.kind, f.rdev) = (EntryKind::CharDevice, 0x105)
                    }),
                ),
            ],
            vec![
                ("/dev", Modify),
                ("/mode", Modify),
                ("/size", Modify),
                ("/suid", Modify),
            ],
        ),
        case(
            "directory size and mtime are not compared, its mode is",
            vec![("/d", dir()), ("/e", dir())],
            vec![
                (
                    "/d",
                    with(dir(), |d| (d.size, d.mtime) = (8192, at(MTIME + 9, 0))),
                ),
                ("/e", with(dir(), |d| d.mode = 0o700)),
            ],
            vec![("/e", Modify)],
        ),
        case(
            "block devices skip size and mtime like directories (S_IFDIR bit)",
            vec![("/blk", with(file(0), |f| f.kind = EntryKind::BlockDevice))],
            vec![(
                "/blk",
                with(file(5), |f| {
                    (f.kind, f.mtime) = (EntryKind::BlockDevice, at(1, 0))
                }),
            )],
            vec![],
        ),
        case(
            "xattr changes: user.* and capability; absent capability equals empty; others ignored",
            vec![
                ("/user", with(file(1), xattr("user.k", b"1"))),
                ("/cap", with(file(1), xattr(CAPABILITY_XATTR, b"\x01"))),
                ("/emptycap", file(1)),
                ("/trusted", with(file(1), xattr("trusted.x", b"1"))),
                ("/ima", file(1)),
            ],
            vec![
                ("/user", with(file(1), xattr("user.k", b"2"))),
                ("/cap", with(file(1), xattr(CAPABILITY_XATTR, b"\x02"))),
                ("/emptycap", with(file(1), xattr(CAPABILITY_XATTR, b""))),
                ("/trusted", with(file(1), xattr("trusted.x", b"2"))),
                ("/ima", with(file(1), xattr(IMA_XATTR, b"sig"))),
            ],
            vec![("/cap", Modify), ("/user", Modify)],
        ),
        case(
            "new user xattr with an empty value is a change",
            vec![("/f", file(1))],
            vec![("/f", with(file(1), xattr("user.e", b"")))],
            vec![("/f", Modify)],
        ),
        case(
            "deleted directory reported once, at the top",
            vec![
                ("/keep", dir()),
                ("/keep/gone", dir()),
                ("/keep/gone/sub", dir()),
                ("/keep/gone/sub/f", file(1)),
                ("/top", file(1)),
            ],
            vec![("/keep", dir())],
            vec![("/keep", Modify), ("/keep/gone", Delete), ("/top", Delete)],
        ),
        case(
            "nested adds under an unchanged directory make it and its parents Modify",
            vec![("/a", dir()), ("/a/b", dir()), ("/a/b/old", file(1))],
            vec![
                ("/a", dir()),
                ("/a/b", dir()),
                ("/a/b/new", dir()),
                ("/a/b/new/deeper", dir()),
                ("/a/b/new/deeper/f", file(3)),
                ("/a/b/old", file(1)),
            ],
            vec![
                ("/a", Modify),
                ("/a/b", Modify),
                ("/a/b/new", Add),
                ("/a/b/new/deeper", Add),
                ("/a/b/new/deeper/f", Add),
            ],
        ),
        case(
            "a modified directory is reported once with its changes",
            vec![("/d", dir()), ("/d/f", file(1))],
            vec![("/d", with(dir(), |d| d.uid = 5)), ("/d/f", file(2))],
            vec![("/d", Modify), ("/d/f", Modify)],
        ),
        case(
            "symlink retargeted: seen through size or mtime only",
            vec![
                ("/s", symlink("a.txt")),
                ("/t", symlink("a.txt")),
                ("/u", symlink("a.txt")),
            ],
            vec![
                ("/s", symlink("longer.txt")),
                ("/t", with(symlink("b.txt"), |s| s.mtime = at(MTIME + 1, 0))),
                ("/u", symlink("b.txt")),
            ],
            vec![("/s", Modify), ("/t", Modify)],
        ),
        case(
            "directory replaced by a file: no deletes below it",
            vec![("/x", dir()), ("/x/f", file(1))],
            vec![("/x", file(1))],
            vec![("/x", Modify)],
        ),
        case(
            "file replaced by a directory: its contents are adds",
            vec![("/x", file(1))],
            vec![("/x", dir()), ("/x/f", file(1))],
            vec![("/x", Modify), ("/x/f", Add)],
        ),
        case(
            "sorted by path bytes ('-' sorts before '/')",
            vec![("/a", dir())],
            vec![("/a", dir()), ("/a/b", file(1)), ("/a-b", file(1))],
            vec![("/a", Modify), ("/a-b", Add), ("/a/b", Add)],
        ),
        Case {
            name: "owners compared after mapping each side with its maps",
            old: vec![("/same", file(1)), ("/other", file(1))],
            new: vec![
                (
                    "/same",
                    with(file(1), |f| (f.uid, f.gid) = (100_000, 100_000)),
                ),
                (
                    "/other",
                    with(file(1), |f| (f.uid, f.gid) = (101_000, 100_000)),
                ),
            ],
            maps: (IdMaps::default(), maps(100_000)),
            expected: vec![("/other", Modify)],
        },
        Case {
            name: "new owner not mappable: both compared as stored",
            old: vec![("/host0", file(1)), ("/shifted", file(1))],
            new: vec![
                ("/host0", file(1)),
                ("/shifted", with(file(1), |f| (f.uid, f.gid) = (7, 7))),
            ],
            maps: (maps(100_000), maps(100_000)),
            expected: vec![("/shifted", Modify)],
        },
        Case {
            name: "old owner not mappable: old compared as stored",
            old: vec![("/f", with(file(1), |f| (f.uid, f.gid) = (5, 5)))],
            new: vec![("/f", with(file(1), |f| (f.uid, f.gid) = (100_005, 100_005)))],
            maps: (maps(200_000), maps(100_000)),
            expected: vec![],
        },
    ]
}

#[test]
fn changes_follow_1_43_rules() {
    for case in cases() {
        let (old, new) = (snapshot(&case.old), snapshot(&case.new));
        let found = changes(&old, &new, &case.maps.0, &case.maps.1);
        assert_eq!(list(&found), case.expected, "{}", case.name);
    }
}

#[test]
fn everything_is_added_against_an_empty_tree() {
    let layer = snapshot(&[("/d", dir()), ("/d/f", file(1)), ("/g", file(2))]);
    let none = IdMaps::default();
    let found = changes(&Snapshot::new(), &layer, &none, &none);
    use ChangeKind::Add;
    assert_eq!(list(&found), vec![("/d", Add), ("/d/f", Add), ("/g", Add)]);
    assert_eq!(diff_size(&found, &layer), 3);
}

#[test]
fn diff_size_counts_hard_links_once_and_skips_directories_and_deletes() {
    let linked = |ino| {
        with(file(10), |f| {
            (f.ino, f.nlink) = (ino, 2);
        })
    };
    let layer = snapshot(&[
        ("/d", dir()),
        ("/d/a", linked(42)),
        ("/d/b", linked(42)),
        ("/d/other", linked(43)),
        ("/s", symlink("d/a")),
        ("/single", with(file(5), |f| f.ino = 42)),
    ]);
    let change = |path: &str, kind| Change {
        path: path.to_string(),
        kind,
    };
    let list = [
        change("/d", ChangeKind::Modify),
        change("/d/a", ChangeKind::Add),
        change("/d/b", ChangeKind::Add),
        change("/d/other", ChangeKind::Modify),
        change("/gone", ChangeKind::Delete),
        change("/missing", ChangeKind::Add),
        change("/s", ChangeKind::Add),
        change("/single", ChangeKind::Modify),
    ];
    // 10 (inode 42 once) + 10 (inode 43) + 3 (symlink) + 5 (one link: not deduplicated).
    assert_eq!(diff_size(&list, &layer), 28);
}

#[test]
fn change_kinds_have_1_43_codes_and_json() {
    let kinds = [ChangeKind::Modify, ChangeKind::Add, ChangeKind::Delete];
    let codes: Vec<i64> = kinds.iter().map(|k| k.code()).collect();
    let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
    assert_eq!(codes, [0, 1, 2]);
    assert_eq!(labels, ["Modify", "Add", "Delete"]);
    let change = Change {
        path: "/etc".to_string(),
        kind: ChangeKind::Delete,
    };
    assert_eq!(
        serde_json::to_string(&change).unwrap(),
        r#"{"Path":"/etc","Kind":2}"#
    );
}

#[test]
fn snapshot_insert_rejects_bad_paths() {
    let mut tree = snapshot(&[("/d", dir()), ("/f", file(1))]);
    let cases = [
        ("relative", "not absolute"),
        ("/", "the root is not an entry"),
        ("/d/../x", "not a cleaned path"),
        ("/d/", "not a cleaned path"),
        ("/missing/x", "parent directory not inserted"),
        ("/f/x", "parent is not a directory"),
        ("/d", "already inserted"),
    ];
    for (path, expected) in cases {
        match tree.insert(path, file(1)) {
            Err(ChangesError::InvalidPath { reason, .. }) => assert_eq!(reason, expected, "{path}"),
            other => panic!("{path}: {other:?}"),
        }
    }
    tree.insert("/d/x", file(1)).unwrap();
    assert_eq!(tree.len(), 3);
    assert!(tree.is_dir("/d") && !tree.is_dir("/d/x") && tree.contains("/d/x"));
}

#[test]
fn id_maps_translate_host_ids_and_fail_outside_ranges() {
    let maps = IdMaps::new(
        vec![
            IdMap {
                container_id: 0,
                host_id: 1000,
                size: 1,
            },
            IdMap {
                container_id: 1,
                host_id: 100_000,
                size: 65536,
            },
        ],
        vec![],
    );
    assert_eq!(maps.to_container(1000, 5), Some((0, 5)));
    assert_eq!(maps.to_container(100_999, 0), Some((1000, 0)));
    assert_eq!(maps.to_container(0, 0), None);
    assert_eq!(maps.to_container(165_536, 0), None);
    assert_eq!(IdMaps::default().to_container(7, 8), Some((7, 8)));
}

#[test]
fn plan_diff_orders_entries_whiteouts_and_hard_links() {
    let linked = |ino| {
        with(file(3), |f| {
            (f.ino, f.nlink) = (ino, 2);
        })
    };
    let layer = snapshot(&[
        ("/d", with(dir(), |d| (d.uid, d.gid) = (100_000, 100_000))),
        ("/d/h1", with(linked(9), |f| (f.uid, f.gid) = (0, 0))),
        (
            "/d/h2",
            with(linked(9), |f| (f.uid, f.gid) = (100_000, 100_000)),
        ),
        ("/d/sock", with(file(0), |f| f.kind = EntryKind::Socket)),
        ("/e", with(file(0), |f| (f.uid, f.gid) = (101_000, 100_005))),
    ]);
    let change = |path: &str, kind| Change {
        path: path.to_string(),
        kind,
    };
    let list = [
        change("/e", ChangeKind::Add),
        change("/d/sock", ChangeKind::Add),
        change("/d/h2", ChangeKind::Add),
        change("/d/h1", ChangeKind::Add),
        change("/d/gone", ChangeKind::Delete),
        change("/d", ChangeKind::Modify),
        change("/old", ChangeKind::Delete),
        change("/nothere", ChangeKind::Add),
    ];
    let plan = plan_diff(
        &list,
        &layer,
        &maps(100_000),
        &NoNames,
        at(MTIME, 600_000_000),
    );
    let ops: Vec<_> = plan
        .ops
        .iter()
        .map(|op| {
            let h = &op.header;
            (
                String::from_utf8_lossy(&h.path).into_owned(),
                h.typeflag,
                String::from_utf8_lossy(&h.link_target).into_owned(),
                (h.uid, h.gid, h.mode, h.size),
                op.source.clone(),
            )
        })
        .collect();
    let op = |path: &str, flag, link: &str, ids, source: Option<&str>| {
        (
            path.to_string(),
            flag,
            link.to_string(),
            ids,
            source.map(str::to_string),
        )
    };
    use crate::archive::header::typeflag::{DIRECTORY, HARD_LINK, REGULAR};
    assert_eq!(
        ops,
        vec![
            op("d/", DIRECTORY, "", (0, 0, 0o40755, 0), None),
            op("d/.wh.gone", REGULAR, "", (0, 0, 0, 0), None),
            // /d/h1 (host 0) is unmappable and left out, but still the link target.
            op("d/h2", HARD_LINK, "d/h1", (0, 0, 0o100644, 0), None),
            op("e", REGULAR, "", (1000, 5, 0o100644, 0), None),
            op(".wh.old", REGULAR, "", (0, 0, 0, 0), None),
        ]
    );
    let skipped: Vec<_> = plan
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("/d/h1", SkipReason::UnmappableOwner { uid: 0, gid: 0 }),
            ("/d/sock", SkipReason::Socket),
            ("/nothere", SkipReason::Missing),
        ]
    );
    assert_eq!(
        plan.ops[1].header.mtime,
        at(MTIME, 600_000_000),
        "rounded by the writer"
    );
}

#[test]
fn plan_tree_walks_depth_first() {
    let layer = snapshot(&[
        ("/a", dir()),
        ("/a/b", file(1)),
        ("/a-b", file(1)),
        ("/a.c", dir()),
        ("/a.c/z", file(1)),
    ]);
    let plan = plan_tree(&layer, &IdMaps::default(), &NoNames);
    let names: Vec<_> = plan
        .ops
        .iter()
        .map(|op| String::from_utf8_lossy(&op.header.path).into_owned())
        .collect();
    assert_eq!(names, ["a/", "a/b", "a-b", "a.c/", "a.c/z"]);
}

#[test]
fn write_ops_reports_open_failures_before_writing_the_header() {
    let layer = snapshot(&[("/f", file(4))]);
    let none = IdMaps::default();
    let plan = plan_tree(&layer, &none, &NoNames);
    let mut tar = TarWriter::new(Vec::new());
    let result = write_ops(&plan.ops, &mut tar, |_| -> io::Result<&[u8]> {
        Err(io::ErrorKind::NotFound.into())
    });
    assert!(matches!(result, Err(ChangesError::Open { ref path, .. }) if path == "/f"));
    assert_eq!(
        tar.finish().unwrap().len(),
        1024,
        "nothing but the end marker"
    );

    let mut tar = TarWriter::new(Vec::new());
    let result = write_ops(&plan.ops, &mut tar, |_| Ok(&b"ab"[..]));
    assert!(matches!(
        result,
        Err(ChangesError::Tar(
            crate::archive::writer::TarWriteError::ContentTooShort { .. }
        ))
    ));
}

// ---- Fixtures made with containers-storage 1.43 ----

macro_rules! fixture {
    ($scenario:literal, $file:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/changes/",
            $scenario,
            "/",
            $file
        ))
        .as_slice()
    };
}

/// A dumped layer tree: the snapshot, file contents and host names.
#[derive(Default)]
struct Tree {
    snapshot: Snapshot,
    contents: HashMap<String, Vec<u8>>,
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

impl NameLookup for Tree {
    fn user_name(&self, uid: u32) -> Option<String> {
        self.users.get(&uid).cloned()
    }
    fn group_name(&self, gid: u32) -> Option<String> {
        self.groups.get(&gid).cloned()
    }
}

fn load_tree(json: &[u8]) -> Tree {
    let entries: Vec<Value> = serde_json::from_slice(json).unwrap();
    let mut tree = Tree::default();
    for e in entries {
        let u64_of = |key: &str| e[key].as_u64().unwrap();
        let u32_of = |key: &str| u32::try_from(u64_of(key)).unwrap();
        let kind = match e["kind"].as_str().unwrap() {
            "dir" => EntryKind::Directory,
            "file" => EntryKind::Regular,
            "symlink" => EntryKind::Symlink,
            "char" => EntryKind::CharDevice,
            "block" => EntryKind::BlockDevice,
            "fifo" => EntryKind::Fifo,
            "socket" => EntryKind::Socket,
            other => panic!("kind {other}"),
        };
        let xattrs = e["xattrs"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), hex::decode(v.as_str().unwrap()).unwrap()))
            .collect();
        let path = e["path"].as_str().unwrap().to_string();
        let info = EntryInfo {
            kind,
            mode: u32_of("mode"),
            uid: u32_of("uid"),
            gid: u32_of("gid"),
            rdev: u64_of("rdev"),
            size: u64_of("size"),
            mtime: at(
                e["mtime"][0].as_i64().unwrap(),
                e["mtime"][1].as_u64().unwrap() as u32,
            ),
            link_target: e["link"].as_str().unwrap().to_string(),
            xattrs,
            dev: u64_of("dev"),
            ino: u64_of("ino"),
            nlink: u64_of("nlink"),
        };
        if let Some(content) = e["content"].as_str() {
            tree.contents
                .insert(path.clone(), hex::decode(content).unwrap());
        }
        if let Some(name) = e["uname"].as_str() {
            tree.users.insert(info.uid, name.to_string());
        }
        if let Some(name) = e["gname"].as_str() {
            tree.groups.insert(info.gid, name.to_string());
        }
        tree.snapshot.insert(&path, info).unwrap();
    }
    tree
}

fn load_maps(json: &[u8], which: &str) -> IdMaps {
    let value: Value = serde_json::from_slice(json).unwrap();
    let ranges = |key: &str| serde_json::from_value(value[which][key].clone()).unwrap();
    IdMaps::new(ranges("uids"), ranges("gids"))
}

/// The mtime 1.43 gave the whiteouts of `tar` (all equal in the fixtures).
fn whiteout_mtime(tar: &[u8]) -> Timestamp {
    let mut reader = Disassembler::new(tar, TarSplitWriter::new(io::sink()));
    let mut mtimes = Vec::new();
    while let Some(member) = reader.next_member().unwrap() {
        if is_whiteout(&member.path) {
            mtimes.push(member.mtime);
        }
    }
    mtimes.dedup();
    assert_eq!(mtimes.len(), 1, "one whiteout time");
    mtimes[0]
}

/// Writes `plan` with contents from `tree` and returns the archive.
fn write_plan(plan: &ExportPlan, tree: &Tree) -> Vec<u8> {
    let mut tar = TarWriter::new(Vec::new());
    write_ops(&plan.ops, &mut tar, |path| {
        Ok(tree.contents[path].as_slice())
    })
    .unwrap();
    tar.finish().unwrap()
}

/// A parent/layer scenario: changes, diffsize and the naive diff bytes.
fn check_scenario(
    parent: &[u8],
    layer: &[u8],
    maps: &[u8],
    expected_changes: &[u8],
    expected_size: &[u8],
    expected_tar: &[u8],
) -> ExportPlan {
    let (parent, layer) = (load_tree(parent), load_tree(layer));
    let (parent_maps, layer_maps) = (load_maps(maps, "parent"), load_maps(maps, "layer"));
    let found = changes(&parent.snapshot, &layer.snapshot, &parent_maps, &layer_maps);
    let expected: Value = serde_json::from_slice(expected_changes).unwrap();
    assert_eq!(serde_json::to_value(&found).unwrap(), expected);
    let size: i64 = std::str::from_utf8(expected_size)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(diff_size(&found, &layer.snapshot), size);
    let mtime = whiteout_mtime(expected_tar);
    let plan = plan_diff(&found, &layer.snapshot, &layer_maps, &layer, mtime);
    assert_eq!(write_plan(&plan, &layer), expected_tar, "naive diff bytes");
    plan
}

#[test]
fn fixture_kinds_matches_1_43() {
    let plan = check_scenario(
        fixture!("kinds", "parent.json"),
        fixture!("kinds", "layer.json"),
        fixture!("kinds", "maps.json"),
        fixture!("kinds", "changes.json"),
        fixture!("kinds", "diffsize"),
        fixture!("kinds", "diff.tar"),
    );
    assert!(plan.skipped.is_empty());
}

#[test]
fn fixture_mapped_matches_1_43() {
    let plan = check_scenario(
        fixture!("mapped", "parent.json"),
        fixture!("mapped", "layer.json"),
        fixture!("mapped", "maps.json"),
        fixture!("mapped", "changes.json"),
        fixture!("mapped", "diffsize"),
        fixture!("mapped", "diff.tar"),
    );
    let skipped: Vec<_> = plan
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason))
        .collect();
    let host_root = SkipReason::UnmappableOwner { uid: 0, gid: 0 };
    assert_eq!(skipped, vec![("/d", host_root), ("/d/e/host0", host_root)]);
}

#[test]
fn fixture_tree_matches_1_43() {
    let layer = load_tree(fixture!("tree", "layer.json"));
    let maps = load_maps(fixture!("tree", "maps.json"), "layer");
    let plan = plan_tree(&layer.snapshot, &maps, &layer);
    assert_eq!(write_plan(&plan, &layer), fixture!("tree", "diff.tar"));
    let skipped: Vec<_> = plan.skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(skipped, ["/rootowned"]);
}
