"""The ops: one class each, defined once; each registers itself in ``OPS`` when defined.

A class holds everything about its op: the short name ``op``, the Value ``method`` that
makes it, the derivative in math (its docstring), ``forward`` (the value, with its domain
checks), ``derivatives(z, *xs)`` (each input's local derivative from the output z and the
inputs: on floats for backward and step-through, on Values for higher derivatives; None for
an input a gate passes nothing to), how a step prints it (``expr``, ``local_text``) and
where its inputs are smooth (``domains``, read by the fuzzer and the tests). Backward runs
the generic rule of :class:`~micrograd_nn.value.Op`, which applies ``derivatives``; the ops
that make most of a network's nodes (``+ - *``, ``sum``, the activations, the loss pieces)
write the same rule out for speed as ``_backward``, held to ``derivatives`` bit for bit by
a test (the figures: docs/design.md). To add an op: its class here and a one-line Value
method; the tests then ask for its oracle entry (tests/oracle.py) and its README row.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .floats import checked_power, exact_sum, stable_sigmoid
from .node import NARY
from .text import where
from .value import Domain, Op, Value, make_node

__all__ = ["Add", "Sub", "Mul", "Div", "Neg", "PowConst", "Pow", "Exp", "Log", "Tanh",
           "Sigmoid", "ReLU", "Abs", "Sqrt", "Sin", "Cos", "Log1p", "Expm1", "Sum"]

ANY = Domain()
POSITIVE = Domain(low=0.0)
KINK_AT_0 = Domain(avoid=(0.0,))

# ---------------------------------------------------------------------------------------
# Functions of a float or a Value: derivatives are written once with these, and give
# numbers for backward and step-through, Values (a graph) for higher derivatives.


def _power(a: Any, e: float) -> Any:
    """a ** e for a number e; on floats ±inf where that is too large for a float, or at
    0 for e < 0 (a slope too steep for a float is infinite, as ``*`` and ``/`` give)."""
    if isinstance(a, Value):
        return a ** e
    if a == 0.0 and e < 0.0:
        return math.inf
    try:
        return a ** e
    except OverflowError:
        return -math.inf if a < 0.0 and e % 2.0 == 1.0 else math.inf


def _power_values(x: Any, e: Any) -> Any:
    """x ** e where e may be a Value (the exponent of Pow's derivative)."""
    return x ** e if isinstance(x, Value) or isinstance(e, Value) else _power(x, e)


def _unary(name: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        return getattr(a, name)() if isinstance(a, Value) else on_float(a)
    f.__name__ = name
    return f


_log = _unary("log", math.log)
_sin = _unary("sin", math.sin)
_cos = _unary("cos", math.cos)


def _number(a: Any) -> float:
    """The number in a Value, or the number itself."""
    return a.data if isinstance(a, Value) else float(a)


def _sign(a: Any) -> float:
    x = _number(a)
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0


def _reciprocal(a: Any, scale: float = 1.0) -> Any:
    """scale / a, +inf at a == 0 on floats (the slope of √ and of x^n, n < 1, at 0)."""
    if not isinstance(a, Value) and a == 0.0:
        return math.inf
    return scale / a


# ---------------------------------------------------------------------------------------
# Arithmetic


class Add(Op):
    """z = x + y.     ∂z/∂x = 1,   ∂z/∂y = 1"""

    __slots__ = ()
    op = "+"
    method = "__add__"
    expr = "{x} + {y}"
    local_text = ("1", "1")
    domains = (ANY, ANY)

    @staticmethod
    def forward(x: float, y: float) -> float:
        return x + y

    def derivatives(self, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (1.0, 1.0)

    def _backward(self) -> None:
        g = self.grad
        self._x.grad += g
        self._y.grad += g


class Sub(Op):
    """z = x - y.     ∂z/∂x = 1,   ∂z/∂y = -1"""

    __slots__ = ()
    op = "-"
    method = "__sub__"
    expr = "{x} - {y}"
    local_text = ("1", "-1")
    domains = (ANY, ANY)

    @staticmethod
    def forward(x: float, y: float) -> float:
        return x - y

    def derivatives(self, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (1.0, -1.0)

    def _backward(self) -> None:
        g = self.grad
        self._x.grad += g
        self._y.grad += -1.0 * g


class Mul(Op):
    """z = x * y.     ∂z/∂x = y,   ∂z/∂y = x"""

    __slots__ = ()
    op = "*"
    method = "__mul__"
    expr = "{x} * {y}"
    local_text = ("{y}", "{x}")
    domains = (ANY, ANY)

    @staticmethod
    def forward(x: float, y: float) -> float:
        return x * y

    def derivatives(self, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (y, x)

    def _backward(self) -> None:
        x = self._x
        y = self._y
        g = self.grad
        x.grad += y.data * g
        y.grad += x.data * g


class Div(Op):
    """z = x / y.     ∂z/∂x = 1/y,   ∂z/∂y = -x/y^2 = -z/y   (x / x is the constant 1)"""

    __slots__ = ()
    op = "/"
    method = "__truediv__"
    expr = "{x} / {y}"
    local_text = ("1 / {y}", "-{out} / {y}")
    domains = (ANY, KINK_AT_0)

    @staticmethod
    def forward(x: float, y: float) -> float:
        if y == 0.0:
            raise ZeroDivisionError(f"division by zero in '/': {x!r} / {y!r}")
        return x / y

    def derivatives(self, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
        if self._x is self._y:  # both paths cancel exactly; 1/x alone may overflow
            return (None, None)
        return (1.0 / y, -z / y)

    def _backward(self) -> None:
        x = self._x
        y = self._y
        if x is y:
            return
        g = self.grad
        x.grad += (1.0 / y.data) * g
        y.grad += (-self.data / y.data) * g


class Neg(Op):
    """z = -x.     ∂z/∂x = -1"""

    __slots__ = ()
    op = "neg"
    method = "__neg__"
    expr = "-{x}"
    local_text = ("-1",)

    @staticmethod
    def forward(x: float) -> float:
        return -x

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (-1.0,)

    def _backward(self) -> None:
        self._x.grad += -1.0 * self.grad


class PowConst(Op):
    """z = x^n for a number n.     ∂z/∂x = n x^(n-1)   (0 for n = 0; +inf at x = 0, n < 1)"""

    __slots__ = ("exponent",)
    exponent: float
    method = "__pow__"
    expr = "{x} ** {exponent}"
    local_text = ("{exponent} * {x}**({exponent} - 1)",)
    params = ("exponent",)
    domains = (POSITIVE,)  # every exponent is smooth there; integer ones everywhere but 0

    @property
    def op(self) -> str:  # type: ignore[override]
        """``'**2'`` and the like: the exponent is part of the op's name."""
        return f"**{self.exponent:g}"

    @classmethod
    def apply(cls, x: Value, n: Any = None, *more: Value) -> Value:
        """A node of ``x ** n`` for a Value x and a number n."""
        try:
            data = cls.forward(x.data, n)
        except (ValueError, ArithmeticError) as e:
            raise type(e)(f"{e}{where([x])}") from None
        node = make_node(cls, data, x)
        if node._x is not None:
            node.exponent = n  # type: ignore[attr-defined]
        return node

    def forward_at(self, *xs: float) -> float:
        """``x ** n`` at another x, with this node's exponent n."""
        return type(self).forward(xs[0], self.exponent)

    @staticmethod
    def forward(x: float, n: float) -> float:
        if x < 0.0 and not n.is_integer():
            raise ValueError(f"'**' of a negative base {x!r} to the fractional power {n!r} "
                             "is not real")
        if x == 0.0 and n < 0.0:
            raise ZeroDivisionError(f"'**': 0.0 to the negative power {n!r}")
        return checked_power(x, n)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        n = self.exponent
        if n == 0.0:
            return (0.0,)  # x^0 is constant, also at x = 0
        return (n * _power(x, n - 1.0),)

    def _backward(self) -> None:
        x = self._x
        n = self.exponent
        d = 0.0 if n == 0.0 else n * _power(x.data, n - 1.0)
        x.grad += d * self.grad


class Pow(Op):
    """z = x^y for Values, x > 0.     ∂z/∂x = y x^(y-1),   ∂z/∂y = x^y ln x = z ln x"""

    __slots__ = ()
    op = "**"
    method = "__pow__"
    expr = "{x} ** {y}"
    local_text = ("{y} * {x}**({y} - 1)", "{out} * log({x})")
    domains = (POSITIVE, Domain(bound=3.0))

    @staticmethod
    def forward(x: float, y: float) -> float:
        if x <= 0.0:
            raise ValueError(f"'**' with a Value exponent needs a positive base, got {x!r}")
        return checked_power(x, y)

    def derivatives(self, z: Any, x: Any, y: Any) -> tuple[Any, ...]:
        return (y * _power_values(x, y - 1.0), z * _log(x))


# ---------------------------------------------------------------------------------------
# Functions


class Exp(Op):
    """z = e^x.     ∂z/∂x = e^x = z"""

    __slots__ = ()
    op = "exp"
    method = "exp"
    expr = "exp({x})"
    local_text = ("{out}",)
    domains = (Domain(bound=5.0),)

    @staticmethod
    def forward(x: float) -> float:
        try:
            return math.exp(x)
        except OverflowError:
            raise OverflowError(f"exp overflows at {x!r}") from None

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (z,)

    def _backward(self) -> None:
        self._x.grad += self.data * self.grad


class Log(Op):
    """z = ln x, x > 0.     ∂z/∂x = 1/x"""

    __slots__ = ()
    op = "log"
    method = "log"
    expr = "log({x})"
    local_text = ("1 / {x}",)
    domains = (POSITIVE,)

    @staticmethod
    def forward(x: float) -> float:
        if x <= 0.0:
            raise ValueError(f"log is undefined for {x!r}")
        return math.log(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 / x,)

    def _backward(self) -> None:
        x = self._x
        x.grad += (1.0 / x.data) * self.grad


class Tanh(Op):
    """z = tanh x.     ∂z/∂x = 1 - tanh(x)^2 = 1 - z^2"""

    __slots__ = ()
    op = "tanh"
    method = "tanh"
    expr = "tanh({x})"
    local_text = ("1 - {out}**2",)
    domains = (Domain(bound=6.0),)  # 1 - z^2 from a saturated z loses digits past ~8

    @staticmethod
    def forward(x: float) -> float:
        return math.tanh(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 - z * z,)

    def _backward(self) -> None:
        t = self.data
        self._x.grad += (1.0 - t * t) * self.grad


class Sigmoid(Op):
    """z = σ(x) = 1/(1+e^-x).     ∂z/∂x = σ(x)(1-σ(x)) = z(1-z)"""

    __slots__ = ()
    op = "sigmoid"
    method = "sigmoid"
    expr = "sigmoid({x})"
    local_text = ("{out} * (1 - {out})",)
    domains = (Domain(bound=6.0),)

    @staticmethod
    def forward(x: float) -> float:
        return stable_sigmoid(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (z * (1.0 - z),)

    def _backward(self) -> None:
        s = self.data
        self._x.grad += (s * (1.0 - s)) * self.grad


class ReLU(Op):
    """z = max(0, x).     ∂z/∂x = 1 if x > 0 else 0   (a gate: nothing passes for x <= 0)"""

    __slots__ = ()
    op = "relu"
    method = "relu"
    expr = "relu({x})"
    local_text = ("({x} > 0)",)
    domains = (KINK_AT_0,)

    @staticmethod
    def forward(x: float) -> float:
        return x if x > 0.0 else 0.0

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (1.0,) if _number(z) > 0.0 else (None,)

    def _backward(self) -> None:
        if self.data > 0.0:
            self._x.grad += 1.0 * self.grad


class Abs(Op):
    """z = |x|.     ∂z/∂x = sign(x)   (0 at x = 0, as PyTorch)"""

    __slots__ = ()
    op = "abs"
    method = "abs"
    expr = "abs({x})"
    local_text = ("sign({x})",)
    domains = (KINK_AT_0,)

    @staticmethod
    def forward(x: float) -> float:
        return abs(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (_sign(x),)


class Sqrt(Op):
    """z = √x, x >= 0.     ∂z/∂x = 1/(2√x) = 0.5/z   (+inf at x = 0)"""

    __slots__ = ()
    op = "sqrt"
    method = "sqrt"
    expr = "sqrt({x})"
    local_text = ("0.5 / {out}",)
    domains = (POSITIVE,)

    @staticmethod
    def forward(x: float) -> float:
        if x < 0.0:
            raise ValueError(f"sqrt is undefined for {x!r}")
        return math.sqrt(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (_reciprocal(z, 0.5),)


class Sin(Op):
    """z = sin x.     ∂z/∂x = cos x"""

    __slots__ = ()
    op = "sin"
    method = "sin"
    expr = "sin({x})"
    local_text = ("cos({x})",)

    @staticmethod
    def forward(x: float) -> float:
        return math.sin(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (_cos(x),)


class Cos(Op):
    """z = cos x.     ∂z/∂x = -sin x"""

    __slots__ = ()
    op = "cos"
    method = "cos"
    expr = "cos({x})"
    local_text = ("-sin({x})",)

    @staticmethod
    def forward(x: float) -> float:
        return math.cos(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (-_sin(x),)


class Log1p(Op):
    """z = ln(1 + x), x > -1.     ∂z/∂x = 1/(1 + x)"""

    __slots__ = ()
    op = "log1p"
    method = "log1p"
    expr = "log1p({x})"
    local_text = ("1 / (1 + {x})",)
    domains = (Domain(low=-1.0),)

    @staticmethod
    def forward(x: float) -> float:
        if x <= -1.0:
            raise ValueError(f"log1p is undefined for {x!r}")
        return math.log1p(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 / (1.0 + x),)


class Expm1(Op):
    """z = e^x - 1.     ∂z/∂x = e^x = z + 1"""

    __slots__ = ()
    op = "expm1"
    method = "expm1"
    expr = "expm1({x})"
    local_text = ("{out} + 1",)
    domains = (Domain(bound=5.0),)

    @staticmethod
    def forward(x: float) -> float:
        try:
            return math.expm1(x)
        except OverflowError:
            raise OverflowError(f"expm1 overflows at {x!r}") from None

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (z + 1.0,)


class Sum(Op):
    """z = x_1 + x_2 + ... + x_n in one node.     ∂z/∂x_i = 1"""

    __slots__ = ()
    op = "sum"
    method = "sum"
    expr = "sum({args})"
    local_text = ("1",)  # for every term

    @classmethod
    def apply(cls, x: Value, y: Value | None = None, *more: Value) -> Value:
        """A sum node over the Values given (always n-ary, however many)."""
        terms = (x,) if y is None else (x, y, *more)
        return make_node(cls, exact_sum([v.data for v in terms]), terms, NARY)

    @staticmethod
    def forward(*xs: float) -> float:
        return exact_sum(list(xs))

    def derivatives(self, z: Any, *xs: Any) -> tuple[Any, ...]:
        return (1.0,) * len(xs)

    def _backward(self) -> None:
        g = self.grad
        for x in self._x:
            x.grad += g
