"""Edges of the engine, each with its documented result: derivatives at awkward points,
saturation and near-overflow, exact sums, graphs reused and rerun, mixed number types,
errors that leave nothing behind, and no change to interpreter-wide settings.

(The plain error cases, backward on a leaf or twice, no_grad across threads and the
1,000,000-node chain are in test_engine.py.)
"""

import gc
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from micrograd_nn import AnomalyError, Value, detect_anomaly

# --- derivatives at awkward points ------------------------------------------------------


def _grad(build, x: float) -> tuple[float, float]:
    """(value, derivative) of ``build`` at ``x`` by backward()."""
    v = Value(x)
    out = build(v)
    out.backward()
    return out.data, v.grad


@pytest.mark.parametrize("build, x, expected", [
    (lambda v: v.relu(), 0.0, (0.0, 0.0)),  # the kink: grad 0, as PyTorch
    (lambda v: v.relu(), -0.0, (0.0, 0.0)),
    (lambda v: v ** 0, 3.0, (1.0, 0.0)),
    (lambda v: v ** 0, 0.0, (1.0, 0.0)),  # 0 ** 0 = 1, and x ** 0 is constant
    (lambda v: v ** 2, 0.0, (0.0, 0.0)),
    (lambda v: v ** 1, -2.5, (-2.5, 1.0)),
    (lambda v: v ** 1, 0.0, (0.0, 1.0)),
    (lambda v: v - v, 7.0, (0.0, 0.0)),
    (lambda v: v / v, 7.0, (1.0, 0.0)),
    (lambda v: v * 0, 7.0, (0.0, 0.0)),
], ids=["relu(0)", "relu(-0.0)", "3**0", "0**0", "0**2", "x**1", "0**1", "x-x", "x/x", "x*0"])
def test_value_and_grad_at_awkward_points(build, x, expected):
    assert _grad(build, x) == expected


@pytest.mark.parametrize("op, x, value", [
    ("tanh", 1e308, 1.0), ("tanh", -1e308, -1.0),
    ("sigmoid", 1e308, 1.0), ("sigmoid", -1e308, 0.0),
])
def test_tanh_and_sigmoid_saturate_exactly_with_zero_grad(op, x, value):
    assert _grad(lambda v: getattr(v, op)(), x) == (value, 0.0)


def test_log_near_zero_has_a_huge_finite_grad_and_an_inf_one_at_subnormals():
    value, grad = _grad(lambda v: v.log(), 1e-300)
    assert value == math.log(1e-300) and grad == 1.0 / 1e-300
    value, grad = _grad(lambda v: v.log(), 5e-324)  # smallest float: 1/x overflows
    assert value == math.log(5e-324) and grad == math.inf


def test_division_by_a_tiny_number_follows_ieee_in_the_forward_pass():
    assert (Value(1.0) / 1e-300).data == 1.0 / 1e-300
    assert (Value(1.0) / 1e-320).data == math.inf  # too large for a float: inf, silently
    with detect_anomaly(), pytest.raises(AnomalyError, match="op '/' produced inf"):
        Value(1.0) / 1e-320


def test_backward_through_division_by_a_tiny_number_gives_inf_grads():
    x, y = Value(1.0), Value(1e-300)
    (x / y).backward()
    assert x.grad == 1.0 / 1e-300 and y.grad == -math.inf  # -x / y**2 = -1e600 overflows
    with detect_anomaly(), pytest.raises(AnomalyError, match="backward of op '/'"):
        (Value(1.0) / Value(1e-300)).backward()


@pytest.mark.parametrize("build", [lambda v: v ** -1, lambda v: v ** -0.6,
                                   lambda v: v ** Value(-0.6)], ids=["**-1", "**-0.6", "**y"])
def test_backward_through_a_power_whose_slope_overflows_gives_inf(build):
    value, grad = _grad(build, 1e-200)
    assert math.isfinite(value) and grad == -math.inf
    with detect_anomaly(), pytest.raises(AnomalyError, match="backward of op '\\*\\*"):
        build(Value(1e-200)).backward()


