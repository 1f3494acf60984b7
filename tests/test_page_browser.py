"""The step-through page in a real headless Chromium, on a 2-16-16-1 MLP's loss (711 nodes,
742 steps): slider, keys, play, click-to-step, zoom, the current node kept in view, and the
page inside an iframe's srcdoc (as viz.player shows it). Then pages whose labels and op names
are hostile to HTML (``<!--``, ``</script>``, U+2028), on their own and in the notebook
player, and the view a page opens on: small graphs whole and readable at 1400×900 and at the
player's size, the 2-16-16-1 page at 1:1 on its first input.

Skips when selenium, chromium or chromedriver is missing, except under CI=true, where
it fails: CI installs them, so a skip there would hide a broken page.
"""

from __future__ import annotations

import html
import importlib.util
import os
import time
from pathlib import Path
from types import ModuleType

import pytest

from micrograd_nn import MLP, Value, viz

ROOT = Path(__file__).resolve().parent.parent


def chromium_module() -> ModuleType:
    """playground/chromium.py (by file: playground/ is not a package): how every browser run
    of this project starts Chromium."""
    spec = importlib.util.spec_from_file_location("playground_chromium",
                                                  ROOT / "playground" / "chromium.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so the browser test must run, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    chromium = chromium_module()
    reason = chromium.missing()
    if reason:
        skip_or_fail(reason)
    browser = chromium.start(tmp_path_factory.mktemp("chromium-profile"), window="1280,900")
    yield browser
    browser.quit()


def mlp_loss() -> Value:
    model = MLP(2, [16, 16, 1], seed=1)
    y = model.scalar([Value(0.5, "x1"), Value(-1.0, "x2")]).named("y")
    return ((y - 1.0) ** 2).named("loss")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return viz.backward_html(mlp_loss(), tmp_path_factory.mktemp("page") / "mlp.html")


@pytest.fixture
def loaded(driver, page):
    driver.get(page.resolve().as_uri())
    yield driver
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def player(driver) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    el = driver.find_element(By.ID, "player")
    return {k: el.get_attribute(f"data-{k}") for k in
            ("step", "total", "phase", "node", "node-id", "scale", "playing")}


def step(driver) -> int:
    return int(player(driver)["step"])


def press(driver, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.TAG_NAME, "body").send_keys(key)


def slide(driver, value: int) -> None:
    driver.execute_script("var s = document.getElementById('slider'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('input'));", value)


def node_in_view(driver, node_id: str) -> bool:
    """The node's box lies inside the diagram pane and the window."""
    return driver.execute_script("""
        var r = document.getElementById(arguments[0]).getBoundingClientRect();
        var c = document.getElementById('diagram').getBoundingClientRect();
        return r.width > 0 && r.left >= c.left && r.right <= c.right && r.top >= c.top &&
               r.bottom <= c.bottom && c.right <= window.innerWidth &&
               c.bottom <= window.innerHeight;""", node_id)


def test_slider_moves_through_forward_then_backward(loaded):
    from selenium.webdriver.common.by import By

    state = player(loaded)
    assert state["step"] == "0" and state["total"] == "742" and state["phase"] == "forward"
    assert loaded.find_element(By.ID, "slider").get_attribute("type") == "range"
    slide(loaded, 371)  # the last forward step computes the loss
    state = player(loaded)
    assert state["phase"] == "forward" and state["node"] == "loss"
    # The core names unnamed nodes by op and position (it was "n368" before the new layout).
    assert "loss = sub#1 ** 2" in loaded.find_element(By.ID, "equation").text
    slide(loaded, 372)  # the first backward step: the loss passes its grad 1 back
    state = player(loaded)
    assert state["phase"] == "backward" and state["node"] == "loss"
    assert "* loss.grad = 3.1476 * 1.0000 = 3.1476" in loaded.find_element(By.ID, "lines").text
    assert loaded.find_element(By.ID, "step-counter").text == "Step 372 / 742"


def test_forward_shows_values_only_once_computed(loaded):
    def data_text(node_id: str) -> str:
        return loaded.execute_script(
            "return [].map.call(document.getElementById(arguments[0])"
            ".getElementsByTagName('text'), function (t) { return t.textContent; })"
            ".join('|');", node_id)

    slide(loaded, 30)
    current = player(loaded)["node-id"]
    assert "data ?" not in data_text(current)
    slide(loaded, 29)
    assert "data ?" in data_text(current)
    assert "pending" in loaded.find_element("id", current).get_attribute("class")


def test_arrow_keys_home_end_and_buttons(loaded):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    press(loaded, Keys.ARROW_RIGHT)
    press(loaded, Keys.ARROW_RIGHT)
    assert step(loaded) == 2
    press(loaded, Keys.ARROW_LEFT)
    assert step(loaded) == 1
    press(loaded, Keys.END)
    assert step(loaded) == 742 and not loaded.find_element(By.ID, "next").is_enabled()
    assert "Done: d loss / d leaf" in loaded.find_element(By.ID, "lines").text
    loaded.find_element(By.ID, "prev").click()
    assert step(loaded) == 741
    press(loaded, Keys.HOME)
    assert step(loaded) == 0 and not loaded.find_element(By.ID, "prev").is_enabled()
    loaded.find_element(By.ID, "next").click()
    assert step(loaded) == 1


def test_play_advances_until_paused(loaded):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(loaded.find_element(By.ID, "speed")).select_by_value("30")
    loaded.find_element(By.ID, "play").click()
    deadline = time.monotonic() + 10
    while step(loaded) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert player(loaded)["playing"] == "true" and step(loaded) >= 3
    loaded.find_element(By.ID, "play").click()
    paused = step(loaded)
    time.sleep(0.3)
    assert step(loaded) == paused and player(loaded)["playing"] == "false"


def inputs_of(driver, node_id: str) -> list[str]:
    return driver.execute_script(
        "var d = JSON.parse(document.getElementById('steps-data').textContent);"
        "return d.inputs[+arguments[0].slice(1)].map(function (i) { return 'v' + i; });",
        node_id)


def click_node(driver, node_id: str) -> None:
    from selenium.webdriver.common.by import By

    assert node_in_view(driver, node_id), f"{node_id} is not on screen to be clicked"
    driver.find_element(By.CSS_SELECTOR, f"#{node_id} text").click()


def test_clicking_a_node_jumps_to_its_step(loaded):
    from selenium.webdriver.common.keys import Keys

    slide(loaded, 30)  # forward: a product of a weight and an activation; a leaf jumps to step 0
    weight = inputs_of(loaded, player(loaded)["node-id"])[0]
    click_node(loaded, weight)
    assert step(loaded) == 0
    slide(loaded, 400)  # backward: a product of a layer-2 weight and an activation
    weight = inputs_of(loaded, player(loaded)["node-id"])[0]
    press(loaded, Keys.ARROW_RIGHT)  # the next product of the same neuron
    neighbour = player(loaded)["node-id"]
    click_node(loaded, weight)  # a leaf: the last step that added to its grad
    assert step(loaded) == 400
    click_node(loaded, neighbour)  # an op node: the step that passes its grad on
    assert step(loaded) == 401


def test_zoom_buttons_and_wheel_keep_the_current_node_in_view(loaded):
    from selenium.webdriver.common.by import By

    slide(loaded, 500)
    node_id = player(loaded)["node-id"]
    scale = float(player(loaded)["scale"])
    loaded.find_element(By.ID, "zoom-in").click()
    assert float(player(loaded)["scale"]) == pytest.approx(scale * 1.25, rel=1e-3)
    assert node_in_view(loaded, node_id)
    loaded.find_element(By.ID, "zoom-out").click()
    loaded.find_element(By.ID, "zoom-out").click()
    assert float(player(loaded)["scale"]) < scale and node_in_view(loaded, node_id)
    loaded.execute_script("""
        var c = document.getElementById('diagram').getBoundingClientRect();
        document.getElementById('diagram').dispatchEvent(new WheelEvent('wheel',
          {deltaY: 400, clientX: c.left + 50, clientY: c.top + 50, bubbles: true,
           cancelable: true}));""")
    wheeled = float(player(loaded)["scale"])
    assert wheeled < scale * 0.8 * 0.8 * 1.0001
    loaded.find_element(By.ID, "zoom-fit").click()
    assert float(player(loaded)["scale"]) < wheeled  # the whole tall graph
    loaded.find_element(By.ID, "zoom-1").click()
    assert float(player(loaded)["scale"]) == 1.0


def test_screenshot_current_node_is_visible(loaded, tmp_path):
    from selenium.webdriver.common.keys import Keys

    for target in (1, 200, 450, 742):
        slide(loaded, target)
        assert node_in_view(loaded, player(loaded)["node-id"]), target
    press(loaded, Keys.HOME)
    slide(loaded, 560)
    press(loaded, Keys.ARROW_RIGHT)
    node_id = player(loaded)["node-id"]
    assert node_in_view(loaded, node_id)
    shot = tmp_path / "step-561.png"
    assert loaded.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"
    # The equation and chain-rule lines sit beside the diagram, above the fold.
    aside = loaded.execute_script(
        "var r = document.getElementById('lines').getBoundingClientRect();"
        "return [r.top, window.innerHeight];")
    assert aside[0] < aside[1]


def test_page_works_inside_an_iframe_srcdoc(driver, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    x = Value(0.5, "x")
    page = viz.step_page((x * x).tanh().named("y"))
    host = tmp_path / "host.html"
    host.write_text(f'<!DOCTYPE html><iframe id="f" style="width:900px;height:500px" '
                    f'srcdoc="{html.escape(page, quote=True)}"></iframe>', encoding="utf-8")
    driver.get(host.resolve().as_uri())
    driver.switch_to.frame(driver.find_element(By.ID, "f"))
    try:
        driver.find_element(By.ID, "next").click()
        press(driver, Keys.ARROW_RIGHT)
        state = player(driver)
        assert state["step"] == "2" and state["node"] == "y" and state["total"] == "4"
        assert node_in_view(driver, "v2")
    finally:
        driver.switch_to.default_content()


# --- hostile labels, and the view the page opens on --------------------------------------

HOSTILE = ["<!--", "</script>", "<script>alert(1)</script>", "a\u2028b\u2029c", "-->",
           "&amp;", "{{data}}", "\\", "\"'"]


def hostile_graph() -> Value:
    from micrograd_nn import custom_op

    op = custom_op("plus_one", lambda x: x + 1.0, lambda x: 1.0)
    op.op_class.op = "<!--op-->"  # refused by custom_op; an Op subclass may still carry it
    op.op_class.expr = "<!--op-->({args})"
    out = Value(0.5, HOSTILE[0])
    for label in HOSTILE[1:]:
        out = (out * 1.5).named(label)
    return op(out).named("</script><!--")


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def check_hostile_page_steps(driver) -> None:
    from selenium.webdriver.common.by import By

    state = player(driver)
    assert state["total"] == "18" and state["step"] == "0"  # 9 ops: 9 steps each way
    names = driver.execute_script(
        "return JSON.parse(document.getElementById('steps-data').textContent).names;")
    assert set(HOSTILE) <= set(names) and "</script><!--" in names
    driver.find_element(By.ID, "next").click()
    assert player(driver)["node"] == "</script>"
    slide(driver, 9)
    assert player(driver)["node"] == "</script><!--"
    assert driver.find_element(By.ID, "equation").text == '</script><!-- = <!--op-->("\')'
    slide(driver, 18)
    assert step(driver) == 18 and "<!--.grad = " in driver.find_element(By.ID, "lines").text


def test_hostile_labels_and_op_names_leave_the_page_working(driver, tmp_path):
    driver.get_log("browser")  # drop what earlier pages logged
    root = hostile_graph()
    path = viz.backward_html(root, tmp_path / "hostile.html")
    driver.get(path.resolve().as_uri())
    check_hostile_page_steps(driver)
    assert driver.title == f"Forward and backward through </script><!-- = {root.data:.4f}"
    assert severe(driver) == []


def test_hostile_labels_leave_the_notebook_player_working(driver, tmp_path):
    from selenium.webdriver.common.by import By

    driver.get_log("browser")
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><body>{viz.player(hostile_graph())._repr_html_()}</body>",
                    encoding="utf-8")
    driver.get(host.resolve().as_uri())
    driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
    try:
        check_hostile_page_steps(driver)
    finally:
        driver.switch_to.default_content()
    assert severe(driver) == []


class viewport:
    """The page's window at a given size in CSS pixels (Chromium's device metrics)."""

    def __init__(self, driver, width: int, height: int) -> None:
        self.driver, self.size = driver, {"width": width, "height": height}

    def __enter__(self):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            **self.size, "deviceScaleFactor": 1, "mobile": False})
        return self.driver

    def __exit__(self, *exc) -> None:
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# The diagram's text is 11 SVG units high; at this scale it is 9 CSS pixels.
READABLE = 9 / 11


