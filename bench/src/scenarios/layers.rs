//! Scenario 4: layer contents — importing a generated distro-like layer
//! (plain, gzip and zstd), `applydiff`, `diff`, `changes`, `diffsize`, vfs copies
//! and deletes, next to physical references on the same data (`tar -xf`,
//! `cp -a`, `cat`, `tar -cf - | cat`, `sha256sum`, `gzip -dc | sha256sum`,
//! `rm -rf`).
//!
//! Every repetition first writes (imports, copies), then reads; deletes
//! happen at the end, because on ext4 with online discard writes right
//! after a big delete are several times slower. Only one layer per tool and
//! repetition (the vfs copy) and one tree are deleted timed: with online
//! discard every freed file costs a synchronous discard, so deleting is
//! slow, and the rest is removed untimed, in parallel.

use super::{Context, Pair, Series, os_args, remove_in_parallel};
use crate::data::{self, LayerData};
use crate::machine;
use crate::measure::{self, Failure, time_call};
use crate::report::{Row, Section, Target, format_duration};
use crate::tools::{Root, Tool};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

const IMPORT_TAR: &str = "import-layer (tar)";
const IMPORT_GZIP: &str = "import-layer (tar.gz)";
const IMPORT_ZSTD: &str = "import-layer (tar.zst)";
/// The cost of durability: graphstore alone (1.43 has no such option).
const IMPORT_TAR_SYNCED: &str = "graphstore: import-layer (tar), vfs.sync=filesystem";
const APPLY_DIFF: &str = "applydiff (tar, empty layer)";
const COPY_LAYER: &str = "create-layer PARENT (vfs copy)";
const DIFF: &str = "diff > /dev/null";
const CHANGES: &str = "changes";
const DIFF_SIZE: &str = "diffsize";
const DELETE_LAYER: &str = "delete-layer";
const TAR_EXTRACT: &str = "physical: tar -xf";
const COPY_TREE: &str = "physical: cp -a tree";
const CAT_TAR: &str = "physical: cat tar";
const TAR_TREE: &str = "physical: tar -cf - tree | cat";
const SHA256_TAR: &str = "physical: sha256sum tar";
const GUNZIP_SHA256: &str = "physical: gzip -dc | sha256sum";
const REMOVE_TREE: &str = "physical: rm -rf tree";

/// Imports should cost at most this many times `tar -xf`.
const IMPORT_GOAL: f64 = 1.2;
/// `diff` should cost at most this many times `cat` of the tar.
const DIFF_GOAL: f64 = 1.2;
/// Where both CLIs keep vfs layer trees, under the graph root.
const VFS_LAYER_DIR: &str = "vfs/dir";

/// Table order: each operation next to its physical reference.
const ROW_ORDER: &[&str] = &[
    IMPORT_TAR,
    IMPORT_TAR_SYNCED,
    APPLY_DIFF,
    TAR_EXTRACT,
    IMPORT_GZIP,
    GUNZIP_SHA256,
    IMPORT_ZSTD,
    COPY_LAYER,
    COPY_TREE,
    DIFF,
    CAT_TAR,
    TAR_TREE,
    SHA256_TAR,
    CHANGES,
    DIFF_SIZE,
    DELETE_LAYER,
    REMOVE_TREE,
];

/// Layer IDs of one repetition.
struct Ids {
    plain: String,
    synced: String,
    gzip: String,
    zstd: String,
    applied: String,
    copy: String,
}

impl Ids {
    fn for_rep(rep: usize) -> Ids {
        let id = |what: &str| format!("bench-r{rep}-{what}");
        Ids {
            plain: id("plain"),
            synced: id("synced"),
            gzip: id("gzip"),
            zstd: id("zstd"),
            applied: id("applied"),
            copy: id("copy"),
        }
    }
}

/// Everything measured so far, by row label.
#[derive(Default)]
struct Results {
    compared: Vec<(&'static str, Pair)>,
    physical: Vec<(&'static str, Series)>,
}

/// The entry labelled `label`, added when missing.
fn entry<'a, T: Default>(list: &'a mut Vec<(&'static str, T)>, label: &'static str) -> &'a mut T {
    let index = match list.iter().position(|(l, _)| *l == label) {
        Some(index) => index,
        None => {
            list.push((label, T::default()));
            list.len() - 1
        }
    };
    &mut list[index].1
}

impl Results {
    fn pair(&mut self, label: &'static str) -> &mut Pair {
        entry(&mut self.compared, label)
    }

    fn series(&mut self, label: &'static str) -> &mut Series {
        entry(&mut self.physical, label)
    }

    fn failed(&self, label: &str, tool: Tool) -> bool {
        self.compared
            .iter()
            .any(|(l, pair)| *l == label && pair.get(tool).failed())
    }
}

/// One repetition's position and files.
struct Rep<'a> {
    index: usize,
    measured: bool,
    ids: Ids,
    data: &'a LayerData,
    roots: &'a [Root; 2],
    dir: &'a Path,
}

