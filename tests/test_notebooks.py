"""Notebook display: a Value's rich repr (SVG, or text when graphviz, dot or room is
missing), viz.player's iframe, explain() echoing nothing, and the example notebooks run top
to bottom in a real Jupyter kernel (nbclient), committed without outputs."""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path

import pytest

from micrograd_nn import Parameter, Value, viz
from micrograd_nn.viz import notebook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def neuron() -> Value:
    x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
    w1, w2, b = Parameter(0.0, "w1"), Parameter(1.0, "w2"), Parameter(4.0, "b")
    return (w1 * x1 + w2 * x2 + b).sigmoid().named("o")


def chain(length: int) -> Value:
    """``length + 1`` Values: x, tanh(x), tanh(tanh(x)) ..."""
    v = Value(1.0, "x")
    for _ in range(length):
        v = v.tanh()
    return v


# --- a Value's rich display -------------------------------------------------------------

def test_a_value_displays_as_its_graph_in_svg_with_its_repr_as_text():
    o = neuron()
    o.backward()
    bundle = o._repr_mimebundle_()
    assert bundle["text/plain"] == repr(o)
    svg = bundle["image/svg+xml"]
    assert "<svg" in svg and "w1" in svg and "grad 0.0018" in svg


def test_display_leaves_out_the_svg_when_the_frontend_does_not_want_it():
    o = neuron()
    assert o._repr_mimebundle_(include=["text/plain"]) == {"text/plain": repr(o)}
    assert o._repr_mimebundle_(exclude=["image/svg+xml"]) == {"text/plain": repr(o)}


