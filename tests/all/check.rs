//! `check` and `check --repair` (storage v1.62's CLI command): a table of
//! damage made on disk behind the store's back, each reported on the right
//! objects with upstream's messages, summary and exit status; repairing
//! leaves a store `check` finds clean and containers-storage 1.43 can still
//! read. The stores are made by containers-storage 1.43 itself, so a clean
//! check also shows the rebuilt diffs match 1.43's recorded digests.

use crate::common::{Roots, Run, gnu_tar, json};
use std::collections::BTreeSet;
use std::path::Path;

/// The image data item every sample image has.
const MANIFEST: &[u8] = br#"{"schemaVersion":2,"layers":[]}"#;

/// Makes a one-file tree under `dir` and returns GNU tar's archive of it.
fn tar_of(dir: &Path, file: &str, content: &[u8]) -> Vec<u8> {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    gnu_tar(dir, &["--owner=0", "--group=0", "--mtime=@1700000000"])
}

/// With containers-storage 1.43: `base` (etc/hosts) ← `top` (etc/app),
/// image `img` on `top` with a `manifest` item, container `ctr` of `img`
/// with a `config` item; and, healthy beside them, layer `other` and
/// image `keep` on it.
fn sample(roots: &Roots) {
    let work = tempfile::tempdir().unwrap();
    let base = tar_of(
        &work.path().join("base"),
        "etc/hosts",
        b"127.0.0.1 localhost\n",
    );
    let top = tar_of(&work.path().join("top"), "etc/app", b"version 1\n");
    let other = tar_of(&work.path().join("other"), "srv/data", b"kept\n");
    roots
        .reference_with_input(&["import-layer", "-i", "base"], &base)
        .ok();
    roots
        .reference_with_input(&["import-layer", "-i", "top", "base"], &top)
        .ok();
    roots
        .reference_with_input(&["import-layer", "-i", "other"], &other)
        .ok();
    roots.reference(&["create-image", "-i", "img", "top"]).ok();
    roots
        .reference(&["create-image", "-i", "keep", "other"])
        .ok();
    roots
        .reference_with_input(&["set-image-data", "img", "manifest"], MANIFEST)
        .ok();
    roots
        .reference(&["create-container", "-i", "ctr", "img"])
        .ok();
    roots
        .reference_with_input(&["set-container-data", "ctr", "config"], b"{}")
        .ok();
}

/// IDs of what a CLI lists, as (layers, images, containers).
type Listing = (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>);

/// What containers-storage 1.43 lists (each listing must succeed).
fn listing(roots: &Roots) -> Listing {
    let ids = |command: &str| -> BTreeSet<String> {
        let run = roots.reference(&[command, "--json"]);
        let value = json(run.ok());
        value
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| item["id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    (ids("layers"), ids("images"), ids("containers"))
}

/// The read-write layer of container `ctr`.
fn container_layer(roots: &Roots) -> String {
    let run = roots.reference(&["container", "--json", "ctr"]);
    json(run.ok())[0]["layer"].as_str().unwrap().to_string()
}

/// The path of data item `key` of `id` in `store_dir` (`vfs-images`, …).
fn item(roots: &Roots, store_dir: &str, id: &str, key: &str) -> std::path::PathBuf {
    let name = graphstore_guest::ident::big_data::file_name(key).unwrap();
    roots.graph().join(store_dir).join(id).join(name)
}

/// `<header>:` then ` <line>` per finding, as upstream prints one object.
fn section(header: &str, lines: &[String]) -> String {
    let mut text = format!("{header}:\n");
    for line in lines {
        text.push_str(&format!(" {line}\n"));
    }
    text
}

/// The summary `check` fails with, by count of damaged objects.
fn summary(
    layers: usize,
    ro_layers: usize,
    images: usize,
    ro_images: usize,
    containers: usize,
) -> String {
    format!(
        "{layers} layer errors, {ro_layers} read-only layer errors, {images} image errors, {ro_images} read-only image errors, {containers} container errors\n"
    )
}

fn assert_run(run: &Run, code: i32, stdout: &str, stderr: &str, case: &str) {
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (code, stdout, stderr),
        "{case}"
    );
}

/// One kind of damage: how it is made, what `check` prints, which objects
/// `check -r -f` removes (the container's layer goes with the container).
struct Case {
    name: &'static str,
    damage: fn(&Roots),
    report: fn(&Roots) -> String,
    summary: String,
    removed_layers: &'static [&'static str],
    removed_images: &'static [&'static str],
    removes_container: bool,
}

