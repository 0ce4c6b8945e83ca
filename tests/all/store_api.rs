//! The Rust API end to end through the component: records, names, data
//! items, lookups, deletion rules, caching across instances, isolation.

use crate::common;

use common::{Roots, json};
use graphstore::{
    ContainerOptions, DataOwner, ErrorKind, ImageOptions, LayerOptions, NewImage, Store,
    StoreOptions,
};

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn sha(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn image(
    store: &mut Store,
    id: &str,
    image_names: &[&str],
    layer: Option<&str>,
) -> graphstore::Image {
    store
        .create_image(
            Some(id),
            &names(image_names),
            layer,
            "",
            &ImageOptions::default(),
        )
        .expect("create image")
}

fn layer(store: &mut Store, id: &str, parent: Option<&str>) -> graphstore::Layer {
    store
        .create_layer(Some(id), parent, &[], &LayerOptions::default())
        .expect("create layer")
}

#[test]
fn created_image_is_persisted_in_1_43_format() {
    let roots = Roots::new();
    let mut store = roots.open();
    let created = store
        .create_image(
            Some("img1"),
            &names(&["a", "b", "a"]),
            None,
            "meta<&>",
            &ImageOptions {
                digest: Some(sha('d')),
                created: None,
            },
        )
        .unwrap();
    assert_eq!(created.names, names(&["a", "b"]));
    assert_eq!(created.digests, vec![sha('d')]);
    let file = String::from_utf8(roots.read_graph("vfs-images/images.json")).unwrap();
    let created_text = json(&file)[0]["created"].as_str().unwrap().to_string();
    assert_eq!(
        file,
        format!(
            r#"[{{"id":"img1","digest":"{}","names":["a","b"],"metadata":"meta\u003c\u0026\u003e","created":"{created_text}"}}]"#,
            sha('d')
        )
    );
    assert!(created_text.ends_with('Z'));
    assert_eq!(store.image("b").unwrap(), created);
}

#[test]
fn duplicates_are_refused_with_1_43_messages() {
    let roots = Roots::new();
    let mut store = roots.open();
    image(&mut store, "one", &["taken"], None);
    let err = store
        .create_image(Some("one"), &[], None, "", &ImageOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::DuplicateId));
    assert_eq!(
        err.to_string(),
        "an image with ID \"one\" already exists: that ID is already in use"
    );
    let err = store
        .create_image(None, &names(&["taken"]), None, "", &ImageOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::DuplicateName));
    assert_eq!(
        err.to_string(),
        "image name \"taken\" is already associated with image \"one\": that name is already in use"
    );
    let err = store
        .create_image(
            None,
            &[],
            None,
            "",
            &ImageOptions {
                digest: Some("sha256:1234".into()),
                created: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "validating digests for new image: validating image digest \"sha256:1234\": invalid checksum digest length"
    );
    let err = store
        .create_image(None, &[], Some("nolayer"), "", &ImageOptions::default())
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (Some(ErrorKind::LayerUnknown), "layer not known".to_string())
    );
    layer(&mut store, "l1", None);
    let err = store
        .create_layer(Some("l1"), None, &[], &LayerOptions::default())
        .unwrap_err();
    assert_eq!(err.to_string(), "that ID is already in use");
}

#[test]
fn names_history_and_name_stealing_follow_1_43() {
    let roots = Roots::new();
    let mut store = roots.open();
    image(&mut store, "i1", &["a", "b"], None);
    image(&mut store, "i2", &["x"], None);
    store.add_names("i1", &names(&["c"])).unwrap();
    assert_eq!(store.image("i1").unwrap().names, names(&["c", "a", "b"]));
    // Setting a name held by another image takes it away from that image.
    store.set_names("i1", &names(&["x", "y"])).unwrap();
    assert_eq!(store.image("i2").unwrap().names, Vec::<String>::new());
    let i1 = store.image("i1").unwrap();
    assert_eq!(i1.names, names(&["x", "y"]));
    assert_eq!(i1.names_history, names(&["y", "x", "b", "a", "c"]));
    store.remove_names("i1", &names(&["x"])).unwrap();
    assert_eq!(store.names("i1").unwrap(), names(&["y"]));
    let err = store.set_names("nothing", &names(&["z"])).unwrap_err();
    assert_eq!(err.to_string(), "layer not known");
}

