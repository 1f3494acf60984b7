"""Every registered op, held to its one definition: the registry ``OPS`` drives it all.

For each op class: ``derivatives`` against the 50-digit mpmath oracle (tests/oracle.py, one
line per op; the inputs drawn from the class's declared ``domains``), its rule (``_backward``,
generic or written out) bit for bit against ``derivatives * g`` (edge inputs and non-finite
grads included), the step text (``expr``, ``local_text``) evaluated as numbers, the
docstring's derivative, the README's row, the Value method it names making it, the fuzz
generator drawing it, and ``backward_steps()`` against ``backward()``. An op added to ``OPS``
without its oracle line, Value method or README row fails here, naming what is missing.
"""

from __future__ import annotations

import itertools
import math
import pathlib
import random
import re

import oracle
import pytest
from mpmath import mp, mpf
from oracle import EXPONENTS, ORACLE

from micrograd_nn import Value
from micrograd_nn.ops import PowConst
from micrograd_nn.testing import expressions
from micrograd_nn.value import OPS, Op

OP_NAMES = sorted(OPS)
README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def float_function(name: str):
    """An op's oracle on floats (for evaluating the step text as numbers)."""
    return lambda *a: float(ORACLE[name](*[mpf(x) for x in a]))


# The functions a step's text may call: each op's Value method by its oracle, and sign
# (which Abs's derivative is written with).
FUNCTIONS = {cls.method: float_function(name) for name, cls in OPS.items()
             if name in ORACLE and not cls.method.startswith("__")}
FUNCTIONS["sign"] = lambda a: (a > 0) - (a < 0)


