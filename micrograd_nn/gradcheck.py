"""Check analytic gradients against finite differences, and find the op whose rule is wrong.

:func:`gradcheck` compares each input's gradient from ``backward()`` with a numerical
derivative of the whole function; :func:`check_ops` looks one node at a time, each op
node's local derivatives against a numerical derivative of that op's own ``forward``, so a
failing graph points at the rule that is wrong. When ``gradcheck`` finds a wrong gradient
it runs ``check_ops`` on the same graph and names the op(s).

How a numerical derivative is taken (:func:`estimate`): the steps start relative to the
input's magnitude (``h = 2**-7 * max(|x|, 1)``, or ``eps * max(|x|, 1)`` when ``eps`` is
given) and halve; each step is one the float grid carries (a power of two, and the
difference is divided by the step actually taken, ``(x + h) - x``); a step that leaves the
function's domain (it raises, or gives inf/NaN) is shrunk, and where no two-sided step fits
the difference goes one-sided. The differences are extrapolated to step 0 (Richardson, in
Ridders' tableau), which also gives an error bar, floored by the rounding noise of the
step. So a verdict rests on how the differences converge, not on one step:

- **right**: ``|analytic - numeric| <= 3 error + rtol |numeric| + atol`` and the error bar
  is small enough that a wrong rule would have been seen (below half the slope; or within
  what ``atol`` accepts; or, for a slope within the error bar of 0, below the smallest
  normal float, or within 2**-24 of the function's largest slope in its other inputs). A
  slope merely inside the error bar is never right: a wrong one as small would agree too.
- **kink**: the one-sided limits stay apart as the step shrinks and the analytic value lies
  between them (a valid subgradient, as relu or abs at 0); this passes.
- **wrong**: outside the error bar of a converged estimate (and not at such a kink).
- **cannot be checked here**: no estimate, or an error bar too wide to tell a right rule
  from a wrong one (the function is too flat or too steep for double precision at this
  input). :func:`gradcheck` raises :class:`CannotCheckError` for it, which is not an
  AssertionError and never blames a rule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .differences import (
    START_STEP,
    Estimate,
    Judgement,
    against_scale,
    check_tolerances,
    confirmed,
    estimate,
    judge,
    slope_scale,
)
from .modes import no_grad
from .node import backward_lock, topological_order
from .value import Op, Value

__all__ = ["gradcheck", "gradcheck_report", "check_ops", "op_mismatches", "GradcheckError",
           "CannotCheckError", "GradcheckReport", "InputCheck", "OpMismatch",
           "numerical_grads"]


class GradcheckError(AssertionError):
    """A gradient disagreed with its numerical derivative. ``mismatches`` lists
    ``(index, label, analytic, numeric)`` for every input that disagreed; ``ops`` lists an
    :class:`OpMismatch` for every op node whose rule disagrees with its own forward."""

    def __init__(self, message: str, mismatches: list[Any],
                 ops: Sequence[OpMismatch] = ()) -> None:
        super().__init__(message)
        self.mismatches = mismatches
        self.ops = list(ops)


class CannotCheckError(Exception):
    """No rule was found wrong, but some derivative cannot be checked at this input in
    double precision (``unresolved`` lists the :class:`InputCheck` or :class:`OpMismatch`
    entries and their reasons). Not an AssertionError: it says nothing against a rule."""

    def __init__(self, message: str, unresolved: Sequence[Any]) -> None:
        super().__init__(message)
        self.unresolved = list(unresolved)


def _judge_along(f: Callable[[float], float], x: float, analytic: float, eps: float | None,
                 atol: float, rtol: float) -> Judgement:
    def at(eps: float | None, shift: float) -> Judgement:
        cache: dict[str, Estimate | None] = {}

        def one_sided(side: str) -> Estimate | None:
            if side not in cache:
                cache[side] = estimate(f, x, eps, side, shift)
            return cache[side]

        return judge(analytic, estimate(f, x, eps, shift=shift), one_sided, atol, rtol)

    return confirmed(at, eps)


# ---------------------------------------------------------------------------------------
# gradcheck: each input's gradient against the whole function


@dataclass(frozen=True)
class InputCheck:
    """One input's result: its ``analytic`` grad from backward and the :class:`Judgement`
    (``verdict`` ``'ok'``, ``'kink'``, ``'wrong'`` or ``'unchecked'``)."""

    index: int
    label: str
    analytic: float
    judgement: Judgement

    @property
    def verdict(self) -> str:
        """``'ok'``, ``'kink'``, ``'wrong'`` or ``'unchecked'``."""
        return self.judgement.verdict

    @property
    def numeric(self) -> float | None:
        """The numerical derivative the verdict rests on (None when there is none)."""
        n = self.judgement.numeric
        return None if n is None else n.value

    def name(self) -> str:
        """``input 0 'x'``."""
        return f"input {self.index}" + (f" '{self.label}'" if self.label else "")

    def __str__(self) -> str:
        return f"{self.name()}: {_describe_judgement(self.analytic, self.judgement)}"


def _describe_judgement(a: float, j: Judgement) -> str:
    note = f" ({j.note})" if j.note else ""
    if j.verdict == "kink":
        return (f"analytic {a!r} at a kink (one-sided slopes {j.left} and {j.right}): a "
                "valid subgradient")
    if j.verdict == "unchecked":
        return f"analytic {a!r}: cannot be checked here: {j.reason}{note}"
    n = j.numeric
    if j.verdict == "wrong":
        if j.reason:
            return f"analytic {a!r}: {j.reason}"
        if j.left is not None and j.right is not None and n is None:
            return (f"analytic {a!r}, outside the one-sided slopes {j.left} and "
                    f"{j.right}{note}")
        assert n is not None
        return f"analytic {a!r}, numeric {n}, difference {a - n.value!r}{note}"
    return f"analytic {a!r}, numeric {n}{note}"


@dataclass(frozen=True)
class GradcheckReport:
    """What :func:`gradcheck_report` found: one :class:`InputCheck` per input, and the
    graph's ``root`` that backward ran on. True (``ok``) when every input is right or at a
    kink with a valid subgradient."""

    checks: tuple[InputCheck, ...]
    root: Value
    eps: float | None
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """Every input's gradient is right (kinks with a valid subgradient pass)."""
        return not self.wrong and not self.unchecked

    @property
    def wrong(self) -> list[InputCheck]:
        """The inputs whose gradient disagrees."""
        return [c for c in self.checks if c.verdict == "wrong"]

    @property
    def unchecked(self) -> list[InputCheck]:
        """The inputs whose gradient cannot be checked here (each with its reason)."""
        return [c for c in self.checks if c.verdict == "unchecked"]

    @property
    def kinks(self) -> list[InputCheck]:
        """The inputs that sit at a kink and got a valid subgradient."""
        return [c for c in self.checks if c.verdict == "kink"]

    def __bool__(self) -> bool:
        return self.ok

    @property
    def settings(self) -> str:
        """The step and tolerances the check ran with, as its messages print them
        (``eps=auto, atol=0.0, rtol=1e-06``)."""
        eps = "auto" if self.eps is None else repr(self.eps)
        return f"eps={eps}, atol={self.atol}, rtol={self.rtol}"

    def outcome(self, raise_exception: bool = True) -> bool:
        """What :func:`gradcheck` makes of this report: True when ok; a
        :class:`CannotCheckError` when no gradient is wrong but some cannot be checked; for a
        wrong one a :class:`GradcheckError` naming each input and, by :func:`check_ops` on
        the same graph, each op whose rule disagrees (False instead without
        ``raise_exception``)."""
        __tracebackhide__ = True  # in pytest, the failure shows the caller's line, not this
        if self.ok:
            return True
        wrong, unchecked = self.wrong, self.unchecked
        if not wrong:
            lines = [f"gradcheck: {len(unchecked)} of {len(self.checks)} gradients cannot be "
                     f"checked here ({self.settings}); no rule is found wrong:"]
            lines += [f"  {c}" for c in unchecked]
            raise CannotCheckError("\n".join(lines), unchecked)
        if not raise_exception:
            return False
        lines = [f"gradcheck: {len(wrong)} of {len(self.checks)} gradients disagree "
                 f"({self.settings}):"]
        lines += [f"  {c}" for c in wrong]
        lines += [f"  {c}" for c in unchecked]
        ops = op_mismatches(self.root, self.eps, self.atol, self.rtol)
        wrong_ops = [m for m in ops if m.verdict == "wrong"]
        if wrong_ops:
            lines.append(f"the op{'s' if len(wrong_ops) > 1 else ''} whose rule disagrees "
                         "with its forward (check_ops):")
            lines += [f"  {m}" for m in wrong_ops]
        else:
            lines.append("check_ops finds every op's rule consistent with its forward: look "
                         "at how f combines them (or a rule check_ops cannot see: a hand-made "
                         "node)")
        raise GradcheckError("\n".join(lines), [(c.index, c.label, c.analytic, c.numeric)
                                                for c in wrong], wrong_ops)

    def __str__(self) -> str:
        head = (f"gradcheck: {len(self.wrong)} of {len(self.checks)} gradients disagree, "
                f"{len(self.unchecked)} cannot be checked here ({self.settings})")
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
                    eps: float | None = None) -> list[float]:
    """The numerical derivative of ``f`` in each input (:func:`estimate`: extrapolated
    differences on steps the float grid carries, one-sided at a domain edge; NaN where no
    step fits), the graph off. Each input's data is put back exactly as it was."""
    grads = []
    for v in inputs:
        e = estimate(_along(f, inputs, v), v.data, eps)
        if e is None:
            e = estimate(_along(f, inputs, v), v.data, eps, "right") or estimate(
                _along(f, inputs, v), v.data, eps, "left")
        grads.append(math.nan if e is None else e.value)
    return grads


