//! Deleting with 1.43's safety checks (`delete_layer`, `delete_image`,
//! `delete_container`), without them (`delete`), and everything (`wipe`).

use super::fixture::{TestStore, failure, strings};
use super::tar::TarBuilder;
use crate::error::ErrorKind;
use crate::records::IdMap;
use crate::store::{ContainerOptions, DeletedImage, LayerOptions};

fn deleted(layers: &[&str]) -> DeletedImage {
    DeletedImage {
        deleted_layers: strings(layers),
        kept_leased_layers: Vec::new(),
    }
}

#[test]
fn delete_layer_is_refused_while_something_depends_on_it() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.store
        .create_layer(
            Some("top"),
            Some("base"),
            strings(&["top-name"]),
            &LayerOptions::default(),
        )
        .unwrap();
    test.image("img", &[], Some("top"));
    test.container("ctr", &[], None, Some("ctr-layer"));

    let cases = [
        (
            "base",
            ErrorKind::LayerHasChildren,
            "used by layer top: layer has children",
        ),
        (
            "top",
            ErrorKind::LayerUsedByImage,
            "layer top used by image img: layer is in use by an image",
        ),
        (
            "top-name",
            ErrorKind::LayerUsedByImage,
            "layer top-name used by image img: layer is in use by an image",
        ),
        (
            "ctr-layer",
            ErrorKind::LayerUsedByContainer,
            "layer ctr-layer used by container ctr: layer is in use by a container",
        ),
        ("nothing", ErrorKind::NotALayer, "identifier is not a layer"),
    ];
    for (reference, kind, message) in cases {
        assert_eq!(
            failure(test.store.delete_layer(reference)),
            (kind, message.to_string()),
            "{reference}"
        );
    }
    assert_eq!(test.layer_ids(), strings(&["base", "top", "ctr-layer"]));
    assert_eq!(
        test.entries("graph/vfs/dir"),
        strings(&["base", "ctr-layer", "top"])
    );
}

#[test]
fn delete_layer_removes_its_record_tree_tar_split_and_data_items() {
    let mut test = TestStore::new();
    test.layer("keep", None);
    let diff = TarBuilder::new().file("f", 0o644, b"data").finish();
    test.put_layer("gone", None, &diff);
    test.store.set_layer_big_data("gone", "note", b"n").unwrap();
    assert!(test.exists("graph/vfs-layers/gone.tar-split.gz"));
    assert!(test.exists("graph/vfs-layers/gone/note"));

    test.store.delete_layer("gone").unwrap();
    assert_eq!(test.layer_ids(), strings(&["keep"]));
    assert_eq!(test.entries("graph/vfs/dir"), strings(&["keep"]));
    assert!(!test.exists("graph/vfs-layers/gone.tar-split.gz"));
    assert!(!test.exists("graph/vfs-layers/gone"));
    assert_eq!(test.reopen().list_layers().unwrap().len(), 1);
}

#[test]
fn delete_image_removes_the_layer_chain_only_it_uses() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("mid", Some("base"));
    test.layer("top", Some("mid"));
    test.image("keeper", &[], Some("mid"));
    test.image("img", &[], Some("top"));
    test.store
        .set_image_big_data("img", "config", b"{}", None)
        .unwrap();

    assert_eq!(
        test.store.delete_image("img", false).unwrap(),
        deleted(&["top"])
    );
    assert_eq!(
        test.store.delete_image("keeper", false).unwrap(),
        deleted(&[]),
        "mid still has a child"
    );
    assert_eq!(test.image_ids(), strings(&["keeper", "img"]), "dry runs");
    assert_eq!(
        test.layer_ids(),
        strings(&["base", "mid", "top"]),
        "dry runs"
    );

    assert_eq!(
        test.store.delete_image("img", true).unwrap(),
        deleted(&["top"])
    );
    assert!(!test.exists("graph/vfs-images/img"));
    assert_eq!(test.entries("graph/vfs/dir"), strings(&["base", "mid"]));
    assert_eq!(
        test.store.delete_image("keeper", true).unwrap(),
        deleted(&["mid", "base"])
    );
    assert_eq!(test.layer_ids(), Vec::<String>::new());
    assert_eq!(test.image_ids(), Vec::<String>::new());
    assert_eq!(test.entries("graph/vfs/dir"), Vec::<String>::new());
    assert_eq!(test.read("graph/vfs-images/images.json"), b"[]");
}

