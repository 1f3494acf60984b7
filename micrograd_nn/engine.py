"""The scalar autograd engine: :class:`Value` and its ops.

Every arithmetic operation on a :class:`Value` makes a new node that remembers the Values
it was computed from (``inputs``, in order) and which op made it (``op``). ``backward()``
walks that graph in reverse topological order and applies the chain rule.

Each op is one class, defined once, below ``Value``: its name, the derivative in math
(the docstring), ``forward`` (the value, with its domain checks), ``derivatives`` (the
local derivatives, on floats or on Values), ``_backward`` (the same rule, specialised for
speed: what ``backward()`` runs) and how a step prints it (``expr``, ``local_text``).
Everything else is derived from that class or held to it by a test over :data:`OPS`.
Why the engine is shaped this way, and where its speed comes from: ``docs/design.md``.
"""

from __future__ import annotations

import math
import numbers
import threading
import types
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, TextIO, Union, cast

from .checks import is_number, to_float
from .graph import NARY, inputs_of, topological_order
from .modes import (
    AnomalyError,
    anomaly_enabled,
    bare_leaves,
    detect_anomaly,
    gc_paused,
    is_grad_enabled,
    no_grad,
    on_change,
    records_nothing,
    user_site,
)

__all__ = [
    "Value", "Constant", "Op", "OPS", "stable_sigmoid", "exact_sum", "leaf", "zero_grad",
    "no_grad", "detect_anomaly", "gc_paused", "is_grad_enabled", "records_nothing",
    "AnomalyError", "topological_order", "BackwardStep", "node_names", "format_number",
    "Add", "Sub", "Mul", "Div", "Neg", "PowConst", "Pow", "Exp", "Log", "Tanh", "Sigmoid",
    "ReLU", "Abs", "Sqrt", "Sin", "Cos", "Log1p", "Expm1", "Sum",
]

Number = Union[int, float]
Operand = Union["Value", int, float]
_new = object.__new__
_isfinite = math.isfinite

# Blocks of no_grad / detect_anomaly open in any thread (kept by modes.on_change). While it
# is 0, which is nearly always, an op pays this one test and nothing else for modes.
_modes_open = 0


def _set_modes_open(n: int) -> None:
    global _modes_open
    _modes_open = n


on_change(_set_modes_open)


