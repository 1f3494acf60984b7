"""The other benchmarks, each printing its own table with its conditions:

- ``--page``: how big the step-through page is and how long it takes to write, as the graph
  grows (``--before DIR``: also the old page, from a checkout whose viz/ is top level).
  Each graph is an MLP's squared error on one sample (x = [0.5, -1], target 1, seed 1) and
  the moons demo step (MLP 2-16-16-1, ReLU, hinge loss on 100 points plus 1e-4 * Σ p²),
  once as ``fit`` builds it (one Sum node per neuron, about 38k nodes) and once as upstream
  micrograd builds it (binary + chains, about 65k nodes). Times are wall clock for one
  ``backward_html`` call in a fresh child process (graph building excluded, Graphviz's
  ``dot`` included). The old page (one SVG and one ``dot`` run per step) is timed only up
  to 2-8-8-1: at 2-16-16-1 it took minutes and wrote hundreds of MB.
- ``--grad``: first-order speed with higher derivatives in the package: ``backward()``
  against ``micrograd_nn.grad(loss, params)`` (floats) on the demo step's graph, the graph
  built once per sample outside the timer, alternating.
- ``--numpy-digits``: the digits example's 10-class network (64-16-10, tanh hidden, softmax
  cross-entropy, Adam lr 0.03, batches of 32, 2 epochs) trained with micrograd_nn and with
  NumPy (hand-derived matrix gradients, a batch at a time): how much a scalar engine costs.
  Needs NumPy and scikit-learn (``pip install -e ".[bench,examples]"``).
"""

from __future__ import annotations

import gc
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import workloads as w

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- the step page

# Runs in a child process: builds the graph, times one page, prints one JSON line.
CHILD = r"""
import json, math, os, random, sys, time
graph, out, new = sys.argv[2], sys.argv[3], sys.argv[4] == "new"  # argv[1]: the tree
if new:
    from micrograd_nn import viz
else:  # the checkout before this round installed viz under its own top-level name
    import importlib
    viz = importlib.import_module("viz")
from micrograd_nn import MLP, Value, losses, topological_order

def mlp(sizes):
    model = MLP(2, sizes, seed=1)
    y = model([Value(0.5, "x1"), Value(-1.0, "x2")])
    return ((y - 1.0) ** 2)

def moons(n=100, upstream=False):
    rng = random.Random(0)
    pts = []
    for i in range(n):
        t = math.pi * rng.random()
        upper = i % 2 == 0
        x = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        pts.append(([x[0] + rng.gauss(0, 0.1), x[1] + rng.gauss(0, 0.1)], 1.0 if upper else -1.0))
    model = MLP(2, [16, 16, 1], activation="relu", seed=1337)
    if not upstream:  # as fit(loss="hinge", l2=1e-4) builds it: one Sum node per neuron
        scores = [model([Value(a), Value(b)]) for (a, b), _ in pts]
        return losses.hinge(scores, [y for _, y in pts]) + losses.l2_penalty(
            model.parameters(), 1e-4)
    # As upstream micrograd's demo builds it: a chain of binary + per neuron and per sum.
    def neuron(nr, xs):
        out = sum((w * x for w, x in zip(nr.w, xs)), nr.b)
        return out.relu() if nr.activation == "relu" else out
    def forward(xs):
        for layer in model.layers:
            xs = [neuron(nr, xs) for nr in layer.neurons]
        return xs[0]
    hinge = [(1 + -y * forward([Value(a), Value(b)])).relu() for (a, b), y in pts]
    return sum(hinge) * (1.0 / n) + 1e-4 * sum(p * p for p in model.parameters())

if graph.startswith("moons"):
    root = moons(upstream=graph.endswith("upstream"))
else:
    root = mlp([int(s) for s in graph.split("-")[1:]])
order = topological_order(root, leaves=True)
row = {"graph": graph, "nodes": len(order), "backward_steps": sum(1 for n in order if n.inputs)}
options = json.loads(sys.argv[5])
start = time.perf_counter()
try:
    path = viz.backward_html(root, out, **options)
    row.update(seconds=round(time.perf_counter() - start, 2), bytes=os.path.getsize(path))
except ValueError as err:
    row.update(seconds=round(time.perf_counter() - start, 2), error=str(err))
print(json.dumps(row))
"""


