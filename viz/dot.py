"""``draw_dot``: a Value's computation graph as a Graphviz diagram.

How to read a diagram
---------------------
* A box per Value: its name (its ``label``, else the engine's name by op and position,
  such as ``mul#3``, as in ``explain()``), ``data`` and ``grad`` to four decimals. A small
  ellipse per op feeds it; the edges into the ellipse come from the op's inputs, in input
  order. An n-ary ``sum`` is one ``Σ`` ellipse.
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
import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from micrograd_nn import Constant, Parameter, Value, topological_order
from micrograd_nn.text import format_number, node_names

from .groups import COLLAPSE_LEVELS, layer_of, module_groups

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_dot", "draw_order", "check_graph_size", "dot_ids", "grad_colour",
           "largest_grad", "widest_grads", "drawn_order", "value_box", "DEFAULT_MAX_NODES"]

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
_CLUSTER_GREY = "#8a8a8a"
# An edge from a node read by more than _FAN_OUT ops (a layer's activation, read by every
# neuron of the next layer: 256 edges between two 16-wide layers, which Graphviz routes
# through one channel), or into a neuron that reads more than _FAN_OUT other neurons (16
# edges into a 2-16-16-1 MLP's output neuron), is drawn thin and light grey, so
# the bundle reads as a light band (under which the page's orange edge of the current step
# stands out), not a black bar. Opaque: translucent edges that overlap add up to black.
_FAN_OUT = 4
_BUNDLE_EDGE = {"color": "#c4c4c4", "penwidth": "0.6", "arrowsize": "0.5"}


def draw_dot(root: Value, rankdir: str = "LR", show_grad: bool = True,
             max_nodes: int = DEFAULT_MAX_NODES, params: Iterable[Value] | None = None,
             highlight: Value | None = None, grad_scale: float | None = None,
             legend: bool = False, clusters: bool = True,
             collapse: str | None = None) -> graphviz.Digraph:
    """The graph ``root`` was computed from, as a ``graphviz.Digraph`` (shows inline in Jupyter).

    The module docstring says how to read it. ``rankdir`` is Graphviz's layout direction
    (``'LR'`` left to right, ``'TB'`` top to bottom ...). ``show_grad=False`` leaves out
    grads and colours. ``params`` marks these Values as parameters, besides any
    ``micrograd_nn.nn.Parameter``. ``grad_scale`` is the ``|grad|`` that gets the strongest
    colour (default: the largest in the graph; fix it to compare several diagrams).
    ``legend=True`` adds a key to the diagram.

    Nodes a ``Neuron``/``Layer``/``MLP`` computed are drawn inside a box per neuron, inside
    a box per layer, each with its name (``clusters=False`` leaves the boxes out; a graph
    built by hand has none). ``collapse='neuron'`` draws each neuron as one box (its name,
    activation, output data and grad), ``collapse='layer'`` each layer: a 2-16-16-1 MLP then
    reads at a glance.

    Raises ValueError when the diagram would have more than ``max_nodes`` boxes (Values,
    or with ``collapse`` the boxes left): Graphviz takes minutes over tens of thousands of
    nodes and the result is unreadable. Node names come from graph positions, so the same
    graph always gives the same DOT text. Needs the ``graphviz`` Python package
    (ImportError saying how to install it); displaying or rendering the result needs
    Graphviz's ``dot`` (:class:`DotNotFoundError` if missing).
    """
    _check_arguments(root, rankdir, collapse)
    order = drawn_order(root, max_nodes, collapse)
    return draw_order(order, node_names(root, order), rankdir=rankdir, show_grad=show_grad,
                      params=params, highlight=highlight, grad_scale=grad_scale,
                      legend=legend, clusters=clusters, collapse=collapse)


def draw_order(order: list[Value], names: dict[Value, str], rankdir: str = "LR",
               show_grad: bool = True, params: Iterable[Value] | None = None,
               highlight: Value | None = None, grad_scale: float | None = None,
               legend: bool = False, clusters: bool = True, collapse: str | None = None,
               grads: Sequence[float] | None = None,
               compact: bool = False) -> graphviz.Digraph:
    """:func:`draw_dot`'s diagram from a graph already walked: ``order`` is
    ``drawn_order(root, ...)`` and ``names`` ``node_names(root)``, so a caller that has them
    (the step page, the frames) walks the graph once. ``grads`` (one per node of ``order``)
    are the grads to show instead of the nodes' own: nothing is written to a node.
    ``compact=True`` stacks each box's name, data and grad on three lines and draws op
    ellipses and the gaps between ranks smaller, which keeps a left-to-right graph narrow
    enough to read whole on a screen (the step page draws that way)."""
    from .diagram import Diagram  # imports graphviz, which the rest of viz does not need

    _check_arguments(order[-1], rankdir, collapse)
    ids = dot_ids(order)
    if highlight is not None and highlight not in ids:
        raise ValueError(f"highlight={highlight!r} is not a node of this graph")
    if grads is not None and len(grads) != len(order):
        raise ValueError(f"grads has {len(grads)} numbers for {len(order)} nodes")
    grad_of = dict(zip(order, grads)) if grads is not None else {n: n.grad for n in order}
    neurons = module_groups(order)
    groups = neurons if clusters or collapse else {}
    # Record fields read along one line unless stacked: in LR, across the ranks.
    vertical = (rankdir in ("LR", "RL")) != compact
    look = _Look(names, _parameter_set(params), show_grad, grad_of,
                 _largest(grad_of) if grad_scale is None else grad_scale, vertical, compact)
    look.count_neuron_inputs(neurons)
    graph_attr = {"rankdir": rankdir, **({"ranksep": "0.3"} if compact else {})}
    dot = Diagram("micrograd_nn", graph_attr=graph_attr,
                  node_attr={"fontname": "Helvetica", "fontsize": "11"})
    if collapse is None:
        _draw_grouped(dot, order, ids, groups, look, highlight)
    else:
        _draw_collapsed(dot, order, ids, _units(groups, collapse), look, highlight)
    if legend:
        _draw_legend(dot, look.scale if show_grad else None)
    return dot


class _Look:
    """What every box needs to be drawn: names, which leaves are parameters, whether to
    show grads, the grad each node shows, the colour scale, whether record fields read
    along one line, and how many ops read each node."""

    def __init__(self, names: dict[Value, str], params: set[Value], show_grad: bool,
                 grads: dict[Value, float], scale: float, vertical: bool,
                 compact: bool = False) -> None:
        self.names, self.params, self.show_grad = names, params, show_grad
        self.grads, self.scale, self.vertical = grads, scale, vertical
        self.compact = compact
        self.groups: dict[Value, str] = {}  # each node's neuron, for the edges between them
        self.neuron_inputs: dict[str, int] = {}  # edges into each neuron from other neurons
        self.readers: dict[Value, int] = {}
        for node in grads:
            for inp in node.inputs:
                self.readers[inp] = self.readers.get(inp, 0) + 1

    def box(self, dot: graphviz.Digraph, node: Value, node_id: str, current: bool) -> None:
        """Draw ``node``'s box into ``dot`` (a graph or a cluster)."""
        label, attrs = _record(node, self.names[node], self.grads[node],
                               self.scale if self.show_grad else None, self.params,
                               self.vertical)
        if current:
            attrs.update(color=_HIGHLIGHT, penwidth="4", **{"class": "highlight"})
        dot.node(node_id, label, id=node_id, **attrs)

    def count_neuron_inputs(self, groups: dict[Value, str]) -> None:
        """Note each node's neuron (``groups``) and how many edges come into each neuron
        from other neurons."""
        self.groups = groups
        for node, into in groups.items():
            for inp in node.inputs:
                if groups.get(inp, into) != into:
                    self.neuron_inputs[into] = self.neuron_inputs.get(into, 0) + 1

    def edge_attrs(self, source: Value, node: Value) -> dict[str, str]:
        """How the edge from ``source`` into ``node``'s op is drawn: thin and light from a
        node many ops read, or into a neuron many other neurons feed."""
        if self.readers.get(source, 0) > _FAN_OUT:
            return _BUNDLE_EDGE
        into, out_of = self.groups.get(node), self.groups.get(source)
        if into is None or out_of is None or into == out_of:
            return {}
        return _BUNDLE_EDGE if self.neuron_inputs.get(into, 0) > _FAN_OUT else {}


