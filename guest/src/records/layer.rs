//! A layer record (`layers.json`).

use super::{Flags, IdMap, is_zero, nullable};
use crate::format::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

/// Compression of a layer's applied diff, stored as 1.43's integer code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum Compression {
    /// 0: not compressed.
    #[default]
    None,
    /// 1: bzip2.
    Bzip2,
    /// 2: gzip.
    Gzip,
    /// 3: xz.
    Xz,
    /// 4: zstd.
    Zstd,
}

impl From<i64> for Compression {
    fn from(code: i64) -> Self {
        match code {
            1 => Compression::Bzip2,
            2 => Compression::Gzip,
            3 => Compression::Xz,
            4 => Compression::Zstd,
            _ => Compression::None,
        }
    }
}

impl From<Compression> for i64 {
    fn from(compression: Compression) -> Self {
        compression as i64
    }
}

/// A layer as stored in `layers.json`; field order is the file's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Layer {
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names: Vec<String>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub parent: String,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub metadata: String,
    #[serde(
        rename = "mountlabel",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub mount_label: String,
    #[serde(default)]
    pub created: Timestamp,
    #[serde(
        rename = "compressed-diff-digest",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub compressed_digest: String,
    #[serde(
        rename = "compressed-size",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub compressed_size: i64,
    #[serde(
        rename = "diff-digest",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub uncompressed_digest: String,
    #[serde(
        rename = "diff-size",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub uncompressed_size: i64,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub compression: Compression,
    #[serde(
        rename = "uidset",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uid_set: Vec<u32>,
    #[serde(
        rename = "gidset",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gid_set: Vec<u32>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Flags::is_empty"
    )]
    pub flags: Flags,
    #[serde(
        rename = "uidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uid_map: Vec<IdMap>,
    #[serde(
        rename = "gidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gid_map: Vec<IdMap>,
    #[serde(
        rename = "big-data-names",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
}

super::impl_record!(Layer);
