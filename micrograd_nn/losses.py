"""Loss functions built from engine ops, so backward() differentiates them like any graph.

Each takes a model's output for one sample or for a batch (a list of outputs) and the
matching targets, and returns the mean loss as one Value. Outputs are Values or (nested)
lists of Values; targets are plain numbers of the same shape.

Derivatives, for reference (y the target):

* ``mse``:   L = (p - y)^2,                          dL/dp = 2 (p - y)
* ``bce``:   L = -[y ln p + (1 - y) ln(1 - p)],      dL/dp = (p - y) / (p (1 - p))
* ``bce_with_logits``: the same with p = σ(z),       dL/dz = σ(z) - y
* ``hinge``: L = max(0, 1 - y s),  y in {-1, +1},    dL/ds = -y where y s < 1, else 0
* ``softmax_cross_entropy``: L = ln Σ_j e^(z_j) - z_t,  dL/dz_j = softmax(z)_j - [j = t]
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from .checks import to_float as _to_float
from .value import Constant, Value

__all__ = ["mse", "bce", "bce_with_logits", "hinge", "softmax_cross_entropy", "softmax",
           "l2_penalty", "LOSSES"]

BCE_EPS = 1e-12


def _target(y: Any) -> float:
    return _to_float(y, "a target")


def _pairs(pred: Any, target: Any) -> list[tuple[Value, float]]:
    """(output, target) for every scalar of the (possibly nested) outputs."""
    if isinstance(pred, Value):
        if not isinstance(target, numbers.Real) and isinstance(target, Sequence) \
                and len(target) == 1:
            target = target[0]  # [[0], [1]] style targets for single-output models
        return [(pred, _target(target))]
    if isinstance(pred, (str, bytes)) or not isinstance(pred, Sequence):
        raise TypeError(f"expected a Value or a list of Values, got {type(pred).__name__}")
    if isinstance(target, (str, bytes)) or not isinstance(target, Sequence):
        raise ValueError(f"{len(pred)} outputs but the target is a single {target!r}")
    if len(pred) != len(target):
        raise ValueError(f"{len(pred)} outputs but {len(target)} targets")
    if not pred:
        raise ValueError("no outputs to take the loss of")
    return [pair for p, t in zip(pred, target) for pair in _pairs(p, t)]


def _mean(terms: list[Value]) -> Value:
    return Value.sum(terms) / len(terms)


def mse(pred: Any, target: Any) -> Value:
    """Mean squared error: mean of (p - y)^2 over every output.   dL/dp = 2 (p - y) / n"""
    return _mean([(p - y) ** 2 for p, y in _pairs(pred, target)])


def _clamped(p: Value, eps: float) -> Value:
    """p kept inside [eps, 1 - eps] so that ln p and ln(1 - p) are finite. Outside that
    range p is replaced by the bound, a constant: no gradient flows (as Keras clips)."""
    if p.data < eps:
        return Constant(eps)
    if p.data > 1.0 - eps:
        return Constant(1.0 - eps)
    return p


def _bce_term(p: Value, y: float, eps: float) -> Value:
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"bce needs targets in [0, 1], got {y!r}")
    q = _clamped(p, eps)
    if y == 1.0:  # only the term that is not multiplied by zero
        return -q.log()
    if y == 0.0:
        return -(1.0 - q).log()
    return -(y * q.log() + (1.0 - y) * (1.0 - q).log())


def bce(pred: Any, target: Any, eps: float = BCE_EPS) -> Value:
    """Binary cross-entropy from probabilities p in [0, 1]:
    mean of -[y ln p + (1 - y) ln(1 - p)].

    p is clamped to [eps, 1 - eps] so the log never sees 0 (there its gradient is 0);
    prefer :func:`bce_with_logits` on a linear output, which never saturates."""
    return _mean([_bce_term(p, y, eps) for p, y in _pairs(pred, target)])


def _bce_logit_term(z: Value, y: float) -> Value:
    """-[y ln σ(z) + (1 - y) ln(1 - σ(z))] = (1 - y) z + ln(1 + e^-z)   (z >= 0)
                                           = -y z + ln(1 + e^z)        (z < 0)
    Both forms are the same function; each keeps its exp <= 1, so nothing overflows."""
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"bce_with_logits needs targets in [0, 1], got {y!r}")
    if z.data >= 0.0:
        return (1.0 - y) * z + (1.0 + (-z).exp()).log()
    return -y * z + (1.0 + z.exp()).log()


def bce_with_logits(pred: Any, target: Any) -> Value:
    """Binary cross-entropy from logits z (p = σ(z)), numerically stable for any z.
    dL/dz = σ(z) - y (divided by the number of outputs)."""
    return _mean([_bce_logit_term(z, y) for z, y in _pairs(pred, target)])


def hinge(pred: Any, target: Any) -> Value:
    """Max-margin loss, targets -1 or +1: mean of max(0, 1 - y s) (upstream micrograd's demo)."""
    terms = []
    for s, y in _pairs(pred, target):
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge needs targets -1 or +1, got {y!r}")
        terms.append((1.0 - y * s).relu())
    return _mean(terms)


def _class_index(t: Any, k: int) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"a class target must be an int, got {type(t).__name__} {t!r}")
    index = int(t)
    if not 0 <= index < k:
        raise ValueError(f"class {t} out of range for {k} logits")
    return index


