"""Speed and memory of micrograd_nn, side by side with upstream micrograd (0.1.0).

    python benchmarks/bench.py                 # full run, about two minutes
    python benchmarks/bench.py --quick         # small smoke run, a few seconds
    python benchmarks/bench.py --profile       # also: where micrograd_nn's step time goes

Prints a markdown table (figure, micrograd_nn, upstream, ratio, target, met?) and writes
the same, with every sample and the machine it ran on, as JSON (``--json PATH``; by
default under ``benchmarks/results/``). Fairness rules, kept throughout:

* both engines run the same model code (one function, parametrised by the Value class),
  from the same initial weights, and must give the same loss to 1e-9;
* engines alternate within one run (ABBA order) and each figure is a median;
* every timed repeat ends with ``gc.collect()``, so each engine pays for its own garbage,
  and the run starts from a collected heap so it never pays for the other's;
* interpreter settings stay at their defaults: this file never touches gc thresholds or
  the recursion limit (it records them in the JSON).

Upstream micrograd and PyTorch are optional; whatever is missing is reported as such.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import micrograd_nn
from micrograd_nn import Value, gc_paused, no_grad, topological_order
from micrograd_nn.train import two_moons as moons

HERE = Path(__file__).resolve().parent
LOSS_TOLERANCE = 1e-9
SIZES = [2, 16, 16, 1]  # upstream demo's MLP: 2 inputs, two hidden layers of 16, one output
OURS, PAUSED, TORCH = "micrograd_nn", "micrograd_nn+gc_paused", "torch"


# ---------------------------------------------------------------------------------------
# Data and model: identical code for every engine


def two_moons(n: int, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """The demo's data: ``micrograd_nn.train.two_moons`` with labels -1 / +1 (plain
    numbers, so every engine gets the same inputs)."""
    X, y = moons(n, noise, seed, labels=(-1, 1))
    return X, [int(label) for label in y]


def initial_weights(sizes: list[int], seed: int = 1337) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights uniform in [-1, 1], bias 0.0), as upstream's Neuron."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes, sizes[1:])]


def build_model(param: Callable[[float], Any], weights: list) -> list:
    """The MLP as nested lists of (weights, bias) parameters made by ``param``."""
    return [[([param(w) for w in ws], param(b)) for ws, b in layer] for layer in weights]


def parameters(model: list) -> list:
    """All parameters in upstream's order: per neuron its weights, then its bias."""
    return [p for layer in model for ws, b in layer for p in [*ws, b]]


def forward(model: list, x: list) -> Any:
    """Upstream nn.py's MLP call: ``sum(w*x, b)`` per neuron, ReLU on all but the last layer."""
    last = len(model) - 1
    for i, layer in enumerate(model):
        acts = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
        x = acts if i == last else [a.relu() for a in acts]
    return x[0]


