"""The Value type: a number that records the ops made from it, and the base of every op.

Read this module top to bottom: the registry :data:`OPS`, :class:`Value` (arithmetic that
makes nodes, and backward), :class:`Constant`, how a node is made (honouring ``no_grad``
and ``detect_anomaly``) and :class:`Op`, the base of the op classes. The op classes
themselves are in ``ops.py`` and ``functions.py``, above this module: each registers itself
in :data:`OPS` when it is defined (the op attaches itself to the Value type), and each of
Value's op methods is one line that applies the op named there. Why the engine is shaped
this way, and where its speed comes from: ``docs/design.md``.
"""

from __future__ import annotations

import math
import numbers
import types
from collections.abc import Iterable, Iterator
from typing import Any, Callable, ClassVar, NamedTuple, TextIO, Union, cast

from .checks import to_float
from .floats import exact_sum
from .modes import (
    AnomalyError,
    anomaly_enabled,
    bare_leaves,
    is_grad_enabled,
    on_change,
    user_site,
)
from .node import NARY, Node, backward_lock, inputs_of, prepare_backward, run_rules, walk
from .steps import BackwardStep, backward_steps, explain
from .text import describe, where

__all__ = ["OPS", "Value", "Constant", "Op", "Domain", "leaf", "zero_grad", "make_node",
           "run_rules_checked"]

Operand = Union["Value", int, float]
_new = object.__new__

OPS: dict[str, type[Op]] = {}
"""Every built-in op class by name (``OPS['Mul']``), filled by ``ops.py`` as each class is
defined: the registry that Value's methods, the tests, docs and tools all read."""

# Blocks of no_grad / detect_anomaly open in any thread (kept by modes.on_change). While it
# is 0, which is nearly always, an op pays this one test and nothing else for modes.
_modes_open = 0


def _set_modes_open(n: int) -> None:
    global _modes_open
    _modes_open = n


on_change(_set_modes_open)


