"""Verdicts measured on a corpus (tests/verdict_corpus.py): every right rule at a hostile
input passes or is honestly "cannot be checked here", every wrong rule is reported and
localised; no checker raises an op's domain error; fast mode; argument checks."""

import math

import pytest
from verdict_corpus import RIGHT, RIGHT2, WRONG, WRONG2, is_false, results

from micrograd_nn import (
    MLP,
    CannotCheckError,
    GradcheckError,
    Value,
    custom_op,
    gradcheck,
    gradcheck_report,
    gradgradcheck,
)
from micrograd_nn.differences import estimate
from micrograd_nn.gradcheck import check_ops


def _ids(cases):
    return [c[0] for c in cases]


@pytest.mark.parametrize("name, f, xs", RIGHT, ids=_ids(RIGHT))
def test_right_rules_at_hostile_inputs_pass(name, f, xs):
    assert gradcheck(f, [Value(x) for x in xs])
    assert check_ops(f(*[Value(x) for x in xs]))


@pytest.mark.parametrize("name, f, xs, op", WRONG, ids=_ids(WRONG))
def test_wrong_rules_are_reported_and_the_op_named(name, f, xs, op):
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [Value(x, "x") for x in xs])
    assert {m.node.op for m in info.value.ops} == {op}
    assert "input 0 'x': analytic" in str(info.value)
    with pytest.raises(GradcheckError) as info:
        check_ops(f(*[Value(x) for x in xs]))
    assert {m.node.op for m in info.value.ops} == {op}


@pytest.mark.parametrize("name, f, xs", RIGHT2, ids=_ids(RIGHT2))
def test_right_second_derivatives_pass(name, f, xs):
    assert gradgradcheck(f, xs)


@pytest.mark.parametrize("name, f, xs", WRONG2, ids=_ids(WRONG2))
def test_wrong_second_derivatives_are_reported(name, f, xs):
    with pytest.raises(GradcheckError):
        gradgradcheck(f, xs)


def test_the_corpus_has_no_false_verdict():
    rows = results()
    assert len(rows) == 92
    assert [r for r in rows if is_false(r[2], r[3])] == []


