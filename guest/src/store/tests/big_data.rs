//! Data items ("big data") of images, layers and containers: files named
//! as 1.43 names them in the record's directory, sizes and digests on the
//! image and container records, manifests feeding the image's digests.

use super::fixture::{TestStore, failure, fake_digest, sha256, strings};
use crate::disk::Output;
use crate::error::{ErrorKind, Result};
use crate::stores::Kind;
use std::collections::BTreeMap;

/// Image item keys, their contents and the file 1.43 stores each in.
const IMAGE_ITEMS: [(&str, &[u8], &str); 5] = [
    ("manifest", b"{\"m\":1}", "manifest"),
    ("config.json", b"{}", "config.json"),
    ("sha256:abcdef", b"config", "=c2hhMjU2OmFiY2RlZg=="),
    ("Key/2", b"k", "=S2V5LzI="),
    ("../../etc/passwd", b"p", "=Li4vLi4vZXRjL3Bhc3N3ZA=="),
];

#[test]
fn image_items_are_stored_under_1_43_file_names_and_recorded() {
    let mut test = TestStore::new();
    test.image("img", &[], None);
    for (key, data, _) in IMAGE_ITEMS {
        test.store
            .set_image_big_data("img", key, data, None)
            .unwrap();
    }
    let keys: Vec<&str> = IMAGE_ITEMS.iter().map(|(key, _, _)| *key).collect();
    assert_eq!(
        test.store.list_image_big_data("img").unwrap(),
        strings(&keys)
    );
    for (key, data, file) in IMAGE_ITEMS {
        assert_eq!(
            test.store.image_big_data("img", key).unwrap(),
            data,
            "{key}"
        );
        assert_eq!(
            test.read(&format!("graph/vfs-images/img/{file}")),
            data,
            "{key}"
        );
        assert_eq!(
            test.store.image_big_data_size("img", key).unwrap(),
            data.len() as i64,
            "{key}"
        );
        assert_eq!(
            test.store.image_big_data_digest("img", key).unwrap(),
            sha256(data),
            "{key}"
        );
    }
    let mut files: Vec<&str> = IMAGE_ITEMS.iter().map(|(_, _, file)| *file).collect();
    files.sort();
    assert_eq!(test.entries("graph/vfs-images/img"), strings(&files));
    assert!(
        !test.exists("graph/etc"),
        "no key escapes the image directory"
    );

    let record = test.reopen().image("img").unwrap().record;
    assert_eq!(record.big_data_names, strings(&keys));
    let sizes: BTreeMap<String, i64> = IMAGE_ITEMS
        .iter()
        .map(|(key, data, _)| (key.to_string(), data.len() as i64))
        .collect();
    assert_eq!(record.big_data_sizes, sizes);
    let digests: BTreeMap<String, String> = IMAGE_ITEMS
        .iter()
        .map(|(key, data, _)| (key.to_string(), sha256(data)))
        .collect();
    assert_eq!(record.big_data_digests, digests);

    // Setting an item again replaces it and lists it once.
    test.store
        .set_image_big_data("img", "config.json", b"{\"a\":1}", None)
        .unwrap();
    assert_eq!(
        test.store.list_image_big_data("img").unwrap(),
        strings(&keys)
    );
    assert_eq!(test.read("graph/vfs-images/img/config.json"), b"{\"a\":1}");
    assert_eq!(
        test.store
            .image_big_data_size("img", "config.json")
            .unwrap(),
        7
    );
}

