"""The playground (playground/) in a real headless Chromium: built once per session into a
temp dir (npm ci there, the project's wheel, graphviz's wheel, Pyodide), served on
127.0.0.1, driven through its scripting API ``window.playground``.

Every number the page shows comes from micrograd_nn running in Pyodide; these tests hold
them to the same engine in CPython (playground/app.py runs in both), data and grad to 1e-12
relative (the page's libm may differ from CPython's by an ulp in tanh, sin, cos).

Skips when npm, selenium, chromium or chromedriver is missing, except under CI=true,
where it fails: CI installs them, so a skip there would hide a broken page.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND = ROOT / "playground"
REL = 1e-12
LOAD_TIMEOUT = 240  # seconds: Pyodide's start on a loaded 2-core machine


def load(name: str) -> ModuleType:
    """A module of playground/ by file (it is not a package)."""
    spec = importlib.util.spec_from_file_location(f"playground_{name}", PLAYGROUND / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


app = load("app")


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so the playground test must run, but {reason}")
    pytest.skip(reason)


# ---------------------------------------------------------------------------------------
# Tests that need no browser


def test_five_lines_preset_is_the_readmes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Five lines\n\n```python\n(.*?)```", readme, re.S)
    assert block is not None
    assert app.PRESETS["Five lines (README)"] == block.group(1) + "# show: y\n"


def test_diagram_patch_reads_draw_dots_records() -> None:
    expression = app.Expression(app.PRESETS["Neuron σ(w1·x1 + w2·x2 + b) (seed 002)"])
    d = expression.state()["diagram"]
    names = {n["id"]: n["label"] for n in expression.nodes()}
    for node in expression.nodes():
        texts = d["patch"]["nodes"][node["id"]]["texts"]
        assert texts[0] == names[node["id"]]
        assert texts[1] == f"data {app.format_number(node['data'])}"
    assert len(d["patch"]["edges"]) == sum(len(n.inputs) + 1 for n in expression.ops)
    before = d["shape"]
    full = expression.leaf("w1").grad
    expression.step(3)  # partial grads: the prediction still uses backward's
    assert expression.leaf("w1").grad != full
    assert expression.set("w1", 0.5)["prediction"]["predicted"] == full * 0.5
    assert expression.state()["diagram"]["shape"] == before  # same graph: no new layout


@pytest.mark.parametrize("preset", list(app.PRESETS))
def test_a_leaf_change_sends_each_boxs_texts_and_fill_as_a_new_drawing_has_them(
        preset: str) -> None:
    """The fast path of a leaf change (no DOT text: each box's texts and fill from
    viz.dot.value_box) gives what draw_dot would now draw, node for node."""
    expression = app.Expression(app.PRESETS[preset])
    leaf = expression.names[expression.leaves[0]]
    for x in (0.3, -1.7, 0.0):
        reply = expression.set(leaf, x)
        assert "diagram" not in reply  # no DOT, no layout
        # draw_dot(root)'s DOT (with the names of the Run: this test's own variables
        # would otherwise name unlabelled nodes), read back by the page's DOT reader
        dot = app.draw_order(expression.order, expression.names).source
        drawn = app.diagram(dot)["patch"]["nodes"]
        for node in expression.order:
            texts, fill = reply["boxes"][expression.ids[node]]
            assert texts == drawn[expression.ids[node]]["texts"]
            assert fill == drawn[expression.ids[node]]["fillcolor"]
        assert [n["grad"] for n in reply["nodes"]] == [n.grad for n in expression.order]


def test_readme_figures_are_lines_measure_py_prints() -> None:
    """The README quotes measure.py's output: its conditions line and one line per figure,
    each in the format measure.py prints (numbers aside)."""
    measure = load("measure")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Playground"):readme.index("## Neural networks")]
    block = re.search(r"playground/measure\.py --runs \d+\n(.*?)```", section, re.S)
    assert block is not None, "the Playground section quotes measure.py's output"
    lines = block.group(1).strip().splitlines()
    assert lines[0].startswith("conditions: ") and "load average" in lines[0]
    number = r"-?[0-9]+(?:\.[0-9]+)?"
    for key, fmt in measure.FIGURE_FORMATS.items():
        pattern = number.join(re.escape(part) for part in re.split(r"\{[^}]*\}", fmt))
        assert any(re.fullmatch(pattern, line) for line in lines[1:]), (key, fmt)


# ---------------------------------------------------------------------------------------
# The built site, its server and one browser for the module


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("npm") is None:
        skip_or_fail("npm is not installed (it fetches Pyodide and viz.js)")
    build = load("build")
    tmp = tmp_path_factory.mktemp("playground")
    return build.build(tmp / "site", quiet=True, npm_dir=tmp / "npm")


@pytest.fixture(scope="module")
def url(site: Path):
    serve = load("serve")
    httpd = serve.server(site, 0, quiet=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Browser:
    """One Chromium with a net log, the playground loaded and ready."""

    def __init__(self, url: str, tmp: Path) -> None:
        chromium = load("chromium")  # the options every browser run here uses
        reason = chromium.missing()
        if reason:
            skip_or_fail(reason)
        self.url = url
        self.net_log = tmp / "net.json"
        (tmp / "profile").mkdir(exist_ok=True)
        self.driver = chromium.start(tmp / "profile", extra=[f"--log-net-log={self.net_log}"])
        self.driver.set_script_timeout(LOAD_TIMEOUT)
        self.logs: list[dict[str, Any]] = []
        self.closed = False
        self.driver.get(url)
        self.call("ready")

    def call(self, expr: str, *args: Any) -> Any:
        """``await playground.<expr>(...args)`` in the page (``ready``: the Promise); raises
        AssertionError with the page's error message when it rejects."""
        target = "window.playground.ready" if expr == "ready" else (
            f"window.playground.{expr}(...args)")
        reply = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; const args = arguments[0];"
            f"Promise.resolve().then(() => {target}).then("
            "(r) => done({ok: true, result: r === undefined ? null : r}),"
            " (e) => done({ok: false, error: String(e && e.message || e)}));", list(args))
        if not reply["ok"]:
            raise PageError(reply["error"])
        return reply["result"]

    def text(self, element_id: str) -> str:
        return self.driver.find_element("id", element_id).text

    def close(self) -> None:
        if not self.closed:
            self.logs += self.driver.get_log("browser")
            self.driver.quit()
            self.closed = True


