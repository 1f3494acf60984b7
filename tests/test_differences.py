"""The numerics under the checkers (``micrograd_nn.differences``): the numbers an estimate
and a verdict rest on, at inputs where one constant or one boundary decides them — the
rounding-noise floor, steps the float grid cannot carry, the extrapolation's accuracy,
``rtol``, and the bounds of "resolved", "kink" and "one-sided"."""

import math

import pytest

from micrograd_nn import CannotCheckError, GradcheckError, Value, custom_op, gradcheck
from micrograd_nn.differences import (
    START_STEP,
    Estimate,
    Judgement,
    check_tolerances,
    estimate,
    judge,
    noise_limited,
    wider,
)
from micrograd_nn.gradcheck import numerical_grads

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


def test_steps_stop_at_4_ulps_of_x():
    """No step of 4 ulps of x or less is taken (its difference is mostly rounding): at
    x = 1 a first step of 2**-49 is the only one (2**-50 is 4 ulps of 1), at x = 0.9 the
    next, 2**-50, still fits (4 ulps of 0.9 are less)."""
    at_1 = estimate(math.sin, 1.0, eps=2.0 ** -49)
    assert at_1.step == 2.0 ** -49 and at_1.error == math.inf
    at_09 = estimate(math.sin, 0.9, eps=2.0 ** -49)
    assert at_09.step == 2.0 ** -50 and math.isfinite(at_09.error)


def test_steps_stop_at_4_subnormals_at_zero():
    """At x = 0 (no ulp of x to stop at) the steps halve down to 4 subnormals, 2**-1072,
    and no further; sign(t) sqrt|t| never converges there, so it shows the floor."""
    def root(t):
        return math.copysign(math.sqrt(abs(t)), t)

    for side in ("central", "right"):
        assert estimate(root, 0.0, eps=2.0 ** -1068, side=side).step == 2.0 ** -1072


def test_a_step_the_float_grid_cannot_carry_gives_no_estimate():
    """At x = 1 a step of 2**-53 vanishes to the right (1 + 2**-53 rounds to 1) though not
    to the left, at x = -1 to the left only: no difference may be taken with it on any
    side (no division by 0), and gradcheck says it cannot check rather than judging."""
    for x in (1.0, -1.0):
        for side in ("central", "right", "left"):
            assert estimate(math.sin, x, eps=2.0 ** -53, side=side) is None, (x, side)
        assert estimate(math.sin, x, eps=2.0 ** -52) is not None
    with pytest.raises(CannotCheckError):
        gradcheck(lambda v: v.sin(), [Value(1.0)], eps=2.0 ** -53)


def test_a_single_step_gives_its_difference_with_an_unbounded_error_bar():
    """eps = 2**-50 at x = 1: one step fits before the float floor (4 ulps of x), so there
    is nothing to extrapolate: the plain difference (rounded to 0.5 here) with error bar
    inf, which gradcheck reports as cannot-check, not as a wrong rule."""
    est = estimate(math.sin, 1.0, eps=2.0 ** -50)
    assert est is not None
    assert est.value == 0.5 and est.error == math.inf
    assert abs(est.value - math.cos(1.0)) <= est.noise
    with pytest.raises(CannotCheckError):
        gradcheck(lambda v: v.sin(), [Value(1.0)], eps=2.0 ** -50)


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
    e = Estimate(0.0, 2.0 ** -30)  # 3 error = 3 * 2**-30
    assert judge(0.0, e, _no_side, 3.0 * 2.0 ** -30, 0.0).verdict == "ok"  # exactly 2 atol
    assert judge(0.0, e, _no_side, 2.9 * 2.0 ** -30, 0.0).verdict == "unchecked"


def test_a_nonzero_slope_within_the_tolerance_is_confirmed_at_the_noise_floor():
    """|analytic| equal to the tolerance still counts as "indistinguishable from 0 within
    the noise": ok, not cannot-check."""
    e = Estimate(0.0, 2.0 ** -30, noise=2.0 ** -30)
    assert judge(3.0 * 2.0 ** -30, e, _no_side, 0.0, 0.0).verdict == "ok"
    assert judge(4.0 * 2.0 ** -30, e, _no_side, 0.0, 0.0).verdict == "wrong"


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


def test_a_zero_slope_is_confirmed_at_the_noise_floor_and_not_above_it():
    """Slope 0: ok when the error bar is within 4 times the rounding noise (double precision
    can do no better), cannot-check just above it (unless f is that flat against its own
    scale, below)."""
    noise = 2.0 ** -40
    assert judge(0.0, Estimate(0.0, 4.0 * noise, noise=noise), _no_side, 0.0,
                 0.0).verdict == "ok"
    assert judge(0.0, Estimate(0.0, 4.0 * noise * (1.0 + 2.0 ** -10), noise=noise),
                 _no_side, 0.0, 0.0).verdict == "unchecked"


def test_a_zero_slope_is_confirmed_to_2_pow_minus_24_of_the_function_scale():
    """Slope 0 with noise not deciding: ok when the tolerance is within 2**-24 of the
    largest difference quotient seen (f is that flat against how it moves at this scale),
    cannot-check when it is not."""
    e = 2.0 ** -30  # tolerance 3 * 2**-30
    assert judge(0.0, Estimate(0.0, e, scale=3.0 * 2.0 ** -6), _no_side, 0.0,
                 0.0).verdict == "ok"  # exactly 2**-24 * scale
    assert judge(0.0, Estimate(0.0, e, scale=3.0 * 2.0 ** -7), _no_side, 0.0,
                 0.0).verdict == "unchecked"
    assert judge(0.0, Estimate(0.0, 1e-3, scale=1.0), _no_side, 0.0,
                 0.0).verdict == "unchecked"
    # a nonzero analytic value beyond the tolerance is never confirmed this way
    assert judge(2.0 ** -20, Estimate(0.0, e, scale=1.0), _no_side, 0.0,
                 0.0).verdict == "wrong"


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


def test_wider_retries_larger_first_steps_only_while_noise_decides():
    """wider(judge_at, eps): judge_at(eps), then first steps 2**6 and 2**12 times eps (the
    default 2**-7 for None), stopping at the first verdict that rounding noise did not
    leave unresolved."""
    noisy = Judgement("unchecked", Estimate(0.0, 1.0, noise=1.0))
    settled = Judgement("ok", Estimate(1.0, 0.0))

    def recorder(verdicts):
        asked = []

        def judge_at(eps):
            asked.append(eps)
            return verdicts[len(asked) - 1]
        return asked, judge_at

    asked, judge_at = recorder([noisy, noisy, noisy])
    assert wider(judge_at, None) is noisy
    assert asked == [None, START_STEP * 2.0 ** 6, START_STEP * 2.0 ** 12]
    asked, judge_at = recorder([noisy, settled])
    assert wider(judge_at, 1e-6) is settled and asked == [1e-6, 1e-6 * 2.0 ** 6]
    asked, judge_at = recorder([settled])
    assert wider(judge_at, 1e-6) is settled and asked == [1e-6]


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
