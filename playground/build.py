"""Build the playground into a folder: ``python playground/build.py [OUT]``.

From this checkout: ``npm ci`` (when ``node_modules`` is missing or older than the
lockfile), the project's own wheel (``pip wheel`` of the checkout), the ``graphviz``
Python package's wheel (``pip download``: PyPI or your pip's index), Pyodide's five core
files and ``@viz-js/viz``'s ``viz.js`` from ``node_modules``, and the playground's own
files. OUT defaults to ``playground/site`` (ignored by git). Serve it with
``python playground/serve.py OUT``: module workers do not load from ``file://``.
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
                   "MANIFEST.in", "micrograd_nn", "viz")
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
    return out


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
