//! Commands that take any kind of record, or none: `exists`, `metadata`,
//! `set-metadata`, `get-names`, `add-names`, `set-names`, `delete*`,
//! `wipe`, `shutdown`, `status`, `version`, `mount`, `unmount`, `mounted`.
//!
//! Where 1.43 prints results in Go's random map order (`delete*`, `exists`),
//! graphstore prints them in argument order; JSON objects have sorted keys.

use super::{CommandResult, Ctx, Failure, fail_if, metadata_option, names_option};
use crate::cli::spec::CommandId;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the vfs driver says to any mount option (`mount --ro` adds `ro`).
const VFS_MOUNT_OPTIONS_ERROR: &str = "vfs driver does not support mount options";

/// The arguments without repeats, first occurrence kept (a Go map holds each once).
fn unique_args(ctx: &Ctx<'_>) -> Vec<String> {
    let mut seen = Vec::new();
    for arg in &ctx.inv.args {
        if !seen.contains(arg) {
            seen.push(arg.clone());
        }
    }
    seen
}

/// `exists REF... [-q] [-l|-i|-c]`: `<ref>: true|false` lines or a JSON object.
pub(super) fn exists(ctx: &mut Ctx<'_>) -> CommandResult {
    let only_layer = ctx.inv.flags.layer;
    let only_image = ctx.inv.flags.image;
    let only_container = ctx.inv.flags.container;
    let mut found = BTreeMap::new();
    let mut any_missing = false;
    for arg in &ctx.inv.args {
        let exists = ctx.store.exists(arg).unwrap_or(false);
        found.insert(arg.clone(), exists);
        let passes = exists
            && (!only_container || ctx.store.container_exists(arg).unwrap_or(false))
            && (!only_image || ctx.store.image_exists(arg).unwrap_or(false))
            && (!only_layer || ctx.store.layer_exists(arg).unwrap_or(false));
        any_missing |= !passes;
    }
    if ctx.json() {
        ctx.print_json(&found);
    } else if !ctx.inv.flags.quiet {
        let text: String = unique_args(ctx)
            .iter()
            .map(|arg| format!("{arg}: {}\n", found[arg]))
            .collect();
        ctx.print(text);
    }
    fail_if(any_missing)
}

/// `metadata REF... [-q]`: each record's metadata, one trailing newline removed.
pub(super) fn metadata(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut found = BTreeMap::new();
    for arg in &ctx.inv.args {
        if let Ok(metadata) = ctx.store.metadata(arg) {
            let trimmed = metadata.strip_suffix('\n').unwrap_or(&metadata);
            found.insert(arg.clone(), trimmed.to_string());
        }
    }
    if ctx.json() {
        ctx.print_json(&found);
    } else {
        let quiet = ctx.inv.flags.quiet;
        let text: String = ctx
            .inv
            .args
            .iter()
            .map(|arg| {
                let value = found.get(arg).map_or("", String::as_str);
                if quiet {
                    format!("{value}\n")
                } else {
                    format!("{arg}: {value}\n")
                }
            })
            .collect();
        ctx.print(text);
    }
    fail_if(found.len() != unique_args(ctx).len())
}

/// `set-metadata REF -m TEXT | -f FILE`.
pub(super) fn set_metadata(ctx: &mut Ctx<'_>) -> CommandResult {
    if ctx.inv.flags.metadata.is_empty() && ctx.inv.flags.metadata_file.is_empty() {
        return Err(Failure::Message("no new metadata provided".into()));
    }
    let metadata = metadata_option(ctx)?;
    ctx.store.set_metadata(ctx.arg(0), &metadata)?;
    Ok(())
}

/// `get-names REF`: one name per line; JSON `[]` when there are none.
pub(super) fn get_names(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.store.lookup(ctx.arg(0))?;
    let names = ctx.store.names(&id)?;
    ctx.print_list(&names, false);
    Ok(())
}

/// `add-names REF -n NAME...` (sets old names plus new ones, as 1.43's CLI
/// does) and `set-names REF -n NAME...`. JSON prints the resulting names.
pub(super) fn set_names(ctx: &mut Ctx<'_>, add: bool) -> CommandResult {
    let id = ctx.store.lookup(ctx.arg(0))?;
    let mut names = Vec::new();
    if add {
        names = ctx.store.names(&id)?;
    }
    names.extend(names_option(ctx));
    ctx.store.set_names(&id, &names)?;
    let names = ctx.store.names(&id)?;
    if ctx.json() {
        ctx.print_list(&names, true);
    }
    Ok(())
}

/// `get-container-dir`, `get-container-run-dir`, `get-image-dir`,
/// `get-image-run-dir REF`: prints the directory `find` gives (made when
/// missing).
pub(super) fn directory(
    ctx: &mut Ctx<'_>,
    find: fn(&mut crate::Store, &str) -> Result<String, crate::Error>,
) -> CommandResult {
    let path = find(ctx.store, ctx.arg(0))?;
    ctx.print(format!("{path}\n"));
    Ok(())
}