#[test]
fn manifest_items_update_the_image_digests() {
    let mut test = TestStore::new();
    test.image("img", &[], None);
    let (first, second) = (&b"manifest one"[..], &b"manifest two"[..]);
    test.store
        .set_image_big_data("img", "manifest", first, None)
        .unwrap();
    let view = test.store.image("img").unwrap();
    assert_eq!(
        view.record.digest,
        sha256(first),
        "the first becomes the digest"
    );
    assert_eq!(view.digests, vec![sha256(first)]);

    test.store
        .set_image_big_data("img", "manifest", second, None)
        .unwrap();
    test.store
        .set_image_big_data("img", "manifest-list", b"list", Some(&fake_digest('e')))
        .unwrap();
    // A given digest counts for manifest keys only.
    test.store
        .set_image_big_data("img", "config", b"cfg", Some(&fake_digest('f')))
        .unwrap();
    let view = test.reopen().image("img").unwrap();
    assert_eq!(view.record.digest, sha256(first), "the digest is sticky");
    assert_eq!(
        view.digests,
        vec![sha256(first), sha256(second), fake_digest('e')]
    );
    assert_eq!(
        view.record.big_data_digests["manifest-list"],
        fake_digest('e')
    );
    assert_eq!(view.record.big_data_digests["config"], sha256(b"cfg"));
    for digest in [sha256(first), sha256(second), fake_digest('e')] {
        let found = test.store.images_by_digest(&digest).unwrap();
        let ids: Vec<&str> = found.iter().map(|i| i.record.id.as_str()).collect();
        assert_eq!(ids, ["img"], "{digest}");
    }
    assert!(
        test.store
            .images_by_digest(&sha256(b"cfg"))
            .unwrap()
            .is_empty()
    );

    let bad = test
        .store
        .set_image_big_data("img", "manifest", b"third", Some("sha256:1234"));
    assert_eq!(
        failure(bad),
        (
            ErrorKind::InvalidInput,
            "sha256:1234: invalid checksum digest length".to_string()
        )
    );
    assert_eq!(test.read("graph/vfs-images/img/manifest"), second);
    assert_eq!(test.store.image("img").unwrap().digests.len(), 3);
}

#[test]
fn missing_items_and_records_fail_with_1_43_errors() {
    let mut test = TestStore::new();
    test.image("bare", &[], None);
    test.image("img", &[], None);
    test.store
        .set_image_big_data("img", "present", b"x", None)
        .unwrap();
    test.layer("lay", None);
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.store
        .set_container_big_data("ctr", "present", b"x")
        .unwrap();
    let containers = test.path("graph/vfs-containers").display().to_string();
    let image_item = |id: &str| {
        format!(
            "locating item named \"missing\" for image with ID {id:?} (consider removing the image to resolve the issue): file does not exist"
        )
    };
    let s = &mut test.store;
    let cases: Vec<(&str, Result<()>, ErrorKind, String)> = vec![
        (
            "image without items",
            s.image_big_data("bare", "missing").map(drop),
            ErrorKind::Io,
            image_item("bare"),
        ),
        (
            "image item",
            s.image_big_data("img", "missing").map(drop),
            ErrorKind::Io,
            image_item("img"),
        ),
        (
            "image item size",
            s.image_big_data_size("img", "missing").map(drop),
            ErrorKind::SizeUnknown,
            "size is not known".into(),
        ),
        (
            "image item digest",
            s.image_big_data_digest("img", "missing").map(drop),
            ErrorKind::DigestUnknown,
            "could not compute digest of item".into(),
        ),
        (
            "unknown image",
            s.image_big_data("nope", "present").map(drop),
            ErrorKind::ImageUnknown,
            "locating image with ID \"nope\": image not known".into(),
        ),
        (
            "unknown image list",
            s.list_image_big_data("nope").map(drop),
            ErrorKind::ImageUnknown,
            "locating image with ID \"nope\": image not known".into(),
        ),
        (
            "unknown image set",
            s.set_image_big_data("nope", "k", b"v", None),
            ErrorKind::ImageUnknown,
            "locating image with ID \"nope\": image not known".into(),
        ),
        (
            "layer item",
            s.layer_big_data("lay", "missing").map(drop),
            ErrorKind::Io,
            "locating item named \"missing\" for layer with ID \"lay\": file does not exist".into(),
        ),
        (
            "unknown layer",
            s.layer_big_data("nope", "k").map(drop),
            ErrorKind::LayerUnknown,
            "layer not known".into(),
        ),
        (
            "unknown layer set",
            s.set_layer_big_data("nope", "k", b"v"),
            ErrorKind::LayerUnknown,
            "layer not known".into(),
        ),
        (
            "container item",
            s.container_big_data("ctr", "missing").map(drop),
            ErrorKind::Io,
            format!("open {containers}/ctr/missing: no such file or directory"),
        ),
        (
            "container item size",
            s.container_big_data_size("ctr", "missing").map(drop),
            ErrorKind::SizeUnknown,
            "size is not known".into(),
        ),
        (
            "container item digest",
            s.container_big_data_digest("ctr", "missing").map(drop),
            ErrorKind::DigestUnknown,
            "could not compute digest of item".into(),
        ),
        (
            "unknown container",
            s.container_big_data("nope", "present").map(drop),
            ErrorKind::ContainerUnknown,
            "container not known".into(),
        ),
    ];
    for (case, result, kind, message) in cases {
        assert_eq!(failure(result), (kind, message), "{case}");
    }
}

