//! `create-storage-layer` and `storage-layers` (newer containers/storage):
//! layer trees the driver holds with or without a layer record.

use super::{CommandResult, Ctx, layers, non_empty};

/// `create-storage-layer [parent]`: prints the new tree's ID (a JSON
/// string with `--json`), as upstream.
pub(super) fn create(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = layers::layer_options(ctx)?;
    let id = non_empty(ctx.inv.flags.id.as_str());
    let parent = ctx.inv.args.first().map(String::as_str);
    let id = ctx.store.create_storage_layer(id, parent, &options)?;
    if ctx.json() {
        ctx.print_json(&id);
    } else {
        ctx.print(format!("{id}\n"));
    }
    Ok(())
}

/// `storage-layers`: one tree ID per line, or a JSON array (`[]` when
/// there is none: upstream encodes an empty, non-nil slice).
pub(super) fn list(ctx: &mut Ctx<'_>) -> CommandResult {
    let trees = ctx.store.storage_layers()?;
    ctx.print_list(&trees, false);
    Ok(())
}
