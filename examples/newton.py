"""Newton's method with derivatives of derivatives, and a small network's Hessian.

1. The root of x^3 - 2x - 5 (Newton's own example, 1669): x <- x - f(x)/f'(x), with f' from
   ``grad``. The known root is 2.0945514815423265.
2. The minimum of e^x - 2x: x <- x - h'(x)/h''(x), with h' from ``grad(...,
   create_graph=True)`` and h'' from ``grad`` of that. The known minimum is at ln 2.
3. The diagram of a first derivative: d/dx tanh(w*x + b) is itself a graph of ops.
4. The 9x9 Hessian of a 2-2-1 tanh network's squared error with respect to its weights,
   checked against central differences of its gradient.

    python examples/newton.py [--json] [--out DIR]   # the diagram goes to DIR (default out/)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

from micrograd_nn import Value, grad, gradgradcheck, hessian, topological_order

ROOT_EXPECTED = 2.0945514815423265
POINTS = [([0.5, -1.0], 1.0), ([-0.3, 0.8], -1.0), ([1.2, 0.4], 0.5)]
WEIGHTS = [0.3, -0.7, 0.5, 0.9, 0.1, -0.4, 1.1, -0.6, 0.2]  # w11 w12 b1 w21 w22 b2 v1 v2 c


def newton_root(x: float, out: TextIO, tol: float = 1e-15) -> tuple[float, int]:
    """Newton's iteration for x^3 - 2x - 5 = 0 from ``x``; the root and the steps taken."""
    for step in range(1, 50):
        v = Value(x, "x")
        f = v ** 3 - 2.0 * v - 5.0
        (slope,) = grad(f, v)
        x_next = x - f.data / slope.data
        print(f"  step {step}: x = {x_next!r:<22} f(x) = {f.data:+.3e}", file=out)
        if abs(x_next - x) <= tol * abs(x_next):
            return x_next, step
        x = x_next
    raise RuntimeError("Newton's method did not converge")


def newton_minimum(x: float, out: TextIO, tol: float = 1e-15) -> tuple[float, int]:
    """Newton's iteration on h'(x) = 0 for h(x) = e^x - 2x, h'' by differentiating h'."""
    for step in range(1, 50):
        v = Value(x, "x")
        (first,) = grad(v.exp() - 2.0 * v, v, create_graph=True)  # h' as a graph
        (second,) = grad(first, v)  # and its derivative
        x_next = x - first.data / second.data
        print(f"  step {step}: x = {x_next!r:<22} h'(x) = {first.data:+.3e}  "
              f"h''(x) = {second.data:.6f}", file=out)
        if abs(x_next - x) <= tol * abs(x_next):
            return x_next, step
        x = x_next
    raise RuntimeError("Newton's method did not converge")


def draw_first_derivative(directory: Path, out: TextIO) -> str | None:
    """Write the graph of d/dx tanh(w*x + b) to ``directory``; its path, or None without
    Graphviz."""
    x, w, b = Value(0.5, "x"), Value(-1.5, "w"), Value(0.3, "b")
    y = (w * x + b).tanh().named("y")
    (dy_dx,) = grad(y, x, create_graph=True)
    dy_dx.named("dy/dx")
    nodes = len(topological_order(dy_dx, leaves=True))
    print(f"  dy/dx = (1 - y*y) * w = {dy_dx.data:.6f}, a graph of {nodes} nodes", file=out)
    try:
        from micrograd_nn import viz

        path = viz.render(dy_dx, directory / "first_derivative.svg")
    except (ImportError, RuntimeError) as e:  # no graphviz package, or no dot program
        print(f"  (diagram skipped: {str(e).splitlines()[0]})", file=out)
        return None
    print(f"  diagram: {path}", file=out)
    return str(path)


def network_loss(*p: Value) -> Value:
    """Squared error of a 2-2-1 tanh network with weights ``p`` (see WEIGHTS) on POINTS."""
    total: Value | float = 0.0
    for (x1, x2), target in POINTS:
        h1 = (p[0] * x1 + p[1] * x2 + p[2]).tanh()
        h2 = (p[3] * x1 + p[4] * x2 + p[5]).tanh()
        total = total + (p[6] * h1 + p[7] * h2 + p[8] - target) ** 2
    assert isinstance(total, Value)
    return total


def hessian_error(h: list[list[float]], eps: float = 1e-6) -> float:
    """Largest |H - central differences of the gradient| over all entries."""
    worst = 0.0
    for j in range(len(WEIGHTS)):
        sides = []
        for step in (eps, -eps):
            p = [Value(w + (step if k == j else 0.0)) for k, w in enumerate(WEIGHTS)]
            sides.append([g.data for g in grad(network_loss(*p), p)])
        for i, (plus, minus) in enumerate(zip(*sides)):
            worst = max(worst, abs(h[i][j] - (plus - minus) / (2 * eps)))
    return worst


def run(out: TextIO, directory: Path) -> dict[str, Any]:
    """All four parts; the figures as a dict."""
    print("Root of x^3 - 2x - 5 from x = 2 (f' by grad):", file=out)
    root, root_steps = newton_root(2.0, out)
    print(f"  root {root!r}, known {ROOT_EXPECTED!r}\n", file=out)
    print("Minimum of e^x - 2x from x = 2 (h' and h'' by grad twice):", file=out)
    minimum, min_steps = newton_minimum(2.0, out)
    print(f"  minimum at {minimum!r}, known ln 2 = {math.log(2.0)!r}\n", file=out)
    print("The first derivative is a graph too:", file=out)
    diagram = draw_first_derivative(directory, out)
    h = hessian(network_loss, WEIGHTS)
    error = hessian_error(h)
    asymmetry = max(abs(h[i][j] - h[j][i]) for i in range(9) for j in range(9))
    passed = gradgradcheck(network_loss, WEIGHTS)
    print(f"\nHessian of a 2-2-1 tanh network's loss ({len(h)}x{len(h)}), diagonal:", file=out)
    print("  " + " ".join(f"{h[i][i]:.4f}" for i in range(len(h))), file=out)
    print(f"  largest difference from finite differences {error:.2e}; "
          f"asymmetry {asymmetry:.1e}; gradgradcheck: {passed}", file=out)
    return {"root": root, "root_expected": ROOT_EXPECTED, "root_iterations": root_steps,
            "minimum": minimum, "minimum_expected": math.log(2.0),
            "minimum_iterations": min_steps, "diagram": diagram, "parameters": len(WEIGHTS),
            "hessian": h, "hessian_max_error": error, "hessian_asymmetry": asymmetry,
            "gradgradcheck": passed}


def main(argv: list[str] | None = None) -> None:
    """Parse ``--json`` and ``--out`` and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object on stdout; the account "
                             "goes to stderr")
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="directory for the diagram (default: out, as the other examples; "
                             "made if missing)")
    args = parser.parse_args(argv)
    directory = args.out
    out = sys.stderr if args.json else sys.stdout
    result = run(out, directory)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
