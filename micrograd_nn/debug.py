"""Backprop in a debugger: pdb that knows the graph, and stops on backprop events.

* :func:`set_trace` starts :class:`Pdb`, pdb with five more commands (``help why`` in pdb):
  ``why v`` (v's grad as the chain rule with numbers), ``path a b`` (every path from a to
  b with the product along each), ``inputs v``, ``where v`` (where v was made; ``where``
  alone is pdb's stack trace) and ``graph v`` (a text tree, one line per neuron for
  models). ``PYTHONBREAKPOINT=micrograd_nn.debug.set_trace`` makes ``breakpoint()`` use it.
* The same views as functions for any debugger's console: ``from micrograd_nn.debug import
  why; why(v)``. Each returns a :class:`Text`, which a console shows as its lines.
* :func:`backward` is ``root.backward()`` that stops in the debugger (``breakpoint()``)
  *before* a chosen node's grad, or the first non-finite grad, is written, in a frame whose
  locals are the node, its inputs and the rule's numbers.

Nodes are named as diagrams and steps name them (:func:`micrograd_nn.text.node_names`).
Nothing here is imported by ``import micrograd_nn``.
"""

from __future__ import annotations

import math
import pdb
import sys
from collections import UserString
from collections.abc import Iterable
from types import FrameType
from typing import Any, Callable

from micrograd_nn import AnomalyError, Constant, Parameter, Value, topological_order
from micrograd_nn.text import equation, node_names
from micrograd_nn.text import format_number as _num
from micrograd_nn.varnames import user_frames

__all__ = ["set_trace", "Pdb", "why", "path", "inputs", "where", "graph", "backward",
           "names", "Text"]

_SITE_UNKNOWN = ("where {name} was made is not recorded: a node records its creation site "
                 "only when made inside `with micrograd_nn.detect_anomaly():` (run the "
                 "forward pass inside it, then ask again)")


class Text(UserString):
    """A view's text, with str's methods and the text as its repr, so consoles show its lines
    (not a str subclass: debugpy shows those as ``<Text, len() = N>`` past 128 characters)."""

    def __repr__(self) -> str:
        return self.data


def _caller(frame: FrameType | None) -> FrameType:
    """``frame``, or the frame that called the public function (two levels up)."""
    return frame if frame is not None else sys._getframe(2)


def names(root: Value, frame: FrameType | None = None) -> dict[Value, str]:
    """A name for every node of ``root``'s graph, as diagrams and steps name them
    (:func:`micrograd_nn.text.node_names`): the label, else the variable holding it in the
    user's frames from ``frame`` (default: the caller's) outwards, else a constant's value,
    else its kind and number (``mul#2``, ``leaf#1``)."""
    return node_names(root, frame=_caller(frame))


def _kind(v: Value) -> str:
    if v.op:
        return repr(v.op)
    if isinstance(v, Parameter):
        return "parameter"
    return "constant" if isinstance(v, Constant) else "leaf"


def _equation(v: Value, name: dict[Value, str]) -> str:
    """``y = x * w``: how ``v`` was computed, in the graph's names."""
    if not v.inputs:
        return f"{name[v]} (a {_kind(v)})"
    return equation(v, name)


def _check_value(v: Any, what: str) -> Value:
    if not isinstance(v, Value):
        raise TypeError(f"{what} must be a micrograd_nn Value, got {type(v).__name__} {v!r}")
    return v


def _candidates(frame: FrameType) -> list[Value]:
    """Every Value held by a variable of the user's frames, innermost first."""
    seen: set[int] = set()
    out: list[Value] = []
    for f in user_frames(frame):
        for scope in (f.f_locals, f.f_globals):
            for obj in list(scope.values()):
                if isinstance(obj, Value) and id(obj) not in seen:
                    seen.add(id(obj))
                    out.append(obj)
    return out


