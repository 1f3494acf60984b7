"""Higher derivatives (micrograd_nn.higher): grad, hessian, gradgradcheck.

Every registered op's derivative is held to itself on both paths (floats for backward,
Values for create_graph), and its second and third derivatives to a 50-digit mpmath oracle;
so are random expression DAGs from the project's generator. grad() must give backward()'s
numbers bit for bit, leave every .grad alone, and build derivatives that can be
differentiated again, backpropagated, stepped through and drawn.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Callable

import mpmath
import oracle
import pytest
from hypothesis import HealthCheck, given, settings
from mpmath import mp, mpf

from micrograd_nn import CannotCheckError, Constant, GradcheckError, Value, gradcheck, no_grad
from micrograd_nn.differences import START_STEP
from micrograd_nn.functions import Tanh
from micrograd_nn.higher import grad, gradgradcheck, hessian
from micrograd_nn.node import walk
from micrograd_nn.testing import expressions
from micrograd_nn.value import OPS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True)
class Case:
    """One way to build an op's node, all derived from the op's class and its oracle line
    (tests/oracle.py): ``build`` on Values, ``exact`` the same function on mpmath numbers,
    inputs drawn inside the class's declared domains, and whether the derivative is a
    function of the inputs (None: not checked, e.g. x**1, whose slope 1 is written 1*x**0)."""

    cls: type
    params: tuple[float, ...]

    @property
    def arity(self) -> int:
        return oracle.arity(self.cls) or 3

    def build(self, *leaves: Value) -> Value:
        return oracle.make(self.cls, leaves, self.params)

    @property
    def exact(self) -> Callable[..., Any]:
        return oracle.exact_function(self.cls, self.params)

    @property
    def varies(self) -> bool | None:
        """True where some second derivative is nonzero (the derivative must be a graph);
        False where all are 0 for an op without parameters (it must be a plain number)."""
        xs = oracle.draw(self.cls, random.Random(0), box=2.0, count=self.arity)
        n = len(xs)
        curved = any(oracle.exact_partial(self.exact, xs, [2 if j == i else 0 for j in range(n)])
                     for i in range(n)) or (n > 1 and oracle.exact_partial(
                         self.exact, xs, [1, 1] + [0] * (n - 2)) != 0)
        return True if curved else (None if self.params else False)


def _cases(cls: type) -> list[Case]:
    """One case per choice of parameters (every exponent of EXPONENTS for a power)."""
    count = len(oracle.EXPONENTS) if cls.params else 1
    return [Case(cls, oracle.params_for(cls, k)) for k in range(count)]


CASES: dict[str, list[Case]] = {name: _cases(cls) for name, cls in sorted(OPS.items())
                                if name in oracle.ORACLE}
ALL_CASES = [(name, case) for name, cases in CASES.items() for case in cases]
CASE_IDS = [f"{name}-{k}" for name, cases in CASES.items() for k in range(len(cases))]


def _points(case: Case, seed: int, count: int) -> list[list[float]]:
    rng = random.Random(seed)
    return [oracle.draw(case.cls, rng, box=2.0, margin=0.1, count=case.arity)
            for _ in range(count)]


def _leaves(xs: list[float]) -> list[Value]:
    return [Value(x, f"x{i}") for i, x in enumerate(xs)]


def test_every_registered_op_has_an_oracle_entry():
    assert set(CASES) == set(OPS), (
        f"add a line to ORACLE in tests/oracle.py for: {oracle.missing_entries()}")


@pytest.mark.parametrize("name, case", ALL_CASES, ids=CASE_IDS)
def test_float_and_value_derivatives_agree_and_build_graphs(name, case):
    for xs in _points(case, seed=len(name), count=20):
        leaves = _leaves(xs)
        node = case.build(*leaves)
        assert type(node).__name__ == name
        on_floats = node.derivatives(node.data, *[v.data for v in node.inputs])
        on_values = node.derivatives(node, *node.inputs)
        assert len(on_floats) == len(on_values) == len(node.inputs)
        for f, v in zip(on_floats, on_values):
            assert (f is None) == (v is None)
            if f is None:
                continue
            number = v.data if isinstance(v, Value) else v
            assert abs(number - f) <= math.ulp(f), (name, xs, number, f)
            if case.varies is True:
                reached = set(walk(v)) if isinstance(v, Value) else set()
                assert reached & ({node} | set(node.inputs)), (name, "derivative is no graph")
            elif case.varies is False:
                assert not isinstance(v, Value), (name, "a constant derivative")


def _partials(out: Value, xs: list[Value], order: int) -> dict[tuple[int, ...], float]:
    """Every partial derivative of ``out`` of exactly ``order``, by grad() repeatedly,
    keyed by the sorted input indices."""
    found: dict[tuple[int, ...], float] = {}
    level: dict[tuple[int, ...], Value] = {(): out}
    for depth in range(order):
        last = depth == order - 1
        nxt: dict[tuple[int, ...], Value] = {}
        for key, value in level.items():
            for i, g in enumerate(grad(value, xs, create_graph=not last)):
                nxt.setdefault(tuple(sorted(key + (i,))), g)
        level = nxt
    for key, value in level.items():
        found[key] = value.data
    return found


def _exact_partial(f: Callable[..., Any], xs: list[float], key: tuple[int, ...]) -> mpf:
    orders = tuple(key.count(i) for i in range(len(xs)))
    with mp.workdps(oracle.DPS):
        return mpmath.diff(f, [mpf(x) for x in xs], orders)


def _close(got: float, exact: mpf, rel: float, absolute: float) -> bool:
    return abs(mpf(got) - exact) <= rel * abs(exact) + absolute


@pytest.mark.parametrize("name, case", ALL_CASES, ids=CASE_IDS)
def test_second_and_third_derivatives_of_every_op_match_mpmath(name, case):
    for xs in _points(case, seed=7 + len(name), count=4):
        leaves = _leaves(xs)
        for order in (2, 3):
            for key, got in _partials(case.build(*leaves), leaves, order).items():
                exact = _exact_partial(case.exact, xs, key)
                assert _close(got, exact, 1e-13, 1e-15), (name, xs, key, got, exact)


def _exact_function(expr: Any) -> Callable[..., Any]:
    """The expression as a function of all its inputs, on mpmath numbers."""
    return oracle.expression_function(expr)


# Observed: 5e-15 relative at most, and exactly 0 where the exact value is. The absolute
# term is for summed derivatives that cancel to near 0, where rounding is all that is left.
DAG_REL, DAG_ABS = 1e-11, 1e-13
_dag_settings = settings(max_examples=40, derandomize=True, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow])


@_dag_settings
@given(expressions(max_ops=30, max_inputs=3))
def test_second_and_third_derivatives_of_random_dags_match_mpmath(pair):
    expr, leaves = pair
    xs = [v.data for v in leaves]
    exact_f = _exact_function(expr)
    out = expr(*leaves)
    for order in (2, 3):
        partials = _partials(out, leaves, order)
        if order == 3:  # the all-same-input ones and one mixed, to keep the test fast
            partials = {k: v for k, v in partials.items() if len(set(k)) == 1 or k == (0, 0, 1)}
        for key, got in partials.items():
            exact = _exact_partial(exact_f, xs, key)
            assert _close(got, exact, DAG_REL, DAG_ABS), (key, got, exact, repr(expr))


@_dag_settings
@given(expressions(max_ops=40, max_inputs=4))
def test_grad_gives_backwards_grads_bit_for_bit_and_leaves_grads_alone(pair):
    expr, leaves = pair
    out = expr(*leaves)
    nodes = walk(out)
    for k, node in enumerate(nodes):
        node.grad = float(k) + 0.5  # sentinels: grad() must not write any of them
    floats = grad(out, leaves)
    graphs = grad(out, leaves, create_graph=True)
    assert [node.grad for node in nodes] == [k + 0.5 for k in range(len(nodes))]
    out.zero_grad()
    out.backward()
    assert [g.data for g in floats] == [v.grad for v in leaves]  # bit for bit
    assert [g.data for g in graphs] == [v.grad for v in leaves]
    assert all(not g.inputs for g in floats)


def test_second_derivative_through_an_adjoint_that_is_zero_here():
    # x * (x - 1) at x = 1: the factor x's adjoint x - 1 is 0 there, but its path carries
    # half of f'' = 2 (backward's "zero grad passes nothing" must not apply to graphs).
    x = Value(1.0, "x")
    (first,) = grad(x * (x - 1.0), x, create_graph=True)
    assert first.data == 1.0
    assert grad(first, x)[0].data == 2.0


def test_derivatives_compose_to_high_order():
    x = Value(0.3, "x")
    g = x.sin()
    for k in range(1, 7):
        (g,) = grad(g, x, create_graph=True)
        assert g.data == pytest.approx(math.sin(0.3 + k * math.pi / 2), rel=1e-14, abs=1e-15)


def test_independent_inputs_and_constant_derivatives_are_constants():
    x, y, z = Value(2.0, "x"), Value(3.0, "y"), Value(5.0, "z")
    dx, dz = grad(x + y, [x, z], create_graph=True)
    assert isinstance(dx, Constant) and dx.data == 1.0
    assert isinstance(dz, Constant) and dz.data == 0.0
    (dzf,) = grad(x + y, [z])
    assert type(dzf) is Value and dzf.data == 0.0 and not dzf.inputs
    assert [g.data for g in grad(x, [x, y])] == [1.0, 0.0]  # a leaf output
    (dy,) = grad(x * y, y, create_graph=True)
    assert dy is x  # d(xy)/dy is x itself: no copy, no "* 1" node


def test_a_dead_relu_passes_a_constant_zero_not_a_graph_times_zero():
    """Behind a relu that is off, the adjoint is the number 0, and nothing is built from it:
    each input's derivative is a Constant (+0.0 where only that path reaches it), as
    backward() gives; a graph ``y * 0.0`` there would also carry -0.0 for a negative y."""
    x, y = Value(1.0, "x"), Value(1.0, "y")
    dx, dy = grad((x * y - 10.0).relu() + y, [x, y], create_graph=True)
    assert isinstance(dx, Constant) and dx.data == 0.0
    assert isinstance(dy, Constant) and dy.data == 1.0
    x.data = -1.0
    dx, dy = grad((x * y).relu() + x, [x, y], create_graph=True)
    assert isinstance(dx, Constant) and dx.data == 1.0
    assert isinstance(dy, Constant) and math.copysign(1.0, dy.data) == 1.0 and dy.data == 0.0


def test_grad_wrt_an_interior_node_is_its_backward_grad():
    x = Value(0.5, "x")
    h = (x * 3.0).tanh()
    out = h * h + h
    (dh,) = grad(out, h)
    out.backward()
    assert dh.data == h.grad


def test_grad_refuses_what_is_not_a_value():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(2.0, [x])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="input 1 must be a Value"):
        grad(x * x, [x, 3.0])  # type: ignore[list-item]


def test_grad_on_a_deep_chain_needs_no_recursion():
    x = Value(0.1, "x")
    y = x
    for _ in range(20_000):
        y = y * 1.0001 + 0.0
    (first,) = grad(y, x, create_graph=True)
    (second,) = grad(first, x)
    assert first.data == pytest.approx(1.0001 ** 20_000, rel=1e-9)
    assert second.data == 0.0


def test_grad_under_no_grad_records_nothing():
    x = Value(0.7, "x")
    y = x.tanh()
    with no_grad():
        (first,) = grad(y, x, create_graph=True)
    assert not first.inputs
    assert first.data == pytest.approx(1 - math.tanh(0.7) ** 2, rel=1e-15)


def test_a_derivative_is_an_ordinary_graph_backward_steps_and_explain_work():
    x, w = Value(0.4, "x"), Value(-1.5, "w")
    (dx,) = grad((x * w).tanh(), x, create_graph=True)
    want = grad(dx, [x, w])
    dx.backward()
    assert [x.grad, w.grad] == [g.data for g in want]
    x.grad = w.grad = 0.0
    steps = list(dx.backward_steps())
    assert steps and [x.grad, w.grad] == [g.data for g in want]
    text = io.StringIO()
    dx.explain(text)
    assert "x.grad =" in text.getvalue() and "w.grad =" in text.getvalue()


def test_a_derivative_can_be_drawn():
    pytest.importorskip("graphviz")
    try:
        from micrograd_nn import viz
    except ImportError as e:
        pytest.skip(f"viz: {e}")
    x = Value(0.4, "x")
    (dx,) = grad(x.tanh() * x, x, create_graph=True)
    source = viz.draw_dot(dx).source
    assert "tanh" in source and "x" in source


def test_hessian_matches_finite_differences_and_leaves_inputs_alone():
    def f(a, b, c):
        return (a * b).tanh() + (b / c).exp() * a + c ** 3

    x = Value(0.3, "x")
    x.grad = 7.0
    inputs = [x, -0.8, 1.7]
    h = hessian(f, inputs)
    assert x.data == 0.3 and x.grad == 7.0 and not x.inputs
    eps = 1e-5
    base = [0.3, -0.8, 1.7]
    for i, j in itertools.product(range(3), repeat=2):
        plus = _gradient(f, base, j, eps)[i]
        minus = _gradient(f, base, j, -eps)[i]
        assert h[i][j] == pytest.approx((plus - minus) / (2 * eps), rel=1e-6, abs=1e-8)
    assert h[0][1] == h[1][0] or h[0][1] == pytest.approx(h[1][0], rel=1e-14)


def _gradient(f: Callable[..., Value], base: list[float], j: int, step: float) -> list[float]:
    pt = list(base)
    pt[j] += step
    leaves = _leaves(pt)
    return [g.data for g in grad(f(*leaves), leaves)]


def test_gradgradcheck_passes_on_a_right_rule_and_refuses_bad_arguments():
    assert gradgradcheck(lambda a, b: (a * b).sigmoid() * a.log(), [1.3, 0.4])
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0.0"):
        gradgradcheck(lambda a: a * a, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradgradcheck(lambda a: 3.0, [1.0])


def test_gradgradcheck_catches_a_wrong_second_derivative(monkeypatch):
    right = Tanh.derivatives

    def wrong(self, z, x):
        # Right as a number, wrong as a graph: one factor of z is frozen into a constant,
        # so d/dx of it is half what it should be. backward() never sees the difference.
        if isinstance(z, Value):
            return (1.0 - z * z.data,)
        return right(self, z, x)

    monkeypatch.setattr(Tanh, "derivatives", wrong)
    x = Value(0.6, "x")
    assert gradcheck(lambda a: a.tanh(), [x])  # first derivatives are still right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda a, b: a.tanh() + b * b, [x, 2.0])
    message = str(info.value)
    assert "1 of 4 second derivatives disagree" in message
    assert "d2/d(input 0 'x') d(input 0 'x')" in message
    ((pair, labels, analytic, numeric),) = info.value.mismatches
    assert pair == (0, 0) and labels == "input 0 'x', input 0 'x'"
    t = math.tanh(0.6)
    assert analytic == pytest.approx(-t * (1 - t * t), rel=1e-12)  # half the truth
    assert numeric == pytest.approx(-2 * t * (1 - t * t), rel=1e-6)
    assert gradgradcheck(lambda a: a.tanh(), [0.6], raise_exception=False) is False


def test_custom_ops_differentiate_twice_only_with_a_value_derivative():
    from micrograd_nn.custom import custom_op

    cube = custom_op("cube_float_only", lambda x: x ** 3, lambda x: 3.0 * x * x)
    x = Value(2.0, "x")
    assert grad(cube(x), x)[0].data == 12.0
    with pytest.raises(NotImplementedError, match="cube_float_only.*value_derivative"):
        grad(cube(x), x, create_graph=True)  # the op's own error, passed on unchanged

    cube2 = custom_op("cube_both", lambda x: x ** 3, lambda x: 3.0 * x * x,
                      value_derivative=lambda x: 3.0 * x * x)
    assert hessian(cube2, [2.0]) == [[12.0]]
    assert gradgradcheck(cube2, [2.0])
    wrong = custom_op("cube_wrong", lambda x: x ** 3, lambda x: 3.0 * x * x,
                      value_derivative=lambda x: 3.0 * x * x.data)  # frozen factor
    with pytest.raises(GradcheckError, match="analytic 6.0"):
        gradgradcheck(wrong, [2.0])


def test_newton_example_converges_and_checks_its_hessian(tmp_path):
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", "newton.py"), "--json",
         "--out", str(tmp_path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert abs(result["root"] - result["root_expected"]) < 1e-12
    assert abs(result["minimum"] - result["minimum_expected"]) < 1e-10
    assert 2 <= result["root_iterations"] <= 10
    assert result["hessian_max_error"] < 1e-6
    assert len(result["hessian"]) == result["parameters"]
    if result["diagram"]:
        assert os.path.getsize(result["diagram"]) > 0


# --- issue 19: higher derivatives where backward gives a documented 0 or ±inf -------------


def test_create_graph_gives_backwards_zero_not_nan_behind_a_zero_adjoint():
    x = Value(5e-324)
    y = x.log() * (x - x)
    y.backward()
    assert x.grad == 0.0
    (d,) = grad(y, x, create_graph=True)
    assert d.data == 0.0 == grad(y, x)[0].data
    z = Value(0.0)
    assert grad(z.sqrt() * 0, z, create_graph=True)[0].data == 0.0


def test_higher_derivatives_saturate_where_the_value_ops_would_raise():
    x = Value(-1.0)
    (d,) = grad(x.relu() ** 0.5, x, create_graph=True)  # documented grad 0 behind the gate
    assert d.data == 0.0 and hessian(lambda a: a.relu() ** 0.5, [-1.0]) == [[0.0]]
    z = Value(0.0)
    (d,) = grad(z.sqrt(), z, create_graph=True)
    assert d.data == math.inf == grad(z.sqrt(), z)[0].data
    assert hessian(lambda a: a.sqrt(), [0.0]) == [[-math.inf]]  # -1/4 z^(-3/2)
    assert hessian(lambda a: a ** -1, [1e-200]) == [[math.inf]]  # 2 / a^3
    assert hessian(lambda a: a ** -1, [-1e-200]) == [[-math.inf]]
    # the saturating node is an ordinary op: its derivatives go on to any order
    (d,) = grad(Value(1e-200) ** -1, Value(1.0), create_graph=True)
    assert d.data == 0.0


def test_hessian_and_gradgradcheck_take_any_real_number():
    from fractions import Fraction

    import numpy as np

    assert hessian(lambda a: a * a * a, [np.float32(2.0)]) == [[12.0]]
    assert hessian(lambda a: a * a * a, [Fraction(1, 2)]) == [[3.0]]
    assert gradgradcheck(lambda a, b: a * a * b, [np.int64(3), Fraction(1, 3)])
    with pytest.raises(TypeError, match="gradgradcheck: input 0 needs a real number, got bool"):
        gradgradcheck(lambda a: a, [True])


def test_gradgradcheck_at_kinks_steep_curvature_big_magnitudes_and_domain_edges():
    assert gradgradcheck(lambda a: a.relu() * a, [0.0])  # first derivative has a kink
    assert gradgradcheck(lambda a: a.sqrt(), [1e-5])
    assert gradgradcheck(lambda a, b: a * b * a, [1e9, 2e9])
    assert gradgradcheck(lambda a: a.log(), [1e-7])  # no domain error from the checker


def test_grad_applies_detect_anomalys_rule():
    from micrograd_nn import AnomalyError, detect_anomaly

    with detect_anomaly():
        x = Value(0.0, "x")
        y = x.sqrt()
        with pytest.raises(AnomalyError, match="grad: the rule of op 'sqrt'.*input 0.0 'x'"):
            grad(y, x)
        g = Value(-1.0, "g")
        assert grad(g.relu() ** 0.5, g)[0].data == 0.0  # an inf behind a closed gate


def test_a_derivative_graph_has_no_node_for_a_factor_of_plus_or_minus_one():
    # d/dx of (x + 1) * b passes the adjoint b through +'s derivative 1 unchanged, and of
    # (c - x) * b through -'s derivative -1 as -b: no "1 * b" or "-1 * b" nodes
    x, c = Value(3.0, "x"), Value(5.0, "c")
    a, b = x + 1.0, x * 2.0
    (d,) = grad(a * b, x, create_graph=True)
    assert d.op == "+" and any(i is b for i in d.inputs) and d.data == 14.0
    m = c - x
    (d,) = grad(m * b, x, create_graph=True)
    (neg,) = [i for i in d.inputs if i.op == "neg"]
    assert neg.inputs[0] is b and d.data == -2.0
    assert all(not (i.op == "*" and any(j.data in (1.0, -1.0) and not j.inputs
                                        for j in i.inputs)) for i in d.inputs)


def test_gradgradcheck_judges_an_interior_point_by_central_differences(monkeypatch):
    right = Tanh.derivatives

    def wrong(self, z, x):  # half the second derivative, as in the test above
        if isinstance(z, Value):
            return (1.0 - z * z.data,)
        return right(self, z, x)

    monkeypatch.setattr(Tanh, "derivatives", wrong)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda a, b: a.tanh() + b * b, [0.6, 2.0])
    line = str(info.value).splitlines()[1]
    assert line.startswith("  d2/d(input 0) d(input 0): analytic -0.38215252928")
    # no domain edge near 0.6: not "one-sided ... leaves the domain"
    assert "one-sided" not in line and "domain" not in line


def test_gradgradcheck_retries_wider_where_the_first_step_is_noise_limited():
    # 1e13 * a adds rounding noise of about 2 to the first derivative's differences at the
    # first step: the second derivative 2 is only resolved by the wider retry
    moved = []

    def f(a):
        moved.append(abs(a.data - 1.0))
        return a * a + 1e13 * a

    assert gradgradcheck(f, [1.0])
    assert max(moved) == START_STEP * 2.0 ** 6  # the retry's first step: 2**6 times wider
    from micrograd_nn.custom import custom_op

    frozen = custom_op("cube_frozen", lambda x: x ** 3, lambda x: 3.0 * x * x,
                       value_derivative=lambda x: 3.0 * x * x.data)  # 3x, not 6x
    with pytest.raises(GradcheckError, match="analytic 3.0") as info:
        gradgradcheck(lambda a: frozen(a) + 1e13 * a, [1.0])
    assert "one-sided" not in str(info.value)  # central differences: no domain edge here


# --- gradgradcheck's verdicts and messages, entry by entry --------------------------------


def _half_square():
    """x ** 2 defined for x >= 0 only, whose Value rule x + x.data is right as a number
    (2x) but has slope 1, not 2: a wrong second derivative at the domain's edge."""
    from micrograd_nn.custom import custom_op

    def forward(x):
        if x < 0.0:
            raise ValueError("half_square is defined for x >= 0")
        return x * x

    return custom_op("half_square", forward, lambda x: 2.0 * x,
                     value_derivative=lambda x: x + x.data)


