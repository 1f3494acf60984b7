"""`python -m micrograd_nn`, the README's main demo: it runs, shows backward step by step,
checks the grads, trains, and writes the step-through page."""

import re
import subprocess
import sys


def test_tour_shows_each_step_checks_grads_trains_and_writes_the_page(tmp_path):
    page = tmp_path / "tour.html"
    run = subprocess.run([sys.executable, "-m", "micrograd_nn", "--page", str(page)],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    text = run.stdout
    assert len(re.findall(r"^\s+\[\d/5\] ", text, re.M)) == 5  # one line per op node
    assert "x1.grad += w1.data * x1w1.grad = -3.0000 * 0.5000 = -1.5000" in text
    assert "do/dx1  = -1.5000" in text and "do/dw1  = +1.0000" in text
    assert "gradcheck): passed" in text
    accuracy = float(re.search(r"training accuracy (\S+)", text).group(1))
    assert accuracy >= 0.9
    assert page.exists() and "<svg" in page.read_text(encoding="utf-8")
    assert str(page) in text.replace("\n   ", " ")


def test_help_is_plain_text_and_says_what_the_tour_prints(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "micrograd_nn", "--help"],
                               capture_output=True, text=True, timeout=60, check=True,
                               cwd=tmp_path).stdout
    assert "``" not in help_text  # reStructuredText markup, raw in a terminal
    epochs, every = map(int, re.search(r"for (\d+) epochs, a progress line every (\d+)",
                                       help_text).groups())
    tour = subprocess.run([sys.executable, "-m", "micrograd_nn", "--page",
                           str(tmp_path / "p.html")], capture_output=True, text=True,
                          timeout=120, check=True, cwd=tmp_path).stdout
    shown = [int(k) for k in re.findall(rf"^Epoch (\d+)/{epochs} ", tour, re.M)]
    assert shown == list(range(every, epochs + 1, every))
