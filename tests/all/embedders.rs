//! `graphstore-portable.wasm` driven from other languages, with the
//! chunked forms only: Node through jco and preview2-shim
//! (`tests/embedders/node/scenario.mjs`) and Python through wasmtime-py's
//! component API (`tests/embedders/python/scenario.py`). Each scenario
//! imports a layer from a tar in chunks, creates an image with names and a
//! data item, lists, reads the diff back, stores a blob, creates and
//! deletes a scratch layer and meets a refusal of the portable profile;
//! then the root it left is read with graphstore's CLI and with
//! containers-storage 1.43 (`-s vfs`). A test is skipped, saying so, only
//! when `node` or `python3` is not installed; missing packages fail it with
//! the command that installs them.

use crate::common;
use crate::hostile_tars::{file, tar};

use common::Roots;
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned packages' installer (tests/embedders/*).
const INSTALL_HINT: &str = "run scripts/install-test-deps";
/// Size of the large file of the sample layer: more than one 4 MiB chunk.
const LARGE_FILE_BYTES: usize = 9 << 20;

/// The embedder projects' directory.
fn embedders_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/embedders")
}

/// Whether `program` runs at all (`--version`).
fn installed(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// A tar (GNU tar, owners 0:0) of a small tree with a file larger than one
/// chunk, a relative symlink and a hard link.
fn sample_layer() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/share/data")).unwrap();
    std::fs::write(root.join("usr/share/data/readme"), b"from an embedder\n").unwrap();
    let large: Vec<u8> = (0..LARGE_FILE_BYTES)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(root.join("usr/share/data/large.bin"), large).unwrap();
    std::os::unix::fs::symlink("data/readme", root.join("usr/share/current")).unwrap();
    std::fs::hard_link(
        root.join("usr/share/data/readme"),
        root.join("usr/share/readme"),
    )
    .unwrap();
    common::gnu_tar(
        root,
        &[
            "--sort=name",
            "--mtime=@1700000000",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
        ],
    )
}