def test_gradgradcheck_names_a_wrong_entry_by_its_row_and_column():
    """Only d/db of df/da is wrong (its Value rule freezes one b): the mismatch is (0, 1),
    named input 0 then input 1, and the right (1, 0) entry is not blamed."""
    from micrograd_nn.custom import custom_op

    abb = custom_op("a_b_b", lambda a, b: a * b * b, lambda a, b: (b * b, 2.0 * a * b),
                    value_derivative=lambda a, b: (b * b.data, 2.0 * a * b))
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(abb, [Value(1.5, "a"), Value(2.0, "b")])
    ((pair, labels, analytic, numeric),) = info.value.mismatches
    assert (pair, labels, analytic) == ((0, 1), "input 0 'a', input 1 'b'", 2.0)
    assert numeric == pytest.approx(4.0, rel=1e-9)
    assert str(info.value).splitlines()[1].startswith(
        "  d2/d(input 0 'a') d(input 1 'b'): analytic 2.0, numeric 4.0")


def test_gradgradcheck_tells_a_wrong_entry_at_a_domain_edge_how_it_was_judged():
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(_half_square(), [0.0])
    line = str(info.value).splitlines()[1]
    assert line.startswith("  d2/d(input 0) d(input 0): analytic 1.0, numeric 2.0 ± ")
    assert line.endswith(", difference -1.0 (one-sided from the right: the other side "
                         "leaves the domain)")


