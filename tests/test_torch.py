"""micrograd_nn.torch: the same model in PyTorch, the first node where two engines disagree,
and training in both engines.

Needs PyTorch (``pip install "micrograd_nn[torch]"``): skipped with a reason without it,
except under CI=true, where it fails (CI installs torch for the full-suite interpreter).
"""

import contextlib
import io
import json
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import oracle
import pytest

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true, so the PyTorch tests must run, but torch is not "
                           "installed (pip install torch)") from None
    pytest.skip("PyTorch is not installed (pip install \"micrograd_nn[torch]\")",
                allow_module_level=True)

import micrograd_nn as mg
from micrograd_nn import (
    MLP,
    OPS,
    SGD,
    Adam,
    Constant,
    Layer,
    Momentum,
    Neuron,
    RMSprop,
    Value,
    custom_op,
    losses,
)
from micrograd_nn.nn import ACTIVATIONS
from micrograd_nn.torch import (
    ATOL,
    PARITY_TOLERANCE,
    RTOL,
    RULES,
    TORCH_ACTIVATIONS,
    TORCH_OPS,
    assert_matches_torch,
    compare,
    fit_parity,
    from_torch,
    to_torch,
    torch_optimizer,
)

ROOT = Path(__file__).resolve().parent.parent
F64 = torch.float64


def run_python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=False, cwd=ROOT, env={**os.environ, **env})


# ---------------------------------------------------------------------------------------
# The module: optional, and complete


def test_importing_micrograd_nn_imports_no_torch():
    proc = run_python("import sys, micrograd_nn, micrograd_nn.testing\n"
                      "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))")
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    assert "torch" in sys.modules and mg.torch.torch is torch  # the bridge itself does


def test_without_torch_the_import_error_says_how_to_install_it():
    proc = run_python("import sys; sys.modules['torch'] = None\n"
                      "try:\n    import micrograd_nn.torch\n"
                      "except ImportError as e:\n    print(e)\n")
    assert 'pip install "micrograd_nn[torch]"' in proc.stdout, proc.stdout + proc.stderr


def test_every_op_in_OPS_has_a_torch_function():
    missing = sorted(set(OPS) - set(TORCH_OPS))
    assert not missing, f"ops with no torch function in micrograd_nn.torch.TORCH_OPS: {missing}"
    assert set(TORCH_OPS) == set(OPS), f"stale entries: {sorted(set(TORCH_OPS) - set(OPS))}"


def test_every_activation_has_a_torch_module():
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS)


# ---------------------------------------------------------------------------------------
# compare: every op at ordinary inputs agrees, values, grads and second derivatives

# Each op's inputs are drawn inside its class's declared domains (tests/oracle.py), so a new
# op is compared with no edit here.


def points(name):
    """Two seeded points inside the op's domain, with the parameters to use at each."""
    cls = OPS[name]
    rng = random.Random(f"torch {name}")
    return [(oracle.draw(cls, rng, box=3.0, count=3), oracle.params_for(cls, k))
            for k in range(2)]


def graph_of(name, xs, params):
    """A graph with the op in the middle: an upstream grad that is not 1, inputs that are
    themselves op nodes, a reused node."""
    inputs = [(x * 1.0).named(f"a{i}") for i, x in enumerate(xs)]
    node = oracle.make(OPS[name], inputs, params).named("op")
    assert any(isinstance(v, OPS[name]) for v in mg.topological_order(node, leaves=True))
    return (node.sin() * node + node * 0.5).named("root"), node


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_agrees_with_torch_in_value_grad_and_second_derivative(name):
    for values, params in points(name):
        xs = [Value(v, f"x{i}") for i, v in enumerate(values)]
        root, node = graph_of(name, xs, params)
        report = compare(root, xs, second_order=True)
        assert report.agrees, str(report)
        row = next(r for r in report.nodes if r.node is node)
        assert row.torch_data == pytest.approx(node.data, rel=1e-14, abs=1e-15)
        for x in xs:
            x.grad = 0.0
        root.backward()
        for r in report.nodes:
            if not r.node.inputs:
                assert r.grad == r.node.grad  # the numbers backward() gives, bit for bit
        assert report.second_order is not None
        theirs, ours = (sum(h, []) for h in (report.second_order.theirs,
                                             report.second_order.ours))
        assert theirs == pytest.approx(ours, rel=1e-12, abs=1e-14)


