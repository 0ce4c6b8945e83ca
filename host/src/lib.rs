//! graphstore: container storage (layers, images, containers) compatible
//! with containers/storage 1.43, run as a sandboxed WebAssembly component.
//!
//! # Security model
//! Each [`Store`] is its own wasmtime instance whose only filesystem access is
//! the store's graph root, run root (read-write) and additional image stores
//! (read-only), granted as WASI preopens. The host adds what WASI lacks —
//! fcntl locks compatible with containers/storage and POSIX metadata, one
//! private module per WIT interface (`locking`, `posix`, `hashing`,
//! `decoding`, `host_info`), each reaching only its view of the tenant's state — always
//! beneath a directory descriptor the component already holds, never
//! through a path of the component's choosing (the OS code is the
//! `graphstore-posix` crate; those modules are its glue).
//!
//! ```no_run
//! use graphstore::{Store, StoreOptions, ImageOptions};
//! let mut store = Store::open(StoreOptions::new("/tmp/g/graph", "/tmp/g/run"))?;
//! let image = store.create_image(None, &["app:1".into()], None, "", &ImageOptions::default())?;
//! assert_eq!(store.image("app:1")?.id, image.id);
//! # Ok::<(), graphstore::Error>(())
//! ```

pub mod async_store;
mod bindings;
pub mod cli;
mod decoding;
pub mod engine;
pub mod engine_config;
pub mod error;
pub mod fds;
mod hashing;
mod host_info;
pub mod interrupt;
mod listing;
mod locking;
pub mod options;
mod posix;
mod sandbox;
mod state;
pub mod store;
pub mod streams;
pub mod tenants;

pub use async_store::AsyncStore;
pub use error::{Error, ErrorKind};
pub use interrupt::CancelToken;
pub use options::StoreOptions;
pub use state::Limits;
pub use store::Store;
pub use tenants::{Budgets, Tenants};

pub use bindings::exports::graphstore::store::types::{
    Change, ChangeKind, Compression, Container, ContainerOptions, ContainerPage, DataOwner,
    DedupHash, DeletedImage, DiffOptions, Flag, IdMap, Image, ImageOptions, ImagePage, Layer,
    LayerOptions, LayerPage, NewImage, Timestamp,
};
pub use bindings::exports::graphstore::store::types::{
    CheckError, CheckFinding, CheckOptions, CheckProblem, CheckReport, RepairOptions,
};

// The option records are generated from WIT, so `Default` cannot be derived on them.
#[allow(clippy::derivable_impls)]
impl Default for LayerOptions {
    fn default() -> Self {
        LayerOptions {
            mount_label: String::new(),
            uid_map: None,
            gid_map: None,
            host_uid_mapping: false,
            host_gid_mapping: false,
            read_only: false,
        }
    }
}

#[allow(clippy::derivable_impls)]
impl Default for ImageOptions {
    fn default() -> Self {
        ImageOptions {
            digest: None,
            created: None,
        }
    }
}

#[allow(clippy::derivable_impls)]
impl Default for ContainerOptions {
    fn default() -> Self {
        ContainerOptions {
            uid_map: None,
            gid_map: None,
            host_uid_mapping: false,
            host_gid_mapping: false,
            mount_label: None,
            process_label: None,
            volatile: false,
        }
    }
}