# ---------------------------------------------------------------------------------------
# Value


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the number, ``grad`` the derivative of the last ``backward()`` root with
    respect to it (accumulated, starts at 0.0), ``inputs`` the Values it was computed from
    in order (``()`` for a leaf), ``op`` the op's short name (``''`` for a leaf) and
    ``label`` a name for diagrams and messages. Equality and hashing are by identity;
    ``< <= > >=`` compare ``data`` (so ``max``, ``sorted`` and NumPy's comparisons work).
    """

    __slots__ = ("data", "grad", "_x", "_y", "_label")
    op: ClassVar[str] = ""

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(cast(object, data), Value):
            raise TypeError(f"Value() needs a number, got a Value ({data!r}); use it directly")
        self.data = to_float(data, "Value()")
        self.grad = 0.0
        self._x: Any = None
        self._y: Any = None
        self.label = label

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order (``()`` for a leaf)."""
        return inputs_of(self._x, self._y)

    @property
    def _prev(self) -> tuple[Value, ...]:
        """Read-only alias of ``inputs`` (upstream micrograd's name)."""
        return self.inputs

    @property
    def _op(self) -> str:
        """Read-only alias of ``op`` (upstream micrograd's name)."""
        return self.op

    @property
    def label(self) -> str:
        """A name for diagrams, steps and messages (``''`` when unnamed)."""
        try:
            return self._label
        except AttributeError:  # op nodes are built without one: a store saved per node
            return ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__} {label!r}")
        self._label = label

    def named(self, label: str) -> Value:
        """Set ``label`` and return self, for building labelled graphs inline."""
        self.label = label
        return self

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.op:
            parts.append(f"op={self.op!r}")
        if self.label:
            parts.insert(0, f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's display: the graph as SVG beside the text (``micrograd_nn.viz.notebook``),
        or the text alone when viz cannot be imported. Never raises."""
        import importlib

        try:
            notebook = importlib.import_module("micrograd_nn.viz.notebook")
        except ImportError:
            return {"text/plain": repr(self)}
        bundle: dict[str, str] = notebook.mimebundle(self, include, exclude)
        return bundle

    def __float__(self) -> float:
        return self.data

    # --- comparisons: by data, for max(), sorted() and NumPy; == stays identity ----------
    def __lt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other: Operand) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data >= o

    # --- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Operand) -> Value:
        """``x + y`` (:class:`Add`)."""
        if isinstance(other, Value):
            o = other
        else:
            o = _lift(other, "+", "__radd__")
            if o is NotImplemented:
                return NotImplemented
        if _modes_open:
            return _make_moded(Add, self.data + o.data, self, o)
        # _make, written out: + and * are most of any network's nodes (docs/design.md)
        node = _new(Add)
        node.data = self.data + o.data
        node.grad = 0.0
        node._x = self
        node._y = o
        return node

    def __mul__(self, other: Operand) -> Value:
        """``x * y`` (:class:`Mul`)."""
        if isinstance(other, Value):
            o = other
        else:
            o = _lift(other, "*", "__rmul__")
            if o is NotImplemented:
                return NotImplemented
        if _modes_open:
            return _make_moded(Mul, self.data * o.data, self, o)
        node = _new(Mul)
        node.data = self.data * o.data
        node.grad = 0.0
        node._x = self
        node._y = o
        return node

    def __radd__(self, other: Operand) -> Value:
        """``c + x`` for a number c."""
        return _constant(other, "+").__add__(self)

    def __rmul__(self, other: Operand) -> Value:
        """``c * x`` for a number c."""
        return _constant(other, "*").__mul__(self)

    def __sub__(self, other: Operand) -> Value:
        """``x - y`` (:class:`Sub`)."""
        return _binary(Sub, self, other, "-", "__rsub__")

    def __rsub__(self, other: Operand) -> Value:
        """``c - x`` for a number c."""
        return _binary(Sub, other, self, "-")

    def __truediv__(self, other: Operand) -> Value:
        """``x / y`` (:class:`Div`)."""
        return _binary(Div, self, other, "/", "__rtruediv__")

    def __rtruediv__(self, other: Operand) -> Value:
        """``c / x`` for a number c."""
        return _binary(Div, other, self, "/")

    def __pow__(self, exponent: Operand) -> Value:
        """``x ** n``: a :class:`PowConst` node for a number n, :class:`Pow` for a Value."""
        if isinstance(exponent, Value):
            return Pow.apply(self, exponent)
        if not isinstance(exponent, numbers.Number) and hasattr(type(exponent), "__rpow__"):
            return NotImplemented
        return PowConst.apply(self, to_float(exponent, "exponent of '**'"))

    def __rpow__(self, base: Operand) -> Value:
        """``b ** x`` for a positive number b (:class:`Pow`)."""
        return _binary(Pow, base, self, "**")

    def __neg__(self) -> Value:
        """``-x`` (:class:`Neg`)."""
        return Neg.apply(self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        """``abs(x)`` (:class:`Abs`)."""
        return Abs.apply(self)

    def exp(self) -> Value:
        """e^x (:class:`Exp`)."""
        return Exp.apply(self)

    def log(self) -> Value:
        """Natural log (:class:`Log`)."""
        return Log.apply(self)

    def tanh(self) -> Value:
        """tanh x (:class:`Tanh`)."""
        return Tanh.apply(self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1+e^-x) (:class:`Sigmoid`)."""
        return Sigmoid.apply(self)

    def relu(self) -> Value:
        """max(0, x) (:class:`ReLU`)."""
        return ReLU.apply(self)

    def abs(self) -> Value:
        """|x| (:class:`Abs`)."""
        return Abs.apply(self)

    def sqrt(self) -> Value:
        """√x (:class:`Sqrt`)."""
        return Sqrt.apply(self)

    def sin(self) -> Value:
        """sin x (:class:`Sin`)."""
        return Sin.apply(self)

    def cos(self) -> Value:
        """cos x (:class:`Cos`)."""
        return Cos.apply(self)

    def log1p(self) -> Value:
        """ln(1 + x), accurate for small x (:class:`Log1p`)."""
        return Log1p.apply(self)

    def expm1(self) -> Value:
        """e^x - 1, accurate for small x (:class:`Expm1`)."""
        return Expm1.apply(self)

    @staticmethod
    def sum(values: Iterable[Operand]) -> Value:
        """One :class:`Sum` node over many terms (exactly rounded, ``math.fsum``).

        Numbers among the terms become constants; an empty sum is a constant 0.0."""
        given = tuple(values)
        # one type test per kind of term, not per term (a neuron sums many products)
        terms: tuple[Value, ...] = given if all(  # type: ignore[assignment]
            issubclass(t, Value) for t in set(map(type, given))) else tuple(
            v if isinstance(v, Value) else _constant(v, "sum") for v in given)
        if not terms:
            return _leaf(Constant, 0.0)
        return _make(Sum, exact_sum([v.data for v in terms]), terms, NARY)

    # --- backpropagation ----------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this Value depends on with d(self)/d(node).

        Seeds ``self.grad`` with 1.0 and runs each op's ``_backward`` in reverse
        topological order, iteratively (any depth works at the default recursion limit).
        Contributions accumulate with ``+=``, so a node used twice gets the sum of both
        paths. Interior grads are reset at the start of each call; leaves' grads are not,
        so calling backward() twice doubles every leaf's grad (as PyTorch does): call
        :meth:`zero_grad` in between. On a leaf, backward() adds 1.0 to its grad.

        A node whose grad is exactly 0 passes nothing back (a dead ReLU, a satisfied hinge
        term): that changes no finite result. Backward passes in different threads are
        serialised, so each gets exactly the grads it would get alone; they accumulate into
        leaves they share.
        """
        with backward_lock:
            order = prepare_backward(self)
            if _modes_open and anomaly_enabled():
                _backward_checked(order)
                return
            for node in reversed(order):
                if node.grad:
                    node._backward()

    def backward_steps(self) -> Iterator[Any]:
        """Backward, one op at a time: yields a :class:`~micrograd_nn.steps.BackwardStep`
        per op node, each applied before it is yielded, with the same rule, in the same
        order, giving bit-for-bit the grads ``backward()`` gives."""
        from .steps import backward_steps

        return backward_steps(self)

    def explain(self, file: TextIO | None = None) -> None:
        """Run backward step by step, printing each step as the chain rule with numbers,
        then each leaf's grad (to ``file``, default standard output)."""
        from .steps import explain

        explain(self, file)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every node it depends on, leaves included."""
        for node in topological_order(self, leaves=True):
            node.grad = 0.0

    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each of ``inputs``, at the current data (``()`` for a leaf; an
        input that a gate passes nothing to, such as relu's below 0, shows 0.0)."""
        return ()

    def _backward(self) -> None:
        """A leaf passes nothing back."""


class Constant(Value):
    """A leaf made from a plain number in an expression (the ``2`` in ``2 * x``)."""

    __slots__ = ()


def _compared(other: Any) -> Any:
    """The number a Value compares with, or None where Python should ask ``other``."""
    if isinstance(other, Value):
        return other.data
    return other if is_number(other) else None


def _leaf(cls: type[Value], data: float) -> Value:
    node = _new(cls)
    node.data = data
    node.grad = 0.0
    node._x = None
    node._y = None
    return node


def leaf(data: float) -> Value:
    """A leaf Value holding ``data``, which must already be a finite float: no checks (for
    the layers' graph-free paths, which have checked their numbers already)."""
    return _leaf(Value, data)


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` to 0.0 on each of ``values`` (e.g. a model's parameters)."""
    for v in values:
        v.grad = 0.0


def _constant(x: Any, op: str) -> Value:
    return _leaf(Constant, to_float(x, f"operand of '{op}'"))


def _lift(x: Any, op: str, reflected: str | None = None) -> Any:
    """An operand as a Value: a number becomes a :class:`Constant`. For an object that
    knows the reflected operator (a NumPy array, say) NotImplemented, so it can broadcast."""
    if isinstance(x, Value):
        return x
    if reflected and not isinstance(x, numbers.Number) and hasattr(type(x), reflected):
        return NotImplemented
    return _constant(x, op)


def _binary(cls: type[Op], x: Any, y: Any, op: str, reflected: str | None = None) -> Value:
    y = _lift(y, op, reflected)
    if y is NotImplemented:
        return NotImplemented  # type: ignore[no-any-return]
    return cls.apply(_lift(x, op), y)


def _make(cls: type[Value], data: float, x: Any, y: Any = None) -> Value:
    """A new node of class ``cls`` over inputs ``x`` (and ``y``); one test when no mode is
    on anywhere, else :func:`_make_moded`."""
    if _modes_open:
        return _make_moded(cls, data, x, y)
    node = _new(cls)
    node.data = data
    node.grad = 0.0
    node._x = x
    node._y = y
    return node


def _make_moded(cls: type[Value], data: float, x: Any, y: Any) -> Value:
    """_make when some thread has a mode open: honour this thread's no_grad / anomaly."""
    if bare_leaves():  # no_grad alone, the inference case
        return _leaf(Value, data)
    if anomaly_enabled():
        site = user_site()
        if not _isfinite(data):
            args = ", ".join(_describe(v) for v in inputs_of(x, y))
            raise AnomalyError(f"op '{cls.op}' produced {data!r} from inputs ({args}) at {site}")
        if not is_grad_enabled():
            return _leaf(Value, data)
        node = _leaf(_sited(cls), data)
        node.site = site  # type: ignore[attr-defined]
    else:
        node = _leaf(cls, data)
    node._x = x
    node._y = y
    return node


_sited_classes: dict[type, type] = {}


def _sited(cls: type[Value]) -> type[Value]:
    """``cls`` with one more slot, ``site`` (file:line where a node was made), for nodes
    made inside detect_anomaly: they carry their own site, so the block keeps no node
    alive, and every other node stays as small as before."""
    twin = _sited_classes.get(cls)
    if twin is None:
        def body(ns: dict[str, Any]) -> None:
            ns.update(__slots__=("site",), __doc__=cls.__doc__, __module__=cls.__module__,
                      __qualname__=cls.__qualname__)
        twin = types.new_class(cls.__name__, (cls,), {"register": False} if issubclass(
            cls, Op) else {}, body)
        _sited_classes[cls] = twin
    return twin


def _data(a: Any) -> float:
    """The number in a Value, or the number itself."""
    return a.data if isinstance(a, Value) else a


def _describe(node: Value) -> str:
    label = f" '{node.label}'" if node.label else ""
    return f"{node.data!r}{label}"


def _where(inputs: Iterable[Value]) -> str:
    labels = [v.label for v in inputs if v.label]
    return f" (in node '{labels[0]}')" if labels else ""


# ---------------------------------------------------------------------------------------
# Backward


backward_lock = threading.RLock()
"""Held by every backward pass: passes in different threads run one after the other."""


def prepare_backward(root: Value) -> list[Value]:
    """The op nodes under ``root`` in topological order, their grads reset to 0 and the
    root's seeded with 1 (a leaf root just gets 1 added)."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    if order:
        root.grad = 1.0
    else:
        root.grad += 1.0
    return order


def _backward_checked(order: list[Value]) -> None:
    """backward() under detect_anomaly: after each rule, every grad must be finite."""
    for node in reversed(order):
        if not node.grad:
            continue
        node._backward()
        for inp in node.inputs:
            if not _isfinite(inp.grad):
                args = ", ".join(_describe(v) for v in node.inputs)
                site = getattr(node, "site", "<outside detect_anomaly>")
                raise AnomalyError(
                    f"backward of op '{node.op}' (node {_describe(node)}, grad {node.grad!r}) "
                    f"gave a non-finite grad {inp.grad!r} to input {_describe(inp)}; inputs "
                    f"({args}); op created at {site}")


# The op classes subclass Value, so they live after it, in ops.py; Value's methods find
# them here, and ``micrograd_nn.engine.Mul`` and the like stay importable.
from .ops import (  # noqa: E402
    OPS,
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
    Op,
    Pow,
    PowConst,
    ReLU,
    Sigmoid,
    Sin,
    Sqrt,
    Sub,
    Sum,
    Tanh,
    exact_sum,
    stable_sigmoid,
)
from .steps import BackwardStep, format_number, node_names  # noqa: E402
