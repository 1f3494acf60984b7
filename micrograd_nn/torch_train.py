"""A micrograd_nn model in PyTorch and training it in both engines: :func:`to_torch`,
:func:`from_torch`, :func:`fit_parity`. Import them from :mod:`micrograd_nn.torch`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import MLP, Layer, Module, Neuron, Value, fit
from .losses import LOSSES, bce, bce_with_logits, hinge, mse, softmax_cross_entropy
from .optim import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, RMSprop
from .torch_ops import F64, torch

__all__ = ["TORCH_ACTIVATIONS", "PARITY_TOLERANCE", "to_torch", "from_torch", "TORCH_LOSSES",
           "torch_optimizer", "EpochParity", "FitParity", "fit_parity"]

PARITY_TOLERANCE = 1e-8
"""Largest loss or weight difference :func:`assert_matches_torch` accepts between the two
engines' training runs. Measured over 100 steps: about 1e-15 for SGD, Momentum and Adam
and for RMSprop with its default alpha 0.99; RMSprop with alpha 0.9 reached 9.4e-10 (a
gradient crossing 0 while v is small: g / sqrt(v) amplifies the engines' last-bit rounding
of g), so the default leaves a factor of 10 above that."""

TORCH_ACTIVATIONS: dict[str, Any] = {
    "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU,
    "linear": None,
}
"""The ``torch.nn`` module of every activation a micrograd_nn layer can have (None for
linear: the ``Linear`` layer alone)."""


# ---------------------------------------------------------------------------------------
# Models


def _model_layers(model: Module) -> list[tuple[list[list[float]], list[float], str]]:
    if isinstance(model, MLP):
        return [(*layer.get_weights(), layer.activation) for layer in model.layers]
    if isinstance(model, Layer):
        return [(*model.get_weights(), model.activation)]
    if isinstance(model, Neuron):
        w, b = model.get_weights()
        return [([w], [b], model.activation)]
    raise TypeError(f"to_torch needs an MLP, a Layer or a Neuron, got {type(model).__name__}")


def to_torch(model: Module) -> Any:
    """``model`` (an :class:`~micrograd_nn.MLP`, Layer or Neuron) as a float64
    ``torch.nn.Sequential``: per layer a ``Linear`` holding its weights (row j of
    ``weight`` is neuron j's inputs' weights), then its activation (``Tanh``, ``Sigmoid``,
    ``ReLU``; none for linear). It computes the same function from the same numbers; it
    maps a batch of shape (n, nin) to (n, nout). Torch's random state is not touched."""
    modules = []
    for w, b, activation in _model_layers(model):
        linear = torch.nn.utils.skip_init(torch.nn.Linear, len(w[0]), len(w), dtype=F64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(w, dtype=F64))
            linear.bias.copy_(torch.tensor(b, dtype=F64))
        modules.append(linear)
        act = TORCH_ACTIVATIONS[activation]
        if act is not None:
            modules.append(act())
    return torch.nn.Sequential(*modules)


