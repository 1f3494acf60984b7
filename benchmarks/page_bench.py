"""How big the step-through page is and how long it takes to write, as the graph grows.

    python benchmarks/page_bench.py                       # this tree's page
    python benchmarks/page_bench.py --before /tmp/mg-before   # also the old page, from a
                                                          # checkout whose viz/ is top level

Each graph is an MLP's squared error on one sample (x = [0.5, -1], target 1, seed 1) and
the moons demo step (MLP 2-16-16-1, ReLU, hinge loss on 100 points plus 1e-4 * Σ p²), once
as ``fit`` builds it (one Sum node per neuron, about 38k nodes) and once as upstream
micrograd builds it (binary + chains, about 65k nodes). Times are wall clock for one
``backward_html`` call in a fresh child process (graph building excluded, Graphviz's ``dot``
included). The old page (one SVG and one
``dot`` run per step) is timed only up to 2-8-8-1: at 2-16-16-1 it took minutes and wrote
hundreds of MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Runs in a child process: builds the graph, times one page, prints one JSON line.
CHILD = r"""
import json, math, os, random, sys, time
sys.path.insert(0, sys.argv[1])
graph, out, new = sys.argv[2], sys.argv[3], sys.argv[4] == "new"
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


def run(tree: Path, graph: str, new: bool, options: dict[str, object]) -> dict[str, object]:
    """One timed page in a child process (a fresh interpreter for each)."""
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


def conditions() -> str:
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    cpu = next((ln.split(":", 1)[1].strip() for ln in
                Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")),
               platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    return (f"{platform.python_implementation()} {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs; {dot}")


def table(rows: list[dict[str, object]]) -> str:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="a checkout with the old viz/ page")
    parser.add_argument("--skip-moons", action="store_true", help="leave out the 65k graph")
    args = parser.parse_args(argv)
    rows = []
    if args.before:
        for graph in ("mlp-4-1", "mlp-8-8-1"):
            rows.append(run(args.before, graph, False, {}))
    for graph in ("mlp-4-1", "mlp-8-8-1", "mlp-16-16-1"):
        rows.append(run(REPO, graph, True, {}))
    if not args.skip_moons:
        for graph in ("moons", "moons-upstream"):
            rows.append(run(REPO, graph, True, {}))
            rows.append(run(REPO, graph, True, {"max_nodes": 100_000}))
    print(f"Conditions: {conditions()}\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
