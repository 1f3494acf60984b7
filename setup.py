"""Everything is in setup.cfg except the PyPI description: README.md without its images,
whose links are relative to the repository and would show broken on PyPI."""

import re
from pathlib import Path

from setuptools import setup

README = Path(__file__).resolve().parent.joinpath("README.md").read_text(encoding="utf-8")
setup(long_description=re.sub(r"^!\[[^\]]*\]\([^)]*\)\n+", "", README, flags=re.M))
