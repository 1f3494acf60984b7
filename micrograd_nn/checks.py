"""Input checking shared by the engine and the layers on top of it.

Every public function here turns a bad argument into an error that says what was wrong,
with the value: ``Value() needs a finite number, got nan``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["to_float", "is_number", "short_repr", "check_int"]


def to_float(x: Any, where: str) -> float:
    """``x`` as a finite float, or a TypeError / ValueError / OverflowError naming it.

    Any real number is accepted (int, float, Fraction, NumPy scalars); ``bool`` is refused on
    purpose: True/False in arithmetic is nearly always a bug.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where} needs a real number, got {type(x).__name__} {short_repr(x)}")
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {short_repr(x)} is too large for a float") from None
    if not math.isfinite(f):
        raise ValueError(f"{where} needs a finite number, got {f!r}")
    return f


def is_number(x: Any) -> bool:
    """True for a real number an op accepts as a constant (not a bool)."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def short_repr(x: Any, limit: int = 40) -> str:
    """``repr(x)`` cut to ``limit`` characters (a huge int is never converted to text)."""
    text = repr(x) if not isinstance(x, int) or x.bit_length() < 4000 else "a huge int"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``: TypeError for a non-int (bools included),
    ValueError below the minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    return int(value)
