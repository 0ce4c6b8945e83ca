//! Scenario 2: records commands at scale — the time of one `create-image`,
//! `set-names`, `set-image-data`, `get-image-data`, `image`, `images`,
//! `images --json` and `delete-image` when the store already holds N images.
//!
//! Each store size is seeded once with the graphstore library (same on-disk
//! format; seeding 5000 images through one process per image would take
//! minutes) and copied to a fresh root per CLI, which is checked to list
//! exactly N images before timing.

use super::{Context, Pair, copy_tree, interleave, library, os_args};
use crate::data::Rng;
use crate::report::{Section, Target};
use crate::tools::{Root, Tool};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Label of the create-image rows (quoted by scenario 3).
pub const CREATE_IMAGE_LABEL: &str = "create-image";
/// graphstore should be at least this many times faster.
const SPEEDUP_GOAL: f64 = 2.0;
/// Sizes of the two image data items.
const SMALL_DATA_BYTES: usize = 1024;
const LARGE_DATA_BYTES: usize = 10 * 1024 * 1024;
/// Seed of the data items' content.
const DATA_SEED: u64 = 0x6461_7461;
/// Keys of the two image data items.
const SMALL_KEY: &str = "small";
const LARGE_KEY: &str = "large";

/// What one repetition's commands refer to.
struct Inputs {
    /// The new image's name, then its name after `set-names`.
    created: String,
    renamed: String,
    /// Files holding the data items.
    small: PathBuf,
    large: PathBuf,
}

/// One timed command: its row label and its arguments.
struct Op {
    label: &'static str,
    args: fn(&Inputs) -> Vec<OsString>,
}

/// The commands of one repetition, in order; the last one restores N.
const OPS: &[Op] = &[
    Op {
        label: CREATE_IMAGE_LABEL,
        args: |i| os_args(&[&"create-image", &"--name", &i.created]),
    },
    Op {
        label: "set-names",
        args: |i| os_args(&[&"set-names", &"--name", &i.renamed, &i.created]),
    },
    Op {
        label: "set-image-data 1 KiB",
        args: |i| os_args(&[&"set-image-data", &"-f", &i.small, &i.renamed, &SMALL_KEY]),
    },
    Op {
        label: "set-image-data 10 MiB",
        args: |i| os_args(&[&"set-image-data", &"-f", &i.large, &i.renamed, &LARGE_KEY]),
    },
    Op {
        label: "get-image-data 1 KiB",
        args: |i| os_args(&[&"get-image-data", &i.renamed, &SMALL_KEY]),
    },
    Op {
        label: "get-image-data 10 MiB",
        args: |i| os_args(&[&"get-image-data", &i.renamed, &LARGE_KEY]),
    },
    Op {
        label: "image NAME",
        args: |i| os_args(&[&"image", &i.renamed]),
    },
    Op {
        label: "images",
        args: |_| os_args(&[&"images"]),
    },
    Op {
        label: "images --json",
        args: |_| os_args(&[&"images", &"--json"]),
    },
    Op {
        label: "delete-image",
        args: |i| os_args(&[&"delete-image", &i.renamed]),
    },
];

/// Writes a deterministic data file of `len` bytes.
fn write_data(path: &Path, len: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let bytes: Vec<u8> = (0..len.div_ceil(8))
        .flat_map(|_| rng.next_u64().to_le_bytes())
        .take(len)
        .collect();
    std::fs::write(path, bytes).expect("write an image data file");
}

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new("2. Records at scale (per command, N images in the store)");
    let dir = ctx.fresh_dir("records");
    let small = dir.join("data-1k");
    let large = dir.join("data-10m");
    write_data(&small, SMALL_DATA_BYTES, DATA_SEED);
    write_data(&large, LARGE_DATA_BYTES, DATA_SEED + 1);
    let seed_dir = dir.join("seed");
    let mut seed = match library::open(&Root::under(&seed_dir)) {
        Ok(store) => store,
        Err(error) => {
            section.notes.push(format!("seed store: {error}"));
            return section;
        }
    };
    let mut counts = ctx.plan.record_counts.clone();
    counts.sort_unstable();
    let mut seeded = 0;
    // (op, n, pair) in measuring order; sorted by op for the table.
    let mut results: Vec<(usize, usize, Pair)> = Vec::new();
    for n in counts {
        ctx.progress(format!("records: seeding N={n}"));
        if let Err(error) = library::create_numbered(&mut seed, seeded..n, drop) {
            section.notes.push(format!("seeding N={n}: {error}"));
            break;
        }
        seeded = n;
        let roots = Tool::BOTH.map(|tool| {
            let copy = dir.join(format!("n{n}-{}", tool.label()));
            copy_tree(&seed_dir, &copy).map(|()| Root::under(&copy))
        });
        let roots: Vec<Root> = match roots.into_iter().collect() {
            Ok(roots) => roots,
            Err(error) => {
                section
                    .notes
                    .push(format!("copying the seed store: {error}"));
                break;
            }
        };
        for tool in Tool::BOTH {
            if let Err(problem) = check_count(ctx, tool, &roots[tool.index()], n) {
                section.notes.push(problem);
            }
        }
        ctx.progress(format!("records: timing N={n}"));
        ctx.settle(&format!("records N={n}"));
        let pairs = interleave(ctx.plan.records, OPS.len(), |op, tool, rep| {
            let inputs = Inputs {
                created: format!("bench-{rep}"),
                renamed: format!("bench-{rep}-renamed"),
                small: small.clone(),
                large: large.clone(),
            };
            ctx.cli(tool)
                .run(&roots[tool.index()], &(OPS[op].args)(&inputs))
        });
        results.extend(
            pairs
                .into_iter()
                .enumerate()
                .map(|(op, pair)| (op, n, pair)),
        );
        for root in &roots {
            let _ = std::fs::remove_dir_all(root.graph.parent().expect("a root's directory"));
        }
    }
    results.sort_by_key(|(op, n, _)| (*op, *n));
    section.rows = results
        .into_iter()
        .map(|(op, n, pair)| {
            pair.into_row(OPS[op].label)
                .at(n)
                .with_target(Target::Speedup(SPEEDUP_GOAL))
        })
        .collect();
    section
}

/// Checks that `tool` lists exactly `n` images in the copied seed store.
fn check_count(ctx: &Context<'_>, tool: Tool, root: &Root, n: usize) -> Result<(), String> {
    let listed = ctx
        .cli(tool)
        .output(root, &["images", "-q"])
        .map_err(|e| format!("{} cannot list the seeded store: {e}", tool.label()))?;
    let count = listed
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count();
    if count == n {
        Ok(())
    } else {
        Err(format!(
            "{} lists {count} images, expected {n}",
            tool.label()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repetition_ends_by_deleting_what_it_created() {
        let first = OPS.first().unwrap();
        let last = OPS.last().unwrap();
        assert_eq!(first.label, CREATE_IMAGE_LABEL);
        assert_eq!(last.label, "delete-image");
        let inputs = Inputs {
            created: "a".into(),
            renamed: "b".into(),
            small: "s".into(),
            large: "l".into(),
        };
        assert_eq!(
            (last.args)(&inputs),
            vec![OsString::from("delete-image"), "b".into()]
        );
    }
}
