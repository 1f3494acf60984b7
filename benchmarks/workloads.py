"""What gets timed: upstream micrograd's demo step, the same step on larger MLPs, and a
long chain; one piece of code for every engine, parametrised by its Value class."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from micrograd_nn import gc_paused
from micrograd_nn.train import two_moons as moons

DEMO_SIZES = [2, 16, 16, 1]  # upstream demo.ipynb: 2 inputs, two hidden layers of 16
DEMO_ALPHA = 1e-4  # its L2 weight


def two_moons(n: int, seed: int = 1) -> tuple[list[list[float]], list[int]]:
    """The demo's data, labels -1 / +1, as plain numbers so every engine gets the same."""
    X, y = moons(n, 0.1, seed, labels=(-1, 1))
    return X, [int(label) for label in y]


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
    """One training step: forward, zero grads, backward, SGD; returns the loss."""
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
    ``gc_paused()`` if ``paused``) that appends the loss to ``losses``."""
    xs, ys = two_moons(n_points)
    model = build_model(value_cls, initial_weights(sizes))

    def step() -> None:
        lr = 1.0 - 0.9 * len(losses) / 100  # upstream demo's schedule
        if paused:
            with gc_paused():
                losses.append(sgd_step(value_cls, model, xs, ys, alpha, lr))
        else:
            losses.append(sgd_step(value_cls, model, xs, ys, alpha, lr))
    return step


def chain(value_cls: Any, n_ops: int) -> Any:
    """A chain of ``n_ops`` binary op nodes (``v = v * w + c``) over three leaves; its end."""
    w, c = value_cls(0.5), value_cls(1.0)
    v = value_cls(0.0)
    for _ in range(n_ops // 2):
        v = v * w + c
    return v


class _Bare:
    """A node with nothing but what a graph needs: a number and two links."""

    __slots__ = ("data", "x", "y")
    data: float
    x: _Bare | None
    y: _Bare | None


def bare_graph(n: int) -> Callable[[], None]:
    """Build and free ``n`` bare slotted objects, each linked to two earlier ones: the floor
    under any pure-Python graph of ``n`` nodes (creating objects the collector tracks)."""
    def build() -> None:
        first = _Bare()
        first.data, first.x, first.y = 0.0, None, None
        nodes = [first]
        for i in range(1, n):
            node = _Bare()
            node.data = 1.0
            node.x = nodes[i - 1]
            node.y = nodes[i // 2]
            nodes.append(node)
    return build