def test_a_wrong_report_carries_analytic_numeric_error_bar_and_input():
    bad = custom_op("bad_cube", lambda x: x ** 3, lambda x: 3 * x)
    x = Value(2.0, "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(bad, [x])
    line = str(info.value).splitlines()[1]
    assert line.startswith("  input 0 'x': analytic 6.0, numeric 12.0")
    assert " ± " in line and "difference -6.0" in line
    assert info.value.mismatches[0][:3] == (0, "x", 6.0)


def test_cannot_be_checked_is_its_own_outcome_and_blames_no_rule():
    sq = lambda v: v.sqrt()  # noqa: E731
    report = gradcheck_report(sq, [Value(0.0)])  # an infinite slope at the domain edge
    assert not report.ok and not report.wrong and len(report.unchecked) == 1
    assert "cannot be checked here" in str(report)
    with pytest.raises(CannotCheckError) as info:
        gradcheck(sq, [Value(0.0)])
    assert not isinstance(info.value, AssertionError)
    with pytest.raises(CannotCheckError):  # raise_exception=False cannot say True or False
        gradcheck(sq, [Value(0.0)], raise_exception=False)
    # too flat for double precision: (x + 1)**2 at 1e-300 moves only below the float grid
    flat = gradcheck_report(lambda v: (v + 1) ** 2 * 0 + (v * 1e-300) ** 2, [Value(1e-300)])
    assert flat.ok or flat.unchecked and not flat.wrong


def test_the_domain_is_respected_and_said():
    e = estimate(math.log, 1e-7)
    assert e.note == "the step was shrunk to stay inside the domain"
    assert e.value == pytest.approx(1e7, rel=1e-9)
    right = estimate(math.sqrt, 0.25, side="right")
    assert right.side == "right" and right.value == pytest.approx(1.0, rel=1e-9)
    assert estimate(math.sqrt, 0.0, side="left") is None
    # at the edge of log1p's domain the check goes one-sided and says so
    edge = custom_op("edge", lambda x: math.sqrt(x) if x >= 0 else _raise(x),
                     lambda x: 0.5 / math.sqrt(x))
    report = gradcheck_report(lambda v: edge(v * v + 0.0) if False else edge(v), [Value(1e-30)])
    assert not report.wrong


def _raise(x):
    raise ValueError(f"outside the domain: {x}")


def test_steps_are_what_the_float_grid_carries():
    # x + h rounds at 1e17 for any h below 16: a fixed step of 1e-6 would divide 0 by 2e-6
    e = estimate(lambda t: t * t, 1e17)
    assert e.value == pytest.approx(2e17, rel=1e-9)


def test_a_kink_needs_one_sided_limits_that_stay_apart():
    r = gradcheck_report(lambda v: v.relu(), [Value(0.0)])
    assert [c.verdict for c in r.checks] == ["kink"]
    smooth = gradcheck_report(lambda v: v * v + v, [Value(0.0)])
    assert [c.verdict for c in smooth.checks] == ["ok"]
    # a wrong slope at a smooth point with strong curvature is no kink
    bug = custom_op("bug", lambda x: 1e4 * x * x, lambda x: 1e4 * x)
    assert [c.verdict for c in gradcheck_report(bug, [Value(1e-6)]).checks] == ["wrong"]


@pytest.mark.parametrize("arg, value, error", [
    ("eps", math.nan, ValueError), ("eps", 0.0, ValueError), ("eps", -1e-6, ValueError),
    ("eps", "1e-6", TypeError), ("atol", math.inf, ValueError), ("atol", -1.0, ValueError),
    ("rtol", "x", TypeError), ("rtol", True, TypeError), ("eps", math.inf, ValueError),
])
def test_tolerances_are_checked_naming_the_argument(arg, value, error):
    for run in (lambda **k: gradcheck(lambda v: v * v, [Value(1.0)], **k),
                lambda **k: check_ops(Value(1.0) * 2, **k),
                lambda **k: gradgradcheck(lambda v: v * v, [1.0], **k)):
        with pytest.raises(error, match=arg):
            run(**{arg: value})
    assert gradcheck(lambda v: v * v, [Value(1.0)], eps=1e-6, atol=1e-5, rtol=1e-3)


def _moons_loss():
    import random

    rng = random.Random(0)
    model = MLP(2, [16, 16, 1], seed=1337)
    params = model.parameters()
    X = [[rng.uniform(-1, 2), rng.uniform(-1, 1)] for _ in range(8)]
    y = [rng.choice((-1.0, 1.0)) for _ in range(8)]

    def loss(*ps):  # ps are the model's own parameters: gradcheck moves their data
        scores = [model(x) for x in X]
        return Value.sum([(1 + -yi * s).relu() for yi, s in zip(y, scores)]) * (1 / len(X))

    return loss, params, model


def test_fast_mode_passes_a_right_model_and_names_the_op_when_one_is_wrong():
    from micrograd_nn.engine import Tanh

    f, xs, model = _moons_loss()
    assert len(xs) == 337
    assert gradcheck(f, xs, fast=True)
    wrong = custom_op("wrong_tanh", math.tanh, lambda x: 2 * (1 - math.tanh(x) ** 2))

    def g(a, b):
        return wrong(a * b) + a

    with pytest.raises(GradcheckError) as info:
        gradcheck(g, [Value(0.3, "a"), Value(0.2, "b")], fast=True)
    assert {m.node.op for m in info.value.ops} == {"wrong_tanh"}
    assert "input 0 'a'" in str(info.value)
    assert Tanh.op == "tanh"
    with pytest.raises(ValueError, match="directions"):
        gradcheck(g, [Value(0.3)], fast=True, directions=0)


def test_an_arithmetic_error_building_a_value_derivative_propagates():
    """A custom op whose value_derivative divides by zero: grad(create_graph=True) raises
    that ZeroDivisionError (only powers and square roots have a saturating fallback)."""
    from micrograd_nn import grad

    broken = custom_op("broken_vd", lambda x: x * x, lambda x: 2 * x,
                       value_derivative=lambda x: 2 * x / (x - x))
    x = Value(1.0)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        grad(broken(x), [x], create_graph=True)


def test_slopes_where_the_value_form_raises_are_the_saturating_power_of_the_rule():
    """At 0, d sqrt(x)/dx and d x**0.5/dx are the node 0.5 * x ** -0.5 (inf; and
    again, -0.25 x ** -1.5 = -inf), d x**0/dx is 0."""
    from micrograd_nn import grad

    for make in (lambda v: v.sqrt(), lambda v: v ** 0.5):
        x = Value(0.0)
        (g,) = grad(make(x), [x], create_graph=True)
        assert (g.op, g.data) == ("0.5*x**-0.5", math.inf)
        (gg,) = grad(g, [x], create_graph=True)
        assert (gg.op, gg.data) == ("-0.25*x**-1.5", -math.inf)
    x = Value(0.0)
    (g,) = grad(x ** 0, [x], create_graph=True)
    assert g.data == 0.0


def test_saturating_power_at_zero_and_below():
    """saturating_power(1, 0.5) is sqrt: 0 at 0 (0 is not a negative base), an infinite
    slope there, a clear error for a negative base."""
    from micrograd_nn import grad
    from micrograd_nn.higher import saturating_power

    x = Value(0.0)
    y = saturating_power(1.0, 0.5)(x)
    assert (y.data, y.op) == (0.0, "1*x**0.5")
    assert grad(y, [x])[0].data == math.inf
    with pytest.raises(ValueError, match="negative base -4.0"):
        saturating_power(1.0, 0.5)(Value(-4.0))
    assert saturating_power(2.0, 0.0)(Value(0.0)).data == 2.0  # 0 ** 0 is 1, not inf
    x = Value(0.0)
    flat = saturating_power(2.0, 0.0)(x)  # its slope 2 * 0 * x ** -1 is 0, not 0 * inf
    assert grad(flat, [x])[0].data == 0.0
    assert grad(flat, [x], create_graph=True)[0].data == 0.0
    cube = saturating_power(1.0, 3.0)
    assert cube(Value(-2.0)).data == -8.0  # a negative base keeps its sign
    assert cube(Value(-1e200)).data == -math.inf and cube(Value(1e200)).data == math.inf
    assert saturating_power(1.0, 2.0)(Value(-1e200)).data == math.inf
    # a factor of 0 gives 0, even where x ** e is infinite (not 0 * inf = nan)
    assert saturating_power(0.0, -1.0)(Value(0.0)).data == 0.0


def test_backward_from_a_leaf_accumulates_and_from_a_node_reseeds():
    """backward() adds 1 to a leaf root's grad each time (a leaf's grad accumulates); an op
    node root is reseeded with 1 (its inputs accumulate)."""
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0
    y = Value(1.0)
    z = y * 3
    z.backward()
    z.backward()
    assert (z.grad, y.grad) == (1.0, 6.0)
