//! Concurrency: graphstore processes, graphstore instances in one process
//! and containers-storage processes write to one root at the same time;
//! every write survives and the metadata stays valid.

use crate::common;

use common::{Roots, json};
use graphstore::{ImageOptions, Store};
use std::collections::BTreeSet;

/// Images each writer creates.
const PER_WRITER: usize = 60;

#[test]
fn processes_of_both_implementations_interleave_safely() {
    let roots = Roots::new();
    roots.graphstore(&["images"]).ok();
    std::thread::scope(|scope| {
        for writer in 0..2 {
            let roots = &roots;
            scope.spawn(move || {
                for n in 0..PER_WRITER {
                    roots
                        .graphstore(&["create-image", "-n", &format!("gs{writer}-{n}")])
                        .ok();
                }
            });
            scope.spawn(move || {
                for n in 0..PER_WRITER {
                    roots
                        .reference(&["create-image", "-n", &format!("go{writer}-{n}")])
                        .ok();
                }
            });
        }
    });
    let listed = json(roots.reference(&["images", "--json"]).ok());
    let names: BTreeSet<String> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|image| image["names"][0].as_str().expect("one name").to_string())
        .collect();
    let expected: BTreeSet<String> = (0..2)
        .flat_map(|w| {
            (0..PER_WRITER).flat_map(move |n| [format!("gs{w}-{n}"), format!("go{w}-{n}")])
        })
        .collect();
    assert_eq!(names, expected);
    assert_eq!(roots.open().images().unwrap().len(), expected.len());
}

#[test]
fn instances_in_one_process_exclude_each_other() {
    let roots = Roots::new();
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let roots = &roots;
            scope.spawn(move || {
                let mut store = Store::open(roots.options()).unwrap();
                for n in 0..PER_WRITER {
                    let name = format!("t{writer}-{n}");
                    store
                        .create_image(None, &[name], None, "", &ImageOptions::default())
                        .unwrap();
                }
            });
        }
    });
    let file = json(&String::from_utf8(roots.read_graph("vfs-images/images.json")).unwrap());
    assert_eq!(file.as_array().unwrap().len(), 4 * PER_WRITER);
    assert_eq!(
        roots.reference(&["images", "-q"]).ok().lines().count(),
        4 * PER_WRITER
    );
}

/// Files in the parent layer the graphstore writers copy: enough that each
/// of their `create-layer` calls holds `layers.lock` for a while.
const PARENT_FILES: usize = 1_000;
/// graphstore processes looping `create-layer` / `delete-layer`.
const GRAPHSTORE_WRITERS: usize = 4;
/// `containers-storage create-layer` calls measured while they loop.
const GO_CALLS: usize = 3;
/// Liveness bound for one Go call (not a performance target: with the
/// starvation this guards against, calls waited for minutes or forever).
const GO_CALL_BOUND_SECONDS: u32 = 120;

/// A tar of `PARENT_FILES` small files.
fn many_files_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for n in 0..PARENT_FILES {
        std::fs::write(src.join(format!("f{n}")), n.to_string()).unwrap();
    }
    common::gnu_tar(&src, &["--owner=0", "--group=0"])
}

/// A Go client that needs `storage.lock` exclusively (1.43 takes it at the
/// start of every operation) gets its turn while graphstore writers queue
/// for `layers.lock`: graphstore never holds `storage.lock` while waiting
/// for another lock.
#[test]
fn go_clients_get_their_turn_among_graphstore_writers() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let roots = Roots::new();
    let parent = roots.graphstore(&["create-layer"]).ok().trim().to_string();
    roots
        .graphstore_with_input(&["apply-diff", &parent], &many_files_tar())
        .ok();
    let stop = AtomicBool::new(false);
    let latencies = std::thread::scope(|scope| {
        for _ in 0..GRAPHSTORE_WRITERS {
            let (roots, stop, parent) = (&roots, &stop, &parent);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let child = roots
                        .graphstore(&["create-layer", parent])
                        .ok()
                        .trim()
                        .to_string();
                    roots.graphstore(&["delete-layer", &child]).ok();
                }
            });
        }
        // Let every writer get into its loop first.
        std::thread::sleep(std::time::Duration::from_secs(1));
        let mut latencies = Vec::new();
        for _ in 0..GO_CALLS {
            let started = std::time::Instant::now();
            let run = roots.reference_within(GO_CALL_BOUND_SECONDS, &["create-layer", &parent]);
            let took = started.elapsed();
            if run.code != 0 {
                stop.store(true, Ordering::Relaxed);
                panic!("the Go client did not complete within {GO_CALL_BOUND_SECONDS} s: {run:?}");
            }
            latencies.push(took);
        }
        stop.store(true, Ordering::Relaxed);
        latencies
    });
    eprintln!(
        "containers-storage create-layer among {GRAPHSTORE_WRITERS} graphstore writers: {latencies:?}"
    );
    // Every layer the Go client created is there, and nothing else is left.
    let layers = json(roots.reference(&["layers", "--json"]).ok());
    assert_eq!(layers.as_array().unwrap().len(), 1 + GO_CALLS);
}
