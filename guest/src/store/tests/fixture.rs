//! A store on a fresh temporary graph root and run root.

use crate::store::{Store, StoreOptions, VFS_DRIVER};

/// A native store and the directory holding its roots (removed on drop).
pub struct TestStore {
    /// The open store.
    pub store: Store,
    /// Holds `graph/` and `run/`.
    pub dir: tempfile::TempDir,
}

impl TestStore {
    /// A store on empty roots.
    pub fn new() -> TestStore {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open_native(Self::options(&dir)).expect("open the store");
        TestStore { store, dir }
    }

    /// The options `new` opened the store with.
    pub fn options(dir: &tempfile::TempDir) -> StoreOptions {
        StoreOptions {
            graph_root: dir.path().join("graph").display().to_string(),
            run_root: dir.path().join("run").display().to_string(),
            driver_name: VFS_DRIVER.to_string(),
            ..StoreOptions::default()
        }
    }

    /// A second store instance on the same roots (another "process").
    pub fn reopen(&self) -> Store {
        Store::open_native(Self::options(&self.dir)).expect("reopen the store")
    }

    /// Path of `relative` under the temporary directory.
    pub fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.path().join(relative)
    }
}
