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
