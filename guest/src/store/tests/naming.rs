//! Names and references: unique names per kind (a name given to one record
//! is taken from another of its kind), name changes, the images' names
//! history, resolution by ID, name and unique ID prefix, and the IDs a
//! caller may choose.

use super::fixture::{TestStore, failure, strings};
use super::tar::TarBuilder;
use crate::error::ErrorKind;
use crate::store::{ContainerOptions, ImageOptions, LayerOptions, NameChange};

/// The kinds of record that carry names.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Layer,
    Image,
    Container,
}

const KINDS: [Kind; 3] = [Kind::Layer, Kind::Image, Kind::Container];

/// Creates a record of `kind` with ID `id` and `names` (a container gets
/// the layer `x-<id>`, which no reference in these tests is a prefix of,
/// and no image).
fn create(test: &mut TestStore, kind: Kind, id: &str, names: &[&str]) {
    match kind {
        Kind::Layer => {
            test.store
                .create_layer(Some(id), None, strings(names), &LayerOptions::default())
                .expect("create layer");
        }
        Kind::Image => {
            test.image(id, names, None);
        }
        Kind::Container => {
            test.container(id, names, None, Some(&format!("x-{id}")));
        }
    }
}

/// The names of the record of `kind` that `reference` names.
fn names_of(test: &mut TestStore, kind: Kind, reference: &str) -> Vec<String> {
    match kind {
        Kind::Layer => test.store.layer(reference).unwrap().record.names,
        Kind::Image => test.store.image(reference).unwrap().record.names,
        Kind::Container => test.store.container(reference).unwrap().names,
    }
}

#[test]
fn names_are_added_set_and_removed_as_1_43_does() {
    let cases: [(NameChange, &[&str], &[&str]); 5] = [
        (NameChange::Add, &["c", "a"], &["c", "a", "b"]),
        (NameChange::Set, &["x", "x", "y"], &["x", "y"]),
        (NameChange::Remove, &["a", "z"], &["b"]),
        (NameChange::Remove, &["a", "b"], &[]),
        (NameChange::Set, &[], &[]),
    ];
    for kind in KINDS {
        for (change, given, expected) in cases {
            let mut test = TestStore::new();
            create(&mut test, kind, "rec", &["a", "b"]);
            let updated = test
                .store
                .update_names("rec", change, strings(given))
                .unwrap();
            let case = format!("{kind:?} {change:?} {given:?}");
            assert_eq!(updated, strings(expected), "{case}: returned");
            assert_eq!(names_of(&mut test, kind, "rec"), updated, "{case}: record");
            assert_eq!(test.store.names("rec").unwrap(), updated, "{case}: names");
            let mut other = test.reopen();
            assert_eq!(other.names("rec").unwrap(), updated, "{case}: saved");
        }
    }
}

#[test]
fn a_name_given_to_a_record_is_taken_from_the_other_record_of_its_kind_only() {
    for kind in KINDS {
        let mut test = TestStore::new();
        // The same name on one record of every kind, plus a second record of `kind`.
        test.store
            .create_layer(Some("la"), None, strings(&["n"]), &LayerOptions::default())
            .unwrap();
        test.image("ia", &["n", "kept"], None);
        test.container("ca", &["n"], None, Some("x-ca"));
        let (holder, taker) = match kind {
            Kind::Layer => ("la", "lb"),
            Kind::Image => ("ia", "ib"),
            Kind::Container => ("ca", "cb"),
        };
        create(&mut test, kind, taker, &["own"]);

        let updated = test
            .store
            .update_names(taker, NameChange::Add, strings(&["n"]))
            .unwrap();
        assert_eq!(updated, strings(&["n", "own"]), "{kind:?}");
        let expected_holder: &[&str] = match kind {
            Kind::Image => &["kept"],
            _ => &[],
        };
        assert_eq!(
            names_of(&mut test, kind, holder),
            strings(expected_holder),
            "{kind:?}: the name left its old holder"
        );
        assert_eq!(
            names_of(&mut test, kind, "n"),
            strings(&["n", "own"]),
            "{kind:?}: the name now names the taker"
        );
        for other in KINDS {
            let other_holder = match other {
                Kind::Layer => "la",
                Kind::Image => "ia",
                Kind::Container => "ca",
            };
            if other_holder != holder {
                assert!(
                    names_of(&mut test, other, other_holder).contains(&"n".to_string()),
                    "{kind:?}: the {other:?} keeps its name"
                );
            }
        }
        let mut other = test.reopen();
        assert_eq!(other.names(holder).unwrap(), strings(expected_holder));
    }
}

