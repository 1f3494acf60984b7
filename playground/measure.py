"""Measure the built playground in headless Chromium: ``python playground/measure.py``.

Prints the figures the README's "Playground" section quotes, with their conditions:
the built site's size, first load to the first drawn graph (and where it goes: the page
and the worker's script, Pyodide starting, the wheels and our precompiled bytecode,
importing app.py, the first Run and its layout), the time from a leaf change to
the updated diagram on a 106-node graph (and Python's share of it in Pyodide against the
same code in CPython), and training steps per second of the 2-8-1 moons MLP in Pyodide
against CPython. Each run uses a fresh browser profile (a cold load) and alternates the
Pyodide and CPython timings, so a busy machine slows both alike.

Options: ``--site OUT`` measures an already built site (default: build one into a temp
dir), ``--runs N`` (default 5), ``--screenshots DIR`` writes each mode's screenshots at the
start, a middle and the end (first run only).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
HIDDEN = 11  # MLP 2-11-1's squared error on one sample: 106 nodes
GRAPH_SOURCE = f"""\
from micrograd_nn import MLP, Value

model = MLP(2, [{HIDDEN}, 1], activation="tanh", seed=0)
x = [Value(0.5, "x1"), Value(-1.0, "x2")]
((model(x) - 1.0) ** 2).named("loss")
"""
LEAF = "L1.n1.w1"
SETS = 30
TRAIN_STEPS = 30
TARGETS = {"size_mb": 16.0, "load_s": 5.0, "set_ms": 60.0, "train_ratio": 1 / 3}

# The lines the README quotes: tests/test_playground.py holds the README to these formats.
FIGURE_FORMATS = {
    "size": "built site: {size_mb:.1f} MB (target ≤ 16 MB)",
    "load": ("first load to first drawn graph: median {load_med:.1f} s, range "
             "{load_lo:.1f}–{load_hi:.1f} s (target ≤ 5 s); CPython starting and importing "
             "the same app.py: {start_med:.2f} s (ratio {load_ratio_lo:.3f}–{load_ratio_hi:.3f})"),
    "split": ("first load split (medians): page and worker script {split_page:.2f} s, "
              "Pyodide starting {split_pyodide:.2f} s, wheels and our bytecode "
              "{split_wheels:.2f} s, importing app.py {split_import:.2f} s, the first Run "
              "and its layout {split_graph:.2f} s"),
    "set": ("leaf change to updated diagram ({nodes} nodes): median {set_med:.0f} ms, runs' "
            "medians {set_lo:.0f}–{set_hi:.0f} ms (target ≤ 60 ms); Python's part "
            "{py_set_pyodide:.0f} ms in Pyodide vs {py_set_cpython:.0f} ms in CPython "
            "(ratio {set_ratio_lo:.2f}–{set_ratio_hi:.2f})"),
    "train": ("training the 2-8-1 moons MLP: Pyodide {tp_lo:.1f}–{tp_hi:.1f} steps/s, "
              "CPython {tc_lo:.1f}–{tc_hi:.1f} steps/s: ratio {tr_lo:.2f}–{tr_hi:.2f} "
              "(target ≥ 0.33)"),
}


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"playground_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CHROME = load("chromium")  # how every browser run here starts Chromium


def browser(tmp: Path) -> Any:
    """A fresh headless Chromium (chromium.py: the options every browser run here uses)."""
    driver = CHROME.start(tmp, console=False)
    driver.set_script_timeout(300)
    return driver


def page_call(driver: Any, expr: str, *args: Any) -> Any:
    """``await window.playground.<expr>(...args)``; RuntimeError with the page's message."""
    target = "window.playground.ready" if expr == "ready" else f"window.playground.{expr}(...args)"
    reply = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; const args = arguments[0];"
        f"Promise.resolve().then(() => {target}).then((r) => done({{ok: true, r: r ?? null}}),"
        " (e) => done({ok: false, e: String(e && e.message || e)}));", list(args))
    if not reply["ok"]:
        raise RuntimeError(reply["e"])
    return reply["r"]


