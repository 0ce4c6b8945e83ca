//! `copy [--chown U[:G]] [SOURCE:]PATH... TARGET:PATH` (1.43's
//! `cmd/containers-storage/copy.go`): copies files between layers of the
//! store (a container stands for its layer). The copying is the store's
//! `copy` operation; this module parses the locations and words the errors
//! as 1.43 does.
//!
//! Difference: a location without `LAYER:` (a path of the host) is
//! refused: the store's sandbox sees only its roots.

use super::{CommandResult, Ctx, Failure};
use graphstore_guest::format::go::quote;
use std::path::{Component, Path};

/// Separates a layer reference from the path inside it.
const LOCATION_SEPARATOR: char = ':';

/// Where the vfs driver keeps layer trees, below the graph root.
const LAYER_TREES: &str = "vfs/dir";

/// One `LAYER:PATH` argument, its layer resolved to an ID.
struct Location {
    /// The layer ID (a container's layer when the reference named a container).
    layer: String,
    /// The path inside the layer, as given.
    path: String,
}

/// Parses `--chown U[:G]` as 1.43 does (`G` defaults to `U`); the error is
/// 1.43's text, which ends without a newline.
fn parse_chown(text: &str) -> Result<(u32, u32), String> {
    let (uid, gid) = text.split_once(':').unwrap_or((text, text));
    let number = |value: &str, what: &str| {
        // Go's ParseUint takes digits only (no sign, not empty).
        let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
        let parsed = if digits {
            value.parse::<u32>().ok()
        } else {
            None
        };
        parsed.ok_or_else(|| {
            let reason = if digits {
                "value out of range"
            } else {
                "invalid syntax"
            };
            format!(
                "error {} as a numeric {what}: strconv.ParseUint: parsing {}: {reason}",
                quote(value),
                quote(value)
            )
        })
    };
    Ok((number(uid, "UID")?, number(gid, "GID")?))
}

/// The layer a reference names: a layer first (as 1.43's `Layer`), else a
/// container's layer (graphstore's addition).
fn find_layer(ctx: &mut Ctx<'_>, reference: &str) -> Option<String> {
    if let Ok(layer) = ctx.store.layer(reference) {
        return Some(layer.id);
    }
    ctx.store
        .container(reference)
        .ok()
        .map(|container| container.layer_id)
}

/// Resolves one location argument; the failure is 1.43's wording (or, for
/// a host path, graphstore's refusal).
fn locate(ctx: &mut Ctx<'_>, spec: &str) -> Result<Location, Failure> {
    let Some((reference, path)) = spec.split_once(LOCATION_SEPARATOR) else {
        return Err(Failure::Message(format!(
            "error copying {}: paths of the host are not supported by graphstore (name a layer or container: LAYER:PATH)",
            quote(spec)
        )));
    };
    let layer = find_layer(ctx, reference).ok_or_else(|| {
        Failure::Message(format!(
            "error finding layer {}: layer not known",
            quote(reference)
        ))
    })?;
    Ok(Location {
        layer,
        path: path.to_string(),
    })
}

/// The host path 1.43 names in its messages: the layer's tree joined with
/// the path inside it (`filepath.Join`, cleaned).
fn shown_path(ctx: &Ctx<'_>, location: &Location) -> String {
    let mut joined = Path::new(&ctx.inv.store.graph_root)
        .join(LAYER_TREES)
        .join(&location.layer);
    for component in Path::new(&location.path).components() {
        match component {
            Component::Normal(name) => joined.push(name),
            Component::ParentDir => {
                joined.pop();
            }
            _ => {}
        }
    }
    joined.display().to_string()
}

/// `copy`: the target first, then each source in order, copied before
/// the next is looked up (as 1.43).
pub(super) fn copy(ctx: &mut Ctx<'_>) -> CommandResult {
    let chown = if ctx.inv.flags.chown.is_empty() {
        None
    } else {
        match parse_chown(&ctx.inv.flags.chown) {
            Ok(owner) => Some(owner),
            Err(message) => {
                ctx.eprint(message);
                return Err(Failure::Silent);
            }
        }
    };
    let (target_spec, source_specs) = ctx
        .inv
        .args
        .split_last()
        .expect("the parser checked the count");
    let target = locate(ctx, target_spec)?;
    for source_spec in source_specs {
        let source = locate(ctx, source_spec)?;
        ctx.store
            .copy(
                &source.layer,
                &source.path,
                &target.layer,
                &target.path,
                chown,
            )
            .map_err(|error| {
                Failure::Message(format!(
                    "error copying {} to {}: {error}",
                    quote(shown_path(ctx, &source)),
                    quote(shown_path(ctx, &target))
                ))
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chown_takes_one_or_two_ids_with_1_43_errors() {
        assert_eq!(parse_chown("1000"), Ok((1000, 1000)));
        assert_eq!(parse_chown("1:2"), Ok((1, 2)));
        assert_eq!(
            parse_chown("x:2"),
            Err(
                "error \"x\" as a numeric UID: strconv.ParseUint: parsing \"x\": invalid syntax"
                    .to_string()
            )
        );
        assert_eq!(
            parse_chown("1:99999999999"),
            Err("error \"99999999999\" as a numeric GID: strconv.ParseUint: parsing \"99999999999\": value out of range".to_string())
        );
        assert!(parse_chown("1:2:3").is_err());
        assert!(parse_chown("+1").is_err());
        assert!(parse_chown(":1").is_err());
    }
}