def demo_loss(engine: Engine, model: list, xs: list, ys: list, alpha: float = 1e-4) -> Any:
    """Upstream demo.ipynb's loss: mean hinge loss plus alpha * (sum of squared parameters)."""
    inputs = [[engine.data(a) for a in row] for row in xs]
    scores = [forward(model, x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in parameters(model))
    return data_loss + reg_loss


# ---------------------------------------------------------------------------------------
# Engines: how to make a number, backpropagate and update, per library


class Engine:
    """A scalar autograd library seen through the few calls a training step needs."""

    def __init__(self, name: str, value_cls: Any) -> None:
        self.name = name
        self.value_cls = value_cls

    def param(self, x: float) -> Any:
        """A trainable scalar."""
        return self.value_cls(x)

    def data(self, x: float) -> Any:
        """An input scalar (upstream's demo wraps inputs in Value too)."""
        return self.value_cls(x)

    def step(self, model: list, xs: list, ys: list, lr: float) -> float:
        """One demo step: forward, zero grads, backward, SGD; returns the loss."""
        loss = demo_loss(self, model, xs, ys)
        params = parameters(model)
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.data


class PausedEngine(Engine):
    """micrograd_nn with each step inside its documented ``gc_paused()`` block."""

    def step(self, model: list, xs: list, ys: list, lr: float) -> float:
        with gc_paused():
            return super().step(model, xs, ys, lr)


class TorchEngine(Engine):
    """PyTorch with 0-d float64 tensors: what a user might pick instead of a scalar engine."""

    def __init__(self, torch: Any) -> None:
        super().__init__(TORCH, None)
        self.torch = torch

    def param(self, x: float) -> Any:
        return self.torch.tensor(x, dtype=self.torch.float64, requires_grad=True)

    def data(self, x: float) -> Any:
        return self.torch.tensor(x, dtype=self.torch.float64)

    def step(self, model: list, xs: list, ys: list, lr: float) -> float:
        loss = demo_loss(self, model, xs, ys)
        params = parameters(model)
        for p in params:
            p.grad = None
        loss.backward()
        with self.torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return loss.item()


def load_upstream() -> tuple[Engine | None, str]:
    """Upstream micrograd's engine, or None and why not."""
    try:
        from micrograd.engine import Value as UpstreamValue
    except ImportError as exc:
        return None, f"upstream micrograd not installed ({exc}); pip install micrograd==0.1.0"
    return Engine("micrograd", UpstreamValue), f"micrograd {_version('micrograd')}"


def bench_torch_step(n_points: int, repeats: int) -> dict[str, Any]:
    """The demo step in PyTorch, timed in a child process (else PyTorch's many objects
    would make every ``gc.collect()`` here slower, for all engines): summary and losses,
    or a status saying why not."""
    from importlib.util import find_spec
    if find_spec("torch") is None:
        return {"status": "not installed"}
    code = f"import bench; bench.torch_child({n_points}, {repeats})"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=HERE, timeout=1800)
    report = _last_json_object(proc.stdout)
    if proc.returncode != 0 or report is None:
        tail = proc.stderr.strip().splitlines()[-1:]
        return {"status": f"failed: exit {proc.returncode} {' '.join(tail)}"}
    return report


def torch_child(n_points: int, repeats: int) -> None:
    """Inside the child: time PyTorch's demo step, print the result as JSON."""
    import torch

    xs, ys = two_moons(n_points)
    engine = TorchEngine(torch)
    losses: list[float] = []
    step = _stepper(engine, build_model(engine.param, initial_weights(SIZES)),
                    xs, ys, losses)
    samples = alternate({TORCH: step}, repeats)[TORCH]
    print(json.dumps(summary(samples) | {"status": "ok", "version": torch.__version__,
                                         "losses": losses,
                                         "bare_gc_collect_seconds": bare_collect_seconds()}))


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------
# Timing


def timed(fn: Callable[[], Any]) -> float:
    """Seconds for ``fn()`` plus the ``gc.collect()`` of whatever garbage it left."""
    gc.collect()  # untimed: start clean, never pay for another engine's garbage
    t0 = time.perf_counter()
    fn()
    gc.collect()
    return time.perf_counter() - t0