#[test]
fn references_resolve_by_id_name_and_unique_prefix() {
    let roots = Roots::new();
    let mut store = roots.open();
    image(&mut store, "abc1xx", &[], None);
    image(&mut store, "abc2yy", &["abc1"], None);
    assert_eq!(store.image("abc1xx").unwrap().id, "abc1xx");
    assert_eq!(
        store.image("abc1").unwrap().id,
        "abc2yy",
        "a name beats a prefix"
    );
    assert_eq!(store.image("abc2").unwrap().id, "abc2yy");
    assert_eq!(
        store.image("abc").unwrap_err().to_string(),
        "locating image with ID \"abc\": image not known"
    );
    assert_eq!(store.lookup("abc1").unwrap(), "abc2yy");
    assert!(store.exists("abc2").unwrap());
    assert!(!store.exists("abc").unwrap());
}

#[test]
fn image_data_items_record_sizes_digests_and_manifest_digests() {
    let roots = Roots::new();
    let mut store = roots.open();
    image(&mut store, "img", &[], None);
    store
        .set_image_big_data("img", "manifest", b"{\"m\":1}", None)
        .unwrap();
    store
        .set_image_big_data("img", "sha256:abcdef", b"config", None)
        .unwrap();
    assert_eq!(
        store.list_image_big_data("img").unwrap(),
        names(&["manifest", "sha256:abcdef"])
    );
    assert_eq!(
        store.image_big_data("img", "sha256:abcdef").unwrap(),
        b"config"
    );
    assert_eq!(store.image_big_data_size("img", "manifest").unwrap(), 7);
    let manifest_digest = store.image_big_data_digest("img", "manifest").unwrap();
    assert_eq!(
        manifest_digest,
        "sha256:3227ed0614bb57255f2bde87551b9c1518eb4c8a4374cb40557d5bac62e7129f"
    );
    // Files use 1.43's names: plain keys as is, others base64-encoded.
    assert_eq!(roots.read_graph("vfs-images/img/manifest"), b"{\"m\":1}");
    assert_eq!(
        roots.read_graph("vfs-images/img/=c2hhMjU2OmFiY2RlZg=="),
        b"config"
    );
    // The first manifest digest becomes the sticky searchable digest.
    let img = store.image("img").unwrap();
    assert_eq!(img.digest.as_deref(), Some(manifest_digest.as_str()));
    assert_eq!(store.images_by_digest(&manifest_digest).unwrap().len(), 1);
    store
        .set_image_big_data("img", "manifest", b"other", None)
        .unwrap();
    let img = store.image("img").unwrap();
    assert_eq!(img.digest.as_deref(), Some(manifest_digest.as_str()));
    assert_eq!(img.digests.len(), 2);
    let err = store.image_big_data("img", "missing").unwrap_err();
    assert_eq!(
        err.to_string(),
        "locating item named \"missing\" for image with ID \"img\" (consider removing the image to resolve the issue): file does not exist"
    );
    let err = store.set_image_big_data("img", "", b"x", None).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::InvalidBigDataName));
}

#[test]
fn image_batches_are_created_whole_or_not_at_all() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "base", None);
    image(&mut store, "existing", &["taken"], None);
    let new = |id: &str, names: &[&str], layer: Option<&str>| NewImage {
        id: Some(id.to_string()),
        names: names.iter().map(|n| n.to_string()).collect(),
        layer: layer.map(str::to_string),
        metadata: format!("meta of {id}"),
        options: ImageOptions::default(),
    };
    let created = store
        .create_images(&[
            new("one", &["app:1"], Some("base")),
            new("two", &["app:2"], None),
        ])
        .unwrap();
    assert_eq!(
        created.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert_eq!(created[0].top_layer.as_deref(), Some("base"));
    // Saved once, visible to another instance.
    let mut other = roots.open();
    assert_eq!(other.image("app:2").unwrap().metadata, "meta of two");
    let listed = json(&String::from_utf8(roots.read_graph("vfs-images/images.json")).unwrap());
    assert_eq!(listed.as_array().unwrap().len(), 3);

    // A refusal anywhere leaves no image of the batch behind.
    let refusals = [
        (
            vec![
                new("three", &["app:3"], None),
                new("four", &["taken"], None),
            ],
            ErrorKind::DuplicateName,
        ),
        (
            vec![new("five", &[], None), new("five", &[], None)],
            ErrorKind::DuplicateId,
        ),
        (
            vec![new("six", &[], None), new("seven", &[], Some("nope"))],
            ErrorKind::LayerUnknown,
        ),
    ];
    for (batch, kind) in refusals {
        let err = store.create_images(&batch).unwrap_err();
        assert_eq!(err.kind(), Some(kind), "{err}");
        for image in &batch {
            let id = image.id.as_deref().unwrap();
            assert!(store.image(id).is_err(), "{id} left in memory");
            assert!(roots.open().image(id).is_err(), "{id} left on disk");
        }
    }
    assert_eq!(store.images().unwrap().len(), 3);
    assert!(store.create_images(&[]).unwrap().is_empty());
}