class PageError(AssertionError):
    """A promise of the page's API rejected; the message is the page's."""


@pytest.fixture(scope="module")
def browser(url: str, tmp_path_factory: pytest.TempPathFactory):
    b = Browser(url, tmp_path_factory.mktemp("chromium"))
    yield b
    b.close()


def close(a: float, b: float) -> bool:
    if isinstance(a, str) or isinstance(b, str):  # 'nan', 'inf' travel as text
        return str(a) == str(b)
    return math.isclose(a, b, rel_tol=REL, abs_tol=1e-300)


def assert_nodes_equal(page: list[dict[str, Any]], cpython: list[dict[str, Any]]) -> None:
    assert [(n["id"], n["label"], n["op"]) for n in page] == [
        (n["id"], n["label"], n["op"]) for n in cpython]
    for p, c in zip(page, cpython):
        assert close(p["data"], c["data"]), (p, c)
        assert close(p["grad"], c["grad"]), (p, c)


def drawn_boxes(browser: Browser) -> dict[str, list[Any]]:
    """Each Value box of the drawn SVG: its texts and its outline's fill."""
    return browser.driver.execute_script(
        "const out = {}; for (const g of document.querySelectorAll('#graph svg g.node')) {"
        " if (g.id.endsWith('_op')) continue;"
        " const shape = g.querySelector('polygon, path, ellipse');"
        " out[g.id] = [[...g.querySelectorAll('text')].map((t) => t.textContent),"
        " shape.getAttribute('fill')]; } return out;")


def cpython_nodes(state: Any) -> list[dict[str, Any]]:
    return json.loads(json.dumps(app._finite(state)))  # as the page receives them


# ---------------------------------------------------------------------------------------
# Browser tests (in file order: one page, one session)