def _check_arguments(root: Value, rankdir: str, collapse: str | None) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value, got {type(root).__name__} {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if collapse is not None and collapse not in COLLAPSE_LEVELS:
        raise ValueError(f"collapse must be None or one of {', '.join(map(repr, COLLAPSE_LEVELS))}"
                         f", got {collapse!r}")


def drawn_order(root: Value, max_nodes: int, collapse: str | None = None) -> list[Value]:
    """``topological_order(root, leaves=True)`` once the diagram is known to fit in
    ``max_nodes`` boxes (ValueError otherwise, see :func:`check_graph_size`)."""
    if collapse is None:
        check_graph_size(root, max_nodes)
        return topological_order(root, leaves=True)
    # Collapsing shrinks the diagram, so count its boxes, walking at most _COUNT_CAP nodes.
    check_graph_size(root, max(max_nodes, _COUNT_CAP))
    order = topological_order(root, leaves=True)
    units = _units(module_groups(order), collapse)
    boxes = sum(1 for n in order if n not in units) + len(set(units.values()))
    if boxes > max_nodes:
        raise ValueError(
            f"collapse={collapse!r} still leaves {boxes:,} boxes and max_nodes={max_nodes:,}: "
            f"draw a subgraph (call it on an intermediate Value, or on fewer samples), "
            f"collapse='layer', or raise the limit with max_nodes={boxes}.")
    return order


def _units(groups: dict[Value, str], collapse: str) -> dict[Value, str]:
    """Each grouped node's box when collapsing to ``collapse`` (a neuron or a layer path)."""
    if collapse == "neuron":
        return groups
    return {node: layer_of(path) for node, path in groups.items()}


def _cluster_id(path: str) -> str:
    return "cluster_" + re.sub(r"\W+", "_", path)


def _draw_grouped(dot: graphviz.Digraph, order: list[Value], ids: dict[Value, str],
                  groups: dict[Value, str], look: _Look, highlight: Value | None) -> None:
    """Every node, each neuron's inside a cluster inside its layer's cluster. Edges stay in
    the top graph: a node belongs to the cluster that declares it, wherever its edges are."""
    clusters: dict[str, graphviz.Digraph] = {}
    for node in order:
        path = groups.get(node)
        home = dot if path is None else _cluster(clusters, path, type(dot))
        look.box(home, node, ids[node], node is highlight)
        if node.inputs:
            _draw_op(dot, node, ids, node is highlight, look, home)
    _attach_clusters(dot, clusters, type(dot))


def _cluster(clusters: dict[str, graphviz.Digraph], path: str,
             make: type[graphviz.Digraph]) -> graphviz.Digraph:
    if path not in clusters:
        cluster = make(_cluster_id(path))
        cluster.attr(label=_plain_label(path.rsplit("/", 1)[-1]), style="rounded",
                     color=_CLUSTER_GREY, fontcolor=_CLUSTER_GREY, fontname="Helvetica",
                     fontsize="10", labeljust="l")
        clusters[path] = cluster
    return clusters[path]


def _attach_clusters(dot: graphviz.Digraph, clusters: dict[str, graphviz.Digraph],
                     make: type[graphviz.Digraph]) -> None:
    """Put each neuron's cluster inside its layer's, and the layers into ``dot``."""
    layers: dict[str, graphviz.Digraph] = {}
    for path, cluster in clusters.items():
        layer = layer_of(path)
        if layer == path:  # a neuron made on its own: no layer around it
            dot.subgraph(cluster)
            continue
        _cluster(layers, layer, make).subgraph(cluster)
    for layer_cluster in layers.values():
        layer_cluster.attr(penwidth="1.5")
        dot.subgraph(layer_cluster)


def _draw_collapsed(dot: graphviz.Digraph, order: list[Value], ids: dict[Value, str],
                    units: dict[Value, str], look: _Look, highlight: Value | None) -> None:
    """Each neuron (or layer) as one box; the nodes outside any as usual. An edge into a
    box stands for every edge from that source into the unit's nodes."""
    paths = sorted(set(units.values()), key=_path_key)
    boxes = {path: f"u{k}" for k, path in enumerate(paths)}
    outputs = _unit_outputs(order, units)
    clusters: dict[str, graphviz.Digraph] = {}
    for path, box in boxes.items():
        layer = layer_of(path)  # collapsed neurons still sit in their layer's cluster
        home = dot if layer == path else _cluster(clusters, layer, type(dot))
        current = highlight is not None and units.get(highlight) == path
        _draw_unit(home, path, box, outputs[path], order, units, look, current)
    for cluster in clusters.values():
        dot.subgraph(cluster)
    seen: set[tuple[str, str]] = set()
    for node in order:
        unit = units.get(node)
        sources = [boxes[units[i]] if i in units else ids[i] for i in node.inputs]
        if unit is None:
            look.box(dot, node, ids[node], node is highlight)
            if node.inputs:
                _draw_op(dot, node, ids, node is highlight, look, edges=False)
                for source in sources:
                    dot.edge(source, ids[node] + "_op")
                dot.edge(ids[node] + "_op", ids[node])
            continue
        for inp, source in zip(node.inputs, sources):
            edge = (source, boxes[unit])
            if units.get(inp) != unit and edge not in seen:  # one edge per source and box
                seen.add(edge)
                dot.edge(*edge)


def _path_key(path: str) -> list[tuple[str, int]]:
    """Sort key putting 'layer 1/neuron 2' before 'layer 1/neuron 10'."""
    return [(word, int(num) if num.isdigit() else 0)
            for word, _, num in (part.rpartition(" ") for part in path.split("/"))]


def _unit_outputs(order: list[Value], units: dict[Value, str]) -> dict[str, list[Value]]:
    """The nodes of each unit used outside it (or the root): what its box reports."""
    outputs: dict[str, dict[Value, None]] = {path: {} for path in units.values()}
    for node in order:
        for inp in node.inputs:
            if inp in units and units[inp] != units.get(node):
                outputs[units[inp]][inp] = None
    root = order[-1]
    if root in units:
        outputs[units[root]][root] = None
    return {path: list(nodes) for path, nodes in outputs.items()}


def _draw_unit(dot: graphviz.Digraph, path: str, box: str, outputs: list[Value],
               order: list[Value], units: dict[Value, str], look: _Look, current: bool) -> None:
    """One collapsed neuron or layer: its name, what it holds, and its output's data and
    grad when it has one output (coloured by that grad)."""
    members = [n for n in order if units.get(n) == path]
    params = [n for n in members if isinstance(n, Parameter)]
    acts = sorted({p.owner.activation for p in params if p.owner is not None})
    neurons = len({id(p.owner) for p in params if p.owner is not None})
    what = f"{', '.join(acts)}, {len(params)} params"
    if neurons > 1:
        what = f"{neurons} neurons, {what}"
    fields = [_escape(path.rsplit("/", 1)[-1]), _escape(what)]
    attrs = {"shape": "record", "style": "rounded,filled", "fillcolor": "white",
             "color": _CLUSTER_GREY, "penwidth": "2"}
    if len(outputs) == 1:
        out = outputs[0]
        if out.label:
            fields[0] += f" → {_escape(out.label)}"
        fields.append(f"data {format_number(out.data)}")
        if look.show_grad:
            grad = look.grads[out]
            fields.append(f"grad {format_number(grad)}")
            attrs["fillcolor"] = grad_colour(grad, look.scale)
    else:
        fields.append(f"{len(outputs)} outputs")
    if current:
        attrs.update(color=_HIGHLIGHT, penwidth="4", **{"class": "highlight"})
    body = " | ".join(fields)
    dot.node(box, "{ " + body + " }" if look.vertical else body, id=box, **attrs)


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
        f"intermediate Value, e.g. one neuron's output, or on a smaller model or batch), "
        f"draw a model's graph collapsed with viz.draw_dot(root, collapse='neuron') or "
        f"collapse='layer', or raise the limit with {enough}.")


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