def test_without_the_graphviz_package_a_value_displays_as_text(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    # Re-importing a submodule rebinds the package's attribute of that name (viz.render, the
    # function, would become viz.render, the module): restore the package's names after.
    package = sys.modules["micrograd_nn.viz"]
    for attr, value in list(vars(package).items()):
        monkeypatch.setattr(package, attr, value)
    for name in [m for m in sys.modules if m.startswith("micrograd_nn.viz.")]:
        monkeypatch.delitem(sys.modules, name)  # so viz.diagram re-imports graphviz
    o = neuron()
    assert o._repr_mimebundle_() == {"text/plain": repr(o)}


def test_without_viz_at_all_the_engine_falls_back_to_its_repr(monkeypatch):
    monkeypatch.setitem(sys.modules, "micrograd_nn.viz.notebook", None)
    o = neuron()
    assert o._repr_mimebundle_() == {"text/plain": repr(o)}


def test_without_dot_on_path_a_value_displays_as_text(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot
    o = neuron()
    assert o._repr_mimebundle_() == {"text/plain": repr(o)}


def test_a_graph_too_large_to_draw_inline_says_so_in_text():
    small, large = chain(notebook.MAX_INLINE_NODES - 1), chain(notebook.MAX_INLINE_NODES)
    assert "image/svg+xml" in small._repr_mimebundle_()
    bundle = large._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert bundle["text/plain"].startswith(repr(large) + "\n(graph too large to draw inline")
    assert f"more than {notebook.MAX_INLINE_NODES} nodes" in bundle["text/plain"]


def test_explain_prints_and_returns_none_so_a_cell_echoes_no_list(capsys):
    o = neuron()
    assert o.explain() is None
    assert capsys.readouterr().out.startswith("[1/")


# --- viz.player -------------------------------------------------------------------------

def test_player_shows_the_step_page_in_an_iframe_and_leaves_backward_grads():
    o = neuron()
    shown = viz.player(o)
    frame = shown._repr_html_()
    assert frame.startswith('<iframe srcdoc="') and frame.endswith("</iframe>")
    page = html.unescape(frame.split('srcdoc="', 1)[1].split('" style=', 1)[0])
    assert page == shown.page and page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert '"' not in frame.split('srcdoc="', 1)[1].split('" style=', 1)[0]  # escaped
    assert 520 <= shown.height <= 720 and f"height: {shown.height}px" in frame
    expected = neuron()
    expected.backward()
    assert o.grad == expected.grad == 1.0


def test_player_height_follows_the_diagram_and_can_be_set():
    assert viz.player(neuron()).height == 520  # wide and short: the least
    assert viz.player(chain(6), rankdir="TB").height == 720  # tall: the most
    assert "height: 321px" in viz.player(neuron(), height=321)._repr_html_()


# --- the example notebooks --------------------------------------------------------------

def test_the_example_notebooks_are_committed_without_outputs():
    assert [p.name for p in NOTEBOOKS] == ["01_backprop_story.ipynb", "02_mlp_learns.ipynb"]
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def _kernel_tools():
    """nbclient and nbformat, or a skip (a failure in CI) when they or ipykernel are
    missing: the notebook tests need a real Jupyter kernel."""
    try:
        import ipykernel  # noqa: F401
        import nbclient
        import nbformat
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the example notebooks, but {exc}")
        pytest.skip(f"the notebook tests need nbclient, nbformat and ipykernel ({exc}); "
                    f'pip install -e ".[test]"')
    return nbclient, nbformat


def _run(name: str, tmp_path: Path) -> list[dict]:
    """Execute examples/<name> top to bottom in a fresh kernel, in tmp_path; its code
    cells' outputs."""
    nbclient, nbformat = _kernel_tools()
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    return [cell.outputs for cell in nb.cells if cell.cell_type == "code"]


def _data(outputs: list[dict], mime: str) -> list[str]:
    return [o["data"][mime] for o in outputs if mime in o.get("data", {})]


def _text(outputs: list[dict]) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream")


def test_the_backprop_story_notebook_runs_and_shows_graph_steps_page_and_training(tmp_path):
    cells = _run("01_backprop_story.ipynb", tmp_path)
    everything = [o for outputs in cells for o in outputs]
    assert not [o for o in everything if o["output_type"] == "error"]
    svgs = _data(everything, "image/svg+xml")
    assert len(svgs) >= 2 and all("<svg" in s for s in svgs)  # the neuron, before and after
    assert any("grad 0.0018" in s for s in svgs)
    explain = next(outputs for outputs in cells if "[1/4] o = sigmoid(n)" in _text(outputs))
    assert [o["output_type"] for o in explain] == ["stream"]  # printed, nothing echoed
    frames = _data(everything, "text/html")
    assert any(f.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') for f in frames)
    assert "True" in _data(everything, "text/plain")  # gradcheck
    training = _text(everything)
    assert "Epoch 30/30" in training and "300/300" in training


def test_the_mlp_notebook_runs_and_draws_the_boundary_and_the_loss_curve(tmp_path):
    cells = _run("02_mlp_learns.ipynb", tmp_path)
    everything = [o for outputs in cells for o in outputs]
    assert not [o for o in everything if o["output_type"] == "error"]
    svgs = _data(everything, "image/svg+xml")
    assert sum("<rect" in s for s in svgs) >= 2  # the boundary before and after training
    assert any("<polyline" in s for s in svgs)  # the loss curve
    assert any("relu" in s for s in svgs)  # a neuron's graph, drawn by draw_dot
    text = _text(everything)
    assert "Epoch 40/40" in text and "'accuracy': 1.0" in text


# fit's progress display in a real kernel (moved here from test_train: it needs the notebook
# stack, which the light interpreters of CI do not install)
def test_verbose_1_in_a_notebook_updates_one_display_and_writes_no_carriage_return():
    """A real kernel runs a cell as nbconvert does: the saved notebook keeps one output,
    the final bar, and no \\r (an HTML export shows it as it is)."""
    if os.environ.get("CI") != "true":
        pytest.importorskip("nbclient", reason='pip install -e ".[test]"')
        pytest.importorskip("ipykernel", reason='pip install -e ".[test]"')
    import nbclient
    import nbformat
    root = __file__.rsplit("/tests/", 1)[0]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys; sys.path.insert(0, {root!r})\n"
        "from micrograd_nn import MLP, fit\nfrom micrograd_nn.train import two_moons\n"
        "X, y = two_moons(20, seed=0)\n"
        "h = fit(MLP(2, [4, 1], output_activation='sigmoid', seed=0), X, y, loss='bce',\n"
        "        epochs=30, batch_size=5, seed=0)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    text = json.dumps(outputs)
    assert "\\r" not in text
    assert [o["output_type"] for o in outputs] == ["display_data", "stream"]
    assert outputs[0]["data"]["text/plain"] == ""  # the live bar, emptied at the end
    lines = outputs[1]["text"].splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("[==============================] 120/120 Epoch 30/30 - loss: ")
    assert lines[0].endswith("s")
