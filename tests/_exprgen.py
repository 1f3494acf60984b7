"""Random expression DAGs for the property tests, and an exact oracle for their gradients.

An :class:`Expr` is a list of ops over 1-5 inputs, each op reading any earlier node (so
subexpressions are shared and inputs reused) or a plain number on either side. The same
Expr is evaluated three ways: with micrograd_nn Values (``expr(*values)``), with mpmath
dual numbers at 50 digits (:meth:`Expr.exact_gradients`), and as Python source a user can
paste (``repr(expr)``).

Every op's inputs are kept inside its domain, with margins, by guard ops inserted when the
drawn operand is out of it (``log(a)`` becomes ``log(a * a + 0.5)`` for a < 0.1, and so
on; see the constants below). Guards are decided once, from the exact values, so the
expression is fixed and a finite difference evaluates the very same ops.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from hypothesis import strategies as st
from mpmath import mp, mpf

from micrograd_nn import Value

LIMIT = 10.0  # a node whose |value| exceeds this is scaled down by a power of ten
POSITIVE = 0.1  # log, fractional powers and Value-exponent bases get at least this
NONZERO = 0.25  # divisors and bases of negative powers: |x| at least this
KINK = 0.05  # relu arguments at least this far from 0, so a finite difference sees no kink
# |argument| bounds: exp to stay small; tanh and sigmoid because their derivative is computed
# from the saturated output (1 - t*t), whose relative error, about 1e-16 / (1 - t*t), would
# pass 1e-9 past |x| ~ 8. Saturation itself is covered in test_edges.py.
EXP_BOUND, SQUASH_BOUND, EXPONENT_BOUND = 5.0, 6.0, 3.0
EXPONENTS = (2, 3, 0, 1, -1, -2, 0.5, 1.5, -0.5, 2.5, 0.3)
BASES = (2, 0.5, 3.0, math.e, 10)
DPS = 50

Number = Union[int, float]


@dataclass(frozen=True)
class Num:
    """A plain number operand (printed and applied as the number itself)."""

    value: Number

    def text(self) -> str:
        """The number as source, parenthesised when negative so any operator can follow."""
        negative = math.copysign(1.0, self.value) < 0  # -0.0 too
        return f"({self.value!r})" if negative else repr(self.value)


Arg = Union[int, Num]  # an int is the index of an earlier node


@dataclass(frozen=True)
class Node:
    """One op: ``op`` is '+', '-', '*', '/', '**', 'neg', 'sum' or a method name."""

    op: str
    args: tuple[Arg, ...]


_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "**": operator.pow}


def _apply(node: Node, vals: list, sum_fn: Callable[[list], Any]) -> Any:
    """The node's value from earlier values, using the operands' own operators."""
    args = [vals[a] if isinstance(a, int) else a.value for a in node.args]
    if node.op in _BINARY:
        return _BINARY[node.op](*args)
    if node.op == "neg":
        return -args[0]
    if node.op == "sum":
        return sum_fn(args)
    return getattr(args[0], node.op)()


class Dual:
    """v + d·ε with ε² = 0, in mpmath: a value and its exact derivative along one input.

    The rules are the textbook ones, written independently of the engine (tanh' = sech²,
    (b^y)' = b^y ln b ·y', (x^y)' = y x^(y-1) x' + x^y ln x · y')."""

    __slots__ = ("v", "d")

    def __init__(self, v: Any, d: Any = 0) -> None:
        self.v = mpf(v)
        self.d = mpf(d)

    @staticmethod
    def lift(x: Any) -> Dual:
        """A plain number as a constant (derivative 0)."""
        return x if isinstance(x, Dual) else Dual(x)

    def __add__(self, o: Any) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v + o.v, self.d + o.d)

    def __radd__(self, o: Any) -> Dual:
        return Dual.lift(o) + self

    def __sub__(self, o: Any) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v - o.v, self.d - o.d)

    def __rsub__(self, o: Any) -> Dual:
        return Dual.lift(o) - self

    def __mul__(self, o: Any) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v * o.v, self.d * o.v + self.v * o.d)

    def __rmul__(self, o: Any) -> Dual:
        return Dual.lift(o) * self

    def __truediv__(self, o: Any) -> Dual:
        o = Dual.lift(o)
        return Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))

    def __rtruediv__(self, o: Any) -> Dual:
        return Dual.lift(o) / self

    def __neg__(self) -> Dual:
        return Dual(-self.v, -self.d)

    def __pow__(self, o: Any) -> Dual:
        if isinstance(o, Dual):
            z = self.v ** o.v
            return Dual(z, o.v * self.v ** (o.v - 1) * self.d + z * mp.log(self.v) * o.d)
        n = mpf(o)
        slope = 0 if n == 0 else n * self.v ** (n - 1)
        return Dual(self.v ** n, slope * self.d)

    def __rpow__(self, base: Any) -> Dual:
        z = mpf(base) ** self.v
        return Dual(z, z * mp.log(mpf(base)) * self.d)

    def exp(self) -> Dual:
        z = mp.exp(self.v)
        return Dual(z, z * self.d)

    def log(self) -> Dual:
        return Dual(mp.log(self.v), self.d / self.v)

    def tanh(self) -> Dual:
        return Dual(mp.tanh(self.v), mp.sech(self.v) ** 2 * self.d)

    def sigmoid(self) -> Dual:
        s = 1 / (1 + mp.exp(-self.v))
        return Dual(s, s * (1 - s) * self.d)

    def relu(self) -> Dual:
        return Dual(self.v, self.d) if self.v > 0 else Dual(0)

    @staticmethod
    def sum(terms: Sequence[Any]) -> Dual:
        """Σ terms (the counterpart of Value.sum; exact enough at 50 digits)."""
        total = Dual(0)
        for t in terms:
            total = total + t
        return total


