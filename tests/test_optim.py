"""Optimizers against their published update rules (PyTorch's documentation), step by step.

The reference rules below are written with NumPy arrays over all parameters at once, a
different shape of code from the per-parameter updates they check.
"""

import math

import numpy as np
import pytest

from micrograd_nn import SGD, Adam, Momentum, RMSprop, Value
from micrograd_nn.optim import Optimizer

GRADS = np.array([[0.5, -1.0, 2.0], [0.4, -0.8, -1.0], [-0.1, 0.3, 0.5], [0.2, 0.2, 0.2]])
START = np.array([1.0, -2.0, 0.5])


def run(make):
    """Apply GRADS one row per step through the optimizer; the parameters after each step."""
    params = [Value(float(v)) for v in START]
    opt = make(params)
    trace = []
    for g in GRADS:
        for p, gi in zip(params, g):
            p.grad = float(gi)
        opt.step()
        trace.append([p.data for p in params])
    return np.array(trace)


def reference(rule, **hyper):
    p, state, trace = START.copy(), {}, []
    for t, g in enumerate(GRADS, 1):
        p = p - rule(g, t, state, **hyper)
        trace.append(p)
    return np.array(trace)


def sgd_rule(g, t, state, lr):
    return lr * g


def momentum_rule(g, t, state, lr, mu):
    state["b"] = g if t == 1 else mu * state["b"] + g
    return lr * state["b"]


def rmsprop_rule(g, t, state, lr, alpha, eps):
    state["v"] = alpha * state.get("v", 0.0) + (1 - alpha) * g ** 2
    return lr * g / (np.sqrt(state["v"]) + eps)


def adam_rule(g, t, state, lr, b1, b2, eps):
    state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
    state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g ** 2
    m_hat, v_hat = state["m"] / (1 - b1 ** t), state["v"] / (1 - b2 ** t)
    return lr * m_hat / (np.sqrt(v_hat) + eps)


@pytest.mark.parametrize("make, rule, hyper", [
    (lambda ps: SGD(ps, lr=0.1), sgd_rule, {"lr": 0.1}),
    (lambda ps: Momentum(ps, lr=0.1, momentum=0.8), momentum_rule, {"lr": 0.1, "mu": 0.8}),
    (lambda ps: RMSprop(ps, lr=0.05, alpha=0.9, eps=1e-6), rmsprop_rule,
     {"lr": 0.05, "alpha": 0.9, "eps": 1e-6}),
    (lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.95), eps=1e-7), adam_rule,
     {"lr": 0.01, "b1": 0.8, "b2": 0.95, "eps": 1e-7}),
])
def test_updates_follow_the_published_rule_step_by_step(make, rule, hyper):
    np.testing.assert_allclose(run(make), reference(rule, **hyper), rtol=1e-14, atol=1e-15)


def test_defaults_are_pytorchs():
    ps = [Value(0.0)]
    assert SGD(ps).lr == 1e-3
    assert (Momentum(ps).lr, Momentum(ps).momentum) == (1e-3, 0.9)
    r = RMSprop(ps)
    assert (r.lr, r.alpha, r.eps) == (1e-2, 0.99, 1e-8)
    a = Adam(ps)
    assert (a.lr, a.beta1, a.beta2, a.eps) == (1e-3, 0.9, 0.999, 1e-8)


def test_adam_first_step_moves_each_parameter_by_about_lr():
    trace = run(lambda ps: Adam(ps, lr=0.01))
    np.testing.assert_allclose(START - trace[0], 0.01 * np.sign(GRADS[0]), rtol=1e-6)


def test_schedule_gets_the_step_count_and_sets_the_learning_rate():
    seen = []

    def schedule(step):
        seen.append(step)
        return 1.0 - 0.9 * step / 100

    trace = run(lambda ps: SGD(ps, lr=schedule))
    assert seen == [0, 1, 2, 3]
    expected = START - np.cumsum([g * (1.0 - 0.9 * k / 100) for k, g in enumerate(GRADS)],
                                 axis=0)
    np.testing.assert_allclose(trace[-1], expected[-1], rtol=1e-14)


def test_zero_grad_clears_every_parameter():
    ps = [Value(1.0), Value(2.0)]
    ps[0].grad, ps[1].grad = 3.0, -4.0
    SGD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


def test_non_finite_gradient_raises_and_changes_nothing():
    ps = [Value(1.0, "a"), Value(2.0, "b")]
    ps[0].grad, ps[1].grad = 0.5, math.inf
    opt = Adam(ps)
    with pytest.raises(FloatingPointError, match="'b'"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0] and opt.steps == 0


@pytest.mark.parametrize("make, error", [
    (lambda: SGD([], lr=0.1), ValueError),
    (lambda: SGD([Value(1.0)], lr=-0.1), ValueError),
    (lambda: SGD([Value(1.0)], lr=math.nan), ValueError),
    (lambda: SGD([1.0], lr=0.1), TypeError),
    (lambda: Momentum([Value(1.0)], momentum=1.0), ValueError),
    (lambda: Adam([Value(1.0)], betas=(0.9,)), ValueError),
    (lambda: RMSprop([Value(1.0)], alpha=1.5), ValueError),
])
def test_bad_settings_raise(make, error):
    with pytest.raises(error):
        make()