fn gone_tree(roots: &Roots, layer: &str) -> String {
    format!(
        "layer {layer}: stat {}: no such file or directory",
        roots.graph().join("vfs/dir").join(layer).display()
    )
}

/// The same findings on the layer, its image and the image's container.
fn through_image_and_container(layer: &str, lines: &[String]) -> String {
    [
        section(&format!("layer {layer}"), lines),
        section("image img", lines),
        section("container ctr", lines),
    ]
    .concat()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a deleted layer directory",
            damage: |roots| std::fs::remove_dir_all(roots.graph().join("vfs/dir/base")).unwrap(),
            report: |roots| {
                let gone = gone_tree(roots, "base");
                through_image_and_container("base", &[gone.clone(), gone])
            },
            summary: summary(1, 0, 1, 0, 1),
            removed_layers: &["base", "top"],
            removed_images: &["img"],
            removes_container: true,
        },
        Case {
            name: "a modified file in a layer",
            damage: |roots| {
                std::fs::write(roots.graph().join("vfs/dir/top/etc/app"), b"version 2\n").unwrap()
            },
            report: |_| {
                let line = r#"layer top: file integrity checksum failed for "./etc/app""#;
                through_image_and_container("top", &[line.to_string()])
            },
            summary: summary(1, 0, 1, 0, 1),
            removed_layers: &["base", "top"],
            removed_images: &["img"],
            removes_container: true,
        },
        Case {
            name: "a removed image data item",
            damage: |roots| {
                std::fs::remove_file(item(roots, "vfs-images", "img", "manifest")).unwrap()
            },
            report: |_| {
                let line =
                    r#"image img: data item "manifest": image data item is missing"#.to_string();
                [
                    section("image img", std::slice::from_ref(&line)),
                    section("container ctr", &[line]),
                ]
                .concat()
            },
            summary: summary(0, 0, 1, 0, 1),
            removed_layers: &["base", "top"],
            removed_images: &["img"],
            removes_container: true,
        },
        Case {
            name: "a corrupted image data item",
            damage: |roots| {
                std::fs::write(item(roots, "vfs-images", "img", "manifest"), b"{}").unwrap()
            },
            report: |_| {
                let line = r#"image img: data item "manifest": image data item has incorrect size"#
                    .to_string();
                [
                    section("image img", std::slice::from_ref(&line)),
                    section("container ctr", &[line]),
                ]
                .concat()
            },
            summary: summary(0, 0, 1, 0, 1),
            removed_layers: &["base", "top"],
            removed_images: &["img"],
            removes_container: true,
        },
        Case {
            name: "an unreferenced layer directory",
            damage: |roots| {
                std::fs::create_dir_all(roots.graph().join("vfs/dir/stray/etc")).unwrap()
            },
            report: |_| {
                section(
                    "layer stray",
                    &["layer stray: layer in lower level storage driver not accounted for".into()],
                )
            },
            summary: summary(1, 0, 0, 0, 0),
            removed_layers: &[],
            removed_images: &[],
            removes_container: false,
        },
        Case {
            name: "a container whose image record is gone",
            damage: |roots| {
                let path = roots.graph().join("vfs-images/images.json");
                let mut images = json(&std::fs::read_to_string(&path).unwrap());
                images
                    .as_array_mut()
                    .unwrap()
                    .retain(|image| image["id"] != "img");
                std::fs::write(&path, serde_json::to_vec(&images).unwrap()).unwrap();
            },
            report: |_| section("container ctr", &["image img: image missing".into()]),
            summary: summary(0, 0, 0, 0, 1),
            // Its layers stay (younger than 24 hours); the record went with the damage.
            removed_layers: &[],
            removed_images: &["img"],
            removes_container: true,
        },
    ]
}

