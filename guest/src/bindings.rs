//! Bindings generated from `wit/`: host imports (`locking`, `posix`) and the
//! exported `types` / `store-api` interfaces. WASI types come from `wasip2`.

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
