"""Diagrams of micrograd_nn graphs and of backprop running through them (needs ``graphviz``).

* :func:`draw_dot` — the graph as a ``graphviz.Digraph`` (shows inline in Jupyter).
* :func:`render` — the same, written to an SVG, PNG or PDF file by Graphviz's ``dot``.
* :func:`backward_frames` — one diagram per backward step, grads filled in as they arrive.
* :func:`backward_html` — one self-contained page that plays those steps.

The engine never imports this package. It needs the ``graphviz`` Python package, and
every function that writes a file also needs Graphviz's ``dot`` program
(:class:`DotNotFoundError` says how to install it).
"""

from .dot import draw_dot
from .frames import backward_frames
from .page import backward_html
from .render import DotNotFoundError, render

__all__ = ["draw_dot", "render", "backward_frames", "backward_html", "DotNotFoundError"]
