"""A client component of the store: reports each image's names, how many
layers it stands on and their total size. Built by componentize-py against
wit/world.wit (world `layer-report`) and composed with the portable
component, so the store it calls runs in the same composed component.
"""

import re

import wit_world
from componentize_py_types import Err
from wit_world.imports import store_api, types

DRIVER = "vfs"
"""The only storage driver the store supports."""


def store_options(graph_root: str, run_root: str) -> types.StoreOptions:
    """Options opening the preopened roots read-only (a report writes nothing)."""
    return types.StoreOptions(
        graph_root=graph_root,
        run_root=run_root,
        driver_name=DRIVER,
        driver_options=[],
        image_stores=[],
        uid_map=[],
        gid_map=[],
        read_only=True,
        max_diff_bytes=None,
        max_diff_entries=None,
        transient_store=False,
        image_store=None,
    )


def error_text(error: types.Error) -> str:
    """`<case>: <message>` for a store error, the case as WIT names it."""
    case = type(error).__name__.removeprefix("Error_")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", case).lower() + ": " + error.value


def layer_chain(store: store_api.Store, known: dict, top: str | None) -> list:
    """The layers an image stands on: its top layer, then each parent.
    A layer not in `known` is asked of the store (its error propagates); a
    parent loop in damaged records is reported instead of followed."""
    chain = []
    seen = set()
    layer_id = top
    while layer_id is not None:
        if layer_id in seen:
            raise Err(types.Error_Corrupt(f"layer {layer_id} is its own ancestor"))
        seen.add(layer_id)
        layer = known.get(layer_id) or store.layer(layer_id)
        chain.append(layer)
        layer_id = layer.parent
    return chain


def image_line(image: types.Image, chain: list) -> str:
    """One image's report line; the size is `unknown` when a layer's is."""
    sizes = [layer.uncompressed_size for layer in chain]
    size = "unknown" if any(s < 0 for s in sizes) else str(sum(sizes))
    names = ",".join(image.names)
    return f"{image.id} layers={len(chain)} size={size} names={names}"


class WitWorld(wit_world.WitWorld):
    """The exported `report` function."""

    def report(self, graph_root: str, run_root: str) -> str:
        """See wit/world.wit: one line per image, sorted by ID."""
        try:
            with store_api.Store.open(store_options(graph_root, run_root)) as store:
                known = {layer.id: layer for layer in store.layers()}
                images = sorted(store.images(), key=lambda image: image.id)
                lines = [
                    image_line(image, layer_chain(store, known, image.top_layer))
                    for image in images
                ]
        except Err as err:
            raise Err(error_text(err.value))
        return "".join(line + "\n" for line in lines)