def shot(driver: Any, folder: Path | None, name: str) -> None:
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(folder / f"{name}.png"))


def one_run(url: str, app: ModuleType, screenshots: Path | None) -> dict[str, Any]:
    """One cold load and the timings after it, Pyodide and CPython alternating."""
    with tempfile.TemporaryDirectory() as tmp:
        driver = browser(Path(tmp))
        try:
            driver.get(url)
            page_call(driver, "ready")
            timings = driver.execute_script("return window.playground.timings")
            cpython_start = cpython_start_seconds()
            shot(driver, screenshots, "expression-1-start")
            state = page_call(driver, "run", GRAPH_SOURCE)
            nodes = len(state["nodes"])
            values = [0.5 + 0.01 * k for k in range(SETS)]
            page_ms, python_ms = [], []
            for x in values:
                page_call(driver, "set", LEAF, x)
                t = driver.execute_script("return window.playground.timings")
                page_ms.append(t["lastSetMs"])
                python_ms.append(t["lastPythonMs"])
            cpython_ms = app.time_set(app.Expression(GRAPH_SOURCE), LEAF, values)
            if screenshots is not None:
                screenshots_of_modes(driver, screenshots)
            pyodide_train = page_call(driver, "measure", "time_train", TRAIN_STEPS)
            cpython_train = app.time_training(TRAIN_STEPS)
        finally:
            driver.quit()
    worker = timings["worker"]
    split = {"split_page": (timings["pythonMs"] - worker["totalMs"]) / 1000,
             "split_pyodide": worker["pyodideMs"] / 1000,
             "split_wheels": worker["wheelsMs"] / 1000,
             "split_import": worker["importMs"] / 1000,
             "split_graph": (timings["firstGraphMs"] - timings["pythonMs"]) / 1000}
    return {"load_s": timings["firstGraphMs"] / 1000, **split,
            "start_s": cpython_start, "nodes": nodes,
            "set_ms": statistics.median(page_ms),
            "py_set_pyodide": statistics.median(python_ms),
            "py_set_cpython": statistics.median(cpython_ms),
            "train_pyodide": pyodide_train["steps_per_s"],
            "train_cpython": cpython_train["steps_per_s"]}


