"""The scalar autograd engine: :class:`Value`, its ops, and backpropagation.

Every arithmetic operation on a :class:`Value` creates a new node that remembers the
Values it was computed from (``inputs``, in order) and which op made it (``op``).
``backward()`` walks that graph in reverse topological order and applies the chain rule.

Each op is a small subclass of :class:`Value` (``Add``, ``Mul``, ``Tanh`` ...). The class
holds the op's name, its local derivative written out in the docstring, ``_backward``
(the rule backward applies) and ``local_grads`` (the same derivative as numbers, for
step-through). The forward computation is the matching ``Value`` method. A breakpoint in
``Mul._backward`` stops on code that reads like ``dz/dx = y``.

Design note: where the speed comes from
---------------------------------------
Upstream micrograd gives every node a closure that refers back to the node: one
reference cycle per node, so Python's cyclic garbage collector does most of the work of
a training step. Here nothing refers back to a node except its consumers, so graphs are
freed by reference counting the moment the last reference goes, and the collector has
little to do.

* An op's backward rule is a method of the op's class, not a per-node closure: no cycle,
  no closure cell, no function object per node.
* Five ``__slots__`` (``data``, ``grad``, ``_x``, ``_y``, ``_label``) and a per-op class
  (``op`` and the rule live on the class, not on the node). The inputs sit in two slots
  rather than a tuple, so a node is one object the collector tracks, not two: that halves
  the collector's work while a graph grows, and a node with its float is 96 bytes (688 for
  upstream). ``inputs`` assembles the tuple when someone asks for it; op nodes store no
  label until given one (``label`` reads an unset one as ``''``).
* Nodes are built with ``object.__new__`` and slot stores (written out in ``+`` and ``*``,
  the bulk of any network): a Python ``__init__`` call costs about twice as much.
* The topological sort is an iterative depth-first post-order, so a 1,000,000-node chain
  needs no recursion. It marks a node seen by giving it a zero float made for that walk
  (an identity test instead of a set, and the grad reset in the same store), never pushes
  leaves, walks down first inputs without the stack, and finishes at once a node whose
  inputs are all done; that cut its time by about 45% on the demo step's graph.
* ``no_grad`` and ``detect_anomaly`` cost one module-global test per op while no thread
  uses them (``_modes_in_use``); only then is the thread-local state consulted.
* What is left of the collector's work during a training step, :class:`gc_paused` can
  skip, scoped to the step (``fit`` does); nothing changes interpreter-wide settings
  otherwise.

Measured by ``benchmarks/bench.py`` on upstream's demo step (MLP 2-16-16-1, 100 points,
66,000 nodes): about 20x upstream micrograd's speed at default settings, about 22x inside
``gc_paused``; building the graph is half of the step, the sort a quarter, the chain-rule
loop a sixth.
"""

from __future__ import annotations

import gc
import math
import numbers
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = [
    "Value", "Constant", "no_grad", "is_grad_enabled", "detect_anomaly", "AnomalyError",
    "BackwardStep", "topological_order", "zero_grad", "gc_paused", "node_names",
    "stable_sigmoid", "exact_sum", "format_number", "records_nothing",
    "Add", "Sub", "Mul", "Div", "Neg", "PowConst", "Pow", "Exp", "Log", "Tanh",
    "Sigmoid", "ReLU", "Sum",
]

_new = object.__new__
_isfinite = math.isfinite
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------
# Modes (no_grad, detect_anomaly): thread-local, with one global counter for the fast path.

class _ThreadModes(threading.local):
    """This thread's modes. Class-level defaults, so reading one never misses: a miss on
    a ``threading.local`` raises and catches AttributeError inside (about 370 ns an op)."""

    no_grad_depth = 0
    anomaly: dict | None = None
    bare = False  # no_grad without detect_anomaly: ops make bare leaves (one read to know)


_tls = _ThreadModes()
_modes_lock = threading.Lock()
_modes_in_use = 0  # contexts open in any thread; 0 means every op takes the fast path


def _modes_changed(delta: int) -> None:
    """A no_grad / detect_anomaly block opened (+1) or closed (-1) in this thread."""
    global _modes_in_use
    _tls.bare = _tls.no_grad_depth > 0 and _tls.anomaly is None
    with _modes_lock:
        _modes_in_use += delta


