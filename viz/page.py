"""``step_page`` / ``backward_html``: one self-contained web page that plays forward, then
backward, one op at a time.

The graph is laid out once (one ``dot`` run) and embedded as one SVG; every step is a few
numbers and strings in a JSON block (the node, its equation and chain-rule lines, the grads
it changes and their fill colours), which a small script (:mod:`viz.page_assets`) applies to
the SVG. So the page grows with the number of nodes and steps, not with their product.
"""

from __future__ import annotations

import html
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from micrograd_nn import Constant, Parameter, Value
from micrograd_nn.text import equation, node_names, with_numbers

from .dot import DEFAULT_MAX_NODES, draw_dot, drawn_order, format_number, grad_colour
from .errors import require_graphviz
from .page_assets import SCRIPT, STYLE
from .render import run_dot

__all__ = ["step_page", "backward_html", "step_data", "TIME_LIMIT"]

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
    zoom buttons; each step pans so its node stays in view.

    Self-contained (inline SVG, style, script and data), so it works from ``file://`` and
    in an iframe's ``srcdoc``. Ids for scripts and tests: ``#player`` carries
    ``data-step``, ``data-phase``, ``data-node`` (the engine's name for the step's node)
    and ``data-node-id`` (its SVG id, the ``g.node.current``).

    Zeroes the grads, then leaves them as ``root.backward()`` from zero would.
    ``draw_options`` go to :func:`viz.draw_dot` (``collapse`` excepted: every node must be
    drawn to be stepped through). Raises ValueError past ``max_nodes`` Values, or when the
    page would take more than ``time_limit`` seconds (Graphviz is stopped then), saying
    what to draw instead. Needs Graphviz's ``dot``.
    """
    if draw_options.get("collapse") is not None:
        raise ValueError("the step-through page draws every node, so it takes no collapse=; "
                         "draw a collapsed diagram with viz.draw_dot(root, collapse=...)")
    require_graphviz()  # fail before backward runs, not after
    deadline = time.monotonic() + time_limit
    order = drawn_order(root, max_nodes)
    data = step_data(root, order)
    svg = _layout(root, order, data.pop("widest"), max_nodes, deadline, draw_options)
    return _page(root, svg, data)


def step_data(root: Value, order: list[Value]) -> dict[str, Any]:
    """What the page's script needs, by node index in ``order``
    (``topological_order(root, leaves=True)``): names, inputs, the forward steps
    ``[node, equation, numbers]``, the backward steps ``[node, equation, lines, passed,
    changes]`` where each change is ``[node, 'grad …', fill]``, and the leaves' final grads.

    Runs backward step by step from zeroed grads. ``'widest'`` (popped by the caller) holds
    each node's widest grad text, so the one layout fits every step."""
    index = {node: k for k, node in enumerate(order)}
    names = node_names(root)
    backward, grads = _backward_steps(root, index)
    scale = max((abs(g) for g in grads.final if abs(g) != float("inf")), default=0.0)
    for step in backward:  # colours need the final scale, known only now
        step[4] = [[k, f"grad {format_number(g)}", grad_colour(g, scale)] for k, g in step[4]]
    # Inputs first (step 0 shows them), then parameters, then constants.
    leaves = sorted((n for n in order if not n.inputs),
                    key=lambda n: (isinstance(n, Constant), isinstance(n, Parameter)))
    return {
        "root": names[root],
        "names": [names[n] for n in order],
        "inputs": [[index[i] for i in n.inputs] for n in order],
        "first": index[leaves[0]],
        "leaves": [f"{names[n]} = {format_number(n.data)}" for n in leaves],
        "forward": [[index[n], *_forward_text(n, names)] for n in order if n.inputs],
        "backward": backward,
        "done": [f"{names[n]}.grad = {format_number(n.grad)}" for n in leaves
                 if not isinstance(n, Constant)],
        "widest": grads.widest,
    }


class _Grads:
    """Each node's grad after the last step, and the grad with the widest text it shows."""

    def __init__(self, order_size: int) -> None:
        self.final = [0.0] * order_size
        self.widest = [0.0] * order_size

    def update(self, k: int, grad: float) -> None:
        self.final[k] = grad
        if len(format_number(grad)) > len(format_number(self.widest[k])):
            self.widest[k] = grad