def _kind(node: Value, params: Collection[Value]) -> str:
    if node.inputs:
        return "op"
    if isinstance(node, Constant):
        return "constant"
    if node in params or isinstance(node, Parameter):
        return "parameter"
    return "input"


def largest_grad(nodes: Iterable[Value], grads: Iterable[float] | None = None) -> float:
    """The largest finite ``|grad|`` among ``nodes``, constants left out (0.0 if none);
    ``grads`` (one per node) are used instead of the nodes' own when given."""
    nodes = list(nodes)
    return _largest(dict(zip(nodes, grads)) if grads is not None else {n: n.grad for n in nodes})


def _largest(grads: dict[Value, float]) -> float:
    finite = [abs(g) for n, g in grads.items() if not isinstance(n, Constant) and math.isfinite(g)]
    return max(finite, default=0.0)


def widest_grads(size: int, grads: Iterable[tuple[int, float]]) -> list[float]:
    """For each of ``size`` nodes (by index), the grad with the widest text among 0.0 and
    the ``(index, grad)`` pairs of ``grads``: drawn with these, each box is as wide as it
    will ever need to be, so one layout fits every step. Reads numbers only; no node's
    ``grad`` is touched."""
    widest = [0.0] * size
    width = [len(format_number(0.0))] * size
    for k, grad in grads:
        text = len(format_number(grad))
        if text > width[k]:
            widest[k], width[k] = grad, text
    return widest


