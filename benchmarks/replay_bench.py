"""fit with the graph replayed and without, on the digits example: times, and bit-identity.

    python benchmarks/replay_bench.py [--runs N] [--pypy [PATH]] [--quick] [--instructions]

Trains the digits example's ten-class network (``examples/digits.py``: MLP 64-16-10, tanh
hidden, softmax cross-entropy, Adam, batches of 32, its epochs and seeds) with
``fit(..., replay=True)`` and ``replay=False``, alternating which goes first, ``N`` times
each, each run from a new model. Prints the conditions, each mode's times (min, median,
max), the ratio of every pair of runs (without / with: how many times faster replay is)
and whether every run ended with the same losses, accuracies and weights, bit for bit;
exits 1 if not. ``--pypy`` then runs the same under PyPy (default ``/usr/bin/pypy3``),
reading the same split from JSON (scikit-learn is not on PyPy; see examples/_data.py).
``--quick`` trains on the first 320 images for one epoch (a smoke run).
``--instructions`` also counts the instructions of one training step (a batch of 32, its
forward, loss and backward) each way with valgrind's callgrind: the count at 3 steps minus
the count at 1, halved, so the first step's graph building cancels out. Counts do not move
with the machine's load as times do.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples"))
sys.path.insert(0, ROOT)

import digits  # noqa: E402  (examples/digits.py: the settings measured)
from _data import SPLIT_VARIABLE, load_digits_split  # noqa: E402

from micrograd_nn import MLP, Adam, fit, gc_paused, losses  # noqa: E402
from micrograd_nn.replay import Replay  # noqa: E402


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def train(X: list, y: list, replay: bool, epochs: int) -> tuple[float, Any]:
    """One fit of the digits example's network: seconds, and everything it left (as bits)."""
    model = MLP(64, [digits.HIDDEN, 10], activation="tanh", output_activation="linear",
                init="xavier", seed=digits.SEED)
    opt = Adam(model.parameters(), lr=digits.LR)
    start = time.perf_counter()
    history = fit(model, X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=epochs,
                  batch_size=32, seed=digits.SEED, verbose=0, replay=replay)
    seconds = time.perf_counter() - start
    result = ([bits(p.data) for p in model.parameters()],
              {k: [bits(v) for v in vals] for k, vals in history.history.items()})
    return seconds, (result, history.loss[-1], history.accuracy[-1])


def conditions(runs: int, n: int, epochs: int) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return (f"{platform.python_implementation()} {platform.python_version()} on "
            f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load} at start, "
            f"commit {commit}, {time.strftime('%Y-%m-%d %H:%M')}\n"
            f"fit: MLP 64-{digits.HIDDEN}-10 tanh/linear, softmax cross-entropy, Adam lr "
            f"{digits.LR}, batch 32, {epochs} epochs, seed {digits.SEED}, {n} training images; "
            f"gc as fit leaves it (paused inside each step); {runs} runs each, alternating")


def spread(times: list[float]) -> str:
    return (f"min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s")


def measure(runs: int, quick: bool) -> bool:
    X, _, y, _ = load_digits_split()
    epochs = digits.EPOCHS
    if quick:
        X, y, epochs = X[:320], y[:320], 1
    print(conditions(runs, len(X), epochs), flush=True)
    times: dict[bool, list[float]] = {True: [], False: []}
    ratios, results = [], []
    for run in range(runs):
        pair = {}
        for replay in ((True, False) if run % 2 == 0 else (False, True)):
            gc.collect()
            seconds, result = train(X, y, replay, epochs)
            times[replay].append(seconds)
            pair[replay] = seconds
            results.append(result)
            print(f"  run {run + 1}: replay={'on ' if replay else 'off'} {seconds:6.2f} s",
                  flush=True)
        ratios.append(pair[False] / pair[True])
    same = all(r[0] == results[0][0] for r in results)
    print(f"replay on : {spread(times[True])}")
    print(f"replay off: {spread(times[False])}")
    medians = statistics.median(times[False]) / statistics.median(times[True])
    print(f"replay is {min(ratios):.2f}x to {max(ratios):.2f}x faster (each run's off/on; "
          f"ratio of medians {medians:.2f}x)")
    print(f"bit-identical losses, accuracies and weights across all {len(results)} runs: "
          f"{'yes' if same else 'NO'} (last epoch: loss {results[0][1]:.6f}, "
          f"accuracy {results[0][2]:.4f})", flush=True)
    return same


def run_pypy(pypy: str, runs: int, quick: bool) -> bool:
    """The same measurement under PyPy, on the same split read from JSON."""
    if not os.path.exists(pypy):
        print(f"\nPyPy not found at {pypy} (apt-get install pypy3)")
        return False
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(load_digits_split(), f)
        env = {**os.environ, SPLIT_VARIABLE: path}
        args = [pypy, os.path.abspath(__file__), "--runs", str(runs)] + (
            ["--quick"] if quick else [])
        print(f"\n{' '.join(args[:1])}:", flush=True)
        return subprocess.run(args, env=env).returncode == 0


def steps(mode: str, count: int) -> None:
    """``count`` training steps on the first batches of 32, replayed or built afresh (what
    ``--instructions`` counts under callgrind)."""
    X, _, y, _ = load_digits_split()
    model = MLP(64, [digits.HIDDEN, 10], activation="tanh", output_activation="linear",
                init="xavier", seed=digits.SEED)
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


def instructions() -> bool:
    """Instructions per step, replayed and afresh, under callgrind."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        print("\n--instructions needs valgrind (apt-get install valgrind)")
        return False
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "digits.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(load_digits_split(), f)
        env = {**os.environ, SPLIT_VARIABLE: path}

        def count(mode: str, n: int) -> int:
            args = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                    sys.executable, os.path.abspath(__file__), "--steps", mode, str(n)]
            err = subprocess.run(args, env=env, capture_output=True, text=True).stderr
            found = re.search(r"Collected : (\d+)", err)
            if found is None:
                raise RuntimeError(f"callgrind printed no count:\n{err[-2000:]}")
            return int(found.group(1))

        per = {mode: (count(mode, 3) - count(mode, 1)) / 2 for mode in ("replay", "fresh")}
    print(f"\ninstructions per step (callgrind, {platform.python_implementation()} "
          f"{platform.python_version()}, a batch of 32, 3 steps minus 1, halved): replayed "
          f"{per['replay'] / 1e6:.0f} M, afresh {per['fresh'] / 1e6:.0f} M: "
          f"{per['fresh'] / per['replay']:.2f}x fewer", flush=True)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each mode (default 3)")
    parser.add_argument("--pypy", nargs="?", const="/usr/bin/pypy3", default=None,
                        help="also run under PyPy (default /usr/bin/pypy3)")
    parser.add_argument("--quick", action="store_true",
                        help="320 images, one epoch: a smoke run")
    parser.add_argument("--instructions", action="store_true",
                        help="also count instructions per step with valgrind's callgrind")
    parser.add_argument("--steps", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps:  # one callgrind subject (see --instructions)
        steps(args.steps[0], int(args.steps[1]))
        return
    ok = measure(args.runs, args.quick)
    if args.instructions:
        ok = instructions() and ok
    if args.pypy:
        ok = run_pypy(args.pypy, args.runs, args.quick) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
