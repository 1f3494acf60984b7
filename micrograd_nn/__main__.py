"""python -m micrograd_nn: a short tour of backpropagation.

1. One neuron, o = tanh(x1*w1 + x2*w2 + b), built from Values.
2. Its backward pass, one op at a time, as the chain rule with numbers.
3. The gradients, checked against finite differences.
4. A small network trained on two moons for 30 epochs, a progress line every 5.
5. A page that plays step 2 in the browser (when the viz extra and Graphviz are there).
"""
# Plain text, no reStructuredText: this docstring is also what --help prints.

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import TextIO

from . import MLP, Adam, Value, evaluate, fit, gradcheck
from .train import two_moons

PAGE = Path("out") / "tour_backward.html"
EPOCHS, LOG_EVERY = 30, 5  # what part 4 of the docstring says (tests/test_main.py holds it)


def neuron_from(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """The tour's expression over given leaves, with every intermediate labelled."""
    x1w1 = (x1 * w1).named("x1w1")
    x2w2 = (x2 * w2).named("x2w2")
    n = (x1w1 + x2w2).named("s") + b
    return n.named("n").tanh().named("o")


def leaves() -> list[Value]:
    """The neuron's inputs and parameters (the values upstream micrograd's tour uses)."""
    return [Value(2.0, "x1"), Value(0.0, "x2"), Value(-3.0, "w1"), Value(1.0, "w2"),
            Value(6.8813735870195432, "b")]


def backprop_demo(out: TextIO) -> Value:
    """Parts 1-3: forward, backward step by step, the grads and their gradcheck."""
    xs = leaves()
    o = neuron_from(*xs)
    print("1. Forward: o = tanh(x1*w1 + x2*w2 + b)", file=out)
    for v in xs:
        print(f"   {v.label:>3} = {v.data:.4f}", file=out)
    print(f"     o = {o.data:.4f}\n", file=out)

    print("2. Backward, one op at a time: input.grad += (local derivative) * (node's grad)",
          file=out)
    for step in o.backward_steps():
        print("   " + str(step).replace("\n", "\n   "), file=out)

    print("\n3. The gradients of o", file=out)
    for v in xs:
        print(f"   do/d{v.label:<3} = {v.grad:+.4f}", file=out)
    ok = gradcheck(neuron_from, leaves(), raise_exception=False)
    print(f"   finite-difference check (gradcheck): {'passed' if ok else 'FAILED'}\n", file=out)
    return o


def train_demo(out: TextIO) -> float:
    """Part 4: MLP(2, [8, 1]) on 100 two-moons points, binary cross-entropy, Adam."""
    X, y = two_moons(100, noise=0.1, seed=0)
    model = MLP(2, [8, 1], activation="tanh", output_activation="sigmoid", seed=0)
    print("4. Training MLP(2, [8, 1]) on 100 two-moons points (binary cross-entropy, Adam)",
          file=out)
    model.summary(file=out)
    fit(model, X, y, loss="bce", optimizer=Adam(model.parameters(), lr=0.05), epochs=EPOCHS,
        batch_size=10, seed=0, verbose=2, log_every=LOG_EVERY, file=out)
    acc: float = evaluate(model, X, y, loss="bce")["accuracy"]
    print(f"   training accuracy {acc:.2f}\n", file=out)
    return acc


def page_demo(o: Value, path: Path, out: TextIO) -> Path | None:
    """Part 5: write the step-through page for the neuron, or say what is missing."""
    # Imported here, as the rest of the tour needs only the engine; by name, because mypy
    # checks the source tree, where viz/ sits beside micrograd_nn/ (setup.cfg maps it in).
    viz = importlib.import_module("micrograd_nn.viz")
    try:
        written: Path = viz.backward_html(o, path)
    except ImportError as err:  # the graphviz Python package; err says how to install it
        print(f"5. The step-through page needs the viz extra. {err}", file=out)
        return None
    except viz.DotNotFoundError as err:
        print(f"5. The step-through page needs Graphviz. {err}", file=out)
        return None
    print(f"5. Open {written.resolve()} in a browser and press Play (or → for one step)",
          file=out)
    print("   to watch the forward pass, then the backward pass above, one op at a time.",
          file=out)
    return written


def main(argv: list[str] | None = None) -> int:
    """Run the tour; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m micrograd_nn", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--page", type=Path, default=PAGE,
                        help=f"where to write the step-through page (default: {PAGE})")
    args = parser.parse_args(argv)
    out = sys.stdout
    print("micrograd_nn tour: see backpropagation, one op at a time\n", file=out)
    o = backprop_demo(out)
    train_demo(out)
    page_demo(o, args.page, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
