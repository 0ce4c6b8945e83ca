//! A container record (`containers.json`).

use super::{Flags, IdMap, nullable};
use crate::format::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A container as stored in `containers.json`; field order is the file's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Container {
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
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
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub metadata: String,
    #[serde(
        rename = "big-data-names",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub big_data_names: Vec<String>,
    #[serde(
        rename = "big-data-sizes",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_sizes: BTreeMap<String, i64>,
    #[serde(
        rename = "big-data-digests",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub big_data_digests: BTreeMap<String, String>,
    #[serde(default)]
    pub created: Timestamp,
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
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Flags::is_empty"
    )]
    pub flags: Flags,
}

super::impl_record!(Container);
