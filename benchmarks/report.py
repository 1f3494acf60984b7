"""The tables: per-run figures folded into a median and its spread, as markdown."""

from __future__ import annotations

import statistics
from typing import Any

from steps import FLOOR, LOSS_TOLERANCE, OURS, PAUSED, max_abs_diff

UP = "micrograd"
MODES = {"": "default gc", PAUSED: "each engine inside gc_paused()"}


def fold(values: list[float]) -> tuple[float, float, float]:
    """Median, min and max of one figure over the runs."""
    return statistics.median(values), min(values), max(values)


def fmt_time(seconds: float) -> str:
    """Seconds in ms below one second, else in s."""
    return f"{seconds * 1e3:,.1f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def time_cell(summaries: list[dict[str, Any]]) -> str:
    """Median of the runs' medians, ± the largest within-run spread, and the runs' range."""
    med, lo, hi = fold([s["median"] for s in summaries])
    cell = f"{fmt_time(med)} ±{max(s['mad'] for s in summaries):.0%}"
    return cell + (f" (runs {fmt_time(lo)}–{fmt_time(hi)})" if len(summaries) > 1 else "")


def ratio_cell(ratios: list[float], what: str = "") -> str:
    """A per-run ratio: its median (``what`` it means), and its range over the runs."""
    med, lo, hi = fold(ratios)
    return f"{med:.1f}×{what}" + (f" (runs {lo:.1f}–{hi:.1f}×)" if len(ratios) > 1 else "")


def step_label(step: dict[str, Any]) -> str:
    """What a training-step figure computes."""
    sizes = "-".join(map(str, step["sizes"]))
    loss = "hinge + L2" if step["alpha"] else "hinge, no L2"
    return f"MLP {sizes}, {step['points']} points, {loss} ({step['nodes']:,} nodes)"


def step_rows(docs: list[dict[str, Any]]) -> list[list[str]]:
    """Per training-step figure and mode: both engines' CPU time and the ratio."""
    rows = []
    for key, first in docs[0]["steps"].items():
        for mode, how in MODES.items():
            timings = [d["steps"][key]["timings"] for d in docs]
            ours = [t[OURS + mode] for t in timings]
            figure = f"{key} step: {step_label(first)}, {how}"
            if UP + mode not in timings[0]:
                rows.append([figure, time_cell(ours), "not installed", "—"])
                continue
            ups = [t[UP + mode] for t in timings]
            ratio = [u["median"] / o["median"] for u, o in zip(ups, ours)]
            rows.append([figure, time_cell(ours), time_cell(ups), ratio_cell(ratio)])
        rows += _fit_and_floor_rows(key, first, [d["steps"][key]["timings"] for d in docs])
    diff = max(v for d in docs for s in d["steps"].values()
               for v in s["loss_max_abs_diff"].values())
    steps = sum(len(t["losses"]) for d in docs for s in d["steps"].values()
                for t in s["timings"].values())
    rows.append([f"same losses, every engine and mode ({steps:,} steps in all)",
                 "—", "—", f"max diff {diff:.1e} (void above {LOSS_TOLERANCE:.0e})"])
    return rows


def _fit_and_floor_rows(key: str, step: dict[str, Any],
                        timings: list[dict[str, Any]]) -> list[list[str]]:
    """micrograd_nn inside gc_paused() (as ``fit`` runs each step) against upstream as its
    users run it; and the floor: as many bare slotted objects, created and freed."""
    rows = []
    paused = [t[OURS + PAUSED] for t in timings]
    if UP in timings[0]:
        ups = [t[UP] for t in timings]
        ratio = [u["median"] / o["median"] for u, o in zip(ups, paused)]
        rows.append([f"{key} step: micrograd_nn inside gc_paused() (as fit runs it), "
                     "upstream at default gc", time_cell(paused), time_cell(ups),
                     ratio_cell(ratio)])
    if FLOOR in timings[0]:
        floor = [t[FLOOR] for t in timings]
        ratio = [o["median"] / f["median"] for o, f in zip([t[OURS] for t in timings], floor)]
        rows.append([f"{key} floor: {step['nodes']:,} bare slotted objects, each linked to "
                     "two earlier ones, made and freed (no arithmetic, no backward)",
                     time_cell(floor), "—", ratio_cell(ratio, " (micrograd_nn ÷ floor)")])
    return rows