class Expr:
    """Inputs' values and the ops after them; node k < len(inputs) is input k, the last
    node is the output. ``repr`` is Python source that rebuilds it with micrograd_nn."""

    def __init__(self, inputs: Sequence[float], nodes: Sequence[Node]) -> None:
        self.inputs = tuple(inputs)
        self.nodes = tuple(nodes)

    def evaluate(self, leaves: Sequence[Any], sum_fn: Callable[[list], Any]) -> list:
        """Every node's value, the inputs taken from ``leaves``."""
        vals = list(leaves)
        for node in self.nodes:
            vals.append(_apply(node, vals, sum_fn))
        return vals

    def __call__(self, *values: Value) -> Value:
        """The output as a micrograd_nn Value (the signature gradcheck wants)."""
        return self.evaluate(values, Value.sum)[-1]

    def exact_gradients(self) -> list[mpf]:
        """d(output)/d(input) for each input, by forward-mode dual numbers at 50 digits."""
        grads = []
        with mp.workdps(DPS):
            for i in range(len(self.inputs)):
                leaves = [Dual(x, 1 if j == i else 0) for j, x in enumerate(self.inputs)]
                grads.append(self.evaluate(leaves, Dual.sum)[-1].d)
        return grads

    def exact_value(self, i: int, t: mpf) -> mpf:
        """The output with input ``i`` set to ``t``, at the caller's mpmath precision (which
        mpmath.diff raises while it differentiates)."""
        leaves = [Dual(t if j == i else x) for j, x in enumerate(self.inputs)]
        return self.evaluate(leaves, Dual.sum)[-1].v

    def names(self) -> list[str]:
        """Variable names in the source: x0.. for inputs, n<k> for ops, out for the last."""
        m = len(self.inputs)
        last = m + len(self.nodes) - 1
        return [f"x{k}" if k < m else ("out" if k == last else f"n{k}") for k in range(last + 1)]

    def source(self) -> str:
        """Python source that rebuilds this expression, runs backward and prints the grads."""
        names = self.names()
        m = len(self.inputs)
        lines = ["from micrograd_nn import Value"]
        lines += [f"x{i} = Value({x!r}, 'x{i}')" for i, x in enumerate(self.inputs)]
        lines += [f"{names[m + k]} = {_text(node, names)}" for k, node in enumerate(self.nodes)]
        xs = ", ".join(names[:m])
        lines += ["out.backward()", f"print([x.grad for x in ({xs},)])"]
        return "\n".join(lines)

    __repr__ = source

    def kinds(self) -> Counter:
        """How often each kind of op occurs, numbers' side included ('* number left')."""
        return Counter(_kind(node) for node in self.nodes)

    def consumers(self) -> Counter:
        """How many times each node is read by a later op."""
        return Counter(a for node in self.nodes for a in node.args if isinstance(a, int))


def _text(node: Node, names: list[str]) -> str:
    args = [names[a] if isinstance(a, int) else a.text() for a in node.args]
    if node.op in _BINARY:
        return f"{args[0]} {node.op} {args[1]}"
    if node.op == "neg":
        return f"-{args[0]}"
    if node.op == "sum":
        return f"Value.sum([{', '.join(args)}])"
    return f"{args[0]}.{node.op}()"


def _kind(node: Node) -> str:
    if node.op == "**":
        base, exponent = node.args
        return "x ** number" if isinstance(exponent, Num) else (
            "number ** x" if isinstance(base, Num) else "x ** y")
    if node.op in _BINARY and isinstance(node.args[0], Num):
        return f"{node.op} number left"
    if node.op in _BINARY and isinstance(node.args[1], Num):
        return f"{node.op} number right"
    return node.op


