//! `graphstore-bench`: graphstore against containers-storage 1.43 (vfs).
//!
//! Builds graphstore's CLI, runs each scenario on both CLIs against fresh
//! roots (interleaved, with warm-up and repetitions), and prints a table of
//! medians, ratios and ranges; `--json FILE` writes the same as JSON.
//! See `bench/README.md`.

mod args;
mod config;
mod data;
mod machine;
mod measure;
mod report;
mod scenarios;
mod stats;
mod tools;

use args::{Options, Parsed};
use config::Plan;
use report::Report;
use scenarios::{Context, Scenario, library, records};
use std::process::ExitCode;
use std::time::Instant;

/// Prefix of the scratch directory's name.
const WORKDIR_PREFIX: &str = "graphstore-bench-";
/// Where the measured copy of the graphstore binary goes, in the scratch directory.
const BINARY_SNAPSHOT_DIR: &str = "bin";

/// Variables that make Rust programs capture a backtrace on every error
/// they create (this sandbox sets `RUST_BACKTRACE=1`): a cost graphstore
/// pays and the Go reference does not, so neither the harness nor the CLIs
/// it runs see them.
const BACKTRACE_VARIABLES: [&str; 2] = ["RUST_BACKTRACE", "RUST_LIB_BACKTRACE"];

fn main() -> ExitCode {
    for variable in BACKTRACE_VARIABLES {
        // SAFETY: first thing in main, before any other thread exists.
        unsafe { std::env::remove_var(variable) };
    }
    match args::parse(std::env::args().skip(1)) {
        Ok(Parsed::Help) => {
            print!("{}", args::USAGE);
            ExitCode::SUCCESS
        }
        Ok(Parsed::Run(options)) => finish(run(&options)),
        Ok(Parsed::WriteLayer(mode, dir)) => finish(write_layer(mode, &dir)),
        Ok(Parsed::Probe(kind, max, dir)) => finish(scenarios::probe::run(kind, max, &dir)),
        Err(message) => {
            eprintln!("graphstore-bench: {message}\n\n{}", args::USAGE);
            ExitCode::from(2)
        }
    }
}

/// The exit status for a run's outcome.
fn finish(outcome: Result<(), String>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("graphstore-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the generated layer of `mode`'s plan into `dir`.
fn write_layer(mode: config::Mode, dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let layer = data::generate(&Plan::new(mode).layer, dir)
        .map_err(|e| format!("writing the layer to {}: {e}", dir.display()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&layer).expect("JSON values serialise")
    );
    Ok(())
}

fn run(options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let started_at = machine::utc_now();
    let plan = Plan::new(options.mode);
    let parent = options.workdir.clone().unwrap_or_else(std::env::temp_dir);
    let workdir = tempfile::Builder::new()
        .prefix(WORKDIR_PREFIX)
        .tempdir_in(&parent)
        .map_err(|e| format!("creating a scratch directory in {}: {e}", parent.display()))?;
    let graphstore = tools::graphstore(
        options.graphstore.clone(),
        &workdir.path().join(BINARY_SNAPSHOT_DIR),
    )?;
    let reference = tools::reference(options.reference.clone())?;
    let machine = machine::Machine::describe(workdir.path());
    let mut ctx = Context {
        plan: &plan,
        graphstore: &graphstore,
        reference: &reference,
        workdir: workdir.path(),
        started,
        idle: Vec::new(),
    };
    ctx.progress(format!(
        "{:?} run in {}; {}",
        plan.mode,
        workdir.path().display(),
        machine.summary()
    ));
    let mut sections = Vec::new();
    for scenario in &options.scenarios {
        sections.push((*scenario, scenario.run(&mut ctx)));
    }
    let find = |wanted: Scenario| sections.iter().position(|(s, _)| *s == wanted);
    if let (Some(lib), Some(rec)) = (find(Scenario::Library), find(Scenario::Records)) {
        let records_section = sections[rec].1.clone();
        library::compare_with_cli(
            &mut sections[lib].1,
            &records_section,
            records::CREATE_IMAGE_LABEL,
        );
    }
    let idle = std::mem::take(&mut ctx.idle);
    let report = Report {
        mode: plan.mode,
        started: started_at,
        elapsed: started.elapsed(),
        machine,
        tools: vec![graphstore.provenance(), reference.provenance()],
        sections: sections.into_iter().map(|(_, section)| section).collect(),
        idle,
    };
    print!("{}", report.render_table());
    if let Some(path) = &options.json {
        let text = serde_json::to_string_pretty(&report.to_json()).expect("JSON values serialise");
        std::fs::write(path, text + "\n")
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("JSON written to {}", path.display());
    }
    if options.keep {
        let kept = workdir.keep();
        eprintln!("scratch directory kept: {}", kept.display());
    }
    Ok(())
}