impl Rep<'_> {
    fn root(&self, tool: Tool) -> &Root {
        &self.roots[tool.index()]
    }

    fn tree(&self) -> PathBuf {
        self.dir.join(format!("tree-r{}", self.index))
    }

    fn tree_copy(&self) -> PathBuf {
        self.dir.join(format!("tree-copy-r{}", self.index))
    }
}

/// Runs one operation on both tools (order alternating by repetition),
/// after flushing dirty pages. `needs`: an earlier operation whose failure
/// on a tool makes this one impossible there.
fn compared_step(
    ctx: &Context<'_>,
    results: &mut Results,
    rep: &Rep<'_>,
    label: &'static str,
    needs: Option<&'static str>,
    args: impl Fn(&Ids) -> Vec<OsString>,
) {
    for tool in Tool::order(rep.index) {
        let result = match needs.filter(|needed| results.failed(needed, tool)) {
            Some(needed) => Err(Failure(format!("needs {needed}, which failed"))),
            None => {
                machine::sync_disks();
                ctx.cli(tool).run(rep.root(tool), &args(&rep.ids))
            }
        };
        results
            .pair(label)
            .get_mut(tool)
            .record(result, rep.measured);
    }
}

/// Runs a physical reference command after flushing dirty pages.
fn physical_step(results: &mut Results, rep: &Rep<'_>, label: &'static str, mut command: Command) {
    machine::sync_disks();
    let result = measure::run_timed(&mut command);
    results.series(label).record(result, rep.measured);
}

/// `program args…` as a command.
fn command(program: &str, args: &[&dyn AsRef<OsStr>]) -> Command {
    let mut command = Command::new(program);
    command.args(os_args(args));
    command
}

/// The writing half of a repetition: imports, applydiff, copies.
fn writes(ctx: &Context<'_>, results: &mut Results, rep: &Rep<'_>) {
    let (tar, tar_gz) = (&rep.data.tar, &rep.data.tar_gz);
    compared_step(ctx, results, rep, IMPORT_TAR, None, |ids| {
        os_args(&[&"import-layer", &"--id", &ids.plain, &"-f", tar])
    });

    let synced_import = os_args(&[
        &"--storage-opt",
        &"vfs.sync=filesystem",
        &"import-layer",
        &"--id",
        &rep.ids.synced,
        &"-f",
        tar,
    ]);
    let graphstore = Tool::Graphstore;
    physical_step(
        results,
        rep,
        IMPORT_TAR_SYNCED,
        ctx.cli(graphstore)
            .command(rep.root(graphstore), &synced_import),
    );

    let tree = rep.tree();
    std::fs::create_dir_all(&tree).expect("create the extraction directory");
    physical_step(
        results,
        rep,
        TAR_EXTRACT,
        command("tar", &[&"-xf", tar, &"-C", &tree]),
    );

    compared_step(ctx, results, rep, IMPORT_GZIP, None, |ids| {
        os_args(&[&"import-layer", &"--id", &ids.gzip, &"-f", tar_gz])
    });
    compared_step(ctx, results, rep, IMPORT_ZSTD, None, |ids| {
        os_args(&[
            &"import-layer",
            &"--id",
            &ids.zstd,
            &"-f",
            &rep.data.tar_zst,
        ])
    });

    // applydiff needs an empty layer first (created untimed).
    for tool in Tool::order(rep.index) {
        let created = ctx
            .cli(tool)
            .run(rep.root(tool), &["create-layer", "--id", &rep.ids.applied]);
        if let Err(failure) = created {
            results
                .pair(APPLY_DIFF)
                .get_mut(tool)
                .record(Err(failure), true);
        }
    }
    compared_step(ctx, results, rep, APPLY_DIFF, None, |ids| {
        os_args(&[&"applydiff", &"-f", tar, &ids.applied])
    });

    compared_step(ctx, results, rep, COPY_LAYER, Some(IMPORT_TAR), |ids| {
        os_args(&[&"create-layer", &"--id", &ids.copy, &ids.plain])
    });
    physical_step(
        results,
        rep,
        COPY_TREE,
        command("cp", &[&"-a", &tree, &rep.tree_copy()]),
    );
}

/// The reading half of a repetition: diff, changes, diffsize, checksums.
fn reads(ctx: &Context<'_>, results: &mut Results, rep: &Rep<'_>) {
    let (tar, tar_gz) = (&rep.data.tar, &rep.data.tar_gz);
    compared_step(ctx, results, rep, DIFF, Some(IMPORT_TAR), |ids| {
        os_args(&[&"diff", &ids.plain])
    });
    physical_step(results, rep, CAT_TAR, command("cat", &[tar]));
    // What reading the tree back as a tar costs, without any store.
    physical_step(
        results,
        rep,
        TAR_TREE,
        command(
            "sh",
            &[&"-c", &"tar -cf - -C \"$1\" . | cat", &"sh", &rep.tree()],
        ),
    );
    physical_step(results, rep, SHA256_TAR, command("sha256sum", &[tar]));
    physical_step(
        results,
        rep,
        GUNZIP_SHA256,
        command(
            "sh",
            &[&"-c", &"gzip -dc < \"$1\" | sha256sum", &"sh", tar_gz],
        ),
    );
    compared_step(ctx, results, rep, CHANGES, Some(IMPORT_TAR), |ids| {
        os_args(&[&"changes", &ids.plain])
    });
    compared_step(ctx, results, rep, DIFF_SIZE, Some(IMPORT_TAR), |ids| {
        os_args(&[&"diffsize", &ids.plain])
    });
}

