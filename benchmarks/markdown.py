"""The whole report in markdown: how it was measured, under which conditions, then the
tables. This is what README's Performance section is regenerated from."""

from __future__ import annotations

from typing import Any

import report

MAIN_HEADER = ["figure", "micrograd_nn", "upstream micrograd", "upstream ÷ micrograd_nn"]
PYPY_HEADER = ["figure (micrograd_nn)", "CPython", "PyPy", "CPython ÷ PyPy"]


def document(doc: dict[str, Any]) -> str:
    """Conditions, the main table, then PyPy's (or why there is none)."""
    runs = [r for r in doc["runs"] if r["status"] == "ok"]
    parts = [f"Measured {doc['date']} with `{doc['command']}`.", "", *method(doc, runs[0]),
             "", *conditions(runs), "", main_table(doc, runs), "", *pypy_section(doc, runs)]
    return "\n".join(parts) + "\n"


def method(doc: dict[str, Any], first: dict[str, Any]) -> list[str]:
    """How each figure was taken and how to read its spread."""
    c = first["conditions"]
    demo = first["steps"]["demo"]
    return [
        f"- {len(doc['runs'])} run(s), each a fresh child process; within a run the engines "
        f"alternate (ABBA) after {demo['warmup']} untimed warm-up step(s), and each figure "
        f"is the median of {demo['repeats']} samples of the process's CPU time "
        f"(`{c['timer']}`, so time spent waiting for a core is not counted).",
        "- `±` is the median absolute deviation within a run, as a share of the median "
        "(the largest over the runs); `runs a–b` is the range of the per-run medians. Ratios "
        "are taken within each run and shown as their median (min–max over runs).",
        "- Every sample ends with `gc.collect()` inside the timed region: each engine pays "
        "for freeing its own garbage (upstream's nodes form reference cycles). The heap is "
        "collected, untimed, before each sample. A bare `gc.collect()` costs "
        f"{report.fmt_time(c['bare_gc_collect_seconds'])} here, in every sample alike.",
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
        f"- Interpreter: {c['implementation']} {c['python']} (`{c['executable']}`), gc "
        f"{'enabled' if c['gc_enabled'] else 'DISABLED'}, thresholds "
        f"{tuple(c['gc_threshold'] or ())} (the defaults: nothing here changes them), "
        f"recursion limit {c['recursion_limit']}.",
        f"- Heap: {_span(heaps)} objects tracked by gc when timing began; heavyweight "
        f"modules loaded (numpy, torch, ...): {heavy}.",
        f"- Engines: micrograd_nn from `{c['micrograd_nn_source']}` "
        f"({c['micrograd_nn_commit']}); {runs[0]['upstream']}.",
        f"- Machine: {c['platform']}, {c['cpu']}, {c['cores']} cores, shared; 1-minute "
        f"load average at the start of each run: {_span([ld[0] for ld in loads if ld])}.",
    ]


def main_table(doc: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    """Every CPython figure in one table."""
    rows = report.step_rows(runs)
    if "memory" in runs[0]:
        rows += report.chain_rows(runs) + report.inference_rows(runs)
    if doc.get("digits"):
        rows += report.digits_rows(doc["digits"])
    return report.table(MAIN_HEADER, rows)


def pypy_section(doc: dict[str, Any], runs: list[dict[str, Any]]) -> list[str]:
    """micrograd_nn under PyPy vs CPython, or why that table is missing."""
    pypy = doc["pypy"]
    if isinstance(pypy, str):
        return [f"PyPy: not measured ({pypy})."]
    ok = [p for p in pypy if p["status"] == "ok"]
    if not ok or len(ok) != len(runs):
        return [f"PyPy: not measured ({[p['status'] for p in pypy]})."]
    c = ok[0]["conditions"]
    return [f"PyPy: {c['interpreter_version']}, micrograd_nn only ({ok[0]['upstream']}; "
            "upstream is compared under CPython only). Runs paired with the CPython runs "
            "above.", "", report.table(PYPY_HEADER, report.pypy_rows(runs, ok))]


def _span(values: list[Any]) -> str:
    nums = [v for v in values if v is not None]
    if not nums:
        return "unknown"
    lo, hi = min(nums), max(nums)
    return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
