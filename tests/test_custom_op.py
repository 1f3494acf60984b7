"""custom_op: a user's op is a node like the built-in ones for backward, step-through,
diagrams, gradcheck, check_ops and detect_anomaly."""

import io
import math

import pytest

from micrograd_nn import (
    OPS,
    AnomalyError,
    Constant,
    Value,
    custom_op,
    detect_anomaly,
    gradcheck,
    no_grad,
)
from micrograd_nn.testing import check_ops

square = custom_op("square", lambda x: x * x, lambda x: 2 * x, lambda x: 2 * x)
wrong_square = custom_op("bad_square", lambda x: x * x, lambda x: x)  # slope x, not 2x
fma = custom_op("fma", lambda a, b, c: a * b + c, lambda a, b, c: (b, a, 1.0))
hinge = custom_op("hinge", lambda x: max(0.0, 1.0 - x),
                  lambda x: (-1.0 if x < 1.0 else None,))


def test_forward_backward_and_node_shape():
    x = Value(3.0, "x")
    y = square(x)
    y.backward()
    assert (y.data, y.op, y.inputs, x.grad) == (9.0, "square", (x,), 6.0)
    assert "square" not in {cls.op for cls in OPS.values() if isinstance(cls.op, str)}


def test_numbers_become_constants_and_three_inputs_make_one_node():
    a, c = Value(2.0, "a"), Value(1.0, "c")
    z = fma(a, 5, c)
    z.backward()
    assert z.data == 11.0 and len(z.inputs) == 3 and z.inputs[1].data == 5.0
    assert (a.grad, c.grad) == (5.0, 1.0)


def test_a_none_derivative_passes_nothing_like_a_gate():
    x = Value(2.0)
    out = hinge(x) + x
    out.backward()
    assert x.grad == 1.0


def test_steps_and_explain_show_the_op_and_match_backward():
    x = Value(3.0, "x")
    y = (square(x) * 2).named("y")
    steps = list(y.backward_steps())
    assert steps[-1].equation().endswith("= square(x)")
    assert "dsquare/dx" in str(steps[-1]) and x.grad == 12.0
    out = io.StringIO()
    x.grad = 0.0
    y.explain(out)
    assert "square(x)" in out.getvalue() and "x.grad = 12.0000" in out.getvalue()


def test_gradcheck_passes_a_right_op_and_names_a_wrong_one():
    assert gradcheck(lambda a, b: fma(square(a), b, a), [Value(0.7), Value(-1.3)])
    x = Value(0.5, "x")
    with pytest.raises(AssertionError) as info:
        gradcheck(lambda v: wrong_square(v).tanh() + v, [x])
    message = str(info.value)
    assert "'bad_square' node" in message and "'tanh'" not in message
    assert [m.node.op for m in info.value.ops] == ["bad_square"]


def test_check_ops_names_only_the_wrong_node():
    x = Value(1.5, "x")
    out = square(x) + wrong_square(x).named("w") * x.exp()
    with pytest.raises(AssertionError, match=r"'bad_square' node 'w' = 2\.25 from \(1\.5 'x'\)"):
        check_ops(out)
    assert check_ops(square(x) + x.exp())


def test_a_forward_giving_nan_or_inf_is_refused_naming_the_op_and_point():
    inv = custom_op("inv", lambda x: 1.0 / x if x else math.inf, lambda x: -1.0 / (x * x))
    with pytest.raises(OverflowError, match=r"custom op 'inv': forward gave inf at \(0\.0\)"):
        inv(Value(0.0))
    nan = custom_op("nan_op", lambda x: math.nan, lambda x: 1.0)
    with pytest.raises(ValueError, match=r"'nan_op': forward gave nan at \(2\.0\)"):
        nan(Value(2.0))
    assert inv(Value(4.0)).data == 0.25


def test_detect_anomaly_names_the_custom_op_backward():
    blowup = custom_op("blowup", lambda x: x, lambda x: math.inf)
    with detect_anomaly():
        y = blowup(Value(1.0)) * 2
        with pytest.raises(AnomalyError, match="backward of op 'blowup'"):
            y.backward()


def test_no_grad_and_domain_errors_behave_like_built_ins():
    with no_grad():
        assert square(Value(2.0)).inputs == ()
    root = custom_op("root", lambda x: math.sqrt(x), lambda x: 0.5 / math.sqrt(x))
    with pytest.raises(ValueError, match="in node 'neg'"):
        root(Value(-1.0, "neg"))