/// Timed deletes: each repetition's vfs copy on both tools, and its copy
/// of the extracted tree.
fn deletes(ctx: &Context<'_>, results: &mut Results, reps: &[Rep<'_>]) {
    for rep in reps {
        compared_step(ctx, results, rep, DELETE_LAYER, Some(COPY_LAYER), |ids| {
            os_args(&[&"delete-layer", &ids.copy])
        });
        physical_step(
            results,
            rep,
            REMOVE_TREE,
            command("rm", &[&"-rf", &rep.tree_copy()]),
        );
    }
}

/// Removes every remaining layer directory and tree, in parallel.
fn cleanup(dir: &Path, roots: &[Root; 2], reps: &[Rep<'_>]) {
    let layer_dirs = roots.iter().flat_map(|root| {
        std::fs::read_dir(root.graph.join(VFS_LAYER_DIR))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
    });
    let trees = reps.iter().flat_map(|rep| [rep.tree(), rep.tree_copy()]);
    remove_in_parallel(layer_dirs.chain(trees).collect());
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new("4. Layers");
    let dir = ctx.fresh_dir("layers");
    let spec = ctx.plan.layer;
    ctx.progress(format!(
        "layers: generating {} files, {} MiB",
        spec.files,
        spec.total_bytes >> 20
    ));
    let (generated, took) = time_call(|| data::generate(&spec, &dir));
    let data = match generated {
        Ok(data) => data,
        Err(error) => {
            section.notes.push(format!("generating the layer: {error}"));
            return section;
        }
    };
    section.notes.push(format!(
        "layer: {} files, {} dirs, {} symlinks; tar {} MiB ({}), tar.gz {} MiB, tar.zst {} MiB; generated in {}",
        data.files,
        data.directories,
        data.symlinks,
        data.tar_bytes >> 20,
        data.tar_digest,
        data.tar_gz_bytes >> 20,
        data.tar_zst_bytes >> 20,
        format_duration(took.wall)
    ));
    // Both archives in the page cache before anything is timed.
    for path in [&data.tar, &data.tar_gz, &data.tar_zst] {
        let _ = measure::run_timed(&mut command("cat", &[path]));
    }
    let roots = Tool::BOTH.map(|tool| Root::under(&dir.join(tool.label())));
    let plan = ctx.plan.layers;
    let reps: Vec<Rep<'_>> = (0..plan.total())
        .map(|index| Rep {
            index,
            measured: plan.is_measured(index),
            ids: Ids::for_rep(index),
            data: &data,
            roots: &roots,
            dir: &dir,
        })
        .collect();
    // Warm both binaries and create the roots (untimed).
    for tool in Tool::BOTH {
        let _ = ctx.cli(tool).run(&roots[tool.index()], &["layers"]);
    }
    let mut results = Results::default();
    for rep in &reps {
        ctx.settle(&format!("layers rep {}", rep.index));
        ctx.progress(format!(
            "layers: repetition {} of {}",
            rep.index + 1,
            reps.len()
        ));
        writes(ctx, &mut results, rep);
        reads(ctx, &mut results, rep);
    }
    ctx.settle("layers deletes");
    ctx.progress("layers: deleting");
    deletes(ctx, &mut results, &reps);
    ctx.progress("layers: removing the remaining layers and trees");
    cleanup(&dir, &roots, &reps);
    section.rows = rows(results);
    section
}

/// The table rows in [`ROW_ORDER`], with their goals.
fn rows(mut results: Results) -> Vec<Row> {
    let mut rows = Vec::new();
    for &label in ROW_ORDER {
        if let Some(index) = results.compared.iter().position(|(l, _)| *l == label) {
            let (_, pair) = results.compared.swap_remove(index);
            let row = pair.into_row(label);
            rows.push(match label {
                IMPORT_TAR | APPLY_DIFF => row.with_target(Target::AtMost {
                    factor: IMPORT_GOAL,
                    baseline: TAR_EXTRACT.into(),
                }),
                DIFF => row.with_target(Target::AtMost {
                    factor: DIFF_GOAL,
                    baseline: CAT_TAR.into(),
                }),
                _ => row,
            });
        } else if let Some(index) = results.physical.iter().position(|(l, _)| *l == label) {
            let (_, series) = results.physical.swap_remove(index);
            rows.push(Row::physical(label, series.outcome()));
        }
    }
    rows
}
