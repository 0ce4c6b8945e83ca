//! Host side of the `hashing` interface: SHA-256 on the host CPU (with its
//! SHA instructions where present) for data the component streams through.

use crate::bindings::graphstore::store::hashing::{Host, HostSha256};
use crate::state::HostState;
use sha2::Digest as _;
use wasmtime::component::Resource;

/// A running SHA-256 owned by the component (the `sha256` resource).
#[derive(Default)]
pub struct Sha256 {
    hasher: sha2::Sha256,
}

impl Host for HostState {}

impl HostSha256 for HostState {
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
