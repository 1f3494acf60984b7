"""The playground's Python side: what the page shows, computed by micrograd_nn itself.

This file runs inside Pyodide (CPython in WebAssembly) in the page's Web Worker; the
worker calls :func:`handle` with a method name and JSON arguments and posts the JSON it
returns to the page. Every number, equation, step text and verdict the page shows comes
from here, from ``micrograd_nn``'s public API; the diagram is ``micrograd_nn.viz.draw_dot``'s
DOT text, which the page lays out with Graphviz compiled to WebAssembly (@viz-js/viz).
The page's script only places these strings and colours.

The same file runs in CPython (the tests and ``playground/measure.py`` import it), so the
page's numbers can be compared with the engine's outside the browser.
"""

from __future__ import annotations

# This module's own variables (``highlight``, ``node``) must never name the user's nodes:
# micrograd_nn.varnames skips frames of a module that sets this.
__micrograd_nn_not_user_code__ = True

import ast
import contextlib
import io
import json
import math
import re
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from micrograd_nn import (
    MLP,
    SGD,
    Adam,
    CannotCheckError,
    Constant,
    GradcheckError,
    Momentum,
    Parameter,
    RMSprop,
    Value,
    fit,
    format_number,
    gradcheck_report,
    node_names,
    predict,
    topological_order,
)
from micrograd_nn import losses as losses_module
from micrograd_nn.text import equation, with_numbers
from micrograd_nn.train import two_moons
from micrograd_nn.viz.dot import (  # type: ignore[import-not-found, unused-ignore]  # viz/ maps to it
    DEFAULT_MAX_NODES,
    draw_dot,
    draw_order,
    drawn_order,
    largest_grad,
    value_box,
)

__all__ = ["PRESETS", "Expression", "Trainer", "handle", "diagram", "run_script",
           "time_training", "time_set"]

SCRIPT_NAME = "<playground>"

PRESETS: dict[str, str] = {
    # The README's "Five lines", as they are there, and the Value to show.
    "Five lines (README)": """\
from micrograd_nn import Value

x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(1.0, "b")
y = (x * w + b).tanh()       # every op is recorded: y.op == 'tanh', y.inputs[0].op == '+'
y.backward()                 # chain rule, in reverse topological order
print(x.grad, w.grad, b.grad)  # dy/dx = w(1-y^2), dy/dw = x(1-y^2), dy/db = 1-y^2
# show: y
""",
    # Seed 002's neuron, as in the README's "See backprop".
    "Neuron σ(w1·x1 + w2·x2 + b) (seed 002)": """\
from micrograd_nn import Parameter, Value

x1, x2 = Value(2.0, "x1"), Value(3.0, "x2")
w1, w2, b = Parameter(0.0, "w1"), Parameter(1.0, "w2"), Parameter(4.0, "b")
n = Value.sum([(w1 * x1).named("w1x1"), (w2 * x2).named("w2x2"), b]).named("n")
n.sigmoid().named("o")
""",
    "2-3-1 MLP, squared error on one sample": """\
from micrograd_nn import MLP, Value

model = MLP(2, [3, 1], activation="tanh", seed=0)
x = [Value(2.0, "x1"), Value(-1.0, "x2")]
target = 1.0
((model(x) - target) ** 2).named("loss")
""",
    "A custom op with a wrong derivative (try Check)": """\
from micrograd_nn import Value, custom_op

# The derivative of x^3 is 3x^2; this one forgets the 3.
cube = custom_op("cube", lambda x: x ** 3, lambda x: x ** 2)
x = Value(1.5, "x")
(cube(x) + x).named("y")
""",
}

_SHOW = re.compile(r"^\s*#\s*show:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$", re.M)


