//! `check` and `repair`: each kind of damage, made on disk behind the
//! store's back, is reported on the right object with upstream's message,
//! and `repair` leaves a store that `check` finds clean.

use super::fixture::{TestStore, failure};
use super::tar::TarBuilder;
use crate::error::ErrorKind;
use crate::ident::big_data;
use crate::store::{
    CheckError, CheckOptions, CheckReport, Findings, Problem, RepairOptions, Store, StoreOptions,
};

/// `base` (etc/hosts) ← `top` (etc/app), image `img` on `top` with a
/// `manifest` item, container `ctr` of `img` with a `config` item.
fn sample() -> TestStore {
    let mut t = TestStore::new();
    let base = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/hosts", 0o644, b"127.0.0.1 localhost\n")
        .finish();
    t.put_layer("base", None, &base);
    let top = TarBuilder::new()
        .dir("etc", 0o755)
        .file("etc/app", 0o644, b"version 1\n")
        .finish();
    t.put_layer("top", Some("base"), &top);
    t.image("img", &["app:1"], Some("top"));
    t.store
        .set_image_big_data("img", "manifest", b"{\"schemaVersion\":2}", None)
        .unwrap();
    t.container("ctr", &[], Some("img"), None);
    t.store
        .set_container_big_data("ctr", "config", b"{}")
        .unwrap();
    t
}

fn check(t: &mut TestStore) -> CheckReport {
    t.store.check(&CheckOptions::everything()).expect("check")
}

/// `(problem, message)` of each finding.
fn described(findings: &[CheckError]) -> Vec<(Problem, String)> {
    findings
        .iter()
        .map(|found| (found.problem, found.message.clone()))
        .collect()
}

fn keys(findings: &Findings) -> Vec<&str> {
    findings.keys().map(String::as_str).collect()
}

fn item_path(t: &TestStore, store_dir: &str, id: &str, key: &str) -> std::path::PathBuf {
    t.path(&format!(
        "graph/{store_dir}/{id}/{}",
        big_data::file_name(key).unwrap()
    ))
}

#[test]
fn an_undamaged_store_is_clean() {
    let mut t = sample();
    assert_eq!(check(&mut t), CheckReport::default());
    assert!(check(&mut t).is_clean());
}

#[test]
fn a_deleted_layer_tree_is_reported_on_the_layer_its_image_and_container() {
    let mut t = sample();
    std::fs::remove_dir_all(t.path("graph/vfs/dir/base")).unwrap();
    let report = check(&mut t);
    let gone = format!(
        "layer base: stat {}: no such file or directory",
        t.path("graph/vfs/dir/base").display()
    );
    // Once rebuilding the diff, once "mounting" the tree, as upstream.
    let expected = vec![(Problem::Other, gone.clone()), (Problem::Other, gone)];
    assert_eq!(keys(&report.layers), ["base"]);
    assert_eq!(described(&report.layers["base"]), expected);
    assert_eq!(described(&report.images["img"]), expected);
    assert_eq!(described(&report.containers["ctr"]), expected);
    assert!(report.read_only_layers.is_empty() && report.read_only_images.is_empty());
}

#[test]
fn a_modified_file_fails_the_rebuilt_diff() {
    let mut t = sample();
    std::fs::write(t.path("graph/vfs/dir/top/etc/app"), b"version 2\n").unwrap();
    let report = check(&mut t);
    assert_eq!(
        described(&report.layers["top"]),
        [(
            Problem::Other,
            "layer top: file integrity checksum failed for \"etc/app\"".to_string()
        )]
    );
    assert_eq!(keys(&report.images), ["img"]);
}

#[test]
fn a_layer_whose_recorded_digest_and_size_no_longer_match_is_reported() {
    let t = sample();
    // Rewrite the record's digest and size (as if the diff had changed).
    let path = t.path("graph/vfs-layers/layers.json");
    let mut layers: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let record = layers
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|layer| layer["id"] == "top")
        .unwrap();
    record["diff-digest"] = format!("sha256:{}", "0".repeat(64)).into();
    let size = record["diff-size"].as_i64().unwrap();
    record["diff-size"] = (size + 1).into();
    std::fs::write(&path, serde_json::to_vec(&layers).unwrap()).unwrap();
    let mut reopened = t.reopen();
    let report = reopened.check(&CheckOptions::everything()).unwrap();
    assert_eq!(
        described(&report.layers["top"]),
        [
            (
                Problem::LayerIncorrectContentDigest,
                "layer top: layer content incorrect digest".to_string()
            ),
            (
                Problem::LayerIncorrectContentSize,
                format!(
                    "layer top: read {size} bytes instead of {} bytes: layer content incorrect size",
                    size + 1
                )
            ),
        ]
    );
}

