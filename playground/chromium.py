"""How this project starts a headless Chromium: the playground's measurement
(``measure.py``) and the browser tests (``tests/test_playground.py``,
``tests/test_page_browser.py``) all start it here, with the same options.

The machines it runs on may have no network (and CI runs as root), so the options keep
Chromium from reaching for one and from needing a sandbox; every run gets a fresh profile
folder, so nothing is cached between runs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMEDRIVER = ("/usr/bin/chromedriver", "chromedriver")
ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync")


def find(candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that is an executable path or a command on PATH."""
    for name in candidates:
        found = name if os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def missing() -> str | None:
    """Why a headless Chromium cannot be started here (what to install), or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if find(CHROMIUM) is None or find(CHROMEDRIVER) is None:
        return ("chromium or chromedriver is not installed "
                "(apt-get install chromium chromium-driver)")
    return None


def start(profile: Path, window: str = "1400,1000", extra: Sequence[str] = (),
          console: bool = True) -> Any:
    """A new headless Chromium driven by selenium, with a fresh profile in ``profile``
    (an empty folder), its window ``window`` pixels, ``extra`` command-line options
    (e.g. ``--log-net-log=FILE``) and, with ``console``, the page's console kept for
    ``driver.get_log("browser")``. RuntimeError saying what to install when it cannot."""
    reason = missing()
    if reason:
        raise RuntimeError(f"cannot start Chromium: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = find(CHROMIUM)
    for arg in (*ARGS, f"--window-size={window}", f"--user-data-dir={profile}", *extra):
        options.add_argument(arg)
    if console:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(find(CHROMEDRIVER)), options=options)
