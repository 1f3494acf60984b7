"""The engine against the seeds' hand-derived matrix formulas (NumPy) and their printed numbers.

Each network is built here from scalar Values only (no nn module), so these tests guard the
engine's ops and backward alone. Gradients must match the matrix formulas to 1e-10 relative.
"""

import math

import numpy as np
import pytest

from micrograd_nn import Value

RTOL = 1e-10
ATOL = 1e-15  # only for entries that are exactly 0 on both sides (dead ReLUs)

# Seeds 000 and 003: the 4-row table whose label is the first input.
X_TABLE = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
Y_TABLE = np.array([0.0, 1.0, 1.0, 0.0])
W_SEED = [-0.165955990594852, 0.4406489868843162, -0.9997712503653102]
LOSS_TRACE_SEED_000 = [
    0.822322582088, 0.722897448125, 0.646837651208, 0.584116122241, 0.530908161024,
    0.48523717872, 0.445747750118, 0.411391164148, 0.381326093762, 0.354869998127,
    0.331466036109, 0.310657702141, 0.292068863232, 0.275387990352, 0.260355695915,
    0.246754868981, 0.234402844624, 0.22314516463, 0.21285058467, 0.203407060401,
]


def values(array):
    """Nested lists of leaf Values with the array's numbers."""
    return [values(row) for row in array] if np.ndim(array) > 1 else [Value(float(v))
                                                                       for v in array]


def grads(nested):
    return np.array([grads(row) for row in nested]) if isinstance(nested[0], list) else \
        np.array([v.grad for v in nested])


def np_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def bce_terms(outputs, targets):
    """Per-sample binary cross-entropy -[y log a + (1-y) log(1-a)] from Values."""
    return [-(y * a.log() + (1 - y) * (1 - a).log()) for a, y in zip(outputs, targets)]


def logistic_forward(W, b, X):
    return [(Value.sum([w * float(x) for w, x in zip(W, row)]) + b).sigmoid() for row in X]


def test_logistic_regression_seed_outputs_and_loss():
    W, b = values(W_SEED), Value(0.0)
    outputs = logistic_forward(W, b, X_TABLE)
    assert [o.data for o in outputs] == pytest.approx(
        [0.60841366, 0.45860596, 0.3262757, 0.36375058], abs=5e-9)
    loss = Value.sum(bce_terms(outputs, Y_TABLE)) / len(Y_TABLE)
    assert loss.data == pytest.approx(0.82232258208779863, abs=1e-12)