#[test]
fn image_data_items_missing_or_resized_are_reported_and_passed_to_containers() {
    let mut t = sample();
    let manifest = item_path(&t, "vfs-images", "img", "manifest");
    std::fs::write(&manifest, b"{}").unwrap();
    let expected = [(
        Problem::ImageDataIncorrectSize,
        "image img: data item \"manifest\": image data item has incorrect size".to_string(),
    )];
    let report = check(&mut t);
    assert_eq!(described(&report.images["img"]), expected);
    assert_eq!(described(&report.containers["ctr"]), expected);
    assert!(report.layers.is_empty());

    std::fs::remove_file(&manifest).unwrap();
    let report = check(&mut t);
    assert_eq!(
        described(&report.images["img"]),
        [(
            Problem::ImageDataMissing,
            "image img: data item \"manifest\": image data item is missing".to_string()
        )]
    );
}

#[test]
fn container_data_items_and_layer_data_items_are_checked() {
    let mut t = sample();
    t.store.set_layer_big_data("base", "note", b"n").unwrap();
    std::fs::remove_file(item_path(&t, "vfs-containers", "ctr", "config")).unwrap();
    std::fs::remove_file(item_path(&t, "vfs-layers", "base", "note")).unwrap();
    let report = check(&mut t);
    assert_eq!(
        described(&report.containers["ctr"])[0],
        (
            Problem::ContainerDataMissing,
            "container ctr: data item \"config\": container data item is missing".to_string()
        )
    );
    assert_eq!(
        described(&report.layers["base"]),
        [(
            Problem::LayerDataMissing,
            "layer base: data item \"note\": layer data item is missing".to_string()
        )]
    );
    // The quick options skip none of these.
    assert_eq!(t.store.check(&CheckOptions::most()).unwrap(), report);
}

#[test]
fn unrecorded_trees_and_old_unreferenced_layers_are_reported() {
    let mut t = sample();
    std::fs::create_dir(t.path("graph/vfs/dir/stray")).unwrap();
    t.layer("lonely", None);
    let report = check(&mut t);
    assert_eq!(
        described(&report.layers["stray"]),
        [(
            Problem::LayerUnaccounted,
            "layer stray: layer in lower level storage driver not accounted for".to_string()
        )]
    );
    // Made just now: within the default 24 hours.
    assert_eq!(keys(&report.layers), ["stray"]);
    let strict = CheckOptions {
        layer_unreferenced_maximum_age: Some(-1),
        ..CheckOptions::everything()
    };
    let report = t.store.check(&strict).unwrap();
    assert_eq!(keys(&report.layers), ["lonely", "stray"]);
    assert_eq!(
        described(&report.layers["lonely"]),
        [(
            Problem::LayerUnreferenced,
            "layer lonely: layer not referenced by any images or containers".to_string()
        )]
    );
    // A lease keeps a layer in use.
    t.store
        .retain_layers("pull", &["lonely".to_string()])
        .unwrap();
    assert_eq!(keys(&t.store.check(&strict).unwrap().layers), ["stray"]);
}

#[test]
fn a_container_whose_image_record_is_gone_is_reported() {
    let t = sample();
    std::fs::write(t.path("graph/vfs-images/images.json"), b"[]").unwrap();
    let mut reopened = t.reopen();
    let report = reopened.check(&CheckOptions::everything()).unwrap();
    assert_eq!(
        described(&report.containers["ctr"]),
        [(
            Problem::ContainerImageMissing,
            "image img: image missing".to_string()
        )]
    );
    assert!(report.images.is_empty());
}

#[test]
fn repair_removes_damaged_objects_and_what_depends_on_them() {
    let mut t = sample();
    t.layer("other", None);
    t.image("other-img", &[], Some("other"));
    std::fs::remove_dir_all(t.path("graph/vfs/dir/base")).unwrap();
    std::fs::create_dir(t.path("graph/vfs/dir/stray")).unwrap();
    let report = check(&mut t);

    // Without removing containers, the image its container uses stays.
    let failures = t.store.repair(&report, &RepairOptions::default()).unwrap();
    let messages: Vec<&str> = failures.iter().map(|f| f.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "deleting image img: image used by ctr: image is in use by a container",
            "deleting layer base: used by layer top: layer has children",
        ]
    );
    assert!(!t.exists("graph/vfs/dir/stray"));
    assert_eq!(t.container_ids(), ["ctr"]);

    let report = check(&mut t);
    let failures = t
        .store
        .repair(
            &report,
            &RepairOptions {
                remove_containers: true,
            },
        )
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(check(&mut t).is_clean());
    assert!(t.container_ids().is_empty());
    assert_eq!(t.image_ids(), ["other-img"]);
    assert_eq!(t.layer_ids(), ["other"]);
    assert_eq!(t.entries("graph/vfs/dir"), ["other"]);
}