def test_overflow_in_a_forward_op_is_inf_for_arithmetic_and_an_error_for_exp_and_power():
    # + - * / round to inf as IEEE does; exp and ** raise OverflowError as Python's math does
    assert (Value(1e308) + 1e308).data == math.inf
    assert (Value(1e200) * 1e200).data == math.inf
    with pytest.raises(OverflowError, match="1e\\+300 \\*\\* 2.0"):
        Value(1e300) ** 2
    with pytest.raises(OverflowError):
        Value(10.0) ** Value(400.0)
    with pytest.raises(ZeroDivisionError, match="negative power"):
        Value(0.0) ** -1


# --- exact sums -----------------------------------------------------------------------


def test_sum_of_a_million_terms_is_exactly_rounded():
    x = Value(0.1)
    total = Value.sum([x] * 1_000_000)
    exact = Fraction(0.1) * 1_000_000  # the true sum of a million copies of the float 0.1
    assert total.data == float(exact) == 100000.0
    total.backward()
    assert x.grad == 1_000_000.0


def test_chain_of_binary_adds_rounds_at_every_step_unlike_sum():
    terms = [Value(0.1) for _ in range(10_000)]
    chain = terms[0]
    for t in terms[1:]:
        chain = chain + t
    # a chain of adds is what adding floats left to right gives: 10,000 roundings (not the
    # built-in sum(), which compensates its rounding since Python 3.12)
    running = 0.1
    for _ in range(9_999):
        running += 0.1
    assert chain.data == running == 1000.0000000001588
    assert Value.sum(terms).data == 1000.0
    # cancellation: the chain loses the 1.0 entirely, the exact sum keeps it
    assert (Value(1e100) + 1.0 - 1e100).data == 0.0
    assert Value.sum([1e100, Value(1.0), -1e100]).data == 1.0


# --- graphs reused --------------------------------------------------------------------


def test_one_graph_backpropagated_from_two_roots():
    x, w = Value(2.0, "x"), Value(-0.5, "w")
    h = x * w
    first, second = h.tanh(), h * h
    first.backward()
    assert h.grad == 1 - math.tanh(-1.0) ** 2
    first_x = x.grad
    second.backward()
    assert h.grad == 2 * h.data  # interior grads are recomputed for the new root
    assert x.grad == first_x + 2 * h.data * w.data  # leaves accumulate across roots
    x.grad = w.grad = 0.0
    second.backward()
    assert (x.grad, w.grad) == (2 * h.data * w.data, 2 * h.data * x.data)


# --- number types ---------------------------------------------------------------------


def test_ints_floats_fractions_and_numpy_scalars_mix_as_floats():
    x = Value(2)
    assert type(x.data) is float
    results = [x + 3, 3 * x, x ** 2, 2 ** x, x / 4, Value(Fraction(1, 4)) * 8,
               x * np.float64(1.5), np.float64(1.5) * x]
    assert [r.data for r in results] == [5.0, 6.0, 4.0, 4.0, 0.5, 2.0, 3.0, 3.0]
    assert all(isinstance(r, Value) and type(r.data) is float for r in results)
    assert (x ** 2).op == (x ** 2.0).op == "**2"


@pytest.mark.parametrize("make", [lambda: Value(1.0) + True, lambda: False * Value(1.0),
                                  lambda: Value(2.0) ** True, lambda: Value.sum([Value(1), True]),
                                  lambda: Value(np.bool_(True))])
def test_bools_are_rejected_everywhere(make):
    with pytest.raises(TypeError, match="got bool"):
        make()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_operands_are_rejected(bad):
    with pytest.raises(ValueError, match=repr(bad)):
        Value(1.0) * bad
    with pytest.raises(ValueError, match=repr(bad)):
        Value(1.0) ** bad


def test_an_int_too_large_for_a_float_raises_overflow_error_naming_it():
    with pytest.raises(OverflowError, match="1000000000000"):
        Value(10 ** 400)


