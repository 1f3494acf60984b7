"""The numerics under the checkers (``micrograd_nn.differences``): the numbers an estimate
and a verdict rest on, at inputs where one constant or one boundary decides them — the
rounding-noise floor, steps the float grid cannot carry, the extrapolation's accuracy,
``rtol``, and the bounds of "resolved", "kink" and "one-sided"."""

import math

import pytest

from micrograd_nn import CannotCheckError, GradcheckError, Value, custom_op, gradcheck
from micrograd_nn.differences import (
    SHIFT,
    START_STEP,
    Estimate,
    Judgement,
    against_scale,
    check_tolerances,
    confirmed,
    disputed,
    estimate,
    judge,
    noise_limited,
    slope_scale,
    wider,
)
from micrograd_nn.gradcheck import gradcheck_report, numerical_grads

ULP = 2.0 ** -52
TINY = 2.0 ** -1074  # the smallest subnormal


def _no_side(side):
    return None


# ---------------------------------------------------------------------------------------
# estimate: the numbers


SMOOTH = [  # f, x, f'(x)
    ("x**5 at 1", lambda t: t ** 5, 1.0, 5.0),
    ("exp at 0", math.exp, 0.0, 1.0),
    ("exp(10x) at 0", lambda t: math.exp(10.0 * t), 0.0, 10.0),
    ("sin(50x) at 0", lambda t: math.sin(50.0 * t), 0.0, 50.0),
    ("sin at 1", math.sin, 1.0, math.cos(1.0)),
    ("tan at 1.4", math.tan, 1.4, 1.0 / math.cos(1.4) ** 2),
    ("log at 3", math.log, 3.0, 1.0 / 3.0),
    ("atan at 0.5", math.atan, 0.5, 0.8),
]


