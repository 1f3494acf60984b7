"""``backward_frames``: one diagram per step of backward, grads filled in as they arrive."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd_nn import BackwardStep, Value, topological_order
from micrograd_nn.text import format_number

from .dot import DEFAULT_MAX_NODES, check_graph_size, dot_ids, draw_dot, largest_grad
from .errors import require_graphviz
from .render import FORMATS, pipe

if TYPE_CHECKING:
    import graphviz

__all__ = ["backward_frames", "frame_graphs"]


def frame_graphs(root: Value, max_nodes: int = DEFAULT_MAX_NODES,
                 **draw_options: Any) -> Iterator[tuple[BackwardStep | None, graphviz.Digraph]]:
    """``(None, diagram before backward)``, then ``(step, diagram just after it)`` for each
    step of ``root.backward_steps()``, the step's node highlighted.

    Zeroes every grad in the graph first (``root.zero_grad()``), so the first diagram
    shows all grads at 0; when the generator is exhausted the grads are what
    ``root.backward()`` gives from zero. Every frame has the same layout (each box is
    sized for the widest grad it will show) and the same colour scale (the largest final
    ``|grad|``), so frames can be compared. ``draw_options`` go to :func:`viz.draw_dot`.
    Runs ``dot`` once to size the boxes.
    """
    require_graphviz()  # fail before backward runs, not after
    check_graph_size(root, max_nodes)  # before walking or stepping through a huge graph
    order = topological_order(root, leaves=True)
    steps, snapshots = _record_backward(root, order)
    final = _grads(order)
    options = dict(draw_options, max_nodes=max_nodes, grad_scale=largest_grad(order))
    sizes = _box_sizes(root, order, snapshots, options)
    for step, grads in zip([None, *steps], snapshots):
        _set_grads(order, grads)
        graph = draw_dot(root, highlight=step.node if step is not None else None, **options)
        for name, (width, height) in sizes.items():
            # A repeated node statement adds attributes: fix each box's size.
            graph.node(name, width=width, height=height, fixedsize="true")
        yield step, graph
    _set_grads(order, final)


def _grads(order: list[Value]) -> tuple[float, ...]:
    return tuple(n.grad for n in order)


def _set_grads(order: list[Value], grads: tuple[float, ...]) -> None:
    for node, grad in zip(order, grads):
        node.grad = grad


def _record_backward(root: Value, order: list[Value]) -> tuple[list[BackwardStep],
                                                                list[tuple[float, ...]]]:
    """Run ``backward_steps`` from zeroed grads; the steps and every node's grad
    (in ``order``) before the first step and after each."""
    root.zero_grad()
    snapshots = [_grads(order)]
    steps = []
    for step in root.backward_steps():
        steps.append(step)
        snapshots.append(_grads(order))
    return steps, snapshots


def _box_sizes(root: Value, order: list[Value], snapshots: list[tuple[float, ...]],
               options: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Width and height (inches, as ``dot`` prints them) of each Value's box when it shows
    its longest grad text of all the frames."""
    before = _grads(order)
    for k, node in enumerate(order):
        node.grad = max((grads[k] for grads in snapshots), key=lambda g: len(format_number(g)))
    plain = pipe(draw_dot(root, **options), "plain").decode("utf-8")
    _set_grads(order, before)
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
