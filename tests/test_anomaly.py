"""detect_anomaly: the first op, forward or backward, that makes a NaN or an infinity raises
AnomalyError naming the op, its inputs and the line of user code that created it. Off by
default (IEEE arithmetic goes on silently), restored on exit, per thread."""

import io
import math
import sys
import threading

import pytest

from micrograd_nn import AnomalyError, Value, detect_anomaly, no_grad

HERE = "test_anomaly.py"


def _next_line() -> int:
    """The line number just after the caller's current line."""
    return sys._getframe(1).f_lineno + 1


def test_first_forward_op_making_inf_raises_naming_op_inputs_labels_and_line():
    a, b = Value(1e200, "a"), Value(3.0, "b")
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        c = (a * b).named("c")  # 3e200: finite, no error yet
        line = _next_line()
        c * a
    message = str(info.value)
    assert "op '*' produced inf" in message
    assert "3e+200 'c'" in message and "1e+200 'a'" in message
    assert f"{HERE}:{line}" in message


def test_nan_in_a_parameter_is_caught_at_the_first_op_that_reads_it():
    w = Value(1.0, "w")
    w.data -= 0.1 * (math.inf * 0.0)  # what an optimizer step with a NaN grad leaves behind
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        line = _next_line()
        w * 2.0 + 1.0
    message = str(info.value)
    assert "op '*' produced nan" in message and "nan 'w'" in message
    assert f"{HERE}:{line}" in message


def test_backward_raises_at_the_op_whose_rule_makes_an_infinite_grad():
    x = Value(0.0, "x")
    with detect_anomaly():
        root = x ** 0.5  # d/dx sqrt(x) = 1 / (2 sqrt(x)) is +inf at 0
        line = _next_line()
        out = root ** 0.5
        with pytest.raises(AnomalyError) as info:
            out.backward()
    message = str(info.value)
    # it stops where the inf reaches the leaf, and names the op nearest the root, the
    # first whose rule produced an inf (an inf on an interior node alone may be gated)
    assert "backward of op '**0.5'" in message and "grad inf" in message
    assert "first non-finite grad came from op '**0.5' created at " in message
    assert message.endswith(f"{HERE}:{line}")


def test_a_zero_upstream_grad_passes_nothing_back_even_through_an_infinite_slope():
    x = Value(0.0, "x")
    with detect_anomaly():
        out = (x ** 0.5) * 0.0  # PyTorch: 0 * inf = nan; here a zero grad passes nothing
        out.backward()
    assert x.grad == 0.0


def test_backward_inside_the_block_checks_a_graph_built_outside_it():
    x = Value(0.0, "x")
    out = x ** 0.5
    with detect_anomaly(), pytest.raises(AnomalyError, match="outside detect_anomaly"):
        out.backward()


def test_off_by_default_inf_and_nan_pass_silently():
    big = Value(1e200) * Value(1e200)
    assert big.data == math.inf
    x = Value(0.0)
    (x ** 0.5).backward()
    assert x.grad == math.inf
    x = Value(0.0)
    ((x ** 0.5) * 0.0).backward()
    assert x.grad == 0.0  # a zero grad passes nothing back (PyTorch would give nan)


def test_mode_is_restored_on_exit_also_after_an_exception():
    with pytest.raises(AnomalyError):
        with detect_anomaly():
            Value(1e200) * 1e200
    with pytest.raises(KeyError):
        with detect_anomaly():
            raise KeyError("unrelated")
    assert (Value(1e200) * 1e200).data == math.inf


def test_nested_blocks_keep_the_outer_one_on():
    with detect_anomaly():
        with detect_anomaly():
            pass
        with pytest.raises(AnomalyError):
            Value(1e200) * 1e200
    assert (Value(1e200) * 1e200).data == math.inf


def test_mode_is_per_thread():
    inside, checked = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with detect_anomaly():
            inside.set()
            checked.wait(5)
            try:
                Value(1e200) * 1e200
            except AnomalyError:
                seen["worker"] = "raised"

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (Value(1e200) * 1e200).data  # another thread's block does not apply here
    checked.set()
    thread.join(5)
    assert seen == {"main": math.inf, "worker": "raised"}


def test_engine_errors_keep_their_own_types_inside_the_block():
    with detect_anomaly():
        with pytest.raises(ZeroDivisionError):
            Value(1.0) / 0
        with pytest.raises(OverflowError):
            Value(1000.0).exp()
        with pytest.raises(ValueError):
            Value(0.0).log()


def test_anomaly_is_detected_inside_no_grad_too():
    with detect_anomaly(), no_grad(), pytest.raises(AnomalyError):
        Value(1e200) * 1e200


# --- what anomaly mode must not flag, and where else it checks (issue: nothing silently
# wrong, nothing wrongly refused) ----------------------------------------------------------


def test_a_constants_infinite_grad_is_not_an_anomaly():
    # 10 ** y: the constant base 10 gets y * 10 ** (y - 1), which overflows at y = 307.5,
    # while y's own grad (10 ** y * ln 10) is finite; nobody can use a constant's grad
    y = Value(307.5, "y")
    with detect_anomaly():
        out = 10.0 ** y
        out.backward()
    assert math.isfinite(y.grad) and y.grad > 0


def test_an_infinite_grad_behind_a_closed_gate_is_not_an_anomaly():
    # the README's documented case: relu(-1) = 0, 0 ** 0.5 has slope inf, the gate stops it
    x = Value(-1.0, "x")
    with detect_anomaly():
        (x.relu() ** 0.5).backward()
    assert x.grad == 0.0


def test_an_infinite_grad_reaching_a_leaf_still_raises():
    x = Value(0.0, "x")
    with detect_anomaly(), pytest.raises(AnomalyError, match="to input 0.0 'x'"):
        x.sqrt().backward()


def test_stepping_and_explain_check_like_backward():
    x = Value(0.0, "x")
    with detect_anomaly():
        root = x.sqrt() + 1.0
        with pytest.raises(AnomalyError, match="backward step of op 'sqrt'"):
            list(root.backward_steps())
        with pytest.raises(AnomalyError, match="backward step of op 'sqrt'"):
            root.explain(file=io.StringIO())


def test_custom_op_classes_made_inside_the_block_are_freed():
    import gc
    import weakref

    from micrograd_nn import custom_op

    refs = []
    with detect_anomaly():
        for k in range(50):
            op = custom_op(f"twice{k}", lambda a: 2 * a, lambda a: 2.0)
            op(Value(1.0)).backward()
            refs.append(weakref.ref(op.op_class))
            del op
    gc.collect()
    assert sum(r() is not None for r in refs) == 0  # no global cache of twin classes
