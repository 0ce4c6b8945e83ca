//! Differential tests: the same command sequence runs on graphstore and on
//! containers-storage 1.43, each on fresh roots; stdout, stderr, exit codes
//! and the metadata files on disk must match once random IDs and timestamps
//! are normalised.

use crate::common;

use common::{Roots, Run, json, run_binary, tree};
use std::collections::HashMap;

/// One command of a scenario: arguments and optional standard input.
struct Step {
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
    /// 1.43 prints this command's lines in random (map) order.
    unordered: bool,
}

fn step(args: &str) -> Step {
    Step {
        args: split(args),
        stdin: None,
        unordered: false,
    }
}

fn step_with_input(args: &str, stdin: &[u8]) -> Step {
    Step {
        args: split(args),
        stdin: Some(stdin.to_vec()),
        unordered: false,
    }
}

/// A step whose output lines 1.43 prints in random order.
fn unordered(args: &str) -> Step {
    Step {
        args: split(args),
        stdin: None,
        unordered: true,
    }
}

/// The lines of `text`, sorted (for outputs in random order).
fn sorted_lines(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines.join("\n")
}

/// Splits on spaces; `'…'` groups words (no escapes needed in these scripts).
/// Splits `line` at spaces; `'…'` quotes (`''` is an empty argument).
fn split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut in_word) = (false, false);
    for ch in line.chars() {
        match ch {
            '\'' => (quoted, in_word) = (!quoted, true),
            ' ' if !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                }
                in_word = false;
            }
            _ => {
                current.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Replaces random 64-hex IDs (numbered by first appearance), timestamps
/// and the roots' paths, so the two transcripts can be compared.
struct Normaliser {
    ids: HashMap<String, usize>,
    root: String,
}

impl Normaliser {
    fn new(roots: &Roots) -> Self {
        Normaliser {
            ids: HashMap::new(),
            root: roots.dir.path().display().to_string(),
        }
    }

    fn apply(&mut self, text: &str) -> String {
        let text = text.replace(&self.root, "<ROOT>");
        let mut out = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex_run = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                .count();
            let boundary_before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
            if hex_run == 64 && boundary_before {
                let id = &text[i..i + 64];
                let next = self.ids.len();
                let number = *self.ids.entry(id.to_string()).or_insert(next);
                out.push_str(&format!("<ID{number}>"));
                i += 64;
            } else if text[i..].starts_with("\"created\":\"") {
                let end = text[i + 11..]
                    .find('"')
                    .map_or(text.len(), |e| i + 11 + e + 1);
                out.push_str("\"created\":\"<TIME>\"");
                i = end;
            } else {
                let ch = text[i..].chars().next().expect("in bounds");
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }

    fn run(&mut self, run: &Run) -> (String, String, i32) {
        (self.apply(&run.stdout), self.apply(&run.stderr), run.code)
    }
}

/// The metadata files compared after a scenario (relative to the roots' parent).
const METADATA_FILES: &[&str] = &[
    "graph/vfs-layers/layers.json",
    "graph/vfs-images/images.json",
    "graph/vfs-containers/containers.json",
    "run/vfs-layers/mountpoints.json",
];

/// Runs `steps` on both implementations and asserts identical results.
fn assert_same(name: &str, steps: &[Step]) {
    let ours = Roots::new();
    let reference = Roots::new();
    let (mut ours_norm, mut reference_norm) = (Normaliser::new(&ours), Normaliser::new(&reference));
    for (index, step) in steps.iter().enumerate() {
        let args: Vec<&str> = step.args.iter().map(String::as_str).collect();
        let (got, want) = match &step.stdin {
            Some(input) => (
                ours.graphstore_with_input(&args, input),
                reference.reference_with_input(&args, input),
            ),
            None => (ours.graphstore(&args), reference.reference(&args)),
        };
        let (mut got_norm, mut want_norm) = (ours_norm.run(&got), reference_norm.run(&want));
        if step.unordered {
            got_norm.0 = sorted_lines(&got_norm.0);
            want_norm.0 = sorted_lines(&want_norm.0);
            got_norm.1 = sorted_lines(&got_norm.1);
            want_norm.1 = sorted_lines(&want_norm.1);
        }
        assert_eq!(
            got_norm, want_norm,
            "scenario {name}, step {index}: {:?}\n graphstore: {got:?}\n reference:  {want:?}",
            step.args
        );
    }
    for file in METADATA_FILES {
        let read = |roots: &Roots| {
            std::fs::read(roots.dir.path().join(file))
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        let (got, want) = (
            read(&ours).map(|t| ours_norm.apply(&t)),
            read(&reference).map(|t| reference_norm.apply(&t)),
        );
        assert_eq!(got, want, "scenario {name}: {file} differs");
    }
    let layout = |roots: &Roots, norm: &mut Normaliser| -> Vec<String> {
        let mut entries: Vec<String> = tree(roots.dir.path())
            .iter()
            .map(|entry| norm.apply(entry))
            .filter(|e| !e.contains("/.tmp-"))
            .collect();
        entries.sort();
        entries
    };
    assert_eq!(
        layout(&ours, &mut ours_norm),
        layout(&reference, &mut reference_norm),
        "scenario {name}: directory layouts differ"
    );
}

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

#[test]
fn images_and_their_data() {
    assert_same(
        "images",
        &[
            step("images"),
            step("images --json"),
            step("create-image -i img1 -n app:1 -n app:latest -m meta"),
            step(&format!(
                "create-image -i img2 -n other -d {DIGEST_A} --json"
            )),
            step("images"),
            step("images -q"),
            step("images --json"),
            step("image app:1"),
            step("image --json img2"),
            step("image nothing"),
            step_with_input("set-image-data img1 manifest", b"{\"schemaVersion\":2}"),
            step_with_input("set-image-data img1 sha256:abcdef", b"config<&>"),
            step("list-image-data img1"),
            step("list-image-data --json img2"),
            step("get-image-data img1 sha256:abcdef"),
            step("get-image-data-size img1 manifest"),
            step("get-image-data-digest img1 manifest"),
            step("get-image-data img1 missing"),
            step("image img1"),
            step(
                "images-by-digest sha256:bafebd36189ad3688b7b3915ea55d461e0bfcfbdde11e54b0a123999fb6be50f",
            ),
            step(&format!("images-by-digest {DIGEST_A}")),
            step("images-by-digest foo"),
            step("create-image -n app:1"),
            step("create-image -i img1"),
            step("create-image -d sha256:1234"),
            step("create-image missing-layer"),
        ],
    );
}

#[test]
fn names_and_metadata() {
    assert_same(
        "names",
        &[
            step("create-image -i one -n a -n b"),
            step("create-image -i two -n x"),
            step("add-names -n c one"),
            step("get-names one"),
            step("set-names -n x -n y one"),
            step("get-names --json two"),
            step("add-names --json -n z two"),
            step("get-names nothing"),
            step("metadata one two nothing"),
            step("metadata -q one"),
            step("set-metadata -m 'new meta' one"),
            step("metadata --json one"),
            step("set-metadata one"),
            step("set-metadata -m x nothing"),
            unordered("exists one two nothing"),
            step("exists -q one"),
            step("exists -i one"),
            step("exists -l one"),
            step("exists --json one nothing"),
            step("images --json"),
        ],
    );
}

#[test]
fn layers_and_containers() {
    assert_same(
        "layers",
        &[
            step("layers"),
            step("layers --json"),
            step("create-layer -i base -n base-layer"),
            step("create-layer -i mid -n mid-layer -l label base"),
            step("create-layer --json -i top mid"),
            step("create-layer -n base-layer"),
            step("create-layer -i base"),
            step("create-layer nothing"),
            step("layers"),
            step("layers --json"),
            step("layer base mid"),
            step("layer --json top"),
            step("create-image -i img -n app top"),
            step("create-container -i ctr -n web -n www app"),
            step("create-container --json -i ctr2 -m cmeta --volatile img"),
            step("create-container -n web app"),
            step("create-container nothing"),
            step("containers"),
            step("containers --json"),
            step("container web"),
            step("container --json ctr2"),
            step("layers"),
            step("layers -t"),
            step_with_input("set-container-data web config.json", b"{}"),
            step("list-container-data web"),
            step("get-container-data web config.json"),
            step("get-container-data-size web config.json"),
            step("get-container-data-digest web config.json"),
            step_with_input("set-layer-data base blob", b"layer data"),
            step("list-layer-data base"),
            step("get-layer-data base blob"),
            step("get-container-dir web"),
            step("get-container-run-dir web"),
            step("containers --json"),
        ],
    );
}

#[test]
fn deletion_rules() {
    assert_same(
        "deletion",
        &[
            step("create-layer -i base"),
            step("create-layer -i mid base"),
            step("create-layer -i top mid"),
            step("create-image -i keeper mid"),
            step("create-image -i img -n app top"),
            step("create-container -i ctr img"),
            step("delete-layer base"),
            step("delete-layer top"),
            step("delete-image app"),
            step("delete-image --json app"),
            step("delete-container nothing"),
            step("delete-container ctr"),
            step("delete-image -t app"),
            step("delete-image app"),
            step("delete-image keeper"),
            step("delete-layer nothing"),
            step("delete-layer --json nothing"),
            step("create-layer -i lone"),
            unordered("delete lone nothing"),
            step("layers --json"),
            step("images --json"),
            step("create-image -i w1"),
            step("create-layer -i w2"),
            step("wipe"),
            step("wipe --json"),
            step("layers --json"),
            step("images --json"),
        ],
    );
}

#[test]
fn empty_references_name_nothing() {
    assert_same(
        "empty references",
        &[
            step("create-layer ''"),
            step("create-image ''"),
            step("create-container ''"),
            step("create-layer -i named ''"),
            step("layers --json"),
            step("images --json"),
            step("containers --json"),
        ],
    );
}

#[test]
fn mounts_status_and_shutdown() {
    assert_same(
        "mounts",
        &[
            step("status"),
            step("status --json"),
            step("version"),
            step("version --json"),
            step("create-layer -i base"),
            step("create-image -i img base"),
            step("create-container -i ctr img"),
            step("mount ctr"),
            step("mounted ctr"),
            step("mount --json ctr"),
            step("shutdown"),
            step("shutdown --json"),
            step("unmount ctr"),
            step("mounted --json ctr"),
            step("unmount --json ctr"),
            step("mounted ctr"),
            step("shutdown"),
        ],
    );
}

#[test]
fn argument_errors() {
    assert_same(
        "arguments",
        &[
            step("bogus"),
            step("create-layer a b"),
            step("image"),
            step("layers --bogus"),
            step("create-layer --help"),
            step("images -jq"),
            step("images --json=true"),
            step("set-names -n a"),
        ],
    );
}

/// A tar of a small tree (directories, files, links) made by GNU tar.
fn small_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("etc/sub")).unwrap();
    std::fs::write(src.join("etc/hosts"), b"127.0.0.1 localhost\n").unwrap();
    std::fs::write(src.join("etc/sub/big"), vec![b'x'; 30_000]).unwrap();
    std::os::unix::fs::symlink("/etc/hosts", src.join("link")).unwrap();
    common::gnu_tar(&src, &["--mtime=2020-01-01", "--owner=0", "--group=0"])
}

#[test]
fn layer_contents() {
    let tar = small_tar();
    let mut child = Vec::new();
    {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/etc")).unwrap();
        std::fs::write(dir.path().join("src/etc/.wh.hosts"), b"").unwrap();
        std::fs::write(dir.path().join("src/new"), b"new file\n").unwrap();
        let out = std::process::Command::new("tar")
            .args(["--mtime=2020-01-02", "--owner=0", "--group=0", "-C"])
            .arg(dir.path().join("src"))
            .args(["-cf", "-", "."])
            .output()
            .unwrap();
        child.extend(out.stdout);
    }
    assert_same(
        "layer contents",
        &[
            step_with_input("import-layer -i base -n base", &tar),
            step_with_input("import-layer --json -i child base", &child),
            step("layers --json"),
            step("layer base child"),
            step("diff -u base"),
            step("diff child"),
            step("diff -b base"),
            step("create-layer -i empty"),
            step_with_input("applydiff empty", &tar),
            step("layer --json empty"),
            step("diff empty"),
            step_with_input("applydiff nothing", &tar),
            step("create-image -i img child"),
            step("image img"),
        ],
    );
}

#[test]
fn id_maps_and_parent_owners() {
    let maps = "--uidmap 0:100000:65536 --gidmap 0:200000:65536";
    assert_same(
        "id maps",
        &[
            step(&format!("create-layer -i mapped {maps}")),
            step("layer mapped"),
            step("layer-parent-owners mapped"),
            step("mount mapped"),
            step("layer-parent-owners mapped"),
            step("layer-parent-owners --json mapped"),
            step("unmount mapped"),
            step("create-layer -i plain"),
            step("layer-parent-owners --json plain"),
            step("create-image -i img mapped"),
            step("create-container -i c1 img"),
            step(&format!("create-container -i c2 {maps} img")),
            step(&format!("create-container -i c3 {maps} img")),
            step("image img"),
            step("layers --json"),
            step("container-parent-owners c1 c2"),
            step("container-parent-owners --json c1"),
            step("create-layer --uidmap 0:1 x"),
            step("create-layer --hostuidmap --uidmap 0:1:1 x"),
        ],
    );
}

/// A container with overlapping ID maps is refused with 1.43's message;
/// 1.43 has by then made (and kept, recorded on the image) an ID-mapped
/// copy of the image's top layer, graphstore checks first and makes
/// nothing.
#[test]
fn a_refused_container_leaves_no_mapped_copy() {
    let roots = Roots::new();
    let reference = Roots::new();
    for setup in [
        ["create-layer", "-i", "top"].as_slice(),
        ["create-image", "-i", "img", "top"].as_slice(),
    ] {
        roots.graphstore(setup).ok();
        reference.reference(setup).ok();
    }
    let args = [
        "create-container",
        "-i",
        "bad",
        "--uidmap",
        "0:1000:10:5:2000:10",
        "img",
    ];
    let (ours, theirs) = (roots.graphstore(&args), reference.reference(&args));
    assert_eq!((ours.code, &ours.stderr), (theirs.code, &theirs.stderr));
    assert_ne!(ours.code, 0);
    let layers = |run: &Roots| {
        json(run.reference(&["layers", "--json"]).ok())
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(layers(&reference), 2, "1.43 keeps its mapped copy");
    assert_eq!(layers(&roots), 1, "graphstore made none");
}

/// [`common::diff_fields`] of the one record `layer --json` lists.
fn diff_fields(output: &serde_json::Value) -> Vec<String> {
    assert_eq!(output.as_array().map(Vec::len), Some(1), "{output}");
    common::diff_fields(&output[0])
}

/// `diff` of a layer applied from a zstd tar: both tools return a zstd
/// stream (the compressed bytes differ) that `zstd -d` turns back into the
/// applied tar; each tool imports the other's output.
#[test]
fn zstd_layer_diff() {
    let tar = small_tar();
    let compressed = common::filter("zstd", &["-c", "-q"], &tar);
    let ours = Roots::new();
    let reference = Roots::new();
    let gs = common::graphstore_cli();
    let cs = common::reference_cli();
    let (_, err, code) = run_binary(&gs, &ours, &["import-layer", "-i", "z"], Some(&compressed));
    assert_eq!(code, 0, "{err}");
    let (_, err, code) = run_binary(
        &cs,
        &reference,
        &["import-layer", "-i", "z"],
        Some(&compressed),
    );
    assert_eq!(code, 0, "{err}");
    let record = |program: &std::path::Path, roots: &Roots| {
        let (out, err, code) = run_binary(program, roots, &["layer", "--json", "z"], None);
        assert_eq!(code, 0, "{err}");
        diff_fields(&common::json(&String::from_utf8_lossy(&out)))
    };
    assert_eq!(record(&gs, &ours), record(&cs, &reference));

    let (our_diff, err, code) = run_binary(&gs, &ours, &["diff", "z"], None);
    assert_eq!(code, 0, "{err}");
    let (their_diff, err, code) = run_binary(&cs, &reference, &["diff", "z"], None);
    assert_eq!(code, 0, "{err}");
    for diff in [&our_diff, &their_diff] {
        assert!(diff.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]), "not zstd");
        assert_eq!(common::filter("zstd", &["-d", "-c", "-q"], diff), tar);
    }
    // Each tool reads the other's zstd output back to the same tar.
    let (_, err, code) = run_binary(
        &cs,
        &reference,
        &["import-layer", "-i", "back"],
        Some(&our_diff),
    );
    assert_eq!(code, 0, "{err}");
    let (_, err, code) = run_binary(
        &gs,
        &ours,
        &["import-layer", "-i", "back"],
        Some(&their_diff),
    );
    assert_eq!(code, 0, "{err}");
    let (ours_back, _, _) = run_binary(&gs, &ours, &["diff", "-u", "back"], None);
    let (theirs_back, _, _) = run_binary(&cs, &reference, &["diff", "-u", "back"], None);
    assert_eq!(ours_back, tar);
    assert_eq!(theirs_back, tar);
}

