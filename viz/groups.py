"""Which neuron computed which node: the grouping behind clustered and collapsed diagrams.

The engine keeps no per-node record of the module that made a node (that would cost every
op). Only :class:`~micrograd_nn.nn.Parameter` carries an ``owner`` (the neuron's path, such
as ``'layer 1/neuron 3'``, and its activation; one Owner object per neuron, shared by its
parameters), and a neuron's nodes have a fixed shape that :meth:`Neuron.forward` builds:
``act(sum(w_1 * x_1, ..., w_n * x_n, b))``. So a node belongs to neuron P when it is

* a parameter whose owner is P,
* the neuron's ``sum``: its last input is a bias owned by P and each other input is a
  ``*`` with a weight owned by P (those products belong to P too),
* the activation: an op named as P's activation whose one input is P's sum.

A ``w * w`` in an L2 penalty, or a ``sigmoid`` a user applies to a linear neuron's output,
matches none of these, so it stays outside the neuron. One pass over the graph, inputs
before outputs, finds them all.

Neurons are told apart by their Owner object, not by its path: two models in one loss (a
GAN, teacher and student, an ensemble) both have a ``'layer 1/neuron 1'``. When paths
repeat, each model's paths get a ``'model <m> · '`` prefix, models numbered in the order
the graph meets them. A model is found from the graph: a neuron of layer i + 1 that reads
a neuron of layer i is in its model, and so are neurons of one layer that read the same
inputs, so long as no model ends up with two neurons of one path.
"""

from __future__ import annotations

import re

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
    owners = {id(o): o for o in map(_owner, term.inputs) if o is not None}
    return owners.popitem()[1] if len(owners) == 1 else None


def _sum_owner(node: Value) -> Owner | None:
    """P when ``node`` is P's weighted sum (every term a weight of P times an input, then
    P's bias)."""
    if node.op != "sum" or len(node.inputs) < 2:
        return None
    *terms, bias = node.inputs
    owner = _owner(bias)
    if owner is None or any(_weight_owner(t) is not owner for t in terms):
        return None
    return owner


def _neurons(order: list[Value]) -> tuple[dict[Value, Owner], dict[int, tuple[Value, ...]]]:
    """Each grouped node's owner, and what each neuron (by ``id`` of its owner) reads: the
    other input of each of its products."""
    groups: dict[Value, Owner] = {}
    reads: dict[int, tuple[Value, ...]] = {}
    sums: dict[Value, Owner] = {}
    for node in order:
        owner = _owner(node)
        if owner is not None:
            groups[node] = owner
            continue
        owner = _sum_owner(node)
        if owner is not None:
            sums[node] = owner
            groups[node] = owner
            read = []
            for term in node.inputs[:-1]:
                groups[term] = owner
                read += [v for v in term.inputs if _owner(v) is not owner]
            reads[id(owner)] = tuple(read)
            continue
        if len(node.inputs) == 1:
            owner = sums.get(node.inputs[0])
            if owner is not None and node.op == owner.activation:
                groups[node] = owner
    return groups, reads


def module_groups(order: list[Value]) -> dict[Value, str]:
    """The neuron path of every node of ``order`` (a topological order) that a Neuron
    computed, as the module docstring says; nodes outside any neuron are left out. Each
    neuron has its own path: with two models, ``'model 2 · layer 1/neuron 3'``."""
    groups, reads = _neurons(order)
    owners = list({id(o): o for o in groups.values()}.values())  # in the order met
    if len({o.path for o in owners}) == len(owners):
        return {node: owner.path for node, owner in groups.items()}
    model = _models(owners, groups, reads)
    return {node: f"model {model[id(o)]} · {o.path}" for node, o in groups.items()}


def _layer_number(path: str) -> int | None:
    found = re.match(r"layer (\d+)/", path)
    return int(found.group(1)) if found else None


def _models(owners: list[Owner], groups: dict[Value, Owner],
            reads: dict[int, tuple[Value, ...]]) -> dict[int, int]:
    """Model number (1, 2, ...) of each owner (by ``id``), as the module docstring says."""
    model = {id(o): id(o) for o in owners}  # union-find: each owner's representative
    paths = {id(o): {o.path} for o in owners}

    def find(key: int) -> int:
        while model[key] != key:
            model[key] = model[model[key]]
            key = model[key]
        return key

    def join(a: int, b: int) -> None:
        a, b = find(a), find(b)
        if a != b and not paths[a] & paths[b]:
            model[b] = a
            paths[a] |= paths.pop(b)

    for owner in owners:  # a neuron of layer i + 1 reading one of layer i
        layer = _layer_number(owner.path)
        for node in reads.get(id(owner), ()):
            source = groups.get(node)
            if layer is not None and source is not None and \
                    _layer_number(source.path) == layer - 1:
                join(id(source), id(owner))
    same_inputs: dict[tuple[str, tuple[int, ...]], list[Owner]] = {}
    for owner in owners:  # neurons of one layer reading the same inputs
        key = (owner.path.rsplit("/", 1)[0], tuple(map(id, reads.get(id(owner), ()))))
        same_inputs.setdefault(key, []).append(owner)
    for members in same_inputs.values():
        for k, owner in enumerate(members):
            for other in members[:k]:
                join(id(other), id(owner))
    numbers: dict[int, int] = {}
    for owner in owners:
        numbers.setdefault(find(id(owner)), len(numbers) + 1)
    return {id(o): numbers[find(id(o))] for o in owners}


def layer_of(path: str) -> str:
    """The layer part of a neuron path (``'layer 1'`` of ``'layer 1/neuron 3'``); a
    neuron built on its own is its own layer."""
    return path.rsplit("/", 1)[0]
