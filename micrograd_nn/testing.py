"""Verify gradients in your own tests: assertions, a fuzzer for random expressions, and
NumPy helpers for checking hand-derived matrix gradients.

- :func:`assert_gradcheck`, :func:`assert_grads_close`, :func:`check_ops`: pytest-friendly
  checks (a failure shows your line and a short message with labels).
- :func:`expressions`: a hypothesis strategy of ``(f, inputs)`` pairs, random expression
  graphs over every op (and your custom ops) with inputs in the ops' domains, on which
  ``gradcheck(f, inputs)`` finds no rule wrong (``assert_gradcheck(f, inputs,
  unchecked="reject")`` discards the few where a slope is too small to check).
- :func:`value_array`, :func:`data_of`, :func:`grads_of`, :func:`assert_array_grads`: run
  NumPy code on arrays of Values (dtype=object) and compare the engine's gradients with
  your matrix formulas, worst entries first, by index.

Importing this module needs neither hypothesis nor NumPy; only the functions that use
them import them.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

from .arrays import assert_array_grads, data_of, grads_of, value_array
from .gradcheck import GradcheckError, GradcheckReport, check_ops, gradcheck, gradcheck_report
from .modes import no_grad
from .value import OPS, Domain, Op, Value

__all__ = [
    "assert_gradcheck", "UNCHECKED", "assert_grads_close", "check_ops", "GradcheckError",
    "expressions", "Expr", "Node", "Num", "EXPRESSION_OPS",
    "value_array", "data_of", "grads_of", "assert_array_grads", "assert_matches_torch",
]


# ---------------------------------------------------------------------------------------
# Assertions


UNCHECKED = ("raise", "reject", "pass")
"""What :func:`assert_gradcheck` can do with a gradient that cannot be checked here."""


def assert_gradcheck(f: Callable[..., Value], inputs: Sequence[Value],
                     eps: float | None = None, atol: float = 0.0, rtol: float = 1e-6,
                     unchecked: str = "raise") -> GradcheckReport:
    """:func:`~micrograd_nn.gradcheck` as an assertion: raises GradcheckError (naming the
    inputs that disagree and the op whose rule is wrong) or returns the report, which
    says which inputs sat at a kink.

    A gradient that double precision cannot check at these inputs (a slope far below the
    rounding noise of f's values, as ``x * x`` has at 1e-200) is neither a pass nor a
    failure. ``unchecked`` says what to do with it: ``"raise"`` (the default) raises
    :class:`~micrograd_nn.gradcheck.CannotCheckError`; ``"reject"`` calls hypothesis'
    ``reject()``, so a property test over :func:`expressions` discards that example and
    draws another (random graphs meet such slopes in a few draws of a hundred); ``"pass"``
    returns the report, whose ``unchecked`` entries say why."""
    __tracebackhide__ = True
    if unchecked not in UNCHECKED:
        raise ValueError(f"assert_gradcheck: unchecked must be one of "
                         f"{', '.join(map(repr, UNCHECKED))}, got {unchecked!r}")
    report = gradcheck_report(f, inputs, eps, atol, rtol)
    if report.wrong or (report.unchecked and unchecked == "raise"):
        gradcheck(f, inputs, eps, atol, rtol)  # raises, naming the inputs and the ops
    if not report.unchecked or report.wrong:
        return report
    if unchecked == "reject":
        try:
            from hypothesis import reject
        except ImportError:
            raise ImportError('assert_gradcheck(unchecked="reject") needs hypothesis: '
                              "pip install hypothesis") from None
        reject()
    return report


def _name(v: Any, i: int) -> str:
    label = getattr(v, "label", "")
    return f"'{label}'" if label else f"[{i}]"


def assert_grads_close(values: Value | Sequence[Value], expected: float | Sequence[float],
                       rtol: float = 1e-7, atol: float = 1e-12) -> None:
    """Each Value's ``grad`` equals the expected number within ``atol + rtol * |expected|``
    (inclusive, as ``numpy.isclose``). An infinite expected grad is met by the same
    infinity only (its tolerance would be infinite), NaN by nothing.

    Raises GradcheckError listing each one that differs by label (or index); its
    ``mismatches`` are ``(index, label, grad, expected)``."""
    __tracebackhide__ = True
    vs = [values] if isinstance(values, Value) else list(values)
    # one number of any real type (int, float, Fraction, a NumPy scalar) for one Value
    want: list[Any] = [expected] if isinstance(expected, numbers.Real) else list(
        expected)  # type: ignore[arg-type]
    if len(vs) != len(want):
        raise ValueError(f"assert_grads_close: {len(vs)} values, {len(want)} expected grads")
    bad = [(i, v, float(e)) for i, (v, e) in enumerate(zip(vs, want))
           if not (v.grad == e or (math.isfinite(e)
                                   and abs(v.grad - e) <= atol + rtol * abs(e)))]
    if bad:
        lines = [f"{len(bad)} of {len(vs)} grads differ (rtol={rtol}, atol={atol}):"]
        lines += [f"  {_name(v, i)}: grad {v.grad!r}, expected {e!r}" for i, v, e in bad]
        raise GradcheckError("\n".join(lines), [(i, v.label, v.grad, e) for i, v, e in bad])


# ---------------------------------------------------------------------------------------
# Random expressions: an Expr is a list of ops over inputs, each op reading earlier nodes
# or plain numbers. Each op's operand is kept inside its domain, with margins, by guard ops
# inserted when the drawn operand is out of it (log(a) becomes log(a * a + 0.5) for a <
# 0.1, and so on). Guards are decided once, when the Expr is built, so the expression is
# fixed and a finite difference evaluates the very same ops.

LIMIT = 10.0  # a node whose |value| exceeds this is scaled down by a power of ten
MARGIN = 0.1  # operands stay at least this far inside a domain's edge (log, sqrt, log1p)
AVOID = 0.25  # ... and this far from the points a domain avoids (kinks, poles)
NONZERO = 0.25  # divisors and bases of negative powers: |x| at least this
EXPONENT_BOUND, CUSTOM_BOUND = 3.0, 3.0
EXPONENTS = (2, 3, 0, 1, -1, -2, 0.5, 1.5, -0.5, 2.5, 0.3)
BASES = (2, 0.5, 3.0, math.e, 10)
# The unary ops the generator calls, by Value method name, each guarded by the domain its
# class declares (``Op.domains``): every one-input op without parameters in OPS, and neg.
UNARY_OPS: dict[str, type[Op]] = {
    cls.method: cls for cls in OPS.values()
    if not cls.params and not cls.method.startswith("__") and cls.method != "sum"
    and len(inspect.signature(cls.forward).parameters) == 1}
UNARY_OPS["neg"] = OPS["Neg"]
EXPRESSION_OPS: tuple[str, ...] = tuple(sorted(
    {"Add", "Sub", "Mul", "Div", "PowConst", "Pow", "Sum"} |
    {cls.__name__ for cls in UNARY_OPS.values()}))
"""The op classes (names as in ``micrograd_nn.OPS``) :func:`expressions` draws."""

Number = Union[int, float]


@dataclass(frozen=True)
class Num:
    """A plain number operand (printed and applied as the number itself)."""

    value: Number

    def text(self) -> str:
        """The number as source, parenthesised when negative so any operator can follow."""
        return f"({self.value!r})" if math.copysign(1.0, self.value) < 0 else repr(self.value)


Arg = Union[int, Num]  # an int is the index of an earlier node


@dataclass(frozen=True)
class Node:
    """One op: ``op`` is '+', '-', '*', '/', '**', 'neg', 'sum', a Value method's name, or
    a custom op's name (then ``custom`` is True)."""

    op: str
    args: tuple[Arg, ...]
    custom: bool = False


_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "**": operator.pow}


