"""The digits example's 10-class network, trained once with micrograd_nn and once with NumPy.

Same data split, same architecture (64-16-10, tanh hidden, softmax cross-entropy), same
optimiser settings (Adam, lr 0.03, batches of 32, 2 epochs). The NumPy version computes the
backward pass with the matrix formulas written out by hand, a whole batch at a time; it is
here to say honestly how much a scalar engine costs, not to be fast itself.

    python benchmarks/numpy_digits.py [--repeats 3]

Needs NumPy and scikit-learn (the digits data): ``pip install -e ".[bench,examples]"``.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "examples"))
from _data import load_digits_split  # type: ignore[import-not-found]  # noqa: E402

from micrograd_nn import MLP, Adam, evaluate, fit  # noqa: E402

HIDDEN, EPOCHS, LR, BATCH, SEED = 16, 2, 0.03, 32, 0


def train_numpy(X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Train the MLP with NumPy: Xavier-uniform weights, Adam, hand-derived gradients."""
    rng = np.random.default_rng(SEED)
    sizes = [(64, HIDDEN), (HIDDEN, 10)]
    params = []
    for nin, nout in sizes:
        limit = np.sqrt(6.0 / (nin + nout))
        params += [rng.uniform(-limit, limit, (nin, nout)), np.zeros(nout)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    onehot = np.eye(10)[y]
    t = 0
    for _ in range(EPOCHS):
        order = rng.permutation(len(X))
        for start in range(0, len(X), BATCH):
            idx = order[start:start + BATCH]
            W1, b1, W2, b2 = params
            h = np.tanh(X[idx] @ W1 + b1)
            z = h @ W2 + b2
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - onehot[idx]) / len(idx)  # softmax cross-entropy, mean over the batch
            dh = (dz @ W2.T) * (1.0 - h * h)
            grads = [X[idx].T @ dh, dh.sum(axis=0), h.T @ dz, dz.sum(axis=0)]
            t += 1
            for i, g in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * g
                v[i] = 0.999 * v[i] + 0.001 * g * g
                mhat = m[i] / (1 - 0.9 ** t)
                vhat = v[i] / (1 - 0.999 ** t)
                params[i] -= LR * mhat / (np.sqrt(vhat) + 1e-8)
    return params


def accuracy_numpy(params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> float:
    """Test accuracy of the NumPy-trained network."""
    W1, b1, W2, b2 = params
    return float(np.mean(np.argmax(np.tanh(X @ W1 + b1) @ W2 + b2, axis=1) == y))


def train_engine(X: list[list[float]], y: list[int]) -> MLP:
    """Train the same network with micrograd_nn, as examples/digits.py does."""
    model = MLP(64, [HIDDEN, 10], activation="tanh", output_activation="linear",
                init="xavier", seed=SEED)
    fit(model, X, y, loss="softmax_cross_entropy", optimizer=Adam(model.parameters(), lr=LR),
        epochs=EPOCHS, batch_size=BATCH, seed=SEED, file=io.StringIO())
    return model


def main() -> None:
    """Time both trainings (CPU time, alternating) and print the ratio with its spread."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X_train, X_test, y_train, y_test = load_digits_split()
    Xa, ya = np.array(X_train), np.array(y_train)
    engine_s, numpy_s = [], []
    for _ in range(args.repeats):
        t = time.process_time()
        model = train_engine(X_train, y_train)
        engine_s.append(time.process_time() - t)
        t = time.process_time()
        params = train_numpy(Xa, ya)
        numpy_s.append(time.process_time() - t)
    engine_acc = evaluate(model, X_test, y_test, loss="softmax_cross_entropy")["accuracy"]
    numpy_acc = accuracy_numpy(params, np.array(X_test), np.array(y_test))
    ratios = [e / n for e, n in zip(engine_s, numpy_s)]
    print(f"{sys.implementation.name} {sys.version.split()[0]}, NumPy {np.__version__}; "
          f"CPU time (process_time) of training only, {args.repeats} alternating repeats")
    print(f"micrograd_nn: {statistics.median(engine_s):.2f} s "
          f"({min(engine_s):.2f}-{max(engine_s):.2f}), test accuracy {engine_acc:.3f}")
    print(f"NumPy:        {statistics.median(numpy_s) * 1e3:.1f} ms "
          f"({min(numpy_s) * 1e3:.1f}-{max(numpy_s) * 1e3:.1f}), test accuracy {numpy_acc:.3f}")
    print(f"NumPy is {statistics.median(ratios):.0f}x faster "
          f"(range {min(ratios):.0f}-{max(ratios):.0f}x)")


if __name__ == "__main__":
    main()
