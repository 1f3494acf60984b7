"""The engine's contract: every op's value and derivative, backward's semantics, errors, no_grad,
gradcheck, and compatibility with code written for upstream micrograd."""

import math
import re
import threading

import pytest

from micrograd_nn import Constant, GradcheckError, Value, gradcheck, gradcheck_report, no_grad
from micrograd_nn.engine import is_grad_enabled, topological_order

# op name -> (build from one Value x, value(x), derivative(x), points in the domain)
UNARY = {
    "exp": (lambda x: x.exp(), math.exp, math.exp, [-2.0, 0.0, 0.5, 3.0]),
    "log": (lambda x: x.log(), math.log, lambda x: 1 / x, [1e-3, 0.5, 1.0, 7.0]),
    "tanh": (lambda x: x.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2,
             [-3.0, -0.1, 0.0, 2.0]),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: 1 / (1 + math.exp(-x)),
                lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-4.0, -0.3, 0.0, 5.0]),
    "relu": (lambda x: x.relu(), lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0,
             [-2.0, -1e-9, 1e-9, 3.0]),
    "neg": (lambda x: -x, lambda x: -x, lambda x: -1.0, [-1.5, 0.0, 2.0]),
    "**3": (lambda x: x ** 3, lambda x: x ** 3, lambda x: 3 * x ** 2, [-2.0, 0.0, 1.5]),
    "**-1": (lambda x: x ** -1, lambda x: 1 / x, lambda x: -1 / x ** 2, [-2.0, 0.25, 4.0]),
    "**0.5": (lambda x: x ** 0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.01, 1.0, 9.0]),
    "2**x": (lambda x: 2 ** x, lambda x: 2 ** x, lambda x: 2 ** x * math.log(2),
             [-3.0, 0.0, 2.5]),
}

# op name -> (build from x, y, value, d/dx, d/dy)
BINARY = {
    "+": (lambda x, y: x + y, lambda x, y: x + y, lambda x, y: 1.0, lambda x, y: 1.0),
    "-": (lambda x, y: x - y, lambda x, y: x - y, lambda x, y: 1.0, lambda x, y: -1.0),
    "*": (lambda x, y: x * y, lambda x, y: x * y, lambda x, y: y, lambda x, y: x),
    "/": (lambda x, y: x / y, lambda x, y: x / y, lambda x, y: 1 / y, lambda x, y: -x / y ** 2),
    "**": (lambda x, y: x ** y, lambda x, y: x ** y, lambda x, y: y * x ** (y - 1),
           lambda x, y: x ** y * math.log(x)),
}
PAIRS = [(0.5, 2.0), (3.0, -1.25), (1.5, 0.75)]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_value_and_gradient_match_hand_derivation(name):
    build, value, deriv, points = UNARY[name]
    for p in points:
        x = Value(p)
        out = build(x)
        out.backward()
        assert out.data == pytest.approx(value(p), rel=1e-12, abs=1e-300)
        assert x.grad == pytest.approx(deriv(p), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_value_and_gradients_match_hand_derivation(name):
    build, value, dx, dy = BINARY[name]
    for a, b in PAIRS:
        x, y = Value(a), Value(b)
        out = build(x, y)
        out.backward()
        assert out.data == pytest.approx(value(a, b), rel=1e-12)
        assert x.grad == pytest.approx(dx(a, b), rel=1e-12)
        assert y.grad == pytest.approx(dy(a, b), rel=1e-12)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_passes_gradcheck(name):
    """Every point passes, except where the slope is 0 on a function that moves there
    (x**3 at 0): a slope as small as the error bar cannot be told from 0 there, so it
    cannot be checked, and no rule is blamed."""
    build, _, slope, points = UNARY[name]
    for p in points:
        if name == "relu" and abs(p) < 1e-6:
            continue  # finite differences straddle the kink
        if slope(p) == 0.0 and name != "relu":
            report = gradcheck_report(build, [Value(p)])
            assert not report.wrong and len(report.unchecked) == 1, (name, p, report)
            continue
        assert gradcheck(build, [Value(p)]), (name, p)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_passes_gradcheck(name):
    build = BINARY[name][0]
    for a, b in PAIRS:
        assert gradcheck(build, [Value(a), Value(b)])


def test_numbers_on_either_side_become_constants():
    x = Value(3.0)
    for expr, expected, grad in [
        (lambda: 2 + x, 5.0, 1.0), (lambda: x + 2, 5.0, 1.0),
        (lambda: 2 - x, -1.0, -1.0), (lambda: x - 2, 1.0, 1.0),
        (lambda: 2 * x, 6.0, 2.0), (lambda: x * 2, 6.0, 2.0),
        (lambda: 6 / x, 2.0, -6 / 9), (lambda: x / 2, 1.5, 0.5),
    ]:
        x.grad = 0.0
        out = expr()
        out.backward()
        assert out.data == pytest.approx(expected)
        assert x.grad == pytest.approx(grad)
        assert any(isinstance(v, Constant) for v in out.inputs)


def test_sum_is_one_node_with_exact_value_and_unit_gradients():
    xs = [Value(v) for v in (1e16, 1.0, -1e16, 2.5)]
    total = Value.sum(xs + [3])
    assert total.op == "sum"
    assert len(total.inputs) == 5
    assert total.data == 6.5  # math.fsum: exact where a left-to-right float sum gives 5.5 or 4.5
    total.backward()
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0, 1.0]


