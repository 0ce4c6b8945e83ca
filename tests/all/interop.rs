//! Interoperability with containers-storage 1.43: a root written by
//! graphstore is read and changed by the reference CLI, and the reverse,
//! with nothing lost.

use crate::common;

use common::{Roots, json};
use graphstore::{ContainerOptions, ImageOptions, LayerOptions};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn reference_reads_and_changes_what_graphstore_wrote() {
    let roots = Roots::new();
    let mut store = roots.open();
    store
        .create_layer(
            Some("base"),
            None,
            &strings(&["base-layer"]),
            &LayerOptions::default(),
        )
        .unwrap();
    store
        .create_layer(Some("top"), Some("base"), &[], &LayerOptions::default())
        .unwrap();
    store
        .create_image(
            Some("img"),
            &strings(&["app:1", "app:latest"]),
            Some("top"),
            "image-meta",
            &ImageOptions::default(),
        )
        .unwrap();
    store
        .set_image_big_data("img", "manifest", b"{\"schemaVersion\":2}", None)
        .unwrap();
    store
        .set_image_big_data("img", "sha256:abcdef", b"config bytes", None)
        .unwrap();
    let container = store
        .create_container(
            Some("ctr"),
            &strings(&["web"]),
            Some("app:1"),
            None,
            "ctr-meta",
            &ContainerOptions::default(),
        )
        .unwrap();
    store
        .set_container_big_data("web", "config.json", b"{}")
        .unwrap();
    drop(store);

    // The reference sees exactly the records graphstore saved.
    let images_file = json(&String::from_utf8(roots.read_graph("vfs-images/images.json")).unwrap());
    assert_eq!(
        json(roots.reference(&["images", "--json"]).ok()),
        images_file
    );
    let layers_file = json(&String::from_utf8(roots.read_graph("vfs-layers/layers.json")).unwrap());
    assert_eq!(
        json(roots.reference(&["layers", "--json"]).ok()),
        layers_file
    );
    let containers_file =
        json(&String::from_utf8(roots.read_graph("vfs-containers/containers.json")).unwrap());
    assert_eq!(
        json(roots.reference(&["containers", "--json"]).ok()),
        containers_file
    );
    assert_eq!(
        roots
            .reference(&["get-image-data", "app:1", "sha256:abcdef"])
            .ok(),
        "config bytes"
    );
    assert_eq!(
        roots
            .reference(&["get-container-data", "web", "config.json"])
            .ok(),
        "{}"
    );
    assert_eq!(
        roots.reference(&["exists", "-l", &container.layer_id]).ok(),
        format!("{}: true\n", container.layer_id)
    );

    // The reference changes the store; graphstore sees every change.
    roots.reference(&["add-names", "-n", "app:2", "img"]).ok();
    roots
        .reference_with_input(&["set-image-data", "img", "extra"], b"more")
        .ok();
    roots.reference(&["delete-container", "ctr"]).ok();
    roots
        .reference(&["create-image", "-i", "goimg", "-n", "from-go", "base"])
        .ok();
    let mut store = roots.open();
    let img = store.image("app:2").unwrap();
    assert_eq!(img.names, strings(&["app:1", "app:latest", "app:2"]));
    assert_eq!(store.image_big_data("img", "extra").unwrap(), b"more");
    assert!(store.containers().unwrap().is_empty());
    assert!(store.layer(&container.layer_id).is_err());
    assert_eq!(
        store.image("from-go").unwrap().top_layer.as_deref(),
        Some("base")
    );
    assert_eq!(
        store.delete_image("img", true).unwrap().deleted_layers,
        strings(&["top"])
    );
}

#[test]
fn graphstore_reads_and_changes_what_the_reference_wrote() {
    let roots = Roots::new();
    let digest = format!("sha256:{}", "5".repeat(64));
    roots
        .reference(&["create-layer", "-i", "l1", "-n", "layer-one"])
        .ok();
    roots.reference(&["create-layer", "-i", "l2", "l1"]).ok();
    roots
        .reference(&[
            "create-image",
            "-i",
            "i1",
            "-n",
            "go/app:1",
            "-d",
            &digest,
            "-m",
            "meta",
            "l2",
        ])
        .ok();
    roots
        .reference_with_input(&["set-image-data", "i1", "manifest"], b"manifest bytes")
        .ok();
    roots
        .reference(&["create-container", "-i", "c1", "-n", "ctr1", "i1"])
        .ok();
    roots
        .reference_with_input(&["set-container-data", "c1", "state"], b"running")
        .ok();
    roots
        .reference(&["set-metadata", "-m", "layer meta", "l1"])
        .ok();

    let mut store = roots.open();
    let image = store.image("go/app:1").unwrap();
    assert_eq!(
        (
            image.id.as_str(),
            image.top_layer.as_deref(),
            image.metadata.as_str()
        ),
        ("i1", Some("l2"), "meta")
    );
    assert_eq!(image.digest.as_deref(), Some(digest.as_str()));
    assert_eq!(
        store.image_big_data("i1", "manifest").unwrap(),
        b"manifest bytes"
    );
    assert_eq!(store.images_by_digest(&digest).unwrap().len(), 1);
    let container = store.container("ctr1").unwrap();
    assert_eq!(
        store.layer(&container.layer_id).unwrap().parent.as_deref(),
        Some("l2")
    );
    assert_eq!(store.container_big_data("c1", "state").unwrap(), b"running");
    assert_eq!(store.metadata("layer-one").unwrap(), "layer meta");

    store.set_names("i1", &strings(&["renamed"])).unwrap();
    store.delete_container("ctr1").unwrap();
    store
        .create_image(
            Some("i2"),
            &strings(&["ours"]),
            Some("l1"),
            "",
            &ImageOptions::default(),
        )
        .unwrap();
    drop(store);
    assert_eq!(roots.reference(&["get-names", "i1"]).ok(), "renamed\n");
    assert_eq!(roots.reference(&["containers", "--json"]).ok(), "[]\n");
    assert_eq!(roots.reference(&["image", "ours"]).code, 0);
    // The reference's own safety checks agree with the state graphstore left.
    assert_eq!(
        roots.reference(&["delete-layer", "l1"]).stderr,
        "l1: used by layer l2: layer has children\n"
    );
    roots.reference(&["delete-image", "i1"]).ok();
    roots.reference(&["delete-image", "i2"]).ok();
    assert_eq!(roots.reference(&["layers", "--json"]).ok(), "[]\n");
}
