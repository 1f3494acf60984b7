"""Higher derivatives: :func:`grad`, :func:`hessian` and :func:`gradgradcheck`.

``grad(output, inputs)`` is backward written as a function: it walks the same op nodes in
the same reverse topological order and applies each op's ``derivatives`` to an adjoint
kept in a dict private to the call, so no node's ``grad`` changes. On floats it gives
bit-for-bit what ``backward()`` gives. With ``create_graph=True`` the same ``derivatives``
are called on the nodes themselves (Values in, Values out), so each derivative is a graph
of ordinary ops over the inputs, and can be differentiated, drawn and stepped in turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

from .gradcheck import GradcheckError
from .node import topological_order
from .value import Constant, Value, leaf

__all__ = ["grad", "hessian", "gradgradcheck"]

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
    return adjoints


def _adjoints_graph(output: Value) -> dict[Value, Adjoint]:
    """Every node's d output / d node, as a Value where it depends on the inputs.

    Unlike backward() this skips only an adjoint that is the number 0: a Value whose data
    is 0 may still have a derivative. In x * (x - 1) at x = 1 the factor x's adjoint is
    x - 1, which is 0 there, yet its path gives half of the second derivative 2."""
    adjoints: dict[Value, Adjoint] = {output: 1.0}
    for node in reversed(topological_order(output)):
        g = adjoints.get(node, 0.0)
        if not isinstance(g, Value) and not g:
            continue
        inputs = node.inputs
        for inp, d in zip(inputs, node.derivatives(node, *inputs)):
            if d is None:
                continue
            term = _times(d, g)
            old = adjoints.get(inp)
            adjoints[inp] = term if old is None else old + term
    return adjoints


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
    xs = []
    for i, v in enumerate(inputs):
        if isinstance(v, Value):
            xs.append(Value(v.data, v.label))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            xs.append(Value(v))
        else:
            raise TypeError(f"{who}: input {i} must be a number or a Value, "
                            f"got {type(v).__name__} {v!r}")
    return xs


def _call(f: Callable[..., Value], xs: Sequence[Value], who: str) -> Value:
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"{who}: f must return a Value, got {type(out).__name__} {out!r}")
    return out


def _numeric_hessian(f: Callable[..., Value], xs: list[Value], eps: float) -> list[list[float]]:
    """Column j: central differences of the first derivatives (by ``grad``) along x_j."""
    n = len(xs)
    columns = []
    for j in range(n):
        saved = xs[j].data
        try:
            xs[j].data = saved + eps
            plus = grad(_call(f, xs, "gradgradcheck"), xs)
            xs[j].data = saved - eps
            minus = grad(_call(f, xs, "gradgradcheck"), xs)
        finally:
            xs[j].data = saved
        columns.append([(p.data - m.data) / (2.0 * eps) for p, m in zip(plus, minus)])
    return [[columns[j][i] for j in range(n)] for i in range(n)]


def gradgradcheck(f: Callable[..., Value], inputs: Sequence[Value | float], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """True when every second derivative of ``f(*inputs)`` (``grad`` twice, as
    :func:`hessian`) matches a central finite difference of the first derivatives
    (``grad`` once), within ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Otherwise raises :class:`~micrograd_nn.GradcheckError` naming each pair of inputs that
    disagrees with both numbers (its ``mismatches`` holds ``((i, j), labels, analytic,
    numeric)``), or returns False when ``raise_exception`` is False. Like :func:`hessian`,
    it works on fresh leaves: the Values given are left as they were.
    """
    if eps <= 0 or atol < 0 or rtol < 0:
        raise ValueError(
            f"gradgradcheck: need eps > 0, atol >= 0, rtol >= 0 (got {eps}, {atol}, {rtol})")
    xs = _fresh(inputs, "gradgradcheck")
    analytic = hessian(f, xs)
    numeric = _numeric_hessian(f, xs, eps)
    mismatches: list[Any] = []
    for i, (row_a, row_n) in enumerate(zip(analytic, numeric)):
        for j, (a, n) in enumerate(zip(row_a, row_n)):
            if not abs(a - n) <= atol + rtol * abs(n):
                mismatches.append(((i, j), f"{_name(xs, i)}, {_name(xs, j)}", a, n))
    if not mismatches:
        return True
    if not raise_exception:
        return False
    count = len(xs) ** 2
    lines = [f"gradgradcheck: {len(mismatches)} of {count} second derivatives disagree "
             f"(eps={eps}, atol={atol}, rtol={rtol}):"]
    for (i, j), _, a, n in mismatches:
        lines.append(f"  d2/d({_name(xs, i)}) d({_name(xs, j)}): analytic {a!r}, "
                     f"numeric {n!r}, difference {a - n!r}")
    raise GradcheckError("\n".join(lines), mismatches)


def _name(xs: Sequence[Value], i: int) -> str:
    return f"input {i}" + (f" '{xs[i].label}'" if xs[i].label else "")
