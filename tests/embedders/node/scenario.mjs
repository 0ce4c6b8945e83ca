// Drives graphstore-portable.wasm from Node through jco's transpiled
// bindings and preview2-shim, with the chunked forms only (no wasi:io
// streams): opens a store, imports a layer from a tar in chunks, creates an
// image with names and data items, lists, reads the layer's diff back,
// stores a blob, creates and deletes a scratch layer. Prints one JSON
// object of what it saw; tests/all/embedders.rs checks it and the root.
//
// usage: node scenario.mjs <graphstore-portable.wasm> <graph-root> <run-root> <layer.tar> <diff-out> <refused.tar>
// (refused.tar: a layer the portable profile cannot keep; its named error is reported)

import { transpile } from "@bytecodealliance/jco";
import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [wasmPath, graphRoot, runRoot, tarPath, diffPath, refusedPath] = process.argv.slice(2);
if (!refusedPath) {
  console.error("usage: node scenario.mjs <graphstore-portable.wasm> <graph-root> <run-root> <layer.tar> <diff-out> <refused.tar>");
  process.exit(2);
}

/**
 * Transpiles the component into a fresh directory inside this project (so
 * the bindings resolve `@bytecodealliance/preview2-shim` from its
 * node_modules) and imports it; the directory is removed at exit.
 */
async function loadComponent(path) {
  const { files } = await transpile(readFileSync(path), { name: "graphstore" });
  const here = dirname(fileURLToPath(import.meta.url));
  const out = mkdtempSync(join(here, ".transpiled-"));
  process.on("exit", () => rmSync(out, { recursive: true, force: true }));
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(out, name)), { recursive: true });
    writeFileSync(join(out, name), bytes);
  }
  return import(pathToFileURL(join(out, "graphstore.js")));
}

// The component finds its roots by preopen name (guest/src/store: GRAPH_ROOT_PREOPEN, RUN_ROOT_PREOPEN).
_setPreopens({ "graph-root": graphRoot, "run-root": runRoot });
const { storeApi } = await loadComponent(wasmPath);
const { Store } = storeApi;

const layerOptions = {
  mountLabel: "",
  uidMap: undefined,
  gidMap: undefined,
  hostUidMapping: false,
  hostGidMapping: false,
  readOnly: false,
};

/** Pushes the file at `path` into `writer` a chunk at a time. */
function writeFileInChunks(writer, path, chunkBytes) {
  const fd = openSync(path, "r");
  const buffer = new Uint8Array(chunkBytes);
  try {
    for (;;) {
      const count = readSync(fd, buffer, 0, chunkBytes, null);
      if (count === 0) break;
      writer.write(buffer.subarray(0, count));
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads everything `reader` holds into the file at `path`; returns its length. */
function readToFile(reader, path, chunkBytes) {
  const fd = openSync(path, "w");
  let total = 0;
  try {
    for (;;) {
      const chunk = reader.read(chunkBytes);
      if (chunk.length === 0) break;
      writeSync(fd, chunk);
      total += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

try {
  const store = Store.open({
    graphRoot,
    runRoot,
    driverName: "vfs",
    driverOptions: [],
    imageStores: [],
    uidMap: [],
    gidMap: [],
    readOnly: false,
    maxDiffBytes: undefined,
    maxDiffEntries: undefined,
    transientStore: false,
    imageStore: undefined,
  });
  const chunk = Store.maxChunkBytes();

  const started = process.hrtime.bigint();
  const writer = store.putLayerChunked(undefined, undefined, ["base-layer"], layerOptions);
  writeFileInChunks(writer, tarPath, chunk);
  const layer = writer.finish();
  const importMs = Number(process.hrtime.bigint() - started) / 1e6;

  const image = store.createImage(undefined, ["app:1", "app:latest"], layer.id, "from node", {
    digest: undefined,
    created: undefined,
  });
  const manifest = new TextEncoder().encode('{"schemaVersion":2,"from":"node"}');
  store.setImageBigData(image.id, "manifest", manifest, undefined);
  const manifestBack = readToFile(
    store.readBigDataChunked("image", image.id, "manifest"),
    `${diffPath}.manifest`,
    7,
  );

  const diffBytes = readToFile(store.diffChunked(undefined, layer.id, { compression: undefined }), diffPath, chunk);

  const blob = store.putBlobChunked();
  blob.write(new TextEncoder().encode("blob from "));
  blob.write(new TextEncoder().encode("node"));
  const blobDigest = blob.finish();

  store.createLayer("scratch", undefined, [], layerOptions);
  store.deleteLayer("scratch");

  let refused = null;
  try {
    const refusedWriter = store.putLayerChunked("refused", undefined, [], layerOptions);
    writeFileInChunks(refusedWriter, refusedPath, chunk);
    refusedWriter.finish();
  } catch (error) {
    refused = error.payload;
  }

  const result = {
    status: store.status(),
    layerId: layer.id,
    layerNames: layer.names,
    uncompressedSize: Number(layer.uncompressedSize),
    imageId: image.id,
    images: store.images().map((i) => ({ id: i.id, names: i.names, topLayer: i.topLayer, bigDataNames: i.bigDataNames })),
    layers: store.layers().map((l) => l.id),
    manifestBack,
    diffBytes,
    blobDigest,
    scratchExists: store.layerExists("scratch"),
    refused,
    refusedExists: store.layerExists("refused"),
    importMs,
  };
  console.log(JSON.stringify(result));
} catch (error) {
  // jco throws a ComponentError whose payload is the WIT `error` variant.
  console.log(JSON.stringify({ error: error.payload ?? String(error) }));
  process.exit(1);
}