# C0 control characters and DEL: Graphviz stops at a NUL and chokes on others, so they
# are drawn as their Unicode control pictures (U+2400 ...), visibly.
_CONTROLS = {c: chr(0x2400 + c) for c in range(32)} | {0x7F: "\u2421"}


def _escape(text: str) -> str:
    """Text safe inside a Graphviz record label (these characters are record syntax)."""
    return _escape_record(text).translate(_CONTROLS)


def _plain_label(text: str) -> str:
    """Text safe as a plain (not record, not HTML) Graphviz label: a backslash would start
    an escape (a trailing one swallows the closing quote), a label shaped like ``<b>x</b>``
    would be read as HTML, and control characters are drawn visibly."""
    from .diagram import plain

    return plain(text.replace("\\", "\\\\").translate(_CONTROLS))


def value_box(node: Value, name: str, grad: float, scale: float | None,
              params: Collection[Value] = ()) -> tuple[list[str], dict[str, str]]:
    """How :func:`draw_dot` draws ``node``'s box (not highlighted): the text of each
    field of its record as the drawing shows it (its ``name``, ``data ...``, ``grad ...``;
    a constant without a label has no name and no grad), and its Graphviz attributes
    (shape, style, fill colour for ``grad`` on the colour ``scale``, border).

    ``scale`` is the ``|grad|`` of full colour; ``None`` draws the box without grad or
    colour (``show_grad=False``). ``params`` are extra Values to draw as parameters,
    besides any ``Parameter``. Numbers are written by ``format_number``, so a page that
    updates a drawn diagram in place with these texts shows what a new drawing would."""
    kind = _kind(node, params)
    fields = [] if kind == "constant" and not node.label else [name.translate(_CONTROLS)]
    fields.append(f"data {format_number(node.data)}")
    if scale is not None and kind != "constant":
        fields.append(f"grad {format_number(grad)}")
    return fields, _value_attrs(kind, grad, scale)


