//! The content-addressable blob store, layer leases, graph queries and
//! crash recovery (Docker's designs, in graphstore).

use crate::common;

use common::Roots;
use graphstore::{ErrorKind, ImageOptions, LayerOptions, Store};
use sha2::{Digest, Sha256};

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn get(store: &mut Store, digest: &str) -> Result<Vec<u8>, graphstore::Error> {
    let out = common::SharedBuffer::default();
    store.get_blob(digest, out.clone())?;
    Ok(out.bytes())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn blobs_round_trip_under_their_digest() {
    let roots = Roots::new();
    let mut store = roots.open();
    let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let digest = store
        .put_blob(std::io::Cursor::new(content.clone()))
        .unwrap();
    assert_eq!(digest, sha256(&content));
    assert_eq!(get(&mut store, &digest).unwrap(), content);
    let hex = digest.strip_prefix("sha256:").unwrap();
    assert_eq!(
        std::fs::read(roots.graph().join("blobs/content/sha256").join(hex)).unwrap(),
        content
    );
    // Storing the same content again is harmless.
    assert_eq!(
        store.put_blob(std::io::Cursor::new(content)).unwrap(),
        digest
    );
    assert_eq!(store.blobs().unwrap(), vec![digest.clone()]);
    let err = store.put_blob(std::io::empty()).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::InvalidInput));
    store.delete_blob(&digest).unwrap();
    assert_eq!(
        get(&mut store, &digest).unwrap_err().kind(),
        Some(ErrorKind::BlobUnknown)
    );
    assert_eq!(
        store.delete_blob(&digest).unwrap_err().kind(),
        Some(ErrorKind::BlobUnknown)
    );
}

#[test]
fn a_flipped_byte_is_reported_as_corruption() {
    let roots = Roots::new();
    let mut store = roots.open();
    let digest = store
        .put_blob(std::io::Cursor::new(b"important manifest".to_vec()))
        .unwrap();
    let path = roots
        .graph()
        .join("blobs/content/sha256")
        .join(digest.strip_prefix("sha256:").unwrap());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[3] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let err = get(&mut store, &digest).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::BlobCorrupt));
    assert_eq!(
        err.to_string(),
        format!(
            "blob {digest} reads back as {}: blob content does not match its digest",
            sha256(&bytes)
        )
    );
}

#[test]
fn digests_are_validated_and_listing_skips_strangers() {
    let roots = Roots::new();
    let mut store = roots.open();
    let digest = store.put_blob(std::io::Cursor::new(b"x".to_vec())).unwrap();
    for bad in [
        "sha256:1234",
        "md5:abcd",
        "../../etc/passwd",
        &format!("sha512:{}", "a".repeat(128)),
    ] {
        assert_eq!(
            get(&mut store, bad).unwrap_err().kind(),
            Some(ErrorKind::InvalidInput),
            "{bad}"
        );
    }
    let dir = roots.graph().join("blobs/content/sha256");
    std::fs::write(dir.join("not-a-digest"), b"junk").unwrap();
    std::fs::write(dir.join("A".repeat(64)), b"junk").unwrap();
    assert_eq!(store.blobs().unwrap(), vec![digest]);
}

#[test]
fn blob_metadata_belongs_to_existing_blobs() {
    let roots = Roots::new();
    let mut store = roots.open();
    let digest = store
        .put_blob(std::io::Cursor::new(b"layer".to_vec()))
        .unwrap();
    store
        .set_blob_metadata(&digest, "diffid", b"sha256:abc")
        .unwrap();
    store
        .set_blob_metadata(&digest, "../../escape", b"confined")
        .unwrap();
    assert_eq!(
        store.blob_metadata(&digest, "diffid").unwrap(),
        b"sha256:abc"
    );
    assert_eq!(
        store.blob_metadata(&digest, "../../escape").unwrap(),
        b"confined"
    );
    let hex = digest.strip_prefix("sha256:").unwrap();
    let meta_dir = roots.graph().join("blobs/metadata/sha256").join(hex);
    let mut files: Vec<String> = std::fs::read_dir(&meta_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, vec!["=Li4vLi4vZXNjYXBl", "diffid"]);
    store.delete_blob_metadata(&digest, "diffid").unwrap();
    assert!(store.blob_metadata(&digest, "diffid").is_err());
    let missing = sha256(b"never stored");
    assert_eq!(
        store
            .set_blob_metadata(&missing, "k", b"v")
            .unwrap_err()
            .kind(),
        Some(ErrorKind::BlobUnknown)
    );
    store.delete_blob(&digest).unwrap();
    assert!(!meta_dir.exists(), "deleting a blob removes its metadata");
}

