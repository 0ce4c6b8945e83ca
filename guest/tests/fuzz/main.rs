//! A bounded, deterministic fuzz harness for graphstore's parsers, run by
//! `cargo test` on stable Rust (issue 13).
//!
//! Every target starts from valid seeds (tars built here and the archive
//! fixtures, the tar-split files made from them, compressed streams, real
//! 1.43 record files, generated JSON values and identifiers), applies
//! seeded mutations and checks properties: no panic, errors only of the
//! parser's own type and of the kinds it can produce, round trips where a
//! format has one, and no single allocation near a size an input declares.
//!
//! The run is deterministic: case `i` of a target draws from a generator
//! seeded with the target's name, `i` and the base seed. Environment:
//!
//! - `GRAPHSTORE_FUZZ_ITERATIONS=N` runs `N` cases per target instead of
//!   each target's default (which keeps the whole harness to a few seconds
//!   in a debug build);
//! - `GRAPHSTORE_FUZZ_SEED=S` changes the base seed (decimal or `0x` hex);
//! - `GRAPHSTORE_FUZZ_CASE=I` runs only case `I` of each target, to replay
//!   a failure the harness reported.
//!
//! A failing case is reported with its target, seed and index, its input
//! is written to the system's temporary directory, and the test fails.

mod alloc;
mod compression;
mod go_json;
mod harness;
mod ident;
mod known_bugs;
mod mutate;
mod records;
mod seeds;
mod tar;
mod tar_split;

/// Every allocation of the test binary goes through the tracker, so a case
/// can check the largest single allocation it caused.
#[global_allocator]
static ALLOCATOR: alloc::Tracking = alloc::Tracking;
