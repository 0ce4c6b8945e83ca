//! Host side of the `hashing` interface: SHA-256 on the host CPU (with its
//! SHA instructions where present) for data the component streams through.

use crate::bindings::graphstore::store::hashing::{Host, HostSha256};
use sha2::Digest as _;
use wasmtime::component::{HasData, Resource, ResourceTable};

/// A running SHA-256 owned by the component (the `sha256` resource).
#[derive(Default)]
pub struct Sha256 {
    hasher: sha2::Sha256,
}

/// What the `hashing` interface reaches of a tenant's state: its resource
/// table (the running hashes).
pub struct HashingView<'a> {
    pub(crate) table: &'a mut ResourceTable,
}

/// Marks the `hashing` interface for `add_to_linker`.
pub struct Hashing;

impl HasData for Hashing {
    type Data<'a> = HashingView<'a>;
}

impl Host for HashingView<'_> {}

impl HostSha256 for HashingView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<Sha256>> {
        Ok(self.table.push(Sha256::default())?)
    }

    fn update(&mut self, handle: Resource<Sha256>, data: Vec<u8>) -> wasmtime::Result<()> {
        self.table.get_mut(&handle)?.hasher.update(&data);
        Ok(())
    }

    fn digest(&mut self, handle: Resource<Sha256>) -> wasmtime::Result<Vec<u8>> {
        Ok(self.table.get(&handle)?.hasher.clone().finalize().to_vec())
    }

    fn drop(&mut self, handle: Resource<Sha256>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        Ok(())
    }
}
