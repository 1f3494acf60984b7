"""Correct on any Python runtime, and at the edges the issue list named.

Nothing may depend on CPython accidents: equal floats being one object (as on PyPy), or
reference-count timing. Also: detect_anomaly keeps no node alive, re-entered mode objects
restore their state, ``@no_grad()`` refuses generator functions, ``x / x`` at a subnormal,
``Value.sum`` overflow whatever the order, and the README's debugger recipe run in a real
``pdb``.
"""

from __future__ import annotations

import gc
import itertools
import math
import platform
import random
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_nn import Value, detect_anomaly, no_grad
from micrograd_nn.engine import AnomalyError, is_grad_enabled

ROOT = Path(__file__).resolve().parent.parent
CPYTHON = platform.python_implementation() == "CPython"


# --- no reliance on the identity of numbers ----------------------------------------------


def test_relu_of_a_b_plus_a_on_300_random_graphs():
    # On PyPy every equal float is the same object: a walk that marked nodes with a float
    # left these grads at zero in 297 of 300 graphs.
    rng = random.Random(300)
    for _ in range(300):
        a0 = rng.choice([rng.uniform(-3, 3), 0.0, 1.0, 2.0, -1.0])
        b0 = rng.choice([rng.uniform(-3, 3), 0.0, 1.0, -1.0])
        a, b = Value(a0), Value(b0)
        (a * b + a).relu().backward()
        live = a0 * b0 + a0 > 0
        assert (a.grad, b.grad) == ((b0 + 1.0, a0) if live else (0.0, 0.0))


def test_many_nodes_holding_the_same_numbers():
    # Every node below holds 0.0, 1.0 or 2.0; they must still be told apart by the walk.
    x = Value(1.0)
    ones = [x * 1.0 for _ in range(50)]
    zeros = [x - 1.0 for _ in range(50)]
    total = ones[0]
    for node in ones[1:] + zeros:
        total = total + node
    (total * 2.0 + x * 0.0).backward()
    assert x.grad == 2.0 * 100 + 0.0


# --- detect_anomaly keeps nothing alive -----------------------------------------------


def train_steps(n: int) -> None:
    """``n`` steps of a one-weight neuron, as small as a training step gets."""
    w, b = Value(0.5, "w"), Value(0.1, "b")
    for k in range(n):
        x = 0.25 * (k % 8)
        loss = ((w * x + b).tanh() - 0.5) ** 2
        w.grad = b.grad = 0.0
        loss.backward()
        w.data -= 0.1 * w.grad
        b.data -= 0.1 * b.grad


@pytest.mark.skipif(not CPYTHON, reason="counts objects with gc.get_objects(), which on "
                    "PyPy lists only what its collector chooses to track")
def test_detect_anomaly_keeps_no_node_alive_over_10000_steps():
    with detect_anomaly():
        train_steps(1000)
        gc.collect()
        before = len(gc.get_objects())
        train_steps(10_000)
        gc.collect()
        after = len(gc.get_objects())
    assert after - before < 100, f"{after - before} objects more after 10,000 steps"


# --- modes re-entered, and the decorator on generators ----------------------------------


def anomaly_on() -> bool:
    try:
        Value(1e308) * 10.0
    except AnomalyError:
        return True
    return False


def test_the_same_detect_anomaly_object_nested_and_reused_restores_state():
    mode = detect_anomaly()
    with mode:
        with mode:
            assert anomaly_on()
        assert anomaly_on()  # the inner exit must not switch off the outer block
    assert not anomaly_on()
    with mode:
        assert anomaly_on()
    assert not anomaly_on()
    with pytest.raises(RuntimeError), mode:
        raise RuntimeError
    assert not anomaly_on()


def test_the_same_no_grad_object_nested_and_reused_restores_state():
    mode = no_grad()
    with mode:
        with mode:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    with mode:
        assert (Value(1.0) * 2.0).inputs == ()
    assert len((Value(1.0) * 2.0).inputs) == 2


def test_no_grad_decorator_refuses_generator_and_coroutine_functions():
    def gen():
        yield Value(1.0) * 2.0

    async def coro():
        return None

    for fn in (gen, coro):
        with pytest.raises(TypeError, match=fn.__name__) as info:
            no_grad()(fn)
        assert "with no_grad()" in str(info.value)


# --- numeric edges ---------------------------------------------------------------------


