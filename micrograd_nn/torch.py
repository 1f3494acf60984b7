"""Moving to PyTorch: the same model in ``torch.nn``, the same training in ``torch.optim``,
and, when two computations disagree, the first node where they do.

- :func:`to_torch` / :func:`from_torch`: an :class:`~micrograd_nn.MLP` (or a Layer or a
  Neuron) as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and activations, and
  back; the round trip keeps every weight bit for bit.
- :func:`compare`: re-run a recorded graph op by op in PyTorch (:data:`TORCH_OPS` maps
  every op in :data:`micrograd_nn.OPS` to its torch function; custom ops run as a
  ``torch.autograd.Function`` made from their forward and derivative, or as a torch
  function you give), let torch's autograd compute every node's gradient, and report the
  first node whose value or gradient disagrees, with its op, label, both numbers and the
  chain of ops back to the leaves. Where the two engines follow different documented
  rules (``0 · inf`` behind a zero gradient, ``x / x``, the exactly rounded ``sum``) the
  report says which engine follows which rule instead of calling it a bug.
- :func:`fit_parity`: train a model with :func:`micrograd_nn.fit` and its PyTorch twin
  with the matching ``torch.optim`` optimizer, step by step on the same batches, and
  measure how far losses and weights drift apart.
- :func:`assert_matches_torch`: either check as an assertion, for your own tests.

PyTorch is optional: ``pip install "micrograd_nn[torch]"``. Importing ``micrograd_nn``
never imports this module; importing this module imports torch (CPU builds are fine).
"""

from __future__ import annotations

import importlib
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union, cast

from . import MLP, OPS, Constant, Layer, Module, Neuron, Value, fit, grad, node_names
from . import topological_order as _topological_order
from .losses import LOSSES, bce, bce_with_logits, hinge, mse, softmax_cross_entropy
from .ops import PowConst
from .optim import OPTIMIZERS, SGD, Adam, Momentum, Optimizer, RMSprop
from .value import Op, leaf

__all__ = [
    "TORCH_OPS", "TORCH_ACTIVATIONS", "RTOL", "ATOL", "PARITY_TOLERANCE", "RULES",
    "to_torch", "from_torch", "compare", "Comparison", "NodeComparison", "Disagreement",
    "SecondOrder", "fit_parity", "FitParity", "EpochParity", "torch_optimizer", "TORCH_LOSSES",
    "assert_matches_torch",
]


def _load_torch() -> Any:
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


torch: Any = _load_torch()
_F64 = torch.float64

RTOL = 1e-10
"""Relative tolerance of :func:`compare` (see :func:`compare` for why this value)."""
ATOL = 1e-13
"""Absolute tolerance of :func:`compare`, for numbers at or near 0."""
PARITY_TOLERANCE = 1e-8
"""Largest loss or weight difference :func:`assert_matches_torch` accepts between the two
engines' training runs. Measured over 100 steps: about 1e-15 for SGD, Momentum and Adam
and for RMSprop with its default alpha 0.99; RMSprop with alpha 0.9 reached 9.4e-10 (a
gradient crossing 0 while v is small: g / sqrt(v) amplifies the engines' last-bit rounding
of g), so the default leaves a factor of 10 above that."""

# ---------------------------------------------------------------------------------------
# Every op's torch function


def _torch_sum(*xs: Any) -> Any:
    return torch.stack(xs).sum()


def _torch_pow_const(x: Any, exponent: float) -> Any:
    return torch.pow(x, exponent)


TORCH_OPS: dict[str, Callable[..., Any]] = {
    "Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div,
    "Neg": torch.neg, "PowConst": _torch_pow_const, "Pow": torch.pow, "Exp": torch.exp,
    "Log": torch.log, "Tanh": torch.tanh, "Sigmoid": torch.sigmoid, "ReLU": torch.relu,
    "Abs": torch.abs, "Sqrt": torch.sqrt, "Sin": torch.sin, "Cos": torch.cos,
    "Log1p": torch.log1p, "Expm1": torch.expm1, "Sum": _torch_sum,
}
"""The torch function of every op in :data:`micrograd_nn.OPS`, by class name. ``PowConst``
is called with the node's exponent as its second argument, ``Sum`` with every term."""

TORCH_ACTIVATIONS: dict[str, Any] = {
    "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU,
    "linear": None,
}
"""The ``torch.nn`` module of every activation a micrograd_nn layer can have (None for
linear: the ``Linear`` layer alone)."""

RULES = {
    "zero grad": "micrograd_nn follows its rule 'a node whose grad is exactly 0 passes "
                 "nothing back' (README, backward()), so the grad stays {ours}; PyTorch "
                 "multiplies the zero grad by an infinite local derivative (0 · inf = nan)",
    "x / x": "micrograd_nn follows its rule 'x / x is the constant 1' (README, the ops "
             "table), so it passes 0 exactly; PyTorch adds the two paths 1/x and -x/x^2, "
             "which give {theirs}",
    "fsum": "micrograd_nn follows its rule 'Value.sum is exactly rounded (math.fsum)' "
            "(README, Guarantees), giving {ours}; PyTorch adds the terms in floating point, "
            "giving {theirs}",
}
"""The documented rules where micrograd_nn and PyTorch part on purpose, by name: what a
:class:`Disagreement`'s ``rule`` says."""


def _is_builtin(node: Value) -> bool:
    cls = OPS.get(type(node).__name__)
    return cls is not None and isinstance(node, cls)