@pytest.mark.parametrize("name, f, x, slope", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_extrapolation_is_accurate_and_its_error_bar_covers_the_truth(name, f, x, slope):
    """Ridders' tableau gets a smooth function's derivative to about 1e-14 (central) and
    1e-13 (one-sided) relative: within 1e-13 and 2e-12 here, which a wrong extrapolation
    factor (or a plain difference) misses by far; the error bar covers the true value and
    is never below the rounding noise."""
    for side, bound in (("central", 1e-13), ("right", 2e-12), ("left", 2e-12)):
        est = estimate(f, x, side=side)
        assert est is not None and est.side == side
        assert abs(est.value - slope) <= bound * abs(slope), (side, est)
        assert abs(est.value - slope) <= est.error, (side, est)
        assert est.error >= est.noise > 0.0


def test_the_noise_floor_is_two_ulps_of_each_value_doubled():
    """``Estimate.noise`` at the smallest step h of a central difference: 2 (2 ulp (|f(x+h)|
    + |f(x-h)|) + 4 subnormals) / 2h; the error bar does not go below it."""
    est = estimate(math.sin, 1.0)
    h = est.step
    p, q = math.sin(1.0 + h), math.sin(1.0 - h)
    assert est.noise == 2.0 * (2.0 * ULP * (abs(p) + abs(q)) + 4.0 * TINY) / (2.0 * h)
    assert est.error >= est.noise


def test_scale_is_the_largest_difference_quotient_seen():
    """``Estimate.scale``: how steeply f moves on the steps tried (what a slope of 0 is
    weighed against), so 5 for -5t, 1e-3 for 1e-3 t, about 1e-6 for 1e-6 sin t at 0,
    never a floor of its own."""
    assert estimate(lambda t: -5.0 * t, 2.0).scale == 5.0
    assert estimate(lambda t: 1e-3 * t, 2.0).scale == pytest.approx(1e-3, rel=1e-12)
    flat = estimate(lambda t: 1e-6 * math.sin(t), 0.0)
    assert flat.scale == pytest.approx(1e-6, rel=1e-5) and flat.scale <= 1e-6


def test_a_function_that_is_zero_still_has_a_rounding_floor():
    """f = 0: the values carry no ulp, but the subnormal floor keeps the noise (and so the
    error bar) positive: 2 * 4 subnormals / 2h, not 0 or negative."""
    est = estimate(lambda t: 0.0, 1.0)
    assert est.value == 0.0
    assert est.noise == 2.0 * 4.0 * TINY / (2.0 * est.step) > 0.0
    assert est.error == est.noise  # differences that are exact: the bar is the noise


def _root_at(x):
    """sign(t - x) sqrt|t - x|: no slope at x, so the halving never converges and runs to
    its end."""
    def f(t):
        return math.copysign(math.sqrt(abs(t - x)), t - x)
    return f


def test_steps_stop_at_4_ulps_of_x():
    """No step of 4 ulps of x or less is taken (its difference is mostly rounding): at
    x = 1 the last step is 2**-49 (2**-50 is 4 ulps of 1), at x = 0.9 the next, 2**-50,
    still fits (4 ulps of 0.9 are less)."""
    assert estimate(_root_at(1.0), 1.0).step == 2.0 ** -49
    assert estimate(_root_at(0.9), 0.9).step == 2.0 ** -50


def test_steps_stop_at_4_subnormals_at_zero():
    """At x = 0 (no ulp of x to stop at) the steps halve down to 4 subnormals, 2**-1072,
    and no further; sign(t) sqrt|t| never converges there, so it shows the floor."""
    def root(t):
        return math.copysign(math.sqrt(abs(t)), t)

    for side in ("central", "right"):
        assert estimate(root, 0.0, eps=2.0 ** -1068, side=side).step == 2.0 ** -1072


def test_a_first_step_the_float_grid_cannot_carry_is_raised_and_said():
    """At x = 1 a step of 2**-53 vanishes to the right (1 + 2**-53 rounds to 1): no
    verdict may rest on it. The first step is raised to 2**-36 |x| (the note says so), and
    sin at 1 is checked as with any step; a first step of 2**-36 |x| or more is taken as
    given (at x = 0 nothing is raised: the grid is fine there)."""
    for x in (1.0, -1.0, 3.0):
        for side in ("central", "right", "left"):
            est = estimate(math.sin, x, eps=2.0 ** -53, side=side)
            assert "first step was raised to 2**-36 |x|" in est.note, (x, side)
            assert "eps=1.1102230246251565e-16" in est.note
            assert est.step <= 2.0 ** -36 * abs(x) and math.isfinite(est.error)
            assert abs(est.value - math.cos(x)) <= est.error
    at_floor = estimate(math.sin, 1.0, eps=2.0 ** -36)
    assert at_floor.note == "" and at_floor.step <= 2.0 ** -36
    assert "raised" in estimate(math.sin, 1.0, eps=2.0 ** -37).note
    assert estimate(math.sin, 0.0, eps=2.0 ** -60).note == ""
    assert gradcheck(lambda v: v.sin(), [Value(1.0)], eps=2.0 ** -53)
    assert "raised" in str(gradcheck_report(lambda v: v.sin(), [Value(1.0)], eps=2.0 ** -53))


def test_a_first_step_that_would_overflow_is_lowered_to_2_pow_1000():
    est = estimate(lambda t: t * 3.0, 1e300, eps=1e10)
    assert est.note == "the first step was lowered to 2**1000"
    assert est.value == 3.0
    assert estimate(lambda t: t * 3.0, 1e300, eps=2.0 ** 1000 / 1e300).note == ""


def test_a_single_step_gives_its_difference_with_an_unbounded_error_bar():
    """sin defined only within 2**-49 of 1: the steps shrink into that interval, where one
    step fits before the float floor (4 ulps of x), so there is nothing to extrapolate:
    the plain difference with error bar inf, which gradcheck reports as cannot-check, not
    as a wrong rule."""
    def narrow(t):
        if abs(t - 1.0) > 2.0 ** -49:
            raise ValueError("outside")
        return math.sin(t)

    est = estimate(narrow, 1.0)
    assert est is not None and est.step == 2.0 ** -49
    assert est.error == math.inf and est.note == "the step was shrunk to stay inside the domain"
    assert abs(est.value - math.cos(1.0)) <= est.noise
    op = custom_op("narrow", narrow, math.cos)
    with pytest.raises(CannotCheckError) as info:
        gradcheck(op, [Value(1.0)])
    assert "accepts differences" not in str(info.value)  # no atol accepts an unbounded bar


def test_a_difference_that_overflows_is_a_step_outside_the_domain():
    """1.7e308 (128 t)**3 at 0: the first steps' differences overflow to inf (the values
    do not): those steps are left out like steps outside the domain (and the note says
    the step was shrunk); the smaller ones give the slope 0. 1e308 sin(300 t) at 0 has a
    slope beyond the float range: every difference overflows, so there is no estimate."""
    est = estimate(lambda t: 1.7e308 * (t * 128.0) ** 3, 0.0)
    assert est is not None and est.value == 0.0 and math.isfinite(est.error)
    assert est.note == "the step was shrunk to stay inside the domain"
    assert estimate(lambda t: 1e308 * math.sin(300.0 * t), 0.0) is None


def test_no_estimate_where_f_is_undefined_at_x_itself():
    """sin(t)/t is defined on both sides of 0 but not at 0: there is no derivative at x to
    estimate, even though the central differences exist (they are 0)."""
    assert estimate(lambda t: math.sin(t) / t, 0.0) is None
    assert estimate(lambda t: math.sin(t) / t, 0.0, side="right") is None
    assert estimate(lambda t: math.sin(t) / t, 1e-3) is not None


# ---------------------------------------------------------------------------------------
# judge: the verdict, at its boundaries (exact binary fractions, so each bound is met
# exactly)


def test_rtol_widens_the_tolerance_by_rtol_times_the_numeric_value():
    exact = Estimate(1.0, 0.0)
    assert judge(1.0 + 2.0 ** -10, exact, _no_side, 0.0, 2.0 ** -10).verdict == "ok"
    assert judge(1.0 + 2.0 ** -10, exact, _no_side, 0.0, 2.0 ** -11).verdict == "wrong"


def test_gradcheck_rtol_passes_a_rule_within_it_and_reports_one_beyond():
    """A rule 0.1% too large: passes under rtol=1e-2, reported under the default 1e-6."""
    off = custom_op("sin_off_by_0.1%", math.sin, lambda x: 1.001 * math.cos(x))
    assert gradcheck(lambda v: off(v), [Value(1.0)], rtol=1e-2)
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: off(v), [Value(1.0)])


def test_atol_widens_the_tolerance_by_itself():
    exact = Estimate(1.0, 0.0)
    assert judge(1.0 + 2.0 ** -10, exact, _no_side, 2.0 ** -10, 0.0).verdict == "ok"
    assert judge(1.0 + 2.0 ** -10, exact, _no_side, 2.0 ** -11, 0.0).verdict == "wrong"


def test_atol_resolves_when_it_is_at_least_half_the_tolerance():
    """The user's atol accepts that precision: a tolerance (3 error + atol) up to twice
    atol counts as resolved; above that (and with no noise or scale to decide) it cannot
    be checked."""
    e = Estimate(0.0, 2.0 ** -30, scale=2.0 ** -40)  # 3 error = 3 * 2**-30
    assert judge(0.0, e, _no_side, 3.0 * 2.0 ** -30, 0.0).verdict == "ok"  # exactly 2 atol
    assert judge(0.0, e, _no_side, 2.9 * 2.0 ** -30, 0.0).verdict == "unchecked"


