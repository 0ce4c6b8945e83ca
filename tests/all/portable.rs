//! The WASI-only component (`graphstore-portable.wasm`, built with the
//! `wasi-only` disk backend) run by a linker that provides WASI and nothing
//! else, as another runtime would: records, a layer import and a
//! byte-identical diff, then the full host reading what it wrote.

use crate::common;

use common::Roots;
use graphstore::streams::{ReaderStream, WriterStream};
use std::process::Command;
use wasmtime::component::{Component, Linker, Resource, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../wit",
    world: "graphstore-portable",
    with: { "wasi": wasmtime_wasi::p2::bindings::sync },
});

use exports::graphstore::store::store_api::{ImageOptions, LayerOptions, StoreOptions};

/// A WASI context and its resource table: all the portable build needs.
struct Wasi {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Wasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The portable component instantiated with `roots` preopened.
fn instantiate(roots: &Roots) -> (Store<Wasi>, GraphstorePortable) {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_file(&engine, env!("GRAPHSTORE_PORTABLE_WASM")).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let mut wasi = WasiCtxBuilder::new();
    for (path, name) in [(roots.graph(), "graph-root"), (roots.run(), "run-root")] {
        std::fs::create_dir_all(&path).unwrap();
        wasi.preopened_dir(&path, name, FsPerms::ReadWrite).unwrap();
    }
    let mut store = Store::new(
        &engine,
        Wasi {
            ctx: wasi.build(),
            table: ResourceTable::new(),
        },
    );
    let instance = GraphstorePortable::instantiate(&mut store, &component, &linker).unwrap();
    (store, instance)
}

/// A tar of a small tree (a directory, files, a relative symlink, a hard
/// link), made by GNU tar.
fn sample_tar() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc/app")).unwrap();
    std::fs::write(root.join("etc/app/config"), b"key = value\n").unwrap();
    std::fs::write(root.join("etc/hostname"), b"portable\n").unwrap();
    std::os::unix::fs::symlink("app/config", root.join("etc/current")).unwrap();
    std::fs::hard_link(root.join("etc/hostname"), root.join("etc/name")).unwrap();
    let out = Command::new("tar")
        .args(["--sort=name", "--mtime=@1700000000", "-C"])
        .arg(root)
        .args(["-cf", "-", "."])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn portable_component_keeps_records_and_layers_with_wasi_alone() {
    let roots = Roots::new();
    let tar = sample_tar();
    let (mut wasm, instance) = instantiate(&roots);
    let api = instance.graphstore_store_store_api().store();
    let options = StoreOptions {
        graph_root: roots.graph().display().to_string(),
        run_root: roots.run().display().to_string(),
        driver_name: "vfs".into(),
        driver_options: Vec::new(),
        image_stores: Vec::new(),
        uid_map: Vec::new(),
        gid_map: Vec::new(),
        read_only: false,
        max_diff_bytes: None,
        max_diff_entries: None,
    };
    let handle = api.call_open(&mut wasm, &options).unwrap().unwrap();

    let input: DynInputStream = Box::new(ReaderStream::new(std::io::Cursor::new(tar.clone())));
    let input = wasm.data_mut().table.push(input).unwrap();
    let layer_options = LayerOptions {
        mount_label: String::new(),
        uid_map: None,
        gid_map: None,
        host_uid_mapping: false,
        host_gid_mapping: false,
        read_only: false,
    };
    let layer = api
        .call_put_layer(
            &mut wasm,
            handle,
            Some("base"),
            None,
            &["base-layer".into()],
            &layer_options,
            input,
        )
        .unwrap()
        .unwrap();
    assert_eq!(layer.id, "base");
    assert_eq!(layer.uncompressed_size, tar.len() as i64);

    let image_options = ImageOptions {
        digest: None,
        created: None,
    };
    api.call_create_image(
        &mut wasm,
        handle,
        Some("app"),
        &["app:1".into()],
        Some("base"),
        "meta",
        &image_options,
    )
    .unwrap()
    .unwrap();
    let images = api.call_images(&mut wasm, handle).unwrap().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].names, ["app:1"]);

    let diff = common::SharedBuffer::default();
    let output: DynOutputStream = Box::new(WriterStream::new(diff.clone()));
    let output = wasm.data_mut().table.push(output).unwrap();
    let borrowed = Resource::<DynOutputStream>::new_borrow(output.rep());
    let diff_options = exports::graphstore::store::store_api::DiffOptions { compression: None };
    api.call_diff(&mut wasm, handle, None, "base", diff_options, borrowed)
        .unwrap()
        .unwrap();
    assert!(
        diff.bytes() == tar,
        "the diff is the imported tar, byte for byte"
    );

    // What WASI can express is on disk as the full host expects it.
    let layer_dir = roots.graph().join("vfs/dir/base");
    assert_eq!(
        std::fs::read(layer_dir.join("etc/app/config")).unwrap(),
        b"key = value\n"
    );
    assert_eq!(
        std::fs::read_link(layer_dir.join("etc/current"))
            .unwrap()
            .to_str(),
        Some("app/config")
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(layer_dir.join("etc/name")).unwrap().ino(),
        std::fs::metadata(layer_dir.join("etc/hostname"))
            .unwrap()
            .ino()
    );
    drop(wasm);
    let mut host = roots.open();
    assert_eq!(
        host.image("app:1").unwrap().top_layer.as_deref(),
        Some("base")
    );
    assert_eq!(host.layer("base-layer").unwrap().id, "base");
}

