"""Runs in child processes: each run is a fresh interpreter (its own heap, no module but
the benchmark's), CPython and PyPy runs interleaved, so run-to-run noise shows."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import micrograd_nn

BENCH = Path(__file__).resolve().parent / "bench.py"
PYPY = "pypy3"


def child_command(interpreter: str, quick: bool, repeats: int, big: bool,
                  figures: str) -> list[str]:
    """The command line of one measuring child."""
    cmd = [interpreter, str(BENCH), "--child", "--repeats", str(repeats), "--figures", figures]
    return cmd + [flag for flag, on in (("--quick", quick), ("--big", big)) if on]


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one child; its JSON document, or a status saying why there is none."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, env=env)
    if proc.returncode != 0:
        return {"status": f"failed: exit {proc.returncode} ({' '.join(cmd[:2])})"}
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc | {"status": "ok"}


def pypy_env() -> dict[str, str]:
    """The environment for a PyPy child: the micrograd_nn this process imports comes
    first on its path (PyPy has no access to this virtualenv's installs)."""
    root = str(Path(micrograd_nn.__file__).resolve().parents[1])
    path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_all(runs: int, quick: bool, repeats: int, big: bool, figures: str,
            pypy: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | str]:
    """``runs`` CPython children, and as many PyPy ones (training steps only) where
    ``pypy3`` is on PATH, in ABBA order; the PyPy list is a reason if there is none."""
    pypy_path = shutil.which(PYPY) if pypy else None
    cpython: list[dict[str, Any]] = []
    pypys: list[dict[str, Any]] = []
    for i in range(runs):
        order = ["cpython", "pypy"] if i % 2 == 0 else ["pypy", "cpython"]
        for kind in order:
            if kind == "cpython":
                say(f"run {i + 1}/{runs}: CPython child")
                cpython.append(run_child(child_command(sys.executable, quick, repeats, big,
                                                       figures)))
            elif pypy_path:
                say(f"run {i + 1}/{runs}: PyPy child (training steps)")
                pypys.append(run_child(child_command(pypy_path, quick, repeats, big,
                                                     "demo" if figures == "demo" else "steps"),
                                       pypy_env()))
    if not pypy_path:
        return cpython, ("--no-pypy given" if not pypy else f"{PYPY} is not on PATH")
    return cpython, pypys


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