def page_run(tree: Path, graph: str, new: bool, options: dict[str, object]) -> dict[str, object]:
    """One timed page in a child process (a fresh interpreter for each), importing the
    engine from ``tree`` (first on its PYTHONPATH)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(tree))
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(tree), graph, str(Path(tmp) / "page.html"),
             "new" if new else "old", json.dumps(options)],
            capture_output=True, text=True, env=env, check=True)
    row: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    row["page"] = "after" if new else "before"
    row["options"] = options
    return row


def page_conditions() -> str:
    """Interpreter, machine and Graphviz version."""
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    cpu = next((ln.split(":", 1)[1].strip() for ln in
                Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return (f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs; {dot}")


def page_table(rows: list[dict[str, object]]) -> str:
    """A markdown table: a page's steps are step 0 (the leaves), one forward step per op
    node and one backward step per op node."""
    lines = ["| page | graph | nodes | page steps | size | time | note |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        nodes, ops = int(str(r["nodes"])), int(str(r["backward_steps"]))
        steps = 2 * ops + 1 if r["page"] == "after" else ops + 1  # the old page: backward only
        size = f"{int(str(r['bytes'])) / 1e6:.2f} MB" if "bytes" in r else "—"
        error = str(r.get("error", ""))
        note = error[:90] + ("…" if len(error) > 90 else "")
        if r["options"]:
            note = f"{r['options']} {note}".strip()
        lines.append(f"| {r['page']} | {r['graph']} | {nodes:,} | {steps:,} | {size} | "
                     f"{r['seconds']} s | {note} |")
    return "\n".join(lines)


def page_main(before: Path | None, skip_moons: bool) -> int:
    """Time the page for growing graphs (and the old page, with ``before``); print it."""
    rows = []
    if before:
        for graph in ("mlp-4-1", "mlp-8-8-1"):
            rows.append(page_run(before, graph, False, {}))
    for graph in ("mlp-4-1", "mlp-8-8-1", "mlp-16-16-1"):
        rows.append(page_run(REPO, graph, True, {}))
    if not skip_moons:
        for graph in ("moons", "moons-upstream"):
            rows.append(page_run(REPO, graph, True, {}))
            rows.append(page_run(REPO, graph, True, {"max_nodes": 100_000}))
    print(f"Conditions: {page_conditions()}; one call per fresh process, wall clock\n")
    print(page_table(rows))
    return 0


# ---------------------------------------------------------------- backward() vs grad()

def grad_main(repeats: int) -> int:
    """Alternate backward() and grad(loss, params), CPU time of the backward pass only."""
    from micrograd_nn import Value, grad

    repeats = max(repeats, 3)
    xs, ys = w.two_moons(w.DEMO_POINTS)
    model = w.build_model(Value, w.initial_weights(w.DEMO_SIZES))
    params = w.parameters(model)
    times: dict[str, list[float]] = {"backward()": [], "grad(loss, params)": []}
    nodes = 0
    for r in range(repeats):
        for name in list(times) if r % 2 == 0 else list(times)[::-1]:
            loss = w.hinge_loss(Value, model, xs, ys, w.DEMO_ALPHA)
            nodes = nodes or w.count_nodes(loss)
            gc.collect()
            t0 = time.process_time()
            if name == "backward()":
                loss.backward()
            else:
                grad(loss, params)
            times[name].append(time.process_time() - t0)
            del loss
    print(f"{platform.python_implementation()} {platform.python_version()}, default gc, "
          f"load average {os.getloadavg()[0]:.2f}; demo step graph ({nodes:,} nodes); CPU "
          f"time of the backward pass alone, {repeats} alternating repeats")
    for name, ts in times.items():
        print(f"  {name:20s} median {statistics.median(ts) * 1e3:6.1f} ms "
              f"(runs {min(ts) * 1e3:.1f}–{max(ts) * 1e3:.1f} ms)")
    ratio = statistics.median(times["grad(loss, params)"]) / statistics.median(times["backward()"])
    print(f"  grad ÷ backward: {ratio:.2f}× (medians)")
    return 0


# ---------------------------------------------------------------- digits: engine vs NumPy

HIDDEN, EPOCHS, LR, BATCH, SEED = 16, 2, 0.03, 32, 0


def train_numpy(X: Any, y: Any) -> list[Any]:
    """Train the MLP with NumPy: Xavier-uniform weights, Adam, hand-derived gradients."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    sizes = [(64, HIDDEN), (HIDDEN, 10)]
    params = []
    for nin, nout in sizes:
        limit = np.sqrt(6.0 / (nin + nout))
        params += [rng.uniform(-limit, limit, (nin, nout)), np.zeros(nout)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(10)[y]
    t = 0
    for _ in range(EPOCHS):
        order = rng.permutation(len(X))
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            W1, b1, W2, b2 = params
            h = np.tanh(X[idx] @ W1 + b1)
            z = h @ W2 + b2
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - onehot[idx]) / len(idx)  # softmax cross-entropy, mean over the batch
            dh = (dz @ W2.T) * (1.0 - h * h)
            grads = [X[idx].T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
            t += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                mhat = m[i] / (1 - 0.9 ** t)
                vhat = v[i] / (1 - 0.999 ** t)
                params[i] -= LR * mhat / (np.sqrt(vhat) + 1e-8)
    return params


def accuracy_numpy(params: list[Any], X: Any, y: Any) -> float:
    """Test accuracy of the NumPy-trained network."""
    import numpy as np

    W1, b1, W2, b2 = params
    return float(np.mean(np.argmax(np.tanh(X @ W1 + b1) @ W2 + b2, axis=1) == y))


def train_engine(X: list[list[float]], y: list[int]) -> Any:
    """Train the same network with micrograd_nn, as examples/digits.py does."""
    from micrograd_nn import MLP, Adam, fit

    model = MLP(64, [HIDDEN, 10], activation="tanh", output_activation="linear",
                init="xavier", seed=SEED)
    fit(model, X, y, loss="softmax_cross_entropy", optimizer=Adam(model.parameters(), lr=LR),
        epochs=EPOCHS, batch_size=BATCH, seed=SEED, file=io.StringIO())
    return model


def digits_split() -> tuple[list[list[float]], list[list[float]], list[int], list[int]]:
    """The digits example's split, written by ``examples/_data.py`` in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "digits.json"
        subprocess.run([sys.executable, str(REPO / "examples" / "_data.py"), str(path)],
                       check=True)
        X_train, X_test, y_train, y_test = json.loads(path.read_text())
    return X_train, X_test, y_train, y_test


def numpy_digits_main(runs: int) -> int:
    """Time both trainings (CPU time, alternating) and print the ratio with its range."""
    import numpy as np

    from micrograd_nn import evaluate

    X_train, X_test, y_train, y_test = digits_split()
    Xa, ya = np.array(X_train), np.array(y_train)
    engine_s, numpy_s = [], []
    for _ in range(runs):
        t = time.process_time()
        model = train_engine(X_train, y_train)
        engine_s.append(time.process_time() - t)
        t = time.process_time()
        params = train_numpy(Xa, ya)
        numpy_s.append(time.process_time() - t)
    engine_acc = evaluate(model, X_test, y_test, loss="softmax_cross_entropy")["accuracy"]
    numpy_acc = accuracy_numpy(params, np.array(X_test), np.array(y_test))
    ratios = [e / n for e, n in zip(engine_s, numpy_s)]
    print(f"{platform.python_implementation()} {platform.python_version()}, NumPy "
          f"{np.__version__}, load average {os.getloadavg()[0]:.2f}; CPU time "
          f"(process_time) of training only, {runs} alternating runs")
    print(f"micrograd_nn: {statistics.median(engine_s):.2f} s "
          f"(runs {min(engine_s):.2f}–{max(engine_s):.2f} s), test accuracy {engine_acc:.3f}")
    print(f"NumPy:        {statistics.median(numpy_s) * 1e3:.1f} ms "
          f"(runs {min(numpy_s) * 1e3:.1f}–{max(numpy_s) * 1e3:.1f} ms), test accuracy "
          f"{numpy_acc:.3f}")
    print(f"NumPy is {statistics.median(ratios):.0f}× faster "
          f"(runs {min(ratios):.0f}–{max(ratios):.0f}×)")
    return 0