def test_a_slope_hidden_in_the_noise_cannot_be_checked_and_the_reason_says_which_atol():
    """A nonzero slope within the error bar, which rounding noise sets: a wrong slope as
    small would agree as well, so it cannot be checked (never "ok"), and the reason gives
    the atol that accepts it (3 error + rtol |numeric|, rounded up). Beyond the tolerance
    it is wrong."""
    e = Estimate(0.0, 2.0 ** -30, noise=2.0 ** -30, scale=2.0 ** -30)
    j = judge(3.0 * 2.0 ** -30, e, _no_side, 0.0, 0.0)
    assert j.verdict == "unchecked" and j.reason.endswith(
        "; atol=2.8e-09 accepts differences this small")  # 3 * 2**-30 = 2.79e-9
    assert judge(3.0 * 2.0 ** -30, e, _no_side, 2.8e-9, 0.0).verdict == "ok"
    assert judge(3.0 * 2.0 ** -30, e, _no_side, 2.7e-9, 0.0).verdict == "unchecked"
    assert judge(4.0 * 2.0 ** -30, e, _no_side, 0.0, 0.0).verdict == "wrong"
    # rtol |numeric| is part of what atol must cover
    j = judge(1.0, Estimate(1.0, 1.0, noise=1.0, scale=1.0), _no_side, 0.0, 0.5)
    assert j.verdict == "unchecked" and j.reason.endswith("; atol=3.5 accepts differences "
                                                          "this small")
    # the large slope under a huge value's noise: 2 against 0 +- 3e4 is not "ok"
    big = Estimate(0.0, 3e4, noise=3e4, scale=3e4)
    assert judge(2.0, big, _no_side, 0.0, 0.0).verdict == "unchecked"
    assert judge(2.0, Estimate(0.0, 3e4, noise=3e4), _no_side, 0.0, 0.0).verdict == \
        "unchecked"


def test_an_infinite_or_nan_analytic_value_never_agrees():
    """inf against an unbounded error bar is not "ok" (it cannot be checked); NaN is wrong,
    saying so, with the estimate it was held against (one-sided where central is None)."""
    j = judge(math.inf, Estimate(1.0, math.inf), _no_side, 0.0, 0.0)
    assert j.verdict == "unchecked" and "infinite" in j.reason
    j = judge(math.nan, Estimate(1.0, 2.0 ** -40), _no_side, 0.0, 0.0)
    assert (j.verdict, j.reason) == ("wrong", "the analytic derivative is NaN")
    right = Estimate(1.0, 2.0 ** -40, "right")
    j = judge(math.nan, None, lambda side: right if side == "right" else None, 0.0, 0.0)
    assert j.verdict == "wrong" and j.numeric is right


def test_resolved_means_a_rule_off_by_half_would_have_been_seen():
    """Tolerance (3 error + rtol |numeric| + atol) at most half the slope: ok. Wider, a rule
    off by half would agree too: cannot be checked, never ok."""
    assert judge(0.75, Estimate(0.75, 0.125), _no_side, 0.0, 0.0).verdict == "ok"  # 0.375
    j = judge(1.0, Estimate(1.0, 0.2), _no_side, 0.0, 0.0)  # tolerance 0.6 > 0.5
    assert j.verdict == "unchecked"
    assert judge(0.5, Estimate(1.0, 0.2), _no_side, 0.0, 0.0).verdict == "unchecked"


def test_atol_alone_can_resolve_when_it_dominates_the_tolerance():
    assert judge(0.0, Estimate(0.0, 2.0 ** -30), _no_side, 2.0 ** -20, 0.0).verdict == "ok"


def test_a_slope_within_the_error_bar_is_resolved_only_below_the_smallest_normal():
    """Within the tolerance of 0, a slope is resolved only when the tolerance is below the
    smallest normal float (f's values 0 or subnormal: no normal slope can hide); a 0 where
    f never moved on any step is not (2 x + 1e25 does not move either)."""
    tiny = 2.0 ** -1026  # 3 error < 2**-1022
    assert judge(0.0, Estimate(0.0, tiny), _no_side, 0.0, 0.0).verdict == "ok"
    assert judge(tiny, Estimate(0.0, tiny), _no_side, 0.0, 0.0).verdict == "ok"
    edge = 2.0 ** -1022 / 3.0  # 3 error just at the smallest normal: not below it
    assert judge(0.0, Estimate(0.0, edge * (1 + 2.0 ** -40)), _no_side, 0.0,
                 0.0).verdict == "unchecked"
    noise = 2.0 ** -40
    for scale in (0.0, noise, 1.0):
        assert judge(0.0, Estimate(0.0, 4.0 * noise, noise=noise, scale=scale), _no_side,
                     0.0, 0.0).verdict == "unchecked"
    assert estimate(lambda t: 0.0 * t, 1.0).error < 2.0 ** -1022
    assert gradcheck(lambda v: (v - 2.0).relu(), [Value(1.0)])  # f = 0: ok
    with pytest.raises(CannotCheckError, match="atol="):
        gradcheck(lambda v: (v - 2.0).relu() + 5.0, [Value(1.0)])  # a plateau at 5


def test_a_slope_small_against_larger_steps_is_not_resolved_by_them():
    """x**3 at 1e-100: central differences of h**2 at the steps tried, a slope of 3e-200.
    Against those steps any slope below 1e-13 looks like 0, so neither the right rule nor
    one giving x**2 may pass; a second input with a real slope resolves both as far as
    2**-24 of it (against_scale), and the wrong one is then still not "wrong" (it cannot
    be seen), only accepted as negligible."""
    cube = custom_op("cube_rule", lambda x: x ** 3, lambda x: 3 * x * x)
    wrong = custom_op("cube_wrong", lambda x: x ** 3, lambda x: x * x)
    for op in (cube, wrong):
        with pytest.raises(CannotCheckError):
            gradcheck(op, [Value(1e-100)])
        assert gradcheck(lambda a, b, op=op: op(a) + b, [Value(1e-100), Value(1.0)])


