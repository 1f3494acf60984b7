"""Draw backprop: a neuron and MLPs as diagrams, and pages that play forward, then backward.

    python examples/draw_graph.py            # writes out/*.svg and out/*.html
    python examples/draw_graph.py --json     # the same, then one JSON object of the paths
    python examples/draw_graph.py --docs     # also regenerates the committed docs/graph.svg

Diagrams: the neuron; a 2-3-1 MLP with each neuron and layer framed; a 2-16-16-1 MLP with
each neuron collapsed into one box. Pages: open ``out/backward.html`` in a browser and press
Play (or →) to watch values flow forward and gradients flow back one op at a time;
``out/backward_mlp.html`` does it for the 2-3-1 MLP, ``out/backward_mlp_16.html`` for the
2-16-16-1 one (742 steps). Needs the ``graphviz`` Python package and Graphviz's ``dot``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from micrograd_nn import MLP, Parameter, Value, viz

DOCS_SVG = Path(__file__).resolve().parent.parent / "docs" / "graph.svg"


def seed_neuron() -> Value:
    """Seed 002's neuron, o = sigmoid(w1*x1 + w2*x2 + b) at x = [2, 3], w = [0, 1], b = 4.

    The weighted sum is 7, so o = σ(7) = 0.9991. The weights and bias are Parameters,
    which diagrams draw apart from the inputs."""
    x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
    w1, w2, b = Parameter(0.0, "w1"), Parameter(1.0, "w2"), Parameter(4.0, "b")
    n = Value.sum([(w1 * x1).named("w1x1"), (w2 * x2).named("w2x2"), b]).named("n")
    return n.sigmoid().named("o")


def mlp_loss(sizes: tuple[int, ...] = (3, 1)) -> Value:
    """Squared error of a tanh MLP (2 inputs, then ``sizes``; seeded weights) on x = [2, 3]
    with target 1."""
    model = MLP(2, list(sizes), seed=2)
    x = [Value(2.0, "x1"), Value(3.0, "x2")]
    y = model(x).named("y")
    return ((y - 1.0) ** 2).named("loss")


def write_all(out: Path, docs: bool) -> dict[str, str]:
    """Write the diagrams and pages into ``out`` (and docs/graph.svg if ``docs``); their paths."""
    neuron, loss, big = seed_neuron(), mlp_loss(), mlp_loss((16, 16, 1))
    for root in (neuron, loss, big):
        root.backward()
    paths = {
        "neuron_svg": viz.render(neuron, out / "neuron.svg", legend=True),
        "mlp_svg": viz.render(loss, out / "mlp.svg", legend=True),
        "mlp_collapsed_svg": viz.render(big, out / "mlp_16_collapsed.svg", collapse="neuron"),
    }
    if docs:
        paths["docs_svg"] = viz.render(neuron, DOCS_SVG, legend=True)
    # Each page zeroes the grads and runs backward again, step by step, to record it.
    paths["page"] = viz.backward_html(neuron, out / "backward.html")
    paths["mlp_page"] = viz.backward_html(loss, out / "backward_mlp.html")
    paths["big_page"] = viz.backward_html(big, out / "backward_mlp_16.html")
    return {name: str(path) for name, path in paths.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the example; returns the exit status (1 if Graphviz's ``dot`` is missing)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"),
                        help="directory for the diagrams and pages (default: out)")
    parser.add_argument("--json", action="store_true", help="print one JSON object of paths")
    parser.add_argument("--docs", action="store_true",
                        help=f"also regenerate {DOCS_SVG.parent.name}/{DOCS_SVG.name}")
    args = parser.parse_args(argv)
    try:
        paths = write_all(args.out, args.docs)
    except viz.DotNotFoundError as exc:
        print(f"draw_graph: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(paths, indent=2))
        return 0
    print(f"seed 002 neuron (after backward): {paths['neuron_svg']}")
    print(f"2-3-1 MLP squared error, neurons and layers framed: {paths['mlp_svg']}")
    print(f"2-16-16-1 MLP, one box per neuron: {paths['mlp_collapsed_svg']}")
    print(f"step through forward and backward: open {paths['page']} (the MLPs: "
          f"{paths['mlp_page']}, {paths['big_page']})")
    if args.docs:
        print(f"docs diagram: {paths['docs_svg']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