def _check_inputs(inputs: Sequence[Any]) -> None:
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"gradcheck: input {i} must be a Value, got {type(v).__name__} {v!r}")


def _backward_of(f: Callable[..., Value], inputs: list[Value]) -> Value:
    for v in inputs:
        v.grad = 0.0
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    out.backward()
    return out


def gradcheck_report(f: Callable[..., Value], inputs: Sequence[Value],
                     eps: float | None = None, atol: float = 0.0, rtol: float = 1e-6,
                     ) -> GradcheckReport:
    """Run ``f(*inputs).backward()`` and judge every input's grad against a numerical
    derivative (see the module's docstring); never raises for a wrong gradient. The inputs'
    data is left as it was; their grads hold the analytic gradients."""
    inputs = list(inputs)
    _check_inputs(inputs)
    eps, atol, rtol = check_tolerances("gradcheck", eps, atol, rtol)
    out = _backward_of(f, inputs)
    judged = [_judge_along(_along(f, inputs, v), v.data, v.grad, eps, atol, rtol)
              for v in inputs]
    scale = slope_scale(judged)
    checks = [InputCheck(i, v.label, v.grad, against_scale(j, v.grad, scale, atol, rtol))
              for i, (v, j) in enumerate(zip(inputs, judged))]
    return GradcheckReport(tuple(checks), out, eps, atol, rtol)


