"""Check analytic gradients against finite differences, as torch.autograd.gradcheck does,
and find the op whose rule is wrong.

:func:`gradcheck` compares each input's gradient from ``backward()`` with a central
difference of the whole function. :func:`check_ops` looks one node at a time: each op
node's local derivatives at its recorded inputs against central differences of that op's
own ``forward``, so a failing graph points at the rule that is wrong, not only at the
input whose gradient came out wrong. When ``gradcheck`` fails it runs ``check_ops`` on the
failing graph and names the op(s) it finds.

Both are kink-aware. Where the left and right one-sided differences disagree (``relu`` or
``abs`` at 0, ``max`` at a tie) the function has no derivative; an analytic value between
the two one-sided slopes is a valid subgradient and passes, reported as a kink. A wrong
slope at a smooth point still fails.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .modes import no_grad
from .node import backward_lock, topological_order
from .value import Op, Value

__all__ = ["gradcheck", "gradcheck_report", "check_ops", "GradcheckError", "GradcheckReport",
           "InputCheck", "OpMismatch", "Slopes", "numerical_grads", "slopes", "verdict",
           "op_mismatches"]


class GradcheckError(AssertionError):
    """A gradient disagreed with its finite difference. ``mismatches`` lists
    ``(index, label, analytic, numeric)`` for every input that disagreed; ``ops`` lists an
    :class:`OpMismatch` for every op node whose rule disagrees with its own forward."""

    def __init__(self, message: str, mismatches: list[Any],
                 ops: Sequence[OpMismatch] = ()) -> None:
        super().__init__(message)
        self.mismatches = mismatches
        self.ops = list(ops)


# ---------------------------------------------------------------------------------------
# Slopes of a function of one float, and the verdict on an analytic derivative


@dataclass(frozen=True)
class Slopes:
    """Finite-difference slopes of a function at a point: ``central`` (f(x+ε) - f(x-ε))/2ε,
    ``left`` (f(x) - f(x-ε))/ε and ``right`` (f(x+ε) - f(x))/ε; None where the function
    raised on that side (outside its domain)."""

    central: float | None
    left: float | None
    right: float | None

    @property
    def numeric(self) -> float | None:
        """The best single estimate: central, else whichever one-sided slope exists."""
        if self.central is not None:
            return self.central
        return self.left if self.left is not None else self.right


def slopes(f: Callable[[float], float], x: float, eps: float) -> Slopes:
    """The :class:`Slopes` of ``f`` at ``x`` with step ``eps``."""
    at = _guarded(f)
    here, minus, plus = at(x), at(x - eps), at(x + eps)
    central = None if plus is None or minus is None else (plus - minus) / (2.0 * eps)
    left = None if here is None or minus is None else (here - minus) / eps
    right = None if here is None or plus is None else (plus - here) / eps
    return Slopes(central, left, right)


def _guarded(f: Callable[[float], float]) -> Callable[[float], float | None]:
    def at(t: float) -> float | None:
        try:
            return f(t)
        except (ValueError, ArithmeticError):  # outside the domain: no slope on that side
            return None
    return at


def _close(a: float, b: float, atol: float, rtol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


def verdict(analytic: float, s: Slopes, atol: float, rtol: float) -> str:
    """``'ok'`` when ``analytic`` matches the numeric slope; ``'kink'`` when the one-sided
    slopes disagree and ``analytic`` lies between them (a valid subgradient); else
    ``'wrong'``. ``'unchecked'`` when no slope could be computed."""
    numeric = s.numeric
    if numeric is None:
        return "unchecked"
    if _close(analytic, numeric, atol, rtol):
        return "ok"
    if s.left is None or s.right is None:
        return "wrong"
    lo, hi = min(s.left, s.right), max(s.left, s.right)
    tol = atol + rtol * max(abs(lo), abs(hi))
    if hi - lo > tol and lo - tol <= analytic <= hi + tol:
        return "kink"
    return "wrong"


# ---------------------------------------------------------------------------------------
# gradcheck: each input's gradient against the whole function


@dataclass(frozen=True)
class InputCheck:
    """One input's result: its ``analytic`` grad from backward, the finite-difference
    ``slopes`` and the ``verdict`` (``'ok'``, ``'kink'`` or ``'wrong'``)."""

    index: int
    label: str
    analytic: float
    slopes: Slopes
    verdict: str

    def name(self) -> str:
        """``input 0 'x'``."""
        return f"input {self.index}" + (f" '{self.label}'" if self.label else "")

    def __str__(self) -> str:
        s = self.slopes
        if self.verdict == "kink":
            return (f"{self.name()}: analytic {self.analytic!r} at a kink (one-sided slopes "
                    f"{s.left!r} and {s.right!r}): a valid subgradient")
        if self.verdict == "wrong":
            n = s.numeric
            return (f"{self.name()}: analytic {self.analytic!r}, numeric {n!r}, difference "
                    f"{self.analytic - n!r}" if n is not None else "")
        return f"{self.name()}: analytic {self.analytic!r}, numeric {s.numeric!r}"


@dataclass(frozen=True)
class GradcheckReport:
    """What :func:`gradcheck_report` found: one :class:`InputCheck` per input, and the
    graph's ``root`` that backward ran on. True (``ok``) when no input is wrong."""

    checks: tuple[InputCheck, ...]
    root: Value
    eps: float
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """No input's gradient is wrong (kinks with a valid subgradient pass)."""
        return not self.wrong

    @property
    def wrong(self) -> list[InputCheck]:
        """The inputs whose gradient disagrees."""
        return [c for c in self.checks if c.verdict == "wrong"]

    @property
    def kinks(self) -> list[InputCheck]:
        """The inputs that sit at a kink and got a valid subgradient."""
        return [c for c in self.checks if c.verdict == "kink"]

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = (f"gradcheck: {len(self.wrong)} of {len(self.checks)} gradients disagree "
                f"(eps={self.eps}, atol={self.atol}, rtol={self.rtol})")
        return "\n".join([head + ":"] + [f"  {c}" for c in self.checks])