class Expr:
    """A random expression: inputs' values and the ops after them. Node k < len(inputs) is
    input k, the last node is the output. Call it on Values (``f(*inputs)``); ``repr`` is
    Python source that rebuilds it, to paste into a test."""

    def __init__(self, inputs: Sequence[float], nodes: Sequence[Node],
                 custom: dict[str, Callable[..., Any]] | None = None) -> None:
        self.inputs = tuple(inputs)
        self.nodes = tuple(nodes)
        self.custom = dict(custom or {})

    def apply(self, node: Node, vals: list[Any], sum_fn: Callable[[list[Any]], Any]) -> Any:
        """The node's value from earlier values, using the operands' own operators and
        methods (so any number type with them works: Values, floats, dual numbers)."""
        args = [vals[a] if isinstance(a, int) else a.value for a in node.args]
        if node.custom:
            return self.custom[node.op](*args)
        if node.op in _BINARY:
            return _BINARY[node.op](*args)
        if node.op == "neg":
            return -args[0]
        if node.op == "sum":
            return sum_fn(args)
        return getattr(args[0], node.op)()

    def evaluate(self, leaves: Sequence[Any], sum_fn: Callable[[list[Any]], Any]) -> list[Any]:
        """Every node's value, the inputs taken from ``leaves``."""
        vals = list(leaves)
        for node in self.nodes:
            vals.append(self.apply(node, vals, sum_fn))
        return vals

    def __call__(self, *values: Value) -> Value:
        """The output as a Value (the signature gradcheck wants)."""
        out: Value = self.evaluate(values, Value.sum)[-1]
        return out

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
        lines += [f"# {name}: your custom op" for name in sorted(self.custom)]
        lines += [f"x{i} = Value({x!r}, 'x{i}')" for i, x in enumerate(self.inputs)]
        lines += [f"{names[m + k]} = {_text(node, names)}" for k, node in enumerate(self.nodes)]
        lines += ["out.backward()", f"print([x.grad for x in ({', '.join(names[:m])},)])"]
        return "\n".join(lines)

    __repr__ = source

    def kinds(self) -> Counter[str]:
        """How often each kind of op occurs, numbers' side included ('* number left')."""
        return Counter(_kind(node) for node in self.nodes)

    def consumers(self) -> Counter[int]:
        """How many times each node is read by a later op."""
        return Counter(a for node in self.nodes for a in node.args if isinstance(a, int))