def _directional(f: Callable[..., Value], inputs: list[Value], grads: list[float],
                 rng: random.Random, eps: float | None, atol: float, rtol: float
                 ) -> Judgement:
    """f along one random direction d (±max(|x_i|, 1) per input) against ⟨grad, d⟩."""
    base = [v.data for v in inputs]
    d = [rng.choice((-1.0, 1.0)) * max(abs(x), 1.0) for x in base]

    def along(t: float) -> float:
        try:
            for v, x, di in zip(inputs, base, d):
                v.data = x + t * di
            with no_grad():
                return _evaluate(f, inputs)
        finally:
            for v, x in zip(inputs, base):
                v.data = x

    slope = math.fsum(g * di for g, di in zip(grads, d))
    size = math.fsum(abs(g * di) for g, di in zip(grads, d))
    # The direction's step is relative to 1 (d carries the inputs' magnitudes); the
    # products' rounding is part of the tolerance.
    rel = START_STEP if eps is None else eps
    return _judge_along(along, 0.0, slope, rel, atol + 1e-15 * size, rtol)


def gradcheck(f: Callable[..., Value], inputs: Sequence[Value], eps: float | None = None,
              atol: float = 0.0, rtol: float = 1e-6, raise_exception: bool = True,
              fast: bool = False, directions: int = 3, seed: int = 0) -> bool:
    """True when ``f(*inputs).backward()`` gives every input a gradient that a converged
    numerical derivative confirms (see the module's docstring for the verdicts; at a kink
    a value between the one-sided limits passes).

    A wrong gradient raises :class:`GradcheckError` (an AssertionError) listing each input
    that disagrees (analytic, numeric ± error bar) and, found by :func:`check_ops` on the
    same graph, each op whose local rule disagrees with its forward; with
    ``raise_exception=False`` it returns False instead. A gradient that double precision
    cannot resolve at this input raises :class:`CannotCheckError` (both modes: it is
    neither a pass nor a failure), saying why.

    ``fast=True`` checks ``directions`` random directional derivatives (seeded by ``seed``)
    instead of one derivative per input: a few evaluations per direction, for big graphs;
    when one disagrees it falls back to the full check, which names the input and the op.
    ``eps`` is the first step relative to ``max(|x|, 1)`` (default 2**-7; the steps then
    shrink), ``atol``/``rtol`` widen the tolerance beyond the error bar. The inputs' data
    is left as it was; their grads hold the analytic gradients.
    """
    __tracebackhide__ = True  # in pytest, the failure shows the caller's line, not this
    inputs = list(inputs)
    _check_inputs(inputs)
    eps, atol, rtol = check_tolerances("gradcheck", eps, atol, rtol)
    if fast:
        if isinstance(directions, bool) or not isinstance(directions, int) or directions < 1:
            raise ValueError(f"gradcheck: directions must be an int >= 1, got {directions!r}")
        _backward_of(f, inputs)
        grads = [v.grad for v in inputs]
        rng = random.Random(seed)
        if all(_directional(f, inputs, grads, rng, eps, atol, rtol).verdict in ("ok", "kink")
               for _ in range(directions)):
            return True
    return gradcheck_report(f, inputs, eps, atol, rtol).outcome(raise_exception)


