"""NumPy code on arrays of Values: each seed's forward pass written in NumPy runs on object
arrays of Values, and backward() gives the gradients the seed's hand-derived matrix formulas
give (our own NumPy code for them), to 1e-10. The seeds' numbers are used, not their code."""

import numpy as np
import pytest

from micrograd_nn import Value
from micrograd_nn.testing import assert_array_grads, data_of, value_array

RTOL, ATOL = 1e-10, 1e-14

# Seeds 000 and 003: four samples whose label is their first feature; the seeds' starting
# weights (np.random.seed(1); 2 * random((3, 1)) - 1).
X4 = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]])
W_START = np.array([[-0.165955990594852], [0.4406489868843162], [-0.9997712503653102]])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce(a, y):
    return -np.mean(y * np.log(a) + (1.0 - y) * np.log(1.0 - a))


def test_seed_000_logistic_regression_dz_formula():
    W, b = value_array(W_START, "W"), Value(0.0, "b")
    A = sigmoid(X4 @ W + b)
    assert data_of(A)[:, 0] == pytest.approx([0.60841366, 0.45860596, 0.3262757, 0.36375058],
                                             abs=5e-9)
    loss = bce(A, Y4)
    assert loss.data == pytest.approx(0.822322582088, abs=5e-13)
    loss.backward()
    dz = data_of(A) - Y4
    assert_array_grads(W, X4.T @ dz / len(X4), RTOL, ATOL, "dW")
    assert b.grad == pytest.approx(dz.sum() / len(X4), rel=RTOL)


def test_seed_000_tanh_sigmoid_network():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    y = (X[:, :1] * X[:, 1:] > 0).astype(float)
    params = [rng.normal(size=s) for s in [(2, 3), (1, 3), (3, 1), (1, 1)]]
    W1, b1, W2, b2 = [value_array(p) for p in params]
    a1 = np.tanh(X @ W1 + b1)
    a2 = sigmoid(a1 @ W2 + b2)
    np.sum(-(y * np.log(a2) + (1 - y) * np.log(1 - a2))).backward()  # the seed's summed loss

    a1n, a2n = data_of(a1), data_of(a2)
    dz2 = a2n - y
    dz1 = dz2 @ params[2].T * (1 - a1n ** 2)
    for ours, theirs in [(W1, X.T @ dz1), (b1, dz1.sum(0, keepdims=True)), (W2, a1n.T @ dz2),
                         (b2, dz2.sum(0, keepdims=True))]:
        assert_array_grads(ours, theirs, RTOL, ATOL)


def digits(n):
    datasets = pytest.importorskip(
        "sklearn.datasets", reason="the digits data ships with scikit-learn (not installed)")
    d = datasets.load_digits()
    return d.data[:n] / 16.0, d.target[:n]


def test_seed_001_digits_64_4_1_sigmoid_network():
    X, target = digits(20)
    y = (target % 2 == 0).astype(float)[:, None]
    rng = np.random.default_rng(1)
    w1, w2 = rng.normal(0, 0.1, (64, 4)), rng.normal(0, 0.1, (4, 1))
    W1, W2 = value_array(w1), value_array(w2)
    a1 = sigmoid(X @ W1)
    out = sigmoid(a1 @ W2)
    bce(np.clip(out, 1e-7, 1 - 1e-7), y).backward()  # clip: the clamped BCE

    a1n, outn = data_of(a1), data_of(out)
    dz2 = (outn - y) / len(X)
    dz1 = dz2 @ w2.T * a1n * (1 - a1n)
    assert_array_grads(W2, a1n.T @ dz2, RTOL, ATOL, "dW2")
    assert_array_grads(W1, X.T @ dz1, RTOL, ATOL, "dW1")


