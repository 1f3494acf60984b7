"""micrograd_nn.testing and the kink-aware gradcheck: what a user's own test suite gets."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from micrograd_nn import CannotCheckError, GradcheckError, Value, custom_op, gradcheck
from micrograd_nn.engine import Mul
from micrograd_nn.gradcheck import gradcheck_report
from micrograd_nn.testing import (
    assert_array_grads,
    assert_gradcheck,
    assert_grads_close,
    check_ops,
    data_of,
    expressions,
    grads_of,
    value_array,
)

CI = dict(derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])


def test_importing_testing_imports_neither_numpy_nor_hypothesis():
    code = ("import sys, micrograd_nn; from micrograd_nn import testing; "
            "print('numpy' in sys.modules, 'hypothesis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- kinks ------------------------------------------------------------------------------


@pytest.mark.parametrize("f, at", [
    (lambda a: a.relu(), [0.0]),
    (lambda a: abs(a) * 3, [0.0]),
    (lambda a, b: max(a, b) * 2, [1.0, 1.0]),
    (lambda a, b: (a - b).relu() + b, [2.0, 2.0]),
])
def test_a_valid_subgradient_at_a_kink_passes(f, at):
    assert gradcheck(f, [Value(x) for x in at])


def test_the_report_says_which_inputs_sat_at_a_kink():
    a, b = Value(1.0, "a"), Value(1.0, "b")
    report = gradcheck_report(lambda a, b: max(a, b) * 2, [a, b])
    assert report.ok and [c.label for c in report.kinks] == ["a", "b"]
    assert "input 0 'a': analytic 2.0 at a kink (one-sided slopes 0.0 ± " in str(report)


def test_a_gradient_outside_the_one_sided_slopes_fails_at_a_kink():
    steep = custom_op("steep_relu", lambda x: max(x, 0.0), lambda x: 3.0 if x >= 0 else 0.0)
    with pytest.raises(GradcheckError, match="input 0: analytic 3.0"):
        gradcheck(steep, [Value(0.0)])


def test_a_wrong_slope_at_a_smooth_point_still_fails():
    halved = custom_op("halved_relu", lambda x: max(x, 0.0), lambda x: 0.5 if x > 0 else 0.0)
    with pytest.raises(GradcheckError, match="'halved_relu' node"):
        gradcheck(halved, [Value(2.0)])


# --- check_ops ----------------------------------------------------------------------------


def _half_mul(self):
    """A plausible bug: x's share forgets y."""
    self.inputs[0].grad += self.grad
    self.inputs[1].grad += self.inputs[0].data * self.grad


def test_check_ops_finds_a_built_in_rule_that_backward_runs_wrongly(monkeypatch):
    x, y = Value(2.0, "x"), Value(3.0, "y")
    out = (x * y).named("p").tanh() + x.exp()
    assert check_ops(out)
    monkeypatch.setattr(Mul, "_backward", _half_mul)
    with pytest.raises(GradcheckError) as info:
        check_ops(out)
    lines = str(info.value).splitlines()
    assert lines[0].startswith("check_ops: 1 op node disagree")
    assert len(lines) == 2 and lines[1].startswith(
        "  '*' node 'p' = 6.0 from (2.0 'x', 3.0 'y'): d/dx: backward gives 1.0, numeric 3.0 ± ")
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)  # grads put back


def test_check_ops_handles_shared_inputs_and_self_division():
    """x / x is 1 whatever x is: its slope 0 cannot be told from a slope hidden under
    the rounding of 1 (a rule saying 1e-14 would agree as well), so check_ops cannot check
    it and says which atol accepts it; x - x is 0 exactly, which resolves any slope."""
    x = Value(0.7)
    assert check_ops(x * x + (x - x).relu() + x ** 2 + 2 ** x + x.sqrt() + (x - x))
    with pytest.raises(CannotCheckError, match=r"'/' node = 1\.0 from \(0\.7, 0\.7\).*atol="):
        check_ops(x * x + x / x)
    assert check_ops(x * x + x / x, atol=1e-12)


def test_check_ops_without_raising_returns_false():
    bad = custom_op("bad", lambda x: x * x, lambda x: x)
    assert check_ops(bad(Value(2.0)), raise_exception=False) is False


@pytest.mark.parametrize("function", [gradcheck, check_ops, assert_gradcheck,
                                      assert_grads_close, assert_array_grads])
