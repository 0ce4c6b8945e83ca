//! The real clients on graphstore roots: Debian's skopeo, podman and buildah
//! (all built on containers/storage) copy, run, commit and remove images on
//! roots graphstore writes, and graphstore reads what they write.
//!
//! The image is built here, not pulled (no network): an OCI layout whose
//! two layers carry what layer formats get wrong (owners, modes, hard
//! links, symlinks, a whiteout, an opaque directory) and a static busybox,
//! so podman can run it.

use crate::common::{Roots, Run, gnu_tar, json};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian's busybox-static puts its binary.
const BUSYBOX: &str = "/bin/busybox";
/// The ref name the test image has in its OCI layout.
const OCI_TAG: &str = "t1";
/// podman flags this machine needs to run a container: runc (crun cannot
/// here), no systemd, no network, and limits the sandbox lets runc set.
const PODMAN_RUN_FLAGS: &[&str] = &[
    "--network=none",
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=1000:1000",
];

/// An OCI image layout on disk and the diff IDs of its layers.
struct OciImage {
    layout: tempfile::TempDir,
    layer_tars: Vec<Vec<u8>>,
    diff_ids: Vec<String>,
}

impl OciImage {
    /// The `oci:` transport reference of the image.
    fn reference(&self) -> String {
        format!("oci:{}:{OCI_TAG}", self.layout.path().display())
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(data))
}

fn write_blob(layout: &Path, data: &[u8]) -> String {
    let digest = sha256_hex(data);
    let blobs = layout.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("create blobs");
    std::fs::write(blobs.join(&digest), data).expect("write blob");
    format!("sha256:{digest}")
}

/// Writes an OCI layout holding one image made of `layer_tars`
/// (uncompressed).
fn oci_layout(layer_tars: Vec<Vec<u8>>) -> OciImage {
    let layout = tempfile::tempdir().expect("a layout directory");
    let diff_ids: Vec<String> = layer_tars
        .iter()
        .map(|tar| format!("sha256:{}", sha256_hex(tar)))
        .collect();
    let layers: Vec<serde_json::Value> = layer_tars
        .iter()
        .map(|tar| {
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": write_blob(layout.path(), tar),
                "size": tar.len(),
            })
        })
        .collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        // One history entry a layer, as builders write (buildah checks).
        "history": diff_ids.iter().map(|id| serde_json::json!({"created_by": id})).collect::<Vec<_>>(),
    }))
    .expect("config JSON");
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": write_blob(layout.path(), &config),
            "size": config.len(),
        },
        "layers": layers,
    }))
    .expect("manifest JSON");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": write_blob(layout.path(), &manifest),
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": OCI_TAG},
        }],
    });
    std::fs::write(layout.path().join("index.json"), index.to_string()).expect("index");
    std::fs::write(
        layout.path().join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .expect("oci-layout");
    OciImage {
        layout,
        layer_tars,
        diff_ids,
    }
}

fn write(path: &Path, contents: &str, mode: u32, owner: (u32, u32)) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create parents");
    std::fs::write(path, contents).expect("write file");
    // chown first: it clears the setuid bit.
    std::os::unix::fs::chown(path, Some(owner.0), Some(owner.1)).expect("chown");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The two-layer test image: a base with busybox, owned and setuid files,
/// a hard link, relative and absolute symlinks; an upper layer that
/// deletes a file (whiteout), makes a directory opaque, changes a file and
/// adds a hard-linked pair.
fn test_image() -> OciImage {
    let trees = tempfile::tempdir().expect("a scratch directory");
    let base = trees.path().join("base");
    std::fs::create_dir_all(base.join("bin")).expect("bin");
    std::fs::copy(BUSYBOX, base.join("bin/busybox")).expect("copy busybox");
    std::os::unix::fs::symlink("busybox", base.join("bin/sh")).expect("symlink sh");
    write(&base.join("etc/greeting"), "hello\n", 0o644, (0, 0));
    write(&base.join("data/owned"), "owned\n", 0o640, (1000, 1001));
    write(&base.join("data/setuid"), "s\n", 0o4755, (0, 0));
    write(&base.join("data/a"), "a\n", 0o644, (0, 0));
    std::fs::hard_link(base.join("data/a"), base.join("data/a-link")).expect("hard link");
    std::os::unix::fs::symlink("/etc/greeting", base.join("data/absolute")).expect("symlink");
    write(&base.join("opaque/x"), "x\n", 0o644, (0, 0));
    write(&base.join("gone"), "gone\n", 0o644, (0, 0));

    let upper = trees.path().join("upper");
    write(&upper.join(".wh.gone"), "", 0o644, (0, 0));
    write(&upper.join("opaque/.wh..wh..opq"), "", 0o644, (0, 0));
    write(&upper.join("opaque/z"), "z\n", 0o600, (2, 3));
    write(&upper.join("data/a"), "changed\n", 0o644, (0, 0));
    write(&upper.join("data/pair"), "pair\n", 0o600, (7, 7));
    std::fs::hard_link(upper.join("data/pair"), upper.join("data/pair-link")).expect("hard link");

    let options = ["--numeric-owner", "--sort=name", "--xattrs"];
    oci_layout(vec![gnu_tar(&base, &options), gnu_tar(&upper, &options)])
}