/// `gc`: removes what no record owns and unmounts everything; with
/// `--json` prints `""` as upstream does.
pub(super) fn garbage_collect(ctx: &mut Ctx<'_>) -> CommandResult {
    ctx.store.garbage_collect()?;
    if ctx.json() {
        ctx.print_json(&"");
    }
    Ok(())
}

/// `remove-names REF -n NAME...` (newer containers/storage): JSON prints
/// the remaining names.
pub(super) fn remove_names(ctx: &mut Ctx<'_>) -> CommandResult {
    let id = ctx.store.lookup(ctx.arg(0))?;
    ctx.store.remove_names(&id, &names_option(ctx))?;
    let names = ctx.store.names(&id)?;
    if ctx.json() {
        ctx.print_list(&names, true);
    }
    Ok(())
}

/// Prints per-argument results: `<ref>: <error>` lines on standard error
/// for failures (in argument order), or the JSON object of all results.
fn report<T: Serialize>(
    ctx: &mut Ctx<'_>,
    results: &BTreeMap<String, T>,
    lines: impl Fn(&T) -> Vec<String>,
) {
    if ctx.json() {
        ctx.print_json(results);
        return;
    }
    let text: String = unique_args(ctx)
        .iter()
        .flat_map(|arg| {
            lines(&results[arg])
                .into_iter()
                .map(move |line| format!("{arg}: {line}\n"))
        })
        .collect();
    ctx.eprint(text);
}