/// One ustar header block for `name` of type `typeflag` whose size field
/// holds `size` (12 bytes, octal or base-256), checksum computed.
fn ustar_header(name: &str, typeflag: u8, size: [u8; 12]) -> Vec<u8> {
    let mut block = vec![0u8; 512];
    block[..name.len()].copy_from_slice(name.as_bytes());
    block[100..108].copy_from_slice(b"0000755\0");
    block[108..116].copy_from_slice(b"0000000\0");
    block[116..124].copy_from_slice(b"0000000\0");
    block[124..136].copy_from_slice(&size);
    block[136..148].copy_from_slice(b"14000000000\0");
    block[156] = typeflag;
    if typeflag == b'2' {
        block[157..158].copy_from_slice(b"d");
    }
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    block[148..156].fill(b' ');
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    block
}

/// A directory or symlink whose size field is -1: 1.43 imports it and
/// then its `diff` fails (it reads the member as file content); graphstore
/// refuses it at import with a named error instead.
#[test]
fn header_only_member_with_a_negative_size() {
    for (typeflag, name, kind) in [(b'5', "x", "directory"), (b'2', "x", "symbolic link")] {
        let mut tar = ustar_header("d", b'5', *b"00000000000\0");
        tar.extend(ustar_header(name, typeflag, [0xff; 12]));
        tar.extend(vec![0u8; 1024]);
        let ours = Roots::new();
        let reference = Roots::new();
        let (gs, cs) = (common::graphstore_cli(), common::reference_cli());
        let (_, err, code) = run_binary(&cs, &reference, &["import-layer", "-i", "n"], Some(&tar));
        assert_eq!(code, 0, "1.43 imports it: {err}");
        let (_, err, code) = run_binary(&cs, &reference, &["diff", "-u", "n"], None);
        assert_ne!(code, 0, "1.43's diff of it fails");
        assert!(err.contains("is a directory"), "{err}");
        let (_, err, code) = run_binary(&gs, &ours, &["import-layer", "-i", "n"], Some(&tar));
        assert_eq!(code, 1);
        assert!(
            err.contains(&format!(
                "invalid archive: \"x\" ({kind}) has a negative size (-1)"
            )),
            "{err}"
        );
        let (out, _, _) = run_binary(&gs, &ours, &["layers"], None);
        assert!(
            out.is_empty(),
            "no layer left: {}",
            String::from_utf8_lossy(&out)
        );
    }
}

