//! Fault injection: the graphstore CLI is killed (SIGKILL, by strace's
//! syscall fault injection) at every file-system write of a scripted
//! sequence of operations. After each kill, the next process to open the
//! store must find it consistent and the operation either fully done or
//! fully absent; a retry of an absent operation completes it.
//!
//! "Consistent" is checked on the files themselves: every record's
//! references resolve, no layer is left incomplete, no directory or
//! tar-split file lacks its record, and no temporary or intent file is
//! left. "Fully done or fully absent" compares a normalised snapshot of
//! both roots (records and every file with its size) with the snapshots
//! before and after an uninterrupted run of the same operation.

use crate::common::Roots;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The system calls that change files (or could be the last thing a
/// killed writer did): each is a kill point.
const WRITE_SYSCALLS: &str = "write,pwrite64,writev,pwritev,rename,renameat,renameat2,unlink,unlinkat,rmdir,mkdir,mkdirat,link,linkat,symlink,symlinkat,fchmod,fchmodat,fchown,fchownat,lchown,utimensat,fsync,fdatasync,ftruncate,copy_file_range,fsetxattr,lsetxattr,setxattr,fallocate";

/// The intent file of compound operations (see `guest/src/store/intent.rs`).
const INTENT_FILE: &str = "graphstore-intent.json";

/// One operation of the script: CLI arguments and standard input.
struct Step {
    args: &'static [&'static str],
    stdin: Option<Vec<u8>>,
}

/// A small layer: a directory, files, a symlink and a hard link.
fn layer_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("etc")).unwrap();
    std::fs::write(src.join("etc/hosts"), b"127.0.0.1 localhost\n").unwrap();
    std::fs::write(src.join("etc/big"), vec![b'x'; 20_000]).unwrap();
    std::os::unix::fs::symlink("hosts", src.join("etc/link")).unwrap();
    std::fs::hard_link(src.join("etc/hosts"), src.join("etc/hard")).unwrap();
    crate::common::gnu_tar(&src, &["--mtime=2020-01-01", "--owner=0", "--group=0"])
}

fn script() -> Vec<Step> {
    let step = |args| Step { args, stdin: None };
    vec![
        step(&["create-layer", "--id", "base"]),
        Step {
            args: &["import-layer", "--id", "mid", "base"],
            stdin: Some(layer_tar()),
        },
        step(&["create-image", "--id", "img", "-n", "name", "mid"]),
        Step {
            args: &["set-image-data", "img", "manifest"],
            stdin: Some(br#"{"schemaVersion":2}"#.to_vec()),
        },
        step(&["set-names", "-n", "renamed", "img"]),
        step(&["create-container", "--id", "ctr", "-n", "c", "img"]),
        step(&["delete-container", "ctr"]),
        step(&["create-container", "--id", "ctr2", "img"]),
        step(&["delete", "ctr2"]),
        // ID maps: an ID-shifted copy of the image's top layer is made for
        // the container (and recorded on the image) under its intent.
        step(&[
            "create-container",
            "--id",
            "ctr3",
            "--uidmap",
            "0:1000:65536",
            "--gidmap",
            "0:1000:65536",
            "img",
        ]),
        step(&["delete-container", "ctr3"]),
        step(&["delete-image", "img"]),
        step(&["create-layer", "--id", "solo"]),
        step(&["delete-layer", "solo"]),
    ]
}

/// One write point: the `occurrence`-th call of system call `name`.
#[derive(Debug, Clone)]
struct WritePoint {
    name: String,
    occurrence: usize,
}

/// strace's arguments recording the write points of a run in `trace`.
fn strace_recording(trace: &Path) -> Vec<String> {
    [
        "strace",
        "-f",
        "-qq",
        "-o",
        &trace.display().to_string(),
        &format!("--trace={WRITE_SYSCALLS}"),
    ]
    .map(String::from)
    .to_vec()
}

/// strace's arguments for a run killed (SIGKILL) when it makes the system
/// call of `point`. strace counts each system call separately (`when=3`
/// is the third call of each), so one call is named at a time.
fn strace_killing_at(point: &WritePoint) -> Vec<String> {
    [
        "strace",
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        &format!("--trace={}", point.name),
        &format!(
            "--inject={}:signal=KILL:when={}",
            point.name, point.occurrence
        ),
    ]
    .map(String::from)
    .to_vec()
}

/// The write points of an strace log, in order.
fn write_points(log: &str) -> Vec<WritePoint> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    log.lines()
        .filter(|line| !line.contains("resumed>") && !line.contains("+++"))
        .filter_map(|line| {
            let call = line.split_once(' ')?.1.trim_start();
            let name = call.split_once('(')?.0.to_string();
            let occurrence = seen.entry(name.clone()).or_default();
            *occurrence += 1;
            Some(WritePoint {
                name,
                occurrence: *occurrence,
            })
        })
        .collect()
}