/// Runs `program` with `args`; stdout, stderr and exit code.
fn tool(program: &str, args: &[String]) -> Run {
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is not installed ({e}): run `scripts/install-test-deps`")
        });
    Run {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The `containers-storage:` transport reference of `name` in `roots`.
fn storage_reference(roots: &Roots, name: &str) -> String {
    format!(
        "containers-storage:[vfs@{}+{}]{name}",
        roots.graph().display(),
        roots.run().display()
    )
}

fn skopeo_copy(from: &str, to: &str) {
    tool("skopeo", &strings(&["copy", "--quiet", from, to])).ok();
}

/// Runs podman on `roots` (vfs, runc, cgroupfs, file events, a private
/// temporary directory).
fn podman(roots: &Roots, args: &[&str]) -> Run {
    let tmp = roots.dir.path().join("podman-tmp");
    let mut all = strings(&[
        "--root",
        &roots.graph().display().to_string(),
        "--runroot",
        &roots.run().display().to_string(),
        "--storage-driver",
        "vfs",
        "--runtime",
        "runc",
        "--cgroup-manager=cgroupfs",
        "--events-backend=file",
        "--tmpdir",
        &tmp.display().to_string(),
    ]);
    all.extend(strings(args));
    tool("podman", &all)
}

/// Runs buildah on `roots` (vfs).
fn buildah(roots: &Roots, args: &[&str]) -> Run {
    let mut all = strings(&[
        "--root",
        &roots.graph().display().to_string(),
        "--runroot",
        &roots.run().display().to_string(),
        "--storage-driver",
        "vfs",
    ]);
    all.extend(strings(args));
    tool("buildah", &all)
}

/// The layer chain of image `name` as graphstore reports it, bottom first.
fn layer_chain(roots: &Roots, name: &str) -> Vec<String> {
    let image = json(roots.graphstore(&["image", "--json", name]).ok());
    let mut layer = image[0]["layer"].as_str().map(str::to_string);
    let mut chain = Vec::new();
    while let Some(id) = layer {
        let record = json(roots.graphstore(&["layer", "--json", &id]).ok());
        layer = record[0]["parent"].as_str().map(str::to_string);
        chain.push(id);
    }
    chain.reverse();
    chain
}

/// The uncompressed diff of `layer` as graphstore writes it.
fn graphstore_diff(roots: &Roots, layer: &str) -> Vec<u8> {
    let out = roots.dir.path().join("diff.tar");
    roots
        .graphstore(&["diff", "-u", "-f", &out.display().to_string(), layer])
        .ok();
    std::fs::read(&out).expect("read the diff")
}

fn layer_dir(roots: &Roots, layer: &str) -> PathBuf {
    roots.graph().join("vfs/dir").join(layer)
}

/// What the upper layer's tree must look like after both layers applied.
fn assert_applied_tree(root: &Path) {
    let meta = |relative: &str| std::fs::symlink_metadata(root.join(relative)).expect(relative);
    let owned = meta("data/owned");
    assert_eq!(
        (owned.uid(), owned.gid(), owned.mode() & 0o7777),
        (1000, 1001, 0o640)
    );
    assert_eq!(meta("data/setuid").mode() & 0o7777, 0o4755);
    assert_eq!(
        std::fs::read_link(root.join("data/absolute")).expect("readlink"),
        Path::new("/etc/greeting")
    );
    assert_eq!(meta("data/pair").ino(), meta("data/pair-link").ino());
    assert_eq!(
        meta("data/a").nlink(),
        1,
        "data/a was replaced by the upper layer"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("data/a")).expect("a"),
        "changed\n"
    );
    assert!(!root.join("gone").exists(), "the whiteout removed gone");
    assert!(!root.join("opaque/x").exists(), "the opaque dir hid x");
    let z = meta("opaque/z");
    assert_eq!((z.uid(), z.gid(), z.mode() & 0o7777), (2, 3, 0o600));
    assert!(!root.join(".wh.gone").exists() && !root.join("opaque/.wh..wh..opq").exists());
}

