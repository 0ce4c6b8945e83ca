//! Layer leases: sessions retain layers (`R/graphstore-leases/leases.json`)
//! and the deleting calls leave retained layers alone.

use super::fixture::{TestStore, failure, strings};
use crate::error::ErrorKind;
use crate::store::{DeletedImage, LayerOptions};

const LEASES_JSON: &str = "run/graphstore-leases/leases.json";

fn lease(session: &str, layers: &[&str]) -> (String, Vec<String>) {
    (session.to_string(), strings(layers))
}

#[test]
fn leases_are_retained_listed_and_released() {
    let mut test = TestStore::new();
    test.store
        .create_layer(
            Some("l1"),
            None,
            strings(&["first"]),
            &LayerOptions::default(),
        )
        .unwrap();
    test.layer("l2", None);
    assert_eq!(test.store.leases().unwrap(), Vec::new());
    assert!(
        !test.exists("run/graphstore-leases"),
        "nothing created by a read"
    );

    // References resolve to IDs: by name and by unique prefix.
    test.store
        .retain_layers("pull-1", &strings(&["first", "l2"]))
        .unwrap();
    test.store
        .retain_layers("pull-2", &strings(&["l2"]))
        .unwrap();
    assert_eq!(
        test.store.leases().unwrap(),
        vec![lease("pull-1", &["l1", "l2"]), lease("pull-2", &["l2"])]
    );
    assert_eq!(
        test.read(LEASES_JSON),
        br#"{"pull-1":["l1","l2"],"pull-2":["l2"]}"#
    );
    assert!(
        !test.exists("graph/graphstore-leases"),
        "leases live in the run root"
    );

    test.store
        .release_layers("pull-1", &strings(&["first"]))
        .unwrap();
    assert_eq!(
        test.store.leases().unwrap(),
        vec![lease("pull-1", &["l2"]), lease("pull-2", &["l2"])]
    );
    // Releasing what a session does not hold changes nothing.
    test.store
        .release_layers("pull-9", &strings(&["l2"]))
        .unwrap();
    test.store
        .release_layers("pull-1", &strings(&["l2"]))
        .unwrap();
    assert_eq!(test.store.leases().unwrap(), vec![lease("pull-2", &["l2"])]);
    assert_eq!(test.read(LEASES_JSON), br#"{"pull-2":["l2"]}"#);

    test.store
        .release_layers("pull-2", &strings(&["l2"]))
        .unwrap();
    assert_eq!(test.store.leases().unwrap(), Vec::new());
    assert!(
        !test.exists(LEASES_JSON),
        "the last release removes the file"
    );
    assert_eq!(
        test.entries("run/graphstore-leases"),
        strings(&["leases.lock"])
    );
}

#[test]
fn retaining_an_unknown_layer_is_refused_and_retains_nothing() {
    let mut test = TestStore::new();
    test.layer("l1", None);
    let refused = test.store.retain_layers("pull", &strings(&["l1", "nope"]));
    assert_eq!(
        failure(refused),
        (
            ErrorKind::LayerUnknown,
            "retaining \"nope\": layer not known".to_string()
        )
    );
    assert_eq!(test.store.leases().unwrap(), Vec::new());
    assert!(!test.exists(LEASES_JSON));
    test.store.delete_layer("l1").unwrap();
}

#[test]
fn delete_layer_refuses_a_leased_layer_until_every_session_releases_it() {
    let mut test = TestStore::new();
    test.layer("l1", None);
    test.store.retain_layers("a", &strings(&["l1"])).unwrap();
    test.store.retain_layers("b", &strings(&["l1"])).unwrap();
    let refusal = |session: &str| {
        (
            ErrorKind::LayerLeased,
            format!("layer l1 is retained by session {session:?}: layer is held by a lease"),
        )
    };
    assert_eq!(failure(test.store.delete_layer("l1")), refusal("a"));
    test.store.release_layers("a", &strings(&["l1"])).unwrap();
    assert_eq!(failure(test.store.delete_layer("l1")), refusal("b"));
    assert_eq!(test.layer_ids(), strings(&["l1"]));
    assert!(test.exists("graph/vfs/dir/l1"));

    test.store.release_layers("b", &strings(&["l1"])).unwrap();
    test.store.delete_layer("l1").unwrap();
    assert_eq!(test.layer_ids(), Vec::<String>::new());
}

/// One lease on the chain base ← mid ← top of an image being deleted.
struct LeaseCase {
    leased: &'static str,
    deleted: &'static [&'static str],
    kept: &'static [&'static str],
    left: &'static [&'static str],
}

#[test]
fn delete_image_keeps_leased_layers_and_their_ancestors() {
    let cases = [
        LeaseCase {
            leased: "top",
            deleted: &[],
            kept: &["top"],
            left: &["base", "mid", "top"],
        },
        LeaseCase {
            leased: "mid",
            deleted: &["top"],
            kept: &["mid"],
            left: &["base", "mid"],
        },
        LeaseCase {
            leased: "base",
            deleted: &["top", "mid"],
            kept: &["base"],
            left: &["base"],
        },
    ];
    for LeaseCase {
        leased,
        deleted,
        kept,
        left,
    } in cases
    {
        let mut test = TestStore::new();
        test.layer("base", None);
        test.layer("mid", Some("base"));
        test.layer("top", Some("mid"));
        test.image("img", &[], Some("top"));
        test.store
            .retain_layers("pull", &strings(&[leased]))
            .unwrap();
        let expected = DeletedImage {
            deleted_layers: strings(deleted),
            kept_leased_layers: strings(kept),
        };
        assert_eq!(
            test.store.delete_image("img", false).unwrap(),
            expected,
            "dry run, {leased} leased"
        );
        assert_eq!(
            test.store.delete_image("img", true).unwrap(),
            expected,
            "{leased} leased"
        );
        assert_eq!(test.image_ids(), Vec::<String>::new(), "{leased} leased");
        assert_eq!(test.layer_ids(), strings(left), "{leased} leased");
    }
}

#[test]
fn leases_are_shared_by_every_instance_on_the_run_root() {
    let mut test = TestStore::new();
    test.layer("l1", None);
    let mut other = test.reopen();
    test.store.retain_layers("pull", &strings(&["l1"])).unwrap();
    assert_eq!(other.leases().unwrap(), vec![lease("pull", &["l1"])]);
    assert_eq!(failure(other.delete_layer("l1")).0, ErrorKind::LayerLeased);
    other.release_layers("pull", &strings(&["l1"])).unwrap();
    assert_eq!(test.store.leases().unwrap(), Vec::new());
    test.store.delete_layer("l1").unwrap();
}
