//! Bindings generated from `wit/` (component builds only): the exported
//! `types` / `store-api` interfaces and, with the host backend, the host
//! imports (`locking`, `posix`, `hashing`, `host-info`). WASI types come
//! from `wasip2`. Only `disk`, `platform` and `component` use them.

#![allow(missing_docs)] // generated code

#[cfg(not(feature = "wasi-only"))]
wit_bindgen::generate!({
    path: "../wit",
    world: "graphstore",
    with: {
        "wasi:filesystem/types@0.2.12": wasip2::filesystem::types,
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
        "wasi:clocks/wall-clock@0.2.12": wasip2::clocks::wall_clock,
    },
    pub_export_macro: true,
});

#[cfg(feature = "wasi-only")]
wit_bindgen::generate!({
    path: "../wit",
    world: "graphstore-portable",
    with: {
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
    },
    pub_export_macro: true,
});
