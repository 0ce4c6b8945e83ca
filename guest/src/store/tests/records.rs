//! The record files (`layers.json`, `images.json`, `containers.json`): the
//! 1.43 format, reloading what another instance wrote, corrupt files,
//! repairs on load and crash recovery.

use super::fixture::{TestStore, failure, fake_digest, strings};
use super::tar::TarBuilder;
use crate::error::{ErrorKind, Result};
use crate::format::timestamp::Timestamp;
use crate::store::{ContainerOptions, ImageOptions, LayerOptions, NameChange, Store, StoreOptions};

const IMAGES_JSON: &str = "graph/vfs-images/images.json";
const LAYERS_JSON: &str = "graph/vfs-layers/layers.json";
const CONTAINERS_JSON: &str = "graph/vfs-containers/containers.json";

/// Replaces the file at `relative` with `content` behind the store's back.
fn write(test: &TestStore, relative: &str, content: &[u8]) {
    std::fs::write(test.path(relative), content).unwrap();
}

#[test]
fn a_second_instance_sees_what_the_first_wrote() {
    let mut test = TestStore::new();
    let mut second = test.reopen();
    assert!(
        second.list_images().unwrap().is_empty(),
        "loaded while empty"
    );
    assert!(second.list_layers().unwrap().is_empty());
    assert!(second.list_containers().unwrap().is_empty());

    test.layer("lay", None);
    test.image("img", &["app"], Some("lay"));
    test.container("ctr", &["web"], Some("app"), Some("ctr-layer"));
    assert_eq!(second.image("app").unwrap().record.top_layer, "lay");
    assert_eq!(second.layer("ctr-layer").unwrap().record.parent, "lay");
    assert_eq!(second.container("web").unwrap().image_id, "img");

    second.delete_container("web").unwrap();
    second
        .update_names("img", NameChange::Set, strings(&["renamed"]))
        .unwrap();
    assert_eq!(
        failure(test.store.container("ctr")),
        (
            ErrorKind::ContainerUnknown,
            "container not known".to_string()
        )
    );
    assert_eq!(test.layer_ids(), strings(&["lay"]));
    assert_eq!(test.store.lookup("renamed").unwrap(), "img");
    assert!(!test.store.image_exists("app").unwrap());
}

#[test]
fn an_instance_reloads_a_record_file_only_when_its_lock_says_it_changed() {
    let mut test = TestStore::new();
    test.image("img", &[], None);
    let mut second = test.reopen();
    assert_eq!(second.list_images().unwrap().len(), 1);

    // Rewritten behind the lock's back: loaded instances keep their copy.
    let hand_written = br#"[{"id":"img"},{"id":"hand"}]"#;
    write(&test, IMAGES_JSON, hand_written);
    assert!(!test.store.image_exists("hand").unwrap());
    assert!(!second.image_exists("hand").unwrap());
    let mut third = test.reopen();
    assert!(
        third.image_exists("hand").unwrap(),
        "a new instance reads the file"
    );

    // A write through the store marks the lock; the others reload.
    third.set_metadata("img", "changed").unwrap();
    for store in [&mut test.store, &mut second] {
        assert!(store.image_exists("hand").unwrap());
        assert_eq!(store.metadata("img").unwrap(), "changed");
    }
}

#[test]
fn records_are_written_in_the_1_43_format() {
    let mut test = TestStore::new();
    let options = ImageOptions {
        digest: Some(fake_digest('d')),
        created: Some(Timestamp::utc(1_700_000_000, 0)),
    };
    test.store
        .create_image(
            Some("img1"),
            strings(&["a", "b", "a"]),
            None,
            "meta<&>",
            &options,
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(test.read(IMAGES_JSON)).unwrap(),
        format!(
            r#"[{{"id":"img1","digest":"{}","names":["a","b"],"metadata":"meta\u003c\u0026\u003e","created":"2023-11-14T22:13:20Z"}}]"#,
            fake_digest('d')
        )
    );
    let container = test
        .store
        .create_container(
            Some("ctr"),
            Vec::new(),
            None,
            Some("ctr-layer"),
            "",
            &ContainerOptions {
                volatile: true,
                ..ContainerOptions::default()
            },
        )
        .unwrap();
    let text = String::from_utf8(test.read(CONTAINERS_JSON)).unwrap();
    assert_eq!(
        text,
        format!(
            r#"[{{"id":"ctr","image":"","layer":"ctr-layer","created":"{}","flags":{{"MountLabel":"","ProcessLabel":"","Volatile":true}}}}]"#,
            container.created.format()
        )
    );
}

