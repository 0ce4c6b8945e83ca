//! Scenario 5: what running the store logic as a wasm component costs.
//! The same in-process workload runs through the component
//! (`graphstore::Store`, wasmtime, host imports) and through the same
//! rules compiled natively (`graphstore_guest::store::Store` over the
//! native disk backend, no sandbox). The right-hand column is native.

use super::Context;
use super::library::{self, NAME_PREFIX};
use crate::data::{self, LayerData};
use crate::measure::{Sample, time_call};
use crate::report::{Measurement, Outcome, Row, Section, Target, format_duration};
use crate::stats::Summary;
use crate::tools::Root;
use graphstore::{DiffOptions, LayerOptions};
use graphstore_guest::disk::{Input, Output};
use graphstore_guest::store::{self as native, Store as NativeStore};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Duration;

/// The goal: the component at most this many times the native time.
const GOAL: f64 = 1.3;
/// Section title.
const TITLE: &str =
    "5. Wasm overhead (component vs the same rules built natively; right column = native)";

/// Opens a native store under `root`.
fn open_native(root: &Root) -> graphstore_guest::error::Result<NativeStore> {
    NativeStore::open_native(native::StoreOptions {
        graph_root: root.graph.display().to_string(),
        run_root: root.run.display().to_string(),
        driver_name: native::VFS_DRIVER.to_string(),
        ..native::StoreOptions::default()
    })
}

/// A row comparing the component's samples with native ones, and a note
/// comparing their user CPU time (where the sandbox's cost shows; kernel
/// time is the same system calls either way, and wall time on this VM's
/// disk varies more than the difference measured).
fn row(label: &str, component: Vec<Sample>, native: Vec<Sample>) -> (Row, String) {
    let user = |samples: &[Sample]| {
        let times: Vec<_> = samples.iter().map(|s| s.cpu.user).collect();
        Summary::of(&times).map_or(Duration::ZERO, |summary| summary.median)
    };
    let (component_user, native_user) = (user(&component), user(&native));
    // Per-process user time has a clock-tick resolution: a median of zero
    // means "below it", and no ratio can be told.
    let ratio = if native_user.is_zero() {
        "no ratio (native below the clock's resolution)".to_string()
    } else {
        format!(
            "{:.2}x",
            component_user.as_secs_f64() / native_user.as_secs_f64()
        )
    };
    let note = format!(
        "{label}: user CPU median {} (component) vs {} (native): {ratio}",
        format_duration(component_user),
        format_duration(native_user),
    );
    let outcome = |samples| {
        Measurement::of(samples).map_or_else(
            || Outcome::Unavailable("no successful run".into()),
            Outcome::Measured,
        )
    };
    let row =
        Row::compared(label, outcome(component), outcome(native)).with_target(Target::Within(GOAL));
    (row, note)
}

/// Per-call times of `count` `create_image` calls in one process, each way.
fn create_images(ctx: &mut Context<'_>, count: usize) -> Result<(Row, String), String> {
    let dir = ctx.fresh_dir("wasm-records");
    ctx.settle("wasm-records");
    let mut component = library::open(&Root::under(&dir.join("component")))
        .map_err(|e| format!("component Store::open: {e}"))?;
    let mut component_samples = Vec::with_capacity(count);
    library::create_numbered(&mut component, 0..count, |s| component_samples.push(s))
        .map_err(|e| format!("component create_image: {e}"))?;
    drop(component);
    ctx.settle("wasm-records-native");
    let mut store =
        open_native(&Root::under(&dir.join("native"))).map_err(|e| format!("native open: {e}"))?;
    let mut native_samples = Vec::with_capacity(count);
    for index in 0..count {
        let names = vec![format!("{NAME_PREFIX}{index:05}")];
        let options = native::ImageOptions::default();
        let (result, sample) = time_call(|| store.create_image(None, names, None, "", &options));
        result.map_err(|e| format!("native create_image: {e}"))?;
        native_samples.push(sample);
    }
    Ok(row(
        &format!("create_image x{count}, per call"),
        component_samples,
        native_samples,
    ))
}

