//! Scenario 3: in-process throughput of the graphstore Rust API — many
//! images created by one process. The reference CLI has no equivalent (one
//! process per call), so its per-process cost from scenario 2 is quoted.

use super::Context;
use crate::measure::{Sample, time_call};
use crate::report::{Measurement, Outcome, Row, Section, format_duration};
use crate::tools::Root;
use graphstore::{ImageOptions, NewImage, Store, StoreOptions};
use std::ops::Range;
use std::time::Instant;

/// Names of the images created here and in scenario 2's seed stores.
pub const NAME_PREFIX: &str = "seed-";
/// Label of the per-call rows.
const PER_CALL_LABEL: &str = "create_image, per call (in-process)";

/// Opens (creating) the store under `root`.
pub fn open(root: &Root) -> Result<Store, graphstore::Error> {
    Store::open(StoreOptions::new(&root.graph, &root.run))
}

/// Creates the images numbered `range` (named `seed-NNNNN`, no layer),
/// passing each call's time to `each`.
pub fn create_numbered(
    store: &mut Store,
    range: Range<usize>,
    mut each: impl FnMut(Sample),
) -> Result<(), graphstore::Error> {
    for index in range {
        let names = [format!("{NAME_PREFIX}{index:05}")];
        let (result, sample) =
            time_call(|| store.create_image(None, &names, None, "", &ImageOptions::default()));
        result?;
        each(sample);
    }
    Ok(())
}

/// Images per `create_images` call in the batch measurement.
const BATCH_SIZE: usize = 100;

/// Creates `count` images (`batch-NNNNN`) with `Store::create_images` in
/// batches of [`BATCH_SIZE`] in a fresh store; returns a note on the rate.
fn batch_note(ctx: &mut Context<'_>, count: usize) -> String {
    let root = Root::under(&ctx.fresh_dir("library-batch"));
    ctx.progress(format!(
        "library: create_images x{count} in batches of {BATCH_SIZE}"
    ));
    ctx.settle("library-batch");
    let mut store = match open(&root) {
        Ok(store) => store,
        Err(error) => return format!("batch API: Store::open failed: {error}"),
    };
    let start = Instant::now();
    for first in (0..count).step_by(BATCH_SIZE) {
        let batch: Vec<NewImage> = (first..(first + BATCH_SIZE).min(count))
            .map(|index| NewImage {
                id: None,
                names: vec![format!("batch-{index:05}")],
                layer: None,
                metadata: String::new(),
                options: ImageOptions::default(),
            })
            .collect();
        if let Err(error) = store.create_images(&batch) {
            return format!("batch API: create_images failed at image {first}: {error}");
        }
    }
    let total = start.elapsed();
    format!(
        "batch API: {count} images with create_images in batches of {BATCH_SIZE} in {:.2} s: {:.0} images/s",
        total.as_secs_f64(),
        count as f64 / total.as_secs_f64()
    )
}

/// Runs the scenario.
pub fn run(ctx: &mut Context<'_>) -> Section {
    let mut section = Section::new("3. In-process library (graphstore Rust API)");
    let root = Root::under(&ctx.fresh_dir("library"));
    let count = ctx.plan.library_images;
    ctx.progress(format!("library: create_image x{count} in one process"));
    ctx.settle("library");
    let (store, open_time) = time_call(|| open(&root));
    let mut store = match store {
        Ok(store) => store,
        Err(error) => {
            section.notes.push(format!("Store::open failed: {error}"));
            return section;
        }
    };
    let mut samples = Vec::with_capacity(count);
    let start = Instant::now();
    if let Err(error) = create_numbered(&mut store, 0..count, |s| samples.push(s)) {
        section.notes.push(format!(
            "create_image failed after {} images: {error}",
            samples.len()
        ));
    }
    let total = start.elapsed();
    drop(store);
    let window = ctx.plan.library_window.min(samples.len());
    let mut starts: Vec<usize> = ctx
        .plan
        .record_counts
        .iter()
        .map(|&n| n.min(samples.len() - window))
        .collect();
    starts.dedup();
    for start in starts {
        let calls = samples[start..start + window].to_vec();
        if let Some(measurement) = Measurement::of(calls) {
            section.rows.push(
                Row::compared(
                    PER_CALL_LABEL,
                    Outcome::Measured(measurement),
                    Outcome::Absent,
                )
                .at(start),
            );
        }
    }
    let rate = samples.len() as f64 / total.as_secs_f64();
    section.notes.push(format!(
        "{} images created in one process in {:.2} s: {rate:.0} images/s \
         (Store::open {}; per-call rows: the {window} calls starting at N)",
        samples.len(),
        total.as_secs_f64(),
        format_duration(open_time.wall)
    ));
    section.notes.push(batch_note(ctx, count));
    section
}

/// Adds notes quoting the reference CLI's per-process `create-image` cost
/// (rows labelled `create_label` in scenario 2) next to the in-process rate.
pub fn compare_with_cli(library: &mut Section, records: &Section, create_label: &str) {
    for row in records.rows.iter().filter(|row| row.label == create_label) {
        let per_process = row.reference().and_then(Outcome::summary).map(|s| s.median);
        let (Some(n), Some(per_process)) = (row.n, per_process) else {
            continue;
        };
        library.notes.push(format!(
            "reference CLI create-image at N={n}: {} per process = {:.0} images/s",
            format_duration(per_process),
            1.0 / per_process.as_secs_f64()
        ));
    }
}