#[test]
fn data_items_stream_to_a_writer_like_they_read() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "base", None);
    image(&mut store, "img", &["app"], Some("base"));
    store
        .create_container(
            Some("ctr"),
            &[],
            Some("img"),
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    // Larger than one host read chunk, so the stream is written in pieces.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    store.set_image_big_data("img", "big", &big, None).unwrap();
    store
        .set_layer_big_data("base", "note", b"layer item")
        .unwrap();
    store.set_container_big_data("ctr", "state", b"").unwrap();
    let write = |store: &mut Store, owner, reference: &str, key: &str| {
        let out = common::SharedBuffer::default();
        let length = store.write_big_data(owner, reference, key, out.clone())?;
        Ok::<_, graphstore::Error>((length, out.bytes()))
    };
    assert_eq!(
        write(&mut store, DataOwner::Image, "app", "big").unwrap(),
        (big.len() as u64, big.clone())
    );
    assert_eq!(
        write(&mut store, DataOwner::Layer, "base", "note").unwrap(),
        (10, b"layer item".to_vec())
    );
    assert_eq!(
        write(&mut store, DataOwner::Container, "ctr", "state").unwrap(),
        (0, Vec::new())
    );
    // Missing items and records fail exactly as the reading calls do.
    for (owner, reference, key) in [
        (DataOwner::Image, "img", "missing"),
        (DataOwner::Layer, "base", "missing"),
        (DataOwner::Container, "ctr", "missing"),
        (DataOwner::Image, "nope", "big"),
        (DataOwner::Layer, "nope", "note"),
        (DataOwner::Image, "img", ""),
        // Its file name (base64) would contain a '/'.
        (DataOwner::Image, "img", "???"),
    ] {
        let streamed = write(&mut store, owner, reference, key).unwrap_err();
        let read = match owner {
            DataOwner::Image => store.image_big_data(reference, key),
            DataOwner::Layer => store.layer_big_data(reference, key),
            DataOwner::Container => store.container_big_data(reference, key),
        }
        .unwrap_err();
        assert_eq!(
            streamed.to_string(),
            read.to_string(),
            "{owner:?} {reference} {key}"
        );
        assert_eq!(streamed.kind(), read.kind());
    }
}

#[test]
fn layer_deletion_is_refused_while_something_depends_on_it() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "base", None);
    layer(&mut store, "top", Some("base"));
    image(&mut store, "img", &["app"], Some("top"));
    let err = store.delete_layer("base").unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (
            Some(ErrorKind::LayerHasChildren),
            "used by layer top: layer has children".into()
        )
    );
    let err = store.delete_layer("top").unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer top used by image img: layer is in use by an image"
    );
    let container = store
        .create_container(
            Some("ctr"),
            &names(&["web"]),
            Some("app"),
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap();
    assert_eq!(
        store.layer(&container.layer_id).unwrap().parent.as_deref(),
        Some("top")
    );
    let err = store.delete_layer(&container.layer_id).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "layer {} used by container ctr: layer is in use by a container",
            container.layer_id
        )
    );
    let err = store.delete_image("app", true).unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string()),
        (
            Some(ErrorKind::ImageUsedByContainer),
            "image used by ctr: image is in use by a container".into()
        )
    );
    let err = store.delete_layer("nothing").unwrap_err();
    assert_eq!(err.to_string(), "identifier is not a layer");
}