def _evaluate(f: Callable[..., Value], inputs: Sequence[Value]) -> float:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    return out.data


def _along(f: Callable[..., Value], inputs: Sequence[Value], v: Value
           ) -> Callable[[float], float]:
    """f as a function of ``v``'s data alone, the graph off; v's data is put back after
    each call, also if ``f`` raises."""
    def at(t: float) -> float:
        saved = v.data
        try:
            v.data = t
            with no_grad():
                return _evaluate(f, inputs)
        finally:
            v.data = saved
    return at


def numerical_grads(f: Callable[..., Value], inputs: Sequence[Value],
                    eps: float = 1e-6) -> list[float]:
    """Central differences (f(x+eps) - f(x-eps)) / 2eps for each input, graph off.

    Each input's data is put back exactly as it was, also if ``f`` raises."""
    grads = []
    for v in inputs:
        at = _along(f, inputs, v)
        grads.append((at(v.data + eps) - at(v.data - eps)) / (2.0 * eps))
    return grads


def _check_arguments(inputs: Sequence[Any], eps: float, atol: float, rtol: float) -> None:
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"gradcheck: input {i} must be a Value, got {type(v).__name__} {v!r}")
    if eps <= 0 or atol < 0 or rtol < 0:
        raise ValueError(
            f"gradcheck: need eps > 0, atol >= 0, rtol >= 0 (got {eps}, {atol}, {rtol})")


def gradcheck_report(f: Callable[..., Value], inputs: Sequence[Value], eps: float = 1e-6,
                     atol: float = 1e-5, rtol: float = 1e-3) -> GradcheckReport:
    """Run ``f(*inputs).backward()`` and judge every input's grad against finite
    differences (see :func:`verdict`); never raises for a wrong gradient. The inputs' data
    is left as it was; their grads hold the analytic gradients."""
    inputs = list(inputs)
    _check_arguments(inputs, eps, atol, rtol)
    for v in inputs:
        v.grad = 0.0
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    out.backward()
    checks = []
    for i, v in enumerate(inputs):
        s = slopes(_along(f, inputs, v), v.data, eps)
        checks.append(InputCheck(i, v.label, v.grad, s, verdict(v.grad, s, atol, rtol)))
    return GradcheckReport(tuple(checks), out, eps, atol, rtol)


