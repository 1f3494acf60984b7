"""Numerical derivatives that converge, with an error bar, and the verdict on an analytic
derivative: the numerics under :func:`~micrograd_nn.gradcheck`, ``check_ops`` and
``gradgradcheck`` (see the ``micrograd_nn.gradcheck`` module's docstring for what the
verdicts mean).

:func:`estimate` takes steps relative to the input's magnitude, each one the float grid
carries, shrinks them to stay inside the function's domain (one-sided at its edge) and
extrapolates the differences to step 0 (Ridders' tableau), with an error bar floored by
the rounding noise and confirmed by one more halving; :func:`judge` turns an analytic
value and such estimates into ``'ok'``, ``'kink'``, ``'wrong'`` or ``'unchecked'``, and
:func:`against_scale` weighs a slope hidden in the noise against the same function's
slopes in its other inputs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["START_STEP", "Estimate", "Judgement", "check_tolerances", "estimate", "estimates",
           "judge", "wider", "noise_limited", "against_scale", "slope_scale", "confirmed",
           "SHIFT", "disputed"]


# ---------------------------------------------------------------------------------------
# Argument checks


def check_tolerances(who: str, eps: Any, atol: Any, rtol: Any) -> tuple[float | None, float,
                                                                      float]:
    """``eps`` (None, or a finite number > 0), ``atol`` and ``rtol`` (finite numbers >= 0)
    as floats, or a TypeError / ValueError naming the argument."""
    out: list[float | None] = []
    for name, value, allow_none, allow_zero in (("eps", eps, True, False),
                                                ("atol", atol, False, True),
                                                ("rtol", rtol, False, True)):
        if value is None and allow_none:
            out.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{who}: {name} must be a number, got {type(value).__name__} "
                            f"{value!r}")
        v = float(value)
        if not math.isfinite(v) or v < 0.0 or (v == 0.0 and not allow_zero):
            need = "a finite number >= 0" if allow_zero else "a finite number > 0"
            raise ValueError(f"{who}: {name} must be {need}, got {value!r}")
        out.append(v)
    return out[0], out[1], out[2]  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------
# Numerical derivatives that converge, with an error bar

START_STEP = 2.0 ** -7
"""The first step of a numerical derivative, relative to max(|x|, 1)."""
_DEPTH = 6  # columns of the extrapolation tableau
_MAX_STEPS = 120  # halvings at most (a step of 2**-7 reaches the float floor well before)
_ULP = 2.0 ** -52
_TINY = 2.0 ** -1074
_CONVERGED = 1e-11  # relative error bar at which the halving stops
_AGAINST_SCALE = 2.0 ** -24  # how small a tolerance is against the function's largest slope


@dataclass(frozen=True)
class Estimate:
    """A numerical derivative: ``value`` with error bar ``error`` (truncation as the
    extrapolation sees it, floored by rounding noise), how it was taken (``side``:
    ``'central'``, ``'right'`` or ``'left'``), the smallest ``step`` used, ``note``
    (e.g. that the domain forced a smaller step) and ``noise``, the rounding noise of the
    smallest step (the error bar cannot get below it), and ``scale``, the largest
    difference quotient seen on the steps tried (how steeply f moves at the input's
    scale)."""

    value: float
    error: float
    side: str = "central"
    step: float = 0.0
    note: str = ""
    noise: float = 0.0
    scale: float = 0.0

    def __str__(self) -> str:
        return f"{self.value!r} ± {self.error:.2g}"


def _as_number(y: Any) -> float | None:
    """y as a finite float (a Value gives its data, by ``float``), else None."""
    try:
        y = float(y)
    except (TypeError, ValueError, OverflowError):
        return None
    return y if math.isfinite(y) else None


def _guard(f: Callable[[float], Sequence[float]]) -> Callable[[float], list[float] | None]:
    """f, with None for a point outside its domain (it raises an arithmetic or domain error,
    or gives a value that is not a finite number)."""
    def at(t: float) -> list[float] | None:
        try:
            ys = f(t)
        except (ValueError, ArithmeticError):
            return None
        out = [_as_number(y) for y in ys]
        return None if any(y is None for y in out) else out  # type: ignore[return-value]
    return at


class _Differences:
    """Finite differences of a guarded vector function at x, on steps the grid carries."""

    def __init__(self, f: Callable[[float], list[float] | None], x: float,
                 here: list[float]) -> None:
        self.f, self.x, self.here = f, x, here

    def step_taken(self, h: float) -> float:
        """The step to x + h that the float grid carries: (x + h) - x."""
        return (self.x + h) - self.x

    def at(self, h: float, side: str) -> tuple[list[float], list[float]] | None:
        """(differences, their rounding noise) with step h on ``side``, None outside the
        domain or where the grid cannot carry the step."""
        x = self.x
        up = (x + h) - x
        down = x - (x - h)
        if up <= 0.0 or down <= 0.0:
            return None
        if side == "central":
            a, b = self.f(x + up), self.f(x - down)
            if a is not None and b is not None and up != down:
                return self._uneven(a, b, up, down)
            width = up + down
        elif side == "right":
            a, b, width = self.f(x + up), self.here, up
        else:
            a, b, width = self.here, self.f(x - down), down
        if a is None or b is None:
            return None
        ds = [(p - q) / width for p, q in zip(a, b)]
        # rounding: an ulp of each value (2**-52 relative), and the subnormal floor
        noise = [(2.0 * _ULP * (abs(p) + abs(q)) + 4.0 * _TINY) / width for p, q in zip(a, b)]
        if not all(math.isfinite(d) for d in ds):
            return None
        return ds, noise

    def _uneven(self, a: list[float], b: list[float], up: float, down: float
                ) -> tuple[list[float], list[float]] | None:
        """The central difference over steps of unequal length (x next to a power of two,
        where x + h and x - h round differently): the three-point formula
        (down**2 (f(x+up) - f(x)) + up**2 (f(x) - f(x-down))) / (up down (up + down)),
        exact for a parabola, so the error stays O(h**2) as the extrapolation assumes.
        Dividing the plain difference by up + down would leave (up - down) f''/2, which
        does not shrink with h and can exceed the error bar."""
        width = up * down * (up + down)
        wu, wd = down * down / width, up * up / width
        ds, noise = [], []
        for p, c, q in zip(a, self.here, b):
            ds.append(wu * (p - c) + wd * (c - q))
            noise.append(2.0 * _ULP * (wu * (abs(p) + abs(c)) + wd * (abs(c) + abs(q)))
                         + 4.0 * _TINY * (wu + wd))
        if not all(math.isfinite(d) for d in ds):
            return None
        return ds, noise


def _extrapolate(diff: _Differences, h0: float, side: str, m: int
                 ) -> tuple[list[float], list[float], float, bool, list[float],
                            list[float]] | None:
    """Ridders' extrapolation of the differences at h0, h0/2, ... to step 0, per component:
    (values, error bars, smallest step, whether the domain forced a smaller step, rounding
    noise of the smallest step, largest difference quotient), or None
    when no step fits. The tableau restarts where a step does not fit; halving stops when
    every component's error bar is small, or rounding noise exceeds the best error bar,
    and then takes one more row, which widens each error bar to how far that row's best
    value moved from the settled one (the smallest step and noise stay the settled row's)."""
    power = 2 if side == "central" else 1  # central differences have only even powers
    best = [math.nan] * m
    err = [math.inf] * m
    prev: list[list[float]] | None = None
    h, smallest, shrunk, found = h0, h0, False, False
    scale = [0.0] * m
    settled: list[float] | None = None  # the best values when the halving first stopped
    for _ in range(_MAX_STEPS):
        r = diff.at(h, side)
        if r is None:  # outside the domain: a smaller step, and a fresh tableau
            if settled is not None:
                break
            shrunk = shrunk or not found
            prev = None
        else:
            found = True
            ds, noise = r
            if settled is None:  # the row after the stop is a check: the step stays
                smallest = h
                floor = [2.0 * n for n in noise]
            scale = [max(a, abs(d)) for a, d in zip(scale, ds)]
            row: list[list[float]] = []
            row_best = list(best)
            done = True
            for c in range(m):
                entries = [ds[c]]
                row_err = math.inf
                amplified = 2.0 * noise[c]  # extrapolation amplifies rounding (5/3, 17/15..)
                if prev is not None:
                    fac = 2.0 ** power
                    for j in range(1, min(len(prev[c]) + 1, _DEPTH)):
                        val = (entries[j - 1] * fac - prev[c][j - 1]) / (fac - 1.0)
                        entries.append(val)
                        e = max(abs(val - entries[j - 1]), abs(val - prev[c][j - 1]),
                                amplified)
                        if e < err[c]:
                            err[c], best[c] = e, val
                        if e < row_err:
                            row_err, row_best[c] = e, val
                        fac *= 2.0 ** power
                row.append(entries)
                # converged, or at the noise floor: smaller steps would only add noise
                if not (err[c] <= _CONVERGED * abs(best[c]) or err[c] <= 2.0 * amplified):
                    done = False
            prev = row
            if settled is not None:
                # the row after the stop: the estimate must not move by more than its
                # error bar as the step halves once more. A rounding offset that steps of
                # powers of two repeat (f(x + h) - f(x - h) off by the same few ulps for
                # every h) grows like 1/h, which the tableau, fitting powers of h, can take
                # for convergence: this is where it shows.
                err = [max(e, abs(b - s)) for e, b, s in zip(err, row_best, settled)]
                break
            if done:
                settled = list(best)
        h /= 2.0
        if diff.step_taken(h) <= 4.0 * _ULP * abs(diff.x) or h < 4.0 * _TINY:
            break
    if not found:
        return None
    for c in range(m):
        if math.isnan(best[c]) and prev is not None:  # a single row: no extrapolation
            best[c], err[c] = prev[c][0], math.inf
    return best, err, smallest, shrunk, floor, scale


_FINEST_START = 2.0 ** -36  # the smallest first step, relative to |x|
_LARGEST_START = 2.0 ** 1000


def _start(x: float, eps: float | None) -> tuple[float, str]:
    """The first step: the power of two at or below eps (default 2**-7) times max(|x|, 1),
    and a note when it had to be moved: up to 2**-36 |x| when the float grid at x could
    not carry a smaller step to a verdict (the halving would reach its end, a step of a
    few ulps of x, at once), down to 2**1000 when it would overflow."""
    rel = START_STEP if eps is None else eps
    scale = max(abs(x), 1.0) * rel
    note = ""
    finest = _FINEST_START * abs(x)
    if scale < finest:
        scale = finest
        note = (f"eps={rel!r} is a step too small for the float grid at this input (below "
                "2**-36 |x|): the first step was raised to 2**-36 |x|")
    if not scale <= _LARGEST_START:
        scale = _LARGEST_START
        note = "the first step was lowered to 2**1000"
    return 2.0 ** math.floor(math.log2(scale)), note


def estimates(f: Callable[[float], Sequence[float]], x: float, m: int,
              eps: float | None = None, side: str = "central", shift: float = 1.0
              ) -> list[Estimate] | None:
    """A numerical derivative (see :func:`estimate`) of each of the ``m`` outputs of ``f``
    at ``x``, or None where ``f`` cannot be evaluated on that side of ``x``. ``shift``
    scales the first step (a power of two) and so every step after it: ``0.75`` takes
    steps of 0.75 2**-k instead of 2**-k (see :func:`confirmed`)."""
    guarded = _guard(f)
    here = guarded(x)
    if here is None:
        return None
    first, moved = _start(x, eps)
    r = _extrapolate(_Differences(guarded, x, here), first * shift, side, m)
    if r is None:
        return None
    values, errors, step, shrunk, floor, scale = r
    notes = [moved] if moved else []
    if shrunk:
        notes.append("the step was shrunk to stay inside the domain")
    note = "; ".join(notes)
    return [Estimate(v, e, side, step, note, n, s)
            for v, e, n, s in zip(values, errors, floor, scale)]


def estimate(f: Callable[[float], float], x: float, eps: float | None = None,
             side: str = "central", shift: float = 1.0) -> Estimate | None:
    """The derivative of ``f`` at ``x`` by extrapolated finite differences, with an error
    bar: ``side`` ``'central'`` (both sides of x), ``'right'`` or ``'left'`` (one-sided, the
    limit from that side). None when no step on that side stays in ``f``'s domain.
    ``shift`` as for :func:`estimates`."""
    r = estimates(lambda t: (f(t),), x, 1, eps, side, shift)
    return None if r is None else r[0]


# ---------------------------------------------------------------------------------------
# The verdict on an analytic derivative


@dataclass(frozen=True)
class Judgement:
    """The verdict on one analytic derivative: ``verdict`` is ``'ok'``, ``'kink'``,
    ``'wrong'`` or ``'unchecked'``; ``numeric`` the estimate it rests on (for a kink the
    ``left`` and ``right`` limits), ``reason`` why it could not be checked, ``note`` how the
    estimate was taken when that matters (one-sided, a shrunk step)."""

    verdict: str
    numeric: Estimate | None = None
    left: Estimate | None = None
    right: Estimate | None = None
    reason: str = ""
    note: str = ""


def _tolerance(est: Estimate, atol: float, rtol: float) -> float:
    return 3.0 * est.error + rtol * abs(est.value) + atol


def _agrees(a: float, est: Estimate, atol: float, rtol: float) -> bool:
    if math.isinf(a) or math.isnan(a):
        return False
    return abs(a - est.value) <= _tolerance(est, atol, rtol)


def _resolved(a: float, est: Estimate, atol: float, rtol: float) -> bool:
    """The error bar is small enough that a rule off by half would have been seen (or the
    user's atol accepts that precision), or, for a slope within the tolerance of 0, the
    tolerance is below the smallest normal float (f's values are 0 or subnormal: no slope
    of normal size can hide). A slope merely within the error bar is not resolved: a wrong
    slope as small would agree as well. That holds for 0 too (``2 x + 1e25`` does not move
    on any step, whatever its rule says; ``x * x`` at 1e-200 takes 2e-200 and 1e-200
    alike), and for a slope small only against how f moves at larger steps (``x ** 3`` at
    1e-100 against a step's h**2). Against the function's slopes in its other inputs, see
    :func:`against_scale`."""
    tol = _tolerance(est, atol, rtol)
    if tol <= 0.5 * max(abs(a), abs(est.value)) or (atol > 0.0 and tol <= 2.0 * atol):
        return True
    return abs(a) <= tol and tol < _SMALLEST_NORMAL


_SMALLEST_NORMAL = 2.0 ** -1022


def _accepting(est: Estimate, rtol: float) -> str:
    """How to accept what cannot be checked: the atol at which the tolerance is resolved
    (3 error + rtol |numeric| <= atol: see :func:`_resolved`), when the error is finite."""
    need = 3.0 * est.error + rtol * abs(est.value)
    if not math.isfinite(need) or need <= 0.0:
        return ""
    up = float(f"{need:.1e}")  # two significant digits, to nearest ...
    if up < need:  # ... and one digit up where that fell short
        up = float(f"{up + 10.0 ** (math.floor(math.log10(up)) - 1):.1e}")
    return f"; atol={up:.2g} accepts differences this small"


def judge(analytic: float, central: Estimate | None,
          one_sided: Callable[[str], Estimate | None], atol: float, rtol: float) -> Judgement:
    """The verdict on ``analytic`` given the ``central`` estimate; ``one_sided('left')`` /
    ``one_sided('right')`` give the one-sided limits, asked for only when needed (kinks,
    domain edges)."""
    if math.isnan(analytic):
        n = central or one_sided("right") or one_sided("left")
        return Judgement("wrong", n, reason="the analytic derivative is NaN")
    agrees = central is not None and _agrees(analytic, central, atol, rtol)
    if central is not None and agrees and _resolved(analytic, central, atol, rtol):
        return Judgement("ok", central, note=central.note)
    left, right = one_sided("left"), one_sided("right")
    if left is not None and right is not None:
        lo, hi = sorted((left, right), key=lambda e: e.value)
        apart = hi.value - lo.value > _tolerance(lo, atol, rtol) + _tolerance(hi, atol, rtol)
        if apart and math.isfinite(lo.error) and math.isfinite(hi.error):
            if (lo.value - _tolerance(lo, atol, rtol) <= analytic
                    <= hi.value + _tolerance(hi, atol, rtol)):
                return Judgement("kink", central, left, right)
            return Judgement("wrong", central, left, right,
                             note="at a kink, outside the one-sided slopes")
    if central is not None and agrees:
        return Judgement("unchecked", central, reason=(
            f"the numerical derivative {central} cannot tell this slope from a wrong one in "
            "double precision here (too flat or too steep at this input)"
            + _accepting(central, rtol)))
    if central is None:  # at a domain edge: only one side exists
        side = right if right is not None else left
        if side is None:
            return Judgement("unchecked", reason="the function cannot be evaluated on "
                             "either side of this input")
        note = f"one-sided from the {side.side}: the other side leaves the domain"
        if _agrees(analytic, side, atol, rtol):
            if _resolved(analytic, side, atol, rtol):
                return Judgement("ok", side, note=note)
            return Judgement("unchecked", side, reason=(
                f"the one-sided derivative {side} cannot tell this slope from a wrong one "
                "in double precision here" + _accepting(side, rtol)), note=note)
        if math.isinf(analytic) or not math.isfinite(side.error):
            return Judgement("unchecked", side, reason=(
                f"an infinite or unbounded slope ({analytic!r}; the differences do not "
                "converge) cannot be checked by finite differences"), note=note)
        return Judgement("wrong", side, note=note)
    if math.isinf(analytic) and math.isfinite(central.error) and abs(
            central.value) < 2.0 ** 1000 and central.error <= 0.5 * abs(central.value):
        return Judgement("wrong", central, left, right)  # infinite where f moves finitely
    if math.isinf(analytic) or not math.isfinite(central.error):
        return Judgement("unchecked", central, reason=(
            f"an infinite or unbounded slope ({analytic!r}; the differences "
            f"{central} do not converge) cannot be checked by finite differences"))
    return Judgement("wrong", central, left, right)


def slope_scale(judgements: Sequence[Judgement]) -> float:
    """The largest finite |numerical derivative| among ``judgements``, which are one
    function's derivatives in its several inputs: how steeply that function moves at all."""
    values = [abs(j.numeric.value) for j in judgements if j.numeric is not None]
    return max((v for v in values if math.isfinite(v)), default=0.0)


def against_scale(j: Judgement, analytic: float, scale: float, atol: float, rtol: float
                  ) -> Judgement:
    """``j``, or "ok" where ``j`` is an agreement that could not be resolved on its own but
    whose tolerance is within 2**-24 of ``scale``, the largest slope of the same function
    in its other inputs (:func:`slope_scale`): a gradient entry of 1e-20 (a saturated
    tanh's weight) against 0 +- 1e-13 in a loss whose other slopes are near 0.1 is right
    to 2**-24 of that loss's gradient, which is as far as double precision can see it.
    A function of one input has no other slope to weigh against: there it stays
    "cannot be checked here"."""
    n = j.numeric
    if j.verdict != "unchecked" or n is None or not _agrees(analytic, n, atol, rtol):
        return j
    tol = _tolerance(n, atol, rtol)
    if not tol <= _AGAINST_SCALE * scale:
        return j
    note = f"within 2**-24 of the largest slope in any input ({scale:.3g})"
    return Judgement("ok", n, note=f"{j.note}; {note}" if j.note else note)


_WIDER = 2.0 ** 6  # the larger first step tried, relative to eps, while noise decides
_ABOVE_NOISE = 16.0  # how far a larger step's estimate must stand above its noise


def noise_limited(j: Judgement) -> bool:
    """Unresolved because rounding noise, not the function's shape, set the error bar: a
    larger first step can resolve it (f's values move more against the same noise)."""
    n = j.numeric
    return j.verdict == "unchecked" and n is not None and n.error <= 4.0 * n.noise


def wider(judge_at: Callable[[float | None], Judgement], eps: float | None) -> Judgement:
    """``judge_at(eps)``, retried with a first step 2**6 times larger when the verdict is
    "cannot be checked" only because of rounding noise (a slope of 1e-12 on a function of
    size 5 needs steps of 0.1, not 0.01, to stand above the noise). The retry's verdict
    counts only when its estimate stands at least 16 times above its own noise: where the
    slope is still at the noise, a larger step only adds truncation error that the
    extrapolation, seeing noise, cannot measure (``cos`` at pi, slope 1.2e-16, would be
    "measured" as 2e-17 +- 3e-17 from steps of 64), and the first verdict stands."""
    rel = START_STEP if eps is None else eps
    j = judge_at(eps)
    if not noise_limited(j):
        return j
    retry = judge_at(rel * _WIDER)
    n = retry.numeric
    if n is not None and abs(n.value) >= _ABOVE_NOISE * n.noise:
        return retry
    return j


SHIFT = 0.75
"""The steps a "wrong" verdict is taken again on, relative to the first: 0.75 2**-k."""


def disputed(j: Judgement, again: Judgement) -> Judgement:
    """``j``, a "wrong" verdict on steps of 2**-k, given ``again``, the verdict on steps of
    0.75 2**-k: "wrong" stands when both say so; otherwise the two step sequences disagree,
    and the numerical derivative is not to be trusted here: "cannot be checked". A
    function computed with cancellation can err by the same fraction at every power-of-two
    step (``tan(t) - t`` near 0: ``tan(2**-k)`` rounds the same way for every k), which the
    extrapolation takes for a slope; steps of another mantissa round otherwise."""
    if j.verdict != "wrong" or j.reason or again.verdict == "wrong":
        return j
    def said(k: Judgement) -> str:
        n = k.numeric
        return str(n) if n is not None else f"one-sided {k.left} and {k.right}"
    return Judgement("unchecked", j.numeric, j.left, j.right, note=j.note, reason=(
        f"the numerical derivative depends on the steps: {said(j)} on steps of 2**-k, "
        f"{again.verdict} ({said(again)}) on steps of 0.75 2**-k: f's rounding here is "
        "more than an ulp of its value"))


def confirmed(judge_at: Callable[[float | None, float], Judgement], eps: float | None
              ) -> Judgement:
    """The verdict of ``judge_at(eps, shift)`` (shift 1: steps of 2**-k, retried
    :func:`wider`); a "wrong" one is taken again on steps of 0.75 2**-k and stands only if
    they agree (:func:`disputed`). A wrong rule is wrong on any steps; a blame that only one
    step sequence makes comes from how f rounds, not from the rule."""
    j = wider(lambda e: judge_at(e, 1.0), eps)
    if j.verdict != "wrong" or j.reason:
        return j
    return disputed(j, wider(lambda e: judge_at(e, SHIFT), eps))
