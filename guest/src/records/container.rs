//! A container record (`containers.json`).

use super::{Flags, IdMap, nullable};
use crate::format::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A container as stored in `containers.json`; field order is the file's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Container {
    /// The container's unique ID (`id`): the one given at creation, else 64 random hex digits.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// Optional names the container can also be looked up by (`names`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names: Vec<String>,
    /// Always written, even when empty.
    #[serde(rename = "image", default, deserialize_with = "nullable")]
    pub image_id: String,
    /// Always written, even when empty.
    #[serde(rename = "layer", default, deserialize_with = "nullable")]
    pub layer_id: String,
    /// Free-form data the caller attached to the container (`metadata`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub metadata: String,
    /// Keys of the data items attached to the container (`big-data-names`).
    #[serde(
        rename = "big-data-names",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
    /// Length in bytes of each data item, by key (`big-data-sizes`).
    #[serde(
        rename = "big-data-sizes",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_sizes: BTreeMap<String, i64>,
    /// Digest of each data item, by key (`big-data-digests`).
    #[serde(
        rename = "big-data-digests",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_digests: BTreeMap<String, String>,
    /// When the container was created (`created`).
    #[serde(default)]
    pub created: Timestamp,
    /// UID mapping of the container's user namespace (`uidmap`); empty for none.
    #[serde(
        rename = "uidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub uid_map: Vec<IdMap>,
    /// GID mapping of the container's user namespace (`gidmap`); empty for none.
    #[serde(
        rename = "gidmap",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gid_map: Vec<IdMap>,
    /// Free-form named values (`flags`): `MountLabel`, `ProcessLabel`, `Volatile`…
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Flags::is_empty"
    )]
    pub flags: Flags,
}

super::impl_record!(Container);
