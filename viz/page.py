"""``step_page`` / ``backward_html``: one self-contained web page that plays forward, then
backward, one op at a time.

The graph is walked once and laid out once (one ``dot`` run) and embedded as one SVG; every
step is a few named fields in a JSON block (the node, its equation and chain-rule lines,
the grads it changes and their fill colours), which the page's script applies to the SVG.
So the page grows with the number of nodes and steps, not with their product.

The page's HTML, style sheet and script are files of the package (``assets/page.html``,
``page.css``, ``page.js``), inlined into each page, so a page is one file that works from
``file://`` and in an iframe's ``srcdoc``.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from micrograd_nn import Constant, Parameter, Value
from micrograd_nn.steps import backward_steps
from micrograd_nn.text import equation, format_number, node_names, with_numbers

from .dot import DEFAULT_MAX_NODES, draw_order, drawn_order, grad_colour, largest_grad, widest_grads
from .errors import require_graphviz
from .render import run_dot

__all__ = ["step_page", "backward_html", "step_data", "asset", "TIME_LIMIT"]

# Graphviz's layout is the one part whose time is not linear in the graph: it is stopped
# when the page has taken this many seconds, with a ValueError saying what to draw instead.
TIME_LIMIT = 45.0


def backward_html(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write :func:`step_page`'s page for ``root`` to ``path`` (its directory is created)
    and return the path. Open it in any browser, from ``file://``: it needs no network."""
    page = step_page(root, **options)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def step_page(root: Value, max_nodes: int = DEFAULT_MAX_NODES,
              time_limit: float = TIME_LIMIT, **draw_options: Any) -> str:
    """One HTML page (as text) that plays ``root``'s forward pass, then its backward pass.

    Step 0 shows the leaves; each forward step computes one op node (its value appears,
    its equation with numbers beside the diagram); then each backward step is one
    ``root.backward_steps()`` step (the node in orange, the edges its grad flows back
    along, every grad so far coloured as :func:`viz.draw_dot` colours it, the chain-rule
    lines beside the diagram). Controls: a step slider, Previous/Next, ← →, Home/End,
    Play/Pause (space) with a speed, a click on a node (jumps to the step that computes
    it while in the forward pass; in the backward pass to the step that passes its grad
    on, for a leaf the last step that adds to its grad), the mouse wheel, drag and the
    zoom buttons; each step pans so its node stays in view. The page opens on the whole
    graph when that shows its text at 9 CSS pixels or more, else at 1:1 on the first input
    and the ops that read it.

    Self-contained (inline SVG, style, script and data), so it works from ``file://`` and
    in an iframe's ``srcdoc``. Ids for scripts and tests: ``#player`` carries
    ``data-step``, ``data-phase``, ``data-node`` (the engine's name for the step's node)
    and ``data-node-id`` (its SVG id, the ``g.node.current``).

    Zeroes the grads, then leaves them as ``root.backward()`` from zero would.
    ``draw_options`` go to :func:`viz.draw_dot` (``collapse`` excepted: every node must be
    drawn to be stepped through), and ``compact`` (default True here: each box stacks its
    name, data and grad, see :func:`viz.dot.draw_order`). Walks the graph once, besides
    the backward pass's own walk for its order, and writes no grad but backward's.
    Raises ValueError past ``max_nodes`` Values, or when the page would take more than
    ``time_limit`` seconds (Graphviz is stopped then), saying what to draw instead. Needs
    Graphviz's ``dot``.
    """
    if draw_options.get("collapse") is not None:
        raise ValueError("the step-through page draws every node, so it takes no collapse=; "
                         "draw a collapsed diagram with viz.draw_dot(root, collapse=...)")
    require_graphviz()  # fail before backward runs, not after
    deadline = time.monotonic() + time_limit
    order = drawn_order(root, max_nodes)  # the page's one walk of the graph
    walked = _Walked(root, order)
    svg = _layout(walked, deadline, draw_options)
    return _page(root, svg, walked.data)


def step_data(root: Value, order: list[Value]) -> dict[str, Any]:
    """What the page's script reads, nodes by index in ``order``
    (``topological_order(root, leaves=True)``; ``viz/assets/page.js`` lists the fields):
    ``names``, ``inputs``, ``forward`` steps ``{node, equation, numbers}``, ``backward``
    steps ``{node, equation, lines, passed, changes}`` where each change is
    ``{node, grad: 'grad …', fill}``, the ``leaves`` and their final grads (``done``).

    Runs backward step by step from zeroed grads (``root.backward_steps()``), leaving the
    grads as ``root.backward()`` from zero would."""
    return _Walked(root, order).data