def _find_root(v: Value, frame: FrameType) -> tuple[Value, str]:
    """The root whose grads explain ``v``'s: of the Values the user's variables hold whose
    graph contains ``v``, the one no other contains. Returns it and how it was chosen."""
    containing = []
    graphs: dict[Value, set[Value]] = {}
    for c in _candidates(frame):
        if not c.inputs:
            continue
        nodes = set(topological_order(c, leaves=True))
        if v in nodes:
            containing.append(c)
            graphs[c] = nodes
    tops = [c for c in containing if not any(c is not o and c in graphs[o] for o in containing)]
    if not tops and not v.inputs:
        raise ValueError("no variable here holds a graph that uses it: give the root, "
                         "`why v root` or why(v, root)")
    if not tops:
        return v, "no variable holds a graph that uses it: it is its own root"
    if len(tops) > 1:
        raise ValueError(
            "several graphs use it (" + ", ".join(names(t, frame)[t] for t in tops)
            + "): name the root, e.g. `why v root` or why(v, root)")
    return tops[0], "the largest graph the frame's variables hold that uses it"


def _root_or_self(v: Value, frame: FrameType) -> Value:
    """The root :func:`_find_root` picks (names stay the same from view to view), else v."""
    try:
        return _find_root(v, frame)[0]
    except ValueError:
        return v


def why(v: Value, root: Value | None = None, *, frame: FrameType | None = None) -> Text:
    """``v.grad`` as the chain rule with numbers: the sum over the ops that use ``v`` (its
    consumers c) of ∂c/∂v · c.grad, each term with its numbers, and whether the sum matches
    ``v.grad``. ``root`` is the Value backward ran from; by default the largest graph that a
    variable in the calling code holds and that uses ``v``."""
    v = _check_value(v, "why(v)")
    frame = _caller(frame)
    if root is None:
        root, how = _find_root(v, frame)
    else:
        root = _check_value(root, "why(v, root)")
        how = "given"
    order = topological_order(root, leaves=True)
    if v not in set(order):
        raise ValueError(f"{v!r} is not in the graph of {root!r}")
    name = names(root, frame)
    lines = [f"why {name[v]}.grad = {_num(v.grad)}   (root: {name[root]}, {how})"]
    if v is root:
        lines.append(f"{name[v]} is the root: backward starts with {name[v]}.grad = 1")
        return Text("\n".join(lines))
    # In the order backward adds them (reverse topological), so the sum is bit for bit
    # the one backward makes.
    terms: list[tuple[Value, int]] = [(c, i) for c in reversed(topological_order(root))
                                      for i, inp in enumerate(c.inputs) if inp is v]
    lines.append(f"{name[v]} is used {len(terms)} time{'s' if len(terms) != 1 else ''}; "
                 f"its grad is the sum of ∂(use)/∂{name[v]} × (use).grad, in the order "
                 "backward adds them:")
    total = 0.0
    for c, i in terms:
        d = c.local_grads()[i]
        g = c.grad
        share = d * g if (g and d) else 0.0
        total += share
        note = ""
        if not g:  # at a stop, its own grad may still be on its way
            note = (f"   ({name[c]}.grad is 0 so far: backward is stopped part-way, and may "
                    "not have reached it)" if _stopped else
                    f"   ({name[c]}.grad is 0: nothing passes back)")
        elif not d:
            note = "   (local derivative 0: nothing passes)"
        lines.append(f"  + ∂{name[c]}/∂{name[v]} × {name[c]}.grad = {_num(d)} × {_num(g)} = "
                     f"{_num(share)}      [{_equation(c, name)}]{note}")
    lines.append(f"  = {_num(total)}")
    if total == v.grad or (math.isnan(total) and math.isnan(v.grad)):
        lines.append(f"which is {name[v]}.grad")
    else:
        if _stopped:
            hint = ("backward is stopped part-way (micrograd_nn.debug.backward): uses whose "
                    "turn has not come have not passed their share yet")
        elif not v.inputs:
            hint = "a leaf's grad accumulates over backward() calls (zero_grad() between them)"
        else:
            hint = "backward has not run from this root since the numbers changed"
        if not _stopped:
            hint += ", or another root's backward ran last"
        lines.append(f"but {name[v]}.grad is {_num(v.grad)}: {hint}")
    return Text("\n".join(lines))