class _Builder:
    """Appends ops, inserting guards so every op sees an operand inside its domain."""

    def __init__(self, inputs: Sequence[float]) -> None:
        self.inputs = tuple(inputs)
        self.nodes: list[Node] = []
        self.vals = [Dual(x) for x in inputs]

    def pick(self, k: int) -> int:
        """The k-th most recent node (wrapping round), so short draws make short chains."""
        return len(self.vals) - 1 - k % len(self.vals)

    def value(self, i: int) -> float:
        return float(self.vals[i].v)

    def emit(self, op: str, *args: Arg) -> int:
        node = Node(op, args)
        self.vals.append(_apply(node, self.vals, Dual.sum))
        self.nodes.append(node)
        size = abs(self.value(-1))
        if size > LIMIT:
            return self.emit("*", len(self.vals) - 1, Num(_shrink(size, LIMIT)))
        return len(self.vals) - 1

    def positive(self, i: int) -> int:
        if self.value(i) >= POSITIVE:
            return i
        return self.emit("+", self.emit("*", i, i), Num(0.5))

    def nonzero(self, i: int) -> int:
        return i if abs(self.value(i)) >= NONZERO else self.emit("+", i, Num(1.0))

    def bounded(self, i: int, bound: float) -> int:
        size = abs(self.value(i))
        return i if size <= bound else self.emit("*", i, Num(_shrink(size, bound)))

    def off_kink(self, i: int) -> int:
        return i if abs(self.value(i)) >= KINK else self.emit("+", i, Num(0.25))

    def expr(self) -> Expr:
        """Close the graph: the output sums every node no op has read (so all ops count)."""
        read = {a for node in self.nodes for a in node.args if isinstance(a, int)}
        loose = [k for k in range(len(self.vals)) if k not in read]
        if len(loose) > 1:
            self.emit("sum", *loose)
        return Expr(self.inputs, tuple(self.nodes))


def _shrink(size: float, bound: float) -> float:
    """The power of ten that brings ``size`` within ``bound``."""
    return 10.0 ** -math.ceil(math.log10(size / bound))


def _binary(b: _Builder, op: str, form: int, i: int, j: int, num: Number) -> None:
    """``form`` 0: node op node; 1: number op node; 2: node op number."""
    x, y = b.pick(i), b.pick(j)
    if op == "/":
        y = b.nonzero(y)
        if form == 2 and abs(num) < NONZERO:
            num += 1
    left = Num(num) if form == 1 else x
    right = Num(num) if form == 2 else y
    b.emit(op, left, right)


def _power(b: _Builder, i: int, n: Number) -> None:
    x = b.pick(i)
    if not float(n).is_integer():
        x = b.positive(x)
    elif n < 0:
        x = b.nonzero(x)
    b.emit("**", x, Num(n))


def _unary(b: _Builder, op: str, i: int) -> None:
    x = b.pick(i)
    guard = {"exp": lambda: b.bounded(x, EXP_BOUND), "log": lambda: b.positive(x),
             "tanh": lambda: b.bounded(x, SQUASH_BOUND),
             "sigmoid": lambda: b.bounded(x, SQUASH_BOUND), "relu": lambda: b.off_kink(x),
             "neg": lambda: x}[op]
    b.emit(op, guard())


def _value_power(b: _Builder, i: int, j: int) -> None:
    base = b.positive(b.pick(i))
    b.emit("**", base, b.bounded(b.pick(j), EXPONENT_BOUND))


def _number_power(b: _Builder, base: Number, i: int) -> None:
    b.emit("**", Num(base), b.bounded(b.pick(i), EXPONENT_BOUND))


def _sum(b: _Builder, picks: list[int], num: Number | None) -> None:
    terms: list[Arg] = [b.pick(k) for k in picks]
    b.emit("sum", *terms, *([] if num is None else [Num(num)]))


def build(inputs: Sequence[float], steps: Sequence[tuple]) -> Expr:
    """The expression a list of drawn steps describes (pure: same draw, same Expr)."""
    b = _Builder(inputs)
    for step in steps:
        step[0](b, *step[1:])
    return b.expr()


_index = st.integers(0, 255)
_number = st.one_of(st.integers(-3, 3), st.floats(-4.0, 4.0, allow_subnormal=False))
# One alternative per op, so each is drawn about equally often.
_steps = st.one_of(
    *[st.tuples(st.just(_binary), st.just(op), st.integers(0, 2), _index, _index, _number)
      for op in "+-*/"],
    *[st.tuples(st.just(_unary), st.just(op), _index)
      for op in ("tanh", "exp", "log", "sigmoid", "relu", "neg")],
    st.tuples(st.just(_power), _index, st.sampled_from(EXPONENTS)),
    st.tuples(st.just(_number_power), st.sampled_from(BASES), _index),
    st.tuples(st.just(_value_power), _index, _index),
    st.tuples(st.just(_sum), st.lists(_index, min_size=1, max_size=5),
              st.one_of(st.none(), _number)),
)


@st.composite
def expressions(draw: Callable, max_ops: int = 60, max_inputs: int = 5) -> Expr:
    """Hypothesis strategy: an :class:`Expr` of 1..max_ops drawn ops (guards and the final
    sum come on top) over 1..max_inputs inputs in [-3, 3]."""
    inputs = draw(st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=max_inputs))
    # Drawing the length first spreads sizes evenly over 1..max_ops (a plain list strategy
    # favours short lists); it still shrinks, towards 1.
    n = draw(st.integers(1, max_ops))
    steps = draw(st.lists(_steps, min_size=n, max_size=n))
    with mp.workdps(DPS):
        return build(inputs, steps)
