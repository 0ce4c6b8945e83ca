//! Image commands: `create-image`, `images`, `images-by-digest`, `image`.

use super::output::image_record;
use super::{
    CommandResult, Ctx, Failure, image_layers, metadata_option, names_option, non_empty, size_line,
};
use crate::{Image, ImageOptions, Store};
use graphstore_guest::ident::digest;

/// `create-image [top-layer]`: prints the ID and `\t<name>` lines, or the record.
pub(super) fn create(ctx: &mut Ctx<'_>) -> CommandResult {
    let metadata = metadata_option(ctx)?;
    let options = ImageOptions {
        digest: non_empty(ctx.inv.flags.digest.as_str()).map(str::to_string),
        created: None,
    };
    let id = non_empty(ctx.inv.flags.id.as_str());
    let layer = ctx.inv.args.first().map(String::as_str);
    let image = ctx
        .store
        .create_image(id, &names_option(ctx), layer, &metadata, &options)?;
    ctx.print_created(&image.id, &image.names, "\n", || image_record(&image));
    Ok(())
}

/// `images [-q]`: JSON `null` when there are none.
pub(super) fn list(ctx: &mut Ctx<'_>) -> CommandResult {
    let images = ctx.store.images()?;
    print_images(ctx, &images, true);
    Ok(())
}

/// `images-by-digest DIGEST`: like `images`, JSON `[]` when none match.
pub(super) fn by_digest(ctx: &mut Ctx<'_>) -> CommandResult {
    let wanted = ctx.arg(0);
    digest::validate(wanted).map_err(|error| Failure::Message(format!("{wanted}: {error}")))?;
    let images = ctx.store.images_by_digest(wanted)?;
    print_images(ctx, &images, false);
    Ok(())
}

/// The `images` listing: IDs (only, with `-q`) with names, digests and data items.
fn print_images(ctx: &mut Ctx<'_>, images: &[Image], empty_is_null: bool) {
    if ctx.json() {
        let records: Vec<_> = images.iter().map(image_record).collect();
        ctx.print_json_array(&records, empty_is_null);
        return;
    }
    let quiet = ctx.inv.flags.quiet;
    let mut text = String::new();
    for image in images {
        text.push_str(&format!("{}\n", image.id));
        if quiet {
            continue;
        }
        let lines = [
            ("name", &image.names),
            ("digest", &image.digests),
            ("data", &image.big_data_names),
        ];
        for (label, values) in lines {
            for value in values {
                text.push_str(&format!("\t{label}: {value}\n"));
            }
        }
    }
    ctx.print(text);
}

/// `image REF...`: details (and size) of each image found.
pub(super) fn examine(ctx: &mut Ctx<'_>) -> CommandResult {
    super::examine(ctx, Store::image, image_record, describe_image)
}

fn describe_image(store: &mut Store, image: &Image) -> String {
    let mut text = format!("ID: {}\n", image.id);
    for name in &image.names {
        text.push_str(&format!("Name: {name}\n"));
    }
    for layer in image_layers(image) {
        text.push_str(&format!("Top Layer: {layer}\n"));
    }
    for value in &image.digests {
        text.push_str(&format!("Digest: {value}\n"));
    }
    for name in &image.big_data_names {
        text.push_str(&format!("Data: {name}\n"));
    }
    text.push_str(&size_line(store.image_size(&image.id)));
    if image.read_only {
        text.push_str("Read Only: true\n");
    }
    text
}
