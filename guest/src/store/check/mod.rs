//! `check` and `repair` (newer containers/storage, storage v1.62's
//! `Store.Check` / `Store.Repair`): what is damaged in the store, and
//! removing it together with what depends on it.
//!
//! This module holds the report, the options and the wording of every
//! finding (pure); [`scan`] walks the store to fill a report, [`repair`]
//! acts on one.

mod contents;
mod repair;
mod scan;

use std::collections::BTreeMap;

/// Upstream's default for how old an unreferenced layer may be before
/// `check` reports it (`defaultMaximumUnreferencedLayerAge`): 24 hours.
pub const DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS: i64 = 24 * 3600 * 1_000_000_000;

/// What kind of damage a finding describes: upstream's check error values,
/// plus `Other` for a failure passed through (a read error, a bad digest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// A layer tree the driver holds but no layer record names.
    LayerUnaccounted,
    /// A layer no image or container uses, older than the allowed age.
    LayerUnreferenced,
    /// Rebuilding a layer's diff gives another digest than recorded.
    LayerIncorrectContentDigest,
    /// Rebuilding a layer's diff gives another size than recorded.
    LayerIncorrectContentSize,
    /// A layer's tree differs from what its diffs describe.
    LayerContentModified,
    /// A layer's data item is missing.
    LayerDataMissing,
    /// A layer's parent (named in the message) is missing.
    LayerMissing,
    /// A layer of an image is missing.
    ImageLayerMissing,
    /// An image's data item is missing.
    ImageDataMissing,
    /// An image's data item no longer has its recorded size.
    ImageDataIncorrectSize,
    /// A container's image is missing.
    ContainerImageMissing,
    /// A container's data item is missing.
    ContainerDataMissing,
    /// A container's data item no longer has its recorded size.
    ContainerDataIncorrectSize,
    /// Another failure met while checking (its message says which).
    Other,
}

impl Problem {
    /// Upstream's text of the error value (`types.ErrLayerUnaccounted`, …);
    /// empty for [`Problem::Other`].
    pub fn text(self) -> &'static str {
        match self {
            Problem::LayerUnaccounted => "layer in lower level storage driver not accounted for",
            Problem::LayerUnreferenced => "layer not referenced by any images or containers",
            Problem::LayerIncorrectContentDigest => "layer content incorrect digest",
            Problem::LayerIncorrectContentSize => "layer content incorrect size",
            Problem::LayerContentModified => "layer content modified",
            Problem::LayerDataMissing => "layer data item is missing",
            Problem::LayerMissing => "layer is missing",
            Problem::ImageLayerMissing => "image layer is missing",
            Problem::ImageDataMissing => "image data item is missing",
            Problem::ImageDataIncorrectSize => "image data item has incorrect size",
            Problem::ContainerImageMissing => "image missing",
            Problem::ContainerDataMissing => "container data item is missing",
            Problem::ContainerDataIncorrectSize => "container data item has incorrect size",
            Problem::Other => "",
        }
    }
}

/// One finding: its kind and the whole message, worded as upstream's
/// wrapped error (`layer <id>: data item "k": layer data item is missing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckError {
    /// What kind of damage.
    pub problem: Problem,
    /// The message, as upstream prints it.
    pub message: String,
}

/// Findings per object ID, in ID order; an object appears only with at
/// least one finding.
pub type Findings = BTreeMap<String, Vec<CheckError>>;

/// What `check` found (upstream's `CheckReport`): damaged layers, images
/// and containers of the primary store, and read-only layers and images of
/// additional image stores. An image carries its layers' findings, a
/// container its image's (and its layer's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Damaged layers of the primary store (and layer trees without a record).
    pub layers: Findings,
    /// Damaged layers of additional image stores.
    pub read_only_layers: Findings,
    /// Damaged images of the primary store.
    pub images: Findings,
    /// Damaged images of additional image stores.
    pub read_only_images: Findings,
    /// Damaged containers.
    pub containers: Findings,
}

impl CheckReport {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.layers.is_empty()
            && self.read_only_layers.is_empty()
            && self.images.is_empty()
            && self.read_only_images.is_empty()
            && self.containers.is_empty()
    }
}

