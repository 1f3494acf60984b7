"""The package as users get it: the sdist and the wheel built from a clean copy of the
repository, and the wheel installed into a fresh virtual environment outside it.

The sdist ships no tests (they need the whole repository: examples, docs, README,
benchmarks); it is whole when the wheel builds from it, which is how ``python -m build``
makes the wheel. Needs the ``build`` package (in the ``test`` extra) and, for the typed-user
check, mypy; without them these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
VERSION = next(node.value.value for node in ast.parse(
    (REPO / "micrograd_nn" / "__init__.py").read_text(encoding="utf-8")).body
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    and any(isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets))
DIST_INFO = f"micrograd_nn-{VERSION}.dist-info"


def skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so this must run, but {reason}")
    pytest.skip(reason)


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build`` output (sdist, then the wheel built from it) for a copy of the
    files a fresh clone would hold: tracked and new files, nothing git ignores."""
    try:
        import build  # noqa: F401
    except ImportError:
        skip_or_fail("the build package is not installed (pip install build)")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path_factory.mktemp("clone")
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO)
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, clone / name)
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, clone)
    return out


def wheel_path(dist: Path) -> Path:
    (wheel,) = dist.glob("*.whl")
    return wheel


def metadata(dist: Path) -> Message:
    with zipfile.ZipFile(wheel_path(dist)) as wheel:
        text = wheel.read(f"{DIST_INFO}/METADATA").decode("utf-8")
    return HeaderParser().parsestr(text)


PLUGIN = "pydevd_plugins/extensions/pydevd_plugin_micrograd_nn.py"


def test_wheel_installs_one_package_with_viz_inside_its_license_and_py_typed(dist):
    with zipfile.ZipFile(wheel_path(dist)) as wheel:
        names = set(wheel.namelist())
        license_text = wheel.read(f"{DIST_INFO}/licenses/LICENSE").decode("utf-8")
        top_level = wheel.read(f"{DIST_INFO}/top_level.txt").decode("utf-8").split()
    # the one package, and the debugger extension as a namespace portion of pydevd's
    assert {name.split("/")[0] for name in names} == {"micrograd_nn", "pydevd_plugins",
                                                     DIST_INFO}
    assert top_level == ["micrograd_nn", "pydevd_plugins"]
    package = {name for name in names if name.startswith("micrograd_nn/")}
    expected = {f"micrograd_nn/{p.name}" for p in (REPO / "micrograd_nn").glob("*.py")}
    expected |= {f"micrograd_nn/viz/{p.name}" for p in (REPO / "viz").glob("*.py")}
    # The step page's HTML, CSS and JS, inlined into each page it writes.
    expected |= {f"micrograd_nn/viz/assets/{p.name}" for p in (REPO / "viz" / "assets").iterdir()}
    assert package == expected | {"micrograd_nn/py.typed"}
    assert license_text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in license_text


def test_wheel_ships_the_debugger_extension_without_an_init_of_pydevds_packages(dist):
    # pydevd (debugpy, PyCharm) finds pydevd_plugins/extensions/pydevd_plugin*.py on
    # sys.path; an __init__.py of ours would overwrite pydevd's own when pydevd is
    # pip-installed, and uninstalling micrograd_nn would delete it.
    with zipfile.ZipFile(wheel_path(dist)) as wheel:
        names = {name for name in wheel.namelist() if name.startswith("pydevd_plugins/")}
    assert names == {PLUGIN}


PLUGIN_CHECK = r"""
import pkgutil, sys, types
from pathlib import Path
# pydevd's own package layout, as pydevd ships it: both __init__.py extend their path.
root = Path(sys.argv[1])
for sub in ("pydevd_plugins", "pydevd_plugins/extensions", "_pydevd_bundle"):
    (root / sub).mkdir(parents=True, exist_ok=True)
for sub in ("pydevd_plugins", "pydevd_plugins/extensions"):
    (root / sub / "__init__.py").write_text(
        "import pkgutil\n__path__ = pkgutil.extend_path(__path__, __name__)\n")
(root / "_pydevd_bundle" / "__init__.py").write_text("")
(root / "_pydevd_bundle" / "pydevd_extension_api.py").write_text(
    "import abc\nclass TypeResolveProvider(abc.ABC): pass\n"
    "class StrPresentationProvider(abc.ABC): pass\n")
sys.path.insert(0, str(root))
import pydevd_plugins.extensions as extensions
# what pydevd's ExtensionManager does
found = [name for _, name, ispkg in pkgutil.walk_packages(extensions.__path__, "pydevd_plugins."
         "extensions.") if not ispkg and name.split(".")[-1].startswith("pydevd_plugin")]
for name in found:
    __import__(name)
print(found)
print("micrograd_nn" in sys.modules)
"""