#[test]
fn delete_image_collects_the_layers_only_it_uses() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "base", None);
    layer(&mut store, "mid", Some("base"));
    layer(&mut store, "top", Some("mid"));
    image(&mut store, "keeper", &[], Some("mid"));
    image(&mut store, "img", &[], Some("top"));
    assert_eq!(
        store.delete_image("img", false).unwrap().deleted_layers,
        names(&["top"]),
        "dry run"
    );
    assert!(store.image_exists("img").unwrap());
    assert_eq!(
        store.delete_image("keeper", false).unwrap().deleted_layers,
        Vec::<String>::new(),
        "mid still has a child"
    );
    assert_eq!(
        store.delete_image("img", true).unwrap().deleted_layers,
        names(&["top"])
    );
    assert_eq!(
        store.delete_image("keeper", true).unwrap().deleted_layers,
        names(&["mid", "base"])
    );
    assert!(store.layers().unwrap().is_empty());
    assert!(!roots.graph().join("vfs/dir/base").exists());
}

#[test]
fn containers_get_their_own_layer_and_directories() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "top", None);
    image(&mut store, "img", &["app"], Some("top"));
    let options = ContainerOptions {
        volatile: true,
        ..ContainerOptions::default()
    };
    let container = store
        .create_container(None, &names(&["c1"]), Some("app"), None, "meta", &options)
        .unwrap();
    assert_eq!(container.image_id, "img");
    let flags: Vec<(String, String)> = container
        .flags
        .iter()
        .map(|f| (f.key.clone(), f.value.clone()))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("MountLabel".into(), "\"\"".into()),
            ("ProcessLabel".into(), "\"\"".into()),
            ("Volatile".into(), "true".into())
        ]
    );
    assert_eq!(
        store.container_by_layer(&container.layer_id).unwrap().id,
        container.id
    );
    assert_eq!(
        store.container(&container.layer_id).unwrap().id,
        container.id,
        "a container answers to its layer ID"
    );
    let dir = store.container_directory("c1").unwrap();
    assert_eq!(
        dir,
        format!(
            "{}/vfs-containers/{}/userdata",
            roots.graph().display(),
            container.id
        )
    );
    store
        .set_container_big_data("c1", "config.json", b"{}")
        .unwrap();
    assert_eq!(
        store
            .container_big_data_digest("c1", "config.json")
            .unwrap(),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let err = store
        .create_container(
            None,
            &names(&["c1"]),
            Some("app"),
            None,
            "",
            &ContainerOptions::default(),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the container name \"c1\" is already in use by "),
        "{err}"
    );
    assert_eq!(
        store.layers().unwrap().len(),
        2,
        "the failed container's layer was removed again"
    );
    store.delete_container("c1").unwrap();
    assert!(store.layer(&container.layer_id).is_err());
    assert!(
        !roots
            .graph()
            .join(format!("vfs-containers/{}", container.id))
            .exists()
    );
    assert!(
        !roots
            .run()
            .join(format!("vfs-containers/{}", container.id))
            .exists()
    );
}

#[test]
fn metadata_flags_and_wipe() {
    let roots = Roots::new();
    let mut store = roots.open();
    layer(&mut store, "l", None);
    image(&mut store, "i", &[], Some("l"));
    store.set_metadata("i", "new").unwrap();
    assert_eq!(store.metadata("i").unwrap(), "new");
    store.set_flag("l", "answer", "42.0").unwrap();
    assert_eq!(store.layer("l").unwrap().flags[0].value, "42");
    store.clear_flag("l", "answer").unwrap();
    assert!(store.layer("l").unwrap().flags.is_empty());
    let err = store.set_metadata("zzz", "x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "identifier is not a layer, image, or container"
    );
    store.wipe().unwrap();
    assert!(store.images().unwrap().is_empty() && store.layers().unwrap().is_empty());
    assert_eq!(roots.read_graph("vfs-images/images.json"), b"[]");
    assert_eq!(roots.read_graph("vfs-layers/layers.json"), b"[]");
}

#[test]
fn instances_on_one_root_see_each_others_writes() {
    let roots = Roots::new();
    let mut first = roots.open();
    let mut second = roots.open();
    image(&mut first, "one", &["n1"], None);
    assert_eq!(second.image("n1").unwrap().id, "one");
    second.delete("one").unwrap();
    assert!(!first.image_exists("one").unwrap());
    image(&mut second, "two", &[], None);
    assert_eq!(first.images().unwrap().len(), 1);
}

#[test]
fn stores_on_different_roots_are_isolated() {
    let (a_roots, b_roots) = (Roots::new(), Roots::new());
    let mut a = a_roots.open();
    let mut b = b_roots.open();
    image(&mut a, "only-a", &["shared-name"], None);
    assert!(b.images().unwrap().is_empty());
    image(&mut b, "only-b", &["shared-name"], None);
    assert_eq!(a.images().unwrap()[0].id, "only-a");
}