def test_higher_derivatives_use_value_derivative_or_say_what_is_missing():
    from micrograd_nn import grad

    x = Value(3.0)
    (d,) = grad(square(x), [x], create_graph=True)
    (dd,) = grad(d, [x])
    assert (d.data, dd.data) == (6.0, 2.0)
    with pytest.raises(NotImplementedError, match="value_derivative"):
        grad(wrong_square(x), [x], create_graph=True)


def test_diagram_shows_the_op_name():
    viz = pytest.importorskip("micrograd_nn.viz")
    pytest.importorskip("graphviz")
    assert "square" in viz.draw_dot(square(Value(2.0)) + 1).source


@pytest.mark.parametrize("name", ["", "+", "tanh", "sum", "**2", " pad", "f\\", "<b>x</b>",
                                  "a\x00b", "tab\there", 'q"uote', "{x}"])
def test_names_that_would_be_confused_with_built_ins_are_refused(name):
    with pytest.raises(ValueError):
        custom_op(name, lambda x: x, lambda x: 1.0)


def test_a_derivative_of_the_wrong_length_or_type_is_an_error_naming_the_op():
    two = custom_op("two", lambda x: x, lambda x: (1.0, 2.0))
    with pytest.raises(ValueError, match="'two': derivative gave 2 values for 1 input"):
        two(Value(1.0)).backward()
    text = custom_op("text", lambda x: "x", lambda x: 1.0)
    with pytest.raises(TypeError, match="'text': forward must return a number"):
        text(Value(1.0))


def test_value_derivative_must_agree_with_derivative_and_give_values():
    from micrograd_nn import GradcheckError, grad, gradgradcheck, hessian
    from micrograd_nn.custom import DerivativeMismatch

    lying = custom_op("lying", lambda x: x * x, lambda x: 2 * x, lambda x: x * 1.0)
    x = Value(1.0, "x")
    assert grad(lying(x), x)[0].data == 2.0  # the float rule
    with pytest.raises(DerivativeMismatch, match=r"'lying': value_derivative gives 1\.0 for "
                       r"input 0 at \(1\.0\), derivative gives 2\.0"):
        grad(lying(x), x, create_graph=True)
    with pytest.raises(AssertionError, match="'lying' node .*value_derivative gives 1.0"):
        check_ops(lying(x))
    with pytest.raises(GradcheckError, match="lying"):
        gradgradcheck(lying, [1.0])
    assert gradgradcheck(lying, [1.0], raise_exception=False) is False
    flat = custom_op("flat", lambda x: x * x, lambda x: 2 * x, lambda x: 2.0)
    with pytest.raises(TypeError, match="'flat': value_derivative must give Values"):
        hessian(flat, [3.0])
    with pytest.raises(AssertionError, match="'flat' node"):
        check_ops(flat(Value(3.0)))
    line = custom_op("line", lambda x: 3 * x, lambda x: 3.0, lambda x: Constant(3.0))
    assert hessian(line, [2.0]) == [[0.0]] and check_ops(line(Value(2.0)))


def test_domain_is_kept_on_the_op_and_checked():
    root = custom_op("root2", math.sqrt, lambda x: 0.5 / math.sqrt(x), domain=(0.0, None))
    assert root.domain == ((0.0, math.inf),) and root.op_class.domain == root.domain
    pred = custom_op("pred", math.log, lambda x: 1 / x, domain=lambda x: x > 0)
    assert pred.domain(2.0) and not pred.domain(-1.0)
    with pytest.raises(ValueError, match="is empty"):
        custom_op("empty", math.sqrt, lambda x: 1.0, domain=(1.0, 0.0))
    with pytest.raises(TypeError, match="domain must be"):
        custom_op("bad_domain", math.sqrt, lambda x: 1.0, domain="positive")


def test_a_value_domain_is_accepted_as_the_domain():
    from micrograd_nn.value import Domain

    op = custom_op("dom_log", math.log, lambda x: 1 / x, domain=Domain(0.0))
    assert op.domain == ((0.0, math.inf),)


# --- the agreement check between value_derivative and derivative (mutation survivors) ----


def test_rounding_differences_between_the_two_derivatives_are_accepted():
    from micrograd_nn import grad

    # 3 * x * x and 3 * (x * x) round differently: relatively at 2.1 (13.230000000000002
    # and 13.23), absolutely in the subnormal range at 1.37e-162 (5e-324 and 0.0)
    cube = custom_op("cube_round", lambda x: x ** 3, lambda x: 3 * x * x,
                     lambda x: 3 * (x * x))
    for at, want in ((2.1, 13.23), (1.37e-162, 0.0)):
        x = Value(at)
        (d,) = grad(cube(x), [x], create_graph=True)
        assert d.data == want  # the Value rule's own number, accepted
    assert check_ops(cube(Value(2.1)))


