"""Smoke runs of benchmarks/bench.py --quick: it runs end to end in child processes, prints
and writes its tables and JSON, and the engines compute the same losses. No timing is
asserted (the machine is shared; timings are the benchmark's business, not the tests')."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
HEADER = "| figure | micrograd_nn | upstream micrograd | upstream ÷ micrograd_nn |"
ROW_STARTS = [
    "| demo step: MLP 2-16-16-1, 10 points, hinge + L2",
    "| width 4 step: MLP 2-4-4-1, 4 points, hinge, no L2",
    "| same losses, every engine and mode",
    "| memory: 20,003-node chain built",
    "| 20,000-node chain: build + backward + free",
    "| inference, micrograd_nn.MLP (Value.sum): graph vs no_grad",
]


def _bench(tmp: Path, *args: str, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(BENCH), "--quick", "--json", str(tmp / "bench.json"),
           "--markdown", str(tmp / "bench.md"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("bench")
    proc = _bench(tmp)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, (tmp / "bench.md").read_text(), json.loads((tmp / "bench.json").read_text())


def test_quick_run_prints_and_writes_the_markdown_report(quick_run: Any) -> None:
    stdout, md, _ = quick_run
    assert md in stdout
    assert HEADER in md
    lines = md.splitlines()
    for start in ROW_STARTS:
        assert any(line.startswith(start) for line in lines), f"no row starting {start!r}"
    for condition in ("CPU time", "`gc.collect()` inside the timed region", "Heap:",
                      "heavyweight modules loaded", "Interpreter: CPython"):
        assert condition in md


def test_quick_run_writes_runs_and_conditions_as_json(quick_run: Any) -> None:
    _, md, doc = quick_run
    assert doc["markdown"] == md
    assert len(doc["runs"]) == 1 and doc["runs"][0]["status"] == "ok"
    run = doc["runs"][0]
    assert {"demo", "width 4", "width 8"} <= run["steps"].keys()
    assert {"memory", "depth", "inference"} <= run.keys()
    c = run["conditions"]
    assert c["implementation"] == "CPython" and c["gc_collect_inside_timer"] is True
    assert c["heavy_modules_loaded"] == []
    assert isinstance(c["heap_objects"], int)
    assert "digits" not in doc  # --quick skips it


def test_both_engines_compute_the_same_losses(quick_run: Any) -> None:
    pytest.importorskip("micrograd.engine", reason="upstream micrograd==0.1.0 not installed")
    _, _, doc = quick_run
    for step in doc["runs"][0]["steps"].values():
        timings = step["timings"]
        assert {"micrograd_nn", "micrograd_nn+gc_paused", "micrograd",
                "micrograd+gc_paused", "floor"} == timings.keys()
        assert timings["floor"]["losses"] == []  # the bare-object floor computes nothing
        ours = timings["micrograd_nn"]["losses"]
        assert len(ours) == 2 and ours[1] != ours[0]  # warm-up + one timed step; SGD moved
        for name, t in timings.items():
            if name == "floor":
                continue
            assert max(abs(a - b) for a, b in zip(ours, t["losses"])) <= 1e-9, name
            assert step["loss_max_abs_diff"][name] <= 1e-9


def test_without_upstream_the_run_reports_micrograd_nn_alone(tmp_path: Path) -> None:
    fake = tmp_path / "shadow" / "micrograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('simulated: micrograd not installed')\n")
    path = os.pathsep.join(filter(None, [str(fake.parent), os.environ.get("PYTHONPATH")]))
    proc = _bench(tmp_path, "--figures", "demo", "--no-pypy",
                  env={**os.environ, "PYTHONPATH": path})
    assert proc.returncode == 0, proc.stderr
    assert "not installed" in proc.stdout
    timings = json.loads((tmp_path / "bench.json").read_text())["runs"][0]["steps"]["demo"]
    assert set(timings["timings"]) == {"micrograd_nn", "micrograd_nn+gc_paused", "floor"}


def test_zero_runs_is_a_usage_error(tmp_path: Path) -> None:
    proc = _bench(tmp_path, "--runs", "0")
    assert proc.returncode == 2
    assert "--runs must be at least 1, got 0" in proc.stderr
    assert not (tmp_path / "bench.json").exists()