def _text(node: Node, names: list[str]) -> str:
    args = [names[a] if isinstance(a, int) else a.text() for a in node.args]
    if node.custom:
        return f"{node.op}({', '.join(args)})"
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
    """Appends ops, inserting guards so every op sees an operand inside its domain. Values
    are computed by the engine itself, the graph off."""

    def __init__(self, inputs: Sequence[float], custom: dict[str, Callable[..., Any]]) -> None:
        self.expr = Expr(inputs, (), custom)
        self.nodes: list[Node] = []
        self.vals: list[Value] = [Value(x) for x in inputs]

    def pick(self, k: int) -> int:
        """The k-th most recent node (wrapping round), so short draws make short chains."""
        return len(self.vals) - 1 - k % len(self.vals)

    def value(self, i: int) -> float:
        return self.vals[i].data

    def emit(self, op: str, *args: Arg, custom: bool = False, scale: bool = True) -> int:
        """Append an op; a result beyond LIMIT is scaled down by a power of ten, unless
        ``scale`` is False (a guard whose result must stay where it was put)."""
        node = Node(op, args, custom)
        with no_grad():
            self.vals.append(self.expr.apply(node, self.vals, Value.sum))
        self.nodes.append(node)
        size = abs(self.value(-1))
        if scale and size > LIMIT:
            return self.emit("*", len(self.vals) - 1, Num(_shrink(size, LIMIT)))
        return len(self.vals) - 1

    def nonzero(self, i: int) -> int:
        return i if abs(self.value(i)) >= NONZERO else self.emit("+", i, Num(1.0))

    def bounded(self, i: int, bound: float) -> int:
        size = abs(self.value(i))
        return i if size <= bound else self.emit("*", i, Num(_shrink(size, bound)))

    def into(self, domain: Domain, i: int) -> int:
        """Operand ``i`` brought inside ``domain`` by guard ops: scaled down past its bound,
        mapped above its low edge (``x*x + low + 0.5``) or below its high edge, and moved
        off each point it avoids (``x + 2*AVOID``)."""
        i = self.bounded(i, min(domain.bound, LIMIT))
        if self.value(i) < domain.low + MARGIN:
            i = self.emit("+", self.emit("*", i, i), Num(domain.low + 0.5))
        elif self.value(i) > domain.high - MARGIN:
            i = self.emit("-", Num(domain.high - 0.5), self.emit("*", i, i))
        x = self.value(i)
        for point in domain.avoid:
            if domain.period:
                point += round((x - point) / domain.period) * domain.period
            if abs(x - point) < AVOID:
                return self.emit("+", i, Num(2 * AVOID))
        return i

    def close(self) -> Expr:
        """The output sums every node no op has read (so every op counts)."""
        read = {a for node in self.nodes for a in node.args if isinstance(a, int)}
        loose = [k for k in range(len(self.vals)) if k not in read]
        if len(loose) > 1:
            self.emit("sum", *loose)
        return Expr(self.expr.inputs, self.nodes, self.expr.custom)


def _shrink(size: float, bound: float) -> float:
    """The power of ten that brings ``size`` within ``bound``."""
    return float(10.0 ** -math.ceil(math.log10(size / bound)))