#[test]
fn an_empty_key_is_refused_for_every_kind() {
    let mut test = TestStore::new();
    test.image("img", &[], None);
    test.layer("lay", None);
    test.container("ctr", &[], None, Some("ctr-layer"));
    let refusal = |noun: &str| {
        (
            ErrorKind::InvalidBigDataName,
            format!(
                "can't set empty name for {noun} big data item: not a valid name for a big data item"
            ),
        )
    };
    let s = &mut test.store;
    assert_eq!(
        failure(s.set_image_big_data("img", "", b"x", None)),
        refusal("image")
    );
    assert_eq!(
        failure(s.set_layer_big_data("lay", "", b"x")),
        refusal("layer")
    );
    assert_eq!(
        failure(s.set_container_big_data("ctr", "", b"x")),
        refusal("container")
    );
    assert_eq!(failure(s.image_big_data("img", "")), refusal("image"));
    assert_eq!(failure(s.layer_big_data("lay", "")), refusal("layer"));
    assert_eq!(
        failure(s.container_big_data("ctr", "")),
        refusal("container")
    );

    assert!(s.list_image_big_data("img").unwrap().is_empty());
    assert!(s.list_layer_big_data("lay").unwrap().is_empty());
    assert!(s.list_container_big_data("ctr").unwrap().is_empty());
    assert!(!test.exists("graph/vfs-images/img"));
    assert!(!test.exists("graph/vfs-layers/lay"));
    assert!(!test.exists("graph/vfs-containers/ctr"));
}

#[test]
fn a_key_whose_encoded_name_contains_a_slash_is_refused() {
    let mut test = TestStore::new();
    test.image("img", &[], None);
    // "???" encodes as "=Pz8/": 1.43 would write into a sub-directory "=Pz8".
    let refusal = (
        ErrorKind::InvalidInput,
        "\"=Pz8/\" is not a valid file name: it must be one path component".to_string(),
    );
    assert_eq!(
        failure(test.store.set_image_big_data("img", "???", b"x", None)),
        refusal
    );
    assert_eq!(failure(test.store.image_big_data("img", "???")), refusal);
    assert!(test.store.list_image_big_data("img").unwrap().is_empty());
    assert!(!test.exists("graph/vfs-images/img/=Pz8"));
}

