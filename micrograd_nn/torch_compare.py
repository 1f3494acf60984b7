"""Holding a recorded graph to PyTorch, node by node: :func:`compare` and its report. Import
it from :mod:`micrograd_nn.torch`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from . import Constant, Value, grad, node_names
from . import topological_order as _topological_order
from .ops import PowConst
from .torch_ops import F64, is_builtin, op_function, override_function, torch, torch_op
from .value import Op

__all__ = ["RTOL", "ATOL", "RULES", "NodeComparison", "Disagreement", "SecondOrder",
           "Comparison", "compare"]

RTOL = 1e-10
"""Relative tolerance of :func:`compare` (see :func:`compare` for why this value)."""
ATOL = 1e-13
"""Absolute tolerance of :func:`compare`, for numbers at or near 0."""
RULES = {
    "zero grad": "micrograd_nn follows its rule 'a node whose grad is exactly 0 passes "
                 "nothing back' (README, backward()), so the grad stays {ours}; PyTorch "
                 "multiplies the zero grad by an infinite local derivative (0 · inf = nan)",
    "x / x": "micrograd_nn follows its rule 'x / x is the constant 1' (README, the ops "
             "table), so it passes 0 exactly; PyTorch adds the two paths 1/x and -x/x^2, "
             "which give {theirs}",
    "fsum": "micrograd_nn follows its rule 'Value.sum is exactly rounded (math.fsum)' "
            "(README, Guarantees), giving {ours}; PyTorch adds the terms in floating point, "
            "giving {theirs}",
}
"""The documented rules where micrograd_nn and PyTorch part on purpose, by name: what a
:class:`Disagreement`'s ``rule`` says."""



def _close(a: float, b: float, scale: float, rtol: float, atol: float) -> bool:
    """a and b agree: the same non-finite value, or within atol + rtol * scale."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= atol + rtol * max(scale, abs(a), abs(b))


def _item(t: Any) -> float:
    return 0.0 if t is None else float(t.item())


@dataclass
class NodeComparison:
    """One node of the graph, in both engines: micrograd_nn's ``data`` and ``grad``
    (d root / d node, as ``backward()`` gives), PyTorch's ``torch_data`` (the op at the
    same input numbers) and ``torch_grad`` (from ``root.backward()`` in torch), and
    whether each pair agrees within the comparison's tolerance."""

    index: int
    node: Value
    name: str
    op: str
    data: float
    torch_data: float
    grad: float
    torch_grad: float
    data_agrees: bool
    grad_agrees: bool


@dataclass
class Disagreement:
    """Where the engines part. ``kind``: ``'data'`` (the op's value differs at the same
    inputs), ``'grad'`` (what the op passes back to ``input`` differs, from the same
    upstream grad), ``'accumulated'`` (a node's grad differs though every op agrees: the
    rounding of a long chain), ``'gradcheck'`` (a custom op with no torch reference fails
    ``torch.autograd.gradcheck``) or ``'second derivative'``.

    ``node`` is the op node whose rule differs, ``ours``/``theirs`` micrograd_nn's and
    PyTorch's numbers, ``chain`` the ops from ``node`` back to a leaf (along the longest
    path), ``expression`` the node's formula a few levels deep. ``rule`` is None for a real
    disagreement, else which engine follows which documented rule (see :data:`RULES`)."""

    kind: str
    node: Value
    name: str
    op: str
    ours: float
    theirs: float
    input: Value | None = None
    input_name: str = ""
    rule: str | None = None
    chain: list[str] = field(default_factory=list)
    expression: str = ""

    @property
    def label(self) -> str:
        """The node's own label (``''`` when unnamed; ``name`` is then the one the report
        made, such as ``mul#3``)."""
        return self.node.label

    def __str__(self) -> str:
        what = {"data": "value", "grad": f"grad passed to '{self.input_name}'",
                "accumulated": "grad", "gradcheck": f"derivative d/d'{self.input_name}'",
                "second derivative": f"second derivative {self.input_name}"}[self.kind]
        theirs = "a central difference (torch.autograd.gradcheck fails)" \
            if self.kind == "gradcheck" else "PyTorch"
        head = (f"{what} of op '{self.op}' (node '{self.name}' = {self.expression}): "
                f"micrograd_nn {self.ours!r}, {theirs} {self.theirs!r}")
        tail = f"\n    chain back to the leaves: {' <- '.join(self.chain)}" if self.chain else ""
        if self.rule:
            return f"{head}\n    a rule difference, not a bug: {self.rule}{tail}"
        return head + tail