def test_logistic_regression_gradients_match_dz_formula():
    W, b = values(W_SEED), Value(0.0)
    outputs = logistic_forward(W, b, X_TABLE)
    loss = Value.sum(bce_terms(outputs, Y_TABLE)) / len(Y_TABLE)
    loss.backward()
    A = np_sigmoid(X_TABLE @ np.array(W_SEED))
    dz = A - Y_TABLE
    np.testing.assert_allclose(grads(W), X_TABLE.T @ dz / len(Y_TABLE), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(b.grad, dz.mean(), rtol=RTOL)


def test_logistic_regression_reproduces_seed_000_loss_trace():
    W, b = values(W_SEED), Value(0.0)
    trace = []
    for _ in range(20):
        outputs = logistic_forward(W, b, X_TABLE)
        loss = Value.sum(bce_terms(outputs, Y_TABLE)) / len(Y_TABLE)
        trace.append(loss.data)
        for p in W + [b]:
            p.grad = 0.0
        loss.backward()
        for p in W + [b]:
            p.data -= 1.0 * p.grad
    # the seed prints 12 decimals: its own rounding is up to 5e-13
    assert trace == pytest.approx(LOSS_TRACE_SEED_000, abs=1e-12)


def test_two_layer_tanh_sigmoid_net_matches_seed_000_formulas():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    W1n, b1n = rng.normal(size=(2, 3)), rng.normal(size=3)
    W2n, b2n = rng.normal(size=(3, 1)), rng.normal(size=1)
    W1, b1, W2, b2 = values(W1n), values(b1n), values(W2n), values(b2n)
    outs = []
    for row in X:
        a1 = [(Value.sum([W1[i][j] * float(row[i]) for i in range(2)]) + b1[j]).tanh()
              for j in range(3)]
        outs.append((Value.sum([a1[j] * W2[j][0] for j in range(3)]) + b2[0]).sigmoid())
    Value.sum(bce_terms(outs, y)).backward()

    a1 = np.tanh(X @ W1n + b1n)
    a2 = np_sigmoid(a1 @ W2n + b2n)
    dz2 = a2 - y[:, None]
    dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
    dz1 = dz2 @ W2n.T * (1 - a1 ** 2)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    for ours, theirs in [(W1, dW1), (b1, db1), (W2, dW2), (b2, db2)]:
        np.testing.assert_allclose(grads(ours), theirs, rtol=RTOL, atol=ATOL)


def test_seed_002_network_output_and_weight_by_weight_gradients():
    def f(z):
        return 1 / (1 + math.exp(-z))

    def fprime(z):
        return f(z) * (1 - f(z))

    # every neuron w=[0,1], b=0 at x=[2,3] gives 0.7216325609518421 (seed 002)
    x = [Value(2.0), Value(3.0)]
    w = [Value(v) for v in (0.0, 1.0, 0.0, 1.0, 0.0, 1.0)]
    b = [Value(0.0) for _ in range(3)]
    h1 = (w[0] * x[0] + w[1] * x[1] + b[0]).sigmoid()
    h2 = (w[2] * x[0] + w[3] * x[1] + b[1]).sigmoid()
    o1 = (w[4] * h1 + w[5] * h2 + b[2]).sigmoid()
    assert o1.data == 0.7216325609518421

    # one person, y_true = 1: L = (1 - y_pred)^2 and the chain rule written out per weight
    loss = (1 - o1) ** 2
    loss.backward()
    xs = (2.0, 3.0)
    wn = [v.data for v in w]
    sum_h1 = wn[0] * xs[0] + wn[1] * xs[1]
    sum_h2 = wn[2] * xs[0] + wn[3] * xs[1]
    sum_o1 = wn[4] * h1.data + wn[5] * h2.data
    d_L_d_ypred = -2 * (1 - o1.data)
    d_ypred_d_h1 = wn[4] * fprime(sum_o1)
    d_ypred_d_h2 = wn[5] * fprime(sum_o1)
    expected = [
        d_L_d_ypred * d_ypred_d_h1 * xs[0] * fprime(sum_h1),
        d_L_d_ypred * d_ypred_d_h1 * xs[1] * fprime(sum_h1),
        d_L_d_ypred * d_ypred_d_h2 * xs[0] * fprime(sum_h2),
        d_L_d_ypred * d_ypred_d_h2 * xs[1] * fprime(sum_h2),
        d_L_d_ypred * h1.data * fprime(sum_o1),
        d_L_d_ypred * h2.data * fprime(sum_o1),
    ]
    expected_b = [d_L_d_ypred * d_ypred_d_h1 * fprime(sum_h1),
                  d_L_d_ypred * d_ypred_d_h2 * fprime(sum_h2),
                  d_L_d_ypred * fprime(sum_o1)]
    np.testing.assert_allclose([v.grad for v in w], expected, rtol=RTOL)
    np.testing.assert_allclose([v.grad for v in b], expected_b, rtol=RTOL)


def test_l_layer_relu_sigmoid_net_matches_seed_004_formulas():
    rng = np.random.default_rng(4)
    dims = [3, 5, 4, 1]
    m = 7
    X = rng.normal(size=(dims[0], m))  # column per sample, as in seed 004
    Y = (rng.random(size=(1, m)) > 0.5).astype(float)
    Wn = [rng.normal(size=(dims[i + 1], dims[i])) / math.sqrt(dims[i]) for i in range(3)]
    bn = [rng.normal(size=(dims[i + 1], 1)) * 0.1 for i in range(3)]
    W = [values(w) for w in Wn]
    b = [values(v[:, 0]) for v in bn]

    outputs = []
    for s in range(m):
        a = [Value(float(v)) for v in X[:, s]]
        for layer in range(3):
            z = [Value.sum([W[layer][j][i] * a[i] for i in range(len(a))]) + b[layer][j]
                 for j in range(dims[layer + 1])]
            a = [v.sigmoid() for v in z] if layer == 2 else [v.relu() for v in z]
        outputs.append(a[0])
    cost = Value.sum(bce_terms(outputs, Y[0])) / m
    cost.backward()

    # forward with caches, then dZ = dA * g'(Z), dW = dZ A_prev^T / m, db = sum dZ / m,
    # dA_prev = W^T dZ
    A, caches = X, []
    for layer in range(3):
        Z = Wn[layer] @ A + bn[layer]
        caches.append((A, Z))
        A = np_sigmoid(Z) if layer == 2 else np.maximum(Z, 0)
    dA = -(Y / A - (1 - Y) / (1 - A))
    for layer in reversed(range(3)):
        A_prev, Z = caches[layer]
        gprime = np_sigmoid(Z) * (1 - np_sigmoid(Z)) if layer == 2 else (Z > 0).astype(float)
        dZ = dA * gprime
        dW = dZ @ A_prev.T / m
        db = dZ.sum(axis=1) / m
        dA = Wn[layer].T @ dZ
        np.testing.assert_allclose(grads(W[layer]), dW, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(grads(b[layer]), db, rtol=RTOL, atol=ATOL)