def _torch_op(node: Value, args: Sequence[Any], torch_ops: Mapping[str, Callable[..., Any]]
              ) -> Any:
    """The tensor of ``node``'s op over the tensors ``args`` (one per input, in order)."""
    name = type(node).__name__
    if _is_builtin(node):
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
        return out if isinstance(out, torch.Tensor) else torch.tensor(float(out), dtype=_F64)
    return _op_function().apply(node, *args)


_FUNCTION: list[Any] = []


def _op_function() -> Any:
    """A ``torch.autograd.Function`` running any op node through its own ``forward`` and
    ``derivatives`` (custom ops). With ``create_graph=True`` its backward evaluates the
    op's derivative on Values (``value_derivative``) as a graph of torch ops, so torch can
    differentiate it again."""
    if _FUNCTION:
        return _FUNCTION[0]

    def forward(ctx: Any, node: Value, *xs: Any) -> Any:
        out = torch.tensor(cast(Op, node).forward_at(*[x.item() for x in xs]), dtype=_F64)
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
            ds = [None if d is None else _evaluate(d, known) if isinstance(d, Value)
                  else torch.tensor(float(d), dtype=_F64)
                  for d in node.derivatives(z, *leaves)]
        else:
            ds = [None if d is None else torch.tensor(float(d), dtype=_F64)
                  for d in node.derivatives(out.item(), *[x.item() for x in xs])]
        return (None, *[None if d is None else d * g for d in ds])

    function = type("MicrogradOp", (torch.autograd.Function,),
                    {"forward": staticmethod(forward), "backward": staticmethod(backward),
                     "__doc__": "An op node run through its own forward and derivatives."})
    _FUNCTION.append(function)
    return function


def _override_function() -> Any:
    """A ``torch.autograd.Function`` that replaces a tensor's value by a given number and
    passes its gradient back unchanged: what keeps every op fed micrograd_nn's numbers."""
    if len(_FUNCTION) < 2:
        _op_function()

        def forward(ctx: Any, t: Any, value: float) -> Any:
            return torch.tensor(value, dtype=_F64)

        def backward(ctx: Any, g: Any) -> tuple[Any, None]:
            return g, None

        _FUNCTION.append(type("MicrogradValue", (torch.autograd.Function,), {
            "forward": staticmethod(forward), "backward": staticmethod(backward),
            "__doc__": "A tensor moved onto micrograd_nn's number, its gradient kept."}))
    return _FUNCTION[1]