@dataclass
class SecondOrder:
    """Second derivatives d²root/dx_i dx_j: micrograd_nn's (``grad(..., create_graph=True)``
    twice) and PyTorch's (``torch.autograd.grad(..., create_graph=True)`` twice)."""

    inputs: list[str]
    ours: list[list[float]]
    theirs: list[list[float]]


@dataclass
class Comparison:
    """What :func:`compare` found. ``nodes``: every node in topological order (leaves
    first, root last) in both engines. ``disagreements``: each place the engines part, the
    values' in topological order first, then the grads' in the order backward visits the
    ops (the first one whose rule differs is where a wrong gradient starts); ``first`` is
    the first of them, None when everything agrees. ``notes`` says what could not be held
    to PyTorch (custom ops with no torch reference)."""

    nodes: list[NodeComparison]
    disagreements: list[Disagreement]
    second_order: SecondOrder | None
    notes: list[str]
    rtol: float
    atol: float

    @property
    def first(self) -> Disagreement | None:
        """The first disagreement (rule differences included), or None."""
        return self.disagreements[0] if self.disagreements else None

    @property
    def unexplained(self) -> list[Disagreement]:
        """The disagreements no documented rule explains: bugs, in one engine or a custom op."""
        return [d for d in self.disagreements if d.rule is None]

    @property
    def agrees(self) -> bool:
        """True when every value, grad (and second derivative) agrees within tolerance."""
        return not self.disagreements

    def table(self, limit: int | None = None) -> str:
        """Every node in topological order (leaves first), one line each: its name and op,
        both engines' value and grad, and ``!`` where a pair disagrees; the first
        ``limit`` nodes only, if given."""
        rows = self.nodes if limit is None else self.nodes[:limit]
        lines = [f"{'#':>4}  {'node':<12} {'op':<8} {'data':>22} {'torch data':>22} "
                 f"{'grad':>22} {'torch grad':>22}"]
        for r in rows:
            lines.append(f"{r.index:>4}  {r.name[:12]:<12} {r.op[:8]:<8} {r.data!r:>22}"
                         f"{' ' if r.data_agrees else '!'}{r.torch_data!r:>22} "
                         f"{r.grad!r:>22}{' ' if r.grad_agrees else '!'}{r.torch_grad!r:>22}")
        if len(rows) < len(self.nodes):
            lines.append(f"  ... {len(self.nodes) - len(rows)} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        n = len(self.nodes)
        second = self.second_order
        lines = [f"compare: {n} node{'s' if n != 1 else ''}, rtol={self.rtol:g}, "
                 f"atol={self.atol:g}" + (f", second derivatives over {len(second.inputs)} "
                                          "inputs" if second else "")]
        if self.agrees:
            lines.append("  every value and gradient agrees with PyTorch")
        else:
            explained = len(self.disagreements) - len(self.unexplained)
            lines.append(f"  {len(self.unexplained)} disagreement(s), {explained} rule "
                         "difference(s); the first:")
            lines.append("  " + str(self.first).replace("\n", "\n  "))
            for d in self.disagreements[1:]:
                lines.append(f"  then: {d.kind} of op '{d.op}' (node '{d.name}')"
                             + (" [rule difference]" if d.rule else ""))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def _expression(node: Value, names: dict[Value, str], depth: int, nested: bool = False) -> str:
    """The formula of ``node`` down to ``depth`` levels (deeper nodes by name)."""
    if not node.inputs or depth == 0:
        return names[node]
    name = type(node).__name__
    binary = is_builtin(node) and name in ("Add", "Sub", "Mul", "Div", "Pow")
    args = [_expression(i, names, depth - 1, binary or isinstance(node, PowConst))
            for i in node.inputs]
    if isinstance(node, PowConst):
        text = f"{args[0]} ** {node.exponent:g}"
    elif binary:
        text = f"{args[0]} {node.op} {args[1]}"
    elif name == "Neg" and is_builtin(node):
        return f"-{_expression(node.inputs[0], names, depth - 1, True)}"
    else:
        shown = args if len(args) <= 4 else [*args[:3], f"... {len(args) - 3} more"]
        return f"{node.op}({', '.join(shown)})"
    return f"({text})" if nested else text


def _chain(node: Value, names: dict[Value, str], height: dict[Value, int]) -> list[str]:
    """``node`` and the ops below it back to a leaf, along the longest path."""
    out = []
    current = node
    while True:
        out.append(f"{current.op} '{names[current]}'" if current.inputs else f"'{names[current]}'")
        if not current.inputs:
            return out
        current = max(current.inputs, key=lambda v: height[v])


class _Graph:
    """One recorded graph, evaluated in both engines."""

    def __init__(self, root: Value, torch_ops: Mapping[str, Callable[..., Any]],
                 rtol: float, atol: float) -> None:
        self.root = root
        self.torch_ops = torch_ops
        self.rtol, self.atol = rtol, atol
        self.order: list[Value] = _topological_order(root, leaves=True)
        self.names = node_names(root)
        self.height: dict[Value, int] = {}
        for v in self.order:
            self.height[v] = 1 + max((self.height[i] for i in v.inputs), default=-1)
        # micrograd_nn's d root / d node for every node, without touching any .grad
        self.adjoint = {v: g.data for v, g in zip(self.order, grad(root, self.order))}
        self.torch_data: dict[Value, float] = {}
        self.notes: list[str] = []
        self.disagreements: list[Disagreement] = []

    def disagreement(self, kind: str, node: Value, ours: float, theirs: float,
                     inp: Value | None = None, rule: str | None = None,
                     input_name: str = "") -> Disagreement:
        return Disagreement(kind, node, self.names[node], node.op, ours, theirs, inp,
                            input_name or (self.names[inp] if inp is not None else ""),
                            rule, _chain(node, self.names, self.height),
                            _expression(node, self.names, 3))

    # --- torch end to end -------------------------------------------------------------
    def run_torch(self) -> dict[Value, Any]:
        """Every node as a tensor, chained, each op fed micrograd_nn's numbers for its
        inputs (a tensor that rounds differently, or differs by a rule, is moved onto
        micrograd_nn's number, its gradient passed on unchanged), so each node's value is
        compared op against op and no difference spreads down the graph."""
        tensors: dict[Value, Any] = {}
        for node in self.order:
            if not node.inputs:
                t = torch.tensor(node.data, dtype=F64, requires_grad=True)
                self.torch_data[node] = node.data
            else:
                t = torch_op(node, [tensors[i] for i in node.inputs], self.torch_ops)
                value = float(t.item())
                self.torch_data[node] = value
                if not (value == node.data or (math.isnan(value) and math.isnan(node.data))):
                    t = override_function().apply(t, node.data)
                if t.requires_grad:
                    t.retain_grad()
            tensors[node] = t
        return tensors

    # --- values, op by op -------------------------------------------------------------
    def check_data(self) -> dict[Value, bool]:
        ok = {}
        for node in self.order:
            ours, theirs = node.data, self.torch_data[node]
            scale = sum(abs(i.data) for i in node.inputs) if type(node).__name__ in (
                "Add", "Sub", "Sum") and is_builtin(node) else 0.0
            ok[node] = _close(ours, theirs, scale, self.rtol, self.atol)
            if not ok[node]:
                rule = None
                if type(node).__name__ == "Sum" and is_builtin(node):
                    rule = RULES["fsum"].format(ours=ours, theirs=theirs)
                self.disagreements.append(self.disagreement("data", node, ours, theirs,
                                                            rule=rule))
        return ok

    # --- gradients, op by op ------------------------------------------------------------
    def check_grads(self) -> dict[Value, float]:
        """For each op node, from the root down (backward's order): what it passes to each
        input, in micrograd_nn (its derivatives times its grad) and in PyTorch (the torch
        op's vector-Jacobian product at the same numbers, the same grad). Returns each
        node's sum of |contributions|: the scale its total grad is compared at."""
        scale: dict[Value, float] = {v: 0.0 for v in self.order}
        ops = [v for v in self.order if v.inputs]
        for node in reversed(ops):
            g = self.adjoint[node]
            distinct = list(dict.fromkeys(node.inputs))
            ds = cast(Op, node).local_derivatives()
            ours = dict.fromkeys(distinct, 0.0)
            size = dict.fromkeys(distinct, 0.0)
            if g:  # as backward(): a zero grad passes nothing back
                for inp, d in zip(node.inputs, ds):
                    if d is not None:
                        ours[inp] += d * g
                        size[inp] += abs(d * g)
            leaves = {v: torch.tensor(v.data, dtype=F64, requires_grad=True) for v in distinct}
            out = torch_op(node, [leaves[i] for i in node.inputs], self.torch_ops)
            theirs = dict.fromkeys(distinct, 0.0)
            if out.requires_grad:
                got = torch.autograd.grad(out, [leaves[v] for v in distinct],
                                          grad_outputs=torch.tensor(g, dtype=F64),
                                          allow_unused=True)
                theirs = {v: _item(t) for v, t in zip(distinct, got)}
            for inp in distinct:
                scale[inp] += size[inp]
                if not _close(ours[inp], theirs[inp], size[inp], self.rtol, self.atol):
                    self.disagreements.append(self.disagreement(
                        "grad", node, ours[inp], theirs[inp], inp,
                        self._grad_rule(node, g, ours[inp], theirs[inp])))
            if not is_builtin(node) and node.op not in self.torch_ops:
                self._gradcheck(node, leaves, distinct)
        return scale

    def _grad_rule(self, node: Value, g: float, ours: float, theirs: float) -> str | None:
        if g == 0.0 and math.isnan(theirs) and not math.isnan(ours):
            return RULES["zero grad"].format(ours=ours, theirs=theirs)
        if type(node).__name__ == "Div" and is_builtin(node) and \
                node.inputs[0] is node.inputs[1]:
            return RULES["x / x"].format(ours=ours, theirs=theirs)
        return None

    def _gradcheck(self, node: Value, leaves: dict[Value, Any], distinct: list[Value]) -> None:
        """A custom op with no torch reference runs in torch through its own derivative, so
        torch can only hold it to ``torch.autograd.gradcheck`` (as PyTorch asks of every
        custom Function): central differences of its forward, eps 1e-6, atol 1e-5, rtol
        1e-3, the defaults of micrograd_nn.gradcheck too."""
        self.notes.append(
            f"custom op '{node.op}' (node '{self.names[node]}') ran in PyTorch through its own "
            "forward and derivative; its derivative was held to torch.autograd.gradcheck "
            f"only: pass torch_ops={{'{node.op}': <torch function>}} to hold it to PyTorch")
        xs = tuple(torch.tensor(v.data, dtype=F64, requires_grad=True) for v in node.inputs)
        fn = op_function()
        try:
            ok = torch.autograd.gradcheck(lambda *ts: fn.apply(node, *ts), xs, eps=1e-6,
                                          atol=1e-5, rtol=1e-3, raise_exception=False)
        except (ValueError, ArithmeticError) as e:  # a step out of the op's domain
            self.notes.append(f"custom op '{node.op}': gradcheck could not run: {e}")
            return
        if ok:
            return
        op = cast(Op, node)
        ds = op.local_derivatives()
        data = [v.data for v in node.inputs]
        for k, d in enumerate(ds):
            plus, minus = list(data), list(data)
            plus[k] += 1e-6
            minus[k] -= 1e-6
            numeric = (op.forward_at(*plus) - op.forward_at(*minus)) / 2e-6
            analytic = 0.0 if d is None else d
            if not abs(analytic - numeric) <= 1e-5 + 1e-3 * abs(numeric):
                self.disagreements.append(self.disagreement(
                    "gradcheck", node, analytic, numeric, node.inputs[k]))
                return

    def compare(self, second_inputs: Sequence[Value] | None) -> Comparison:
        tensors = self.run_torch()
        tensors[self.root].backward(retain_graph=second_inputs is not None)
        data_ok = self.check_data()
        scale = self.check_grads()
        rows = []
        located = bool(self.disagreements)
        for i, node in enumerate(self.order):
            ours_g, torch_g = self.adjoint[node], _item(tensors[node].grad)
            if node is self.root and not node.inputs:
                torch_g = 1.0
            grad_ok = _close(ours_g, torch_g, scale[node], self.rtol, self.atol)
            rows.append(NodeComparison(i, node, self.names[node], node.op, node.data,
                                       self.torch_data[node], ours_g, torch_g,
                                       data_ok[node], grad_ok))
        if not located:  # no op differs, yet a grad does: rounding summed along the graph
            for row in reversed(rows):
                if not row.grad_agrees:
                    self.disagreements.append(self.disagreement(
                        "accumulated", row.node, row.grad, row.torch_grad))
                    break
        second = self.second_order(second_inputs, tensors) if second_inputs is not None \
            else None
        return Comparison(rows, self.disagreements, second, self.notes, self.rtol, self.atol)

    def second_order(self, inputs: Sequence[Value], tensors: dict[Value, Any]) -> SecondOrder:
        inputs = list(inputs)
        ours = [[h.data for h in grad(first, inputs)]
                for first in grad(self.root, inputs, create_graph=True)]
        # an input the root does not depend on: a leaf of its own, its derivatives 0
        ts = [tensors[v] if v in tensors else torch.tensor(v.data, dtype=F64,
                                                           requires_grad=True) for v in inputs]
        firsts = torch.autograd.grad(tensors[self.root], ts, create_graph=True,
                                     allow_unused=True)
        theirs = []
        for first in firsts:
            if first is None or not first.requires_grad:
                theirs.append([0.0] * len(ts))
                continue
            row = torch.autograd.grad(first, ts, retain_graph=True, allow_unused=True)
            theirs.append([_item(t) for t in row])
        labels = [self.names.get(v) or v.label or f"input {i + 1}" for i, v in enumerate(inputs)]
        for i, (row_o, row_t) in enumerate(zip(ours, theirs)):
            for j, (a, b) in enumerate(zip(row_o, row_t)):
                if not _close(a, b, 0.0, self.rtol, self.atol):
                    self.disagreements.append(self.disagreement(
                        "second derivative", self.root, a, b,
                        input_name=f"d/d{labels[i]} d/d{labels[j]}"))
                    return SecondOrder(labels, ours, theirs)
        return SecondOrder(labels, ours, theirs)


def compare(f: Value | Callable[..., Value], inputs: Sequence[Value | float] | None = None, *,
            second_order: bool = False,
            torch_ops: Mapping[str, Callable[..., Any]] | None = None,
            rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Hold a recorded graph to PyTorch, node by node.

    ``compare(root)`` takes the graph under a Value; ``compare(f, inputs)`` builds it by
    calling ``f`` on fresh leaves holding ``inputs`` (numbers or Values, left untouched).
    Every node is re-evaluated in PyTorch in float64 with :data:`TORCH_OPS` (a custom op
    with the torch function ``torch_ops[name]`` if given, else as a
    ``torch.autograd.Function`` made from its own forward and derivative, held to
    ``torch.autograd.gradcheck``), and torch's autograd computes every node's gradient.
    micrograd_nn's gradients come from :func:`micrograd_nn.grad` (the numbers
    ``backward()`` gives); no node's ``grad`` is changed.

    Each op is compared at the same numbers: its value from micrograd_nn's input values,
    and what it passes back to each input from micrograd_nn's grad at the node, so the
    first disagreement is the op whose rule differs, not a node downstream of it. Values
    are reported in topological order, gradients in the order backward visits the ops (a
    wrong derivative spoils every grad below it; the first op, from the root, whose
    contribution differs is where it starts). Rule differences the README documents are
    reported with the rule each engine follows (:data:`RULES`).

    **Tolerance**: two numbers agree when equal (the same inf or nan included) or
    ``|a - b| <= atol + rtol * scale``, scale the larger of |a| and |b| and, for ``+``,
    ``-`` and ``sum`` (whose rounding error scales with the terms, not the result) and for
    gradients (a sum of contributions), the sum of the magnitudes that were added.
    rtol = 1e-10: both engines round every float64 op to within a few ulps (2.2e-16 each;
    PyTorch's libm and summation order differ from Python's), and a node's end-to-end
    grad collects one such error per op on its way from the root, so rtol leaves room for
    chains of many thousands of ops, while a wrong rule is off by far more (a factor, a
    sign, a term). atol = 1e-13 for numbers that are 0 in one engine and round to
    ~1e-16 · scale in the other. Each op node costs one small torch autograd call.

    ``second_order=True`` also compares every second derivative d²root/dx_i dx_j over the
    inputs (``compare(f, inputs)``: those; ``compare(root)``: its leaves that are not
    constants), micrograd_nn's ``grad(grad(..., create_graph=True))`` against torch's
    ``torch.autograd.grad(..., create_graph=True)`` twice.
    """
    if isinstance(f, Value):
        root = f
        second = None
        if inputs is not None and not second_order:
            raise TypeError("compare(root, inputs): inputs name the variables of the second "
                            "derivatives; pass second_order=True (or call compare(root))")
        if second_order:
            if inputs is not None:
                second = [v for v in inputs if isinstance(v, Value)]
            else:
                second = [v for v in _topological_order(root, leaves=True)
                          if not v.inputs and not isinstance(v, Constant)]
    else:
        if inputs is None or not callable(f):
            raise TypeError("compare needs a Value, or a function and its inputs: "
                            f"compare(f, inputs); got {f!r}")
        xs = _fresh(inputs)
        root = f(*xs)
        if not isinstance(root, Value):
            raise TypeError(f"compare: f must return a Value, got {type(root).__name__} {root!r}")
        second = xs if second_order else None
    if rtol < 0 or atol < 0:
        raise ValueError(f"compare: rtol and atol must be >= 0, got {rtol}, {atol}")
    return _Graph(root, dict(torch_ops or {}), rtol, atol).compare(second)


def _fresh(inputs: Sequence[Value | float]) -> list[Value]:
    xs = []
    for i, v in enumerate(inputs):
        if isinstance(v, Value):
            xs.append(Value(v.data, v.label))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            xs.append(Value(v, f"x{i + 1}"))
        else:
            raise TypeError(f"compare: input {i} must be a number or a Value, got "
                            f"{type(v).__name__} {v!r}")
    return xs