def test_a_kink_needs_one_sided_slopes_strictly_apart_beyond_their_tolerances():
    """Left 1 ± 0.25, right 2.5 ± 0.25 (tolerances 0.75 each): 1.5 apart is not more than
    0.75 + 0.75, so no kink is claimed; a hair further apart is a kink, every analytic
    value within the one-sided tolerances passes (the bounds included) and one outside is
    wrong."""
    central = Estimate(1.75, 0.5)
    lo = Estimate(1.0, 0.25, "left")

    def sides(right):
        return lambda side: lo if side == "left" else right

    touching = sides(Estimate(2.5, 0.25, "right"))
    assert judge(1.75, central, touching, 0.0, 0.0).verdict == "unchecked"
    hi = Estimate(2.5 + 2.0 ** -10, 0.25, "right")
    apart = sides(hi)
    j = judge(1.75, central, apart, 0.0, 0.0)
    assert (j.verdict, j.left, j.right, j.numeric) == ("kink", lo, hi, central)
    j = judge(1.75, central, lambda side: hi if side == "left" else lo, 0.0, 0.0)
    assert (j.verdict, j.left, j.right) == ("kink", hi, lo)  # as given, whichever is higher
    top = 2.5 + 2.0 ** -10 + 0.75
    for analytic, verdict in ((0.25, "kink"), (0.25 - 2.0 ** -10, "wrong"), (top, "kink"),
                              (top + 2.0 ** -10, "wrong"), (5.0, "wrong")):
        assert judge(analytic, central, apart, 0.0, 0.0).verdict == verdict, analytic


def test_an_infinite_analytic_slope_where_f_moves_finitely_is_wrong():
    """Analytic inf against a converged, finite estimate (error at most half the value,
    the value below 2**1000) is a wrong rule; a wider error bar or a value from 2**1000 up
    (a slope that may really be unbounded) cannot be checked."""
    def verdict(value, error):
        return judge(math.inf, Estimate(value, error), _no_side, 0.0, 0.0).verdict

    assert verdict(4.0, 2.0) == "wrong"  # error exactly half the value
    assert verdict(-4.0, 1.0) == "wrong"
    assert verdict(4096.0, 1.0) == "wrong"
    assert verdict(4.0, 2.0 + 2.0 ** -20) == "unchecked"
    assert verdict(4.0, 3.0) == "unchecked"
    assert verdict(2.0 ** 1000 * (1.0 - 2.0 ** -52), 1.0) == "wrong"
    assert verdict(2.0 ** 1000, 1.0) == "unchecked"
    assert verdict(1.5 * 2.0 ** 1000, 1.0) == "unchecked"
    assert verdict(4.0, math.inf) == "unchecked"


def test_noise_limited_is_unchecked_with_the_error_bar_within_4_times_the_noise():
    noise = 2.0 ** -40
    at_floor = Estimate(1.0, 4.0 * noise, noise=noise)
    above = Estimate(1.0, 4.0 * noise * (1.0 + 2.0 ** -10), noise=noise)
    assert noise_limited(Judgement("unchecked", at_floor))
    assert not noise_limited(Judgement("unchecked", above))
    assert not noise_limited(Judgement("ok", at_floor))
    assert not noise_limited(Judgement("unchecked"))
    assert noise_limited(Judgement("unchecked", Estimate(0.0, 3.0, noise=1.0)))
    assert not noise_limited(Judgement("unchecked", Estimate(0.0, 5.0, noise=1.0)))


def test_one_sided_at_a_domain_edge_resolved_is_ok_unresolved_cannot_check():
    def right_only(est):
        return lambda side: est if side == "right" else None

    j = judge(1.0, None, right_only(Estimate(1.0, 2.0 ** -40, "right")), 0.0, 0.0)
    assert j.verdict == "ok" and "one-sided from the right" in j.note
    j = judge(1.0, None, right_only(Estimate(1.0, 0.2, "right")), 0.0, 0.0)
    assert j.verdict == "unchecked" and "one-sided" in j.reason
    assert judge(2.0, None, right_only(Estimate(1.0, 2.0 ** -40, "right")), 0.0,
                 0.0).verdict == "wrong"


def test_gradcheck_at_a_domain_edge_passes_a_right_rule_one_sided():
    """x**2 + x defined for x >= 0 only, at 0: the slope 1 is checked from the right."""
    def forward(x):
        if x < 0.0:
            raise ValueError(f"halfline is undefined at {x!r}")
        return x * x + x

    halfline = custom_op("halfline", forward, lambda x: 2.0 * x + 1.0)
    assert gradcheck(lambda v: halfline(v), [Value(0.0)])
    wrong = custom_op("halfline_wrong", forward, lambda x: 2.0 * x + 1.5)
    with pytest.raises(GradcheckError):
        gradcheck(lambda v: wrong(v), [Value(0.0)])


# ---------------------------------------------------------------------------------------
# arguments and what f may give


@pytest.mark.parametrize("args, error, message", [
    ((-1.0, 0.0, 0.0), ValueError, "gradcheck: eps must be a finite number > 0, got -1.0"),
    ((0, 0.0, 0.0), ValueError, "gradcheck: eps must be a finite number > 0, got 0"),
    ((1e-6, -1, 0.0), ValueError, "gradcheck: atol must be a finite number >= 0, got -1"),
    ((1e-6, 0.0, math.inf), ValueError, "gradcheck: rtol must be a finite number >= 0, got inf"),
    ((1e-6, 0.0, "x"), TypeError, "gradcheck: rtol must be a number, got str 'x'"),
    ((None, True, 0.0), TypeError, "gradcheck: atol must be a number, got bool True"),
])
def test_tolerance_errors_say_what_is_needed(args, error, message):
    with pytest.raises(error) as info:
        check_tolerances("gradcheck", *args)
    assert str(info.value) == message


def test_tolerances_come_back_as_floats_eps_none_allowed():
    assert check_tolerances("f", None, 0, 1) == (None, 0.0, 1.0)
    out = check_tolerances("f", 1, 2, 3)
    assert out == (1.0, 2.0, 3.0) and all(type(v) is float for v in out)