/// A tar and the expanded content of each file in it.
type SparseTar = (Vec<u8>, Vec<(String, Vec<u8>)>);

/// A sparse file to make: name, logical size, data fragments (offset, length).
type SparseFile = (&'static str, u64, &'static [(u64, usize)]);

/// Sparse files (holes made with `set_len`, data written at offsets) and a
/// plain file, archived by GNU tar `--sparse` in `format` (`gnu`, or
/// `posix` with `--sparse-version=version`). Returns the tar and each
/// file's expanded content.
fn gnu_sparse_tar(format: &str, version: &str) -> SparseTar {
    use std::os::unix::fs::FileExt;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let layout: [SparseFile; 4] = [
        ("middle", 200_000, &[(40_960, 8192)]),
        ("head", 1 << 20, &[(0, 4096)]),
        (
            "scattered",
            3 << 20,
            &[(4096, 100), (1 << 20, 70_000), (3_000_000, 145_728)],
        ),
        ("hole", 50_000, &[]),
    ];
    let mut files = Vec::new();
    for (index, (name, size, fragments)) in layout.iter().enumerate() {
        let file = std::fs::File::create(src.join(name)).unwrap();
        file.set_len(*size).unwrap();
        let mut expected = vec![0u8; *size as usize];
        for &(offset, len) in *fragments {
            let data: Vec<u8> = (0..len)
                .map(|i| (i as u8).wrapping_mul(31) ^ index as u8 ^ 0x5a)
                .collect();
            file.write_all_at(&data, offset).unwrap();
            expected[offset as usize..offset as usize + len].copy_from_slice(&data);
        }
        files.push((name.to_string(), expected));
    }
    std::fs::write(src.join("plain"), b"not sparse\n").unwrap();
    files.push(("plain".into(), b"not sparse\n".to_vec()));
    let mut command = std::process::Command::new("tar");
    command.args([
        "--sparse",
        "--format",
        format,
        "--mtime=2020-01-01",
        "--owner=0",
        "--group=0",
    ]);
    if format == "posix" {
        command.arg(format!("--sparse-version={version}"));
    }
    let output = command
        .arg("-C")
        .arg(&src)
        .args(["-cf", "-", "."])
        .output()
        .expect("GNU tar");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.stdout, files)
}

