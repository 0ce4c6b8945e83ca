//! Record files: one JSON metadata file, its lock, and the records loaded
//! from it. Layers, images and containers share this machinery.

mod record_file;

pub use record_file::{Kind, RecordFile};
