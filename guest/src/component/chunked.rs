//! The chunked forms of the streaming operations (WIT resources
//! `layer-writer`, `blob-writer`, `byte-reader`): for embedders that
//! cannot construct `wasi:io` streams (jco, wasmtime-py). Bytes pushed in
//! are kept in an unnamed scratch file until `finish` runs the operation
//! under its locks; bytes read out are produced at once into one. Memory
//! holds one chunk at a time; no lock is held between calls.

use super::{WitResult, error_to_wit, layer_to_wit};
use crate::bindings::exports::graphstore::store::store_api::{
    GuestBlobWriter, GuestByteReader, GuestLayerWriter,
};
use crate::bindings::exports::graphstore::store::types as wit;
use crate::disk::{FileReader, Input, Output, Spool};
use crate::error::{ErrorKind, StoreError};
use crate::store::{self, Store};
use std::cell::RefCell;
use std::rc::Rc;

/// Largest chunk a writer accepts and a reader may be asked for.
pub const MAX_CHUNK_BYTES: u32 = 4 << 20;

/// An open store shared by its resource and the writers and readers it started.
pub type SharedStore = Rc<RefCell<Store>>;

/// Refuses a chunk size above [`MAX_CHUNK_BYTES`].
fn check_chunk(len: usize) -> WitResult<()> {
    if len > MAX_CHUNK_BYTES as usize {
        return Err(error_to_wit(StoreError::with_context(
            ErrorKind::ChunkTooLarge,
            format_args!("{len} bytes, at most {MAX_CHUNK_BYTES}"),
        )));
    }
    Ok(())
}

/// The error for a writer used after `finish`.
fn used_up(what: &str) -> wit::Error {
    error_to_wit(StoreError::invalid(format!(
        "this {what} was finished already"
    )))
}

/// Appends `chunk` to the spool of a writer that is not used up.
fn append(spool: &RefCell<Option<Spool>>, chunk: &[u8], what: &str) -> WitResult<()> {
    check_chunk(chunk.len())?;
    let mut spool = spool.borrow_mut();
    let spool = spool.as_mut().ok_or_else(|| used_up(what))?;
    spool.append(chunk).map_err(|err| error_to_wit(err.into()))
}

/// Where a layer writer's diff goes.
pub enum LayerTarget {
    /// A new layer (`put-layer`'s arguments).
    New {
        /// Requested ID.
        id: Option<String>,
        /// Parent layer.
        parent: Option<String>,
        /// Names of the new layer.
        names: Vec<String>,
        /// Its options.
        options: store::LayerOptions,
    },
    /// An existing layer (`apply-diff`'s target).
    Existing(String),
}

/// A `layer-writer`: a diff pushed in chunks, applied by `finish`.
pub struct LayerWriter {
    store: SharedStore,
    target: LayerTarget,
    spool: RefCell<Option<Spool>>,
}

impl LayerWriter {
    /// A writer for `target` of `store`: refused at once when the store is
    /// read-only or the layer it names (the parent, or the layer to apply
    /// to) is unknown; `finish` checks everything again under the locks.
    pub fn start(store: &SharedStore, target: LayerTarget) -> WitResult<LayerWriter> {
        let mut borrowed = store.borrow_mut();
        let named = match &target {
            LayerTarget::New { parent, .. } => parent.as_deref().filter(|p| !p.is_empty()),
            LayerTarget::Existing(to) => Some(to.as_str()),
        };
        if let Some(reference) = named {
            borrowed.layer(reference).map_err(error_to_wit)?;
        }
        let spool = borrowed.input_spool().map_err(error_to_wit)?;
        drop(borrowed);
        Ok(LayerWriter {
            store: store.clone(),
            target,
            spool: RefCell::new(Some(spool)),
        })
    }
}

impl GuestLayerWriter for LayerWriter {
    fn write(&self, chunk: Vec<u8>) -> WitResult<()> {
        append(&self.spool, &chunk, "layer-writer")
    }

    fn finish(&self) -> WitResult<wit::Layer> {
        let spool = self
            .spool
            .borrow_mut()
            .take()
            .ok_or_else(|| used_up("layer-writer"))?;
        let mut diff = spool.into_reader();
        let mut store = self.store.borrow_mut();
        let layer = match &self.target {
            LayerTarget::New {
                id,
                parent,
                names,
                options,
            } => store.put_layer(
                id.as_deref(),
                parent.as_deref(),
                names.clone(),
                options,
                Input::reader(&mut diff),
            ),
            LayerTarget::Existing(to) => store
                .apply_diff(to, Input::reader(&mut diff))
                .and_then(|_| store.layer(to)),
        };
        layer.map(layer_to_wit).map_err(error_to_wit)
    }
}

/// A `blob-writer`: a blob pushed in chunks, stored by `finish`.
pub struct BlobWriter {
    store: SharedStore,
    spool: RefCell<Option<Spool>>,
}

impl BlobWriter {
    /// A writer for a new blob of `store` (refused when the store is read-only).
    pub fn start(store: &SharedStore) -> WitResult<BlobWriter> {
        let spool = store.borrow_mut().input_spool().map_err(error_to_wit)?;
        Ok(BlobWriter {
            store: store.clone(),
            spool: RefCell::new(Some(spool)),
        })
    }
}

impl GuestBlobWriter for BlobWriter {
    fn write(&self, chunk: Vec<u8>) -> WitResult<()> {
        append(&self.spool, &chunk, "blob-writer")
    }

    fn finish(&self) -> WitResult<String> {
        let spool = self
            .spool
            .borrow_mut()
            .take()
            .ok_or_else(|| used_up("blob-writer"))?;
        self.store
            .borrow_mut()
            .put_blob(&mut spool.into_reader())
            .map_err(error_to_wit)
    }
}

/// A `byte-reader`: what an operation wrote, handed out in chunks.
pub struct ByteReader {
    reader: RefCell<FileReader>,
    size: u64,
}

impl ByteReader {
    /// Runs `produce` on `store` with a scratch file as its output (under
    /// whatever locks it takes), then reads that file back.
    pub fn produce(
        store: &SharedStore,
        produce: impl FnOnce(&mut Store, &mut Output<'_>) -> crate::error::Result<()>,
    ) -> WitResult<ByteReader> {
        let mut store = store.borrow_mut();
        let mut spool = store.output_spool().map_err(error_to_wit)?;
        produce(&mut store, &mut Output::writer(&mut spool)).map_err(error_to_wit)?;
        Ok(ByteReader {
            size: spool.len(),
            reader: RefCell::new(spool.into_reader()),
        })
    }
}

impl GuestByteReader for ByteReader {
    fn read(&self, max: u32) -> WitResult<Vec<u8>> {
        if max == 0 {
            return Err(error_to_wit(StoreError::invalid(
                "a read of 0 bytes: ask for 1 or more",
            )));
        }
        check_chunk(max as usize)?;
        let mut reader = self.reader.borrow_mut();
        let mut bytes = Vec::new();
        while bytes.len() < max as usize {
            let chunk = reader
                .read_up_to((max as usize - bytes.len()) as u64)
                .map_err(|err| error_to_wit(err.into()))?;
            if chunk.is_empty() {
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    fn size(&self) -> u64 {
        self.size
    }
}