def test_loads_and_draws_the_first_preset(browser: Browser) -> None:
    svg = browser.driver.find_elements("css selector", "#graph svg g.node")
    assert len(svg) == 2 * 3 + 3  # 6 Values and 3 op ellipses: the five lines' graph
    assert "Pyodide" in browser.text("status")
    timings = browser.driver.execute_script("return window.playground.timings")
    assert timings["readyMs"] >= timings["firstGraphMs"] >= timings["pythonMs"] > 0
    width = "return document.querySelector('#graph svg').getBoundingClientRect().width"
    before = browser.driver.execute_script(width)
    browser.driver.find_element("id", "zoom-in").click()
    assert browser.driver.execute_script(width) > 1.2 * before
    browser.driver.find_element("id", "zoom-fit").click()
    assert browser.driver.execute_script(width) < browser.driver.execute_script(
        "return document.getElementById('graph').clientWidth")


@pytest.mark.parametrize("preset", list(app.PRESETS))
def test_each_presets_nodes_equal_cpythons(browser: Browser, preset: str) -> None:
    source = app.PRESETS[preset]
    page = browser.call("run", source)
    expression = app.Expression(source)
    assert page["root"] == expression.ids[expression.root]
    assert_nodes_equal(page["nodes"], cpython_nodes(expression.nodes()))
    drawn = {g.get_attribute("id") for g in browser.driver.find_elements(
        "css selector", "#graph svg g.node")}
    assert {n["id"] for n in page["nodes"]} <= drawn


def test_a_leaf_change_gives_cpythons_grads_without_a_new_layout(browser: Browser) -> None:
    source = app.PRESETS["2-3-1 MLP, squared error on one sample"]
    browser.call("run", source)
    browser.driver.execute_script("document.querySelector('#graph svg').dataset.mark = 'kept'")
    page = browser.call("set", "L1.n2.w1", 0.75)
    expression = app.Expression(source)
    expression.set("L1.n2.w1", 0.75)
    assert_nodes_equal(page, cpython_nodes(expression.nodes()))
    assert browser.driver.execute_script(
        "return document.querySelector('#graph svg').dataset.mark") == "kept"
    w = next(n for n in page if n["label"] == "L1.n2.w1")
    texts = [t.text for t in browser.driver.find_elements(
        "css selector", f"#graph svg g#{w['id']} text")]
    assert texts == ["L1.n2.w1", "data 0.7500", f"grad {app.format_number(w['grad'])}"]
    assert drawn_boxes(browser) == {i: [t, f] for i, (t, f) in expression.update()[
        "boxes"].items()}  # every box's texts and fill, as draw_dot would draw them now
    prediction = browser.text("prediction")
    assert prediction.startswith("ΔL1.n2.w1 = ") and "the gradient predicted" in prediction
    # from the middle of a step-through, a change shows the end state again
    browser.call("step", 5)
    assert browser.driver.find_elements("css selector", "#graph g.highlight, #graph g.pending")
    page = browser.call("set", "L1.n2.w1", -0.25)
    expression.set("L1.n2.w1", -0.25)
    assert_nodes_equal(page, cpython_nodes(expression.nodes()))
    assert not browser.driver.find_elements("css selector", "#graph g.highlight, #graph g.pending")
    assert drawn_boxes(browser) == {i: [t, f] for i, (t, f) in expression.update()[
        "boxes"].items()}
    # the slider drives the same call
    again = browser.call("set", "x1", -0.5)
    expression.set("x1", -0.5)
    assert_nodes_equal(again, cpython_nodes(expression.nodes()))
    with pytest.raises(PageError, match="no input or parameter is named 'nope'"):
        browser.call("set", "nope", 1.0)


