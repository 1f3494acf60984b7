"""Arrays of Values for NumPy: run your NumPy forward pass on object arrays of Values,
backpropagate, and compare the engine's gradients with your hand-derived matrix formulas,
worst entries first, by index. Reached as ``micrograd_nn.testing.value_array`` and so on.

NumPy is imported on first use only: the package needs nothing outside the standard
library, and these helpers are for tests that already use NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

from .gradcheck import GradcheckError
from .value import Value

__all__ = ["value_array", "data_of", "grads_of", "assert_array_grads"]


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")
    except ImportError:
        raise ImportError("micrograd_nn.testing's array helpers need NumPy: "
                          "pip install numpy") from None


def value_array(array: Any, label: str = "") -> Any:
    """A NumPy object array of new leaf Values holding ``array``'s numbers (same shape),
    labelled ``label[i, j]`` when ``label`` is given. NumPy code then runs on it:
    ``X @ W + b``, ``np.tanh``, ``np.exp``, ``np.maximum(0, Z)``, ``np.where``..."""
    np = _numpy()

    given = np.asarray(array, dtype=object)  # keeps each entry's own type
    if any(isinstance(x, (bool, np.bool_)) for x in given.flat):
        raise TypeError("value_array needs real numbers, got booleans (True/False in "
                        "arithmetic is nearly always a bug, as Value(True) refuses it)")
    data = np.asarray(array, dtype=float)
    out = np.empty(data.shape, dtype=object)
    for index in np.ndindex(data.shape):
        name = f"{label}[{', '.join(map(str, index))}]" if label else ""
        out[index] = Value(float(data[index]), name)
    return out


def _floats(array: Any, field: str) -> Any:
    np = _numpy()

    a = np.asarray(array, dtype=object)
    out = np.empty(a.shape, dtype=float)
    for index in np.ndindex(a.shape):
        v = a[index]
        out[index] = getattr(v, field) if isinstance(v, Value) else (
            float(v) if field == "data" else 0.0)
    return out


def data_of(array: Any) -> Any:
    """The ``data`` of each Value of an object array, as a float array (numbers pass
    through)."""
    return _floats(array, "data")


def grads_of(array: Any) -> Any:
    """The ``grad`` of each Value of an object array, as a float array (0 for a number)."""
    return _floats(array, "grad")


def assert_array_grads(values: Any, expected: Any, rtol: float = 1e-10, atol: float = 1e-14,
                       name: str = "", worst: int = 5) -> None:
    """The engine's grads of an array of Values equal your hand-derived gradient array
    within ``atol + rtol * |expected|``, entry by entry. Raises GradcheckError naming how
    many entries differ and the ``worst`` of them by index: engine vs yours."""
    __tracebackhide__ = True
    np = _numpy()

    ours = grads_of(values)
    theirs = np.asarray(expected, dtype=float)
    what = name or "grads"
    if ours.shape != theirs.shape:
        raise ValueError(f"{what}: the Values have shape {ours.shape}, expected {theirs.shape}")
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are handled below
        excess = np.abs(ours - theirs) - (atol + rtol * np.abs(theirs))
    excess[np.isnan(excess)] = np.inf
    excess[ours == theirs] = -1.0  # equal, infinities included
    bad = sorted(map(tuple, np.argwhere(excess > 0)), key=lambda ix: -excess[ix])
    if not bad:
        return
    lines = [f"{what}: {len(bad)} of {ours.size} entries differ (rtol={rtol}, atol={atol}); "
             f"worst first:"]
    found = [(tuple(map(int, ix)), what, float(ours[ix]), float(theirs[ix])) for ix in bad]
    lines += [f"  {list(ix)}: engine {a!r}, yours {e!r}, difference {a - e!r}"
              for ix, _, a, e in found[:worst]]
    raise GradcheckError("\n".join(lines), found)