def test_failures_inside_pytest_point_at_the_callers_line(function):
    # pytest leaves out the frames of functions that set __tracebackhide__
    assert "__tracebackhide__" in function.__code__.co_varnames


# --- assertions ---------------------------------------------------------------------------


def test_assert_gradcheck_returns_the_report():
    report = assert_gradcheck(lambda a: a.relu(), [Value(0.0)])
    assert len(report.kinks) == 1


def test_assert_grads_close_names_only_the_wrong_values_by_label():
    w, b = Value(1.0, "w"), Value(2.0, "b")
    (w * 3 + b).backward()
    assert_grads_close([w, b], [3.0, 1.0])
    with pytest.raises(GradcheckError) as info:
        assert_grads_close([w, b], [3.0, 0.5])
    assert str(info.value) == ("1 of 2 grads differ (rtol=1e-07, atol=1e-12):\n"
                               "  'b': grad 1.0, expected 0.5")


# --- expressions --------------------------------------------------------------------------


def test_expressions_fuzz_a_custom_op_and_catch_a_wrong_one():
    good = custom_op("cube", lambda x: x ** 3, lambda x: 3 * x * x)
    bad = custom_op("bad_cube", lambda x: x ** 3, lambda x: 3 * x)

    @settings(max_examples=60, **CI)
    @given(expressions(max_ops=10, custom_ops=[good]))
    def fuzz_good(pair):
        assert_gradcheck(*pair, unchecked="reject")

    @settings(max_examples=60, report_multiple_bugs=False, **CI)
    @given(expressions(max_ops=6, custom_ops=[bad], builtins=False))
    def fuzz_bad(pair):
        assert_gradcheck(*pair, unchecked="reject")

    fuzz_good()
    with pytest.raises(GradcheckError, match="'bad_cube' node"):
        fuzz_bad()


def test_assert_gradcheck_says_what_to_do_with_a_slope_too_small_to_check():
    """x * x at 1e-200 (slope 2e-200 under noise of 1e-17): "raise" raises
    CannotCheckError, "pass" returns the report with the reason, "reject" discards a
    hypothesis example (every example here: hypothesis then says nothing was
    satisfiable); a wrong rule raises GradcheckError whatever ``unchecked`` says."""
    from hypothesis import strategies as st
    from hypothesis.errors import FailedHealthCheck, Unsatisfiable

    def sq(v):
        return v * v

    with pytest.raises(CannotCheckError):
        assert_gradcheck(sq, [Value(1e-200)])
    report = assert_gradcheck(sq, [Value(1e-200)], unchecked="pass")
    assert not report.ok and not report.wrong and len(report.unchecked) == 1
    assert "cannot be checked here" in str(report) and "atol=" in str(report)
    assert assert_gradcheck(sq, [Value(3.0)], unchecked="pass").ok
    bad = custom_op("half_square", lambda x: x * x, lambda x: x)
    for mode in ("raise", "reject", "pass"):
        with pytest.raises(GradcheckError, match="half_square"):
            assert_gradcheck(bad, [Value(3.0)], unchecked=mode)
    with pytest.raises(ValueError, match="unchecked must be one of 'raise', 'reject', "
                                         "'pass', got 'skip'"):
        assert_gradcheck(sq, [Value(3.0)], unchecked="skip")

    seen = []

    @settings(max_examples=5, **CI)
    @given(st.floats(1e-250, 1e-200))
    def tiny(x):
        seen.append(x)
        assert_gradcheck(sq, [Value(x)], unchecked="reject")

    with pytest.raises((Unsatisfiable, FailedHealthCheck)):  # every example discarded
        tiny()
    assert seen  # examples were drawn, and each was discarded


def test_expressions_pairs_are_fresh_labelled_values_and_pasteable_source():
    @settings(max_examples=20, **CI)
    @given(expressions(max_ops=5))
    def run(pair):
        f, inputs = pair
        assert [v.label for v in inputs] == [f"x{i}" for i in range(len(inputs))]
        assert all(v.grad == 0.0 for v in inputs)
        assert repr(f).startswith("from micrograd_nn import Value")

    run()


# --- NumPy helpers ------------------------------------------------------------------------


def test_value_arrays_round_trip_and_label_entries():
    A = value_array([[1.0, 2.0], [3.0, 4.0]], "A")
    assert A.shape == (2, 2) and A[1, 0].label == "A[1, 0]"
    np.testing.assert_array_equal(data_of(A), [[1.0, 2.0], [3.0, 4.0]])
    (A.sum() * 2).backward()
    np.testing.assert_array_equal(grads_of(A), np.full((2, 2), 2.0))


