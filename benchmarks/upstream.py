"""The one place that touches upstream micrograd (untyped, optional): its Value class,
its version, and how to count its graph's nodes."""

from __future__ import annotations

from typing import Any

NAME = "micrograd"


def load() -> tuple[type[Any] | None, str]:
    """Upstream's Value class and its version, or None and why not."""
    try:
        from micrograd.engine import Value  # type: ignore[import-untyped]
    except ImportError as exc:
        return None, f"upstream micrograd not installed here ({exc})"
    return Value, f"micrograd {version()}"


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version
    try:
        return dist_version(NAME)
    except PackageNotFoundError:
        return "unknown"


def count_nodes(root: Any) -> int:
    """Every node ``root`` depends on, leaves included (upstream keeps inputs in ``_prev``)."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)
