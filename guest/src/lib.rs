//! graphstore's store logic: containers/storage 1.43 (vfs driver) semantics
//! and on-disk format, built as a WebAssembly component.
//!
//! # Security model
//! The component reaches the disk only through directory capabilities: the
//! graph root, the run root and any additional image stores arrive as WASI
//! preopens; every other directory is opened from one of them; every name the
//! store joins onto a directory is checked to be one path component
//! ([`disk::check_component`]); big-data keys are encoded into safe file
//! names ([`ident::big_data`]). Lock files and POSIX metadata go through host
//! interfaces that take a directory capability, never a path of the guest's
//! choosing. Pure modules ([`format`], [`records`], [`ident`],
//! [`file_type`]) do no I/O and are shared with the host for output
//! formatting.

pub mod archive;
pub mod changes;
pub mod error;
pub mod file_type;
pub mod format;
pub mod ident;
pub mod records;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
pub mod disk;
pub mod platform;
pub mod store;
pub mod stores;

#[cfg(target_arch = "wasm32")]
mod component;
