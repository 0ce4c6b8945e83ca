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
    /// The layer's unique ID (`id`): the one given at creation, else 64 random hex digits.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// Optional names the layer can also be looked up by (`names`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names: Vec<String>,
    /// ID of the layer this one is based on (`parent`); empty for a base layer.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub parent: String,
    /// Free-form data the caller attached to the layer (`metadata`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub metadata: String,
    /// SELinux label to mount the layer with (`mountlabel`).
    #[serde(
        rename = "mountlabel",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub mount_label: String,
    /// When the layer was created (`created`).
    #[serde(default)]
    pub created: Timestamp,
    /// Digest of the diff as it was supplied, possibly compressed (`compressed-diff-digest`).
    #[serde(
        rename = "compressed-diff-digest",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub compressed_digest: String,
    /// Length in bytes of the diff as supplied (`compressed-size`).
    #[serde(
        rename = "compressed-size",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub compressed_size: i64,
    /// Digest of the uncompressed diff, the layer's "DiffID" (`diff-digest`).
    #[serde(
        rename = "diff-digest",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub uncompressed_digest: String,
    /// Length in bytes of the uncompressed diff (`diff-size`).
    #[serde(
        rename = "diff-size",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub uncompressed_size: i64,
    /// Compression detected on the applied diff (`compression`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_zero"
    )]
    pub compression: Compression,
    /// Sorted distinct UIDs of the applied diff's tar headers (`uidset`).
    #[serde(
        rename = "uidset",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uid_set: Vec<u32>,
    /// Sorted distinct GIDs of the applied diff's tar headers (`gidset`).
    #[serde(
        rename = "gidset",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gid_set: Vec<u32>,
    /// Free-form named values (`flags`), e.g. `incomplete` while being created or deleted.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Flags::is_empty"
    )]
    pub flags: Flags,
    /// UID mapping the layer's files are owned under (`uidmap`); empty for none.
    #[serde(
        rename = "uidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uid_map: Vec<IdMap>,
    /// GID mapping the layer's files are owned under (`gidmap`); empty for none.
    #[serde(
        rename = "gidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gid_map: Vec<IdMap>,
    /// Keys of the data items attached to the layer (`big-data-names`).
    #[serde(
        rename = "big-data-names",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
}

super::impl_record!(Layer);
