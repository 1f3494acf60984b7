"""``Diagram``: the ``graphviz.Digraph`` that :func:`draw_dot` returns.

Importing this module imports ``graphviz`` (ImportError saying how to install it if it is
missing), so the rest of ``micrograd_nn.viz`` imports it only when a diagram is made.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import dot_not_found, require_graphviz

require_graphviz()  # an ImportError saying how to install graphviz, if it is missing
import graphviz  # noqa: E402

__all__ = ["Diagram", "plain"]


@contextlib.contextmanager
def _dot_required() -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound as exc:
        raise dot_not_found() from exc


class Diagram(graphviz.Digraph):  # type: ignore[misc]  # graphviz has no type information
    """A ``graphviz.Digraph`` whose rendering (``pipe``, ``render``, ``view`` and the inline
    display in Jupyter) raises :class:`DotNotFoundError`, saying how to install Graphviz,
    instead of graphviz's ``ExecutableNotFound`` when ``dot`` is missing."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.pipe``; Jupyter's display goes through it too."""
        with _dot_required():
            return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """``graphviz.Digraph.render`` (and ``view``, which calls it)."""
        with _dot_required():
            return super().render(*args, **kwargs)


def plain(text: str) -> str:
    """``text`` marked as a plain label: graphviz would take one shaped like ``<b>x</b>``
    for an HTML-like label (and the DOT it writes would not parse)."""
    label: str = graphviz.nohtml(text)
    return label