#[test]
fn a_corrupt_record_file_is_refused_and_left_untouched() {
    let garbage: &[u8] = b"[{\"id\":\"half";
    type Call = fn(&mut Store) -> Result<()>;
    let cases: [(&str, Call, Call); 3] = [
        (
            IMAGES_JSON,
            |s| s.list_images().map(drop),
            |s| {
                s.create_image(None, Vec::new(), None, "", &ImageOptions::default())
                    .map(drop)
            },
        ),
        (
            LAYERS_JSON,
            |s| s.list_layers().map(drop),
            |s| {
                s.create_layer(None, None, Vec::new(), &LayerOptions::default())
                    .map(drop)
            },
        ),
        (
            CONTAINERS_JSON,
            |s| s.list_containers().map(drop),
            |s| {
                s.create_container(
                    None,
                    Vec::new(),
                    None,
                    None,
                    "",
                    &ContainerOptions::default(),
                )
                .map(drop)
            },
        ),
    ];
    for (file, read, write_call) in cases {
        let mut test = TestStore::new();
        test.layer("lay", None);
        test.image("img", &[], Some("lay"));
        test.container("ctr", &[], Some("img"), Some("ctr-layer"));
        write(&test, file, garbage);
        let mut store = test.reopen();
        let path = test.path(file).display().to_string();
        for (operation, call) in [("read", read), ("write", write_call)] {
            let (kind, message) = failure(call(&mut store));
            assert_eq!(kind, ErrorKind::Corrupt, "{file} {operation}: {message}");
            assert!(
                message.starts_with(&format!("{path}: ")),
                "{file} {operation}: {message}"
            );
            assert!(
                message.ends_with(" (the file was left untouched; repair or remove it)"),
                "{file} {operation}: {message}"
            );
        }
        assert_eq!(test.read(file), garbage, "{file}");
    }
}

