//! Compound operations interrupted at their worst points: a dead writer's
//! intent file (`graphstore-intent.json`) and the state it left, then the
//! next open finishes or forgets the operation.

use super::fixture::{TestStore, strings};
use crate::store::intent::INTENT_FILE;

const CONTAINERS_JSON: &str = "graph/vfs-containers/containers.json";
const IMAGES_JSON: &str = "graph/vfs-images/images.json";

impl TestStore {
    /// Writes a dead writer's intent file.
    fn plant_intent(&self, json: &str) {
        std::fs::write(self.path(&format!("graph/{INTENT_FILE}")), json).unwrap();
    }

    /// Removes record `id` from the record file at `relative` behind the
    /// store's back, as a writer's commit did before it was killed.
    fn drop_record(&self, relative: &str, id: &str) {
        let mut records: Vec<serde_json::Value> =
            serde_json::from_slice(&self.read(relative)).unwrap();
        let before = records.len();
        records.retain(|record| record["id"] != id);
        assert_eq!(records.len(), before - 1, "{id} was in {relative}");
        std::fs::write(self.path(relative), serde_json::to_vec(&records).unwrap()).unwrap();
        // A writer touches the lock file: open stores reload.
        let lock = relative.replace(".json", ".lock");
        std::fs::write(self.path(&lock), "a dead writer's token").unwrap();
    }

    /// Opens the roots again (the next process) and lists what is there.
    fn after_reopen(&mut self) -> (Vec<String>, Vec<String>, Vec<String>) {
        self.store = self.reopen();
        assert!(
            !self.exists(&format!("graph/{INTENT_FILE}")),
            "the intent is resolved at open"
        );
        (self.layer_ids(), self.image_ids(), self.container_ids())
    }
}

#[test]
fn a_committed_container_deletion_is_finished_at_the_next_open() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.store.container_directory("ctr").unwrap();
    test.plant_intent(r#"{"operation":"delete","containers":["ctr"],"layers":["ctr-layer"]}"#);
    test.drop_record(CONTAINERS_JSON, "ctr");

    assert_eq!(test.after_reopen(), (vec![], vec![], vec![]));
    assert!(!test.exists("graph/vfs-containers/ctr"));
    assert!(!test.exists("graph/vfs/dir/ctr-layer"));
}

#[test]
fn an_uncommitted_container_deletion_is_forgotten() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.plant_intent(r#"{"operation":"delete","containers":["ctr"],"layers":["ctr-layer"]}"#);

    assert_eq!(
        test.after_reopen(),
        (strings(&["ctr-layer"]), vec![], strings(&["ctr"]))
    );
    assert!(test.exists("graph/vfs/dir/ctr-layer"));
    // And the deletion can be done again.
    test.store.delete_container("ctr").unwrap();
    assert_eq!(test.after_reopen(), (vec![], vec![], vec![]));
}

#[test]
fn an_uncommitted_container_creation_takes_its_layer_back() {
    let mut test = TestStore::new();
    test.layer("base", None);
    // The writer made the container's layer, then died before saving the record.
    test.layer("ctr-layer", Some("base"));
    std::fs::create_dir_all(test.path("graph/vfs-containers/ctr/userdata")).unwrap();
    test.plant_intent(r#"{"operation":"create-container","container":"ctr","layer":"ctr-layer"}"#);

    assert_eq!(test.after_reopen(), (strings(&["base"]), vec![], vec![]));
    assert!(!test.exists("graph/vfs-containers/ctr"));
}

#[test]
fn a_committed_container_creation_is_kept() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.plant_intent(r#"{"operation":"create-container","container":"ctr","layer":"ctr-layer"}"#);

    assert_eq!(
        test.after_reopen(),
        (strings(&["ctr-layer"]), vec![], strings(&["ctr"]))
    );
}

#[test]
fn a_committed_image_deletion_removes_its_directory_and_unreferenced_layers() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.layer("top", Some("base"));
    test.layer("other", Some("base"));
    test.image("img", &["name"], Some("top"));
    test.store
        .set_image_big_data("img", "key", b"value", None)
        .unwrap();
    assert!(test.exists("graph/vfs-images/img"));
    // `base` is listed but has another child by now: it must stay.
    test.plant_intent(r#"{"operation":"delete","images":["img"],"layers":["top","base"]}"#);
    test.drop_record(IMAGES_JSON, "img");

    assert_eq!(
        test.after_reopen(),
        (strings(&["base", "other"]), vec![], vec![])
    );
    assert!(!test.exists("graph/vfs-images/img"));
}

#[test]
fn layers_something_uses_are_never_deleted_by_a_recovery() {
    let mut test = TestStore::new();
    test.layer("used-by-image", None);
    test.image("img", &[], Some("used-by-image"));
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.layer("leased", None);
    test.store
        .retain_layers("session", &strings(&["leased"]))
        .unwrap();
    test.plant_intent(
        r#"{"operation":"delete","images":["gone"],"layers":["used-by-image","ctr-layer","leased","missing"]}"#,
    );

    assert_eq!(
        test.after_reopen(),
        (
            strings(&["used-by-image", "ctr-layer", "leased"]),
            strings(&["img"]),
            strings(&["ctr"])
        )
    );
}

#[test]
fn a_torn_intent_is_dropped_and_changes_nothing() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    for torn in [
        "",
        r#"{"operation":"dele"#,
        "not json",
        r#"{"operation":"unknown"}"#,
    ] {
        test.plant_intent(torn);
        assert_eq!(
            test.after_reopen(),
            (strings(&["ctr-layer"]), vec![], strings(&["ctr"])),
            "{torn:?}"
        );
    }
}

