"""``backward_frames``: one diagram per step of backward, grads filled in as they arrive."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd_nn import BackwardStep, Value
from micrograd_nn.steps import backward_steps
from micrograd_nn.text import node_names

from .dot import DEFAULT_MAX_NODES, dot_ids, draw_order, drawn_order, largest_grad, widest_grads
from .errors import require_graphviz
from .render import FORMATS, pipe

if TYPE_CHECKING:
    import graphviz

__all__ = ["backward_frames", "frame_graphs"]


def frame_graphs(root: Value, max_nodes: int = DEFAULT_MAX_NODES,
                 **draw_options: Any) -> Iterator[tuple[BackwardStep | None, graphviz.Digraph]]:
    """``(None, diagram before backward)``, then ``(step, diagram just after it)`` for each
    step of ``root.backward_steps()``, the step's node highlighted.

    Zeroes every grad in the graph first, so the first diagram shows all grads at 0; the
    grads are then what ``root.backward()`` gives from zero (backward runs in full before
    the first diagram is made). Every frame has the same layout (each box is sized for the
    widest grad it will show) and the same colour scale (the largest final ``|grad|``), so
    frames can be compared. ``draw_options`` go to :func:`viz.draw_dot`. Walks the graph
    once (besides the backward pass's own walk for its order), runs ``dot`` once to size the boxes,
    and writes no grad but backward's own.
    """
    require_graphviz()  # fail before backward runs, not after
    order = drawn_order(root, max_nodes)  # refuses a huge graph before stepping through it
    names = node_names(root, order)
    steps, snapshots = _record_backward(root, order, names)
    options = dict(draw_options, grad_scale=largest_grad(order, snapshots[-1]))
    widest = widest_grads(len(order), (kg for grads in snapshots for kg in enumerate(grads)))
    sizes = _box_sizes(order, names, widest, options)
    for step, grads in zip([None, *steps], snapshots):
        graph = draw_order(order, names, highlight=step.node if step is not None else None,
                           grads=grads, **options)
        for name, (width, height) in sizes.items():
            # A repeated node statement adds attributes: fix each box's size.
            graph.node(name, width=width, height=height, fixedsize="true")
        yield step, graph


def _record_backward(root: Value, order: list[Value], names: dict[Value, str]
                     ) -> tuple[list[BackwardStep], list[tuple[float, ...]]]:
    """Run ``backward_steps`` from zeroed grads; the steps and every node's grad
    (in ``order``) before the first step and after each."""
    for node in order:
        node.grad = 0.0
    snapshots = [(0.0,) * len(order)]
    steps = []
    for step in backward_steps(root, names):
        steps.append(step)
        snapshots.append(tuple(n.grad for n in order))
    return steps, snapshots


def _box_sizes(order: list[Value], names: dict[Value, str], widest: list[float],
               options: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Width and height (inches, as ``dot`` prints them) of each Value's box when it shows
    its longest grad text of all the frames."""
    plain = pipe(draw_order(order, names, grads=widest, **options), "plain").decode("utf-8")
    boxes = set(dot_ids(order).values())
    sizes = {}
    for line in plain.splitlines():
        fields = line.split()  # node <name> <x> <y> <width> <height> <label> ...
        if fields[:1] == ["node"] and fields[1] in boxes:
            sizes[fields[1]] = (fields[4], fields[5])
    return sizes


def backward_frames(root: Value, outdir: str | os.PathLike[str], format: str = "svg",
                    **draw_options: Any) -> list[Path]:
    """Render backward as a film strip: ``step_000`` (before backward, every grad 0), then
    one file per step with that step's node highlighted and the grads as they are just
    after it. Returns the paths in order (steps + 1 of them).

    Files are named ``step_<k>.<format>`` in ``outdir`` (created if missing; existing
    files of those names are replaced, nothing else is touched). ``format`` is ``'svg'``,
    ``'png'`` or ``'pdf'``; other keywords go to :func:`viz.draw_dot`. Leaves the grads
    as ``root.backward()`` from zero would. Needs Graphviz's ``dot``.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    outdir = Path(outdir)
    graphs = [graph for _, graph in frame_graphs(root, **draw_options)]
    width = max(3, len(str(len(graphs) - 1)))
    paths = []
    for k, graph in enumerate(graphs):
        path = outdir / f"step_{k:0{width}d}.{format}"
        path.write_bytes(pipe(graph, format, path))
        paths.append(path)
    return paths