@pytest.mark.parametrize("x0", [5e-324, 1e-310, -2.2e-308, 1e-300, 3.0])
def test_x_over_x_has_grad_zero_also_for_subnormal_x(x0):
    x = Value(x0)
    y = Value(2.0)
    out = (x / x) * y
    out.backward()
    assert out.data == 2.0
    assert x.grad == 0.0 and math.copysign(1.0, x.grad) == 1.0
    assert y.grad == 1.0


@pytest.mark.parametrize("terms, exact", [
    ([1e308, 1e308, -1e308, 1.0], 1e308),
    ([1e308, 1e308, -1e308, -1e308, 5.0], 5.0),
    ([1.7e308, 1.7e308, 1.0], math.inf),
    ([-1.7e308, -1.7e308, 1e308], -math.inf),
    ([1.7e308, 1.7e308, -1.7e308, -1.7e308, -1.7e308], -1.7e308),
])
def test_sum_overflow_does_not_depend_on_term_order(terms, exact):
    for perm in itertools.permutations(terms):
        leaves = [Value(t) for t in perm]
        s = Value.sum(leaves)
        assert s.data == exact, f"{perm} sums to {s.data!r}"
        s.backward()
        assert all(v.grad == 1.0 for v in leaves)


def test_sum_over_both_infinities_is_nan_in_any_order():
    big = Value(1e308)
    inf, ninf = big * 10.0, -big * 10.0
    for perm in itertools.permutations([inf, ninf, Value(1.0)]):
        assert math.isnan(Value.sum(perm).data)


# --- the README's debugger recipe, in a real pdb --------------------------------------

SCRIPT = """\
from micrograd_nn import Value
x, w = Value(2.0, "x"), Value(-3.0, "w")
y = x * w
breakpoint()
y.backward()
print("grads", x.grad, w.grad)
"""


def run_pdb(tmp_path: Path, target: str) -> str:
    """The script above under pdb, breaking at ``target`` and stepping three lines."""
    script = tmp_path / "demo.py"
    script.write_text(SCRIPT)
    module = target.rsplit(".", 2)[0]
    commands = [f"import {module}", f"b {target}", "c", "n", "n", "n", "p 'STOP'", "q"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PYTHONBREAKPOINT": "pdb.set_trace"}
    done = subprocess.run([sys.executable, str(script)], input="\n".join(commands) + "\n",
                          capture_output=True, text=True, env=env, timeout=60)
    return done.stdout


@pytest.mark.parametrize("target", ["micrograd_nn.engine.Mul._backward",
                                    "micrograd_nn.ops.Mul._backward"])
def test_pdb_breakpoint_on_mul_backward_stops_on_its_first_line_then_the_formula(
        tmp_path, target):
    out = run_pdb(tmp_path, target)
    arrows = [line.strip() for line in out.splitlines() if "-> " in line]
    assert "Breakpoint 1 at" in out and "ops.py" in out, out
    # arrows: the breakpoint() line, the stop in Mul._backward, then one per 'n'
    stop = next(i for i, a in enumerate(arrows) if a.endswith("x = self._x"))
    assert arrows[stop + 3].endswith("x.grad += y.data * g"), arrows
    assert "'STOP'" in out


def test_a_backward_between_two_steps_does_not_corrupt_the_stepping_pass():
    # Two roots over shared interior nodes: stepping through one, pausing, running
    # backward() on the other (which resets the shared interior grads), then resuming must
    # give each leaf the sum of both passes, and the stepped root's interior its own grads.
    def build():
        x, w = Value(0.7, "x"), Value(-1.3, "w")
        h = (x * w).tanh()
        shared = h * h + x
        return x, w, shared, (shared * w).exp(), (shared + h).sin()

    def alone(pick):
        x, w, shared, a, b = build()
        pick(a, b).backward()
        return x.grad, w.grad, shared.grad

    ax, aw, a_shared = alone(lambda a, b: a)
    bx, bw, _ = alone(lambda a, b: b)
    x, w, shared, a, b = build()
    steps = a.backward_steps()
    next(steps)
    next(steps)
    b.backward()  # resets the interior grads a's pass is still adding to
    for _ in steps:
        pass
    assert x.grad == pytest.approx(ax + bx, rel=1e-15)
    assert w.grad == pytest.approx(aw + bw, rel=1e-15)
    assert shared.grad == a_shared  # the stepped pass wrote its own interior grads last