#[test]
fn concurrent_writers_of_the_same_content_agree() {
    let roots = Roots::new();
    let content: Vec<u8> = (0..500_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let digests: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (roots, content) = (&roots, content.clone());
                scope.spawn(move || {
                    roots
                        .open()
                        .put_blob(std::io::Cursor::new(content))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(digests.iter().all(|d| *d == sha256(&content)));
    let mut store = roots.open();
    assert_eq!(get(&mut store, &digests[0]).unwrap(), content);
    let leftovers = std::fs::read_dir(roots.graph().join("blobs/content/sha256"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "temporary files were left behind");
}

#[test]
fn leases_protect_layers_from_deletion_across_instances() {
    let roots = Roots::new();
    let mut puller = roots.open();
    puller
        .create_layer(Some("base"), None, &[], &LayerOptions::default())
        .unwrap();
    puller
        .create_layer(Some("top"), Some("base"), &[], &LayerOptions::default())
        .unwrap();
    puller
        .create_image(Some("img"), &[], Some("top"), "", &ImageOptions::default())
        .unwrap();
    puller.retain_layers("pull-1", &strings(&["base"])).unwrap();

    // Another store instance (its own sandbox) sees the lease.
    let mut other = roots.open();
    assert_eq!(
        other.leases().unwrap(),
        vec![("pull-1".to_string(), strings(&["base"]))]
    );
    let outcome = other.delete_image("img", true).unwrap();
    assert_eq!(outcome.deleted_layers, strings(&["top"]));
    assert_eq!(outcome.kept_leased_layers, strings(&["base"]));
    let err = other.delete_layer("base").unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::LayerLeased));
    assert_eq!(
        err.to_string(),
        "layer base is retained by session \"pull-1\": layer is held by a lease"
    );

    puller
        .release_layers("pull-1", &strings(&["base"]))
        .unwrap();
    assert!(other.leases().unwrap().is_empty());
    assert!(
        !roots.run().join("graphstore-leases/leases.json").exists(),
        "released leases are cleaned up"
    );
    other.delete_layer("base").unwrap();
    let err = puller
        .retain_layers("pull-2", &strings(&["gone"]))
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::LayerUnknown));
}

#[test]
fn graph_queries_come_from_the_records() {
    let roots = Roots::new();
    let mut store = roots.open();
    store
        .create_layer(Some("a"), None, &[], &LayerOptions::default())
        .unwrap();
    store
        .create_layer(Some("b"), Some("a"), &[], &LayerOptions::default())
        .unwrap();
    store
        .create_layer(Some("c"), Some("a"), &[], &LayerOptions::default())
        .unwrap();
    store
        .create_layer(Some("d"), Some("b"), &[], &LayerOptions::default())
        .unwrap();
    store
        .create_image(Some("img"), &[], Some("d"), "", &ImageOptions::default())
        .unwrap();
    assert_eq!(store.heads().unwrap(), strings(&["c", "d"]));
    assert_eq!(store.children("a").unwrap(), strings(&["b", "c"]));
    assert_eq!(store.children("d").unwrap(), Vec::<String>::new());
    assert_eq!(store.images_by_top_layer("d").unwrap()[0].id, "img");
    assert_eq!(
        store.children("zz").unwrap_err().kind(),
        Some(ErrorKind::LayerUnknown)
    );
}

#[test]
fn opening_cleans_what_a_crash_left_behind() {
    let roots = Roots::new();
    let mut store = roots.open();
    store
        .create_layer(Some("done"), None, &[], &LayerOptions::default())
        .unwrap();
    store.put_blob(std::io::Cursor::new(b"x".to_vec())).unwrap();
    drop(store);
    // Simulate a crash: a layer still flagged incomplete and a half-written blob.
    let layers_json = roots.graph().join("vfs-layers/layers.json");
    let text = std::fs::read_to_string(&layers_json).unwrap();
    let crashed = text.replacen(
        "}]",
        "},{\"id\":\"half\",\"created\":\"2026-01-01T00:00:00Z\",\"flags\":{\"incomplete\":true}}]",
        1,
    );
    std::fs::write(&layers_json, crashed).unwrap();
    std::fs::create_dir_all(roots.graph().join("vfs/dir/half")).unwrap();
    std::fs::write(
        roots.graph().join("blobs/content/sha256/.tmp-blob123"),
        b"partial",
    )
    .unwrap();

    let mut store = roots.open();
    let report = store.recovery_report().unwrap();
    assert_eq!(report.len(), 2, "{report:?}");
    assert_eq!(report[0], "Found incomplete layer \"half\", deleting it");
    assert!(
        report[1].starts_with("removed temporary blob file ")
            && report[1].ends_with(".tmp-blob123"),
        "{report:?}"
    );
    assert_eq!(
        store
            .layers()
            .unwrap()
            .iter()
            .map(|l| l.id.as_str())
            .collect::<Vec<_>>(),
        vec!["done"]
    );
    assert!(!roots.graph().join("vfs/dir/half").exists());
    assert!(
        !roots
            .graph()
            .join("blobs/content/sha256/.tmp-blob123")
            .exists()
    );
}

