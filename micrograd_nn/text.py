"""How a node is written: numbers, names, equations and local-derivative formulas.

The one home for it: step-through, ``explain()``, error messages, diagrams, the step page,
frames and gradcheck's messages all write nodes with these functions, so a node reads the
same everywhere. It reads what an op class declares (``expr``, ``local_text``, ``params``,
``method``) and knows no op by name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from types import FrameType
from typing import Any

from .node import Node, walk

# Standard library only; loaded with the package, so a debugger's extension (which never
# imports micrograd_nn) finds it in sys.modules to name nodes.
from .varnames import user_frames, variable_names

__all__ = ["format_number", "node_names", "describe", "where", "equation", "with_numbers",
           "local_formula", "kind_name"]


def format_number(x: float) -> str:
    """``x`` to four decimals, or to four significant digits where four decimals would hide
    it (``0.0009102``, ``1.235e+08``): how steps, explain() and diagrams write numbers."""
    if x == 0.0 or 1e-3 <= abs(x) < 1e7 or x != x or abs(x) == float("inf"):
        return f"{x:.4f}"
    return f"{x:.4g}"


def kind_name(node: Node) -> str:
    """The word an unnamed node is called by: its op's Value method without underscores
    (``mul``, ``tanh``, ``pow``), or ``leaf`` for a leaf."""
    method = getattr(type(node), "method", "")
    if not node.op or not method:
        return "leaf" if not node.op else "op"
    return str(method).strip("_") or "op"


def node_names(root: Node, order: Sequence[Any] | None = None, *,
               frame: FrameType | None = None, variables: bool = True) -> dict[Any, str]:
    """A name for every node of the graph: its label, else (with ``variables``) the name of
    the variable that holds it in the calling code (``y = x * w`` → ``y``), else a
    constant's value, else its kind and its number among the unnamed nodes of that kind in
    walk order (``mul#3``, ``tanh#1``, ``leaf#2``: the ``#`` marks a name the engine made,
    so ``mul#3`` is never read as a user's ``n1``). Stable across runs for the same code.

    Variables are looked up only here, when something is displayed, in the user's frames
    from ``frame`` (default: the innermost caller outside micrograd_nn) outwards: see
    :mod:`micrograd_nn.varnames`. A variable whose name is some node's label is not used.
    ``order`` is ``walk(root)`` when the caller has it already (a view that walked once)."""
    nodes = walk(root) if order is None else list(order)
    labels = [node.label for node in nodes]  # read once: an op node's label is a slow miss
    held: dict[int, str] = {}
    if variables:
        unnamed = [v for v, label in zip(nodes, labels) if not label and not v.is_constant]
        if unnamed:
            start = frame if frame is not None else sys._getframe(1)
            used = set(labels)
            held = {k: name for k, name in variable_names(unnamed, user_frames(start)).items()
                    if name not in used}
    names: dict[Any, str] = {}
    counts: dict[str, int] = {}
    for node, label in zip(nodes, labels):
        if label:
            names[node] = label
        elif id(node) in held:
            names[node] = held[id(node)]
        elif node.is_constant:
            names[node] = f"{node.data:g}"
        else:
            kind = kind_name(node)
            counts[kind] = counts.get(kind, 0) + 1
            names[node] = f"{kind}#{counts[kind]}"
    return names


def describe(node: Node) -> str:
    """A node in an error message: its number, and its label when it has one."""
    label = f" '{node.label}'" if node.label else ""
    return f"{node.data!r}{label}"


def where(inputs: Iterable[Node]) -> str:
    """`` (in node 'z')`` naming the first labelled input, for a domain error's message."""
    labels = [v.label for v in inputs if v.label]
    return f" (in node '{labels[0]}')" if labels else ""


def _fields(node: Node, name: Callable[[Any], str]) -> dict[str, str]:
    """Format fields for an op's ``expr`` / ``local_text``: {out}, {x}, {y} written by
    ``name``, {args} (every input), and each of the op's ``params`` (a power's exponent)."""
    ins = node.inputs
    fields = {"out": name(node), "args": ", ".join(name(v) for v in ins)}
    if ins:
        fields["x"] = name(ins[0])
    if len(ins) > 1:
        fields["y"] = name(ins[1])
    for param in getattr(type(node), "params", ()):
        fields[param] = f"{getattr(node, param):g}"
    return fields


def equation(node: Node, names: dict[Any, str]) -> str:
    """``z = x * w``: the node and how it was computed, by the names in ``names``."""
    expr = getattr(type(node), "expr", "") or f"{node.op}({{args}})"
    return f"{names[node]} = {expr.format(**_fields(node, names.__getitem__))}"


def with_numbers(node: Node) -> str:
    """The node's expression with each input written as its number (``2.0000 * -3.0000``):
    what the forward pass computed, as the step page shows it."""
    expr = getattr(type(node), "expr", "") or f"{node.op}({{args}})"
    return str(expr.format(**_fields(node, lambda v: format_number(v.data))))


def local_formula(node: Node, i: int, names: dict[Any, str]) -> str:
    """The local derivative ∂node/∂input ``i`` as a formula over the data (``w.data``;
    a constant is written as its value), as a step prints it."""
    def data(v: Any) -> str:
        return names[v] if v.is_constant else f"{names[v]}.data"

    texts = getattr(type(node), "local_text", None)
    if texts is None:
        return f"d{node.op}/d{names[node.inputs[i]]}"
    local: str = texts[min(i, len(texts) - 1)].format(**_fields(node, data))
    return f"({local})" if " " in local else local
