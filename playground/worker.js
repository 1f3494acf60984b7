// The playground's engine: CPython (Pyodide) running micrograd_nn in a module Web Worker,
// so the page never freezes while it computes. Everything is fetched from this site's own
// origin: Pyodide's core files (pyodide/), the wheels (wheels/, listed in wheels.json) and
// the playground's Python side (app.py). The page posts {id, method, args}; the worker
// answers {id, text} where text is app.handle's JSON ({ok, result} or {ok: false, error}).
//
// First load: everything below is requested at once, while Pyodide starts. build.py
// precompiled (precompile.js) the modules the first view imports, for this very Pyodide:
// the standard library's are .pyc inside python_stdlib.zip.gz, ours (the wheels',
// app.py's) come as pycache.bundle.gz; without them Python compiled every one of those
// modules from source on every load (most of the first load).

/* global Request, Response, DecompressionStream, TextDecoder */

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`could not load ${url}: HTTP ${response.status}`);
  }
  return response;
}

// precompile.js's pycache.bundle (inflated): a 4-byte little-endian length, that much
// JSON [[path, size], ...], then the files' bytes in that order; each file written at its
// absolute path (the __pycache__ beside a wheel's module or app.py).
function writeBundle(FS, buffer) {
  const head = new DataView(buffer).getUint32(0, true);
  const index = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, head)));
  let offset = 4 + head;
  for (const [path, size] of index) {
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, new Uint8Array(buffer, offset, size));
    offset += size;
  }
  if (offset !== buffer.byteLength) {
    throw new Error(`pycache.bundle.gz: ${buffer.byteLength - offset} bytes left over`);
  }
}

const startup = {};

async function start() {
  const t0 = performance.now();
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  const pyodideModule = import("./pyodide/pyodide.mjs");
  // The zip gzipped whole (its entries stored): inflated here, handed to Pyodide as a
  // blob: URL (it reads the standard library from a URL).
  const stdlib = fetchOk("./pyodide/python_stdlib.zip.gz").then((r) => new Response(
    r.body.pipeThrough(new DecompressionStream("gzip")), { headers: { "Content-Type": "application/zip" } }));
  // The wheels, our bytecode and app.py download while Python starts.
  const archives = fetchOk("./wheels.json").then((r) => r.json()).then((names) =>
    Promise.all(names.map((name) => fetchOk(`./wheels/${name}`).then((r) => r.arrayBuffer()))));
  const bytecode = fetchOk("./pycache.bundle.gz").then((r) =>
    new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  const appSource = fetchOk("./app.py").then((r) => r.text());
  const { loadPyodide } = await pyodideModule;
  // Pyodide fetches indexURL + "python_stdlib.zip" itself: it gets the inflated stream
  // (started above), so inflating overlaps its own start; every other request is fetch's.
  const stdLibURL = new URL("python_stdlib.zip", indexURL).href;
  const networkFetch = self.fetch;
  self.fetch = (input, init) => ((input instanceof Request ? input.url : String(input)) === stdLibURL
    ? stdlib : networkFetch.call(self, input, init));
  let pyodide;
  try {
    pyodide = await loadPyodide({ indexURL, stdLibURL });
  } finally {
    self.fetch = networkFetch;
  }
  startup.pyodideMs = performance.now() - t0;
  for (const archive of await archives) {
    pyodide.unpackArchive(archive, "wheel");
  }
  writeBundle(pyodide.FS, await bytecode);
  startup.wheelsMs = performance.now() - t0 - startup.pyodideMs;
  const source = await appSource;
  pyodide.FS.writeFile("/home/pyodide/playground_app.py", source);
  pyodide.runPython("import sys\nif '/home/pyodide' not in sys.path: sys.path.insert(0, '/home/pyodide')");
  const app = pyodide.pyimport("playground_app");
  startup.totalMs = performance.now() - t0;
  startup.importMs = startup.totalMs - startup.pyodideMs - startup.wheelsMs;
  return { handle: app.handle, version: pyodide.version };
}

const engine = start();

self.onmessage = async (event) => {
  const { id, method, args } = event.data;
  let text;
  let ms = 0;
  try {
    const { handle, version } = await engine;
    if (method === "__version__") {
      text = JSON.stringify({ ok: true, result: version });
    } else if (method === "__startup__") {
      text = JSON.stringify({ ok: true, result: startup });
    } else {
      const t0 = performance.now();
      text = handle(method, JSON.stringify(args));
      ms = performance.now() - t0;
    }
  } catch (error) {
    text = JSON.stringify({ ok: false, error: `the engine could not start: ${error}` });
  }
  self.postMessage({ id, text, ms });
};