def test_seed_001_digits_ten_classes_with_a_stable_softmax():
    X, target = digits(15)
    Y = np.eye(10)[target]
    rng = np.random.default_rng(2)
    w, bias = rng.normal(0, 0.3, (64, 10)), rng.normal(0, 0.1, (1, 10))
    W, b = value_array(w), value_array(bias)
    Z = X @ W + b
    shifted = Z - np.max(Z, axis=1, keepdims=True)  # np.max compares Values
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    (-np.sum(Y * logp) / len(X)).backward()

    Zn = X @ w + bias
    P = np.exp(Zn - Zn.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    dZ = (P - Y) / len(X)
    assert_array_grads(W, X.T @ dZ, RTOL, ATOL, "dW")
    assert_array_grads(b, dZ.sum(0, keepdims=True), RTOL, ATOL, "db")


def test_seed_002_two_two_one_network_on_its_four_people():
    X = np.array([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    W1n, b1n = np.array([[0.0, 0.0], [1.0, 1.0]]), np.zeros((1, 2))  # columns: h1, h2
    W2n, b2n = np.array([[0.0], [1.0]]), np.zeros((1, 1))
    W1, b1, W2, b2 = (value_array(p) for p in (W1n, b1n, W2n, b2n))
    h = sigmoid(X @ W1 + b1)
    o = sigmoid(h @ W2 + b2)
    single = sigmoid(sigmoid(np.array([[2.0, 3.0]]) @ W1 + b1) @ W2 + b2)[0, 0]
    assert single.data == 0.7216325609518421  # the seed's network output
    np.mean((y - o) ** 2).backward()

    hn, on = data_of(h), data_of(o)
    d_ypred = -2 * (y - on) / len(X)
    d_sum_o = d_ypred * on * (1 - on)
    d_sum_h = d_sum_o @ W2n.T * hn * (1 - hn)
    assert_array_grads(W2, hn.T @ d_sum_o, RTOL, ATOL, "dW2")
    assert_array_grads(b2, d_sum_o.sum(0, keepdims=True), RTOL, ATOL, "db2")
    assert_array_grads(W1, X.T @ d_sum_h, RTOL, ATOL, "dW1")
    assert_array_grads(b1, d_sum_h.sum(0, keepdims=True), RTOL, ATOL, "db1")


def test_seed_003_perceptron_error_times_slope():
    w0 = value_array(W_START, "w0")
    A1 = sigmoid(X4 @ w0)
    (0.5 * np.sum((Y4 - A1) ** 2)).backward()
    A = data_of(A1)
    # the seed's update adds X^T (error * slope); the loss's gradient is its negative
    assert_array_grads(w0, -(X4.T @ ((Y4 - A) * A * (1 - A))), RTOL, ATOL, "dw0")


@pytest.mark.parametrize("relu", ["maximum", "where"])
def test_seed_004_l_layer_relu_sigmoid_network(relu):
    rng = np.random.default_rng(4)
    dims, m = [3, 5, 4, 1], 7
    X = rng.normal(size=(dims[0], m))  # a column per sample, as in seed 004
    Y = (rng.random(size=(1, m)) > 0.5).astype(float)
    Wn = [rng.normal(size=(dims[i + 1], dims[i])) / np.sqrt(dims[i]) for i in range(3)]
    bn = [rng.normal(size=(dims[i + 1], 1)) * 0.1 for i in range(3)]
    W, b = [value_array(w) for w in Wn], [value_array(v) for v in bn]

    def g(Z):
        return np.maximum(0, Z) if relu == "maximum" else np.where(Z > 0, Z, 0.0)

    A = X
    for layer in range(3):
        Z = W[layer] @ A + b[layer]
        A = sigmoid(Z) if layer == 2 else g(Z)
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    cost.backward()

    An, caches = X, []
    for layer in range(3):
        Zn = Wn[layer] @ An + bn[layer]
        caches.append((An, Zn))
        An = sigmoid(Zn) if layer == 2 else np.maximum(0, Zn)
    dA = -(Y / An - (1 - Y) / (1 - An))
    for layer in reversed(range(3)):
        A_prev, Zn = caches[layer]
        slope = sigmoid(Zn) * (1 - sigmoid(Zn)) if layer == 2 else (Zn > 0).astype(float)
        dZ = dA * slope
        assert_array_grads(W[layer], dZ @ A_prev.T / m, RTOL, ATOL, f"dW{layer + 1}")
        assert_array_grads(b[layer], dZ.sum(1, keepdims=True) / m, RTOL, ATOL, f"db{layer + 1}")
        dA = Wn[layer].T @ dZ


def test_abs_sqrt_and_norm_penalties():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(3, 4))
    W = value_array(w)
    (0.1 * np.sum(np.abs(W)) + np.linalg.norm(W) + np.sum(np.sqrt(W * W + 1.0))).backward()
    expected = 0.1 * np.sign(w) + w / np.linalg.norm(w) + w / np.sqrt(w * w + 1.0)
    assert_array_grads(W, expected, RTOL, ATOL, "penalties")


def test_a_value_broadcasts_over_a_numpy_array():
    v = Value(2.0)
    out = v + np.ones(3)
    assert out.shape == (3,) and [o.data for o in out] == [3.0, 3.0, 3.0]
    np.sum(out * np.arange(3.0) + np.ones(3) * v).backward()
    assert v.grad == 0.0 + 1.0 + 2.0 + 3.0
