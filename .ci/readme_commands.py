"""Print a command from the README's Quick start block: `demo` (the first) or `test` (the second).

CI runs the README's test command through this, so the two can never drift apart.
"""

import re
import sys
from pathlib import Path


def quick_start_commands(readme: str) -> list[str]:
    section = re.search(r"^## Quick start\s*$(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if not section:
        raise SystemExit("README.md has no '## Quick start' section")
    block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", section.group(1), re.S)
    if not block:
        raise SystemExit("README.md's Quick start has no fenced code block")
    commands = [ln.strip() for ln in block.group(1).splitlines() if ln.strip()]
    if len(commands) != 2:
        raise SystemExit(f"Quick start must hold exactly two commands, found {len(commands)}")
    return commands


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "test"
    text = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
    print(quick_start_commands(text)[{"demo": 0, "test": 1}[which]])