#[test]
fn a_read_only_store_opened_for_checking_cannot_be_repaired() {
    let mut t = sample();
    let options = StoreOptions {
        read_only: true,
        ..TestStore::options(&t.dir)
    };
    let mut read_only = Store::open_native(options).unwrap();
    assert!(
        read_only
            .check(&CheckOptions::everything())
            .unwrap()
            .is_clean()
    );
    let report = check(&mut t);
    let (kind, _) = failure(read_only.repair(&report, &RepairOptions::default()));
    assert_eq!(kind, ErrorKind::ReadOnly);
}

#[test]
fn additional_stores_are_reported_read_only_and_never_repaired() {
    let mut shared = sample();
    std::fs::write(shared.path("graph/vfs/dir/top/etc/app"), b"version 2\n").unwrap();
    drop(shared.store.shutdown(true));
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        image_stores: vec![shared.path("graph").display().to_string()],
        ..TestStore::options(&dir)
    };
    let mut store = Store::open_native(options).unwrap();
    let report = store.check(&CheckOptions::everything()).unwrap();
    let modified = [(
        Problem::Other,
        "read-only layer top: file integrity checksum failed for \"etc/app\"".to_string(),
    )];
    assert_eq!(keys(&report.read_only_layers), ["top"]);
    assert_eq!(described(&report.read_only_layers["top"]), modified);
    assert_eq!(described(&report.read_only_images["img"]), modified);
    assert!(report.layers.is_empty() && report.images.is_empty());
    assert!(report.containers.is_empty());

    assert!(
        store
            .repair(
                &report,
                &RepairOptions {
                    remove_containers: true
                }
            )
            .unwrap()
            .is_empty()
    );
    assert!(shared.exists("graph/vfs/dir/top/etc/app"));
    assert_eq!(shared.image_ids(), ["img"]);
    assert_eq!(store.check(&CheckOptions::everything()).unwrap(), report);
}

#[test]
fn content_the_diffs_do_not_describe_is_reported_by_the_full_check_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut t = sample();
    std::fs::write(t.path("graph/vfs/dir/top/etc/extra"), b"x").unwrap();
    std::fs::set_permissions(
        t.path("graph/vfs/dir/top/etc/app"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    // Restore the directory's time, which adding the file changed.
    let etc = t.path("graph/vfs/dir/top/etc");
    let time =
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(super::tar::MTIME_SECONDS as u64);
    std::fs::File::open(&etc)
        .unwrap()
        .set_modified(time)
        .unwrap();
    let report = check(&mut t);
    let modified = |what: &str| {
        (
            Problem::LayerContentModified,
            format!("layer top: {what}, layer content modified"),
        )
    };
    let expected = vec![
        modified("+/etc/app(mode:0644￫0600)"),
        modified("+/etc/extra"),
        modified("/etc/app(mode:0644￫0600)"),
    ];
    assert_eq!(keys(&report.layers), ["top"]);
    assert_eq!(described(&report.layers["top"]), expected);
    assert_eq!(described(&report.images["img"]), expected);
    assert_eq!(described(&report.containers["ctr"]), expected);
    // The rebuilt diff still matches: the quick checks see nothing.
    assert!(t.store.check(&CheckOptions::most()).unwrap().is_clean());
}

#[test]
fn repair_acts_on_exact_ids_only() {
    let mut t = sample();
    // A stale report: its IDs are a name and an ID prefix of live objects.
    let stale = |id: &str| {
        let mut findings = Findings::new();
        findings.insert(
            id.to_string(),
            vec![CheckError {
                problem: Problem::Other,
                message: String::new(),
            }],
        );
        findings
    };
    t.layer("lonely-layer", None);
    let report = CheckReport {
        layers: stale("lonely"),
        images: stale("app:1"),
        containers: stale("ct"),
        ..CheckReport::default()
    };
    let failures = t
        .store
        .repair(
            &report,
            &RepairOptions {
                remove_containers: true,
            },
        )
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(t.container_ids(), ["ctr"]);
    assert_eq!(t.image_ids(), ["img"]);
    assert!(t.layer_ids().contains(&"lonely-layer".to_string()));
}
