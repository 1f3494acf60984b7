"""First-order speed with higher derivatives in the package: ``backward()`` against
``micrograd_nn.grad(loss, params)`` (floats, ``create_graph=False``) on the demo step's graph.

Both walk the same graph with the same rules; ``grad`` keeps its adjoints in a dict instead
of the nodes' ``grad``. The graph is built once per sample, outside the timer.

    python benchmarks/grad_bench.py [--repeats 9]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import (  # noqa: E402
    DEMO_ALPHA,
    DEMO_SIZES,
    build_model,
    hinge_loss,
    initial_weights,
    parameters,
    two_moons,
)

from micrograd_nn import Value, grad  # noqa: E402


def main() -> None:
    """Alternate the two, CPU time of the backward pass only, and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    X, y = two_moons(100)
    model = build_model(Value, initial_weights(DEMO_SIZES))
    params = parameters(model)
    times: dict[str, list[float]] = {"backward()": [], "grad(loss, params)": []}
    for r in range(args.repeats):
        for name in list(times) if r % 2 == 0 else list(times)[::-1]:
            loss = hinge_loss(Value, model, X, y, DEMO_ALPHA)
            gc.collect()
            t0 = time.process_time()
            if name == "backward()":
                loss.backward()
            else:
                grad(loss, params)
            times[name].append(time.process_time() - t0)
            del loss
    print(f"{sys.implementation.name} {sys.version.split()[0]}; demo step graph, 65,818 "
          f"nodes; CPU time of the backward pass alone, {args.repeats} alternating repeats")
    for name, ts in times.items():
        print(f"  {name:20s} median {statistics.median(ts) * 1e3:6.1f} ms "
              f"(min {min(ts) * 1e3:.1f}, max {max(ts) * 1e3:.1f})")


if __name__ == "__main__":
    main()