/// Which checks to run (upstream's `CheckOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// How old (nanoseconds, may be negative) an unreferenced layer may be
    /// before it is reported; `None`: 24 hours.
    pub layer_unreferenced_maximum_age: Option<i64>,
    /// Rebuild each layer's diff and compare it with the recorded digest and size.
    pub layer_digests: bool,
    /// Check that each layer's tree is there.
    pub layer_mountable: bool,
    /// Compare each layer's tree with what its diffs describe (needs
    /// `layer_digests` and `layer_mountable`).
    pub layer_contents: bool,
    /// Read each layer data item.
    pub layer_data: bool,
    /// Read each image data item and compare its size with the recorded one.
    pub image_data: bool,
    /// Read each container data item and compare its size with the recorded one.
    pub container_data: bool,
}

impl CheckOptions {
    /// Every check (upstream's `CheckEverything`, the CLI's default).
    pub fn everything() -> Self {
        CheckOptions {
            layer_contents: true,
            ..Self::most()
        }
    }

    /// The quick checks: all but the tree comparison (upstream's
    /// `CheckMost`, the CLI's `--quick`).
    pub fn most() -> Self {
        CheckOptions {
            layer_unreferenced_maximum_age: None,
            layer_digests: true,
            layer_mountable: true,
            layer_contents: false,
            layer_data: true,
            image_data: true,
            container_data: true,
        }
    }
}

/// What `repair` may remove besides layers and images (upstream's
/// `RepairOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairOptions {
    /// Remove damaged containers too (the CLI's `--force`).
    pub remove_containers: bool,
}

/// The three kinds of object a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Noun {
    Layer,
    Image,
    Container,
}

/// The object a message starts with: `read-only layer <id>`.
#[derive(Debug, Clone, Copy)]
struct Subject<'a> {
    noun: Noun,
    id: &'a str,
    read_only: bool,
}

impl Subject<'_> {
    /// `[read-only ]<noun> <id>`, as upstream's messages begin.
    fn prefix(&self) -> String {
        let noun = match self.noun {
            Noun::Layer => "layer",
            Noun::Image => "image",
            Noun::Container => "container",
        };
        let read_only = if self.read_only { "read-only " } else { "" };
        format!("{read_only}{noun} {}", self.id)
    }

    /// `<subject>: <problem's text>`.
    fn problem(&self, problem: Problem) -> CheckError {
        finding(problem, format!("{}: {}", self.prefix(), problem.text()))
    }

    /// `<subject>: <failure>` for a failure passed through.
    fn failure(&self, failure: impl std::fmt::Display) -> CheckError {
        finding(Problem::Other, format!("{}: {failure}", self.prefix()))
    }

    /// `<subject>: data item "<key>": <problem's text>`.
    fn data_item(&self, key: &str, problem: Problem) -> CheckError {
        finding(
            problem,
            format!(
                "{}: data item {}: {}",
                self.prefix(),
                crate::format::go::quote(key),
                problem.text()
            ),
        )
    }

    /// `<subject>: data item "<key>": <failure>`.
    fn data_item_failure(&self, key: &str, failure: impl std::fmt::Display) -> CheckError {
        finding(
            Problem::Other,
            format!(
                "{}: data item {}: {failure}",
                self.prefix(),
                crate::format::go::quote(key)
            ),
        )
    }
}

pub(super) fn finding(problem: Problem, message: String) -> CheckError {
    CheckError { problem, message }
}

/// A layer's rebuilt diff is not as long as recorded.
fn incorrect_size(layer: Subject<'_>, read: u64, recorded: i64) -> CheckError {
    finding(
        Problem::LayerIncorrectContentSize,
        format!(
            "{}: read {read} bytes instead of {recorded} bytes: {}",
            layer.prefix(),
            Problem::LayerIncorrectContentSize.text()
        ),
    )
}

/// One difference between a layer's tree and what its diffs describe.
fn content_modified(layer: Subject<'_>, difference: &str) -> CheckError {
    finding(
        Problem::LayerContentModified,
        format!(
            "{}: {difference}, {}",
            layer.prefix(),
            Problem::LayerContentModified.text()
        ),
    )
}

/// A layer's parent `parent` is missing (upstream names the parent, and the
/// primary store's wording, whatever store the child is in).
fn missing_parent(parent: &str) -> CheckError {
    finding(
        Problem::LayerMissing,
        format!("layer {parent}: {}", Problem::LayerMissing.text()),
    )
}

