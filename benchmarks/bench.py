"""CPU time and memory of micrograd_nn, side by side with upstream micrograd (0.1.0).

    python benchmarks/bench.py                      # every figure, 3 runs
    python benchmarks/bench.py --quick              # small sizes, 1 run: seconds
    python benchmarks/bench.py --markdown out.md    # also write the README's table

Each run is a child process measuring every figure; the report folds the runs into
medians and ranges (see benchmarks/README.md). Modules: harness (timing, conditions),
workloads (what is computed), upstream (the adapter), steps, chains, inference (the
figures), measure (one run), runs (the children), report and markdown (the tables).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import measure
import runs
from inference import measure_digits
from markdown import document

HERE = Path(__file__).resolve().parent


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line; ``--child`` and its kin are how a run asks for one child."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--runs", type=int, help="child processes, each a full measurement "
                   "(default 3; 1 with --quick); ratios are reported as their range over runs")
    p.add_argument("--repeats", type=int, help="timed steps per figure per run "
                   "(default 5; 1 with --quick)")
    p.add_argument("--quick", action="store_true", help="small sizes, one run, no digits")
    p.add_argument("--big", action="store_true", help="add the 2M-node MLP 2-256-256-1 "
                   "(upstream needs about half a minute per step)")
    p.add_argument("--figures", choices=["all", "steps", "demo"], default="all",
                   help="all figures, the training steps only, or the demo step only")
    p.add_argument("--no-pypy", action="store_true", help="skip the PyPy runs")
    p.add_argument("--json", type=Path, help="where to write every sample as JSON "
                   "(default: benchmarks/results/bench-<time>.json)")
    p.add_argument("--markdown", type=Path, help="also write the report as markdown here")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.runs = (1 if args.quick else 3) if args.runs is None else args.runs
    args.repeats = (1 if args.quick else 5) if args.repeats is None else args.repeats
    for name in ("runs", "repeats"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1, got {getattr(args, name)}")
    return args


def child(args: argparse.Namespace) -> int:
    """Measure once in this process and print the document as JSON."""
    plan = measure.QUICK if args.quick else measure.FULL
    print(json.dumps(measure.measure(plan, args.repeats, args.big, args.figures)))
    return 0


def parent(args: argparse.Namespace, argv: list[str]) -> int:
    """Run the children, fold their figures into the report, print and write it."""
    cpython, pypy = runs.run_all(args.runs, args.quick, args.repeats, args.big, args.figures,
                                 not args.no_pypy)
    doc: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"),
                           "command": shlex.join(["python", "benchmarks/bench.py", *argv]),
                           "runs": cpython, "pypy": pypy}
    if args.figures == "all" and not args.quick:
        runs.say("digits example (its own processes, CPython and PyPy alternating)")
        doc["digits"] = measure_digits(args.runs, timeout=600)
    failed = [r["status"] for r in cpython if r["status"] != "ok"]
    if len(failed) == len(cpython):
        print(f"bench: every run failed: {failed}", file=sys.stderr)
        return 1
    doc["markdown"] = document(doc)
    print(doc["markdown"])
    path = args.json or HERE / "results" / time.strftime("bench-%Y%m%d-%H%M%S.json")
    _write(path, json.dumps(doc, indent=1) + "\n")
    if args.markdown:
        _write(args.markdown, doc["markdown"])
    print(f"JSON: {path}" + (f"; markdown: {args.markdown}" if args.markdown else ""))
    return 1 if failed else 0


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point: a child measures, the parent orchestrates and reports."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    return child(args) if args.child else parent(args, argv)


if __name__ == "__main__":
    sys.exit(main())