def test_the_agreement_tolerance_is_1e_9_relative_plus_1e_300_inclusive():
    from micrograd_nn import grad
    from micrograd_nn.custom import DerivativeMismatch

    edge = 1e-9 * 1.000000001e-300 + 1e-300  # == 1.000000001e-300: exactly the tolerance
    assert edge == 1.000000001e-300
    for given, accepted in ((edge, True), (2 * edge, False), (1.0 + 5e-10, True),
                            (1.0 + 3e-9, False)):
        base = 0.0 if given < 1e-200 else 1.0
        op = custom_op("tol_edge", lambda x, b=base: b * x, lambda x, b=base: b,
                       lambda x, g=given: Constant(g) + 0 * x)
        x = Value(1.0)
        if accepted:
            assert grad(op(x), [x], create_graph=True)[0].data == given
        else:
            with pytest.raises(DerivativeMismatch, match="'tol_edge'"):
                grad(op(x), [x], create_graph=True)


def test_a_value_derivative_with_the_wrong_sign_is_a_mismatch():
    from micrograd_nn import grad
    from micrograd_nn.custom import DerivativeMismatch

    flipped = custom_op("flipped", lambda x: x * x, lambda x: 2 * x, lambda x: -2 * x)
    x = Value(1.5)
    with pytest.raises(DerivativeMismatch, match=r"gives -3\.0 for input 0 at \(1\.5\), "
                                                 r"derivative gives 3\.0"):
        grad(flipped(x), [x], create_graph=True)


def test_none_and_zero_are_the_same_derivative_on_either_side():
    from micrograd_nn import grad, hessian

    # None (the input receives nothing) on one side, an exact 0 on the other: they agree
    flat_float = custom_op("flat_float", lambda x, y: x, lambda x, y: (1.0, None),
                           lambda x, y: (Constant(1.0), 0 * y))
    flat_value = custom_op("flat_value", lambda x, y: x, lambda x, y: (1.0, 0.0),
                           lambda x, y: (Constant(1.0), None))
    for op in (flat_float, flat_value):
        x, y = Value(2.0), Value(3.0)
        dx, dy = grad(op(x, y), [x, y], create_graph=True)
        assert (dx.data, dy.data) == (1.0, 0.0)
        assert hessian(op, [2.0, 3.0]) == [[0.0, 0.0], [0.0, 0.0]]
        assert check_ops(op(x, y), atol=1e-9)  # a slope 0 needs an atol to be checked


def test_derivatives_take_values_and_plain_numbers_mixed_like_the_built_in_ops():
    affine = custom_op("affine", lambda a, b: 2 * a + 3 * b, lambda a, b: (2.0, 3.0),
                       lambda a, b: (Constant(2.0), Constant(3.0)))
    a = Value(1.0)
    node = affine(a, 4.0)
    ds = node.derivatives(node, a, 4.0)  # one Value, one number: the Value rule
    assert [type(d) for d in ds] == [Constant, Constant] and [d.data for d in ds] == [2, 3]
    assert node.derivatives(14.0, 1.0, 4.0) == (2.0, 3.0)  # all numbers: the float rule
    m = Value(1.0) * 4.0
    assert m.derivatives(m, Value(1.0), 4.0)[0] == 4.0  # the built-in op mixes too


def test_domain_forms_one_pair_for_one_input_or_one_per_input():
    from micrograd_nn.value import Domain

    def op(domain, n=1):
        forward = (lambda x: x) if n == 1 else (lambda x, y: x + y)
        return custom_op("dom", forward, lambda *xs: (1.0,) * n, domain=domain).domain

    inf = math.inf
    assert op([0, 1]) == ((0.0, 1.0),)  # a list pair, ints made floats
    assert op((None, 2)) == ((-inf, 2.0),) and op((-2, None)) == ((-2.0, inf),)
    assert op(Domain(-1.0, 1.0, avoid=(0.0,))) == ((-1.0, 1.0),)  # its low and high only
    assert op(Domain(high=3.0)) == ((-inf, 3.0),)
    assert op([(0, None), Domain(-1.0, 1.0)], 2) == ((0.0, inf), (-1.0, 1.0))
    assert op(((0, 1), [2, 3]), 2) == ((0.0, 1.0), (2.0, 3.0))
    assert op([(None, 0), (1, 2), (3, None)], 3) == ((-inf, 0.0), (1.0, 2.0), (3.0, inf))
    assert op(((None, None),)) == ((-inf, inf),)