def test_assert_array_grads_reports_the_worst_entries_by_index():
    W = value_array(np.arange(6.0).reshape(2, 3), "W")
    (W * W).sum().backward()  # d/dW = 2W
    expected = 2 * np.arange(6.0).reshape(2, 3)
    assert_array_grads(W, expected)
    expected[0, 2] += 1.0
    expected[1, 1] += 5.0
    with pytest.raises(GradcheckError) as info:
        assert_array_grads(W, expected, name="dW", worst=1)
    assert str(info.value).splitlines() == [
        "dW: 2 of 6 entries differ (rtol=1e-10, atol=1e-14); worst first:",
        "  [1, 1]: engine 8.0, yours 13.0, difference -5.0"]


# --- issue 19: what a user trips on ---------------------------------------------------------


def test_expressions_without_hypothesis_says_how_to_install_it():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "from micrograd_nn.testing import expressions\n"
            "try:\n    expressions()\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs hypothesis: pip install hypothesis" in out.stdout


def test_expressions_refuse_a_plain_function_as_a_custom_op():
    with pytest.raises(TypeError, match="custom_ops must be ops made by micrograd_nn.custom_op"):
        expressions(custom_ops=[lambda x: x])


def test_assert_grads_close_takes_numpy_scalars_and_equal_infinities_are_equal():
    v = Value(1.0, "v")
    assert_grads_close(v, np.float32(0))
    with pytest.raises(GradcheckError, match="'v': grad 0.0, expected 1.0"):
        assert_grads_close(v, np.float64(1))
    a = value_array([1.0, 0.0])
    (a[0] * 2).backward()
    a[1].grad = float("inf")
    assert_array_grads(a, [2.0, float("inf")])
    with pytest.raises(GradcheckError, match="1 of 2 entries differ"):
        assert_array_grads(a, [2.0, -float("inf")])


def test_expressions_draw_a_custom_op_only_inside_its_domain():
    import math

    drawn = []

    def forward(x):
        if x <= 0:
            raise ValueError(f"log2 of {x}")
        drawn.append(x)
        return math.log2(x)

    log2 = custom_op("log2", forward, lambda x: 1 / (x * math.log(2)), domain=(0.0, None))
    band = custom_op("band", lambda x: math.asin(x), lambda x: 1 / math.sqrt(1 - x * x),
                     domain=(-1.0, 1.0))
    picky = custom_op("picky", lambda x: math.log(x - 2), lambda x: 1 / (x - 2))

    @settings(max_examples=40, **CI)
    @given(expressions(max_ops=6, custom_ops=[log2, band, picky], builtins=False))
    def fuzz(pair):
        assert_gradcheck(*pair, unchecked="reject")

    fuzz()
    assert drawn and min(drawn) >= 0.1


def _perturbed(kind, scale):
    """A custom op whose derivative is wrong in one of the ways a hand-written rule is."""
    import math

    right = math.cos
    wrong = {"factor": lambda x: scale * right(x), "sign": lambda x: -right(x),
             "additive": lambda x: right(x) + scale, "percent": lambda x: 1.01 * right(x)}[kind]
    return custom_op(f"sin_{kind}", math.sin, wrong)


@pytest.mark.parametrize("kind", ["factor", "sign", "additive", "percent"])
def test_randomly_placed_perturbed_rules_are_always_caught_and_named(kind):
    from hypothesis import strategies as st

    @settings(max_examples=25, **CI)
    @given(st.sampled_from([0.5, 2.0, 3.0, -1.0]), st.data())
    def run(scale, data):
        op = _perturbed(kind, scale)
        f, xs = data.draw(expressions(max_ops=8, custom_ops=[op]))
        graph = f(*xs)
        nodes = [n for n in _nodes(graph) if n.op == op.op_class.op]
        bad = [n for n in nodes if abs(n.inputs[0].data) < 1.5 or kind != "sign"]
        try:
            check_ops(graph)
        except GradcheckError as e:
            assert {m.node.op for m in e.ops} == {op.op_class.op}
            return
        except CannotCheckError:  # no rule found wrong, some slope too small to check
            pass  # (x0 * x0 at 0: its slope 0 cannot be told from a tiny one)
        # every drawn node sits where the wrong slope equals the right one
        import math
        assert all(abs(math.cos(n.inputs[0].data)) < 1e-300 for n in bad) or not nodes

    run()


