"""The one-input functions: exp, log, tanh, sigmoid, relu, abs, sqrt, sin, cos, tan,
log1p, expm1. One class each, made as the arithmetic ops in ``ops.py`` are (read its docstring):
each registers itself in ``OPS`` when defined and declares its name, Value method, forward,
derivatives, step text and domain.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from .floats import stable_sigmoid
from .value import OPS, Domain, Op, Value

POSITIVE = Domain(low=0.0)
KINK_AT_0 = Domain(avoid=(0.0,))

# Functions of a float or a Value, as in ops.py: derivatives written once with these give
# numbers for backward and step-through, Values (a graph) for higher derivatives.


def _unary(name: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    def f(a: Any) -> Any:
        return getattr(a, name)() if isinstance(a, Value) else on_float(a)
    f.__name__ = name
    return f


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


class Tan(Op):
    """z = tan x.     ∂z/∂x = 1 + tan(x)^2 = 1 + z^2   (poles at π/2 + kπ)"""

    __slots__ = ()
    op = "tan"
    method = "tan"
    expr = "tan({x})"
    local_text = ("1 + {out}**2",)
    domains = (Domain(avoid=(math.pi / 2,), period=math.pi, bound=3.0),)

    @staticmethod
    def forward(x: float) -> float:
        return math.tan(x)

    def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
        return (1.0 + z * z,)


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


__all__ = sorted(name for name, cls in OPS.items() if cls.__module__ == __name__)
"""Every op class this module defines (each registered in OPS when defined)."""