#[test]
fn each_damage_is_reported_and_repaired_into_a_store_1_43_reads() {
    for case in cases() {
        let roots = Roots::new();
        sample(&roots);
        assert_run(&roots.graphstore(&["check"]), 0, "", "", case.name);
        let ctr_layer = container_layer(&roots);
        let before = listing(&roots);
        (case.damage)(&roots);

        let report = (case.report)(&roots);
        assert_run(
            &roots.graphstore(&["check"]),
            1,
            &report,
            &case.summary,
            case.name,
        );
        // --quick skips only the tree comparison: the same findings here.
        assert_run(
            &roots.graphstore(&["check", "-q"]),
            1,
            &report,
            &case.summary,
            case.name,
        );

        let repaired = roots.graphstore(&["check", "-r", "-f"]);
        assert_run(&repaired, 0, &report, "", case.name);
        assert_run(&roots.graphstore(&["check"]), 0, "", "", case.name);

        let (mut layers, mut images, mut containers) = before;
        for layer in case.removed_layers {
            layers.remove(*layer);
        }
        for image in case.removed_images {
            images.remove(*image);
        }
        if case.removes_container {
            containers.remove("ctr");
            layers.remove(&ctr_layer);
        }
        assert_eq!(
            listing(&roots),
            (layers, images, containers),
            "{}",
            case.name
        );
    }
}

#[test]
fn without_force_damaged_containers_and_what_they_use_stay() {
    let roots = Roots::new();
    sample(&roots);
    std::fs::remove_dir_all(roots.graph().join("vfs/dir/base")).unwrap();
    let report = (cases()[0].report)(&roots);
    let failures = "deleting image img: image used by ctr: image is in use by a container\n\
                    deleting layer base: used by layer top: layer has children\n";
    let first = "deleting image img: image used by ctr: image is in use by a container\n";
    assert_run(
        &roots.graphstore(&["check", "-r"]),
        1,
        &report,
        &format!("{failures}{first}"),
        "repair without --force",
    );
    // In JSON, the failures are Go error values on stdout.
    let run = roots.graphstore(&["check", "--repair", "--json"]);
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (
            1,
            "{\"Layers\":{\"base\":[{},{}]},\"ROLayers\":{},\"Images\":{\"img\":[{},{}]},\"ROImages\":{},\"Containers\":{\"ctr\":[{},{}]}}\n[{},{}]\n",
            first
        )
    );
    assert_eq!(listing(&roots).2, BTreeSet::from(["ctr".to_string()]));
}

#[test]
fn a_container_left_unrepaired_fails_the_repair() {
    let roots = Roots::new();
    sample(&roots);
    let damage = cases()[5].damage;
    damage(&roots);
    let report = section("container ctr", &["image img: image missing".into()]);
    assert_run(
        &roots.graphstore(&["check", "--repair"]),
        1,
        &report,
        "0 read-only layer errors, 0 read-only image errors, 1 container errors\n",
        "a container without force",
    );
    assert!(listing(&roots).2.contains("ctr"));
}

#[test]
fn unreferenced_layers_are_reported_past_the_maximum_age() {
    let roots = Roots::new();
    sample(&roots);
    roots.reference(&["create-layer", "-i", "lonely"]).ok();
    assert_run(&roots.graphstore(&["check"]), 0, "", "", "within 24h");
    let report = section(
        "layer lonely",
        &["layer lonely: layer not referenced by any images or containers".into()],
    );
    assert_run(
        &roots.graphstore(&["check", "--max", "0s"]),
        1,
        &report,
        &summary(1, 0, 0, 0, 0),
        "past 0s",
    );
    assert_run(
        &roots.graphstore(&["check", "-m", "1h"]),
        0,
        "",
        "",
        "within 1h",
    );
    let bad = roots.graphstore(&["check", "-m", "1d"]);
    assert_run(
        &bad,
        1,
        "",
        "time: unknown unit \"d\" in duration \"1d\"\n",
        "bad duration",
    );
    assert_run(
        &roots.graphstore(&["check", "-r", "-m=-1s"]),
        0,
        &report,
        "",
        "repaired",
    );
    assert!(!listing(&roots).0.contains("lonely"));
    assert!(!roots.graph().join("vfs/dir/lonely").exists());
}