def _nodes(root):
    from micrograd_nn import topological_order

    return topological_order(root)


def test_the_report_and_errors_import_from_the_package_and_the_module_stays_reachable():
    import importlib

    import micrograd_nn
    from micrograd_nn import CannotCheckError, GradcheckReport
    from micrograd_nn import gradcheck as function
    from micrograd_nn import gradcheck_report as report

    module = importlib.import_module("micrograd_nn.gradcheck")
    assert callable(function) and function is module.gradcheck
    assert report is module.gradcheck_report and GradcheckReport is module.GradcheckReport
    assert CannotCheckError is module.CannotCheckError
    assert {"gradcheck_report", "GradcheckReport", "CannotCheckError"} <= set(micrograd_nn.__all__)


def test_value_array_refuses_booleans():
    np = pytest.importorskip("numpy")
    for bad in ([True, False], np.array([True]), [1.0, np.bool_(True)]):
        with pytest.raises(TypeError, match="booleans"):
            value_array(bad)


# --- assert_grads_close's tolerance, length and report (mutation survivors) ----------------


def test_assert_grads_close_accepts_exactly_what_numpy_isclose_accepts():
    rng = np.random.default_rng(18)
    cases = [(1.5, 1.0, 0.0, 0.5), (3.0, 2.0, 0.5, 0.0), (-3.0, -2.0, 0.5, 0.0),  # the edges
             (1e-13, 0.0, 1e-7, 1e-12), (2e-12, 0.0, 1e-7, 1e-12), (-1.0, 1.0, 1.0, 1.0),
             (float("inf"), float("inf"), 1e-7, 0.0), (float("-inf"), float("inf"), 1.0, 1.0),
             (float("nan"), 1.0, 1.0, 1.0), (1.0, float("nan"), 1.0, 1.0),
             (5.0, float("inf"), 1e-7, 0.0), (float("inf"), 1.0, 1.0, 1.0)]
    for _ in range(400):
        e = float(rng.choice([0.0, 1.0, -1.0, 1e6, -1e-6])) * float(rng.uniform(0.5, 2.0))
        rtol, atol = float(rng.choice([0.0, 1e-7, 1e-3, 0.5])), float(
            rng.choice([0.0, 1e-12, 1e-3, 1.0]))
        width = atol + rtol * abs(e)
        cases.append((e + float(rng.uniform(-2.0, 2.0)) * (width or 1e-9), e, rtol, atol))
    verdicts = []
    for grad, e, rtol, atol in cases:
        v = Value(0.0, "v")
        v.grad = grad
        try:
            assert_grads_close(v, e, rtol=rtol, atol=atol)
            ok = True
        except GradcheckError as error:
            ok = False
            assert error.mismatches == [(0, "v", grad, e)] or grad != grad
        verdicts.append(ok)
        assert ok == bool(np.isclose(grad, e, rtol=rtol, atol=atol)), (grad, e, rtol, atol)
    assert 100 < sum(verdicts) < len(verdicts) - 100  # both verdicts well represented


def test_assert_grads_close_defaults_are_rtol_1e_7_and_atol_1e_12():
    v = Value(0.0)
    for grad, e, ok in ((1.0 + 5e-8, 1.0, True), (1.0 + 2e-7, 1.0, False),
                        (1e6 + 0.09, 1e6, True), (1e6 + 0.11, 1e6, False),
                        (5e-13, 0.0, True), (2e-12, 0.0, False)):
        v.grad = grad
        if ok:
            assert_grads_close(v, e)
        else:
            with pytest.raises(GradcheckError):
                assert_grads_close(v, e)


def test_assert_grads_close_reports_every_wrong_value_in_order_with_index_or_label():
    a, b, c = Value(1.0), Value(2.0, "b"), Value(3.0)
    (a * 2 + b * 3 + c * 4).backward()
    with pytest.raises(GradcheckError) as info:
        assert_grads_close((a, b, c), (2.5, 3.0, -4.0))
    assert str(info.value).splitlines() == [
        "2 of 3 grads differ (rtol=1e-07, atol=1e-12):",
        "  [0]: grad 2.0, expected 2.5",
        "  [2]: grad 4.0, expected -4.0"]
    assert info.value.mismatches == [(0, "", 2.0, 2.5), (2, "", 4.0, -4.0)]
    assert_grads_close(np.array([a, b, c], dtype=object), np.array([2.0, 3.0, 4.0]))