#[test]
fn read_only_stores_refuse_writes() {
    let roots = Roots::new();
    image(&mut roots.open(), "i", &["n"], None);
    let mut options = roots.options();
    options.read_only = true;
    let mut store = Store::open(options).unwrap();
    assert_eq!(store.image("n").unwrap().id, "i");
    let err = store
        .create_image(None, &[], None, "", &ImageOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::ReadOnly));
}

#[test]
fn additional_image_stores_are_read_only_sources() {
    let extra = Roots::new();
    image(&mut extra.open(), "ro-image", &["ro-name"], None);
    let roots = Roots::new();
    let mut options = roots.options();
    options.driver_options = vec![format!("vfs.imagestore={}", extra.graph().display())];
    let mut store = Store::open(options).unwrap();
    let found = store.image("ro-name").unwrap();
    assert!(found.read_only);
    assert_eq!(
        store.delete_image("ro-name", true).unwrap_err().kind(),
        Some(ErrorKind::NotAnImage)
    );
    // Naming it copies the record into the primary store.
    store.set_names("ro-image", &names(&["mine"])).unwrap();
    let images = store.images().unwrap();
    assert_eq!(
        images
            .iter()
            .map(|i| (i.id.as_str(), i.read_only))
            .collect::<Vec<_>>(),
        vec![("ro-image", false), ("ro-image", true)]
    );
}

#[test]
fn bad_driver_options_are_refused() {
    let roots = Roots::new();
    let mut options = roots.options();
    options.driver_options = vec!["vfs.mountopt=nodev".into()];
    assert_eq!(
        Store::open(options).err().unwrap().to_string(),
        "vfs driver does not support mount options"
    );
    let mut options = roots.options();
    options.driver_name = "overlay".into();
    let err = Store::open(options).err().unwrap();
    assert_eq!(err.kind(), Some(ErrorKind::DriverNotSupported));
}

#[test]
fn async_api_runs_store_calls() {
    let roots = Roots::new();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = graphstore::AsyncStore::open(StoreOptions::new(roots.graph(), roots.run()))
            .await
            .unwrap();
        let created = store
            .call(|s| {
                s.create_image(
                    None,
                    &["async".to_string()],
                    None,
                    "",
                    &ImageOptions::default(),
                )
            })
            .await
            .unwrap();
        let listed = store.call(|s| s.images()).await.unwrap();
        assert_eq!(listed, vec![created]);
    });
}

/// Listings come a page at a time through the component; the whole
/// listing is the pages of one version, and a store with more records than
/// one page holds lists whole.
#[test]
fn listings_come_in_pages_of_one_version() {
    let roots = Roots::new();
    let mut store = roots.open();
    for n in 0..5 {
        layer(&mut store, &format!("l{n}"), None);
    }
    let first = store.layers_page(0, 2).unwrap();
    let second = store.layers_page(2, 2).unwrap();
    let third = store.layers_page(4, 2).unwrap();
    assert_eq!(
        (first.total, first.items.len(), third.items.len()),
        (5, 2, 1)
    );
    assert_eq!(
        (first.version, second.version),
        (third.version, third.version)
    );
    let paged: Vec<String> = [first, second, third]
        .into_iter()
        .flat_map(|page| page.items)
        .map(|layer| layer.id)
        .collect();
    let whole: Vec<String> = store.layers().unwrap().into_iter().map(|l| l.id).collect();
    assert_eq!(paged, whole);
    assert_eq!(whole, names(&["l0", "l1", "l2", "l3", "l4"]));

    // A change between pages makes a new version.
    let before = store.layers_page(0, 1).unwrap().version;
    layer(&mut roots.open(), "l5", None);
    let after = store.layers_page(1, 1).unwrap();
    assert_ne!(after.version, before);
    assert_eq!(after.total, 6);

    // More images than one call returns (the host asks for 4096 a call).
    let batch: Vec<NewImage> = (0..5000)
        .map(|n| NewImage {
            id: Some(format!("i{n}")),
            names: Vec::new(),
            layer: None,
            metadata: String::new(),
            options: ImageOptions::default(),
        })
        .collect();
    store.create_images(&batch).unwrap();
    let images = store.images().unwrap();
    assert_eq!(images.len(), 5000);
    assert_eq!(images[4999].id, "i4999");
    assert_eq!(store.images_page(4096, 4096).unwrap().items.len(), 904);
}