#[test]
fn image_names_history_records_every_name_newest_first() {
    let mut test = TestStore::new();
    let created = test.image("i1", &["a", "b", "a"], None);
    assert_eq!(created.record.names, strings(&["a", "b"]), "deduplicated");
    assert_eq!(created.record.names_history, Vec::<String>::new());
    test.image("i2", &["x"], None);

    // (change, names given, resulting names, resulting history)
    let steps = [
        (
            NameChange::Add,
            vec!["c"],
            vec!["c", "a", "b"],
            vec!["b", "a", "c"],
        ),
        (
            NameChange::Set,
            vec!["x", "y"],
            vec!["x", "y"],
            vec!["y", "x", "b", "a", "c"],
        ),
        (
            NameChange::Remove,
            vec!["x"],
            vec!["y"],
            vec!["y", "x", "b", "a", "c"],
        ),
    ];
    for (change, given, names, history) in steps {
        test.store
            .update_names("i1", change, strings(&given))
            .unwrap();
        let image = test.store.image("i1").unwrap().record;
        assert_eq!(image.names, strings(&names), "{change:?} {given:?}");
        assert_eq!(
            image.names_history,
            strings(&history),
            "{change:?} {given:?}"
        );
    }
    let i2 = test.store.image("i2").unwrap().record;
    assert_eq!(i2.names, Vec::<String>::new(), "x was taken by i1");
    assert_eq!(i2.names_history, Vec::<String>::new());
}

#[test]
fn creating_a_record_with_a_taken_name_is_refused() {
    let mut test = TestStore::new();
    create(&mut test, Kind::Layer, "l1", &["taken"]);
    create(&mut test, Kind::Image, "i1", &["taken"]);
    create(&mut test, Kind::Container, "c1", &["taken"]);
    let layers_before = test.layer_ids();

    let layer = test.store.create_layer(
        Some("l2"),
        None,
        strings(&["new", "taken"]),
        &LayerOptions::default(),
    );
    assert_eq!(
        failure(layer),
        (
            ErrorKind::DuplicateName,
            "that name is already in use".to_string()
        )
    );
    let image = test.store.create_image(
        Some("i2"),
        strings(&["taken"]),
        None,
        "",
        &ImageOptions::default(),
    );
    assert_eq!(
        failure(image),
        (
            ErrorKind::DuplicateName,
            "image name \"taken\" is already associated with image \"i1\": that name is already in use"
                .to_string()
        )
    );
    let container = test.store.create_container(
        Some("c2"),
        strings(&["taken"]),
        None,
        Some("c2-layer"),
        "",
        &ContainerOptions::default(),
    );
    assert_eq!(
        failure(container),
        (
            ErrorKind::DuplicateName,
            "the container name \"taken\" is already in use by c1. You have to remove that container to be able to reuse that name: that name is already in use"
                .to_string()
        )
    );
    assert_eq!(test.layer_ids(), layers_before, "no layer left behind");
    assert_eq!(test.image_ids(), strings(&["i1"]));
    assert_eq!(test.container_ids(), strings(&["c1"]));
    assert!(!test.exists("graph/vfs/dir/c2-layer"));
}

#[test]
fn duplicate_ids_are_refused_with_1_43_messages() {
    let mut test = TestStore::new();
    for kind in KINDS {
        create(&mut test, kind, "one", &[]);
    }
    let layers_before = test.layer_ids();
    let layer = test
        .store
        .create_layer(Some("one"), None, Vec::new(), &LayerOptions::default());
    assert_eq!(
        failure(layer),
        (
            ErrorKind::DuplicateId,
            "that ID is already in use".to_string()
        )
    );
    let image =
        test.store
            .create_image(Some("one"), Vec::new(), None, "", &ImageOptions::default());
    assert_eq!(
        failure(image),
        (
            ErrorKind::DuplicateId,
            "an image with ID \"one\" already exists: that ID is already in use".to_string()
        )
    );
    let container = test.store.create_container(
        Some("one"),
        Vec::new(),
        None,
        Some("second-layer"),
        "",
        &ContainerOptions::default(),
    );
    assert_eq!(
        failure(container),
        (
            ErrorKind::DuplicateId,
            "that ID is already in use".to_string()
        )
    );
    assert_eq!(
        test.layer_ids(),
        layers_before,
        "the refused container's layer was taken back"
    );
    assert!(!test.exists("graph/vfs/dir/second-layer"));
}