def test_f_may_give_values_and_leaves_its_domain_by_raising_or_by_nonfinite_results():
    """A Value result counts as its number; ValueError, ArithmeticError (ZeroDivisionError,
    OverflowError) or an inf/NaN result mean "outside the domain" (one-sided at the edge);
    any other exception is a bug in f and propagates."""
    est = estimate(lambda t: Value(t) * Value(t), 3.0)
    assert est is not None and abs(est.value - 6.0) <= 1e-12

    def edge(raise_or_give):
        def f(t):
            if t < 1.0:
                return raise_or_give()
            return t * t
        return f

    def overflow():
        raise OverflowError("too big")

    def divide():
        return 1.0 / 0.0

    def domain():
        raise ValueError("outside")

    for below in (overflow, divide, domain, lambda: math.inf, lambda: math.nan,
                  lambda: Value(math.nan)):
        f = edge(below)
        assert estimate(f, 1.0) is None  # no two-sided step at the edge
        right = estimate(f, 1.0, side="right")
        assert right is not None and abs(right.value - 2.0) <= 1e-10

    def bug(t):
        raise TypeError("a bug in f")

    with pytest.raises(TypeError, match="a bug in f"):
        estimate(bug, 1.0)


def test_wider_retries_a_larger_first_step_once_and_keeps_it_only_above_the_noise():
    """wider(judge_at, eps): judge_at(eps); when that is unchecked because of rounding
    noise, judge_at(2**6 eps) (the default 2**-7 for None), whose verdict counts only when
    its estimate stands at least 16 times above its own noise."""
    noisy = Judgement("unchecked", Estimate(0.0, 1.0, noise=1.0))
    settled = Judgement("ok", Estimate(16.0, 1.0, noise=1.0))
    below = Judgement("wrong", Estimate(15.9, 1.0, noise=1.0))
    negative = Judgement("ok", Estimate(-16.0, 1.0, noise=1.0))

    def recorder(verdicts):
        asked = []

        def judge_at(eps):
            asked.append(eps)
            return verdicts[len(asked) - 1]
        return asked, judge_at

    asked, judge_at = recorder([noisy, noisy])
    assert wider(judge_at, None) is noisy
    assert asked == [None, START_STEP * 2.0 ** 6]
    asked, judge_at = recorder([noisy, settled])
    assert wider(judge_at, 1e-6) is settled and asked == [1e-6, 1e-6 * 2.0 ** 6]
    asked, judge_at = recorder([noisy, below])
    assert wider(judge_at, 1e-6) is noisy
    asked, judge_at = recorder([noisy, negative])
    assert wider(judge_at, 1e-6) is negative
    asked, judge_at = recorder([noisy, Judgement("unchecked")])
    assert wider(judge_at, 1e-6) is noisy
    asked, judge_at = recorder([settled])
    assert wider(judge_at, 1e-6) is settled and asked == [1e-6]


def test_cos_at_pi_is_not_measured_from_steps_larger_than_its_period():
    """cos at pi: slope -sin(pi) = -1.2e-16 on a function of size 1, below what double
    precision resolves. Steps of 64 (a first step 2**12 times the default) once "measured"
    it as 2.3e-17 +- 2.7e-17 and blamed the rule; now it cannot be checked, and a wrong
    rule there cannot pass either."""
    with pytest.raises(CannotCheckError):
        gradcheck(lambda v: v.cos(), [Value(math.pi)])
    flipped = custom_op("flipped", math.cos, lambda x: math.sin(x))
    with pytest.raises(CannotCheckError):
        gradcheck(flipped, [Value(math.pi)])


# ---------------------------------------------------------------------------------------
# numerical_grads: the estimate per input, one-sided at a domain edge, NaN where none


def _only(where, name):
    """x*x + x, defined only where ``where(x)``."""
    def forward(x):
        if not where(x):
            raise ValueError(f"{name} is undefined at {x!r}")
        return x * x + x
    return custom_op(name, forward, lambda x: 2.0 * x + 1.0)


def test_numerical_grads_per_input_and_the_data_put_back():
    a, b = Value(2.0), Value(-3.0)
    grads = numerical_grads(lambda p, q: p * q + q.sin(), [a, b])
    assert grads == [pytest.approx(-3.0, rel=1e-12), pytest.approx(2.0 + math.cos(-3.0),
                                                                   rel=1e-12)]
    assert (a.data, b.data) == (2.0, -3.0)


def test_numerical_grads_go_one_sided_at_a_domain_edge_and_nan_where_no_step_fits():
    right = _only(lambda x: x >= 0.0, "from_zero_up")
    left = _only(lambda x: x <= 0.0, "up_to_zero")
    point = _only(lambda x: x == 0.0, "only_at_zero")
    grads = numerical_grads(lambda u, v, w: right(u) + left(v) + point(w),
                            [Value(0.0), Value(0.0), Value(0.0)])
    assert grads[:2] == [pytest.approx(1.0, rel=1e-12), pytest.approx(1.0, rel=1e-12)]
    assert math.isnan(grads[2])


def test_fast_mode_scales_its_directions_to_the_inputs_so_large_inputs_are_checked():
    """Each direction moves every input by its own magnitude: at inputs near 1e17 a
    direction of size 1 (or 1/|x|) would not move them past rounding, and a slope off by
    a factor of 2 would hide in the noise."""
    twice = custom_op("square_slope_doubled", lambda x: x * x, lambda x: 4.0 * x)
    xs = [Value(1e17 * (i + 1)) for i in range(5)]
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda *vs: Value.sum([twice(v) for v in vs]), xs, fast=True)
    assert {m.node.op for m in info.value.ops} == {"square_slope_doubled"}
    assert gradcheck(lambda *vs: Value.sum([v * v for v in vs]), xs, fast=True)


def test_fast_mode_passes_right_gradients_at_large_inputs_without_falling_back():
    """The wrong slope above is also caught by the per-input check fast mode falls back
    to; what only the scaled direction gives is the pass without that fall back: a step of
    2**-7 along a direction of size 1 (or 1/|x|) leaves 1e17 where it is."""
    calls = []

    def f(*vs):
        calls.append(1)
        return Value.sum([v * v for v in vs])

    xs = [Value(1e17 * (i + 1)) for i in range(30)]
    assert gradcheck(f, xs, fast=True)
    assert len(calls) < 2 * len(xs)  # the per-input check needs at least two per input


