"""Training that replays the graph: bit for bit the same as building it each time, for every
loss, activation, optimizer, batch size, l2 and metrics; no node made after the first batch;
only where the graph's shape cannot change; and the replayed graph is still a graph."""

import importlib
import math
import os
import random
import struct

import pytest

from micrograd_nn import (
    MLP,
    Adam,
    Layer,
    Neuron,
    Parameter,
    Value,
    detect_anomaly,
    evaluate,
    fit,
    gradcheck,
    losses,
    no_grad,
    predict,
    topological_order,
)
from micrograd_nn.gradcheck import check_ops
from micrograd_nn.replay import Replay, replay_unsupported, sample_rows

ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
OPTIMIZERS = ["sgd", "momentum", "rmsprop", "adam"]


def bits(x):
    """A float's exact bits (so -0.0 and 0.0 differ and nan equals itself)."""
    return struct.pack("<d", x)


def state(model, history):
    """Everything a fit leaves behind, as exact bits."""
    return ([bits(p.data) for p in model.parameters()],
            {k: [bits(v) for v in vals] for k, vals in history.history.items()})


def data(loss, n=11, nin=3, seed=0):
    """Samples and targets for ``loss`` and the number of outputs its model has."""
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(n)]
    if loss == "softmax_cross_entropy":
        return X, [rng.randrange(3) for _ in range(n)], 3
    if loss == "hinge":
        return X, [rng.choice([-1.0, 1.0]) for _ in range(n)], 1
    if loss in ("bce", "binary_crossentropy", "bce_with_logits"):
        # 0 and 1 (bce keeps one term) and a fraction (both terms), two outputs each
        return X, [[rng.choice([0.0, 1.0, 0.25]) for _ in range(2)] for _ in range(n)], 2
    return X, [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(n)], 2


def output_activation(loss):
    return "sigmoid" if loss in ("bce", "binary_crossentropy") else "linear"


def both(make, X, y, **kw):
    """fit with replay and without, from the same start: both states, and whether the
    replayed fit really replayed."""
    kw.setdefault("verbose", 0)
    kw.setdefault("epochs", 2)
    kw.setdefault("seed", 3)
    results = []
    for replay in (True, False):
        model = make()
        history = fit(model, X, y, replay=replay, **kw)
        results.append(state(model, history))
    return results


@pytest.mark.parametrize("batch_size", [None, 1, 4])
@pytest.mark.parametrize("l2", [0.0, 0.01])
@pytest.mark.parametrize("loss", list(losses.LOSSES))
def test_replay_is_bit_identical_for_every_loss_batch_size_and_l2(loss, batch_size, l2):
    X, y, nout = data(loss)
    i = list(losses.LOSSES).index(loss)
    hidden = ACTIVATIONS[i % 4]
    opt = OPTIMIZERS[(i + (batch_size or 0)) % 4]

    def make():
        return MLP(3, [4, nout], activation=hidden, output_activation=output_activation(loss),
                   seed=i)

    replayed, fresh = both(make, X, y, loss=loss, optimizer=opt, batch_size=batch_size, l2=l2)
    assert replayed == fresh


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("out", ACTIVATIONS)
def test_replay_is_bit_identical_for_every_activation_and_optimizer(hidden, out):
    # every pair of activations, each optimizer four times over (a Latin square)
    opt = OPTIMIZERS[(ACTIVATIONS.index(hidden) + ACTIVATIONS.index(out)) % 4]
    X, y, _ = data("mse", n=7, seed=ACTIVATIONS.index(hidden))

    def make():
        return MLP(3, [5, 4, 2], activation=hidden, output_activation=out, seed=1)

    replayed, fresh = both(make, X, y, loss="mse", optimizer=opt, batch_size=3)
    assert replayed == fresh