/// GNU tar's PAX sparse formats (0.0, 0.1, 1.0): both tools import them
/// with the same records (digests and sizes of the tar as supplied) and
/// the same expanded files. graphstore's `diff` is the imported tar byte
/// for byte, and so is 1.43's `diff` of the layer graphstore wrote (its
/// tar-split keeps the stored data as segments); 1.43's own tar-split
/// loses the stored data and its `diff` writes the expanded file in its
/// place, a tar that does not match its own recorded digest.
#[test]
fn gnu_sparse_layers() {
    let (gs, cs) = (common::graphstore_cli(), common::reference_cli());
    for version in ["0.0", "0.1", "1.0"] {
        let (tar, files) = gnu_sparse_tar("posix", version);
        let ours = Roots::new();
        let reference = Roots::new();
        for (program, roots) in [(&gs, &ours), (&cs, &reference)] {
            let (_, err, code) =
                run_binary(program, roots, &["import-layer", "-i", "s"], Some(&tar));
            assert_eq!(code, 0, "{version}: {err}");
        }
        let record = |program: &std::path::Path, roots: &Roots| {
            let (out, err, code) = run_binary(program, roots, &["layer", "--json", "s"], None);
            assert_eq!(code, 0, "{err}");
            diff_fields(&common::json(&String::from_utf8_lossy(&out)))
        };
        assert_eq!(record(&gs, &ours), record(&cs, &reference), "{version}");
        let layer_dir = |roots: &Roots| roots.graph().join("vfs/dir/s");
        assert_eq!(
            tree(&layer_dir(&ours)),
            tree(&layer_dir(&reference)),
            "{version}"
        );
        for (name, expected) in &files {
            for roots in [&ours, &reference] {
                let on_disk = std::fs::read(layer_dir(roots).join(name)).unwrap();
                assert!(on_disk == *expected, "{version}: {name} differs");
            }
        }
        let (our_diff, err, code) = run_binary(&gs, &ours, &["diff", "-u", "s"], None);
        assert_eq!(code, 0, "{err}");
        assert!(
            our_diff == tar,
            "{version}: graphstore's diff is not the imported tar"
        );
        let (go_reads_ours, err, code) = run_binary(&cs, &ours, &["diff", "-u", "s"], None);
        assert_eq!(code, 0, "{err}");
        assert!(
            go_reads_ours == tar,
            "{version}: 1.43's diff of graphstore's layer differs"
        );
        let (their_diff, _, _) = run_binary(&cs, &reference, &["diff", "-u", "s"], None);
        assert!(
            their_diff != tar,
            "{version}: 1.43 now rebuilds sparse members"
        );
        // graphstore reads 1.43's tar-split as 1.43 does.
        let (ours_of_theirs, _, _) = run_binary(&gs, &reference, &["diff", "-u", "s"], None);
        assert!(ours_of_theirs == their_diff, "{version}");
    }
}

/// The old GNU sparse type (`S`, GNU tar's `--format=gnu --sparse`):
/// Go's reader expands it, then 1.43's extraction refuses the type; so
/// does graphstore.
#[test]
fn old_gnu_sparse_layers_are_refused() {
    let (tar, _) = gnu_sparse_tar("gnu", "");
    let ours = Roots::new();
    let reference = Roots::new();
    let (gs, cs) = (common::graphstore_cli(), common::reference_cli());
    let (_, their_err, code) =
        run_binary(&cs, &reference, &["import-layer", "-i", "s"], Some(&tar));
    assert_eq!(code, 1);
    assert!(
        their_err.contains("unhandled tar header type 83"),
        "{their_err}"
    );
    let (_, our_err, code) = run_binary(&gs, &ours, &["import-layer", "-i", "s"], Some(&tar));
    assert_eq!(code, 1);
    assert!(
        our_err.contains("unhandled tar header type 83"),
        "{our_err}"
    );
    for (program, roots) in [(&gs, &ours), (&cs, &reference)] {
        let (out, _, _) = run_binary(program, roots, &["layers"], None);
        assert!(out.is_empty());
    }
}