def _flatten(module: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(module, torch.nn.Sequential):
        return [item for name, child in module.named_children()
                for item in _flatten(child, f"{prefix}.{name}" if prefix else name)]
    return [(prefix or type(module).__name__, module)]


def _activation_name(module: Any) -> str | None:
    for name, cls in TORCH_ACTIVATIONS.items():
        if cls is not None and type(module) is cls:
            return name
    return None


def from_torch(module: Any) -> MLP:
    """The :class:`~micrograd_nn.MLP` computing what ``module`` computes: a ``Linear``, or
    a (nested) ``torch.nn.Sequential`` of ``Linear`` layers each followed by at most one
    ``Tanh``, ``Sigmoid`` or ``ReLU`` (``Identity`` is skipped). Weights are copied as
    float64 numbers (float32 ones exactly). An MLP has one hidden activation and one
    output activation, so every hidden ``Linear`` must be followed by the same one.

    Anything else raises ValueError naming the layer: ``from_torch: layer '2' (GELU(...))
    has no micrograd_nn equivalent ...``."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    layers: list[list[Any]] = []  # [W, b, activation, name]
    supported = "Linear (with bias), Tanh, Sigmoid, ReLU, Identity"
    for name, child in _flatten(module, ""):
        where = f"layer '{name}' ({child!r})"
        if isinstance(child, torch.nn.Identity):
            continue
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(f"from_torch: {where} has no bias; micrograd_nn's neurons "
                                 "always have one (make it Linear(..., bias=True) with bias 0)")
            if layers and child.in_features != len(layers[-1][1]):
                raise ValueError(f"from_torch: {where} takes {child.in_features} inputs but "
                                 f"the layer before gives {len(layers[-1][1])}")
            layers.append([child.weight.detach().double().tolist(),
                           child.bias.detach().double().tolist(), "linear", where])
            continue
        activation = _activation_name(child)
        if activation is None:
            raise ValueError(f"from_torch: {where} has no micrograd_nn equivalent; supported: "
                             f"{supported}")
        if not layers:
            raise ValueError(f"from_torch: {where} comes before any Linear layer")
        if layers[-1][2] != "linear":
            raise ValueError(f"from_torch: {where} follows another activation "
                             f"({layers[-1][2]}); a layer has one activation")
        layers[-1][2] = activation
    if not layers:
        raise ValueError(f"from_torch: {module!r} has no Linear layer")
    hidden = {la[2] for la in layers[:-1]}
    if len(hidden) > 1:
        first = layers[0][2]
        odd = next(la for la in layers[:-1] if la[2] != first)
        raise ValueError(f"from_torch: the hidden {odd[3]} has activation {odd[2]!r} but the "
                         f"first has {first!r}; an MLP has one hidden activation")
    return MLP.from_weights([(w, b) for w, b, _, _ in layers],
                            activation=hidden.pop() if hidden else "tanh",
                            output_activation=layers[-1][2])


# ---------------------------------------------------------------------------------------
# Training in both engines

_TorchLoss = Callable[[Any, Sequence[Any]], Any]


def _targets(y: Sequence[Any], nout: int) -> Any:
    rows = [[float(t)] if not isinstance(t, Sequence) else [float(v) for v in t] for t in y]
    if any(len(r) != nout for r in rows):
        raise ValueError(f"targets must give {nout} number(s) per sample")
    return torch.tensor(rows, dtype=F64)


def _t_mse(out: Any, y: Sequence[Any]) -> Any:
    return ((out - _targets(y, out.shape[1])) ** 2).mean()


def _t_bce(out: Any, y: Sequence[Any]) -> Any:
    t = _targets(y, out.shape[1])
    q = out.clamp(1e-12, 1.0 - 1e-12)  # losses.BCE_EPS: no gradient flows outside
    return (-(t * q.log() + (1.0 - t) * (1.0 - q).log())).mean()


def _t_bce_with_logits(out: Any, y: Sequence[Any]) -> Any:
    return torch.nn.functional.binary_cross_entropy_with_logits(out, _targets(y, out.shape[1]))


def _t_hinge(out: Any, y: Sequence[Any]) -> Any:
    return torch.relu(1.0 - _targets(y, out.shape[1]) * out).mean()


def _t_softmax_ce(out: Any, y: Sequence[Any]) -> Any:
    return torch.nn.functional.cross_entropy(out, torch.tensor([int(t) for t in y]))


TORCH_LOSSES: dict[Callable[..., Value], _TorchLoss] = {
    mse: _t_mse, bce: _t_bce, bce_with_logits: _t_bce_with_logits, hinge: _t_hinge,
    softmax_cross_entropy: _t_softmax_ce,
}
"""The torch form of each loss in :data:`micrograd_nn.losses.LOSSES`, by function:
``f(out, targets)``, ``out`` a (batch, nout) tensor, the same mean over every output."""


def torch_optimizer(opt: Optimizer, params: Iterable[Any]) -> Any:
    """The ``torch.optim`` optimizer over the tensors ``params`` that follows ``opt``'s
    update rule with its hyper-parameters (and its learning rate for the next step):
    SGD -> ``SGD(lr)``, Momentum -> ``SGD(lr, momentum, dampening=0)``, RMSprop ->
    ``RMSprop(lr, alpha, eps)``, Adam -> ``Adam(lr, betas, eps)``. TypeError for any
    other optimizer."""
    lr = opt.learning_rate()
    if isinstance(opt, Adam):
        return torch.optim.Adam(params, lr=lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    if isinstance(opt, RMSprop):
        return torch.optim.RMSprop(params, lr=lr, alpha=opt.alpha, eps=opt.eps)
    if isinstance(opt, Momentum):
        return torch.optim.SGD(params, lr=lr, momentum=opt.momentum, dampening=0.0)
    if isinstance(opt, SGD):
        return torch.optim.SGD(params, lr=lr)
    raise TypeError(f"no torch.optim counterpart for {type(opt).__name__}: use SGD, "
                    "Momentum, RMSprop or Adam")


def _torch_weights(module: Any) -> list[float]:
    """The module's numbers in ``MLP.parameters()`` order (per neuron: weights, bias)."""
    flat: list[float] = []
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            for row, b in zip(m.weight.detach().tolist(), m.bias.detach().tolist()):
                flat.extend(row)
                flat.append(b)
    return flat


@dataclass
class EpochParity:
    """One epoch in both engines: the mean training loss as ``fit`` reports it
    (``loss``, ``torch_loss``), and over the epoch's steps the largest difference of a
    step's loss (``loss_difference``) and of any weight after a step
    (``weight_difference``)."""

    epoch: int
    loss: float
    torch_loss: float
    loss_difference: float
    weight_difference: float


@dataclass
class FitParity:
    """What :func:`fit_parity` measured: ``epochs`` (one :class:`EpochParity` each),
    ``step_loss_differences`` and ``step_weight_differences`` (one per optimizer step),
    the ``history`` micrograd_nn's ``fit`` returned and the trained ``torch_model``."""

    epochs: list[EpochParity]
    step_loss_differences: list[float]
    step_weight_differences: list[float]
    history: Any
    torch_model: Any
    optimizer: str

    @property
    def max_loss_difference(self) -> float:
        """The largest difference of a step's loss over the run."""
        return max(self.step_loss_differences, default=0.0)

    @property
    def max_weight_difference(self) -> float:
        """The largest difference of any weight after any step."""
        return max(self.step_weight_differences, default=0.0)

    def __str__(self) -> str:
        lines = [f"{self.optimizer}: {len(self.step_loss_differences)} steps in both engines",
                 f"{'epoch':>5}  {'loss':>12}  {'torch loss':>12}  {'max |Δloss|':>11}  "
                 f"{'max |Δw|':>9}"]
        lines += [f"{e.epoch:>5}  {e.loss:>12.8f}  {e.torch_loss:>12.8f}  "
                  f"{e.loss_difference:>11.2e}  {e.weight_difference:>9.2e}"
                  for e in self.epochs]
        return "\n".join(lines)


class _Recorder:
    def __init__(self, model: Module) -> None:
        self.model = model
        self.losses: list[float] = []
        self.weights: list[list[float]] = []

    def on_batch_end(self, step: int, logs: dict[str, Any]) -> None:
        self.losses.append(float(logs["loss"]))
        self.weights.append([p.data for p in self.model.parameters()])


def fit_parity(model: Module, X: Sequence[Any], y: Sequence[Any],
               loss: str | Callable[..., Value] = "mse",
               optimizer: Optimizer | str = "adam", epochs: int = 1,
               batch_size: int | None = None, shuffle: bool = True, seed: int = 0,
               l2: float = 0.0, torch_loss: _TorchLoss | None = None) -> FitParity:
    """Train ``model`` with :func:`micrograd_nn.fit` and its twin :func:`to_torch(model)
    <to_torch>` in PyTorch, with the same data, batches (the same shuffled order), loss,
    L2 term and optimizer, and measure after every step how far the losses and the weights
    are apart. ``model`` is trained in place (as ``fit`` does); the twin is returned in the
    result.

    ``optimizer`` is an optimizer over ``model.parameters()`` that has taken no step, or a
    name (its defaults). Each maps to the ``torch.optim`` optimizer its docstring names,
    with the same hyper-parameters: SGD to ``SGD(lr)``, Momentum to ``SGD(lr, momentum,
    dampening=0)``, RMSprop to ``RMSprop(lr, alpha, eps)``, Adam to ``Adam(lr, betas,
    eps)``; a learning-rate schedule is applied to torch's ``lr`` before each step. Each
    built-in loss maps to its torch form; for a loss of your own give ``torch_loss(out,
    targets)`` (``out`` a tensor of shape (batch, nout)). ``seed`` (default 0, so both
    engines see one order) seeds ``fit``'s shuffle.
    """
    if not isinstance(model, (MLP, Layer, Neuron)):
        raise TypeError(f"fit_parity needs an MLP, a Layer or a Neuron, got "
                        f"{type(model).__name__}")
    opt = _our_optimizer(optimizer, model)
    loss_fn = LOSSES[loss] if isinstance(loss, str) and loss in LOSSES else loss
    if isinstance(loss_fn, str):
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    t_loss = torch_loss if torch_loss is not None else TORCH_LOSSES.get(loss_fn)
    if t_loss is None:
        raise ValueError(f"fit_parity: no PyTorch form of the loss {loss!r}: pass "
                         "torch_loss=f(out, targets)")
    twin = to_torch(model)
    t_params = list(twin.parameters())
    t_opt = torch_optimizer(opt, t_params)
    schedule = opt.lr if callable(opt.lr) else None
    recorder = _Recorder(model)
    history = fit(model, X, y, loss=loss_fn, optimizer=opt, epochs=epochs,
                  batch_size=batch_size, shuffle=shuffle, seed=seed, metrics=(), verbose=0,
                  l2=l2, callbacks=[recorder])
    # The torch run: fit's order (random.Random(seed) shuffling one list every epoch)
    n = len(X)
    rng = random.Random(seed)
    order = list(range(n))
    size = n if batch_size is None else batch_size
    inputs = torch.tensor([[float(v) for v in x] for x in X], dtype=F64)
    step = 0
    result: list[EpochParity] = []
    loss_diffs: list[float] = []
    weight_diffs: list[float] = []
    for epoch in range(epochs):
        if shuffle:
            rng.shuffle(order)
        total = 0.0
        first = step
        for start in range(0, n, size):
            batch = order[start:start + size]
            if schedule is not None:
                for group in t_opt.param_groups:
                    group["lr"] = schedule(step)
            t_opt.zero_grad()
            batch_loss = t_loss(twin(inputs[batch]), [y[i] for i in batch])
            if l2:
                batch_loss = batch_loss + l2 * sum((p * p).sum() for p in t_params)
            batch_loss.backward()
            t_opt.step()
            value = float(batch_loss.item())
            total += value * len(batch)
            loss_diffs.append(abs(value - recorder.losses[step]))
            weight_diffs.append(max(abs(a - b) for a, b in
                                    zip(_torch_weights(twin), recorder.weights[step])))
            step += 1
        result.append(EpochParity(epoch + 1, history.loss[epoch], total / n,
                                  max(loss_diffs[first:step]), max(weight_diffs[first:step])))
    return FitParity(result, loss_diffs, weight_diffs, history, twin, type(opt).__name__)


def _our_optimizer(optimizer: Optimizer | str, model: Module) -> Optimizer:
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        return OPTIMIZERS[optimizer](model.parameters())
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer or a name, got {optimizer!r}")
    if optimizer.steps:
        raise ValueError(f"fit_parity needs an optimizer that has taken no step; this one "
                         f"has taken {optimizer.steps}")
    if [id(p) for p in optimizer.params] != [id(p) for p in model.parameters()]:
        raise ValueError("the optimizer must be over model.parameters(), in that order")
    return optimizer