def test_compare_leaves_every_grad_as_it_was_and_lists_nodes_leaves_first():
    x, w = Value(0.5, "x"), Value(-1.5, "w")
    y = ((x * w).tanh() + x.exp() * w.sin()) ** 2
    report = compare(y)
    assert [r.node for r in report.nodes] == mg.topological_order(y, leaves=True)
    assert all(v.grad == 0.0 for v in mg.topological_order(y, leaves=True))
    assert report.nodes[-1].node is y and report.nodes[-1].grad == 1.0
    assert report.first is None and "agrees with PyTorch" in str(report)


def test_a_leaf_alone_and_a_root_used_twice():
    x = Value(2.0, "x")
    report = compare(x)
    assert report.agrees and [(r.grad, r.torch_grad) for r in report.nodes] == [(1.0, 1.0)]
    y = x * x
    report = compare(y * y, second_order=True)
    assert report.agrees and report.second_order.ours == [[12 * 2.0 ** 2]]
    assert report.nodes[0].torch_grad == 4 * 2.0 ** 3


def test_a_network_loss_graph_agrees_node_by_node():
    model = MLP(3, [5, 4, 2], activation="relu", output_activation="sigmoid", seed=4)
    X = [[0.3, -1.2, 0.8], [1.1, 0.4, -0.6], [-0.7, 0.9, 0.2]]
    loss = losses.bce(model.outputs(X[0]) + model.outputs(X[1]) + model.outputs(X[2]),
                      [1, 0, 0, 1, 1, 0])
    report = compare(loss)
    assert report.agrees, str(report)
    assert len(report.nodes) == len(mg.topological_order(loss, leaves=True)) > 150
    worst = max(abs(r.grad - r.torch_grad) / max(abs(r.grad), 1e-300)
                for r in report.nodes if r.grad)
    assert worst < 1e-13  # measured: ~1e-16; the stated rtol is 1e-10


def test_compare_of_a_function_builds_on_fresh_leaves_and_leaves_the_inputs_alone():
    x = Value(0.8, "x")
    report = compare(lambda a, b: (a * b).sin() + a.tanh(), [x, 1.7], second_order=True)
    assert report.agrees and x.grad == 0.0
    assert report.second_order.inputs == ["x", "x2"]
    h = mg.hessian(lambda a, b: (a * b).sin() + a.tanh(), [0.8, 1.7])
    assert report.second_order.ours == h


# ---------------------------------------------------------------------------------------
# Edges: where the engines agree, and where each follows its own documented rule

EDGES = [
    ("relu at 0", lambda x: x.relu(), 0.0, None),
    ("relu at -0.0", lambda x: x.relu(), -0.0, None),
    ("relu below 0", lambda x: x.relu() * 3.0, -1.0, None),
    ("abs at 0", lambda x: abs(x) * 2.0, 0.0, None),
    ("sqrt at 0 (grad inf)", lambda x: x.sqrt(), 0.0, None),
    ("x ** 0 at 0", lambda x: x ** 0, 0.0, None),
    ("x ** 0 at 2", lambda x: (x ** 0) * x, 2.0, None),
    ("0 ** 2", lambda x: x ** 2, 0.0, None),
    ("x ** 1 at 0", lambda x: x ** 1, 0.0, None),
    ("relu gate before sqrt", lambda x: x.relu() ** 0.5, -1.0, None),
    ("tanh at 1e308", lambda x: x.tanh(), 1e308, None),
    ("tanh at -1e308", lambda x: x.tanh(), -1e308, None),
    ("sigmoid at 1e308", lambda x: x.sigmoid(), 1e308, None),
    ("sigmoid at -1e308", lambda x: x.sigmoid(), -1e308, None),
    ("log at 1e-300", lambda x: x.log(), 1e-300, None),
    ("x / x at 3", lambda x: x / x, 3.0, None),
    ("sum that cancels", lambda x: Value.sum([x, Constant(1.0), -x]), 1e16, None),
    ("0 * sqrt(0)", lambda x: x.sqrt() * 0.0, 0.0, "zero grad"),
    ("0 * 0 ** 0.5", lambda x: (x ** 0.5) * 0.0, 0.0, "zero grad"),
    ("x / x at 5e-324", lambda x: x / x, 5e-324, "x / x"),
    ("x / x at 1e-310", lambda x: x / x * x, 1e-310, "x / x"),
    ("sum past the float range", lambda x: Value.sum([x, x, -x]), 1e308, "fsum"),
    ("a difference does not spread", lambda x: Value.sum([x, x, -x]).tanh() * x, 1e308,
     "fsum"),
]


