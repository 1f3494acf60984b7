"""Each hand-written rule (an op's ``_backward``) against the generic rule ``Op._backward``
(which calls ``derivatives`` through ``local_derivatives``): time per call, so the choice of
which ops keep a written-out rule rests on a figure. Run: python benchmarks/rule_bench.py"""

from __future__ import annotations

import gc
import platform
import sys
import time

from micrograd_nn import Value
from micrograd_nn.value import OPS, Op

N = 20_000


def nodes(name: str) -> list[Value]:
    x, y = Value(0.7), Value(1.3)
    make = {
        "Add": lambda: x + y, "Sub": lambda: x - y, "Mul": lambda: x * y, "Div": lambda: x / y,
        "Neg": lambda: -x, "PowConst": lambda: x ** 2, "Exp": x.exp, "Log": x.log,
        "Tanh": x.tanh, "Sigmoid": x.sigmoid, "ReLU": x.relu,
        "Sum": lambda: Value.sum([x, y] * 8),
    }[name]
    out = [make() for _ in range(N)]
    for node in out:
        node.grad = 1.0
    return out


def per_call(rule, ns: list[Value]) -> float:
    best = float("inf")
    for _ in range(7):
        t = time.perf_counter()
        for node in ns:
            rule(node)
        best = min(best, time.perf_counter() - t)
    return best / len(ns) * 1e9


def main() -> None:
    gc.disable()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {N} nodes per "
          f"op, best of 7, ns per call; written-out rule vs Op._backward")
    print(f"{'op':10s} {'written':>9s} {'generic':>9s} {'ratio':>6s}")
    for name in ("Add", "Sub", "Mul", "Div", "Neg", "PowConst", "Exp", "Log", "Tanh",
                 "Sigmoid", "ReLU", "Sum"):
        cls = OPS[name]
        if cls._backward is Op._backward:
            continue
        ns = nodes(name)
        a = per_call(cls._backward, ns)
        b = per_call(Op._backward, ns)
        print(f"{name:10s} {a:9.0f} {b:9.0f} {b / a:6.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