@pytest.mark.parametrize("domain, error, message", [
    ((), TypeError, r"domain must be a function of the inputs, or one \(low, high\) pair "
                    r"per input, got \(\)"),
    ([], TypeError, r"domain must be .* got \[\]"),
    (5, TypeError, "domain must be .* got 5"),
    ([(0, 1), 5], TypeError, r"each domain entry must be a \(low, high\) pair, got 5"),
    ([(0, 1, 2)], TypeError, r"each domain entry must be a \(low, high\) pair, got \(0, 1, 2\)"),
    ((0, 1, 2), TypeError, "each domain entry must be a .* got 0"),
    ([(0, 1), (2,)], TypeError, r"got \(2,\)"),
    ((1.0, 1.0), ValueError, r"domain \(1\.0, 1\.0\) is empty: low must be below high"),
    ((2, 1), ValueError, r"domain \(2\.0, 1\.0\) is empty"),
    ([(0, 1), (None, -math.inf)], ValueError, r"domain \(-inf, -inf\) is empty"),
])
def test_a_malformed_or_empty_domain_is_refused_saying_why(domain, error, message):
    with pytest.raises(error, match=message):
        custom_op("dom", lambda x, y=0.0: x, lambda x, y=0.0: (1.0,), domain=domain)


def test_a_derivative_may_be_a_bare_number_a_tuple_or_a_list_and_comes_back_as_floats():
    from fractions import Fraction

    half = custom_op("half", lambda x: x / 2, lambda x: Fraction(1, 2))
    twice = custom_op("twice", lambda x: 2 * x, lambda x: [2])  # a list, an int
    mul = custom_op("mul2", lambda a, b: a * b, lambda a, b: [b, a])
    x, y = Value(3.0, "x"), Value(5.0, "y")
    for node, want in ((half(x), (0.5,)), (twice(x), (2.0,)), (mul(x, y), (5.0, 3.0))):
        ds = node.local_derivatives()
        assert ds == want and all(type(d) is float for d in ds)  # not a Fraction or an int
    h = half(x).named("h")
    assert "+= dhalf/dx * h.grad = 0.5000 * 1.0000" in str(list(h.backward_steps())[-1])
    assert type(x.grad) is float and x.grad == 0.5


@pytest.mark.parametrize("derivative, error, message", [
    (lambda x, y: (1.0,), ValueError, "'bad_rule': derivative gave 1 values for 2 inputs"),
    (lambda x, y: 1.0, ValueError, "'bad_rule': derivative gave 1 values for 2 inputs"),
    (lambda x, y: (1.0, 2.0, 3.0), ValueError, "derivative gave 3 values for 2 inputs"),
    (lambda x, y: (True, 1.0), TypeError, "'bad_rule': derivative must give numbers, got "
                                          "bool True"),
    (lambda x, y: (1.0, "2"), TypeError, "derivative must give numbers, got str '2'"),
    (lambda x, y: {1.0, 2.0}, ValueError, "derivative gave 1 values"),  # a set: one value
])
def test_a_derivative_of_the_wrong_shape_or_type_is_refused_naming_the_op(derivative, error,
                                                                           message):
    op = custom_op("bad_rule", lambda x, y: x + y, derivative)
    with pytest.raises(error, match=message):
        op(Value(1.0), Value(2.0)).backward()


def test_a_value_derivative_of_the_wrong_shape_or_kind_is_refused_naming_the_op():
    from micrograd_nn import grad

    def op(value_derivative):  # x * y + x: d/dx = y + 1, d/dy = x
        return custom_op("vrule", lambda x, y: x * y + x, lambda x, y: (y + 1, x),
                         value_derivative)

    x, y = Value(2.0), Value(3.0)
    with pytest.raises(ValueError, match="'vrule': derivative gave 1 values for 2 inputs"):
        grad(op(lambda x, y: (y + 1,))(x, y), [x], create_graph=True)
    with pytest.raises(TypeError, match="'vrule': value_derivative must give Values built "
                                        "from its Value arguments .* got float 2.0"):
        grad(op(lambda x, y: (y + 1, 2.0))(x, y), [x], create_graph=True)
    dx, dy = grad(op(lambda x, y: [y + 1, x])(x, y), [x, y], create_graph=True)  # a list
    assert (dx.data, dy.data) == (4.0, 2.0) and isinstance(dy, Value)
