//! Commands that move layer contents: `import-layer`, `applydiff`, `diff`.
//! Diffs stream between the process's files and the store; none is held in
//! memory whole.

use super::layers::{layer_options, print_layer_created};
use super::{CommandResult, Ctx, Failure, names_option, non_empty, output};
use crate::{ChangeKind, Compression, DiffOptions};
use graphstore_posix::byte_names;
use std::fs::File;
use std::io::Read;

/// Where a diff comes from: the `--file` given, else standard input.
fn diff_input(ctx: &Ctx<'_>) -> Result<Box<dyn Read + Send>, Failure> {
    let path = ctx.inv.flags.file.as_str();
    if path.is_empty() {
        return Ok(Box::new(std::io::stdin()));
    }
    let file = File::open(path)
        .map_err(|error| Failure::Message(output::path_error("open", path, &error)))?;
    Ok(Box::new(file))
}

/// `import-layer [PARENT]`: a new layer from a (possibly compressed) tar.
pub(super) fn import_layer(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = layer_options(ctx)?;
    let input = diff_input(ctx)?;
    let id = non_empty(ctx.inv.flags.id.as_str());
    let parent = ctx.inv.args.first().map(String::as_str);
    let layer = ctx
        .store
        .put_layer(id, parent, &names_option(ctx), &options, input)?;
    print_layer_created(ctx, &layer);
    Ok(())
}

/// `applydiff LAYER`: applies a tar to an existing layer.
pub(super) fn apply_diff(ctx: &mut Ctx<'_>) -> CommandResult {
    let input = diff_input(ctx)?;
    ctx.store.apply_diff(ctx.arg(0), input)?;
    Ok(())
}

/// The output compression `diff` flags ask for: xz > bzip2 > gzip >
/// uncompressed whatever their order; none means the layer's own.
fn requested_compression(ctx: &Ctx<'_>) -> Option<Compression> {
    let flags = &ctx.inv.flags;
    [
        (flags.xz, Compression::Xz),
        (flags.bzip2, Compression::Bzip2),
        (flags.gzip, Compression::Gzip),
        (flags.uncompressed, Compression::None),
    ]
    .into_iter()
    .find(|(given, _)| *given)
    .map(|(_, compression)| compression)
}

/// `diff LAYER [FROM]`: writes the layer's diff to `--file` or standard output.
pub(super) fn diff(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = DiffOptions {
        compression: requested_compression(ctx),
    };
    let from = ctx.inv.args.get(1).map(String::as_str);
    let path = ctx.inv.flags.file.as_str();
    if path.is_empty() {
        ctx.store
            .diff(from, ctx.arg(0), options, std::io::stdout())?;
    } else {
        let file = File::create(path)
            .map_err(|error| Failure::Message(output::path_error("open", path, &error)))?;
        ctx.store.diff(from, ctx.arg(0), options, file)?;
    }
    Ok(())
}

/// `changes LAYER [FROM]`: `Modify "/etc"` lines, or JSON `[{"Path":…,"Kind":0}]`
/// (`null` when nothing changed).
pub(super) fn changes(ctx: &mut Ctx<'_>) -> CommandResult {
    let from = ctx.inv.args.get(1).map(String::as_str);
    let list = ctx.store.changes(from, ctx.arg(0))?;
    // Names that are not UTF-8 come encoded; 1.43 prints their bytes.
    let path = |change: &crate::Change| byte_names::display_bytes(&change.path).into_owned();
    if ctx.json() {
        if list.is_empty() {
            ctx.print("null\n");
            return Ok(());
        }
        let entries: Vec<String> = list
            .iter()
            .map(|c| {
                format!(
                    r#"{{"Path":{},"Kind":{}}}"#,
                    graphstore_guest::format::go_json::bytes_literal(&path(c)),
                    change_code(c.kind)
                )
            })
            .collect();
        ctx.print(format!("[{}]\n", entries.join(",")));
    } else {
        let text: String = list
            .iter()
            .map(|change| {
                format!(
                    "{} {}\n",
                    change_label(change.kind),
                    graphstore_guest::format::go::quote(path(change))
                )
            })
            .collect();
        ctx.print(text);
    }
    Ok(())
}