def test_duplicate_parameter_is_refused():
    p = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        SGD([p, p], lr=0.1)


def test_schedule_returning_a_negative_rate_raises():
    p = Value(1.0)
    p.grad = 1.0
    with pytest.raises(ValueError, match="step 0"):
        SGD([p], lr=lambda step: -1.0).step()
    assert p.data == 1.0


# --- hyper-parameters refused at construction; step() all or nothing (issue 19) ---------

@pytest.mark.parametrize("bad", [0.0, 0, -1e-8, math.nan, math.inf, -math.inf, True, "1e-8",
                                 None])
@pytest.mark.parametrize("make", [
    lambda eps: Adam([Value(1.0)], eps=eps),
    lambda eps: RMSprop([Value(1.0)], eps=eps)], ids=["Adam", "RMSprop"])
def test_eps_must_be_a_finite_number_above_zero(make, bad):
    with pytest.raises((ValueError, TypeError), match="eps"):
        make(bad)


@pytest.mark.parametrize("make, name", [
    (lambda v: SGD([Value(1.0)], lr=v), "lr"),
    (lambda v: Momentum([Value(1.0)], momentum=v), "momentum"),
    (lambda v: RMSprop([Value(1.0)], alpha=v), "alpha"),
    (lambda v: Adam([Value(1.0)], betas=(v, 0.999)), "beta1"),
    (lambda v: Adam([Value(1.0)], betas=(0.9, v)), "beta2"),
])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, -math.inf])
def test_every_hyper_parameter_refuses_negative_and_non_finite_values(make, name, bad):
    with pytest.raises(ValueError, match=f"{name} must be a finite number"):
        make(bad)


class _FailsOnSecond(SGD):
    """SGD whose rule raises for the second parameter, after updating its own state."""

    def __init__(self, params):
        super().__init__(params, lr=0.1)
        self.seen = []

    def update(self, i, g, lr):
        self.seen.append(i)
        if i == 1:
            raise ZeroDivisionError("the rule failed")
        return lr * g


def test_a_step_whose_rule_raises_changes_no_parameter_nor_any_state():
    ps = [Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")]
    for p in ps:
        p.grad = 1.0
    opt = _FailsOnSecond(ps)
    with pytest.raises(ZeroDivisionError):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0, 3.0]
    assert opt.steps == 0 and opt.seen == []  # its state is as it was before the step


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=1e300),
    lambda ps: Momentum(ps, lr=1e300),
    lambda ps: Adam(ps, lr=1e300, eps=1e-300),
    lambda ps: RMSprop(ps, lr=1e300, eps=1e-300),
], ids=["SGD", "Momentum", "Adam", "RMSprop"])
def test_a_step_that_would_make_a_parameter_or_the_state_non_finite_changes_nothing(make):
    ps = [Value(1.0, "a"), Value(-1e300, "b")]
    ps[0].grad, ps[1].grad = 1.0, 1e200  # b's step overflows (or its g^2 does)
    opt = make(ps)
    state = {k: (list(v) if isinstance(v, list) else v) for k, v in vars(opt).items()
             if k != "params"}
    with pytest.raises(FloatingPointError, match="'b'.*no parameter was changed"):
        opt.step()
    assert [p.data for p in ps] == [1.0, -1e300] and opt.steps == 0
    assert {k: (list(v) if isinstance(v, list) else v) for k, v in vars(opt).items()
            if k != "params"} == state
    ps[1].grad = 1.0  # with a sane gradient the same optimizer steps normally
    opt.step()
    assert opt.steps == 1 and ps[0].data < 1.0


def test_the_first_non_finite_gradient_is_named_and_a_none_grad_is_a_type_error():
    ps = [Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")]
    ps[0].grad, ps[1].grad, ps[2].grad = 0.5, math.nan, math.inf
    with pytest.raises(FloatingPointError, match="parameter 'b' is nan"):
        Adam(ps).step()
    ps[1].grad, ps[2].grad = None, 1.0  # not a number: the error it always was
    with pytest.raises(TypeError):
        SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == [1.0, 2.0, 3.0]


def test_a_non_finite_state_is_named_for_the_first_parameter_it_reaches():
    class Doubling(Optimizer):  # a rule with a state of its own: twice each gradient
        def __init__(self, params):
            super().__init__(params, 0.1)
            self.trace = [0.0] * len(self.params)

        def update(self, i, g, lr):
            self.trace[i] = 2.0 * g
            return g

    # a's new value is finite but its state is inf; b's new value would be inf too: the
    # check goes parameter by parameter, the value then the state, so a's state is named
    ps = [Value(1.0, "a"), Value(1e308, "b")]
    ps[0].grad, ps[1].grad = 1e308, -1e308
    opt = Doubling(ps)
    with pytest.raises(FloatingPointError, match="Doubling.trace of parameter 'a'"):
        opt.step()
    assert opt.steps == 0 and opt.trace == [0.0, 0.0] and [p.data for p in ps] == [1.0, 1e308]
    m = Momentum([Value(1.0, "a")], lr=0.1)  # its buffers start as None: not numbers
    m.params[0].grad = 2.0
    m.step()
    assert m.buffers == [2.0] and m.params[0].data == 1.0 - 0.1 * 2.0