def test_stepping_reaches_the_last_step_with_the_engines_text(browser: Browser) -> None:
    source = app.PRESETS["Neuron σ(w1·x1 + w2·x2 + b) (seed 002)"]
    browser.call("run", source)
    steps = browser.call("steps")
    expression = app.Expression(source)
    assert len(steps) == 1 + 2 * len(expression.ops)
    expression.root.zero_grad()
    engine_steps = [str(s) for s in expression.root.backward_steps()]
    assert [s["text"] for s in steps[-len(engine_steps):]] == engine_steps
    middle = browser.call("step", 2)
    assert middle["phase"] == "forward" and len(
        browser.driver.find_elements("css selector", "#graph g.pending")) > 0
    last = browser.call("step", len(steps) - 1)
    assert last["text"] == engine_steps[-1]
    assert engine_steps[-1] in browser.text("step-text").replace("\n", "\n")
    assert browser.text("step-counter") == f"Step {len(steps) - 1} / {len(steps) - 1}"
    expression.backward()
    assert_nodes_equal(last["nodes"], cpython_nodes(expression.nodes()))
    browser.driver.find_element("id", "prev").click()
    browser.driver.find_element("tag name", "body").send_keys("\ue012")  # ← key
    browser.call("nodes")  # round trip: both steps are shown by now
    counter = f"Step {len(steps) - 3} / {len(steps) - 1}"
    assert browser.driver.execute_script(
        "return document.getElementById('step-counter').textContent") == counter
    highlighted = browser.driver.find_elements("css selector", "#graph g.node.highlight")
    assert highlighted


def test_check_verdicts_pass_and_name_a_wrong_custom_op(browser: Browser) -> None:
    browser.call("run", app.PRESETS["Neuron σ(w1·x1 + w2·x2 + b) (seed 002)"])
    verdict = browser.call("check")
    assert verdict["ok"] and verdict["text"].startswith("PASS")
    browser.call("run", app.PRESETS["A custom op with a wrong derivative (try Check)"])
    verdict = browser.call("check")
    cpython = app.Expression(app.PRESETS["A custom op with a wrong derivative (try Check)"])
    assert not verdict["ok"]
    assert verdict["text"] == cpython.check()["text"]
    assert "'cube' node" in verdict["text"] and "check_ops" in verdict["text"]
    assert browser.text("verdict").startswith("FAIL")


def test_check_says_cannot_check_where_a_slope_is_below_the_noise() -> None:
    """A saturated tanh's slope (1e-17) cannot be told from 0 in double precision: Check
    says so in gradcheck's words (not PASS, not FAIL, no exception), and a passing check
    names the tolerances it really ran with."""
    flat = app.Expression("from micrograd_nn import Value\nx = Value(20.0, 'x')\n"
                          "(x * 1.0).tanh()\n").check()
    assert (flat["ok"], flat["verdict"]) == (False, "CANNOT CHECK")
    assert flat["text"].splitlines()[1].startswith(
        "gradcheck: 1 of 1 gradients cannot be checked here (eps=auto, atol=0.0, rtol=1e-06)")
    passing = app.Expression(app.PRESETS["Neuron σ(w1·x1 + w2·x2 + b) (seed 002)"]).check()
    assert passing["text"].splitlines()[:2] == [
        "PASS", "gradcheck: all 5 gradients agree with their numerical derivatives "
        "(eps=auto, atol=0.0, rtol=1e-06)"]


def test_cannot_check_shows_in_the_page(browser: Browser) -> None:
    browser.call("run", "from micrograd_nn import Value\nx = Value(20.0, 'x')\n(x * 1.0).tanh()\n")
    verdict = browser.call("check")
    assert verdict["verdict"] == "CANNOT CHECK" and not verdict["ok"]
    assert browser.text("verdict").startswith("CANNOT CHECK")
    assert browser.driver.execute_script(
        "return document.getElementById('verdict').className") == "unchecked"


def test_errors_are_shown_as_the_engine_words_them(browser: Browser) -> None:
    source = "from micrograd_nn import Value\nValue(-1.0, 'a').log()\n"
    with pytest.raises(PageError) as raised:
        browser.call("run", source)
    with pytest.raises(ValueError) as engine:
        app.run_script(source)
    assert str(raised.value) == f"line 2: ValueError: {engine.value}"
    assert browser.text("error") == str(raised.value)


BYTECODE_FACTS = """\
import importlib.util, json, sys
import micrograd_nn, graphviz
from micrograd_nn import Value

def ours(module):  # our unchecked hash-based pyc, accepted (else Python writes its own)
    with open(module.__cached__, "rb") as f:
        head = f.read(8)
    return head[:4] == importlib.util.MAGIC_NUMBER and head[4:8] == bytes([1, 0, 0, 0])

mods = (micrograd_nn, sys.modules["micrograd_nn.viz.dot"], graphviz,
        sys.modules["playground_app"])
Value(1.0, f"stdlib {json.__spec__.origin.endswith('.pyc')} ours {all(map(ours, mods))}")
"""


