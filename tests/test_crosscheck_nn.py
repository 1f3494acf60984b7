"""MLP / Layer / fit against the seeds' hand-derived matrix formulas, computed with NumPy.

Every weight's and bias's gradient must match the formula to 1e-10 relative, and one
full-batch step of ``fit`` must move every weight by exactly -lr times that gradient.
Weight layout: our ``W`` has one row per neuron (n_out x n_in); the seeds' row-sample
formulas (000) use its transpose.
"""

import numpy as np
import pytest

from micrograd_nn import MLP, SGD, fit, losses
from micrograd_nn.train import two_moons

RTOL = 1e-10
ATOL = 1e-14  # only matters for entries that are 0 on both sides (ReLUs that are off)

X_TABLE = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
Y_TABLE = np.array([0.0, 1.0, 1.0, 0.0])
W_SEED = [-0.165955990594852, 0.4406489868843162, -0.9997712503653102]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def layer_grads(model):
    """[(dW, db)] per layer from the Parameters' .grad, dW as n_out x n_in."""
    return [(np.array([[p.grad for p in n.w] for n in layer.neurons]),
             np.array([n.b.grad for n in layer.neurons])) for layer in model.layers]


def layer_weights(model):
    return [(np.array(w), np.array(b)) for w, b in model.get_weights()]


def assert_grads(model, expected):
    for (dW, db), (eW, eb) in zip(layer_grads(model), expected):
        np.testing.assert_allclose(dW, eW, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db, eb, rtol=RTOL, atol=ATOL)


def backward_loss(model, X, y, loss):
    model.zero_grad()
    loss([model(list(x)) for x in X], list(y)).backward()


