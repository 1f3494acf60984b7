"""Higher derivatives: :func:`grad`, :func:`hessian` and :func:`gradgradcheck`.

``grad(output, inputs)`` is backward written as a function: it walks the same op nodes in
the same reverse topological order and applies each op's ``derivatives`` to an adjoint
kept in a dict private to the call, so no node's ``grad`` changes. On floats it gives
bit-for-bit what ``backward()`` gives. With ``create_graph=True`` the same ``derivatives``
are called on the nodes themselves (Values in, Values out), so each derivative is a graph
of ordinary ops over the inputs, and can be differentiated, drawn and stepped in turn.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, Union

from .checks import to_float
from .custom import DerivativeMismatch
from .differences import (
    SHIFT,
    Estimate,
    Judgement,
    against_scale,
    check_tolerances,
    disputed,
    estimates,
    judge,
    noise_limited,
    slope_scale,
    wider,
)
from .functions import Sqrt
from .gradcheck import CannotCheckError, GradcheckError
from .modes import AnomalyError, anomaly_enabled
from .node import topological_order
from .ops import PowConst
from .text import describe
from .value import Constant, Op, Value, leaf

__all__ = ["grad", "hessian", "gradgradcheck", "saturating_power"]

Adjoint = Union[float, Value]


def grad(output: Value, inputs: Value | Sequence[Value],
         create_graph: bool = False) -> tuple[Value, ...]:
    """d output / d input for each of ``inputs`` (one Value or a sequence), as
    ``torch.autograd.grad`` computes it, without touching any node's ``grad``.

    With ``create_graph=False`` each result is a new leaf Value holding the number that
    ``backward()`` would leave in that input's ``grad`` after a ``zero_grad()``, bit for
    bit (same rules, same order). With ``create_graph=True`` each result is a Value built
    from ordinary ops over the graph of ``output``, so it can be differentiated again (to
    any order), backpropagated, stepped through and drawn; it may be a node of that graph
    itself (d(x*y)/dx is y). A derivative that does not depend on the inputs (an input
    ``output`` does not depend on, or d(x+y)/dx = 1) is a :class:`Constant` leaf. Under
    ``no_grad()`` the ops record nothing, so results are plain numbers in Values.

    The walk is iterative and only reads the graph, so it needs no lock: it may run while
    another thread runs ``backward()`` on the same graph, as long as no one changes ``data``.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__} {output!r}")
    targets = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for i, v in enumerate(targets):
        if not isinstance(v, Value):
            raise TypeError(f"grad: input {i} must be a Value, got {type(v).__name__} {v!r}")
    adjoints = _adjoints_graph(output) if create_graph else _adjoints_float(output)
    if not create_graph:
        return tuple(leaf(float(adjoints.get(v, 0.0))) for v in targets)
    return tuple(_as_value(adjoints.get(v, 0.0)) for v in targets)


def _adjoints_float(output: Value) -> dict[Value, Adjoint]:
    """Every node's d output / d node as a float: backward()'s loop, into a dict."""
    adjoints: dict[Value, Adjoint] = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = adjoints.get(node, 0.0)
        if not g:  # as backward(): a zero grad passes nothing back
            continue
        ds = node.local_derivatives()
        for inp, d in zip(node.inputs, ds):
            if d is not None:
                adjoints[inp] = adjoints.get(inp, 0.0) + d * g
        if anomaly_enabled():
            _check_anomaly(node, adjoints)
    return adjoints


def _check_anomaly(node: Value, adjoints: dict[Value, Adjoint]) -> None:
    """detect_anomaly's rule for backward(), on grad()'s adjoints: a NaN anywhere, or a
    non-finite derivative reaching a leaf the user can read (not a constant), stops at the
    op whose rule made it. An inf on an interior node alone is allowed (a gate may stop
    it)."""
    for inp in node.inputs:
        a = _data(adjoints.get(inp, 0.0))
        if math.isfinite(a):
            continue
        if a != a or (not inp.inputs and not inp.is_constant):
            args = ", ".join(describe(v) for v in node.inputs)
            site = getattr(node, "site", "<outside detect_anomaly>")
            raise AnomalyError(
                f"grad: the rule of op '{node.op}' (node {describe(node)}, adjoint "
                f"{_data(adjoints.get(node, 0.0))!r}) gave a non-finite derivative {a!r} to "
                f"input {describe(inp)}; inputs ({args}); op created at {site}")


