//! `config` (newer containers/storage): prints the library's default store
//! options as JSON, in the shape of storage v1.62's `types.StoreOptions`.
//!
//! Upstream prints what `storage.conf` (or the file given as argument)
//! configures, not the options of the invocation. graphstore reads no
//! `storage.conf`: its defaults are [`crate::StoreOptions::default_roots`]
//! and the vfs driver, so that is what it prints; a configuration file
//! argument is refused by name instead of being silently ignored.

use super::{CommandResult, Ctx, Failure};
use crate::StoreOptions;
use serde::Serialize;

/// The JSON of v1.62's `types.StoreOptions`: its field order and tags,
/// empty values left out where upstream's tags say `omitempty`.
#[derive(Debug, Serialize)]
struct ConfigJson<'a> {
    #[serde(rename = "runroot", skip_serializing_if = "str::is_empty")]
    run_root: &'a str,
    #[serde(rename = "root", skip_serializing_if = "str::is_empty")]
    graph_root: &'a str,
    #[serde(rename = "imagestore", skip_serializing_if = "str::is_empty")]
    image_store: &'a str,
    #[serde(rename = "driver", skip_serializing_if = "str::is_empty")]
    driver: &'a str,
    #[serde(rename = "driver-options", skip_serializing_if = "<[_]>::is_empty")]
    driver_options: &'a [String],
    #[serde(rename = "uidmap", skip_serializing_if = "Vec::is_empty")]
    uid_map: Vec<IdMapJson>,
    #[serde(rename = "gidmap", skip_serializing_if = "Vec::is_empty")]
    gid_map: Vec<IdMapJson>,
    /// No JSON tag upstream, so always present; `null` when unset.
    #[serde(rename = "PullOptions")]
    pull_options: Option<()>,
    #[serde(rename = "transient_store", skip_serializing_if = "is_false")]
    transient_store: bool,
}

/// One ID map range as upstream's `idtools.IDMap` encodes it.
#[derive(Debug, Serialize)]
struct IdMapJson {
    container_id: u32,
    host_id: u32,
    size: u32,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn id_maps(maps: &[crate::IdMap]) -> Vec<IdMapJson> {
    maps.iter()
        .map(|map| IdMapJson {
            container_id: map.container_id,
            host_id: map.host_id,
            size: map.size,
        })
        .collect()
}

/// The JSON line `config` prints for `options`.
pub(crate) fn config_json(options: &StoreOptions) -> String {
    let run_root = options.run_root.to_string_lossy();
    let graph_root = options.graph_root.to_string_lossy();
    let image_store = options
        .image_store
        .as_deref()
        .map(|path| path.to_string_lossy())
        .unwrap_or_default();
    crate::cli::output::json_line(&ConfigJson {
        run_root: &run_root,
        graph_root: &graph_root,
        image_store: &image_store,
        driver: &options.driver_name,
        driver_options: &options.driver_options,
        uid_map: id_maps(&options.uid_map),
        gid_map: id_maps(&options.gid_map),
        pull_options: None,
        transient_store: options.transient_store,
    })
}

/// `config [configurationFile]`.
pub(super) fn config(ctx: &mut Ctx<'_>) -> CommandResult {
    if let Some(file) = ctx.inv.args.first() {
        return Err(Failure::Message(format!(
            "load default options: graphstore does not read storage.conf files ({file}); its defaults are built in"
        )));
    }
    let text = config_json(&StoreOptions::default_roots());
    ctx.print(text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_json_follows_upstream_field_order_and_omissions() {
        let mut options = StoreOptions::new("/g", "/r");
        assert_eq!(
            config_json(&options),
            "{\"runroot\":\"/r\",\"root\":\"/g\",\"driver\":\"vfs\",\"PullOptions\":null}\n"
        );
        options.image_store = Some("/i".into());
        options.transient_store = true;
        options.driver_options = vec!["vfs.sync=filesystem".into()];
        options.uid_map = vec![crate::IdMap {
            container_id: 0,
            host_id: 1000,
            size: 1,
        }];
        assert_eq!(
            config_json(&options),
            "{\"runroot\":\"/r\",\"root\":\"/g\",\"imagestore\":\"/i\",\"driver\":\"vfs\",\
             \"driver-options\":[\"vfs.sync=filesystem\"],\
             \"uidmap\":[{\"container_id\":0,\"host_id\":1000,\"size\":1}],\
             \"PullOptions\":null,\"transient_store\":true}\n"
        );
    }
}