def test_the_first_view_ran_on_precompiled_bytecode(browser: Browser) -> None:
    """precompile.js's bytecode is what Python loaded: the standard library's modules from
    .pyc in the zip, ours from the hash-based pycs of pycache.bundle.gz beside the wheels'."""
    page = browser.call("run", BYTECODE_FACTS)
    assert [n["label"] for n in page["nodes"]] == ["stdlib True ours True"]
    startup = browser.driver.execute_script("return window.playground.timings.worker")
    assert startup["totalMs"] > startup["pyodideMs"] > 0 and startup["wheelsMs"] > 0


def test_fifty_training_steps_lower_the_loss_and_move_the_boundary(browser: Browser) -> None:
    browser.call("mode", "training")
    start = browser.call("trainReset", [8], "adam", 0.05)
    losses = browser.call("train", 50)
    state = browser.driver.execute_script("return window.playground.trainState()")
    assert len(losses) == 50 and losses[-1] < 0.8 * losses[0]
    assert max(abs(a - b) for a, b in zip(start["boundary"], state["boundary"])) > 0.05
    trainer = app.Trainer((8,), "adam", 0.05)
    assert close(losses[0], trainer.step(1)[0])  # the same first step as CPython's
    layers = browser.driver.find_elements("css selector", "#layers .layer")
    assert len(layers) == 2
    assert "dW1 = δ1 · a0ᵀ" in layers[0].text
    cell = browser.driver.find_element("css selector", "#layers .layer .heat div")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait
    ActionChains(browser.driver).move_to_element(cell).perform()
    hover = browser.text("hover")
    assert ".grad += " in hover and "L1.n1.w1" in hover
    # Play trains in steps of 5 until Pause
    browser.driver.find_element("id", "train-play").click()
    WebDriverWait(browser.driver, LOAD_TIMEOUT).until(lambda d: d.execute_script(
        "return window.playground.trainState().steps") >= 55)
    browser.driver.find_element("id", "train-play").click()
    WebDriverWait(browser.driver, LOAD_TIMEOUT).until(lambda d: "Play" in d.find_element(
        "id", "train-play").text)
    chosen = browser.call("choose", 7)
    steps = browser.driver.execute_script("return window.playground.trainState().steps")
    assert steps % 5 == 0 and steps >= 55
    time.sleep(2)  # paused: no more steps arrive
    assert browser.driver.execute_script("return window.playground.trainState().steps") == steps
    assert chosen["sample"] == 7 and chosen["sample_text"].startswith("sample 7:")
    assert browser.driver.find_elements("css selector", "#train-graph svg g.node")


def test_no_console_errors_and_every_request_same_origin(browser: Browser) -> None:
    browser.close()  # Chromium writes the whole net log on exit
    errors = [e for e in browser.logs if e["level"] == "SEVERE"]
    assert not errors, errors
    origin = urlsplit(browser.url)
    text = browser.net_log.read_text(encoding="utf-8")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short ends without its closing brackets
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requests = [e["params"] for e in log["events"]
                if e["type"] == start_job and "url" in e.get("params", {})]
    # Requests the page and its worker make carry the page's origin as their initiator;
    # Chromium's own (updates, time, autofill hints) have "not an origin".
    page_origin = f"{origin.scheme}://{origin.netloc}"
    made = [p for p in requests if p.get("initiator") not in (None, "not an origin")]
    assert {p["initiator"] for p in made} == {page_origin}, {p["initiator"] for p in made}
    ours = [p["url"] for p in made]
    paths = {urlsplit(u).path for u in ours}
    for needed in ("/pyodide/pyodide.asm.wasm", "/pyodide/python_stdlib.zip.gz", "/app.py",
                   "/pycache.bundle.gz", "/vendor/viz.js", "/wheels.json"):
        assert needed in paths, (needed, sorted(paths))  # the worker's requests are here
    assert any(p.startswith("/wheels/micrograd_nn-") for p in paths)
    foreign = [u for u in ours if urlsplit(u).netloc != origin.netloc
               or urlsplit(u).scheme != origin.scheme]
    assert not foreign, foreign
