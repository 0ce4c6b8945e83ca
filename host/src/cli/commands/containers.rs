//! Container commands: `create-container`, `containers`, `container`,
//! `get-container-dir`, `get-container-run-dir`.

use super::output::container_record;
use super::{CommandResult, Ctx, idmap, metadata_option, names_option, non_empty, size_line};
use crate::{Container, ContainerOptions, Image, Store};

/// `create-container IMAGE`: prints the ID and `\t<name>` per name with no
/// newline after the names (as 1.43 does), or the record.
pub(super) fn create(ctx: &mut Ctx<'_>) -> CommandResult {
    let metadata = metadata_option(ctx)?;
    let mappings = idmap::from_flags(ctx)?;
    let options = ContainerOptions {
        uid_map: mappings.uid_map,
        gid_map: mappings.gid_map,
        host_uid_mapping: mappings.host_uid,
        host_gid_mapping: mappings.host_gid,
        mount_label: None,
        process_label: None,
        volatile: ctx.inv.flags.volatile,
    };
    let id = non_empty(ctx.inv.flags.id.as_str());
    let image = Some(ctx.arg(0));
    let container =
        ctx.store
            .create_container(id, &names_option(ctx), image, None, &metadata, &options)?;
    ctx.print_created(&container.id, &container.names, "", || {
        container_record(&container)
    });
    Ok(())
}

/// `containers`: every container with its names and data items.
pub(super) fn list(ctx: &mut Ctx<'_>) -> CommandResult {
    let containers = ctx.store.containers()?;
    if ctx.json() {
        let records: Vec<_> = containers.iter().map(container_record).collect();
        ctx.print_json_array(&records, false);
        return Ok(());
    }
    let mut text = String::new();
    for container in &containers {
        text.push_str(&format!("{}\n", container.id));
        for name in &container.names {
            text.push_str(&format!("\tname: {name}\n"));
        }
        for name in &container.big_data_names {
            text.push_str(&format!("\tdata: {name}\n"));
        }
    }
    ctx.print(text);
    Ok(())
}

/// `container REF...`: details (and size) of each container found.
pub(super) fn examine(ctx: &mut Ctx<'_>) -> CommandResult {
    let images = ctx.store.images()?;
    super::examine(
        ctx,
        Store::container,
        container_record,
        |store, container| describe_container(store, container, &images),
    )
}

fn describe_container(store: &mut Store, container: &Container, images: &[Image]) -> String {
    let mut text = format!("ID: {}\n", container.id);
    for name in &container.names {
        text.push_str(&format!("Name: {name}\n"));
    }
    text.push_str(&format!("Image: {}\n", container.image_id));
    if let Some(image) = images.iter().find(|image| image.id == container.image_id) {
        for name in &image.names {
            text.push_str(&format!("Image name: {name}\n"));
        }
    }
    text.push_str(&size_line(store.container_size(&container.id)));
    text.push_str(&format!("Layer: {}\n", container.layer_id));
    for name in &container.big_data_names {
        text.push_str(&format!("Data: {name}\n"));
    }
    text
}