/// Imports `data`'s tar as layer `id` through the component, then diffs it.
fn component_layer(root: &Root, data: &LayerData, id: &str) -> Result<(Sample, Sample), String> {
    let mut store = library::open(root).map_err(|e| format!("component open: {e}"))?;
    let tar = BufReader::new(File::open(&data.tar).map_err(|e| e.to_string())?);
    let (imported, import) =
        time_call(|| store.put_layer(Some(id), None, &[], &LayerOptions::default(), tar));
    imported.map_err(|e| format!("component put_layer: {e}"))?;
    let (diffed, diff) =
        time_call(|| store.diff(None, id, DiffOptions { compression: None }, std::io::sink()));
    diffed.map_err(|e| format!("component diff: {e}"))?;
    Ok((import, diff))
}

/// Imports `data`'s tar as layer `id` natively, then diffs it.
fn native_layer(root: &Root, data: &LayerData, id: &str) -> Result<(Sample, Sample), String> {
    let mut store = open_native(root).map_err(|e| format!("native open: {e}"))?;
    let mut tar = BufReader::new(File::open(&data.tar).map_err(|e| e.to_string())?);
    let options = native::LayerOptions::default();
    let (imported, import) = time_call(|| {
        store.put_layer(
            Some(id),
            None,
            Vec::new(),
            &options,
            Input::reader(&mut tar),
        )
    });
    imported.map_err(|e| format!("native put_layer: {e}"))?;
    let mut sink = std::io::sink();
    let (diffed, diff) = time_call(|| store.diff(None, id, None, &mut Output::writer(&mut sink)));
    diffed.map_err(|e| format!("native diff: {e}"))?;
    Ok((import, diff))
}

/// Import and diff of the generated layer, each way, alternating which
/// goes first. Every import goes into a fresh store, and nothing is deleted
/// until the end: right after a big delete, writes on ext4 with online
/// discard cost several times more (bench/results/README.md).
fn layer_rows(
    ctx: &mut Context<'_>,
    dir: &Path,
    data: &LayerData,
) -> Result<[(Row, String); 2], String> {
    let mut component = (Vec::new(), Vec::new());
    let mut native = (Vec::new(), Vec::new());
    for rep in 0..ctx.plan.layers.measured {
        let id = format!("wasm-{rep}");
        for native_turn in [rep % 2 == 1, rep % 2 == 0] {
            let (label, times) = if native_turn {
                ("native", &mut native)
            } else {
                ("component", &mut component)
            };
            let root = Root::under(&dir.join(format!("{label}-{rep}")));
            ctx.settle(&format!("wasm-layer-{label}"));
            let (import, diff) = if native_turn {
                native_layer(&root, data, &id)?
            } else {
                component_layer(&root, data, &id)?
            };
            times.0.push(import);
            times.1.push(diff);
        }
    }
    let mib = data.tar_bytes >> 20;
    Ok([
        row(&format!("put_layer ({mib} MiB tar)"), component.0, native.0),
        row(&format!("diff ({mib} MiB tar)"), component.1, native.1),
    ])
}

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new(TITLE);
    let count = ctx.plan.library_images;
    ctx.progress(format!("wasm: create_image x{count}, component and native"));
    match create_images(ctx, count) {
        Ok((row, note)) => {
            section.rows.push(row);
            section.notes.push(note);
        }
        Err(error) => section.notes.push(error),
    }
    let dir = ctx.fresh_dir("wasm-layers");
    ctx.progress("wasm: layer import and diff, component and native");
    let data = match data::generate(&ctx.plan.layer, &dir) {
        Ok(data) => data,
        Err(error) => {
            section.notes.push(format!("generating the layer: {error}"));
            return section;
        }
    };
    match layer_rows(ctx, &dir, &data) {
        Ok(rows) => {
            for (row, note) in rows {
                section.rows.push(row);
                section.notes.push(note);
            }
        }
        Err(error) => section.notes.push(error),
    }
    section.notes.push(
        "ratio = native / component (<1: the component is slower); goal: component <= 1.3x native"
            .to_string(),
    );
    section
}
