"""Runs the composed client (the Python client component plugged into the
portable store component, imports only WASI) with wasmtime-py: preopens the
roots, calls the exported `report` and prints its text; an `err` is printed
to stderr with exit code 1. tests/all/composed_client.rs runs it.

usage: python3 run_report.py <composed.wasm> <graph-root> <run-root>
"""

import sys

from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

# The store finds its roots by these preopen names (guest/src/store).
GRAPH_ROOT_PREOPEN = "graph-root"
RUN_ROOT_PREOPEN = "run-root"
EXPORT = "report"


def main(wasm_path, graph_root, run_root):
    """Instantiates the component with WASI alone and calls `report`."""
    engine = Engine()
    linker = Linker(engine)
    linker.add_wasip2()
    store = Store(engine)
    wasi = WasiConfig()
    wasi.inherit_stderr()
    wasi.preopen_dir(graph_root, GRAPH_ROOT_PREOPEN)
    wasi.preopen_dir(run_root, RUN_ROOT_PREOPEN)
    store.set_wasi(wasi)
    component = Component.from_file(engine, wasm_path)
    instance = linker.instantiate(store, component)
    report = instance.get_func(store, instance.get_export_index(store, EXPORT))
    # result<string, string>: both cases hold a string, so wasmtime-py
    # returns it tagged, Variant("ok", text) or Variant("err", message).
    result = report(store, graph_root, run_root)
    if result.tag == "ok":
        sys.stdout.write(result.payload)
        return 0
    sys.stderr.write(f"{result.payload}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
