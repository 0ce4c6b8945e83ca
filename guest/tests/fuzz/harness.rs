//! The harness: a seeded generator, the settings from the environment, and
//! [`run`], which runs a target's cases with panic capture, the allocation
//! check and a watchdog against hangs.

use crate::alloc::{ALLOCATION_LIMIT, Armed};
use std::fmt::Debug;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

/// Base seed of every run unless `GRAPHSTORE_FUZZ_SEED` says otherwise.
pub const DEFAULT_SEED: u64 = 0x6772_6170_6873_746f; // "graphsto"

/// How long one case may run before the watchdog ends the process: a
/// parser stuck in a loop would otherwise hang the test run.
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many input bytes a failure report shows in hex.
const REPORT_HEX_BYTES: usize = 256;

/// How much of an input's `Debug` form a failure report shows.
const REPORT_DEBUG_CHARS: usize = 2048;

/// A small, fast, seeded generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    /// `true` with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next_u64() % denominator < numerator
    }

    /// One of `items` (non-empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// One random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.byte()).collect()
    }

    /// Up to `max` random bytes, usually few (see [`Rng::small_len`]).
    pub fn small_bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.small_len(max);
        self.bytes(len)
    }

    /// A length skewed towards small values: mostly below 16, sometimes
    /// up to `max`.
    pub fn small_len(&mut self, max: usize) -> usize {
        match self.below(8) {
            0..=5 => self.below(16.min(max + 1)),
            6 => self.below(256.min(max + 1)),
            _ => self.below(max + 1),
        }
    }
}

/// A case's input, as a failure report shows it.
pub trait Input: Debug {
    /// The raw bytes to save for replaying, if the input is bytes.
    fn raw(&self) -> Option<&[u8]> {
        None
    }
}

impl Input for Vec<u8> {
    fn raw(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl Input for String {
    fn raw(&self) -> Option<&[u8]> {
        Some(self.as_bytes())
    }
}

/// What the environment asks of this run.
#[derive(Debug, Clone, Copy)]
struct Settings {
    seed: u64,
    iterations: Option<usize>,
    only: Option<usize>,
}

impl Settings {
    fn from_env() -> Self {
        let number = |name: &str| -> Option<u64> {
            let text = std::env::var(name).ok()?;
            let text = text.trim();
            let parsed = match text.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse(),
            };
            Some(parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number")))
        };
        Settings {
            seed: number("GRAPHSTORE_FUZZ_SEED").unwrap_or(DEFAULT_SEED),
            iterations: number("GRAPHSTORE_FUZZ_ITERATIONS").map(|n| n as usize),
            only: number("GRAPHSTORE_FUZZ_CASE").map(|n| n as usize),
        }
    }
}

/// The seed of case `index` of `target`: FNV-1a of the name mixed with
/// the base seed and the index, so targets and cases are independent.
fn case_seed(base: u64, target: &str, index: usize) -> u64 {
    let name_hash = target.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut mixer = Rng::new(base ^ name_hash ^ (index as u64).wrapping_mul(0xd6e8_feb8_6659_fd93));
    mixer.next_u64()
}

/// Runs `default_iterations` cases of `target` (or as many as
/// `GRAPHSTORE_FUZZ_ITERATIONS` says): each case's input comes from
/// `generate` with the case's generator, then `check` runs on it with
/// allocation tracking armed. A panic, an `Err` from `check` or an
/// allocation above [`ALLOCATION_LIMIT`] fails the test with a report.
pub fn run<T: Input>(
    target: &'static str,
    default_iterations: usize,
    mut generate: impl FnMut(&mut Rng) -> T,
    mut check: impl FnMut(&T) -> Result<(), String>,
) {
    let settings = Settings::from_env();
    let iterations = settings.iterations.unwrap_or(default_iterations);
    let (heartbeat, beats) = mpsc::channel::<usize>();
    std::thread::scope(|scope| {
        scope.spawn(move || watchdog(target, &beats));
        for index in 0..iterations {
            if settings.only.is_some_and(|only| only != index) {
                continue;
            }
            let _ = heartbeat.send(index);
            let seed = case_seed(settings.seed, target, index);
            let input = generate(&mut Rng::new(seed));
            let armed = Armed::new(target, index as u64);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&input)));
            let largest = armed.largest();
            drop(armed);
            let failure = match outcome {
                Err(payload) => Some(format!("panicked: {}", panic_message(&*payload))),
                Ok(Err(message)) => Some(message),
                Ok(Ok(())) if largest > ALLOCATION_LIMIT => Some(format!(
                    "allocated {largest} bytes in one piece (limit {ALLOCATION_LIMIT})"
                )),
                Ok(Ok(())) => None,
            };
            if let Some(failure) = failure {
                report(target, settings.seed, index, &input, &failure);
            }
        }
        drop(heartbeat);
    });
}

/// Ends the process if a case runs longer than [`CASE_TIMEOUT`].
fn watchdog(target: &str, beats: &mpsc::Receiver<usize>) {
    let mut current = None;
    loop {
        match beats.recv_timeout(CASE_TIMEOUT) {
            Ok(index) => current = Some(index),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                eprintln!(
                    "graphstore fuzz: target `{target}` case {current:?} ran for more than \
                     {CASE_TIMEOUT:?} (a hang?); replay it with GRAPHSTORE_FUZZ_CASE"
                );
                std::process::abort();
            }
        }
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Fails the test with everything needed to reproduce the case.
fn report<T: Input>(target: &str, seed: u64, index: usize, input: &T, failure: &str) -> ! {
    let mut text = format!(
        "fuzz target `{target}` failed at case {index} (base seed {seed:#x}): {failure}\n\
         replay: GRAPHSTORE_FUZZ_SEED={seed:#x} GRAPHSTORE_FUZZ_CASE={index} \
         cargo test -p graphstore-guest --test fuzz\n"
    );
    if let Some(bytes) = input.raw() {
        let file = std::env::temp_dir().join(format!(
            "graphstore-fuzz-{}-{index}.bin",
            target.replace("::", "-")
        ));
        match std::fs::write(&file, bytes) {
            Ok(()) => {
                text += &format!(
                    "input: {} bytes, saved to {}\n",
                    bytes.len(),
                    file.display()
                )
            }
            Err(error) => text += &format!("input: {} bytes (not saved: {error})\n", bytes.len()),
        }
        let shown = &bytes[..bytes.len().min(REPORT_HEX_BYTES)];
        text += &format!("first bytes: {}\n", hex::encode(shown));
    } else {
        let debug = format!("{input:?}");
        let cut = debug
            .char_indices()
            .nth(REPORT_DEBUG_CHARS)
            .map_or(debug.len(), |(at, _)| at);
        text += &format!("input: {}\n", &debug[..cut]);
    }
    panic!("{text}");
}

/// Where two renderings first differ, with some context from each.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let at = expected
        .char_indices()
        .zip(actual.chars())
        .find(|((_, a), b)| a != b)
        .map_or(expected.len().min(actual.len()), |((at, _), _)| at);
    let context = |text: &str| -> String {
        let start = text.floor_char_boundary(at.saturating_sub(80));
        let end = text.ceil_char_boundary((at + 80).min(text.len()));
        text.get(start..end).unwrap_or_default().to_string()
    };
    format!(
        "at char offset {at}: expected …{}…, got …{}…",
        context(expected),
        context(actual)
    )
}
