"""Threads: backward passes over graphs that share nodes give every thread exactly its
single-threaded grads (``engine.backward_lock`` serialises them), leaves shared between
threads end up with the sum of every pass's contribution, two threads walking one graph
agree, and no_grad / detect_anomaly stay in the thread that opened them.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable

from micrograd_nn import Value, detect_anomaly, no_grad
from micrograd_nn.engine import AnomalyError, is_grad_enabled, topological_order

THREADS = 6
ROUNDS = 40


def run_threads(target: Callable[[int], None], n: int = THREADS) -> None:
    """Run ``target(i)`` in ``n`` threads started together; re-raise the first failure."""
    errors: list[BaseException] = []
    start = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            start.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def shared_graph():
    """Leaves and one interior node shared by every thread's graph."""
    rng = random.Random(3)
    leaves = [Value(rng.uniform(-2, 2), f"w{i}") for i in range(8)]
    trunk = Value.sum([w * w for w in leaves]).tanh() + leaves[0] * leaves[1]
    return leaves, trunk


def thread_root(i: int, leaves: list[Value], trunk: Value) -> Value:
    """Thread i's graph: deep enough that an unserialised walk would interleave."""
    h = trunk
    for k in range(60):
        w = leaves[(i + k) % len(leaves)]
        h = (h * w + float(i + 1)).tanh() + trunk * 0.01
    return h


def interior(root: Value, shared: set[Value]) -> list[float]:
    """The grads of the op nodes only ``root``'s graph holds (not those in ``shared``)."""
    return [v.grad for v in topological_order(root) if v not in shared]


def test_threaded_backward_equals_single_threaded():
    leaves, trunk = shared_graph()
    roots = [thread_root(i, leaves, trunk) for i in range(THREADS)]
    # Every pass recomputes the shared trunk's grads for its own root, so only the nodes
    # a thread's graph holds alone can be compared right after one of its passes.
    shared = set(topological_order(trunk))
    alone_leaf, alone_interior = [], []
    for root in roots:  # single-threaded reference: each root's contribution to the leaves
        for w in leaves:
            w.grad = 0.0
        root.backward()
        alone_leaf.append([w.grad for w in leaves])
        alone_interior.append(interior(root, shared))
    for w in leaves:
        w.grad = 0.0
    seen: dict[int, list[list[float]]] = {i: [] for i in range(THREADS)}

    def work(i: int) -> None:
        for _ in range(ROUNDS):
            roots[i].backward()
            seen[i].append(interior(roots[i], shared))

    run_threads(work)
    for i in range(THREADS):
        assert len(seen[i]) == ROUNDS
        assert all(grads == alone_interior[i] for grads in seen[i])
    for j, w in enumerate(leaves):  # leaves accumulate every pass, as documented
        parts = [ROUNDS * alone_leaf[i][j] for i in range(THREADS)]
        # the order of the additions differs from run to run: rounding only
        assert abs(w.grad - math.fsum(parts)) <= 1e-12 * math.fsum(map(abs, parts))


def test_threads_on_private_graphs_over_shared_leaves_get_exact_grads():
    # Each thread rebuilds its own graph over the shared leaves and zeroes only its own
    # copy of them: with the pass serialised, the grads are bit for bit the lone ones.
    rng = random.Random(5)
    xs = [rng.uniform(-1, 1) for _ in range(4)]

    def grads(i: int) -> list[float]:
        ws = [Value(x) for x in xs]
        root = ((ws[0] * ws[1] + ws[2]).relu() * float(i) + ws[3].exp()).log1p()
        root.backward()
        return [w.grad for w in ws]

    alone = [grads(i) for i in range(THREADS)]
    results: dict[int, list[list[float]]] = {i: [] for i in range(THREADS)}
    run_threads(lambda i: results[i].extend(grads(i) for _ in range(200)))
    for i in range(THREADS):
        assert all(r == alone[i] for r in results[i])


def test_two_threads_walking_one_graph_agree():
    leaves, trunk = shared_graph()
    root = thread_root(0, leaves, trunk)
    expected = topological_order(root, leaves=True)
    expected_ops = topological_order(root)
    orders: dict[int, list[bool]] = {0: [], 1: []}

    def walk(i: int) -> None:
        for _ in range(50):
            orders[i].append(topological_order(root, leaves=True) == expected
                             and topological_order(root) == expected_ops)

    run_threads(walk, 2)
    assert all(orders[0]) and all(orders[1]) and len(orders[0]) == 50


def test_no_grad_in_one_thread_does_not_affect_another():
    inside = threading.Event()
    done = threading.Event()
    other: dict[str, object] = {}

    def holder() -> None:
        with no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    try:
        x = Value(2.0)
        y = x * x + 1.0
        other["enabled"] = is_grad_enabled()
        other["inputs"] = len(y.inputs)
        y.backward()
        other["grad"] = x.grad
    finally:
        done.set()
        t.join()
    assert other == {"enabled": True, "inputs": 2, "grad": 4.0}


def test_detect_anomaly_in_one_thread_does_not_affect_another():
    inside = threading.Event()
    done = threading.Event()
    caught: list[BaseException] = []

    def holder() -> None:
        with detect_anomaly():
            inside.set()
            done.wait(5)
            try:
                Value(1e308) * 10.0
            except AnomalyError as e:
                caught.append(e)

    t = threading.Thread(target=holder)
    t.start()
    inside.wait(5)
    try:
        big = Value(1e308) * 10.0  # this thread has no anomaly mode: inf passes silently
    finally:
        done.set()
        t.join()
    assert big.data == math.inf
    assert len(caught) == 1 and "'*'" in str(caught[0])