def _binary(b: _Builder, op: str, form: int, i: int, j: int, num: Number) -> None:
    """``form`` 0: node op node; 1: number op node; 2: node op number."""
    x, y = b.pick(i), b.pick(j)
    if op == "/":
        y = b.nonzero(y)
        if form == 2 and abs(num) < NONZERO:
            num += 1
    b.emit(op, Num(num) if form == 1 else x, Num(num) if form == 2 else y)


def _power(b: _Builder, i: int, n: Number) -> None:
    x = b.pick(i)
    if not float(n).is_integer():
        x = b.into(OPS["PowConst"].domains[0], x)
    elif n < 0:
        x = b.nonzero(x)
    b.emit("**", x, Num(n))


def _unary(b: _Builder, op: str, i: int) -> None:
    b.emit(op, b.into(UNARY_OPS[op].domains[0], b.pick(i)))


def _value_power(b: _Builder, i: int, j: int) -> None:
    base, exponent = OPS["Pow"].domains
    b.emit("**", b.into(base, b.pick(i)), b.into(exponent, b.pick(j)))


def _number_power(b: _Builder, base: Number, i: int) -> None:
    b.emit("**", Num(base), b.bounded(b.pick(i), EXPONENT_BOUND))


def _sum(b: _Builder, picks: list[int], num: Number | None) -> None:
    terms: list[Arg] = [b.pick(k) for k in picks]
    b.emit("sum", *terms, *([] if num is None else [Num(num)]))


DOMAIN_MARGIN = 0.1  # custom ops' arguments stay this far inside a bounded domain


def _inside(b: _Builder, i: int, lo: float, hi: float) -> int:
    """Operand ``i`` brought inside (lo, hi), DOMAIN_MARGIN from its ends (squeezed by
    sigmoid between two bounds, a square added to one). These guards are never scaled
    down past LIMIT: that would move the operand back out (x*x + 5.1 = 14.1 scaled to
    1.41 for a domain (5, None))."""
    m = min(DOMAIN_MARGIN, (hi - lo) / 4.0)  # (hi - lo) / 4 is inf for a one-sided domain
    x = b.value(i)
    if lo + m <= x <= hi - m:
        return i
    if math.isfinite(lo) and math.isfinite(hi):
        s = b.emit("sigmoid", i)
        width = b.emit("*", s, Num(hi - lo - 2 * m), scale=False)
        return b.emit("+", width, Num(lo + m), scale=False)
    square = b.emit("*", i, i, scale=False)
    if math.isfinite(lo):
        return b.emit("+", square, Num(lo + m), scale=False)
    return b.emit("-", Num(hi - m), square, scale=False)


def _custom(b: _Builder, name: str, picks: list[int]) -> None:
    """A custom op over bounded operands, brought inside its declared ``domain``; where
    a domain function says no, or the forward raises ValueError (outside its domain), the
    op is left out of this draw."""
    op = b.expr.custom[name]
    domain = getattr(op, "domain", None)
    args = [b.bounded(b.pick(k), CUSTOM_BOUND) for k in picks]
    if isinstance(domain, tuple):  # one (low, high) pair per input, or one for all
        bounds = domain if len(domain) == len(args) else domain * len(args)
        args = [_inside(b, i, lo, hi) for i, (lo, hi) in zip(args, bounds)]
    values = [b.value(i) for i in args]
    if callable(domain) and not domain(*values):
        return
    try:
        op.op_class.run_forward(*values)  # type: ignore[attr-defined]
    except (ValueError, ArithmeticError):
        return
    b.emit(name, *args, custom=True)


def build(inputs: Sequence[float], steps: Sequence[tuple[Any, ...]],
          custom: dict[str, Callable[..., Any]] | None = None) -> Expr:
    """The expression a list of drawn steps describes (pure: same draw, same Expr)."""
    b = _Builder(inputs, custom or {})
    for step in steps:
        step[0](b, *step[1:])
    return b.close()


def _arity(op: Callable[..., Any]) -> int:
    """How many inputs a custom op takes: its forward's positional parameters."""
    forward = op.op_class.user_forward  # type: ignore[attr-defined]
    try:
        params = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return max(1, sum(p.kind in kinds and p.default is p.empty for p in params))


