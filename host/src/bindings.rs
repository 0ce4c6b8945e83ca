//! Host bindings generated from `wit/`. WASI types map to wasmtime-wasi's
//! synchronous bindings; the `lock-file` resource is [`crate::locking::LockFile`].

wasmtime::component::bindgen!({
    path: "../wit",
    world: "graphstore",
    with: {
        "wasi": wasmtime_wasi::p2::bindings::sync,
        "graphstore:store/locking.lock-file": crate::locking::LockFile,
    },
    require_store_data_send: true,
    additional_derives: [PartialEq, Eq],
});