@pytest.mark.parametrize("make", [lambda: Value("abc"), lambda: Value(None),
                                  lambda: Value(1) + "x", lambda: Value.sum([Value(1), "x"])])
def test_non_numbers_raise_type_error_naming_the_value(make):
    with pytest.raises(TypeError, match="'abc'|None|'x'"):
        make()


# --- errors leave nothing behind ------------------------------------------------------


def test_graph_stays_usable_after_a_failed_op():
    x, w = Value(-1.5, "x"), Value(2.0, "w")
    h = x * w
    for bad in (h.log, lambda: h ** 0.5, lambda: h / 0, lambda: Value.sum([h, None])):
        with pytest.raises((ValueError, ZeroDivisionError, TypeError)):
            bad()
    h.backward()
    assert (h.data, x.grad, w.grad) == (-3.0, 2.0, -1.5)


def test_after_a_failed_backward_zero_grad_and_rerun_give_the_right_grads():
    x = Value(0.0, "x")
    y = Value(3.0, "y")
    out = x ** 0.5 + y * y
    with detect_anomaly(), pytest.raises(AnomalyError):
        out.backward()
    out.zero_grad()
    out.backward()
    assert (x.grad, y.grad) == (math.inf, 6.0)


# --- interpreter-wide state -----------------------------------------------------------

needs_gc_thresholds = pytest.mark.skipif(
    not hasattr(gc, "get_threshold"),
    reason="this interpreter's gc has no thresholds to check (PyPy: no gc.get_threshold)")


def _state() -> tuple:
    return gc.isenabled(), gc.get_threshold(), sys.getrecursionlimit()


_CHILD = """
import gc, sys
def state():
    return gc.isenabled(), gc.get_threshold(), sys.getrecursionlimit()
if sys.argv[1] == "custom":
    gc.disable(); gc.set_threshold(1234, 5, 6); sys.setrecursionlimit(4321)
before = state()
import micrograd_nn
x = micrograd_nn.Value(0.5)
out = x
for _ in range(20_000):
    out = (out * 1.0).tanh()
out.backward()
print(before == state(), before, state())
"""


@needs_gc_thresholds
@pytest.mark.parametrize("settings", ["default", "custom"])
def test_import_and_backward_change_no_interpreter_setting(settings):
    run = subprocess.run([sys.executable, "-c", _CHILD, settings], capture_output=True,
                         text=True, check=True)
    assert run.stdout.startswith("True"), run.stdout


@needs_gc_thresholds
def test_backward_that_raises_changes_no_interpreter_setting():
    before = _state()
    gc.disable()
    gc.set_threshold(999, 9, 9)
    try:
        changed = _state()
        x = Value(0.0)
        with detect_anomaly(), pytest.raises(AnomalyError):
            (x ** 0.5).tanh().backward()
        assert _state() == changed
    finally:
        gc.set_threshold(*before[1])
        if before[0]:
            gc.enable()
    assert _state() == before


def test_sum_overflow_fallback_keeps_tiny_terms_exactly():
    # the partial sums overflow; the exact sum is the tiny term, subnormal or not
    assert Value.sum([1e308, 1e308, -1e308, -1e308, 1e-300]).data == 1e-300
    assert Value.sum([1e308, 1e308, -1e308, -1e308, 3e-310]).data == 3e-310
    assert Value.sum([1e308, 1e308, 1e-300]).data == math.inf
    assert Value.sum([-1e308, -1e308, 5.0]).data == -math.inf


def test_a_value_formats_like_its_number():
    v = Value(0.123456, "loss")
    assert f"{v:.4f}" == "0.1235" and f"{v:>8.2f}" == "    0.12" and f"{v:e}" == "1.234560e-01"
    assert f"{v}" == repr(v)


def test_a_grad_set_to_none_is_explained():
    x = Value(2.0, "x")
    y = x * 3.0
    x.grad = None  # a PyTorch habit
    with pytest.raises(TypeError, match="the grad of 'x' is None.*zero_grad"):
        y.backward()
