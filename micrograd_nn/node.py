"""The node layer: what every Value is underneath, and the walks over a graph of them.

A node is a record: ``data`` (its number), ``grad`` (d root / d node after a backward
pass), the inputs it was computed from, and a ``label``. This module knows no op and no
arithmetic: the Value type and its ops sit above it (``value.py``, ``ops.py``). Backward is
two things from here: :func:`prepare_backward` finds the op nodes in topological order and
resets their grads, then :func:`run_rules` calls each node's own rule in reverse order.

How inputs are stored: two slots, ``_x`` and ``_y`` (one object per node instead of a node
plus a tuple: half the garbage collector's work while a graph grows). ``_x`` is None for a
leaf and ``_y`` None for a one-input op; an n-ary node (``sum``) keeps its terms tuple in
``_x`` and :data:`NARY` in ``_y``. :func:`inputs_of` puts them back together.

Walks keep their bookkeeping to themselves (a set of the nodes seen, local to the call):
nothing is written into the nodes, so two threads may walk one graph at once, and nothing
depends on the identity of numbers.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from .checks import is_number

__all__ = ["Node", "NARY", "inputs_of", "walk", "topological_order", "op_nodes", "backward_lock",
           "prepare_backward", "run_rules"]


class _Terms:
    """The marker in ``_y`` of a node whose ``_x`` holds a tuple of any number of inputs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<n-ary>"


NARY: Any = _Terms()


def inputs_of(x: Any, y: Any) -> tuple[Any, ...]:
    """The inputs tuple from a node's two input slots."""
    if x is None:
        return ()
    if y is None:
        return (x,)
    if y is NARY:
        return tuple(x)
    return (x, y)


class Node:
    """A node of a computation graph: ``data``, ``grad``, ``inputs`` (in order, ``()`` for a
    leaf), ``op`` (the op's short name, ``''`` for a leaf) and ``label``.

    Every Value is a Node; the arithmetic that makes new nodes is :class:`~micrograd_nn.Value`'s.
    """

    __slots__ = ("data", "grad", "_x", "_y", "_label")
    op: ClassVar[str] = ""
    is_constant: ClassVar[bool] = False  # a number written into an expression (the 2 in 2*x)
    data: float
    grad: float
    _x: Any
    _y: Any
    _label: str

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The nodes this one was computed from, in order (``()`` for a leaf)."""
        return inputs_of(self._x, self._y)

    @property
    def _prev(self) -> tuple[Any, ...]:
        """Read-only alias of ``inputs`` (upstream micrograd's name)."""
        return self.inputs

    @property
    def _op(self) -> str:
        """Read-only alias of ``op`` (upstream micrograd's name)."""
        return self.op

    @property
    def label(self) -> str:
        """A name for diagrams, steps and messages (``''`` when unnamed)."""
        try:
            return self._label
        except AttributeError:  # op nodes are built without one: a store saved per node
            return ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__} {label!r}")
        self._label = label

    # --- comparisons: by data, for max(), sorted() and NumPy; == stays identity ----------
    def __lt__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other: Any) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data >= o

    __hash__ = object.__hash__

    def _backward(self) -> None:
        """A leaf passes nothing back; each op class defines its own rule."""


def _compared(other: Any) -> Any:
    """The number a Value compares with, or None where Python should ask ``other``."""
    if isinstance(other, Node):
        return other.data
    return other if is_number(other) else None


# ---------------------------------------------------------------------------------------
# Walks


def walk(root: Node) -> list[Any]:
    """Every node ``root`` depends on, leaves included, each after its inputs, inputs
    visited in order (the order diagrams and names use)."""
    order: list[Any] = []
    seen: set[Node] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker below a node: its inputs are all listed
            order.append(stack.pop())
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append(node)
        stack.append(None)
        for child in reversed(inputs_of(node._x, node._y)):
            if child not in seen:
                stack.append(child)
    return order


def topological_order(root: Node, leaves: bool = False) -> list[Any]:
    """The nodes ``root`` depends on (itself included), each after all of its inputs.

    Without ``leaves`` only op nodes are listed: backward runs that list in reverse. With
    ``leaves``, every node, inputs visited in order (:func:`walk`). Iterative (any depth
    works at the default recursion limit), deterministic for a given graph, and read-only.
    """
    return walk(root) if leaves else op_nodes(root)


def op_nodes(root: Node) -> list[Any]:
    """The op nodes under ``root`` (leaves left out), each after all of its inputs.

    A depth-first post-order, iterative. The stack holds nodes still to visit; a None on
    it means "the node below me has all its inputs listed: list it". A node is marked seen
    when it is visited. Two shortcuts make it as fast as backward needs (docs/design.md):
    leaves never go on the stack, and a node's first input is walked into straight away,
    so a chain of them (a sum built by repeated ``+``) costs no stack round trips.
    """
    order: list[Any] = []
    if root._x is None:
        return order
    seen: set[Node] = set()
    stack: list[Any] = []
    push, pop, mark, emit = stack.append, stack.pop, seen.add, order.append
    node: Any = root
    while True:
        # Visit the node: list it now if its inputs are done, or push what must come back.
        mark(node)
        x = node._x
        y = node._y
        if y is NARY:
            _visit_terms(node, stack, seen, order)
        else:
            x_todo = x._x is not None and x not in seen
            if y is not None and y._x is not None and y not in seen:
                push(node)
                push(None)
                push(y)
                if x_todo:
                    node = x
                    continue
            elif x_todo:
                push(node)
                push(None)
                node = x
                continue
            else:
                emit(node)  # both inputs done: the common node over leaves
        # Pop back up: list each node whose marker comes off, until one is left to visit.
        while stack:
            node = pop()
            if node is None:
                emit(pop())
            elif node not in seen:
                break
        else:
            return order


def _visit_terms(node: Any, stack: list[Any], seen: set[Node], order: list[Any]) -> None:
    """Visit an n-ary node: push it, then each term still to do. A term whose own inputs
    are all done (a weight times an activation) is listed at once, without a stack trip."""
    stack += (node, None)
    for term in reversed(node._x):
        if term._x is None or term in seen:
            continue
        tx = term._x
        ty = term._y
        if ty is not NARY and (tx._x is None or tx in seen) and (
                ty is None or ty._x is None or ty in seen):
            seen.add(term)
            order.append(term)
        else:
            stack.append(term)


# ---------------------------------------------------------------------------------------
# Backward


backward_lock = threading.RLock()
"""Held by every backward pass: passes in different threads run one after the other."""


def prepare_backward(root: Node) -> list[Any]:
    """The op nodes under ``root`` in topological order, their grads reset to 0 and the
    root's seeded with 1 (a leaf root just gets 1 added)."""
    order = op_nodes(root)
    for node in order:
        node.grad = 0.0
    if order:
        root.grad = 1.0
    else:
        root.grad += 1.0
    return order


def run_rules(order: list[Any]) -> None:
    """The chain rule over ``order`` (from :func:`prepare_backward`), last node first: each
    node's own rule adds its contribution to its inputs' grads. A node whose grad is exactly
    0 passes nothing back (a dead ReLU): that changes no finite result."""
    for node in reversed(order):
        if node.grad:
            node._backward()
