//! Results: sections of rows, rendered as a text table and as JSON.

use crate::config::Mode;
use crate::machine::{IdleReading, Machine};
use crate::measure::Sample;
use crate::stats::{self, Summary};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::time::Duration;

/// The samples of one operation on one tool, summarised.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Median, min, max of the wall times.
    pub summary: Summary,
    /// Every measured run, in order.
    pub samples: Vec<Sample>,
}

impl Measurement {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: Vec<Sample>) -> Option<Measurement> {
        let walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
        Some(Measurement {
            summary: Summary::of(&walls)?,
            samples,
        })
    }

    /// Median user and system CPU time of the runs.
    fn cpu_medians(&self) -> (Duration, Duration) {
        let median = |pick: fn(&Sample) -> Duration| {
            let values: Vec<Duration> = self.samples.iter().map(pick).collect();
            Summary::of(&values).map_or(Duration::ZERO, |s| s.median)
        };
        (median(|s| s.cpu.user), median(|s| s.cpu.system))
    }
}

/// What one side of a row shows.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Timed runs.
    Measured(Measurement),
    /// The operation failed or is not implemented (why).
    Unavailable(String),
    /// Nothing to compare with.
    Absent,
}

impl Outcome {
    /// The summary, when measured.
    pub fn summary(&self) -> Option<&Summary> {
        match self {
            Outcome::Measured(m) => Some(&m.summary),
            _ => None,
        }
    }
}

/// What a row holds.
#[derive(Debug, Clone)]
pub enum Values {
    /// The same operation on graphstore and on the reference.
    Compared {
        /// graphstore's runs.
        graphstore: Outcome,
        /// containers-storage's runs.
        reference: Outcome,
    },
    /// A physical reference (e.g. `tar -xf`) on the same data.
    Physical(Outcome),
}

/// A goal a row is checked against (reported, never asserted).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// graphstore at least this many times faster than the reference.
    Speedup(f64),
    /// graphstore's median at most this many times the right-hand column's.
    Within(f64),
    /// graphstore's median at most `factor` × the median of the physical row
    /// labelled `baseline` in the same section.
    AtMost {
        /// Allowed slowdown.
        factor: f64,
        /// Label of the physical row.
        baseline: String,
    },
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The operation.
    pub label: String,
    /// Images already in the store, when that matters.
    pub n: Option<usize>,
    /// The timings.
    pub values: Values,
    /// The goal, if any.
    pub target: Option<Target>,
}

impl Row {
    /// graphstore / reference times of one operation.
    pub fn compared(label: impl Into<String>, graphstore: Outcome, reference: Outcome) -> Row {
        Row {
            label: label.into(),
            n: None,
            values: Values::Compared {
                graphstore,
                reference,
            },
            target: None,
        }
    }

    /// A physical reference measurement.
    pub fn physical(label: impl Into<String>, outcome: Outcome) -> Row {
        Row {
            label: label.into(),
            n: None,
            values: Values::Physical(outcome),
            target: None,
        }
    }

    /// The same row at store size `n`.
    pub fn at(mut self, n: usize) -> Row {
        self.n = Some(n);
        self
    }

    /// The same row with a goal.
    pub fn with_target(mut self, target: Target) -> Row {
        self.target = Some(target);
        self
    }

    /// reference / graphstore of the medians, when both were measured.
    pub fn ratio(&self) -> Option<f64> {
        match &self.values {
            Values::Compared {
                graphstore,
                reference,
            } => stats::ratio(reference.summary()?.median, graphstore.summary()?.median),
            Values::Physical(_) => None,
        }
    }

    /// graphstore's side (none for physical rows).
    pub fn graphstore(&self) -> Option<&Outcome> {
        match &self.values {
            Values::Compared { graphstore, .. } => Some(graphstore),
            Values::Physical(_) => None,
        }
    }

    /// The reference's side (none for physical rows).
    pub fn reference(&self) -> Option<&Outcome> {
        match &self.values {
            Values::Compared { reference, .. } => Some(reference),
            Values::Physical(_) => None,
        }
    }

    /// The right-hand column: the reference, or the physical measurement.
    fn right(&self) -> &Outcome {
        match &self.values {
            Values::Compared { reference, .. } => reference,
            Values::Physical(outcome) => outcome,
        }
    }

    /// Why each side is unavailable, as "side: reason" lines.
    fn unavailable_reasons(&self) -> Vec<String> {
        let sides = [
            ("graphstore", self.graphstore()),
            ("reference", Some(self.right())),
        ];
        sides
            .into_iter()
            .filter_map(|(side, outcome)| match outcome? {
                Outcome::Unavailable(reason) => Some(format!("{} ({side}): {reason}", self.label)),
                _ => None,
            })
            .collect()
    }
}