def _adjoints_graph(output: Value) -> dict[Value, Adjoint]:
    """Every node's d output / d node, as a Value where it depends on the inputs.

    Unlike backward() this skips only an adjoint that is the number 0: a Value whose data
    is 0 may still have a derivative. In x * (x - 1) at x = 1 the factor x's adjoint is
    x - 1, which is 0 there, yet its path gives half of the second derivative 2. A term
    whose local derivative is infinite and whose adjoint is 0 here is skipped, as
    backward() skips it (a zero grad passes nothing back): the value stays backward()'s
    documented 0, not inf * 0 = NaN. Where an op's derivative cannot be built from Values
    at these numbers (0 ** -0.5, an overflowing power) it is a power node that saturates to
    ±inf as backward()'s float rule does (:func:`_slope_nodes`)."""
    adjoints: dict[Value, Adjoint] = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = adjoints.get(node, 0.0)
        if not isinstance(g, Value) and not g:
            continue
        inputs = node.inputs
        for inp, d in zip(inputs, _value_derivatives(node)):
            if d is None:
                continue
            if _data(g) == 0.0 and not math.isfinite(_data(d)):
                continue
            term = _times(d, g)
            old = adjoints.get(inp)
            adjoints[inp] = term if old is None else old + term
    return adjoints


def _data(a: Adjoint) -> float:
    return a.data if isinstance(a, Value) else float(a)


def _value_derivatives(node: Value) -> tuple[Any, ...]:
    """The node's ``derivatives`` on Values; where building them raises an arithmetic
    error, the power nodes of :func:`_slope_nodes`."""
    try:
        return node.derivatives(node, *node.inputs)  # type: ignore[attr-defined, no-any-return]
    except ArithmeticError:
        slopes = _slope_nodes(node)
        if slopes is None:
            raise
        return slopes


def _slope_nodes(node: Value) -> tuple[Any, ...] | None:
    """A power's or a square root's derivative as a :func:`saturating_power` node of its
    input (n x^(n-1); 0.5 x^(-1/2)), for the numbers where the Value ops would raise; None
    for other ops."""
    (x,) = node.inputs if len(node.inputs) == 1 else (None,)
    if x is None:
        return None
    if isinstance(node, PowConst):
        n = node.exponent
        return (0.0,) if n == 0.0 else (saturating_power(n, n - 1.0)(x),)
    if isinstance(node, Sqrt):
        return (saturating_power(0.5, -0.5)(x),)
    return None


def _saturated(x: float, e: float) -> float:
    """x ** e on floats, ±inf where too large for a float or at 0 for e < 0 (as the
    ops' float rules give slopes too steep for a float)."""
    if x == 0.0 and e < 0.0:
        return math.inf
    if x < 0.0 and not e.is_integer():
        raise ValueError(f"'**' of a negative base {x!r} to the fractional power {e!r} is not real")
    try:
        z = float(x ** e)
    except OverflowError:
        z = math.inf
    if math.isinf(z) and x < 0.0 and e % 2.0 == 1.0:
        return -math.inf
    return abs(z) if math.isinf(z) else z


@functools.cache
def saturating_power(c: float, e: float) -> Callable[[Value], Value]:
    """The op ``c * x ** e`` whose value saturates to ±inf instead of raising (a slope
    steeper than a float, as backward() gives it): the derivatives of ``**`` and ``sqrt``
    where their Value form would raise. Its own derivative is ``c e x^(e-1)``, the same op
    again, so every order is defined."""

    class SaturatingPower(Op, register=False):
        __slots__ = ()
        op = f"{c:g}*x**{e:g}"
        expr = f"{c:g} * {{x}} ** {e:g}"
        __doc__ = f"""z = {c:g} x^{e:g} (saturating).     ∂z/∂x = {c * e:g} x^{e - 1.0:g}"""

        @staticmethod
        def forward(x: float) -> float:
            z = _saturated(x, e)
            return 0.0 if c == 0.0 else c * z

        def derivatives(self, z: Any, x: Any) -> tuple[Any, ...]:
            ce = c * e
            if ce == 0.0:
                return (0.0,)
            if isinstance(x, Value):
                return (saturating_power(ce, e - 1.0)(x),)
            return (ce * _saturated(x, e - 1.0),)

    def apply(x: Value) -> Value:
        return SaturatingPower.apply(x)

    return apply


