"""Loss functions: values against their formulas, gradients against their derivatives."""

import math

import numpy as np
import pytest

from micrograd_nn import Value, losses


def vals(xs):
    return [Value(float(x)) for x in xs]


def sig(z):
    return 1 / (1 + math.exp(-z))


def test_mse_of_seed_002_example_is_one_half():
    assert losses.mse(vals([0, 0, 0, 0]), [1, 0, 0, 1]).data == 0.5


def test_mse_gradient_is_two_times_error_over_n():
    p = vals([0.2, 0.9, -0.5])
    y = [0.0, 1.0, 1.0]
    losses.mse(p, y).backward()
    assert [v.grad for v in p] == pytest.approx([2 * (a.data - b) / 3 for a, b in zip(p, y)])


def test_bce_matches_formula_and_gradient():
    p, y = vals([0.1, 0.7, 0.4, 0.95]), [0.0, 1.0, 0.3, 1.0]
    loss = losses.bce(p, y)
    pa, ya = np.array([v.data for v in p]), np.array(y)
    assert loss.data == pytest.approx(-np.mean(ya * np.log(pa) + (1 - ya) * np.log(1 - pa)),
                                      rel=1e-14)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx(list((pa - ya) / (pa * (1 - pa)) / 4), rel=1e-12)


@pytest.mark.parametrize("p, y", [(0.0, 1.0), (1.0, 0.0), (1e-300, 1.0)])
def test_bce_clamps_so_log_never_sees_zero(p, y):
    loss = losses.bce([Value(p)], [y])
    assert loss.data == pytest.approx(-math.log(losses.BCE_EPS), rel=1e-3)


def test_bce_rejects_targets_outside_zero_one():
    with pytest.raises(ValueError, match="1.5"):
        losses.bce([Value(0.5)], [1.5])


@pytest.mark.parametrize("z", [-30.0, -2.0, -0.1, 0.0, 0.1, 3.0, 30.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_with_logits_equals_bce_of_sigmoid_and_has_gradient_sigma_minus_y(z, y):
    x = Value(z)
    loss = losses.bce_with_logits(x, y)
    # -[y ln σ(z) + (1-y) ln(1-σ(z))] in the form that stays exact for large |z|
    expected = max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))
    assert loss.data == pytest.approx(expected, rel=1e-12, abs=1e-15)
    loss.backward()
    assert x.grad == pytest.approx(sig(z) - y, abs=1e-15)


def test_bce_with_logits_is_finite_for_huge_logits():
    assert losses.bce_with_logits(Value(1000.0), 0.0).data == pytest.approx(1000.0)
    assert losses.bce_with_logits(Value(-1000.0), 0.0).data == 0.0


def test_hinge_value_and_gradient():
    s = vals([2.0, 0.5, -0.3])
    y = [1.0, 1.0, -1.0]
    loss = losses.hinge(s, y)
    assert loss.data == pytest.approx((0 + 0.5 + 0.7) / 3)
    loss.backward()
    assert [v.grad for v in s] == pytest.approx([0.0, -1 / 3, 1 / 3])


def test_hinge_rejects_zero_one_targets():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.hinge([Value(0.5)], [0.0])


def test_softmax_cross_entropy_value_and_gradient_softmax_minus_onehot():
    z = vals([1.0, -0.5, 2.0, 0.3])
    loss = losses.softmax_cross_entropy(z, 1)
    za = np.array([v.data for v in z])
    soft = np.exp(za) / np.exp(za).sum()
    assert loss.data == pytest.approx(-math.log(soft[1]), rel=1e-14)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx(list(soft - np.eye(4)[1]), abs=1e-15)


def test_softmax_cross_entropy_subtracts_max_so_large_logits_do_not_overflow():
    z = vals([1000.0, 0.0, 999.0])
    loss = losses.softmax_cross_entropy(z, 2)
    assert loss.data == pytest.approx(math.log(1 + math.exp(-1) + math.exp(-1000)) + 1.0)
    loss.backward()
    assert z[0].grad == pytest.approx(1 / (1 + math.exp(-1)))


def test_softmax_cross_entropy_of_a_batch_is_the_mean():
    a, b = vals([1.0, 2.0]), vals([0.5, -0.5])
    batch = losses.softmax_cross_entropy([a, b], [0, 1]).data
    single = (losses.softmax_cross_entropy(a, 0).data
              + losses.softmax_cross_entropy(b, 1).data) / 2
    assert batch == pytest.approx(single, rel=1e-15)


@pytest.mark.parametrize("target, error", [(3, ValueError), (-1, ValueError),
                                           (True, TypeError), (1.0, TypeError)])
def test_softmax_cross_entropy_rejects_bad_class(target, error):
    with pytest.raises(error):
        losses.softmax_cross_entropy(vals([1.0, 2.0, 3.0]), target)


def test_softmax_sums_to_one():
    out = losses.softmax(vals([3.0, 1.0, -2.0]))
    assert sum(o.data for o in out) == pytest.approx(1.0, abs=1e-15)


def test_l2_penalty_gradient_is_two_alpha_p():
    p = vals([0.5, -2.0])
    pen = losses.l2_penalty(p, 1e-4)
    assert pen.data == pytest.approx(1e-4 * 4.25)
    pen.backward()
    assert [v.grad for v in p] == pytest.approx([1e-4, -4e-4])


@pytest.mark.parametrize("pred, target", [(vals([1.0, 2.0]), [1.0]), (vals([1.0]), 1.0),
                                          ([], [])])
def test_mismatched_outputs_and_targets_raise_value_error(pred, target):
    with pytest.raises(ValueError):
        losses.mse(pred, target)


def test_boolean_target_is_refused():
    with pytest.raises(TypeError, match="bool"):
        losses.mse([Value(1.0)], [True])


def test_softmax_cross_entropy_of_a_single_value_says_it_needs_a_list():
    with pytest.raises(TypeError, match="needs a list of logits"):
        losses.softmax_cross_entropy(Value(1.0), 0)


def test_a_target_too_large_for_a_float_is_named():
    with pytest.raises(OverflowError, match="a target: 1000000000.*too large for a float"):
        losses.mse(Value(1.0), 10 ** 400)