def records_nothing() -> bool:
    """True where ops would build no graph and check nothing: inside ``no_grad`` without
    ``detect_anomaly``. Models then compute on plain floats (see ``nn``)."""
    return bool(_modes_in_use) and _tls.bare


def is_grad_enabled() -> bool:
    """True unless the current thread is inside a :class:`no_grad` block."""
    return not _tls.no_grad_depth


class no_grad:
    """Context manager (and decorator): ops inside record no graph.

    Results are plain leaf Values (``inputs == ()``), so nothing is kept alive and no
    backward is possible through them. Nested blocks are fine; the setting is per thread
    and restored on exit, also when the block raises.
    """

    def __enter__(self) -> no_grad:
        _tls.no_grad_depth = _tls.no_grad_depth + 1
        _modes_changed(1)
        return self

    def __exit__(self, *exc: object) -> None:
        _tls.no_grad_depth -= 1
        _modes_changed(-1)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Use as ``@no_grad()``: the function runs with graph recording off."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        return wrapper


class AnomalyError(ArithmeticError):
    """Raised inside :class:`detect_anomaly` by the first op or backward step that makes a
    NaN or an infinity. The message names the op, its inputs and where it was created."""


class detect_anomaly:
    """Context manager: stop at the first non-finite number, forward or backward.

    Inside the block, an op whose result is NaN or ±inf raises :class:`AnomalyError`
    naming the op, its inputs' values and labels, and the file:line of the caller; and
    ``backward()`` checks every gradient it writes, naming the op whose rule produced a
    non-finite one and where that op was created. Off by default; while no thread uses
    it, the engine pays one global test per op. Per thread; restored on exit.
    """

    def __enter__(self) -> detect_anomaly:
        self._outer = _tls.anomaly
        _tls.anomaly = {}  # node -> "file:line" where it was created, for backward errors
        _modes_changed(1)
        return self

    def __exit__(self, *exc: object) -> None:
        _tls.anomaly = self._outer
        _modes_changed(-1)


class gc_paused:
    """Context manager: Python's cyclic garbage collector does not run automatically inside.

    The engine's graphs hold no reference cycles, so they are freed by reference counting
    alone; while a graph grows, the collector only re-scans it, again and again (about an
    eighth of a training step here). ``fit`` wraps each step in this block. Nested blocks
    and threads share one count: the collector is switched back on when the last block
    exits, exceptions included, and only if it was on when the first one began. Cyclic
    garbage that your own code makes inside the block is collected after it.
    """

    _lock = threading.Lock()
    _depth = 0
    _was_enabled = False

    def __enter__(self) -> gc_paused:
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._was_enabled = gc.isenabled()
                gc.disable()
            cls._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0 and cls._was_enabled:
                gc.enable()


def _user_site() -> str:
    """file:line of the innermost frame outside this package (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _describe(node: Value) -> str:
    label = f" '{node.label}'" if node.label else ""
    return f"{node.data!r}{label}"


def _make_moded(cls: type, data: float, x: Any, y: Any) -> Value:
    """_make when some thread has a mode on: honour this thread's no_grad / anomaly."""
    modes = _tls
    if modes.bare:  # no_grad alone, the inference case: a leaf, built here without a call
        node = _new(Value)
        node.data = data
        node.grad = 0.0
        node._x = None
        node._y = None
        return node
    sites = modes.anomaly
    if sites is not None:
        site = _user_site()
        if not _isfinite(data):
            args = ", ".join(_describe(v) for v in _unpack(x, y))
            raise AnomalyError(
                f"op '{cls.name}' produced {data!r} from inputs ({args}) at {site}")
    if modes.no_grad_depth:
        return _leaf(Value, data)
    node = _leaf(cls, data)
    node._x = x
    node._y = y
    if sites is not None:
        sites[node] = site
    return node


def _make(cls: type, data: float, x: Any, y: Any = None) -> Value:
    """A new op node of class ``cls`` over inputs ``x`` (and ``y``), or a plain leaf under
    no_grad. The common case (no mode on anywhere) costs one test and no further call."""
    if _modes_in_use:
        return _make_moded(cls, data, x, y)
    node = _new(cls)
    node.data = data
    node.grad = 0.0
    node._x = x
    node._y = y
    return node


def _leaf(cls: type, data: float) -> Value:
    node = _new(cls)
    node.data = data
    node.grad = 0.0
    node._x = None
    node._y = None
    return node


