//! Command-line options of `graphstore-bench`.

use crate::config::Mode;
use crate::scenarios::Scenario;
use crate::scenarios::probe::ProbeKind;
use std::path::PathBuf;

/// Usage text for `--help` and errors.
pub const USAGE: &str = "\
usage: graphstore-bench [--quick] [--json FILE] [--only LIST]
                        [--graphstore PATH] [--reference PATH]
                        [--workdir DIR] [--keep]
       graphstore-bench [--quick] --write-layer DIR

Runs graphstore and containers-storage 1.43 (-s vfs) on the same scenarios
against fresh roots and prints a table of medians (stdout).

  --quick            small scale (N = 0 and 100, a 20 MiB layer): < 3 minutes
  --json FILE        also write the results as JSON to FILE
  --only LIST        comma-separated scenarios: startup,library,records,layers,wasm,
                     tenants
  --graphstore PATH  graphstore CLI to use (default: build the workspace's
                     release binary with cargo build --release -p graphstore)
  --reference PATH   containers-storage CLI (default: containers-storage on PATH)
  --workdir DIR      where scratch stores and data go (default: $TMPDIR or /tmp)
  --keep             keep the scratch directory
  --write-layer DIR  only write the generated layer (layer.tar, layer.tar.gz,
                     layer.tar.zst) to DIR, e.g. to profile one command by hand
";

/// Parsed options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Full or quick plan.
    pub mode: Mode,
    /// Where to write the JSON report.
    pub json: Option<PathBuf>,
    /// Scenarios to run, in running order.
    pub scenarios: Vec<Scenario>,
    /// Explicit graphstore binary.
    pub graphstore: Option<PathBuf>,
    /// Explicit reference binary.
    pub reference: Option<PathBuf>,
    /// Parent of the scratch directory.
    pub workdir: Option<PathBuf>,
    /// Keep the scratch directory.
    pub keep: bool,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Run the benchmark.
    Run(Options),
    /// Write the plan's generated layer into a directory.
    WriteLayer(Mode, PathBuf),
    /// Run the density probe in this process (the tenants scenario
    /// starts it as a child): what to open, at most how many, where.
    Probe(ProbeKind, usize, PathBuf),
    /// Print [`USAGE`].
    Help,
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut options = Options {
        mode: Mode::Full,
        json: None,
        scenarios: Scenario::ALL.to_vec(),
        graphstore: None,
        reference: None,
        workdir: None,
        keep: false,
    };
    let mut write_layer = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => options.mode = Mode::Quick,
            "--keep" => options.keep = true,
            "--json" => options.json = Some(value("--json")?.into()),
            "--graphstore" => options.graphstore = Some(value("--graphstore")?.into()),
            "--reference" => options.reference = Some(value("--reference")?.into()),
            "--workdir" => options.workdir = Some(value("--workdir")?.into()),
            "--write-layer" => write_layer = Some(value("--write-layer")?.into()),
            "--only" => options.scenarios = scenarios(&value("--only")?)?,
            "--probe" => {
                let kind = value("--probe")?;
                let kind = ProbeKind::parse(&kind)
                    .ok_or_else(|| format!("unknown probe kind {kind:?}"))?;
                let max = value("--probe")?
                    .parse()
                    .map_err(|e| format!("--probe count: {e}"))?;
                return Ok(Parsed::Probe(kind, max, value("--probe")?.into()));
            }
            "-h" | "--help" => return Ok(Parsed::Help),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(match write_layer {
        Some(dir) => Parsed::WriteLayer(options.mode, dir),
        None => Parsed::Run(options),
    })
}

/// The scenarios named in `list`, in running order.
fn scenarios(list: &str) -> Result<Vec<Scenario>, String> {
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    if let Some(unknown) = names
        .iter()
        .find(|name| !Scenario::ALL.iter().any(|s| s.name() == **name))
    {
        return Err(format!("unknown scenario {unknown:?}"));
    }
    Ok(Scenario::ALL
        .into_iter()
        .filter(|scenario| names.contains(&scenario.name()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &str) -> Result<Parsed, String> {
        parse(words.split_whitespace().map(String::from))
    }

    #[test]
    fn defaults_to_the_full_plan_with_every_scenario() {
        let Parsed::Run(options) = parse_words("").unwrap() else {
            panic!("expected a run")
        };
        assert_eq!(options.mode, Mode::Full);
        assert_eq!(options.scenarios, Scenario::ALL.to_vec());
    }

    #[test]
    fn only_keeps_running_order() {
        let Parsed::Run(options) = parse_words("--quick --only layers,startup").unwrap() else {
            panic!("expected a run")
        };
        assert_eq!(options.mode, Mode::Quick);
        assert_eq!(options.scenarios, vec![Scenario::Startup, Scenario::Layers]);
    }

    #[test]
    fn rejects_unknown_input() {
        assert!(parse_words("--only nope").is_err());
        assert!(parse_words("--fast").is_err());
        assert!(parse_words("--json").is_err());
        assert_eq!(parse_words("--help"), Ok(Parsed::Help));
        assert_eq!(
            parse_words("--write-layer /d --quick"),
            Ok(Parsed::WriteLayer(Mode::Quick, "/d".into()))
        );
    }
}