def test_fast_mode_first_step_is_eps_times_each_inputs_magnitude():
    """``eps`` is the first step relative to max(|x|, 1) in fast mode too: along a direction
    of ±max(|x_i|, 1) the farthest any input moves is eps * max(|x_i|, 1), and with no
    eps, START_STEP times that."""
    base = [0.5, -2.0, 3.0]

    def farthest(eps):
        moved = [0.0] * len(base)

        def f(*vs):
            for k, v in enumerate(vs):
                moved[k] = max(moved[k], abs(v.data - base[k]))
            return Value.sum([v * v for v in vs])

        assert gradcheck(f, [Value(x) for x in base], fast=True, eps=eps)
        return moved

    for eps, first in ((2.0 ** -3, 2.0 ** -3), (None, START_STEP)):
        assert farthest(eps) == [first * max(abs(x), 1.0) for x in base]


def test_fast_mode_passes_with_the_atol_it_is_given_without_falling_back():
    """A flat function's slope 0 cannot be told from a wrong one without an atol; given
    one, every direction passes, so the per-input check never runs."""
    calls = []

    def f(*vs):
        calls.append(1)
        return Value.sum([(v - 2.0).relu() for v in vs]) + 5.0

    xs = [Value(1.0) for _ in range(30)]
    with pytest.raises(CannotCheckError):
        gradcheck(f, xs, fast=True)
    calls.clear()
    assert gradcheck(f, xs, fast=True, atol=1e-6)
    assert len(calls) < 2 * len(xs)


def test_fast_mode_directions_have_random_signs():
    """Errors that cancel along (1, 1) — a rule giving (2, 0) for x + y, true (1, 1) — are
    caught by a direction with opposite signs (seed 0 draws one among its 3)."""
    lopsided = custom_op("lopsided_add", lambda x, y: x + y, lambda x, y: (2.0, 0.0))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: lopsided(a, b), [Value(0.5), Value(0.25)], fast=True)
    assert {m.node.op for m in info.value.ops} == {"lopsided_add"}


def test_fast_mode_on_right_gradients_costs_fewer_evaluations_than_two_per_input():
    """A few directions of a few evaluations each, no fall back to the per-input check
    (which needs at least two per input) when every gradient is right."""
    calls = []

    def f(*vs):
        calls.append(1)
        return Value.sum([v.sin() * v for v in vs])

    xs = [Value(0.1 * (i + 1)) for i in range(20)]
    assert gradcheck(f, xs, fast=True)
    fast = len(calls)
    calls.clear()
    assert gradcheck(f, xs)
    assert fast < 2 * len(xs) <= len(calls)


# ---------------------------------------------------------------------------------------
# exactness demanded: rtol = atol = 0 next to powers of two


def test_exp_next_to_powers_of_two_is_never_blamed_with_rtol_and_atol_zero():
    """exp(10 t) just below and above 2**k, with rtol = atol = 0: the tolerance, 3 error
    bars, must cover the truth. x + h and x - h round to steps of unequal length there (the
    three-point formula takes them), and exp's rounded argument leaves an offset that every
    power-of-two step repeats, which grows like 1/h: the row after the halving stops sees
    it (at 31.99999999999999 it once made a bar 10 times too small, and 16 of 612 such
    points were blamed)."""
    x = 31.99999999999999
    est = estimate(lambda t: math.exp(10.0 * t), x)
    assert abs(est.value - 10.0 * math.exp(10.0 * x)) <= 3.0 * est.error
    assert est.error > 2e-13 * est.value  # not the 5.7e-14 relative of the tableau alone
    for k in (3, 4, 5, 6):
        base = 2.0 ** k
        for x in (base - math.ulp(base) / 2, base - math.ulp(base), base + math.ulp(base),
                  -(base - math.ulp(base))):
            if abs(10.0 * x) > 700.0:
                continue
            report = gradcheck_report(lambda v: (v * 10.0).exp(), [Value(x)], atol=0.0,
                                      rtol=0.0)
            assert not report.wrong, report


def test_a_pole_just_past_a_power_of_two_is_not_blamed_with_rtol_and_atol_zero():
    """1 / (c - t) with c a hair (1e-5 relative) above x = 2**k - ulp: f'' / f' is 2e5 / x,
    so dividing the central difference by up + down when x + h rounds up to the coarser
    grid (up != down) would leave (up - down) f''/2, a bias that does not shrink with h.
    The three-point formula for unequal steps has none; with the plain division all 18 of
    these were blamed."""
    for k in range(-12, 6):
        x = 2.0 ** k - math.ulp(2.0 ** k) / 2
        c = x + 1e-5 * x
        report = gradcheck_report(lambda v, c=c: 1 / (c - v), [Value(x)], atol=0.0, rtol=0.0)
        assert not report.wrong, (k, report)


# ---------------------------------------------------------------------------------------
# against_scale: a slope hidden in the noise, weighed against the function's other slopes


def test_against_scale_accepts_only_an_agreeing_unresolved_slope_within_2_pow_minus_24():
    e = Estimate(0.0, 2.0 ** -30, noise=2.0 ** -30)  # tolerance 3 * 2**-30
    hidden = judge(2.0 ** -31, e, _no_side, 0.0, 0.0)
    assert hidden.verdict == "unchecked"
    at_edge = 3.0 * 2.0 ** -6  # 2**-24 * scale == the tolerance exactly
    j = against_scale(hidden, 2.0 ** -31, at_edge, 0.0, 0.0)
    assert j.verdict == "ok" and j.numeric is e
    assert j.note == "within 2**-24 of the largest slope in any input (0.0469)"
    assert against_scale(hidden, 2.0 ** -31, at_edge * (1 - 2.0 ** -20), 0.0,
                         0.0) is hidden
    # an analytic value outside the tolerance is not accepted, however large the scale
    assert against_scale(hidden, 4.0 * 2.0 ** -30, 1e300, 0.0, 0.0) is hidden
    for other in (Judgement("ok", e), Judgement("wrong", e), Judgement("kink", e),
                  Judgement("unchecked", None, reason="no estimate")):
        assert against_scale(other, 0.0, 1e300, 0.0, 0.0) is other
    noted = Judgement("unchecked", e, note="one-sided from the right")
    assert against_scale(noted, 0.0, 1.0, 0.0, 0.0).note == (
        "one-sided from the right; within 2**-24 of the largest slope in any input (1)")


