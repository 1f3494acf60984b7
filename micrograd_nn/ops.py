"""The arithmetic ops: one class each, defined once; each registers itself in ``OPS``.

A class holds everything about its op: the short name ``op``, the Value ``method`` that
makes it, the derivative in math (its docstring), ``forward`` (the value, with its domain
checks), ``derivatives(z, *xs)`` (each input's local derivative from the output z and the
inputs: on floats for backward and step-through, on Values for higher derivatives; None for
an input a gate passes nothing to), how a step prints it (``expr``, ``local_text``) and
where its inputs are smooth (``domains``, read by the fuzzer and the tests). Backward runs
the generic rule of :class:`~micrograd_nn.value.Op`, which applies ``derivatives``; the ops
that make most of a network's nodes (``+ - *``, ``sum``, the activations, the loss pieces)
write the same rule out for speed as ``_backward``, held to ``derivatives`` bit for bit by
a test (the figures: docs/design.md). The one-input functions (exp, tanh, relu, ...) are in
``functions.py``, made the same way. To add an op: its class in one of the two and a
one-line Value method; the tests then ask for its oracle line (tests/oracle.py) and its
README row.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .floats import checked_power, exact_sum
from .node import NARY
from .text import where
from .value import OPS, Domain, Op, Value, make_node

ANY = Domain()
POSITIVE = Domain(low=0.0)
NONZERO = Domain(avoid=(0.0,))

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


def _log(a: Any) -> Any:
    """ln a: of a float, or the Value ``a.log()`` (for Pow's derivative on Values)."""
    return a.log() if isinstance(a, Value) else math.log(a)


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

    # x + y, as the C function: replayed training (micrograd_nn.replay) calls it once per
    # node, and a Python frame would cost a third of the replayed forward
    forward = staticmethod(operator.add)

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

    # x - y, as the C function: replayed training (micrograd_nn.replay) calls it once per
    # node, and a Python frame would cost a third of the replayed forward
    forward = staticmethod(operator.sub)

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

    # x * y, as the C function: replayed training (micrograd_nn.replay) calls it once per
    # node, and a Python frame would cost a third of the replayed forward
    forward = staticmethod(operator.mul)

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
    domains = (ANY, NONZERO)

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
        return exact_sum(xs)

    def derivatives(self, z: Any, *xs: Any) -> tuple[Any, ...]:
        return (1.0,) * len(xs)

    def _backward(self) -> None:
        g = self.grad
        for x in self._x:
            x.grad += g


__all__ = sorted(name for name, cls in OPS.items() if cls.__module__ == __name__)
"""Every op class this module defines (each registered in OPS when defined)."""