def _reaching(a: Value, order: list[Value]) -> set[Value]:
    """The nodes of ``order`` (inputs first) from which ``a`` can be reached."""
    reach = {a}
    for n in order:
        if any(i in reach for i in n.inputs):
            reach.add(n)
    return reach


def path(a: Value, b: Value, *, limit: int = 20, frame: FrameType | None = None) -> Text:
    """Every path from ``a`` up to ``b`` (``b`` computed from ``a``), with the product of
    the local derivatives along each; their sum is ∂b/∂a (shown too). At most ``limit``
    paths are written out; the count and the sum are over all of them."""
    a = _check_value(a, "path(a, b): a")
    b = _check_value(b, "path(a, b): b")
    frame = _caller(frame)
    order = topological_order(b, leaves=True)
    flipped = ""
    if a not in set(order):
        other = topological_order(a, leaves=True)
        if b not in set(other):
            raise ValueError(f"no path: neither {a!r} nor {b!r} is computed from the other")
        a, b, order = b, a, other
        flipped = " (swapped: the second is computed from the first)"
    name = names(b, frame)
    reach = _reaching(a, order)
    count: dict[Value, int] = {}
    deriv: dict[Value, float] = {}
    for n in order:
        if n not in reach:
            continue
        if n is a:
            count[n], deriv[n] = 1, 1.0
            continue
        local = n.local_grads()
        count[n] = sum(count[i] for i in n.inputs if i in reach)
        deriv[n] = sum(d * deriv[i] for i, d in zip(n.inputs, local) if i in reach)
    lines = [f"paths from {name[a]} to {name[b]}{flipped}: {count[b]}, "
             f"∂{name[b]}/∂{name[a]} = sum of their products = {_num(deriv[b])}"]

    # Depth first, without recursion (a path may be longer than the recursion limit);
    # trail: (node, ∂node/∂below) from a's consumer up to b.
    stack: list[tuple[Value, list[tuple[Value, float]]]] = [(b, [])]
    shown = 0
    while stack:
        node, trail = stack.pop()
        if node is not a:
            stack.extend((i, [(node, d), *trail]) for i, d in
                         reversed(list(zip(node.inputs, node.local_grads()))) if i in reach)
            continue
        if shown == limit:
            lines.append(f"  ... and {count[b] - limit} more")
            break
        shown += 1
        below = [a] + [n for n, _ in trail]
        symbols = " × ".join(f"∂{name[n]}/∂{name[m]}" for (n, _), m in zip(trail, below))
        numbers = " × ".join(_num(d) for _, d in trail)
        lines.append(f"  {' → '.join(name[n] for n in below)}:  {symbols} = {numbers} = "
                     f"{_num(math.prod(d for _, d in trail))}")
    return Text("\n".join(lines))


def inputs(v: Value, *, frame: FrameType | None = None) -> Text:
    """``v``'s inputs, each with its data, grad, the local derivative ∂v/∂input and what
    backward passes to it (local derivative × v.grad)."""
    v = _check_value(v, "inputs(v)")
    frame = _caller(frame)
    ins = v.inputs
    name = names(_root_or_self(v, frame), frame)
    head = f"{_equation(v, name)}   data {_num(v.data)}, grad {_num(v.grad)}"
    if not ins:
        return Text(f"{head}: no inputs")
    lines = [head]
    for inp, d in zip(ins, v.local_grads()):
        share = d * v.grad if (v.grad and d) else 0.0
        lines.append(f"  {name[inp]}: data {_num(inp.data)}, grad {_num(inp.grad)}, "
                     f"∂{name[v]}/∂{name[inp]} = {_num(d)}, backward passes it "
                     f"{_num(d)} × {_num(v.grad)} = {_num(share)}")
    return Text("\n".join(lines))


