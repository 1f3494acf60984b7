"""Diagrams of micrograd_nn graphs and of backprop running through them.

* :func:`draw_dot` — the graph as a ``graphviz.Digraph`` (shows inline in Jupyter).
* :func:`render` — the same, written to an SVG, PNG or PDF file by Graphviz's ``dot``.
* :func:`backward_frames` — one diagram per backward step, grads filled in as they arrive.
* :func:`step_page` — one self-contained page (HTML text) that plays forward, then backward,
  one op at a time; :func:`backward_html` writes it to a file.
* :func:`player` — that page inline in a Jupyter notebook; a Value displays as its diagram.

Import it as ``from micrograd_nn import viz``; the engine never imports it. Importing it
needs nothing more; drawing needs the ``graphviz`` Python package (``pip install
"micrograd_nn[viz]"``: without it the first drawing call raises an ImportError that says
so), and displaying or writing a diagram needs Graphviz's ``dot`` program
(:class:`DotNotFoundError` says how to install it).
"""

from .dot import draw_dot
from .errors import DotNotFoundError
from .frames import backward_frames
from .notebook import player
from .page import backward_html, step_page
from .render import render

__all__ = ["draw_dot", "render", "backward_frames", "backward_html", "step_page",
           "DotNotFoundError", "player"]
