"""micrograd_nn in the debugger's Variables pane and hovers (VS Code via debugpy, PyCharm).

pydevd (inside debugpy and PyCharm) imports every ``pydevd_plugins/extensions/pydevd_plugin*``
module on ``sys.path`` when it starts, before the user's script runs. This one is a
namespace portion of that package: micrograd_nn's wheel ships this file and no
``__init__.py`` (pydevd's own ``pydevd_plugins/__init__.py`` extends its path to find it).

It never imports micrograd_nn: a Value can only be on screen once the user's code has
imported micrograd_nn, so the classes are looked up in ``sys.modules`` when pydevd asks
about a type. Nothing here runs for users without a debugger.

A Value shows as ``y = 6.0000 · grad 1.0000 · '*'`` (label, data, grad, op) and expands to
``data``, ``grad``, ``op``, ``inputs`` (each by its label, else by the variable that holds it
in the stopped code, when ``micrograd_nn.varnames`` is loaded), ``local derivatives``
(∂self/∂input), ``contributions`` (local derivative × self.grad: what backward passes to
each input), ``created at`` and ``label``; a Parameter also shows its ``neuron``. Lists,
tuples and dicts of Values show compactly.
"""

from __future__ import annotations

import sys
from typing import Any

from _pydevd_bundle.pydevd_extension_api import StrPresentationProvider, TypeResolveProvider

__all__ = ["ValueProvider", "RowsProvider", "ValueListProvider"]

_SITE_UNKNOWN = ("not recorded: a node records where it was made only when made inside "
                 "micrograd_nn.detect_anomaly()")
_SHOWN_IN_LIST = 6  # Values written out in a list's one-line summary


def _package() -> Any:
    """micrograd_nn if the user's code imported it (never imported from here)."""
    return sys.modules.get("micrograd_nn")


def _value_class() -> Any:
    return getattr(_package(), "Value", None)


def _is_value(obj: Any) -> bool:
    cls = _value_class()
    return cls is not None and isinstance(obj, cls)


def _num(x: Any) -> str:
    fmt = getattr(_package(), "format_number", None)
    try:
        return fmt(x) if fmt is not None else repr(x)
    except Exception:
        return repr(x)


def _kind(v: Any) -> str:
    if v.op:
        return repr(v.op)
    mod = _package()
    for name, word in (("Parameter", "parameter"), ("Constant", "constant")):
        cls = getattr(mod, name, None)
        if cls is not None and isinstance(v, cls):
            return word
    return "leaf"


def _variable_names(nodes: list[Any]) -> dict[int, str]:
    """Names from the stopped code's variables, when micrograd_nn.varnames is loaded."""
    varnames = sys.modules.get("micrograd_nn.varnames")
    if varnames is None or not nodes:
        return {}
    try:
        result: dict[int, str] = varnames.variable_names(
            nodes, varnames.user_frames(None, all_threads=True))
        return result
    except Exception:
        return {}


def _kind_name(v: Any) -> str:
    """``mul``, ``tanh``, ``leaf``: how diagrams call an unnamed node (micrograd_nn.text)."""
    text = sys.modules.get("micrograd_nn.text")
    try:
        return str(text.kind_name(v)) if text is not None else _kind(v)
    except Exception:
        return _kind(v)


def _names(nodes: list[Any]) -> list[str]:
    """A distinct name for each of ``nodes``: its label, else the variable holding it, else
    ``unnamed mul``; repeats get ``[k]`` (an input used twice, as in ``x * x``)."""
    held = _variable_names([v for v in nodes if not v.label])
    out: list[str] = []
    for v in nodes:
        name = v.label or held.get(id(v)) or f"unnamed {_kind_name(v)}"
        out.append(name)
    seen: dict[str, int] = {}
    for i, name in enumerate(out):
        if out.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            out[i] = f"{name} [{seen[name]}]"
    return out


def value_summary(v: Any) -> str:
    """``y = 6.0000 · grad 1.0000 · '*'``: label (when set), data, grad, op or kind."""
    head = f"{v.label} = " if v.label else ""
    return f"{head}{_num(v.data)} · grad {_num(v.grad)} · {_kind(v)}"


class Rows:
    """A group of named rows under a Value (its inputs, local derivatives, contributions):
    ``summary`` is its one line, ``rows`` its children as (name, object, evaluate name)."""

    __slots__ = ("summary", "rows")

    def __init__(self, summary: str, rows: list[tuple[str, Any, Any]]) -> None:
        self.summary = summary
        self.rows = rows

    def __repr__(self) -> str:
        return self.summary