def test_gradgradcheck_says_why_a_nan_second_derivative_is_wrong():
    from micrograd_nn.custom import custom_op

    # the Value rule adds 0 * (huge * huge): 0 as a number, inf * 0 = nan one order up
    nan2 = custom_op("cube_nan2", lambda x: x ** 3, lambda x: 3.0 * x * x,
                     value_derivative=lambda x: 3.0 * x * x + (x - x) * (x - x + 1e308) * 1e308)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(nan2, [2.0])
    assert str(info.value).splitlines()[1:] == [
        "  d2/d(input 0) d(input 0): analytic nan: the analytic derivative is NaN"]
    assert math.isnan(info.value.mismatches[0][2])


def test_gradgradcheck_cannot_check_message_has_its_summary_and_every_entry():
    with pytest.raises(CannotCheckError) as info:
        gradgradcheck(lambda a: a * a * 1e-30 + a * 1e10, [1.0])
    lines = str(info.value).splitlines()
    assert lines[0] == ("gradgradcheck: 1 of 1 second derivatives cannot be checked here "
                        "(eps=auto, atol=0.0, rtol=1e-06); none is found wrong:")
    assert len(lines) == 2 and lines[1].startswith(
        "  d2/d(input 0) d(input 0): analytic 2e-30: cannot be checked here: the numerical "
        "derivative 0.0 ± ")


