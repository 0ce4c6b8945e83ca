//! Opening a native store lays out 1.43's directories.

use super::fixture::TestStore;

#[test]
fn opening_creates_the_1_43_layout() {
    let test = TestStore::new();
    for dir in [
        "graph/vfs",
        "graph/vfs-images",
        "graph/vfs-containers",
        "graph/mounts",
        "graph/tmp",
        "run/vfs-containers",
        "run/vfs-locks",
    ] {
        assert!(test.path(dir).is_dir(), "{dir}");
    }
    for file in [
        "graph/storage.lock",
        "graph/userns.lock",
        "graph/vfs-images/images.lock",
        "graph/vfs-containers/containers.lock",
    ] {
        assert!(test.path(file).is_file(), "{file}");
    }
}