@pytest.mark.parametrize("what, f, xv, rule", EDGES, ids=[e[0] for e in EDGES])
def test_edges_agree_or_name_the_rule_each_engine_follows(what, f, xv, rule):
    x = Value(xv, "x")
    report = compare(f(x))
    if rule is None:
        assert report.agrees, str(report)
        return
    assert len(report.disagreements) == 1 and report.unexplained == [], str(report)
    first = report.first
    stem = RULES[rule].split("{")[0]
    assert first.rule.startswith(stem), first.rule
    assert "a rule difference, not a bug" in str(report)
    if rule == "zero grad":
        assert first.kind == "grad" and first.ours == 0.0 and math.isnan(first.theirs)
        assert first.op in ("sqrt", "**0.5") and first.input is x
    elif rule == "x / x":
        assert first.kind == "grad" and first.op == "/" and first.ours == 0.0
    else:
        assert first.kind == "data" and first.op == "sum"
        assert first.ours == 1e308 and first.theirs == math.inf


def test_assert_matches_torch_passes_rule_differences_unless_told_not_to():
    x = Value(0.0, "x")
    root = x.sqrt() * 0.0
    assert_matches_torch(root)
    with pytest.raises(AssertionError, match="0 · inf = nan"):
        assert_matches_torch(root, allow_rule_differences=False)


# ---------------------------------------------------------------------------------------
# A wrong custom op, located at its node

def cube_graph(derivative, **kw):
    cube = custom_op("cube", lambda v: v ** 3, derivative, **kw)
    x, w = Value(0.7, "x"), Value(-1.2, "w")
    h = (x * w).named("h")
    c = cube(h).named("c")
    out = (c.tanh() + x * 0.5).named("out")
    return x, h, c, out


def test_a_wrong_custom_derivative_is_found_at_its_node_against_a_torch_reference():
    x, h, c, out = cube_graph(lambda v: 2 * v * v)  # should be 3 v^2
    report = compare(out, torch_ops={"cube": lambda t: t ** 3})
    first = report.first
    assert report.unexplained == [first] and first.rule is None
    assert (first.kind, first.node, first.op, first.name, first.input) == ("grad", c, "cube",
                                                                             "c", h)
    upstream = 1.0 - c.tanh().data ** 2
    assert first.ours == pytest.approx(2 * h.data ** 2 * upstream, rel=1e-12)
    assert first.theirs == pytest.approx(3 * h.data ** 2 * upstream, rel=1e-12)
    assert first.chain == ["cube 'c'", "* 'h'", "'x'"] and first.label == "c"
    assert first.expression == "cube(x * w)"
    text = str(report)
    assert "op 'cube' (node 'c'" in text and "cube 'c' <- * 'h' <- 'x'" in text
    # downstream nodes (h, x, w) have wrong grads too, but the report starts at the cube
    wrong_rows = {r.name for r in report.nodes if not r.grad_agrees}
    assert wrong_rows == {"h", "x", "w"}
    table = report.table().splitlines()
    assert len(table) == 1 + len(report.nodes)
    assert [line.split()[1] for line in table[1:]] == [r.name for r in report.nodes]
    assert sum(line.count("!") for line in table) == 3
    assert report.table(limit=2).endswith(f"... {len(report.nodes) - 2} more")
    with pytest.raises(AssertionError, match="op 'cube'"):
        assert_matches_torch(out, torch_ops={"cube": lambda t: t ** 3})


def test_a_wrong_custom_forward_is_found_as_a_value_disagreement():
    cube = custom_op("cube", lambda v: v ** 3 + 1e-6, lambda v: 3 * v * v)
    x = Value(0.7, "x")
    c = cube(x * 2.0).named("c")
    report = compare(c.tanh(), torch_ops={"cube": lambda t: t ** 3})
    assert report.first.kind == "data" and report.first.node is c
    assert report.first.ours - report.first.theirs == pytest.approx(1e-6, rel=1e-6)


def test_values_are_searched_leaves_first_and_grads_root_first():
    """Two wrong ops in a row: a wrong value is where it first appears (nearest the
    leaves); a wrong derivative is where backward first meets it (nearest the root)."""
    refs = {"f": torch.sin, "g": torch.exp}
    f = custom_op("f", lambda v: math.sin(v) * 1.1, math.cos)
    g = custom_op("g", lambda v: math.exp(v) * 1.1, math.exp)
    x = Value(0.4, "x")
    p = f(x).named("p")
    q = g(p).named("q")
    report = compare(q.tanh(), torch_ops=refs)
    assert [(d.kind, d.name) for d in report.disagreements[:2]] == [("data", "p"), ("data", "q")]
    f = custom_op("f", math.sin, lambda v: 2 * math.cos(v))
    g = custom_op("g", math.exp, lambda v: 2 * math.exp(v))
    p = f(x).named("p")
    q = g(p).named("q")
    report = compare(q.tanh(), torch_ops=refs)
    assert [(d.kind, d.name, d.input_name) for d in report.disagreements] == [
        ("grad", "q", "p"), ("grad", "p", "x")]
    with pytest.raises(TypeError, match="second_order=True"):
        compare(q, [x])