#[test]
fn additional_image_stores_are_checked_read_only_and_never_repaired() {
    let shared = Roots::new();
    sample(&shared);
    std::fs::write(shared.graph().join("vfs/dir/top/etc/app"), b"version 2\n").unwrap();
    std::fs::remove_file(item(&shared, "vfs-images", "img", "manifest")).unwrap();
    let before = listing(&shared);
    let roots = Roots::new();
    let opt = format!("vfs.imagestore={}", shared.graph().display());
    let line = r#"read-only layer top: file integrity checksum failed for "./etc/app""#.to_string();
    let missing = r#"read-only image img: data item "manifest": image data item is missing"#;
    let report = [
        section("read-only layer top", std::slice::from_ref(&line)),
        section("read-only image img", &[missing.to_string(), line]),
    ]
    .concat();
    assert_run(
        &roots.graphstore(&["--storage-opt", &opt, "check"]),
        1,
        &report,
        &summary(0, 1, 0, 1, 0),
        "read-only damage",
    );
    assert_run(
        &roots.graphstore(&["--storage-opt", &opt, "check", "-r", "-f"]),
        1,
        &report,
        "1 read-only layer errors, 1 read-only image errors\n",
        "never repaired",
    );
    assert_eq!(listing(&shared), before);
    assert_eq!(
        std::fs::read(shared.graph().join("vfs/dir/top/etc/app")).unwrap(),
        b"version 2\n"
    );
}

#[test]
fn the_library_returns_a_typed_report_and_typed_failures() {
    let roots = Roots::new();
    sample(&roots);
    std::fs::remove_file(item(&roots, "vfs-images", "img", "manifest")).unwrap();
    let mut store = roots.open();
    let options = graphstore::CheckOptions {
        layer_unreferenced_maximum_age: None,
        layer_digests: true,
        layer_mountable: true,
        layer_contents: true,
        layer_data: true,
        image_data: true,
        container_data: true,
    };
    let report = store.check(&options).unwrap();
    assert_eq!(report.images.len(), 1);
    assert_eq!(report.images[0].id, "img");
    assert_eq!(
        report.images[0].errors[0].problem,
        graphstore::CheckProblem::ImageDataMissing
    );
    let failures = store
        .repair(
            &report,
            &graphstore::RepairOptions {
                remove_containers: false,
            },
        )
        .unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].kind(),
        Some(graphstore::ErrorKind::ImageUsedByContainer)
    );
    let failures = store
        .repair(
            &report,
            &graphstore::RepairOptions {
                remove_containers: true,
            },
        )
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(store.check(&options).unwrap().images.is_empty());
}

#[test]
fn a_file_added_to_a_layer_is_found_by_the_full_check_only() {
    let roots = Roots::new();
    sample(&roots);
    let etc = roots.graph().join("vfs/dir/top/etc");
    std::fs::write(etc.join("extra"), b"x").unwrap();
    // Put back the directory's time (which adding the file changed).
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    std::fs::File::open(&etc)
        .unwrap()
        .set_modified(time)
        .unwrap();
    let line = "layer top: +/etc/extra, layer content modified".to_string();
    let report = through_image_and_container("top", &[line]);
    assert_run(
        &roots.graphstore(&["check"]),
        1,
        &report,
        &summary(1, 0, 1, 0, 1),
        "added",
    );
    assert_run(&roots.graphstore(&["check", "--quick"]), 0, "", "", "quick");
}

/// `check` rebuilds a read-only layer's diff from the tar-split kept in its
/// own store: so does `diff`, byte for byte what 1.43 gives on that store.
#[test]
fn the_diff_of_an_additional_stores_layer_is_rebuilt_from_its_tar_split() {
    let shared = Roots::new();
    sample(&shared);
    let roots = Roots::new();
    let opt = format!("vfs.imagestore={}", shared.graph().display());
    let ours = std::process::Command::new(crate::common::graphstore_cli())
        .args(roots.flags())
        .args(["--storage-opt", &opt, "diff", "-u", "top"])
        .output()
        .unwrap();
    assert!(ours.status.success(), "{ours:?}");
    let theirs = std::process::Command::new(crate::common::reference_cli())
        .args(shared.flags())
        .args(["diff", "-u", "top"])
        .output()
        .unwrap();
    assert!(theirs.status.success(), "{theirs:?}");
    assert_eq!(ours.stdout, theirs.stdout);
}
