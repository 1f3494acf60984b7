// Precompile the Python the playground's first view imports, for the Pyodide that runs it:
// `node playground/precompile.js SITE` (build.py runs it on the built site).
//
// Pyodide's python_stdlib.zip holds the standard library as .py source only, and the wheels
// are source too, so every page load compiled each module Python imports on its way to the
// first drawn graph (CPython cannot cache bytecode in a zip, nor keep it in the page's
// in-memory file system between loads): most of the first load. This script starts the
// very Pyodide the site serves (so the bytecode is that interpreter's: same version, same
// magic number) in Node.js, installs the site's wheels and imports app.py as worker.js
// does, runs the first view (the presets, the first preset's Run and its steps; then a
// Check and a training step) and then writes, for exactly the modules that imported:
//   - pyodide/python_stdlib.zip.gz (in place of python_stdlib.zip): those standard-library
//     modules as .pyc instead of .py (bytecode is about twice the size of the source it
//     replaces, so keeping both would break the site's 16 MB budget: tracebacks through
//     these modules show no source lines), the rest as they were; the zip's entries are
//     stored and the whole file gzipped, which compresses across files (0.3 MB less than
//     deflating each); worker.js inflates it with the browser's DecompressionStream;
//   - pycache.bundle.gz: the __pycache__/*.pyc of the other modules that imported
//     (micrograd_nn, its viz, graphviz, as the wheels installed them, and app.py) with
//     their absolute paths, which worker.js writes after unpacking the wheels (straight
//     into the file system: unpacking an archive through Python took 0.1-0.8 s).
// Every .pyc is an unchecked hash-based pyc (PEP 552): Python loads it without comparing
// timestamps, which the in-memory file system would not keep. Both come from the same
// sources in the same build, so they cannot go stale. Prints one JSON line of counts.

/* global process */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

// A file's bytes as a plain Uint8Array (Pyodide refuses Node's Buffer subclass).
const bytes = (path) => new Uint8Array(readFileSync(path));

const site = resolve(process.argv[2] || "");
const pyodideDir = join(site, "pyodide");
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: pyodideDir + "/" });

for (const name of JSON.parse(readFileSync(join(site, "wheels.json"), "utf8"))) {
  pyodide.unpackArchive(bytes(join(site, "wheels", name)), "wheel");
}
pyodide.FS.writeFile("/home/pyodide/playground_app.py", bytes(join(site, "app.py")));
pyodide.FS.writeFile("/tmp/python_stdlib.zip", bytes(join(pyodideDir, "python_stdlib.zip")));

const counts = pyodide.runPython(String.raw`
import sys
if '/home/pyodide' not in sys.path:
    sys.path.insert(0, '/home/pyodide')
import json
import playground_app

# The first view, as main.js asks for it; then a Check and a training step, whose
# modules app.py imports on first use (their bytecode is small; their compiling is not).
presets = json.loads(playground_app.handle("presets", "[]"))["result"]
for method, args in (("run", [next(iter(presets.values()))]), ("steps", []),
                     ("check", []), ("train_reset", [[8], "adam", 0.05]), ("train", [1])):
    reply = json.loads(playground_app.handle(method, json.dumps(args)))
    if not reply["ok"]:
        raise RuntimeError(f"the playground's {method} failed in precompile: {reply['error']}")

import importlib.util
import os
import zipfile

STDLIB = next(p for p in sys.path if p.endswith(".zip"))


def pyc(source, filename):
    code = compile(source, filename, "exec", dont_inherit=True)
    return bytes(importlib._bootstrap_external._code_to_hash_pyc(
        code, importlib.util.source_hash(source), checked=False))


in_zip, in_files = set(), []
for module in list(sys.modules.values()):
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    if origin.startswith(STDLIB + "/") and origin.endswith(".py"):
        in_zip.add(origin[len(STDLIB) + 1:])
    elif origin.endswith(".py") and os.path.isfile(origin):  # the wheels' and app.py
        in_files.append(origin)

# Stored, not deflated: the whole file is gzipped below, which compresses across files.
source = zipfile.ZipFile("/tmp/python_stdlib.zip")
with zipfile.ZipFile("/tmp/python_stdlib.new.zip", "w", zipfile.ZIP_STORED) as out:
    for info in source.infolist():
        data = source.read(info)
        if info.filename in in_zip:  # its bytecode instead of its source
            out.writestr(zipfile.ZipInfo(info.filename[:-3] + ".pyc", info.date_time),
                         pyc(data, f"{STDLIB}/{info.filename}"))
        else:
            out.writestr(zipfile.ZipInfo(info.filename, info.date_time), data)

# pycache.bundle: a 4-byte little-endian length, that many bytes of JSON [[path, size],
# ...], then the files' bytes one after another (gzipped below; worker.js writes them).
files = []
for path in sorted(in_files):
    with open(path, "rb") as f:
        files.append((importlib.util.cache_from_source(path), pyc(f.read(), path)))
index = json.dumps([[path, len(data)] for path, data in files]).encode()
with open("/tmp/pycache.bundle", "wb") as out:
    out.write(len(index).to_bytes(4, "little") + index + b"".join(d for _, d in files))

json.dumps({"stdlib_pyc": len(in_zip), "files_pyc": len(in_files),
            "python": sys.version.split()[0], "magic": importlib.util.MAGIC_NUMBER.hex()})
`);

writeFileSync(join(pyodideDir, "python_stdlib.zip.gz"),
  gzipSync(pyodide.FS.readFile("/tmp/python_stdlib.new.zip"), { level: 9 }));
rmSync(join(pyodideDir, "python_stdlib.zip"));
writeFileSync(join(site, "pycache.bundle.gz"),
  gzipSync(pyodide.FS.readFile("/tmp/pycache.bundle"), { level: 9 }));
console.log(counts);
