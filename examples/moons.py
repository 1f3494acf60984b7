"""The upstream micrograd demo: a 2-16-16-1 ReLU MLP separates two moons perfectly.

Hinge (max-margin) loss on labels -1/+1 plus an L2 penalty of 1e-4 on every parameter,
100 full-batch steps of SGD with the learning rate decaying 1.0 - 0.9 k/100, 100 points.
Upstream reaches 100% training accuracy.

    python examples/moons.py [--json]
"""

from __future__ import annotations

from typing import Any, TextIO

from _data import main

from micrograd_nn import MLP, SGD, evaluate, fit
from micrograd_nn.train import two_moons

STEPS = 100


def decay(step: int) -> float:
    """Upstream's schedule: 1.0 at the first step, falling linearly to 0.109 at the last."""
    return 1.0 - 0.9 * step / STEPS


def run(out: TextIO) -> dict[str, Any]:
    """Train the demo network and print how it went."""
    X, y = two_moons(100, noise=0.1, seed=1337, labels=(-1.0, 1.0))
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear",
                init="uniform", seed=1337)
    print("Upstream micrograd's demo network:\n", file=out)
    model.summary(file=out)
    print("\nHinge loss + 1e-4 * sum(p^2), full batch, lr = 1.0 - 0.9 k/100:", file=out)
    history = fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), lr=decay),
                  epochs=STEPS, batch_size=None, shuffle=False, l2=1e-4, verbose=10,
                  file=out)
    final = evaluate(model, X, y, loss="hinge")
    print(f"\nTraining accuracy {final['accuracy']:.2f} (upstream: 1.00). After training the "
          f"hinge loss is {final['loss']:.4f}; the last step's loss, with the L2 term, was "
          f"{history.loss[-1]:.4f}. {sum(history.seconds):.1f} s for {STEPS} steps.", file=out)
    return {"train_accuracy": final["accuracy"], "final_loss": history.loss[-1],
            "hinge_loss_after": final["loss"], "params": model.num_params,
            "steps": history.epochs}  # full batch: one step per epoch


if __name__ == "__main__":
    main(run, __doc__)