@pytest.mark.parametrize("metrics", [(), ("accuracy",)])
@pytest.mark.parametrize("shuffle", [True, False])
def test_replay_is_bit_identical_with_and_without_metrics(metrics, shuffle):
    X, y, _ = data("softmax_cross_entropy", n=13)

    def make():
        return MLP(3, [6, 3], seed=2)

    replayed, fresh = both(make, X, y, loss="softmax_cross_entropy", metrics=metrics,
                           shuffle=shuffle, batch_size=5, epochs=3)
    assert replayed == fresh
    assert ("accuracy" in replayed[1]) == bool(metrics)


@pytest.mark.parametrize("loss", ["mse", "bce", "bce_with_logits", "hinge"])
def test_replay_is_bit_identical_for_a_layer_and_a_neuron(loss):
    X, y, _ = data(loss)
    y1 = [t[0] if isinstance(t, list) else t for t in y]  # one output
    act = output_activation(loss)
    for make in (lambda: Neuron(3, act, rng=random.Random(4)),
                 lambda: Layer(3, 1, act, rng=random.Random(4)),
                 lambda: MLP(3, [3, 1], output_activation=act, seed=4)):
        replayed, fresh = both(make, X, y1, loss=loss, batch_size=2, optimizer="adam")
        assert replayed == fresh


def test_replay_is_bit_identical_where_bce_clamps_saturated_outputs():
    # Large weights saturate the sigmoid: p rounds to 1 (or falls below eps), bce swaps p
    # for a constant and no gradient reaches that output; the graph's shape changes.
    X = [[4.0, -3.0], [-5.0, 6.0], [0.1, 0.2], [9.0, 9.0], [-9.0, -9.0]]
    y = [[1.0, 0.0], [0.0, 1.0], [0.25, 1.0], [1.0, 0.0], [0.0, 0.25]]

    def make():
        return Layer(2, 2, "sigmoid", weights=[[9.0, 8.0], [-7.0, 10.0]], biases=[1.0, -1.0])

    replayed, fresh = both(make, X, y, loss="bce", optimizer="sgd", batch_size=2)
    assert replayed == fresh
    with no_grad():
        p = [o.data for x in X for o in make()(x)]
    assert any(q > 1.0 - losses.BCE_EPS or q < losses.BCE_EPS for q in p)  # clamped


def test_replay_is_bit_identical_on_dead_relus_and_a_wide_batch():
    # relu gates that are off pass nothing back, as in backward(); the graph is the same.
    X, y, _ = data("mse", n=20, seed=9)

    def make():
        return MLP(3, [8, 8, 2], activation="relu", seed=5)

    replayed, fresh = both(make, X, y, loss="mse", optimizer="sgd", batch_size=None,
                           epochs=4)
    assert replayed == fresh


def every_node(model_output):
    return topological_order(model_output, leaves=True)


def test_every_node_of_a_replayed_step_matches_the_fresh_graph_bit_for_bit():
    X, y, _ = data("softmax_cross_entropy", n=6)
    model = MLP(3, [4, 3], seed=0)
    replay = Replay(model)
    objective = losses.softmax_cross_entropy
    for batch in (X[:4], X[2:6]):  # the second step recomputes the graph built by the first
        targets = y[:4]
        model.zero_grad()
        loss, _ = replay.step(batch, targets, objective)
        replayed = [[(type(n), bits(n.data), bits(n.grad)) for n in every_node(o)]
                    for k in range(4) for o in _outputs(replay, k)]
        grads = [bits(p.grad) for p in model.parameters()]

        model.zero_grad()
        outs = [model(x) for x in batch]
        fresh_loss = objective(outs, targets)
        fresh_loss.backward()
        fresh = [[(type(n), bits(n.data), bits(n.grad)) for n in every_node(o)]
                 for out in outs for o in out]
        assert bits(loss.data) == bits(fresh_loss.data)
        assert replayed == fresh
        assert grads == [bits(p.grad) for p in model.parameters()]


def _outputs(replay, k):
    """Copy k's output nodes (as a list) without recomputing them."""
    out = replay.outputs_of(k)
    return [out] if isinstance(out, Value) else out


