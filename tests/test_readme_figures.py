"""Every figure the README quotes from a command is what that command prints.

The examples table ("The seeds' networks, reproduced"): each row's last column, and the
seed's column where ours says "the same", is held to the script's ``--json`` output (run
once per session, shared with tests/test_examples.py). A figure is right when the printed
number rounds to it at the precision the README shows. Every decimal number in the last
column must be claimed by one of the checks below, so a figure added to the README without
a check fails here. The Guarantees paragraph's oracle bounds and gradcheck settings are held
to the constants the tests and gradcheck use.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from test_examples import run_example

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"
DECIMAL = re.compile(r"(?<![\w.-])-?\d+\.\d+(?:e-?\d+)?|(?<![\w.-])\d+e-?\d+")


def table_row(script: str) -> tuple[str, str]:
    """The seed's figure and ours, from the examples table row of ``script``."""
    for line in README.splitlines():
        if line.startswith(f"| `{script}` |"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            return cells[2], cells[3]
    raise AssertionError(f"README's examples table has no row for {script}")


def matches_shown(value: float, shown: str) -> bool:
    """Does ``value`` round to ``shown`` at the precision ``shown`` is written with?"""
    if "e" in shown:
        mantissa = shown.split("e")[0]
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return f"{value:.{digits}e}" == f"{float(shown):.{digits}e}"
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    return abs(value - float(shown)) <= 0.5 * 10 ** -decimals * (1 + 1e-9)


def check_cell(cell: str, checks: list[tuple[str, float | None]]) -> None:
    """Each ``(pattern, value)``: ``pattern`` (one group, the figure) is in ``cell`` and the
    figure matches ``value`` (None: the caller checks it); then no decimal figure in
    ``cell`` is left unchecked."""
    claimed: list[tuple[int, int]] = []
    for pattern, value in checks:
        found = re.search(pattern, cell)
        assert found, f"README no longer says {pattern!r} in: {cell}"
        shown = found.group(1)
        assert value is None or matches_shown(value, shown), (
            f"README says {shown} ({pattern!r}) but the script prints {value!r}")
        claimed.append(found.span(1))
    for number in DECIMAL.finditer(cell):
        assert any(a <= number.start() < b for a, b in claimed), (
            f"README figure {number.group()} in {cell!r} is checked by nothing here")


def test_logistic_regression_row():
    result = run_example("logistic_regression")
    from test_crosscheck_engine import LOSS_TRACE_SEED_000

    seed, ours = table_row("logistic_regression.py")
    outputs = re.search(r"outputs ([\d., ]+);", seed).group(1).split(", ")
    assert len(outputs) == len(result["initial_output"]) == 4
    assert "the same outputs" in ours  # so the seed's figures are ours too
    for shown, value in zip(outputs, result["initial_output"]):
        assert matches_shown(value, shown), (shown, value)
    first, last = re.search(rf"loss {NUMBER} → {NUMBER} over 20 epochs", seed).groups()
    assert len(result["losses"]) == 20
    assert matches_shown(result["losses"][0], first)
    assert matches_shown(result["losses"][-1], last)
    worst = max(abs(a - b) for a, b in zip(result["losses"], LOSS_TRACE_SEED_000))
    check_cell(ours, [(rf"within {NUMBER} of the seed's trace", None),  # a bound: below
                      (rf"\({NUMBER} at most", worst)])
    bound = float(re.search(rf"within {NUMBER} of the seed's trace", ours).group(1))
    assert worst <= bound


def test_gender_row():
    r = run_example("gender")
    _, ours = table_row("gender.py")
    check_cell(ours, [(rf"^{NUMBER};", r["neuron"]), (rf"; {NUMBER}; \d", r["network"]),
                      (rf"; {NUMBER}; final", r["mse_example"]),
                      (rf"final loss {NUMBER}", r["final_loss"]),
                      (rf"Emily {NUMBER}", r["emily"]), (rf"Frank {NUMBER}", r["frank"])])


@pytest.mark.slow
def test_two_layer_row():
    r = run_example("two_layer")
    _, ours = table_row("two_layer.py")
    assert re.search(r"^(\d+) params", ours).group(1) == str(r["params"])
    check_cell(ours, [(rf"accuracy {NUMBER}", r["accuracy"])])


@pytest.mark.slow
def test_moons_row():
    r = run_example("moons")
    _, ours = table_row("moons.py")
    assert re.search(r"\((\d+) params", ours).group(1) == str(r["params"])
    assert re.search(r"(\d+) steps\)", ours).group(1) == str(r["steps"])
    check_cell(ours, [(rf"^{NUMBER} \(", r["train_accuracy"])])
    assert r["train_accuracy"] == float(re.match(NUMBER, ours).group(1))  # every point


@pytest.mark.slow
def test_digits_row():
    r = run_example("digits")
    _, ours = table_row("digits.py")
    check_cell(ours, [(rf"test accuracy {NUMBER}", r["test_accuracy"]),
                      (rf"even/odd net, trained: {NUMBER}", r["binary_test_accuracy"])])


@pytest.mark.slow
def test_deep_network_row():
    r = run_example("deep_network")
    _, ours = table_row("deep_network.py")
    final = r["final_loss"]
    check_cell(ours, [(rf"loss {NUMBER} →", r["initial_loss"]),
                      (rf"SGD {NUMBER}", final["sgd"]),
                      (rf"Momentum {NUMBER}", final["momentum"]),
                      (rf"RMSprop {NUMBER}", final["rmsprop"]),
                      (rf"Adam {NUMBER}", final["adam"])])


def test_every_example_in_the_table_has_a_check_here():
    scripts = re.findall(r"^\| `(\w+)\.py` \|", README, re.M)
    tested = {name[len("test_"):-len("_row")] for name in globals()
              if name.startswith("test_") and name.endswith("_row")}
    assert set(scripts) == tested


def test_matches_shown_reads_the_precision_the_figure_is_written_with():
    assert matches_shown(0.9555555, "0.956") and not matches_shown(0.9555555, "0.958")
    assert matches_shown(0.894444, "0.894") and not matches_shown(0.894444, "0.925")
    assert matches_shown(4.8e-13, "4.8e-13") and not matches_shown(5.2e-13, "4.8e-13")
    assert matches_shown(1.0, "1.0") and not matches_shown(0.94, "1.0")


def test_guarantees_quote_the_oracle_bound_and_gradcheck_settings_the_tests_use():
    for module in ("hypothesis", "mpmath"):  # what tests/test_properties.py imports
        pytest.importorskip(module, reason='pip install -e ".[test]"')
    import test_properties
    from oracle import DPS

    from micrograd_nn import gradcheck

    text = " ".join(README.split("## Guarantees", 1)[1].split("\n\n", 2)[1].split())
    rel, floor = re.search(rf"within `{NUMBER} · \|exact\| \+ {NUMBER}`", text).groups()
    assert (float(rel), float(floor)) == (test_properties.REL, test_properties.ABS_FLOOR)
    assert f"{test_properties.GRAPHS} random expression graphs" in text
    assert f"{DPS}-digit mpmath derivative" in text
    # "default tolerances": the property test calls gradcheck with none of its own
    assert "`gradcheck` (extrapolated differences with an error bar, default tolerances)" in text
    assert "gradcheck(expr, xs)" in inspect.getsource(test_properties)
    assert inspect.signature(gradcheck).parameters["eps"].default is None  # chosen per input
    # The observed errors the README quotes are those the test's own comment records.
    for observed in re.findall(r"(\d(?:\.\d)?e-\d+)", text.split("observed:", 1)[1][:200]):
        assert observed in inspect.getsource(test_properties), observed