def test_without_a_reference_the_custom_op_is_held_to_torch_gradcheck():
    x, h, c, out = cube_graph(lambda v: 2 * v * v)
    report = compare(out)
    first = report.first
    assert (first.kind, first.node, first.input) == ("gradcheck", c, h)
    assert first.ours == pytest.approx(2 * h.data ** 2, rel=1e-12)
    assert first.theirs == pytest.approx(3 * h.data ** 2, rel=1e-6)  # central difference
    assert any("torch_ops={'cube'" in note for note in report.notes)
    assert "torch.autograd.gradcheck fails" in str(report)


def test_a_right_custom_op_agrees_also_in_second_derivatives():
    x, h, c, out = cube_graph(lambda v: 3 * v * v, value_derivative=lambda v: 3 * v * v)
    for torch_ops in ({"cube": lambda t: t ** 3}, None):  # reference, or its own Function
        report = compare(out, second_order=True, torch_ops=torch_ops)
        assert report.agrees, str(report)
        assert report.second_order.inputs == ["x", "w"]


def test_a_custom_op_whose_value_derivative_disagrees_is_stopped_by_the_engine_itself():
    # A value_derivative that is not the derivative (3v for 3v^2) no longer gets as far as
    # torch's second-order comparison: micrograd_nn holds a custom op to itself first.
    from micrograd_nn.custom import DerivativeMismatch

    with pytest.raises(DerivativeMismatch, match="'cube'"):
        x, h, c, out = cube_graph(lambda v: 3 * v * v, value_derivative=lambda v: 3 * v)
        compare(out, second_order=True, torch_ops={"cube": lambda t: t ** 3})


# ---------------------------------------------------------------------------------------
# Models: to_torch and back

SAMPLES = [[0.3, -1.2, 0.8], [1.1, 0.4, -0.6], [-0.7, 0.9, 0.2], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output_activation", sorted(ACTIVATIONS))
def test_to_torch_computes_the_same_function_and_from_torch_gives_it_back_exactly(
        activation, output_activation):
    model = MLP(3, [4, 5, 2], activation=activation, output_activation=output_activation,
                seed=11)
    twin = to_torch(model)
    assert all(p.dtype == F64 for p in twin.parameters())
    got = twin(torch.tensor(SAMPLES, dtype=F64)).tolist()
    want = [[v.data for v in model.outputs(x)] for x in SAMPLES]
    assert sum(got, []) == pytest.approx(sum(want, []), rel=1e-14, abs=1e-15)
    back = from_torch(twin)
    assert back.get_weights() == model.get_weights()  # bit for bit
    assert back.architecture() == model.architecture()
    assert [[v.data for v in back.outputs(x)] for x in SAMPLES] == want


def test_to_torch_takes_layers_and_neurons_and_leaves_torch_random_state_alone():
    state = torch.get_rng_state()
    layer = Layer(3, 2, activation="sigmoid", rng=random.Random(1))
    neuron = Neuron(3, activation="relu", weights=[0.5, -1.0, 2.0], bias=0.25)
    t_layer, t_neuron = to_torch(layer), to_torch(neuron)
    assert torch.equal(state, torch.get_rng_state())
    x = torch.tensor([SAMPLES[0]], dtype=F64)
    assert t_layer(x)[0].tolist() == pytest.approx([v.data for v in layer(SAMPLES[0])],
                                                   rel=1e-14)
    assert t_neuron(x).item() == pytest.approx(neuron(SAMPLES[0]).data, rel=1e-14)
    with pytest.raises(TypeError, match="MLP, a Layer or a Neuron"):
        to_torch(mg.Module())


def test_from_torch_reads_pytorch_built_models_nested_identity_float32():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh()),
                              torch.nn.Identity(), torch.nn.Linear(3, 1))
    model = from_torch(net)
    assert model.architecture() == {"nin": 2, "layers": [
        {"nout": 3, "activation": "tanh"}, {"nout": 1, "activation": "linear"}]}
    assert model.get_weights()[0][0] == net[0][0].weight.detach().double().tolist()
    x = [0.25, -0.5]
    assert model(x).data == pytest.approx(net(torch.tensor([x])).item(), rel=1e-6)
    assert from_torch(torch.nn.Linear(2, 2)).architecture()["layers"] == [
        {"nout": 2, "activation": "linear"}]