#[test]
fn ids_that_are_not_one_short_file_name_are_refused_before_anything_is_written() {
    let too_long = "x".repeat(243);
    let bad_ids = ["..", ".", "a/b", "/abs", "a\0b", too_long.as_str()];
    let mut test = TestStore::new();
    for kind in KINDS {
        for id in bad_ids {
            let result = match kind {
                Kind::Layer => test
                    .store
                    .create_layer(Some(id), None, Vec::new(), &LayerOptions::default())
                    .map(drop),
                Kind::Image => test
                    .store
                    .create_image(Some(id), Vec::new(), None, "", &ImageOptions::default())
                    .map(drop),
                Kind::Container => test
                    .store
                    .create_container(
                        Some(id),
                        Vec::new(),
                        None,
                        None,
                        "",
                        &ContainerOptions::default(),
                    )
                    .map(drop),
            };
            assert_eq!(
                failure(result),
                (
                    ErrorKind::InvalidInput,
                    format!(
                        "invalid ID {id:?}: an ID must be 1 to 227 bytes, contain no '/' or NUL, and not be '.' or '..'"
                    )
                ),
                "{kind:?} {id:?}"
            );
        }
    }
    // A container's layer ID is checked the same way.
    let layer = test.store.create_container(
        None,
        Vec::new(),
        None,
        Some(".."),
        "",
        &ContainerOptions::default(),
    );
    assert_eq!(failure(layer).0, ErrorKind::InvalidInput);
    assert_eq!(test.layer_ids(), Vec::<String>::new());
    assert_eq!(test.image_ids(), Vec::<String>::new());
    assert_eq!(test.container_ids(), Vec::<String>::new());
    // No layer directory was even made: every ID is checked first.
    assert!(!test.exists("graph/vfs/dir"));
    assert_eq!(test.entries("graph/vfs-images"), strings(&["images.lock"]));
    assert_eq!(
        test.entries("graph/vfs-containers"),
        strings(&["containers.lock"])
    );
}

#[test]
fn the_longest_id_fits_every_file_name_derived_from_it() {
    let mut test = TestStore::new();
    let id = "a".repeat(crate::store::MAX_ID_LEN);
    let empty_diff = TarBuilder::new().finish();
    test.put_layer(&id, None, &empty_diff);
    let tar_split = format!("{id}.tar-split.gz");
    assert!(test.path("graph/vfs-layers").join(&tar_split).is_file());
    assert!(test.path("graph/vfs/dir").join(&id).is_dir());
    test.store.set_layer_big_data(&id, "note", b"n").unwrap();
    assert_eq!(test.store.layer_big_data(&id, "note").unwrap(), b"n");
}

#[test]
fn references_resolve_by_id_then_name_then_unique_prefix() {
    let mut test = TestStore::new();
    test.store
        .create_layer(Some("abc1xx"), None, Vec::new(), &LayerOptions::default())
        .unwrap();
    test.store
        .create_layer(
            Some("abc2yy"),
            None,
            strings(&["abc1"]),
            &LayerOptions::default(),
        )
        .unwrap();
    test.image("abc1xx", &[], None);
    test.image("abc2yy", &["abc1"], None);
    test.container("abc1xx", &[], None, Some("zz1"));
    test.container("abc2yy", &["abc1"], None, Some("zz2"));

    let cases = [
        ("abc1xx", Some("abc1xx")),
        ("abc1", Some("abc2yy")), // a name beats a prefix
        ("abc2", Some("abc2yy")), // unique prefix
        ("abc", None),            // ambiguous prefix
        ("", None),
        ("zzz", None),
    ];
    for (reference, expected) in cases {
        let layer = test.store.layer(reference);
        let image = test.store.image(reference);
        let container = test.store.container(reference);
        match expected {
            Some(id) => {
                assert_eq!(layer.unwrap().record.id, id, "layer {reference:?}");
                assert_eq!(image.unwrap().record.id, id, "image {reference:?}");
                assert_eq!(container.unwrap().id, id, "container {reference:?}");
            }
            None => {
                assert_eq!(
                    failure(layer),
                    (ErrorKind::LayerUnknown, "layer not known".to_string()),
                    "{reference:?}"
                );
                assert_eq!(
                    failure(image),
                    (
                        ErrorKind::ImageUnknown,
                        format!("locating image with ID {reference:?}: image not known")
                    ),
                    "{reference:?}"
                );
                assert_eq!(
                    failure(container),
                    (
                        ErrorKind::ContainerUnknown,
                        "container not known".to_string()
                    ),
                    "{reference:?}"
                );
            }
        }
    }
    assert_eq!(
        test.store.container("zz2").unwrap().id,
        "abc2yy",
        "a container answers to its layer's ID"
    );
}