def alternate(tasks: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Time each task ``repeats`` times, interleaved ABBA so drift hits all alike.
    One untimed warm-up round first."""
    for fn in tasks.values():
        fn()
    names = list(tasks)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            samples[name].append(timed(tasks[name]))
    return samples


def summary(samples: list[float]) -> dict[str, Any]:
    """Median, and the noise: median absolute deviation relative to the median."""
    med = statistics.median(samples)
    mad = statistics.median(abs(x - med) for x in samples)
    return {"median": med, "mad": mad / med, "samples": samples}


def bare_collect_seconds(repeats: int = 5) -> float:
    """What one ``gc.collect()`` with nothing to free costs in this process: part of
    every timed repeat, the same for every engine in the process."""
    return statistics.median(timed(lambda: None) for _ in range(repeats))


# ---------------------------------------------------------------------------------------
# Figure 1: the upstream demo's training step


def bench_train_step(engines: list[Engine], n_points: int, repeats: int) -> dict[str, Any]:
    """Median seconds per demo step for each engine, and how far their losses differ."""
    xs, ys = two_moons(n_points)
    weights = initial_weights(SIZES)
    losses: dict[str, list[float]] = {}
    tasks = {}
    for engine in engines:
        tasks[engine.name] = _stepper(engine, build_model(engine.param, weights), xs, ys,
                                      losses.setdefault(engine.name, []))
    samples = alternate(tasks, repeats)
    out: dict[str, Any] = {"points": n_points, "nodes_per_step": _count_step_nodes(xs, ys)}
    for engine in engines:
        out[engine.name] = summary(samples[engine.name]) | {"losses": losses[engine.name]}
    reference = losses[OURS]
    for engine in engines[1:]:
        diff = max(abs(a - b) for a, b in zip(reference, losses[engine.name]))
        out[engine.name]["loss_max_abs_diff"] = diff
    return out


def _stepper(engine: Engine, model: list, xs: list, ys: list,
             losses: list[float]) -> Callable[[], None]:
    def step() -> None:
        lr = 1.0 - 0.9 * len(losses) / 100  # upstream demo's schedule
        losses.append(engine.step(model, xs, ys, lr))
    return step


def _count_step_nodes(xs: list, ys: list) -> int:
    engine = Engine(OURS, Value)
    loss = demo_loss(engine, build_model(Value, initial_weights(SIZES)), xs, ys)
    return len(topological_order(loss, leaves=True))


def check_losses(result: dict[str, Any], names: Iterable[str]) -> None:
    """The comparison is void unless the engines computed the same thing."""
    for name in names:
        diff = result[name]["loss_max_abs_diff"]
        if not diff <= LOSS_TOLERANCE:
            raise AssertionError(f"{name}'s losses differ from micrograd_nn's by {diff!r} "
                                 f"(more than {LOSS_TOLERANCE}): not the same computation")


# ---------------------------------------------------------------------------------------
# Figures 2 and 3: a long chain v = v * w + c (two op nodes per link)


def chain(value_cls: Any, n_ops: int) -> Any:
    """A chain of ``n_ops`` binary op nodes over three shared leaves; its end."""
    w, c = value_cls(0.5), value_cls(1.0)
    v = value_cls(0.0)
    for _ in range(n_ops // 2):
        v = v * w + c
    return v


def count_nodes(root: Any) -> int:
    """Every node ``root`` depends on, leaves included, found through ``_prev``."""
    if isinstance(root, Value):
        return len(topological_order(root, leaves=True))
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def bench_memory(value_cls: Any, n_ops: int) -> dict[str, Any]:
    """Bytes per node (tracemalloc) once the chain is built and again after backward."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        root = chain(value_cls, n_ops)
        built = tracemalloc.get_traced_memory()[0] - base
        nodes = count_nodes(root)
        tracemalloc.reset_peak()
        out: dict[str, Any] = {"nodes": nodes, "built_bytes_per_node": built / nodes}
        try:
            root.backward()
        except RecursionError as exc:
            out["after_backward_error"] = f"RecursionError: {exc}"
            return out
        now, peak = tracemalloc.get_traced_memory()
        out["after_backward_bytes_per_node"] = (now - base) / nodes
        out["backward_peak_bytes_per_node"] = (peak - base) / nodes
        return out
    finally:
        tracemalloc.stop()


def bench_depth(big: int, small: int, repeats: int) -> dict[str, Any]:
    """Seconds to build, backpropagate and free chains of ``small`` and ``big`` nodes,
    plainly and inside ``gc_paused()`` (which shows what the collector adds)."""
    def run(n: int, paused: bool) -> Callable[[], None]:
        def build_and_backward() -> None:
            if paused:
                with gc_paused():
                    chain(Value, n).backward()
            else:
                chain(Value, n).backward()
        return build_and_backward
    tasks = {f"{size}{tag}": run(n, bool(tag)) for size, n in (("small", small), ("big", big))
             for tag in ("", "_paused")}
    tasks |= {f"{size}_bare": _bare_chain_task(n) for size, n in (("small", small),
                                                                  ("big", big))}
    samples = alternate(tasks, repeats)
    samples |= backward_only({"small_backward": small, "big_backward": big}, repeats)
    out: dict[str, Any] = {"small_nodes": small, "big_nodes": big}
    out |= {name: summary(times) for name, times in samples.items()}
    for tag in ("", "_paused", "_backward", "_bare"):
        out[f"time_ratio{tag}"] = out[f"big{tag}"]["median"] / out[f"small{tag}"]["median"]
    return out


class _Bare:
    """A node with a Value's five slots and nothing else: no engine at all."""

    __slots__ = ("data", "grad", "_x", "_y", "_label")


def _bare_chain_task(n: int) -> Callable[[], None]:
    """Build and free a linked chain of ``n`` bare slotted objects: what the collector
    alone costs for a growing chain of that many objects, whatever the engine."""
    def build() -> None:
        v = None
        for _ in range(n):
            node = _Bare()
            node.data, node.grad, node._x, node._y = 0.5, 0.0, v, None
            v = node
    return build


def backward_only(sizes: dict[str, int], repeats: int) -> dict[str, list[float]]:
    """Seconds for ``backward()`` alone on chains built (and collected) beforehand: the
    engine's own share of figure 3, apart from the collector's work while user code
    builds the chain."""
    samples: dict[str, list[float]] = {name: [] for name in sizes}
    for _ in range(repeats):
        for name, n in sizes.items():
            root = chain(Value, n)
            gc.collect()
            t0 = time.perf_counter()
            root.backward()
            samples[name].append(time.perf_counter() - t0)
            del root
    return samples


def upstream_depth(upstream: Engine, n_ops: int) -> dict[str, str]:
    """What happens when upstream backpropagates an ``n_ops``-node chain."""
    root = chain(upstream.value_cls, n_ops)
    try:
        root.backward()
    except RecursionError as exc:
        return {"result": f"RecursionError at {n_ops:,} nodes", "message": str(exc)}
    return {"result": f"ok at {n_ops:,} nodes", "message": ""}


# ---------------------------------------------------------------------------------------
# Figure 4: inference with and without the graph; figure 5: the digits example


def bench_inference(n_points: int, repeats: int) -> dict[str, Any]:
    """Forward passes over all points, recording a graph vs under no_grad: the demo's MLP
    (binary ops, as above) and micrograd_nn's own ``MLP`` with the same weights."""
    from micrograd_nn import MLP

    xs, _ = two_moons(n_points)
    weights = initial_weights(SIZES)
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


def _graph_vs_no_grad(predict: Callable[[list[float]], Any], xs: list,
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


def bench_digits(timeout: float) -> dict[str, Any]:
    """Run ``examples/digits.py --json`` and read its training time and test accuracy."""
    script = HERE.parent / "examples" / "digits.py"
    if not script.exists():
        return {"status": "not available", "reason": f"{script} does not exist"}
    try:
        proc = subprocess.run([sys.executable, str(script), "--json"], capture_output=True,
                              text=True, timeout=timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"no result within {timeout:.0f} s"}
    report = _last_json_object(proc.stdout)
    if proc.returncode != 0 or report is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "reason": f"exit {proc.returncode}: {' | '.join(tail)}"}
    missing = {"train_seconds", "test_accuracy"} - report.keys()
    if missing:
        return {"status": "failed", "reason": f"its JSON lacks {sorted(missing)}"}
    return {"status": "ok", "train_seconds": float(report["train_seconds"]),
            "test_accuracy": float(report["test_accuracy"])}


def _last_json_object(text: str) -> dict[str, Any] | None:
    """The whole output as a JSON object, else its last line that is one."""
    for candidate in [text, *reversed(text.splitlines())]:
        try:
            obj = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(obj, dict):
            return obj
    return None


# ---------------------------------------------------------------------------------------
# The table


def _ms(s: dict[str, Any]) -> str:
    return f"{s['median'] * 1e3:,.1f} ms (±{s['mad']:.0%})"


def _s(s: dict[str, Any]) -> str:
    return f"{s['median']:,.2f} s (±{s['mad']:.0%})"


def _faster(ratio: float) -> str:
    return f"{ratio:.2f}× faster" if ratio >= 1 else f"{1 / ratio:.2f}× slower"


def _row(figure: str, ours: str, upstream: str = "—", ratio: str = "—", target: str = "—",
         met: bool | None = None) -> dict[str, Any]:
    return {"figure": figure, "micrograd_nn": ours, "upstream": upstream, "ratio": ratio,
            "target": target, "met": met}


def train_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for figure 1: step time plainly and inside gc_paused, loss agreement, PyTorch."""
    ours = r[OURS]
    label = f"demo step, MLP 2-16-16-1, {r['points']} points ({r['nodes_per_step']:,} nodes)"
    up = r.get("micrograd")
    rows = []
    paused = "same step, each inside micrograd_nn.gc_paused()"
    for name, figure in [(OURS, label), (PAUSED, paused)]:
        mine = r[name]
        if up is None:
            rows.append(_row(figure, _ms(mine), "not installed", target="≥ 20×"))
            continue
        ratio = up["median"] / mine["median"]
        rows.append(_row(figure, _ms(mine), _ms(up), _faster(ratio), "≥ 20×",
                         ratio >= 20))
    if up is not None:
        rows.append(_row(f"same loss, last of {len(ours['losses'])} steps",
                         f"{ours['losses'][-1]:.12f}", f"{up['losses'][-1]:.12f}",
                         f"max diff {up['loss_max_abs_diff']:.1e}", "diff ≤ 1e-9",
                         up["loss_max_abs_diff"] <= LOSS_TOLERANCE))
    t = r[TORCH]
    if t["status"] != "ok":
        rows.append(_row("same step in PyTorch, float64 0-d tensors (info)", _ms(ours),
                         t["status"], target="info"))
    else:
        rows.append(_row(f"same step in PyTorch {t['version']}, float64 0-d tensors (info)",
                         _ms(ours), _ms(t), _faster(t["median"] / ours["median"]),
                         f"info; loss diff {t['loss_max_abs_diff']:.1e}; its gc.collect() "
                         f"{t['bare_gc_collect_seconds'] * 1e3:.0f} ms"))
    return rows


def memory_rows(ours: dict[str, Any], up: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows for figure 2: bytes per node, graph built and after backward."""
    n = ours["nodes"]
    b = ours["built_bytes_per_node"]
    up_b = up and up["built_bytes_per_node"]
    rows = [_row(f"memory, {n:,}-node chain built (bytes/node)", f"{b:.0f}",
                 f"{up_b:.0f}" if up else "not installed",
                 f"{up_b / b:.1f}× smaller" if up else "—", "≤ 150", b <= 150)]
    a = ours["after_backward_bytes_per_node"]
    up_a = "not installed"
    if up:
        up_a = (f"{up['after_backward_bytes_per_node']:.0f}"
                if "after_backward_bytes_per_node" in up else "RecursionError")
    rows.append(_row("memory, same chain after backward (bytes/node)", f"{a:.0f}", up_a,
                     target="info (grads are new floats)"))
    return rows


def depth_rows(d: dict[str, Any], upstream_result: str) -> list[dict[str, Any]]:
    """Rows for figure 3: the deep chain works, and time grows linearly."""
    big, small = d["big_nodes"], d["small_nodes"]
    limit = 1.2 * big / small
    return [
        _row(f"{big:,}-node chain: build + backward + free", _s(d["big"]), upstream_result,
             target="runs at default recursion limit", met=True),
        _row(f"scaling: time({big:,}) / time({small:,})", f"{d['time_ratio']:.1f}×",
             target=f"≤ {limit:.0f}×", met=d["time_ratio"] <= limit),
        _row("same scaling, each chain inside gc_paused() (info)",
             f"{d['time_ratio_paused']:.1f}× ({_s(d['big_paused'])})", target="info"),
        _row("same scaling, backward() alone on built chains (info)",
             f"{d['time_ratio_backward']:.1f}× ({_s(d['big_backward'])})", target="info"),
        _row("baseline: a chain of bare slotted objects, no engine, collector on (info)",
             f"{d['time_ratio_bare']:.1f}× ({_s(d['big_bare'])})", target="info"),
    ]


def inference_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for figure 4: forward under no_grad vs with the graph, for both MLPs."""
    rows = []
    for key, what in (("demo_mlp", "demo MLP (binary ops)"),
                      ("micrograd_nn_mlp", "micrograd_nn.MLP (Value.sum)")):
        m = r[key]
        rows.append(_row(f"inference, {what}: graph vs no_grad",
                         f"{_ms(m['graph'])} vs {_ms(m['no_grad'])}", "—",
                         _faster(m["speedup"]), "≥ 2×", m["speedup"] >= 2))
    return rows


def digits_row(r: dict[str, Any]) -> dict[str, Any]:
    """Row for figure 5: the digits example's training time and accuracy."""
    if r["status"] != "ok":
        return _row("digits example (10 classes): train time, test accuracy",
                    f"{r['status']}: {r['reason']}", target="≤ 60 s, ≥ 95%")
    met = r["train_seconds"] <= 60 and r["test_accuracy"] >= 0.95
    return _row("digits example (10 classes): train time, test accuracy",
                f"{r['train_seconds']:.1f} s, {r['test_accuracy']:.1%}", target="≤ 60 s, ≥ 95%",
                met=met)


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The rows as a markdown table."""
    marks = {True: "yes", False: "**no**", None: "—"}
    lines = ["| figure | micrograd_nn | upstream | ratio | target | met? |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['figure']} | {r['micrograd_nn']} | {r['upstream']} | {r['ratio']} "
                     f"| {r['target']} | {marks[r['met']]} |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the run ran on, and the interpreter settings it ran under."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "gc_threshold": gc.get_threshold(),
        "recursion_limit": sys.getrecursionlimit(),
        "micrograd_nn": micrograd_nn.__version__,
        "bare_gc_collect_seconds": bare_collect_seconds(),
    }


# ---------------------------------------------------------------------------------------
# --profile: where micrograd_nn's step time goes


class _GcClock:
    """Total time and count of garbage collections, read through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs = [0, 0, 0]
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.runs[info["generation"]] += 1


class _Laps:
    """Successive stopwatch laps by name."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._t
        self._t = now


def _profiled_step(engine: Engine, model: list, xs: list, ys: list,
                   clock: _GcClock) -> tuple[dict[str, float], list[int]]:
    """One demo step cut into phases (seconds each), and the automatic collections
    (gen0, gen1, gen2) that ran during it. Their time is also inside the phases, so
    'of which automatic gc' is not to be added to the rest."""
    gc.collect()
    clock.seconds, clock.runs = 0.0, [0, 0, 0]
    lap = _Laps()
    loss = demo_loss(engine, model, xs, ys)
    lap("forward: build the graph")
    topological_order(loss)
    lap("topological sort")
    params = parameters(model)
    for p in params:
        p.grad = 0.0
    loss.backward()
    lap("backward()")
    for p in params:
        p.data -= 0.1 * p.grad
    lap("SGD update")
    del loss
    lap("free the graph (refcount)")
    auto, runs = clock.seconds, list(clock.runs)
    gc.collect()
    lap("gc.collect() at the end")
    laps = lap.laps
    # backward() sorts again: what is left after the sort is the chain-rule loop
    backward = laps.pop("backward()")
    laps = {"forward: build the graph": laps.pop("forward: build the graph"),
            "topological sort": laps["topological sort"],
            "backward: chain-rule loop (backward() - sort)": backward - laps["topological sort"],
            **laps, "of which automatic gc": auto}
    return laps, runs


def profile_step(n_points: int, repeats: int, top: int = 15) -> dict[str, Any]:
    """Median phase times of micrograd_nn's demo step, and cProfile's top functions."""
    import cProfile
    import io
    import pstats

    xs, ys = two_moons(n_points)
    engine = Engine(OURS, Value)
    model = build_model(Value, initial_weights(SIZES))
    clock = _GcClock()
    gc.callbacks.append(clock)
    try:
        runs = [_profiled_step(engine, model, xs, ys, clock) for _ in range(repeats + 1)][1:]
    finally:
        gc.callbacks.remove(clock)
    phases = {name: statistics.median(laps[name] for laps, _ in runs) for name in runs[0][0]}
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [engine.step(model, xs, ys, 0.1) for _ in range(3)])
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return {"phases_seconds": phases, "automatic_gc_runs": runs[-1][1],
            "cprofile_top": text.getvalue()}


def print_profile(p: dict[str, Any]) -> None:
    """The phase breakdown, then cProfile's listing."""
    print("\nmicrograd_nn demo step, median phase times:")
    for name, seconds in p["phases_seconds"].items():
        print(f"  {name:46s} {seconds * 1e3:8.2f} ms")
    print(f"  automatic gc runs (gen0, gen1, gen2) in one step: {p['automatic_gc_runs']}")
    print("\ncProfile, 3 steps, by own time:")
    print(p["cprofile_top"])


# ---------------------------------------------------------------------------------------
# The command

FULL = {"points": 100, "memory_nodes": 200_000, "depth": (1_000_000, 100_000),
        "upstream_depth": 100_000, "repeats": 7}
QUICK = {"points": 10, "memory_nodes": 20_000, "depth": (20_000, 2_000),
         "upstream_depth": 10_000, "repeats": 3}


def run(sizes: dict[str, Any], repeats: int, digits: bool, profile: bool) -> dict[str, Any]:
    """Every figure; returns the JSON document (results, table rows, machine)."""
    upstream, upstream_note = load_upstream()
    engines = [e for e in (Engine(OURS, Value), PausedEngine(PAUSED, Value), upstream) if e]
    names = [e.name for e in engines]
    _say(f"engines: {', '.join(names)}" + ("" if upstream else f"; {upstream_note}"))
    results: dict[str, Any] = {}
    _say("1/5 demo training step")
    results["train_step"] = bench_train_step(engines, sizes["points"], repeats)
    check_losses(results["train_step"], names[1:])
    _say("1/5 the same step in PyTorch (child process)")
    torch = results["train_step"][TORCH] = bench_torch_step(sizes["points"], repeats)
    if torch["status"] == "ok":
        ours = results["train_step"][OURS]["losses"]
        torch["loss_max_abs_diff"] = max(abs(a - b) for a, b in zip(ours, torch["losses"]))
    _say("2/5 memory per node")
    results["memory"] = {OURS: bench_memory(Value, sizes["memory_nodes"])}
    if upstream:
        results["memory"]["micrograd"] = bench_memory(upstream.value_cls, sizes["memory_nodes"])
    _say("3/5 depth and scaling")
    results["depth"] = bench_depth(*sizes["depth"], repeats)
    results["depth"]["upstream"] = (upstream_depth(upstream, sizes["upstream_depth"]) if upstream
                                    else {"result": "not installed", "message": ""})
    _say("4/5 inference under no_grad")
    results["inference"] = bench_inference(sizes["points"], repeats)
    _say("5/5 digits example" if digits else "5/5 digits example: skipped (--quick)")
    results["digits"] = (bench_digits(timeout=600) if digits
                         else {"status": "skipped", "reason": "--quick"})
    if profile:
        _say("profile of the demo step")
        results["profile"] = profile_step(sizes["points"], repeats)
    rows = [*train_rows(results["train_step"]),
            *memory_rows(results["memory"][OURS], results["memory"].get("micrograd")),
            *depth_rows(results["depth"], results["depth"]["upstream"]["result"]),
            *inference_rows(results["inference"]), digits_row(results["digits"])]
    return {"machine": machine(), "repeats": repeats, "upstream": upstream_note,
            "torch": torch.get("version", torch["status"]), "results": results, "table": rows}


def _say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse options, run every figure, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, help="timed repeats per figure (default 7; "
                        "3 with --quick); figures are medians")
    parser.add_argument("--quick", action="store_true", help="small sizes, no digits example")
    parser.add_argument("--json", type=Path, help="where to write the JSON "
                        "(default: benchmarks/results/bench-<time>.json)")
    parser.add_argument("--profile", action="store_true",
                        help="also break micrograd_nn's demo step into phases, and cProfile it")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    repeats = sizes["repeats"] if args.repeats is None else args.repeats
    if repeats < 1:
        parser.error(f"--repeats must be at least 1, got {repeats}")
    doc = run(sizes, repeats, digits=not args.quick, profile=args.profile)
    m = doc["machine"]
    print(f"micrograd_nn {m['micrograd_nn']} vs {doc['upstream']}; torch: {doc['torch']}")
    print(f"{m['python']} on {m['platform']}, {m['cpu']}, {m['cores']} cores; "
          f"medians of {repeats}, ± is the median absolute deviation\n")
    print(markdown_table(doc["table"]))
    if args.profile:
        print_profile(doc["results"]["profile"])
    path = args.json or HERE / "results" / time.strftime("bench-%Y%m%d-%H%M%S.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