class _Terms:
    """Marks a node whose ``_x`` holds a tuple of any number of inputs (Sum)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<n-ary>"


_NARY = _Terms()


def _unpack(x: Any, y: Any) -> tuple:
    """The inputs tuple from the two input slots: () leaf, (x,), (x, y), or n-ary terms."""
    if x is None:
        return ()
    if y is None:
        return (x,)
    if y is _NARY:
        return x
    return (x, y)


# ---------------------------------------------------------------------------------------
# Input checking


def _to_float(x: Any, where: str) -> float:
    """``x`` as a finite float, or a TypeError / ValueError that says what was wrong."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        # bool is rejected on purpose: True/False in arithmetic is nearly always a bug.
        raise TypeError(f"{where} needs a real number, got {type(x).__name__} {x!r}")
    try:
        f = float(x)
    except OverflowError:
        raise OverflowError(f"{where}: {_short_repr(x)} is too large for a float") from None
    if not _isfinite(f):
        raise ValueError(f"{where} needs a finite number, got {f!r}")
    return f


def _short_repr(x: Any, limit: int = 40) -> str:
    text = repr(x) if not isinstance(x, int) or x.bit_length() < 4000 else "a huge int"
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _lift(x: Any, op: str) -> Value:
    """A plain number used in an op becomes a :class:`Constant` leaf."""
    if isinstance(x, Value):
        return x
    return _leaf(Constant, _to_float(x, f"operand of '{op}'"))


def _where(node: Value) -> str:
    return f" (in node '{node.label}')" if node.label else ""