/// Layer `layer` of image `image` is missing.
fn missing_image_layer(image: Subject<'_>, layer: &str) -> CheckError {
    finding(
        Problem::ImageLayerMissing,
        format!(
            "{}: layer {layer}: {}",
            image.prefix(),
            Problem::ImageLayerMissing.text()
        ),
    )
}

/// A container's image `image` is missing.
fn missing_container_image(image: &str) -> CheckError {
    finding(
        Problem::ContainerImageMissing,
        format!("image {image}: {}", Problem::ContainerImageMissing.text()),
    )
}

/// Adds `errors` to `id`'s findings (an ID with none stays absent).
fn note(findings: &mut Findings, id: &str, errors: impl IntoIterator<Item = CheckError>) {
    let mut errors = errors.into_iter().peekable();
    if errors.peek().is_some() {
        findings.entry(id.to_string()).or_default().extend(errors);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(id: &str, read_only: bool) -> Subject<'_> {
        Subject {
            noun: Noun::Layer,
            id,
            read_only,
        }
    }

    #[test]
    fn messages_are_worded_as_upstream_wraps_its_errors() {
        let image = Subject {
            noun: Noun::Image,
            id: "img",
            read_only: true,
        };
        let container = Subject {
            noun: Noun::Container,
            id: "ctr",
            read_only: false,
        };
        assert_eq!(
            layer("l1", false)
                .data_item("k\"ey", Problem::LayerDataMissing)
                .message,
            r#"layer l1: data item "k\"ey": layer data item is missing"#
        );
        assert_eq!(
            image.data_item("manifest", Problem::ImageDataIncorrectSize),
            CheckError {
                problem: Problem::ImageDataIncorrectSize,
                message: r#"read-only image img: data item "manifest": image data item has incorrect size"#.into(),
            }
        );
        assert_eq!(
            container
                .data_item_failure("cfg", "permission denied")
                .message,
            r#"container ctr: data item "cfg": permission denied"#
        );
        assert_eq!(
            layer("l1", true)
                .problem(Problem::LayerIncorrectContentDigest)
                .message,
            "read-only layer l1: layer content incorrect digest"
        );
        assert_eq!(
            incorrect_size(layer("l1", false), 10, 2048).message,
            "layer l1: read 10 bytes instead of 2048 bytes: layer content incorrect size"
        );
        assert_eq!(missing_parent("p").message, "layer p: layer is missing");
        assert_eq!(
            missing_image_layer(image, "top").message,
            "read-only image img: layer top: image layer is missing"
        );
        assert_eq!(
            missing_container_image("img").message,
            "image img: image missing"
        );
        let failure = layer("l1", false).failure("stat /g/vfs/dir/l1: no such file or directory");
        assert_eq!(failure.problem, Problem::Other);
        assert_eq!(
            failure.message,
            "layer l1: stat /g/vfs/dir/l1: no such file or directory"
        );
    }

    #[test]
    fn noting_nothing_leaves_no_entry() {
        let mut findings = Findings::new();
        note(&mut findings, "a", Vec::new());
        assert!(findings.is_empty());
        note(
            &mut findings,
            "a",
            [layer("a", false).problem(Problem::LayerUnreferenced)],
        );
        note(
            &mut findings,
            "a",
            [layer("a", false).problem(Problem::LayerUnaccounted)],
        );
        assert_eq!(findings["a"].len(), 2);
        assert_eq!(findings["a"][1].problem, Problem::LayerUnaccounted);
        let report = CheckReport {
            layers: findings,
            ..CheckReport::default()
        };
        assert!(!report.is_clean());
        assert!(CheckReport::default().is_clean());
    }

    #[test]
    fn everything_adds_only_the_tree_comparison_to_most() {
        let most = CheckOptions::most();
        let everything = CheckOptions::everything();
        assert!(!most.layer_contents && everything.layer_contents);
        assert_eq!(
            CheckOptions {
                layer_contents: false,
                ..everything
            },
            most
        );
        assert_eq!(DEFAULT_UNREFERENCED_MAXIMUM_AGE_NANOS, 86_400_000_000_000);
    }
}
