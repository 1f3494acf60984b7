"""micrograd_nn's speed, memory and instruction counts, side by side with upstream
micrograd (0.1.0), the floor under any pure-Python graph, and earlier commits.

    python -m benchmarks                               # CPU times: every figure, 3 runs
    python -m benchmarks --instructions --at 2750aac   # + callgrind counts, before/after
    python -m benchmarks --instructions-only           # the counts alone
    python -m benchmarks --quick                       # small sizes, 1 run: seconds
    python -m benchmarks --report-only results.json    # the report again, from its JSON
    python -m benchmarks --replay                      # + fit on digits, replayed and not
    python -m benchmarks --page | --grad | --numpy-digits | --gradcheck | --rules

The timed figures run in child processes (``--child``), each a fresh interpreter; the
counts in their own (see ``benchmarks.instructions``). Every sample, count and condition is
written as JSON (``--json``, by default ``benchmarks/results/``, which git ignores);
``--markdown FILE`` writes the report alone: README's Performance section is that file.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import counted, figures, replay, report, timing
from . import instructions as ins

HERE = Path(__file__).resolve().parent
OTHERS = ("page", "grad", "numpy_digits", "gradcheck", "rules")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line; ``--child`` is how a run asks for one measuring child."""
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--runs", type=int, help="timing: child processes, each a full measurement "
                   "(default 3; 1 with --quick); ratios are reported as their range over runs")
    p.add_argument("--repeats", type=int, help="timing: timed steps per figure per run "
                   "(default 5; 1 with --quick)")
    p.add_argument("--quick", action="store_true", help="small sizes, one run, no digits")
    p.add_argument("--big", action="store_true", help="add the 2M-node MLP 2-256-256-1 "
                   "(upstream needs about half a minute per step)")
    p.add_argument("--figures", choices=["all", "steps", "demo"], default="all",
                   help="timing: all figures, the training steps only, or the demo step only")
    p.add_argument("--no-pypy", action="store_true", help="skip the PyPy runs")
    p.add_argument("--replay", action="store_true", help="also fit the digits network with "
                   "replay=True and replay=False, alternating, each in its own process (with "
                   "--instructions, a training step counted each way)")
    p.add_argument("--at", action="append", default=[], metavar="COMMIT",
                   help="also measure micrograd_nn at COMMIT (git archive into a temp dir; "
                   "the checkout is not touched): counts, and the demo step's time; repeatable")
    g = p.add_argument_group("instruction counts (valgrind's callgrind)")
    g.add_argument("--instructions", action="store_true",
                   help="count instructions as well as timing (needs valgrind)")
    g.add_argument("--instructions-only", action="store_true", help="count, do not time")
    g.add_argument("--count-repeat", type=int, default=2, help="processes per count (default "
                   "2: the report says whether they were identical)")
    g.add_argument("--count-steps", type=int, nargs=2, default=[1, 3], metavar=("LO", "HI"),
                   help="steps of the two processes per count (default 1 3)")
    g.add_argument("--jobs", type=int, default=2, help="callgrind processes at a time")
    g.add_argument("--no-phases", action="store_true", help="skip the profile by phase")
    g.add_argument("--only", nargs="+", choices=counted.WORKLOADS, help=argparse.SUPPRESS)
    g.add_argument("--count-points", type=int, help=argparse.SUPPRESS)  # smoke test
    g.add_argument("--no-upstream", action="store_true", help="leave upstream's counts out")
    o = p.add_argument_group("output")
    o.add_argument("--json", type=Path, help="where to write everything as JSON "
                   "(default: benchmarks/results/bench-<time>.json)")
    o.add_argument("--markdown", type=Path, help="also write the report as markdown here")
    o.add_argument("--report-only", type=Path, metavar="JSON",
                   help="measure nothing: render the report from a results JSON written before")
    x = p.add_argument_group("the other benchmarks (each prints its own table)")
    m = x.add_mutually_exclusive_group()
    m.add_argument("--page", action="store_true", help="the step page's size and time")
    m.add_argument("--grad", action="store_true", help="backward() against grad(loss, params)")
    m.add_argument("--numpy-digits", action="store_true", help="digits: engine against NumPy")
    m.add_argument("--gradcheck", action="store_true", help="the cost of gradcheck on the demo")
    m.add_argument("--rules", action="store_true", help="each written-out backward rule "
                   "against the generic one, per call")
    x.add_argument("--before", type=Path, help="--page: also an old checkout's page")
    x.add_argument("--skip-moons", action="store_true", help="--page: leave out the 65k graph")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.runs = (1 if args.quick else 3) if args.runs is None else args.runs
    args.repeats = (1 if args.quick else 5) if args.repeats is None else args.repeats
    for name in ("runs", "repeats", "count_repeat", "jobs"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    lo, hi = args.count_steps
    if not hi > lo >= 1:
        p.error(f"--count-steps: need HI > LO >= 1, got {lo} {hi}")
    return args


def child(args: argparse.Namespace) -> int:
    """Measure once in this process and print the document as JSON."""
    plan = figures.QUICK if args.quick else figures.FULL
    print(json.dumps(figures.measure(plan, args.repeats, args.big, args.figures)))
    return 0


def parent(args: argparse.Namespace, argv: list[str]) -> int:
    """Count and/or time, fold the figures into the report, print and write it."""
    doc: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"),
                           "command": shlex.join(["python", "-m", "benchmarks", *argv])}
    failed: list[str] = []
    path = args.json or HERE / "results" / time.strftime("bench-%Y%m%d-%H%M%S.json")
    counting = None
    pool = ThreadPoolExecutor(max_workers=1)
    if args.instructions or args.instructions_only:
        ins.valgrind()  # says how to install it, before anything runs
        lo, hi = args.count_steps
        # callgrind's counts do not depend on the load, so they are taken while the timed
        # runs go on (which report the load average they met)
        counting = pool.submit(ins.measure_all, args.at, lo, hi, args.count_repeat,
                               args.jobs, not args.no_phases, args.count_points, timing.say,
                               not args.no_upstream, args.only)
    try:
        if not args.instructions_only:
            doc["timing"] = timed(args)
            failed = [r["status"] for r in doc["timing"]["runs"] if r["status"] != "ok"]
            if len(failed) == len(doc["timing"]["runs"]):
                print(f"benchmarks: every run failed: {failed}", file=sys.stderr)
                return 1
            if counting:  # keep what is done, whatever happens to the counts
                _write(path, json.dumps(doc, indent=1) + "\n")
        if args.replay:
            doc["replay"] = replay.measure(args.runs, args.quick, not args.no_pypy,
                                           args.instructions or args.instructions_only,
                                           timing.say)
        if counting:
            doc["instructions"] = counting.result()
    finally:
        pool.shutdown(wait=True)
    doc["markdown"] = report.document(doc)
    print(doc["markdown"])
    _write(path, json.dumps(doc, indent=1) + "\n")
    if args.markdown:
        _write(args.markdown, doc["markdown"])
    print(f"JSON: {path}" + (f"; markdown: {args.markdown}" if args.markdown else ""))
    return 1 if failed else 0