def test_installed_extension_is_found_the_way_pydevd_looks_and_imports_no_micrograd_nn(
        venv_python, tmp_path):
    lines = run(venv_python, "-c", PLUGIN_CHECK, tmp_path / "pydevd", cwd=tmp_path).splitlines()
    assert lines == ["['pydevd_plugins.extensions.pydevd_plugin_micrograd_nn']", "False"]


def test_sdist_holds_what_builds_the_wheel_and_no_tests(dist):
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not any(name.startswith("tests") for name in names)
    assert {"LICENSE", "README.md", "setup.cfg", "setup.py", "pyproject.toml",
            "micrograd_nn/py.typed", "viz/__init__.py", "viz/assets/page.js"} <= names


def test_metadata_version_license_classifiers_and_a_description_pypi_can_show(dist):
    meta = metadata(dist)
    assert meta["Version"] == VERSION
    assert meta["License"] == "MIT" and meta["License-File"] == "LICENSE"
    assert meta["Description-Content-Type"] == "text/markdown"
    classifiers = set(meta.get_all("Classifier"))
    assert "Typing :: Typed" in classifiers
    supported = supported_pythons()
    listed = {c.rsplit(" :: ", 1)[1] for c in classifiers
              if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert listed == {v for v in supported if v != "PyPy"}
    assert ("Programming Language :: Python :: Implementation :: PyPy" in classifiers) == (
        "PyPy" in supported)
    assert meta["Requires-Python"] == f">={min(listed, key=lambda v: int(v.split('.')[1]))}"
    description = meta.get_payload()
    # PyPI resolves no links relative to the repository: the README's diagram is left out.
    assert not re.search(r"\]\((?!https?://|#)", description)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.sub(r"^!\[[^\]]*\]\([^)]*\)\n+", "", readme, flags=re.M) == description


def supported_pythons() -> list[str]:
    """The versions named on the README's "Supported Pythons" line (which CI runs)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^\*\*Supported Pythons:?\*\*:?(.*)$", readme, re.M)
    assert line, "README.md has no **Supported Pythons** line"
    return re.findall(r"\b3\.\d+\b|PyPy", line.group(1))


USER_CODE = """
import importlib.util
from micrograd_nn import Value, viz
assert importlib.util.find_spec("viz") is None, "a top-level viz was installed"
print(viz.__name__)
try:
    viz.draw_dot(Value(1.0))
except ImportError as err:
    print(err)
"""


@pytest.fixture(scope="module")
def venv_python(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding only the wheel (no extras: no graphviz)."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel_path(dist))
    return python


def test_installed_wheel_imports_viz_by_its_package_and_explains_the_missing_extra(
        venv_python, tmp_path):
    lines = run(venv_python, "-c", USER_CODE, cwd=tmp_path).splitlines()
    assert lines[0] == "micrograd_nn.viz"
    assert 'pip install "micrograd_nn[viz]"' in lines[1]
    tour = run(venv_python, "-m", "micrograd_nn", "--page", tmp_path / "tour.html", cwd=tmp_path)
    assert 'needs the viz extra. micrograd_nn.viz needs the graphviz Python package: ' \
           'pip install "micrograd_nn[viz]"' in tour
    assert not (tmp_path / "tour.html").exists()


def test_typed_users_get_value_from_arithmetic(venv_python, tmp_path):
    try:
        import mypy  # noqa: F401
    except ImportError:
        skip_or_fail("mypy is not installed (pip install mypy)")
    user = tmp_path / "user.py"
    user.write_text("from micrograd_nn import Value\n\nx, w = Value(2.0), Value(-3.0)\n"
                    "reveal_type(x * w)\nreveal_type((x * w + 1.0).tanh())\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--python-executable", str(venv_python), str(user)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    revealed = re.findall(r'Revealed type is "([^"]+)"', done.stdout)
    assert len(revealed) == 2, done.stdout
    assert all(t.startswith("micrograd_nn.") and t.endswith(".Value") for t in revealed), revealed
    assert "missing library stubs or py.typed" not in done.stdout
