"""Names for nodes the user did not label: the variable that holds them in the running code.

``y = x * w`` makes a node with no label; the code that made it calls it ``y``. Nothing is
recorded when a node is made (that would cost every op): when something is *displayed* (a
debugger view, ``why``, a diagram), :func:`variable_names` looks through the frames of the
code that is running for variables bound to the nodes shown, and names each node by the
first one it finds. The user's own frames are searched, innermost first, locals before
globals, then items of lists and tuples held in locals (``xs[2]``); frames of this package
and of debuggers (pdb, pydevd, debugpy) are skipped, so a name is one the user wrote.

When two different nodes are held by variables of the same name in different frames, the
outer one is qualified by its function (``x@layer``), so no name stands for two nodes. A
node no variable holds gets no name here: :func:`micrograd_nn.text.node_names` (which uses
this module) then names it by kind and position (``mul#3``), a name that cannot be misread
as a label such as ``n1``. Standard library only.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import Any

__all__ = ["variable_names", "user_frames", "SKIPPED_MODULES", "NOT_USER_CODE"]

SKIPPED_MODULES = ("micrograd_nn", "pdb", "bdb", "cmd", "debugpy", "threading", "runpy",
                   "importlib", "code", "codeop", "IPython", "ipykernel", "pytest", "_pytest",
                   "pluggy")
"""Top-level modules whose frames are not the user's: the library itself, debuggers,
the interpreter's runners and test harnesses; modules whose name starts with ``pydev`` or
``_pydev`` (pydevd, inside debugpy and PyCharm) are skipped too. Their variables are never
used as names."""

_LIST_LIMIT = 256  # longer lists and tuples are not searched item by item


NOT_USER_CODE = "__micrograd_nn_not_user_code__"
"""A module that sets this global to True (a tool built on micrograd_nn, such as the
playground's app) keeps its frames' variables out of node names, as SKIPPED_MODULES do."""


def _is_user_frame(frame: FrameType) -> bool:
    if frame.f_globals.get(NOT_USER_CODE) is True:
        return False
    module = frame.f_globals.get("__name__")
    if not isinstance(module, str):
        return True
    top = module.split(".", 1)[0]
    return top not in SKIPPED_MODULES and not top.startswith(("pydev", "_pydev"))


def user_frames(frame: FrameType | None = None, *, all_threads: bool = False,
                ) -> list[FrameType]:
    """The user's frames, innermost first: from ``frame`` outwards (default: the caller's),
    or, with ``all_threads``, every thread's stack, this one's first (what a debugger needs:
    pydevd answers from the stopped thread itself, pdb from its frame, a debugger of its own
    thread from another). Frames of :data:`SKIPPED_MODULES` are left out."""
    starts: list[FrameType] = []
    if all_threads:
        me = threading.get_ident()
        current = sys._current_frames()
        starts.extend(f for ident, f in sorted(current.items(), key=lambda kv: kv[0] != me))
    if frame is None and not all_threads:
        frame = sys._getframe(1)
    if frame is not None:
        starts.insert(0, frame)
    out: list[FrameType] = []
    seen: set[int] = set()
    for start in starts:
        f: FrameType | None = start
        while f is not None:
            if id(f) not in seen:
                seen.add(id(f))
                if _is_user_frame(f):
                    out.append(f)
            f = f.f_back
    return out


def _bindings(frames: list[FrameType]) -> Iterator[tuple[str, str, Any]]:
    """(name, the function it lives in, object) for every variable of ``frames``, in the
    order names are preferred."""
    for f in frames:
        for name, obj in list(f.f_locals.items()):
            yield name, f.f_code.co_name, obj
    globals_seen: set[int] = set()
    for f in frames:
        g = f.f_globals
        if id(g) in globals_seen or g is f.f_locals:
            continue
        globals_seen.add(id(g))
        for name, obj in list(g.items()):
            yield name, "<module>", obj
    for f in frames:
        for name, obj in list(f.f_locals.items()):
            if type(obj) in (list, tuple) and len(obj) <= _LIST_LIMIT:
                for i, item in enumerate(obj):
                    yield f"{name}[{i}]", f.f_code.co_name, item


def variable_names(nodes: Iterable[Any], frames: Iterable[FrameType] | None = None,
                   ) -> dict[int, str]:
    """``id(node) -> name`` for each of ``nodes`` that a variable of ``frames`` holds
    (default: the caller's frames, see :func:`user_frames`). Names starting with ``_``
    are used only when nothing else holds the node. Keys are ids, so any object works;
    callers keep the nodes alive while they use the result."""
    wanted = {id(n) for n in nodes}
    if not wanted:
        return {}
    stack = user_frames(sys._getframe(1)) if frames is None else list(frames)
    found: dict[int, str] = {}
    private: dict[int, str] = {}
    taken: dict[str, int] = {}  # name -> the node it already stands for
    for name, function, obj in _bindings(stack):
        key = id(obj)
        if key not in wanted or key in found:
            continue
        if name in taken and taken[name] != key:
            name = f"{name}@{function}"
            if name in taken and taken[name] != key:
                continue
        if name.startswith("_"):
            private.setdefault(key, name)
            continue
        taken[name] = key
        found[key] = name
    for key, name in private.items():
        if key not in found and name not in taken:
            taken[name] = key
            found[key] = name
    return found