def test_slope_scale_is_the_largest_finite_numerical_slope():
    js = [Judgement("ok", Estimate(-3.0, 0.1)), Judgement("unchecked"),
          Judgement("ok", Estimate(math.inf, 0.1)), Judgement("wrong", Estimate(2.0, 0.1))]
    assert slope_scale(js) == 3.0
    assert slope_scale([Judgement("unchecked")]) == 0.0 and slope_scale([]) == 0.0


def test_gradcheck_and_gradgradcheck_weigh_a_hidden_slope_against_the_other_inputs():
    """a**3 + b*b at a = 1e-100: the slope in a (3e-200) and the second derivative in a
    (6e-100) are hidden in the noise, the ones in b are not (2 b, 2): with b beside it, a's
    are accepted as within 2**-24 of b's, and the report says so; alone they cannot be."""
    from micrograd_nn import gradgradcheck

    def f(a, b):
        return a ** 3 + b * b

    report = gradcheck_report(f, [Value(1e-100), Value(1.5)])
    assert report.ok
    assert "within 2**-24 of the largest slope in any input (3)" in str(report)
    assert gradgradcheck(f, [1e-100, 1.5])
    with pytest.raises(CannotCheckError):
        gradgradcheck(lambda a: a ** 3, [1e-100])


# ---------------------------------------------------------------------------------------
# confirmed: a "wrong" verdict taken again on steps of another mantissa


def test_a_blame_only_one_step_sequence_makes_is_not_a_verdict():
    """tan(t) - t at 0: tan(2**-k) rounds the same way for every k, so on steps of 2**-k
    the differences converge to -1.04e-16 with an error bar of 4.4e-24 and the slope 0
    would be blamed; on steps of 0.75 2**-k they do not. Two step sequences that disagree
    make it "cannot be checked", saying both; a wrong rule there is wrong on both."""
    def f(v):
        return Value.sum([v.tan(), -v])

    on_powers = estimate(lambda t: math.fsum([math.tan(t), -t]), 0.0)
    assert on_powers.value == pytest.approx(-1.0362081563168128e-16, rel=1e-12)
    assert on_powers.error < 1e-20
    report = gradcheck_report(f, [Value(0.0)])
    assert not report.wrong and len(report.unchecked) == 1
    reason = report.unchecked[0].judgement.reason
    assert reason.startswith("the numerical derivative depends on the steps: "
                             "-1.0362081563168128e-16 ± 4.4e-24 on steps of 2**-k, unchecked (")
    assert reason.endswith("on steps of 0.75 2**-k: f's rounding here is more than an ulp "
                           "of its value")
    off = custom_op("tan_minus", lambda x: math.fsum([math.tan(x), -x]),
                    lambda x: math.tan(x) ** 2 + 0.5)
    assert gradcheck_report(off, [Value(0.0)]).wrong


def test_shift_scales_every_step_and_confirmed_asks_again_only_for_wrong():
    est = estimate(math.sin, 1.0, shift=SHIFT)
    plain = estimate(math.sin, 1.0)
    assert est.step / plain.step in (SHIFT, 2 * SHIFT, SHIFT / 2)
    assert abs(est.value - math.cos(1.0)) <= est.error

    asked = []

    def judge_at(verdicts):
        def at(eps, shift):
            asked.append((eps, shift))
            return verdicts[shift]
        return at

    wrong = Judgement("wrong", Estimate(1.0, 0.0))
    ok = Judgement("ok", Estimate(1.0, 0.0))
    assert confirmed(judge_at({1.0: ok}), None) is ok and asked == [(None, 1.0)]
    asked.clear()
    assert confirmed(judge_at({1.0: wrong, SHIFT: wrong}), 1e-3) is wrong
    assert asked == [(1e-3, 1.0), (1e-3, SHIFT)]
    j = confirmed(judge_at({1.0: wrong, SHIFT: ok}), None)
    assert j.verdict == "unchecked" and j.numeric is wrong.numeric
    assert "ok (1.0 ± 0) on steps of 0.75 2**-k" in j.reason
    nan = Judgement("wrong", reason="the analytic derivative is NaN")
    asked.clear()
    assert confirmed(judge_at({1.0: nan, SHIFT: ok}), None) is nan and len(asked) == 1
    kink = Judgement("wrong", None, Estimate(0.0, 0.0), Estimate(1.0, 0.0))
    j = disputed(kink, ok)
    assert j.verdict == "unchecked" and "one-sided 0.0 ± 0 and 1.0 ± 0 on steps of 2**-k" in \
        j.reason
    assert disputed(ok, wrong) is ok


# ---------------------------------------------------------------------------------------
# the bounds of "resolved" and of the atol a reason suggests, exactly


def test_a_slope_equal_to_a_subnormal_tolerance_is_resolved_and_a_normal_one_is_not():
    """|a| <= tol (not <): a = 3 * 2**-1030, error 2**-1030, so the tolerance is a itself,
    subnormal: ok. A tolerance of exactly 2**-1022, the smallest normal (3 * 2**-1024 from
    the error bar + 1 * 2**-1024 from rtol), is not below it: cannot be checked."""
    e = Estimate(0.0, 2.0 ** -1030)
    assert judge(3.0 * 2.0 ** -1030, e, _no_side, 0.0, 0.0).verdict == "ok"
    at_normal = Estimate(2.0 ** -1024, 2.0 ** -1024)
    assert judge(0.0, at_normal, _no_side, 0.0, 1.0).verdict == "unchecked"
    below = Estimate(2.0 ** -1024, 2.0 ** -1024 * (1 - 2.0 ** -20))
    assert judge(0.0, below, _no_side, 0.0, 1.0).verdict == "ok"


