"""Training that replays the graph: a model's graph built once, recomputed for every sample.

For a :class:`~micrograd_nn.nn.MLP` (or a :class:`~micrograd_nn.nn.Layer`, or a
:class:`~micrograd_nn.nn.Neuron`) the graph of one sample has the same shape whatever the
sample: the same nodes, the same ops, the same wiring. Only the numbers differ; a relu that
is off is still a node, which passes nothing back. So :func:`~micrograd_nn.fit` builds that
graph once for each place in a batch, with leaves for the sample's inputs, and for each
batch

1. sets the leaves to the samples' numbers and recomputes every op node's ``data`` in
   topological order with that op's own ``forward`` (``forward_at`` for an op that keeps a
   number of its own, as ``x ** n`` keeps ``n``);
2. takes the loss with the loss's own code over *stand-ins*: one leaf per model output,
   holding its number. The loss is the part whose shape can change from batch to batch
   (softmax cross-entropy subtracts the largest logit, a constant read off the data, and
   picks the target's logit; ``bce`` clamps probabilities and keeps only the term a target
   of 0 or 1 leaves; ``bce_with_logits`` takes one of two forms by the logit's sign), so it
   is built fresh each batch (a few dozen nodes a sample, against the model's thousand or
   more) and ``backward()`` runs over it as over any graph;
3. hands each stand-in's grad to its output and runs the model's rules with
   ``backward()``'s own loop (``micrograd_nn.node.run_rules``: each op's own rule, a node
   whose grad is 0 passing nothing back) over ``backward()``'s own order
   (``micrograd_nn.node.op_nodes``), computed once.

No model node is made or freed after the first batch, there is no second copy of any rule,
and the losses and weights are bit for bit those of building the graph each time: every
node gets the same contributions in the same order (``tests/test_replay.py`` holds this for
every loss, activation, optimizer, batch size, with and without l2). That is why the order
matters: ``backward()`` over a batch handles the samples last to first, and each sample's
outputs in the order the loss reaches them, first to last for every loss in
:data:`~micrograd_nn.losses.LOSSES`. A loss of your own might reach them in another order,
or reach the parameters itself, so ``fit`` replays only for the losses in ``LOSSES`` and
only for the exact classes MLP, Layer and Neuron (a subclass may compute anything).

The replayed graph is an ordinary graph of :class:`~micrograd_nn.engine.Value` nodes: what
:meth:`Replay.forward` returns can be drawn (``micrograd_nn.viz.draw_dot``), stepped
through (``backward_steps``), checked (``gradcheck``, ``check_ops``) and backpropagated with
``backward()``, which gives the same grads as the replayed backward.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, Union

from .checks import to_float
from .losses import LOSSES
from .modes import anomaly_enabled, is_grad_enabled
from .nn import MLP, Layer, Module, Neuron
from .node import backward_lock, op_nodes, run_rules
from .ops import Sum
from .value import Op, Value

__all__ = ["Replay", "replay_unsupported", "sample_rows", "REPLAYABLE_MODELS"]

Output = Union[Value, list[Value]]
Objective = Callable[[list[Any], list[Any]], Value]


REPLAYABLE_MODELS: tuple[type[Module], ...] = (MLP, Layer, Neuron)
"""The model classes whose graph has one shape for every sample (exact classes only)."""


def replay_unsupported(model: Any, loss: Any) -> str | None:
    """Why ``fit`` cannot replay ``model``'s graph with ``loss`` (a loss function), or None
    when it can: the model is exactly an MLP, Layer or Neuron, the loss one of
    :data:`~micrograd_nn.losses.LOSSES`, and this thread is in neither ``no_grad`` nor
    ``detect_anomaly`` (which checks every op as it is made)."""
    if type(model) not in REPLAYABLE_MODELS:
        return (f"the model is a {type(model).__name__}, not exactly one of "
                f"{', '.join(c.__name__ for c in REPLAYABLE_MODELS)}: its graph may change "
                "shape from sample to sample")
    if not any(loss is f for f in LOSSES.values()):
        return ("the loss is not one of micrograd_nn.losses.LOSSES: it may reach the outputs "
                "in another order, or reach the parameters itself")
    if not is_grad_enabled():
        return "inside no_grad nothing is recorded"
    if anomaly_enabled():
        return "inside detect_anomaly every op is checked as it is made"
    return None


def sample_rows(X: Sequence[Any], nin: int) -> list[list[float]] | None:
    """Every sample of ``X`` as ``nin`` floats, converted as a model converts its inputs;
    None when some sample is not a plain sequence of ``nin`` finite real numbers (a Value
    among them, a wrong length ...): then ``fit`` builds each graph as usual, and the model
    raises its own error at that sample."""
    rows = []
    isfinite = math.isfinite
    for x in X:
        if isinstance(x, (str, bytes, Value)) or not hasattr(x, "__len__") or len(x) != nin:
            return None
        try:
            row = [v if type(v) is float else _number(v) for v in x]
        except (TypeError, ValueError, OverflowError):
            return None
        if not all(map(isfinite, row)):
            return None
        rows.append(row)
    return rows


def _number(v: Any) -> float:
    if isinstance(v, Value) or not isinstance(v, numbers.Real):
        raise TypeError("not a plain number")
    return to_float(v, "input")


def _forward_of(node: Value) -> Callable[..., float]:
    """The function that recomputes ``node`` from its inputs' numbers: its op's
    ``forward``, or the node's ``forward_at`` when its class overrides it (the op keeps a
    number of its own)."""
    if not isinstance(node, Op):
        raise TypeError(f"cannot replay node {node!r}: it is not made by an op (no forward)")
    cls = type(node)
    if cls.forward_at is Op.forward_at:
        return cls.forward
    return node.forward_at


class _Copy:
    """One sample's graph: its input leaves, its output nodes, its op nodes in the order
    ``backward()`` takes (``op_nodes``), that order's forward grouped into runs of one
    function and arity (each node with its inputs), and one stand-in leaf per output."""

    __slots__ = ("leaves", "outputs", "single", "nodes", "plan", "standins")

    def __init__(self, model: Module, nin: int) -> None:
        self.leaves = [Value(0.0) for _ in range(nin)]
        out = model(self.leaves)
        self.single = isinstance(out, Value)
        self.outputs: list[Value] = [out] if isinstance(out, Value) else list(out)
        # The order backward() takes when the loss reaches the outputs first to last: the
        # walk from one sum node over all of them (left out of the list; it is only a root).
        root = self.outputs[0] if len(self.outputs) == 1 else Sum.apply(*self.outputs)
        order = op_nodes(root)
        if root is not self.outputs[0]:
            order.pop()
        self.nodes = order
        self.plan = _forward_plan(order)
        self.standins = [Value(0.0) for _ in self.outputs]

    def recompute(self) -> None:
        """Every op node's data from its inputs' current data, in topological order, and
        its grad reset to 0 (a new graph's grads are 0; backward then only adds)."""
        # One tuple per node, unpacked by the loop (a zip over three lists cost 10% more
        # instructions; a chain of C iterators, map(setattr, ...), 80% more: docs/design.md)
        for kind, f, items in self.plan:
            if kind == 2:
                for n, x, y in items:
                    n.data = f(x.data, y.data)
                    n.grad = 0.0
            elif kind == 1:
                for n, x in items:
                    n.data = f(x.data)
                    n.grad = 0.0
            else:
                for n, terms in items:
                    n.data = f(*[t.data for t in terms])  # map(attrgetter) cost 16% more
                    n.grad = 0.0

    def shaped(self, values: list[Value]) -> Output:
        """``values`` shaped as the model returns its outputs (one Value, or a list)."""
        return values[0] if self.single else list(values)

    def load_standins(self) -> Output:
        """The stand-ins, holding the outputs' numbers and no grad."""
        for s, o in zip(self.standins, self.outputs):
            s.data = o.data
            s.grad = 0.0
        return self.shaped(self.standins)

    def backward(self) -> None:
        """The model's rules backward from the grads the loss gave the stand-ins (after
        :meth:`recompute`, which reset every grad)."""
        for o, s in zip(self.outputs, self.standins):
            o.grad = s.grad
        run_rules(self.nodes)  # backward()'s own loop over backward()'s own order


def _forward_plan(order: list[Value]) -> list[tuple[int, Any, list[tuple[Any, ...]]]]:
    """``order`` as runs of (arity kind, forward, items): kind 1 and 2 for one and two
    inputs, each item ``(node, x)`` or ``(node, x, y)``; kind 3 for a sum of any number,
    each item ``(node, terms)``."""
    plan: list[tuple[int, Any, list[tuple[Any, ...]]]] = []
    last: tuple[int, Any] | None = None
    for node in order:
        f = _forward_of(node)
        inputs = node.inputs
        kind = len(inputs) if len(inputs) < 3 and not isinstance(node, Sum) else 3
        if (kind, f) != last:
            plan.append((kind, f, []))
            last = (kind, f)
        plan[-1][2].append((node, inputs) if kind == 3 else (node, *inputs))
    return plan


class Replay:
    """A model's graph, built once for each place in a batch and recomputed for each sample.

    ``Replay(model)`` builds nothing until asked; copy ``k`` (the graph of the k-th sample of
    a batch) is built by calling the model on ``nin`` leaves the first time a batch has a
    k-th sample, and kept. :meth:`forward` recomputes copies for given samples and returns
    their outputs (ordinary nodes); :meth:`step` is one training step's forward and backward
    as ``fit`` runs it. The model's structure must not change while the Replay is in use
    (its parameters are checked at each step: new ones rebuild the copies).
    """

    def __init__(self, model: Module) -> None:
        if type(model) not in REPLAYABLE_MODELS:
            raise TypeError(f"Replay needs exactly an MLP, Layer or Neuron, got "
                            f"{type(model).__name__}")
        self.model = model
        self.nin: int = model.nin  # type: ignore[attr-defined]
        self._params = model.parameters()
        self._copies: list[_Copy] = []

    @property
    def copies(self) -> int:
        """How many sample graphs have been built."""
        return len(self._copies)

    def nodes(self) -> int:
        """How many op nodes the built sample graphs hold together."""
        return sum(len(c.nodes) for c in self._copies)

    def outputs_of(self, k: int) -> Output:
        """Copy ``k``'s outputs as the model returns them, as they stand (not recomputed)."""
        copy = self._copies[k]
        return copy.shaped(copy.outputs)

    def inputs(self, k: int) -> list[Value]:
        """The input leaves of copy ``k`` (their data is the sample last set)."""
        return self._copies[k].leaves

    def _ready(self, count: int) -> list[_Copy]:
        params = self.model.parameters()
        if params != self._params:  # a parameter replaced since the copies were built
            self._params = params
            self._copies = []
        while len(self._copies) < count:
            self._copies.append(_Copy(self.model, self.nin))
        return self._copies[:count]

    def recompute(self, count: int) -> list[Output]:
        """Copies ``0 .. count - 1`` recomputed from their input leaves' current data and
        the parameters' (every grad but the leaves' reset to 0); their outputs, shaped as
        the model returns them."""
        copies = self._ready(count)
        for copy in copies:
            copy.recompute()
        return [copy.shaped(copy.outputs) for copy in copies]

    def forward(self, rows: Sequence[Sequence[float]]) -> list[Output]:
        """Set copy k's input leaves to ``rows[k]`` (``nin`` floats each, already checked:
        see :func:`sample_rows`) and recompute; the outputs of each, as the model returns
        them. Their graphs are ordinary graphs: ``loss(outputs, targets).backward()`` works."""
        copies = self._ready(len(rows))
        for copy, row in zip(copies, rows):
            if len(row) != self.nin:
                raise ValueError(f"Replay of a model with {self.nin} inputs got a sample of "
                                 f"{len(row)}")
            for leaf, v in zip(copy.leaves, row):
                leaf.data = v
                leaf.grad = 0.0
            copy.recompute()
        return [copy.shaped(copy.outputs) for copy in copies]

    def step(self, rows: Sequence[Sequence[float]], targets: list[Any],
             objective: Objective) -> tuple[Value, list[Output]]:
        """One training step's forward and backward: recompute the copies for ``rows``,
        take ``objective(outputs, targets)`` over stand-ins for the outputs, backward
        through it, then the model's rules. Returns that loss and the stand-ins (the
        outputs' numbers, shaped as the model returns them); the parameters' grads are
        added to, as ``backward()`` adds to leaves (zero them first)."""
        self.forward(rows)
        copies = self._copies[:len(rows)]
        outputs = [copy.load_standins() for copy in copies]
        total = objective(outputs, targets)
        with backward_lock:
            total.backward()
            for copy in reversed(copies):  # backward() meets the last sample first
                copy.backward()
        return total, outputs
