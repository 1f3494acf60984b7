"""``backward_html``: one self-contained web page that plays backward step by step."""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from micrograd_nn import BackwardStep, Constant, Value, topological_order
from micrograd_nn.engine import node_names

from .dot import DEFAULT_MAX_NODES, check_graph_size, dot_ids, format_number
from .frames import frame_graphs
from .render import pipe

__all__ = ["backward_html"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem;
       color: #222; background: #fff; }
h1 { font-size: 1.3rem; margin: 0 0 .4rem; }
p.how { margin: 0 0 1rem; max-width: 60rem; color: #444; }
nav { display: flex; align-items: center; gap: 1rem; margin-bottom: 1rem; }
nav button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
#step-counter { font-weight: 600; min-width: 7rem; text-align: center; }
.keys { color: #666; font-size: .9rem; }
.diagram { overflow-x: auto; border: 1px solid #ddd; padding: .5rem; }
.diagram svg { max-width: 100%; height: auto; }
#player.actual .diagram svg { max-width: none; }
.explain h2 { font-size: 1.05rem; margin: 1rem 0 .3rem; }
.explain pre { background: #f6f6f6; padding: .6rem .8rem; overflow-x: auto; font-size: .95rem; }
"""

# Shows one frame at a time; the player's data attributes mirror the visible frame's.
_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var player = document.getElementById('player');
  var counter = document.getElementById('step-counter');
  var prev = document.getElementById('prev');
  var next = document.getElementById('next');
  var zoom = document.getElementById('zoom');
  var last = frames.length - 1;
  var current = 0;
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    frames[current].hidden = true;
    frames[k].hidden = false;
    current = k;
    player.dataset.step = String(k);
    player.dataset.node = frames[k].dataset.node;
    player.dataset.nodeId = frames[k].dataset.nodeId;
    counter.textContent = 'Step ' + k + ' / ' + last;
    prev.disabled = k === 0;
    next.disabled = k === last;
    var mark = frames[k].querySelector('g.highlight');
    if (mark && player.classList.contains('actual')) {
      mark.scrollIntoView({block: 'nearest', inline: 'center'});
    }
  }
  zoom.addEventListener('click', function () {
    var actual = player.classList.toggle('actual');
    zoom.textContent = actual ? 'Fit to width' : 'Actual size';
    show(current);
  });
  prev.addEventListener('click', function () { show(current - 1); });
  next.addEventListener('click', function () { show(current + 1); });
  document.addEventListener('keydown', function (e) {
    var moves = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: last};
    if (e.key in moves) { e.preventDefault(); show(moves[e.key]); }
  });
  show(0);
})();
"""


def backward_html(root: Value, path: str | os.PathLike[str], **draw_options: Any) -> Path:
    """Write one HTML page that plays ``root``'s backward pass, and return its path.

    Previous/Next buttons (or the arrow keys) move between step 0 (before backward) and
    the last step; each shows the diagram with the step's node in orange and the grads as
    they are just after it, and under it the chain rule with numbers (``str(step)``). The
    page is self-contained (inline SVG, CSS and script; no network, works from
    ``file://``). Ids for scripts and tests: ``#step-counter``; ``#player`` has
    ``data-step``, ``data-node`` (the engine's name for the step's node) and
    ``data-node-id`` (its DOT/SVG id, the visible SVG's ``g.node.highlight``).

    Like :func:`viz.backward_frames`, zeroes the grads first and leaves them as
    ``root.backward()`` from zero would; ``draw_options`` go to :func:`viz.draw_dot`.
    Creates ``path``'s directory if needed. Needs Graphviz's ``dot``.
    """
    path = Path(path)
    check_graph_size(root, draw_options.get("max_nodes", DEFAULT_MAX_NODES))  # before walking
    ids = dot_ids(topological_order(root, leaves=True))
    names = node_names(root)
    shots = [(step, pipe(graph, "svg").decode("utf-8"))
             for step, graph in frame_graphs(root, **draw_options)]
    frames = []
    for k, (step, svg) in enumerate(shots):
        node = step.node if step is not None else None
        text = _explain(step) + (_result(root, names) if k == len(shots) - 1 else "")
        frames.append(_frame(k, _inline_svg(svg, f"s{k}-"), text,
                             names[node] if node is not None else "",
                             ids[node] if node is not None else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(root, names[root], frames), encoding="utf-8")
    return path


def _inline_svg(svg: str, prefix: str) -> str:
    """``dot``'s SVG ready to sit in HTML: no XML prolog, ids made unique to the frame."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r'\bid="', f'id="{prefix}', svg)


def _frame(k: int, svg: str, text: str, name: str, node_id: str) -> str:
    attrs = f'data-step="{k}" data-node="{html.escape(name)}" data-node-id="{node_id}"'
    hidden = "" if k == 0 else " hidden"
    return (f'<section class="frame" id="frame-{k}" {attrs}{hidden}>\n'
            f'<div class="diagram">{svg}</div>\n<div class="explain">{text}</div>\n'
            f'</section>\n')


def _explain(step: BackwardStep | None) -> str:
    if step is None:
        return ("<h2>Before backward</h2><p>Every grad is 0. Step 1 starts at the output: "
                "its grad is set to 1 (d out / d out) and passed to its inputs.</p>")
    node = html.escape(step.names[step.node])
    upstream = format_number(step.upstream)
    return (f"<h2>{html.escape(step.equation())}</h2>"
            f"<p>{node}.grad = {upstream} is complete (every path from the output has added "
            f"to it), so the chain rule passes it on: each input's grad gets "
            f"local derivative × {node}.grad.</p>"
            f"<pre>{html.escape(chr(10).join(step.lines()))}</pre>")


def _result(root: Value, names: dict[Value, str]) -> str:
    leaves = [n for n in topological_order(root, leaves=True)
              if not n.inputs and not isinstance(n, Constant)]
    rows = "\n".join(f"{names[n]}.grad = {format_number(n.grad)}" for n in leaves)
    return (f"<h2>Done: the leaves' grads, d {html.escape(names[root])} / d leaf</h2>"
            f"<pre>{html.escape(rows)}</pre>")


def _page(root: Value, root_name: str, frames: list[str]) -> str:
    last = len(frames) - 1
    title = html.escape(f"Backward through {root_name} = {format_number(root.data)}")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{title}</h1>
<p class="how">Backward visits each op once, output first. At each step the orange node's
grad is final, and the chain rule adds <em>local derivative × that grad</em> to each of its
inputs (orange edges). Red fill: grad &gt; 0, blue: grad &lt; 0, stronger for larger |grad|.
Rounded boxes are inputs, thick green borders parameters, dashed boxes constants.</p>
<nav>
<button id="prev" type="button">&#9664; Previous</button>
<span id="step-counter">Step 0 / {last}</span>
<button id="next" type="button">Next &#9654;</button>
<span class="keys">or the &#8592; &#8594; keys</span>
<button id="zoom" type="button">Actual size</button>
</nav>
<noscript><p>Scripts are off: only step 0 is shown.</p></noscript>
<main id="player" data-step="0" data-total="{last}" data-node="" data-node-id="">
{"".join(frames)}</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""