def test_the_suggested_atol_counts_rtol_times_the_numeric_value():
    """The atol a reason suggests covers 3 error + rtol |numeric|: with numeric 4, error 4
    and rtol 0.5 that is 12 + 2 = 14 (rtol alone would give 12.5), and it does accept."""
    est = Estimate(4.0, 4.0, noise=4.0)
    j = judge(4.0, est, _no_side, 0.0, 0.5)
    assert j.verdict == "unchecked" and j.reason.endswith("; atol=14 accepts differences "
                                                          "this small")
    assert judge(4.0, est, _no_side, 14.0, 0.5).verdict == "ok"
    assert judge(4.0, est, _no_side, 13.9, 0.5).verdict == "unchecked"


def test_a_zero_function_keeps_its_subnormal_floor_on_steps_of_unequal_length():
    """f = 0 just below 2, where x + h rounds to a coarser grid than x - h: the three-point
    formula's weights (down**2 and up**2 over up down (up + down)) scale the subnormal
    floor as they scale the values' rounding, so the noise is 2 * 4 subnormals * (wu + wd),
    not a bare 4 subnormals or 4 subnormals divided by the weights."""
    x = 2.0 - 2.0 ** -52
    est = estimate(lambda t: 0.0, x)
    h = est.step
    up, down = (x + h) - x, x - (x - h)
    assert up != down
    width = up * down * (up + down)
    assert est.noise == 2.0 * 4.0 * TINY * (down * down / width + up * up / width) > 0.0


def test_the_noise_floor_on_steps_of_unequal_length_weighs_each_difference():
    """sin just below 2: the noise at the smallest step is 2 (2 ulp (wu (|f(x+up)| + |f(x)|)
    + wd (|f(x)| + |f(x-down)|)) + 4 subnormals (wu + wd)), each difference's rounding
    weighted as the formula weighs the difference itself."""
    x = 2.0 - 2.0 ** -52
    est = estimate(math.sin, x)
    h = est.step
    up, down = (x + h) - x, x - (x - h)
    assert up != down
    width = up * down * (up + down)
    wu, wd = down * down / width, up * up / width
    p, c, q = math.sin(x + up), math.sin(x), math.sin(x - down)
    assert est.noise == 2.0 * (2.0 * ULP * (wu * (abs(p) + abs(c)) + wd * (abs(c) + abs(q)))
                               + 4.0 * TINY * (wu + wd))
    assert est.error >= est.noise


def test_the_suggested_atol_is_rounded_up_to_two_digits_and_always_accepts():
    """3 error = 2.81e-9 gives atol=2.9e-09 (2.8e-09 would fall short), 2.79e-9 gives
    2.8e-09, 9.96 gives 10; over 2,000 error bars from 1e-300 to 1e300 the atol a reason
    suggests is at least 3 error and at most 10% above it, and judge then accepts."""
    def suggested(error):
        j = judge(0.0, Estimate(0.0, error, noise=error), _no_side, 0.0, 0.0)
        assert j.verdict == "unchecked"
        return j.reason.rsplit("atol=", 1)[1].split(" ")[0]

    assert suggested(2.81e-9 / 3) == "2.9e-09"
    assert suggested(2.79e-9 / 3) == "2.8e-09"
    assert suggested(9.96 / 3) == "10"
    import random

    rng = random.Random(18)
    for _ in range(2000):
        error = 10.0 ** rng.uniform(-300.0, 300.0)
        atol = float(suggested(error))
        assert 3.0 * error <= atol <= 3.3 * error, (error, atol)
        est = Estimate(0.0, error, noise=error)
        assert judge(0.0, est, _no_side, atol, 0.0).verdict == "ok"


def test_cannot_check_reasons_say_why_then_which_atol_accepts():
    e = Estimate(0.0, 2.0 ** -30, noise=2.0 ** -30)
    j = judge(2.0 ** -31, e, _no_side, 0.0, 0.0)
    assert j.reason == (f"the numerical derivative {e} cannot tell this slope from a wrong one "
                        "in double precision here (too flat or too steep at this input); "
                        "atol=2.8e-09 accepts differences this small")
    right = Estimate(0.0, 2.0 ** -30, "right", noise=2.0 ** -30)
    j = judge(2.0 ** -31, None, lambda side: right if side == "right" else None, 0.0, 0.0)
    assert j.reason == (f"the one-sided derivative {right} cannot tell this slope from a "
                        "wrong one in double precision here; atol=2.8e-09 accepts "
                        "differences this small")
    assert j.note == "one-sided from the right: the other side leaves the domain"


def test_no_estimate_on_either_side_cannot_be_checked_and_says_so():
    j = judge(1.0, None, _no_side, 0.0, 0.0)
    assert (j.verdict, j.numeric, j.reason) == (
        "unchecked", None, "the function cannot be evaluated on either side of this input")
    isolated = custom_op("isolated", lambda x: 1.0 if x == 0.5 else math.log(-1.0),
                         lambda x: 0.0)
    report = gradcheck_report(isolated, [Value(0.5)])
    assert "cannot be evaluated on either side" in str(report.unchecked[0])


def test_an_overflowing_difference_on_steps_of_unequal_length_is_outside_the_domain():
    """As at even steps: 1e308 sin(300 (t - x)) just below 2 has a slope beyond the float
    range, every difference overflows, and there is no estimate (not an inf or a NaN)."""
    x = 2.0 - 2.0 ** -52
    assert (x + START_STEP * 2.0) - x != x - (x - START_STEP * 2.0)  # steps of unequal length
    assert estimate(lambda t: 1e308 * math.sin(300.0 * (t - x)), x) is None
