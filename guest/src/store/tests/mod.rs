//! The store rules, run natively (the `native` disk backend) on a
//! temporary directory: no wasmtime, no component.

mod big_data;
mod check;
mod copying;
mod deletion;
mod fixture;
mod hostile_disk;
mod layers_content;
mod layers_formats;
mod leases;
mod listing;
mod naming;
mod records;
mod recovery;
mod smoke;
mod store_modes;
mod tar;