@pytest.mark.parametrize("net, message", [
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU()),
     r"layer '1' \(GELU\(.*\)\) has no micrograd_nn equivalent"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)), "has no bias"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)),
     "layer '1' .* takes 4 inputs but the layer before gives 3"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 3),
                                 torch.nn.ReLU(), torch.nn.Linear(3, 1)),
     "hidden layer '2' .* has activation 'relu' but the first has 'tanh'"),
    (lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 1)),
     "comes before any Linear"),
    (lambda: torch.nn.Sequential(torch.nn.Linear(2, 1), torch.nn.Tanh(), torch.nn.Sigmoid()),
     "follows another activation"),
    (lambda: torch.nn.Sequential(), "has no Linear layer"),
])
def test_from_torch_names_the_layer_it_cannot_take(net, message):
    with pytest.raises(ValueError, match=message):
        from_torch(net())


# ---------------------------------------------------------------------------------------
# Training in both engines

X8 = [[0.9, 0.1], [-0.4, 0.8], [0.3, -0.7], [-1.0, -0.2], [0.5, 0.5], [-0.6, 0.3],
      [0.1, 0.9], [0.8, -0.9]]
Y8 = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, -1.0, 1.0]


def make_optimizer(name, model):
    params = model.parameters()
    return {"sgd": lambda: SGD(params, lr=0.1),
            "momentum": lambda: Momentum(params, lr=0.05, momentum=0.9),
            "rmsprop": lambda: RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8),
            "adam": lambda: Adam(params, lr=0.02, betas=(0.8, 0.99), eps=1e-8)}[name]()


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_each_optimizer_follows_pytorchs_rule_over_100_steps(name):
    model = MLP(2, [6, 1], activation="tanh", seed=5)
    start = model.get_weights()
    parity = fit_parity(model, X8, Y8, loss="mse", optimizer=make_optimizer(name, model),
                        epochs=100, batch_size=None)
    assert len(parity.step_weight_differences) == 100
    assert parity.max_weight_difference <= 1e-12, str(parity)  # measured: ~1e-15
    assert parity.max_loss_difference <= 1e-12, str(parity)
    assert model.get_weights() != start  # it trained
    assert parity.epochs[-1].loss < parity.epochs[0].loss
    assert parity.optimizer == type(make_optimizer(name, model)).__name__


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_given_the_same_gradients_each_update_rule_is_torch_optims(name):
    """The update rule alone: the same gradients (seeded, some tiny) into both optimizers
    for 100 steps leave the weights within a few ulps."""
    rng = random.Random(0)
    params = [Value(rng.uniform(-1, 1)) for _ in range(20)]
    opt = make_optimizer(name, type("M", (), {"parameters": lambda self: params})())
    tensor = torch.tensor([p.data for p in params], dtype=F64, requires_grad=True)
    t_opt = torch_optimizer(opt, [tensor])
    for step in range(100):
        grads = [rng.gauss(0.0, 1.0) * (1e-8 if step % 7 == 0 else 1.0) for _ in params]
        for p, g in zip(params, grads):
            p.grad = g
        tensor.grad = torch.tensor(grads, dtype=F64)
        opt.step()
        t_opt.step()
        assert tensor.detach().tolist() == pytest.approx([p.data for p in params],
                                                         rel=1e-14, abs=1e-14)


def test_rmsprop_with_a_short_memory_amplifies_rounding_as_the_readme_says():
    """alpha 0.9, full batch, seed 5: where a gradient crosses 0 while v is small,
    g / sqrt(v) amplifies the last-bit rounding of g, to ~1e-9, then it shrinks again; the
    README quotes this run and PARITY_TOLERANCE leaves room above it."""
    model = MLP(2, [6, 1], activation="tanh", seed=5)
    parity = fit_parity(model, X8, Y8, optimizer=RMSprop(model.parameters(), lr=0.01,
                                                         alpha=0.9), epochs=100)
    worst = parity.max_weight_difference
    assert 1e-11 < worst < PARITY_TOLERANCE / 5
    assert parity.step_weight_differences[-1] < worst / 5  # it does not keep growing


def test_parity_holds_with_shuffled_minibatches_a_schedule_and_l2():
    model = MLP(2, [5, 1], activation="tanh", seed=2)
    opt = SGD(model.parameters(), lr=lambda k: 0.2 / (1 + k))
    parity = assert_matches_torch(model, X8, Y8, loss="hinge", optimizer=opt, epochs=10,
                                  batch_size=3, shuffle=True, seed=9, l2=1e-3)
    assert len(parity.step_loss_differences) == 30
    assert parity.max_weight_difference <= 1e-12


