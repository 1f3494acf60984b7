"""The report: per-run figures folded into a median and its spread, instruction counts,
the profile by phase and the targets, as markdown. README's Performance section is this
module's output (``python -m benchmarks ... --markdown FILE``); ``--report-only JSON``
renders it again from a saved results file."""

from __future__ import annotations

import statistics
from typing import Any

from . import counted as cnt
from . import replay
from .figures import FLOOR, LOSS_TOLERANCE, PAUSED, max_abs_diff
from .workloads import DEMO_POINTS, OURS, UPSTREAM

UP = UPSTREAM
MODES = {"": "default gc", PAUSED: "each engine with the collector paused"}
MAIN_HEADER = ["figure", "micrograd_nn", "upstream micrograd", "upstream ÷ micrograd_nn"]
PYPY_HEADER = ["figure (micrograd_nn)", "CPython", "PyPy", "CPython ÷ PyPy"]


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


def ratio_cell(ratios: list[float], what: str = "", places: int = 1) -> str:
    """A per-run ratio: its median (``what`` it means), and its range over the runs."""
    med, lo, hi = fold(ratios)
    p = places
    return f"{med:.{p}f}×{what}" + (f" (runs {lo:.{p}f}–{hi:.{p}f}×)" if len(ratios) > 1 else "")


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
        rows.append([f"{key} step: micrograd_nn with the collector paused (as fit runs it), "
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
    for tag, what in (("", "default gc"), ("_paused", "collector paused"),
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


def document(doc: dict[str, Any]) -> str:
    """The whole report: the command and date, then the instruction counts (with their
    conditions, the profile by phase), the times (method, conditions, tables), and the
    targets of issue 20 each marked met or not met from the figures above."""
    parts = [f"Measured {doc['date']} with `{doc['command']}`."]
    counts = doc.get("instructions")
    timing = doc.get("timing")
    if counts:
        parts += ["", "### Instructions (valgrind's callgrind)", "", *instruction_method(counts),
                  "", instruction_table(counts), "", "#### Where the instructions go",
                  "", *phase_section(counts)]
    if timing:
        runs = [r for r in timing["runs"] if r["status"] == "ok"]
        concurrent = ["- The instruction counts above were taken while these runs went on: their "
                      "callgrind processes are part of the load average shown."] if counts else []
        parts += ["", "### CPU time", "", *method(timing, runs[0]), *concurrent, "",
                  *conditions(runs), "",
                  main_table(timing, runs), "", *before_after_section(timing, runs), "",
                  *pypy_section(timing, runs)]
    if doc.get("replay"):
        parts += ["", "### Replayed training (`fit` on digits)", "", *replay.section(doc["replay"])]
    parts += ["", "### Targets (issue 20)", "", table(TARGET_HEADER, target_rows(doc))]
    return "\n".join(parts) + "\n"


def method(doc: dict[str, Any], first: dict[str, Any]) -> list[str]:
    """How each figure was taken and how to read its spread."""
    c = first["conditions"]
    demo = first["steps"]["demo"]
    return [
        f"- {len(doc['runs'])} run(s), each a fresh child process (CPython "
        f"{c['python']}); within a run the engines "
        f"alternate (ABBA) after {demo['warmup']} untimed warm-up step(s), and each figure "
        f"is the median of {demo['repeats']} samples of the process's CPU time "
        f"(`{c['timer']}`, so time spent waiting for a core is not counted).",
        "- `±` is the median absolute deviation within a run, as a share of the median "
        "(the largest over the runs); `runs a–b` is the range of the per-run medians. Ratios "
        "are taken within each run and shown as their median (min–max over runs).",
        "- Every sample ends with `gc.collect()` inside the timed region: each engine pays "
        "for freeing its own garbage (upstream's nodes form reference cycles). The heap is "
        "collected, untimed, before each sample. A bare `gc.collect()` costs "
        f"{fmt_time(c['bare_gc_collect_seconds'])} here, in every sample alike.",
        "- Both engines run the same model code from the same weights; a run stops if "
        "their losses differ by more than 1e-9.",
    ]


def conditions(runs: list[dict[str, Any]]) -> list[str]:
    """Interpreter, heap and machine, as the first run recorded them."""
    c = runs[0]["conditions"]
    heavy = ", ".join(c["heavy_modules_loaded"]) or "none"
    heaps = [r["conditions"]["heap_objects"] for r in runs]
    loads = [r["conditions"]["load_average"] for r in runs]
    return [
        f"- Interpreter: {c['implementation']} {c['python']}, gc "
        f"{'enabled' if c['gc_enabled'] else 'DISABLED'} (default gc), thresholds "
        f"{tuple(c['gc_threshold'] or ())} (the defaults: nothing here changes them), "
        f"recursion limit {c['recursion_limit']}.",
        f"- Heap: {_span(heaps)} objects tracked by gc when timing began; heavyweight "
        f"modules loaded (numpy, torch, ...): {heavy}.",
        f"- Engines: micrograd_nn of this tree ({c['micrograd_nn_commit']}); "
        f"{runs[0]['upstream']}.",
        f"- Machine: {c['platform']}, {c['cpu']}, {c['cores']} cores, shared; 1-minute "
        f"load average at the start of each run: {_span([ld[0] for ld in loads if ld])}.",
    ]


def main_table(timing: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    """Every CPython figure in one table."""
    rows = step_rows(runs)
    if "memory" in runs[0]:
        rows += chain_rows(runs) + inference_rows(runs)
    if timing.get("digits"):
        rows += digits_rows(timing["digits"])
    return table(MAIN_HEADER, rows)


def pypy_section(timing: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """micrograd_nn under PyPy vs CPython, or why that table is missing."""
    pypy = timing["pypy"]
    if isinstance(pypy, str):
        return [f"PyPy: not measured ({pypy})."]
    ok = [p for p in pypy if p["status"] == "ok"]
    if not ok or len(ok) != len(runs):
        return [f"PyPy: not measured ({[p['status'] for p in pypy]})."]
    c = ok[0]["conditions"]
    return [f"PyPy: {c['interpreter_version']}, micrograd_nn only ({ok[0]['upstream']}; "
            "upstream is compared under CPython only). Runs paired with the CPython runs "
            "above.", "", table(PYPY_HEADER, pypy_rows(runs, ok))]


def _span(values: list[Any]) -> str:
    nums = [v for v in values if v is not None]
    if not nums:
        return "unknown"
    lo, hi = min(nums), max(nums)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"


# ---------------------------------------------------------------- instruction counts

TARGET_HEADER = ["target (issue 20, item 4)", "measured", "met?"]
DEMO_COLUMNS = {"default": "default gc", "paused": "gc paused"}


def _figure(counts: dict[str, Any], engine: str, workload: str, mode: str) -> list[float] | None:
    for f in counts["figures"]:
        if (f["engine"], f["workload"], f["mode"]) == (engine, workload, mode):
            return list(f["per_step"])
    return None


def _m(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def count_cell(values: list[float] | None) -> str:
    """Millions of instructions per step; a range where the repeats differ."""
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    if lo == hi:
        return f"{lo / 1e6:,.1f} M"
    return f"{lo / 1e6:,.1f}–{hi / 1e6:,.1f} M (repeats differ)"


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "—"


def instruction_method(counts: dict[str, Any]) -> list[str]:
    """How the counts were taken, and the conditions they hold under."""
    repeated = [f for f in counts["figures"] if len(f["per_step"]) > 1]
    same = sum(1 for f in repeated if len(set(f["per_step"])) == 1)
    load = counts.get("load_average") or ["unknown"]
    lo, hi = counts["lo"], counts["hi"]
    return [
        f"- Per step: (instructions of a process doing {hi} steps − one doing {lo}) ÷ "
        f"{hi - lo}, each a fresh `python -m benchmarks.counted` process under "
        f"`valgrind --tool=callgrind`, ending with `os._exit` (no teardown): starting Python, "
        "imports, building the model and the first step's warm-up cancel out.",
        f"- {counts['valgrind']}, {counts.get('python', 'CPython')}, PYTHONHASHSEED="
        f"{counts['hash_seed']}, address-space randomisation "
        f"{'off (setarch -R)' if counts['aslr_off'] else 'ON (no setarch here)'}. This tree's "
        f"demo step and the floor were counted {counts['repeat']} times each, in separate "
        f"processes: identical in {same} of {len(repeated)} figures (a range is shown where "
        "not); the other figures once. Counts do not depend on the machine's load "
        f"(1-minute load average {load[0]} when counting began).",
        "- default gc: the collector's thresholds untouched; gc paused: each step inside the "
        "same `gc.disable()` … `gc.enable()` block for every engine (what "
        "`micrograd_nn.gc_paused` does; `fit` pauses it for every step).",
        f"- The demo step: upstream micrograd's demo.ipynb, MLP {_sizes(counts)} with ReLU on "
        f"{counts['points']} two-moons points, mean hinge (svm max-margin) loss + 1e-4 · Σ p², "
        f"zero grads, backward, SGD: {counts['nodes']:,} nodes, the same model code and "
        "weights for every engine. The floor: as many bare three-slot objects, each linked "
        "to two earlier ones, made and freed (no arithmetic, no backward).",
    ]


def _sizes(counts: dict[str, Any]) -> str:
    return "-".join(map(str, counts["sizes"]))


def instruction_table(counts: dict[str, Any]) -> str:
    """Counts per demo step for every engine, the floor, and the ratios between them."""
    header = [f"instructions per demo step ({counts['nodes']:,} nodes)", *DEMO_COLUMNS.values()]
    rows = []
    for e in counts["engines"]:
        rows.append([e["label"], *(count_cell(_figure(counts, e["key"], cnt.DEMO, m))
                                   for m in DEMO_COLUMNS)])
    rows.append([f"floor: {counts['nodes']:,} bare three-slot objects made and freed",
                 *(count_cell(_figure(counts, "this", cnt.FLOOR, m)) for m in DEMO_COLUMNS)])

    def this(mode: str) -> float | None:
        return _m(_figure(counts, "this", cnt.DEMO, mode))

    rows.append(["this tree ÷ floor (1.00× would be the floor itself)",
                 *(_ratio(this(m), _m(_figure(counts, "this", cnt.FLOOR, m)))
                   for m in DEMO_COLUMNS)])
    for e in counts["engines"][1:]:
        other = [_m(_figure(counts, e["key"], cnt.DEMO, m)) for m in DEMO_COLUMNS]
        if e["engine"] == UPSTREAM:
            rows.append(["upstream ÷ this tree (times fewer instructions than upstream)",
                         *(_ratio(o, this(m)) for o, m in zip(other, DEMO_COLUMNS))])
        else:
            rows.append([f"this tree ÷ {e['key']} (after ÷ before: below 1.00× is fewer)",
                         *(_ratio(this(m), o) for o, m in zip(other, DEMO_COLUMNS))])
    return table(header, rows)


PHASE_ROWS = [
    ("build", "build and free: the forward pass making the graph, then dropping it"),
    ("walk", "walk: backward() from loss · 0, so no rule runs (finding the order)"),
    ("rules", "rules: backward() − walk (each op's derivative, grads accumulated)"),
    ("total", "build, backward and free (weights fixed)"),
]


def phases(counts: dict[str, Any], engine: str) -> dict[str, float] | None:
    """Per-step instructions of each phase for ``engine`` (paused), from the phase runs."""
    got = {p: _m(_figure(counts, engine, p, "paused")) for p in cnt.PHASES}
    b, walk, k = got[cnt.PHASE_BUILD], got[cnt.PHASE_WALK], got[cnt.PHASE_BACKWARD]
    if b is None or walk is None or k is None:
        return None
    return {"build": b, "walk": walk - b, "rules": k - walk, "total": k}


def phase_section(counts: dict[str, Any]) -> list[str]:
    """The profile by phase, one column per micrograd_nn engine, and how it was taken."""
    engines = [e for e in counts["engines"] if e["engine"] == OURS]
    cols: list[tuple[dict[str, Any], dict[str, float]]] = []
    for e in engines:
        p = phases(counts, e["key"])
        if p:
            cols.append((e, p))
    if not cols:
        return ["No phase counts in these results (`--no-phases`, or results of an older "
                "phase method)."]
    header = ["phase of the demo step (gc paused), per step", *(e["label"] for e, _ in cols)]
    rows = [[label, *(f"{p[key] / 1e6:,.1f} M ({p[key] / p['total']:.0%})" for _, p in cols)]
            for key, label in PHASE_ROWS]
    return [
        "Each phase is a difference of counts as above, with the collector paused and the "
        "weights fixed (no SGD, so each step does the same work), every step dropping its "
        "graph as training does: build and free = build, drop; walk = build, "
        "`(loss * 0.0).backward()` (every grad is 0, and a node whose grad is 0 passes "
        "nothing back, so what is left of backward is finding the order and visiting the "
        "nodes), drop − build and free; rules = build, `loss.backward()`, drop − the walk's "
        "count. Zeroing grads and the SGD update are the rest of the whole step above.", "",
        table(header, rows)]


def before_after_section(timing: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """The demo step's CPU time, this tree against each ``--at`` commit: each run of the
    other engine is its own process, alternating with this tree's runs."""
    others = timing.get("others") or {}
    if not others:
        return []
    rows = []
    for label, docs in others.items():
        ok = [d for d in docs if d["status"] == "ok"]
        if len(ok) != len(runs):
            rows.append([f"demo step, {label}", "—", f"failed: {[d['status'] for d in docs]}",
                         "—"])
            continue
        for mode, how in MODES.items():
            ours = [r["steps"]["demo"]["timings"][OURS + mode] for r in runs]
            theirs = [d["steps"]["demo"]["timings"][OURS + mode] for d in ok]
            ratio = [t["median"] / o["median"] for t, o in zip(theirs, ours)]
            rows.append([f"demo step, {how}", time_cell(ours), time_cell(theirs),
                         ratio_cell(ratio, places=2)])
    label = ", ".join(others)
    return [f"This tree against micrograd_nn {label}: the same harness, each engine in its "
            "own processes, runs alternating (ratio = before ÷ after, above 1× means this "
            "tree is faster; taken within each round of runs).", "",
            table(["figure", "this tree", f"micrograd_nn {label}", "before ÷ this tree"], rows)]


def target_rows(doc: dict[str, Any]) -> list[list[str]]:
    """Each target of issue 20 item 4 that this command measures, met or not."""
    rows = []
    counts = doc.get("instructions")
    if counts:
        full = counts["points"] == DEMO_POINTS
        this = _m(_figure(counts, "this", cnt.DEMO, "default"))
        floor = _m(_figure(counts, "this", cnt.FLOOR, "default"))
        if this and floor:
            r = this / floor
            rows.append(["demo step ≤ 1.8× the floor in instructions, default gc",
                         f"{r:.2f}×", _met(r <= 1.8, judged=full)])
        for e in counts["engines"][1:]:
            if e["engine"] == OURS:
                other = _m(_figure(counts, e["key"], cnt.DEMO, "default"))
                if this and other:
                    rows.append([f"demo step ≤ micrograd_nn {e['key']} in instructions, "
                                 "default gc", f"{this / other:.2f}× of it",
                                 _met(this <= other, judged=full)])
        up = next((e for e in counts["engines"] if e["engine"] == UPSTREAM), None)
        paused = _m(_figure(counts, "this", cnt.DEMO, "paused"))
        if up and paused:
            u = _m(_figure(counts, up["key"], cnt.DEMO, "paused"))
            if u:
                rows.append(["≥ 3× fewer instructions than upstream, both collectors paused",
                             f"{u / paused:.2f}×", _met(u / paused >= 3, judged=full)])
    timing = doc.get("timing")
    if timing:
        runs = [r for r in timing["runs"] if r["status"] == "ok"]
        demo = [r["steps"]["demo"]["timings"] for r in runs]
        if UP in demo[0]:
            ratio = [t[UP]["median"] / t[OURS]["median"] for t in demo]
            med, lo, hi = fold(ratio)
            rows.append(["demo step ≥ 14× upstream in CPU time, default gc, this harness",
                         f"{med:.1f}× (runs {lo:.1f}–{hi:.1f}×)",
                         _met(lo >= 14, "met in every run", "not met in every run",
                              runs[0]["steps"]["demo"]["points"] == DEMO_POINTS)])
        ok = [d for d in (timing.get("digits") or {}).get("cpython", []) if d["status"] == "ok"]
        if ok:
            secs = [d["train_seconds"] for d in ok]
            rows.append(["digits example ≤ 3 s on CPython (training time it reports)",
                         f"{statistics.median(secs):.1f} s (runs {min(secs):.1f}–"
                         f"{max(secs):.1f} s)", _met(max(secs) <= 3)])
    if doc.get("replay"):
        rows += replay.target_rows(doc["replay"])
    else:
        rows.append(["`fit` with replay ≥ 3× faster than without on digits, bit-identical",
                     "not measured by this command (add `--replay`)", "—"])
    return rows


def _met(ok: bool, yes: str = "met", no: str = "not met", judged: bool = True) -> str:
    if not judged:
        return "not judged: not the demo's size (the targets are for 100 points)"
    return f"**{yes}**" if ok else no
