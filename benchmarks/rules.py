"""Each written-out rule (an op's own ``_backward``) against the generic rule
``Op._backward``, which applies the op's ``derivatives``: nanoseconds per call, so which
ops keep a written-out rule rests on a figure.

    python -m benchmarks --rules

The ops measured are those in ``micrograd_nn.OPS`` whose class writes its rule out; each
is called on 20,000 nodes over the same two leaves, best of 7, with the collector paused.
"""

from __future__ import annotations

import gc
import inspect
import platform
import sys
import time
from typing import Any

N = 20_000


def nodes(cls: Any) -> list[Any]:
    """``N`` nodes of op class ``cls`` over the leaves 0.7 and 1.3, each with grad 1."""
    from micrograd_nn import Value

    x, y = Value(0.7), Value(1.3)
    if cls.__name__ == "Sum":
        out = [Value.sum([x, y] * 8) for _ in range(N)]
    elif cls.__name__ == "PowConst":
        out = [x ** 2 for _ in range(N)]
    else:
        arity = len(inspect.signature(cls.forward).parameters)
        make = getattr(x, cls.method)
        out = [make(y) if arity == 2 else make() for _ in range(N)]
    if not all(type(node) is cls for node in out):
        raise RuntimeError(f"benchmarks --rules: {cls.method} did not make {cls.__name__} nodes")
    for node in out:
        node.grad = 1.0
    return out


def per_call(rule: Any, ns: list[Any]) -> float:
    """Nanoseconds per call of ``rule(node)`` over ``ns``, best of 7."""
    best = float("inf")
    for _ in range(7):
        t = time.perf_counter()
        for node in ns:
            rule(node)
        best = min(best, time.perf_counter() - t)
    return best / len(ns) * 1e9


def main() -> int:
    """Print the table: op, written-out ns, generic ns, their ratio."""
    from micrograd_nn import OPS
    from micrograd_nn.engine import Op

    gc.disable()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {N} nodes per "
          "op, best of 7, ns per call; written-out rule vs Op._backward")
    print(f"{'op':10s} {'written':>9s} {'generic':>9s} {'ratio':>6s}")
    for name, cls in OPS.items():
        if cls._backward is Op._backward:
            continue
        ns = nodes(cls)
        a = per_call(cls._backward, ns)
        b = per_call(Op._backward, ns)
        print(f"{name:10s} {a:9.0f} {b:9.0f} {b / a:6.1f}")
    sys.stdout.flush()
    gc.enable()
    return 0