@pytest.mark.parametrize("loss, output_activation, y", [
    ("bce", "sigmoid", [1.0 if t > 0 else 0.0 for t in Y8]),
    ("bce_with_logits", "linear", [1.0 if t > 0 else 0.0 for t in Y8]),
    ("softmax_cross_entropy", "linear", [int(t > 0) for t in Y8]),
])
def test_parity_for_the_other_losses(loss, output_activation, y):
    nout = 2 if loss == "softmax_cross_entropy" else 1
    model = MLP(2, [4, nout], activation="relu", output_activation=output_activation, seed=3)
    parity = fit_parity(model, X8, y, loss=loss, optimizer="adam", epochs=20, batch_size=4)
    assert max(parity.max_loss_difference, parity.max_weight_difference) <= 1e-12, str(parity)


def test_parity_for_a_layer_with_two_outputs_and_a_neuron():
    layer = Layer(2, 2, activation="tanh", rng=random.Random(4))
    targets = [[t, -t] for t in Y8]
    parity = fit_parity(layer, X8, targets, optimizer="momentum", epochs=10, batch_size=2)
    assert parity.max_weight_difference <= 1e-12 and len(parity.step_loss_differences) == 40
    neuron = Neuron(2, activation="sigmoid", weights=[0.3, -0.6], bias=0.1)
    parity = fit_parity(neuron, X8, [(t + 1) / 2 for t in Y8], loss="bce", optimizer="rmsprop",
                        epochs=10)
    assert parity.max_weight_difference <= 1e-12 and neuron.get_weights()[1] != 0.1


def test_an_optimizer_off_pytorchs_rule_fails_assert_matches_torch():
    class DoubleSGD(SGD):
        def update(self, i, g, lr):
            return 2 * lr * g

    model = MLP(2, [3, 1], seed=1)
    with pytest.raises(AssertionError, match="training differs from PyTorch"):
        assert_matches_torch(model, X8, Y8, optimizer=DoubleSGD(model.parameters(), lr=0.1),
                             epochs=3)


def test_fit_parity_refuses_what_it_cannot_mirror():
    model = MLP(2, [3, 1], seed=1)
    used = SGD(model.parameters(), lr=0.1)
    used.step()
    with pytest.raises(ValueError, match="taken no step"):
        fit_parity(model, X8, Y8, optimizer=used)
    other = MLP(2, [3, 1], seed=2)
    with pytest.raises(ValueError, match="over model.parameters"):
        fit_parity(model, X8, Y8, optimizer=SGD(other.parameters()))
    with pytest.raises(ValueError, match="torch_loss="):
        fit_parity(model, X8, Y8, loss=lambda out, y: losses.mse(out, y))
    with pytest.raises(ValueError, match="unknown optimizer"):
        fit_parity(model, X8, Y8, optimizer="lbfgs")
    parity = fit_parity(model, X8, Y8, loss=lambda out, y: losses.mse(out, y),
                        torch_loss=lambda out, y: ((out.squeeze(1) - torch.tensor(y)) ** 2).mean(),
                        optimizer="sgd", epochs=2)
    assert parity.max_weight_difference <= 1e-12


# ---------------------------------------------------------------------------------------
# The example and the README


@pytest.mark.slow
def test_the_example_trains_in_both_engines_within_the_stated_tolerance():
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "to_torch.py"), "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["round_trip_exact"] is True and result["compare_agrees"] is True
    assert set(result["optimizers"]) == {"sgd", "momentum", "rmsprop", "adam"}
    for name, run in result["optimizers"].items():
        assert run["steps"] == 100 and len(run["per_epoch"]) == result["epochs"] == 25
        assert max(run["max_loss_difference"], run["max_weight_difference"]) <= 1e-12, name
        assert run["final_loss"] == pytest.approx(run["torch_final_loss"], abs=1e-12)
    assert "max |Δw|" in proc.stderr


SECTION = re.search(r"## Moving to PyTorch\n(.*?)\n## ", (ROOT / "README.md").read_text(
    encoding="utf-8"), re.S)


def test_the_readme_section_states_the_tolerances_the_code_uses():
    assert SECTION, "README.md has no '## Moving to PyTorch' section"
    text = SECTION.group(1)
    for figure in (f"{RTOL:g}", f"{ATOL:g}", f"{PARITY_TOLERANCE:g}"):
        assert figure in text, figure


def test_the_readme_sections_code_runs_and_prints_what_it_shows():
    blocks = re.findall(r"```py\n(.*?)```\n(?:```\n(.*?)```)?", SECTION.group(1), re.S)
    assert blocks
    for index, (code, shown) in enumerate(blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"README.md, Moving to PyTorch, block {index}", "exec"),
                 {"__name__": "__readme__"})
        if shown:
            assert out.getvalue() == shown


