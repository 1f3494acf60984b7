"""Which neuron computed which node: the grouping behind clustered and collapsed diagrams.

The engine keeps no per-node record of the module that made a node (that would cost every
op). Only :class:`~micrograd_nn.nn.Parameter` carries an ``owner`` (the neuron's path, such
as ``'layer 1/neuron 3'``, and its activation), and a neuron's nodes have a fixed shape that
:meth:`Neuron.forward` builds: ``act(sum(w_1 * x_1, ..., w_n * x_n, b))``. So a node belongs
to neuron P when it is

* a parameter whose owner is P,
* the neuron's ``sum``: its last input is a bias owned by P and each other input is a
  ``*`` with a weight owned by P (those products belong to P too),
* the activation: an op named as P's activation whose one input is P's sum.

A ``w * w`` in an L2 penalty, or a ``sigmoid`` a user applies to a linear neuron's output,
matches none of these, so it stays outside the neuron. One pass over the graph, inputs
before outputs, finds them all.
"""

from __future__ import annotations

from micrograd_nn import Parameter, Value
from micrograd_nn.nn import Owner

__all__ = ["module_groups", "layer_of", "COLLAPSE_LEVELS"]

COLLAPSE_LEVELS = ("neuron", "layer")


def _owner(node: Value) -> Owner | None:
    return node.owner if isinstance(node, Parameter) else None


def _weight_owner(term: Value) -> Owner | None:
    """The owner of the weight in a ``w * x`` term, if it is one."""
    if term.op != "*":
        return None
    owners = {_owner(v) for v in term.inputs} - {None}
    return owners.pop() if len(owners) == 1 else None


def _sum_owner(node: Value) -> Owner | None:
    """P when ``node`` is P's weighted sum (every term a weight of P times an input, then
    P's bias)."""
    if node.op != "sum" or len(node.inputs) < 2:
        return None
    *terms, bias = node.inputs
    owner = _owner(bias)
    if owner is None or any(_weight_owner(t) != owner for t in terms):
        return None
    return owner


def module_groups(order: list[Value]) -> dict[Value, str]:
    """The neuron path of every node of ``order`` (a topological order) that a Neuron
    computed, as the module docstring says; nodes outside any neuron are left out."""
    groups: dict[Value, str] = {}
    sums: dict[Value, Owner] = {}
    for node in order:
        owner = _owner(node)
        if owner is not None:
            groups[node] = owner.path
            continue
        owner = _sum_owner(node)
        if owner is not None:
            sums[node] = owner
            groups[node] = owner.path
            for term in node.inputs[:-1]:
                groups[term] = owner.path
            continue
        if len(node.inputs) == 1:
            owner = sums.get(node.inputs[0])
            if owner is not None and node.op == owner.activation:
                groups[node] = owner.path
    return groups


def layer_of(path: str) -> str:
    """The layer part of a neuron path (``'layer 1'`` of ``'layer 1/neuron 3'``); a
    neuron built on its own is its own layer."""
    return path.rsplit("/", 1)[0]
