//! What the store does with damage and hostile content it finds on disk or
//! in a diff: refused with a named error and left untouched, never followed
//! out of the root, leftovers of killed writers cleaned at open.

use super::fixture::{TestStore, failure};
use super::tar::TarBuilder;
use crate::disk::Input;
use crate::error::ErrorKind;
use crate::store::LayerOptions;

/// Writes `contents` to `relative` under the test's roots.
fn plant(test: &TestStore, relative: &str, contents: &[u8]) {
    std::fs::write(test.path(relative), contents).unwrap();
}

/// Checks that no mount point was recorded for the planted path.
fn assert_no_mount_of_sentinel(test: &TestStore) {
    let mounts = test.read("run/vfs-layers/mountpoints.json");
    assert!(
        !String::from_utf8_lossy(&mounts).contains("sentinel"),
        "{}",
        String::from_utf8_lossy(&mounts)
    );
}

#[test]
fn a_record_file_with_invalid_utf8_is_refused_and_left_untouched() {
    let mut test = TestStore::new();
    let planted = b"[{\"id\":\"a\",\"names\":[\"caf\xe9\"]}]";
    plant(&test, "graph/vfs-images/images.json", planted);
    let reopened = || TestStore::options(&test.dir);
    let mut store = crate::store::Store::open_native(reopened()).unwrap();
    let (kind, message) = failure(store.list_images());
    assert_eq!(kind, ErrorKind::Corrupt);
    assert!(message.contains("invalid UTF-8 at byte 24"), "{message}");
    let (kind, _) =
        failure(
            test.store
                .create_image(None, vec!["b".into()], None, "", &Default::default()),
        );
    assert_eq!(kind, ErrorKind::Corrupt);
    assert_eq!(test.read("graph/vfs-images/images.json"), planted);
}

#[test]
fn a_hostile_layer_id_on_disk_is_never_mounted() {
    let mut test = TestStore::new();
    test.layer("real", None);
    let planted = br#"[{"id":"../../../sentinel","names":["evil"]}]"#;
    plant(&test, "graph/vfs-layers/layers.json", planted);
    let mut store = test.reopen();
    let (kind, message) = failure(store.mount("evil", ""));
    assert_eq!(kind, ErrorKind::Corrupt);
    assert!(
        message.contains(r#"layer ID "../../../sentinel" is not a usable file name"#),
        "{message}"
    );
    assert_eq!(test.read("graph/vfs-layers/layers.json"), planted);
    assert_no_mount_of_sentinel(&test);
}

#[test]
fn a_container_whose_layer_is_unknown_is_never_mounted() {
    let mut test = TestStore::new();
    test.layer("real", None);
    plant(
        &test,
        "graph/vfs-containers/containers.json",
        br#"[{"id":"c","names":["evil"],"image":"","layer":"../../../sentinel"}]"#,
    );
    let mut store = test.reopen();
    assert_eq!(
        failure(store.mount("evil", "")),
        (ErrorKind::LayerUnknown, "layer not known".to_string())
    );
    assert_no_mount_of_sentinel(&test);
}

#[test]
fn a_member_with_an_empty_name_is_refused() {
    let mut test = TestStore::new();
    let tar = TarBuilder::new()
        .file("a", 0o644, b"a")
        .file("", 0o000, b"")
        .finish();
    let result = test.store.put_layer(
        Some("l"),
        None,
        Vec::new(),
        &LayerOptions::default(),
        Input::reader(&mut &tar[..]),
    );
    assert_eq!(
        failure(result),
        (
            ErrorKind::InvalidInput,
            "invalid archive: a member has an empty name".to_string()
        )
    );
    assert_eq!(test.layer_ids(), Vec::<String>::new());
    assert!(!test.exists("graph/vfs/dir/l"));
}

#[test]
fn a_whiteout_in_a_missing_directory_creates_it_empty() {
    let mut test = TestStore::new();
    let tar = TarBuilder::new().whiteout("a/b", "gone").finish();
    test.put_layer("l", None, &tar);
    assert_eq!(test.entries("graph/vfs/dir/l"), ["a"]);
    assert_eq!(test.entries("graph/vfs/dir/l/a"), ["b"]);
    assert_eq!(test.entries("graph/vfs/dir/l/a/b"), Vec::<String>::new());
}

#[test]
fn temporary_files_of_killed_writers_are_removed_at_open() {
    let mut test = TestStore::new();
    test.layer("l", None);
    for name in [".tmp-l.tar-split.gz1234", ".tmp-layers.json99"] {
        plant(&test, &format!("graph/vfs-layers/{name}"), b"partial");
    }
    let mut store = test.reopen();
    let mut report = store.recovery_report().unwrap();
    report.sort();
    let dir = test.path("graph/vfs-layers").display().to_string();
    assert_eq!(
        report,
        [
            format!("removed temporary file {dir}/.tmp-l.tar-split.gz1234"),
            format!("removed temporary file {dir}/.tmp-layers.json99"),
        ]
    );
    let mut left = test.entries("graph/vfs-layers");
    left.sort();
    assert_eq!(left, ["layers.json", "layers.lock"]);
}

#[test]
fn a_record_on_disk_named_like_a_store_file_is_refused_before_anything_is_deleted() {
    let mut test = TestStore::new();
    test.image("kept", &["kept"], None);
    let planted = br#"[{"id":"kept","names":["kept"]},{"id":"images.json","names":["evil"]}]"#;
    plant(&test, "graph/vfs-images/images.json", planted);
    let mut store = test.reopen();
    let (kind, message) = failure(store.delete_image("evil", true));
    assert_eq!(kind, ErrorKind::Corrupt);
    assert!(
        message.contains(r#"image ID "images.json" is not a usable file name"#),
        "{message}"
    );
    assert_eq!(test.read("graph/vfs-images/images.json"), planted);
}