def where(v: Value, *, frame: FrameType | None = None) -> Text:
    """Where ``v`` was made (``file:line``), when that is known: nodes record it only when
    made inside ``detect_anomaly()``; otherwise this says so rather than guess."""
    v = _check_value(v, "where(v)")
    frame = _caller(frame)
    name = names(_root_or_self(v, frame), frame)[v]
    site = getattr(v, "site", None)
    if site:
        return Text(f"{name} was made at {site}")
    return Text(_SITE_UNKNOWN.format(name=name))


def _neuron_groups(order: list[Value]) -> dict[Value, str]:
    import importlib

    try:  # standard library only, but viz/ may be absent from a source tree on sys.path
        groups = importlib.import_module("micrograd_nn.viz.groups")
    except ImportError:
        return {}
    found: dict[Value, str] = groups.module_groups(order)
    return found


def graph(v: Value, *, collapse: bool = True, depth: int | None = None,
          max_lines: int = 200, frame: FrameType | None = None) -> Text:
    """``v``'s graph as a text tree, one line per node: name = data (grad g) and its op.
    A node already shown appears again as ``(shown above)``. With ``collapse`` (default),
    the nodes a model's neuron computed are one line (its path and activation, its
    parameters' count) above the neuron's inputs. ``depth`` limits how far down it goes,
    ``max_lines`` how long it gets."""
    v = _check_value(v, "graph(v)")
    frame = _caller(frame)
    order = topological_order(v, leaves=True)
    name = names(v, frame)
    groups = _neuron_groups(order) if collapse else {}
    members: dict[str, list[Value]] = {}
    for n, p in groups.items():
        members.setdefault(p, []).append(n)

    def children(n: Value) -> list[Value]:
        p = groups.get(n)
        if p is None or isinstance(n, Parameter):
            return list(n.inputs)
        inside = set(members[p])
        seen: list[Value] = []
        for m in members[p]:
            for i in m.inputs:
                if i not in inside and i not in seen:
                    seen.append(i)
        return seen

    def line(n: Value) -> str:
        p = groups.get(n)
        if p is not None and not isinstance(n, Parameter) and n.inputs:
            params = [m for m in members[p] if isinstance(m, Parameter)]
            activation = params[0].owner.activation if params and params[0].owner else "?"
            return (f"{name[n]} = neuron {p} ({activation}) = {_num(n.data)} (grad "
                    f"{_num(n.grad)}), {len(params)} parameters, "
                    f"{len(members[p]) - len(params)} ops")
        return f"{name[n]} = {_num(n.data)} (grad {_num(n.grad)}) {_kind(n)}"

    out: list[str] = []
    shown: set[Value] = set()
    stack: list[tuple[Value, str, str, int]] = [(v, "", "", 0)]
    while stack:
        n, lead, rest, level = stack.pop()
        if len(out) >= max_lines:
            break
        if n in shown and n.inputs:
            out.append(f"{lead}{name[n]} (shown above)")
            continue
        shown.add(n)
        out.append(lead + line(n))
        kids = children(n)
        if depth is not None and level >= depth:
            if kids:
                out.append(f"{rest}└── ... ({len(kids)} input{'s' if len(kids) > 1 else ''} "
                           f"below depth {depth})")
            continue
        for k, child in reversed(list(enumerate(kids))):
            last = k == len(kids) - 1
            stack.append((child, rest + ("└── " if last else "├── "),
                          rest + ("    " if last else "│   "), level + 1))
    hidden = len(set(order) - shown)
    if stack and hidden:
        out.append(f"... {hidden} more nodes not shown (graph(v, max_lines=...) for more)")
    return Text("\n".join(out))


# ---------------------------------------------------------------------------------------
# pdb


