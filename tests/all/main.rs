//! graphstore's black-box suites, linked as one test binary (wasmtime is
//! linked once, not once per suite): the Rust API, hostile input,
//! interoperation and differential tests against containers-storage 1.43,
//! concurrency, blobs and leases, layer contents, hostile archives, and the
//! WASI-only component.

mod common;

mod blobs_leases;
mod check;
mod compat143;
mod composed_client;
mod compressed_imports;
mod concurrency;
mod crash;
mod differential;
mod embedders;
mod hostile;
mod hostile_tars;
mod interop;
mod layers;
mod newer_commands;
mod non_utf8_names;
mod portable;
mod real_clients;
mod store_api;
mod store_modes;
mod tenants;