def _evaluate(root: Value, known: dict[Value, Any],
              torch_ops: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """``root``'s graph as torch ops, the nodes in ``known`` given as tensors, other leaves
    as constants."""
    tensors = dict(known)
    for node in _topological_order(root, leaves=True):
        if node in tensors:
            continue
        if not node.inputs:
            tensors[node] = torch.tensor(node.data, dtype=_F64)
        else:
            tensors[node] = _torch_op(node, [tensors[i] for i in node.inputs], torch_ops or {})
    return tensors[root]


# ---------------------------------------------------------------------------------------
# Models


def _model_layers(model: Module) -> list[tuple[list[list[float]], list[float], str]]:
    if isinstance(model, MLP):
        return [(*layer.get_weights(), layer.activation) for layer in model.layers]
    if isinstance(model, Layer):
        return [(*model.get_weights(), model.activation)]
    if isinstance(model, Neuron):
        w, b = model.get_weights()
        return [([w], [b], model.activation)]
    raise TypeError(f"to_torch needs an MLP, a Layer or a Neuron, got {type(model).__name__}")


def to_torch(model: Module) -> Any:
    """``model`` (an :class:`~micrograd_nn.MLP`, Layer or Neuron) as a float64
    ``torch.nn.Sequential``: per layer a ``Linear`` holding its weights (row j of
    ``weight`` is neuron j's inputs' weights), then its activation (``Tanh``, ``Sigmoid``,
    ``ReLU``; none for linear). It computes the same function from the same numbers; it
    maps a batch of shape (n, nin) to (n, nout). Torch's random state is not touched."""
    modules = []
    for w, b, activation in _model_layers(model):
        linear = torch.nn.utils.skip_init(torch.nn.Linear, len(w[0]), len(w), dtype=_F64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(w, dtype=_F64))
            linear.bias.copy_(torch.tensor(b, dtype=_F64))
        modules.append(linear)
        act = TORCH_ACTIVATIONS[activation]
        if act is not None:
            modules.append(act())
    return torch.nn.Sequential(*modules)


def _flatten(module: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(module, torch.nn.Sequential):
        return [item for name, child in module.named_children()
                for item in _flatten(child, f"{prefix}.{name}" if prefix else name)]
    return [(prefix or type(module).__name__, module)]


def _activation_name(module: Any) -> str | None:
    for name, cls in TORCH_ACTIVATIONS.items():
        if cls is not None and type(module) is cls:
            return name
    return None


def from_torch(module: Any) -> MLP:
    """The :class:`~micrograd_nn.MLP` computing what ``module`` computes: a ``Linear``, or
    a (nested) ``torch.nn.Sequential`` of ``Linear`` layers each followed by at most one
    ``Tanh``, ``Sigmoid`` or ``ReLU`` (``Identity`` is skipped). Weights are copied as
    float64 numbers (float32 ones exactly). An MLP has one hidden activation and one
    output activation, so every hidden ``Linear`` must be followed by the same one.

    Anything else raises ValueError naming the layer: ``from_torch: layer '2' (GELU(...))
    has no micrograd_nn equivalent ...``."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    layers: list[list[Any]] = []  # [W, b, activation, name]
    supported = "Linear (with bias), Tanh, Sigmoid, ReLU, Identity"
    for name, child in _flatten(module, ""):
        where = f"layer '{name}' ({child!r})"
        if isinstance(child, torch.nn.Identity):
            continue
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(f"from_torch: {where} has no bias; micrograd_nn's neurons "
                                 "always have one (make it Linear(..., bias=True) with bias 0)")
            if layers and child.in_features != len(layers[-1][1]):
                raise ValueError(f"from_torch: {where} takes {child.in_features} inputs but "
                                 f"the layer before gives {len(layers[-1][1])}")
            layers.append([child.weight.detach().double().tolist(),
                           child.bias.detach().double().tolist(), "linear", where])
            continue
        activation = _activation_name(child)
        if activation is None:
            raise ValueError(f"from_torch: {where} has no micrograd_nn equivalent; supported: "
                             f"{supported}")
        if not layers:
            raise ValueError(f"from_torch: {where} comes before any Linear layer")
        if layers[-1][2] != "linear":
            raise ValueError(f"from_torch: {where} follows another activation "
                             f"({layers[-1][2]}); a layer has one activation")
        layers[-1][2] = activation
    if not layers:
        raise ValueError(f"from_torch: {module!r} has no Linear layer")
    hidden = {la[2] for la in layers[:-1]}
    if len(hidden) > 1:
        first = layers[0][2]
        odd = next(la for la in layers[:-1] if la[2] != first)
        raise ValueError(f"from_torch: the hidden {odd[3]} has activation {odd[2]!r} but the "
                         f"first has {first!r}; an MLP has one hidden activation")
    return MLP.from_weights([(w, b) for w, b, _, _ in layers],
                            activation=hidden.pop() if hidden else "tanh",
                            output_activation=layers[-1][2])


# ---------------------------------------------------------------------------------------
# Comparing graphs


def _close(a: float, b: float, scale: float, rtol: float, atol: float) -> bool:
    """a and b agree: the same non-finite value, or within atol + rtol * scale."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= atol + rtol * max(scale, abs(a), abs(b))


def _item(t: Any) -> float:
    return 0.0 if t is None else float(t.item())


@dataclass
class NodeComparison:
    """One node of the graph, in both engines: micrograd_nn's ``data`` and ``grad``
    (d root / d node, as ``backward()`` gives), PyTorch's ``torch_data`` (the op at the
    same input numbers) and ``torch_grad`` (from ``root.backward()`` in torch), and
    whether each pair agrees within the comparison's tolerance."""

    index: int
    node: Value
    name: str
    op: str
    data: float
    torch_data: float
    grad: float
    torch_grad: float
    data_agrees: bool
    grad_agrees: bool


@dataclass
class Disagreement:
    """Where the engines part. ``kind``: ``'data'`` (the op's value differs at the same
    inputs), ``'grad'`` (what the op passes back to ``input`` differs, from the same
    upstream grad), ``'accumulated'`` (a node's grad differs though every op agrees: the
    rounding of a long chain), ``'gradcheck'`` (a custom op with no torch reference fails
    ``torch.autograd.gradcheck``) or ``'second derivative'``.

    ``node`` is the op node whose rule differs, ``ours``/``theirs`` micrograd_nn's and
    PyTorch's numbers, ``chain`` the ops from ``node`` back to a leaf (along the longest
    path), ``expression`` the node's formula a few levels deep. ``rule`` is None for a real
    disagreement, else which engine follows which documented rule (see :data:`RULES`)."""

    kind: str
    node: Value
    name: str
    op: str
    ours: float
    theirs: float
    input: Value | None = None
    input_name: str = ""
    rule: str | None = None
    chain: list[str] = field(default_factory=list)
    expression: str = ""

    def __str__(self) -> str:
        what = {"data": "value", "grad": f"grad passed to '{self.input_name}'",
                "accumulated": "grad", "gradcheck": f"derivative d/d'{self.input_name}'",
                "second derivative": f"second derivative {self.input_name}"}[self.kind]
        theirs = "a central difference (torch.autograd.gradcheck fails)" \
            if self.kind == "gradcheck" else "PyTorch"
        head = (f"{what} of op '{self.op}' (node '{self.name}' = {self.expression}): "
                f"micrograd_nn {self.ours!r}, {theirs} {self.theirs!r}")
        tail = f"\n    chain back to the leaves: {' <- '.join(self.chain)}" if self.chain else ""
        if self.rule:
            return f"{head}\n    a rule difference, not a bug: {self.rule}{tail}"
        return head + tail


@dataclass
class SecondOrder:
    """Second derivatives d²root/dx_i dx_j: micrograd_nn's (``grad(..., create_graph=True)``
    twice) and PyTorch's (``torch.autograd.grad(..., create_graph=True)`` twice)."""

    inputs: list[str]
    ours: list[list[float]]
    theirs: list[list[float]]


@dataclass
class Comparison:
    """What :func:`compare` found. ``nodes``: every node in topological order (leaves
    first, root last) in both engines. ``disagreements``: each place the engines part, the
    values' in topological order first, then the grads' in the order backward visits the
    ops (the first one whose rule differs is where a wrong gradient starts); ``first`` is
    the first of them, None when everything agrees. ``notes`` says what could not be held
    to PyTorch (custom ops with no torch reference)."""

    nodes: list[NodeComparison]
    disagreements: list[Disagreement]
    second_order: SecondOrder | None
    notes: list[str]
    rtol: float
    atol: float

    @property
    def first(self) -> Disagreement | None:
        """The first disagreement (rule differences included), or None."""
        return self.disagreements[0] if self.disagreements else None

    @property
    def unexplained(self) -> list[Disagreement]:
        """The disagreements no documented rule explains: bugs, in one engine or a custom op."""
        return [d for d in self.disagreements if d.rule is None]

    @property
    def agrees(self) -> bool:
        """True when every value, grad (and second derivative) agrees within tolerance."""
        return not self.disagreements

    def __str__(self) -> str:
        n = len(self.nodes)
        second = self.second_order
        lines = [f"compare: {n} node{'s' if n != 1 else ''}, rtol={self.rtol:g}, "
                 f"atol={self.atol:g}" + (f", second derivatives over {len(second.inputs)} "
                                          "inputs" if second else "")]
        if self.agrees:
            lines.append("  every value and gradient agrees with PyTorch")
        else:
            explained = len(self.disagreements) - len(self.unexplained)
            lines.append(f"  {len(self.unexplained)} disagreement(s), {explained} rule "
                         "difference(s); the first:")
            lines.append("  " + str(self.first).replace("\n", "\n  "))
            for d in self.disagreements[1:]:
                lines.append(f"  then: {d.kind} of op '{d.op}' (node '{d.name}')"
                             + (" [rule difference]" if d.rule else ""))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _expression(node: Value, names: dict[Value, str], depth: int, nested: bool = False) -> str:
    """The formula of ``node`` down to ``depth`` levels (deeper nodes by name)."""
    if not node.inputs or depth == 0:
        return names[node]
    name = type(node).__name__
    binary = _is_builtin(node) and name in ("Add", "Sub", "Mul", "Div", "Pow")
    args = [_expression(i, names, depth - 1, binary or isinstance(node, PowConst))
            for i in node.inputs]
    if isinstance(node, PowConst):
        text = f"{args[0]} ** {node.exponent:g}"
    elif binary:
        text = f"{args[0]} {node.op} {args[1]}"
    elif name == "Neg" and _is_builtin(node):
        return f"-{_expression(node.inputs[0], names, depth - 1, True)}"
    else:
        shown = args if len(args) <= 4 else [*args[:3], f"... {len(args) - 3} more"]
        return f"{node.op}({', '.join(shown)})"
    return f"({text})" if nested else text


def _chain(node: Value, names: dict[Value, str], height: dict[Value, int]) -> list[str]:
    """``node`` and the ops below it back to a leaf, along the longest path."""
    out = []
    current = node
    while True:
        out.append(f"{current.op} '{names[current]}'" if current.inputs else f"'{names[current]}'")
        if not current.inputs:
            return out
        current = max(current.inputs, key=lambda v: height[v])


class _Graph:
    """One recorded graph, evaluated in both engines."""

    def __init__(self, root: Value, torch_ops: Mapping[str, Callable[..., Any]],
                 rtol: float, atol: float) -> None:
        self.root = root
        self.torch_ops = torch_ops
        self.rtol, self.atol = rtol, atol
        self.order: list[Value] = _topological_order(root, leaves=True)
        self.names = node_names(root)
        self.height: dict[Value, int] = {}
        for v in self.order:
            self.height[v] = 1 + max((self.height[i] for i in v.inputs), default=-1)
        # micrograd_nn's d root / d node for every node, without touching any .grad
        self.adjoint = {v: g.data for v, g in zip(self.order, grad(root, self.order))}
        self.torch_data: dict[Value, float] = {}
        self.notes: list[str] = []
        self.disagreements: list[Disagreement] = []

    def disagreement(self, kind: str, node: Value, ours: float, theirs: float,
                     inp: Value | None = None, rule: str | None = None,
                     input_name: str = "") -> Disagreement:
        return Disagreement(kind, node, self.names[node], node.op, ours, theirs, inp,
                            input_name or (self.names[inp] if inp is not None else ""),
                            rule, _chain(node, self.names, self.height),
                            _expression(node, self.names, 3))

    # --- torch end to end -------------------------------------------------------------
    def run_torch(self) -> dict[Value, Any]:
        """Every node as a tensor, chained, each op fed micrograd_nn's numbers for its
        inputs (a tensor that rounds differently, or differs by a rule, is moved onto
        micrograd_nn's number, its gradient passed on unchanged), so each node's value is
        compared op against op and no difference spreads down the graph."""
        tensors: dict[Value, Any] = {}
        for node in self.order:
            if not node.inputs:
                t = torch.tensor(node.data, dtype=_F64, requires_grad=True)
                self.torch_data[node] = node.data
            else:
                t = _torch_op(node, [tensors[i] for i in node.inputs], self.torch_ops)
                value = float(t.item())
                self.torch_data[node] = value
                if not (value == node.data or (math.isnan(value) and math.isnan(node.data))):
                    t = _override_function().apply(t, node.data)
                if t.requires_grad:
                    t.retain_grad()
            tensors[node] = t
        return tensors

    # --- values, op by op -------------------------------------------------------------
    def check_data(self) -> dict[Value, bool]:
        ok = {}
        for node in self.order:
            ours, theirs = node.data, self.torch_data[node]
            scale = sum(abs(i.data) for i in node.inputs) if type(node).__name__ in (
                "Add", "Sub", "Sum") and _is_builtin(node) else 0.0
            ok[node] = _close(ours, theirs, scale, self.rtol, self.atol)
            if not ok[node]:
                rule = None
                if type(node).__name__ == "Sum" and _is_builtin(node):
                    rule = RULES["fsum"].format(ours=ours, theirs=theirs)
                self.disagreements.append(self.disagreement("data", node, ours, theirs,
                                                            rule=rule))
        return ok

    # --- gradients, op by op ------------------------------------------------------------
    def check_grads(self) -> dict[Value, float]:
        """For each op node, from the root down (backward's order): what it passes to each
        input, in micrograd_nn (its derivatives times its grad) and in PyTorch (the torch
        op's vector-Jacobian product at the same numbers, the same grad). Returns each
        node's sum of |contributions|: the scale its total grad is compared at."""
        scale: dict[Value, float] = {v: 0.0 for v in self.order}
        ops = [v for v in self.order if v.inputs]
        for node in reversed(ops):
            g = self.adjoint[node]
            distinct = list(dict.fromkeys(node.inputs))
            ds = cast(Op, node).local_derivatives()
            ours = dict.fromkeys(distinct, 0.0)
            size = dict.fromkeys(distinct, 0.0)
            if g:  # as backward(): a zero grad passes nothing back
                for inp, d in zip(node.inputs, ds):
                    if d is not None:
                        ours[inp] += d * g
                        size[inp] += abs(d * g)
            leaves = {v: torch.tensor(v.data, dtype=_F64, requires_grad=True) for v in distinct}
            out = _torch_op(node, [leaves[i] for i in node.inputs], self.torch_ops)
            theirs = dict.fromkeys(distinct, 0.0)
            if out.requires_grad:
                got = torch.autograd.grad(out, [leaves[v] for v in distinct],
                                          grad_outputs=torch.tensor(g, dtype=_F64),
                                          allow_unused=True)
                theirs = {v: _item(t) for v, t in zip(distinct, got)}
            for inp in distinct:
                scale[inp] += size[inp]
                if not _close(ours[inp], theirs[inp], size[inp], self.rtol, self.atol):
                    self.disagreements.append(self.disagreement(
                        "grad", node, ours[inp], theirs[inp], inp,
                        self._grad_rule(node, g, ours[inp], theirs[inp])))
            if not _is_builtin(node) and node.op not in self.torch_ops:
                self._gradcheck(node, leaves, distinct)
        return scale

    def _grad_rule(self, node: Value, g: float, ours: float, theirs: float) -> str | None:
        if g == 0.0 and math.isnan(theirs) and not math.isnan(ours):
            return RULES["zero grad"].format(ours=ours, theirs=theirs)
        if type(node).__name__ == "Div" and _is_builtin(node) and \
                node.inputs[0] is node.inputs[1]:
            return RULES["x / x"].format(ours=ours, theirs=theirs)
        return None

    def _gradcheck(self, node: Value, leaves: dict[Value, Any], distinct: list[Value]) -> None:
        """A custom op with no torch reference runs in torch through its own derivative, so
        torch can only hold it to ``torch.autograd.gradcheck`` (as PyTorch asks of every
        custom Function): central differences of its forward, eps 1e-6, atol 1e-5, rtol
        1e-3, the defaults of micrograd_nn.gradcheck too."""
        self.notes.append(
            f"custom op '{node.op}' (node '{self.names[node]}') ran in PyTorch through its own "
            "forward and derivative; its derivative was held to torch.autograd.gradcheck "
            f"only: pass torch_ops={{'{node.op}': <torch function>}} to hold it to PyTorch")
        xs = tuple(torch.tensor(v.data, dtype=_F64, requires_grad=True) for v in node.inputs)
        fn = _op_function()
        try:
            ok = torch.autograd.gradcheck(lambda *ts: fn.apply(node, *ts), xs, eps=1e-6,
                                          atol=1e-5, rtol=1e-3, raise_exception=False)
        except (ValueError, ArithmeticError) as e:  # a step out of the op's domain
            self.notes.append(f"custom op '{node.op}': gradcheck could not run: {e}")
            return
        if ok:
            return
        op = cast(Op, node)
        ds = op.local_derivatives()
        data = [v.data for v in node.inputs]
        for k, d in enumerate(ds):
            plus, minus = list(data), list(data)
            plus[k] += 1e-6
            minus[k] -= 1e-6
            numeric = (op.forward_at(*plus) - op.forward_at(*minus)) / 2e-6
            analytic = 0.0 if d is None else d
            if not abs(analytic - numeric) <= 1e-5 + 1e-3 * abs(numeric):
                self.disagreements.append(self.disagreement(
                    "gradcheck", node, analytic, numeric, node.inputs[k]))
                return

    def compare(self, second_inputs: Sequence[Value] | None) -> Comparison:
        tensors = self.run_torch()
        tensors[self.root].backward(retain_graph=second_inputs is not None)
        data_ok = self.check_data()
        scale = self.check_grads()
        rows = []
        located = bool(self.disagreements)
        for i, node in enumerate(self.order):
            ours_g, torch_g = self.adjoint[node], _item(tensors[node].grad)
            if node is self.root and not node.inputs:
                torch_g = 1.0
            grad_ok = _close(ours_g, torch_g, scale[node], self.rtol, self.atol)
            rows.append(NodeComparison(i, node, self.names[node], node.op, node.data,
                                       self.torch_data[node], ours_g, torch_g,
                                       data_ok[node], grad_ok))
        if not located:  # no op differs, yet a grad does: rounding summed along the graph
            for row in reversed(rows):
                if not row.grad_agrees:
                    self.disagreements.append(self.disagreement(
                        "accumulated", row.node, row.grad, row.torch_grad))
                    break
        second = self.second_order(second_inputs, tensors) if second_inputs is not None \
            else None
        return Comparison(rows, self.disagreements, second, self.notes, self.rtol, self.atol)

    def second_order(self, inputs: Sequence[Value], tensors: dict[Value, Any]) -> SecondOrder:
        inputs = list(inputs)
        ours = [[h.data for h in grad(first, inputs)]
                for first in grad(self.root, inputs, create_graph=True)]
        # an input the root does not depend on: a leaf of its own, its derivatives 0
        ts = [tensors[v] if v in tensors else torch.tensor(v.data, dtype=_F64,
                                                           requires_grad=True) for v in inputs]
        firsts = torch.autograd.grad(tensors[self.root], ts, create_graph=True,
                                     allow_unused=True)
        theirs = []
        for first in firsts:
            if first is None or not first.requires_grad:
                theirs.append([0.0] * len(ts))
                continue
            row = torch.autograd.grad(first, ts, retain_graph=True, allow_unused=True)
            theirs.append([_item(t) for t in row])
        labels = [self.names.get(v) or v.label or f"input {i + 1}" for i, v in enumerate(inputs)]
        for i, (row_o, row_t) in enumerate(zip(ours, theirs)):
            for j, (a, b) in enumerate(zip(row_o, row_t)):
                if not _close(a, b, 0.0, self.rtol, self.atol):
                    self.disagreements.append(self.disagreement(
                        "second derivative", self.root, a, b,
                        input_name=f"d/d{labels[i]} d/d{labels[j]}"))
                    return SecondOrder(labels, ours, theirs)
        return SecondOrder(labels, ours, theirs)


def compare(f: Value | Callable[..., Value], inputs: Sequence[Value | float] | None = None, *,
            second_order: bool = False,
            torch_ops: Mapping[str, Callable[..., Any]] | None = None,
            rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Hold a recorded graph to PyTorch, node by node.

    ``compare(root)`` takes the graph under a Value; ``compare(f, inputs)`` builds it by
    calling ``f`` on fresh leaves holding ``inputs`` (numbers or Values, left untouched).
    Every node is re-evaluated in PyTorch in float64 with :data:`TORCH_OPS` (a custom op
    with the torch function ``torch_ops[name]`` if given, else as a
    ``torch.autograd.Function`` made from its own forward and derivative, held to
    ``torch.autograd.gradcheck``), and torch's autograd computes every node's gradient.
    micrograd_nn's gradients come from :func:`micrograd_nn.grad` (the numbers
    ``backward()`` gives); no node's ``grad`` is changed.

    Each op is compared at the same numbers: its value from micrograd_nn's input values,
    and what it passes back to each input from micrograd_nn's grad at the node, so the
    first disagreement is the op whose rule differs, not a node downstream of it. Values
    are reported in topological order, gradients in the order backward visits the ops (a
    wrong derivative spoils every grad below it; the first op, from the root, whose
    contribution differs is where it starts). Rule differences the README documents are
    reported with the rule each engine follows (:data:`RULES`).

    **Tolerance**: two numbers agree when equal (the same inf or nan included) or
    ``|a - b| <= atol + rtol * scale``, scale the larger of |a| and |b| and, for ``+``,
    ``-`` and ``sum`` (whose rounding error scales with the terms, not the result) and for
    gradients (a sum of contributions), the sum of the magnitudes that were added.
    rtol = 1e-10: both engines round every float64 op to within a few ulps (2.2e-16 each;
    PyTorch's libm and summation order differ from Python's), and a node's end-to-end
    grad collects one such error per op on its way from the root, so rtol leaves room for
    chains of many thousands of ops, while a wrong rule is off by far more (a factor, a
    sign, a term). atol = 1e-13 for numbers that are 0 in one engine and round to
    ~1e-16 · scale in the other. Each op node costs one small torch autograd call.

    ``second_order=True`` also compares every second derivative d²root/dx_i dx_j over the
    inputs (``compare(f, inputs)``: those; ``compare(root)``: its leaves that are not
    constants), micrograd_nn's ``grad(grad(..., create_graph=True))`` against torch's
    ``torch.autograd.grad(..., create_graph=True)`` twice.
    """
    if isinstance(f, Value):
        root = f
        second = None
        if inputs is not None and not second_order:
            raise TypeError("compare(root, inputs): inputs name the variables of the second "
                            "derivatives; pass second_order=True (or call compare(root))")
        if second_order:
            if inputs is not None:
                second = [v for v in inputs if isinstance(v, Value)]
            else:
                second = [v for v in _topological_order(root, leaves=True)
                          if not v.inputs and not isinstance(v, Constant)]
    else:
        if inputs is None or not callable(f):
            raise TypeError("compare needs a Value, or a function and its inputs: "
                            f"compare(f, inputs); got {f!r}")
        xs = _fresh(inputs)
        root = f(*xs)
        if not isinstance(root, Value):
            raise TypeError(f"compare: f must return a Value, got {type(root).__name__} {root!r}")
        second = xs if second_order else None
    if rtol < 0 or atol < 0:
        raise ValueError(f"compare: rtol and atol must be >= 0, got {rtol}, {atol}")
    return _Graph(root, dict(torch_ops or {}), rtol, atol).compare(second)


def _fresh(inputs: Sequence[Value | float]) -> list[Value]:
    xs = []
    for i, v in enumerate(inputs):
        if isinstance(v, Value):
            xs.append(Value(v.data, v.label))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            xs.append(Value(v, f"x{i + 1}"))
        else:
            raise TypeError(f"compare: input {i} must be a number or a Value, got "
                            f"{type(v).__name__} {v!r}")
    return xs


# ---------------------------------------------------------------------------------------
# Training in both engines

_TorchLoss = Callable[[Any, Sequence[Any]], Any]


def _targets(y: Sequence[Any], nout: int) -> Any:
    rows = [[float(t)] if not isinstance(t, Sequence) else [float(v) for v in t] for t in y]
    if any(len(r) != nout for r in rows):
        raise ValueError(f"targets must give {nout} number(s) per sample")
    return torch.tensor(rows, dtype=_F64)


def _t_mse(out: Any, y: Sequence[Any]) -> Any:
    return ((out - _targets(y, out.shape[1])) ** 2).mean()


def _t_bce(out: Any, y: Sequence[Any]) -> Any:
    t = _targets(y, out.shape[1])
    q = out.clamp(1e-12, 1.0 - 1e-12)  # losses.BCE_EPS: no gradient flows outside
    return (-(t * q.log() + (1.0 - t) * (1.0 - q).log())).mean()


def _t_bce_with_logits(out: Any, y: Sequence[Any]) -> Any:
    return torch.nn.functional.binary_cross_entropy_with_logits(out, _targets(y, out.shape[1]))


def _t_hinge(out: Any, y: Sequence[Any]) -> Any:
    return torch.relu(1.0 - _targets(y, out.shape[1]) * out).mean()


def _t_softmax_ce(out: Any, y: Sequence[Any]) -> Any:
    return torch.nn.functional.cross_entropy(out, torch.tensor([int(t) for t in y]))


TORCH_LOSSES: dict[Callable[..., Value], _TorchLoss] = {
    mse: _t_mse, bce: _t_bce, bce_with_logits: _t_bce_with_logits, hinge: _t_hinge,
    softmax_cross_entropy: _t_softmax_ce,
}
"""The torch form of each loss in :data:`micrograd_nn.losses.LOSSES`, by function:
``f(out, targets)``, ``out`` a (batch, nout) tensor, the same mean over every output."""


def torch_optimizer(opt: Optimizer, params: Iterable[Any]) -> Any:
    """The ``torch.optim`` optimizer over the tensors ``params`` that follows ``opt``'s
    update rule with its hyper-parameters (and its learning rate for the next step):
    SGD -> ``SGD(lr)``, Momentum -> ``SGD(lr, momentum, dampening=0)``, RMSprop ->
    ``RMSprop(lr, alpha, eps)``, Adam -> ``Adam(lr, betas, eps)``. TypeError for any
    other optimizer."""
    lr = opt.learning_rate()
    if isinstance(opt, Adam):
        return torch.optim.Adam(params, lr=lr, betas=(opt.beta1, opt.beta2), eps=opt.eps)
    if isinstance(opt, RMSprop):
        return torch.optim.RMSprop(params, lr=lr, alpha=opt.alpha, eps=opt.eps)
    if isinstance(opt, Momentum):
        return torch.optim.SGD(params, lr=lr, momentum=opt.momentum, dampening=0.0)
    if isinstance(opt, SGD):
        return torch.optim.SGD(params, lr=lr)
    raise TypeError(f"no torch.optim counterpart for {type(opt).__name__}: use SGD, "
                    "Momentum, RMSprop or Adam")


def _torch_weights(module: Any) -> list[float]:
    """The module's numbers in ``MLP.parameters()`` order (per neuron: weights, bias)."""
    flat: list[float] = []
    for m in module.modules():
        if isinstance(m, torch.nn.Linear):
            for row, b in zip(m.weight.detach().tolist(), m.bias.detach().tolist()):
                flat.extend(row)
                flat.append(b)
    return flat


@dataclass
class EpochParity:
    """One epoch in both engines: the mean training loss as ``fit`` reports it
    (``loss``, ``torch_loss``), and over the epoch's steps the largest difference of a
    step's loss (``loss_difference``) and of any weight after a step
    (``weight_difference``)."""

    epoch: int
    loss: float
    torch_loss: float
    loss_difference: float
    weight_difference: float


@dataclass
class FitParity:
    """What :func:`fit_parity` measured: ``epochs`` (one :class:`EpochParity` each),
    ``step_loss_differences`` and ``step_weight_differences`` (one per optimizer step),
    the ``history`` micrograd_nn's ``fit`` returned and the trained ``torch_model``."""

    epochs: list[EpochParity]
    step_loss_differences: list[float]
    step_weight_differences: list[float]
    history: Any
    torch_model: Any
    optimizer: str

    @property
    def max_loss_difference(self) -> float:
        """The largest difference of a step's loss over the run."""
        return max(self.step_loss_differences, default=0.0)

    @property
    def max_weight_difference(self) -> float:
        """The largest difference of any weight after any step."""
        return max(self.step_weight_differences, default=0.0)

    def __str__(self) -> str:
        lines = [f"{self.optimizer}: {len(self.step_loss_differences)} steps in both engines",
                 f"{'epoch':>5}  {'loss':>12}  {'torch loss':>12}  {'max |Δloss|':>11}  "
                 f"{'max |Δw|':>9}"]
        lines += [f"{e.epoch:>5}  {e.loss:>12.8f}  {e.torch_loss:>12.8f}  "
                  f"{e.loss_difference:>11.2e}  {e.weight_difference:>9.2e}"
                  for e in self.epochs]
        return "\n".join(lines)


class _Recorder:
    def __init__(self, model: Module) -> None:
        self.model = model
        self.losses: list[float] = []
        self.weights: list[list[float]] = []

    def on_batch_end(self, step: int, logs: dict[str, Any]) -> None:
        self.losses.append(float(logs["loss"]))
        self.weights.append([p.data for p in self.model.parameters()])


def fit_parity(model: Module, X: Sequence[Any], y: Sequence[Any],
               loss: str | Callable[..., Value] = "mse",
               optimizer: Optimizer | str = "adam", epochs: int = 1,
               batch_size: int | None = None, shuffle: bool = True, seed: int = 0,
               l2: float = 0.0, torch_loss: _TorchLoss | None = None) -> FitParity:
    """Train ``model`` with :func:`micrograd_nn.fit` and its twin :func:`to_torch(model)
    <to_torch>` in PyTorch, with the same data, batches (the same shuffled order), loss,
    L2 term and optimizer, and measure after every step how far the losses and the weights
    are apart. ``model`` is trained in place (as ``fit`` does); the twin is returned in the
    result.

    ``optimizer`` is an optimizer over ``model.parameters()`` that has taken no step, or a
    name (its defaults). Each maps to the ``torch.optim`` optimizer its docstring names,
    with the same hyper-parameters: SGD to ``SGD(lr)``, Momentum to ``SGD(lr, momentum,
    dampening=0)``, RMSprop to ``RMSprop(lr, alpha, eps)``, Adam to ``Adam(lr, betas,
    eps)``; a learning-rate schedule is applied to torch's ``lr`` before each step. Each
    built-in loss maps to its torch form; for a loss of your own give ``torch_loss(out,
    targets)`` (``out`` a tensor of shape (batch, nout)). ``seed`` (default 0, so both
    engines see one order) seeds ``fit``'s shuffle.
    """
    if not isinstance(model, (MLP, Layer, Neuron)):
        raise TypeError(f"fit_parity needs an MLP, a Layer or a Neuron, got "
                        f"{type(model).__name__}")
    opt = _our_optimizer(optimizer, model)
    loss_fn = LOSSES[loss] if isinstance(loss, str) and loss in LOSSES else loss
    if isinstance(loss_fn, str):
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    t_loss = torch_loss if torch_loss is not None else TORCH_LOSSES.get(loss_fn)
    if t_loss is None:
        raise ValueError(f"fit_parity: no PyTorch form of the loss {loss!r}: pass "
                         "torch_loss=f(out, targets)")
    twin = to_torch(model)
    t_params = list(twin.parameters())
    t_opt = torch_optimizer(opt, t_params)
    schedule = opt.lr if callable(opt.lr) else None
    recorder = _Recorder(model)
    history = fit(model, X, y, loss=loss_fn, optimizer=opt, epochs=epochs,
                  batch_size=batch_size, shuffle=shuffle, seed=seed, metrics=(), verbose=0,
                  l2=l2, callbacks=[recorder])
    # The torch run: fit's order (random.Random(seed) shuffling one list every epoch)
    n = len(X)
    rng = random.Random(seed)
    order = list(range(n))
    size = n if batch_size is None else batch_size
    inputs = torch.tensor([[float(v) for v in x] for x in X], dtype=_F64)
    step = 0
    result: list[EpochParity] = []
    loss_diffs: list[float] = []
    weight_diffs: list[float] = []
    for epoch in range(epochs):
        if shuffle:
            rng.shuffle(order)
        total = 0.0
        first = step
        for start in range(0, n, size):
            batch = order[start:start + size]
            if schedule is not None:
                for group in t_opt.param_groups:
                    group["lr"] = schedule(step)
            t_opt.zero_grad()
            batch_loss = t_loss(twin(inputs[batch]), [y[i] for i in batch])
            if l2:
                batch_loss = batch_loss + l2 * sum((p * p).sum() for p in t_params)
            batch_loss.backward()
            t_opt.step()
            value = float(batch_loss.item())
            total += value * len(batch)
            loss_diffs.append(abs(value - recorder.losses[step]))
            weight_diffs.append(max(abs(a - b) for a, b in
                                    zip(_torch_weights(twin), recorder.weights[step])))
            step += 1
        result.append(EpochParity(epoch + 1, history.loss[epoch], total / n,
                                  max(loss_diffs[first:step]), max(weight_diffs[first:step])))
    return FitParity(result, loss_diffs, weight_diffs, history, twin, type(opt).__name__)


def _our_optimizer(optimizer: Optimizer | str, model: Module) -> Optimizer:
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        return OPTIMIZERS[optimizer](model.parameters())
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer or a name, got {optimizer!r}")
    if optimizer.steps:
        raise ValueError(f"fit_parity needs an optimizer that has taken no step; this one "
                         f"has taken {optimizer.steps}")
    if [id(p) for p in optimizer.params] != [id(p) for p in model.parameters()]:
        raise ValueError("the optimizer must be over model.parameters(), in that order")
    return optimizer


# ---------------------------------------------------------------------------------------
# For users' tests

_Subject = Union[Module, Value, Callable[..., Value]]


def assert_matches_torch(subject: _Subject, *args: Any, tolerance: float = PARITY_TOLERANCE,
                         allow_rule_differences: bool = True, **kwargs: Any) -> Any:
    """Assert that micrograd_nn and PyTorch agree, in one of two forms:

    - ``assert_matches_torch(model, X, y, loss=..., optimizer=..., epochs=..., ...)``
      trains both engines with :func:`fit_parity` (same arguments) and fails if any step's
      loss or any weight differs by more than ``tolerance`` (default
      :data:`PARITY_TOLERANCE`); returns the :class:`FitParity`.
    - ``assert_matches_torch(root)`` or ``assert_matches_torch(f, inputs, ...)`` runs
      :func:`compare` (same keyword arguments) and fails on a disagreement, with the
      report as the message; documented rule differences pass unless
      ``allow_rule_differences=False``. Returns the :class:`Comparison`.

    Raises AssertionError (so pytest shows the message under your line).
    """
    __tracebackhide__ = True
    if isinstance(subject, Module):
        parity = fit_parity(subject, *args, **kwargs)
        worst = max(parity.max_loss_difference, parity.max_weight_difference)
        if not worst <= tolerance:
            raise AssertionError(f"training differs from PyTorch by {worst:.3g} (> "
                                 f"{tolerance:g}):\n{parity}")
        return parity
    report = compare(subject, *args, **kwargs)
    bad = report.unexplained if allow_rule_differences else report.disagreements
    if bad:
        raise AssertionError(str(report))
    return report