def run_script(source: str) -> tuple[Value, str]:
    """Run ``source`` as a script; return the Value to show and what it printed.

    The Value is the one named in a ``# show: name`` comment, else the value of the last
    statement when that is an expression. Errors are the engine's (or Python's) own,
    with the script's line number added."""
    tree = ast.parse(source, SCRIPT_NAME)
    shown = _SHOW.findall(source)
    last: ast.expr | None = None
    if not shown and tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1].value
        tree.body.pop()
    namespace: dict[str, Any] = {"__name__": "__playground__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, SCRIPT_NAME, "exec"), namespace)
        result = (eval(compile(ast.Expression(last), SCRIPT_NAME, "eval"), namespace)
                  if last is not None else None)
    if shown:
        name = shown[-1]
        if name not in namespace:
            raise NameError(f"'# show: {name}' names no variable of the script")
        result = namespace[name]
    if not isinstance(result, Value):
        what = "nothing" if result is None else f"{type(result).__name__} {result!r}"
        raise TypeError(f"the script must end with the Value to show (or name it in a "
                        f"'# show: name' comment); its last expression gave {what}")
    return result, out.getvalue()


def error_text(e: BaseException) -> str:
    """An exception as the engine words it, with the script's line when it came from it."""
    text = "".join(traceback.format_exception_only(type(e), e)).strip()
    if isinstance(e, SyntaxError):
        return text
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__)
             if f.filename == SCRIPT_NAME]
    return f"line {lines[-1]}: {text}" if lines else text


# ---------------------------------------------------------------------------------------
# The diagram: draw_dot's DOT text, and what changes in it between two states


_STATEMENT = re.compile(r"^\t+(\S+(?: -> \S+)?)(?: \[(.*)\])?$")
_NOT_NODES = ("graph", "node", "edge", "subgraph", "}")
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*>|[^ \]]+)')
_APPEARANCE = ("fillcolor", "color", "penwidth", "fontcolor", "style", "class")


def _unquote(value: str) -> str:
    return value[1:-1] if value.startswith('"') and value.endswith('"') else value


def _record_fields(label: str) -> list[str]:
    """The text of each field of a Graphviz record label, unescaped, as the SVG shows it."""
    body = label.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    fields = re.split(r"(?<!\\)\|", body)
    return [re.sub(r"\\(.)", r"\1", f.strip()) for f in fields if f.strip()]


