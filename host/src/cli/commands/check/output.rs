//! What `check` prints, as storage v1.62's CLI prints it: per object a
//! `<kind> <id>:` line and one ` <message>` line per finding; with
//! `--json`, the Go encoding of the report, whose error values encode as
//! `{}` (Go's errors have no exported fields); and the summary the
//! command fails with.

use crate::{CheckFinding, CheckReport};
use serde::Serialize;
use std::collections::BTreeMap;

/// A Go `error` value as `encoding/json` encodes it: `{}`.
#[derive(Serialize)]
pub struct GoError {}

/// Findings by ID, each finding as Go encodes it.
type EncodedFindings<'a> = BTreeMap<&'a str, Vec<GoError>>;

/// The report as upstream's `json.Encoder` writes it: exported fields in
/// declaration order, maps with sorted keys.
#[derive(Serialize)]
pub struct ReportJson<'a> {
    #[serde(rename = "Layers")]
    layers: EncodedFindings<'a>,
    #[serde(rename = "ROLayers")]
    read_only_layers: EncodedFindings<'a>,
    #[serde(rename = "Images")]
    images: EncodedFindings<'a>,
    #[serde(rename = "ROImages")]
    read_only_images: EncodedFindings<'a>,
    #[serde(rename = "Containers")]
    containers: EncodedFindings<'a>,
}

fn encoded(findings: &[CheckFinding]) -> EncodedFindings<'_> {
    findings
        .iter()
        .map(|finding| {
            let errors = finding.errors.iter().map(|_| GoError {}).collect();
            (finding.id.as_str(), errors)
        })
        .collect()
}

/// The report in upstream's JSON shape.
pub fn report_json(report: &CheckReport) -> ReportJson<'_> {
    ReportJson {
        layers: encoded(&report.layers),
        read_only_layers: encoded(&report.read_only_layers),
        images: encoded(&report.images),
        read_only_images: encoded(&report.read_only_images),
        containers: encoded(&report.containers),
    }
}

/// The report as text: each group in upstream's order, IDs sorted.
pub fn report_text(report: &CheckReport) -> String {
    let groups = [
        ("layer", &report.layers),
        ("read-only layer", &report.read_only_layers),
        ("image", &report.images),
        ("read-only image", &report.read_only_images),
        ("container", &report.containers),
    ];
    let mut text = String::new();
    for (noun, findings) in groups {
        for finding in findings {
            if !finding.errors.is_empty() {
                text.push_str(&format!("{noun} {}:\n", finding.id));
            }
            for error in &finding.errors {
                text.push_str(&format!(" {}\n", error.message));
            }
        }
    }
    text
}

/// Why `check` without `--repair` fails: how many objects of each group
/// have findings.
pub fn damage_summary(report: &CheckReport) -> String {
    format!(
        "{} layer errors, {} read-only layer errors, {} image errors, {} read-only image errors, {} container errors",
        report.layers.len(),
        report.read_only_layers.len(),
        report.images.len(),
        report.read_only_images.len(),
        report.containers.len()
    )
}

/// Why `check --repair` fails after repairing: what it never repairs
/// (read-only stores; containers without `--force`), if anything.
pub fn unrepaired_summary(report: &CheckReport, removed_containers: bool) -> Option<String> {
    let read_only = (report.read_only_layers.len(), report.read_only_images.len());
    let containers_left = !removed_containers && !report.containers.is_empty();
    if read_only == (0, 0) && !containers_left {
        return None;
    }
    let mut summary = format!(
        "{} read-only layer errors, {} read-only image errors",
        read_only.0, read_only.1
    );
    if !removed_containers {
        summary.push_str(&format!(", {} container errors", report.containers.len()));
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::output::json_line;
    use crate::{CheckError, CheckProblem};

    fn finding(id: &str, messages: &[&str]) -> CheckFinding {
        CheckFinding {
            id: id.into(),
            errors: messages
                .iter()
                .map(|message| CheckError {
                    problem: CheckProblem::Other,
                    message: message.to_string(),
                })
                .collect(),
        }
    }

    fn sample() -> CheckReport {
        CheckReport {
            layers: vec![
                finding("a", &["layer a: x", "layer a: y"]),
                finding("b", &["layer b: z"]),
            ],
            read_only_layers: vec![finding("r", &["read-only layer r: w"])],
            images: vec![],
            read_only_images: vec![finding("i", &["read-only image i: v"])],
            containers: vec![finding("c", &["image i: image missing"])],
        }
    }

    #[test]
    fn text_lists_each_object_then_its_findings() {
        assert_eq!(
            report_text(&sample()),
            "layer a:\n layer a: x\n layer a: y\nlayer b:\n layer b: z\n\
             read-only layer r:\n read-only layer r: w\n\
             read-only image i:\n read-only image i: v\n\
             container c:\n image i: image missing\n"
        );
        assert_eq!(report_text(&CheckReport::default_empty()), "");
    }

    #[test]
    fn json_has_upstreams_shape_with_empty_error_objects() {
        assert_eq!(
            json_line(&report_json(&sample())),
            "{\"Layers\":{\"a\":[{},{}],\"b\":[{}]},\"ROLayers\":{\"r\":[{}]},\"Images\":{},\"ROImages\":{\"i\":[{}]},\"Containers\":{\"c\":[{}]}}\n"
        );
        assert_eq!(
            json_line(&report_json(&CheckReport::default_empty())),
            "{\"Layers\":{},\"ROLayers\":{},\"Images\":{},\"ROImages\":{},\"Containers\":{}}\n"
        );
    }

    #[test]
    fn summaries_count_objects_per_group() {
        let report = sample();
        assert_eq!(
            damage_summary(&report),
            "2 layer errors, 1 read-only layer errors, 0 image errors, 1 read-only image errors, 1 container errors"
        );
        assert_eq!(
            unrepaired_summary(&report, false).as_deref(),
            Some("1 read-only layer errors, 1 read-only image errors, 1 container errors")
        );
        assert_eq!(
            unrepaired_summary(&report, true).as_deref(),
            Some("1 read-only layer errors, 1 read-only image errors")
        );
        let repairable = CheckReport {
            layers: report.layers.clone(),
            ..CheckReport::default_empty()
        };
        assert_eq!(unrepaired_summary(&repairable, false), None);
        let containers_only = CheckReport {
            containers: report.containers.clone(),
            ..CheckReport::default_empty()
        };
        assert_eq!(unrepaired_summary(&containers_only, true), None);
        assert_eq!(
            unrepaired_summary(&containers_only, false).as_deref(),
            Some("0 read-only layer errors, 0 read-only image errors, 1 container errors")
        );
    }

    impl CheckReport {
        fn default_empty() -> Self {
            CheckReport {
                layers: vec![],
                read_only_layers: vec![],
                images: vec![],
                read_only_images: vec![],
                containers: vec![],
            }
        }
    }
}
