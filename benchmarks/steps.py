"""Training-step figures: every engine, at default settings and inside ``gc_paused()``,
alternating in one process; the comparison stands only if all compute the same losses."""

from __future__ import annotations

from typing import Any

import upstream
from harness import alternate, summary
from workloads import bare_graph, build_model, hinge_loss, initial_weights, stepper, two_moons

from micrograd_nn import Value, topological_order

OURS = "micrograd_nn"
PAUSED = "+gc_paused"
FLOOR = "floor"
LOSS_TOLERANCE = 1e-9


def measure_step(sizes: list[int], n_points: int, alpha: float, repeats: int, warmup: int,
                 upstream_cls: type[Any] | None) -> dict[str, Any]:
    """CPU seconds per step of each engine, plain and paused, with the losses they gave."""
    classes: dict[str, Any] = {OURS: Value}
    if upstream_cls is not None:
        classes[upstream.NAME] = upstream_cls
    losses: dict[str, list[float]] = {}
    tasks = {}
    for name, cls in classes.items():
        for tag in ("", PAUSED):
            tasks[name + tag] = stepper(cls, sizes, n_points, alpha, paused=bool(tag),
                                        losses=losses.setdefault(name + tag, []))
    nodes = count_nodes(sizes, n_points, alpha)
    tasks[FLOOR] = bare_graph(nodes)
    samples = alternate(tasks, repeats, warmup)
    timings = {name: summary(samples[name]) | {"losses": losses.get(name, [])}
               for name in tasks}
    diffs = {name: max_abs_diff(losses[OURS], losses[name]) for name in losses}
    check_same_losses(diffs)
    return {"sizes": sizes, "points": n_points, "alpha": alpha,
            "nodes": nodes, "warmup": warmup,
            "repeats": repeats, "timings": timings, "loss_max_abs_diff": diffs}


def count_nodes(sizes: list[int], n_points: int, alpha: float) -> int:
    """Nodes in one step's graph, leaves included, as micrograd_nn builds it."""
    xs, ys = two_moons(n_points)
    loss = hinge_loss(Value, build_model(Value, initial_weights(sizes)), xs, ys, alpha)
    return len(topological_order(loss, leaves=True))


def max_abs_diff(a: list[float], b: list[float]) -> float:
    """Largest difference over the steps both sequences have."""
    return max((abs(x - y) for x, y in zip(a, b)), default=0.0)


def check_same_losses(diffs: dict[str, float]) -> None:
    """The timings are void unless every engine computed the same thing."""
    for name, diff in diffs.items():
        if not diff <= LOSS_TOLERANCE:
            raise AssertionError(f"{name}'s losses differ from {OURS}'s by {diff!r} (more "
                                 f"than {LOSS_TOLERANCE}): not the same computation")