def test_gradgradcheck_lists_unchecked_entries_after_the_wrong_ones():
    from micrograd_nn.custom import custom_op

    frozen = custom_op("cube_frozen_2", lambda x: x ** 3, lambda x: 3.0 * x * x,
                       value_derivative=lambda x: 3.0 * x * x.data)  # 3x, not 6x
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda a, b: frozen(a) + b * b * 1e-30 + b * 1e10, [2.0, 1.0])
    lines = str(info.value).splitlines()
    assert lines[0] == ("gradgradcheck: 1 of 4 second derivatives disagree (eps=auto, "
                        "atol=0.0, rtol=1e-06):")
    assert lines[1].startswith("  d2/d(input 0) d(input 0): analytic 6.0, numeric 12.0")
    assert [line.split(":")[0] for line in lines[2:]] == [
        "  d2/d(input 1) d(input 0)", "  d2/d(input 1) d(input 1)"]
    assert all("cannot be checked here" in line for line in lines[2:])
    assert [m[0] for m in info.value.mismatches] == [(0, 0)]


def test_gradgradcheck_takes_a_wrong_looking_entry_again_on_shifted_steps():
    """f' = tan(x) - x rounds alike at every power-of-two step near 0, so the right
    f''(0) = 0 looks wrong against -1.04e-16 ± 4.4e-24 there; steps of 0.75 * 2**-k
    disagree with that, so the entry cannot be checked here, and nothing is blamed."""
    from micrograd_nn.custom import custom_op

    op = custom_op("neg_log_cos_minus_half_square",
                   lambda x: -math.log(math.cos(x)) - 0.5 * x * x,
                   lambda x: math.tan(x) - x, value_derivative=lambda x: x.tan() - x)
    with pytest.raises(CannotCheckError, match="depends on the steps"):
        gradgradcheck(op, [0.0])
