"""Build the playground into a folder: ``python playground/build.py [OUT]``.

From this checkout: ``npm ci`` (when ``node_modules`` is missing or older than the
lockfile), the project's own wheel (``pip wheel`` of the checkout), the ``graphviz``
Python package's wheel (``pip download``: PyPI or your pip's index), Pyodide's five core
files (its lock file without the CDN's package list) and ``@viz-js/viz``'s ``viz.js``
from ``node_modules``, and the playground's own files; then ``node precompile.js`` gives
the modules the first view imports as bytecode (the standard library's inside
``python_stdlib.zip.gz``, ours in ``pycache.bundle.gz``). OUT defaults to ``playground/site``
(ignored by git). Serve it with ``python playground/serve.py OUT``: module workers do
not load from ``file://``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "site"
GRAPHVIZ = "graphviz==0.21"  # the Python package draw_dot builds its DOT text with
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")
PACKAGE_SOURCES = ("setup.py", "setup.cfg", "pyproject.toml", "README.md", "LICENSE",
                   "MANIFEST.in", "micrograd_nn", "viz", "pydevd_plugins")
SITE_FILES = ("index.html", "main.js", "worker.js", "style.css", "favicon.svg", "app.py")


def npm_ci(where: Path, quiet: bool) -> Path:
    """``npm ci`` in ``where`` (given this folder's package.json and package-lock.json)
    unless its node_modules already holds what the lockfile pins; returns node_modules."""
    where.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        if where.resolve() != HERE:
            shutil.copy2(HERE / name, where / name)
    modules = where / "node_modules"
    installed = modules / ".package-lock.json"
    lock = where / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return modules
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("build.py: npm is not installed (it fetches Pyodide and viz.js): install "
                 "Node.js 18 or newer, e.g. apt-get install nodejs npm")
    extra = ["--silent"] if quiet else []
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", *extra], cwd=where, check=True)
    return modules


def wheels(into: Path, quiet: bool) -> list[str]:
    """The project's wheel and graphviz's, in ``into``; their file names."""
    q = ["-q"] if quiet else []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as src:
        # A copy of the package's sources, so the build leaves nothing in the checkout.
        for name in PACKAGE_SOURCES:
            copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
            copy(ROOT / name, Path(src) / name)
        subprocess.run([sys.executable, "-m", "pip", "wheel", *q, "--no-deps", "-w", tmp, src],
                       check=True)
        subprocess.run([sys.executable, "-m", "pip", "download", *q, "--no-deps",
                        "--only-binary=:all:", "-d", tmp, GRAPHVIZ], check=True)
        names = sorted(p.name for p in Path(tmp).glob("*.whl"))
        for name in names:
            shutil.copy2(Path(tmp) / name, into / name)
    if not any(n.startswith("micrograd_nn-") for n in names) or not any(
            n.startswith("graphviz-") for n in names):
        sys.exit(f"build.py: expected the micrograd_nn and graphviz wheels, got {names}")
    return names


def build(out: Path, quiet: bool = False, npm_dir: Path = HERE) -> Path:
    """Build the site into ``out`` (emptied first) and return it. ``npm ci`` runs in
    ``npm_dir`` (default: this folder, so playground/node_modules; the tests use a temp
    dir)."""
    modules = npm_ci(npm_dir, quiet)
    if out.exists():
        shutil.rmtree(out)
    (out / "pyodide").mkdir(parents=True)
    (out / "vendor").mkdir()
    (out / "wheels").mkdir()
    for name in PYODIDE_FILES:
        shutil.copy2(modules / "pyodide" / name, out / "pyodide" / name)
    shutil.copy2(modules / "@viz-js" / "viz" / "dist" / "viz.js", out / "vendor" / "viz.js")
    for name in SITE_FILES:
        shutil.copy2(HERE / name, out / name)
    names = wheels(out / "wheels", quiet)
    (out / "wheels.json").write_text(json.dumps(names) + "\n", encoding="utf-8")
    trim_lock(out / "pyodide" / "pyodide-lock.json")
    precompile(out, quiet)
    return out


def trim_lock(path: Path) -> None:
    """Pyodide's lock file without its package list: every package it lists is a wheel
    on Pyodide's CDN, which this offline site neither holds nor may fetch (0.1 MB less,
    and a clear ModuleNotFoundError instead of a suggestion to load one)."""
    lock = json.loads(path.read_text(encoding="utf-8"))
    lock["packages"] = {}
    path.write_text(json.dumps(lock, separators=(",", ":")) + "\n", encoding="utf-8")


def precompile(out: Path, quiet: bool) -> None:
    """``node precompile.js OUT``: the bytecode of the modules the first view imports,
    compiled by the site's own Pyodide (see precompile.js): the first load's biggest cut."""
    node = shutil.which("node")
    if node is None:
        sys.exit("build.py: node is not installed (it precompiles the site's Python): install "
                 "Node.js 18 or newer, e.g. apt-get install nodejs npm")
    done = subprocess.run([node, str(HERE / "precompile.js"), str(out)],
                          capture_output=True, text=True)
    if done.returncode:
        # Node prints a whole minified line of Pyodide's around an error: the end says it
        sys.exit(f"build.py: precompile.js failed:\n{done.stderr[-3000:]}")
    if not quiet:
        print(f"precompiled: {done.stdout.strip()}")


def size(out: Path) -> int:
    """Total bytes of every file under ``out``."""
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT,
                        help="the folder to build into (emptied first; default playground/site)")
    parser.add_argument("-q", "--quiet", action="store_true", help="less output from npm and pip")
    args = parser.parse_args(argv)
    out = build(args.out.resolve(), args.quiet)
    print(f"built {out} ({size(out) / 1e6:.1f} MB); serve it with: "
          f"python playground/serve.py {out}")


if __name__ == "__main__":
    main()