def cpython_start_seconds() -> float:
    """Wall time of a fresh CPython that imports app.py (micrograd_nn, its viz, graphviz)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                    "import app"], check=True)
    return time.perf_counter() - start


def screenshots_of_modes(driver: Any, folder: Path) -> None:
    """Expression mode after dragging a weight's slider, mid-way and at the end of stepping;
    training at its start, after 25 steps and after 150 (the last with a layer-view entry
    hovered)."""
    from selenium.webdriver.common.action_chains import ActionChains

    page_call(driver, "run", load_app_presets()["2-3-1 MLP, squared error on one sample"])
    # a real drag of a weight's slider: the diagram patched in place after each value
    slider = driver.find_element("css selector", '#leaves input[type=range][data-label="L1.n2.w1"]')
    ActionChains(driver).click_and_hold(slider).move_by_offset(40, 0).pause(0.2).move_by_offset(
        30, 0).release().perform()
    time.sleep(1.0)  # the last value's round trip
    shot(driver, folder, "expression-2-after-drag")
    page_call(driver, "set", "L1.n2.w1", 0.75)
    steps = page_call(driver, "steps")
    page_call(driver, "step", len(steps) // 3)
    shot(driver, folder, "expression-2-middle-forward")
    page_call(driver, "step", 2 * len(steps) // 3)
    shot(driver, folder, "expression-2-middle-backward")
    page_call(driver, "step", len(steps) - 1)
    page_call(driver, "check")
    shot(driver, folder, "expression-3-end")
    page_call(driver, "mode", "training")
    page_call(driver, "trainReset", [8], "adam", 0.05)
    shot(driver, folder, "training-1-start")
    page_call(driver, "train", 25)
    shot(driver, folder, "training-2-middle")
    page_call(driver, "train", 125)
    cell = driver.find_elements("css selector", "#layers .layer .heat div")[-1]
    ActionChains(driver).move_to_element(cell).perform()
    shot(driver, folder, "training-3-end")
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    shot(driver, folder, "training-3-end-layers")
    page_call(driver, "mode", "expression")


def load_app_presets() -> dict[str, str]:
    return dict(sys.modules["playground_app"].PRESETS)


def conditions(runs: int) -> str:
    chromium = subprocess.run([CHROME.find(CHROME.CHROMIUM) or "chromium", "--version"],
                              capture_output=True, text=True, check=False).stdout.strip()
    load1 = os.getloadavg()[0]
    return (f"conditions: {chromium}, headless; Pyodide (CPython 3.14 in WebAssembly) vs "
            f"CPython {platform.python_version()}; {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {load1:.1f} at the start; {runs} runs, "
            f"each a cold load in a fresh browser profile")


def summary(results: list[dict[str, Any]], size_bytes: int) -> dict[str, str]:
    def lo_hi(key: str) -> tuple[float, float]:
        xs = [r[key] for r in results]
        return min(xs), max(xs)

    ratios_train = [r["train_pyodide"] / r["train_cpython"] for r in results]
    ratios_set = [r["py_set_cpython"] / r["py_set_pyodide"] for r in results]
    fields = {
        "size_mb": size_bytes / 1e6,
        "load_med": statistics.median(r["load_s"] for r in results),
        "load_lo": lo_hi("load_s")[0], "load_hi": lo_hi("load_s")[1],
        "start_med": statistics.median(r["start_s"] for r in results),
        "load_ratio_lo": min(r["start_s"] / r["load_s"] for r in results),
        "load_ratio_hi": max(r["start_s"] / r["load_s"] for r in results),
        **{key: statistics.median(r[key] for r in results) for key in results[0]
           if key.startswith("split_")},
        "nodes": results[0]["nodes"],
        "set_med": statistics.median(r["set_ms"] for r in results),
        "set_lo": lo_hi("set_ms")[0], "set_hi": lo_hi("set_ms")[1],
        "py_set_pyodide": statistics.median(r["py_set_pyodide"] for r in results),
        "py_set_cpython": statistics.median(r["py_set_cpython"] for r in results),
        "set_ratio_lo": min(ratios_set), "set_ratio_hi": max(ratios_set),
        "tp_lo": lo_hi("train_pyodide")[0], "tp_hi": lo_hi("train_pyodide")[1],
        "tc_lo": lo_hi("train_cpython")[0], "tc_hi": lo_hi("train_cpython")[1],
        "tr_lo": min(ratios_train), "tr_hi": max(ratios_train),
    }
    return {key: fmt.format(**fields) for key, fmt in FIGURE_FORMATS.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="write screenshots here (first run)")
    args = parser.parse_args(argv)
    app = load("app")
    build, serve = load("build"), load("serve")
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site.resolve() if args.site else build.build(Path(tmp) / "site", quiet=True)
        size_bytes = build.size(site)
        httpd = serve.server(site, 0, quiet=True)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{httpd.server_address[1]}/"
        head = conditions(args.runs)
        results = []
        try:
            for k in range(args.runs):
                started = time.monotonic()
                results.append(one_run(url, app, args.screenshots if k == 0 else None))
                print(f"run {k + 1}/{args.runs}: " + ", ".join(
                    f"{key} {value:.3g}" for key, value in results[-1].items())
                    + f" ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
        finally:
            httpd.shutdown()
            httpd.server_close()
    print(f"{head}; load average {os.getloadavg()[0]:.1f} at the end")
    for line in summary(results, size_bytes).values():
        print(line)


if __name__ == "__main__":
    main()