/// Copies both roots of `from` into fresh roots.
fn copy_roots(from: &Roots) -> Roots {
    let to = Roots::new();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from.graph())
        .arg(from.run())
        .arg(to.dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    to
}

/// A JSON record file as a list of objects (empty when missing).
fn records(path: &Path) -> Vec<serde_json::Value> {
    match std::fs::read(path) {
        Ok(bytes) if !bytes.is_empty() => serde_json::from_slice::<Option<Vec<_>>>(&bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn text(value: &serde_json::Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// Every file below `root` as `path size` (directories and links as
/// `path/` and `path -> target`); JSON and lock files without their size,
/// which varies with timestamps and writers.
fn files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            if meta.is_dir() {
                // The driver's layer directory is made on first use: its
                // existence says nothing.
                if relative != "vfs/dir" {
                    out.push(format!("{relative}/"));
                }
                walk(root, &path, out);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.push(format!("{relative} -> {}", target.display()));
            } else if relative.ends_with(".json") {
                // A record file with no records is the same as none.
                if std::fs::read(&path).unwrap() != b"[]" {
                    out.push(relative);
                }
            } else if relative.ends_with(".lock") {
                // Its contents say who wrote last, not what.
                out.push(relative);
            } else {
                out.push(format!("{relative} {}", meta.len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// Whether a snapshot may meet the fixed-name temporary of a data item
/// whose write was killed: the next write of the item replaces it (or it
/// goes with its record), so it may be there until the operation is
/// retried, never after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Temporaries {
    None,
    OfItemsAllowed,
}

/// The stores' state with the random IDs of container layers replaced by
/// `layer-of-<container>`, checked for consistency on the way.
fn snapshot(roots: &Roots, item_temporaries: Temporaries) -> Vec<String> {
    let graph = roots.graph();
    let layers = records(&graph.join("vfs-layers/layers.json"));
    let images = records(&graph.join("vfs-images/images.json"));
    let containers = records(&graph.join("vfs-containers/containers.json"));
    // Random IDs: containers' layers and images' ID-mapped top-layer copies.
    let mut renames: BTreeMap<String, String> = containers
        .iter()
        .map(|c| (text(&c["layer"]), format!("layer-of-{}", text(&c["id"]))))
        .collect();
    for image in &images {
        let mapped = image["mapped-layers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (n, layer) in mapped.iter().enumerate() {
            renames.insert(text(layer), format!("mapped-{n}-of-{}", text(&image["id"])));
        }
    }
    let normal = |line: String| {
        renames
            .iter()
            .fold(line, |line, (from, to)| line.replace(from.as_str(), to))
    };
    let layer_ids: BTreeSet<String> = layers.iter().map(|l| text(&l["id"])).collect();
    let image_ids: BTreeSet<String> = images.iter().map(|i| text(&i["id"])).collect();
    let container_ids: BTreeSet<String> = containers.iter().map(|c| text(&c["id"])).collect();
    let mut state = Vec::new();
    for layer in &layers {
        let (id, parent) = (text(&layer["id"]), text(&layer["parent"]));
        assert!(
            parent.is_empty() || layer_ids.contains(&parent),
            "layer {id}'s parent {parent} is missing"
        );
        assert!(
            layer["flags"]["incomplete"].is_null(),
            "layer {id} is left incomplete"
        );
        state.push(normal(format!(
            "layer {id} parent={parent} names={}",
            layer["names"]
        )));
    }
    for image in &images {
        let (id, top) = (text(&image["id"]), text(&image["layer"]));
        assert!(
            top.is_empty() || layer_ids.contains(&top),
            "image {id}'s layer {top} is missing"
        );
        state.push(format!("image {id} layer={top} names={}", image["names"]));
    }
    for container in &containers {
        let (id, layer) = (text(&container["id"]), text(&container["layer"]));
        assert!(
            layer_ids.contains(&layer),
            "container {id}'s layer is missing"
        );
        state.push(normal(format!(
            "container {id} image={}",
            text(&container["image"])
        )));
    }
    let owned_dirs = [
        ("graph", "vfs/dir/", &layer_ids),
        ("graph", "vfs-images/", &image_ids),
        ("graph", "vfs-containers/", &container_ids),
        ("run", "vfs-containers/", &container_ids),
    ];
    for (root, base) in [("graph", roots.graph()), ("run", roots.run())] {
        for file in files(&base) {
            let item_temporary = file.starts_with("vfs-images/")
                && file.matches('/').count() == 2
                && file.contains("/.tmp-");
            if item_temporary && item_temporaries == Temporaries::OfItemsAllowed {
                continue;
            }
            assert!(
                !file.starts_with(".tmp-") && !file.contains("/.tmp-"),
                "temporary file left: {root}/{file}"
            );
            assert!(!file.starts_with(INTENT_FILE), "intent left: {file}");
            for (owner_root, prefix, owners) in owned_dirs {
                if owner_root == root
                    && let Some(rest) = file.strip_prefix(prefix)
                    && let Some((owner, _)) = rest.split_once('/')
                {
                    assert!(owners.contains(owner), "{root}/{file} has no record");
                }
            }
            if let Some(rest) = file.strip_prefix("vfs-layers/")
                && let Some((owner, _)) = rest.split_once(".tar-split.gz")
            {
                assert!(layer_ids.contains(owner), "{root}/{file} has no layer");
            }
            // A record's data directory is made when first needed: only
            // what it holds counts.
            let data_dir = owned_dirs.iter().any(|(owner_root, prefix, _)| {
                *owner_root == root
                    && *prefix != "vfs/dir/"
                    && file
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.ends_with('/') && rest.matches('/').count() == 1)
            });
            if !data_dir {
                state.push(normal(format!("{root}/{file}")));
            }
        }
    }
    state.sort();
    state
}

/// Kill points of `step` on `roots` (its write system calls when it runs
/// uninterrupted), and the state it leaves.
fn reference_run(roots: &Roots, step: &Step) -> (Vec<WritePoint>, Vec<String>) {
    let trace = roots.dir.path().join("trace");
    let run = roots.graphstore_under(&strace_recording(&trace), step.args, step.stdin.as_deref());
    assert_eq!(run.code, 0, "{:?}: {run:?}", step.args);
    let points = write_points(&std::fs::read_to_string(&trace).unwrap());
    std::fs::remove_file(trace).unwrap();
    (points, snapshot(roots, Temporaries::None))
}

#[test]
fn every_kill_point_leaves_each_operation_done_or_absent() {
    let current = Roots::new();
    current.graphstore(&["layers"]).ok();
    let mut report = Vec::new();
    for step in script() {
        let before = snapshot(&current, Temporaries::None);
        let (points, after) = reference_run(&copy_roots(&current), &step);
        let (mut absent, mut done) = (0, 0);
        for (index, point) in points.iter().enumerate() {
            let roots = copy_roots(&current);
            let killed =
                roots.graphstore_under(&strace_killing_at(point), step.args, step.stdin.as_deref());
            let context = format!(
                "{:?} killed at write {} of {} ({} #{})",
                step.args,
                index + 1,
                points.len(),
                point.name,
                point.occurrence
            );
            // strace ends as its tracee did: killed by the signal (no exit
            // code), or 128 + SIGKILL through a shell.
            assert!(
                matches!(killed.code, -1 | 137),
                "{context}: not killed: {killed:?}"
            );
            // The next process opens the store (and recovers what it must).
            roots.graphstore(&["layers"]).ok();
            let state = std::panic::catch_unwind(|| snapshot(&roots, Temporaries::OfItemsAllowed))
                .unwrap_or_else(|_| panic!("{context}: inconsistent (see above)"));
            if state == before {
                absent += 1;
                let retry =
                    roots.graphstore_with_input(step.args, step.stdin.as_deref().unwrap_or(b""));
                assert_eq!(retry.code, 0, "{context}: the retry failed: {retry:?}");
                assert_eq!(
                    snapshot(&roots, Temporaries::None),
                    after,
                    "{context}: the retry's result"
                );
            } else {
                // Done: and nothing left over, not even an item's temporary.
                assert_eq!(
                    snapshot(&roots, Temporaries::None),
                    after,
                    "{context}: neither absent nor done; before: {before:?}"
                );
                done += 1;
            }
        }
        report.push(format!(
            "{:?}: {} kill points, {absent} absent, {done} done",
            step.args,
            points.len()
        ));
        let run = current.graphstore_with_input(step.args, step.stdin.as_deref().unwrap_or(b""));
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(snapshot(&current, Temporaries::None), after);
    }
    eprintln!("{}", report.join("\n"));
}

/// The system calls of `args` (run with driver option `vfs.sync=<mode>`)
/// that force data to the device or publish a file, in order, as
/// `syncfs`, `fsync` or `rename <name>`.
fn sync_calls(roots: &Roots, mode: &str, args: &[&str], stdin: &[u8]) -> Vec<String> {
    let trace = roots.dir.path().join("sync-trace");
    let wrapper: Vec<String> = [
        "strace",
        "-f",
        "-qq",
        "-o",
        &trace.display().to_string(),
        "--trace=syncfs,fsync,renameat,renameat2",
        "--",
    ]
    .map(String::from)
    .to_vec();
    let option = format!("vfs.sync={mode}");
    let mut full = vec!["--storage-opt", &option];
    full.extend_from_slice(args);
    let run = roots.graphstore_under(&wrapper, &full, Some(stdin));
    assert_eq!(run.code, 0, "{run:?}");
    let calls = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let call = line.split_once(' ')?.1.trim_start();
            if call.starts_with("syncfs(") {
                Some("syncfs".to_string())
            } else if call.starts_with("fsync(") {
                Some("fsync".to_string())
            } else if call.starts_with("rename") {
                let name = call.rsplit_once(", \"")?.1.split_once('"')?.0;
                Some(format!("rename {name}"))
            } else {
                None
            }
        })
        .collect();
    std::fs::remove_file(trace).unwrap();
    calls
}

/// `vfs.sync=filesystem`: a layer's contents reach the device before the
/// record that marks it present, and every record file the graph root
/// holds is durable (its directory synced) before the call returns;
/// `none` (the default) syncs neither.
#[test]
fn sync_filesystem_makes_what_was_reported_done_durable() {
    let roots = Roots::new();
    roots.graphstore(&["create-layer", "--id", "base"]).ok();
    let tar = layer_tar();
    let calls = sync_calls(
        &roots,
        "filesystem",
        &["import-layer", "--id", "mid", "base"],
        &tar,
    );
    let published = calls
        .iter()
        .rposition(|call| call == "rename layers.json")
        .expect("layers.json published");
    let tar_split = calls
        .iter()
        .position(|call| call == "rename mid.tar-split.gz")
        .expect("tar-split published");
    assert!(
        calls[tar_split..published].contains(&"syncfs".to_string()),
        "no syncfs between the layer's contents and its record: {calls:?}"
    );
    for (index, call) in calls.iter().enumerate() {
        if call.starts_with("rename ") && call != "rename mountpoints.json" {
            assert_eq!(
                calls.get(index + 1).map(String::as_str),
                Some("fsync"),
                "{call} not made durable: {calls:?}"
            );
        }
    }
    let calls = sync_calls(&roots, "none", &["create-image", "--id", "img", "mid"], b"");
    assert!(
        calls.iter().all(|call| call.starts_with("rename ")),
        "{calls:?}"
    );
    assert!(
        calls.contains(&"rename images.json".to_string()),
        "{calls:?}"
    );
}
