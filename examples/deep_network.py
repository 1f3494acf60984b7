"""Seed 004: an L-layer network, and what the optimizer changes.

A 2-16-16-16-1 network (ReLU hidden layers, sigmoid output, Xavier initialisation:
weights N(0, 1/n_in), biases 0) learns two interleaved moons with binary cross-entropy.
The same starting weights are trained four times, once per optimizer (plain SGD,
momentum, RMSprop, Adam), with mini-batches of 10 for 30 epochs, each at a usual
learning rate for it.

    python examples/deep_network.py [--json]
"""

from __future__ import annotations

from typing import Any, TextIO

from _data import main

from micrograd_nn import MLP, SGD, Adam, Momentum, RMSprop, evaluate, fit
from micrograd_nn.train import two_moons

SEED = 4
EPOCHS = 30
OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.1),
    "momentum": lambda ps: Momentum(ps, lr=0.1, momentum=0.9),
    "rmsprop": lambda ps: RMSprop(ps, lr=0.003),
    "adam": lambda ps: Adam(ps, lr=0.01),
}


def run(out: TextIO) -> dict[str, Any]:
    """Train one network per optimizer from the same start; compare their final losses."""
    X, y = two_moons(100, noise=0.15, seed=SEED)
    start = MLP(2, [16, 16, 16, 1], activation="relu", output_activation="sigmoid",
                init="xavier", seed=SEED)
    weights = start.get_weights()
    start.summary(file=out)
    initial = evaluate(start, X, y, loss="bce")["loss"]
    print(f"\nInitial loss {initial:.4f} (ln 2 = 0.6931 is a coin toss)\n", file=out)
    final, accuracy = {}, {}
    for name, make in OPTIMIZERS.items():
        model = MLP.from_weights(weights, activation="relu", output_activation="sigmoid")
        opt = make(model.parameters())
        print(f"{name}: {opt!r}", file=out)
        fit(model, X, y, loss="bce", optimizer=opt, epochs=EPOCHS, batch_size=10, seed=SEED,
            verbose=10, file=out)
        result = evaluate(model, X, y, loss="bce")
        final[name], accuracy[name] = result["loss"], result["accuracy"]
    print("\nFinal training loss (lower is better) and accuracy, same start, same batches:",
          file=out)
    for name in OPTIMIZERS:
        print(f"  {name:9s} loss {final[name]:.4f}  accuracy {accuracy[name]:.2f}", file=out)
    return {"initial_loss": initial, "final_loss": final, "accuracy": accuracy}


if __name__ == "__main__":
    main(run, __doc__)
