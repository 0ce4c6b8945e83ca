//! Host bindings generated from `wit/`. WASI types map to wasmtime-wasi's
//! synchronous bindings; the `lock-file` resource is [`graphstore_posix::LockFile`], the
//! `sha256` resource [`crate::hashing::Sha256`], the `decoder` resource
//! [`crate::decoding::Decoder`].

#![allow(missing_docs)] // generated code

wasmtime::component::bindgen!({
    path: "../wit",
    world: "graphstore",
    with: {
        "wasi": wasmtime_wasi::p2::bindings::sync,
        "graphstore:store/locking.lock-file": graphstore_posix::LockFile,
        "graphstore:store/hashing.sha256": crate::hashing::Sha256,
        "graphstore:store/decoding.decoder": crate::decoding::Decoder,
    },
    imports: {
        // A bad handle is a component bug: it traps rather than answering.
        "graphstore:store/hashing": trappable,
        "graphstore:store/decoding": trappable,
        "graphstore:store/locking": trappable,
        "graphstore:store/posix": trappable,
    },
    require_store_data_send: true,
    additional_derives: [PartialEq, Eq],
});
