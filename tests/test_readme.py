"""The README's code runs as printed: every ```python block executes, and the output it
shows for `explain()` is what `explain()` prints."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```\n(?:```\n(.*?)```)?", README, re.S)


def test_readme_has_the_examples_this_test_runs():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs_and_prints_what_the_readme_shows(index, tmp_path,
                                                                   monkeypatch):
    code, shown = BLOCKS[index]
    monkeypatch.chdir(tmp_path)  # blocks may write files (a saved model)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md block {index}", "exec"), {"__name__": "__readme__"})
    if shown:
        assert out.getvalue() == shown