/// WASI has no `syncfs`: the portable component refuses `vfs.sync=filesystem`
/// at open, by name, instead of promising durability it cannot give.
#[test]
fn portable_component_refuses_sync_filesystem() {
    let roots = Roots::new();
    let (mut wasm, instance) = instantiate(&roots);
    let api = instance.graphstore_store_store_api().store();
    let options = StoreOptions {
        graph_root: roots.graph().display().to_string(),
        run_root: roots.run().display().to_string(),
        driver_name: "vfs".into(),
        driver_options: vec!["vfs.sync=filesystem".into()],
        image_stores: Vec::new(),
        uid_map: Vec::new(),
        gid_map: Vec::new(),
        read_only: false,
        max_diff_bytes: None,
        max_diff_entries: None,
    };
    let error = api.call_open(&mut wasm, &options).unwrap().unwrap_err();
    let text = format!("{error:?}");
    assert!(
        text.starts_with("Error::InvalidInput(") && text.contains("needs syncfs"),
        "{text}"
    );
}

/// WASI 0.2 paths are strings: a member name that is not UTF-8 cannot be
/// created there, so the portable component refuses it by name (the full
/// host extracts it as its bytes), and keeps no layer.
#[test]
fn portable_component_refuses_names_that_are_not_utf8() {
    let roots = Roots::new();
    let dir = tempfile::tempdir().unwrap();
    use std::os::unix::ffi::OsStrExt;
    std::fs::write(
        dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9")),
        b"x",
    )
    .unwrap();
    let tar = common::gnu_tar(dir.path(), &["--owner=0", "--group=0"]);
    let (mut wasm, instance) = instantiate(&roots);
    let api = instance.graphstore_store_store_api().store();
    let options = StoreOptions {
        graph_root: roots.graph().display().to_string(),
        run_root: roots.run().display().to_string(),
        driver_name: "vfs".into(),
        driver_options: Vec::new(),
        image_stores: Vec::new(),
        uid_map: Vec::new(),
        gid_map: Vec::new(),
        read_only: false,
        max_diff_bytes: None,
        max_diff_entries: None,
    };
    let handle = api.call_open(&mut wasm, &options).unwrap().unwrap();
    let input: DynInputStream = Box::new(ReaderStream::new(std::io::Cursor::new(tar)));
    let input = wasm.data_mut().table.push(input).unwrap();
    let layer_options = LayerOptions {
        mount_label: String::new(),
        uid_map: None,
        gid_map: None,
        host_uid_mapping: false,
        host_gid_mapping: false,
        read_only: false,
    };
    let error = api
        .call_put_layer(
            &mut wasm,
            handle,
            Some("base"),
            None,
            &[],
            &layer_options,
            input,
        )
        .unwrap()
        .unwrap_err();
    let text = format!("{error:?}");
    assert!(
        text.starts_with("Error::Unsupported(") && text.contains("is not UTF-8"),
        "{text}"
    );
    assert!(
        api.call_layers(&mut wasm, handle)
            .unwrap()
            .unwrap()
            .is_empty()
    );
}
