"""What the example scripts share: the ``--json`` command line, and the digits data set.

Each example defines ``run(out) -> dict``: it prints its account to ``out`` and returns
its figures. :func:`main` calls it with stdout, or, with ``--json``, with stderr and then
prints the figures as one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO


def main(run: Callable[[TextIO], dict[str, Any]], description: str) -> None:
    """Parse ``--json`` and run the example."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object on stdout; the account "
                             "and progress go to stderr")
    args = parser.parse_args()
    out = sys.stderr if args.json else sys.stdout
    result = run(out)
    if args.json:
        print(json.dumps(result))


SPLIT_VARIABLE = "MICROGRAD_NN_DIGITS_JSON"


def load_digits_split() -> tuple[list[list[float]], list[list[float]], list[int], list[int]]:
    """scikit-learn's bundled 8x8 digits, pixels scaled from 0..16 to [0, 1], split 80/20
    with ``random_state=42`` as in seed 001: ``(X_train, X_test, y_train, y_test)``.

    Where scikit-learn cannot be installed (PyPy), set the environment variable
    ``MICROGRAD_NN_DIGITS_JSON`` to a file that ``python examples/_data.py FILE`` wrote
    where it can: the same split, read from JSON."""
    saved = os.environ.get(SPLIT_VARIABLE)
    if saved:
        with open(saved, encoding="utf-8") as f:
            X_train, X_test, y_train, y_test = json.load(f)
        return X_train, X_test, y_train, y_test
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        sys.exit("this example needs scikit-learn: pip install -e '.[examples]'")
    digits = load_digits()
    X = (digits.data / 16.0).tolist()
    y = [int(t) for t in digits.target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    return X_train, X_test, y_train, y_test


def write_split(argv: list[str] | None = None) -> None:
    """``python examples/_data.py FILE``: write the digits split as JSON to FILE."""
    parser = argparse.ArgumentParser(
        prog="python examples/_data.py",
        description="Write the digits split (scikit-learn's 8x8 digits, 80/20, random_state "
                    f"42) as JSON to FILE, for {SPLIT_VARIABLE}=FILE where scikit-learn "
                    "cannot be installed (PyPy).")
    parser.add_argument("file", metavar="FILE", help="the JSON file to write")
    args = parser.parse_args(argv)
    split = load_digits_split()
    with open(args.file, "w", encoding="utf-8") as f:
        json.dump(split, f)


if __name__ == "__main__":
    write_split()
