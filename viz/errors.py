"""What to install when a diagram cannot be made: the ``graphviz`` Python package or
Graphviz's ``dot`` program. Importing this module needs neither."""

from __future__ import annotations

__all__ = ["DotNotFoundError", "INSTALL_HELP", "PACKAGE_HELP", "dot_not_found", "require_graphviz"]

PACKAGE_HELP = ('micrograd_nn.viz needs the graphviz Python package: pip install '
                '"micrograd_nn[viz]" (in a clone of the repository: pip install -e ".[viz]")')
INSTALL_HELP = """To get `dot`, install Graphviz:
    Debian/Ubuntu:  sudo apt-get install graphviz
    Fedora:         sudo dnf install graphviz
    macOS:          brew install graphviz
    conda:          conda install -c conda-forge graphviz
    Windows:        the installer from https://graphviz.org/download/ (add its bin folder to PATH)
then check that `dot -V` runs."""


class DotNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on PATH). The message says how
    to install it on each system, and where a diagram's DOT source was saved instead."""


def dot_not_found(detail: str = "") -> DotNotFoundError:
    """The error for a missing ``dot``; ``detail`` (e.g. where the source was saved) goes
    before the install lines."""
    message = "Graphviz's `dot` program was not found on PATH."
    return DotNotFoundError(f"{message} {detail}\n{INSTALL_HELP}" if detail else
                            f"{message}\n{INSTALL_HELP}")


def require_graphviz() -> None:
    """Raise an ImportError saying how to install the ``graphviz`` Python package, if it is
    missing."""
    try:
        import graphviz  # noqa: F401
    except ImportError as exc:
        raise ImportError(PACKAGE_HELP, name="graphviz") from exc