def _record(node: Value, name: str, grad: float, scale: float | None,
            params: Collection[Value], vertical: bool) -> tuple[str, dict[str, str]]:
    """:func:`value_box` as a record label (fields stacked when ``vertical``) and attributes."""
    fields, attrs = value_box(node, name, grad, scale, params)
    body = " | ".join(_escape_record(f) for f in fields)
    return ("{ " + body + " }" if vertical else body), attrs


def _escape_record(text: str) -> str:
    """A field's drawn text as record-label syntax (backslash before ``\\{}|<>"``)."""
    for ch in "\\{}|<>\"":
        text = text.replace(ch, "\\" + ch)
    return text


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


def _draw_op(dot: graphviz.Digraph, node: Value, ids: dict[Value, str], current: bool,
             look: _Look, home: graphviz.Digraph | None = None, edges: bool = True) -> None:
    """The op's ellipse (into ``home``, the node's cluster, default ``dot``) and, unless
    ``edges=False``, the edges from the inputs through it to the node (into ``dot``)."""
    op = ids[node] + "_op"
    label = "Σ" if node.op == "sum" else _plain_label(node.op)
    attrs = {"shape": "ellipse", "margin": "0.02,0.02", "height": "0.3"}
    if look.compact:  # as narrow as its label allows (the default is 0.75 inch)
        attrs["width"] = "0.3"
    if current:
        attrs.update(style="filled", fillcolor="#ffd699", color=_HIGHLIGHT, penwidth="3")
    (dot if home is None else home).node(op, label, id=op, **attrs)
    if not edges:
        return
    # The current step sends grad back along these edges: draw them like the node.
    edge = {"color": _HIGHLIGHT, "penwidth": "2.5"} if current else {}
    for inp in node.inputs:
        dot.edge(ids[inp], op, **(edge or look.edge_attrs(inp, node)))
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
