//! The scenarios, and what they share: the run context, series of samples
//! per tool, interleaved repetitions, store copies.

pub mod layers;
pub mod library;
pub mod probe;
pub mod records;
pub mod startup;
pub mod tenants;
pub mod wasm;

use crate::config::{Plan, Reps};
use crate::machine::{self, IdleReading};
use crate::measure::{self, Failure, Sample};
use crate::report::{Measurement, Outcome, Row, Section};
use crate::tools::{Cli, Tool};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The scenarios, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// 1. CLI start-up.
    Startup,
    /// 3. In-process library throughput (runs before 2: it only writes).
    Library,
    /// 2. Records commands at several store sizes.
    Records,
    /// 4. Layer contents (last: it ends with big deletes).
    Layers,
    /// 5. Wasm overhead.
    Wasm,
    /// 6. Many tenants in one process.
    Tenants,
}

impl Scenario {
    /// Every scenario in running order.
    pub const ALL: [Scenario; 6] = [
        Scenario::Startup,
        Scenario::Library,
        Scenario::Records,
        Scenario::Layers,
        Scenario::Wasm,
        Scenario::Tenants,
    ];

    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Startup => "startup",
            Scenario::Library => "library",
            Scenario::Records => "records",
            Scenario::Layers => "layers",
            Scenario::Wasm => "wasm",
            Scenario::Tenants => "tenants",
        }
    }

    /// Runs the scenario.
    pub fn run(self, ctx: &mut Context<'_>) -> Section {
        match self {
            Scenario::Startup => startup::run(ctx),
            Scenario::Library => library::run(ctx),
            Scenario::Records => records::run(ctx),
            Scenario::Layers => layers::run(ctx),
            Scenario::Wasm => wasm::run(ctx),
            Scenario::Tenants => tenants::run(ctx),
        }
    }
}

/// What every scenario works with.
pub struct Context<'a> {
    /// Scale and repetitions.
    pub plan: &'a Plan,
    /// graphstore's CLI.
    pub graphstore: &'a Cli,
    /// containers-storage's CLI.
    pub reference: &'a Cli,
    /// Scratch space for stores and data (removed at the end).
    pub workdir: &'a Path,
    /// When the benchmark started (for progress messages).
    pub started: Instant,
    /// Idle readings taken so far.
    pub idle: Vec<IdleReading>,
}

impl Context<'_> {
    /// The CLI of `tool`.
    pub fn cli(&self, tool: Tool) -> &Cli {
        match tool {
            Tool::Graphstore => self.graphstore,
            Tool::Reference => self.reference,
        }
    }

    /// Prints a progress line on standard error.
    pub fn progress(&self, message: impl AsRef<str>) {
        eprintln!(
            "[{:6.1} s] {}",
            self.started.elapsed().as_secs_f64(),
            message.as_ref()
        );
    }

    /// Flushes dirty pages and waits for an idle machine before the set of
    /// repetitions called `set`.
    pub fn settle(&mut self, set: &str) {
        let reading = machine::settle(set, self.plan.idle_timeout);
        if reading.gave_up {
            self.progress(format!(
                "{set}: machine still {:.0}% busy after {:.0} s, measuring anyway",
                reading.busy * 100.0,
                reading.waited_s
            ));
        }
        self.idle.push(reading);
    }

    /// A new empty directory `name` under the work directory.
    pub fn fresh_dir(&self, name: &str) -> PathBuf {
        let dir = self.workdir.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove an old scratch directory");
        }
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        dir
    }
}

/// The measured runs of one operation on one tool.
#[derive(Debug, Clone, Default)]
pub struct Series {
    samples: Vec<Sample>,
    failure: Option<String>,
}

impl Series {
    /// Adds a run's result; warm-up runs (`measured` false) only count
    /// when they fail.
    pub fn record(&mut self, result: Result<Sample, Failure>, measured: bool) {
        match result {
            Ok(sample) if measured => self.samples.push(sample),
            Ok(_) => {}
            Err(failure) => {
                self.failure.get_or_insert(failure.0);
            }
        }
    }

    /// Whether any run failed.
    pub fn failed(&self) -> bool {
        self.failure.is_some()
    }

    /// What the table shows: the timings, or why there are none.
    pub fn outcome(self) -> Outcome {
        match self.failure {
            Some(reason) => Outcome::Unavailable(reason),
            None => Measurement::of(self.samples)
                .map_or_else(|| Outcome::Unavailable("no runs".into()), Outcome::Measured),
        }
    }
}

/// The runs of one operation on both tools.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    graphstore: Series,
    reference: Series,
}

impl Pair {
    /// The series of `tool`.
    pub fn get(&self, tool: Tool) -> &Series {
        match tool {
            Tool::Graphstore => &self.graphstore,
            Tool::Reference => &self.reference,
        }
    }

    /// The series of `tool`, to record into.
    pub fn get_mut(&mut self, tool: Tool) -> &mut Series {
        match tool {
            Tool::Graphstore => &mut self.graphstore,
            Tool::Reference => &mut self.reference,
        }
    }

    /// A table row comparing the two.
    pub fn into_row(self, label: impl Into<String>) -> Row {
        Row::compared(label, self.graphstore.outcome(), self.reference.outcome())
    }
}

/// Runs `ops` operations in order in every repetition, each on both tools
/// (their order alternating between repetitions): `run(op, tool, rep)`.
/// Returns one [`Pair`] per operation.
pub fn interleave(
    reps: Reps,
    ops: usize,
    mut run: impl FnMut(usize, Tool, usize) -> Result<Sample, Failure>,
) -> Vec<Pair> {
    let mut pairs = vec![Pair::default(); ops];
    for rep in 0..reps.total() {
        for (op, pair) in pairs.iter_mut().enumerate() {
            for tool in Tool::order(rep) {
                pair.get_mut(tool)
                    .record(run(op, tool, rep), reps.is_measured(rep));
            }
        }
    }
    pairs
}

/// Command arguments from a mix of strings and paths.
pub fn os_args(parts: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    parts
        .iter()
        .map(|part| part.as_ref().to_os_string())
        .collect()
}

/// Copies a directory tree with owners, modes and times (`cp -a`).
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), Failure> {
    measure::run_captured(Command::new("cp").arg("-a").arg(from).arg(to)).map(drop)
}

/// Most `rm -rf` processes [`remove_in_parallel`] runs at once.
const REMOVE_PARALLELISM: usize = 8;

/// Removes `paths` (untimed) with several `rm -rf` at once: with online
/// discard, one remover mostly waits on the disk, so parallel ones finish
/// several times sooner.
pub fn remove_in_parallel(paths: Vec<PathBuf>) {
    for batch in paths.chunks(REMOVE_PARALLELISM) {
        let children: Vec<_> = batch
            .iter()
            .filter_map(|path| Command::new("rm").arg("-rf").arg(path).spawn().ok())
            .collect();
        for mut child in children {
            let _ = child.wait();
        }
    }
}