# ---------------------------------------------------------------------------------------
# Value


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back to it.

    ``data`` is the number, ``grad`` the derivative of the last ``backward()`` root with
    respect to it (accumulated, starts at 0.0), ``inputs`` the Values it was computed
    from in order (``()`` for a leaf), ``op`` the op's short name (``''`` for a leaf) and
    ``label`` a name for diagrams and messages.
    """

    # Inputs live in two slots, not a tuple: one object per node instead of two halves
    # the garbage collector's work. _x is None for a leaf, _y None for a one-input op;
    # Sum keeps its terms tuple in _x and _NARY in _y. ``inputs`` puts them together.
    __slots__ = ("data", "grad", "_x", "_y", "_label")
    op = ""
    name = "leaf"

    def __init__(self, data: float, label: str = "") -> None:
        if isinstance(data, Value):
            raise TypeError(f"Value() needs a number, got a Value ({data!r}); use it directly")
        self.data = _to_float(data, "Value()")
        self.grad = 0.0
        self._x = None
        self._y = None
        self.label = label

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in order (``()`` for a leaf)."""
        return _unpack(self._x, self._y)

    # --- upstream micrograd compatibility: its draw_dot reads _prev and _op ---
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

    def __float__(self) -> float:
        return self.data

    # --- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Value | float) -> Value:
        """``x + y`` (:class:`Add`): d/dx = 1, d/dy = 1."""
        if not isinstance(other, Value):
            other = _lift(other, "+")
        if _modes_in_use:
            return _make_moded(Add, self.data + other.data, self, other)
        # _make, written out: + and * are most of any network's nodes, and the call
        # would cost a sixth of the op
        node = _new(Add)
        node.data = self.data + other.data
        node.grad = 0.0
        node._x = self
        node._y = other
        return node

    def __radd__(self, other: float) -> Value:
        """``c + x`` for a number c (:class:`Add` with a :class:`Constant` first)."""
        return _lift(other, "+").__add__(self)

    def __sub__(self, other: Value | float) -> Value:
        """``x - y`` (:class:`Sub`): d/dx = 1, d/dy = -1."""
        if not isinstance(other, Value):
            other = _lift(other, "-")
        return _make(Sub, self.data - other.data, self, other)

    def __rsub__(self, other: float) -> Value:
        """``c - x`` for a number c."""
        return _lift(other, "-").__sub__(self)

    def __mul__(self, other: Value | float) -> Value:
        """``x * y`` (:class:`Mul`): d/dx = y, d/dy = x."""
        if not isinstance(other, Value):
            other = _lift(other, "*")
        if _modes_in_use:
            return _make_moded(Mul, self.data * other.data, self, other)
        node = _new(Mul)  # _make, written out (see __add__)
        node.data = self.data * other.data
        node.grad = 0.0
        node._x = self
        node._y = other
        return node

    def __rmul__(self, other: float) -> Value:
        """``c * x`` for a number c."""
        return _lift(other, "*").__mul__(self)

    def __truediv__(self, other: Value | float) -> Value:
        """``x / y`` (:class:`Div`): d/dx = 1/y, d/dy = -x/y^2. ZeroDivisionError for y = 0."""
        if not isinstance(other, Value):
            other = _lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(
                f"division by zero in '/': {self.data!r} / {other.data!r}{_where(other)}")
        return _make(Div, self.data / other.data, self, other)

    def __rtruediv__(self, other: float) -> Value:
        """``c / x`` for a number c."""
        return _lift(other, "/").__truediv__(self)

    def __neg__(self) -> Value:
        """``-x`` (:class:`Neg`): d/dx = -1."""
        return _make(Neg, -self.data, self)

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Value | float) -> Value:
        """``x ** n``: for a number n a :class:`PowConst` node (d/dx = n x^(n-1)); for a
        Value exponent a :class:`Pow` node (needs x > 0)."""
        if isinstance(exponent, Value):
            return _pow_values(self, exponent)
        n = _to_float(exponent, "exponent of '**'")
        x = self.data
        if x < 0.0 and not n.is_integer():
            raise ValueError(
                f"'**' of a negative base {x!r} to the fractional power {n!r} is not real"
                f"{_where(self)}")
        if x == 0.0 and n < 0.0:
            raise ZeroDivisionError(f"'**': 0.0 to the negative power {n!r}{_where(self)}")
        try:
            data = x ** n
        except OverflowError:
            raise OverflowError(f"'**' overflows: {x!r} ** {n!r}{_where(self)}") from None
        node = _make(PowConst, data, self)
        if node._x is not None:
            node.exponent = n
        return node

    def __rpow__(self, base: float) -> Value:
        """``b ** x`` for a positive number b (:class:`Pow`): d/dx = b^x ln b."""
        return _pow_values(_lift(base, "**"), self)

    # --- functions ----------------------------------------------------------------------
    def exp(self) -> Value:
        """e^x (:class:`Exp`): d/dx e^x = e^x. OverflowError past x ≈ 709.78."""
        try:
            data = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp overflows at {self.data!r}{_where(self)}") from None
        return _make(Exp, data, self)

    def log(self) -> Value:
        """Natural log (:class:`Log`): d/dx ln x = 1/x. ValueError for x <= 0."""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log is undefined for {x!r}{_where(self)}")
        return _make(Log, math.log(x), self)

    def tanh(self) -> Value:
        """tanh x (:class:`Tanh`): d/dx tanh x = 1 - tanh(x)^2. Never overflows."""
        return _make(Tanh, math.tanh(self.data), self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1+e^-x) (:class:`Sigmoid`): d/dx σ(x) = σ(x)(1-σ(x)).

        Computed as 1/(1+exp(-x)) for x >= 0 and exp(x)/(1+exp(x)) for x < 0, so it
        never overflows (σ(-1000) = 0.0, σ(1000) = 1.0)."""
        return _make(Sigmoid, stable_sigmoid(self.data), self)

    def relu(self) -> Value:
        """max(0, x) (:class:`ReLU`): d/dx = 1 for x > 0, else 0 (0 at x = 0, as PyTorch)."""
        x = self.data
        return _make(ReLU, x if x > 0.0 else 0.0, self)

    @staticmethod
    def sum(values: Iterable[Value | float]) -> Value:
        """One :class:`Sum` node over many terms: d/dx_i Σ x = 1 for every term.

        The value is the exactly rounded sum (``math.fsum``). Numbers among the terms
        become constants; an empty sum is a constant 0.0."""
        terms = tuple(v if isinstance(v, Value) else _lift(v, "sum") for v in values)
        if not terms:
            return _leaf(Constant, 0.0)
        return _make(Sum, exact_sum([v.data for v in terms]), terms, _NARY)

    # --- backpropagation ----------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this Value depends on with d(self)/d(node).

        Seeds ``self.grad`` with 1.0 and applies each op's rule in reverse topological
        order, iteratively (no recursion: any depth works at the default recursion limit).
        Contributions accumulate with ``+=``, so a node used twice gets the sum of both
        paths. Interior nodes' grads are reset at the start of each call; leaves' grads
        are not, so calling backward() twice doubles every leaf's grad (as PyTorch does
        with ``retain_graph``): call :meth:`zero_grad` (or the optimizer's) in between.
        On a leaf, backward() adds 1.0 to its grad.
        """
        order = topological_order(self)
        if not order:
            self.grad += 1.0
            return
        self.grad = 1.0
        if _modes_in_use and _tls.anomaly is not None:
            _backward_checked(order, _tls.anomaly)
            return
        for node in reversed(order):
            node._backward()

    def backward_steps(self) -> Iterator[BackwardStep]:
        """Backward, one op at a time: yields a :class:`BackwardStep` per interior node.

        Steps come in the order ``backward()`` visits nodes and each is applied before it
        is yielded, so after the last one every grad equals what ``backward()`` gives.
        Print a step to see the chain rule with numbers. Stopping early leaves partial
        grads behind."""
        order = topological_order(self)
        if not order:
            self.grad += 1.0
            return
        self.grad = 1.0
        names = node_names(self)
        total = len(order)
        for index, node in enumerate(reversed(order)):
            upstream = node.grad
            local = node.local_grads()
            contributions = []
            for inp, d in zip(node.inputs, local):
                c = d * upstream
                inp.grad += c
                contributions.append(c)
            yield BackwardStep(index, total, node, upstream, local, tuple(contributions), names)

    def explain(self, file: Any = None) -> list[BackwardStep]:
        """Run backward step by step, print every step as the chain rule with numbers,
        then each leaf's grad; returns the steps."""
        out = file if file is not None else sys.stdout
        steps = []
        for step in self.backward_steps():
            steps.append(step)
            print(step, file=out)
        names = node_names(self)
        for node in topological_order(self, leaves=True):
            if not node.inputs and not isinstance(node, Constant):
                print(f"{names[node]}.grad = {format_number(node.grad)}", file=out)
        return steps

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this Value and every node it depends on, leaves included."""
        for node in topological_order(self, leaves=True):
            node.grad = 0.0

    # Each op class overrides these two; a leaf has nothing to pass back.
    def _backward(self) -> None:
        pass

    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂input for each of ``inputs``, at the current data (``()`` for a leaf)."""
        return ()


