"""Instructions counted by valgrind's callgrind: figures that do not move with the machine's
load. Each figure is one workload run in a fresh interpreter under
``valgrind --tool=callgrind`` twice, for ``lo`` and ``hi`` steps (default 1 and 3):
``(count(hi) - count(lo)) / (hi - lo)`` per step, so that starting the interpreter,
importing, building the model and the first step's warm-up cancel out.

Counts repeat exactly from run to run when the process is the same: ``PYTHONHASHSEED`` is
fixed and, where ``setarch`` exists, address-space randomisation is off for the child (the
engines' walks keep sets of ``id()``s, whose order follows the addresses). This tree's demo
step and the floor are counted ``repeat`` times (default 2) and the report says whether the
counts were identical; the other figures once (callgrind runs Python ~50× slower).

The child side is :mod:`benchmarks.counted` (``python -m benchmarks.counted ENGINE WORKLOAD
MODE STEPS``: the workload, importing as little as it can); this module is the parent side:
:func:`measure_all` runs the children under callgrind and returns the counts.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import workloads as w
from .counted import DEMO, FLOOR, MODES, PHASES

REPO = Path(__file__).resolve().parents[1]
HASH_SEED = "0"
INSTALL_HINT = ("valgrind is not installed: its callgrind tool counts the instructions "
                "(Debian/Ubuntu: sudo apt-get install valgrind; Fedora: sudo dnf install "
                "valgrind; macOS: not supported, run this on Linux)")

# ---------------------------------------------------------------- the parent: the counts

def valgrind() -> str:
    """Path of valgrind, or SystemExit saying how to install it."""
    path = shutil.which("valgrind")
    if not path:
        raise SystemExit(f"benchmarks --instructions: {INSTALL_HINT}")
    return path


def valgrind_version() -> str:
    """``valgrind --version``, e.g. "valgrind-3.19.0"."""
    out = subprocess.run([valgrind(), "--version"], capture_output=True, text=True)
    return out.stdout.strip()


def no_aslr_prefix() -> list[str]:
    """``setarch <arch> -R`` (address-space randomisation off) where it works, else []."""
    setarch = shutil.which("setarch")
    if not setarch:
        return []
    arch = os.uname().machine
    probe = subprocess.run([setarch, arch, "-R", "true"], capture_output=True)
    return [setarch, arch, "-R"] if probe.returncode == 0 else []


class Engine:
    """One engine to count: a name for the tables, the Value it uses, and where its
    ``micrograd_nn`` comes from (``root``: the child's working directory)."""

    def __init__(self, key: str, label: str, engine: str, root: Path | None) -> None:
        self.key, self.label, self.engine, self.root = key, label, engine, root

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: key, label, engine, root."""
        return {"key": self.key, "label": self.label, "engine": self.engine,
                "root": str(self.root) if self.root else None}


def count(engine: Engine, workload: str, mode: str, steps: int, env: dict[str, str],
          tmp: Path) -> int:
    """Instructions (callgrind's Ir total) of one child process doing ``steps`` steps."""
    args = ["-m", "benchmarks.counted", engine.engine, workload, mode, str(steps)]
    if engine.root:
        args.append(str(engine.root))
    cwd = engine.root or tmp  # upstream: an empty folder, no micrograd_nn to find there
    return callgrind(args, cwd, env, tmp, f"{engine.label}, {workload}, {mode}, {steps} steps")


def callgrind(args: list[str], cwd: Path, env: dict[str, str], tmp: Path, what: str) -> int:
    """Instructions (callgrind's Ir total) of ``python ARGS`` run in ``cwd`` under callgrind,
    address-space randomisation off; RuntimeError naming ``what`` if the child fails."""
    out = Path(tempfile.mkstemp(prefix="callgrind.", suffix=".out", dir=tmp)[1])
    cmd = [*no_aslr_prefix(), valgrind(), "--tool=callgrind", f"--callgrind-out-file={out}",
           sys.executable, *args]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-4:])
        raise RuntimeError(f"callgrind child failed ({what}): exit {proc.returncode}: {tail}")
    total = read_total(out)
    out.unlink()
    return total


def read_total(path: Path) -> int:
    """The event total of a callgrind output file (its ``summary:`` or ``totals:`` line)."""
    for line in path.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no summary line in {path}")


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The children's environment: the benchmarks package importable (PYTHONPATH), hash
    seed fixed, nothing else changed."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "PYTHONHASHSEED": HASH_SEED, **extra}


def checkout(commit: str, into: Path) -> tuple[Path, str]:
    """The ``micrograd_nn`` package of ``commit`` extracted under ``into`` with
    ``git archive`` (the checkout is not touched); the folder and "<hash> <subject>"."""
    def git(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True)
    rev = git("rev-parse", "--verify", "--short", f"{commit}^{{commit}}")
    if rev.returncode != 0:
        raise SystemExit(f"benchmarks: --at {commit}: not a commit here "
                         f"({rev.stderr.decode().strip()})")
    short = rev.stdout.decode().strip()
    subject = git("log", "-1", "--format=%s", short).stdout.decode().strip()
    root = into / f"engine-{short}"
    root.mkdir()
    archive = root / "engine.tar"
    made = git("archive", "--format=tar", f"--output={archive}", short, "micrograd_nn")
    if made.returncode != 0:
        raise SystemExit(f"benchmarks: git archive {short} micrograd_nn failed: "
                         f"{made.stderr.decode().strip()}")
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(root, filter="data")
        except TypeError:  # a Python without extraction filters (before 3.11.4)
            tar.extractall(root)
    archive.unlink()
    return root, f"{short} {subject[:70]}"


