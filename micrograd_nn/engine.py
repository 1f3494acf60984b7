"""The engine's compatibility face: ``micrograd_nn.engine.Value``, ``.Mul``, ``.OPS`` and the
rest, as before the engine was split into layers. New code imports from the modules that
define these names (or from ``micrograd_nn``):

- ``node.py``: the record every Value is, the walks, backward's order and rule loop;
- ``text.py``: how a node is written (numbers, names, equations);
- ``steps.py``: backward one step at a time;
- ``value.py``: :class:`Value`, :class:`Constant`, the :class:`Op` base and :data:`OPS`;
- ``ops.py``: one class per op.
"""

from __future__ import annotations

from .floats import exact_sum, stable_sigmoid
from .modes import (
    AnomalyError,
    detect_anomaly,
    gc_paused,
    is_grad_enabled,
    no_grad,
    records_nothing,
)
from .node import backward_lock, prepare_backward, topological_order
from .ops import (
    Abs,
    Add,
    Cos,
    Div,
    Exp,
    Expm1,
    Log,
    Log1p,
    Mul,
    Neg,
    Pow,
    PowConst,
    ReLU,
    Sigmoid,
    Sin,
    Sqrt,
    Sub,
    Sum,
    Tanh,
)
from .steps import BackwardStep
from .text import format_number, node_names
from .value import OPS, Constant, Op, Value, leaf, zero_grad

__all__ = [
    "Value", "Constant", "Op", "OPS", "stable_sigmoid", "exact_sum", "leaf", "zero_grad",
    "no_grad", "detect_anomaly", "gc_paused", "is_grad_enabled", "records_nothing",
    "AnomalyError", "topological_order", "BackwardStep", "node_names", "format_number",
    "backward_lock", "prepare_backward",
    # every op class (tests/test_layout.py holds this list to OPS)
    "Abs", "Add", "Cos", "Div", "Exp", "Expm1", "Log", "Log1p", "Mul", "Neg", "Pow",
    "PowConst", "ReLU", "Sigmoid", "Sin", "Sqrt", "Sub", "Sum", "Tanh",
]