def test_sum_of_nothing_is_a_zero_constant():
    total = Value.sum([])
    assert total.data == 0.0 and isinstance(total, Constant)


def test_inputs_are_ordered_and_op_named():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    z = b * a
    assert z.inputs == (b, a)
    assert z.op == "*"
    assert (a ** 2).op == "**2"
    assert (a - b).op == "-" and (a / b).op == "/" and a.op == ""
    assert a.inputs == ()


def test_upstream_aliases_prev_and_op_are_read_only():
    a, b = Value(1.0), Value(2.0)
    z = a + b
    assert tuple(z._prev) == (a, b)
    assert z._op == "+"
    with pytest.raises(AttributeError):
        z._prev = ()
    with pytest.raises(AttributeError):
        z._op = "*"


def test_node_used_twice_gets_both_paths():
    a = Value(-3.0)
    (a * a + a).backward()
    assert a.grad == 2 * -3.0 + 1


def test_chain_of_reuse_accumulates():
    a = Value(2.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_backward_twice_doubles_leaf_grads_and_recomputes_interior():
    x, w = Value(2.0), Value(3.0)
    h = x * w
    out = h.tanh()
    out.backward()
    first = (x.grad, w.grad, h.grad)
    out.backward()
    assert (x.grad, w.grad) == (2 * first[0], 2 * first[1])
    assert h.grad == first[2]


def test_zero_grad_clears_the_whole_graph():
    x, w = Value(2.0), Value(3.0)
    out = (x * w).tanh()
    out.backward()
    out.zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(out, leaves=True))


def test_backward_on_a_leaf_adds_one():
    x = Value(4.0)
    x.backward()
    assert x.grad == 1.0


def test_million_node_chain_backpropagates_without_recursion():
    x = Value(1.0)
    v = x
    for _ in range(1_000_000):
        v = v + 1.0
    v.backward()
    assert x.grad == 1.0
    assert v.data == 1_000_001.0


def test_seed_numbers_sigmoid_is_exact():
    # seed 002: w=[0,1], b=4 at x=[2,3]; and 1/(1+exp(-x)) for x >= 0 exactly
    x1, x2 = Value(2.0), Value(3.0)
    out = (x1 * 0 + x2 * 1 + 4).sigmoid()
    assert out.data == 0.9990889488055994
    for z in (0.0, 0.3, 7.0, 36.0):
        assert Value(z).sigmoid().data == 1.0 / (1.0 + math.exp(-z))


def test_sigmoid_and_tanh_never_overflow():
    for big in (-1000.0, 1000.0, -1e308, 1e308):
        for name in ("sigmoid", "tanh"):
            x = Value(big)
            out = getattr(x, name)()
            out.backward()
            assert math.isfinite(out.data) and math.isfinite(x.grad)
    assert Value(-1000.0).sigmoid().data == pytest.approx(0.0, abs=1e-300)
    assert Value(1000.0).sigmoid().data == 1.0


@pytest.mark.parametrize("bad", ["abc", None, [1.0], True, 1 + 2j])
def test_value_of_a_non_number_raises_type_error_naming_it(bad):
    with pytest.raises(TypeError, match=re.escape(f"Value() needs a real number, got "
                                                  f"{type(bad).__name__} {bad!r}")):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_of_nan_or_inf_raises_value_error(bad):
    with pytest.raises(ValueError, match=repr(bad)):
        Value(bad)


def test_adding_a_string_raises_type_error_naming_value_and_op():
    with pytest.raises(TypeError, match=r"'\+'.*'x'"):
        Value(1) + "x"
    with pytest.raises(TypeError, match=r"'\*'"):
        "x" * Value(1)


def test_log_of_zero_or_negative_raises_value_error_naming_node():
    with pytest.raises(ValueError, match=r"log is undefined for 0.0 \(in node 'z'\)"):
        Value(0.0, "z").log()
    with pytest.raises(ValueError, match="-2.0"):
        Value(-2.0).log()


def test_division_by_zero_value_raises_zero_division_error():
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ZeroDivisionError):
        1 / Value(0.0)


def test_exp_overflow_raises_overflow_error():
    with pytest.raises(OverflowError, match="exp overflows at 1000.0"):
        Value(1000.0).exp()


def test_negative_base_fractional_exponent_raises_value_error():
    with pytest.raises(ValueError, match="negative base -8.0"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="positive base"):
        Value(-2.0) ** Value(2.0)
    with pytest.raises(ValueError, match="positive base"):
        (-2) ** Value(2.0)