def test_no_node_is_made_after_the_first_step():
    X, y, _ = data("mse", n=8)
    model = MLP(3, [4, 2], seed=0)
    replay = Replay(model)
    replay.step(X[:4], y[:4], losses.mse)
    nodes = [n for k in range(4) for o in _outputs(replay, k) for n in every_node(o)]
    ids = [id(n) for n in nodes]
    replay.step(X[4:8], y[4:8], losses.mse)
    replay.step(X[1:3], y[1:3], losses.mse)  # a shorter batch uses the first copies
    again = [n for k in range(4) for o in _outputs(replay, k) for n in every_node(o)]
    assert [id(n) for n in again] == ids
    assert replay.copies == 4
    fresh = model(X[0])
    per_sample = {n for o in fresh for n in topological_order(o)}
    assert replay.nodes() == 4 * len(per_sample)


def test_fit_replays_only_where_the_shape_cannot_change(monkeypatch):
    calls = []
    original = Replay.step

    def counting(self, *args):
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(Replay, "step", counting)
    X, y, _ = data("mse", n=6)

    def run(model=None, **kw):
        calls.clear()
        fit(model or MLP(3, [2, 2], seed=0), X, kw.pop("y", y), verbose=0, batch_size=3,
            **kw)
        return len(calls)

    assert run() == 2
    assert run(replay=False) == 0
    assert run(loss=lambda o, t: losses.mse(o, t)) == 0  # a loss of the user's own

    class Wider(MLP):
        pass

    assert run(Wider(3, [2, 2], seed=0)) == 0  # a subclass may compute anything
    with detect_anomaly():
        assert run() == 0
    calls.clear()
    Xv = [[Value(a) for a in x] for x in X]  # Values as inputs: their own graphs
    fit(MLP(3, [2, 2], seed=0), Xv, y, verbose=0, batch_size=3)
    assert not calls


def test_replay_unsupported_says_why():
    model = MLP(2, [2, 1], seed=0)
    assert replay_unsupported(model, losses.mse) is None
    assert "not exactly one of MLP" in replay_unsupported(object(), losses.mse)
    assert "LOSSES" in replay_unsupported(model, lambda o, t: o)
    with no_grad():
        assert "no_grad" in replay_unsupported(model, losses.mse)
    with detect_anomaly():
        assert "detect_anomaly" in replay_unsupported(model, losses.mse)
    with pytest.raises(TypeError, match="exactly an MLP"):
        Replay(object())  # type: ignore[arg-type]


def test_sample_rows_converts_numbers_and_refuses_what_a_model_would_refuse():
    from fractions import Fraction
    assert sample_rows([[1, 2.5], (Fraction(1, 4), 3)], 2) == [[1.0, 2.5], [0.25, 3.0]]
    for bad in ([[1.0]], [[1.0, math.nan]], [[True, 1.0]], [["1", 2.0]], [[Value(1.0), 2.0]],
                [Value(1.0)], ["ab"], [[1.0, 10 ** 400]]):
        assert sample_rows(bad, 2) is None


@pytest.mark.parametrize("sample, error", [([1.0], ValueError), ([1.0, math.inf], ValueError),
                                           ([1.0, "x"], TypeError)])
def test_a_bad_sample_raises_the_models_own_error_with_replay_on(sample, error):
    X = [[0.5, 0.25], [1.0, -1.0], sample]
    messages = []
    for replay in (True, False):
        with pytest.raises(error) as info:
            fit(MLP(2, [2, 1], seed=0), X, [0.0, 1.0, 0.5], verbose=0, replay=replay)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "MLP" in messages[0]


def test_replay_must_be_a_bool():
    with pytest.raises(TypeError, match="replay must be True or False"):
        fit(MLP(2, [1], seed=0), [[0.0, 1.0]], [1.0], verbose=0, replay="yes")