class Pdb(pdb.Pdb):
    """pdb with ``why``, ``path``, ``inputs``, ``where v`` and ``graph`` (see the module
    docstring). Arguments are Python expressions in the current frame."""

    def _eval(self, expr: str) -> Any:
        frame = self.curframe
        assert frame is not None, "pdb has no current frame"
        return eval(expr, frame.f_globals, self.curframe_locals)

    def _show(self, arg: str, usage: str, view: Callable[..., Text], count: int) -> None:
        arg = arg.strip()
        if not arg:
            self.error(f"usage: {usage}")
            return
        parts = arg.split(",") if "," in arg else arg.split()
        if not 1 <= len(parts) <= count:
            self.error(f"usage: {usage}")
            return
        try:
            values = [self._eval(p) for p in parts]
            self.message(str(view(*values, frame=self.curframe)))
        except Exception as err:
            self.error(f"{type(err).__name__}: {err}")

    def do_why(self, arg: str) -> None:
        """why v [root]
        v's grad as the chain rule with numbers: the sum over the ops that use v of the
        local derivative times that op's grad. root is what backward ran from (default:
        the largest graph a variable here holds that uses v)."""
        self._show(arg, "why v [root]", why, 2)

    def do_path(self, arg: str) -> None:
        """path a b
        Every path from a to b (b computed from a), with the product of the local
        derivatives along each; their sum is db/da."""
        self._show(arg, "path a b", path, 2)

    def do_inputs(self, arg: str) -> None:
        """inputs v
        v's inputs with data, grad, the local derivative and what backward passes each."""
        self._show(arg, "inputs v", inputs, 1)

    def do_where(self, arg: str) -> None:
        """where v | w(here)
        With a Value: where it was made (known for nodes made inside detect_anomaly()).
        Without an argument: pdb's stack trace (``w`` is always the stack trace)."""
        if not arg.strip():
            super().do_where(arg)
            return
        self._show(arg, "where v", where, 1)

    def do_graph(self, arg: str) -> None:
        """graph v [depth]
        v's graph as a text tree, one line per model neuron (``graph(v, collapse=False)``
        from the console shows every node)."""
        parts = arg.split()
        if len(parts) == 2 and parts[1].isdigit():
            level = int(parts[1])
            self._show(parts[0], "graph v [depth]",
                       lambda v, frame: graph(v, depth=level, frame=frame), 1)
            return
        self._show(arg, "graph v [depth]", graph, 1)


def set_trace() -> None:
    """Stop in :class:`Pdb` in the caller's frame (``breakpoint()`` does this under
    ``PYTHONBREAKPOINT=micrograd_nn.debug.set_trace``)."""
    Pdb().set_trace(sys._getframe().f_back)


# ---------------------------------------------------------------------------------------
# stopping on backprop events


_stopped: list[Value] = []  # the targets of debug.backward stops in progress (any thread)
_warned: list[bool] = []  # the "debugger skips library code" warning was printed


_finite = math.isfinite