#[test]
fn delete_image_keeps_a_layer_with_another_child_and_its_ancestors() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("top1", Some("base"));
    test.layer("top2", Some("base"));
    test.image("img", &[], Some("top1"));
    assert_eq!(
        test.store.delete_image("img", true).unwrap(),
        deleted(&["top1"])
    );
    assert_eq!(test.layer_ids(), strings(&["base", "top2"]));
}

#[test]
fn delete_image_keeps_a_layer_that_a_container_uses() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.image("first", &[], Some("base"));
    test.container("ctr", &[], Some("first"), Some("ctr-layer"));
    // An image whose top layer is a container's layer.
    test.image("second", &[], Some("ctr-layer"));
    assert_eq!(
        test.store.delete_image("second", true).unwrap(),
        deleted(&[])
    );
    assert_eq!(test.image_ids(), strings(&["first"]));
    assert_eq!(test.layer_ids(), strings(&["base", "ctr-layer"]));
}

#[test]
fn delete_image_is_refused_while_a_container_uses_it() {
    let mut test = TestStore::new();
    test.layer("top", None);
    test.image("img", &["app"], Some("top"));
    test.container("ctr", &[], Some("app"), Some("ctr-layer"));
    for commit in [false, true] {
        assert_eq!(
            failure(test.store.delete_image("app", commit)),
            (
                ErrorKind::ImageUsedByContainer,
                "image used by ctr: image is in use by a container".to_string()
            ),
            "commit {commit}"
        );
    }
    assert_eq!(
        failure(test.store.delete_image("nothing", true)),
        (
            ErrorKind::NotAnImage,
            "identifier is not an image".to_string()
        )
    );
    assert_eq!(test.image_ids(), strings(&["img"]));
    assert_eq!(test.layer_ids(), strings(&["top", "ctr-layer"]));
}

#[test]
fn delete_image_removes_its_mapped_copies_first() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("top", Some("base"));
    test.image("img", &[], Some("top"));
    let map = vec![IdMap {
        container_id: 0,
        host_id: 100_000,
        size: 65_536,
    }];
    let options = ContainerOptions {
        uid_map: Some(map.clone()),
        gid_map: Some(map.clone()),
        ..ContainerOptions::default()
    };
    let container = test
        .store
        .create_container(Some("ctr"), Vec::new(), Some("img"), None, "", &options)
        .unwrap();
    let mapped = test.store.image("img").unwrap().record.mapped_top_layers;
    assert_eq!(mapped.len(), 1);
    let copy = test.store.layer(&mapped[0]).unwrap().record;
    assert_eq!(
        (copy.parent.as_str(), &copy.uid_map, &copy.gid_map),
        ("base", &map, &map)
    );
    assert_eq!(
        test.store.layer(&container.layer_id).unwrap().record.parent,
        copy.id
    );

    test.store.delete_container("ctr").unwrap();
    assert_eq!(
        test.store.delete_image("img", true).unwrap(),
        deleted(&[copy.id.as_str(), "top", "base"])
    );
    assert_eq!(test.layer_ids(), Vec::<String>::new());
}

#[test]
fn deleting_a_mapped_copy_forgets_it_on_its_image() {
    let mut test = TestStore::new();
    test.layer("top", None);
    test.image("img", &[], Some("top"));
    let map = vec![IdMap {
        container_id: 0,
        host_id: 100_000,
        size: 65_536,
    }];
    let options = ContainerOptions {
        uid_map: Some(map.clone()),
        gid_map: Some(map),
        ..ContainerOptions::default()
    };
    test.store
        .create_container(Some("ctr"), Vec::new(), Some("img"), None, "", &options)
        .unwrap();
    let copy = test.store.image("img").unwrap().record.mapped_top_layers[0].clone();
    test.store.delete_container("ctr").unwrap();
    test.store.delete_layer(&copy).unwrap();
    assert_eq!(
        test.store.image("img").unwrap().record.mapped_top_layers,
        Vec::<String>::new()
    );
    assert_eq!(
        test.reopen().image("img").unwrap().record.mapped_top_layers,
        Vec::<String>::new()
    );
}

