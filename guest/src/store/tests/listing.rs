//! Listings in pages: consistent pages share a version, any change makes a
//! new one, and pages are cut by count and by size.

use super::fixture::TestStore;
use crate::records::Record as _;
use crate::store::{ImageOptions, NameChange, PAGE_BYTES};

#[test]
fn pages_of_one_version_make_the_whole_listing() {
    let mut test = TestStore::new();
    for n in 0..5 {
        test.layer(&format!("l{n}"), None);
        test.image(&format!("i{n}"), &[], Some(&format!("l{n}")));
        test.container(&format!("c{n}"), &[], None, Some(&format!("cl{n}")));
    }
    let mut layers = Vec::new();
    let mut versions = Vec::new();
    while layers.len() < 10 {
        let page = test.store.list_layers_page(layers.len(), 3).unwrap();
        assert_eq!(page.total, 10);
        assert!(!page.items.is_empty() && page.items.len() <= 3);
        versions.push(page.version);
        layers.extend(page.items.into_iter().map(|view| view.record.id));
    }
    versions.dedup();
    assert_eq!(versions.len(), 1, "no change, one version");
    assert_eq!(layers, test.layer_ids());
    assert!(test.store.list_layers_page(10, 3).unwrap().items.is_empty());

    let images = test.store.list_images_page(1, 3).unwrap();
    let ids: Vec<String> = images.items.iter().map(|v| v.record.id.clone()).collect();
    assert_eq!(
        (ids, images.total),
        (vec!["i1".into(), "i2".into(), "i3".into()], 5)
    );
    let containers = test.store.list_containers_page(3, 100).unwrap();
    let ids: Vec<String> = containers.items.iter().map(|c| c.id.clone()).collect();
    assert_eq!((ids, containers.total), (vec!["c3".into(), "c4".into()], 5));
}

#[test]
fn any_change_makes_a_new_version() {
    let mut test = TestStore::new();
    test.layer("l0", None);
    test.image("i0", &[], None);
    test.container("c0", &[], None, None);
    let layers = test.store.list_layers_page(0, 1).unwrap().version;
    let images = test.store.list_images_page(0, 1).unwrap().version;
    let containers = test.store.list_containers_page(0, 1).unwrap().version;

    // This instance's own change, and another process's.
    test.store
        .update_names("i0", NameChange::Set, vec!["renamed".to_string()])
        .unwrap();
    assert_ne!(test.store.list_images_page(0, 1).unwrap().version, images);
    let mut other = test.reopen();
    other
        .create_layer(Some("l1"), None, Vec::new(), &Default::default())
        .unwrap();
    other.delete_container("c0").unwrap();
    assert_ne!(test.store.list_layers_page(0, 1).unwrap().version, layers);
    assert_ne!(
        test.store.list_containers_page(0, 1).unwrap().version,
        containers
    );
    // Mounting changes what layers report.
    let before = test.store.list_layers_page(0, 1).unwrap().version;
    test.store.mount("l1", "").unwrap();
    assert_ne!(test.store.list_layers_page(0, 1).unwrap().version, before);
}

#[test]
fn pages_are_cut_by_size_but_never_empty() {
    let mut test = TestStore::new();
    let big = "m".repeat(PAGE_BYTES / 3);
    for n in 0..4 {
        test.store
            .create_image(
                Some(&format!("i{n}")),
                Vec::new(),
                None,
                &big,
                &ImageOptions::default(),
            )
            .unwrap();
    }
    let page = test.store.list_images_page(0, 100).unwrap();
    assert_eq!(page.items.len(), 3, "the third crosses the budget");
    assert!(page.items[0].record.reply_size() > big.len());
    let page = test.store.list_images_page(3, 100).unwrap();
    assert_eq!(page.items.len(), 1);
    // One item larger than a page still comes alone.
    test.store
        .create_image(
            Some("huge"),
            Vec::new(),
            None,
            &"h".repeat(PAGE_BYTES * 2),
            &ImageOptions::default(),
        )
        .unwrap();
    assert_eq!(test.store.list_images_page(4, 100).unwrap().items.len(), 1);
}

#[test]
fn a_file_no_writer_has_locked_yet_keeps_its_version() {
    // Records written by hand (or restored from a backup): the lock file
    // has no writer's token, so every lock reloads; the bytes are the
    // same, and so is the version.
    let test = TestStore::new();
    let records: Vec<String> = (0..5)
        .map(|n| format!(r#"{{"id":"i{n}","created":"2026-01-01T00:00:00Z"}}"#))
        .collect();
    std::fs::write(
        test.path("graph/vfs-images/images.json"),
        format!("[{}]", records.join(",")),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(test.path("graph/vfs-images/images.lock")).unwrap(),
        b""
    );
    let mut store = test.reopen();
    let first = store.list_images_page(0, 2).unwrap();
    let second = store.list_images_page(2, 2).unwrap();
    assert_eq!(first.version, second.version);
    // A hand edit shows up as a new version.
    std::fs::write(test.path("graph/vfs-images/images.json"), "[]").unwrap();
    let after = store.list_images_page(0, 2).unwrap();
    assert_ne!(after.version, first.version);
    assert_eq!(after.total, 0);
}
