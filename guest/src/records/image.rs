//! An image record (`images.json`).

use super::{Flags, nullable};
use crate::format::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An image as stored in `images.json`; field order is the file's.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Image {
    /// The image's unique ID (`id`): the one given at creation, else 64 random hex digits.
    #[serde(default, deserialize_with = "nullable")]
    pub id: String,
    /// Digest the image can be looked up by (`digest`): given, else its first manifest's.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub digest: String,
    /// Optional names the image can also be looked up by, e.g. tags (`names`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names: Vec<String>,
    /// Names the image has had, most recent first (`names-history`).
    #[serde(
        rename = "names-history",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub names_history: Vec<String>,
    /// ID of the image's topmost layer (`layer`); empty for an image without layers.
    #[serde(
        rename = "layer",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub top_layer: String,
    /// IDs of copies of the top layer made for other ID mappings (`mapped-layers`).
    #[serde(
        rename = "mapped-layers",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub mapped_top_layers: Vec<String>,
    /// Free-form data the caller attached to the image (`metadata`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub metadata: String,
    /// Keys of the data items (manifests, configs…) attached to the image (`big-data-names`).
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
    /// Creation time (`created`): the one given in the options, else when it was created.
    #[serde(default)]
    pub created: Timestamp,
    /// Free-form named values the caller set on the image (`flags`).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Flags::is_empty"
    )]
    pub flags: Flags,
}

super::impl_record!(Image);
