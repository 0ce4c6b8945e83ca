//! The records containers/storage 1.43 persists in `layers.json`,
//! `images.json` and `containers.json`, with its field names, field order
//! and omit-when-empty rules. Parsing and encoding only; no I/O.

mod container;
mod image;
mod layer;

pub use container::Container;
pub use image::Image;
pub use layer::{Compression, Layer};

use crate::format::go_json;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// One ID-mapping range (`container_id`, `host_id`, `size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdMap {
    /// First ID inside the container.
    pub container_id: u32,
    /// First ID on the host.
    pub host_id: u32,
    /// Number of IDs in the range.
    pub size: u32,
}

/// A record's free-form flags; values are whatever JSON was stored.
pub type Flags = BTreeMap<String, serde_json::Value>;

/// Behaviour shared by the three record kinds, used by the generic record set.
pub trait Record: Serialize + DeserializeOwned + Clone {
    /// The record's ID.
    fn id(&self) -> &str;
    /// The record's names.
    fn names(&self) -> &[String];
    /// Replaces the record's names.
    fn set_names(&mut self, names: Vec<String>);
    /// The record's flags.
    fn flags_mut(&mut self) -> &mut Flags;
    /// About how many bytes the record takes in a reply (its variable-size
    /// fields plus [`RECORD_REPLY_OVERHEAD`]): what pages of listings are
    /// cut by.
    fn reply_size(&self) -> usize;
}

/// What [`Record::reply_size`] adds for a record's fixed-size fields,
/// digests, maps and sizes.
pub const RECORD_REPLY_OVERHEAD: usize = 1024;
/// What [`Record::reply_size`] counts per flag.
pub const FLAG_REPLY_SIZE: usize = 64;

/// Implements [`Record`] for a record type with `id`, `names`, `metadata`,
/// `big_data_names` and `flags` fields.
macro_rules! impl_record {
    ($record:ty) => {
        impl $crate::records::Record for $record {
            fn id(&self) -> &str {
                &self.id
            }
            fn names(&self) -> &[String] {
                &self.names
            }
            fn set_names(&mut self, names: Vec<String>) {
                self.names = names;
            }
            fn flags_mut(&mut self) -> &mut $crate::records::Flags {
                &mut self.flags
            }
            fn reply_size(&self) -> usize {
                let strings = |list: &[String]| list.iter().map(String::len).sum::<usize>();
                self.id.len()
                    + strings(&self.names)
                    + strings(&self.big_data_names)
                    + self.metadata.len()
                    + self.flags.len() * $crate::records::FLAG_REPLY_SIZE
                    + $crate::records::RECORD_REPLY_OVERHEAD
            }
        }
    };
}
pub(crate) use impl_record;

/// Parses a metadata file: a JSON array of records. An empty file and `null`
/// both mean "no records". Numbers inside flags are normalised as Go stores them.
pub fn parse_records<T: Record>(bytes: &[u8]) -> serde_json::Result<Vec<T>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let records: Option<Vec<T>> = go_json::from_slice(bytes)?;
    let mut records = records.unwrap_or_default();
    for record in &mut records {
        record
            .flags_mut()
            .values_mut()
            .for_each(go_json::numbers_as_go_floats);
    }
    Ok(records)
}

/// Encodes records as the compact JSON array 1.43 writes (no trailing newline).
pub fn encode_records<T: Record>(records: &[T]) -> Vec<u8> {
    go_json::to_vec(records)
}

/// One record's compact JSON, as it appears in [`encode_records`]'s array.
pub fn encode_record<T: Record>(record: &T) -> Vec<u8> {
    go_json::to_vec(record)
}

/// [`encode_records`] of records held by reference (a subset of a store's).
pub fn encode_records_of<T: Record>(records: &[&T]) -> Vec<u8> {
    go_json::to_vec(records)
}

/// Deserialises `null` as the type's default, as Go's decoder leaves a field
/// untouched (zero) when it reads `null`.
pub(crate) fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `omitempty` for integers.
pub(crate) fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[cfg(test)]
mod tests;