def exact_sum(numbers: list[float]) -> float:
    """The exactly rounded sum (``math.fsum``), as ``Value.sum`` computes it. Where that
    overflows, or meets inf and -inf, it is what IEEE addition gives (±inf or nan) instead of
    fsum's error, as ``+`` would, and ``detect_anomaly`` names the ``sum``."""
    try:
        return math.fsum(numbers)
    except (OverflowError, ValueError):
        return sum(numbers, 0.0)


def stable_sigmoid(x: float) -> float:
    """σ(x) on a plain float, as :meth:`Value.sigmoid` computes it: 1/(1+e^-x) for x >= 0,
    e^x/(1+e^x) for x < 0, so neither branch can overflow."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class Constant(Value):
    """A leaf made from a plain number in an expression (the ``2`` in ``2 * x``)."""

    __slots__ = ()


def _pow_values(base: Value, exponent: Value) -> Value:
    b = base.data
    if b <= 0.0:
        raise ValueError(
            f"'**' with a Value exponent needs a positive base, got {b!r}{_where(base)}")
    try:
        data = b ** exponent.data
    except OverflowError:
        raise OverflowError(f"'**' overflows: {b!r} ** {exponent.data!r}") from None
    return _make(Pow, data, base, exponent)


# ---------------------------------------------------------------------------------------
# The ops. Each: the derivative in math, the rule backward applies, and the same
# derivative as numbers (local_grads), which backward_steps uses and shows.
# ``expr`` and ``local_text`` are how a step prints: {x}, {y} are the inputs, {out} the node
# (in ``local_text``, their data).


class Add(Value):
    """z = x + y.     dz/dx = 1,   dz/dy = 1"""

    __slots__ = ()
    op = name = "+"
    expr = "{x} + {y}"
    local_text = ("1", "1")

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += g
        y.grad += g

    def local_grads(self) -> tuple[float, ...]:
        return (1.0, 1.0)


class Sub(Value):
    """z = x - y.     dz/dx = 1,   dz/dy = -1"""

    __slots__ = ()
    op = name = "-"
    expr = "{x} - {y}"
    local_text = ("1", "-1")

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += g
        y.grad += -1.0 * g

    def local_grads(self) -> tuple[float, ...]:
        return (1.0, -1.0)


class Mul(Value):
    """z = x * y.     dz/dx = y,   dz/dy = x"""

    __slots__ = ()
    op = name = "*"
    expr = "{x} * {y}"
    local_text = ("{y}", "{x}")

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += y.data * g
        y.grad += x.data * g

    def local_grads(self) -> tuple[float, ...]:
        x = self._x
        y = self._y
        return (y.data, x.data)


class Div(Value):
    """z = x / y.     dz/dx = 1/y,   dz/dy = -x/y^2 = -z/y"""

    __slots__ = ()
    op = name = "/"
    expr = "{x} / {y}"
    local_text = ("1 / {y}", "-{out} / {y}")

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += (1.0 / y.data) * g
        y.grad += (-self.data / y.data) * g

    def local_grads(self) -> tuple[float, ...]:
        y = self._y
        return (1.0 / y.data, -self.data / y.data)


class Neg(Value):
    """z = -x.     dz/dx = -1"""

    __slots__ = ()
    op = name = "neg"
    expr = "-{x}"
    local_text = ("-1",)

    def _backward(self) -> None:
        self._x.grad += -1.0 * self.grad

    def local_grads(self) -> tuple[float, ...]:
        return (-1.0,)


def _pow_local(x: float, n: float) -> float:
    """d/dx x^n = n x^(n-1), with the limits at x = 0 spelled out."""
    if n == 0.0:
        return 0.0  # x^0 is constant, also at x = 0
    if x == 0.0 and n < 1.0:
        return math.inf  # slope of x^n at 0 for 0 < n < 1 (e.g. sqrt): unbounded
    return n * _power(x, n - 1.0)


def _power(x: float, e: float) -> float:
    """x ** e, or ±inf where that is too large for a float (Python's ``**`` raises
    OverflowError there): a slope too steep for a float is infinite, as ``*`` and ``/`` give."""
    try:
        return x ** e
    except OverflowError:
        return -math.inf if x < 0.0 and e % 2.0 == 1.0 else math.inf


class PowConst(Value):
    """z = x^n for a number n.     dz/dx = n x^(n-1)   (0 for n = 0; +inf at x = 0 for 0 < n < 1)"""

    __slots__ = ("exponent",)
    name = "**"
    expr = "{x} ** {n}"
    local_text = ("{n} * {x}**({n} - 1)",)

    @property
    def op(self) -> str:  # type: ignore[override]
        """``'**2'`` and the like: the exponent is part of the op's name."""
        return f"**{_fmt_number(self.exponent)}"

    def _backward(self) -> None:
        x = self._x
        x.grad += _pow_local(x.data, self.exponent) * self.grad

    def local_grads(self) -> tuple[float, ...]:
        return (_pow_local(self._x.data, self.exponent),)


