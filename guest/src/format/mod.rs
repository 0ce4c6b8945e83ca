//! Byte-level formats of containers/storage 1.43: Go-compatible JSON, RFC 3339
//! times, Go's quoting and log lines.
//! Pure functions over bytes and strings; no I/O.

pub mod go;
pub mod go_json;
pub mod timestamp;