@pytest.mark.parametrize("values, expected", [([Value(1.0)], [1.0, 2.0]),
                                              ([Value(1.0), Value(2.0)], [0.0]),
                                              ([Value(1.0), Value(2.0)], 0.0),
                                              ([], [0.0])])
def test_assert_grads_close_refuses_a_count_mismatch(values, expected):
    n = 1 if isinstance(expected, float) else len(expected)
    with pytest.raises(ValueError, match=f"assert_grads_close: {len(values)} values, {n} "
                                         "expected grads"):
        assert_grads_close(values, expected)


# --- where expressions() puts a custom op's operands (mutation survivors) -------------------


def test_expressions_spread_custom_operands_over_their_domain_kept_off_its_edges():
    import math

    seen = {}

    def recording(name, n, domain):
        def record(*xs):
            seen.setdefault(name, []).append(xs)
            return sum(xs)
        forward = (lambda x: record(x)) if n == 1 else (lambda x, y: record(x, y))
        return custom_op(name, forward, lambda *xs: (1.0,) * n, domain=domain)

    inf = math.inf
    # name -> the interval each operand must lie in: DOMAIN_MARGIN (0.1) inside each finite
    # end, or a quarter of the width for a narrow one
    ops = {"narrow": ((2.0, 2.2), [(2.05, 2.15)]), "unit": ((-1.0, 1.0), [(-0.9, 0.9)]),
           "above": ((1.0, None), [(1.1, inf)]), "below": ((None, -3.0), [(-inf, -3.1)]),
           "pair": (((0.0, None), (None, 0.5)), [(0.1, inf), (-inf, 0.4)]),
           "shared": ((-1.0, 1.0), [(-0.9, 0.9), (-0.9, 0.9)]),
           # beyond LIMIT (10): guards that were scaled down had left such domains
           "far": ((5.0, None), [(5.1, inf)]), "high": ((20.0, 30.0), [(20.1, 29.9)])}
    made = [recording(name, len(bounds), domain) for name, (domain, bounds) in ops.items()]

    @settings(max_examples=150, **CI)
    @given(expressions(max_ops=8, custom_ops=made, builtins=False))
    def draw(pair):
        f, xs = pair
        f(*xs)

    draw()
    for name, (_, bounds) in ops.items():
        for k, (lo, hi) in enumerate(bounds):
            got = [xs[k] for xs in seen[name]]
            assert len(got) > 20, name
            assert lo - 1e-12 <= min(got) and max(got) <= hi + 1e-12, (name, k, lo, hi)
            if math.isfinite(hi - lo):  # squeezed, not pinned: most of the interval is used
                assert max(got) - min(got) > 0.6 * (hi - lo), (name, k, min(got), max(got))
            else:  # and well away from the margin
                edge = lo if math.isfinite(lo) else hi
                assert max(abs(x - edge) for x in got) > 1.0, (name, k)


def test_expressions_use_an_operand_already_inside_the_domain_as_drawn():
    half = custom_op("half_in", lambda x: x / 2, lambda x: 0.5, domain=(-5.0, 5.0))
    above = custom_op("above_in", lambda x: x / 2, lambda x: 0.5, domain=(-4.0, None))
    below = custom_op("below_in", lambda x: x / 2, lambda x: 0.5, domain=(None, 3.5))
    ops = set()

    @settings(max_examples=60, **CI)
    @given(expressions(max_ops=6, custom_ops=[half, above, below], builtins=False))
    def draw(pair):
        f, xs = pair
        # inputs in [-3, 3] and halves of them are inside every domain: no guard op
        assert {n.op for n in f.nodes} <= {"half_in", "above_in", "below_in", "sum"}, repr(f)
        ops.update(n.op for n in f.nodes)
        assert gradcheck(f, xs)

    draw()
    assert ops == {"half_in", "above_in", "below_in", "sum"}


def test_expressions_refuse_a_domain_with_neither_one_pair_nor_one_per_input():
    one = custom_op("one_in", lambda x: x, lambda x: 1.0, domain=[(0, 1), (2, 3)])
    three = custom_op("three_in", lambda a, b, c: a + b + c, lambda a, b, c: (1.0, 1.0, 1.0),
                      domain=[(0, 1), (2, 3)])
    with pytest.raises(ValueError, match=r"expressions: custom op 'one_in' takes 1 input but "
                                         r"its domain has 2 \(low, high\) pairs"):
        expressions(custom_ops=[one])
    with pytest.raises(ValueError, match="'three_in' takes 3 inputs but its domain has 2"):
        expressions(custom_ops=[three])
    fine = custom_op("three_ok", lambda a, b, c: a + b + c, lambda a, b, c: (1.0, 1.0, 1.0),
                     domain=[(0, 1), (2, 3), (None, -1)])
    assert expressions(custom_ops=[fine]) is not None


