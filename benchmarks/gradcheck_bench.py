"""gradcheck fast mode vs the full check on the moons demo model's loss (337 parameters).

    python benchmarks/gradcheck_bench.py [--repeats 3] [--samples 100]

Prints its conditions (Python, platform, model, samples, directions), then for each mode
the wall time of each repeat (min / median), the number of loss evaluations, and the
ratio. Standalone: needs only micrograd_nn.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time

from micrograd_nn import MLP, Value, gradcheck


def moons(n: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles with noise (as scikit-learn's make_moons, noise 0.1)."""
    import math

    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1.0)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1), 0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1.0)
    return X, y


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--directions", type=int, default=3)
    args = parser.parse_args()
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    X, y = moons(args.samples)
    calls = [0]

    def loss(*ps: Value) -> Value:
        calls[0] += 1
        scores = [model(x) for x in X]
        hinge = Value.sum([(1 + -yi * s).relu() for yi, s in zip(y, scores)]) * (1 / len(X))
        return hinge + 1e-4 * Value.sum([p * p for p in params])

    print(f"python {sys.version.split()[0]} ({platform.python_implementation()}), "
          f"{platform.machine()}, {platform.system()}")
    print(f"model MLP(2, [16, 16, 1], seed=1337): {len(params)} parameters; moons "
          f"{args.samples} samples, hinge loss + 1e-4 L2; {args.repeats} repeats; "
          f"fast mode: {args.directions} directions")
    times: dict[str, list[float]] = {}
    evals: dict[str, int] = {}
    for mode in ("fast", "full"):
        times[mode] = []
        for _ in range(args.repeats):
            calls[0] = 0
            start = time.perf_counter()
            ok = gradcheck(loss, params, fast=mode == "fast", directions=args.directions)
            times[mode].append(time.perf_counter() - start)
            evals[mode] = calls[0]
            assert ok
        t = times[mode]
        print(f"{mode}: {min(t):.2f} s min, {statistics.median(t):.2f} s median "
              f"({', '.join(f'{x:.2f}' for x in t)}); {evals[mode]} loss evaluations")
    ratio = statistics.median(times["full"]) / statistics.median(times["fast"])
    print(f"full / fast (medians): {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