class Pow(Value):
    """z = x^y for Values, x > 0.     dz/dx = y x^(y-1),   dz/dy = x^y ln x = z ln x"""

    __slots__ = ()
    op = name = "**"
    expr = "{x} ** {y}"
    local_text = ("{y} * {x}**({y} - 1)", "{out} * ln({x})")

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += (y.data * _power(x.data, y.data - 1.0)) * g
        y.grad += (self.data * math.log(x.data)) * g

    def local_grads(self) -> tuple[float, ...]:
        x = self._x
        y = self._y
        return (y.data * _power(x.data, y.data - 1.0), self.data * math.log(x.data))


class Exp(Value):
    """z = e^x.     dz/dx = e^x = z"""

    __slots__ = ()
    op = name = "exp"
    expr = "exp({x})"
    local_text = ("{out}",)

    def _backward(self) -> None:
        self._x.grad += self.data * self.grad

    def local_grads(self) -> tuple[float, ...]:
        return (self.data,)


class Log(Value):
    """z = ln x.     dz/dx = 1/x"""

    __slots__ = ()
    op = name = "log"
    expr = "log({x})"
    local_text = ("1 / {x}",)

    def _backward(self) -> None:
        x = self._x
        x.grad += (1.0 / x.data) * self.grad

    def local_grads(self) -> tuple[float, ...]:
        return (1.0 / self._x.data,)


class Tanh(Value):
    """z = tanh x.     dz/dx = 1 - tanh(x)^2 = 1 - z^2"""

    __slots__ = ()
    op = name = "tanh"
    expr = "tanh({x})"
    local_text = ("1 - {out}**2",)

    def _backward(self) -> None:
        t = self.data
        self._x.grad += (1.0 - t * t) * self.grad

    def local_grads(self) -> tuple[float, ...]:
        t = self.data
        return (1.0 - t * t,)


