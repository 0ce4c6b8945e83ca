//! graphstore's own commands: `blob` (the content-addressable blob store),
//! `lease` (layer leases), `heads` and `children` (graph queries).

use super::{CommandResult, Ctx, Failure, read_input};
use std::fs::File;

/// A usage error of a sub-command.
fn usage(message: &str) -> Failure {
    Failure::Message(message.to_string())
}

/// The arguments after the sub-command, checked to number `count`
/// (`None`: at least one).
fn operands<'a>(ctx: &Ctx<'a>, count: Option<usize>, shape: &str) -> Result<&'a [String], Failure> {
    let rest = &ctx.inv.args[1..];
    let fits = match count {
        Some(count) => rest.len() == count,
        None => !rest.is_empty(),
    };
    if fits {
        Ok(rest)
    } else {
        Err(usage(&format!("usage: {} {shape}", ctx.inv.command_name)))
    }
}

/// `blob put|get|rm|ls|set-meta|get-meta|rm-meta`.
pub(super) fn blob(ctx: &mut Ctx<'_>) -> CommandResult {
    let file = ctx.inv.flags.file.as_str().to_string();
    match ctx.arg(0) {
        "put" => {
            operands(ctx, Some(0), "put [-f FILE]")?;
            let digest = if file.is_empty() {
                ctx.store.put_blob(std::io::stdin())?
            } else {
                let input = File::open(&file)
                    .map_err(|e| Failure::Message(super::output::path_error("open", &file, &e)))?;
                ctx.store.put_blob(input)?
            };
            ctx.print(format!("{digest}\n"));
        }
        "get" => {
            let digest = operands(ctx, Some(1), "get DIGEST [-f FILE]")?[0].clone();
            if file.is_empty() {
                ctx.store.get_blob(&digest, std::io::stdout())?;
            } else {
                let output = File::create(&file)
                    .map_err(|e| Failure::Message(super::output::path_error("open", &file, &e)))?;
                if let Err(err) = ctx.store.get_blob(&digest, output) {
                    // Never leave unverified content behind.
                    let _ = std::fs::remove_file(&file);
                    return Err(err.into());
                }
            }
        }
        "rm" => {
            for digest in operands(ctx, None, "rm DIGEST [...]")? {
                ctx.store.delete_blob(digest)?;
            }
        }
        "ls" => {
            operands(ctx, Some(0), "[--json] ls")?;
            let digests = ctx.store.blobs()?;
            ctx.print_list(&digests, false);
        }
        "set-meta" => {
            let args = operands(ctx, Some(2), "set-meta DIGEST KEY [-f FILE]")?;
            let value = read_input(&file)?;
            ctx.store.set_blob_metadata(&args[0], &args[1], &value)?;
        }
        "get-meta" => {
            let args = operands(ctx, Some(2), "get-meta DIGEST KEY")?;
            let value = ctx.store.blob_metadata(&args[0], &args[1])?;
            ctx.print(value);
        }
        "rm-meta" => {
            let args = operands(ctx, Some(2), "rm-meta DIGEST KEY")?;
            ctx.store.delete_blob_metadata(&args[0], &args[1])?;
        }
        other => {
            return Err(usage(&format!(
                "blob: unknown sub-command {other:?} (put, get, rm, ls, set-meta, get-meta, rm-meta)"
            )));
        }
    }
    Ok(())
}

/// `lease retain|release SESSION LAYER...` and `lease ls`.
pub(super) fn lease(ctx: &mut Ctx<'_>) -> CommandResult {
    match ctx.arg(0) {
        "retain" | "release" => {
            let args = operands(ctx, None, "retain|release SESSION layerNameOrID [...]")?;
            let (session, layers) = args.split_first().expect("at least one operand");
            if layers.is_empty() {
                return Err(usage(
                    "usage: lease retain|release SESSION layerNameOrID [...]",
                ));
            }
            if ctx.arg(0) == "retain" {
                ctx.store.retain_layers(session, layers)?;
            } else {
                ctx.store.release_layers(session, layers)?;
            }
        }
        "ls" => {
            operands(ctx, Some(0), "[--json] ls")?;
            let leases = ctx.store.leases()?;
            if ctx.json() {
                let map: std::collections::BTreeMap<&str, &Vec<String>> = leases
                    .iter()
                    .map(|(session, layers)| (session.as_str(), layers))
                    .collect();
                ctx.print_json(&map);
            } else {
                let text: String = leases
                    .iter()
                    .flat_map(|(session, layers)| {
                        layers
                            .iter()
                            .map(move |layer| format!("{session}\t{layer}\n"))
                    })
                    .collect();
                ctx.print(text);
            }
        }
        other => {
            return Err(usage(&format!(
                "lease: unknown sub-command {other:?} (retain, release, ls)"
            )));
        }
    }
    Ok(())
}

/// `heads`: layers that are no layer's parent.
pub(super) fn heads(ctx: &mut Ctx<'_>) -> CommandResult {
    let heads = ctx.store.heads()?;
    ctx.print_list(&heads, false);
    Ok(())
}

/// `children LAYER`: the layers whose parent is LAYER.
pub(super) fn children(ctx: &mut Ctx<'_>) -> CommandResult {
    let children = ctx.store.children(ctx.arg(0))?;
    ctx.print_list(&children, false);
    Ok(())
}