def test_new_parameters_rebuild_the_graphs():
    X, y, _ = data("mse", n=4)
    model = MLP(3, [2, 2], seed=0)
    replay = Replay(model)
    replay.step(X, y, losses.mse)
    old = replay.outputs_of(0)
    model.layers[0].neurons[0].w[0] = Parameter(0.75)
    model.zero_grad()
    loss, _ = replay.step(X, y, losses.mse)
    assert replay.outputs_of(0)[0] is not old[0]
    outs = [model(x) for x in X]
    assert bits(loss.data) == bits(losses.mse(outs, y).data)


def test_inference_after_a_replayed_fit_runs_without_a_graph():
    X, y, _ = data("softmax_cross_entropy", n=9)
    model = MLP(3, [4, 3], seed=0)
    fit(model, X, y, loss="softmax_cross_entropy", verbose=0, epochs=2, batch_size=4)
    scores = evaluate(model, X, y, loss="softmax_cross_entropy")
    with no_grad():
        expected = [[o.data for o in model(x)] for x in X]
    assert predict(model, X) == expected
    assert 0.0 <= scores["accuracy"] <= 1.0 and math.isfinite(scores["loss"])


# --- the replayed graph is still a graph ------------------------------------------------


def replayed_loss(seed=0):
    X, y, _ = data("mse", n=3, seed=seed)
    model = MLP(3, [3, 2], seed=seed)
    replay = Replay(model)
    replay.step(X, y, losses.mse)  # build and replay once
    outs = replay.forward(X[1:] + X[:1])  # recomputed for other samples
    return model, replay, outs, losses.mse(outs, y[1:] + y[:1]), X[1:] + X[:1], y[1:] + y[:1]


def test_backward_over_the_replayed_graph_gives_the_fresh_grads():
    model, replay, outs, loss, X, y = replayed_loss()
    model.zero_grad()
    loss.backward()
    replayed = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    losses.mse([model(x) for x in X], y).backward()
    assert replayed == [bits(p.grad) for p in model.parameters()]


def test_the_replayed_graph_steps_through_as_backward_does():
    model, replay, outs, loss, X, y = replayed_loss()
    model.zero_grad()
    steps = list(loss.backward_steps())
    stepped = [bits(p.grad) for p in model.parameters()]
    model.zero_grad()
    loss.backward()
    assert stepped == [bits(p.grad) for p in model.parameters()]
    assert len(steps) == len(topological_order(loss))
    assert any(s.node is outs[0][0] for s in steps)  # the replayed nodes are its steps


def test_the_replayed_graph_passes_gradcheck_and_check_ops():
    model, replay, outs, loss, X, y = replayed_loss(seed=1)
    assert check_ops(loss)
    leaves = replay.inputs(0) + model.parameters()

    def f(*_):  # recompute the replayed graph from the leaves gradcheck moves
        return losses.mse(replay.recompute(len(X)), y)

    assert gradcheck(f, leaves)


def test_the_replayed_graph_draws():
    try:
        importlib.import_module("graphviz")
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("the graphviz Python package is not installed (pip install graphviz)")
    from micrograd_nn.viz import draw_dot
    model, replay, outs, loss, X, y = replayed_loss()
    model.zero_grad()
    loss.backward()
    source = draw_dot(loss, max_nodes=10_000).source
    model.zero_grad()
    fresh = losses.mse([model(x) for x in X], y)
    fresh.backward()
    assert source == draw_dot(fresh, max_nodes=10_000).source  # same graph, same numbers


def test_replay_forward_checks_the_sample_length():
    replay = Replay(MLP(3, [2], seed=0))
    with pytest.raises(ValueError, match="3 inputs got a sample of 2"):
        replay.forward([[1.0, 2.0]])


def test_an_adam_given_by_the_caller_and_many_epochs_agree_bit_for_bit():
    X, y, _ = data("softmax_cross_entropy", n=10, seed=4)
    states = []
    for replay in (True, False):
        model = MLP(3, [5, 3], seed=7)
        h = fit(model, X, y, loss="softmax_cross_entropy", verbose=0, epochs=6,
                batch_size=3, optimizer=Adam(model.parameters(), lr=0.05), replay=replay,
                seed=11)
        states.append(state(model, h))
    assert states[0] == states[1]
