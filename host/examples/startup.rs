//! Prints how long each phase of opening a store takes: engine and
//! component (cached compiled code), instantiation plus the component's own
//! store open, and a first call.
//!
//! `cargo run --release -p graphstore --example startup -- /tmp/startup-root`

use graphstore::{Store, StoreOptions, engine::Runtime};
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/graphstore-startup".into());
    let started = Instant::now();
    Runtime::get(false)?;
    let runtime = started.elapsed();
    let opening = Instant::now();
    let mut store = Store::open(StoreOptions::new(
        format!("{root}/graph"),
        format!("{root}/run"),
    ))?;
    let open = opening.elapsed();
    let calling = Instant::now();
    let images = store.images()?.len();
    let call = calling.elapsed();
    println!("runtime (engine + cached component + linker): {runtime:?}");
    println!("open (instantiate + store open in the component): {open:?}");
    println!("first call (images: {images}): {call:?}");
    Ok(())
}