def backward(root: Value, *, stop_at: Iterable[Value] = (), nonfinite: bool = True) -> None:
    """``root.backward()``, stopping in the debugger (via ``breakpoint()``, so pdb, this
    module's :class:`Pdb` under ``PYTHONBREAKPOINT``, or VS Code/PyCharm when attached)
    just *before* a grad is written: each time backward is about to add to the grad of a
    node in ``stop_at``, and (with ``nonfinite``) the first time it is about to make a
    grad inf or NaN (Constants' grads are not checked: nobody uses them). Inside
    ``detect_anomaly()``, whose check raises after an op's rule has run, the stop comes
    before that raise too, with the grads not yet written; continuing raises as it would.

    The stop is in a frame whose locals are ``node`` (the op whose rule runs), ``inputs``,
    ``upstream`` (node.grad), ``local_grads`` (∂node/∂input), ``contributions`` (what is
    added to each), ``target`` (the node about to change), ``before`` and ``after`` (its
    grad now and once written) and ``reason``; ``why target`` and ``inputs node`` explain
    them. Continuing writes the grads and goes on. The numbers are those of
    ``root.backward_steps()``, so the grads end bit for bit as ``root.backward()`` leaves
    them."""
    root = _check_value(root, "backward(root)")
    watched = {id(_check_value(v, "backward(stop_at=...)")) for v in stop_at}
    order = list(reversed(topological_order(root)))
    check = nonfinite
    steps = root.backward_steps()
    for k, node in enumerate(order):
        # The grads this step's inputs hold before it runs (backward resets op nodes'
        # grads to 0 as it starts; leaves keep theirs).
        before = [0.0 if (k == 0 and i.inputs) else i.grad for i in node.inputs]
        try:
            step = next(steps)
        except AnomalyError as err:  # detect_anomaly's check, after the rule ran
            if nonfinite:
                _stop_before_anomaly(node, before, err)
            raise
        if step.node is not node:
            raise RuntimeError("the graph changed while backward ran")
        after = [i.grad for i in node.inputs]
        reasons = []
        for i, inp in enumerate(node.inputs):
            if id(inp) in watched and step.passed[i]:
                reasons.append((inp, f"{inp.label or 'a watched node'}'s grad is about to "
                                     "be written"))
            elif (check and not isinstance(inp, Constant) and _finite(before[i])
                  and not _finite(after[i])):
                reasons.append((inp, f"backward of '{node.op}' is about to write a "
                                     f"non-finite grad ({after[i]!r})"))
                check = False
        if reasons:
            for inp, old in zip(node.inputs, before):
                inp.grad = old
            target, reason = reasons[0]
            j = node.inputs.index(target)
            _stop_before_write(node, node.inputs, step.upstream, step.local_grads,
                               step.contributions, target, before[j], after[j], reason,
                               step, after)
    for _ in steps:  # exhausts the generator (nothing left: each op node had its step)
        raise RuntimeError("the graph changed while backward ran")


def _stop_before_anomaly(node: Value, before: list[float], err: AnomalyError) -> None:
    """Under detect_anomaly, the stop before the grads its check refuses are written: the
    step already ran inside backward_steps, so its grads are put back first."""
    after = [i.grad for i in node.inputs]
    bad = [j for j, g in enumerate(after) if not _finite(g)] or [0]
    for inp, old in zip(node.inputs, before):
        inp.grad = old
    g, local = node.grad, node.local_grads()
    _stop_before_write(node, node.inputs, g, local,
                       tuple(d * g if (g and d) else 0.0 for d in local),
                       node.inputs[bad[0]], before[bad[0]], after[bad[0]],
                       f"detect_anomaly is about to raise: {err}", None, after)


def _stop_before_write(node: Value, inputs: tuple[Value, ...], upstream: float,
                       local_grads: tuple[float, ...], contributions: tuple[float, ...],
                       target: Value, before: float, after: float, reason: str, step: Any,
                       written: list[float]) -> None:
    """The frame a :func:`backward` stop lands in: its arguments are what to look at."""
    if not _warned and _debugger_skips(sys._getframe()):
        _warned.append(True)
        print("micrograd_nn.debug.backward: the debugger skips library code (VS Code's "
              "\"justMyCode\": true), so it cannot stop in this frame; set \"justMyCode\": "
              f"false in launch.json to stop here ({reason})", file=sys.stderr, flush=True)
    _stopped.append(target)
    try:
        breakpoint()
        # Stopped before target.grad goes from `before` to `after` (see `reason`): continue,
        # and backward writes the grads of this op's inputs and goes on.
        _write(inputs, written)
    finally:
        _stopped.remove(target)


def _debugger_skips(frame: FrameType) -> bool:
    """True when pydevd (debugpy, PyCharm) is attached with a files filter (justMyCode, rules)
    that leaves ``frame`` out. pydevd is looked up, never imported; surprises answer False."""
    constants = sys.modules.get("_pydevd_bundle.pydevd_constants")
    if constants is None:
        return False
    try:
        db = constants.get_global_debugger()
        return bool(db is not None and db.is_files_filter_enabled
                    and db.apply_files_filter(frame, frame.f_code.co_filename, False))
    except Exception:
        return False


def _write(inputs: tuple[Value, ...], grads: list[float]) -> None:
    for inp, grad in zip(inputs, grads):
        inp.grad = grad