def engines(at: list[str], tmp: Path, upstream: bool) -> list[Engine]:
    """This tree's engine, the engine at each ``--at`` commit, and upstream if installed."""
    from .timing import git_commit

    out = [Engine("this", f"micrograd_nn, this tree ({git_commit(REPO / 'micrograd_nn')})", w.OURS,
                  REPO)]
    for commit in at:
        root, what = checkout(commit, tmp)
        out.append(Engine(f"at {commit}", f"micrograd_nn at {what.split()[0]}", w.OURS, root))
    if upstream:
        out.append(Engine("upstream", f"upstream micrograd {w.distribution_version(w.UPSTREAM)}",
                          w.UPSTREAM, None))
    return out


def plan(engines_: list[Engine], phases: bool) -> list[tuple[Engine, str, str]]:
    """Every (engine, workload, mode) to count: the demo step at both gc modes for each
    engine, the floor at both, and this tree's phases (gc paused)."""
    jobs = [(e, DEMO, m) for e in engines_ for m in MODES]
    jobs += [(engines_[0], FLOOR, m) for m in MODES]
    if phases:
        jobs += [(engines_[0], p, "paused") for p in PHASES]
    return jobs


def repeats_of(engine: Engine, workload: str, repeat: int) -> int:
    """How many times a figure is counted: ``repeat`` for this tree's demo step and the
    floor (to show the counts repeat), once for the rest (the slowest under callgrind)."""
    return repeat if engine.key == "this" and workload in (DEMO, FLOOR) else 1


def measure_all(at: list[str], lo: int = 1, hi: int = 3, repeat: int = 2, jobs: int = 2,
                phases: bool = True, points: int | None = None,
                say: Callable[[str], None] = print, upstream: bool = True,
                only: list[str] | None = None) -> dict[str, Any]:
    """Count every figure (``only`` these workloads, if given); a JSON-ready document with
    the per-step counts and the conditions."""
    if not hi > lo >= 1:
        raise ValueError(f"need hi > lo >= 1 steps, got lo={lo}, hi={hi}")
    version = valgrind_version()
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    upstream_cls, upstream_note = w.upstream_or_reason()
    sizes, n_points = w.DEMO_SIZES, points or w.DEMO_POINTS
    nodes = w.step_nodes(w.value_class(w.OURS), sizes, n_points, w.DEMO_ALPHA)
    extra = {"BENCH_DEMO_POINTS": str(n_points), "BENCH_FLOOR_NODES": str(nodes)}
    with tempfile.TemporaryDirectory(prefix="bench-callgrind-") as tmp_name:
        tmp = Path(tmp_name)
        env = child_env(extra)
        engines_ = engines(at, tmp, upstream and upstream_cls is not None)
        todo = [job for job in plan(engines_, phases) if not only or job[1] in only]
        runs = [(e, wl, m, steps, r) for e, wl, m in todo
                for r in range(repeats_of(e, wl, repeat)) for steps in (hi, lo)]
        runs.sort(key=lambda job: job[0].engine != w.UPSTREAM)  # the slowest first
        say(f"callgrind: {len(runs)} child processes ({len(todo)} figures at {lo} and {hi} "
            f"steps; this tree's demo step and the floor {repeat} times), {jobs} at a time")

        def one(job: tuple[Engine, str, str, int, int]) -> tuple[tuple[str, str, str], int, int]:
            e, wl, m, steps, r = job
            n = count(e, wl, m, steps, env, tmp)
            say(f"callgrind: {e.label}, {wl}, gc {m}, {steps} step(s), repeat {r + 1}: "
                f"{n:,} instructions")
            return (e.key, wl, m), steps, n

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(one, runs))
    totals: dict[tuple[str, str, str], dict[int, list[int]]] = {}
    for key, steps, n in results:
        totals.setdefault(key, {}).setdefault(steps, []).append(n)
    figures = []
    for e, wl, m in todo:
        t = totals[(e.key, wl, m)]
        per_step = [(b - a) / (hi - lo) for a, b in zip(t[lo], t[hi])]
        figures.append({"engine": e.key, "workload": wl, "mode": m, "per_step": per_step,
                        "totals": {str(k): v for k, v in t.items()}})
    return {"valgrind": version, "load_average": load, "hash_seed": HASH_SEED,
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "aslr_off": bool(no_aslr_prefix()),
            "lo": lo, "hi": hi, "repeat": repeat,
            "upstream": upstream_note if upstream else "left out (--no-upstream)",
            "sizes": sizes, "points": n_points,
            "nodes": nodes,
            "engines": [e.as_dict() for e in engines_], "figures": figures}