def diagram(dot_source: str) -> dict[str, Any]:
    """``draw_dot(...).source`` and what the page needs to update a drawn copy in place.

    ``shape`` is the DOT text without what a change of numbers changes (labels, colours,
    the highlight), so two states with the same shape share one layout; ``patch`` holds,
    per node id and per edge (``'tail->head'``), its field texts and colours."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, str]] = {}
    shape = []
    for line in dot_source.splitlines():
        if " -> " in line and "[" not in line:  # an edge in its default look: most lines
            key = line.strip()
            edges[key.replace(" ", "")] = {}
            shape.append(key)
            continue
        m = _STATEMENT.match(line)
        if not m or m.group(1) in _NOT_NODES or "=" in m.group(1):
            shape.append(line.strip() if "label=" not in line else "label")
            continue
        key = m.group(1)
        attrs: dict[str, str] = dict(_ATTR.findall(m.group(2) or ""))
        look = {a: _unquote(attrs[a]) for a in _APPEARANCE if a in attrs}
        if " -> " in key:
            edges[key.replace(" ", "")] = look
            shape.append(key)
            continue
        label = _unquote(attrs.get("label", key))
        fields = _record_fields(label) if attrs.get("shape") == "record" else [label]
        nodes[key] = {"texts": fields, **look}
        shape.append(f"{key} {attrs.get('shape', '')} {len(fields)}")
    return {"dot": dot_source, "shape": "\n".join(shape),
            "patch": {"nodes": nodes, "edges": edges}}


# ---------------------------------------------------------------------------------------
# Expression mode


def _forward_text(node: Value, names: dict[Value, str]) -> str:
    """``n0 = x * w`` and ``= 2.0000 * -3.0000 = -6.0000``: how the engine writes the node."""
    return f"{equation(node, names)}\n    = {with_numbers(node)} = {format_number(node.data)}"


def _kind(node: Value) -> str:
    if node.inputs:
        return "op"
    if isinstance(node, Constant):
        return "constant"
    return "parameter" if isinstance(node, Parameter) else "input"


class Expression:
    """One script's graph: run it, change a leaf, step through it, check it."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.root, self.printed = run_script(source)
        # draw_dot's walk (ValueError past its node limit), ids and names, once per Run:
        # a leaf change keeps the graph, so it keeps them too.
        self.order = drawn_order(self.root, DEFAULT_MAX_NODES)
        self.ids = {node: f"v{k}" for k, node in enumerate(self.order)}  # draw_dot's ids
        self.names = node_names(self.root, self.order)
        self.leaves = [n for n in self.order if not n.inputs and not isinstance(n, Constant)]
        self.ops = [n for n in self.order if n.inputs]
        self.scale = 0.0
        self.partial = False  # grads as a step left them, not backward's
        self._check_recomputable()
        self.backward()

    def _check_recomputable(self) -> None:
        for node in self.ops:
            if not callable(getattr(node, "forward_at", None)):
                raise TypeError(f"node {self.names[node]} ({type(node).__name__}, op "
                                f"{node.op!r}) has no forward_at: the playground can only "
                                f"recompute graphs made of micrograd_nn ops")

    # -- numbers -------------------------------------------------------------------------

    def forward(self) -> None:
        """Recompute every op node's data from its inputs, in topological order."""
        for node in self.ops:
            node.data = node.forward_at(*[v.data for v in node.inputs])

    def backward(self) -> None:
        """Grads from zero, as ``root.backward()`` gives them."""
        self.root.zero_grad()
        self.root.backward()
        self.partial = False
        self.scale = largest_grad(self.order)  # the scale draw_dot colours by

    def nodes(self) -> list[dict[str, Any]]:
        """``{id, label, op, kind, data, grad}`` for every node (label: the engine's name)."""
        return [{"id": self.ids[n], "label": self.names[n], "op": n.op, "kind": _kind(n),
                 "data": n.data, "grad": n.grad} for n in self.order]

    def leaf(self, label: str) -> Value:
        found = [n for n in self.leaves if self.names[n] == label]
        if not found:
            known = ", ".join(self.names[n] for n in self.leaves) or "none"
            raise KeyError(f"no input or parameter is named {label!r} (they are: {known})")
        if len(found) > 1:
            raise KeyError(f"{len(found)} leaves are named {label!r}: give them distinct labels")
        leaf: Value = found[0]
        return leaf

    def set(self, label: str, number: float) -> dict[str, Any]:
        """Give one leaf a new value; forward and backward again through the same graph.

        Returns the new numbers (:meth:`update`: the graph keeps its shape, so the page
        patches the drawn diagram in place) and the linear prediction: the root's change
        that the old gradient predicts (grad · Δx) against the change that happened."""
        leaf = self.leaf(label)
        if self.partial:  # a step left partial grads: predict from backward's
            self.backward()
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(
                number):
            raise ValueError(f"{label} needs a finite number, got {number!r}")
        old_x, old_root, old_grad = leaf.data, self.root.data, leaf.grad
        leaf.data = float(number)
        try:
            self.forward()
        except (ValueError, ArithmeticError):
            leaf.data = old_x
            self.forward()
            raise
        self.backward()
        dx = leaf.data - old_x
        predicted, actual = old_grad * dx, self.root.data - old_root
        root = self.names[self.root]
        return {**self.update(), "prediction": {
            "predicted": predicted, "actual": actual,
            "text": (f"Δ{label} = {format_number(dx)}: the gradient predicted "
                     f"Δ{root} ≈ {label}.grad · Δ{label} = {format_number(old_grad)} · "
                     f"{format_number(dx)} = {format_number(predicted)}; it changed by "
                     f"{format_number(actual)}"
                     + (f" (off by {format_number(actual - predicted)})" if dx else ""))}}

    def _numbers(self) -> dict[str, Any]:
        """What a change of numbers changes on the page, but the diagram."""
        return {"root": self.ids[self.root], "nodes": self.nodes(),
                "leaves": [{"id": self.ids[n], "label": self.names[n], "kind": _kind(n),
                            "data": n.data, "text": format_number(n.data)}
                           for n in self.leaves],
                "summary": (f"{self.names[self.root]} = {format_number(self.root.data)} "
                            f"({len(self.order)} nodes, {len(self.ops)} ops)")}

    def state(self) -> dict[str, Any]:
        """Nodes and diagram after a full forward and backward."""
        dot = draw_order(self.order, self.names)  # draw_dot(self.root), names known
        return {**self._numbers(), "printed": self.printed, "diagram": diagram(dot.source)}

    def update(self) -> dict[str, Any]:
        """Nodes after a forward and backward through the same graph, and for the drawn
        diagram (which keeps its layout) each box's new texts and fill, as ``draw_dot``
        would draw them (``viz.dot.value_box``): ``boxes`` maps a node's id to
        ``[texts, fillcolor]``."""
        boxes = {}
        for node in self.order:
            texts, attrs = value_box(node, self.names[node], node.grad, self.scale)
            boxes[self.ids[node]] = [texts, attrs["fillcolor"]]
        return {**self._numbers(), "boxes": boxes}

    # -- step-through --------------------------------------------------------------------

    def steps(self) -> dict[str, Any]:
        """Step 0 shows the leaves; then one step per op forward, then each
        ``backward_steps()`` step. Also, per node, the step a click on it jumps to."""
        forward = [{"phase": "forward", "node": self.ids[n],
                    "text": _forward_text(n, self.names)} for n in self.ops]
        self.root.zero_grad()
        backward: list[dict[str, str]] = []
        last_added: dict[str, int] = {}
        for step in self.root.backward_steps():
            k = len(forward) + len(backward) + 1
            for inp, passed in zip(step.inputs, step.passed):
                if passed and not inp.inputs:
                    last_added[self.ids[inp]] = k
            backward.append({"phase": "backward", "node": self.ids[step.node],
                             "text": str(step)})
        self.backward()
        start = {"phase": "leaves", "node": "",
                 "text": "\n".join(f"{self.names[n]} = {format_number(n.data)}"
                                   for n in self.order if not n.inputs)}
        forward_of = {s["node"]: k + 1 for k, s in enumerate(forward)}
        backward_of = {s["node"]: k + len(forward) + 1 for k, s in enumerate(backward)}
        return {"steps": [start, *forward, *backward], "forward": len(forward),
                "click": {"forward": {**{self.ids[n]: 0 for n in self.order if not n.inputs},
                                      **forward_of},
                          "backward": {**last_added, **backward_of}}}

    def step(self, k: int) -> dict[str, Any]:
        """The state after step ``k`` (see :meth:`steps`): the diagram with that step's node
        highlighted, grads as backward has them so far (0 in the forward pass), colours on
        the final grads' scale, and the ids of the nodes not computed yet."""
        total = 1 + 2 * len(self.ops)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < total:
            raise ValueError(f"step must be an int from 0 to {total - 1}, got {k!r}")
        self.backward()
        scale = self.scale
        self.root.zero_grad()
        highlight: Value | None = None
        pending: list[str] = []
        text = ""
        if k <= len(self.ops):
            pending = [self.ids[n] for n in self.ops[k:]]
            if k:
                highlight = self.ops[k - 1]
                text = _forward_text(highlight, self.names)
        else:
            for j, step in enumerate(self.root.backward_steps()):
                if j == k - len(self.ops) - 1:
                    highlight, text = step.node, str(step)
                    break
        self.partial = k < total - 1
        dot = draw_order(self.order, self.names, highlight=highlight, grad_scale=scale or None)
        return {"step": k, "phase": "leaves" if k == 0 else (
                    "forward" if k <= len(self.ops) else "backward"),
                "node": "" if highlight is None else self.ids[highlight], "text": text,
                "pending": pending, "nodes": self.nodes(), "diagram": diagram(dot.source)}

    # -- checking ------------------------------------------------------------------------

    def check(self) -> dict[str, Any]:
        """``gradcheck`` of every input and parameter, and ``check_ops`` on the graph."""
        def f(*_: Value) -> Value:
            self.forward()
            return self.root

        from micrograd_nn.testing import check_ops  # on first use: the first view needs none

        lines: list[str] = []
        wrong = unchecked = False
        try:
            if self.leaves:
                report = gradcheck_report(f, self.leaves)
                report.outcome()  # raises, in gradcheck's own words, unless all agree
                lines.append(f"gradcheck: all {len(self.leaves)} gradients agree with "
                             f"their numerical derivatives ({report.settings})")
        except GradcheckError as e:
            wrong = True
            lines.append(str(e))
        except CannotCheckError as e:  # no rule is wrong; some slope is below the noise
            unchecked = True
            lines.append(str(e))
        finally:
            self.forward()
            self.backward()
        try:
            check_ops(self.root)
            lines.append(f"check_ops: every op node's rule agrees with its forward "
                         f"({len(self.ops)} nodes)")
        except GradcheckError as e:
            wrong = True
            lines.append(str(e))
        except CannotCheckError as e:
            unchecked = True
            lines.append(str(e))
        verdict = "FAIL" if wrong else "CANNOT CHECK" if unchecked else "PASS"
        return {"ok": verdict == "PASS", "verdict": verdict,
                "text": "\n".join([verdict, *lines])}