class _Walked:
    """The page's data from one walk (``order``) and one backward pass: ``data`` for the
    script, the node ``names`` and each node's ``widest`` grad (the one layout fits every
    step with it)."""

    def __init__(self, root: Value, order: list[Value]) -> None:
        self.order = order
        index = {node: k for k, node in enumerate(order)}
        for node in order:  # backward from zero, as the page shows it
            node.grad = 0.0
        backward: list[dict[str, Any]] = []
        changes: list[list[tuple[int, float]]] = []
        self.names = node_names(root, order)  # from the page's one walk
        for step in backward_steps(root, self.names):
            changed = [step.node] if not backward else []  # the first step seeds the root
            changed += [inp for inp, passed in zip(step.inputs, step.passed)
                        if passed and not isinstance(inp, Constant)]
            changes.append([(index[n], n.grad) for n in dict.fromkeys(changed)])
            backward.append({"node": index[step.node], "equation": step.equation(),
                             "lines": step.lines(), "passed": list(step.passed)})
        scale = largest_grad(order)  # the final grads': as viz.draw_dot colours them
        for step_changes, row in zip(changes, backward):  # colours need the final scale
            row["changes"] = [{"node": k, "grad": f"grad {format_number(g)}",
                               "fill": grad_colour(g, scale)} for k, g in step_changes]
        self.widest = widest_grads(len(order), (c for step in changes for c in step))
        self.data = self._data(root, index, backward)

    def _data(self, root: Value, index: dict[Value, int],
              backward: list[dict[str, Any]]) -> dict[str, Any]:
        names, order = self.names, self.order
        # Inputs first (step 0 shows them), then parameters, then constants.
        leaves = sorted((n for n in order if not n.inputs),
                        key=lambda n: (isinstance(n, Constant), isinstance(n, Parameter)))
        return {
            "root": names[root],
            "names": [names[n] for n in order],
            "inputs": [[index[i] for i in n.inputs] for n in order],
            "first": index[leaves[0]],
            "leaves": [f"{names[n]} = {format_number(n.data)}" for n in leaves],
            "forward": [{"node": index[n], "equation": equation(n, names),
                         "numbers": f"= {with_numbers(n)} = {format_number(n.data)}"}
                        for n in order if n.inputs],
            "backward": backward,
            "done": [f"{names[n]}.grad = {format_number(n.grad)}" for n in leaves
                     if not isinstance(n, Constant)],
        }


def _layout(walked: _Walked, deadline: float, draw_options: dict[str, Any]) -> str:
    """The one SVG: drawn with each node's widest grad text, so every step's text fits."""
    options = {"compact": True, **draw_options}
    graph = draw_order(walked.order, walked.names, grads=walked.widest, **options)
    try:
        svg = run_dot(graph.source, "svg", max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        raise ValueError(
            f"Graphviz did not lay out this graph of {len(walked.order):,} nodes in the "
            f"page's time_limit. Step through a subgraph (call it on an intermediate Value, "
            f"such as one neuron's output, or on one sample), draw the whole graph collapsed "
            f"with viz.draw_dot(root, collapse='neuron'), or allow more time with "
            f"time_limit=...") from None
    return _inline_svg(svg.decode("utf-8"))


def _inline_svg(svg: str) -> str:
    """``dot``'s SVG ready to sit in HTML: no XML prolog or comments (a third of its
    size on a big graph), ids unchanged (there is one SVG per page)."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


# In a <script> block the HTML parser looks for "</script" and "<!--" in the JSON text;
# JSON allows any character in a string as a \\u escape, so these never appear literally.
# U+2028 and U+2029 are escaped too: some older JavaScript parsers end a line at them.
_SCRIPT_SAFE = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                0x2028: "\\u2028", 0x2029: "\\u2029"}


def _json_script(data: dict[str, Any]) -> str:
    """``data`` as JSON that is safe inside ``<script>``: no ``</script>``, ``<!--`` or
    line separator can appear in it, and ``JSON.parse`` gives back exactly ``data``."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE)


@cache
def asset(name: str) -> str:
    """The text of one of the page's files in the package's ``assets`` folder
    (``'page.html'``, ``'page.css'``, ``'page.js'``)."""
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _page(root: Value, svg: str, data: dict[str, Any]) -> str:
    """The page: ``assets/page.html`` with its ``{{...}}`` slots filled in one pass (so
    nothing filled in is read as a slot)."""
    last = len(data["forward"]) + len(data["backward"])
    title = html.escape(f"Forward and backward through {data['root']} = "
                        f"{format_number(root.data)}")
    slots = {"title": title, "last": str(last), "style": asset("page.css"), "svg": svg,
             "data": _json_script(data), "script": asset("page.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: slots[m.group(1)], asset("page.html"))
