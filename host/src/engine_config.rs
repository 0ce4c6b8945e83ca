//! The two wasmtime configurations the store component runs under.
//!
//! The build script compiles the component ahead of time once per
//! configuration (it includes this file) and the host loads those artifacts
//! under engines made from the same function: a compiled artifact only
//! loads under the settings it was compiled with (wasmtime checks this when
//! loading and refuses a mismatch), so both sides must share one definition.

use wasmtime::Config;

/// Which of the two configurations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// No epoch checks; copy-on-write memory images. For processes that
    /// never stop a call and run one instance (the CLI).
    Plain,
    /// Epoch checks at loop heads and function entries, so a call can be
    /// stopped (deadlines, cancellation), and memory laid out for many
    /// live instances in one process ([`dense`]). The checks cost 5–25 % of
    /// the component's CPU time.
    Interruptible,
}

impl Flavor {
    /// Both flavors, in a fixed order.
    pub const ALL: [Flavor; 2] = [Flavor::Plain, Flavor::Interruptible];

    /// File name of this flavor's compiled artifact (in the build's
    /// `OUT_DIR`, and in the artifact cache).
    pub fn artifact_name(self) -> &'static str {
        match self {
            Flavor::Plain => "graphstore-plain.cwasm",
            Flavor::Interruptible => "graphstore-interruptible.cwasm",
        }
    }
}

/// The engine configuration of `flavor`.
pub fn engine_config(flavor: Flavor) -> Config {
    let mut config = Config::new();
    let interruptible = flavor == Flavor::Interruptible;
    config.epoch_interruption(interruptible);
    if interruptible {
        dense(&mut config);
    }
    config
}

/// Memory settings of the tenants' (interruptible) runtime, for many live
/// instances in one process.
///
/// Each linear memory keeps wasmtime's 64-bit defaults: a 4 GiB reservation
/// plus 32 MiB guards, so the compiled code needs no explicit bounds checks
/// (reservations sized from the tenant's memory cap would make them
/// explicit: measured +10 points of CPU on a large listing and on
/// `create_image`, on top of the epoch checks' 5-10 %, for address space
/// that only runs out beyond ~31,000 live instances: 128 TiB / 4.06 GiB).
///
/// What runs out first is the kernel's count of memory mappings
/// (`vm.max_map_count`, 65,530 by default): with copy-on-write memory
/// images an instance's memory is 4 mappings (its stack, the data image
/// mapped from the compiled artifact, the heap, the inaccessible rest), so
/// the process stops at 16,370 instances and can then not even start a
/// thread. Without them the data segments (164 KiB) are copied in at
/// instantiation and the memory is 2 mappings (accessible, inaccessible):
/// 32,000 instances fit, 10,000 use 20,000 mappings. The copy adds about
/// 0.14 ms to a bare instantiation (0.09 -> 0.23 ms, 1,000 instances) and
/// nothing to an open store's resident memory (opening touches those pages
/// anyway: 220 KiB either way). The CLI's plain runtime keeps the
/// copy-on-write images (one instance per process).
fn dense(config: &mut Config) {
    config.memory_init_cow(false);
}
