"""What gets measured: upstream micrograd's demo step, the same step on larger MLPs, a long
chain, and the floor under any pure-Python graph. One piece of code serves every engine
(micrograd_nn here or at an older commit, upstream micrograd), parametrised by its Value
class, so that all of them compute the same thing from the same numbers.

Nothing here imports an engine at import time: :func:`value_class` loads the one asked for,
so a process measuring upstream holds no micrograd_nn objects in its heap (a bigger heap
makes every collection slower), and the code runs on any engine commit that has a ``Value``
with ``+ * ** relu backward data grad``.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DEMO_SIZES = [2, 16, 16, 1]  # upstream demo.ipynb: 2 inputs, two hidden layers of 16
DEMO_POINTS = 100  # its make_moons(n_samples=100, noise=0.1)
DEMO_ALPHA = 1e-4  # its L2 weight
OURS = "micrograd_nn"
UPSTREAM = "micrograd"
ENGINES = (OURS, UPSTREAM)


def value_class(engine: str) -> Any:
    """The ``Value`` class of ``engine`` ("micrograd_nn" or "micrograd"), imported now."""
    if engine == OURS:
        from micrograd_nn import Value
        return Value
    if engine == UPSTREAM:
        from micrograd.engine import Value as UpstreamValue  # type: ignore[import-untyped]
        return UpstreamValue
    raise ValueError(f"unknown engine {engine!r}: expected one of {ENGINES}")


def upstream_or_reason() -> tuple[Any | None, str]:
    """Upstream's Value class and its version, or None and why there is none."""
    try:
        cls = value_class(UPSTREAM)
    except ImportError as exc:
        return None, f"upstream micrograd not installed here ({exc}; pip install micrograd==0.1.0)"
    return cls, f"micrograd {distribution_version(UPSTREAM)}"


def distribution_version(name: str) -> str:
    """The installed distribution's version, or "unknown"."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


@contextmanager
def gc_off() -> Iterator[None]:
    """Python's automatic collections paused inside, restored after (errors included): the
    same block for every engine and commit, doing what ``micrograd_nn.gc_paused`` does
    (which older commits and upstream do not have)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def two_moons(n: int, noise: float = 0.1, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """``n`` points on two interleaved half circles (as scikit-learn's ``make_moons``: the
    upper moon ``(cos t, sin t)``, the lower ``(1 - cos t, 0.5 - sin t)``, t evenly over
    [0, π]) with Gaussian noise, shuffled; labels +1 (upper) and -1. Plain numbers from a
    seeded stdlib generator, so every engine and interpreter gets the same data."""
    rng = random.Random(seed)
    upper = n - n // 2
    points: list[tuple[list[float], int]] = []
    for i in range(n):
        k, count, label = (i, upper, 1) if i < upper else (i - upper, n - upper, -1)
        t = math.pi * k / max(count - 1, 1)
        x, y = (math.cos(t), math.sin(t)) if label == 1 else (1 - math.cos(t), 0.5 - math.sin(t))
        points.append(([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)], label))
    rng.shuffle(points)
    return [p for p, _ in points], [label for _, label in points]