/// 1.43's numeric code of a change kind.
fn change_code(kind: ChangeKind) -> u8 {
    match kind {
        ChangeKind::Modify => 0,
        ChangeKind::Add => 1,
        ChangeKind::Delete => 2,
    }
}

/// 1.43's word for a change kind.
fn change_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Modify => "Modify",
        ChangeKind::Add => "Add",
        ChangeKind::Delete => "Delete",
    }
}

/// `diffsize LAYER [FROM]`: the size of the changes.
pub(super) fn diff_size(ctx: &mut Ctx<'_>) -> CommandResult {
    let from = ctx.inv.args.get(1).map(String::as_str);
    let size = ctx.store.diff_size(from, ctx.arg(0))?;
    ctx.print(format!("{size}\n"));
    Ok(())
}

/// Unmapped host UIDs and GIDs, as the store reports them.
type Owners = (Vec<u32>, Vec<u32>);

/// How `layer-parent-owners` and `container-parent-owners` differ.
pub(super) struct ParentOwners {
    /// Resolves an argument to an ID (layer or container).
    pub find: fn(&mut crate::Store, &str) -> Result<String, crate::Error>,
    /// Computes the unmapped owners of that ID.
    pub owners: fn(&mut crate::Store, &str) -> Result<Owners, crate::Error>,
    /// Prefix of the error line (`LayerParentOwner`, `ContainerParentOwner`).
    pub error_prefix: &'static str,
    /// Whether empty lists are printed (`UIDs: []`) in text output.
    pub print_empty: bool,
}

/// Go returns these lists nil when empty, which encodes as `null`.
fn go_nil_if_empty(ids: &[u32]) -> Option<&[u32]> {
    (!ids.is_empty()).then_some(ids)
}

/// Go's `%v` of an `[]int`.
fn go_int_list(ids: &[u32]) -> String {
    let items: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("[{}]", items.join(" "))
}

/// `layer-parent-owners` / `container-parent-owners`: host IDs above the
/// mount point that the ID maps cannot express.
pub(super) fn parent_owners(ctx: &mut Ctx<'_>, kind: &ParentOwners) -> CommandResult {
    let args = ctx.inv.args.clone();
    let matched: Vec<String> = args
        .iter()
        .filter_map(|arg| (kind.find)(ctx.store, arg).ok())
        .collect();
    for id in &matched {
        let (uids, gids) = (kind.owners)(ctx.store, id)
            .map_err(|error| Failure::Message(format!("{}: {error}", kind.error_prefix)))?;
        if ctx.json() {
            #[derive(serde::Serialize)]
            struct Mappings<'a> {
                #[serde(rename = "ID")]
                id: &'a str,
                #[serde(rename = "UIDs")]
                uids: Option<&'a [u32]>,
                #[serde(rename = "GIDs")]
                gids: Option<&'a [u32]>,
            }
            ctx.print_json(&Mappings {
                id,
                uids: go_nil_if_empty(&uids),
                gids: go_nil_if_empty(&gids),
            });
        } else {
            let mut text = format!("ID: {id}\n");
            for (label, ids) in [("UIDs", &uids), ("GIDs", &gids)] {
                if kind.print_empty || !ids.is_empty() {
                    text.push_str(&format!("{label}: {}\n", go_int_list(ids)));
                }
            }
            ctx.print(text);
        }
    }
    super::fail_if(matched.len() != args.len())
}

/// `layer-parent-owners`.
pub(super) const LAYER_PARENT_OWNERS: ParentOwners = ParentOwners {
    find: |store, reference| store.layer(reference).map(|layer| layer.id),
    owners: |store, id| store.layer_parent_owners(id),
    error_prefix: "LayerParentOwner",
    print_empty: false,
};

/// `container-parent-owners`.
pub(super) const CONTAINER_PARENT_OWNERS: ParentOwners = ParentOwners {
    find: |store, reference| store.container(reference).map(|container| container.id),
    owners: |store, id| store.container_parent_owners(id),
    error_prefix: "ContainerParentOwner",
    print_empty: true,
};