# ---------------------------------------------------------------------------------------
# Training mode


OPTIMIZERS: dict[str, Callable[..., Any]] = {
    "adam": Adam, "sgd": SGD, "momentum": Momentum, "rmsprop": RMSprop}
SIZES = ((8,), (16,), (8, 8), (16, 16))
GRID = 36
BOUNDS = (-1.6, 2.6, -1.2, 1.7)


class Trainer:
    """The two-moons data and an MLP trained on it full-batch, one ``fit`` epoch a step."""

    def __init__(self, hidden: Sequence[int] = (8,), optimizer: str = "adam",
                 lr: float = 0.05, seed: int = 0, samples: int = 100) -> None:
        if tuple(hidden) not in SIZES:
            raise ValueError(f"hidden sizes must be one of {list(SIZES)}, got {hidden!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
        if not (isinstance(lr, (int, float)) and 0 < lr <= 10):
            raise ValueError(f"learning rate must be a number in (0, 10], got {lr!r}")
        self.hidden = tuple(hidden)
        self.X, self.y = two_moons(samples, noise=0.1, seed=seed)
        self.model = MLP(2, [*self.hidden, 1], activation="tanh",
                         output_activation="sigmoid", seed=seed)
        self.optimizer = OPTIMIZERS[optimizer](self.model.parameters(), lr=lr)
        self.losses: list[float] = []
        self.accuracy: list[float] = []
        self.sample = 0

    def step(self, n: int = 1) -> list[float]:
        """``n`` full-batch steps; the loss of each (on the weights before its update)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"steps must be a positive int, got {n!r}")
        out = []
        for _ in range(n):
            history = fit(self.model, self.X, self.y, loss="bce", optimizer=self.optimizer,
                          epochs=1, batch_size=None, verbose=0)
            out.append(history.loss[-1])
            self.accuracy.append(history.accuracy[-1])
        self.losses += out
        return out

    def boundary(self) -> list[float]:
        """The model's output on a GRID × GRID grid over BOUNDS, row by row from the top."""
        x0, x1, y0, y1 = BOUNDS
        points = [[x0 + (x1 - x0) * (i + 0.5) / GRID, y1 - (y1 - y0) * (j + 0.5) / GRID]
                  for j in range(GRID) for i in range(GRID)]
        return [float(p) for p in predict(self.model, points)]

    def sample_loss(self) -> Value:
        """The loss of the chosen sample alone, as a graph, with grads from its backward."""
        self.model.zero_grad()
        x = [Value(v, f"x{i + 1}") for i, v in enumerate(self.X[self.sample])]
        loss = losses_module.bce([self.model(x)], [self.y[self.sample]]).named("loss")
        return loss

    def layers(self, loss: Value) -> list[dict[str, Any]]:
        """Each layer's W and dW (for the chosen sample), δ and a with dW = δ·aᵀ, and each
        entry's two chain-rule lines from ``backward_steps()``."""
        steps = {step.node: step for step in loss.backward_steps()}
        names = node_names(loss)
        order = topological_order(loss, leaves=True)
        product_of: dict[Value, Value] = {}   # weight -> its w * a node
        sum_of: dict[Value, Value] = {}       # w * a node -> the neuron's Σ node
        for node in order:
            if node.op == "*" and isinstance(node.inputs[0], Parameter):
                product_of[node.inputs[0]] = node
            if node.op == "sum":
                for inp in node.inputs:
                    sum_of[inp] = node
        out = []
        for li, layer in enumerate(self.model.layers):
            rows = []
            for neuron in layer.neurons:
                row = []
                for w in neuron.w:
                    m = product_of[w]
                    s = sum_of[m]
                    a = m.inputs[1]
                    lines = [steps[s].lines()[s.inputs.index(m)], steps[m].lines()[0]]
                    row.append({"w": w.data, "dw": w.grad, "a": a.data, "delta": s.grad,
                                "text": f"{w.label}: data {format_number(w.data)}, grad "
                                        f"{format_number(w.grad)}\n" + "\n".join(lines)})
                rows.append(row)
            sums = [sum_of[product_of[n.w[0]]] for n in layer.neurons]
            inputs = [product_of[w].inputs[1] for w in layer.neurons[0].w]
            delta = [{"value": s.grad, "text": f"δ{li + 1}[{j + 1}] = ∂loss/∂z = "
                      f"{names[s]}.grad = {format_number(s.grad)} (neuron {j + 1}'s Σ)"}
                     for j, s in enumerate(sums)]
            a = [{"value": v.data, "text": f"a{li}[{k + 1}] = {names[v]}.data = "
                  f"{format_number(v.data)}"} for k, v in enumerate(inputs)]
            gap = max(abs(e["dw"] - d["value"] * x["value"])
                      for r, d in zip(rows, delta) for e, x in zip(r, a))
            k = li + 1
            out.append({"name": f"layer {k}", "shape": [len(rows), len(a)],
                        "rows": rows, "delta": delta, "a": a,
                        "formula": (f"dW{k} = δ{k} · a{k - 1}ᵀ ({len(rows)}×1 times 1×"
                                    f"{len(a)}): δ{k} = ∂loss/∂z{k} (each neuron's Σ grad), "
                                    f"a{k - 1} = the layer's input"
                                    + (" (the sample x)" if k == 1 else "")),
                        "agreement": (f"largest |dW{k} − δ{k}·a{k - 1}ᵀ| over the entries: "
                                      f"{gap:.3g}")})
        return out

    def state(self, graph: bool = True) -> dict[str, Any]:
        """What the page draws: data, boundary, losses, and the chosen sample's views."""
        out: dict[str, Any] = {
            "X": self.X, "y": self.y, "bounds": BOUNDS, "grid": GRID,
            "boundary": self.boundary(), "losses": self.losses, "steps": len(self.losses),
            "sample": self.sample,
            "loss_text": (f"step {len(self.losses)}: loss {format_number(self.losses[-1])} "
                          f"(first {format_number(self.losses[0])})" if self.losses else ""),
            "summary": (f"MLP 2-{'-'.join(map(str, self.hidden))}-1, "
                        f"{self.model.num_params} parameters; step {len(self.losses)}"
                        + (f", loss {format_number(self.losses[-1])}, accuracy "
                           f"{self.accuracy[-1]:.2f}" if self.losses else ""))}
        if graph:
            loss = self.sample_loss()
            layers = self.layers(loss)  # runs backward_steps: grads as backward gives them
            x = self.X[self.sample]
            out["sample_text"] = (f"sample {self.sample}: x = ({format_number(x[0])}, "
                                  f"{format_number(x[1])}), y = {self.y[self.sample]:g}, "
                                  f"loss = {format_number(loss.data)}")
            out["diagram"] = diagram(draw_dot(loss, collapse="neuron").source)
            out["layers"] = layers
        return out

    def choose(self, i: int) -> None:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.X):
            raise ValueError(f"sample must be an int from 0 to {len(self.X) - 1}, got {i!r}")
        self.sample = i