def same(a: float, b: float) -> bool:
    """Bit-identical floats, NaN-aware: equal with the same sign (so 0.0 is not -0.0), or
    both NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def make(name: str, datas: list[float], n: float = 2.5) -> tuple[Value, list[Value]]:
    """A node of op ``name`` over fresh leaves x0, x1, ... holding ``datas`` (``n``: the
    value of each parameter, e.g. a power's exponent)."""
    cls = OPS[name]
    leaves = [Value(d, f"x{i}") for i, d in enumerate(datas)]
    return oracle.make(cls, leaves, (n,) * len(cls.params)), leaves


def draw(name: str, rng: random.Random) -> list[float]:
    """Random inputs for op ``name`` inside its declared domain."""
    return oracle.draw(OPS[name], rng, box=3.0)


def exact(name: str, datas: list[float], n: float) -> list[mpf]:
    """Each input's partial derivative of the oracle, by mpmath.diff at 50 digits."""
    cls = OPS[name]
    return oracle.exact_gradient(oracle.exact_function(cls, (n,) * len(cls.params)), datas)


def samples(name: str, purpose: str, count: int):
    """``count`` seeded (node, leaves, inputs, parameter) of op ``name`` inside its domain,
    cycling through the parameter values."""
    rng = random.Random(f"{purpose} {name}")
    for k in range(count):
        n = EXPONENTS[k % len(EXPONENTS)]
        datas = draw(name, rng)
        node, leaves = make(name, datas, n)
        yield node, leaves, datas, n


def local_derivatives(node: Value) -> tuple:
    """The node's ``derivatives`` on floats."""
    return node.derivatives(node.data, *[v.data for v in node.inputs])  # type: ignore


def arity(name: str) -> int:
    """The op's number of inputs (2 for an n-ary op)."""
    return oracle.arity(OPS[name]) or 2


# --- the registry is complete ------------------------------------------------------------


def test_every_op_has_an_oracle_entry():
    missing = oracle.missing_entries()
    assert not missing, (f"ops without a line in ORACLE in tests/oracle.py (their value in "
                         f"mpmath): {missing}")


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_declares_a_value_method_and_domains(name):
    cls = OPS[name]
    assert cls.method and callable(getattr(Value, cls.method, None)), (
        f"{name} (micrograd_nn/ops.py): set `method` to the Value method that makes it, and "
        f"add that one-line method to Value in micrograd_nn/value.py")
    n = oracle.arity(cls)
    assert n is None or len(cls.domains) == n, (
        f"{name} (micrograd_nn/ops.py): `domains` needs one Domain per input ({n})")


@pytest.mark.parametrize("name", OP_NAMES)
def test_the_value_method_makes_a_node_of_the_class(name):
    node, _ = make(name, draw(name, random.Random(name)))
    assert type(node) is OPS[name]
    assert node.op == OPS[name].op or isinstance(node, PowConst)


# --- derivatives against the oracle ------------------------------------------------------


@pytest.mark.parametrize("name", OP_NAMES)
def test_derivatives_match_the_50_digit_oracle(name):
    for node, _, datas, n in samples(name, "oracle", 8):
        got = local_derivatives(node)
        want = exact(name, datas, n)
        assert len(got) == len(want) == len(node.inputs)
        for i, (d, w) in enumerate(zip(got, want)):
            d = 0.0 if d is None else d  # a closed gate: the derivative there is 0
            assert abs(d - float(w)) <= 1e-13 * abs(float(w)) + 1e-300, (
                f"{name} at {datas} (n={n}): ∂/∂x{i} = {d!r}, exact {mp.nstr(w, 17)}")


@pytest.mark.parametrize("name", OP_NAMES)
def test_derivatives_on_values_give_the_same_numbers(name):
    # Higher derivatives run the same ``derivatives`` on Values: the graph it builds must
    # hold the float rule's numbers.
    for node, *_ in samples(name, "values", 5):
        on_floats = local_derivatives(node)
        on_values = node.derivatives(node, *node.inputs)  # type: ignore[attr-defined]
        for f, v in zip(on_floats, on_values):
            v = v.data if isinstance(v, Value) else v
            assert (f is None) == (v is None)
            if f is not None:
                assert math.isclose(f, v, rel_tol=1e-12, abs_tol=1e-300)


def test_the_relu_gate_and_div_of_a_node_by_itself_pass_nothing():
    assert local_derivatives(make("ReLU", [-1.0])[0]) == (None,)
    assert local_derivatives(make("ReLU", [0.0])[0]) == (None,)
    assert local_derivatives(make("ReLU", [-0.0])[0]) == (None,)
    assert local_derivatives(make("ReLU", [2.0])[0]) == (1.0,)
    x = Value(3.0)
    assert local_derivatives(x / x) == (None, None)
    assert local_derivatives(make("Abs", [0.0])[0]) == (0.0,)
    assert local_derivatives(make("Sqrt", [0.0])[0]) == (math.inf,)


# --- _backward is derivatives * g, bit for bit -------------------------------------------

GRADS = (1.0, -2.5, 1e-300, 1e300, math.inf, -math.inf, math.nan)
EDGES = (0.0, -0.0, 5e-324, 1e-300, 1e300, -1e300, 1.0, -2.0, 3.5, 0.75)


def edge_nodes(name: str):
    """Nodes of op ``name`` over edge inputs (those its forward accepts), plus x op x."""
    combos = itertools.product(EDGES, repeat=arity(name))
    exps = EXPONENTS if name == "PowConst" else (2.5,)
    for datas, n in itertools.product(combos, exps):
        try:
            yield make(name, list(datas), n)[0]
        except (ValueError, ArithmeticError):
            pass
    for d in EDGES:
        x = Value(d, "x")
        try:
            yield oracle.make(OPS[name], [x] * arity(name), (2.0,) * len(OPS[name].params))
        except (ValueError, ArithmeticError):
            pass
    if name == "Sum":
        x, y = Value(1e300), Value(-2.0)
        yield Value.sum([x, y, x, x])


@pytest.mark.parametrize("name", OP_NAMES)
def test_backward_rule_is_derivatives_times_grad_bit_for_bit(name):
    checked = 0
    for node in edge_nodes(name):
        ds = local_derivatives(node)
        for g in GRADS:
            expected: dict[int, float] = {id(v): 0.0 for v in node.inputs}
            for v, d in zip(node.inputs, ds):
                if d is not None:
                    expected[id(v)] += d * g
            for v in node.inputs:
                v.grad = 0.0
            node.grad = g
            node._backward()
            written = [v.grad for v in node.inputs]
            for v in node.inputs:  # the generic rule (custom ops use it) gives the same
                v.grad = 0.0
            Op._backward(node)
            assert all(same(a, v.grad) for a, v in zip(written, node.inputs)), name
            assert node.local_grads() == tuple(0.0 if d is None else d for d in ds) or any(
                d != d for d in ds if d is not None)
            for i, v in enumerate(node.inputs):
                assert same(v.grad, expected[id(v)]), (
                    f"{name}._backward at inputs {[w.data for w in node.inputs]}, g={g}: "
                    f"input {i} got {v.grad!r}, derivatives * g gives {expected[id(v)]!r}")
            checked += 1
    assert checked >= 50


# --- what a step prints: expr and local_text, evaluated -----------------------------------


def first_step(node: Value):
    """The step that backpropagates through ``node`` (whose inputs are leaves)."""
    node.label = "out"
    return next(iter(node.backward_steps()))


@pytest.mark.parametrize("name", OP_NAMES)
def test_step_text_evaluates_to_the_forward_value_and_the_derivatives(name):
    for node, leaves, *_ in samples(name, "text", 6):
        step = first_step(node)
        scope = {**FUNCTIONS, **{v.label: v for v in leaves}, "out": node}
        rhs = step.equation().split(" = ", 1)[1]
        value = eval(rhs, {"__builtins__": {}}, {**scope, **{v.label: v.data for v in leaves}})
        assert math.isclose(value, node.data, rel_tol=1e-14, abs_tol=1e-300), (
            f"{name}: the step shows {step.equation()!r} = {value!r}, the node holds "
            f"{node.data!r}")
        for i, d in enumerate(local_derivatives(node)):
            text = step.local_formula(i)
            shown = float(eval(text, {"__builtins__": {}}, scope))
            want = 0.0 if d is None else d
            assert math.isclose(shown, want, rel_tol=1e-14, abs_tol=1e-300), (
                f"{name}: the step prints {text!r} = {shown!r} for input {i}, "
                f"derivatives gives {d!r}")


def test_a_closed_gate_is_printed_as_closed():
    step = first_step(make("ReLU", [-1.0])[0])
    assert "gate is closed" in str(step)
    assert step.local_grads == (0.0,) and step.contributions == (0.0,)
    open_gate = first_step(make("ReLU", [0.5])[0])
    assert eval(open_gate.local_formula(0), {}, {"x0": open_gate.node.inputs[0]}) is True


def test_equations_name_the_inputs_in_order():
    for name in OP_NAMES:
        node, leaves = make(name, draw(name, random.Random(name)))
        text = first_step(node).equation()
        positions = [text.index(v.label) for v in leaves]
        assert positions == sorted(positions), f"{name}: {text!r}"


def test_power_slopes_too_steep_for_a_float_keep_their_sign():
    # (-1e-120) ** -2 is finite, its slope -2 x^-3 is not: +inf, and -inf for +1e-120
    for x0, want in ((-1e-120, math.inf), (1e-120, -math.inf)):
        x = Value(x0)
        (x ** -2).backward()
        assert x.grad == want


# --- docstrings and the README's table ---------------------------------------------------


def doc_parts(cls: type) -> tuple[str, str]:
    """(value, derivatives) from an op's first docstring line, whitespace collapsed:
    ``z = x + y.     ∂z/∂x = 1,   ∂z/∂y = 1``."""
    line = (cls.__doc__ or "").strip().splitlines()[0]
    value, _, deriv = (re.split(r"(\.\s{2,})", line, maxsplit=1) + ["", ""])[:3]
    return " ".join(value.split()), " ".join(deriv.split())


@pytest.mark.parametrize("name", OP_NAMES)
def test_docstring_states_value_and_derivative_for_every_input(name):
    value, deriv = doc_parts(OPS[name])
    assert value.startswith("z = "), f"{name}: docstring must open with 'z = ...'"
    wrt = ["∂z/∂x_i"] if oracle.arity(OPS[name]) is None else ["∂z/∂x", "∂z/∂y"][: arity(name)]
    for w in wrt:
        assert f"{w} = " in deriv, f"{name}: docstring lacks '{w} = ...': {deriv!r}"


def readme_rows() -> list[list[str]]:
    """The cells of the README's op table (section 'The ops and their derivatives')."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## The ops and their derivatives", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            rows.append([c.strip().replace("\\|", "|") for c in cells])
    return rows


def readme_node(expression_cell: str) -> Value:
    """The node that the first code span of a row's expression column makes."""
    code = re.search(r"`([^`]+)`", expression_cell)
    assert code, f"no code in {expression_cell!r}"
    scope = {"x": Value(0.7), "y": Value(1.3), "z": Value(-0.4), "n": 2.5, "Value": Value}
    return eval(code.group(1), {"__builtins__": {"abs": abs}}, scope)


def test_readme_table_has_one_row_per_op_matching_its_docstring():
    seen = []
    for expression, op, value, deriv in readme_rows():
        node = readme_node(expression)
        cls = type(node)
        assert cls in OPS.values(), f"README row {expression!r} makes a {cls.__name__}"
        seen.append(cls.__name__)
        want_op = "**n" if cls is PowConst else cls.op
        assert op == f"`{want_op}`", f"README row {expression!r}: op {op}, class says {want_op}"
        doc_value, doc_deriv = doc_parts(cls)
        assert " ".join(value.split()) == doc_value, (
            f"README {cls.__name__} value {value!r} != docstring {doc_value!r}")
        assert " ".join(deriv.split()) == doc_deriv, (
            f"README {cls.__name__} derivative {deriv!r} != docstring {doc_deriv!r}")
    assert sorted(seen) == OP_NAMES, "the README's op table needs exactly one row per op"


# --- the fuzz generator draws every op ----------------------------------------------------


def test_the_property_generator_draws_every_op():
    # Checked on what the generator makes, not on its private lists: every op class must
    # occur in the Value graphs of its expressions.
    from hypothesis import HealthCheck, given, settings

    found: set[str] = set()

    @settings(max_examples=300, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(expressions(max_ops=8, max_inputs=2))
    def collect(drawn):
        f, xs = drawn
        found.update(type(v).__name__ for v in _all_nodes(f(*xs)))

    collect()
    missing = sorted(set(OPS) - found)
    assert not missing, f"the property-test generator never draws: {missing}"


def _all_nodes(root: Value) -> list[Value]:
    from micrograd_nn.node import walk

    return walk(root)


# --- backward_steps() and backward() agree bit for bit ------------------------------------

SUB = 5e-324


def graphs():
    """Hand-picked graphs (gates, non-finite numbers, sharing): each a function of fresh
    leaves returning (root, leaves)."""
    def relu_then_root():
        x = Value(-1.0)
        return x.relu() ** 0.5, [x]

    def self_division():
        x = Value(SUB)
        return (x / x) * x, [x]

    def zero_times_inf():
        x, y = Value(1e-320), Value(0.0)
        return (1.0 / x) * y + y * x, [x, y]

    def inf_minus_inf():
        x = Value(1e308)
        big = x * 10.0
        return (big - big) * x + x.sqrt(), [x]

    def shared():
        x, y = Value(0.3), Value(-1.7)
        a = x * y
        return (a * a + a).tanh() + Value.sum([a, x, a]), [x, y]

    def square():
        x = Value(-3.0)
        return x * x, [x]

    def kinks():
        x, y = Value(0.0), Value(-0.0)
        return x.relu() + abs(y) + x.sqrt() + (y * 2.0).relu(), [x, y]

    def dead_branch():
        x, y = Value(2.0), Value(1e300)
        return (x * 0.0).relu() * y + (y * y) * x, [x, y]

    def every_op():
        x, y = Value(0.4), Value(1.5)
        t = (x.sin() * y.cos() - x.log1p() / y.expm1()) ** 2 + y ** x + abs(-x).sqrt()
        return (t.exp().log() + t.sigmoid() + (-t).relu()).tanh(), [x, y]

    return [relu_then_root, self_division, zero_times_inf, inf_minus_inf, shared, square,
            kinks, dead_branch, every_op]


def all_grads(root: Value) -> list[float]:
    return [v.grad for v in _all_nodes(root)]


def assert_same_grads(build) -> None:
    root, leaves = build()
    root.backward()
    root2, leaves2 = build()
    for _ in root2.backward_steps():
        pass
    a, b = all_grads(root), all_grads(root2)
    assert len(a) == len(b)
    assert all(same(p, q) for p, q in zip(a, b)), f"backward {a} != steps {b}"


@pytest.mark.parametrize("build", graphs(), ids=lambda f: f.__name__)
def test_backward_steps_give_bit_identical_grads(build):
    assert_same_grads(build)


def test_the_documented_answers_on_gated_graphs():
    x = Value(-1.0)
    (x.relu() ** 0.5).backward()
    assert same(x.grad, 0.0)
    x = Value(SUB)
    (x / x).backward()
    assert same(x.grad, 0.0)
    x = Value(0.0)  # sqrt'(0) = inf behind a zero grad: nothing passes, not 0 * inf = nan
    (x.sqrt() * 0.0).backward()
    assert same(x.grad, 0.0)
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf


def test_the_new_ops_refuse_inputs_outside_their_domain():
    with pytest.raises(ValueError, match="sqrt is undefined for -1e-300"):
        Value(-1e-300).sqrt()
    for bad in (-1.0, -2.5):
        with pytest.raises(ValueError, match=f"log1p is undefined for {bad!r}"):
            Value(bad).log1p()
    with pytest.raises(OverflowError, match="expm1 overflows"):
        Value(710.0).expm1()
    assert Value(-0.0).sqrt().data == 0.0 and Value(-0.999).log1p().data < -6.9


def random_graph(rng: random.Random):
    """A seeded random graph over every op, from edge and ordinary numbers."""
    def build():
        r = random.Random(seed)
        leaves = [Value(r.choice(EDGES + (0.3, -1.2, 2.0))) for _ in range(3)]
        nodes = list(leaves)
        for _ in range(12):
            name = r.choice(OP_NAMES)
            k = oracle.arity(OPS[name]) or r.randint(1, 4)
            args = [r.choice(nodes) for _ in range(k)]
            params = [r.choice(EXPONENTS) for _ in OPS[name].params]
            try:
                nodes.append(oracle.make(OPS[name], args, params))
            except (ValueError, ArithmeticError):
                pass
        return Value.sum(nodes[3:] or leaves), leaves

    seed = rng.random()
    return build


def test_backward_steps_equal_backward_on_random_edge_graphs():
    rng = random.Random(9)
    for _ in range(150):
        assert_same_grads(random_graph(rng))
