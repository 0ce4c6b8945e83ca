//! The store rules, run natively (the `native` disk backend) on a
//! temporary directory: no wasmtime, no component.

mod fixture;
mod smoke;
