"""``draw_dot``: a Value's computation graph as a Graphviz diagram.

How to read a diagram
---------------------
* A box per Value: its name (its ``label``, else the engine's ``n0``, ``n1`` ... as in
  ``explain()``), ``data`` and ``grad`` to four decimals. A small ellipse per op feeds it;
  the edges into the ellipse come from the op's inputs, in input order. An n-ary ``sum``
  is one ``Σ`` ellipse.
* Fill colour is the gradient: red where ``grad > 0``, blue where ``grad < 0``, white at
  0. The strength grows with ``sqrt(|grad| / scale)``, where ``scale`` is the largest
  ``|grad|`` in the graph (or ``grad_scale``): the strongest colour marks the Value that
  moves the output most per unit change, and any nonzero grad shows a tint.
* Leaves by kind: an *input* has rounded corners; a *parameter* (a
  ``micrograd_nn.nn.Parameter``, or one of ``params=``) has a thick green border; a
  *constant* (a number written in the expression) is dashed, grey and shows no grad.
* ``highlight=node`` draws that node, its op and the edges its gradient flows back along in
  orange: the step backward is at.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from micrograd_nn import Constant, Parameter, Value, topological_order
from micrograd_nn.engine import format_number, node_names

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_dot", "check_graph_size", "dot_ids", "format_number", "grad_colour",
           "largest_grad", "DEFAULT_MAX_NODES"]

DEFAULT_MAX_NODES = 1000
# Past this many nodes the error says "more than ..." instead of counting on.
_COUNT_CAP = 100_000
_RANKDIRS = ("LR", "RL", "TB", "BT")

# Full-strength fills (ColorBrewer RdBu ends, softened so black text stays readable).
_POSITIVE_RGB = (222, 110, 90)
_NEGATIVE_RGB = (90, 155, 210)
_MIN_TINT = 0.1
_NAN_FILL = "#bbbbbb"
_HIGHLIGHT = "#ff8c00"
_PARAM_BORDER = "#1b7837"
_CONSTANT_GREY = "#777777"


def draw_dot(root: Value, rankdir: str = "LR", show_grad: bool = True,
             max_nodes: int = DEFAULT_MAX_NODES, params: Iterable[Value] | None = None,
             highlight: Value | None = None, grad_scale: float | None = None,
             legend: bool = False) -> graphviz.Digraph:
    """The graph ``root`` was computed from, as a ``graphviz.Digraph`` (shows inline in Jupyter).

    The module docstring says how to read it. ``rankdir`` is Graphviz's layout direction
    (``'LR'`` left to right, ``'TB'`` top to bottom ...). ``show_grad=False`` leaves out
    grads and colours. ``params`` marks these Values as parameters, besides any
    ``micrograd_nn.nn.Parameter``. ``grad_scale`` is the ``|grad|`` that gets the strongest
    colour (default: the largest in the graph; fix it to compare several diagrams).
    ``legend=True`` adds a key to the diagram.

    Raises ValueError when the graph has more than ``max_nodes`` Values: Graphviz takes
    minutes over tens of thousands of nodes and the result is unreadable. Node names come
    from graph positions, so the same graph always gives the same DOT text. Needs the
    ``graphviz`` Python package (ImportError saying how to install it); displaying or
    rendering the result needs Graphviz's ``dot`` (:class:`DotNotFoundError` if missing).
    """
    from .diagram import Diagram  # imports graphviz, which the rest of viz does not need

    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__} {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    check_graph_size(root, max_nodes)
    order = topological_order(root, leaves=True)
    ids = dot_ids(order)
    if highlight is not None and highlight not in ids:
        raise ValueError(f"highlight={highlight!r} is not a node of this graph")
    names = node_names(root)
    param_set = _parameter_set(params)
    if grad_scale is None:
        grad_scale = largest_grad(order)

    dot = Diagram("micrograd_nn", graph_attr={"rankdir": rankdir},
                  node_attr={"fontname": "Helvetica", "fontsize": "11"})
    vertical = rankdir in ("LR", "RL")  # record fields stack across the rank direction
    for node in order:
        kind = _kind(node, param_set)
        attrs = _value_attrs(kind, node.grad, grad_scale if show_grad else None)
        if node is highlight:
            attrs.update(color=_HIGHLIGHT, penwidth="4", **{"class": "highlight"})
        label = _record(node, names[node], kind, show_grad, vertical)
        dot.node(ids[node], label, id=ids[node], **attrs)
        if node.inputs:
            _draw_op(dot, node, ids, node is highlight)
    if legend:
        _draw_legend(dot, grad_scale if show_grad else None)
    return dot


def dot_ids(order: list[Value]) -> dict[Value, str]:
    """DOT node names (also the SVG element ids) for ``topological_order(root, leaves=True)``:
    ``v<k>`` by position, so they are the same on every run; an op's ellipse is ``v<k>_op``."""
    return {node: f"v{k}" for k, node in enumerate(order)}