def test_expressions_draw_a_custom_op_only_where_its_domain_function_says_yes():
    seen = []

    def forward(x):  # defined everywhere: only the domain function keeps |x| > 0.5
        seen.append(x)
        return x * abs(x)

    op = custom_op("signed_square", forward, lambda x: 2 * abs(x),
                   domain=lambda x: abs(x) > 0.5)

    @settings(max_examples=60, **CI)
    @given(expressions(max_ops=6, custom_ops=[op], builtins=False))
    def draw(pair):
        f, xs = pair
        f(*xs)

    draw()
    assert len(seen) > 20 and min(abs(x) for x in seen) > 0.5


def test_data_of_passes_numbers_through_and_grads_of_gives_them_0():
    a = Value(1.5)
    a.grad = 4.0
    mixed = np.array([a, 2.5, 3], dtype=object)
    np.testing.assert_array_equal(data_of(mixed), [1.5, 2.5, 3.0])
    np.testing.assert_array_equal(grads_of(mixed), [4.0, 0.0, 0.0])
    assert data_of(mixed).dtype == float == grads_of(mixed).dtype


def test_assert_array_grads_finds_exactly_the_entries_numpy_isclose_rejects():
    rng = np.random.default_rng(19)
    inf, nan = float("inf"), float("nan")
    for rtol, atol in ((0.0, 0.5), (0.5, 0.0), (1e-10, 1e-14), (1e-3, 1.0), (0.0, 0.0)):
        expected = rng.choice([0.0, 1.0, -1.0, 1e6, -1e-6], size=300) * rng.uniform(0.5, 2.0, 300)
        width = atol + rtol * np.abs(expected)
        grads = expected + rng.uniform(-2.0, 2.0, 300) * np.where(width > 0, width, 1e-9)
        edges = [(1.5, 1.0), (-3.0, -2.0), (inf, inf), (-inf, inf), (5.0, inf), (inf, 1.0),
                 (nan, 1.0), (1.0, nan), (2.0, 2.0)]
        grads = np.concatenate([grads, [g for g, _ in edges]])
        expected = np.concatenate([expected, [e for _, e in edges]])
        values = value_array(np.zeros(len(grads)))
        for v, g in zip(values, grads):
            v.grad = float(g)
        rejected = [(i,) for i in np.flatnonzero(~np.isclose(grads, expected, rtol, atol))]
        assert 0 < len(rejected) < len(grads)
        with pytest.raises(GradcheckError) as info:
            assert_array_grads(values, expected, rtol=rtol, atol=atol, worst=3)
        found = info.value.mismatches
        assert sorted(ix for ix, _, _, _ in found) == rejected, (rtol, atol)
        assert all((what, a) == ("grads", float(grads[ix])) or a != a
                   for ix, what, a, e in found)
        # worst first: by how far each is past its tolerance
        excess = [abs(a - e) - (atol + rtol * abs(e)) for _, _, a, e in found]
        finite = [x for x in excess if x == x and x != inf]
        assert finite == sorted(finite, reverse=True)
        lines = str(info.value).splitlines()
        assert lines[0] == (f"grads: {len(rejected)} of {len(grads)} entries differ "
                            f"(rtol={rtol}, atol={atol}); worst first:")
        assert len(lines) == 4 and lines[1].startswith(f"  {list(found[0][0])}: engine ")
        assert_array_grads(values[np.isclose(grads, expected, rtol, atol)],
                           expected[np.isclose(grads, expected, rtol, atol)], rtol, atol)


def test_assert_array_grads_refuses_a_shape_mismatch_naming_both_shapes():
    W = value_array(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dW: the Values have shape \(2, 3\), expected "
                                         r"\(3, 2\)"):
        assert_array_grads(W, np.zeros((3, 2)), name="dW")
    with pytest.raises(ValueError, match=r"grads: the Values have shape \(2, 3\), expected "
                                         r"\(6,\)"):
        assert_array_grads(W, np.zeros(6))
