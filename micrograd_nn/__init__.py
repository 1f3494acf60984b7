"""micrograd_nn: a pure-Python scalar autograd engine for seeing backpropagation.

``Value`` records every scalar op into a graph and backpropagates through it;
``gradcheck`` verifies gradients against finite differences. The layers, bottom up:
``node`` (the record and the walks), ``text`` (how a node is written), ``steps`` (backward
one op at a time), ``value`` (the Value type and the op base), ``ops`` and ``functions``
(one class per op), then gradients of gradients, checks, networks, losses, optimizers and
training.
"""

from . import functions, losses, ops
from .custom import custom_op
from .gradcheck import (
    CannotCheckError,
    GradcheckError,
    GradcheckReport,
    gradcheck,
    gradcheck_report,
)
from .higher import grad, gradgradcheck, hessian
from .modes import AnomalyError, detect_anomaly, gc_paused, is_grad_enabled, no_grad
from .nn import MLP, Layer, Module, Neuron, Parameter
from .node import topological_order
from .optim import SGD, Adam, Momentum, RMSprop
from .progress import Callback
from .serialize import ModelFileError, load, save
from .steps import BackwardStep
from .text import format_number, node_names
from .train import History, evaluate, fit, predict
from .value import OPS, Constant, Value, zero_grad

__all__ = [
    "Value", "Constant", "OPS", "no_grad", "is_grad_enabled", "detect_anomaly",
    "AnomalyError", "BackwardStep", "topological_order", "node_names", "format_number",
    "zero_grad", "gc_paused", "gradcheck", "GradcheckError", "custom_op", "grad", "hessian",
    "gradgradcheck",
    "Parameter", "Module", "Neuron", "Layer", "MLP", "losses", "ops", "functions", "SGD",
    "Momentum", "RMSprop", "Adam", "fit", "evaluate", "predict", "History", "Callback", "save",
    "load", "ModelFileError",
    "gradcheck_report", "GradcheckReport", "CannotCheckError",
]
__version__ = "0.1.0"
