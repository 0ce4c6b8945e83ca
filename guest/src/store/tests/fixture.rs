//! A store on a fresh temporary graph root and run root.

use crate::disk::Input;
use crate::error::ErrorKind;
use crate::records::Container;
use crate::store::{
    ContainerOptions, ImageOptions, ImageView, LayerOptions, LayerView, Store, StoreOptions,
    VFS_DRIVER,
};

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

/// Owned strings from string literals.
pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `sha256:` and the hex SHA-256 of `bytes`, computed independently of the store.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A syntactically valid digest made of one repeated hex digit.
pub fn fake_digest(digit: char) -> String {
    format!("sha256:{}", digit.to_string().repeat(64))
}

impl TestStore {
    /// Creates an empty layer `id` on `parent`.
    pub fn layer(&mut self, id: &str, parent: Option<&str>) -> LayerView {
        self.store
            .create_layer(Some(id), parent, Vec::new(), &LayerOptions::default())
            .expect("create layer")
    }

    /// Imports `tar` as layer `id` on `parent` (the import must succeed).
    pub fn put_layer(&mut self, id: &str, parent: Option<&str>, tar: &[u8]) -> LayerView {
        self.store
            .put_layer(
                Some(id),
                parent,
                Vec::new(),
                &LayerOptions::default(),
                Input::reader(&mut &tar[..]),
            )
            .expect("import layer")
    }

    /// Creates image `id` named `names` on top layer `layer`.
    pub fn image(&mut self, id: &str, names: &[&str], layer: Option<&str>) -> ImageView {
        self.store
            .create_image(
                Some(id),
                strings(names),
                layer,
                "",
                &ImageOptions::default(),
            )
            .expect("create image")
    }

    /// Creates container `id` named `names` from `image`, its layer `layer`.
    pub fn container(
        &mut self,
        id: &str,
        names: &[&str],
        image: Option<&str>,
        layer: Option<&str>,
    ) -> Container {
        self.store
            .create_container(
                Some(id),
                strings(names),
                image,
                layer,
                "",
                &ContainerOptions::default(),
            )
            .expect("create container")
    }

    /// Contents of the file at `relative` under the temporary directory.
    pub fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.path(relative)).unwrap_or_else(|err| panic!("{relative}: {err}"))
    }

    /// Whether anything (even a dangling symlink) exists at `relative`.
    pub fn exists(&self, relative: &str) -> bool {
        self.path(relative).symlink_metadata().is_ok()
    }

    /// Sorted entry names of the directory at `relative`.
    pub fn entries(&self, relative: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(relative))
            .unwrap_or_else(|err| panic!("{relative}: {err}"))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// IDs of every layer, in store order.
    pub fn layer_ids(&mut self) -> Vec<String> {
        let layers = self.store.list_layers().expect("list layers");
        layers.into_iter().map(|layer| layer.record.id).collect()
    }

    /// IDs of every image, in store order.
    pub fn image_ids(&mut self) -> Vec<String> {
        let images = self.store.list_images().expect("list images");
        images.into_iter().map(|image| image.record.id).collect()
    }

    /// IDs of every container, in store order.
    pub fn container_ids(&mut self) -> Vec<String> {
        let containers = self.store.list_containers().expect("list containers");
        containers
            .into_iter()
            .map(|container| container.id)
            .collect()
    }
}

/// The kind and message of a failed store call (panics on success).
pub fn failure<T: std::fmt::Debug>(result: crate::error::Result<T>) -> (ErrorKind, String) {
    let err = result.expect_err("the call should fail");
    (err.kind, err.message)
}
