"""``python -m micrograd_nn``: a short tour of backpropagation.

1. One neuron, o = tanh(x1*w1 + x2*w2 + b), built from Values.
2. Its backward pass, one op at a time, as the chain rule with numbers.
3. The gradients, checked against finite differences.
"""

from __future__ import annotations

import sys

from . import Value, gradcheck


def neuron() -> tuple[Value, list[Value]]:
    """The tour's expression: a tanh neuron with two inputs (as in upstream micrograd)."""
    x1 = Value(2.0, "x1")
    x2 = Value(0.0, "x2")
    w1 = Value(-3.0, "w1")
    w2 = Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = (x1 * w1).named("x1w1") + (x2 * w2).named("x2w2")
    o = (n.named("s") + b).named("n").tanh().named("o")
    return o, [x1, x2, w1, w2, b]


def main(argv: list[str] | None = None) -> int:
    """Print the tour; returns the exit status."""
    out = sys.stdout
    print("micrograd_nn tour: see backpropagation, one op at a time\n", file=out)
    o, leaves = neuron()
    print("1. Forward: o = tanh(x1*w1 + x2*w2 + b)", file=out)
    for v in leaves:
        print(f"   {v.label:>3} = {v.data:.4f}", file=out)
    print(f"   o = {o.data:.4f}\n", file=out)

    print("2. Backward, step by step (each line is the chain rule: input.grad += local * upstream)",
          file=out)
    for step in o.backward_steps():
        print("   " + str(step).replace("\n", "\n   "), file=out)
    print(file=out)

    print("3. Gradients of o", file=out)
    for v in leaves:
        print(f"   do/d{v.label} = {v.grad:+.4f}", file=out)
    ok = gradcheck(lambda *xs: neuron_from(*xs), [Value(v.data, v.label) for v in leaves])
    print(f"   finite-difference check (gradcheck): {'passed' if ok else 'FAILED'}", file=out)
    return 0


def neuron_from(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """The same neuron as :func:`neuron` over given leaves (for gradcheck)."""
    return (x1 * w1 + x2 * w2 + b).tanh()


if __name__ == "__main__":
    sys.exit(main())