#[test]
fn layer_items_record_only_their_names() {
    let mut test = TestStore::new();
    test.layer("lay", None);
    test.store
        .set_layer_big_data("lay", "note", b"first")
        .unwrap();
    test.store
        .set_layer_big_data("lay", "Other Key", b"2")
        .unwrap();
    test.store
        .set_layer_big_data("lay", "note", b"second")
        .unwrap();
    assert_eq!(
        test.store.list_layer_big_data("lay").unwrap(),
        strings(&["note", "Other Key"])
    );
    assert_eq!(test.store.layer_big_data("lay", "note").unwrap(), b"second");
    assert_eq!(test.read("graph/vfs-layers/lay/note"), b"second");
    assert_eq!(test.read("graph/vfs-layers/lay/=T3RoZXIgS2V5"), b"2");
    let layers = String::from_utf8(test.read("graph/vfs-layers/layers.json")).unwrap();
    assert!(
        layers.contains(r#""big-data-names":["note","Other Key"]"#),
        "{layers}"
    );
    assert!(!layers.contains("big-data-sizes"), "{layers}");
    assert_eq!(
        test.reopen().layer("lay").unwrap().record.big_data_names,
        strings(&["note", "Other Key"])
    );
}

#[test]
fn container_items_record_sizes_and_digests() {
    let mut test = TestStore::new();
    test.container("ctr", &["web"], None, Some("ctr-layer"));
    test.store
        .set_container_big_data("web", "config.json", b"{}")
        .unwrap();
    test.store
        .set_container_big_data("web", "empty", b"")
        .unwrap();
    assert_eq!(
        test.store.list_container_big_data("web").unwrap(),
        strings(&["config.json", "empty"])
    );
    assert_eq!(
        test.store.container_big_data("web", "config.json").unwrap(),
        b"{}"
    );
    assert_eq!(test.read("graph/vfs-containers/ctr/config.json"), b"{}");
    assert_eq!(test.read("graph/vfs-containers/ctr/empty"), b"");
    assert_eq!(
        test.store
            .container_big_data_size("web", "config.json")
            .unwrap(),
        2
    );
    assert_eq!(
        test.store
            .container_big_data_digest("web", "config.json")
            .unwrap(),
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    let record = test.reopen().container("ctr").unwrap();
    assert_eq!(
        record.big_data_sizes,
        BTreeMap::from([("config.json".to_string(), 2), ("empty".to_string(), 0)])
    );
    assert_eq!(
        record.big_data_digests,
        BTreeMap::from([
            ("config.json".to_string(), sha256(b"{}")),
            ("empty".to_string(), sha256(b"")),
        ])
    );
}

#[test]
fn an_unrecorded_container_item_file_is_read_and_recorded_on_query() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.store
        .set_container_big_data("ctr", "known", b"k")
        .unwrap();
    std::fs::write(test.path("graph/vfs-containers/ctr/extra"), b"12345").unwrap();
    std::fs::write(test.path("graph/vfs-containers/ctr/other"), b"abc").unwrap();

    assert_eq!(
        test.store.container_big_data_size("ctr", "extra").unwrap(),
        5
    );
    assert_eq!(
        test.store
            .container_big_data_digest("ctr", "other")
            .unwrap(),
        sha256(b"abc")
    );
    let record = test.reopen().container("ctr").unwrap();
    assert_eq!(record.big_data_names, strings(&["known", "extra", "other"]));
    assert_eq!(record.big_data_sizes["extra"], 5);
    assert_eq!(record.big_data_digests["extra"], sha256(b"12345"));
    assert_eq!(record.big_data_sizes["other"], 3);
}

#[test]
fn write_big_data_streams_an_item_as_reading_returns_it() {
    let mut test = TestStore::new();
    test.layer("lay", None);
    test.image("img", &["app"], Some("lay"));
    test.container("ctr", &[], None, Some("ctr-layer"));
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    test.store
        .set_image_big_data("img", "big", &big, None)
        .unwrap();
    test.store
        .set_layer_big_data("lay", "note", b"layer item")
        .unwrap();
    test.store
        .set_container_big_data("ctr", "state", b"")
        .unwrap();

    let cases: [(Kind, &str, &str, &[u8]); 3] = [
        (Kind::Image, "app", "big", &big),
        (Kind::Layer, "lay", "note", b"layer item"),
        (Kind::Container, "ctr", "state", b""),
    ];
    for (kind, reference, key, expected) in cases {
        let mut bytes = Vec::new();
        let length = test
            .store
            .write_big_data(kind, reference, key, &mut Output::writer(&mut bytes))
            .unwrap();
        assert_eq!(length, expected.len() as u64, "{kind:?}");
        assert_eq!(bytes, expected, "{kind:?}");
    }
    let mut bytes = Vec::new();
    let streamed = test.store.write_big_data(
        Kind::Image,
        "img",
        "missing",
        &mut Output::writer(&mut bytes),
    );
    assert_eq!(
        failure(streamed),
        failure(test.store.image_big_data("img", "missing"))
    );
    assert!(bytes.is_empty());
}