# ---------------------------------------------------------------------------------------
# check_ops: each op node's local derivatives against its own forward


@dataclass(frozen=True)
class OpMismatch:
    """An op node whose local derivative with respect to one input disagrees with a
    numerical derivative of the op's forward (``verdict`` ``'wrong'``), or cannot be
    checked at these numbers (``'unchecked'``, with ``reason``). ``rule`` says which rule:
    ``'backward'`` (what backward() runs), ``'derivatives'`` (what steps and higher
    derivatives use) or ``'value_derivative'`` (a custom op's derivative on Values)."""

    node: Value
    input_index: int
    rule: str
    analytic: float
    numeric: float | None
    judgement: Judgement | None = None
    verdict: str = "wrong"
    reason: str = ""

    def __str__(self) -> str:
        node = self.node
        label = f" '{node.label}'" if node.label else ""
        args = ", ".join(_describe(v) for v in node.inputs)
        wrt = node.inputs[self.input_index].label or f"(input {self.input_index})"
        head = f"'{node.op}' node{label} = {node.data!r} from ({args}): d/d{wrt}: "
        if self.verdict == "unchecked":
            return head + f"{self.rule} gives {self.analytic!r}: cannot be checked here: " \
                          f"{self.reason}"
        if self.reason:
            return head + f"{self.rule} gives {self.analytic!r}: {self.reason}"
        j = self.judgement
        n = j.numeric if j is not None else None
        if j is not None and j.left is not None and j.right is not None and j.note:
            return head + (f"{self.rule} gives {self.analytic!r}, outside the one-sided "
                           f"slopes {j.left} and {j.right}")
        shown = str(n) if n is not None else repr(self.numeric)
        return head + f"{self.rule} gives {self.analytic!r}, numeric {shown}"


def _describe(v: Value) -> str:
    return f"{v.data!r} '{v.label}'" if v.label else repr(v.data)


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


def _summed(inputs: Sequence[Value], ds: Sequence[Any], distinct: list[Value]
            ) -> dict[Value, float]:
    """Derivatives per distinct input: an input used twice (x * x) gets the sum."""
    sums = {v: 0.0 for v in distinct}
    for v, d in zip(inputs, ds):
        if d is not None:
            sums[v] += d
    return sums


def _value_derivative_sums(node: Op, distinct: list[Value]) -> dict[Value, float] | str | None:
    """A custom op's ``value_derivative`` at the node's numbers (on fresh leaves), summed
    per distinct input; None for an op without one; the error's text where it is refused
    (a plain number, or numbers that disagree with ``derivative``)."""
    user = getattr(type(node), "user_value_derivative", None)
    if user is None:
        return None
    fresh = [Value(v.data) for v in node.inputs]
    try:
        ds = node.derivatives(type(node).apply(*fresh), *fresh)
    except (TypeError, ValueError) as e:
        return str(e)
    data = [None if d is None else float(d.data if isinstance(d, Value) else d) for d in ds]
    return _summed(node.inputs, data, distinct)


