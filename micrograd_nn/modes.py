"""Scoped modes: :class:`no_grad`, :class:`detect_anomaly` and :class:`gc_paused`.

``no_grad`` and ``detect_anomaly`` are per thread. While no thread has one open, the engine
pays a single module-global test per op: :func:`on_change` tells the engine how many blocks
are open anywhere, and only then is this thread's state consulted.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["no_grad", "detect_anomaly", "gc_paused", "AnomalyError", "is_grad_enabled",
           "records_nothing", "anomaly_enabled", "bare_leaves", "user_site", "on_change"]

F = TypeVar("F", bound=Callable[..., Any])
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class _ThreadModes(threading.local):
    """This thread's modes. Class-level defaults, so reading one never misses (a miss on a
    ``threading.local`` raises and catches AttributeError inside: slow on every op)."""

    no_grad_depth = 0
    anomaly_depth = 0
    bare = False  # no_grad without detect_anomaly: ops make plain leaves (one read to know)


_tls = _ThreadModes()
_lock = threading.Lock()
_open_blocks = 0
_listeners: list[Callable[[int], None]] = []


def on_change(listener: Callable[[int], None]) -> None:
    """Call ``listener(n)`` whenever the number ``n`` of mode blocks open in any thread
    changes (the engine keeps its fast-path flag this way)."""
    _listeners.append(listener)
    listener(_open_blocks)


def _changed(delta: int) -> None:
    global _open_blocks
    _tls.bare = _tls.no_grad_depth > 0 and _tls.anomaly_depth == 0
    with _lock:
        _open_blocks += delta
        for listener in _listeners:
            listener(_open_blocks)


def is_grad_enabled() -> bool:
    """True unless the current thread is inside a :class:`no_grad` block."""
    return not _tls.no_grad_depth


def anomaly_enabled() -> bool:
    """True inside a :class:`detect_anomaly` block of the current thread."""
    return _tls.anomaly_depth > 0


def bare_leaves() -> bool:
    """True where ops make plain leaves and check nothing: inside ``no_grad`` without
    ``detect_anomaly`` in this thread."""
    return _tls.bare


def records_nothing() -> bool:
    """True where ops would build no graph and check nothing (``no_grad`` without
    ``detect_anomaly``): models then compute on plain floats (see ``nn``)."""
    return bool(_open_blocks) and _tls.bare


class no_grad:
    """Context manager (and decorator): ops inside record no graph.

    Results are plain leaf Values (``inputs == ()``), so nothing is kept alive and no
    backward is possible through them. Nested blocks are fine; the setting is per thread
    and restored on exit, also when the block raises. As a decorator it applies to plain
    functions; a generator or coroutine function is refused with a TypeError, because the
    block would end at the first ``yield`` while the body goes on later.
    """

    def __enter__(self) -> no_grad:
        _tls.no_grad_depth += 1
        _changed(1)
        return self

    def __exit__(self, *exc: object) -> None:
        _tls.no_grad_depth -= 1
        _changed(-1)

    def __call__(self, fn: F) -> F:
        """Use as ``@no_grad()``: the function runs with graph recording off."""
        if inspect.isgeneratorfunction(fn) or inspect.iscoroutinefunction(fn) or \
                inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"@no_grad() cannot wrap {getattr(fn, '__name__', fn)!r}: it is a generator or "
                "coroutine function, whose body runs after the call returns; use "
                "'with no_grad():' inside its body instead")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class AnomalyError(ArithmeticError):
    """Raised inside :class:`detect_anomaly` by the first op or backward step that makes a
    NaN or an infinity. The message names the op, its inputs and where it was created."""


class detect_anomaly:
    """Context manager: stop at the first non-finite number, forward or backward.

    Inside the block, an op whose result is NaN or ±inf raises :class:`AnomalyError`
    naming the op, its inputs' values and labels, and the file:line of the caller; nodes
    made inside remember that file:line, and ``backward()`` checks every gradient it
    writes, naming the op whose rule produced a non-finite one and where that op was
    created. Nothing is kept alive by the block. Off by default; per thread; nestable, and
    the same object may be entered again (also while it is open); restored on exit.
    """

    def __enter__(self) -> detect_anomaly:
        _tls.anomaly_depth += 1
        _changed(1)
        return self

    def __exit__(self, *exc: object) -> None:
        _tls.anomaly_depth -= 1
        _changed(-1)


class gc_paused:
    """Context manager: Python's cyclic garbage collector does not run automatically inside.

    The engine's graphs hold no reference cycles, so they are freed by reference counting
    alone; while a graph grows, the collector only re-scans it, again and again. ``fit``
    wraps each step in this block. Nested blocks and threads share one count: the collector
    is switched back on when the last block exits, exceptions included, and only if it was
    on when the first one began. Cyclic garbage your own code makes inside is collected
    after it.
    """

    _lock = threading.Lock()
    _depth = 0
    _was_enabled = False

    def __enter__(self) -> gc_paused:
        cls = type(self)
        with cls._lock:
            if cls._depth == 0:
                cls._was_enabled = gc.isenabled()
                gc.disable()
            cls._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        cls = type(self)
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0 and cls._was_enabled:
                gc.enable()


def user_site() -> str:
    """``file:line`` of the innermost frame outside this package (the user's code)."""
    frame: Any = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
