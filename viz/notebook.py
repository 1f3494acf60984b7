"""Jupyter display: a Value shows as its graph, and :func:`player` plays backward inline.

``Value._repr_mimebundle_`` calls :func:`mimebundle`, so the last line of a cell that is a
Value shows its diagram (SVG) above the usual text. Display never raises: without the
``graphviz`` package or the ``dot`` program, or for a graph of more than
:data:`MAX_INLINE_NODES` Values, it shows the text alone.
"""

from __future__ import annotations

import html
import re
from typing import Any

from micrograd_nn import Value

from .dot import check_graph_size, draw_dot
from .page import step_page

__all__ = ["MAX_INLINE_NODES", "mimebundle", "player", "Player"]

# Larger graphs take seconds in dot and are unreadable inline; draw_dot(v, max_nodes=...)
# still draws them when asked for.
MAX_INLINE_NODES = 200
SVG = "image/svg+xml"


def mimebundle(value: Value, include: Any = None, exclude: Any = None) -> dict[str, str]:
    """``{'text/plain': repr(value), 'image/svg+xml': its diagram}``; the text alone when
    the diagram is not wanted (``include``/``exclude``) or cannot be made."""
    text = repr(value)
    if (include is not None and SVG not in include) or (exclude is not None and SVG in exclude):
        return {"text/plain": text}
    try:
        check_graph_size(value, MAX_INLINE_NODES)
    except ValueError:
        return {"text/plain": f"{text}\n(graph too large to draw inline: more than "
                              f"{MAX_INLINE_NODES} nodes; draw part of it with "
                              f"viz.draw_dot(node, max_nodes=...))"}
    try:
        svg: bytes = draw_dot(value).pipe(format="svg")
    except Exception:  # noqa: BLE001  display must never fail: no graphviz, no dot, a dot error
        return {"text/plain": text}
    return {"text/plain": text, SVG: svg.decode("utf-8")}


class Player:
    """The step-through page of a graph, shown inline in a notebook (an ``<iframe>``).

    ``page`` is the page's HTML text; ``height`` the iframe's height in CSS pixels."""

    def __init__(self, page: str, height: int) -> None:
        self.page, self.height = page, height

    def _repr_html_(self) -> str:
        """The page in an iframe's ``srcdoc``: its script and styles stay its own."""
        return (f'<iframe srcdoc="{html.escape(self.page, quote=True)}" '
                f'style="width: 100%; height: {self.height}px; border: 1px solid #ddd;" '
                f'title="backward step by step"></iframe>')

    def __repr__(self) -> str:
        return f"<Player: a {len(self.page):,}-character page; display it in Jupyter>"


def player(root: Value, height: int | None = None, **options: Any) -> Player:
    """The page that steps through ``root``'s forward and backward passes, to show in a
    notebook cell.

    ``options`` go to :func:`viz.step_page`; ``height`` (CSS pixels) defaults to what the
    diagram needs at a notebook's width, 520 to 720. Like the page, leaves the grads as
    ``root.backward()`` from zero would. Needs Graphviz's ``dot``."""
    page = step_page(root, **options)
    return Player(page, height if height is not None else _fit_height(page))


def _fit_height(page: str) -> int:
    """Room for the page's controls (110 px) and its diagram scaled to a notebook's width
    beside the step panel (about 630 px), between 520 and 720 px: the page pans and zooms,
    so a tall graph need not fit whole."""
    box = re.search(r'<svg[^>]*\sviewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', page)
    diagram = 630 * float(box.group(2)) / max(float(box.group(1)), 1.0) if box else 400.0
    return int(min(720, max(520, 110 + diagram)))
