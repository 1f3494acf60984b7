"""micrograd_nn: a pure-Python scalar autograd engine for seeing backpropagation.

``Value`` records every scalar op into a graph and backpropagates through it;
``gradcheck`` verifies gradients against finite differences.
"""

from . import losses
from .custom import custom_op
from .engine import OPS, Constant, Value, zero_grad
from .gradcheck import (
    CannotCheckError,
    GradcheckError,
    GradcheckReport,
    gradcheck,
    gradcheck_report,
)
from .graph import topological_order
from .higher import grad, gradgradcheck, hessian
from .modes import AnomalyError, detect_anomaly, gc_paused, is_grad_enabled, no_grad
from .nn import MLP, Layer, Module, Neuron, Parameter
from .optim import SGD, Adam, Momentum, RMSprop
from .serialize import ModelFileError, load, save
from .steps import BackwardStep, format_number, node_names
from .train import Callback, History, evaluate, fit, predict

__all__ = [
    "Value", "Constant", "OPS", "no_grad", "is_grad_enabled", "detect_anomaly",
    "AnomalyError", "BackwardStep", "topological_order", "node_names", "format_number",
    "zero_grad", "gc_paused", "gradcheck", "GradcheckError", "custom_op", "grad", "hessian",
    "gradgradcheck",
    "Parameter", "Module", "Neuron", "Layer", "MLP", "losses", "SGD", "Momentum", "RMSprop",
    "Adam", "fit", "evaluate", "predict", "History", "Callback", "save", "load",
    "ModelFileError",
    "gradcheck_report", "GradcheckReport", "CannotCheckError",
]
__version__ = "0.1.0"