class Sigmoid(Value):
    """z = σ(x) = 1/(1+e^-x).     dz/dx = σ(x)(1-σ(x)) = z(1-z)"""

    __slots__ = ()
    op = name = "sigmoid"
    expr = "sigmoid({x})"
    local_text = ("{out} * (1 - {out})",)

    def _backward(self) -> None:
        s = self.data
        self._x.grad += (s * (1.0 - s)) * self.grad

    def local_grads(self) -> tuple[float, ...]:
        s = self.data
        return (s * (1.0 - s),)


class ReLU(Value):
    """z = max(0, x).     dz/dx = 1 if x > 0 else 0"""

    __slots__ = ()
    op = name = "relu"
    expr = "relu({x})"
    local_text = ("({x} > 0)",)

    def _backward(self) -> None:
        if self.data > 0.0:
            self._x.grad += self.grad

    def local_grads(self) -> tuple[float, ...]:
        return (1.0 if self.data > 0.0 else 0.0,)


class Sum(Value):
    """z = x_1 + x_2 + ... + x_n in one node.     dz/dx_i = 1 for every i"""

    __slots__ = ()
    op = name = "sum"
    expr = "sum({args})"
    local_text = None  # "1" for every term

    def _backward(self) -> None:
        g = self.grad
        for x in self._x:
            x.grad += g

    def local_grads(self) -> tuple[float, ...]:
        return (1.0,) * len(self._x)


def _backward_checked(order: list[Value], sites: dict) -> None:
    """backward() under detect_anomaly: after each rule, every grad must be finite."""
    for node in reversed(order):
        node._backward()
        for inp in node.inputs:
            if not _isfinite(inp.grad):
                args = ", ".join(_describe(v) for v in node.inputs)
                raise AnomalyError(
                    f"backward of op '{node.op}' (node {_describe(node)}, grad {node.grad!r}) "
                    f"gave a non-finite grad {inp.grad!r} to input {_describe(inp)}; inputs "
                    f"({args}); op created at {sites.get(node, '<outside detect_anomaly>')}")


# ---------------------------------------------------------------------------------------
# Graph walking


def topological_order(root: Value, leaves: bool = False) -> list[Value]:
    """Nodes ``root`` depends on (itself included), each after all of its inputs.

    Without ``leaves`` only interior (op) nodes are listed: that is the order backward
    runs in reverse. Iterative depth-first post-order; deterministic for a given graph.
    Interior nodes' grads are reset to 0.0 on the way (backward relies on it) unless
    ``leaves`` is set, which walks without touching anything.
    """
    if leaves:
        return _walk_all(root)
    order: list[Value] = []
    if root._x is None:
        return order
    # A node is "seen" when its grad is this very float object: a zero made for this walk
    # alone. Marking a node resets its grad in the same store, and an identity test is
    # cheaper than a set of seen nodes.
    seen = float("0")
    stack: list[Any] = [root]
    push = stack.append
    pop = stack.pop
    emit = order.append
    while stack:
        node = pop()
        if node is None:  # marker: everything above it is done
            emit(pop())
            continue
        # Walk down first inputs without a round trip through the stack: a long chain
        # (a sum built by repeated +) is one pass of this loop per node.
        while node.grad is not seen:
            node.grad = seen
            x = node._x
            y = node._y
            if y is _NARY:
                push(node)
                push(None)
                for child in x:
                    if child._x is not None and child.grad is not seen:
                        push(child)
                break
            todo_y = y is not None and y._x is not None and y.grad is not seen
            if todo_y:
                # A second input whose own inputs are all seen (a product of a weight and
                # an activation, say) is done at once. "Seen" means finished here: a node
                # seen but not finished is an ancestor of this one, and y depending on an
                # ancestor would be a cycle.
                yx = y._x
                yy = y._y
                if yy is not _NARY and (yx._x is None or yx.grad is seen) and (
                        yy is None or yy._x is None or yy.grad is seen):
                    y.grad = seen
                    emit(y)
                    todo_y = False
            if x._x is not None and x.grad is not seen:
                push(node)
                push(None)
                if todo_y:
                    push(y)
                node = x
            elif todo_y:
                push(node)
                push(None)
                node = y
            else:  # inputs all done (the common node over leaves): done at once
                emit(node)
                break
    return order


