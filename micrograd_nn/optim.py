"""Optimizers: turn each parameter's ``grad`` into a step, with PyTorch's update rules.

With g the gradient of parameter p at step t (t = 1, 2, ...) and lr the learning rate:

* :class:`SGD`:      p <- p - lr g
* :class:`Momentum`: b <- mu b + g  (b = g at t = 1);   p <- p - lr b
* :class:`RMSprop`:  v <- alpha v + (1 - alpha) g^2;   p <- p - lr g / (sqrt(v) + eps)
* :class:`Adam`:     m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
                     p <- p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

``lr`` is a number or a schedule: a function of the number of steps already taken
(0 for the first step) that returns the learning rate for this step.

Every setting is checked when the optimizer is made: a finite number >= 0 (``lr``,
``momentum``, ``alpha``, the betas; the last three below 1), and ``eps`` > 0 (it keeps a
division away from 0). :meth:`Optimizer.step` is all or nothing.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any, Union

from .value import Value, zero_grad

__all__ = ["Optimizer", "SGD", "Momentum", "RMSprop", "Adam", "OPTIMIZERS"]

LearningRate = Union[float, Callable[[int], float]]


def _check_rate(value: float, what: str, upper: float | None = None,
                positive: bool = False) -> float:
    """``value`` as a float: finite, >= 0 (> 0 when ``positive``), below ``upper``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value) or value < 0 or (positive and value == 0) or \
            (upper is not None and value >= upper):
        bound = f" and below {upper}" if upper is not None else ""
        low = "> 0" if positive else ">= 0"
        raise ValueError(f"{what} must be a finite number {low}{bound}, got {value!r}")
    return float(value)


def _all_finite(values: list[Any]) -> bool:
    """Whether every one of ``values`` is a finite float (False also when one is not a
    number, e.g. a momentum buffer still None: the caller's own loop then decides)."""
    try:
        return all(map(math.isfinite, values))
    except TypeError:
        return False


class Optimizer:
    """Base class: holds the parameters, the learning rate (or schedule) and the step count.

    Subclasses implement :meth:`update`, the rule for one parameter.
    """

    def __init__(self, params: Iterable[Value], lr: LearningRate) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError("optimizer parameters must be Values (e.g. model.parameters())")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("some parameters appear more than once in the list")
        if not callable(lr):
            _check_rate(lr, "lr")
        self.lr = lr
        self.steps = 0

    def learning_rate(self) -> float:
        """The learning rate the next :meth:`step` will use."""
        if callable(self.lr):
            return _check_rate(self.lr(self.steps), f"lr schedule at step {self.steps}")
        return float(self.lr)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (before the next backward)."""
        zero_grad(self.params)

    def step(self) -> None:
        """Move every parameter by the rule of this optimizer, using its current ``grad``.

        All or nothing: every parameter's step (and the optimizer's new state) is worked
        out first. When a gradient, a step, a new parameter value or the new state is NaN
        or infinite, FloatingPointError names the parameter, and when the rule raises, its
        error propagates; either way no parameter, no state and not the step count has
        changed."""
        grads = [p.grad for p in self.params]
        if not _all_finite(grads):  # the loop below only names the first bad one
            for i, g in enumerate(grads):
                if not math.isfinite(g):
                    raise FloatingPointError(f"gradient of parameter {self._name(i)} is "
                                             f"{g!r}; no parameter was changed")
        lr = self.learning_rate()
        saved = {k: copy.copy(v) for k, v in vars(self).items() if k != "params"}
        try:
            self.steps += 1
            update = self.update
            moved = [p.data - update(i, g, lr) for i, (p, g) in enumerate(zip(self.params,
                                                                              grads))]
            self._check_finite(moved)
        except BaseException:
            vars(self).update(saved)  # the state before this step (lists were copied)
            raise
        for p, data in zip(self.params, moved):
            p.data = data

    def _name(self, i: int) -> str:
        label = self.params[i].label
        return f"'{label}'" if label else f"#{i}"

    def _check_finite(self, moved: list[float]) -> None:
        """FloatingPointError naming the first parameter whose new value or per-parameter
        state (any list as long as the parameters) is not finite."""
        n = len(self.params)
        states = [(k, v) for k, v in vars(self).items()
                  if k != "params" and isinstance(v, list) and len(v) == n]
        if _all_finite(moved) and all(_all_finite(v) for _, v in states):
            return  # the common case, in C; the loop below finds what to name
        for i, data in enumerate(moved):
            if not math.isfinite(data):
                raise FloatingPointError(
                    f"the step would make parameter {self._name(i)} {data!r} (gradient "
                    f"{self.params[i].grad!r}); no parameter was changed")
            for key, values in states:
                value = values[i]
                if isinstance(value, float) and not math.isfinite(value):
                    raise FloatingPointError(
                        f"the step would make {type(self).__name__}.{key} of parameter "
                        f"{self._name(i)} {value!r} (gradient {self.params[i].grad!r}); "
                        "no parameter was changed")

    def update(self, i: int, g: float, lr: float) -> float:
        """The amount to subtract from parameter ``i`` whose gradient is ``g``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, params={len(self.params)})"