def test_errors_leave_no_half_built_graph():
    x = Value(-1.0)
    before = x.inputs
    for bad in (lambda: x.log(), lambda: x / 0, lambda: x ** 0.5, lambda: x + "s"):
        with pytest.raises((ValueError, ZeroDivisionError, TypeError)):
            bad()
    assert x.inputs == before and x.grad == 0.0


def test_repr_shows_label_data_grad_and_op():
    z = (Value(2.0) * Value(3.0)).named("z")
    z.backward()
    text = repr(z)
    for part in ("label='z'", "data=6.0", "grad=1.0", "op='*'"):
        assert part in text


def test_label_must_be_a_string():
    with pytest.raises(TypeError):
        Value(1.0, label=3)


def test_no_grad_records_no_graph_and_restores_after_exception():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
        assert not is_grad_enabled()
    assert y.inputs == () and y.data == 7.0
    assert is_grad_enabled()
    with pytest.raises(RuntimeError):
        with no_grad():
            raise RuntimeError("boom")
    assert is_grad_enabled()
    assert (x * 3).inputs != ()


def test_no_grad_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = (Value(1.0) + 1).inputs

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = (Value(1.0) + 1).inputs
    release.set()
    t.join()
    assert seen["worker"] == ()
    assert len(seen["main"]) == 2


def test_no_grad_works_as_decorator():
    @no_grad()
    def f(v):
        return v * 2

    assert f(Value(1.0)).inputs == ()


class _WrongExp(Value):
    """exp with a wrong rule: it passes back 2 e^x instead of e^x."""

    __slots__ = ()
    op = "exp"

    def _backward(self):
        x = self.inputs[0]
        x.grad += 2 * self.data * self.grad


def _wrong_exp(x):
    out = x.exp()
    out.__class__ = _WrongExp
    return out


def test_gradcheck_catches_a_deliberately_wrong_gradient():
    x = Value(0.7, "x")
    with pytest.raises(GradcheckError, match=r"input 0 'x': analytic") as err:
        gradcheck(_wrong_exp, [x])
    assert isinstance(err.value, AssertionError)
    ((_, _, analytic, numeric),) = err.value.mismatches
    assert analytic == pytest.approx(2 * numeric, rel=1e-6)
    assert gradcheck(_wrong_exp, [x], raise_exception=False) is False
    assert x.data == 0.7


def test_gradcheck_leaves_inputs_data_unchanged_and_needs_values():
    xs = [Value(0.3), Value(-1.2)]
    gradcheck(lambda a, b: (a * b).tanh(), xs)
    assert [x.data for x in xs] == [0.3, -1.2]
    with pytest.raises(TypeError, match="must be a Value"):
        gradcheck(lambda a: a, [1.0])
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda a: 1.0, [Value(1.0)])


def test_gc_paused_restores_the_collector_even_after_an_exception():
    import gc

    from micrograd_nn.engine import gc_paused

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            with gc_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer block still holds it
            raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_topological_order_puts_every_node_after_its_inputs_on_random_shared_dags():
    import random

    rng = random.Random(11)
    for _ in range(200):
        nodes = [Value(rng.uniform(-1, 1)) for _ in range(3)]
        for _ in range(rng.randint(1, 40)):
            a, b = rng.choice(nodes), rng.choice(nodes[-6:])  # lean on recent nodes: sharing
            kind = rng.randrange(4)
            nodes.append(a + b if kind == 0 else a * b if kind == 1 else
                         a.tanh() if kind == 2 else Value.sum([a, b, rng.choice(nodes)]))
        root = nodes[-1]
        order = topological_order(root)
        position = {node: i for i, node in enumerate(order)}
        assert len(position) == len(order)  # no node twice
        for node in order:
            for inp in node.inputs:
                if inp.inputs:
                    assert position[inp] < position[node]
        interior = {n for n in topological_order(root, leaves=True) if n.inputs}
        assert set(order) == interior


def test_sum_that_overflows_gives_inf_like_add_and_anomaly_mode_names_it():
    from micrograd_nn import AnomalyError, detect_anomaly

    big = [Value(1e308), Value(1e308)]
    assert Value.sum(big).data == math.inf == (big[0] + big[1]).data
    assert math.isnan(Value.sum([Value(1e308), Value(1e308), Value(-1e308), Value(-1e308),
                                 Value(1e308) * 10, -(Value(1e308) * 10)]).data)
    with detect_anomaly(), pytest.raises(AnomalyError, match="op 'sum' produced inf"):
        Value.sum(big)


def test_sum_apply_makes_an_n_ary_node_for_any_number_of_terms():
    from micrograd_nn.ops import Sum

    for n in (1, 2, 3):
        terms = [Value(float(i + 1)) for i in range(n)]
        node = Sum.apply(*terms)
        assert node.inputs == tuple(terms) and node.data == sum(range(1, n + 1))
        (node * node).backward()
        assert [t.grad for t in terms] == [2.0 * node.data] * n
