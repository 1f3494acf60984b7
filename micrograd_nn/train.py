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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from .checks import check_int
from .losses import LOSSES, bce, bce_with_logits, hinge, l2_penalty
from .modes import gc_paused, is_grad_enabled, no_grad
from .nn import Module
from .optim import OPTIMIZERS, Adam, Optimizer
from .progress import progress_display
from .replay import Replay, replay_unsupported, sample_rows
from .value import Value

__all__ = ["History", "fit", "evaluate", "predict", "accuracy", "two_moons"]

LossFn = Callable[[Any, Any], Value]
_ZERO_THRESHOLD_LOSSES = (bce_with_logits, hinge)  # their outputs are scores: decide at 0


@dataclass(repr=False)
class History:
    """What :func:`fit` measured, one entry per epoch: ``loss`` (the mean training loss),
    ``accuracy`` (and every metric in ``metrics``) and ``seconds`` (the epoch's time).
    ``history`` is the same as one dict (Keras)."""

    loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> list[float]:
        """Accuracy per epoch (``[]`` when ``fit`` was given ``metrics=()``)."""
        return self.metrics.get("accuracy", [])

    @property
    def history(self) -> dict[str, list[float]]:
        """``{'loss': [...], 'accuracy': [...]}``."""
        return {"loss": self.loss, **self.metrics}

    @property
    def epochs(self) -> int:
        """How many epochs were run."""
        return len(self.loss)

    def __repr__(self) -> str:
        """First and last figures, not every epoch's (a notebook shows this)."""
        parts = [f"epochs={self.epochs}"]
        parts += [f"{name} {vals[0]:.4g} -> {vals[-1]:.4g}"
                  for name, vals in self.history.items() if vals]
        parts.append(f"{sum(self.seconds):.2f}s")
        return f"History({', '.join(parts)})"


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


def _check_metrics(metrics: Sequence[str] | str) -> list[str]:
    names = []
    for m in [metrics] if isinstance(metrics, str) else metrics:  # one name is that metric
        if m not in ("accuracy", "acc"):
            raise ValueError(f"unknown metric {m!r}; the metric available is 'accuracy'")
        names.append("accuracy")
    return names


def _check_data(X: Sequence[Any], y: Sequence[Any], purpose: str = "train on") -> int:
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if len(X) == 0:
        raise ValueError(f"no samples to {purpose}")
    return len(X)


def _check_l2(l2: float) -> float:
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real):
        raise TypeError(f"l2 must be a number, got {type(l2).__name__} {l2!r}")
    if not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    return float(l2)


def _output_activation(model: Module) -> str | None:
    """The activation of the model's output (an MLP's last layer, a Layer's or a Neuron's),
    or None for a module it cannot be read from."""
    layers = getattr(model, "layers", None)
    last = layers[-1] if isinstance(layers, list) and layers else model
    activation = getattr(last, "activation", None)
    return activation if isinstance(activation, str) else None


def _check_probabilities(loss_fn: LossFn, model: Module) -> None:
    """``bce`` reads outputs as probabilities: refuse a model whose output is not one (a
    linear output is clamped to [1e-12, 1 - 1e-12] and passes no gradient back)."""
    activation = _output_activation(model)
    if loss_fn is bce and activation is not None and activation != "sigmoid":
        raise ValueError(
            f"loss 'bce' needs probabilities, but the model's output is {activation!r}: "
            "outside (0, 1) bce is clamped and passes no gradient back, so nothing would "
            "train. Use output_activation=\"sigmoid\", or keep the output linear and "
            "use loss=\"bce_with_logits\"")


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


def _check_verbose(verbose: bool | int, log_every: int) -> tuple[int, int]:
    """``(level, every)``; ``verbose=k`` for k > 2 (earlier versions' every k-th epoch) is
    ``verbose=2, log_every=k``."""
    if not isinstance(verbose, numbers.Integral):  # True and False are ints: 1 and 0
        raise TypeError("verbose must be 0, 1 or 2 (or True/False, or k > 2 for a line every "
                        f"k-th epoch), got {type(verbose).__name__} {verbose!r}")
    level = check_int(int(verbose), "verbose", minimum=0)
    every = check_int(log_every, "log_every", minimum=1)
    return (2, level) if level > 2 else (level, every)


