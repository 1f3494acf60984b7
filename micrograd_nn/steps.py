"""Backward, one op at a time: :func:`backward_steps` and :func:`explain`.

A step applies each op's rule exactly as ``backward()`` does — the same local derivatives
(``node.local_derivatives()``), multiplied by the same upstream grad, added in the same
order, with the same two rules for zeros: a node whose grad is 0 passes nothing back, and a
gated input (relu below 0) receives nothing. So after the last step every grad is
bit-for-bit what ``backward()`` gives; a test holds each op's own rule to its derivatives.
How a step is written (names, equations, formulas, numbers) comes from ``text.py``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from .modes import AnomalyError, anomaly_enabled
from .node import Node, backward_lock, prepare_backward, walk
from .text import describe, equation, format_number, local_formula, node_names

__all__ = ["BackwardStep", "backward_steps", "explain"]


class BackwardStep:
    """One op's share of backward: the chain rule at ``node`` with numbers.

    ``upstream`` is d(root)/d(node); for each input, ``local_grads[i]`` is
    d(node)/d(input) and ``contributions[i] = local_grads[i] * upstream`` is what was added
    to that input's grad. ``passed[i]`` is False where nothing was added: the node's grad
    was 0 (``skipped``), or a gate such as relu below 0 let nothing through.
    """

    __slots__ = ("index", "total", "node", "upstream", "local_grads", "contributions",
                 "passed", "names")

    def __init__(self, index: int, total: int, node: Any, upstream: float,
                 local_grads: tuple[float, ...], contributions: tuple[float, ...],
                 passed: tuple[bool, ...], names: dict[Any, str]) -> None:
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
        return str(self.node.op)

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The node's inputs, whose grads this step added to."""
        return tuple(self.node.inputs)

    @property
    def skipped(self) -> bool:
        """True when the node's grad was 0, so nothing was passed back."""
        return self.upstream == 0.0

    def equation(self) -> str:
        """``z = x * w``: the node and how it was computed."""
        return equation(self.node, self.names)

    def local_formula(self, i: int) -> str:
        """The local derivative of input ``i`` as a formula over the data (``w.data``)."""
        return local_formula(self.node, i, self.names)

    def lines(self) -> list[str]:
        """One chain-rule line per input: ``x.grad += w.data * z.grad = 3.0000 * 0.5000``."""
        node = self.node
        names = self.names
        out = []
        for i, inp in enumerate(node.inputs):
            head = f"{names[inp]}.grad += {self.local_formula(i)} * {names[node]}.grad"
            if self.skipped:
                out.append(f"{head}: {names[node]}.grad is 0, nothing to pass back")
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


def backward_steps(root: Node, names: dict[Any, str] | None = None
                   ) -> Iterator[BackwardStep]:
    """Backward from ``root``, one op node at a time: each step is applied, then yielded.
    ``names`` (default :func:`~micrograd_nn.text.node_names`) names the nodes in the text.

    Stopping early leaves partial grads behind; running to the end gives every node the
    grad ``backward()`` gives, bit for bit. The pass keeps its own running grads for the
    op nodes (and writes each one into the node as it changes), so another backward pass
    over shared nodes between two steps cannot corrupt it: leaves get the sum of both
    passes, as two backward() calls would give. Under ``detect_anomaly`` a step whose rule
    makes a NaN, or a non-finite grad on a leaf, raises :class:`AnomalyError`."""
    with backward_lock:
        order = prepare_backward(root)
    running: dict[Node, float] = {node: 0.0 for node in order}
    running[root] = root.grad
    names = node_names(root) if names is None else names
    total = len(order)
    for index, node in enumerate(reversed(order)):
        g = running[node]
        node.grad = g
        ds = node.local_derivatives()
        local = tuple(0.0 if d is None else d for d in ds)
        passed = tuple(bool(g) and d is not None for d in ds)
        contributions = []
        for inp, d, ok in zip(node.inputs, local, passed):
            c = d * g if ok else 0.0
            if ok:
                if inp in running:
                    running[inp] += c
                    inp.grad = running[inp]
                else:
                    inp.grad += c
            contributions.append(c)
        if anomaly_enabled():
            _check_step(node)
        yield BackwardStep(index, total, node, g, local, tuple(contributions), passed, names)


def _check_step(node: Any) -> None:
    """detect_anomaly's check after one step (as ``backward()`` checks each rule)."""
    for inp in node.inputs:
        g = inp.grad
        if g != g or (not math.isfinite(g) and inp._x is None and not inp.is_constant):
            raise AnomalyError(
                f"backward step of op '{node.op}' (node {describe(node)}, grad {node.grad!r}) "
                f"gave a non-finite grad {g!r} to input {describe(inp)}; op created at "
                f"{getattr(node, 'site', '<outside detect_anomaly>')}")


def explain(root: Node, file: TextIO | None = None) -> None:
    """Run backward from ``root`` step by step and print every step as the chain rule with
    numbers, then each input's and parameter's grad (to ``file``, default stdout)."""
    out = file if file is not None else sys.stdout
    for step in backward_steps(root):
        print(step, file=out)
    names = node_names(root)
    for node in walk(root):
        if not node.inputs and not node.is_constant:
            print(f"{names[node]}.grad = {format_number(node.grad)}", file=out)
