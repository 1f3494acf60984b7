"""The backward path under detect_anomaly, as the mutation run over value.py asks: finite
grads pass untouched, an inf behind a closed gate on an interior node is allowed, a NaN on an
interior node stops at the op that made it."""

import math

import pytest

from micrograd_nn import AnomalyError, Value, custom_op, detect_anomaly


def test_finite_grads_on_leaves_pass_under_detect_anomaly():
    with detect_anomaly():
        x, y = Value(2.0, "x"), Value(3.0, "y")
        (x * y + x.tanh()).backward()
    assert x.grad == pytest.approx(3.0 + 1 - math.tanh(2.0) ** 2) and y.grad == 2.0


def test_an_inf_behind_a_closed_gate_on_a_unary_node_is_allowed():
    with detect_anomaly():
        x = Value(-1.0, "x")
        x.relu().__pow__(0.5).backward()  # relu's node gets inf, the gate passes nothing
    assert x.grad == 0.0


def test_a_nan_on_an_interior_node_stops_at_the_op_that_made_it():
    nan_slope = custom_op("nan_slope", lambda x: x, lambda x: math.nan)
    with detect_anomaly():
        x = Value(1.0, "x")
        y = nan_slope(x * 2).tanh()
        with pytest.raises(AnomalyError, match="backward of op 'nan_slope'"):
            y.backward()
