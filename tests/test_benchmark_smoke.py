"""Smoke runs of benchmarks/bench.py: it runs end to end, prints its table, writes its JSON,
and the engines it compares compute the same losses. No timing is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench.py"
ROW_STARTS = [
    "| demo step, MLP 2-16-16-1,",
    "| memory, 20,003-node chain built",
    "| memory, same chain after backward",
    "| 20,000-node chain: build + backward + free",
    "| scaling: time(20,000) / time(2,000)",
    "| inference, demo MLP (binary ops): graph vs no_grad",
    "| inference, micrograd_nn.MLP (Value.sum): graph vs no_grad",
    "| digits example (10 classes)",
]


def _bench(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--repeats", "1", "--json", str(out), *args],
        capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = _bench(out)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(out.read_text())


def test_quick_run_prints_a_table_row_per_figure(quick_run: tuple[str, dict]) -> None:
    stdout, _ = quick_run
    assert "| figure | micrograd_nn | upstream | ratio | target | met? |" in stdout
    lines = stdout.splitlines()
    for start in ROW_STARTS:
        assert any(line.startswith(start) for line in lines), f"no row starting {start!r}"


def test_quick_run_writes_the_table_results_and_machine_as_json(
        quick_run: tuple[str, dict]) -> None:
    _, doc = quick_run
    assert {"machine", "repeats", "upstream", "torch", "results", "table"} <= doc.keys()
    assert {"train_step", "memory", "depth", "inference", "digits"} <= doc["results"].keys()
    assert {"platform", "python", "cpu", "cores", "gc_threshold", "recursion_limit"} <= \
        doc["machine"].keys()
    for row in doc["table"]:
        assert set(row) == {"figure", "micrograd_nn", "upstream", "ratio", "target", "met"}
    assert doc["results"]["digits"]["status"] == "skipped"
    assert doc["results"]["memory"]["micrograd_nn"]["nodes"] == 20_003


def test_upstream_and_micrograd_nn_losses_agree_to_1e_9(quick_run: tuple[str, dict]) -> None:
    pytest.importorskip("micrograd.engine", reason="upstream micrograd==0.1.0 not installed")
    _, doc = quick_run
    step = doc["results"]["train_step"]
    ours, theirs = step["micrograd_nn"]["losses"], step["micrograd"]["losses"]
    assert len(ours) == len(theirs) == 2  # warm-up step + one timed repeat
    assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 1e-9
    assert step["micrograd"]["loss_max_abs_diff"] <= 1e-9
    assert ours[1] != ours[0]  # the SGD update changed the model between the steps
    # both engines built graphs of the same size for the memory figure
    memory = doc["results"]["memory"]
    assert memory["micrograd"]["nodes"] == memory["micrograd_nn"]["nodes"]


def test_without_upstream_the_run_reports_micrograd_nn_alone(tmp_path: Path) -> None:
    fake = tmp_path / "shadow" / "micrograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('simulated: micrograd not installed')\n")
    path = os.pathsep.join(filter(None, [str(fake.parent), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    proc = _bench(tmp_path / "bench.json", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "not installed" in proc.stdout
    doc = json.loads((tmp_path / "bench.json").read_text())
    assert "micrograd" not in doc["results"]["train_step"]
    assert "micrograd" not in doc["results"]["memory"]
    assert doc["results"]["train_step"]["micrograd_nn"]["losses"]


def test_zero_repeats_is_a_usage_error(tmp_path: Path) -> None:
    proc = _bench(tmp_path / "bench.json", "--repeats", "0")
    assert proc.returncode == 2
    assert "--repeats must be at least 1, got 0" in proc.stderr
    assert not (tmp_path / "bench.json").exists()
