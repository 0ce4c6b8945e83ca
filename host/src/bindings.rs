//! Host bindings generated from `wit/`. WASI types map to wasmtime-wasi's
//! synchronous bindings; the `lock-file` resource is [`graphstore_posix::LockFile`], the
//! `sha256` resource [`crate::hashing::Sha256`].

wasmtime::component::bindgen!({
    path: "../wit",
    world: "graphstore",
    with: {
        "wasi": wasmtime_wasi::p2::bindings::sync,
        "graphstore:store/locking.lock-file": graphstore_posix::LockFile,
        "graphstore:store/hashing.sha256": crate::hashing::Sha256,
    },
    imports: {
        // Only a broken handle can fail here; that traps rather than panics.
        "graphstore:store/hashing": trappable,
    },
    require_store_data_send: true,
    additional_derives: [PartialEq, Eq],
});
