"""micrograd_nn: a pure-Python scalar autograd engine for seeing backpropagation.

``Value`` records every scalar op into a graph and backpropagates through it;
``gradcheck`` verifies gradients against finite differences.
"""

from .engine import (
    AnomalyError,
    BackwardStep,
    Constant,
    Value,
    detect_anomaly,
    is_grad_enabled,
    no_grad,
    topological_order,
    zero_grad,
)
from .gradcheck import GradcheckError, gradcheck

__all__ = [
    "Value", "Constant", "no_grad", "is_grad_enabled", "detect_anomaly", "AnomalyError",
    "BackwardStep", "topological_order", "zero_grad", "gradcheck", "GradcheckError",
]
__version__ = "0.1.0"