def assert_one_fit_step(model, X, y, loss, expected, lr=0.5):
    """One full-batch epoch of fit with SGD: W_new - W_old == -lr * expected grad."""
    before = layer_weights(model)
    fit(model, [list(x) for x in X], list(y), loss=loss, optimizer=SGD(model.parameters(), lr),
        epochs=1, batch_size=None, shuffle=False, verbose=False)
    for (W1, b1), (W0, b0), (eW, eb) in zip(layer_weights(model), before, expected):
        np.testing.assert_allclose(W1 - W0, -lr * eW, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(b1 - b0, -lr * eb, rtol=RTOL, atol=ATOL)


# --- (1) Logistic regression (seeds 000 and 003): dz = A - y, dW = X.T dz / N, db = mean dz


def logistic_expected(W, b, X, y):
    A = sigmoid(X @ W + b)
    dz = A - y
    return [((X.T @ dz / len(y))[None, :], np.array([dz.mean()]))]


def test_logistic_regression_gradients_match_seed_formula():
    model = MLP.from_weights([([W_SEED], [0.0])], output_activation="sigmoid")
    backward_loss(model, X_TABLE, Y_TABLE, losses.bce)
    assert_grads(model, logistic_expected(np.array(W_SEED), 0.0, X_TABLE, Y_TABLE))


def test_logistic_regression_fit_step_is_minus_lr_times_formula():
    model = MLP.from_weights([([W_SEED], [0.0])], output_activation="sigmoid")
    expected = logistic_expected(np.array(W_SEED), 0.0, X_TABLE, Y_TABLE)
    assert_one_fit_step(model, X_TABLE, Y_TABLE, "bce", expected)


# --- (2) Seed 000's 2-layer net: tanh hidden, sigmoid out, summed cross-entropy:
# dz2 = a2 - y, dW2 = a1.T dz2, db2 = Σ dz2, dz1 = dz2 W2.T * (1 - a1^2), dW1 = X.T dz1,
# db1 = Σ dz1. Our loss is the mean, so its gradients are these over N.


def two_layer_setup():
    X, y = two_moons(40, noise=0.2, seed=3)
    rng = np.random.default_rng(0)
    W1, b1 = rng.normal(size=(2, 3)), rng.normal(size=3)
    W2, b2 = rng.normal(size=(3, 1)), rng.normal(size=1)
    model = MLP.from_weights([(W1.T.tolist(), b1.tolist()), (W2.T.tolist(), b2.tolist())],
                             activation="tanh", output_activation="sigmoid")
    return np.array(X), np.array(y), (W1, b1, W2, b2), model


def two_layer_expected(X, y, W1, b1, W2, b2):
    a1 = np.tanh(X @ W1 + b1)
    a2 = sigmoid(a1 @ W2 + b2)
    dz2 = a2 - y[:, None]
    dW2, db2 = a1.T @ dz2, dz2.sum(axis=0)
    dz1 = dz2 @ W2.T * (1 - a1 ** 2)
    dW1, db1 = X.T @ dz1, dz1.sum(axis=0)
    n = len(y)
    return [(dW1.T / n, db1 / n), (dW2.T / n, db2 / n)]


def test_two_layer_tanh_sigmoid_gradients_match_seed_000_formulas():
    X, y, weights, model = two_layer_setup()
    backward_loss(model, X, y, losses.bce)
    assert_grads(model, two_layer_expected(X, y, *weights))


def test_two_layer_fit_step_is_minus_lr_times_formula():
    X, y, weights, model = two_layer_setup()
    assert_one_fit_step(model, X, y, "bce", two_layer_expected(X, y, *weights))


# --- (3) Seed 002's 2-2-1 sigmoid net with squared error, weight by weight (w1..w6, b1..b3)

PEOPLE = [[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]]
GENDER = [1.0, 0.0, 0.0, 1.0]


def seed_002_grads(w, b, x, y_true):
    """The seed's chain of partial derivatives for one sample, L = (y - y_pred)^2."""
    def dsig(t):
        return sigmoid(t) * (1 - sigmoid(t))
    sum_h1 = w[0] * x[0] + w[1] * x[1] + b[0]
    sum_h2 = w[2] * x[0] + w[3] * x[1] + b[1]
    h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
    sum_o1 = w[4] * h1 + w[5] * h2 + b[2]
    d_ypred = -2 * (y_true - sigmoid(sum_o1))
    d_h1, d_h2 = w[4] * dsig(sum_o1), w[5] * dsig(sum_o1)
    dw = [d_ypred * d_h1 * x[0] * dsig(sum_h1), d_ypred * d_h1 * x[1] * dsig(sum_h1),
          d_ypred * d_h2 * x[0] * dsig(sum_h2), d_ypred * d_h2 * x[1] * dsig(sum_h2),
          d_ypred * h1 * dsig(sum_o1), d_ypred * h2 * dsig(sum_o1)]
    db = [d_ypred * d_h1 * dsig(sum_h1), d_ypred * d_h2 * dsig(sum_h2),
          d_ypred * dsig(sum_o1)]
    return dw, db


def seed_002_model(w, b):
    return MLP.from_weights([([w[0:2], w[2:4]], b[0:2]), ([w[4:6]], b[2:3])],
                            activation="sigmoid", output_activation="sigmoid")


def flat_grads(model):
    (W1, B1), (W2, B2) = layer_grads(model)
    return list(W1.ravel()) + list(W2.ravel()), list(B1) + list(B2)


@pytest.mark.parametrize("person", range(4))
def test_seed_002_network_gradients_weight_by_weight(person):
    rng = np.random.default_rng(person)
    w, b = rng.normal(size=6).tolist(), rng.normal(size=3).tolist()
    model = seed_002_model(w, b)
    backward_loss(model, [PEOPLE[person]], [GENDER[person]], losses.mse)
    dw, db = flat_grads(model)
    ew, eb = seed_002_grads(w, b, PEOPLE[person], GENDER[person])
    np.testing.assert_allclose(dw, ew, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(db, eb, rtol=RTOL, atol=ATOL)


def test_seed_002_stochastic_epoch_equals_the_seeds_per_sample_updates():
    rng = np.random.default_rng(7)
    w, b = rng.normal(size=6), rng.normal(size=3)
    model = seed_002_model(w.tolist(), b.tolist())
    for x, y_true in zip(PEOPLE, GENDER):  # the seed's loop: update after every person
        dw, db = seed_002_grads(w, b, x, y_true)
        w, b = w - 0.1 * np.array(dw), b - 0.1 * np.array(db)
    fit(model, PEOPLE, GENDER, loss="mse", optimizer=SGD(model.parameters(), 0.1), epochs=1,
        batch_size=1, shuffle=False, verbose=False)
    (W1, B1), (W2, B2) = layer_weights(model)
    np.testing.assert_allclose(np.concatenate([W1.ravel(), W2.ravel()]), w, rtol=RTOL)
    np.testing.assert_allclose(np.concatenate([B1, B2]), b, rtol=RTOL)


# --- (4) Seed 004's L-layer net (ReLU hidden, sigmoid out, cross-entropy), column layout:
# dZ = dA * g'(Z), dW = dZ A_prev.T / m, db = Σ dZ / m, dA_prev = W.T dZ


def deep_setup(dims=(2, 5, 4, 3, 1), m=30):
    X, y = two_moons(m, noise=0.2, seed=11)
    model = MLP(dims[0], list(dims[1:]), activation="relu", output_activation="sigmoid",
                init="xavier", seed=4)
    rng = np.random.default_rng(4)  # non-zero biases, so the bias path is exercised too
    model.set_weights([(w, rng.normal(scale=0.1, size=len(b)).tolist())
                       for w, b in model.get_weights()])
    return np.array(X), np.array(y), model


def deep_expected(X, y, model):
    params = layer_weights(model)
    A, caches = X.T, []
    for i, (W, b) in enumerate(params):
        Z = W @ A + b[:, None]
        caches.append((A, Z))
        A = sigmoid(Z) if i == len(params) - 1 else np.maximum(Z, 0)
    m = X.shape[0]
    dA = -(y / A - (1 - y) / (1 - A))
    grads = []
    for i in reversed(range(len(params))):
        A_prev, Z = caches[i]
        gprime = sigmoid(Z) * (1 - sigmoid(Z)) if i == len(params) - 1 else (Z > 0) * 1.0
        dZ = dA * gprime
        grads.append((dZ @ A_prev.T / m, dZ.sum(axis=1) / m))
        dA = params[i][0].T @ dZ
    return grads[::-1]


def test_deep_relu_network_gradients_match_seed_004_formulas():
    X, y, model = deep_setup()
    expected = deep_expected(X, y, model)
    backward_loss(model, X, y, losses.bce)
    assert_grads(model, expected)


def test_deep_network_fit_step_is_minus_lr_times_formula():
    X, y, model = deep_setup()
    assert_one_fit_step(model, X, y, "bce", deep_expected(X, y, model))
