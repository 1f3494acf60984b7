"""Graduate to PyTorch: the same network, the same numbers, in both engines.

A 2-8-8-1 tanh MLP (seed 7) goes to PyTorch with ``to_torch`` and back with
``from_torch`` (every weight bit for bit); one sample's loss graph is compared node by node
with PyTorch; then the network is trained on 40 two-moons points (MSE, mini-batches of 10,
25 epochs: 100 steps) in both engines with each optimizer, SGD, Momentum, RMSprop and Adam,
printing per epoch both losses and the largest loss and weight difference between them.
Needs PyTorch: pip install "micrograd_nn[torch]".

    python examples/to_torch.py [--json]
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from _data import main

from micrograd_nn import MLP, SGD, Adam, Momentum, RMSprop, losses
from micrograd_nn.train import two_moons

EPOCHS = 25
BATCH = 10


def optimizers(model: MLP) -> dict[str, Any]:
    """Each optimizer over the model's parameters, with the settings both engines use."""
    params = model.parameters()
    return {"sgd": SGD(params, lr=0.1), "momentum": Momentum(params, lr=0.05, momentum=0.9),
            "rmsprop": RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8),
            "adam": Adam(params, lr=0.01, betas=(0.9, 0.999), eps=1e-8)}


def run(out: TextIO) -> dict[str, Any]:
    """Move the model, compare a graph, train in both engines; print how far apart they are."""
    try:
        from micrograd_nn.torch import compare, fit_parity, from_torch, to_torch
    except ImportError as e:
        sys.exit(str(e))
    X, y = two_moons(40, noise=0.1, seed=3, labels=(-1.0, 1.0))
    model = MLP(2, [8, 8, 1], activation="tanh", output_activation="linear", seed=7)
    twin = to_torch(model)
    back = from_torch(twin)
    exact = back.get_weights() == model.get_weights()
    print(f"to_torch(MLP(2, [8, 8, 1])):\n{twin}\nfrom_torch gives back every weight bit for "
          f"bit: {exact}\n", file=out)

    report = compare(losses.mse(model(X[0]), y[0]))
    print(f"One sample's MSE graph, node by node:\n{report}\n", file=out)

    result: dict[str, Any] = {"round_trip_exact": exact, "compare_nodes": len(report.nodes),
                              "compare_agrees": report.agrees, "epochs": EPOCHS,
                              "optimizers": {}}
    for name in ("sgd", "momentum", "rmsprop", "adam"):
        model = MLP(2, [8, 8, 1], activation="tanh", output_activation="linear", seed=7)
        opt = optimizers(model)[name]
        parity = fit_parity(model, X, y, loss="mse", optimizer=opt, epochs=EPOCHS,
                            batch_size=BATCH, shuffle=True, seed=0)
        print(f"{parity}\nlargest over the run: loss {parity.max_loss_difference:.2e}, "
              f"weights {parity.max_weight_difference:.2e}\n", file=out)
        result["optimizers"][name] = {
            "steps": len(parity.step_loss_differences),
            "max_loss_difference": parity.max_loss_difference,
            "max_weight_difference": parity.max_weight_difference,
            "final_loss": parity.epochs[-1].loss,
            "torch_final_loss": parity.epochs[-1].torch_loss,
            "per_epoch": [[e.loss_difference, e.weight_difference] for e in parity.epochs]}
    return result


if __name__ == "__main__":
    main(run, __doc__)
