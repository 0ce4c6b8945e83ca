//! Hostile input: IDs, names, keys and on-disk files crafted to escape the
//! roots or crash the store get clear errors, lose nothing and write nothing
//! outside the roots.

use crate::common;

use common::{Roots, tree};
use graphstore::{ErrorKind, ImageOptions, LayerOptions, Store};

/// IDs naming something outside their directory (the empty ID is not one:
/// as in 1.43 it asks for a random ID).
const HOSTILE_IDS: &[&str] = &["../escape", "a/b", "/abs", ".", "..", "nul\0byte"];

/// Everything below the temporary directory except the two roots.
fn outside(roots: &Roots) -> Vec<String> {
    tree(roots.dir.path())
        .into_iter()
        .filter(|e| !e.contains(" graph") && !e.contains(" run"))
        .collect()
}

#[test]
fn ids_that_are_not_single_path_components_are_refused() {
    let roots = Roots::new();
    let mut store = roots.open();
    for id in HOSTILE_IDS {
        let err = store
            .create_image(Some(id), &[], None, "", &ImageOptions::default())
            .unwrap_err();
        assert_eq!(
            err.kind(),
            Some(ErrorKind::InvalidInput),
            "image id {id:?}: {err}"
        );
        let err = store
            .create_layer(Some(id), None, &[], &LayerOptions::default())
            .unwrap_err();
        assert_eq!(
            err.kind(),
            Some(ErrorKind::InvalidInput),
            "layer id {id:?}: {err}"
        );
    }
    let long = "x".repeat(300);
    let err = store
        .create_layer(Some(&long), None, &[], &LayerOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::InvalidInput));
    assert!(store.images().unwrap().is_empty());
    assert!(
        store.layers().unwrap().is_empty(),
        "a refused layer left a record behind"
    );
    assert!(outside(&roots).is_empty(), "{:?}", outside(&roots));
}

#[test]
fn names_are_labels_never_paths() {
    let roots = Roots::new();
    let mut store = roots.open();
    let odd = [
        "../../etc/passwd",
        "/",
        "a\0b",
        "\u{2028}<script>",
        &"n".repeat(5000),
    ];
    let names: Vec<String> = odd.iter().map(|s| s.to_string()).collect();
    let image = store
        .create_image(None, &names, None, "", &ImageOptions::default())
        .unwrap();
    for name in &names {
        assert_eq!(store.image(name).unwrap().id, image.id);
    }
    drop(store);
    assert_eq!(
        roots.open().image("a\0b").unwrap().names,
        names,
        "names survive a reload"
    );
    assert!(outside(&roots).is_empty());
}

#[test]
fn data_keys_are_encoded_inside_the_record_directory() {
    let roots = Roots::new();
    let mut store = roots.open();
    store
        .create_image(Some("img"), &[], None, "", &ImageOptions::default())
        .unwrap();
    for key in ["../../../escape", "/etc/passwd", "a/b"] {
        store
            .set_image_big_data("img", key, key.as_bytes(), None)
            .unwrap();
        assert_eq!(store.image_big_data("img", key).unwrap(), key.as_bytes());
    }
    for key in ["", ".", ".."] {
        let err = store
            .set_image_big_data("img", key, b"x", None)
            .unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::InvalidBigDataName), "{key:?}");
    }
    let files = tree(&roots.graph().join("vfs-images/img"));
    assert_eq!(
        files,
        vec![
            "f 600 =L2V0Yy9wYXNzd2Q=",
            "f 600 =Li4vLi4vLi4vZXNjYXBl",
            "f 600 =YS9i"
        ]
    );
    assert!(outside(&roots).is_empty());
}

#[test]
fn corrupt_metadata_is_an_error_and_is_never_overwritten() {
    let roots = Roots::new();
    roots
        .open()
        .create_image(Some("keep"), &[], None, "", &ImageOptions::default())
        .unwrap();
    let path = roots.graph().join("vfs-images/images.json");
    let garbage = b"[{\"id\":\"keep\",\"created\":\"2026-01-01T00:00:00Z\"},{oops".to_vec();
    std::fs::write(&path, &garbage).unwrap();
    let mut store = roots.open();
    let err = store.images().unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Corrupt));
    assert!(err.to_string().contains("images.json"), "{err}");
    let err = store
        .create_image(None, &[], None, "", &ImageOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Corrupt));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the corrupt file was modified"
    );
}

#[test]
fn records_on_disk_naming_paths_outside_are_refused() {
    let roots = Roots::new();
    roots
        .open()
        .create_layer(Some("real"), None, &[], &LayerOptions::default())
        .unwrap();
    let victim = roots.dir.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious"), b"data").unwrap();
    let crafted = r#"[{"id":"../../../victim","created":"2026-01-01T00:00:00Z"}]"#;
    std::fs::write(roots.graph().join("vfs-layers/layers.json"), crafted).unwrap();
    let mut store = roots.open();
    // The record is refused when the file is loaded, the file left as it is.
    let err = store.delete("../../../victim").unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::Corrupt), "{err}");
    assert!(
        err.to_string()
            .contains(r#"layer ID "../../../victim" is not a usable file name"#),
        "{err}"
    );
    assert_eq!(
        std::fs::read(roots.graph().join("vfs-layers/layers.json")).unwrap(),
        crafted.as_bytes()
    );
    assert_eq!(std::fs::read(victim.join("precious")).unwrap(), b"data");
}

#[test]
fn symlinks_planted_in_the_root_do_not_lead_out() {
    let roots = Roots::new();
    drop(roots.open());
    let elsewhere = roots.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let images = roots.graph().join("vfs-images");
    std::fs::remove_dir_all(&images).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &images).unwrap();
    let err = Store::open(roots.options())
        .err()
        .expect("opening through a symlink out of the root must fail");
    assert!(matches!(err.kind(), Some(ErrorKind::Io)), "{err:?}");
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "something was written outside the root"
    );
}

#[test]
fn a_missing_read_only_root_is_a_clear_error() {
    let roots = Roots::new();
    let mut options = roots.options();
    options.read_only = true;
    let err = Store::open(options).err().expect("no such root");
    assert!(matches!(err, graphstore::Error::Setup(_)), "{err:?}");
    assert!(err.to_string().contains("graph"), "{err}");
}