#[test]
fn delete_container_removes_its_layer_and_directories() {
    let mut test = TestStore::new();
    test.layer("top", None);
    test.image("img", &[], Some("top"));
    test.container("ctr", &["web"], Some("img"), Some("ctr-layer"));
    test.store
        .set_container_big_data("web", "config.json", b"{}")
        .unwrap();
    test.store
        .set_container_file("web", false, "state", b"graph")
        .unwrap();
    test.store
        .set_container_file("web", true, "pid", b"run")
        .unwrap();
    assert!(test.exists("graph/vfs-containers/ctr/userdata/state"));
    assert!(test.exists("run/vfs-containers/ctr/userdata/pid"));

    test.store.delete_container("web").unwrap();
    assert_eq!(
        failure(test.store.container("ctr")),
        (
            ErrorKind::ContainerUnknown,
            "container not known".to_string()
        )
    );
    assert_eq!(test.layer_ids(), strings(&["top"]));
    assert_eq!(test.entries("graph/vfs/dir"), strings(&["top"]));
    assert!(!test.exists("graph/vfs-containers/ctr"));
    assert!(!test.exists("run/vfs-containers/ctr"));
    assert_eq!(test.image_ids(), strings(&["img"]));
    assert_eq!(test.read("graph/vfs-containers/containers.json"), b"[]");
    assert_eq!(
        failure(test.store.delete_container("web")),
        (
            ErrorKind::NotAContainer,
            "identifier is not a container".to_string()
        )
    );
}

#[test]
fn delete_removes_what_the_reference_names_without_safety_checks() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("top", Some("base"));
    test.image("img", &["shared"], Some("top"));
    test.container("ctr", &["shared"], Some("img"), Some("ctr-layer"));

    // A container comes first, and goes with its layer.
    test.store.delete("shared").unwrap();
    assert_eq!(test.container_ids(), Vec::<String>::new());
    assert_eq!(test.layer_ids(), strings(&["base", "top"]));
    assert_eq!(test.image_ids(), strings(&["img"]));

    // An image goes although a container uses it.
    test.container("ctr2", &[], Some("img"), Some("ctr2-layer"));
    test.store.delete("shared").unwrap();
    assert_eq!(test.image_ids(), Vec::<String>::new());
    assert_eq!(test.store.container("ctr2").unwrap().image_id, "img");

    // A layer goes although it has a child.
    test.store.delete("base").unwrap();
    assert_eq!(test.layer_ids(), strings(&["top", "ctr2-layer"]));
    assert_eq!(test.store.layer("top").unwrap().record.parent, "base");
    assert!(!test.exists("graph/vfs/dir/base"));

    assert_eq!(
        failure(test.store.delete("nothing")),
        (ErrorKind::LayerUnknown, "layer not known".to_string())
    );
}

#[test]
fn wipe_removes_every_container_image_and_layer() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("top", Some("base"));
    test.image("img", &[], Some("top"));
    test.store
        .set_image_big_data("img", "config", b"{}", None)
        .unwrap();
    test.container("ctr", &[], Some("img"), Some("ctr-layer"));
    test.store
        .set_container_file("ctr", true, "pid", b"1")
        .unwrap();
    test.store
        .set_container_file("ctr", false, "state", b"s")
        .unwrap();

    test.store.wipe().unwrap();
    assert_eq!(test.container_ids(), Vec::<String>::new());
    assert_eq!(test.image_ids(), Vec::<String>::new());
    assert_eq!(test.layer_ids(), Vec::<String>::new());
    assert_eq!(test.read("graph/vfs-containers/containers.json"), b"[]");
    assert_eq!(test.read("graph/vfs-images/images.json"), b"[]");
    assert_eq!(test.read("graph/vfs-layers/layers.json"), b"[]");
    assert_eq!(test.entries("graph/vfs/dir"), Vec::<String>::new());
    assert_eq!(
        test.entries("graph/vfs-images"),
        strings(&["images.json", "images.lock"])
    );
    assert_eq!(
        test.entries("graph/vfs-containers"),
        strings(&["containers.json", "containers.lock"])
    );
    assert_eq!(test.entries("run/vfs-containers"), Vec::<String>::new());
    let mut other = test.reopen();
    assert!(other.list_layers().unwrap().is_empty());
    assert!(other.list_images().unwrap().is_empty());
    assert!(other.list_containers().unwrap().is_empty());
}

