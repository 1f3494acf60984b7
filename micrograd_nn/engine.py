"""The engine's compatibility face: ``micrograd_nn.engine.Value``, ``.Mul``, ``.OPS`` and the
rest, as before the engine was split into layers. New code imports from the modules that
define these names (or from ``micrograd_nn``):

- ``node.py``: the record every Value is, the walks, backward's order and rule loop;
- ``text.py``: how a node is written (numbers, names, equations);
- ``steps.py``: backward one step at a time;
- ``value.py``: :class:`Value`, :class:`Constant`, the :class:`Op` base and :data:`OPS`;
- ``ops.py``, ``functions.py``: one class per op (arithmetic; one-input functions).
"""

from __future__ import annotations

from .floats import exact_sum, stable_sigmoid
from .functions import *  # noqa: F403  (every op class: micrograd_nn.engine.Exp ...)
from .functions import __all__ as _functions
from .modes import (
    AnomalyError,
    detect_anomaly,
    gc_paused,
    is_grad_enabled,
    no_grad,
    records_nothing,
)
from .node import backward_lock, prepare_backward, topological_order
from .ops import *  # noqa: F403  (... micrograd_nn.engine.Mul and the rest)
from .ops import __all__ as _arithmetic
from .steps import BackwardStep
from .text import format_number, node_names
from .value import OPS, Constant, Op, Value, leaf, zero_grad

__all__ = [
    "Value", "Constant", "Op", "OPS", "stable_sigmoid", "exact_sum", "leaf", "zero_grad",
    "no_grad", "detect_anomaly", "gc_paused", "is_grad_enabled", "records_nothing",
    "AnomalyError", "topological_order", "BackwardStep", "node_names", "format_number",
    "backward_lock", "prepare_backward", *_arithmetic, *_functions,
]