def _times(d: Adjoint, g: Adjoint) -> Adjoint:
    """d * g, without a node for a factor of exactly ±1 (1 * g and -1 * g are exact, and
    diagrams of derivatives stay readable)."""
    if not isinstance(d, Value):
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    elif not isinstance(g, Value) and g == 1.0:
        return d
    return d * g


def _as_value(a: Adjoint) -> Value:
    return a if isinstance(a, Value) else Constant(a)


def hessian(f: Callable[..., Value], inputs: Sequence[Value | float]) -> list[list[float]]:
    """The matrix of second derivatives ∂²f/∂x_i∂x_j of ``f(*inputs)``, by ``grad`` twice.

    ``inputs`` are numbers or Values; ``f`` runs on fresh leaves holding their values, so
    the Values given (their data, grads and graphs) are left as they were. Row i is the
    gradient of ∂f/∂x_i; the matrix is not symmetrised, so a test can see both halves."""
    xs = _fresh(inputs, "hessian")
    out = _call(f, xs, "hessian")
    firsts = grad(out, xs, create_graph=True)
    return [[g.data for g in grad(first, xs)] for first in firsts]


def _fresh(inputs: Sequence[Value | float], who: str) -> list[Value]:
    """Fresh leaves holding the inputs' numbers: Values, or any real number (int, float,
    Fraction, NumPy scalars; not bool)."""
    xs = []
    for i, v in enumerate(inputs):
        if isinstance(v, Value):
            xs.append(Value(v.data, v.label))
        else:
            xs.append(Value(to_float(v, f"{who}: input {i}")))
    return xs


def _call(f: Callable[..., Value], xs: Sequence[Value], who: str) -> Value:
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return a Value, got {type(out).__name__} {out!r}")
    return out


def _column(f: Callable[..., Value], xs: list[Value], j: int) -> Callable[[float], list[float]]:
    """The first derivatives (by ``grad``) as a function of x_j alone; x_j put back."""
    def at(t: float) -> list[float]:
        saved = xs[j].data
        try:
            xs[j].data = t
            return [g.data for g in grad(_call(f, xs, "gradgradcheck"), xs)]
        finally:
            xs[j].data = saved
    return at


def _judge_column(f: Callable[..., Value], xs: list[Value], j: int, analytic: list[float],
                  eps: float | None, atol: float, rtol: float) -> list[Judgement]:
    column = _column(f, xs, j)
    n = len(xs)
    x = xs[j].data
    central = estimates(column, x, n, eps)
    sides: dict[str, list[Estimate] | None] = {}

    def one_sided(i: int) -> Callable[[str], Estimate | None]:
        def get(side: str) -> Estimate | None:
            if side not in sides:
                sides[side] = estimates(column, x, n, eps, side)
            found = sides[side]
            return None if found is None else found[i]
        return get

    first = [judge(analytic[i], None if central is None else central[i], one_sided(i),
                   atol, rtol) for i in range(n)]
    if not any(noise_limited(jd) or jd.verdict == "wrong" for jd in first):
        return first

    def entry(i: int, shift: float) -> Callable[[float | None], Judgement]:
        def at(step: float | None) -> Judgement:
            one = estimates(column, x, n, step, shift=shift)
            sides_i: dict[str, Estimate | None] = {}

            def get(side: str) -> Estimate | None:
                if side not in sides_i:
                    found = estimates(column, x, n, step, side, shift)
                    sides_i[side] = None if found is None else found[i]
                return sides_i[side]
            return judge(analytic[i], None if one is None else one[i], get, atol, rtol)
        return at

    # differences.confirmed's wider retry and shifted re-take, per entry, starting from the
    # joint first judgement (confirmed would judge each entry at eps once more)
    out = []
    for i, jd in enumerate(first):
        if noise_limited(jd):
            jd = wider(entry(i, 1.0), eps)
        if jd.verdict == "wrong":  # taken again on steps of 0.75 2**-k (see confirmed)
            jd = disputed(jd, wider(entry(i, SHIFT), eps))
        out.append(jd)
    return out