#[test]
fn a_name_on_several_records_stays_with_the_last_one() {
    let test = TestStore::new();
    write(
        &test,
        IMAGES_JSON,
        br#"[{"id":"a","names":["x","y"]},{"id":"b","names":["x"]}]"#,
    );
    let mut store = test.reopen();
    assert_eq!(store.image("x").unwrap().record.id, "b");
    assert_eq!(store.image("a").unwrap().record.names, strings(&["y"]));
    assert_eq!(
        test.read(IMAGES_JSON),
        br#"[{"id":"a","names":["x","y"]},{"id":"b","names":["x"]}]"#,
        "a reader repairs in memory only"
    );
    store
        .create_image(Some("c"), Vec::new(), None, "", &ImageOptions::default())
        .unwrap();
    let text = String::from_utf8(test.read(IMAGES_JSON)).unwrap();
    assert!(text.starts_with(r#"[{"id":"a","names":["y"],"#), "{text}");
    assert!(text.contains(r#"{"id":"b","names":["x"],"#), "{text}");
}

#[test]
fn a_hand_edited_layers_json_is_reloaded_when_its_modification_time_changes() {
    let mut test = TestStore::new();
    test.layer("lay", None);
    let text = String::from_utf8(test.read(LAYERS_JSON)).unwrap();
    let edited = text.replace(r#""id":"lay""#, r#""id":"lay","names":["by-hand"]"#);
    assert_ne!(edited, text);
    write(&test, LAYERS_JSON, edited.as_bytes());
    let file = std::fs::File::options()
        .write(true)
        .open(test.path(LAYERS_JSON))
        .unwrap();
    file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
        .unwrap();
    assert_eq!(test.store.layer("by-hand").unwrap().record.id, "lay");
}

#[test]
fn a_layer_left_incomplete_by_a_crash_is_removed_at_open() {
    let mut test = TestStore::new();
    let diff = TarBuilder::new().file("f", 0o644, b"x").finish();
    test.put_layer("crashed", None, &diff);
    test.layer("fine", None);
    let text = String::from_utf8(test.read(LAYERS_JSON)).unwrap();
    let edited = text.replace(
        r#""id":"crashed""#,
        r#""id":"crashed","flags":{"incomplete":true}"#,
    );
    assert_ne!(edited, text);
    write(&test, LAYERS_JSON, edited.as_bytes());

    let mut store = test.reopen();
    assert_eq!(
        store.recovery_report().unwrap(),
        strings(&["Found incomplete layer \"crashed\", deleting it"])
    );
    assert_eq!(
        store
            .list_layers()
            .unwrap()
            .into_iter()
            .map(|l| l.record.id)
            .collect::<Vec<_>>(),
        strings(&["fine"])
    );
    assert_eq!(test.entries("graph/vfs/dir"), strings(&["fine"]));
    assert!(!test.exists("graph/vfs-layers/crashed.tar-split.gz"));
    assert!(store.recovery_report().unwrap().is_empty(), "reported once");
}

#[test]
fn a_read_only_instance_reads_records_and_refuses_writes() {
    let mut test = TestStore::new();
    test.layer("lay", None);
    test.image("img", &["app"], Some("lay"));
    let options = StoreOptions {
        read_only: true,
        ..TestStore::options(&test.dir)
    };
    let mut store = Store::open_native(options).unwrap();
    assert_eq!(store.image("app").unwrap().record.id, "img");
    assert_eq!(store.layer("lay").unwrap().record.id, "lay");
    let refusal = (
        ErrorKind::ReadOnly,
        "the store was opened read-only: called a write method on a read-only store".to_string(),
    );
    let image = store.create_image(None, Vec::new(), None, "", &ImageOptions::default());
    assert_eq!(failure(image), refusal);
    assert_eq!(failure(store.delete_layer("lay")), refusal);
    assert_eq!(failure(store.set_metadata("img", "m")), refusal);
    assert_eq!(
        failure(store.retain_layers("s", &strings(&["lay"]))),
        refusal
    );
    assert_eq!(test.image_ids(), strings(&["img"]));
}

/// One store instance editing its images over and over: after every
/// change `images.json` holds exactly the records the store reports (the
/// record file re-encodes only records changed since its last save, so a
/// change it missed would leave a stale record on disk).
#[test]
fn every_save_of_a_long_lived_store_writes_its_current_records() {
    let mut test = TestStore::new();
    let check = |test: &mut TestStore, step: &str| {
        let on_disk: Vec<crate::records::Image> =
            crate::records::parse_records(&test.read(IMAGES_JSON)).unwrap();
        let ids: Vec<String> = on_disk.iter().map(|image| image.id.clone()).collect();
        assert_eq!(ids, test.image_ids(), "{step}");
        for image in &on_disk {
            let current = test.store.image(&image.id).unwrap().record;
            assert_eq!(image, &current, "{step}");
        }
    };
    test.image("a", &["n", "kept"], None);
    test.image("b", &[], None);
    test.image("c", &["c"], None);
    check(&mut test, "created");
    test.store
        .update_names("b", NameChange::Add, strings(&["n"]))
        .unwrap();
    check(&mut test, "name taken from a");
    test.store.set_metadata("c", "edited").unwrap();
    check(&mut test, "metadata");
    test.store.delete_image("a", true).unwrap();
    check(&mut test, "deleted the first");
    test.image("d", &["d"], None);
    test.store
        .update_names("d", NameChange::Set, strings(&["c"]))
        .unwrap();
    check(&mut test, "name taken from c by a new image");
    test.store.set_metadata("b", "second").unwrap();
    check(&mut test, "metadata after the deletion");
}