def _softmax_ce_term(logits: Sequence[Value], t: Any) -> Value:
    """ln Σ_j e^(z_j - m) - (z_t - m), with m the largest logit: the same value as
    ln Σ e^(z_j) - z_t (m cancels), but every exp is at most 1, so none overflows."""
    if isinstance(logits, Value) or not logits or \
            not all(isinstance(z, Value) for z in logits):
        raise TypeError("softmax_cross_entropy needs a list of logits (Values) per sample")
    index = _class_index(t, len(logits))
    m = max(z.data for z in logits)
    log_sum: Value = Value.sum([(z - m).exp() for z in logits]).log()
    return log_sum - (logits[index] - m)


def softmax_cross_entropy(logits: Any, target: Any) -> Value:
    """Cross-entropy of softmax(logits) against class index ``target`` (or a batch of
    logit lists and class indices); the mean over samples. dL/dz_j = softmax_j - [j = t]."""
    if isinstance(logits, Value):
        raise TypeError("softmax_cross_entropy needs a list of logits (Values) per sample, "
                        f"got one Value {logits!r}")
    if logits and isinstance(logits[0], Value):
        return _softmax_ce_term(logits, target)
    if isinstance(target, (str, bytes)) or not isinstance(target, Sequence):
        raise TypeError(f"a batch of logits needs a list of class targets, got {target!r}")
    if len(logits) != len(target) or not logits:
        raise ValueError(f"{len(logits)} samples of logits but {len(target)} targets")
    return _mean([_softmax_ce_term(z, t) for z, t in zip(logits, target)])


def softmax(logits: Sequence[Value]) -> list[Value]:
    """e^(z_i - m) / Σ_j e^(z_j - m) with m the largest logit (stable; sums to 1)."""
    m = max(z.data for z in logits)
    exps = [(z - m).exp() for z in logits]
    total = Value.sum(exps)
    return [e / total for e in exps]


def l2_penalty(params: Sequence[Value], alpha: float) -> Value:
    """alpha Σ p^2 (weight decay as a loss term).   d/dp = 2 alpha p"""
    return alpha * Value.sum([p * p for p in params])


LOSSES: dict[str, Callable[[Any, Any], Value]] = {
    "mse": mse,
    "bce": bce,
    "binary_crossentropy": bce,
    "bce_with_logits": bce_with_logits,
    "hinge": hinge,
    "softmax_cross_entropy": softmax_cross_entropy,
}