#[test]
fn a_long_lived_store_resolves_a_dead_writers_intent_before_its_own() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    test.container("ctr2", &[], None, Some("ctr2-layer"));
    // Another process committed the deletion of `ctr` and died; this store
    // was open all along and now deletes `ctr2`.
    test.plant_intent(r#"{"operation":"delete","containers":["ctr"],"layers":["ctr-layer"]}"#);
    test.drop_record(CONTAINERS_JSON, "ctr");
    test.store.delete_container("ctr2").unwrap();

    assert_eq!((test.layer_ids(), test.container_ids()), (vec![], vec![]));
    assert!(!test.exists(&format!("graph/{INTENT_FILE}")));
}

#[test]
fn compound_operations_leave_no_intent_behind() {
    let mut test = TestStore::new();
    test.layer("base", None);
    test.image("img", &[], Some("base"));
    test.container("ctr", &["c"], Some("img"), None);
    test.store.delete_container("c").unwrap();
    test.store.delete_image("img", true).unwrap();
    assert!(!test.exists(&format!("graph/{INTENT_FILE}")));
    assert_eq!(test.after_reopen(), (vec![], vec![], vec![]));
}

#[test]
fn temporaries_of_killed_saves_are_removed_at_the_next_open() {
    let mut test = TestStore::new();
    test.container("ctr", &[], None, Some("ctr-layer"));
    let leftovers = [
        "graph/vfs-images/.tmp-images.json",
        "graph/vfs-containers/.tmp-containers.json",
        "graph/vfs-layers/.tmp-layers.json",
        "run/vfs-layers/.tmp-mountpoints.json",
    ];
    for leftover in leftovers {
        std::fs::write(test.path(leftover), "[{\"id\":").unwrap();
    }
    assert_eq!(
        test.after_reopen(),
        (strings(&["ctr-layer"]), vec![], strings(&["ctr"]))
    );
    for leftover in leftovers {
        assert!(!test.exists(leftover), "{leftover}");
    }
    // A read-only open leaves them alone (it takes no write lock).
    std::fs::write(test.path(leftovers[0]), "x").unwrap();
    let mut options = TestStore::options(&test.dir);
    options.read_only = true;
    crate::store::Store::open_native(options).unwrap();
    assert!(test.exists(leftovers[0]));
}

#[test]
fn a_mapped_copy_made_for_an_uncommitted_container_is_taken_back() {
    let mut test = TestStore::new();
    test.layer("top", None);
    test.image("img", &[], Some("top"));
    let mut options = crate::store::ContainerOptions::default();
    options.uid_map = Some(vec![crate::records::IdMap {
        container_id: 0,
        host_id: 1000,
        size: 65536,
    }]);
    options.gid_map = options.uid_map.clone();
    let container = test
        .store
        .create_container(Some("ctr"), Vec::new(), Some("img"), None, "", &options)
        .unwrap();
    let mapped = test.store.image("img").unwrap().record.mapped_top_layers;
    assert_eq!(mapped.len(), 1);
    assert!(!test.exists(&format!("graph/{INTENT_FILE}")));
    let intent = format!(
        r#"{{"operation":"create-container","container":"ctr","layer":"{}","mapped-copy":{{"image":"img","layer":"{}"}}}}"#,
        container.layer_id, mapped[0]
    );

    // Committed (the container is recorded): everything stays.
    test.plant_intent(&intent);
    let (layers, _, containers) = test.after_reopen();
    assert_eq!(layers.len(), 3);
    assert_eq!(containers, strings(&["ctr"]));

    // Killed before the container record was saved: the copy goes too.
    test.plant_intent(&intent);
    test.drop_record(CONTAINERS_JSON, "ctr");
    assert_eq!(
        test.after_reopen(),
        (strings(&["top"]), strings(&["img"]), vec![])
    );
    assert!(
        test.store
            .image("img")
            .unwrap()
            .record
            .mapped_top_layers
            .is_empty()
    );
}
