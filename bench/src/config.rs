//! How much to measure: the full benchmark or the `--quick` smoke test.

use crate::data::LayerSpec;
use serde::Serialize;
use std::time::Duration;

/// Which plan runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every scenario at full scale (≈ 10–20 minutes).
    Full,
    /// Tiny N, few repetitions, a small layer: a smoke test for CI (< 3 minutes).
    Quick,
}

/// Repetitions of one scenario: discarded warm-up runs, then measured runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Reps {
    /// Runs whose timings are thrown away.
    pub warmup: usize,
    /// Runs whose timings are reported.
    pub measured: usize,
}

impl Reps {
    /// Warm-up and measured runs together.
    pub fn total(self) -> usize {
        self.warmup + self.measured
    }

    /// Whether run `index` (counting warm-ups) is measured.
    pub fn is_measured(self, index: usize) -> bool {
        index >= self.warmup
    }
}

/// Everything the scenarios need to know about scale.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Full or quick.
    pub mode: Mode,
    /// Scenario 1: CLI start-up.
    pub startup: Reps,
    /// Scenario 2: store sizes (images already present).
    pub record_counts: Vec<usize>,
    /// Scenario 2: repetitions at each store size.
    pub records: Reps,
    /// Scenario 3: images created in one process.
    pub library_images: usize,
    /// Scenario 3: consecutive calls summarised at each store size.
    pub library_window: usize,
    /// Scenario 4: the generated layer.
    pub layer: LayerSpec,
    /// Scenario 4: repetitions of each layer operation. No warm-up run:
    /// every run leaves trees whose deletion costs minutes on a disk with
    /// online discard; the archives are read into the page cache and the
    /// binaries run once before the first repetition instead.
    pub layers: Reps,
    /// Longest wait for an idle machine before a set of repetitions.
    pub idle_timeout: Duration,
}

/// Seed of the generated layer (any fixed value; changing it changes the data).
pub const LAYER_SEED: u64 = 0x6772_6170_6873_746f;
const MIB: u64 = 1024 * 1024;

impl Plan {
    /// The plan for `mode`.
    pub fn new(mode: Mode) -> Plan {
        match mode {
            Mode::Full => Plan {
                mode,
                startup: Reps {
                    warmup: 3,
                    measured: 30,
                },
                record_counts: vec![0, 100, 1000, 5000],
                records: Reps {
                    warmup: 1,
                    measured: 9,
                },
                library_images: 5000,
                library_window: 50,
                layer: LayerSpec {
                    files: 20_000,
                    total_bytes: 300 * MIB,
                    seed: LAYER_SEED,
                },
                layers: Reps {
                    warmup: 0,
                    measured: 3,
                },
                idle_timeout: Duration::from_secs(30),
            },
            Mode::Quick => Plan {
                mode,
                startup: Reps {
                    warmup: 2,
                    measured: 10,
                },
                record_counts: vec![0, 100],
                records: Reps {
                    warmup: 1,
                    measured: 3,
                },
                library_images: 500,
                library_window: 50,
                layer: LayerSpec {
                    files: 2_000,
                    total_bytes: 20 * MIB,
                    seed: LAYER_SEED,
                },
                layers: Reps {
                    warmup: 0,
                    measured: 2,
                },
                idle_timeout: Duration::from_secs(1),
            },
        }
    }
}
