"""How diagrams and the step page write a node: numbers, names and equations.

One place in ``viz`` that asks the engine how a node is written, so that when the engine's
text module settles, only this file changes. Numbers and names are the engine's
(``micrograd_nn.format_number``, ``micrograd_nn.node_names``); an equation is the op's
``expr`` template (class attribute, e.g. ``'{x} * {y}'``) filled with names or numbers.
"""

from __future__ import annotations

from micrograd_nn import Value, format_number, node_names

__all__ = ["format_number", "node_names", "equation", "forward_numbers"]


def _expression(node: Value, inputs: list[str], out: str) -> str:
    """The op's ``expr`` template filled with ``inputs`` (names or numbers)."""
    expr = getattr(type(node), "expr", "") or f"{node.op}({{args}})"
    exponent = getattr(node, "exponent", None)  # a constant power's n
    fields = {"out": out, "args": ", ".join(inputs), "x": inputs[0] if inputs else "",
              "y": inputs[1] if len(inputs) > 1 else "",
              "n": "" if exponent is None else f"{exponent:g}"}
    return str(expr.format(**fields))


def equation(node: Value, names: dict[Value, str]) -> str:
    """``'z = x * w'``: the op node and how it was computed, by names."""
    return f"{names[node]} = {_expression(node, [names[v] for v in node.inputs], names[node])}"


def forward_numbers(node: Value) -> str:
    """``'= 2.0000 * -3.0000 = -6.0000'``: the same with the inputs' numbers, and the result."""
    numbers = [format_number(v.data) for v in node.inputs]
    return f"= {_expression(node, numbers, format_number(node.data))} = {format_number(node.data)}"
