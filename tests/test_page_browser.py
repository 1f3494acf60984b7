"""The backward page in a real headless Chromium: Next/Previous and the arrow keys move the
step counter and the highlighted node.

Skips when selenium, chromium or chromedriver is missing, except under CI=true, where
it fails: CI installs them, so a skip there would hide a broken page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_viz import neuron

from micrograd_nn import viz

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
# The sandbox here has no network: keep Chromium from trying to reach one.
CHROME_ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--window-size=1280,900")


def find(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = name if os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so the browser test must run, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        skip_or_fail("selenium is not installed (pip install selenium)")
    chromium, chromedriver = find(CHROMIUM), find(CHROMEDRIVER)
    if chromium is None or chromedriver is None:
        skip_or_fail("chromium or chromedriver is not installed "
                     "(apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    o, _ = neuron()
    return viz.backward_html(o, tmp_path_factory.mktemp("page") / "backward.html")


def state(driver) -> tuple[str, str, str]:
    """Counter text, the player's data-node, and the id of the visible highlighted node."""
    from selenium.webdriver.common.by import By

    counter = driver.find_element(By.ID, "step-counter").text
    node = driver.find_element(By.ID, "player").get_attribute("data-node")
    marks = [g for g in driver.find_elements(By.CSS_SELECTOR, "g.node.highlight")
             if g.is_displayed()]
    return counter, node, ",".join(g.get_attribute("id") for g in marks)


def test_next_previous_and_arrow_keys_move_through_the_steps(driver, page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(page.resolve().as_uri())
    assert state(driver) == ("Step 0 / 4", "", "")
    assert not driver.find_element(By.ID, "prev").is_enabled()

    driver.find_element(By.ID, "next").click()
    assert state(driver) == ("Step 1 / 4", "o", "s1-v8")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    assert state(driver) == ("Step 2 / 4", "n", "s2-v7")
    visible = [f for f in driver.find_elements(By.CLASS_NAME, "frame") if f.is_displayed()]
    assert len(visible) == 1 and "w1x1.grad += 1 * n.grad" in visible[0].text

    driver.find_element(By.ID, "prev").click()
    assert state(driver) == ("Step 1 / 4", "o", "s1-v8")
    body.send_keys(Keys.ARROW_LEFT)
    assert state(driver) == ("Step 0 / 4", "", "")
    body.send_keys(Keys.END)
    assert state(driver)[0] == "Step 4 / 4"
    assert not driver.find_element(By.ID, "next").is_enabled()
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
