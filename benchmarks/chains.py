"""Long-chain figures: memory per node, and how time grows with depth (1e5 → 1e6 nodes),
with the collector's share told apart from the engine's."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import upstream
from harness import alternate, summary
from workloads import chain

from micrograd_nn import Value, gc_paused, topological_order


def count_nodes(root: Any) -> int:
    """Every node ``root`` depends on, leaves included, for either engine."""
    if isinstance(root, Value):
        return len(topological_order(root, leaves=True))
    return upstream.count_nodes(root)


def measure_memory(value_cls: Any, n_ops: int) -> dict[str, Any]:
    """Bytes per node (tracemalloc) once the chain is built and again after backward."""
    import tracemalloc  # here: PyPy has none, and its runs skip this figure

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        root = chain(value_cls, n_ops)
        built = tracemalloc.get_traced_memory()[0] - base
        nodes = count_nodes(root)
        out: dict[str, Any] = {"nodes": nodes, "built_bytes_per_node": built / nodes}
        try:
            root.backward()
        except RecursionError as exc:
            out["after_backward_error"] = f"RecursionError: {exc}"
            return out
        out["after_backward_bytes_per_node"] = (tracemalloc.get_traced_memory()[0] - base) / nodes
        return out
    finally:
        tracemalloc.stop()


def measure_depth(big: int, small: int, repeats: int) -> dict[str, Any]:
    """CPU seconds to build, backpropagate and free chains of ``small`` and ``big`` nodes:
    plainly, inside ``gc_paused()``, backward() alone, and a bare-object baseline."""
    tasks: dict[str, Callable[[], None]] = {}
    for size, n in (("small", small), ("big", big)):
        tasks[size] = _build_and_backward(n, paused=False)
        tasks[f"{size}_paused"] = _build_and_backward(n, paused=True)
        tasks[f"{size}_bare"] = _bare_chain(n)
    samples = alternate(tasks, repeats)
    samples |= _backward_only({"small_backward": small, "big_backward": big}, repeats)
    out: dict[str, Any] = {"small_nodes": small, "big_nodes": big}
    out |= {name: summary(times) for name, times in samples.items()}
    for tag in ("", "_paused", "_backward", "_bare"):
        out[f"time_ratio{tag}"] = out[f"big{tag}"]["median"] / out[f"small{tag}"]["median"]
    return out


def upstream_depth(value_cls: Any, n_ops: int) -> str:
    """What happens when upstream backpropagates an ``n_ops``-node chain."""
    root = chain(value_cls, n_ops)
    try:
        root.backward()
    except RecursionError:
        return f"RecursionError at {n_ops:,} nodes"
    return f"ok at {n_ops:,} nodes"


def _build_and_backward(n: int, paused: bool) -> Callable[[], None]:
    def run() -> None:
        if paused:
            with gc_paused():
                chain(Value, n).backward()
        else:
            chain(Value, n).backward()
    return run


class _Bare:
    """A node with five slots and nothing else: no engine at all."""

    __slots__ = ("data", "grad", "x", "y", "label")
    data: float
    grad: float
    x: _Bare | None
    y: _Bare | None


def _bare_chain(n: int) -> Callable[[], None]:
    """Build and free a linked chain of ``n`` bare slotted objects: what the collector
    alone costs for a growing chain of that many objects, whatever the engine."""
    def build() -> None:
        v: _Bare | None = None
        for _ in range(n):
            node = _Bare()
            node.data, node.grad, node.x, node.y = 0.5, 0.0, v, None
            v = node
    return build


def _backward_only(sizes: dict[str, int], repeats: int) -> dict[str, list[float]]:
    """CPU seconds of ``backward()`` alone on chains built (and collected) beforehand."""
    samples: dict[str, list[float]] = {name: [] for name in sizes}
    for _ in range(repeats):
        for name, n in sizes.items():
            root = chain(Value, n)
            gc.collect()
            t0 = time.process_time()
            root.backward()
            samples[name].append(time.process_time() - t0)
            del root
    return samples
