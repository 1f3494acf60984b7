"""The exact oracle for the property tests: an :class:`~micrograd_nn.testing.Expr` (drawn by
the public strategy ``micrograd_nn.testing.expressions``) evaluated with mpmath dual numbers
at 50 digits, which know each op's derivative from the textbook, not from the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mpmath import mp, mpf

from micrograd_nn.testing import Expr

DPS = 50


class Dual:
    """v + d·ε with ε² = 0, in mpmath: a value and its exact derivative along one input.

    The rules are the textbook ones, written independently of the engine (tanh' = sech²,
    (b^y)' = b^y ln b ·y', (x^y)' = y x^(y-1) x' + x^y ln x · y', |x|' = sign x)."""

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

    def expm1(self) -> Dual:
        return Dual(mp.expm1(self.v), mp.exp(self.v) * self.d)

    def log(self) -> Dual:
        return Dual(mp.log(self.v), self.d / self.v)

    def log1p(self) -> Dual:
        return Dual(mp.log1p(self.v), self.d / (1 + self.v))

    def sqrt(self) -> Dual:
        r = mp.sqrt(self.v)
        return Dual(r, self.d / (2 * r))

    def sin(self) -> Dual:
        return Dual(mp.sin(self.v), mp.cos(self.v) * self.d)

    def cos(self) -> Dual:
        return Dual(mp.cos(self.v), -mp.sin(self.v) * self.d)

    def abs(self) -> Dual:
        return Dual(abs(self.v), mp.sign(self.v) * self.d)

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


def exact_gradients(expr: Expr) -> list[mpf]:
    """d(output)/d(input) for each input, by forward-mode dual numbers at 50 digits."""
    grads = []
    with mp.workdps(DPS):
        for i in range(len(expr.inputs)):
            leaves = [Dual(x, 1 if j == i else 0) for j, x in enumerate(expr.inputs)]
            grads.append(expr.evaluate(leaves, Dual.sum)[-1].d)
    return grads


def exact_value(expr: Expr, i: int, t: mpf) -> mpf:
    """The output with input ``i`` set to ``t``, at the caller's mpmath precision (which
    mpmath.diff raises while it differentiates)."""
    leaves = [Dual(t if j == i else x) for j, x in enumerate(expr.inputs)]
    return expr.evaluate(leaves, Dual.sum)[-1].v
