"""``render``: write a graph diagram to an image file with Graphviz's ``dot`` program."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from micrograd_nn import Value

from .dot import draw_dot
from .errors import DotNotFoundError, dot_not_found

if TYPE_CHECKING:
    import graphviz

__all__ = ["render", "run_dot", "pipe", "output_path", "FORMATS"]

FORMATS = ("svg", "png", "pdf")


def render(root: Value, path: str | os.PathLike[str], format: str | None = None,
           **draw_options: Any) -> Path:
    """Draw ``root``'s graph (:func:`viz.draw_dot`, which gets ``draw_options``) into ``path``.

    ``format`` is ``'svg'``, ``'png'`` or ``'pdf'``; by default it is taken from the file
    name's suffix, else SVG (and the suffix is added). Parent directories are created.
    Returns the path written. Without Graphviz's ``dot`` program, raises
    :class:`DotNotFoundError` saying how to install it, after saving the DOT source next
    to ``path`` (same name, ``.dot``) so nothing is lost.
    """
    path, fmt = output_path(path, format)
    image = pipe(draw_dot(root, **draw_options), fmt, path)
    path.write_bytes(image)
    return path


def output_path(path: str | os.PathLike[str], format: str | None) -> tuple[Path, str]:
    """The file to write and its format, from ``path``'s suffix and ``format``."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        if format is not None and format != suffix:
            raise ValueError(f"{str(path)!r} ends in .{suffix} but format={format!r}; "
                             f"make them agree")
        return path, suffix
    fmt = format or "svg"
    return path.with_name(f"{path.name}.{fmt}"), fmt


def pipe(graph: graphviz.Digraph, fmt: str, path: Path | None = None) -> bytes:
    """``graph`` rendered by ``dot`` as ``fmt`` bytes, meant for ``path`` (whose directory
    is created). If ``dot`` is missing, raises :class:`DotNotFoundError`, after saving the
    source as ``path`` with suffix ``.dot`` when a path is given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        image: bytes = graph.pipe(format=fmt)
    except DotNotFoundError as exc:
        if path is None:
            raise
        source = path.with_suffix(".dot")
        source.write_text(graph.source, encoding="utf-8")
        raise dot_not_found(f"Cannot write {path}; the diagram's DOT source is saved in "
                            f"{source}: render it later with `dot -T{fmt} {source} -o {path}`."
                            ) from exc.__cause__
    return image


def run_dot(source: str, fmt: str, timeout: float) -> bytes:
    """``dot -T<fmt>`` on DOT ``source``, stopped after ``timeout`` seconds (TimeoutError):
    graphviz's own ``pipe`` cannot be stopped, and a large graph can keep ``dot`` busy for
    hours. DotNotFoundError if ``dot`` is missing."""
    try:
        done = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise dot_not_found() from exc
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"dot took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"dot failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout
