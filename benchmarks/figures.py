"""The timed figures of one run (a child of ``python -m benchmarks``): training steps of
every engine at default gc and with the collector paused, alternating in one process (the
comparison stands only if all compute the same losses); memory per node and how time grows
with a chain's depth; inference with and without the graph; and, in their own processes,
the digits example."""

from __future__ import annotations

import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import workloads as w
from .timing import REPO, alternate, conditions, heap_objects, load_average, summary

PAUSED = "+gc_paused"
FLOOR = "floor"
LOSS_TOLERANCE = 1e-9

# Sizes per mode. Graph-size rows: MLP 2-W-W-1 on 16 points, about 32·W² nodes, so W=16,
# 64, 256 span 1e4 to 2e6 nodes; the largest takes upstream half a minute a step (--big).
FULL = {"points": w.DEMO_POINTS, "size_points": 16, "widths": [16, 64], "big_width": 256,
        "memory_nodes": 200_000, "depth": (1_000_000, 100_000), "upstream_depth": 100_000}
QUICK = {"points": 10, "size_points": 4, "widths": [4, 8], "big_width": 16,
         "memory_nodes": 20_000, "depth": (20_000, 2_000), "upstream_depth": 10_000}
# A JIT needs warm-up steps before its speed is steady; CPython needs one (caches, heap).
WARMUP = 5 if platform.python_implementation() == "PyPy" else 1


def measure(plan: dict[str, Any], repeats: int, big: bool, figures: str) -> dict[str, Any]:
    """The ``figures`` of ``plan``: "all", "steps" (training steps) or "demo" (its step)."""
    from micrograd_nn import Value

    up_cls, note = w.upstream_or_reason()
    doc: dict[str, Any] = {"conditions": conditions(), "upstream": note}
    warmup = 1 if plan is QUICK else WARMUP
    steps = {"demo": measure_step(Value, w.DEMO_SIZES, plan["points"], w.DEMO_ALPHA, repeats,
                                  warmup, up_cls)}
    widths = [] if figures == "demo" else plan["widths"] + ([plan["big_width"]] if big else [])
    for width in widths:
        # the 2M-node step is slow for upstream: at most 3 timed steps
        reps = min(repeats, 3) if width == plan["big_width"] else repeats
        steps[f"width {width}"] = measure_step(Value, [2, width, width, 1], plan["size_points"],
                                               0.0, reps, warmup, up_cls)
    doc["steps"] = steps
    if figures == "all":
        doc["memory"] = {w.OURS: measure_memory(Value, plan["memory_nodes"])}
        big_n, small_n = plan["depth"]
        doc["depth"] = measure_depth(Value, big_n, small_n, repeats)
        if up_cls is not None:
            doc["memory"][w.UPSTREAM] = measure_memory(up_cls, plan["memory_nodes"])
            doc["depth"]["upstream"] = upstream_depth(up_cls, plan["upstream_depth"])
        doc["inference"] = measure_inference(Value, plan["points"], repeats)
    doc["conditions_after"] = {"heap_objects": heap_objects(), "load_average": load_average()}
    return doc


# ---------------------------------------------------------------- training steps

def measure_step(ours: Any, sizes: list[int], n_points: int, alpha: float, repeats: int,
                 warmup: int, upstream_cls: Any | None) -> dict[str, Any]:
    """CPU seconds per step of each engine, plain and paused, with the losses they gave,
    and the floor (as many bare objects as the step has nodes, made and freed)."""
    classes: dict[str, Any] = {w.OURS: ours}
    if upstream_cls is not None:
        classes[w.UPSTREAM] = upstream_cls
    losses: dict[str, list[float]] = {}
    tasks: dict[str, Callable[[], None]] = {}
    for name, cls in classes.items():
        for tag in ("", PAUSED):
            tasks[name + tag] = w.stepper(cls, sizes, n_points, alpha, paused=bool(tag),
                                          losses=losses.setdefault(name + tag, []))
    nodes = w.step_nodes(ours, sizes, n_points, alpha)
    tasks[FLOOR] = w.floor_task(nodes)
    samples = alternate(tasks, repeats, warmup)
    timings = {name: summary(samples[name]) | {"losses": losses.get(name, [])}
               for name in tasks}
    diffs = {name: max_abs_diff(losses[w.OURS], losses[name]) for name in losses}
    check_same_losses(diffs)
    return {"sizes": sizes, "points": n_points, "alpha": alpha, "nodes": nodes,
            "warmup": warmup, "repeats": repeats, "timings": timings, "loss_max_abs_diff": diffs}