def check_graph_size(root: Value, max_nodes: int) -> None:
    """ValueError unless ``root``'s graph has at most ``max_nodes`` Values (leaves included).

    Counts no further than ``max(max_nodes, 100,000)``, so it is quick on any graph; the
    error says how many nodes there are (or that there are more than that)."""
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"max_nodes must be an int, got {type(max_nodes).__name__} {max_nodes!r}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1, got {max_nodes!r}")
    cap = max(max_nodes, _COUNT_CAP)
    count = _count_nodes(root, cap)
    if count <= max_nodes:
        return
    size, enough = (f"{count:,}", f"max_nodes={count}") if count <= cap else (
        f"more than {cap:,}", "a larger max_nodes")
    raise ValueError(
        f"the graph has {size} nodes and max_nodes={max_nodes:,}: too many to draw "
        f"readably (Graphviz also slows to minutes). Draw a subgraph instead (call it on an "
        f"intermediate Value, e.g. one neuron's output, or on a smaller model), or raise the "
        f"limit with {enough}.")


def _count_nodes(root: Value, cap: int) -> int:
    """Number of Values in the graph, or cap + 1 as soon as it passes ``cap``."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop().inputs:
            if child not in seen:
                seen.add(child)
                if len(seen) > cap:
                    return cap + 1
                stack.append(child)
    return len(seen)


def _parameter_set(params: Iterable[Value] | None) -> set[Value]:
    chosen = set(params) if params is not None else set()
    for p in chosen:
        if not isinstance(p, Value):
            raise TypeError(f"params must hold Values, got {type(p).__name__} {p!r}")
    return chosen


def _kind(node: Value, params: set[Value]) -> str:
    if node.inputs:
        return "op"
    if isinstance(node, Constant):
        return "constant"
    if node in params or isinstance(node, Parameter):
        return "parameter"
    return "input"


def largest_grad(nodes: Iterable[Value]) -> float:
    """The largest finite ``|grad|`` among ``nodes``, constants left out (0.0 if none)."""
    grads = [abs(n.grad) for n in nodes if not isinstance(n, Constant) and math.isfinite(n.grad)]
    return max(grads, default=0.0)


def _escape(text: str) -> str:
    """Text safe inside a Graphviz record label (these characters are record syntax)."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


def _record(node: Value, name: str, kind: str, show_grad: bool, vertical: bool) -> str:
    fields = [] if kind == "constant" and not node.label else [_escape(name)]
    fields.append(f"data {format_number(node.data)}")
    if show_grad and kind != "constant":
        fields.append(f"grad {format_number(node.grad)}")
    body = " | ".join(fields)
    return "{ " + body + " }" if vertical else body


def _value_attrs(kind: str, grad: float, scale: float | None) -> dict[str, str]:
    attrs = {"shape": "record", "style": "filled", "fillcolor": "white"}
    if kind == "constant":
        attrs.update(style="dashed,filled", color=_CONSTANT_GREY, fontcolor=_CONSTANT_GREY)
        return attrs
    if scale is not None:
        attrs["fillcolor"] = grad_colour(grad, scale)
    if kind == "input":
        attrs["style"] = "rounded,filled"
    elif kind == "parameter":
        attrs.update(color=_PARAM_BORDER, penwidth="3")
    return attrs


def grad_colour(grad: float, scale: float) -> str:
    """Fill for a node with this grad: white at 0, else red (> 0) or blue (< 0), stronger
    with sqrt(|grad| / scale); full strength at ``|grad| >= scale``, grey for NaN."""
    if math.isnan(grad):
        return _NAN_FILL
    if grad == 0.0 or scale <= 0.0:
        return "#ffffff"
    # sqrt, and a floor for any nonzero grad: small grads stay visible next to a big one.
    strength = _MIN_TINT + (1.0 - _MIN_TINT) * math.sqrt(min(1.0, abs(grad) / scale))
    end = _POSITIVE_RGB if grad > 0 else _NEGATIVE_RGB
    rgb = (round(255 + (c - 255) * strength) for c in end)
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _draw_op(dot: graphviz.Digraph, node: Value, ids: dict[Value, str], current: bool) -> None:
    op = ids[node] + "_op"
    label = "Σ" if node.op == "sum" else node.op
    attrs = {"shape": "ellipse", "margin": "0.02,0.02", "height": "0.3"}
    if current:
        attrs.update(style="filled", fillcolor="#ffd699", color=_HIGHLIGHT, penwidth="3")
    dot.node(op, label, id=op, **attrs)
    # The current step sends grad back along these edges: draw them like the node.
    edge = {"color": _HIGHLIGHT, "penwidth": "2.5"} if current else {}
    for inp in node.inputs:
        dot.edge(ids[inp], op, **edge)
    dot.edge(op, ids[node], **edge)


def _draw_legend(dot: graphviz.Digraph, scale: float | None) -> None:
    rows = [("rounded box", "input"), ("thick green border", "parameter"),
            ("dashed grey box", "constant"), ("ellipse", "op")]
    if scale is not None:
        rows += [("red fill", "grad &gt; 0"), ("blue fill", "grad &lt; 0"),
                 ("full strength", f"|grad| = {format_number(scale)}")]
    cells = "".join(f"<TR><TD ALIGN='LEFT'>{a}</TD><TD ALIGN='LEFT'>{b}</TD></TR>"
                    for a, b in rows)
    table = f"<<TABLE BORDER='0' CELLBORDER='0' CELLSPACING='2'>{cells}</TABLE>>"
    dot.node("legend", table, shape="note", fontsize="9", color=_CONSTANT_GREY)