/// Runs one embedder's scenario on fresh roots and checks what it
/// reported, then the root with both CLIs. `command` is the program and
/// its leading arguments; the scenario's own arguments follow.
fn run_scenario(language: &str, command: &[&Path]) {
    let roots = Roots::new();
    std::fs::create_dir_all(roots.graph()).unwrap();
    std::fs::create_dir_all(roots.run()).unwrap();
    let work = tempfile::tempdir().unwrap();
    let layer = sample_layer();
    let layer_path = work.path().join("layer.tar");
    std::fs::write(&layer_path, &layer).unwrap();
    let refused_path = work.path().join("refused.tar");
    std::fs::write(&refused_path, tar(&[file("bin/su", b"#!").mode(0o4755)])).unwrap();
    let diff_path = work.path().join("diff.tar");

    let (program, leading) = command.split_first().unwrap();
    let out = Command::new(program)
        .args(leading)
        .arg(env!("GRAPHSTORE_PORTABLE_WASM"))
        .arg(roots.graph())
        .arg(roots.run())
        .arg(&layer_path)
        .arg(&diff_path)
        .arg(&refused_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{language} scenario failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = common::json(&stdout);
    println!("{language}: layer import took {} ms", seen["importMs"]);

    // What the embedder saw.
    let status = seen["status"].as_array().unwrap();
    assert_eq!(status[4], serde_json::json!(["Profile", "portable"]));
    let layer_id = seen["layerId"].as_str().unwrap().to_string();
    assert_eq!(seen["layerNames"], serde_json::json!(["base-layer"]));
    assert_eq!(seen["uncompressedSize"], layer.len());
    assert_eq!(
        seen["images"],
        serde_json::json!([{
            "id": seen["imageId"],
            "names": ["app:1", "app:latest"],
            "topLayer": layer_id,
            "bigDataNames": ["manifest"],
        }])
    );
    assert_eq!(seen["layers"], serde_json::json!([layer_id]));
    let manifest = format!(r#"{{"schemaVersion":2,"from":"{language}"}}"#);
    assert_eq!(seen["manifestBack"], manifest.len());
    assert_eq!(
        std::fs::read(diff_path.with_extension("tar.manifest")).unwrap(),
        manifest.as_bytes()
    );
    assert_eq!(seen["diffBytes"], layer.len());
    assert!(
        std::fs::read(&diff_path).unwrap() == layer,
        "{language}: the chunked diff is the imported tar, byte for byte"
    );
    let blob = format!("blob from {language}");
    assert_eq!(
        seen["blobDigest"],
        format!(
            "sha256:{}",
            hex::encode(sha2::Sha256::digest(blob.as_bytes()))
        )
    );
    assert_eq!(seen["scratchExists"], false);
    assert_eq!(seen["refused"]["tag"], "unsupported-by-profile");
    assert_eq!(
        seen["refused"]["val"],
        "\"bin/su\" (regular file): the portable profile keeps no setuid/setgid/sticky bits: \
         not supported by this build's profile"
    );
    assert_eq!(seen["refusedExists"], false);

    // The root, read by graphstore's CLI and by containers-storage 1.43.
    for (cli, run) in [
        (
            "graphstore",
            &(|args: &[&str]| roots.graphstore(args)) as &dyn Fn(&[&str]) -> common::Run,
        ),
        ("containers-storage", &|args: &[&str]| roots.reference(args)),
    ] {
        let images = common::json(run(&["images", "--json"]).ok());
        assert_eq!(
            images[0]["names"],
            serde_json::json!(["app:1", "app:latest"]),
            "{cli}"
        );
        assert_eq!(images[0]["layer"], layer_id, "{cli}");
        assert_eq!(
            run(&["get-image-data", "app:1", "manifest"]).ok(),
            manifest,
            "{cli}"
        );
        let layers = common::json(run(&["layers", "--json"]).ok());
        let ids: Vec<&str> = layers
            .as_array()
            .unwrap()
            .iter()
            .map(|layer| layer["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [layer_id.as_str()],
            "{cli}: scratch deleted, refused absent"
        );
        let cli_diff = work.path().join(format!("{cli}.tar"));
        run(&["diff", "-u", "-f", cli_diff.to_str().unwrap(), &layer_id]).ok();
        assert!(
            std::fs::read(&cli_diff).unwrap() == layer,
            "{cli} diffs the {language}-imported layer back to the tar"
        );
    }
    let tree = roots.graph().join("vfs/dir").join(&layer_id);
    assert_eq!(
        std::fs::read_link(tree.join("usr/share/current"))
            .unwrap()
            .to_str(),
        Some("data/readme")
    );
    assert_eq!(
        std::fs::metadata(tree.join("usr/share/data/large.bin"))
            .unwrap()
            .len(),
        LARGE_FILE_BYTES as u64
    );
}

/// Node 20 + jco (transpiled in the scenario) + preview2-shim.
#[test]
fn node_drives_the_portable_component_with_jco() {
    let node = Path::new("node");
    if !installed(node) {
        println!("SKIPPED: node is not installed (scripts/install-test-deps installs it)");
        return;
    }
    let project = embedders_dir().join("node");
    assert!(
        project.join("node_modules/@bytecodealliance/jco").is_dir()
            && project
                .join("node_modules/@bytecodealliance/preview2-shim")
                .is_dir(),
        "jco and preview2-shim are not installed in {}: {INSTALL_HINT}",
        project.display()
    );
    run_scenario("node", &[node, &project.join("scenario.mjs")]);
}

/// Python + wasmtime-py's component API (`wasmtime.component`).
#[test]
fn python_drives_the_portable_component_with_wasmtime_py() {
    let project = embedders_dir().join("python");
    let venv = project.join(".venv/bin/python3");
    let python = if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    };
    if !installed(&python) {
        println!("SKIPPED: python3 is not installed (scripts/install-test-deps installs it)");
        return;
    }
    let wasmtime = Command::new(&python)
        .args(["-c", "import wasmtime.component"])
        .status()
        .unwrap();
    assert!(
        wasmtime.success(),
        "wasmtime-py (tests/embedders/python/requirements.txt) is not installed for {}: {INSTALL_HINT}",
        python.display()
    );
    run_scenario("python", &[&python, &project.join("scenario.py")]);
}
