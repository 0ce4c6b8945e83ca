//! Scenario 1: CLI start-up — process wall time of commands that do almost
//! nothing, on an empty store.

use super::{Context, Series, interleave};
use crate::measure;
use crate::report::{PHYSICAL_PREFIX, Row, Section, Target};
use crate::tools::{Root, Tool};
use std::process::Command;

/// The commands timed: (row label, arguments).
const COMMANDS: &[(&str, &[&str])] = &[
    ("version", &["version"]),
    ("images (empty store)", &["images"]),
];
/// The cheapest process there is: the floor under every CLI call.
const SPAWN_FLOOR: &str = "true";
/// graphstore should be at least this many times faster.
const SPEEDUP_GOAL: f64 = 2.0;

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new("1. CLI start-up");
    let roots =
        Tool::BOTH.map(|tool| Root::under(&ctx.fresh_dir(&format!("startup/{}", tool.label()))));
    ctx.progress("startup: version, images on an empty store");
    ctx.settle("startup");
    let reps = ctx.plan.startup;
    let pairs = interleave(reps, COMMANDS.len(), |op, tool, _| {
        ctx.cli(tool).run(&roots[tool.index()], COMMANDS[op].1)
    });
    for (pair, (label, _)) in pairs.into_iter().zip(COMMANDS) {
        section.rows.push(
            pair.into_row(*label)
                .with_target(Target::Speedup(SPEEDUP_GOAL)),
        );
    }
    let mut floor = Series::default();
    for rep in 0..reps.total() {
        floor.record(
            measure::run_timed(&mut Command::new(SPAWN_FLOOR)),
            reps.is_measured(rep),
        );
    }
    section.rows.push(Row::physical(
        format!("{PHYSICAL_PREFIX}{SPAWN_FLOOR} (process spawn)"),
        floor.outcome(),
    ));
    section
}