class _Callbacks:
    """Calls a hook on every callback that has it (a callback may define only some)."""

    def __init__(self, callbacks: Sequence[Any]) -> None:
        self.callbacks = list(callbacks)

    def __call__(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            method = getattr(callback, hook, None)
            if method is not None:
                method(*args)


def fit(model: Module, X: Sequence[Any], y: Sequence[Any], loss: str | LossFn = "mse",
        optimizer: Optimizer | str | None = None, epochs: int = 1,
        batch_size: int | None = None, shuffle: bool = True, seed: int | None = None,
        metrics: Sequence[str] = ("accuracy",), verbose: bool | int = 1, l2: float = 0.0,
        file: TextIO | None = None, callbacks: Sequence[Any] = (),
        log_every: int = 1, replay: bool = True) -> History:
    """Train ``model`` on samples ``X`` with targets ``y``; returns a :class:`History`.

    ``loss``: a name from :data:`~micrograd_nn.losses.LOSSES` or ``f(outputs, targets)``
    returning the mean loss of a batch. ``optimizer``: an Optimizer over
    ``model.parameters()``, a name (its defaults), or None for Adam. ``batch_size``: None
    (full batch), 1 (stochastic) or k (mini-batch). ``shuffle`` reorders the samples each
    epoch with ``random.Random(seed)`` (the global state is not touched). ``l2`` adds
    ``l2 * Σ p^2`` over all parameters to each batch's loss.

    ``verbose`` (as in Keras): 0 (or False) prints nothing; 1 (or True) shows one progress
    bar for the whole run: in a terminal redrawn in place (tqdm's when tqdm is installed
    and ``file`` is None, a built-in one otherwise), in a notebook one output updated in
    place, anywhere else (a file, a pipe) plain lines, at most one per tenth of the run;
    2 prints one line per epoch (epoch, loss, metrics, seconds), or every ``log_every``-th
    epoch and the last. ``verbose=k`` for k > 2 means ``verbose=2, log_every=k``; anything
    but an int or a bool is a TypeError. Output goes to ``file`` (default stdout).

    Refused before anything changes: a call inside ``no_grad()`` (RuntimeError: nothing
    would train), ``loss="bce"`` on a model whose output is not ``sigmoid`` (ValueError
    naming ``output_activation="sigmoid"`` and ``bce_with_logits``), a negative or
    non-finite ``l2``, no samples. ``metrics`` may be one name (``"accuracy"``).
    ``callbacks``: objects with any of ``on_train_begin``, ``on_batch_end``,
    ``on_epoch_end``, ``on_train_end`` (see :mod:`micrograd_nn.progress`).

    The epoch's loss and accuracy are measured on the forward passes of that epoch, before
    each batch's step (as Keras does); for full batch it is the loss at the start of the
    epoch. Accuracy reads a list of outputs by its argmax, a single output by which side of
    a threshold it is on: 0 for hinge / logits / -1,+1 targets, else 0.5.

    ``replay`` (default True): where the graph has the same shape for every sample (the
    model exactly an MLP, Layer or Neuron, the loss one of ``LOSSES``, samples plain
    numbers), each place in a batch gets its graph built once and recomputed for every
    sample after (:mod:`micrograd_nn.replay`): about twice as fast (CPU time) on the digits
    example (README, Performance; docs/design.md says where the rest goes), and bit for bit
    the same losses and weights. ``replay=False`` builds every graph afresh.
    """
    if not is_grad_enabled():
        raise RuntimeError("fit() was called inside no_grad(): no graph would be recorded, "
                           "so no gradient and no step; call fit outside the no_grad block")
    loss_fn = _resolve_loss(loss)
    _check_probabilities(loss_fn, model)
    l2 = _check_l2(l2)
    opt = _resolve_optimizer(optimizer, model)
    names = _check_metrics(metrics)
    n = _check_data(X, y)
    size = None if batch_size is None else check_int(batch_size, "batch_size")
    check_int(epochs, "epochs", minimum=0)
    level, every = _check_verbose(verbose, log_every)
    display = progress_display(level, every, file)
    hooks = _Callbacks([*callbacks, *([display] if display else [])])
    params = model.parameters() if l2 else []
    cut = _threshold(loss_fn, y)
    if not isinstance(replay, bool):
        raise TypeError(f"replay must be True or False, got {replay!r}")
    rows = sample_rows(X, model.nin) if replay and replay_unsupported(  # type: ignore[attr-defined]
        model, loss_fn) is None else None
    replayer = Replay(model) if rows is not None else None

    def objective(outputs: list[Any], targets: list[Any]) -> Value:
        batch_loss = loss_fn(outputs, targets)
        return batch_loss + l2_penalty(params, l2) if l2 else batch_loss

    def step(batch: list[int]) -> tuple[float, int]:
        """One optimizer step on ``batch``: its mean loss and how many it got right."""
        # The step's graph has no reference cycles: pausing the collector only skips its
        # re-scans of the growing graph (restored after the step, errors included).
        with gc_paused():
            opt.zero_grad()
            targets = [y[i] for i in batch]
            if replayer is not None and rows is not None:
                batch_loss, outputs = replayer.step([rows[i] for i in batch], targets, objective)
            else:
                outputs = [model(X[i]) for i in batch]
                batch_loss = objective(outputs, targets)
                batch_loss.backward()
            opt.step()
        right = sum(_correct(o, t, cut) for o, t in zip(outputs, targets)) if names else 0
        return batch_loss.data, right

    rng = random.Random(seed)
    history = History(metrics={name: [] for name in names})
    order = list(range(n))
    steps_per_epoch = len(_batches(n, size, order))
    hooks("on_train_begin", {"epochs": epochs, "steps": epochs * steps_per_epoch,
                             "samples": n})
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            if shuffle:
                rng.shuffle(order)
            total, right = 0.0, 0
            for k, batch in enumerate(_batches(n, size, order)):
                batch_loss, hits = step(batch)
                total, right = total + batch_loss * len(batch), right + hits
                hooks("on_batch_end", epoch * steps_per_epoch + k,
                      {"epoch": epoch, "loss": batch_loss, "size": len(batch)})
            logs = _record(history, names, total / n, right / n, time.perf_counter() - start)
            hooks("on_epoch_end", epoch, logs)
        hooks("on_train_end", _last_logs(history))
    finally:
        if display is not None:
            display.close()
    return history


def _record(history: History, names: list[str], loss: float, right: float,
            seconds: float) -> dict[str, float]:
    """Append one epoch to ``history``; its figures as callbacks' logs."""
    history.loss.append(loss)
    for name in names:
        history.metrics[name].append(right)
    history.seconds.append(seconds)
    return _last_logs(history)


def _last_logs(history: History) -> dict[str, float]:
    if not history.epochs:
        return {}
    return {**{name: vals[-1] for name, vals in history.history.items()},
            "seconds": history.seconds[-1]}


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
    """Mean loss and metrics of ``model`` on ``X``/``y``, without recording a graph
    (ValueError for no samples, or ``loss="bce"`` on an output that is not ``sigmoid``)."""
    loss_fn = _resolve_loss(loss)
    _check_probabilities(loss_fn, model)
    names = _check_metrics(metrics)
    _check_data(X, y, "evaluate")
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