#[test]
fn cli_blob_commands_round_trip_and_detect_corruption() {
    let roots = Roots::new();
    let digest = roots
        .graphstore_with_input(&["blob", "put"], b"manifest bytes")
        .ok()
        .trim()
        .to_string();
    assert_eq!(digest, sha256(b"manifest bytes"));
    assert_eq!(
        roots.graphstore(&["blob", "get", &digest]).ok(),
        "manifest bytes"
    );
    assert_eq!(
        roots.graphstore(&["blob", "ls"]).ok(),
        format!("{digest}\n")
    );
    assert_eq!(
        roots.graphstore(&["blob", "--json", "ls"]).ok(),
        format!("[\"{digest}\"]\n")
    );
    roots
        .graphstore_with_input(
            &["blob", "set-meta", &digest, "media-type"],
            b"application/json",
        )
        .ok();
    assert_eq!(
        roots
            .graphstore(&["blob", "get-meta", &digest, "media-type"])
            .ok(),
        "application/json"
    );
    roots
        .graphstore(&["blob", "rm-meta", &digest, "media-type"])
        .ok();
    assert_eq!(
        roots
            .graphstore(&["blob", "get-meta", &digest, "media-type"])
            .code,
        1
    );
    let path = roots
        .graph()
        .join("blobs/content/sha256")
        .join(digest.strip_prefix("sha256:").unwrap());
    std::fs::write(&path, b"manifest bytez").unwrap();
    let out = roots.dir.path().join("out");
    let run = roots.graphstore(&["blob", "-f", out.to_str().unwrap(), "get", &digest]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .ends_with(": blob content does not match its digest\n"),
        "{run:?}"
    );
    assert!(
        !out.exists(),
        "unverified content was left in the output file"
    );
    roots.graphstore(&["blob", "rm", &digest]).ok();
    assert_eq!(roots.graphstore(&["blob", "ls"]).ok(), "");
    assert_eq!(roots.graphstore(&["blob", "frobnicate"]).code, 1);
}

#[test]
fn a_lease_taken_by_one_process_protects_layers_from_another() {
    let roots = Roots::new();
    roots.graphstore(&["create-layer", "-i", "base"]).ok();
    roots
        .graphstore(&["create-layer", "-i", "top", "base"])
        .ok();
    roots.graphstore(&["create-image", "-i", "img", "top"]).ok();
    // The "pull" process retains the layers it is working on.
    roots
        .graphstore(&["lease", "retain", "pull-1", "base", "top"])
        .ok();
    assert_eq!(
        roots.graphstore(&["lease", "ls"]).ok(),
        "pull-1\tbase\npull-1\ttop\n"
    );
    // Another process deletes the image: the image goes, the layers stay.
    let run = roots.graphstore(&["delete-image", "img"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    assert_eq!(roots.graphstore(&["images", "-q"]).ok(), "");
    let run = roots.graphstore(&["delete-layer", "top"]);
    assert_eq!(
        run.stderr,
        "top: layer top is retained by session \"pull-1\": layer is held by a lease\n"
    );
    assert_eq!(roots.graphstore(&["heads"]).ok(), "top\n");
    assert_eq!(roots.graphstore(&["children", "base"]).ok(), "top\n");
    // Released, the layers can go; the reference CLI sees a consistent store.
    roots
        .graphstore(&["lease", "release", "pull-1", "base", "top"])
        .ok();
    assert_eq!(roots.graphstore(&["lease", "--json", "ls"]).ok(), "{}\n");
    roots.graphstore(&["delete-layer", "top"]).ok();
    roots.reference(&["delete-layer", "base"]).ok();
    assert_eq!(roots.reference(&["layers", "--json"]).ok(), "[]\n");
}