def whole_graph_in_view(driver) -> bool:
    return driver.execute_script("""
        var c = document.getElementById('diagram').getBoundingClientRect();
        return [].every.call(document.querySelectorAll('#diagram g.node'), function (g) {
          var r = g.getBoundingClientRect();
          return r.left >= c.left && r.right <= c.right && r.top >= c.top &&
                 r.bottom <= c.bottom;
        });""")


def small_graphs() -> dict[str, Value]:
    from test_viz import neuron

    from micrograd_nn.__main__ import leaves, neuron_from

    return {"neuron": neuron()[0], "tour": neuron_from(*leaves())}


@pytest.mark.parametrize("name", ["neuron", "tour"])
def test_a_small_graph_opens_whole_and_readable_at_1400_by_900(driver, tmp_path, name):
    path = viz.backward_html(small_graphs()[name], tmp_path / f"{name}.html")
    with viewport(driver, 1400, 900):
        driver.get(path.resolve().as_uri())
        assert whole_graph_in_view(driver)
        assert float(player(driver)["scale"]) >= READABLE
        press(driver, "\ue010")  # End: the last step keeps the whole graph in view
        assert whole_graph_in_view(driver)


def test_the_neuron_opens_whole_and_readable_in_the_notebook_player(driver, tmp_path):
    from selenium.webdriver.common.by import By

    shown = viz.player(small_graphs()["neuron"])
    host = tmp_path / "notebook.html"
    # A notebook's output area is about 900 CSS pixels wide.
    host.write_text(f'<!DOCTYPE html><body style="margin:0; width:900px">'
                    f'{shown._repr_html_()}</body>', encoding="utf-8")
    with viewport(driver, 1000, 800):
        driver.get(host.resolve().as_uri())
        driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
        try:
            assert whole_graph_in_view(driver)
            assert float(player(driver)["scale"]) >= READABLE
        finally:
            driver.switch_to.default_content()


def test_a_graph_too_large_to_read_whole_opens_readable_on_its_first_input(driver, page):
    with viewport(driver, 1400, 900):
        driver.get(page.resolve().as_uri())
        state = player(driver)
        assert float(state["scale"]) == 1.0 and state["step"] == "0"
        first = driver.execute_script(
            "return 'v' + JSON.parse(document.getElementById('steps-data').textContent).first;")
        assert node_in_view(driver, first)
        loaded_fit = driver.execute_script(
            "var b = document.getElementById('diagram'), s = b.querySelector('svg');"
            "return Math.min(b.clientWidth / s.viewBox.baseVal.width,"
            "                b.clientHeight / s.viewBox.baseVal.height);")
        assert loaded_fit < READABLE  # whole, its text would be too small to read
