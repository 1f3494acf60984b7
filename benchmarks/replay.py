"""Replayed training against building every graph: ``fit(..., replay=True)`` and
``replay=False`` on the digits example's ten-class network (``examples/digits.py``: MLP
64-16-10, tanh hidden, softmax cross-entropy, Adam, batches of 32, its epochs and seed).

``python -m benchmarks --replay`` adds this to the report (``--quick``: the first 320
images for one epoch). Each fit runs in a fresh child process (``python -m
benchmarks.replay train MODE``), the two modes alternating (ABBA), ``runs`` times each,
under CPython and, where ``pypy3`` is on the PATH, PyPy (which reads the same split from
JSON: scikit-learn is not on PyPy). A child prints its fit's CPU time and a digest of
every bit it left (each weight, each epoch's loss and accuracy): the report says whether
every run of an interpreter left the same bits, replayed or not. Times are CPU times
(``time.process_time``), as in the rest of the report. With ``--instructions``
it also counts one training step each way under valgrind's callgrind (``python -m
benchmarks.replay steps MODE N``: a process doing 3 steps minus one doing 1, halved; each
collects its garbage after the first step, which builds the copies, so that the
collection those new nodes trigger is counted in both processes and cancels).

The children find the example's settings and data through ``PYTHONPATH`` (the checkout
and its ``examples/`` folder), set by the parent.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import instructions as ins

REPO = Path(__file__).resolve().parents[1]
MODES = ("replay", "fresh")  # fit(replay=True), fit(replay=False)
QUICK_IMAGES = 320


# ------------------------------------------------------------------ the children

def _settings() -> Any:
    import digits  # type: ignore[import-not-found]  # examples/digits.py, on PYTHONPATH

    return digits


def _model() -> Any:
    from micrograd_nn import MLP

    d = _settings()
    return MLP(64, [d.HIDDEN, 10], activation="tanh", output_activation="linear",
               init="xavier", seed=d.SEED)


def train(mode: str, quick: bool) -> dict[str, Any]:
    """One fit of the digits network, replayed or not: its CPU time (``seconds``:
    ``time.process_time``, so waiting for a core on a loaded machine is not counted) and wall
    time, the digest of every weight and history figure (as bits), its last loss and
    accuracy."""
    from _data import load_digits_split  # type: ignore[import-not-found]  # examples/

    from micrograd_nn import Adam, fit

    d = _settings()
    X, _, y, _ = load_digits_split()
    epochs = d.EPOCHS
    if quick:
        X, y, epochs = X[:QUICK_IMAGES], y[:QUICK_IMAGES], 1
    model = _model()
    opt = Adam(model.parameters(), lr=d.LR)
    wall, cpu = time.perf_counter(), time.process_time()
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=epochs,
                  batch_size=32, seed=d.SEED, verbose=0, replay=mode == "replay")
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    digest = hashlib.sha256()
    for p in model.parameters():
        digest.update(struct.pack("<d", p.data))
    for key in sorted(history.history):
        for v in history.history[key]:
            digest.update(struct.pack("<d", v))
    return {"mode": mode, "seconds": cpu, "wall_seconds": wall, "digest": digest.hexdigest(),
            "loss": history.loss[-1], "accuracy": history.accuracy[-1], "images": len(X),
            "epochs": epochs, "implementation": platform.python_implementation(),
            "python": platform.python_version()}


def steps(mode: str, count: int) -> None:
    """``count`` training steps on the first batches of 32, replayed or built afresh: what
    the callgrind children run."""
    import gc

    from _data import load_digits_split

    from micrograd_nn import gc_paused, losses
    from micrograd_nn.replay import Replay

    X, _, y, _ = load_digits_split()
    model = _model()
    replay = Replay(model)
    loss = losses.softmax_cross_entropy
    for k in range(count):
        rows, targets = X[32 * k:32 * k + 32], y[32 * k:32 * k + 32]
        with gc_paused():
            model.zero_grad()
            if mode == "replay":
                replay.step(rows, targets, loss)
            else:
                loss([model(x) for x in rows], targets).backward()
        if k == 0:
            # The first step builds the copies (40,000 nodes, young to the collector): the
            # collection they trigger, whenever it comes, is done here, in both processes,
            # so it cancels instead of falling inside the counted steps or not (it did, as
            # one gen-1 collection of ~20 M instructions, depending on the allocations)
            gc.collect()
    os._exit(0)  # no teardown: it would be counted


def child_main(argv: list[str]) -> None:
    """``train MODE [--quick]`` (prints one JSON line) or ``steps MODE N``."""
    if len(argv) >= 2 and argv[0] == "train" and argv[1] in MODES:
        print(json.dumps(train(argv[1], "--quick" in argv[2:])))
    elif len(argv) == 3 and argv[0] == "steps" and argv[1] in MODES:
        steps(argv[1], int(argv[2]))
    else:
        raise SystemExit("usage: python -m benchmarks.replay train {replay,fresh} [--quick] | "
                         "steps {replay,fresh} N")


# ------------------------------------------------------------------ the parent

def _env(split: Path) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO), str(REPO / "examples"),
                                         os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "MICROGRAD_NN_DIGITS_JSON": str(split)}


def _run(interpreter: str, mode: str, quick: bool, env: dict[str, str]) -> dict[str, Any]:
    cmd = [interpreter, "-m", "benchmarks.replay", "train", mode] + (["--quick"] * quick)
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1200)
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        return {"mode": mode, "status": f"failed: exit {proc.returncode}: {tail}"}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result | {"status": "ok"}


def _count(mode: str, n: int, env: dict[str, str], tmp: Path) -> int:
    return ins.callgrind(["-m", "benchmarks.replay", "steps", mode, str(n)], REPO,
                         {**env, "PYTHONHASHSEED": ins.HASH_SEED}, tmp,
                         f"replay {mode}, {n} steps")


def measure(runs: int, quick: bool, pypy: bool, count: bool,
            say: Callable[[str], None]) -> dict[str, Any]:
    """Every fit (each interpreter, both modes alternating, ``runs`` each) and, with
    ``count``, the instructions per training step each way; with the conditions."""
    interpreters = [("cpython", sys.executable)]
    pypy_path = shutil.which("pypy3") if pypy else None
    if pypy_path:
        interpreters.append(("pypy", pypy_path))
    doc: dict[str, Any] = {"runs": runs, "quick": quick, "fits": {},
                           "load_average": [round(x, 2) for x in os.getloadavg()],
                           "pypy": pypy_path or ("not found (pypy3 on PATH)" if pypy
                                                 else "not asked (--no-pypy)")}
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        split = Path(tmp) / "digits.json"
        subprocess.run([sys.executable, str(REPO / "examples" / "_data.py"), str(split)],
                       check=True, timeout=600)
        env = _env(split)
        for name, exe in interpreters:
            fits: list[dict[str, Any]] = []
            for run in range(runs):
                for mode in (MODES if run % 2 == 0 else MODES[::-1]):
                    say(f"replay: {name} run {run + 1}/{runs}, {mode}")
                    fits.append(_run(exe, mode, quick, env))
            doc["fits"][name] = fits
        if count:
            say("replay: counting one training step each way (callgrind)")
            doc["instructions"] = {
                mode: (_count(mode, 3, env, Path(tmp)) - _count(mode, 1, env, Path(tmp))) / 2
                for mode in MODES}
            doc["valgrind"] = ins.valgrind_version()
    return doc


if __name__ == "__main__":
    child_main(sys.argv[1:])


# ------------------------------------------------------------------ the report

def _ok(fits: list[dict[str, Any]], mode: str) -> list[dict[str, Any]]:
    return [f for f in fits if f["status"] == "ok" and f["mode"] == mode]


def _ratios(fits: list[dict[str, Any]]) -> list[float]:
    """fresh ÷ replay of each run (its two fits, in the order they ran)."""
    pairs = [fits[i:i + 2] for i in range(0, len(fits) - 1, 2)]
    out = []
    for pair in pairs:
        by = {f["mode"]: f for f in pair if f["status"] == "ok"}
        if len(by) == 2:
            out.append(by["fresh"]["seconds"] / by["replay"]["seconds"])
    return out


def identical(fits: list[dict[str, Any]]) -> bool | None:
    """Whether every fit of one interpreter left the same bits (None: fewer than two)."""
    digests = {f["digest"] for f in fits if f["status"] == "ok"}
    return None if sum(f["status"] == "ok" for f in fits) < 2 else len(digests) == 1


def speedup(doc: dict[str, Any], name: str = "cpython") -> tuple[float, float, float] | None:
    """(min, median, max) over the runs of fresh ÷ replay for ``name``, or None."""
    ratios = _ratios(doc["fits"].get(name, []))
    if not ratios:
        return None
    return min(ratios), statistics.median(ratios), max(ratios)


def _seconds(fits: list[dict[str, Any]]) -> str:
    s = [f["seconds"] for f in fits]
    if not s:
        return "—"
    return f"{statistics.median(s):.2f} s (runs {min(s):.2f}–{max(s):.2f} s)"


def section(doc: dict[str, Any]) -> list[str]:
    """The report's lines for replayed training: how it was measured, the times, the
    speed-up, bit-identity, and the instruction counts."""
    first = next((f for fits in doc["fits"].values() for f in fits if f["status"] == "ok"),
                 None)
    if first is None:
        return ["No replay fit succeeded: " + "; ".join(
            f["status"] for fits in doc["fits"].values() for f in fits)]
    lines = [
        f"- `fit` on the digits example's network (MLP 64-16-10, tanh, softmax "
        f"cross-entropy, Adam, batches of 32, {first['epochs']} epoch(s), "
        f"{first['images']} training images), with `replay=True` and `replay=False`: each "
        f"fit a fresh child process, the modes alternating (ABBA), {doc['runs']} of each "
        "per interpreter; the CPU time of the `fit` call (`time.process_time`: time spent "
        "waiting for a core is not counted; `fit` pauses the collector inside each step). "
        "1-minute load average at the start: "
        f"{doc['load_average'][0]:.2f}.",
        "- *fresh ÷ replay*: how many times faster replay is, per run (its two fits).",
        "", "| interpreter | replay=True | replay=False | fresh ÷ replay | same bits in "
        "every fit |", "|---|---|---|---|---|"]
    for name, fits in doc["fits"].items():
        r = speedup(doc, name)
        same = identical(fits)
        label = f"{first['implementation'] if name == 'cpython' else 'PyPy'} " + next(
            (f["python"] for f in fits if f["status"] == "ok"), "?")
        ratio = "—" if r is None else f"{r[1]:.2f}× (runs {r[0]:.2f}–{r[2]:.2f}×)"
        lines.append(f"| {label} | {_seconds(_ok(fits, 'replay'))} | "
                     f"{_seconds(_ok(fits, 'fresh'))} | {ratio} | "
                     f"{'—' if same is None else 'yes' if same else '**NO**'} |")
    if not isinstance(doc["pypy"], str) or not doc["pypy"].startswith("/"):
        lines += ["", f"PyPy: {doc['pypy']}."]
    counts = doc.get("instructions")
    if counts:
        lines += ["", f"Instructions per training step (a batch of 32: forward, loss, "
                  f"backward; callgrind, {doc.get('valgrind', 'valgrind')}, 3 steps minus 1, "
                  f"halved): replayed {counts['replay'] / 1e6:.1f} M, built afresh "
                  f"{counts['fresh'] / 1e6:.1f} M: {counts['fresh'] / counts['replay']:.2f}× "
                  "fewer."]
    return lines


def target_rows(doc: dict[str, Any]) -> list[list[str]]:
    """The rows of issue 20's targets that this measures: replay ≥ 3× and digits ≤ 3 s."""
    r = speedup(doc)
    same = identical(doc["fits"].get("cpython", []))
    full = not doc["quick"]
    judged = "" if full else " (not judged: --quick)"
    rows = []
    if r is not None:
        ok = r[0] >= 3 and bool(same)
        rows.append(["`fit` with replay ≥ 3× faster than without on digits, bit-identical",
                     f"{r[1]:.2f}× (runs {r[0]:.2f}–{r[2]:.2f}×), same bits: "
                     f"{'yes' if same else 'no'}",
                     judged.strip(" ()") if not full else "**met**" if ok else "not met"])
        fits = _ok(doc["fits"]["cpython"], "replay")
        worst = max(f["seconds"] for f in fits)
        rows.append(["digits (10-class fit, replayed) ≤ 3 s on CPython",
                     _seconds(fits), judged.strip(" ()") if not full
                     else "**met**" if worst <= 3 else "not met"])
    return rows