# ---------------------------------------------------------------------------------------
# The comparison's own verdicts, held where a mutant of torch_compare.py could hide


def test_a_value_that_rounds_differently_in_torch_does_not_spread_down_the_graph():
    """sum(0.1, 0.2, 0.3) is 0.6 here (exactly rounded) and 0.6000000000000001 in torch;
    the ops after it are fed micrograd_nn's 0.6, so their values match bit for bit."""
    a, b, c = Value(0.1, "a"), Value(0.2, "b"), Value(0.3, "c")
    s = Value.sum([a, b, c]).named("s")
    out = (s * 3.0).exp().named("out")
    report = compare(out)
    rows = {r.name: r for r in report.nodes}
    assert (rows["s"].data, rows["s"].torch_data) == (0.6, 0.6000000000000001)
    assert report.agrees  # one ulp is within the tolerance
    after = [r for r in report.nodes if r.index > rows["s"].index]
    assert after and all(r.torch_data == r.data for r in after)


def test_without_a_reference_gradcheck_blames_the_input_whose_derivative_is_wrong():
    """A custom op of three inputs with no torch reference: the first two derivatives are
    right (one large, whose central difference carries rounding of about 1e-5, one 0, whose
    difference is not exactly 0), the third is half what it should be; only the third is
    blamed, with its analytic value and the central difference."""
    def forward(a, b, c):
        return 1e4 * a * a + (b - 0.1) ** 2 + c ** 3

    op = custom_op("three_in", forward,
                   lambda a, b, c: (2e4 * a, 2.0 * (b - 0.1), 1.5 * c * c))  # 3c^2 halved
    xs = [Value(3.0, "a"), Value(0.1, "b"), Value(0.5, "c")]
    report = compare(op(*xs))
    wrong = [d for d in report.disagreements if d.kind == "gradcheck"]
    assert len(wrong) == 1 and wrong[0].input_name == "c"
    assert wrong[0].ours == 1.5 * 0.25
    assert wrong[0].theirs == pytest.approx(3 * 0.25, abs=1e-4)  # rounding of 9e4 over 2e-6
    right = custom_op("three_in_right", forward,
                      lambda a, b, c: (2e4 * a, 2.0 * (b - 0.1), 3.0 * c * c))
    assert compare(right(*[Value(v.data, v.label) for v in xs])).agrees


@pytest.fixture
def frozen_tanh(monkeypatch):
    """tanh's derivative right as a number, half the second derivative as a graph (one
    factor of z frozen into a constant)."""
    right = mg.functions.Tanh.derivatives

    def frozen(self, z, x):
        if isinstance(z, Value):
            return (1.0 - z * z.data,)
        return right(self, z, x)

    monkeypatch.setattr(mg.functions.Tanh, "derivatives", frozen)


def test_a_wrong_second_derivative_is_named_with_both_engines_numbers(frozen_tanh):
    report = compare(lambda a, b: a.tanh() + a * b * 2.0, [0.6, 1.5], second_order=True)
    ((d,),) = ([d for d in report.disagreements],)
    t = math.tanh(0.6)
    assert (d.kind, d.input_name) == ("second derivative", "d/dx1 d/dx1")
    assert d.ours == pytest.approx(-t * (1 - t * t), rel=1e-12)  # half the truth
    assert d.theirs == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    ours, theirs = report.second_order.ours, report.second_order.theirs
    assert ours[0][1] == ours[1][0] == theirs[0][1] == theirs[1][0] == 2.0
    assert ours[1][1] == theirs[1][1] == 0.0
    assert theirs[0][0] == pytest.approx(d.theirs, rel=1e-15)


