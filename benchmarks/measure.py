"""One run: every figure measured in this process (a child of ``bench.py``), returned as
one JSON-ready document with the conditions it ran under."""

from __future__ import annotations

import platform
from typing import Any

import chains
import upstream
from harness import conditions, heap_objects, load_average
from inference import measure_inference
from steps import measure_step
from workloads import DEMO_ALPHA, DEMO_SIZES

from micrograd_nn import Value

# Sizes per mode. Graph-size rows: MLP 2-W-W-1 on 16 points, about 32·W² nodes, so W=16,
# 64, 256 span 1e4 to 2e6 nodes; the largest takes upstream half a minute a step (--big).
FULL = {"points": 100, "size_points": 16, "widths": [16, 64], "big_width": 256,
        "memory_nodes": 200_000, "depth": (1_000_000, 100_000), "upstream_depth": 100_000,
        "repeats": 5}
QUICK = {"points": 10, "size_points": 4, "widths": [4, 8], "big_width": 16,
         "memory_nodes": 20_000, "depth": (20_000, 2_000), "upstream_depth": 10_000,
         "repeats": 1}
# A JIT needs warm-up steps before its speed is steady; CPython needs one (caches, heap).
WARMUP = 5 if platform.python_implementation() == "PyPy" else 1


def measure(plan: dict[str, Any], repeats: int, big: bool, figures: str) -> dict[str, Any]:
    """The ``figures`` of ``plan``: "all", "steps" (training steps) or "demo" (its step)."""
    value_cls, note = upstream.load()
    doc: dict[str, Any] = {"conditions": conditions(), "upstream": note}
    warmup = 1 if plan is QUICK else WARMUP
    steps = {"demo": measure_step(DEMO_SIZES, plan["points"], DEMO_ALPHA, repeats, warmup,
                                  value_cls)}
    widths = [] if figures == "demo" else plan["widths"] + ([plan["big_width"]] if big else [])
    for w in widths:
        # the 2M-node step is slow for upstream: at most 3 timed steps
        reps = min(repeats, 3) if w == plan["big_width"] else repeats
        steps[f"width {w}"] = measure_step([2, w, w, 1], plan["size_points"], 0.0, reps,
                                           warmup, value_cls)
    doc["steps"] = steps
    if figures == "all":
        doc |= _other_figures(plan, repeats, value_cls)
    doc["conditions_after"] = {"heap_objects": heap_objects(), "load_average": load_average()}
    return doc


def _other_figures(plan: dict[str, Any], repeats: int, value_cls: Any) -> dict[str, Any]:
    memory = {"micrograd_nn": chains.measure_memory(Value, plan["memory_nodes"])}
    big, small = plan["depth"]
    depth = chains.measure_depth(big, small, repeats)
    if value_cls is not None:
        memory[upstream.NAME] = chains.measure_memory(value_cls, plan["memory_nodes"])
        depth["upstream"] = chains.upstream_depth(value_cls, plan["upstream_depth"])
    return {"memory": memory, "depth": depth,
            "inference": measure_inference(plan["points"], repeats)}

