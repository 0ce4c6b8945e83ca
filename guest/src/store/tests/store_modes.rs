//! Newer containers/storage store modes: the transient store's split
//! record files, and layer trees without records.

use super::fixture::{TestStore, strings};
use crate::store::{ContainerOptions, LayerOptions, Store, StoreOptions};

/// Options of `t`'s roots in transient mode.
fn transient(t: &TestStore) -> StoreOptions {
    StoreOptions {
        transient_store: true,
        ..TestStore::options(&t.dir)
    }
}

#[test]
fn a_record_in_both_files_is_the_stable_one() {
    let t = TestStore::new();
    let mut store = Store::open_native(transient(&t)).unwrap();
    store
        .create_container(
            Some("c"),
            strings(&["n"]),
            None,
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    let volatile = t.path("run/vfs-containers/volatile-containers.json");
    let stable = t.path("graph/vfs-containers/containers.json");
    // Upstream's transient store never writes the stable file for it.
    assert!(!stable.exists());
    let record = std::fs::read_to_string(&volatile).unwrap();
    std::fs::write(&stable, record.replace("\"n\"", "\"from-stable\"")).unwrap();
    let mut reader = Store::open_native(transient(&t)).unwrap();
    let containers = reader.list_containers().unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0].names, strings(&["from-stable"]));
}

#[test]
fn only_changed_files_are_written() {
    let t = TestStore::new();
    let mut store = Store::open_native(transient(&t)).unwrap();
    store
        .create_container(
            Some("c"),
            Vec::new(),
            None,
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    let volatile = t.path("run/vfs-containers/volatile-containers.json");
    let before = std::fs::metadata(&volatile).unwrap().modified().unwrap();
    // Changing a stable record leaves the volatile file alone.
    let mut plain = t.reopen();
    plain
        .create_container(
            Some("s"),
            Vec::new(),
            None,
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    let mut store = Store::open_native(transient(&t)).unwrap();
    store.set_metadata("s", "m").unwrap();
    assert_eq!(
        std::fs::metadata(&volatile).unwrap().modified().unwrap(),
        before
    );
    assert_eq!(store.metadata("s").unwrap(), "m");
    assert_eq!(t.reopen().metadata("s").unwrap(), "m");
    assert!(
        t.reopen()
            .list_containers()
            .unwrap()
            .iter()
            .all(|c| c.id != "c")
    );
}

#[test]
fn storage_layers_have_no_records() {
    let t = TestStore::new();
    let mut store = t.reopen();
    let id = store
        .create_storage_layer(None, None, &LayerOptions::default())
        .unwrap();
    assert_eq!(id.len(), 64);
    store
        .create_storage_layer(Some("child"), Some(&id), &LayerOptions::default())
        .unwrap();
    let mut expected = vec![id.clone(), "child".to_string()];
    expected.sort();
    assert_eq!(store.storage_layers().unwrap(), expected);
    assert!(store.list_layers().unwrap().is_empty());
    let bad = store
        .create_storage_layer(Some("../x"), None, &LayerOptions::default())
        .unwrap_err();
    assert_eq!(bad.kind, crate::error::ErrorKind::InvalidInput);
}