def initial_weights(sizes: list[int], seed: int = 1337) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights uniform in [-1, 1], bias 0.0), as upstream's Neuron."""
    rng = random.Random(seed)
    return [[([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
            for nin, nout in zip(sizes, sizes[1:])]


def build_model(param: Callable[[float], Any], weights: list[Any]) -> list[Any]:
    """The MLP as nested lists of (weights, bias) parameters made by ``param``."""
    return [[([param(w) for w in ws], param(b)) for ws, b in layer] for layer in weights]


def parameters(model: list[Any]) -> list[Any]:
    """All parameters in upstream's order: per neuron its weights, then its bias."""
    return [p for layer in model for ws, b in layer for p in [*ws, b]]


def forward(model: list[Any], x: list[Any]) -> Any:
    """Upstream nn.py's MLP call: ``sum(w*x, b)`` per neuron, ReLU on all but the last."""
    last = len(model) - 1
    for i, layer in enumerate(model):
        acts = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
        x = acts if i == last else [a.relu() for a in acts]
    return x[0]


def hinge_loss(value_cls: Any, model: list[Any], xs: list[list[float]], ys: list[int],
               alpha: float) -> Any:
    """Upstream demo.ipynb's loss: mean hinge loss plus alpha * (sum of squared params).
    ``alpha=0`` leaves the L2 term out (its sum over every parameter is one long chain,
    deeper than upstream's recursive sort can go for wide MLPs)."""
    inputs = [[value_cls(a) for a in row] for row in xs]
    scores = [forward(model, x) for x in inputs]
    losses = [(1 + -yi * score).relu() for yi, score in zip(ys, scores)]
    loss = sum(losses) * (1.0 / len(losses))
    if alpha:
        loss = loss + alpha * sum(p * p for p in parameters(model))
    return loss


def sgd_step(value_cls: Any, model: list[Any], xs: list[list[float]], ys: list[int],
             alpha: float, lr: float) -> float:
    """One training step: forward, zero grads, backward, SGD; returns the loss. The graph
    is freed when this returns."""
    loss = hinge_loss(value_cls, model, xs, ys, alpha)
    params = parameters(model)
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return float(loss.data)


def stepper(value_cls: Any, sizes: list[int], n_points: int, alpha: float, paused: bool,
            losses: list[float]) -> Callable[[], None]:
    """A fresh model from the shared seed, and a function doing its next step (inside
    :func:`gc_off` if ``paused``) that appends the loss to ``losses``."""
    xs, ys = two_moons(n_points)
    model = build_model(value_cls, initial_weights(sizes))

    def step() -> None:
        lr = 1.0 - 0.9 * len(losses) / 100  # upstream demo's schedule
        if paused:
            with gc_off():
                losses.append(sgd_step(value_cls, model, xs, ys, alpha, lr))
        else:
            losses.append(sgd_step(value_cls, model, xs, ys, alpha, lr))
    return step


def count_nodes(root: Any) -> int:
    """Every node ``root`` depends on, leaves included, for any engine: micrograd_nn keeps
    a node's inputs in ``inputs`` (older commits too), upstream in ``_prev``."""
    def inputs(node: Any) -> Any:
        return node.inputs if hasattr(node, "inputs") else node._prev

    seen = {id(root)}
    stack = [root]
    while stack:
        for child in inputs(stack.pop()):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def step_nodes(value_cls: Any, sizes: list[int], n_points: int, alpha: float) -> int:
    """Nodes in one step's graph, leaves included."""
    xs, ys = two_moons(n_points)
    model = build_model(value_cls, initial_weights(sizes))
    return count_nodes(hinge_loss(value_cls, model, xs, ys, alpha))


def chain(value_cls: Any, n_ops: int) -> Any:
    """A chain of ``n_ops`` binary op nodes (``v = v * w + c``) over three leaves; its end."""
    w, c = value_cls(0.5), value_cls(1.0)
    v = value_cls(0.0)
    for _ in range(n_ops // 2):
        v = v * w + c
    return v


class Bare:
    """A node with nothing but what a graph needs: a number and two links."""

    __slots__ = ("data", "x", "y")
    data: float
    x: Bare | None
    y: Bare | None


def floor_graph(n: int) -> None:
    """Make ``n`` bare three-slot objects, each linked to two earlier ones, then free them:
    the floor under any pure-Python graph of ``n`` nodes (objects the collector tracks,
    made and freed; no arithmetic, no backward)."""
    first = Bare()
    first.data, first.x, first.y = 0.0, None, None
    nodes = [first]
    for i in range(1, n):
        node = Bare()
        node.data = 1.0
        node.x = nodes[i - 1]
        node.y = nodes[i // 2]
        nodes.append(node)


def floor_task(n: int) -> Callable[[], None]:
    """:func:`floor_graph` of ``n`` nodes as a task to time."""
    return lambda: floor_graph(n)


class BareChain:
    """A chain node with five slots and nothing else: no engine at all."""

    __slots__ = ("data", "grad", "x", "y", "label")
    data: float
    grad: float
    x: BareChain | None
    y: BareChain | None


def bare_chain(n: int) -> Callable[[], None]:
    """Build and free a linked chain of ``n`` bare slotted objects: what the collector
    alone costs for a growing chain of that many objects, whatever the engine."""
    def build() -> None:
        v: BareChain | None = None
        for _ in range(n):
            node = BareChain()
            node.data, node.grad, node.x, node.y = 0.5, 0.0, v, None
            v = node
    return build