def gradcheck(f: Callable[..., Value], inputs: Sequence[Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True when ``f(*inputs).backward()`` gives every input the gradient that a central
    finite difference gives, within ``|analytic - numeric| <= atol + rtol * |numeric|``,
    or, at a kink (the one-sided differences disagree), a value between the two.

    Otherwise raises :class:`GradcheckError` (an AssertionError) listing each input that
    disagrees with both numbers and, found by :func:`check_ops` on the same graph, each op
    whose local rule disagrees with its forward; or returns False when ``raise_exception``
    is False. The inputs' data is left as it was; their grads hold the analytic gradients.
    """
    __tracebackhide__ = True  # in pytest, the failure shows the caller's line, not this
    report = gradcheck_report(f, inputs, eps, atol, rtol)
    if report.ok:
        return True
    if not raise_exception:
        return False
    wrong = report.wrong
    lines = [f"gradcheck: {len(wrong)} of {len(report.checks)} gradients disagree "
             f"(eps={eps}, atol={atol}, rtol={rtol}):"]
    lines += [f"  {c}" for c in wrong]
    ops = op_mismatches(report.root, eps, atol, rtol)
    if ops:
        lines.append(f"the op{'s' if len(ops) > 1 else ''} whose rule disagrees with "
                     "its forward (check_ops):")
        lines += [f"  {m}" for m in ops]
    else:
        lines.append("check_ops finds every op's rule consistent with its forward: look at "
                     "how f combines them")
    raise GradcheckError("\n".join(lines),
                         [(c.index, c.label, c.analytic, c.slopes.numeric) for c in wrong], ops)


# ---------------------------------------------------------------------------------------
# check_ops: each op node's local derivatives against its own forward


@dataclass(frozen=True)
class OpMismatch:
    """An op node whose local derivative with respect to one input disagrees with the
    central difference of the op's forward: ``rule`` says which (``'backward'``: the rule
    backward() runs; ``'derivatives'``: what steps and higher derivatives use)."""

    node: Value
    input_index: int
    rule: str
    analytic: float
    numeric: float

    def __str__(self) -> str:
        node = self.node
        label = f" '{node.label}'" if node.label else ""
        args = ", ".join(_describe(v) for v in node.inputs)
        wrt = node.inputs[self.input_index].label or f"(input {self.input_index})"
        return (f"'{node.op}' node{label} = {node.data!r} from ({args}): d/d{wrt}: "
                f"{self.rule} gives {self.analytic!r}, numeric {self.numeric!r}")


def _describe(v: Value) -> str:
    return f"{v.data!r} '{v.label}'" if v.label else repr(v.data)


def _forward_of(node: Op) -> Callable[..., float]:
    """The node's op as a function of its inputs' data (a power's exponent kept fixed)."""
    return node.forward_at


def _rule_probe(node: Value, distinct: list[Value]) -> dict[Value, float]:
    """What the node's ``_backward`` passes to each distinct input for an upstream grad of
    1: the rule backward() actually runs. Every grad it touches is put back."""
    saved = [(v, v.grad) for v in distinct] + [(node, node.grad)]
    try:
        for v in distinct:
            v.grad = 0.0
        node.grad = 1.0
        node._backward()
        return {v: v.grad for v in distinct}
    finally:
        for v, g in saved:
            v.grad = g


def _derivative_sums(node: Op, distinct: list[Value]) -> dict[Value, float]:
    """``derivatives()`` per distinct input: an input used twice (x * x) gets the sum."""
    sums = {v: 0.0 for v in distinct}
    for v, d in zip(node.inputs, node.local_derivatives()):
        if d is not None:
            sums[v] += d
    return sums


def _node_mismatches(node: Op, eps: float, atol: float, rtol: float) -> list[OpMismatch]:
    inputs = node.inputs
    distinct = list(dict.fromkeys(inputs))
    rules = {"backward": _rule_probe(node, distinct),
             "derivatives": _derivative_sums(node, distinct)}
    forward = _forward_of(node)
    xs = [v.data for v in inputs]
    found = []
    for v in distinct:
        positions = [i for i, u in enumerate(inputs) if u is v]

        def at(t: float, positions: list[int] = positions) -> float:
            ys = list(xs)
            for i in positions:
                ys[i] = t
            return forward(*ys)

        s = slopes(at, v.data, eps)
        for rule, values in rules.items():
            a = values[v]
            if math.isfinite(a) and verdict(a, s, atol, rtol) == "wrong":
                found.append(OpMismatch(node, positions[0], rule, a, s.numeric or 0.0))
                break  # one line per input: backward's rule is the one that matters first
    return found


def op_mismatches(root: Value, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3) -> list[OpMismatch]:
    """Every op node under ``root`` (in topological order) whose rule disagrees with its
    forward; see :func:`check_ops`. Nodes that are not :class:`~micrograd_nn.ops.Op`
    instances (hand-made subclasses of Value) have no forward to compare with: skipped."""
    found: list[OpMismatch] = []
    with backward_lock:  # the probe borrows grads; no backward may run meanwhile
        for node in topological_order(root):
            if isinstance(node, Op):
                found += _node_mismatches(node, eps, atol, rtol)
    return found


def check_ops(root: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True when, for every op node under ``root``, the rule backward() runs and
    ``derivatives()`` both agree with central differences of the op's own ``forward`` at
    the node's recorded inputs (``|analytic - numeric| <= atol + rtol * |numeric|``; at a
    kink a value between the one-sided slopes passes). Otherwise raises
    :class:`GradcheckError` naming each disagreeing node (op, label, inputs' values,
    analytic vs numeric) and none of the correct ones, or returns False when
    ``raise_exception`` is False. An infinite local derivative (√ at 0) is not checked.
    Data and grads are left as they were."""
    __tracebackhide__ = True
    found = op_mismatches(root, eps, atol, rtol)
    if not found:
        return True
    if not raise_exception:
        return False
    nodes = len({id(m.node) for m in found})
    lines = [f"check_ops: {nodes} op node{'s' if nodes > 1 else ''} disagree with a central "
             f"difference of their forward (eps={eps}, atol={atol}, rtol={rtol}):"]
    lines += [f"  {m}" for m in found]
    raise GradcheckError("\n".join(lines), [], found)
