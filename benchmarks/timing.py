"""Timing: CPU seconds per sample, engines alternating (ABBA) within a process, medians
with their spread, the conditions a run happened under, and the runs themselves: each a
fresh child process (``python -m benchmarks --child``), CPython and PyPy interleaved, and
micrograd_nn at other commits (``--at``) interleaved with this tree's."""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYPY = "pypy3"

# Imported by none of the figures; a run lists whichever of them are loaded, because a
# large heap makes every gc.collect() (and every automatic collection) slower.
HEAVY_MODULES = ("numpy", "scipy", "sklearn", "torch", "pandas", "matplotlib", "jax",
                 "tensorflow")
# Each timed sample ends with gc.collect(), so an engine that leaves reference cycles
# pays for freeing them; the report states this with every table.
COLLECT_INSIDE_TIMER = True
TIMER = "time.process_time"  # CPU time of this process: waiting for a core is not counted


def cpu_seconds(fn: Callable[[], Any]) -> float:
    """CPU seconds for ``fn()``, plus the ``gc.collect()`` of the garbage it left."""
    gc.collect()  # untimed: start clean, never pay for another task's garbage
    t0 = time.process_time()
    fn()
    if COLLECT_INSIDE_TIMER:
        gc.collect()
    return time.process_time() - t0


def alternate(tasks: dict[str, Callable[[], Any]], repeats: int,
              warmup: int = 1) -> dict[str, list[float]]:
    """CPU seconds of each task, ``repeats`` times, in ABBA order so that drift in the
    machine's load hits every task alike; ``warmup`` untimed rounds first."""
    for _ in range(warmup):
        for fn in tasks.values():
            fn()
    names = list(tasks)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            samples[name].append(cpu_seconds(tasks[name]))
    return samples


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, and its spread: median absolute deviation relative to the median."""
    med = statistics.median(samples)
    mad = statistics.median(abs(x - med) for x in samples)
    return {"median": med, "mad": mad / med if med else 0.0, "samples": samples}


def bare_collect_seconds(repeats: int = 5) -> float:
    """CPU seconds of one ``gc.collect()`` with nothing to free: inside every sample,
    the same for every engine in the process, and larger the larger the heap."""
    return statistics.median(cpu_seconds(lambda: None) for _ in range(repeats))


def heap_objects() -> int | None:
    """Objects the collector tracks (None where the interpreter cannot say)."""
    try:
        return len(gc.get_objects())
    except (AttributeError, NotImplementedError):
        return None


def conditions() -> dict[str, Any]:
    """The interpreter, machine and heap a measurement ran in."""
    import micrograd_nn

    source = Path(micrograd_nn.__file__).resolve().parent
    return {
        "implementation": platform.python_implementation(),
        "python": platform.python_version(),
        "interpreter_version": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "load_average": load_average(),
        "heavy_modules_loaded": sorted(m for m in HEAVY_MODULES if m in sys.modules),
        "heap_objects": heap_objects(),
        "gc_enabled": gc.isenabled(),
        "gc_threshold": list(gc.get_threshold()) if hasattr(gc, "get_threshold") else None,
        "recursion_limit": sys.getrecursionlimit(),
        "timer": TIMER,
        "gc_collect_inside_timer": COLLECT_INSIDE_TIMER,
        "bare_gc_collect_seconds": bare_collect_seconds(),
        "micrograd_nn_source": str(source),
        "micrograd_nn_commit": git_commit(source),
    }


def load_average() -> list[float] | None:
    """The machine's 1, 5 and 15-minute load averages, where the system tells them."""
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def git_commit(folder: Path) -> str:
    """The commit checked out where ``folder`` lives, '+dirty' if it has changes."""
    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=30)
        return proc.stdout.strip() if proc.returncode == 0 else ""
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit + ("+dirty" if dirty else "")) if commit else "not a git checkout"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------- the runs: child processes

def say(message: str) -> None:
    """Progress, on standard error (standard output is the report)."""
    print(f"benchmarks: {message}", file=sys.stderr, flush=True)


def child_command(interpreter: str, quick: bool, repeats: int, big: bool,
                  figures: str) -> list[str]:
    """The command line of one measuring child."""
    cmd = [interpreter, "-m", "benchmarks", "--child", "--repeats", str(repeats),
           "--figures", figures]
    return cmd + [flag for flag, on in (("--quick", quick), ("--big", big)) if on]


def child_env(engine_root: Path) -> dict[str, str]:
    """A child's environment: the benchmarks package importable from this checkout, after
    the engine's folder (the child's working directory, first on its path)."""
    path = os.pathsep.join(filter(None, [str(engine_root), str(REPO),
                                         os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_child(cmd: list[str], engine_root: Path) -> dict[str, Any]:
    """Run one child in ``engine_root``; its JSON document, or a status saying why none."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True,
                          cwd=engine_root, env=child_env(engine_root))
    if proc.returncode != 0:
        return {"status": f"failed: exit {proc.returncode} ({' '.join(cmd[:3])})"}
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc | {"status": "ok"}


def engine_root() -> Path:
    """The folder holding the micrograd_nn this process imports."""
    import micrograd_nn

    return Path(micrograd_nn.__file__).resolve().parents[1]


def run_all(runs: int, quick: bool, repeats: int, big: bool, figures: str, pypy: bool,
            others: dict[str, Path]) -> dict[str, Any]:
    """``runs`` CPython children of this tree; as many PyPy ones (training steps only) where
    ``pypy3`` is on PATH; as many of each engine in ``others`` (its label: its folder; demo
    step only). Within each round the order alternates, so drift hits all alike."""
    pypy_path = shutil.which(PYPY) if pypy else None
    here = engine_root()
    kinds: list[tuple[str, list[str], Path]] = [
        ("cpython", child_command(sys.executable, quick, repeats, big, figures), here)]
    if pypy_path:
        kinds.append(("pypy", child_command(pypy_path, quick, repeats, big,
                                            "demo" if figures == "demo" else "steps"), here))
    for label, root in others.items():
        kinds.append((label, child_command(sys.executable, quick, repeats, False, "demo"),
                      root))
    out: dict[str, Any] = {kind: [] for kind, _, _ in kinds}
    for i in range(runs):
        for kind, cmd, root in (kinds if i % 2 == 0 else kinds[::-1]):
            say(f"run {i + 1}/{runs}: {kind} child")
            out[kind].append(run_child(cmd, root))
    if not pypy_path:
        out["pypy"] = "--no-pypy given" if not pypy else f"{PYPY} is not on PATH"
    return out