def _node_mismatches(node: Op, eps: float | None, atol: float, rtol: float
                     ) -> list[OpMismatch]:
    inputs = node.inputs
    distinct = list(dict.fromkeys(inputs))
    rules = {"backward": _rule_probe(node, distinct),
             "derivatives": _summed(inputs, node.local_derivatives(), distinct)}
    values = _value_derivative_sums(node, distinct)
    found = []
    if isinstance(values, str):
        found.append(OpMismatch(node, 0, "value_derivative", math.nan, None, None, "wrong",
                                values))
    elif values is not None:
        rules["value_derivative"] = values
    xs = [v.data for v in inputs]
    for v in distinct:
        positions = [i for i, u in enumerate(inputs) if u is v]

        def at(t: float, positions: list[int] = positions) -> float:
            ys = list(xs)
            for i in positions:
                ys[i] = t
            return node.forward_at(*ys)

        unresolved = None
        for rule, given in rules.items():
            a = given[v]
            j = _judge_along(at, v.data, a, eps, atol, rtol)
            if j.verdict == "wrong":
                n = j.numeric.value if j.numeric is not None else None
                found.append(OpMismatch(node, positions[0], rule, a, n, j, "wrong", j.reason))
                break  # one line per input: backward's rule is the one that matters first
            if j.verdict == "unchecked" and unresolved is None:
                n = j.numeric.value if j.numeric is not None else None
                unresolved = OpMismatch(node, positions[0], rule, a, n, j, "unchecked",
                                        j.reason)
        else:
            if unresolved is not None:
                found.append(unresolved)
    return found


def op_mismatches(root: Value, eps: float | None = None, atol: float = 0.0,
                  rtol: float = 1e-6) -> list[OpMismatch]:
    """Every op node under ``root`` (in topological order) whose rule disagrees with its
    forward (``verdict`` ``'wrong'``) or cannot be checked at its numbers
    (``'unchecked'``); see :func:`check_ops`. Nodes that are not
    :class:`~micrograd_nn.engine.Op` instances (hand-made subclasses of Value) have no
    forward to compare with: skipped."""
    eps, atol, rtol = check_tolerances("check_ops", eps, atol, rtol)
    found: list[OpMismatch] = []
    with backward_lock:  # the probe borrows grads; no backward may run meanwhile
        for node in topological_order(root):
            if isinstance(node, Op):
                found += _node_mismatches(node, eps, atol, rtol)
    return found


def check_ops(root: Value, eps: float | None = None, atol: float = 0.0, rtol: float = 1e-6,
              raise_exception: bool = True) -> bool:
    """True when, for every op node under ``root``, the rule backward() runs,
    ``derivatives()`` and (for a custom op) its ``value_derivative`` all agree with a
    numerical derivative of the op's own ``forward`` at the node's recorded inputs (the
    verdicts of :func:`gradcheck`: at a kink a value between the one-sided limits passes;
    a NaN derivative is wrong). Otherwise raises :class:`GradcheckError` naming each
    disagreeing node (op, label, inputs' values, analytic vs numeric ± error bar) and none
    of the correct ones, or returns False when ``raise_exception`` is False. Where a
    derivative cannot be checked at these numbers (an infinite slope, as √ at 0) and no
    rule is wrong it raises :class:`CannotCheckError`. Data and grads are left as they
    were."""
    __tracebackhide__ = True
    found = op_mismatches(root, eps, atol, rtol)
    wrong = [m for m in found if m.verdict == "wrong"]
    unchecked = [m for m in found if m.verdict == "unchecked"]
    settings = f"eps={'auto' if eps is None else eps}, atol={atol}, rtol={rtol}"
    if wrong:
        if not raise_exception:
            return False
        nodes = len({id(m.node) for m in wrong})
        lines = [f"check_ops: {nodes} op node{'s' if nodes > 1 else ''} disagree with a "
                 f"numerical derivative of their forward ({settings}):"]
        lines += [f"  {m}" for m in wrong]
        raise GradcheckError("\n".join(lines), [], wrong)
    if unchecked:
        unchecked_ = [m for m in unchecked if not math.isinf(m.analytic)]
        if not unchecked_:
            return True  # infinite slopes (√ at 0) are not checked, as documented
        lines = [f"check_ops: {len(unchecked_)} local derivatives cannot be checked here "
                 f"({settings}); no rule is found wrong:"]
        lines += [f"  {m}" for m in unchecked_]
        raise CannotCheckError("\n".join(lines), unchecked_)
    return True
