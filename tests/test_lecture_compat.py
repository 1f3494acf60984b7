"""Code written for upstream micrograd and its lecture runs unchanged: a lecture-style
script (labels set after the op, manual _backward() calls in reverse topological order, a
hand-written Neuron on top of Value), comparisons, max, sorted, abs, Neuron(nonlin=...),
and upstream's demo model reproduced by MLP(2, [16, 16, 1], activation="relu", seed=1337)."""

import math
import random

import pytest

from micrograd_nn import MLP, Neuron, Value


def build_topo(root):
    topo, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(root)
    return topo


def test_lecture_neuron_by_hand_with_manual_backward_calls():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = "o"
    o.grad = 1.0
    for node in reversed(build_topo(o)):
        node._backward()
    assert o.data == pytest.approx(math.sqrt(0.5))
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))
    assert o._op == "/" and n.label == "n" and len(n._prev) == 2

    grads = [v.grad for v in (x1, w1, x2, w2, b)]
    for v in (x1, w1, x2, w2, b):
        v.grad = 0.0
    o.backward()  # the engine's own pass gives the same numbers
    assert [v.grad for v in (x1, w1, x2, w2, b)] == pytest.approx(grads, rel=1e-12)


class LectureNeuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


def test_lecture_training_loop_with_a_hand_written_neuron():
    rng = random.Random(0)
    neurons = [LectureNeuron(3, rng) for _ in range(2)]
    head = LectureNeuron(2, rng)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    params = [p for n in neurons + [head] for p in n.parameters()]
    losses = []
    for _ in range(30):
        ypred = [head([n(x) for n in neurons]) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    assert losses[-1] < 0.1 * losses[0]


def test_comparisons_max_sorted_and_abs_work_on_values():
    a, b, c = Value(1.0), Value(-2.0), Value(3.0)
    assert a < c and b <= a and c > 2 and 0 >= b and not a < b
    assert max(a, b, c) is c and min(a, b) is b
    assert sorted([a, b, c]) == [b, a, c]
    assert abs(b).data == 2.0 and abs(b).op == "abs"
    assert a != Value(1.0) and len({a, Value(1.0)}) == 2  # equality stays by identity


def test_neuron_takes_upstreams_nonlin_keyword():
    assert Neuron(3, nonlin=True).activation == "relu"
    assert Neuron(3, nonlin=False).activation == "linear"
    assert Neuron(3).activation == "tanh"
    with pytest.raises(ValueError, match="not both"):
        Neuron(3, "tanh", nonlin=True)


def test_relu_mlp_with_seed_1337_starts_from_upstreams_demo_weights_and_losses():
    upstream = pytest.importorskip("micrograd.nn")
    engine = pytest.importorskip("micrograd.engine")
    random.seed(1337)  # what the demo does before building its model
    theirs = upstream.MLP(2, [16, 16, 1])
    ours = MLP(2, [16, 16, 1], activation="relu", seed=1337)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]

    from micrograd_nn.train import two_moons

    X, y = two_moons(30, seed=0, labels=(-1.0, 1.0))
    for model, V in ((theirs, engine.Value), (ours, Value)):
        scores = [model([V(a) for a in row]) for row in X]
        data_loss = sum((1 + -yi * s).relu() for yi, s in zip(y, scores)) * (1.0 / len(y))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        loss.backward()
        model.loss = loss.data
    assert ours.loss == pytest.approx(theirs.loss, rel=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-15)
