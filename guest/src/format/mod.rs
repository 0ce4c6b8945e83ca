//! Byte-level formats of containers/storage 1.43: Go-compatible JSON and RFC 3339 times.
//! Pure functions over bytes and strings; no I/O.

pub mod go_json;
pub mod timestamp;
