"""The child side of the instruction counts: ``python -m benchmarks.counted ENGINE WORKLOAD
MODE STEPS [ENGINE_ROOT]`` does ``STEPS`` steps of one workload and leaves with ``os._exit``
(no interpreter teardown, whose cost depends on what is left alive, not on the steps). It
imports as little as it can: its imports are counted too (they cancel between the two step
counts, but they cost callgrind's time). :mod:`benchmarks.instructions` runs it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

from . import workloads as w

# What each child workload does per step; gc mode "paused" wraps each step in gc_off().
DEMO = "demo"  # upstream's demo step: build, zero grads, backward, SGD, free
FLOOR = "floor"  # as many bare three-slot objects, each linked to two earlier ones
# Phases of the demo step (collector paused, weights fixed: no SGD, so every step does the
# same work). Each drops its graph at the end of the step, as training does: keeping the
# graphs alive instead makes every build take fresh memory, which costs more than reusing
# the freed memory training reuses (and makes "free" come out negative).
PHASE_BUILD = "phase-build+free"  # build the loss's graph, drop it
PHASE_WALK = "phase-walk+free"  # build, backward() from loss * 0.0, drop
PHASE_BACKWARD = "phase-backward+free"  # build, loss.backward(), drop
PHASES = (PHASE_BUILD, PHASE_WALK, PHASE_BACKWARD)
WORKLOADS = (DEMO, FLOOR, *PHASES)
MODES = ("default", "paused")


def run_workload(engine: str, workload: str, mode: str, steps: int) -> None:
    """Do ``steps`` steps of ``workload`` with ``engine``'s Value (the floor uses none)."""
    if workload == FLOOR:
        nodes = int(os.environ["BENCH_FLOOR_NODES"])  # the parent counts them
        for _ in range(steps):
            _maybe_paused(mode, lambda: w.floor_graph(nodes))
        return
    cls = w.value_class(engine)
    sizes, points = _demo_shape()
    xs, ys = w.two_moons(points)
    model = w.build_model(cls, w.initial_weights(sizes))
    for i in range(steps):
        if workload == DEMO:
            lr = 1.0 - 0.9 * i / 100  # upstream demo's schedule
            _maybe_paused(mode, partial(w.sgd_step, cls, model, xs, ys, w.DEMO_ALPHA, lr))
        else:
            _maybe_paused(mode, partial(_phase, cls, workload, model, xs, ys))


def _phase(cls: Any, phase: str, model: list[Any], xs: list[list[float]],
           ys: list[int]) -> None:
    loss = w.hinge_loss(cls, model, xs, ys, w.DEMO_ALPHA)
    if phase == PHASE_WALK:
        # every node's grad is 0 from a root times 0, so an engine that passes nothing back
        # from a zero grad (micrograd_nn) runs no rule: what is left is finding the order
        (loss * 0.0).backward()
    elif phase == PHASE_BACKWARD:
        loss.backward()


def _maybe_paused(mode: str, fn: Callable[[], Any]) -> None:
    if mode == "paused":
        with w.gc_off():
            fn()
    else:
        fn()


def _demo_shape() -> tuple[list[int], int]:
    """The demo's sizes and points; BENCH_DEMO_POINTS shrinks it (the smoke test)."""
    points = int(os.environ.get("BENCH_DEMO_POINTS", "0")) or w.DEMO_POINTS
    return w.DEMO_SIZES, points


def child_main(argv: list[str]) -> None:
    """``ENGINE WORKLOAD MODE STEPS [ENGINE_ROOT]``: run it (from ENGINE_ROOT's engine)."""
    engine, workload, mode, steps = argv[0], argv[1], argv[2], int(argv[3])
    if engine == w.OURS and len(argv) > 4:
        import micrograd_nn
        where = os.path.realpath(micrograd_nn.__file__)
        if not where.startswith(os.path.join(os.path.realpath(argv[4]), "")):
            sys.stderr.write(f"benchmarks: expected micrograd_nn from {argv[4]}, "
                             f"imported {where}\n")
            os._exit(3)
    run_workload(engine, workload, mode, steps)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no teardown: its cost depends on what is alive, not on the steps


if __name__ == "__main__":
    child_main(sys.argv[1:])
