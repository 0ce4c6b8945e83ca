//! Layer commands: `create-layer`, `layers`, `layer`.

use super::output::{self, TreeNode, layer_record};
use super::{CommandResult, Ctx, idmap, image_layers, names_option, non_empty};
use crate::{Container, Image, Layer, LayerOptions, Store};
use std::collections::HashMap;

/// `create-layer [parent]`: prints the ID and `\t<name>` lines, or the record.
pub(super) fn create(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = layer_options(ctx)?;
    let id = non_empty(ctx.inv.flags.id.as_str());
    let parent = ctx.inv.args.first().map(String::as_str);
    let layer = ctx
        .store
        .create_layer(id, parent, &names_option(ctx), &options)?;
    print_layer_created(ctx, &layer);
    Ok(())
}

/// The layer options of `create-layer` and `import-layer` flags.
pub(super) fn layer_options(ctx: &Ctx<'_>) -> Result<LayerOptions, super::Failure> {
    let mappings = idmap::from_flags(ctx)?;
    Ok(LayerOptions {
        mount_label: ctx.inv.flags.label.as_str().to_string(),
        uid_map: mappings.uid_map,
        gid_map: mappings.gid_map,
        host_uid_mapping: mappings.host_uid,
        host_gid_mapping: mappings.host_gid,
        read_only: ctx.inv.flags.readonly,
    })
}

/// Prints a new layer as `create-layer` and `import-layer` do.
pub(super) fn print_layer_created(ctx: &mut Ctx<'_>, layer: &Layer) {
    ctx.print_created(&layer.id, &layer.names, "\n", || layer_record(layer));
}

/// `layers [-t]`: every layer with the images and container using it.
pub(super) fn list(ctx: &mut Ctx<'_>) -> CommandResult {
    let layers = ctx.store.layers()?;
    if ctx.json() {
        let records: Vec<_> = layers.iter().map(layer_record).collect();
        ctx.print_json_array(&records, false);
        return Ok(());
    }
    let images = ctx.store.images().unwrap_or_default();
    let containers = ctx.store.containers().unwrap_or_default();
    let users = LayerUsers::new(&images, &containers);
    if ctx.inv.flags.tree {
        let nodes: Vec<TreeNode> = layers.iter().map(|layer| users.tree_node(layer)).collect();
        ctx.print(output::render_tree(&nodes));
    } else {
        let text: String = layers.iter().map(|layer| users.describe(layer)).collect();
        ctx.print(text);
    }
    Ok(())
}

/// Which images and container use each layer, as `layers` reports them.
struct LayerUsers<'a> {
    images: HashMap<&'a str, Vec<&'a Image>>,
    containers: HashMap<&'a str, &'a Container>,
}

impl<'a> LayerUsers<'a> {
    fn new(images: &'a [Image], containers: &'a [Container]) -> Self {
        let mut by_layer: HashMap<&str, Vec<&Image>> = HashMap::new();
        for image in images {
            for layer in image_layers(image) {
                by_layer.entry(layer).or_default().push(image);
            }
        }
        // A later container with the same layer replaces an earlier one, as in 1.43.
        let containers = containers
            .iter()
            .map(|container| (container.layer_id.as_str(), container))
            .collect();
        LayerUsers {
            images: by_layer,
            containers,
        }
    }

    fn images_of(&self, layer: &Layer) -> &[&'a Image] {
        self.images
            .get(layer.id.as_str())
            .map_or(&[], Vec::as_slice)
    }

    /// The plain listing of one layer.
    fn describe(&self, layer: &Layer) -> String {
        let mut text = format!("{}\n", layer.id);
        for name in &layer.names {
            text.push_str(&format!("\tname: {name}\n"));
        }
        for image in self.images_of(layer) {
            text.push_str(&format!("\timage: {}\n", image.id));
            for name in &image.names {
                text.push_str(&format!("\t\tname: {name}\n"));
            }
        }
        if let Some(container) = self.containers.get(layer.id.as_str()) {
            text.push_str(&format!("\tcontainer: {}\n", container.id));
            for name in &container.names {
                text.push_str(&format!("\t\tname: {name}\n"));
            }
        }
        text
    }

    /// One layer as a `--tree` node.
    fn tree_node(&self, layer: &Layer) -> TreeNode {
        let mut notes: Vec<String> = layer
            .names
            .iter()
            .map(|name| format!("name: {name}"))
            .collect();
        if !layer.mount_point.is_empty() {
            notes.push(format!("mount: {}", layer.mount_point));
        }
        for image in self.images_of(layer) {
            notes.push(format!("image: {}", image.id));
            notes.extend(image.names.iter().map(|name| format!("image name: {name}")));
        }
        if let Some(container) = self.containers.get(layer.id.as_str()) {
            notes.push(format!("container: {}", container.id));
            notes.extend(
                container
                    .names
                    .iter()
                    .map(|name| format!("container name: {name}")),
            );
        }
        TreeNode {
            parent: layer.parent.clone().unwrap_or_else(|| "(base)".into()),
            child: layer.id.clone(),
            notes,
        }
    }
}

/// `layer REF...`: details of each layer found; fails if any was not.
pub(super) fn examine(ctx: &mut Ctx<'_>) -> CommandResult {
    super::examine(ctx, Store::layer, layer_record, |_, layer| {
        describe_layer(layer)
    })
}

fn describe_layer(layer: &Layer) -> String {
    let mut text = format!("ID: {}\n", layer.id);
    for (label, maps) in [("UID", &layer.uid_map), ("GID", &layer.gid_map)] {
        for map in maps {
            text.push_str(&format!(
                "{label} mapping: (container={}, host={}, size={})\n",
                map.container_id, map.host_id, map.size
            ));
        }
    }
    if let Some(parent) = layer.parent.as_deref().and_then(non_empty) {
        text.push_str(&format!("Parent: {parent}\n"));
    }
    for name in &layer.names {
        text.push_str(&format!("Name: {name}\n"));
    }
    if layer.read_only {
        text.push_str("Read Only: true\n");
    }
    text
}
