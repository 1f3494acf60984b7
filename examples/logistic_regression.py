"""Seeds 000 and 003: a logistic regressor learns y = X1 from a 4-row table.

One sigmoid neuron with the seeds' starting weights, mean binary cross-entropy, learning
rate 1, 20 full-batch epochs. The loss of every epoch should equal the seed's NumPy run.

    python examples/logistic_regression.py [--json]
"""

from __future__ import annotations

from typing import Any, TextIO

from _data import main

from micrograd_nn import SGD, Neuron, fit, predict

X = [[0, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]]
Y = [0, 1, 1, 0]
W_START = [-0.165955990594852, 0.4406489868843162, -0.9997712503653102]  # np.random.seed(1)
SEED_OUTPUT = [0.60841366, 0.45860596, 0.3262757, 0.36375058]
SEED_LOSSES = [
    0.822322582088, 0.722897448125, 0.646837651208, 0.584116122241, 0.530908161024,
    0.48523717872, 0.445747750118, 0.411391164148, 0.381326093762, 0.354869998127,
    0.331466036109, 0.310657702141, 0.292068863232, 0.275387990352, 0.260355695915,
    0.246754868981, 0.234402844624, 0.22314516463, 0.21285058467, 0.203407060401,
]


def run(out: TextIO) -> dict[str, Any]:
    """Train the seeds' regressor; print the comparison with the seed's figures."""
    neuron = Neuron(3, "sigmoid", weights=W_START, bias=0.0)
    initial = predict(neuron, X)
    print("Logistic regression: sigmoid(x . w + b), learning y = X1\n", file=out)
    print("Before training (the seed printed these four outputs):", file=out)
    for x, ours, theirs in zip(X, initial, SEED_OUTPUT):
        print(f"  x = {x}  output {ours:.8f}   seed {theirs:.8f}", file=out)

    print("\nTraining: mean binary cross-entropy, SGD with learning rate 1, full batch",
          file=out)
    history = fit(neuron, X, Y, loss="bce", optimizer=SGD(neuron.parameters(), lr=1.0),
                  epochs=20, batch_size=None, shuffle=False, verbose=5, file=out)

    print("\nLoss per epoch, ours against the seed's printout:", file=out)
    print("  epoch  ours            seed            difference", file=out)
    for i, (ours, theirs) in enumerate(zip(history.loss, SEED_LOSSES)):
        print(f"  {i:5d}  {ours:.12f}  {theirs:.12f}  {ours - theirs:+.1e}", file=out)
    worst = max(abs(a - b) for a, b in zip(history.loss, SEED_LOSSES))
    print(f"\nLargest difference: {worst:.1e} (the seed printed 12 decimals).", file=out)
    w, b = neuron.get_weights()
    print(f"Learned weights {[round(v, 3) for v in w]}, bias {b:.3f}: the weight on X1 "
          "grew, the others shrank.", file=out)
    print("After training:", [round(p, 3) for p in predict(neuron, X)], "for targets", Y,
          file=out)
    return {"initial_output": initial, "losses": history.loss}


if __name__ == "__main__":
    main(run, __doc__)