#[test]
fn a_container_layer_cannot_become_a_parent() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    let child = test.store.create_layer(
        Some("child"),
        Some("ctr-layer"),
        Vec::new(),
        &LayerOptions::default(),
    );
    assert_eq!(
        failure(child),
        (
            ErrorKind::ParentIsContainer,
            "would-be parent layer is a container".to_string()
        )
    );
    assert_eq!(test.layer_ids(), strings(&["ctr-layer"]));
    // So deleting the container can always take its layer along.
    test.store.delete_container("ctr").unwrap();
    assert_eq!(test.layer_ids(), Vec::<String>::new());
}

/// Checks that creating a record with ID `id` was refused: the ID names
/// one of the store's own files, which deleting the record would remove.
fn assert_refused<T: std::fmt::Debug>(id: &str, created: crate::error::Result<T>) {
    let err = created.expect_err(id);
    assert_eq!(
        (err.kind, err.message),
        (
            ErrorKind::InvalidInput,
            format!("invalid ID {id:?}: it names one of the store's own files")
        )
    );
}

#[test]
fn deleting_an_image_never_removes_the_image_store_files() {
    for id in ["images.json", "images.lock"] {
        let mut test = TestStore::new();
        test.image("other", &["kept"], None);
        let created = test.store.create_image(
            Some(id),
            Vec::new(),
            None,
            "",
            &crate::store::ImageOptions::default(),
        );
        assert_refused(id, created);
        assert!(test.exists("graph/vfs-images/images.json"), "{id}");
        assert!(test.exists("graph/vfs-images/images.lock"), "{id}");
        assert_eq!(
            test.reopen().image("kept").unwrap().record.id,
            "other",
            "{id}"
        );
    }
}

#[test]
fn deleting_a_container_never_removes_the_container_store_files() {
    for id in ["containers.json", "containers.lock"] {
        let mut test = TestStore::new();
        test.container("other", &["kept"], None, Some("other-layer"));
        let created = test.store.create_container(
            Some(id),
            Vec::new(),
            None,
            Some("its-layer"),
            "",
            &ContainerOptions::default(),
        );
        assert_refused(id, created);
        assert!(test.exists("graph/vfs-containers/containers.json"), "{id}");
        assert!(test.exists("graph/vfs-containers/containers.lock"), "{id}");
        assert_eq!(test.reopen().container("kept").unwrap().id, "other", "{id}");
    }
}

#[test]
fn deleting_a_layer_never_removes_another_layers_files() {
    for id in ["base.tar-split.gz", "layers.lock"] {
        let mut test = TestStore::new();
        let tar = TarBuilder::new().file("f", 0o644, b"data").finish();
        test.put_layer("base", None, &tar);
        let created = test
            .store
            .create_layer(Some(id), None, Vec::new(), &LayerOptions::default());
        assert_refused(id, created);
        assert!(test.exists("graph/vfs-layers/base.tar-split.gz"), "{id}");
        assert!(test.exists("graph/vfs-layers/layers.lock"), "{id}");
        let mut diff = Vec::new();
        test.store
            .diff(
                None,
                "base",
                None,
                &mut crate::disk::Output::writer(&mut diff),
            )
            .unwrap();
        assert_eq!(diff, tar, "{id}");
    }
}