def _backward_steps(root: Value, index: dict[Value, int]) -> tuple[list[list[Any]], _Grads]:
    """The backward steps as page data (changes still ``[node, grad]``), from zero grads."""
    root.zero_grad()
    grads = _Grads(len(index))
    steps: list[list[Any]] = []
    for step in root.backward_steps():
        changed = [step.node] if not steps else []  # the first step seeds the root's grad
        changed += [inp for inp, passed in zip(step.inputs, step.passed)
                    if passed and not isinstance(inp, Constant)]
        changes = []
        for node in dict.fromkeys(changed):
            grads.update(index[node], node.grad)
            changes.append([index[node], node.grad])
        steps.append([index[step.node], step.equation(), step.lines(),
                      "".join("1" if p else "0" for p in step.passed), changes])
    return steps, grads


def _forward_text(node: Value, names: dict[Value, str]) -> tuple[str, str]:
    """``('h = x * w', '= 2.0000 * -3.0000 = -6.0000')`` for one op node."""
    return equation(node, names), f"= {with_numbers(node)} = {format_number(node.data)}"


def _layout(root: Value, order: list[Value], widest: list[float], max_nodes: int,
            deadline: float, draw_options: dict[str, Any]) -> str:
    """The one SVG: drawn with each node's widest grad text, so every step's text fits."""
    final = [n.grad for n in order]
    for node, grad in zip(order, widest):
        node.grad = grad
    try:
        graph = draw_dot(root, max_nodes=max_nodes, **draw_options)
    finally:
        for node, grad in zip(order, final):
            node.grad = grad
    try:
        svg = run_dot(graph.source, "svg", max(1.0, deadline - time.monotonic()))
    except TimeoutError:
        raise ValueError(
            f"Graphviz did not lay out this graph of {len(order):,} nodes in the page's "
            f"time_limit. Step through a subgraph (call it on an intermediate Value, such as "
            f"one neuron's output, or on one sample), draw the whole graph collapsed with "
            f"viz.draw_dot(root, collapse='neuron'), or allow more time with "
            f"time_limit=...") from None
    return _inline_svg(svg.decode("utf-8"))


def _inline_svg(svg: str) -> str:
    """``dot``'s SVG ready to sit in HTML: no XML prolog or comments (a third of its
    size on a big graph), ids unchanged (there is one SVG per page)."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def _json_script(data: dict[str, Any]) -> str:
    """``data`` as JSON that is safe inside ``<script>``: no ``</`` can close it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def _page(root: Value, svg: str, data: dict[str, Any]) -> str:
    last = len(data["forward"]) + len(data["backward"])
    title = html.escape(f"Forward and backward through {data['root']} = "
                        f"{format_number(root.data)}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<nav>
<button id="prev" type="button" title="Previous step (←)">&#9664; Prev</button>
<button id="play" type="button" title="Play or pause (space)">&#9654; Play</button>
<button id="next" type="button" title="Next step (→)">Next &#9654;</button>
<input id="slider" type="range" min="0" max="{last}" value="0" aria-label="Step">
<span id="step-counter">Step 0 / {last}</span>
<label>Speed <select id="speed" aria-label="Steps per second">
<option value="1">1/s</option><option value="2">2/s</option><option value="5" selected>5/s</option>
<option value="10">10/s</option><option value="30">30/s</option></select></label>
<span class="keys">← → Home End · space plays · click a node to jump · wheel zooms,
drag pans</span>
</nav>
</header>
<noscript><p>Stepping needs scripts, which are off: only the graph is shown.</p></noscript>
<main id="player" data-step="0" data-total="{last}" data-phase="forward" data-node=""
 data-node-id="">
<div id="diagram">
<div id="zoom-buttons"><button id="zoom-in" type="button" title="Zoom in">+</button>
<button id="zoom-out" type="button" title="Zoom out">&#8722;</button>
<button id="zoom-1" type="button" title="Actual size">1:1</button>
<button id="zoom-fit" type="button" title="Whole graph">Fit</button></div>
{svg}
</div>
<aside>
<p id="phase"></p>
<p id="equation"></p>
<pre id="lines"></pre>
<p id="note"></p>
<p class="legend">Forward: faded nodes are not computed yet. Backward: the orange node's grad
is final; red fill is grad &gt; 0, blue grad &lt; 0, stronger for larger |grad|. Rounded
boxes are inputs, thick green borders parameters, dashed boxes constants; grey frames
group a neuron's nodes and a layer's neurons.</p>
</aside>
</main>
<script type="application/json" id="steps-data">{_json_script(data)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
