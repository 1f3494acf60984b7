"""The test oracle: each op's value in 50-digit mpmath, one entry per op, and nothing else.

It knows no derivative rule: first, second and third derivatives are all taken from these
functions by ``mpmath.diff``. Everything else a test needs about an op is read from its
class: how many inputs it takes (``forward``'s signature), how the Value API makes it
(``method``), its parameters (``params``) and where its inputs are smooth (``domains``).
So adding an op asks this file for one line, and every test that iterates over ``OPS``
then covers it (tests/test_ops_registry.py fails, naming the op, if the line is missing).
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
from mpmath import mp, mpf

from micrograd_nn import Value
from micrograd_nn.value import OPS, Domain, Op

DPS = 50

ORACLE: dict[str, Callable[..., Any]] = {
    "Add": lambda x, y: x + y,
    "Sub": lambda x, y: x - y,
    "Mul": lambda x, y: x * y,
    "Div": lambda x, y: x / y,
    "Neg": lambda x: -x,
    "PowConst": lambda x, exponent: x ** exponent,
    "Pow": lambda x, y: x ** y,
    "Exp": mp.exp,
    "Log": mp.log,
    "Tanh": mp.tanh,
    "Sigmoid": lambda x: 1 / (1 + mp.exp(-x)),
    "ReLU": lambda x: x if x > 0 else mpf(0),
    "Abs": abs,
    "Sqrt": mp.sqrt,
    "Sin": mp.sin,
    "Cos": mp.cos,
    "Log1p": mp.log1p,
    "Expm1": mp.expm1,
    "Tan": mp.tan,
    "Sum": lambda *xs: mp.fsum(xs),
}
EXPONENTS = (2.0, 3.0, 0.0, 1.0, -1.0, -2.0, 0.5, 1.5, -0.5, 2.5)


def missing_entries() -> list[str]:
    """Registered ops without an oracle line."""
    return sorted(set(OPS) - set(ORACLE))


# --- what the op classes declare -----------------------------------------------------------


def arity(cls: type[Op]) -> int | None:
    """How many Value inputs the op takes (None: any number, as ``sum``)."""
    params = inspect.signature(cls.forward).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return len(params) - len(cls.params)


def domain(cls: type[Op], i: int) -> Domain:
    """The declared domain of input ``i`` (the last one repeats for n-ary ops)."""
    return cls.domains[min(i, len(cls.domains) - 1)]


def make(cls: type[Op], leaves: Sequence[Value], params: Sequence[float] = ()) -> Value:
    """A node of ``cls`` made through the Value API, by the method the class names."""
    if arity(cls) is None:
        return getattr(Value, cls.method)(list(leaves))  # type: ignore[no-any-return]
    first, *rest = leaves
    return getattr(first, cls.method)(*rest, *params)  # type: ignore[no-any-return]


def params_for(cls: type[Op], k: int) -> tuple[float, ...]:
    """The k-th choice of parameters for ``cls`` (a power's exponent cycles through
    EXPONENTS; ops without parameters get ())."""
    return tuple(EXPONENTS[k % len(EXPONENTS)] for _ in cls.params)


def draw(cls: type[Op], rng: random.Random, box: float = 5.0, margin: float = 0.1,
         count: int | None = None) -> list[float]:
    """Random inputs inside the op's declared domain, within ``[-box, box]``, at least
    ``margin`` from its edges and from each point it avoids (kinks, poles)."""
    n = arity(cls)
    n = (count or 4) if n is None else n
    return [_draw_one(domain(cls, i), rng, box, margin) for i in range(n)]


def _draw_one(d: Domain, rng: random.Random, box: float, margin: float) -> float:
    lo = max(d.low + margin, -min(box, d.bound))
    hi = min(d.high - margin, min(box, d.bound))
    for _ in range(1000):
        x = rng.uniform(lo, hi)
        if not any(_near(x, p, d.period, margin) for p in d.avoid):
            return x
    raise AssertionError(f"cannot draw inside {d}")


def _near(x: float, point: float, period: float, margin: float) -> bool:
    if period:
        k = round((x - point) / period)
        point += k * period
    return abs(x - point) < margin


# --- exact values and derivatives ----------------------------------------------------------


def exact_function(cls: type[Op], params: Sequence[float] = ()) -> Callable[..., Any]:
    """The op as a function of its Value inputs on mpmath numbers (parameters fixed)."""
    f = ORACLE[cls.__name__]
    fixed = [mpf(p) for p in params]
    return lambda *xs: f(*xs, *fixed)


def exact_partial(f: Callable[..., Any], xs: Sequence[float], orders: Sequence[int]) -> mpf:
    """∂^|orders| f / ∂x_0^orders[0] ... at ``xs``, by mpmath.diff at 50 digits."""
    with mp.workdps(DPS):
        point = [mpf(x) for x in xs]
        if len(point) == 1:
            return mpmath.diff(f, point[0], orders[0])
        return mpmath.diff(f, point, tuple(orders))


def exact_gradient(f: Callable[..., Any], xs: Sequence[float]) -> list[mpf]:
    """Every first partial derivative of ``f`` at ``xs``."""
    n = len(xs)
    return [exact_partial(f, xs, [1 if j == i else 0 for j in range(n)]) for i in range(n)]


class Exact:
    """An mpmath number with Value's operators and op methods, each computed by the op's
    oracle line: evaluating a random expression on these gives its exact value."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v if isinstance(v, mpf) else mpf(v)

    @staticmethod
    def lift(x: Any) -> Exact:
        """A plain number as an Exact."""
        return x if isinstance(x, Exact) else Exact(x)

    @staticmethod
    def sum(terms: Sequence[Any]) -> Exact:
        """The counterpart of ``Value.sum``."""
        return Exact(ORACLE["Sum"](*[Exact.lift(t).v for t in terms]))

    def __pow__(self, other: Any) -> Exact:
        if isinstance(other, Exact):
            return Exact(ORACLE["Pow"](self.v, other.v))
        return Exact(ORACLE["PowConst"](self.v, mpf(other)))

    def __rpow__(self, base: Any) -> Exact:
        return Exact(ORACLE["Pow"](mpf(base), self.v))


def _install_methods() -> None:
    """Give Exact each op's Value method (and the reflected operator), from the oracle."""
    for name, cls in OPS.items():
        if cls.params or arity(cls) is None or cls.method == "__pow__":
            continue
        f = ORACLE.get(name)
        if f is None:
            continue
        setattr(Exact, cls.method, _method(f))
        if cls.method.startswith("__") and arity(cls) == 2:
            setattr(Exact, "__r" + cls.method[2:], _method(f, reflected=True))


def _method(f: Callable[..., Any], reflected: bool = False) -> Callable[..., Exact]:
    def method(self: Exact, *others: Any) -> Exact:
        args = [self.v, *[Exact.lift(o).v for o in others]]
        return Exact(f(*(reversed(args) if reflected else args)))
    return method


_install_methods()
Exact.__abs__ = Exact.abs  # type: ignore[attr-defined]


def expression_function(expr: Any) -> Callable[..., Any]:
    """A random expression (``micrograd_nn.testing.Expr``) as an exact function of all its
    inputs, on mpmath numbers."""
    return lambda *ts: expr.evaluate([Exact(t) for t in ts], Exact.sum)[-1].v


def is_close(got: float, exact: Any, rel: float, absolute: float) -> bool:
    """|got - exact| <= rel |exact| + absolute."""
    return bool(abs(mpf(got) - exact) <= rel * abs(exact) + absolute)
