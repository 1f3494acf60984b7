"""``render``: write a graph diagram to an image file with Graphviz's ``dot`` program."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from micrograd_nn import Value

from .dot import draw_dot

__all__ = ["render", "DotNotFoundError", "FORMATS"]

FORMATS = ("svg", "png", "pdf")
INSTALL_HELP = (
    "install Graphviz, which provides it: `apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz` (conda), or "
    "the installer from https://graphviz.org/download/ (Windows); then check that "
    "`dot -V` runs")


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH). The message says how
    to install it and where the diagram's DOT source was saved instead."""


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
        return graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound as exc:
        message = f"Graphviz's `dot` program was not found on PATH. To get it, {INSTALL_HELP}."
        if path is not None:
            source = path.with_suffix(".dot")
            source.write_text(graph.source, encoding="utf-8")
            message = (f"cannot write {path}: {message} The diagram's DOT source is saved in "
                       f"{source}; render it later with `dot -T{fmt} {source} -o {path}`.")
        raise DotNotFoundError(message) from exc
