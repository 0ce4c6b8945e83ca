//! graphstore's black-box suites, linked as one test binary (wasmtime is
//! linked once, not once per suite): the Rust API, hostile input,
//! interoperation and differential tests against containers-storage 1.43,
//! concurrency, blobs and leases, layer contents, hostile archives, and the
//! WASI-only component.

mod common;

mod blobs_leases;
mod concurrency;
mod crash;
mod differential;
mod embedders;
mod hostile;
mod hostile_tars;
mod interop;
mod layers;
mod newer_commands;
mod portable;
mod store_api;
mod tenants;