def time_training(steps: int = 30, hidden: Sequence[int] = (8,)) -> dict[str, float]:
    """Steps per second of :meth:`Trainer.step` (fit, one full-batch epoch of the 100
    moons) for a fresh MLP: what ``playground/measure.py`` compares in Pyodide and CPython."""
    trainer = Trainer(hidden)
    trainer.step(1)  # warm-up
    start = time.perf_counter()
    trainer.step(steps)
    seconds = time.perf_counter() - start
    return {"steps": steps, "seconds": seconds, "steps_per_s": steps / seconds}


def time_set(expression: Expression, label: str, values: Sequence[float]) -> list[float]:
    """Milliseconds of each :meth:`Expression.set` for ``label`` at each of ``values``, as
    the worker's :func:`handle` call for it takes them: the arguments' JSON read, forward,
    backward, each box's new texts and fill, the reply's JSON written."""
    out = []
    for x in values:
        args_json = json.dumps([label, x])
        start = time.perf_counter()
        _reply(expression.set(*json.loads(args_json)))
        out.append(1000 * (time.perf_counter() - start))
    return out


# ---------------------------------------------------------------------------------------
# The worker's entry point


class Session:
    """What one page holds: the current expression and the current trainer."""

    def __init__(self) -> None:
        self.expression: Expression | None = None
        self.trainer: Trainer | None = None

    def _expr(self) -> Expression:
        if self.expression is None:
            raise RuntimeError("run an expression first")
        return self.expression

    def _train(self) -> Trainer:
        if self.trainer is None:
            self.trainer = Trainer()
        return self.trainer

    def call(self, method: str, args: list[Any]) -> Any:
        if method == "presets":
            return PRESETS
        if method == "run":
            expression = Expression(*args)
            self.expression = expression
            return expression.state()
        if method == "nodes":
            return self._expr().nodes()
        if method == "set":
            return self._expr().set(*args)
        if method == "steps":
            return self._expr().steps()
        if method == "step":
            return self._expr().step(*args)
        if method == "check":
            return self._expr().check()
        if method == "train_reset":
            self.trainer = Trainer(*args)
            return self.trainer.state()
        if method == "train":
            trainer = self._train()
            n, graph = (list(args) + [True])[:2]
            losses = trainer.step(n)
            return {"losses": losses, **trainer.state(graph=bool(graph))}
        if method == "train_state":
            return self._train().state()
        if method == "time_train":
            return time_training(*args)
        if method == "time_set":
            return time_set(self._expr(), *args)
        if method == "choose":
            trainer = self._train()
            trainer.choose(*args)
            return trainer.state()
        raise ValueError(f"unknown method {method!r}")


SESSION = Session()


def _finite(x: Any) -> Any:
    """``x`` with every NaN or infinity written as a string (``'nan'``, ``'inf'``,
    ``'-inf'``): JSON has no such numbers."""
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _reply(result: Any) -> str:
    """JSON ``{"ok": true, "result": result}``, NaN and infinities written as strings."""
    try:
        return json.dumps({"ok": True, "result": result}, allow_nan=False)
    except ValueError:  # a NaN or an infinity somewhere: rare, so only then walked
        return json.dumps({"ok": True, "result": _finite(result)}, allow_nan=False)


def handle(method: str, args_json: str) -> str:
    """Call ``method`` with the JSON list ``args_json``; JSON ``{"ok": true, "result": ...}``
    or ``{"ok": false, "error": <the exception as the engine words it>}``."""
    try:
        return _reply(SESSION.call(method, json.loads(args_json)))
    except Exception as e:  # every error goes back to the page, worded as raised
        return json.dumps({"ok": False, "error": error_text(e)})
