"""Backward, one op at a time: :func:`backward_steps`, :func:`explain` and the names and
number format that steps, diagrams and pages share.

A step applies each op's rule exactly as ``backward()`` does — the same local derivatives
(``op.derivatives``), multiplied by the same upstream grad, added in the same order, with
the same two rules for zeros: a node whose grad is 0 passes nothing back, and a gated input
(relu below 0) receives nothing. So after the last step every grad is bit-for-bit what
``backward()`` gives; a test holds each op's ``_backward`` to its ``derivatives``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from .engine import Constant, Value, backward_lock, prepare_backward
from .graph import topological_order, walk
from .ops import PowConst

__all__ = ["BackwardStep", "backward_steps", "explain", "node_names", "format_number"]


def format_number(x: float) -> str:
    """``x`` to four decimals, or to four significant digits where four decimals would hide
    it (``0.0009102``, ``1.235e+08``): how steps, explain() and diagrams write numbers."""
    if x == 0.0 or 1e-3 <= abs(x) < 1e7 or x != x or abs(x) == float("inf"):
        return f"{x:.4f}"
    return f"{x:.4g}"


def node_names(root: Value) -> dict[Value, str]:
    """A name for every node of the graph: its label, else a constant's value, else
    ``n<k>`` by position in the walk (stable across runs for the same graph)."""
    names: dict[Value, str] = {}
    k = 0
    for node in walk(root):
        if node.label:
            names[node] = node.label
        elif isinstance(node, Constant):
            names[node] = f"{node.data:g}"
        else:
            names[node] = f"n{k}"
            k += 1
    return names


class BackwardStep:
    """One op's share of backward: the chain rule at ``node`` with numbers.

    ``upstream`` is d(root)/d(node); for each input, ``local_grads[i]`` is
    d(node)/d(input) and ``contributions[i] = local_grads[i] * upstream`` is what was added
    to that input's grad. ``passed[i]`` is False where nothing was added: the node's grad
    was 0 (``skipped``), or a gate such as relu below 0 let nothing through.
    """

    __slots__ = ("index", "total", "node", "upstream", "local_grads", "contributions",
                 "passed", "names")

    def __init__(self, index: int, total: int, node: Value, upstream: float,
                 local_grads: tuple[float, ...], contributions: tuple[float, ...],
                 passed: tuple[bool, ...], names: dict[Value, str]) -> None:
        self.index = index
        self.total = total
        self.node = node
        self.upstream = upstream
        self.local_grads = local_grads
        self.contributions = contributions
        self.passed = passed
        self.names = names

    @property
    def op(self) -> str:
        """The op of the node this step backpropagates through."""
        return self.node.op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The node's inputs, whose grads this step added to."""
        return self.node.inputs

    @property
    def skipped(self) -> bool:
        """True when the node's grad was 0, so nothing was passed back."""
        return self.upstream == 0.0

    def _fields(self, name: Callable[[Value], str]) -> dict[str, str]:
        """Format fields for the op's ``expr`` / ``local_text``: {out}, {x}, {y} written by
        ``name``, {args} (every input's name), {n} (a power's exponent)."""
        node = self.node
        ins = node.inputs
        fields = {"out": name(node), "args": ", ".join(self.names[v] for v in ins)}
        if ins:
            fields["x"] = name(ins[0])
        if len(ins) > 1:
            fields["y"] = name(ins[1])
        if isinstance(node, PowConst):
            fields["n"] = f"{node.exponent:g}"
        return fields

    def _data_ref(self, node: Value) -> str:
        """``x.data`` in a formula, or a constant's own value."""
        return self.names[node] if isinstance(node, Constant) else f"{self.names[node]}.data"

    def equation(self) -> str:
        """``z = x * w``: the node and how it was computed."""
        expr = getattr(type(self.node), "expr", "") or f"{self.node.op}({{args}})"
        return f"{self.names[self.node]} = {expr.format(**self._fields(self._name))}"

    def _name(self, node: Value) -> str:
        return self.names[node]

    def local_formula(self, i: int) -> str:
        """The local derivative of input ``i`` as a formula over the data (``w.data``)."""
        texts = getattr(type(self.node), "local_text", None)
        if texts is None:
            if type(self.node).op == "sum":
                return "1"
            return f"d{self.node.op}/d{self.names[self.node.inputs[i]]}"
        local: str = texts[i].format(**self._fields(self._data_ref))
        return f"({local})" if " " in local else local

    def lines(self) -> list[str]:
        """One chain-rule line per input: ``x.grad += w.data * z.grad = 3.0000 * 0.5000``."""
        node = self.node
        out = []
        for i, inp in enumerate(node.inputs):
            head = f"{self.names[inp]}.grad += {self.local_formula(i)} * {self.names[node]}.grad"
            if self.skipped:
                out.append(f"{head}: {self.names[node]}.grad is 0, nothing to pass back")
            elif not self.passed[i]:
                out.append(f"{head}: the {node.op} gate is closed, nothing passes")
            else:
                out.append(f"{head} = {format_number(self.local_grads[i])} * "
                           f"{format_number(self.upstream)} = "
                           f"{format_number(self.contributions[i])}")
        return out

    def __str__(self) -> str:
        head = f"[{self.index + 1}/{self.total}] {self.equation()}"
        return "\n".join([head] + ["    " + line for line in self.lines()])

    def __repr__(self) -> str:
        return f"<BackwardStep {self.index + 1}/{self.total} {self.equation()}>"


def backward_steps(root: Value) -> Iterator[BackwardStep]:
    """Backward from ``root``, one op node at a time: each step is applied, then yielded.

    Stopping early leaves partial grads behind; running to the end gives every node the
    grad ``backward()`` gives, bit for bit."""
    with backward_lock:
        order = prepare_backward(root)
    names = node_names(root)
    total = len(order)
    for index, node in enumerate(reversed(order)):
        g = node.grad
        inputs = node.inputs
        ds = node.local_derivatives()  # type: ignore[attr-defined]
        local = tuple(0.0 if d is None else d for d in ds)
        passed = tuple(bool(g) and d is not None for d in ds)
        contributions = []
        for inp, d, ok in zip(inputs, local, passed):
            c = d * g if ok else 0.0
            if ok:
                inp.grad += c
            contributions.append(c)
        yield BackwardStep(index, total, node, g, local, tuple(contributions), passed, names)


def explain(root: Value, file: TextIO | None = None) -> None:
    """Run backward from ``root`` step by step and print every step as the chain rule with
    numbers, then each input's and parameter's grad (to ``file``, default stdout)."""
    out = file if file is not None else sys.stdout
    for step in backward_steps(root):
        print(step, file=out)
    names = node_names(root)
    for node in topological_order(root, leaves=True):
        if not node.inputs and not isinstance(node, Constant):
            print(f"{names[node]}.grad = {format_number(node.grad)}", file=out)

