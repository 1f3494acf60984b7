"""Walking a graph of Values: the one walker that backward, diagrams and tools use.

A node keeps its inputs in two slots, ``_x`` and ``_y`` (one object per node instead of a
node plus a tuple: half the garbage collector's work while a graph grows). ``_x`` is None
for a leaf and ``_y`` None for a one-input op; an n-ary node (``sum``) keeps its terms
tuple in ``_x`` and :data:`NARY` in ``_y``. :func:`inputs_of` puts them back together.

Walks keep their bookkeeping to themselves (a set of the nodes seen, local to the call):
nothing is written into the nodes, so two threads may walk one graph at once, and nothing
depends on the identity of numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import Value

__all__ = ["NARY", "inputs_of", "topological_order", "walk"]


class _Terms:
    """The marker in ``_y`` of a node whose ``_x`` holds a tuple of any number of inputs."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<n-ary>"


NARY: Any = _Terms()


def inputs_of(x: Any, y: Any) -> tuple[Value, ...]:
    """The inputs tuple from a node's two input slots."""
    if x is None:
        return ()
    if y is None:
        return (x,)
    if y is NARY:
        return tuple(x)
    return (x, y)


def topological_order(root: Value, leaves: bool = False) -> list[Value]:
    """The nodes ``root`` depends on (itself included), each after all of its inputs.

    Without ``leaves`` only op nodes are listed: backward runs that list in reverse. With
    ``leaves``, every node, inputs visited in order. Iterative (any depth works at the
    default recursion limit), deterministic for a given graph, and read-only.
    """
    return walk(root) if leaves else _op_nodes(root)


def _op_nodes(root: Value) -> list[Value]:
    # Depth-first post-order without recursion. A None on the stack marks "the node below
    # me has all its inputs done"; a node is marked seen when it is visited, and skipped if
    # it comes off the stack already seen. Leaves are never pushed, and a chain of first
    # inputs (a sum built by repeated +) is walked down without a stack round trip.
    order: list[Value] = []
    if root._x is None:
        return order
    seen: set[Value] = set()
    mark = seen.add
    stack: list[Any] = []
    push = stack.append
    pop = stack.pop
    emit = order.append
    node: Any = root
    while True:
        mark(node)
        x = node._x
        y = node._y
        if y is NARY:
            push(node)
            push(None)
            for child in reversed(x):
                if child._x is None or child in seen:
                    continue
                cx = child._x
                cy = child._y
                if cy is not NARY and (cx._x is None or cx in seen) and (
                        cy is None or cy._x is None or cy in seen):
                    mark(child)  # its inputs are done (a weight times an activation):
                    emit(child)  # finished at once, no trip through the stack
                else:
                    push(child)
        else:
            todo_x = x._x is not None and x not in seen
            if y is not None and y._x is not None and y not in seen:
                push(node)
                push(None)
                push(y)
                if todo_x:
                    node = x
                    continue
            elif todo_x:
                push(node)
                push(None)
                node = x
                continue
            else:  # inputs all done (the common node over leaves)
                emit(node)
        while stack:
            node = pop()
            if node is None:
                emit(pop())
            elif node not in seen:
                break
        else:
            return order


def walk(root: Value) -> list[Value]:
    """Every node ``root`` depends on, leaves included, each after its inputs, inputs
    visited in order (the order diagrams and names use)."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:
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
