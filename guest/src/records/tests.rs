use super::*;

/// A `layers.json` as containers-storage 1.43 wrote it (from the reference notes).
const LAYERS_JSON: &str = concat!(
    r#"[{"id":"1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f","names":["base-layer"],"#,
    r#""created":"2026-11-22T11:51:13.704685628Z","#,
    r#""compressed-diff-digest":"sha256:b7c442e8916ed8b85c4a2282a5633a82e8c2baf6d1e0de87c2e87db3cd8db8f4","#,
    r#""compressed-size":323,"#,
    r#""diff-digest":"sha256:5b351f6b8dfa6105067fdd6cd74f9505155ce2edcf7fb172699bcbeaec16c1cf","#,
    r#""diff-size":10240,"compression":2,"uidset":[0,1000],"gidset":[0,100,1000]},"#,
    r#"{"id":"0fe2398eab725fb54e069c646dc63066ce123b68d464834e2aa309e60d14f747","#,
    r#""parent":"1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f","#,
    r#""created":"2026-11-22T11:51:13.790204154Z","#,
    r#""uidmap":[{"container_id":0,"host_id":100000,"size":65536}],"#,
    r#""gidmap":[{"container_id":0,"host_id":100000,"size":65536}]}]"#
);

const IMAGES_JSON: &str = concat!(
    r#"[{"id":"2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e","#,
    r#""digest":"sha256:bafebd36189ad3688b7b3915ea55d461e0bfcfbdde11e54b0a123999fb6be50f","#,
    r#""names":["example.com/app:v1","example.com/app:latest"],"#,
    r#""names-history":["example.com/app:latest","example.com/app:v1"],"#,
    r#""layer":"96ca454195e9cd30b2dfb26e7fa1ea0a747bc5df8644431590e89a4ab8d7d02b","#,
    r#""mapped-layers":["271876c72167a9c3d4f32d20cf5669289f6aa31706e2897982cd396fdf3b7e52"],"#,
    r#""metadata":"image-metadata","big-data-names":["manifest","config"],"#,
    r#""big-data-sizes":{"config":15,"manifest":19},"#,
    r#""big-data-digests":{"config":"sha256:acd6","manifest":"sha256:bafe"},"#,
    r#""created":"2026-11-22T11:51:13.749380238Z"}]"#
);

const CONTAINERS_JSON: &str = concat!(
    r#"[{"id":"3d3d","names":["web"],"image":"2e2e","layer":"0fe2","metadata":"ctr-metadata","#,
    r#""big-data-names":["config.json"],"big-data-sizes":{"config.json":22},"#,
    r#""big-data-digests":{"config.json":"sha256:9935"},"#,
    r#""created":"2026-11-22T11:51:13.793864654Z","#,
    r#""uidmap":[{"container_id":0,"host_id":100000,"size":65536}],"#,
    r#""gidmap":[{"container_id":0,"host_id":100000,"size":65536}],"#,
    r#""flags":{"MountLabel":"","ProcessLabel":""}},"#,
    r#"{"id":"f7f1","image":"","layer":"6b44","created":"2026-11-22T11:36:43.477786597Z","#,
    r#""flags":{"MountLabel":"","ProcessLabel":"","Volatile":true}}]"#
);

#[test]
fn real_files_round_trip_byte_for_byte() {
    let layers: Vec<Layer> = parse_records(LAYERS_JSON.as_bytes()).unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(layers[0].compression, Compression::Gzip);
    assert_eq!(layers[0].uid_set, vec![0, 1000]);
    assert_eq!(layers[1].parent, layers[0].id);
    assert_eq!(
        String::from_utf8(encode_records(&layers)).unwrap(),
        LAYERS_JSON
    );

    let images: Vec<Image> = parse_records(IMAGES_JSON.as_bytes()).unwrap();
    assert_eq!(images[0].big_data_sizes["manifest"], 19);
    assert_eq!(
        String::from_utf8(encode_records(&images)).unwrap(),
        IMAGES_JSON
    );

    let containers: Vec<Container> = parse_records(CONTAINERS_JSON.as_bytes()).unwrap();
    assert_eq!(
        containers[1].flags["Volatile"],
        serde_json::Value::Bool(true)
    );
    assert_eq!(
        String::from_utf8(encode_records(&containers)).unwrap(),
        CONTAINERS_JSON
    );
}

