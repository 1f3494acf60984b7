"""PyTorch for micrograd_nn's op nodes: each op's torch function, custom ops as a
``torch.autograd.Function``, and a recorded graph evaluated as torch ops. The ground floor of
:mod:`micrograd_nn.torch` (which is what to import); importing it imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from . import functions
from .node import topological_order as _topological_order
from .ops import PowConst
from .value import OPS, Op, Value, leaf

__all__ = ["load_torch", "TORCH_OPS", "is_builtin", "torch_op", "op_function",
           "override_function", "evaluate"]

def load_torch() -> Any:
    """``import torch``, or an ImportError that says how to install it."""
    try:
        module = importlib.import_module("torch")
    except ImportError as e:
        raise ImportError('micrograd_nn.torch needs PyTorch: pip install "micrograd_nn[torch]" '
                          f"(or pip install torch); importing it failed: {e}") from e
    if not hasattr(module, "autograd"):  # a file named torch.py shadowing the real one
        raise ImportError(f"'import torch' found {getattr(module, '__file__', module)!r}, "
                          'which is not PyTorch: pip install "micrograd_nn[torch]"')
    return module


torch: Any = load_torch()  # the torch module, for the bridge's other modules
F64 = torch.float64  # every tensor the bridge makes is float64, as micrograd_nn's floats

# ---------------------------------------------------------------------------------------
# Every op's torch function


def _torch_sum(*xs: Any) -> Any:
    return torch.stack(xs).sum()


def _torch_pow_const(x: Any, exponent: float) -> Any:
    return torch.pow(x, exponent)


TORCH_OPS: dict[str, Callable[..., Any]] = {
    "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
    "Neg": torch.neg, "PowConst": _torch_pow_const, "Pow": torch.pow, "Sum": _torch_sum,
    # the one-input functions: torch's function of the same name as the op's Value method
    **{name: getattr(torch, cls.method) for name, cls in OPS.items()
       if cls.__module__ == functions.__name__ and hasattr(torch, cls.method)},
}
"""The torch function of every op in :data:`micrograd_nn.OPS`, by class name. ``PowConst``
is called with the node's exponent as its second argument, ``Sum`` with every term; each
one-input function (``functions.py``) is torch's function named as its Value method."""


def is_builtin(node: Value) -> bool:
    cls = OPS.get(type(node).__name__)
    return cls is not None and isinstance(node, cls)


def torch_op(node: Value, args: Sequence[Any], torch_ops: Mapping[str, Callable[..., Any]]
              ) -> Any:
    """The tensor of ``node``'s op over the tensors ``args`` (one per input, in order)."""
    name = type(node).__name__
    if is_builtin(node):
        fn = TORCH_OPS.get(name)
        if fn is None:
            raise KeyError(f"micrograd_nn.torch has no torch function for op {name} "
                           f"('{node.op}'): add it to TORCH_OPS")
        if isinstance(node, PowConst):
            return fn(args[0], node.exponent)
        return fn(*args)
    reference = torch_ops.get(node.op)
    if reference is not None:
        out = reference(*args)
        return out if isinstance(out, torch.Tensor) else torch.tensor(float(out), dtype=F64)
    return op_function().apply(node, *args)


_FUNCTIONS: dict[str, Any] = {}  # the two autograd Functions below, made on first use


def op_function() -> Any:
    """A ``torch.autograd.Function`` running any op node through its own ``forward`` and
    ``derivatives`` (custom ops). With ``create_graph=True`` its backward evaluates the
    op's derivative on Values (``value_derivative``) as a graph of torch ops, so torch can
    differentiate it again."""
    if "op" in _FUNCTIONS:
        return _FUNCTIONS["op"]

    def forward(ctx: Any, node: Value, *xs: Any) -> Any:
        out = torch.tensor(cast(Op, node).forward_at(*[x.item() for x in xs]), dtype=F64)
        ctx.node = node
        ctx.save_for_backward(*xs, out)
        return out

    def backward(ctx: Any, g: Any) -> tuple[Any, ...]:
        *xs, out = ctx.saved_tensors
        node = ctx.node
        if torch.is_grad_enabled():  # create_graph: the derivative as torch ops
            leaves = [leaf(x.item()) for x in xs]
            z = leaf(out.item())
            known = {z: out, **dict(zip(leaves, xs))}
            ds = [None if d is None else evaluate(d, known) if isinstance(d, Value)
                  else torch.tensor(float(d), dtype=F64)
                  for d in node.derivatives(z, *leaves)]
        else:
            ds = [None if d is None else torch.tensor(float(d), dtype=F64)
                  for d in node.derivatives(out.item(), *[x.item() for x in xs])]
        return (None, *[None if d is None else d * g for d in ds])

    function = type("MicrogradOp", (torch.autograd.Function,),
                    {"forward": staticmethod(forward), "backward": staticmethod(backward),
                     "__doc__": "An op node run through its own forward and derivatives."})
    _FUNCTIONS["op"] = function
    return function


def override_function() -> Any:
    """A ``torch.autograd.Function`` that replaces a tensor's value by a given number and
    passes its gradient back unchanged: what keeps every op fed micrograd_nn's numbers."""
    if "value" not in _FUNCTIONS:

        def forward(ctx: Any, t: Any, value: float) -> Any:
            return torch.tensor(value, dtype=F64)

        def backward(ctx: Any, g: Any) -> tuple[Any, None]:
            return g, None

        _FUNCTIONS["value"] = type("MicrogradValue", (torch.autograd.Function,), {
            "forward": staticmethod(forward), "backward": staticmethod(backward),
            "__doc__": "A tensor moved onto micrograd_nn's number, its gradient kept."})
    return _FUNCTIONS["value"]


def evaluate(root: Value, known: dict[Value, Any],
              torch_ops: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """``root``'s graph as torch ops, the nodes in ``known`` given as tensors, other leaves
    as constants."""
    tensors = dict(known)
    for node in _topological_order(root, leaves=True):
        if node in tensors:
            continue
        if not node.inputs:
            tensors[node] = torch.tensor(node.data, dtype=F64)
        else:
            tensors[node] = torch_op(node, [tensors[i] for i in node.inputs], torch_ops or {})
    return tensors[root]
