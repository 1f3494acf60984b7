"""Inference with and without the graph, and the digits example's training time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import alternate, summary
from steps import LOSS_TOLERANCE
from workloads import DEMO_SIZES, build_model, forward, initial_weights, two_moons

from micrograd_nn import MLP, Value, no_grad

REPO = Path(__file__).resolve().parents[1]


def measure_inference(n_points: int, repeats: int) -> dict[str, Any]:
    """Forward passes over all points, recording a graph vs under ``no_grad()``: the
    demo's MLP (binary ops) and micrograd_nn's own ``MLP`` with the same weights."""
    xs, _ = two_moons(n_points)
    weights = initial_weights(DEMO_SIZES)
    demo = build_model(Value, weights)
    mlp = MLP.from_weights([([ws for ws, _ in layer], [b for _, b in layer])
                            for layer in weights], activation="relu")
    out = {"demo_mlp": _graph_vs_no_grad(lambda row: forward(demo, [Value(a) for a in row]),
                                         xs, repeats),
           "micrograd_nn_mlp": _graph_vs_no_grad(mlp, xs, repeats)}
    diff = max(abs(a - b) for a, b in zip(out["demo_mlp"].pop("outputs"),
                                          out["micrograd_nn_mlp"].pop("outputs")))
    if not diff <= LOSS_TOLERANCE:
        raise AssertionError(f"the two MLPs differ by {diff!r}: not the same model")
    return out


def _graph_vs_no_grad(predict: Callable[[list[float]], Any], xs: list[list[float]],
                      repeats: int) -> dict[str, Any]:
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
        for _ in range(runs):
            out["cpython"].append(_digits_run([sys.executable, str(script)], env, timeout))
            if pypy:
                out["pypy"].append(_digits_run([pypy, str(script)], env, timeout))
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
