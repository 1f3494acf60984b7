"""Float math shared by the ops and the layers: the few functions of plain numbers that
both a node's forward and a model's graph-free path must compute identically."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

__all__ = ["exact_sum", "stable_sigmoid", "checked_power"]


def exact_sum(numbers: Sequence[float]) -> float:
    """The exactly rounded sum (``math.fsum``), as ``Value.sum`` computes it. Where the
    exact sum is too large for a float it is ±inf, and over inf and -inf it is nan, as IEEE
    addition gives (fsum raises there), whatever the order of the terms."""
    try:
        return math.fsum(numbers)
    except (OverflowError, ValueError):
        pass
    infinities = {x for x in numbers if math.isinf(x)}
    if infinities:
        return math.nan if len(infinities) == 2 else infinities.pop()
    # Finite terms whose partial sums overflow: sum them as exact fractions (every float
    # is one) and round once, so no term loses a bit on the way (rare, so speed is moot).
    try:
        return float(sum(map(Fraction, numbers), Fraction(0)))
    except OverflowError:
        return math.inf if sum(map(Fraction, numbers), Fraction(0)) > 0 else -math.inf


def stable_sigmoid(x: float) -> float:
    """σ(x) on a plain float, as :meth:`Value.sigmoid` computes it: 1/(1+e^-x) for x >= 0,
    e^x/(1+e^x) for x < 0, so neither branch can overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def checked_power(x: float, e: float) -> float:
    """x ** e for a finite x, raising OverflowError where it is too large for a float. PyPy
    returns inf for some overflowing powers (1e300 ** 2) where CPython raises."""
    try:
        z = x ** e
    except OverflowError:
        z = math.inf
    if math.isinf(z) and math.isfinite(x):
        raise OverflowError(f"'**' overflows: {x!r} ** {e!r}")
    return z  # type: ignore[no-any-return]