def gradgradcheck(f: Callable[..., Value], inputs: Sequence[Value | float],
                  eps: float | None = None, atol: float = 0.0, rtol: float = 1e-6,
                  raise_exception: bool = True) -> bool:
    """True when every second derivative of ``f(*inputs)`` (``grad`` twice, as
    :func:`hessian`) is confirmed by a numerical derivative of the first derivatives
    (``grad`` once), with the verdicts of :func:`~micrograd_nn.gradcheck`: extrapolated
    differences with an error bar, steps the float grid carries, kept inside the domain
    (one-sided at its edge); at a kink of a first derivative (``relu(x) * x`` at 0) a
    value between the one-sided limits passes.

    A wrong second derivative raises :class:`~micrograd_nn.GradcheckError` naming each pair
    of inputs that disagrees (its ``mismatches`` holds ``((i, j), labels, analytic,
    numeric)``), or returns False when ``raise_exception`` is False. Where double precision
    cannot resolve one and none is wrong it raises
    :class:`~micrograd_nn.gradcheck.CannotCheckError`, saying why. Like :func:`hessian`,
    it works on fresh leaves: the Values given are left as they were. ``eps``, ``atol``,
    ``rtol`` as for ``gradcheck``.
    """
    eps, atol, rtol = check_tolerances("gradgradcheck", eps, atol, rtol)
    xs = _fresh(inputs, "gradgradcheck")
    try:
        analytic = hessian(f, xs)
    except DerivativeMismatch as e:  # a custom op's two derivatives disagree: a wrong rule
        if not raise_exception:
            return False
        raise GradcheckError(f"gradgradcheck: {e}", []) from e
    n = len(xs)
    judged = [_judge_column(f, xs, j, [analytic[i][j] for i in range(n)], eps, atol, rtol)
              for j in range(n)]
    scale = slope_scale([jd for column in judged for jd in column])
    judged = [[against_scale(jd, analytic[i][j], scale, atol, rtol)
               for i, jd in enumerate(column)] for j, column in enumerate(judged)]
    wrong: list[Any] = []
    unchecked: list[str] = []
    for j in range(n):
        for i in range(n):
            jd, a = judged[j][i], analytic[i][j]
            what = f"d2/d({_name(xs, i)}) d({_name(xs, j)})"
            if jd.verdict == "wrong":
                num = jd.numeric
                wrong.append(((i, j), f"{_name(xs, i)}, {_name(xs, j)}", a,
                              None if num is None else num.value))
                if num is None or jd.reason:
                    text = f"analytic {a!r}: {jd.reason or 'outside the one-sided slopes'}"
                else:
                    text = (f"analytic {a!r}, numeric {num}, difference {a - num.value!r}"
                            + (f" ({jd.note})" if jd.note else ""))
                wrong[-1] = (*wrong[-1], f"  {what}: {text}")
            elif jd.verdict == "unchecked":
                unchecked.append(f"  {what}: analytic {a!r}: cannot be checked here: "
                                 f"{jd.reason}")
    settings = f"eps={'auto' if eps is None else eps}, atol={atol}, rtol={rtol}"
    if wrong:
        if not raise_exception:
            return False
        lines = [f"gradgradcheck: {len(wrong)} of {n * n} second derivatives disagree "
                 f"({settings}):"] + [w[4] for w in wrong] + unchecked
        raise GradcheckError("\n".join(lines), [w[:4] for w in wrong])
    if unchecked:
        lines = [f"gradgradcheck: {len(unchecked)} of {n * n} second derivatives cannot be "
                 f"checked here ({settings}); none is found wrong:"] + unchecked
        raise CannotCheckError("\n".join(lines), unchecked)
    return True


def _name(xs: Sequence[Value], i: int) -> str:
    return f"input {i}" + (f" '{xs[i].label}'" if xs[i].label else "")