def max_abs_diff(a: list[float], b: list[float]) -> float:
    """Largest difference over the steps both sequences have."""
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def check_same_losses(diffs: dict[str, float]) -> None:
    """The timings are void unless every engine computed the same thing."""
    for name, diff in diffs.items():
        if not diff <= LOSS_TOLERANCE:
            raise AssertionError(f"{name}'s losses differ from {w.OURS}'s by {diff!r} (more "
                                 f"than {LOSS_TOLERANCE}): not the same computation")


# ---------------------------------------------------------------- chains: memory and depth

def measure_memory(value_cls: Any, n_ops: int) -> dict[str, Any]:
    """Bytes per node (tracemalloc) once the chain is built and again after backward."""
    import tracemalloc  # here: PyPy has none, and its runs skip this figure

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        root = w.chain(value_cls, n_ops)
        built = tracemalloc.get_traced_memory()[0] - base
        nodes = w.count_nodes(root)
        out: dict[str, Any] = {"nodes": nodes, "built_bytes_per_node": built / nodes}
        try:
            root.backward()
        except RecursionError as exc:
            out["after_backward_error"] = f"RecursionError: {exc}"
            return out
        out["after_backward_bytes_per_node"] = (tracemalloc.get_traced_memory()[0] - base) / nodes
        return out
    finally:
        tracemalloc.stop()


def measure_depth(value_cls: Any, big: int, small: int, repeats: int) -> dict[str, Any]:
    """CPU seconds to build, backpropagate and free chains of ``small`` and ``big`` nodes:
    plainly, with the collector paused, backward() alone, and a bare-object baseline."""
    tasks: dict[str, Callable[[], None]] = {}
    for size, n in (("small", small), ("big", big)):
        tasks[size] = _build_and_backward(value_cls, n, paused=False)
        tasks[f"{size}_paused"] = _build_and_backward(value_cls, n, paused=True)
        tasks[f"{size}_bare"] = w.bare_chain(n)
    samples = alternate(tasks, repeats)
    samples |= _backward_only(value_cls, {"small_backward": small, "big_backward": big},
                              repeats)
    out: dict[str, Any] = {"small_nodes": small, "big_nodes": big}
    out |= {name: summary(times) for name, times in samples.items()}
    for tag in ("", "_paused", "_backward", "_bare"):
        out[f"time_ratio{tag}"] = out[f"big{tag}"]["median"] / out[f"small{tag}"]["median"]
    return out


def upstream_depth(value_cls: Any, n_ops: int) -> str:
    """What happens when upstream backpropagates an ``n_ops``-node chain."""
    root = w.chain(value_cls, n_ops)
    try:
        root.backward()
    except RecursionError:
        return f"RecursionError at {n_ops:,} nodes"
    return f"ok at {n_ops:,} nodes"


def _build_and_backward(value_cls: Any, n: int, paused: bool) -> Callable[[], None]:
    def run() -> None:
        if paused:
            with w.gc_off():
                w.chain(value_cls, n).backward()
        else:
            w.chain(value_cls, n).backward()
    return run


def _backward_only(value_cls: Any, sizes: dict[str, int], repeats: int) -> dict[str, list[float]]:
    """CPU seconds of ``backward()`` alone on a chain built (and freed) outside the timer."""
    import time

    samples: dict[str, list[float]] = {name: [] for name in sizes}
    for r in range(repeats):
        for name in list(sizes) if r % 2 == 0 else list(sizes)[::-1]:
            root = w.chain(value_cls, sizes[name])
            gc.collect()
            t0 = time.process_time()
            root.backward()
            samples[name].append(time.process_time() - t0)
            del root
    return samples


# ---------------------------------------------------------------- inference