def test_second_derivatives_of_a_linear_input_and_an_unused_one_are_zero_rows():
    # d/da of 2a + b*b is the constant 2 (no graph in torch) and c is not used at all
    report = compare(lambda a, b, c: a * 2.0 + b * b, [1.0, 3.0, 5.0], second_order=True)
    assert report.agrees, str(report)
    assert report.second_order.theirs == [[0.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]
    assert report.second_order.ours == report.second_order.theirs


def test_compare_refuses_what_it_cannot_compare():
    with pytest.raises(TypeError, match="compare needs a Value, or a function and its "
                                        "inputs: compare\\(f, inputs\\); got 3.0"):
        compare(3.0)
    with pytest.raises(TypeError, match="compare needs a Value"):
        compare(lambda a: a * 2.0)  # no inputs
    with pytest.raises(TypeError, match="compare: f must return a Value, got float 2.0"):
        compare(lambda a: 2.0, [1.0])
    with pytest.raises(ValueError, match="rtol and atol must be >= 0, got -1.0, 0.0"):
        compare(Value(1.0) * 2.0, rtol=-1.0, atol=0.0)
    with pytest.raises(ValueError, match="rtol and atol must be >= 0, got 0.0, -1.0"):
        compare(Value(1.0) * 2.0, rtol=0.0, atol=-1.0)
    assert compare(Value(1.5) * 2.0, rtol=0.0, atol=0.0).agrees  # exactness may be asked


def test_second_derivatives_of_a_root_over_the_inputs_given_or_else_every_leaf():
    x, y = Value(0.5, "x"), Value(2.0, "y")
    out = (x * x * y).named("out")
    assert compare(out, [x], second_order=True).second_order.inputs == ["x"]
    both = compare(out, second_order=True).second_order
    assert both.inputs == ["x", "y"] and both.ours == [[4.0, 1.0], [1.0, 0.0]]


def test_tiny_wrong_numbers_are_found_at_small_magnitudes():
    """The tolerance scales with the numbers compared (atol 1e-13 + rtol 1e-10 times the
    largest magnitude involved), not with 1: an error of 1e-11 in a forward whose value is
    1e-3, or in a derivative whose contributions are 3e-4, is found, and so are the wrong
    grads it leaves below it."""
    ref = {"cube": lambda t: t ** 3}
    off_value = custom_op("cube", lambda v: v ** 3 + 1e-11, lambda v: 3 * v * v)
    x = Value(0.1, "x")
    report = compare(off_value(x).named("c"), torch_ops=ref)
    assert report.first.kind == "data" and report.first.name == "c"
    off_slope = custom_op("cube", lambda v: v ** 3, lambda v: 3 * v * v + 1e-11)
    x = Value(0.01, "x")
    report = compare((off_slope(x).named("c") * 2.0).named("out"), torch_ops=ref)
    assert (report.first.kind, report.first.name) == ("grad", "c")
    assert {r.name for r in report.nodes if not r.grad_agrees} == {"x"}


def test_a_grad_that_cancels_is_compared_at_the_size_of_what_was_added():
    """x's grad is A/(2 sqrt x) - A * (0.5 / sqrt x) + 1e-20: 1e-20 here, but PyTorch
    divides where micrograd_nn multiplies by 0.5 / sqrt x, and its -3.7e-9 is one ulp of
    the 1.5e7 that were added and cancelled. Both agree at that size (the sum of the
    contributions' magnitudes, each |local derivative × grad|), not at the size of the
    result, nor of the last contribution alone (1e-20, from x * 1e-20)."""
    x = Value(2.87, "x")
    a = 1e8
    tiny = (x * 1e-20).named("tiny")
    out = ((tiny + x.sqrt() * a) - (x * (0.5 / math.sqrt(2.87))) * a).named("out")
    report = compare(out)
    (row,) = [r for r in report.nodes if r.name == "x"]
    assert row.grad == 1e-20 and row.torch_grad == pytest.approx(-3.7e-9, rel=0.01)
    assert report.agrees and all(r.grad_agrees for r in report.nodes), str(report)


def test_gradcheck_takes_an_input_a_gate_passes_nothing_to_as_slope_zero():
    """``None`` for an input (a gate passes nothing) is slope 0 there: right for the
    selector a, so only b's wrong slope (3 for 2) is blamed."""
    pick = custom_op("pick_twice", lambda a, b: 2.0 * b if a > 0 else 0.0,
                     lambda a, b: (None, 3.0))
    report = compare(pick(Value(1.5, "a"), Value(2.0, "b")))
    assert [(d.kind, d.input_name, d.ours) for d in report.disagreements] == [
        ("gradcheck", "b", 3.0)]
    assert report.disagreements[0].theirs == pytest.approx(2.0, rel=1e-6)


def test_a_wrong_division_rule_is_not_explained_as_x_over_x(monkeypatch):
    from micrograd_nn.ops import Div

    monkeypatch.setattr(Div, "derivatives", lambda self, z, x, y: (1.0 / y, z / y))  # sign
    report = compare((Value(3.0, "p") / Value(4.0, "q")).named("r"))
    (d,) = [d for d in report.disagreements if d.kind == "grad"]
    assert (d.input_name, d.rule) == ("q", None) and d.ours == -d.theirs == 3.0 / 16.0


def test_a_tiny_wrong_second_derivative_is_found(frozen_tanh):
    # tanh''(13.5) is about -1.5e-11: half of it is off by more than atol + rtol * 1.5e-11
    report = compare(lambda a: a.tanh(), [13.5], second_order=True)
    assert [d.kind for d in report.disagreements] == ["second derivative"]
    assert abs(report.disagreements[0].theirs) < 1e-10