class Value(Node):
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the number, ``grad`` the derivative of the last ``backward()`` root with
    respect to it (accumulated, starts at 0.0), ``inputs`` the Values it was computed from
    in order (``()`` for a leaf), ``op`` the op's short name (``''`` for a leaf) and
    ``label`` a name for diagrams and messages. Equality and hashing are by identity;
    ``< <= > >=`` compare ``data`` (so ``max``, ``sorted`` and NumPy's comparisons work);
    ``f"{v:.3f}"`` formats ``data``.
    """

    __slots__ = ()

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(cast(object, data), Value):
            raise TypeError(f"Value() needs a number, got a Value ({data!r}); use it directly")
        self.data = to_float(data, "Value()")
        self.grad = 0.0
        self._x: Any = None
        self._y: Any = None
        self.label = label

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

    def __format__(self, spec: str) -> str:
        """``format(v, '.4f')`` formats ``data`` (as a float would); an empty spec is repr."""
        return format(self.data, spec) if spec else repr(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter's display: the graph as SVG beside the text (``micrograd_nn.viz.notebook``),
        or the text alone when viz cannot be imported. Never raises."""
        import importlib  # viz sits above the engine: found by name, only when displayed

        try:
            notebook = importlib.import_module("micrograd_nn.viz.notebook")
        except ImportError:
            return {"text/plain": repr(self)}
        bundle: dict[str, str] = notebook.mimebundle(self, include, exclude)
        return bundle

    def __float__(self) -> float:
        """The number: ``float(v)`` is ``v.data``."""
        return self.data

    # --- arithmetic: each method makes one node of the op named (ops.py) ----------------
    def __add__(self, other: Operand) -> Value:
        """``x + y`` (op ``Add``)."""
        if isinstance(other, Value):
            o = other
        else:
            o = _lift(other, "+", "__radd__")
            if o is NotImplemented:
                return NotImplemented
        if _modes_open:
            return _make_moded(OPS["Add"], self.data + o.data, self, o)
        # make_node, written out: + and * are most of any network's nodes (docs/design.md)
        node = _new(OPS["Add"])
        node.data = self.data + o.data
        node.grad = 0.0
        node._x = self
        node._y = o
        return node

    def __mul__(self, other: Operand) -> Value:
        """``x * y`` (op ``Mul``)."""
        if isinstance(other, Value):
            o = other
        else:
            o = _lift(other, "*", "__rmul__")
            if o is NotImplemented:
                return NotImplemented
        if _modes_open:
            return _make_moded(OPS["Mul"], self.data * o.data, self, o)
        node = _new(OPS["Mul"])
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
        """``x - y`` (op ``Sub``)."""
        return _binary("Sub", self, other, "-", "__rsub__")

    def __rsub__(self, other: Operand) -> Value:
        """``c - x`` for a number c."""
        return _binary("Sub", other, self, "-")

    def __truediv__(self, other: Operand) -> Value:
        """``x / y`` (op ``Div``)."""
        return _binary("Div", self, other, "/", "__rtruediv__")

    def __rtruediv__(self, other: Operand) -> Value:
        """``c / x`` for a number c."""
        return _binary("Div", other, self, "/")

    def __pow__(self, exponent: Operand) -> Value:
        """``x ** n``: op ``PowConst`` for a number n, ``Pow`` for a Value."""
        if isinstance(exponent, Value):
            return OPS["Pow"].apply(self, exponent)
        if not isinstance(exponent, numbers.Number) and hasattr(type(exponent), "__rpow__"):
            return NotImplemented
        n = to_float(exponent, "exponent of '**'")
        return OPS["PowConst"].apply(self, n)  # type: ignore[arg-type]  # a number exponent

    def __rpow__(self, base: Operand) -> Value:
        """``b ** x`` for a positive number b (op ``Pow``)."""
        return _binary("Pow", base, self, "**")

    def __neg__(self) -> Value:
        """``-x`` (op ``Neg``)."""
        return OPS["Neg"].apply(self)

    def __pos__(self) -> Value:
        """``+x`` is x itself."""
        return self

    def __abs__(self) -> Value:
        """``abs(x)`` (op ``Abs``)."""
        return OPS["Abs"].apply(self)

    def abs(self) -> Value:
        """|x| (op ``Abs``)."""
        return OPS["Abs"].apply(self)

    def exp(self) -> Value:
        """e^x (op ``Exp``)."""
        return OPS["Exp"].apply(self)

    def log(self) -> Value:
        """Natural log (op ``Log``)."""
        return OPS["Log"].apply(self)

    def tanh(self) -> Value:
        """tanh x (op ``Tanh``)."""
        return OPS["Tanh"].apply(self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1+e^-x) (op ``Sigmoid``)."""
        return OPS["Sigmoid"].apply(self)

    def relu(self) -> Value:
        """max(0, x) (op ``ReLU``)."""
        return OPS["ReLU"].apply(self)

    def sqrt(self) -> Value:
        """√x (op ``Sqrt``)."""
        return OPS["Sqrt"].apply(self)

    def sin(self) -> Value:
        """sin x (op ``Sin``)."""
        return OPS["Sin"].apply(self)

    def cos(self) -> Value:
        """cos x (op ``Cos``)."""
        return OPS["Cos"].apply(self)

    def tan(self) -> Value:
        """tan x (op ``Tan``)."""
        return OPS["Tan"].apply(self)

    def log1p(self) -> Value:
        """ln(1 + x), accurate for small x (op ``Log1p``)."""
        return OPS["Log1p"].apply(self)

    def expm1(self) -> Value:
        """e^x - 1, accurate for small x (op ``Expm1``)."""
        return OPS["Expm1"].apply(self)

    @staticmethod
    def sum(values: Iterable[Operand]) -> Value:
        """One ``Sum`` node over many terms (exactly rounded, ``math.fsum``).

        Numbers among the terms become constants; an empty sum is a constant 0.0."""
        given = tuple(values)
        # one type test per kind of term, not per term (a neuron sums many products)
        terms: tuple[Value, ...] = given if all(  # type: ignore[assignment]
            issubclass(t, Value) for t in set(map(type, given))) else tuple(
            v if isinstance(v, Value) else _constant(v, "sum") for v in given)
        if not terms:
            return _leaf(Constant, 0.0)
        return make_node(OPS["Sum"], exact_sum([v.data for v in terms]), terms, NARY)

    # --- backpropagation ----------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this Value depends on with d(self)/d(node).

        Seeds ``self.grad`` with 1.0 and runs each op's rule in reverse topological order,
        iteratively (any depth works at the default recursion limit). Contributions
        accumulate with ``+=``, so a node used twice gets the sum of both paths. Interior
        grads are reset at the start of each call; leaves' grads are not, so calling
        backward() twice doubles every leaf's grad (as PyTorch does): call
        :meth:`zero_grad` in between. On a leaf, backward() adds 1.0 to its grad.

        A node whose grad is exactly 0 passes nothing back (a dead ReLU, a satisfied hinge
        term): that changes no finite result. Backward passes in different threads are
        serialised, so each gets exactly the grads it would get alone; they accumulate into
        leaves they share.
        """
        with backward_lock:
            order = prepare_backward(self)
            try:
                if _modes_open and anomaly_enabled():
                    run_rules_checked(order)
                else:
                    run_rules(order)
            except TypeError:
                _explain_missing_grads(self)
                raise

    def backward_steps(self) -> Iterator[BackwardStep]:
        """Backward, one op at a time: yields a :class:`~micrograd_nn.steps.BackwardStep`
        per op node, each applied before it is yielded, with the same rule, in the same
        order, giving bit-for-bit the grads ``backward()`` gives."""
        return backward_steps(self)

    def explain(self, file: TextIO | None = None) -> None:
        """Run backward step by step, printing each step as the chain rule with numbers,
        then each leaf's grad (to ``file``, default standard output)."""
        explain(self, file)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every node it depends on, leaves included."""
        for node in walk(self):
            node.grad = 0.0

    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each of ``inputs``, at the current data (``()`` for a leaf; an
        input that a gate passes nothing to, such as relu's below 0, shows 0.0)."""
        return ()


class Constant(Value):
    """A leaf made from a plain number in an expression (the ``2`` in ``2 * x``)."""

    __slots__ = ()
    is_constant = True


def _explain_missing_grads(root: Value) -> None:
    """A TypeError in backward: if a grad was set to None (a PyTorch habit), say so."""
    missing = [v for v in walk(root) if v.grad is None]
    if missing:
        name = f"'{missing[0].label}'" if missing[0].label else repr(missing[0])
        raise TypeError(
            f"backward(): the grad of {name} is None; in micrograd_nn a grad is always a "
            "number (0.0 where nothing flowed): set it with zero_grad() or v.grad = 0.0 "
            "instead of None, then run backward() again (this pass stopped part way)")


# ---------------------------------------------------------------------------------------
# Making nodes


def _leaf(cls: type[Value], data: float) -> Value:
    node: Value = _new(cls)
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


def _binary(name: str, x: Any, y: Any, op: str, reflected: str | None = None) -> Value:
    y = _lift(y, op, reflected)
    if y is NotImplemented:
        return NotImplemented  # type: ignore[no-any-return]
    return OPS[name].apply(_lift(x, op), y)


def make_node(cls: type[Value], data: float, x: Any, y: Any = None) -> Value:
    """A new node of class ``cls`` holding ``data`` over the inputs ``x`` (and ``y``; or a
    tuple of terms in ``x`` and :data:`~micrograd_nn.node.NARY` in ``y``), made as this
    thread's modes say (a bare leaf under ``no_grad``, checked under ``detect_anomaly``).
    For op classes whose ``apply`` computes ``data`` itself; one test when no mode is on."""
    if _modes_open:
        return _make_moded(cls, data, x, y)
    node: Value = _new(cls)
    node.data = data
    node.grad = 0.0
    node._x = x
    node._y = y
    return node


def _make_moded(cls: type[Value], data: float, x: Any, y: Any) -> Value:
    """make_node when some thread has a mode open: honour this thread's no_grad / anomaly."""
    if bare_leaves():  # no_grad alone, the inference case
        return _leaf(Value, data)
    if anomaly_enabled():
        site = user_site()
        if not math.isfinite(data):
            args = ", ".join(describe(v) for v in inputs_of(x, y))
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


def _sited(cls: type[Value]) -> type[Value]:
    """``cls`` with one more slot, ``site`` (file:line where a node was made), for nodes
    made inside detect_anomaly: they carry their own site, so the block keeps no node
    alive, and every other node stays as small as before. The twin is kept on ``cls``
    itself, so a custom op's class and its twin are freed together."""
    twin: type[Value] | None = cls.__dict__.get("_sited_twin")
    if twin is None:
        def body(ns: dict[str, Any]) -> None:
            ns.update(__slots__=("site",), __doc__=cls.__doc__, __module__=cls.__module__,
                      __qualname__=cls.__qualname__)
        twin = types.new_class(cls.__name__, (cls,), {"register": False} if issubclass(
            cls, Op) else {}, body)
        twin._sited_twin = twin  # type: ignore[attr-defined]  # a twin is its own twin
        type.__setattr__(cls, "_sited_twin", twin)
    return twin


def run_rules_checked(order: list[Value]) -> None:
    """The rules under detect_anomaly: a NaN grad anywhere, or a non-finite grad reaching a
    leaf the user can read (not a constant), stops at the op whose rule made it, naming
    also the op whose rule made the first non-finite grad. An inf on an interior node alone
    is allowed: a closed gate below may stop it (``x.relu() ** 0.5`` at -1 is documented)."""
    first = ""
    for node in reversed(order):
        if not node.grad:
            continue
        node._backward()
        for inp in node.inputs:
            g = inp.grad
            if math.isfinite(g):
                continue
            site = getattr(node, "site", "<outside detect_anomaly>")
            if not first:
                first = f"; the first non-finite grad came from op '{node.op}' created at {site}"
            if g != g or (inp._x is None and not inp.is_constant):
                args = ", ".join(describe(v) for v in node.inputs)
                raise AnomalyError(
                    f"backward of op '{node.op}' (node {describe(node)}, grad {node.grad!r}) "
                    f"gave a non-finite grad {g!r} to input {describe(inp)}; inputs "
                    f"({args}); op created at {site}{first}")


# ---------------------------------------------------------------------------------------
# The base of every op


class Domain(NamedTuple):
    """Where one input of an op is smooth, for tools that draw inputs (the fuzzer, the
    tests): ``low < x < high``, away from each point of ``avoid`` (kinks and poles, each
    repeating every ``period`` when that is not 0), and ``|x| <= bound`` (beyond it the op
    overflows or saturates, so a drawn operand is scaled down)."""

    low: float = -math.inf
    high: float = math.inf
    avoid: tuple[float, ...] = ()
    period: float = 0.0
    bound: float = math.inf


_PACKAGE = __name__.rsplit(".", 1)[0]
_BUILTIN_MODULES = (f"{_PACKAGE}.ops", f"{_PACKAGE}.functions")  # where the built-in ops live


class Op(Value):
    """Base of the op classes: a node made by an op. A subclass declares, once:

    ``op`` the short name; ``method`` the Value method that makes it; ``forward`` the value
    (raising ValueError / ZeroDivisionError / OverflowError outside the domain);
    ``derivatives(z, *xs)`` each input's local derivative ∂z/∂x from the output z and the
    inputs (floats, or Values for higher derivatives; None for an input a gate passes
    nothing to); ``expr`` / ``local_text`` how a step prints it ({x}, {y} the inputs,
    {out} the node, {args} all inputs, and each of ``params``); ``domains`` one
    :class:`Domain` per input (the last one repeats for n-ary ops). The generic rule
    ``_backward`` below applies ``derivatives``; an op a benchmark shows to be hot writes
    its own, which a test holds to ``derivatives`` bit for bit.
    """

    __slots__ = ()
    method: ClassVar[str] = ""
    expr: ClassVar[str] = ""
    local_text: ClassVar[tuple[str, ...] | None] = None
    params: ClassVar[tuple[str, ...]] = ()
    domains: ClassVar[tuple[Domain, ...]] = (Domain(),)
    forward: ClassVar[Callable[..., float]]
    derivatives: Callable[..., tuple[Any, ...]]

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register and cls.__module__ in _BUILTIN_MODULES:
            OPS[cls.__name__] = cls

    @classmethod
    def apply(cls, x: Value, y: Value | None = None, *more: Value) -> Value:
        """A node of this op over the Values ``x`` (, ``y``, ...), its value from
        ``forward``; three or more inputs make an n-ary node (as ``Value.sum`` does)."""
        inputs = (x,) if y is None else (x, y, *more)
        try:
            data = cls.forward(*[v.data for v in inputs]) if more else (
                cls.forward(x.data) if y is None else cls.forward(x.data, y.data))
        except (ValueError, ArithmeticError) as e:
            raise type(e)(f"{e}{where(inputs)}") from None
        if more:
            return make_node(cls, data, inputs, NARY)
        return make_node(cls, data, x, y)

    def forward_at(self, *xs: float) -> float:
        """This node's op at other input numbers (a power keeps its exponent): what a
        finite difference of the op evaluates."""
        return type(self).forward(*xs)

    def local_derivatives(self) -> tuple[float | None, ...]:
        """:meth:`derivatives` at the current numbers: ∂self/∂input for each of ``inputs``,
        None for an input a gate passes nothing to. What step-through, ``grad``,
        ``check_ops`` and the generic rule below all evaluate."""
        return self.derivatives(self.data, *[v.data for v in self.inputs])

    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each of ``inputs`` as numbers (see :meth:`Value.local_grads`)."""
        return tuple(0.0 if d is None else d for d in self.local_derivatives())

    def _backward(self) -> None:
        """The chain rule from :meth:`derivatives`: input.grad += ∂z/∂input · z.grad."""
        g = self.grad
        for inp, d in zip(self.inputs, self.local_derivatives()):
            if d is not None:
                inp.grad += d * g
