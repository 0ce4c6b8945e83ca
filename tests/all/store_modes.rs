//! Store modes and commands of newer containers/storage (storage v1.62),
//! which 1.43 lacks: `config`, `create-storage-layer`, `storage-layers`,
//! `dedup`, and the global `--transient-store` and `--image-store`. Where
//! 1.43 has nothing to compare with, the tests assert upstream's outputs
//! and on-disk locations; 1.43 still reads what graphstore wrote.

use crate::common::{Roots, gnu_tar, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A 64-hex-digit ID, as generated IDs look.
fn is_generated_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn config_prints_the_default_options_in_upstreams_shape() {
    let roots = Roots::new();
    let defaults = graphstore::StoreOptions::default_roots();
    let expected = format!(
        r#"{{"runroot":{:?},"root":{:?},"driver":"vfs","PullOptions":null}}"#,
        defaults.run_root.display().to_string(),
        defaults.graph_root.display().to_string(),
    );
    // The invocation's roots are not the configuration (as upstream).
    let run = roots.graphstore(&["config"]);
    assert_eq!(run.ok(), format!("{expected}\n"));
    assert_eq!(
        json(&run.stdout)["transient_store"],
        serde_json::Value::Null
    );

    // graphstore reads no storage.conf: a file argument is refused by name.
    let refused = roots.graphstore(&["config", "/etc/containers/storage.conf"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_eq!(refused.stdout, "");
    assert!(
        refused
            .stderr
            .contains("does not read storage.conf files (/etc/containers/storage.conf)"),
        "{refused:?}"
    );
    let too_many = roots.graphstore(&["config", "a", "b"]);
    assert_eq!(too_many.code, 1);
    assert!(
        too_many
            .stdout
            .starts_with("config: too many arguments ([a b]).\n")
    );
}

#[test]
fn newer_global_flags_show_only_in_newer_commands_usage() {
    let roots = Roots::new();
    // 1.43's usage texts stay byte for byte 1.43's.
    for args in [&["--help"][..], &["containers", "--help"][..]] {
        let ours = roots.graphstore(args);
        let theirs = roots.reference(args);
        assert_eq!(
            (&ours.stdout, &ours.stderr),
            (&theirs.stdout, &theirs.stderr)
        );
        assert!(!ours.stderr.contains("transient"), "{ours:?}");
    }
    let usage = roots.graphstore(&["dedup", "--help"]);
    assert!(
        usage
            .stdout
            .starts_with("Usage: containers-storage dedup \n\nDedup all images\n")
    );
    for (flag, help) in [
        ("--image-store", "Root of the separate image store"),
        ("--transient-store", "Transient store"),
        (
            "--hash-method=crc",
            "Specify the hash function to use to detect identical files",
        ),
    ] {
        let listed = usage.stderr.lines().any(|line| {
            line.starts_with(&format!("  {flag} ")) && line.ends_with(&format!("  {help}"))
        });
        assert!(listed, "{flag} in {usage:?}");
    }
}

#[test]
fn storage_layers_are_driver_trees_with_or_without_a_record() {
    let roots = Roots::new();
    let recorded = roots.graphstore(&["create-layer", "--id", "recorded"]);
    recorded.ok();
    let generated = roots
        .graphstore(&["create-storage-layer"])
        .ok()
        .trim()
        .to_string();
    assert!(is_generated_id(&generated), "{generated:?}");
    assert_eq!(
        json(
            roots
                .graphstore(&["create-storage-layer", "--id", "base", "--json"])
                .ok()
        ),
        json(r#""base""#)
    );
    let dirs = roots.graph().join("vfs/dir");
    for id in [generated.as_str(), "base"] {
        let mode = std::fs::metadata(dirs.join(id))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o555, "{id}");
    }
    // A child copies its parent's tree (the parent is a driver ID).
    std::fs::create_dir(dirs.join("base/etc")).unwrap();
    std::fs::write(dirs.join("base/etc/hostname"), b"box\n").unwrap();
    assert_eq!(
        roots
            .graphstore(&["create-storage-layer", "-i", "child", "base"])
            .ok(),
        "child\n"
    );
    assert_eq!(
        std::fs::read(dirs.join("child/etc/hostname")).unwrap(),
        b"box\n"
    );
    let missing = roots.graphstore(&["create-storage-layer", "-i", "orphan", "nothing"]);
    assert_eq!(missing.code, 1, "{missing:?}");
    assert_eq!(
        missing.stderr,
        format!(
            "stat {}: no such file or directory\n",
            dirs.join("nothing").display()
        )
    );
    assert!(!dirs.join("orphan").exists());

    // Sorted by name, as Go's os.ReadDir; records play no part.
    let mut expected = vec![
        generated.clone(),
        "base".into(),
        "child".into(),
        "recorded".into(),
    ];
    expected.sort();
    assert_eq!(
        roots.graphstore(&["storage-layers"]).ok(),
        expected
            .iter()
            .map(|id| format!("{id}\n"))
            .collect::<String>()
    );
    assert_eq!(
        json(roots.graphstore(&["storage-layers", "-j"]).ok()),
        serde_json::to_value(&expected).unwrap()
    );
    // Only the recorded layer is a layer, to graphstore and to 1.43.
    assert_eq!(roots.graphstore(&["layers"]).ok(), "recorded\n");
    assert_eq!(roots.reference(&["layers"]).ok(), "recorded\n");
    // gc takes the trees no record owns.
    roots.graphstore(&["gc"]).ok();
    assert_eq!(roots.graphstore(&["storage-layers"]).ok(), "recorded\n");
    let empty = Roots::new();
    assert_eq!(empty.graphstore(&["storage-layers", "--json"]).ok(), "[]\n");
}

/// A tar of one directory `d` holding `same` (the given bytes) and a file
/// `own` with bytes of its own.
fn layer_tar(work: &Path, name: &str, same: &[u8], own: &[u8]) -> Vec<u8> {
    let src = work.join(name);
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/same"), same).unwrap();
    std::fs::write(src.join("own"), own).unwrap();
    gnu_tar(&src, &["--owner=0", "--group=0"])
}

/// Bytes of the identical file the dedup tests plant in each layer.
const SHARED_FILE_BYTES: usize = 64 * 1024;

/// Three layers holding the same 64 KiB file: `l1` and `l2` are image
/// top layers, `loose` belongs to no image.
fn plant_duplicates(roots: &Roots) {
    let work = roots.dir.path().join("src");
    let same: Vec<u8> = (0..SHARED_FILE_BYTES)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    for (id, own) in [
        ("l1", [1u8; 4096]),
        ("l2", [2u8; 4096]),
        ("loose", [3u8; 4096]),
    ] {
        let tar = layer_tar(&work, id, &same, &own);
        roots
            .graphstore_with_input(&["import-layer", "--id", id], &tar)
            .ok();
    }
    roots.graphstore(&["create-image", "--id", "i1", "l1"]).ok();
    roots.graphstore(&["create-image", "--id", "i2", "l2"]).ok();
}

/// Whether the file system holding `dir` can share extents (`cp
/// --reflink=always` needs the same kernel support as `FIDEDUPERANGE`).
fn shares_extents(dir: &Path) -> bool {
    let probe = dir.join("reflink-probe");
    std::fs::write(&probe, b"probe").unwrap();
    let ok = Command::new("cp")
        .arg("--reflink=always")
        .arg(&probe)
        .arg(dir.join("reflink-probe-copy"))
        .status()
        .is_ok_and(|status| status.success());
    let _ = std::fs::remove_file(dir.join("reflink-probe-copy"));
    std::fs::remove_file(probe).unwrap();
    ok
}

/// Runs `dedup` and checks what it reports and that no file changed.
fn check_dedup(roots: &Roots, expected: usize) {
    let before: Vec<Vec<u8>> = ["l1", "l2", "loose"]
        .iter()
        .map(|id| roots.read_graph(&format!("vfs/dir/{id}/d/same")))
        .collect();
    assert_eq!(
        roots.graphstore(&["dedup"]).ok(),
        format!("Deduplicated {expected} bytes\n")
    );
    // Shared extents count again (upstream: "accounts also for all
    // previously deduplicated data"); the other methods find the same pair.
    for method in ["crc", "size", "sha256"] {
        assert_eq!(
            json(
                roots
                    .graphstore(&["dedup", "--json", "--hash-method", method])
                    .ok()
            ),
            json(&format!(r#"{{"Deduped":{expected}}}"#)),
            "{method}"
        );
    }
    for (id, bytes) in ["l1", "l2", "loose"].iter().zip(before) {
        assert_eq!(roots.read_graph(&format!("vfs/dir/{id}/d/same")), bytes);
    }
    let bad = roots.graphstore(&["dedup", "--hash-method", "md5"]);
    assert_eq!((bad.code, bad.stdout.as_str()), (1, ""));
    assert_eq!(bad.stderr, "invalid hash method: md5\n");
    // 1.43 reads the store as before.
    assert_eq!(roots.reference(&["images", "-q"]).ok(), "i1\ni2\n");
}

#[test]
fn dedup_reports_what_the_file_system_shares() {
    let roots = Roots::new();
    plant_duplicates(&roots);
    // On a file system without extent sharing (ext4, tmpfs) nothing is
    // shared and it is no error, as upstream; the one pair of image layers
    // otherwise (the layer without an image is left alone).
    let expected = if shares_extents(roots.dir.path()) {
        SHARED_FILE_BYTES
    } else {
        0
    };
    check_dedup(&roots, expected);

    // A failure names the command; with --json upstream encodes the Go
    // error value, which has no exported fields.
    let tree = roots.graph().join("vfs/dir/l1");
    std::fs::remove_dir_all(&tree).unwrap();
    std::fs::write(&tree, b"not a tree").unwrap();
    let failed = roots.graphstore(&["dedup"]);
    assert_eq!((failed.code, failed.stdout.as_str()), (1, ""));
    assert_eq!(
        failed.stderr,
        format!("dedup: open {}: not a directory\n", tree.display())
    );
    let failed = roots.graphstore(&["dedup", "--json"]);
    assert_eq!(
        (failed.code, failed.stdout.as_str(), failed.stderr.as_str()),
        (1, "{}\n", "")
    );
}

/// A loop-mounted XFS file system (reflinks on), unmounted when dropped.
struct XfsMount {
    _dir: tempfile::TempDir,
    mount_point: PathBuf,
}

impl XfsMount {
    /// Size of the image: mkfs.xfs's minimum is 300 MB.
    const IMAGE_BYTES: u64 = 320 << 20;

    /// `None` (with the reason printed) unless root and mkfs.xfs can make one.
    fn new() -> Option<XfsMount> {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("xfs.img");
        let mount_point = dir.path().join("mnt");
        std::fs::create_dir(&mount_point).unwrap();
        std::fs::File::create(&image)
            .unwrap()
            .set_len(Self::IMAGE_BYTES)
            .unwrap();
        let ran = |program: &str, args: &[&Path]| {
            Command::new(program)
                .args(args)
                .output()
                .is_ok_and(|output| output.status.success())
        };
        if !ran("mkfs.xfs", &[Path::new("-q"), &image]) {
            eprintln!("skipped: mkfs.xfs (xfsprogs) is missing or failed");
            return None;
        }
        if !ran(
            "mount",
            &[Path::new("-o"), Path::new("loop"), &image, &mount_point],
        ) {
            eprintln!("skipped: cannot loop-mount (needs root and loop devices)");
            return None;
        }
        Some(XfsMount {
            _dir: dir,
            mount_point,
        })
    }
}

impl Drop for XfsMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount_point).status();
    }
}

#[test]
fn dedup_shares_identical_image_files_on_xfs() {
    let Some(xfs) = XfsMount::new() else {
        return;
    };
    let roots = Roots {
        dir: tempfile::tempdir_in(&xfs.mount_point).unwrap(),
    };
    assert!(shares_extents(roots.dir.path()));
    plant_duplicates(&roots);
    check_dedup(&roots, SHARED_FILE_BYTES);
    drop(roots);
}

/// The records of a JSON record file, as values.
fn records_in(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    json(&text).as_array().expect("a JSON array").clone()
}

/// The `id` of each record.
fn ids(records: &[serde_json::Value]) -> Vec<&str> {
    records.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

#[test]
fn transient_store_keeps_container_records_in_the_run_root() {
    let roots = Roots::new();
    roots.graphstore(&["create-layer", "--id", "base"]).ok();
    roots
        .graphstore(&["create-image", "--id", "img", "base"])
        .ok();
    roots
        .graphstore(&["create-container", "--id", "stable", "img"])
        .ok();
    let graph_containers = roots.graph().join("vfs-containers/containers.json");
    let graph_layers = roots.graph().join("vfs-layers/layers.json");
    let before = (
        std::fs::read(&graph_containers).unwrap(),
        std::fs::read(&graph_layers).unwrap(),
    );
    let transient = |args: &[&str]| {
        let mut all = vec!["--transient-store"];
        all.extend_from_slice(args);
        roots.graphstore(&all)
    };
    transient(&["create-container", "--id", "c1", "-n", "web", "img"]).ok();

    // Upstream's locations: records and lock in R/vfs-containers, the
    // container layer's record in R/vfs-layers/volatile-layers.json.
    let run = roots.run();
    assert!(run.join("vfs-containers/containers.lock").is_file());
    let volatile = records_in(&run.join("vfs-containers/volatile-containers.json"));
    assert_eq!(ids(&volatile), ["c1"]);
    assert_eq!(volatile[0]["names"], json(r#"["web"]"#));
    assert_eq!(
        volatile[0]["flags"]["Volatile"],
        serde_json::Value::Bool(true)
    );
    let volatile_layers = records_in(&run.join("vfs-layers/volatile-layers.json"));
    assert_eq!(
        ids(&volatile_layers),
        [volatile[0]["layer"].as_str().unwrap()]
    );
    assert_eq!(volatile_layers[0]["parent"], "base");
    // The graph root's record files are untouched.
    assert_eq!(std::fs::read(&graph_containers).unwrap(), before.0);
    assert_eq!(std::fs::read(&graph_layers).unwrap(), before.1);

    // A transient store sees both kinds; without the option only the
    // stable one, as 1.43 does on the same root.
    assert_eq!(
        transient(&["containers", "-j"])
            .ok()
            .matches("\"id\"")
            .count(),
        2
    );
    assert_eq!(transient(&["containers"]).ok(), "stable\nc1\n\tname: web\n");
    let plain = roots.graphstore(&["containers"]).ok().to_string();
    assert_eq!(plain, "stable\n");
    assert_eq!(roots.reference(&["containers"]).ok(), plain);
    assert_eq!(
        roots.reference(&["layers"]).ok(),
        roots.graphstore(&["layers"]).ok()
    );

    transient(&["delete-container", "web"]).ok();
    assert!(records_in(&run.join("vfs-containers/volatile-containers.json")).is_empty());
    assert!(records_in(&run.join("vfs-layers/volatile-layers.json")).is_empty());
    assert_eq!(std::fs::read(&graph_containers).unwrap(), before.0);

    // A reboot empties the run root: the transient containers are gone,
    // and gc takes their layer trees.
    let c2 = transient(&["create-container", "img"])
        .ok()
        .trim()
        .to_string();
    let c2_layer = json(transient(&["container", "-j", &c2]).ok())[0]["layer"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(roots.graph().join("vfs/dir").join(&c2_layer).is_dir());
    std::fs::remove_dir_all(&run).unwrap();
    assert_eq!(transient(&["containers"]).ok(), "stable\n");
    transient(&["gc"]).ok();
    assert!(!roots.graph().join("vfs/dir").join(&c2_layer).exists());
    assert_eq!(roots.reference(&["containers"]).ok(), "stable\n");
}

#[test]
fn transient_records_are_written_without_syncing() {
    let roots = Roots::new();
    roots.graphstore(&["create-image", "--id", "img"]).ok();
    // strace -y names each synced descriptor's file; its own log file
    // keeps the program's output and strace's notices out of the lines.
    let log = roots.dir.path().join("strace.log");
    let syncs = |extra: &[&str]| {
        let wrapper = [
            "strace",
            "-f",
            "-qq",
            "-y",
            "-e",
            "trace=fdatasync,fsync",
            "-o",
            log.to_str().unwrap(),
        ]
        .map(String::from);
        let mut args = extra.to_vec();
        args.extend(["create-container", "img"]);
        let run = roots.graphstore_under(&wrapper, &args, None);
        assert_eq!(run.code, 0, "{run:?}");
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .filter(|line| line.contains("sync("))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let stable = syncs(&[]);
    assert!(
        stable
            .iter()
            .any(|line| line.contains("vfs-containers/.tmp-containers.json")),
        "{stable:?}"
    );
    let transient = syncs(&["--transient-store"]);
    assert!(
        transient
            .iter()
            .all(|line| !line.contains("containers") && !line.contains("volatile")),
        "{transient:?}"
    );
}

#[test]
fn image_store_keeps_images_and_read_only_layers_in_the_split_root() {
    let roots = Roots::new();
    roots.graphstore(&["create-layer", "--id", "old"]).ok();
    roots
        .graphstore(&["create-image", "--id", "oldimg", "old"])
        .ok();
    let graph_images = std::fs::read(roots.graph().join("vfs-images/images.json")).unwrap();
    let split = roots.dir.path().join("split");
    let split_arg = split.display().to_string();
    let with_split = |args: &[&str]| {
        let mut all = vec!["--image-store", split_arg.as_str()];
        all.extend_from_slice(args);
        roots.graphstore(&all)
    };
    with_split(&["create-layer", "-r", "--id", "base"]).ok();
    let work = roots.dir.path().join("src");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("f"), b"contents\n").unwrap();
    let tar = gnu_tar(&work, &["--owner=0", "--group=0"]);
    let mut import = vec!["--image-store", split_arg.as_str()];
    import.extend(["import-layer", "-r", "--id", "top", "base"]);
    roots.graphstore_with_input(&import, &tar).ok();
    with_split(&["create-image", "--id", "img", "-n", "app", "top"]).ok();
    with_split(&["create-container", "--id", "c1", "img"]).ok();
    with_split(&["create-layer", "--id", "rw"]).ok();
    let container_layer = json(with_split(&["container", "-j", "c1"]).ok())[0]["layer"]
        .as_str()
        .unwrap()
        .to_string();

    // Upstream's locations: images and read-only layers (records and
    // trees) in the split root; writable layers, containers and every
    // tar-split in the graph root.
    assert_eq!(
        ids(&records_in(&split.join("vfs-images/images.json"))),
        ["img"]
    );
    assert_eq!(
        ids(&records_in(&split.join("vfs-layers/layers.json"))),
        ["base", "top"]
    );
    assert!(split.join("vfs-layers/layers.lock").is_file());
    for tree in ["base", "top"] {
        assert!(split.join("vfs/dir").join(tree).is_dir(), "{tree}");
        assert!(!roots.graph().join("vfs/dir").join(tree).exists(), "{tree}");
    }
    assert_eq!(
        ids(&records_in(&roots.graph().join("vfs-layers/layers.json"))),
        ["old", container_layer.as_str(), "rw"]
    );
    assert!(roots.graph().join("vfs-layers/top.tar-split.gz").is_file());
    assert_eq!(
        ids(&records_in(
            &roots.graph().join("vfs-containers/containers.json")
        )),
        ["c1"]
    );
    assert_eq!(
        std::fs::read(roots.graph().join("vfs-images/images.json")).unwrap(),
        graph_images
    );
    // The graph root's images are an additional store.
    assert_eq!(with_split(&["images"]).ok(), "img\n\tname: app\noldimg\n");
    assert_eq!(
        json(with_split(&["image", "-j", "oldimg"]).ok())[0]["id"],
        "oldimg"
    );
    // The layer reads back from the split root, byte for byte.
    let mut diff = vec!["--image-store", split_arg.as_str()];
    diff.extend(["diff", "-u", "top"]);
    assert_eq!(
        roots.graphstore(&diff).stdout,
        String::from_utf8_lossy(&tar),
        "diff of a layer in the split root"
    );
    // 1.43 reads the graph root: its images, containers and layers.
    assert_eq!(roots.reference(&["images"]).ok(), "oldimg\n");
    assert_eq!(roots.reference(&["containers"]).ok(), "c1\n");

    with_split(&["delete-container", "c1"]).ok();
    with_split(&["delete-image", "img"]).ok();
    assert!(records_in(&split.join("vfs-images/images.json")).is_empty());
    assert!(records_in(&split.join("vfs-layers/layers.json")).is_empty());
    assert!(!split.join("vfs/dir/top").exists());
    assert_eq!(with_split(&["images"]).ok(), "oldimg\n");
}

#[test]
fn image_store_must_not_be_the_graph_root() {
    let roots = Roots::new();
    let graph = roots.graph().display().to_string();
    // A different spelling of the same directory is the same directory.
    let same = format!("{graph}/../graph");
    let run = roots.graphstore(&["--image-store", &same, "images"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("must either be not set or be different than graphroot"),
        "{run:?}"
    );
    let mut options = roots.options();
    options.image_store = Some(roots.graph());
    let refused = graphstore::Store::open(options).err().expect("refused");
    assert_eq!(refused.kind(), Some(graphstore::ErrorKind::InvalidInput));
}

#[test]
fn stores_sharing_an_image_store_see_each_others_layers() {
    let first = Roots::new();
    let second = Roots::new();
    let split = first.dir.path().join("split");
    let mut options = second.options();
    options.image_store = Some(split.clone());
    let mut long_lived = graphstore::Store::open(options).unwrap();
    // A write of its own gives its graph root's layers.lock a writer's
    // token, so an unchanged token there means "nothing changed".
    long_lived
        .create_layer(Some("own"), None, &[], &graphstore::LayerOptions::default())
        .unwrap();
    assert_eq!(long_lived.layers().unwrap().len(), 1);
    // Another graph root writes a read-only layer into the shared image
    // store: only the image store's layers.lock tells the open store.
    let split_arg = split.display().to_string();
    first
        .graphstore(&[
            "--image-store",
            &split_arg,
            "create-layer",
            "-r",
            "--id",
            "shared",
        ])
        .ok();
    let ids: Vec<String> = long_lived
        .layers()
        .unwrap()
        .into_iter()
        .map(|layer| layer.id)
        .collect();
    assert_eq!(ids, ["own", "shared"]);
}