def measure_inference(value_cls: Any, n_points: int, repeats: int) -> dict[str, Any]:
    """Forward passes over all points, recording a graph vs under ``no_grad()``: the
    demo's MLP (binary ops) and micrograd_nn's own ``MLP`` with the same weights."""
    from micrograd_nn import MLP

    xs, _ = w.two_moons(n_points)
    weights = w.initial_weights(w.DEMO_SIZES)
    demo = w.build_model(value_cls, weights)
    mlp = MLP.from_weights([([ws for ws, _ in layer], [b for _, b in layer])
                            for layer in weights], activation="relu")
    out = {"demo_mlp": _graph_vs_no_grad(
               lambda row: w.forward(demo, [value_cls(a) for a in row]), xs, repeats),
           "micrograd_nn_mlp": _graph_vs_no_grad(mlp, xs, repeats)}
    diff = max(abs(a - b) for a, b in zip(out["demo_mlp"].pop("outputs"),
                                          out["micrograd_nn_mlp"].pop("outputs")))
    if not diff <= LOSS_TOLERANCE:
        raise AssertionError(f"the two MLPs differ by {diff!r}: not the same model")
    return out


def _graph_vs_no_grad(predict: Callable[[list[float]], Any], xs: list[list[float]],
                      repeats: int) -> dict[str, Any]:
    from micrograd_nn import no_grad

    def scores() -> list[float]:
        return [predict(row).data for row in xs]

    def without_graph() -> list[float]:
        with no_grad():
            return scores()

    outputs = scores()
    if outputs != without_graph():
        raise AssertionError("no_grad changed the forward pass's numbers")
    samples = alternate({"graph": scores, "no_grad": without_graph}, repeats)
    out = {"graph": summary(samples["graph"]), "no_grad": summary(samples["no_grad"])}
    out["speedup"] = out["graph"]["median"] / out["no_grad"]["median"]
    return out | {"outputs": outputs}


# ---------------------------------------------------------------- digits, in its processes

def measure_digits(runs: int, timeout: float) -> dict[str, Any]:
    """Run ``examples/digits.py --json`` ``runs`` times under this interpreter and, where
    ``pypy3`` is on PATH, as often under PyPy (alternating; PyPy reads the same split from
    JSON, having no scikit-learn): each run's training time and test accuracy."""
    script = REPO / "examples" / "digits.py"
    if not script.exists():
        return {"cpython": [{"status": "not available", "reason": f"{script} is missing"}]}
    pypy = shutil.which("pypy3")
    out: dict[str, list[dict[str, Any]]] = {"cpython": [], "pypy": []}
    with tempfile.TemporaryDirectory() as tmp:
        split = Path(tmp) / "digits.json"
        subprocess.run([sys.executable, str(REPO / "examples" / "_data.py"), str(split)],
                       check=True, timeout=timeout)
        env = {**os.environ, "MICROGRAD_NN_DIGITS_JSON": str(split),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                           os.environ.get("PYTHONPATH")]))}
        for i in range(runs):
            order = [sys.executable, pypy] if i % 2 == 0 else [pypy, sys.executable]
            for exe in order:
                if exe:
                    name = "cpython" if exe == sys.executable else "pypy"
                    out[name].append(_digits_run([exe, str(script)], env, timeout))
    return out


def _digits_run(command: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run([*command, "--json"], capture_output=True, text=True,
                              timeout=timeout, cwd=REPO, env=env)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"no result within {timeout:.0f} s"}
    report = last_json_object(proc.stdout)
    if proc.returncode != 0 or report is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "reason": f"exit {proc.returncode}: {' | '.join(tail)}"}
    missing = {"train_seconds", "test_accuracy"} - report.keys()
    if missing:
        return {"status": "failed", "reason": f"its JSON lacks {sorted(missing)}"}
    return {"status": "ok", "train_seconds": float(report["train_seconds"]),
            "test_accuracy": float(report["test_accuracy"])}


def last_json_object(text: str) -> dict[str, Any] | None:
    """The whole output as a JSON object, else its last line that is one."""
    for candidate in [text, *reversed(text.splitlines())]:
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None
