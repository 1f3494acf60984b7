"""Each example, run as a user runs it (``python examples/NAME.py --json``), must reproduce
its seed's figures. stdout must be exactly one JSON object; the account goes to stderr."""

import functools
import json
import os
import subprocess
import sys

import pytest
from test_crosscheck_engine import LOSS_TRACE_SEED_000

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@functools.cache  # one run per session (tests/test_readme_figures.py too)
def run_example(name):
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, f"{name}.py"), "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip(), "the readable account should go to stderr"
    return json.loads(proc.stdout)  # fails unless stdout is exactly one JSON document


def test_logistic_regression_reproduces_seed_outputs_and_loss_trace():
    result = run_example("logistic_regression")
    assert result["initial_output"] == pytest.approx(
        [0.60841366, 0.45860596, 0.3262757, 0.36375058], abs=5e-9)
    assert result["losses"] == pytest.approx(LOSS_TRACE_SEED_000, abs=1e-9)


def test_gender_reproduces_seed_numbers_and_learns_emily_and_frank():
    result = run_example("gender")
    assert result["neuron"] == pytest.approx(0.9990889488055994, abs=1e-15)
    assert result["network"] == pytest.approx(0.7216325609518421, abs=1e-15)
    assert result["mse_example"] == 0.5
    assert result["final_loss"] < 0.01
    assert result["emily"] > 0.9 and result["frank"] < 0.1


@pytest.mark.slow
def test_two_layer_has_13_params_and_reaches_the_seeds_accuracy():
    result = run_example("two_layer")
    assert result["params"] == 13
    assert result["accuracy"] >= 0.88


@pytest.mark.slow
def test_moons_separates_the_training_set_like_upstream():
    assert run_example("moons")["train_accuracy"] == 1.0


@pytest.mark.slow
def test_digits_clears_95_percent_on_the_test_split():
    result = run_example("digits")
    assert result["test_accuracy"] >= 0.95
    assert result["train_seconds"] > 0  # measured, reported; never asserted (no timed tests)
    assert result["binary_test_accuracy"] >= 0.8


@pytest.mark.slow
def test_deep_network_every_optimizer_lowers_the_loss_from_the_same_start():
    result = run_example("deep_network")
    assert set(result["final_loss"]) == {"sgd", "momentum", "rmsprop", "adam"}
    assert result["initial_loss"] > 0.5
    assert all(v < result["initial_loss"] / 2 for v in result["final_loss"].values())
    assert result["final_loss"]["adam"] < result["final_loss"]["sgd"]


def test_newton_leaves_no_temporary_folder_and_writes_its_diagram_under_out(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}  # where tempfile would make a folder
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "newton.py"), "--json"],
                          capture_output=True, text=True, timeout=300, check=False,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert os.listdir(scratch) == []
    if result["diagram"] is not None:  # Graphviz installed
        assert os.path.samefile(os.path.join(tmp_path, result["diagram"]),
                                tmp_path / "out" / "first_derivative.svg")


def test_data_helper_is_a_real_command_line(tmp_path):
    script = os.path.join(EXAMPLES, "_data.py")

    def run(*args):
        return subprocess.run([sys.executable, script, *args], capture_output=True, text=True,
                              timeout=120, check=False, cwd=tmp_path)

    for flag in ("--help", "-h"):
        proc = run(flag)
        assert proc.returncode == 0 and "usage:" in proc.stdout
        assert "MICROGRAD_NN_DIGITS_JSON" in proc.stdout
        assert os.listdir(tmp_path) == []  # no file named --help
    proc = run()
    assert proc.returncode == 2 and "usage:" in proc.stderr  # argparse's missing-argument
    assert run("--bogus").returncode == 2 and os.listdir(tmp_path) == []
    pytest.importorskip("sklearn", reason="the digits data needs scikit-learn")
    proc = run("split.json")
    assert proc.returncode == 0, proc.stderr
    X_train, X_test, y_train, y_test = json.loads((tmp_path / "split.json").read_text())
    assert (len(X_train), len(X_test)) == (1437, 360) and len(X_train[0]) == 64