def value_rows(v: Any) -> list[tuple[str, Any, Any]]:
    """The children of a Value, in order, as (name, object, evaluate-name suffix)."""
    rows: list[tuple[str, Any, Any]] = [("data", v.data, ".data"), ("grad", v.grad, ".grad"),
                                        ("op", v.op, ".op")]
    inputs = list(v.inputs)
    if inputs:
        (me,) = _names([v]) if not v.label else (v.label,)
        names = _names(inputs)
        rows.append(("inputs", Rows(", ".join(names), [
            (n, x, f"[{i}]") for i, (n, x) in enumerate(zip(names, inputs))]), ".inputs"))
        try:
            local = list(v.local_grads())
        except Exception as err:  # a custom op's derivative that raises: say so, not crash
            local = []
            rows.append(("local derivatives", f"could not be evaluated: {err!r}", None))
        if local:
            rows.append(("local derivatives", Rows(
                ", ".join(f"∂{me}/∂{n} = {_num(d)}" for n, d in zip(names, local)),
                [(f"∂{me}/∂{n}", d, f"[{i}]") for i, (n, d) in enumerate(zip(names, local))]),
                ".local_grads()"))
            g = v.grad
            contrib = [d * g if g else 0.0 for d in local]
            rows.append(("contributions", Rows(
                f"local derivative × {me}.grad ({_num(g)}): " + ", ".join(
                    f"{_num(c)} to {n}" for n, c in zip(names, contrib)),
                [(f"to {n}", c, None) for n, c in zip(names, contrib)]), None))
    else:
        rows.append(("inputs", f"none: a {_kind(v)} (no op made it)", None))
    rows.append(("created at", getattr(v, "site", None) or _SITE_UNKNOWN, None))
    rows.append(("label", v.label, ".label"))
    owner = getattr(v, "owner", None)
    if owner is not None:
        rows.append(("neuron", f"{owner.path} ({owner.activation})", ".owner"))
    return rows


def _lookup(rows: list[tuple[str, Any, Any]], attribute: str) -> Any:
    for name, obj, _ in rows:
        if name == attribute:
            return obj
    raise KeyError(attribute)


class ValueProvider:
    """Shows a micrograd_nn Value as backprop sees it (see the module docstring)."""

    def can_provide(self, type_object: Any, type_name: str) -> bool:
        cls = _value_class()
        return cls is not None and isinstance(type_object, type) and issubclass(
            type_object, cls)

    def get_contents_debug_adapter_protocol(self, obj: Any, fmt: Any = None,
                                            ) -> list[tuple[str, Any, Any]]:
        """debugpy (VS Code): the children, in this order."""
        return value_rows(obj)

    def get_dictionary(self, obj: Any) -> dict[str, Any]:
        """PyCharm's protocol: the same children by name."""
        return {name: child for name, child, _ in value_rows(obj)}

    def resolve(self, obj: Any, attribute: str) -> Any:
        return _lookup(value_rows(obj), attribute)

    def get_str(self, val: Any) -> str:
        return value_summary(val)


class RowsProvider:
    """The groups under a Value (inputs, local derivatives, contributions)."""

    def can_provide(self, type_object: Any, type_name: str) -> bool:
        return type_object is Rows

    def get_contents_debug_adapter_protocol(self, obj: Rows, fmt: Any = None,
                                            ) -> list[tuple[str, Any, Any]]:
        return list(obj.rows)

    def get_dictionary(self, obj: Rows) -> dict[str, Any]:
        return {name: child for name, child, _ in obj.rows}

    def resolve(self, obj: Rows, attribute: str) -> Any:
        return _lookup(obj.rows, attribute)

    def get_str(self, val: Rows) -> str:
        return val.summary


class ValueListProvider:
    """A list, tuple or dict of Values (a model's parameters) as one short line:
    ``3 Values: w1 = 0.5000 (grad 0.1000), ...``. Any other list is left to pydevd (None)."""

    def can_provide(self, type_object: Any, type_name: str) -> bool:
        return type_object in (list, tuple, dict)

    def get_str(self, val: Any) -> str | None:
        try:
            if not val or len(val) > 100_000 or _value_class() is None:
                return None
            first = next(iter(val.values())) if isinstance(val, dict) else val[0]
            if not _is_value(first):  # the common case, decided without a copy
                return None
            items = list(val.items()) if isinstance(val, dict) else list(enumerate(val))
            if not all(_is_value(v) for _, v in items):
                return None
            shown = items[:_SHOWN_IN_LIST]
            named = isinstance(val, dict)
            parts = []
            for key, v in shown:
                name = f"{key!r}: " if named else (f"{v.label} = " if v.label else "")
                parts.append(f"{name}{_num(v.data)} (grad {_num(v.grad)})")
            more = ", ..." if len(items) > len(shown) else ""
            kind = type(val).__name__
            return f"{kind} of {len(items)} Values: {', '.join(parts)}{more}"
        except Exception:
            return None


TypeResolveProvider.register(ValueProvider)
StrPresentationProvider.register(ValueProvider)
TypeResolveProvider.register(RowsProvider)
StrPresentationProvider.register(RowsProvider)
StrPresentationProvider.register(ValueListProvider)