/// `delete`, `delete-layer`, `delete-container REF...`.
pub(super) fn delete(ctx: &mut Ctx<'_>) -> CommandResult {
    let command = ctx.inv.command;
    let mut results = BTreeMap::new();
    for arg in &ctx.inv.args {
        let outcome = match command {
            CommandId::DeleteLayer => ctx.store.delete_layer(arg),
            CommandId::DeleteContainer => ctx.store.delete_container(arg),
            _ => ctx.store.delete(arg),
        };
        results.insert(
            arg.clone(),
            outcome.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }
    report(ctx, &results, |error| {
        if error.is_empty() {
            vec![]
        } else {
            vec![error.clone()]
        }
    });
    fail_if(results.values().any(|error| !error.is_empty()))
}

/// One `delete-image` result as 1.43 encodes it.
#[derive(Debug, Default, Serialize)]
struct DeletedImage {
    #[serde(rename = "deleted-layers", skip_serializing_if = "Vec::is_empty")]
    deleted_layers: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
}

/// `delete-image REF... [-t]`: removed (or, with `-t`, removable) layers go
/// to standard error, as in 1.43.
pub(super) fn delete_image(ctx: &mut Ctx<'_>) -> CommandResult {
    let commit = !ctx.inv.flags.test;
    let mut results = BTreeMap::new();
    for arg in &ctx.inv.args {
        let result = match ctx.store.delete_image(arg, commit) {
            Ok(outcome) => DeletedImage {
                deleted_layers: outcome.deleted_layers,
                error: String::new(),
            },
            Err(error) => DeletedImage {
                deleted_layers: Vec::new(),
                error: error.to_string(),
            },
        };
        results.insert(arg.clone(), result);
    }
    report(ctx, &results, |result| {
        if result.error.is_empty() {
            result.deleted_layers.clone()
        } else {
            vec![result.error.clone()]
        }
    });
    fail_if(results.values().any(|result| !result.error.is_empty()))
}

/// `wipe` and `shutdown`: nothing on success (JSON `""`); on failure
/// `<command>: <error>` (JSON `{}`, how Go encodes an error value).
fn report_outcome(ctx: &mut Ctx<'_>, outcome: Result<(), crate::Error>) -> CommandResult {
    match (outcome, ctx.json()) {
        (Ok(()), true) => {
            ctx.print("\"\"\n");
            Ok(())
        }
        (Ok(()), false) => Ok(()),
        (Err(_), true) => {
            ctx.print("{}\n");
            Err(Failure::Silent)
        }
        (Err(error), false) => Err(Failure::Message(format!(
            "{}: {error}",
            ctx.inv.command_name
        ))),
    }
}

/// `wipe`: deletes everything.
pub(super) fn wipe(ctx: &mut Ctx<'_>) -> CommandResult {
    let outcome = ctx.store.wipe();
    report_outcome(ctx, outcome)
}

/// `shutdown [-f]`: fails while a layer is mounted (unless forced).
pub(super) fn shutdown(ctx: &mut Ctx<'_>) -> CommandResult {
    let force = ctx.inv.flags.force;
    let outcome = ctx.store.shutdown(force).map(drop);
    report_outcome(ctx, outcome)
}

/// `status` (text on standard error) and `version` (empty).
fn print_pairs(
    ctx: &mut Ctx<'_>,
    pairs: Result<Vec<(String, String)>, crate::Error>,
) -> CommandResult {
    let pairs =
        pairs.map_err(|error| Failure::Message(format!("{}: {error}", ctx.inv.command_name)))?;
    if ctx.json() {
        ctx.print_json(&pairs);
    } else {
        let text: String = pairs
            .iter()
            .map(|(key, value)| format!("{key}: {value}\n"))
            .collect();
        ctx.eprint(text);
    }
    Ok(())
}

/// `status`: root, run root, driver and its options.
pub(super) fn status(ctx: &mut Ctx<'_>) -> CommandResult {
    let pairs = ctx.store.status();
    print_pairs(ctx, pairs)
}

/// `version`: no pairs, as in 1.43.
pub(super) fn version(ctx: &mut Ctx<'_>) -> CommandResult {
    let pairs = ctx.store.version();
    print_pairs(ctx, pairs)
}

/// One `mount` result as 1.43 encodes it.
#[derive(Debug, Serialize)]
struct MountResult {
    id: String,
    mountpoint: String,
    error: String,
}

/// One `unmount` / `mounted` result as 1.43 encodes it.
#[derive(Debug, Serialize)]
struct MountError {
    id: String,
    error: String,
}

/// `mount REF... [-l LABEL] [-r]`: prints each mount point (an empty line
/// after an error, which goes to standard error first).
pub(super) fn mount(ctx: &mut Ctx<'_>) -> CommandResult {
    let label = ctx.inv.flags.label.as_str().to_string();
    let read_only = ctx.inv.flags.ro;
    let mut results = Vec::new();
    for arg in &ctx.inv.args {
        let outcome = if read_only {
            mount_image_read_only(ctx, arg)
        } else {
            ctx.store
                .mount(arg, &label)
                .map_err(|error| error.to_string())
        };
        let (mountpoint, error) = match outcome {
            Ok(path) => (path, String::new()),
            Err(error) => (String::new(), error),
        };
        results.push(MountResult {
            id: arg.clone(),
            mountpoint,
            error,
        });
    }
    if ctx.json() {
        ctx.print_json(&results);
    } else {
        for result in &results {
            if !result.error.is_empty() {
                ctx.eprint(format!("{} while mounting {}\n", result.error, result.id));
            }
            ctx.print(format!("{}\n", result.mountpoint));
        }
    }
    fail_if(results.iter().any(|result| !result.error.is_empty()))
}

/// `mount --ro IMAGE`: 1.43 mounts the image's top layer, which must be in
/// the primary store (as for `mounted`), adding `ro` to the mount options,
/// which the vfs driver always refuses.
fn mount_image_read_only(ctx: &mut Ctx<'_>, reference: &str) -> Result<String, String> {
    let image = ctx
        .store
        .image(reference)
        .map_err(|error| error.to_string())?;
    let top = image.top_layer.unwrap_or_default();
    ctx.store.mounted(&top).map_err(|error| error.to_string())?;
    Err(VFS_MOUNT_OPTIONS_ERROR.into())
}

/// `unmount REF... [-f]`: a layer or container, else an image's top layer.
pub(super) fn unmount(ctx: &mut Ctx<'_>) -> CommandResult {
    let force = ctx.inv.flags.force;
    let mut results = Vec::new();
    for arg in &ctx.inv.args {
        let mut error = String::new();
        match ctx.store.unmount(arg, force) {
            Ok(true) => ctx.print(format!("{arg} mountpoint unmounted\n")),
            Ok(false) => {}
            Err(first) => {
                let image_outcome = ctx.store.image(arg).and_then(|image| {
                    let top = image.top_layer.unwrap_or_default();
                    ctx.store.unmount(&top, force)
                });
                if image_outcome.is_err() {
                    error = first.to_string();
                }
            }
        }
        results.push(MountError {
            id: arg.clone(),
            error,
        });
    }
    print_mount_errors(ctx, &results, |result| {
        format!("{} while unmounting {}\n", result.error, result.id)
    })
}

/// `mounted REF...`: `<ref> mounted` for mounted ones (also before JSON, as in 1.43).
pub(super) fn mounted(ctx: &mut Ctx<'_>) -> CommandResult {
    let mut results = Vec::new();
    for arg in &ctx.inv.args {
        let mut error = String::new();
        match ctx.store.mounted(arg) {
            Ok(count) if count > 0 => ctx.print(format!("{arg} mounted\n")),
            Ok(_) => {}
            Err(failure) => error = failure.to_string(),
        }
        results.push(MountError {
            id: arg.clone(),
            error,
        });
    }
    print_mount_errors(ctx, &results, |result| {
        format!("{} checking if {} is mounted\n", result.error, result.id)
    })
}

/// Prints `unmount` / `mounted` results: JSON, or `line(result)` on
/// standard error for each failure.
fn print_mount_errors(
    ctx: &mut Ctx<'_>,
    results: &[MountError],
    line: impl Fn(&MountError) -> String,
) -> CommandResult {
    if ctx.json() {
        ctx.print_json(results);
    } else {
        let text: String = results
            .iter()
            .filter(|result| !result.error.is_empty())
            .map(line)
            .collect();
        ctx.eprint(text);
    }
    fail_if(results.iter().any(|result| !result.error.is_empty()))
}