class SGD(Optimizer):
    """Plain gradient descent: p <- p - lr g."""

    def __init__(self, params: Iterable[Value], lr: LearningRate = 1e-3) -> None:
        super().__init__(params, lr)

    def update(self, i: int, g: float, lr: float) -> float:
        """lr g"""
        return lr * g


class Momentum(Optimizer):
    """SGD with momentum (PyTorch's SGD, dampening 0): b <- mu b + g, p <- p - lr b.

    The buffer b is a running sum of past gradients decayed by ``momentum``, so steps keep
    going in directions where the gradient keeps its sign."""

    def __init__(self, params: Iterable[Value], lr: LearningRate = 1e-3,
                 momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = _check_rate(momentum, "momentum", 1.0)
        self.buffers: list[float | None] = [None] * len(self.params)

    def update(self, i: int, g: float, lr: float) -> float:
        """lr b, with b = g on the first step and mu b + g after."""
        b = self.buffers[i]
        b = g if b is None else self.momentum * b + g
        self.buffers[i] = b
        return lr * b


class RMSprop(Optimizer):
    """Divides each step by a running root-mean-square of that parameter's gradients:
    v <- alpha v + (1 - alpha) g^2, p <- p - lr g / (sqrt(v) + eps)."""

    def __init__(self, params: Iterable[Value], lr: LearningRate = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        self.alpha = _check_rate(alpha, "alpha", 1.0)
        self.eps = _check_rate(eps, "eps", positive=True)  # 0 would divide by 0
        self.square_avg = [0.0] * len(self.params)

    def update(self, i: int, g: float, lr: float) -> float:
        """lr g / (sqrt(v) + eps)"""
        v = self.alpha * self.square_avg[i] + (1.0 - self.alpha) * g * g
        self.square_avg[i] = v
        return lr * g / (math.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Momentum on the gradient (m) and RMSprop's scale (v), both bias-corrected for
    their zero start: p <- p - lr m_hat / (sqrt(v_hat) + eps)."""

    def __init__(self, params: Iterable[Value], lr: LearningRate = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.beta1 = _check_rate(betas[0], "beta1", 1.0)
        self.beta2 = _check_rate(betas[1], "beta2", 1.0)
        self.eps = _check_rate(eps, "eps", positive=True)  # 0 would divide by 0
        self.exp_avg = [0.0] * len(self.params)
        self.exp_avg_sq = [0.0] * len(self.params)

    def update(self, i: int, g: float, lr: float) -> float:
        """lr m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)"""
        m = self.beta1 * self.exp_avg[i] + (1.0 - self.beta1) * g
        v = self.beta2 * self.exp_avg_sq[i] + (1.0 - self.beta2) * g * g
        self.exp_avg[i] = m
        self.exp_avg_sq[i] = v
        t = self.steps  # already counts this step
        m_hat = m / (1.0 - self.beta1 ** t)
        v_hat = v / (1.0 - self.beta2 ** t)
        return lr * m_hat / (math.sqrt(v_hat) + self.eps)


# Each builds an optimizer over the given parameters with its default settings.
OPTIMIZERS: dict[str, Callable[[Iterable[Value]], Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}