#[test]
fn lookup_tries_layers_then_images_then_containers() {
    let mut test = TestStore::new();
    test.store
        .create_layer(
            Some("lay"),
            None,
            strings(&["everywhere"]),
            &LayerOptions::default(),
        )
        .unwrap();
    test.image("img", &["everywhere", "image-only"], None);
    test.container(
        "ctr",
        &["everywhere", "container-only"],
        None,
        Some("zz-layer"),
    );

    let cases = [
        ("everywhere", Some("lay")),
        ("image-only", Some("img")),
        ("container-only", Some("ctr")),
        ("ct", Some("ctr")),
        ("zz", Some("zz-layer")),
        ("nothing", None),
    ];
    for (reference, expected) in cases {
        let found = test.store.lookup(reference);
        match expected {
            Some(id) => {
                assert_eq!(found.unwrap(), id, "{reference:?}");
                assert!(test.store.exists(reference).unwrap(), "{reference:?}");
            }
            None => {
                assert_eq!(
                    failure(found),
                    (ErrorKind::LayerUnknown, "layer not known".to_string())
                );
                assert!(!test.store.exists(reference).unwrap());
                assert_eq!(
                    failure(test.store.names(reference)),
                    (ErrorKind::LayerUnknown, "layer not known".to_string())
                );
                let renamed = test
                    .store
                    .update_names(reference, NameChange::Set, strings(&["z"]));
                assert_eq!(
                    failure(renamed),
                    (ErrorKind::LayerUnknown, "layer not known".to_string())
                );
            }
        }
    }
    assert_eq!(
        test.store.names("everywhere").unwrap(),
        strings(&["everywhere"])
    );
    assert!(test.store.layer_exists("everywhere").unwrap());
    assert!(!test.store.layer_exists("image-only").unwrap());
    assert!(test.store.image_exists("everywhere").unwrap());
    assert!(!test.store.image_exists("container-only").unwrap());
    assert!(test.store.container_exists("container-only").unwrap());
    assert!(!test.store.container_exists("image-only").unwrap());
}

/// 1.43 reads an empty reference or ID as none: `create-layer ""` makes a
/// base layer, `create-image ""` an image without a top layer,
/// `create-container ""` a container without an image, each with a random ID.
#[test]
fn empty_references_and_ids_name_nothing() {
    let mut test = TestStore::new();
    let layer = test
        .store
        .create_layer(Some(""), Some(""), Vec::new(), &LayerOptions::default())
        .unwrap();
    assert_eq!(layer.record.id.len(), 64);
    assert_eq!(layer.record.parent, "");
    let image = test
        .store
        .create_image(Some(""), Vec::new(), Some(""), "", &ImageOptions::default())
        .unwrap();
    assert_eq!(image.record.id.len(), 64);
    assert_eq!(image.record.top_layer, "");
    let container = test
        .store
        .create_container(
            Some(""),
            Vec::new(),
            Some(""),
            Some(""),
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    assert_eq!((container.id.len(), container.image_id.as_str()), (64, ""));
    let container_layer = test.store.layer(&container.layer_id).unwrap();
    assert_eq!(container_layer.record.parent, "");
    assert_eq!(test.layer_ids().len(), 2);
}
