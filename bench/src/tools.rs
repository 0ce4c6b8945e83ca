//! The two CLIs under test: finding (or building) them and running one
//! command against a store root.

use crate::measure::{self, Failure, Sample};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which implementation a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// graphstore's CLI.
    Graphstore,
    /// containers-storage 1.43.
    Reference,
}

impl Tool {
    /// Both tools; the order alternates between repetitions.
    pub const BOTH: [Tool; 2] = [Tool::Graphstore, Tool::Reference];

    /// Both tools, graphstore first on even repetitions and the reference
    /// first on odd ones, so neither always runs on a cache the other warmed.
    pub fn order(rep: usize) -> [Tool; 2] {
        if rep.is_multiple_of(2) {
            Tool::BOTH
        } else {
            [Tool::Reference, Tool::Graphstore]
        }
    }

    /// Position in [`Tool::BOTH`], to index per-tool arrays.
    pub fn index(self) -> usize {
        match self {
            Tool::Graphstore => 0,
            Tool::Reference => 1,
        }
    }

    /// Short name for directories and messages.
    pub fn label(self) -> &'static str {
        match self {
            Tool::Graphstore => "graphstore",
            Tool::Reference => "reference",
        }
    }
}

/// A store's graph root and run root.
#[derive(Debug, Clone)]
pub struct Root {
    /// `-g`
    pub graph: PathBuf,
    /// `-R`
    pub run: PathBuf,
}

impl Root {
    /// `dir/graph` and `dir/run` (not created).
    pub fn under(dir: &Path) -> Root {
        Root {
            graph: dir.join("graph"),
            run: dir.join("run"),
        }
    }
}

/// A CLI binary speaking the `containers-storage` command line.
#[derive(Debug, Clone)]
pub struct Cli {
    /// Which implementation.
    pub tool: Tool,
    /// The executable run.
    pub program: PathBuf,
    /// Where it came from (`program` may be a snapshot of it).
    pub source: PathBuf,
}

/// The storage driver both CLIs are always given.
const DRIVER: &str = "vfs";

impl Cli {
    /// `program -g GRAPH -R RUN -s vfs ARGS…`
    pub fn command<S: AsRef<OsStr>>(&self, root: &Root, args: &[S]) -> Command {
        let mut command = Command::new(&self.program);
        command
            .arg("-g")
            .arg(&root.graph)
            .arg("-R")
            .arg(&root.run)
            .args(["-s", DRIVER])
            .args(args);
        command
    }

    /// Runs one command against `root` and times it.
    pub fn run<S: AsRef<OsStr>>(&self, root: &Root, args: &[S]) -> Result<Sample, Failure> {
        measure::run_timed(&mut self.command(root, args))
    }

    /// Runs one command against `root` (untimed) and returns its output.
    pub fn output<S: AsRef<OsStr>>(&self, root: &Root, args: &[S]) -> Result<String, Failure> {
        measure::run_captured(&mut self.command(root, args))
    }
}

/// The workspace this harness belongs to.
fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ sits in the workspace")
        .to_path_buf()
}

/// The graphstore CLI: `explicit` if given, else the workspace's release
/// binary, brought up to date with `cargo build --release -p graphstore`.
/// The binary is copied into `snapshot_dir` and the copy is run, so that a
/// rebuild in the workspace during the run cannot change what is measured.
pub fn graphstore(explicit: Option<PathBuf>, snapshot_dir: &Path) -> Result<Cli, String> {
    let source = match explicit {
        Some(path) => path,
        None => build_graphstore()?,
    };
    if !source.is_file() {
        return Err(format!("{}: no such graphstore binary", source.display()));
    }
    let program = snapshot_dir.join("graphstore");
    std::fs::create_dir_all(snapshot_dir)
        .and_then(|()| std::fs::copy(&source, &program))
        .map_err(|e| format!("copying {}: {e}", source.display()))?;
    Ok(Cli {
        tool: Tool::Graphstore,
        program,
        source,
    })
}

/// Builds the graphstore CLI in release mode; returns the binary's path.
fn build_graphstore() -> Result<PathBuf, String> {
    let workspace = workspace_dir();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building graphstore: cargo build --release -p graphstore");
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "--release", "-p", "graphstore"])
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release -p graphstore: {status}"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    Ok(target.join("release").join("graphstore"))
}

/// Where Debian installs the reference CLI.
const REFERENCE_NAME: &str = "containers-storage";

/// The reference CLI: `explicit` if given, else `containers-storage` on PATH.
pub fn reference(explicit: Option<PathBuf>) -> Result<Cli, String> {
    let program = explicit
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(REFERENCE_NAME))
                    .find(|candidate| candidate.is_file())
            })
        })
        .ok_or_else(|| {
            format!(
                "{REFERENCE_NAME} not found: run scripts/install-test-deps or pass --reference PATH"
            )
        })?;
    Ok(Cli {
        tool: Tool::Reference,
        source: program.clone(),
        program,
    })
}

impl Cli {
    /// "name: path (version)" for the report header.
    pub fn provenance(&self) -> String {
        let version = match self.tool {
            Tool::Graphstore => git_revision(),
            Tool::Reference => package_version(REFERENCE_NAME),
        };
        format!(
            "{}: {} ({})",
            self.tool.label(),
            self.source.display(),
            version.unwrap_or_else(|| "version unknown".into())
        )
    }
}

/// The workspace's git commit, marked when the tree has local changes.
fn git_revision() -> Option<String> {
    let git = |args: &[&str]| {
        measure::run_captured(
            Command::new("git")
                .arg("-C")
                .arg(workspace_dir())
                .args(args),
        )
        .ok()
    };
    let commit = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.trim().is_empty());
    Some(format!(
        "git {}{}",
        commit.trim(),
        if dirty { " + uncommitted changes" } else { "" }
    ))
}

/// The installed Debian package version of `package`.
fn package_version(package: &str) -> Option<String> {
    let version =
        measure::run_captured(Command::new("dpkg-query").args(["-W", "-f=${Version}", package]))
            .ok()?;
    Some(format!("Debian package {package} {}", version.trim()))
}
