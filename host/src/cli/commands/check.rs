//! `check [-q] [-r [-f]] [-m DURATION] [--json]` (newer containers/storage,
//! storage v1.62's `cmd/containers-storage/check.go`): reports what is
//! damaged, with `--repair` removes it (containers too with `--force`),
//! then shuts the store down as upstream does. Same output, JSON shape and
//! exit status as upstream.

mod duration;
mod output;

use super::{CommandResult, Ctx, Failure};
use crate::{CheckOptions, CheckReport, RepairOptions};

/// The checks the flags ask for: every check, or the quick ones with
/// `--quick`; unreferenced layers older than `--max` (a Go duration).
fn check_options(ctx: &Ctx<'_>) -> Result<CheckOptions, Failure> {
    let flags = &ctx.inv.flags;
    let maximum_age = match flags.max.as_str() {
        "" => None,
        text => Some(duration::parse(text.as_bytes()).map_err(|err| Failure::Message(err.0))?),
    };
    Ok(CheckOptions {
        layer_unreferenced_maximum_age: maximum_age,
        layer_digests: true,
        layer_mountable: true,
        layer_contents: !flags.quick,
        layer_data: true,
        image_data: true,
        container_data: true,
    })
}

/// `check`: see the module documentation.
pub(super) fn check(ctx: &mut Ctx<'_>) -> CommandResult {
    let outcome = check_and_repair(ctx);
    // Upstream shuts the store down however the command went.
    if let Err(err) = ctx.store.shutdown(true) {
        ctx.eprint(format!("shutdown: {err}\n"));
    }
    outcome
}

fn check_and_repair(ctx: &mut Ctx<'_>) -> CommandResult {
    let options = check_options(ctx)?;
    let report = ctx.store.check(&options)?;
    if ctx.json() {
        ctx.print_json(&output::report_json(&report));
    } else {
        ctx.print(output::report_text(&report));
    }
    let flags = &ctx.inv.flags;
    let remove_containers = flags.force;
    if !(flags.repair || flags.force) {
        return match is_clean(&report) {
            true => Ok(()),
            false => Err(Failure::Message(output::damage_summary(&report))),
        };
    }
    let failures = ctx
        .store
        .repair(&report, &RepairOptions { remove_containers })?;
    if let Some(first) = failures.first() {
        if ctx.json() {
            let encoded: Vec<output::GoError> =
                failures.iter().map(|_| output::GoError {}).collect();
            ctx.print_json(&encoded);
        } else {
            let lines: String = failures.iter().map(|err| format!("{err}\n")).collect();
            ctx.eprint(lines);
        }
        return Err(Failure::Message(first.to_string()));
    }
    match output::unrepaired_summary(&report, remove_containers) {
        Some(summary) => Err(Failure::Message(summary)),
        None => Ok(()),
    }
}

fn is_clean(report: &CheckReport) -> bool {
    report.layers.is_empty()
        && report.read_only_layers.is_empty()
        && report.images.is_empty()
        && report.read_only_images.is_empty()
        && report.containers.is_empty()
}
