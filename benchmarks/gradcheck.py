"""The cost of checking gradients: ``micrograd_nn.gradcheck(f, params)`` on upstream's demo
model (MLP 2-16-16-1, ReLU, mean hinge loss + 1e-4 · Σ p² over the two-moons points, 337
parameters), and, where the installed gradcheck takes ``fast=True``, that too, alternating.

    python -m benchmarks --gradcheck [--repeats N]

:func:`gradcheck_workload` is the measurement (a dict of CPU times and verdicts, for other
code to use); :func:`main` prints it with its conditions.
"""

from __future__ import annotations

import gc
import inspect
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from . import workloads as w


def demo_loss_function(points: int) -> tuple[Callable[..., Any], list[Any]]:
    """``f(*params)`` computing the demo's loss from the given parameters, and the demo
    model's parameters (upstream's order, from the shared seed) to check it at."""
    from micrograd_nn import Value

    xs, ys = w.two_moons(points)
    weights = w.initial_weights(w.DEMO_SIZES)
    params = w.parameters(w.build_model(Value, weights))
    shape = [[len(ws) for ws, _ in layer] for layer in weights]

    def f(*ps: Any) -> Any:
        it = iter(ps)
        model = [[([next(it) for _ in range(n)], next(it)) for n in layer] for layer in shape]
        return w.hinge_loss(Value, model, xs, ys, w.DEMO_ALPHA)

    return f, params


def takes_fast() -> bool:
    """Whether the installed ``micrograd_nn.gradcheck`` has a ``fast`` parameter."""
    from micrograd_nn import gradcheck

    return "fast" in inspect.signature(gradcheck).parameters


def gradcheck_workload(points: int = w.DEMO_POINTS, repeats: int = 3) -> dict[str, Any]:
    """CPU seconds of ``gradcheck(f, params)`` (and ``fast=True`` where it exists) on the
    demo loss over ``points`` points, ``repeats`` times alternating; each variant's
    verdict (a correct engine passes) and the loss's node count."""
    from micrograd_nn import gradcheck

    f, params = demo_loss_function(points)
    variants: dict[str, dict[str, Any]] = {"gradcheck(f, params)": {}}
    if takes_fast():
        variants["gradcheck(f, params, fast=True)"] = {"fast": True}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    verdicts: dict[str, bool] = {}
    for r in range(repeats):
        for name in list(variants) if r % 2 == 0 else list(variants)[::-1]:
            gc.collect()
            t0 = time.process_time()
            verdicts[name] = gradcheck(f, params, raise_exception=False, **variants[name])
            samples[name].append(time.process_time() - t0)
    return {"points": points, "parameters": len(params), "nodes": w.count_nodes(f(*params)),
            "repeats": repeats, "seconds": samples, "passed": verdicts}


def main(repeats: int) -> int:
    """Print the workload's figures with their conditions; exit 1 if a check failed."""
    out = gradcheck_workload(repeats=repeats)
    print(f"{platform.python_implementation()} {platform.python_version()}, default gc, load "
          f"average {os.getloadavg()[0]:.2f}; demo loss ({out['points']} points, "
          f"{out['nodes']:,} nodes, {out['parameters']} parameters); CPU time "
          f"(process_time), {out['repeats']} alternating runs")
    for name, ts in out["seconds"].items():
        print(f"  {name:34s} median {statistics.median(ts):6.2f} s (runs {min(ts):.2f}–"
              f"{max(ts):.2f} s), {'passed' if out['passed'][name] else 'FAILED'}")
    if len(out["seconds"]) == 2:
        slow, fast = (statistics.median(ts) for ts in out["seconds"].values())
        print(f"  plain ÷ fast: {slow / fast:.1f}× (medians)")
    else:
        print("  fast=True: not in this tree's gradcheck")
    return 0 if all(out["passed"].values()) else 1