@functools.cache
def _builtin_steps() -> Any:
    """One strategy per op, so each is drawn about equally often (built on first use:
    hypothesis is imported only here)."""
    from hypothesis import strategies as st

    index = st.integers(0, 255)
    number = st.one_of(st.integers(-3, 3), st.floats(-4.0, 4.0, allow_subnormal=False))
    return [
        *[st.tuples(st.just(_binary), st.just(op), st.integers(0, 2), index, index, number)
          for op in "+-*/"],
        *[st.tuples(st.just(_unary), st.just(op), index) for op in sorted(UNARY_OPS)],
        st.tuples(st.just(_power), index, st.sampled_from(EXPONENTS)),
        st.tuples(st.just(_number_power), st.sampled_from(BASES), index),
        st.tuples(st.just(_value_power), index, index),
        st.tuples(st.just(_sum), st.lists(index, min_size=1, max_size=5),
                  st.one_of(st.none(), number)),
    ]


def expressions(max_ops: int = 60, max_inputs: int = 5,
                custom_ops: Sequence[Callable[..., Value]] = (), builtins: bool = True,
                ) -> Any:
    """A hypothesis strategy of ``(f, inputs)`` pairs: ``f`` an :class:`Expr` (a function of
    Values whose repr is pasteable source) of 1..max_ops drawn ops over 1..max_inputs
    inputs, ``inputs`` fresh Values labelled x0, x1 ... in [-3, 3]. Every op of
    :data:`EXPRESSION_OPS` is drawn, with shared subexpressions, reused inputs and numbers
    on either side; guard ops keep each operand inside its op's domain, away from kinks.

    ``custom_ops`` (made by :func:`~micrograd_nn.custom_op`) are drawn too, as often as
    each built-in op, with arguments in [-3, 3]; ``builtins=False`` draws only them (and
    the final sum). A custom op's ``domain`` (see :func:`~micrograd_nn.custom_op`) is
    respected: its operands are brought inside it (0.1 from a finite end, or a quarter of
    a narrower domain's width; an operand already inside is used as drawn), and where a
    domain function says no or the forward raises ValueError the op is left out of that
    draw. A domain of (low, high) pairs must have one pair, or one per input: a
    ValueError says so. When every rule is right, ``gradcheck(f, inputs)`` raises no
    GradcheckError on any pair; on a few pairs in a hundred some slope is too small for
    double precision to check (CannotCheckError: use ``assert_gradcheck(f, inputs,
    unchecked="reject")`` in a property test).

    Needs hypothesis (``pip install hypothesis``): an ImportError says so.
    """
    try:
        from hypothesis import strategies as st
    except ImportError:
        raise ImportError("micrograd_nn.testing.expressions() needs hypothesis: "
                          "pip install hypothesis (or pip install \"micrograd_nn[test]\")"
                          ) from None
    for op in custom_ops:
        if not hasattr(op, "op_class"):
            raise TypeError(f"expressions: custom_ops must be ops made by "
                            f"micrograd_nn.custom_op(name, forward, derivative), got "
                            f"{type(op).__name__} {getattr(op, '__name__', op)!r}")
        pairs, n = getattr(op, "domain", None), _arity(op)
        if isinstance(pairs, tuple) and len(pairs) not in (1, n):
            raise ValueError(f"expressions: custom op '{op.op_class.op}' takes {n} "
                             f"input{'s' if n > 1 else ''} but its domain has {len(pairs)} "
                             "(low, high) pairs: give one pair for all its inputs, or one "
                             "per input")
    custom = {op.op_class.op: op for op in custom_ops}  # type: ignore[attr-defined]
    alternatives = list(_builtin_steps()) if builtins else []
    alternatives += [st.tuples(st.just(_custom), st.just(name),
                               st.lists(st.integers(0, 255), min_size=_arity(op),
                                        max_size=_arity(op)))
                     for name, op in custom.items()]
    if not alternatives:
        raise ValueError("expressions: no ops to draw (builtins=False and no custom_ops)")
    steps = st.one_of(*alternatives)

    @st.composite
    def draw_pair(draw: Callable[..., Any]) -> tuple[Expr, list[Value]]:
        xs = draw(st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=max_inputs))
        # Drawing the length first spreads sizes evenly over 1..max_ops (a plain list
        # strategy favours short lists); it still shrinks, towards 1.
        n = draw(st.integers(1, max_ops))
        expr = build(xs, draw(st.lists(steps, min_size=n, max_size=n)), custom)
        return expr, [Value(x, f"x{i}") for i, x in enumerate(xs)]

    return draw_pair()


def assert_matches_torch(*args: Any, **kwargs: Any) -> Any:
    """:func:`micrograd_nn.torch.assert_matches_torch`, reachable from the testing toolkit;
    PyTorch is imported only when this is called (``pip install "micrograd_nn[torch]"``)."""
    __tracebackhide__ = True
    from .torch import assert_matches_torch as check

    return check(*args, **kwargs)