/// One scenario's rows and notes.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Table rows.
    pub rows: Vec<Row>,
    /// Free-form remarks (throughput, data description, skipped parts).
    pub notes: Vec<String>,
}

impl Section {
    /// An empty section.
    pub fn new(title: impl Into<String>) -> Section {
        Section {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Whether `row` meets its goal: `None` without a goal or data.
    fn evaluate(&self, row: &Row) -> Option<(String, bool)> {
        match row.target.as_ref()? {
            Target::Speedup(goal) => {
                let ratio = row.ratio()?;
                Some((format!(">={goal}x"), ratio >= *goal))
            }
            Target::Within(factor) => {
                let times = 1.0 / row.ratio()?;
                Some((format!("<={factor}x: {times:.2}x"), times <= *factor))
            }
            Target::AtMost { factor, baseline } => {
                let graphstore = row.graphstore()?.summary()?.median;
                let base = self
                    .rows
                    .iter()
                    .find(|candidate| &candidate.label == baseline)?
                    .right()
                    .summary()?
                    .median;
                let times = graphstore.as_secs_f64() / base.as_secs_f64();
                Some((
                    format!("<={factor}x {}: {times:.2}x", physical_name(baseline)),
                    times <= *factor,
                ))
            }
        }
    }
}

/// Prefix of physical rows' labels.
pub const PHYSICAL_PREFIX: &str = "physical: ";

fn physical_name(label: &str) -> &str {
    label.strip_prefix(PHYSICAL_PREFIX).unwrap_or(label)
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct Report {
    /// Full or quick.
    pub mode: Mode,
    /// When the run started (UTC).
    pub started: String,
    /// Wall time of the whole run.
    pub elapsed: Duration,
    /// Where it ran.
    pub machine: Machine,
    /// The binaries compared, as "name: path (version)".
    pub tools: Vec<String>,
    /// One section per scenario.
    pub sections: Vec<Section>,
    /// How idle the machine was before each set of repetitions.
    pub idle: Vec<IdleReading>,
}

/// A duration with a unit suited to its size.
pub fn format_duration(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    match ms {
        ms if ms < 10.0 => format!("{ms:.2} ms"),
        ms if ms < 100.0 => format!("{ms:.1} ms"),
        ms if ms < 1000.0 => format!("{ms:.0} ms"),
        ms => format!("{:.2} s", ms / 1000.0),
    }
}

fn cell(outcome: Option<&Outcome>) -> String {
    match outcome {
        Some(Outcome::Measured(m)) => format_duration(m.summary.median),
        Some(Outcome::Unavailable(_)) => "n/a".into(),
        Some(Outcome::Absent) | None => "-".into(),
    }
}

fn range(outcome: Option<&Outcome>) -> String {
    match outcome.and_then(Outcome::summary) {
        Some(s) => format!("{}..{}", format_duration(s.min), format_duration(s.max)),
        None => "-".into(),
    }
}

const HEADER: [&str; 8] = [
    "scenario",
    "N",
    "graphstore",
    "reference",
    "ratio",
    "graphstore min..max",
    "reference min..max",
    "target",
];

impl Report {
    /// The human-readable table.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "graphstore-bench ({:?}) started {}, took {:.0} s",
            self.mode,
            self.started,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(out, "machine: {}", self.machine.summary());
        for tool in &self.tools {
            let _ = writeln!(out, "{tool}");
        }
        let _ = writeln!(
            out,
            "ratio = reference median / graphstore median (>1: graphstore faster); \
             physical rows show the command's time in the reference column"
        );
        let mut lines: Vec<Option<[String; 8]>> = vec![Some(HEADER.map(String::from))];
        let mut section_starts = Vec::new();
        for section in &self.sections {
            section_starts.push(lines.len());
            lines.push(None);
            for row in &section.rows {
                let target = section
                    .evaluate(row)
                    .map_or_else(String::new, |(goal, met)| {
                        format!("{goal} {}", if met { "ok" } else { "MISS" })
                    });
                lines.push(Some([
                    row.label.clone(),
                    row.n.map_or_else(String::new, |n| n.to_string()),
                    cell(row.graphstore()),
                    cell(Some(row.right())),
                    row.ratio()
                        .map_or_else(|| "-".into(), |r| format!("{r:.2}")),
                    range(row.graphstore()),
                    range(Some(row.right())),
                    target,
                ]));
            }
        }
        let mut widths = [0usize; 8];
        for line in lines.iter().flatten() {
            for (width, text) in widths.iter_mut().zip(line) {
                *width = (*width).max(text.chars().count());
            }
        }
        let mut sections = self.sections.iter();
        for line in &lines {
            match line {
                Some(cells) => {
                    let mut text = String::new();
                    for (index, (value, width)) in cells.iter().zip(widths).enumerate() {
                        // Text columns left-aligned, numbers right-aligned.
                        if index == 0 || index == 7 {
                            let _ = write!(text, "{value:<width$}  ");
                        } else {
                            let _ = write!(text, "{value:>width$}  ");
                        }
                    }
                    let _ = writeln!(out, "{}", text.trim_end());
                }
                None => {
                    let section = sections.next().expect("one heading per section");
                    let _ = writeln!(out, "\n## {}", section.title);
                }
            }
        }
        out.push('\n');
        for section in &self.sections {
            let reasons = section.rows.iter().flat_map(Row::unavailable_reasons);
            for note in section.notes.iter().cloned().chain(reasons) {
                let _ = writeln!(out, "- {}: {note}", section.title);
            }
        }
        let busy: Vec<&IdleReading> = self.idle.iter().filter(|r| r.gave_up).collect();
        if !busy.is_empty() {
            let _ = writeln!(
                out,
                "- WARNING: machine still busy when {} of {} sets started (worst {:.0}% CPU): {}",
                busy.len(),
                self.idle.len(),
                busy.iter().map(|r| r.busy).fold(0.0, f64::max) * 100.0,
                busy.iter()
                    .map(|r| r.set.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        out
    }

    /// The machine-readable report.
    pub fn to_json(&self) -> Value {
        json!({
            "mode": self.mode,
            "started": self.started,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "machine": self.machine,
            "tools": self.tools,
            "idle": self.idle,
            "sections": self.sections.iter().map(|section| json!({
                "title": section.title,
                "notes": section.notes,
                "rows": section.rows.iter().map(|row| row_json(section, row)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

fn outcome_json(outcome: &Outcome) -> Value {
    match outcome {
        Outcome::Measured(m) => {
            let (user, system) = m.cpu_medians();
            json!({
                "median_s": m.summary.median.as_secs_f64(),
                "min_s": m.summary.min.as_secs_f64(),
                "max_s": m.summary.max.as_secs_f64(),
                "runs": m.summary.count,
                "cpu_user_median_s": user.as_secs_f64(),
                "cpu_system_median_s": system.as_secs_f64(),
                "wall_s": m.samples.iter().map(|s| s.wall.as_secs_f64()).collect::<Vec<_>>(),
            })
        }
        Outcome::Unavailable(reason) => json!({ "unavailable": reason }),
        Outcome::Absent => Value::Null,
    }
}

fn row_json(section: &Section, row: &Row) -> Value {
    let (kind, graphstore, reference) = match &row.values {
        Values::Compared {
            graphstore,
            reference,
        } => (
            "compared",
            outcome_json(graphstore),
            outcome_json(reference),
        ),
        Values::Physical(outcome) => ("physical", Value::Null, outcome_json(outcome)),
    };
    let target = section
        .evaluate(row)
        .map(|(goal, met)| json!({ "goal": goal, "met": met }));
    json!({
        "scenario": row.label,
        "kind": kind,
        "n": row.n,
        "graphstore": graphstore,
        "reference": reference,
        "ratio": row.ratio(),
        "target": target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::CpuTime;

    fn measured(ms: &[u64]) -> Outcome {
        let samples = ms
            .iter()
            .map(|&ms| Sample {
                wall: Duration::from_millis(ms),
                cpu: CpuTime::default(),
            })
            .collect();
        Outcome::Measured(Measurement::of(samples).unwrap())
    }

    #[test]
    fn targets_compare_medians() {
        let mut section = Section::new("layers");
        section.rows.push(Row::physical(
            "physical: tar -xf",
            measured(&[100, 100, 100]),
        ));
        let import = Row::compared("import-layer", measured(&[110]), measured(&[300])).with_target(
            Target::AtMost {
                factor: 1.2,
                baseline: "physical: tar -xf".into(),
            },
        );
        let slow = Row::compared("diff", measured(&[50]), measured(&[60]))
            .with_target(Target::Speedup(2.0));
        assert_eq!(section.evaluate(&import).map(|t| t.1), Some(true));
        assert_eq!(section.evaluate(&slow).map(|t| t.1), Some(false));
        assert!((import.ratio().unwrap() - 300.0 / 110.0).abs() < 1e-9);
    }

    #[test]
    fn unavailable_rows_have_no_ratio_and_give_their_reason() {
        let row = Row::compared(
            "changes",
            Outcome::Unavailable("exit 1".into()),
            measured(&[5]),
        );
        assert_eq!(row.ratio(), None);
        assert_eq!(
            row.unavailable_reasons(),
            vec!["changes (graphstore): exit 1"]
        );
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(format_duration(Duration::from_micros(4_250)), "4.25 ms");
        assert_eq!(format_duration(Duration::from_micros(72_340)), "72.3 ms");
        assert_eq!(format_duration(Duration::from_millis(1_380)), "1.38 s");
    }
}