/// A record file's array is its records' own encodings joined (what the
/// record file's per-record encoding cache relies on).
#[test]
fn a_record_array_is_its_records_encodings_joined() {
    fn joined<T: Record>(records: &[T]) -> Vec<u8> {
        let parts: Vec<Vec<u8>> = records.iter().map(encode_record).collect();
        [b"[".to_vec(), parts.join(&b","[..]), b"]".to_vec()].concat()
    }
    let layers: Vec<Layer> = parse_records(LAYERS_JSON.as_bytes()).unwrap();
    assert_eq!(joined(&layers), encode_records(&layers));
    let mut images: Vec<Image> = parse_records(IMAGES_JSON.as_bytes()).unwrap();
    images[0].metadata = "<&> \u{2028} \"quoted\"".into();
    assert_eq!(joined(&images), encode_records(&images));
    let containers: Vec<Container> = parse_records(CONTAINERS_JSON.as_bytes()).unwrap();
    assert_eq!(joined(&containers), encode_records(&containers));
}

#[test]
fn minimal_records_keep_required_fields_only() {
    let layer = Layer {
        id: "abc".into(),
        ..Layer::default()
    };
    assert_eq!(
        String::from_utf8(encode_records(&[layer])).unwrap(),
        r#"[{"id":"abc","created":"0001-01-01T00:00:00Z"}]"#
    );
    let container = Container {
        id: "c".into(),
        ..Container::default()
    };
    assert_eq!(
        String::from_utf8(encode_records(&[container])).unwrap(),
        r#"[{"id":"c","image":"","layer":"","created":"0001-01-01T00:00:00Z"}]"#
    );
    let empty: Vec<Image> = Vec::new();
    assert_eq!(encode_records(&empty), b"[]");
}

#[test]
fn empty_and_null_files_are_empty_stores() {
    for text in ["", "  \n", "null", "[]"] {
        let layers: Vec<Layer> = parse_records(text.as_bytes()).unwrap();
        assert!(layers.is_empty(), "{text:?}");
    }
}

#[test]
fn nulls_unknown_fields_and_missing_fields_are_tolerated() {
    let text = r#"[{"id":"x","names":null,"parent":null,"future-field":{"a":1},"uidmap":null}]"#;
    let layers: Vec<Layer> = parse_records(text.as_bytes()).unwrap();
    assert_eq!(layers[0].id, "x");
    assert!(layers[0].names.is_empty());
    assert_eq!(
        layers[0].created,
        crate::format::timestamp::Timestamp::default()
    );
}

#[test]
fn flag_numbers_re_encode_as_go_floats() {
    let text = r#"[{"id":"i","created":"2026-01-01T00:00:00Z","flags":{"n":12345678901234567890,"f":1.50,"i":3}}]"#;
    let images: Vec<Image> = parse_records(text.as_bytes()).unwrap();
    assert_eq!(
        String::from_utf8(encode_records(&images)).unwrap(),
        r#"[{"id":"i","created":"2026-01-01T00:00:00Z","flags":{"f":1.5,"i":3,"n":12345678901234567000}}]"#
    );
}

#[test]
fn corrupt_files_are_errors() {
    let cases = [
        "garbage",
        "[{\"id\":",
        "{\"id\":\"x\"}",
        "[{\"id\":5}]",
        "[{\"created\":\"yesterday\"}]",
    ];
    for text in cases {
        assert!(
            parse_records::<Layer>(text.as_bytes()).is_err(),
            "accepted {text:?}"
        );
    }
}
