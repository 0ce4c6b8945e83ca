//! Commands of newer containers/storage releases (storage v1.62's CLI),
//! which 1.43 lacks: `remove-names`, `get-image-dir`, `get-image-run-dir`.
//! Their usage texts and behaviour follow upstream; where upstream
//! misbehaves (a directory made for any ID, known or not) graphstore
//! refuses with a named error.

use crate::common::{Roots, json};

#[test]
fn remove_names_removes_only_the_given_names() {
    let roots = Roots::new();
    roots
        .graphstore(&[
            "create-image",
            "--id",
            "img",
            "-n",
            "a",
            "-n",
            "b",
            "-n",
            "c",
        ])
        .ok();
    let run = roots.graphstore(&["remove-names", "-n", "b", "-n", "absent", "--json", "a"]);
    assert_eq!(json(run.ok()), json(r#"["a","c"]"#));
    assert_eq!(roots.graphstore(&["get-names", "img"]).ok(), "a\nc\n");
    // Without --json nothing is printed; the reference CLI agrees on the result.
    assert_eq!(
        roots.graphstore(&["removenames", "-n", "c", "img"]).ok(),
        ""
    );
    assert_eq!(roots.reference(&["get-names", "img"]).ok(), "a\n");
    let unknown = roots.graphstore(&["remove-names", "-n", "a", "nothing"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(unknown.stderr.contains("not known"), "{unknown:?}");
}

#[test]
fn image_directories_are_made_on_demand_and_go_with_the_image() {
    let roots = Roots::new();
    roots
        .graphstore(&["create-image", "--id", "img", "-n", "app"])
        .ok();
    let data = roots.graphstore(&["get-image-dir", "app"]).ok().to_string();
    let run = roots
        .graphstore(&["getimagerundir", "img"])
        .ok()
        .to_string();
    let expected_data = roots.graph().join("vfs-images/img/userdata");
    let expected_run = roots.run().join("vfs-images/img/userdata");
    assert_eq!(data, format!("{}\n", expected_data.display()));
    assert_eq!(run, format!("{}\n", expected_run.display()));
    assert!(expected_data.is_dir() && expected_run.is_dir());

    // Upstream makes a directory for any ID it is given; graphstore names
    // the unknown image and makes nothing.
    let unknown = roots.graphstore(&["get-image-dir", "nothing"]);
    assert_eq!(unknown.code, 1, "{unknown:?}");
    assert!(unknown.stderr.contains("image not known"), "{unknown:?}");
    assert!(!roots.graph().join("vfs-images/nothing").exists());

    roots.graphstore(&["delete-image", "img"]).ok();
    assert!(!roots.graph().join("vfs-images/img").exists());
    assert!(!roots.run().join("vfs-images/img").exists());
}

#[test]
fn newer_commands_stay_out_of_the_1_43_command_listing() {
    let roots = Roots::new();
    let ours = roots.graphstore(&["--help"]);
    let theirs = roots.reference(&["--help"]);
    assert_eq!(ours.stdout, theirs.stdout);
    assert!(!ours.stdout.contains("remove-names"));
    let help = roots.graphstore(&["remove-names", "--help"]);
    assert!(
        help.stdout
            .contains("Remove layer, image, or container name or names"),
        "{help:?}"
    );
}

#[test]
fn gc_removes_what_no_record_owns_and_unmounts() {
    let roots = Roots::new();
    roots.graphstore(&["create-layer", "--id", "base"]).ok();
    roots
        .graphstore(&["create-image", "--id", "img", "base"])
        .ok();
    roots
        .graphstore(&["create-container", "--id", "ctr", "img"])
        .ok();
    roots.graphstore(&["get-image-dir", "img"]).ok();
    roots.graphstore(&["get-container-dir", "ctr"]).ok();
    roots.graphstore(&["mount", "base"]).ok();
    let orphan = "f".repeat(64);
    let graph = roots.graph();
    // Each planted directory, with something inside.
    let planted = [
        graph.join(format!("vfs-images/{orphan}")),
        graph.join(format!("vfs-containers/{orphan}")),
        roots.run().join(format!("vfs-containers/{orphan}")),
        graph.join("vfs/dir/not-a-layer"),
        graph.join(format!("vfs-layers/{orphan}")),
    ];
    for dir in &planted {
        std::fs::create_dir_all(dir.join("inside")).unwrap();
    }
    let tar_split = graph.join(format!("vfs-layers/{orphan}.tar-split.gz"));
    std::fs::write(&tar_split, b"x").unwrap();
    // Not named like a generated ID: not graphstore's to judge.
    let foreign = graph.join("vfs-images/keep-me");
    std::fs::create_dir_all(&foreign).unwrap();

    assert_eq!(json(roots.graphstore(&["gc", "--json"]).ok()), json("\"\""));
    for dir in &planted {
        assert!(!dir.exists(), "{} survived", dir.display());
    }
    assert!(!tar_split.exists());
    assert!(foreign.exists());
    // What records own stays; every layer is unmounted.
    assert!(graph.join("vfs-images/img/userdata").is_dir());
    assert!(graph.join("vfs-containers/ctr/userdata").is_dir());
    assert!(graph.join("vfs/dir/base").is_dir());
    assert_eq!(roots.graphstore(&["mounted", "base"]).ok().trim(), "");
    assert_eq!(roots.reference(&["images", "-q"]).ok(), "img\n");
    assert_eq!(roots.graphstore(&["gc"]).ok(), "");
}
