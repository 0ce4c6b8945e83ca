"""Drives graphstore-portable.wasm from Python through wasmtime-py's
component API (`wasmtime.component`, no generated bindings), with the
chunked forms only (no wasi:io streams): opens a store, imports a layer
from a tar in chunks, creates an image with names and data items, lists,
reads the layer's diff back, stores a blob, creates and deletes a scratch
layer, and tries a layer the portable profile must refuse (`refused.tar`).
Prints one JSON object of what it saw; tests/all/embedders.rs checks
it and the root.

usage: python3 scenario.py <graphstore-portable.wasm> <graph-root> <run-root> <layer.tar> <diff-out> <refused.tar>
"""

import json
import sys
import time

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, Variant

INTERFACE = "graphstore:store/store-api@0.1.0"
# The component finds its roots by preopen name (guest/src/store:
# GRAPH_ROOT_PREOPEN, RUN_ROOT_PREOPEN).
GRAPH_ROOT_PREOPEN = "graph-root"
RUN_ROOT_PREOPEN = "run-root"
# Bytes asked of a byte-reader at once. wasmtime bounds the data one
# dynamic call may copy out of the guest ("fuel allocated for hostcalls"),
# and wasmtime-py cannot raise that bound: reads of 4 MiB exceed it, 1 MiB
# stays well within it. (Writes of max-chunk-bytes are fine.)
READ_CHUNK = 1 << 20


class StoreError(Exception):
    """A WIT `error` variant returned by the component: its case and message."""

    def __init__(self, variant):
        super().__init__(f"{variant.tag}: {variant.payload}")
        self.kind = variant.tag
        self.message = variant.payload


def record(**fields):
    """A WIT record; field names are given with `_` for the WIT's `-`."""
    value = Record()
    for name, field in fields.items():
        setattr(value, name.replace("_", "-"), field)
    return value


class Api:
    """The exported `store-api` interface of one instance: calls its
    functions by WIT name and turns error variants into `StoreError`."""

    def __init__(self, wasm_path, graph_root, run_root):
        engine = Engine()
        linker = Linker(engine)
        linker.add_wasip2()
        self.store = Store(engine)
        wasi = WasiConfig()
        wasi.preopen_dir(graph_root, GRAPH_ROOT_PREOPEN)
        wasi.preopen_dir(run_root, RUN_ROOT_PREOPEN)
        self.store.set_wasi(wasi)
        component = Component.from_file(engine, wasm_path)
        self.instance = linker.instantiate(self.store, component)
        self.interface = self.instance.get_export_index(self.store, INTERFACE)
        self.funcs = {}

    def call(self, name, *args):
        """Calls function `name` (e.g. `[method]store.status`); returns its
        `ok` value, raises `StoreError` for its `err`."""
        func = self.funcs.get(name)
        if func is None:
            index = self.instance.get_export_index(self.store, name, self.interface)
            func = self.funcs[name] = self.instance.get_func(self.store, index)
        result = func(self.store, *args)
        if isinstance(result, Variant):
            raise StoreError(result)
        return result


def write_file_in_chunks(api, method, writer, path, chunk_bytes):
    """Pushes the file at `path` into `writer` with `method` a chunk at a time."""
    with open(path, "rb") as source:
        while chunk := source.read(chunk_bytes):
            api.call(method, writer, chunk)


def read_to_file(api, reader, path, chunk_bytes):
    """Reads everything `reader` holds into the file at `path`; returns its length."""
    total = 0
    with open(path, "wb") as out:
        while chunk := api.call("[method]byte-reader.read", reader, chunk_bytes):
            out.write(chunk)
            total += len(chunk)
    reader.drop(api.store)
    return total


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    wasm_path, graph_root, run_root, tar_path, diff_path, refused_path = sys.argv[1:]
    api = Api(wasm_path, graph_root, run_root)
    layer_options = record(
        mount_label="",
        uid_map=None,
        gid_map=None,
        host_uid_mapping=False,
        host_gid_mapping=False,
        read_only=False,
    )
    store = api.call(
        "[static]store.open",
        record(
            graph_root=graph_root,
            run_root=run_root,
            driver_name="vfs",
            driver_options=[],
            image_stores=[],
            uid_map=[],
            gid_map=[],
            read_only=False,
            max_diff_bytes=None,
            max_diff_entries=None,
            transient_store=False,
            image_store=None,
        ),
    )
    chunk = api.call("[static]store.max-chunk-bytes")

    started = time.monotonic()
    writer = api.call("[method]store.put-layer-chunked", store, None, None, ["base-layer"], layer_options)
    write_file_in_chunks(api, "[method]layer-writer.write", writer, tar_path, chunk)
    layer = api.call("[method]layer-writer.finish", writer)
    writer.drop(api.store)
    import_ms = (time.monotonic() - started) * 1000

    image = api.call(
        "[method]store.create-image",
        store,
        None,
        ["app:1", "app:latest"],
        layer.id,
        "from python",
        record(digest=None, created=None),
    )
    manifest = b'{"schemaVersion":2,"from":"python"}'
    api.call("[method]store.set-image-big-data", store, image.id, "manifest", manifest, None)
    manifest_back = read_to_file(
        api,
        api.call("[method]store.read-big-data-chunked", store, "image", image.id, "manifest"),
        diff_path + ".manifest",
        7,
    )

    diff = api.call("[method]store.diff-chunked", store, None, layer.id, record(compression=None))
    diff_bytes = read_to_file(api, diff, diff_path, min(chunk, READ_CHUNK))

    blob = api.call("[method]store.put-blob-chunked", store)
    api.call("[method]blob-writer.write", blob, b"blob from ")
    api.call("[method]blob-writer.write", blob, b"python")
    blob_digest = api.call("[method]blob-writer.finish", blob)
    blob.drop(api.store)

    api.call("[method]store.create-layer", store, "scratch", None, [], layer_options)
    api.call("[method]store.delete-layer", store, "scratch")

    refused = None
    refused_writer = api.call("[method]store.put-layer-chunked", store, "refused", None, [], layer_options)
    try:
        write_file_in_chunks(api, "[method]layer-writer.write", refused_writer, refused_path, chunk)
        api.call("[method]layer-writer.finish", refused_writer)
    except StoreError as error:
        refused = {"tag": error.kind, "val": error.message}
    refused_writer.drop(api.store)

    images = api.call("[method]store.images", store)
    result = {
        "status": [list(pair) for pair in api.call("[method]store.status", store)],
        "layerId": layer.id,
        "layerNames": layer.names,
        "uncompressedSize": layer.__dict__["uncompressed-size"],
        "imageId": image.id,
        "images": [
            {
                "id": i.id,
                "names": i.names,
                "topLayer": i.__dict__["top-layer"],
                "bigDataNames": i.__dict__["big-data-names"],
            }
            for i in images
        ],
        "layers": [l.id for l in api.call("[method]store.layers", store)],
        "manifestBack": manifest_back,
        "diffBytes": diff_bytes,
        "blobDigest": blob_digest,
        "scratchExists": api.call("[method]store.layer-exists", store, "scratch"),
        "refused": refused,
        "refusedExists": api.call("[method]store.layer-exists", store, "refused"),
        "importMs": import_ms,
    }
    store.drop(api.store)
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except StoreError as error:
        print(json.dumps({"error": {"tag": error.kind, "val": error.message}}))
        sys.exit(1)