def timed(args: argparse.Namespace) -> dict[str, Any]:
    """The timed runs (children of this tree, PyPy, each ``--at`` engine) and digits."""
    with tempfile.TemporaryDirectory(prefix="bench-at-") as tmp:
        others = {f"at {c}": ins.checkout(c, Path(tmp))[0] for c in args.at}
        runs = timing.run_all(args.runs, args.quick, args.repeats, args.big, args.figures,
                              not args.no_pypy, others)
    out: dict[str, Any] = {"runs": runs.pop("cpython"), "pypy": runs.pop("pypy", []),
                           "others": runs}
    if args.figures == "all" and not args.quick:
        timing.say("digits example (its own processes, CPython and PyPy alternating)")
        out["digits"] = figures.measure_digits(args.runs, timeout=600)
    return out


def report_only(args: argparse.Namespace) -> int:
    """Render the report from a results JSON (written by an earlier run)."""
    try:
        doc = json.loads(args.report_only.read_text())
    except (OSError, ValueError) as exc:
        print(f"benchmarks: --report-only {args.report_only}: {exc}", file=sys.stderr)
        return 2
    text = report.document(doc)
    print(text, end="")
    if args.markdown:
        _write(args.markdown, text)
    return 0


def other(args: argparse.Namespace) -> int:
    """One of the other benchmarks, which print their own tables."""
    from . import extras, gradcheck, rules

    if args.rules:
        return rules.main()
    if args.page:
        return extras.page_main(args.before, args.skip_moons)
    if args.grad:
        return extras.grad_main(args.repeats)
    if args.numpy_digits:
        return extras.numpy_digits_main(args.runs)
    return gradcheck.main(args.repeats)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point: a child measures, the parent orchestrates and reports."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.child:
        return child(args)
    if args.report_only:
        return report_only(args)
    if any(getattr(args, name) for name in OTHERS):
        return other(args)
    return parent(args, argv)


if __name__ == "__main__":
    sys.exit(main())