def _walk_all(root: Value) -> list[Value]:
    """Every node, leaves included, each after its inputs, inputs visited in order."""
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append(node)
        stack.append(None)
        for child in reversed(node.inputs):
            if child not in visited:
                stack.append(child)
    return order


def zero_grad(values: Iterable[Value]) -> None:
    """Set ``grad`` to 0.0 on each of ``values`` (e.g. a model's parameters)."""
    for v in values:
        v.grad = 0.0


def _fmt_number(x: float) -> str:
    return f"{x:g}"


def format_number(x: float) -> str:
    """``x`` to four decimals, or to four significant digits where four decimals would hide
    it (``0.0009102``, ``1.235e+08``): how steps, explain() and diagrams write numbers."""
    if x == 0.0 or 1e-3 <= abs(x) < 1e7 or not _isfinite(x):
        return f"{x:.4f}"
    return f"{x:.4g}"


def node_names(root: Value) -> dict[Value, str]:
    """A name for every node of the graph: its label, else a constant's value, else
    ``n<k>`` by position in the walk (stable across runs for the same graph)."""
    names: dict[Value, str] = {}
    k = 0
    for node in _walk_all(root):
        if node.label:
            names[node] = node.label
        elif isinstance(node, Constant):
            names[node] = _fmt_number(node.data)
        else:
            names[node] = f"n{k}"
            k += 1
    return names


# ---------------------------------------------------------------------------------------
# Step-through


class BackwardStep:
    """One op's share of backward: the chain rule at ``node`` with numbers.

    ``upstream`` is d(root)/d(node); for each input, ``local_grads[i]`` is
    d(node)/d(input) and ``contributions[i] = local_grads[i] * upstream`` is what was
    added to that input's grad.
    """

    __slots__ = ("index", "total", "node", "upstream", "local_grads", "contributions", "names")

    def __init__(self, index: int, total: int, node: Value, upstream: float,
                 local_grads: tuple[float, ...], contributions: tuple[float, ...],
                 names: dict[Value, str]) -> None:
        self.index = index
        self.total = total
        self.node = node
        self.upstream = upstream
        self.local_grads = local_grads
        self.contributions = contributions
        self.names = names

    @property
    def op(self) -> str:
        """The op of the node this step backpropagates through."""
        return self.node.op

    @property
    def inputs(self) -> tuple[Value, ...]:
        """The node's inputs, whose grads this step added to."""
        return self.node.inputs

    def _fields(self, name: Callable[[Value], str]) -> dict[str, str]:
        """Format fields for the op's ``expr`` / ``local_text``: {out}, {x}, {y} written by
        ``name``, {args} (every input's name), {n} (a power's exponent)."""
        node = self.node
        ins = node.inputs
        fields = {"out": name(node), "args": ", ".join(self.names[v] for v in ins)}
        if ins:
            fields["x"] = name(ins[0])
        if len(ins) > 1:
            fields["y"] = name(ins[1])
        if isinstance(node, PowConst):
            fields["n"] = _fmt_number(node.exponent)
        return fields

    def _data_ref(self, node: Value) -> str:
        """``x.data`` in a formula, or a constant's own value."""
        return self.names[node] if isinstance(node, Constant) else f"{self.names[node]}.data"

    def equation(self) -> str:
        """``z = x * w``: the node and how it was computed."""
        node = self.node
        return f"{self.names[node]} = {type(node).expr.format(**self._fields(self.names.get))}"

    def lines(self) -> list[str]:
        """One chain-rule line per input: ``x.grad += w.data * z.grad = 3.0000 * 0.5000``."""
        node = self.node
        texts = type(node).local_text
        refs = self._fields(self._data_ref)
        out = []
        for i, inp in enumerate(node.inputs):
            local = "1" if texts is None else texts[i].format(**refs)
            if " " in local:
                local = f"({local})"
            out.append(
                f"{self.names[inp]}.grad += {local} * {self.names[node]}.grad"
                f" = {format_number(self.local_grads[i])} * {format_number(self.upstream)}"
                f" = {format_number(self.contributions[i])}")
        return out

    def __str__(self) -> str:
        head = f"[{self.index + 1}/{self.total}] {self.equation()}"
        return "\n".join([head] + ["    " + line for line in self.lines()])

    def __repr__(self) -> str:
        return f"<BackwardStep {self.index + 1}/{self.total} {self.equation()}>"
