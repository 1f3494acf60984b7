"""Training loops: :func:`fit`, :func:`evaluate`, :func:`predict`, and a toy data set.

``fit`` runs gradient descent in one of the three forms the seed tutorials describe:
full-batch (``batch_size=None``: one step per epoch, on the mean loss of every sample),
stochastic (``batch_size=1``: one step per sample) and mini-batch (``batch_size=k``).
Each step is: zero the gradients, forward the batch, take the loss, backward, step; the
cyclic garbage collector is paused for the step (see :class:`~micrograd_nn.gc_paused`).
"""

from __future__ import annotations

import math
import numbers
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .checks import check_int
from .engine import Value
from .losses import LOSSES, bce_with_logits, hinge, l2_penalty
from .modes import gc_paused, no_grad
from .nn import Module
from .optim import OPTIMIZERS, Adam, Optimizer

__all__ = ["History", "fit", "evaluate", "predict", "accuracy", "two_moons"]

LossFn = Callable[[Any, Any], Value]
_ZERO_THRESHOLD_LOSSES = (bce_with_logits, hinge)  # their outputs are scores: decide at 0


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch: the mean training loss, each
    metric, and the seconds the epoch took. ``history`` is the same as one dict (Keras)."""

    loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    @property
    def history(self) -> dict[str, list[float]]:
        """``{'loss': [...], 'accuracy': [...]}``."""
        return {"loss": self.loss, **self.metrics}

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.loss)


def _resolve_loss(loss: str | LossFn) -> LossFn:
    if callable(loss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)} or pass "
                         "a function")
    return LOSSES[loss]


def _resolve_optimizer(optimizer: Optimizer | str | None, model: Module) -> Optimizer:
    if optimizer is None:
        return Adam(model.parameters())
    if isinstance(optimizer, Optimizer):
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                         f"{', '.join(OPTIMIZERS)} or pass an Optimizer")
    return OPTIMIZERS[optimizer](model.parameters())


def _check_metrics(metrics: Sequence[str]) -> list[str]:
    names = []
    for m in metrics:
        if m not in ("accuracy", "acc"):
            raise ValueError(f"unknown metric {m!r}; the metric available is 'accuracy'")
        names.append("accuracy")
    return names


def _check_data(X: Sequence[Any], y: Sequence[Any]) -> int:
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if len(X) == 0:
        raise ValueError("no samples to train on")
    return len(X)


def _threshold(loss: LossFn, y: Sequence[Any]) -> float:
    """Where a single output turns from one class to the other: 0 for scores (logits,
    hinge, or -1/+1 targets), else 0.5 (probabilities)."""
    if loss in _ZERO_THRESHOLD_LOSSES:
        return 0.0
    negative = any(isinstance(t, numbers.Real) and t < 0 for t in y)
    return 0.0 if negative else 0.5


def _correct(out: Any, target: Any, threshold: float) -> bool:
    """Is one prediction right? A list of outputs: argmax against a class index (or the
    argmax of a one-hot target); a single output: same side of ``threshold`` as the target."""
    if isinstance(out, Value):
        t = target[0] if isinstance(target, Sequence) else target
        return bool((out.data > threshold) == (t > threshold))
    scores = [o.data for o in out]
    guess = max(range(len(scores)), key=scores.__getitem__)
    if isinstance(target, Sequence):
        return guess == max(range(len(target)), key=target.__getitem__)
    return bool(guess == target)


def accuracy(outputs: Sequence[Any], targets: Sequence[Any], threshold: float = 0.5) -> float:
    """Fraction of samples predicted right (see :func:`fit` for how a prediction is read)."""
    if len(outputs) != len(targets) or not outputs:
        raise ValueError(f"{len(outputs)} outputs but {len(targets)} targets")
    return sum(_correct(o, t, threshold) for o, t in zip(outputs, targets)) / len(outputs)


def _batches(n: int, batch_size: int | None, order: list[int]) -> list[list[int]]:
    size = n if batch_size is None else batch_size
    return [order[i:i + size] for i in range(0, n, size)]


def _progress(epoch: int, epochs: int, history: History, file: TextIO) -> None:
    parts = [f"Epoch {epoch}/{epochs}", f"loss: {history.loss[-1]:.4f}"]
    parts += [f"{name}: {vals[-1]:.4f}" for name, vals in history.metrics.items()]
    parts.append(f"{history.seconds[-1]:.2f}s")
    print(" - ".join(parts), file=file, flush=True)


def fit(model: Module, X: Sequence[Any], y: Sequence[Any], loss: str | LossFn = "mse",
        optimizer: Optimizer | str | None = None, epochs: int = 1,
        batch_size: int | None = None, shuffle: bool = True, seed: int | None = None,
        metrics: Sequence[str] = ("accuracy",), verbose: bool | int = True, l2: float = 0.0,
        file: TextIO | None = None) -> History:
    """Train ``model`` on samples ``X`` with targets ``y``; returns a :class:`History`.

    ``loss``: a name from :data:`~micrograd_nn.losses.LOSSES` or ``f(outputs, targets)``
    returning the mean loss of a batch. ``optimizer``: an Optimizer over
    ``model.parameters()``, a name (its defaults), or None for Adam. ``batch_size``: None
    (full batch), 1 (stochastic) or k (mini-batch). ``shuffle`` reorders the samples each
    epoch with ``random.Random(seed)`` (the global state is not touched). ``l2`` adds
    ``l2 * Σ p^2`` over all parameters to each batch's loss. ``verbose``: True prints one
    line per epoch (epoch, loss, metrics, seconds) to ``file`` (stdout), an int k every
    k-th epoch and the last, False nothing.

    The epoch's loss and accuracy are measured on the forward passes of that epoch, before
    each batch's step (as Keras does); for full batch it is the loss at the start of the
    epoch. Accuracy reads a list of outputs by its argmax, a single output by which side of
    a threshold it is on: 0 for hinge / logits / -1,+1 targets, else 0.5.
    """
    loss_fn = _resolve_loss(loss)
    opt = _resolve_optimizer(optimizer, model)
    names = _check_metrics(metrics)
    n = _check_data(X, y)
    size = None if batch_size is None else check_int(batch_size, "batch_size")
    check_int(epochs, "epochs", minimum=0)
    threshold = _threshold(loss_fn, y)
    params = model.parameters() if l2 else []
    rng = random.Random(seed)
    every = int(verbose)
    out = file if file is not None else sys.stdout
    history = History(metrics={name: [] for name in names})
    order = list(range(n))
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        if shuffle:
            rng.shuffle(order)
        total, right = 0.0, 0
        for batch in _batches(n, size, order):
            # The step's graph has no reference cycles: pausing the collector only skips
            # its re-scans of the growing graph (restored after the step, errors included).
            with gc_paused():
                opt.zero_grad()
                outputs = [model(X[i]) for i in batch]
                targets = [y[i] for i in batch]
                batch_loss = loss_fn(outputs, targets)
                if l2:
                    batch_loss = batch_loss + l2_penalty(params, l2)
                batch_loss.backward()
                opt.step()
            total += batch_loss.data * len(batch)
            if names:
                right += sum(_correct(o, t, threshold) for o, t in zip(outputs, targets))
        history.loss.append(total / n)
        for name in names:
            history.metrics[name].append(right / n)
        history.seconds.append(time.perf_counter() - start)
        if every and (epoch % every == 0 or epoch == epochs):
            _progress(epoch, epochs, history, out)
    return history


@no_grad()
def predict(model: Module, X: Sequence[Any]) -> list[Any]:
    """The model's outputs for every sample, as floats (lists of floats for several
    outputs), computed without recording a graph."""
    return [_data(model(x)) for x in X]


def _data(out: Any) -> Any:
    return out.data if isinstance(out, Value) else [o.data for o in out]


@no_grad()
def evaluate(model: Module, X: Sequence[Any], y: Sequence[Any], loss: str | LossFn = "mse",
             metrics: Sequence[str] = ("accuracy",)) -> dict[str, float]:
    """Mean loss and metrics of ``model`` on ``X``/``y``, without recording a graph."""
    loss_fn = _resolve_loss(loss)
    names = _check_metrics(metrics)
    _check_data(X, y)
    outputs = [model(x) for x in X]
    result = {"loss": loss_fn(outputs, list(y)).data}
    for name in names:
        result[name] = accuracy(outputs, list(y), _threshold(loss_fn, y))
    return result


def two_moons(n: int = 100, noise: float = 0.1, seed: int | None = 0,
              labels: tuple[float, float] = (0.0, 1.0)) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles in 2-D (like scikit-learn's ``make_moons``): ``n``
    points, half per moon, with Gaussian noise of std ``noise``, from ``random.Random(seed)``.
    Returns ``(X, y)``; ``y`` holds ``labels[0]`` for the upper moon, ``labels[1]`` for the
    lower one (e.g. ``(-1.0, 1.0)`` for a hinge loss)."""
    check_int(n, "two_moons' number of points n", minimum=2)
    rng = random.Random(seed)
    upper = n // 2
    X, y = [], []
    for i in range(n):
        if i < upper:
            a = math.pi * i / max(upper - 1, 1)
            point, label = [math.cos(a), math.sin(a)], labels[0]
        else:
            a = math.pi * (i - upper) / max(n - upper - 1, 1)
            point, label = [1.0 - math.cos(a), 0.5 - math.sin(a)], labels[1]
        X.append([c + rng.gauss(0.0, noise) for c in point])
        y.append(label)
    order = list(range(n))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]