def chain_rows(docs: list[dict[str, Any]]) -> list[list[str]]:
    """Memory per node and depth scaling, micrograd_nn beside upstream where it applies."""
    mem = [d["memory"] for d in docs]
    built = [m[OURS]["built_bytes_per_node"] for m in mem]
    nodes = mem[0][OURS]["nodes"]
    up_cell, ratio = "not installed", "—"
    if UP in mem[0]:
        ups = [m[UP]["built_bytes_per_node"] for m in mem]
        up_cell = f"{fold(ups)[0]:.0f}"
        ratio = ratio_cell([u / o for u, o in zip(ups, built)], " less")
    rows = [[f"memory: {nodes:,}-node chain built, bytes/node", f"{fold(built)[0]:.0f}",
             up_cell, ratio]]
    dep = [d["depth"] for d in docs]
    big, small = dep[0]["big_nodes"], dep[0]["small_nodes"]
    rows.append([f"{big:,}-node chain: build + backward + free", time_cell([d["big"] for d in dep]),
                 dep[0].get("upstream", "not installed"), "—"])
    for tag, what in (("", "default gc"), ("_paused", "inside gc_paused()"),
                      ("_backward", "backward() alone"),
                      ("_bare", "baseline: bare slotted objects, no engine")):
        rows.append([f"scaling time({big:,}) / time({small:,}), {what}",
                     ratio_cell([d[f"time_ratio{tag}"] for d in dep]), "—", "—"])
    return rows


def inference_rows(docs: list[dict[str, Any]]) -> list[list[str]]:
    """Forward passes recording the graph vs under no_grad, micrograd_nn only."""
    rows = []
    for key, what in (("demo_mlp", "demo MLP (binary ops)"),
                      ("micrograd_nn_mlp", "micrograd_nn.MLP (Value.sum)")):
        runs = [d["inference"][key] for d in docs]
        rows.append([f"inference, {what}: graph vs no_grad",
                     f"{time_cell([r['graph'] for r in runs])} vs "
                     f"{time_cell([r['no_grad'] for r in runs])}", "—",
                     ratio_cell([r["speedup"] for r in runs], " (graph ÷ no_grad)")])
    return rows


def digits_rows(digits: dict[str, list[dict[str, Any]]]) -> list[list[str]]:
    """The digits example's own reports of its training time (wall clock, as it prints it)
    and test accuracy: the median and range over its runs, per interpreter."""
    rows = []
    for name, label in (("cpython", "CPython"), ("pypy", "PyPy")):
        results = digits.get(name, [])
        if not results:
            continue
        figure = f"digits example (10 classes) on {label}: train time as it reports it, test " \
                 f"accuracy ({len(results)} runs)"
        ok = [r for r in results if r["status"] == "ok"]
        if not ok:
            rows.append([figure, f"{results[0]['status']}: {results[0]['reason']}", "—", "—"])
            continue
        med, lo, hi = fold([r["train_seconds"] for r in ok])
        accuracy = sorted({f"{r['test_accuracy']:.1%}" for r in ok})
        rows.append([figure, f"{med:.1f} s (runs {lo:.1f}–{hi:.1f} s), {', '.join(accuracy)}",
                     "—", "—"])
    return rows


def pypy_rows(cpython: list[dict[str, Any]], pypy: list[dict[str, Any]]) -> list[list[str]]:
    """micrograd_nn's steps under PyPy beside CPython's, run by run; void if the losses
    differ (the timing of a different computation says nothing)."""
    rows = []
    for key, first in pypy[0]["steps"].items():
        for mode, how in MODES.items():
            cpy = [d["steps"][key]["timings"][OURS + mode] for d in cpython]
            pyp = [d["steps"][key]["timings"][OURS + mode] for d in pypy]
            diff = max(max_abs_diff(c["losses"], p["losses"]) for c, p in zip(cpy, pyp))
            figure = f"{key} step: {step_label(first)}, {how}"
            if not diff <= LOSS_TOLERANCE:
                rows.append([figure, time_cell(cpy), f"{time_cell(pyp)}, but its losses differ "
                             f"from CPython's by {diff:.2g}: not the same computation",
                             "not compared"])
                continue
            ratio = [c["median"] / p["median"] for c, p in zip(cpy, pyp)]
            rows.append([figure, time_cell(cpy), time_cell(pyp), ratio_cell(ratio)])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    """Rows as a markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