#[test]
fn skopeo_copies_an_image_into_a_graphstore_root_and_graphstore_reads_it_back() {
    let image = test_image();
    let roots = Roots::new();
    roots.graphstore(&["layers"]).ok(); // a root graphstore made
    skopeo_copy(
        &image.reference(),
        &storage_reference(&roots, "localhost/test:1"),
    );

    let chain = layer_chain(&roots, "localhost/test:1");
    assert_eq!(chain.len(), 2);
    for ((layer, tar), diff_id) in chain.iter().zip(&image.layer_tars).zip(&image.diff_ids) {
        let diff = graphstore_diff(&roots, layer);
        assert_eq!(format!("sha256:{}", sha256_hex(&diff)), *diff_id);
        assert!(
            diff == *tar,
            "the diff of {layer} is the layer skopeo copied, byte for byte"
        );
    }
    assert_applied_tree(&layer_dir(&roots, &chain[1]));
    let names = json(
        roots
            .graphstore(&["image", "--json", "localhost/test:1"])
            .ok(),
    );
    assert_eq!(names[0]["names"], serde_json::json!(["localhost/test:1"]));
}

#[test]
fn skopeo_copies_out_an_image_graphstore_built_alone() {
    let image = test_image();
    let roots = Roots::new();
    let blobs = image.layout.path().join("blobs/sha256");
    let layer_file = |i: usize| {
        let file = roots.dir.path().join(format!("layer{i}.tar"));
        std::fs::write(&file, &image.layer_tars[i]).expect("write layer");
        file.display().to_string()
    };
    let base = layer_file(0);
    let upper = layer_file(1);
    roots
        .graphstore(&["import-layer", "-i", "base", "-f", &base])
        .ok();
    roots
        .graphstore(&["import-layer", "-i", "upper", "-f", &upper, "base"])
        .ok();
    roots
        .graphstore(&[
            "create-image",
            "-i",
            "img",
            "-n",
            "localhost/built:1",
            "upper",
        ])
        .ok();
    // The manifest and config, as the image's data items (where
    // containers/storage's image destination puts them).
    let index = json(&std::fs::read_to_string(image.layout.path().join("index.json")).unwrap());
    let manifest_digest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest_file = blobs.join(manifest_digest.trim_start_matches("sha256:"));
    let manifest = json(&std::fs::read_to_string(&manifest_file).unwrap());
    let config_digest = manifest["config"]["digest"].as_str().unwrap().to_string();
    let config_file = blobs.join(config_digest.trim_start_matches("sha256:"));
    for (key, file) in [
        ("manifest", &manifest_file),
        (config_digest.as_str(), &config_file),
    ] {
        let path = file.display().to_string();
        roots
            .graphstore(&["set-image-data", "-f", &path, "img", key])
            .ok();
    }

    // `dir:` keeps the layers as the source gives them (`oci:` would
    // compress them).
    let out = tempfile::tempdir().expect("an output directory");
    let destination = format!("dir:{}", out.path().display());
    skopeo_copy(
        &storage_reference(&roots, "localhost/built:1"),
        &destination,
    );

    let out_blob = |digest: &str| {
        std::fs::read(out.path().join(digest.trim_start_matches("sha256:")))
            .expect("a blob of the copied image")
    };
    let out_manifest = json(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap());
    let copied: Vec<Vec<u8>> = out_manifest["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|layer| out_blob(layer["digest"].as_str().unwrap()))
        .collect();
    for (i, (copied, stored)) in copied.iter().zip(&image.layer_tars).enumerate() {
        if copied != stored {
            let dump = std::env::temp_dir().join(format!("real-clients-layer{i}.tar"));
            std::fs::write(&dump, copied).expect("dump");
            panic!(
                "skopeo read back layer {i} ({} bytes) not as graphstore stored it ({} bytes); copy in {}",
                copied.len(),
                stored.len(),
                dump.display()
            );
        }
    }
    assert_eq!(copied.len(), image.layer_tars.len());
    assert_eq!(out_manifest["config"]["digest"], config_digest.as_str());
}

#[test]
fn podman_lists_runs_and_removes_an_image_on_a_graphstore_root() {
    let image = test_image();
    let roots = Roots::new();
    skopeo_copy(
        &image.reference(),
        &storage_reference(&roots, "localhost/run:1"),
    );
    // graphstore touches the root last before podman sees it.
    roots
        .graphstore(&["add-names", "-n", "localhost/run:alias", "localhost/run:1"])
        .ok();

    let listed = podman(&roots, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    let mut names: Vec<&str> = listed.ok().lines().collect();
    names.sort();
    assert_eq!(names, ["localhost/run:1", "localhost/run:alias"]);

    let mut run_args = vec!["run", "--rm"];
    run_args.extend(PODMAN_RUN_FLAGS);
    run_args.extend([
        "localhost/run:alias",
        "/bin/sh",
        "-c",
        "cat /etc/greeting; stat -c '%u:%g %a' /data/owned /opaque/z; ls /opaque; test -e /gone || echo gone-is-gone",
    ]);
    let ran = podman(&roots, &run_args);
    assert_eq!(
        ran.ok(),
        "hello\n1000:1001 640\n2:3 600\nz\ngone-is-gone\n",
        "{ran:?}"
    );
    // The container podman ran is gone with --rm: graphstore agrees.
    assert_eq!(roots.graphstore(&["containers"]).ok(), "");

    podman(&roots, &["rmi", "localhost/run:1", "localhost/run:alias"]).ok();
    assert_eq!(roots.graphstore(&["images"]).ok(), "");
    assert_eq!(roots.graphstore(&["layers"]).ok(), "");
}

#[test]
fn graphstore_reads_what_podman_and_buildah_commit_on_its_root() {
    let image = test_image();
    let roots = Roots::new();
    roots.graphstore(&["layers"]).ok();
    // podman loads the layout as an archive (`pull oci:` would name the
    // image after the layout's path, which has capitals).
    let archive = roots.dir.path().join("image.tar");
    std::fs::write(&archive, gnu_tar(image.layout.path(), &[])).unwrap();
    let loaded = podman(
        &roots,
        &["load", "--quiet", "--input", &archive.display().to_string()],
    );
    assert_eq!(
        loaded.ok(),
        format!("Loaded image: localhost/{OCI_TAG}:latest\n")
    );
    let pulled = podman(&roots, &["images", "--format", "{{.ID}}", "--no-trunc"]);
    let pulled_id = pulled.ok().trim().trim_start_matches("sha256:").to_string();

    // podman: a container that changes the tree, committed as an image.
    let mut run_args = vec!["run", "--name", "worker"];
    run_args.extend(PODMAN_RUN_FLAGS);
    run_args.extend([
        &pulled_id as &str,
        "/bin/sh",
        "-c",
        "echo made > /made; rm /etc/greeting",
    ]);
    podman(&roots, &run_args).ok();
    podman(
        &roots,
        &["commit", "--quiet", "worker", "localhost/committed:1"],
    )
    .ok();

    let containers = json(roots.graphstore(&["containers", "--json"]).ok());
    let worker = containers
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["names"] == serde_json::json!(["worker"]))
        .unwrap_or_else(|| panic!("graphstore lists podman's container: {containers}"));
    assert_eq!(worker["image"].as_str(), Some(pulled_id.as_str()));

    let chain = layer_chain(&roots, "localhost/committed:1");
    assert_eq!(chain.len(), 3, "two pulled layers and the committed one");
    let top = layer_dir(&roots, &chain[2]);
    assert_eq!(std::fs::read_to_string(top.join("made")).unwrap(), "made\n");
    assert!(!top.join("etc/greeting").exists());
    assert_applied_tree(&top);
    // The committed layer's diff, as graphstore writes it, is what
    // podman recorded as its diff ID.
    let layer = json(roots.graphstore(&["layer", "--json", &chain[2]]).ok());
    let diff = graphstore_diff(&roots, &chain[2]);
    assert_eq!(
        layer[0]["diff-digest"].as_str(),
        Some(format!("sha256:{}", sha256_hex(&diff)).as_str())
    );

    // buildah: a working container with a copied-in file, committed.
    let from = buildah(&roots, &["from", "--quiet", "localhost/committed:1"]);
    let working = from.ok().trim().to_string();
    let extra = roots.dir.path().join("extra");
    std::fs::write(&extra, "extra\n").unwrap();
    buildah(
        &roots,
        &["copy", &working, &extra.display().to_string(), "/extra"],
    )
    .ok();
    buildah(
        &roots,
        &["commit", "--quiet", &working, "localhost/built:2"],
    )
    .ok();
    let chain = layer_chain(&roots, "localhost/built:2");
    assert_eq!(chain.len(), 4);
    let top = layer_dir(&roots, &chain[3]);
    assert_eq!(
        std::fs::read_to_string(top.join("extra")).unwrap(),
        "extra\n"
    );

    // graphstore deletes the storage side of podman's container (podman
    // keeps its own record of it, as with containers-storage); podman
    // then removes its record cleanly.
    roots.graphstore(&["delete-container", "worker"]).ok();
    podman(&roots, &["rm", "worker"]).ok();
    let left = podman(&roots, &["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(left.ok(), "");
    // What is left is buildah's working container.
    let containers = json(roots.graphstore(&["containers", "--json"]).ok());
    let names: Vec<&serde_json::Value> = containers
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| &c["names"])
        .collect();
    assert_eq!(names, [&serde_json::json!([working])]);
}
