"""Mutation testing of the derivative code: does the suite notice a wrong derivative?

Makes small wrong versions ("mutants") of the code that computes, shows or judges
derivatives — every op's ``derivatives``, ``_backward``, ``local_text`` and ``expr`` and the
helpers they use in ``micrograd_nn/ops.py`` and ``micrograd_nn/functions.py`` (the
one-input functions), the step-through code in ``micrograd_nn/steps.py`` and the step
text in ``text.py``, the checkers (``differences.py``, ``gradcheck.py``), higher
derivatives (``higher.py``), custom ops (``custom.py``), the assertion helpers of
``testing.py`` and the backward path (``node.py``'s ``prepare_backward`` and ``run_rules``,
``value.py``'s ``backward``, ``run_rules_checked`` and the ops' generic rule) — by
flipping a sign, swapping an operator, operands or inputs, dropping a term, changing a
constant, a comparison or a gate. Each mutant is written into a copy of the repository
under a temporary directory (the real files are never touched) and the fast tests are run
there, stopping at the first failure. A mutant is *killed* when a test fails, *survives*
otherwise. Mutants listed in :data:`EQUIVALENT` compute the same thing as the original and
do not count.

    python tests/mutate.py            # all mutants, 2 workers; prints the score
    python tests/mutate.py --jobs 4 --match Sub   # only mutants whose name contains 'Sub'
    python tests/mutate.py --match gradcheck.py --sample 10   # every 10th of one file's

Not collected by pytest (its name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where mutants are made: file -> names of the functions and class attributes mutated.
TARGETS = {
    "micrograd_nn/ops.py": {"derivatives", "_backward", "local_text", "expr", "_power",
                            "_power_values", "_log"},
    # the one-input functions (exp, log, tanh, ..., relu, abs, sqrt, sin, ...)
    "micrograd_nn/functions.py": {"derivatives", "_backward", "local_text", "expr", "_unary",
                                  "_number", "_sign", "_reciprocal"},
    "micrograd_nn/steps.py": {"backward_steps", "local_formula"},
    # a local derivative's step text ({x}, {out}, ... filled in)
    "micrograd_nn/text.py": {"_fields", "local_formula"},
    # the checkers, higher derivatives, custom ops, the test helpers and the backward path
    "micrograd_nn/differences.py": {
        "check_tolerances", "_as_number", "_guard", "at", "_uneven", "_extrapolate",
        "_start", "estimates", "estimate", "_tolerance", "_agrees", "_resolved",
        "_accepting", "judge", "slope_scale", "against_scale", "noise_limited", "wider",
        "confirmed", "disputed"},
    "micrograd_nn/gradcheck.py": {
        "_judge_along", "_along", "numerical_grads", "_backward_of", "gradcheck_report",
        "outcome",
        "_directional", "gradcheck", "_rule_probe", "_summed", "_value_derivative_sums",
        "_node_mismatches", "op_mismatches", "check_ops"},
    "micrograd_nn/higher.py": {
        "grad", "_adjoints_float", "_adjoints_graph", "_value_derivatives", "_slope_nodes",
        "_saturated", "saturating_power", "_times", "hessian", "_fresh", "_column",
        "_judge_column", "gradgradcheck"},
    "micrograd_nn/custom.py": {"run_forward", "derivatives", "_check_agreement", "_as_tuple",
                               "_check_name", "_check_domain"},
    "micrograd_nn/testing.py": {"assert_gradcheck", "assert_grads_close", "_inside",
                                "_custom"},
    "micrograd_nn/arrays.py": {"assert_array_grads", "_floats"},
    "micrograd_nn/node.py": {"prepare_backward", "run_rules"},
    "micrograd_nn/value.py": {"backward", "run_rules_checked", "local_derivatives",
                              "local_grads", "_backward"},
    # the comparison with PyTorch, node by node (it judges every data and grad) ...
    "micrograd_nn/torch_compare.py": {"_close", "run_torch", "check_data", "check_grads",
                                      "_grad_rule", "_gradcheck", "compare", "second_order"},
    # ... and replayed training, which recomputes every node and runs the rules over it
    "micrograd_nn/replay.py": {"_forward_of", "_forward_plan", "recompute", "load_standins",
                               "backward", "forward", "step", "_ready"},
}
# Files whose own tests run first for their mutants (then the stages below).
OWN_STAGES = {
    "micrograd_nn/torch_compare.py": [["tests/test_torch.py"]],
    "micrograd_nn/replay.py": [["tests/test_replay.py"]],
}
# pytest arguments of each stage, run in this order with -x until one fails: the first is
# fast and kills nearly everything; the slow tests run only for what survives it.
TEST_STAGES = [
    ["tests/test_ops_registry.py"],
    ["tests/test_edges.py", "tests/test_engine.py", "tests/test_anomaly.py",
     "tests/test_readme.py", "tests/test_runtime.py", "-k", "not million and not 10000"],
    ["tests/test_properties.py"],
]
# The checkers' own tests, run first for mutants of the checker files (they kill those
# fastest), then the stages above.
CHECKER_STAGES = [
    ["tests/test_differences.py", "tests/test_backward_path.py", "tests/test_verdicts.py",
     "tests/test_custom_op.py", "tests/test_testing.py", "tests/test_checker_edges.py"],
    ["tests/test_higher.py"],
]
CHECKER_FILES = {"micrograd_nn/differences.py", "micrograd_nn/gradcheck.py",
                 "micrograd_nn/higher.py", "micrograd_nn/custom.py", "micrograd_nn/testing.py",
                 "micrograd_nn/arrays.py",
                 "micrograd_nn/node.py", "micrograd_nn/value.py"}


def stages_for(path: str) -> list[list[str]]:
    """The test stages a mutant of ``path`` runs, in order."""
    return OWN_STAGES.get(path, []) + (CHECKER_STAGES + TEST_STAGES if path in CHECKER_FILES
                                       else TEST_STAGES)


# Mutants that compute exactly what the original does, by key, with why.
EQUIVALENT: dict[str, str] = {
    "ops.py Add.derivatives: swap inputs: (1.0, 1.0) -> (1.0, 1.0)": "both entries are 1",
    "ops.py Add.local_text: swap inputs: ('1', '1') -> ('1', '1')": "both entries are '1'",
    "ops.py Div.derivatives: swap inputs: (None, None) -> (None, None)": "both are None",
    "functions.py ReLU._backward: drop left: 1.0 * self.grad -> self.grad":
        "1.0 * g is g for every float, nan and -0.0 included",
    "functions.py ReLU.derivatives: name: z -> x": "relu(x) > 0 exactly when x > 0",
    "ops.py _power: comparison: a < 0.0 -> a <= 0.0":
        "only read after an overflow, which a == 0 cannot cause",
    "ops.py _power: remove gate: if isinstance(a, Value): -> if False:":
        "a Value then takes the float path: == is identity (False) and a ** e is the same",
    "differences.py _Differences.at: swap inputs: (p, q) -> (q, p) #2":
        "the noise is symmetric in the two values: abs(q) + abs(p) is abs(p) + abs(q)",
    "differences.py _extrapolate: swap inputs: (h, smallest, shrunk, found) -> "
    "(smallest, h, shrunk, found)": "h and smallest both start as h0",
    "differences.py _extrapolate: swap inputs: (h0, h0, False, False) -> "
    "(h0, h0, False, False)": "the two entries swapped are both h0",
    "differences.py _extrapolate: operator: 2.0 ** power -> 2.0 * power":
        "power is 1 or 2, and 2 ** p == 2 * p for both",
    "differences.py _extrapolate: operator: 2.0 ** power -> 2.0 * power #2":
        "power is 1 or 2, and 2 ** p == 2 * p for both",
    "differences.py _Differences._uneven: swap inputs: (ds, noise) -> (noise, ds)":
        "both start as empty lists",
    "differences.py _Differences._uneven: swap inputs: ([], []) -> ([], [])":
        "two empty lists",
    "differences.py _accepting: comparison: need <= 0.0 -> need < 0.0":
        "need is 0 only for an error bar and an rtol |numeric| of 0, a tolerance of 0, which "
        "_resolved always resolves: judge never asks _accepting for it",
    "differences.py _resolved: comparison: atol > 0.0 -> atol >= 0.0":
        "with atol 0 the clause needs tol <= 0, when tol <= 0.5 * max(|a|, |value|) "
        "(>= 0) already holds",
    "differences.py judge: swap inputs: (left, right) -> (right, left) #2":
        "sorted by value: the order given only matters for equal values, which are never "
        "apart (lo and hi are not used then)",
    "higher.py _slope_nodes: remove gate: if x is None: -> if False:":
        "x is None only for a node without exactly one input, which is neither a PowConst "
        "nor a Sqrt (one input each): the function returns None anyway",
    "higher.py _slope_nodes: constant: 0.0 -> 1.0":
        "this fallback runs only when PowConst.derivatives raised, which it never does for "
        "n == 0 (it returns (0.0,) itself) or n == 1 (x ** 0.0 on Values cannot raise)",
    "higher.py _slope_nodes: constant: 0.0 -> 1.0 #2":
        "unreachable: PowConst.derivatives returns (0.0,) for n == 0 without raising, so "
        "the fallback never sees n == 0",
    "higher.py _saturated: comparison: x < 0.0 -> x <= 0.0 #2":
        "z is inf at x == 0 only for e < 0, which returned inf above (0 ** e never "
        "overflows)",
    "node.py prepare_backward: remove gate: if order: -> if False:":
        "an op-node root is in order, its grad just reset to 0.0: += 1.0 gives 1.0 too",
    "gradcheck.py _directional: swap inputs: (g, di) -> (di, g)": "di * g is g * di",
    "gradcheck.py _directional: swap inputs: (g, di) -> (di, g) #2": "di * g is g * di",
    "gradcheck.py _value_derivative_sums: swap branches: d.data if isinstance(d, Value) "
    "else d -> d if isinstance(d, Value) else d.data":
        "d is a Value here (custom.py's _as_tuple refuses anything else on Values), and "
        "float(d) of a Value is d.data",
    "arrays.py assert_array_grads: constant: 1.0 -> 2.0":
        "an equal entry's excess only has to be <= 0: excess is read only where > 0",
    "higher.py _judge_column: remove gate: if not any((noise_limited(jd) or jd.verdict == "
    "'wrong' for jd in first)): -> if False:":
        "with no noise-limited or wrong entry the loop after it returns first's entries "
        "unchanged (wider() and disputed() run only for those)",
    "custom.py CustomOp.derivatives: swap inputs: (z, *xs) -> (*xs, z)":
        "any() over the same elements in another order: isinstance has no side effects",
    "differences.py _Differences.at: remove gate: if up <= 0.0 or down <= 0.0: -> if False:":
        "unreachable: every step at() is given is at least 2**-36 max(|x|, 1) (_start) and "
        "the halving stops before a step of 4 ulps of x, so x + h and x - h always move",
    "differences.py _Differences.at: comparison: up <= 0.0 -> up < 0.0":
        "up is never 0 (see the gate's entry): < and <= agree on every step at() gets",
    "differences.py _Differences.at: comparison: down <= 0.0 -> down < 0.0":
        "down is never 0 (see the gate's entry): < and <= agree on every step at() gets",
    "higher.py _saturated: name: z -> x #3":
        "isinf(x) for isinf(z) in the last line: z is infinite there only after an "
        "overflow, which sets +inf, so abs(z) is z either way (a node's x is finite)",
    # replay.py: these change only how the recompute is grouped (which loop, how many runs,
    # a bound forward_at for the class's forward): the same function on the same numbers in
    # the same order, so every node's data is the same (a speed matter, for the benchmark)
    "replay.py _forward_of: comparison: cls.forward_at is Op.forward_at -> "
    "cls.forward_at is not Op.forward_at":
        "Op.forward_at calls the class's forward; only PowConst overrides it, and no MLP, "
        "Layer or Neuron graph has one (activations: tanh, sigmoid, relu, linear)",
    "replay.py _forward_of: invert gate: if cls.forward_at is Op.forward_at: -> "
    "if not cls.forward_at is Op.forward_at:":
        "as the comparison's entry: the bound forward_at gives what the class's forward gives",
    "replay.py _forward_of: remove gate: if cls.forward_at is Op.forward_at: -> if False:":
        "as the comparison's entry: the bound forward_at gives what the class's forward gives",
    "replay.py _forward_of: remove gate: if not isinstance(node, Op): -> if False:":
        "unreachable: the plan is made from op_nodes(), which lists only op nodes",
    "replay.py _forward_plan: comparison: len(inputs) < 3 -> len(inputs) <= 3":
        "no op of a replayable model has three inputs but Sum, which is kind 3 anyway",
    "replay.py _forward_plan: constant: 3 -> 4 #2":
        "len(inputs) < 4: as the <= 3 entry, no non-Sum op has three inputs",
    "replay.py _forward_plan: drop sign: not isinstance(node, Sum) -> isinstance(node, Sum)":
        "every node then takes the n-ary loop, f(*[t.data for t in terms]): the same call "
        "with the same numbers (a Sum of one or two terms the one- or two-input loop)",
    "replay.py _forward_plan: swap inputs: (kind, f) -> (f, kind)":
        "a run per node instead of per (kind, forward): the same nodes in the same order",
    "replay.py _forward_plan: swap inputs: (kind, f) -> (f, kind) #2":
        "a run per node instead of per (kind, forward): the same nodes in the same order",
    "torch_compare.py _Graph.compare: remove gate: if node is self.root and (not node.inputs): "
    "-> if False:":
        "torch's backward() from a leaf root sets its .grad to 1.0 itself",
    "torch_compare.py _Graph.compare: drop sign: not node.inputs -> node.inputs":
        "an op-node root retains its grad (run_torch), which torch's backward() seeds with "
        "1.0: the same 1.0",
    "torch_compare.py _Graph._gradcheck: swap inputs: (plus, minus) -> (minus, plus)":
        "both start as copies of the same list",
    "torch_compare.py _Graph._gradcheck: swap inputs: (list(data), list(data)) -> "
    "(list(data), list(data))": "two copies of the same list",
    "torch_compare.py _Graph._gradcheck: remove gate: if ok: -> if False:":
        "the loop after it applies torch.autograd.gradcheck's own test (|a - n| <= atol + "
        "rtol |n|, the same central differences at x ± 1e-6): where torch passed, it "
        "finds no input to blame",
    "gradcheck.py _directional: swap inputs: (-1.0, 1.0) -> (1.0, -1.0)":
        "the same two signs, each drawn with probability 1/2: which sign a seed draws is "
        "not a result (the directions' magnitudes are held by a test)",
}

# Tests whose outcome once depended on the machine's load (the README's hypothesis block,
# before it set deadline=None): still deselected, so no kill can rest on the load.
FLAKY = {"tests/test_readme.py::test_readme_python_block_runs_and_prints_what_the_readme_shows[7]"}

SWAP_OPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
            ast.Pow: ast.Mult}
SWAP_CMP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
SWAP_NAMES = {"x": "y", "y": "x", "z": "x", "_x": "_y", "_y": "_x"}


@dataclass(frozen=True)
class Mutant:
    """One wrong version of one file: ``source`` replaces ``path``'s text."""

    key: str
    path: str
    source: str


def _replacements(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """(what changed, the mutated node) for every mutation of ``node`` itself."""
    out: list[tuple[str, ast.AST]] = []
    if isinstance(node, ast.BinOp):
        swap = SWAP_OPS.get(type(node.op))
        if swap:
            out.append(("operator", ast.BinOp(node.left, swap(), node.right)))
        out.append(("drop right", node.left))
        out.append(("drop left", node.right))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        out.append(("drop sign", node.operand))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        out.append(("constant", ast.Constant(node.value + 1)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        out += [("text", ast.Constant(t)) for t in _text_mutants(node.value)]
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        swap = SWAP_CMP.get(type(node.ops[0]))
        if swap:
            out.append(("comparison", ast.Compare(node.left, [swap()], node.comparators)))
    elif isinstance(node, ast.Tuple) and len(node.elts) >= 2:
        out.append(("swap inputs", ast.Tuple([node.elts[1], node.elts[0], *node.elts[2:]],
                                             node.ctx)))
    elif isinstance(node, ast.IfExp):
        out.append(("swap branches", ast.IfExp(node.test, node.orelse, node.body)))
    elif isinstance(node, ast.Name) and node.id in SWAP_NAMES and isinstance(node.ctx,
                                                                              ast.Load):
        out.append(("name", ast.Name(SWAP_NAMES[node.id], ast.Load())))
    elif isinstance(node, ast.Attribute) and node.attr in SWAP_NAMES:
        out.append(("attribute", ast.Attribute(node.value, SWAP_NAMES[node.attr], node.ctx)))
    return out


def _statement_mutants(node: ast.AST) -> list[tuple[str, str]]:
    """(what changed, new source) for statements: gates and accumulation."""
    out = []
    if isinstance(node, ast.If):
        out.append(("remove gate", _source(ast.If(ast.Constant(False), node.body,
                                                  node.orelse), node)))
        out.append(("invert gate", _source(ast.If(ast.UnaryOp(ast.Not(), node.test),
                                                  node.body, node.orelse), node)))
    elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
        target, value = ast.unparse(node.target), ast.unparse(node.value)
        out.append(("assign instead of +=", f"{target} = {value}"))
        out.append(("-= instead of +=", f"{target} -= {value}"))
    return out


def _source(new: ast.AST, like: ast.AST) -> str:
    return ast.unparse(ast.fix_missing_locations(ast.copy_location(new, like)))


def _text_mutants(text: str) -> list[str]:
    """Wrong versions of a step-text template: sign, inputs, output, a constant."""
    if "{" not in text and not re.search(r"\d", text):
        return []
    out = [text[1:] if text.startswith("-") else "-" + text]
    if "{x}" in text or "{y}" in text:
        out.append(text.replace("{x}", "\0").replace("{y}", "{x}").replace("\0", "{y}"))
    if "{out}" in text:
        out.append(text.replace("{out}", "{x}"))
    if re.search(r"\d", text):
        out.append(re.sub(r"\d", lambda m: str(int(m.group()) + 1), text, count=1))
    return [t for t in out if t != text]


def _regions(tree: ast.Module, names: set[str]) -> list[tuple[str, ast.AST]]:
    """(qualified name, node) of every function or class attribute named in ``names``."""
    found: list[tuple[str, ast.AST]] = []
    for top in tree.body:
        if isinstance(top, ast.FunctionDef) and top.name in names:
            found.append((top.name, top))
        if isinstance(top, ast.ClassDef):
            for item in top.body:
                if isinstance(item, ast.FunctionDef) and item.name in names:
                    found.append((f"{top.name}.{item.name}", item))
                elif isinstance(item, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id in names for t in item.targets):
                    found.append((f"{top.name}.{item.targets[0].id}", item.value))  # type: ignore
    return found


def _body_nodes(region: ast.AST):
    """The nodes of a region to mutate: not its docstring, not type annotations."""
    body = [region]
    if isinstance(region, ast.FunctionDef):
        body = region.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
    # f-string parts have no usable source positions before Python 3.12: left alone
    inside_fstrings = {id(n) for stmt in body for f in ast.walk(stmt)
                       if isinstance(f, ast.JoinedStr) for n in ast.walk(f) if n is not f}
    # annotations (of a local variable, a nested function's arguments and result) are
    # never evaluated (``from __future__ import annotations``): mutating them changes nothing
    annotations = [a for stmt in body for n in ast.walk(stmt)
                   for a in ([n.annotation] if isinstance(n, (ast.AnnAssign, ast.arg)) else
                             [n.returns] if isinstance(n, ast.FunctionDef) else [])
                   if a is not None]
    skip = inside_fstrings | {id(n) for a in annotations for n in ast.walk(a)}
    # the order of the exceptions an ``except`` catches changes nothing
    skip |= {id(n.type) for stmt in body for n in ast.walk(stmt)
             if isinstance(n, ast.ExceptHandler) and isinstance(n.type, ast.Tuple)}
    # ... nor the order of a tuple an ``in`` looks in ...
    skip |= {id(c) for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Compare)
             for op, c in zip(n.ops, n.comparators)
             if isinstance(op, (ast.In, ast.NotIn)) and isinstance(c, ast.Tuple)}
    # ... nor the order of the classes an isinstance() tests
    skip |= {id(n.args[1]) for stmt in body for n in ast.walk(stmt)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "isinstance" and len(n.args) == 2
             and isinstance(n.args[1], ast.Tuple)}
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.expr, ast.stmt)) and id(node) not in skip:
                yield node


def _splice(lines: list[str], node: ast.AST, text: str) -> str:
    """The file with ``node``'s source span replaced by ``text``."""
    start, end = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
    a, b = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    head, tail = lines[start][:a], lines[end][b:]
    if isinstance(node, ast.stmt):
        indent = " " * a
        text = text.replace("\n", "\n" + indent)
    return "".join(lines[:start]) + head + text + tail + "".join(lines[end + 1:])


def mutants() -> list[Mutant]:
    """Every mutant of the target files, with keys unique and stable across runs."""
    made: list[Mutant] = []
    for path, names in TARGETS.items():
        source = (ROOT / path).read_text(encoding="utf-8")
        lines = source.splitlines(keepends=True)
        tree = ast.parse(source)
        regions = _regions(tree, names)
        missing = names - {q.rsplit(".", 1)[-1] for q, _ in regions}
        if missing:  # a renamed or moved function would silently leave the score
            raise SystemExit(f"mutate.py: TARGETS names {sorted(missing)} that {path} does "
                             "not define (as a function or a class attribute): fix TARGETS")
        for qualname, region in regions:
            seen: Counter[str] = Counter()
            for node in _body_nodes(region):
                changes = [(what, ast.unparse(new)) for what, new in _replacements(node)]
                changes += _statement_mutants(node)
                original = ast.unparse(node).splitlines()[0]
                for what, text in changes:
                    key = f"{Path(path).name} {qualname}: {what}: {original} -> " \
                          f"{text.splitlines()[0]}"
                    seen[key] += 1
                    if seen[key] > 1:
                        key += f" #{seen[key]}"
                    made.append(Mutant(key, path, _splice(lines, node, text)))
    return made


def _copy_repo(dest: Path) -> None:
    ignore = shutil.ignore_patterns(".git", "benchmarks", "out", "*.egg-info", "__pycache__",
                                    ".pytest_cache", ".hypothesis")
    shutil.copytree(ROOT, dest, ignore=ignore, dirs_exist_ok=True)


STAGE_TIMEOUT = 300  # seconds: a stage taking longer kills its mutant (the slowest, the
# property tests, takes about 3 minutes on a loaded machine)


def _run_stage(files: list[str], deselect: list[str], log: Path) -> str:
    """Run ``files`` with pytest in a forked child of this worker (the test libraries are
    imported once, micrograd_nn afresh each time); the first failing test, '' if none."""
    pid = os.fork()
    if pid == 0:  # the child: output to the log, exit with pytest's status
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        import pytest

        args = ["-x", "-q", "-p", "no:cacheprovider", *files,
                *[f"--deselect={d}" for d in deselect]]
        os._exit(int(pytest.main(args)))
    deadline = time.monotonic() + STAGE_TIMEOUT
    while True:
        done, wait_status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:  # a mutant that loops for ever (up -= unit ...)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"(timed out after {STAGE_TIMEOUT} s: the mutant never finishes)"
        time.sleep(0.2)
    status = os.waitstatus_to_exitcode(wait_status)
    if status == 0:
        return ""
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", log.read_text(errors="replace"), re.M)
    return failed[0] if failed else f"(pytest exit status {status})"


def _chosen_stages(choice: str) -> list[list[str]]:
    """--stages: 'checker' (the checker stages only), comma-separated test files (one
    stage of them: a quick screen), or '' (every stage for the file mutated)."""
    if choice == "checker":
        return CHECKER_STAGES
    return [choice.split(",")] if choice else []


def worker(copy: Path) -> None:
    """Serve mutants for one copy of the repository: read {path, source, deselect} lines
    on stdin, answer with the killing test ('' for a survivor) on stdout."""
    os.chdir(copy)
    sys.path.insert(0, str(copy))
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    import hypothesis  # noqa: F401 - imported once here, shared by every forked run
    import mpmath  # noqa: F401
    import pytest  # noqa: F401

    log = copy / "mutant.log"
    for line in sys.stdin:
        req = json.loads(line)
        target = copy / req["path"]
        original = target.read_text(encoding="utf-8")
        killer = ""
        try:
            target.write_text(req["source"], encoding="utf-8")
            stages = _chosen_stages(os.environ.get("MUTATE_STAGES", "")) or \
                stages_for(req["path"])
            for files in stages:
                killer = _run_stage(files, req["deselect"], log)
                if killer:
                    break
        finally:
            target.write_text(original, encoding="utf-8")
        print(json.dumps(killer), flush=True)


def baseline_failures(copy: Path) -> list[str]:
    """Tests already failing on the unmutated code: deselected, so they kill nothing."""
    broken: list[str] = []
    for files in [s for own in OWN_STAGES.values() for s in own] + CHECKER_STAGES + TEST_STAGES:
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
        env = dict(os.environ, PYTHONPATH=str(copy))
        out = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, text=True).stdout
        broken += re.findall(r"^(?:FAILED|ERROR) (\S+)", out, re.M)
    return broken


def run_chunk(chunk: list[Mutant], copy: Path, deselect: list[str]) -> list[tuple[Mutant, str]]:
    """Run ``chunk`` through one worker process serving ``copy``."""
    proc = subprocess.Popen([sys.executable, __file__, "--worker", str(copy)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(copy)))
    assert proc.stdin and proc.stdout
    results = []
    try:
        for m in chunk:
            proc.stdin.write(json.dumps({"path": m.path, "source": m.source,
                                         "deselect": deselect}) + "\n")
            proc.stdin.flush()
            killer = json.loads(proc.stdout.readline())
            results.append((m, killer))
            if not killer:  # progress: survivors as they are found
                print(f"  survives so far: {m.key}", file=sys.stderr, flush=True)
    finally:
        proc.stdin.close()
        proc.wait()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--match", default="",
                        help="only mutants whose key matches this regular expression")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the run that finds tests already failing (faster; only "
                             "when the suite is known to pass)")
    parser.add_argument("--stages", default="",
                        help="only the checker stages ('checker'), or one stage of the "
                             "given comma-separated test files: quick screens, not the "
                             "score")
    parser.add_argument("--offset", type=int, default=0,
                        help="with --sample, start at this mutant (another sample)")
    parser.add_argument("--sample", type=int, default=1,
                        help="run every N-th mutant only (deterministic; the score says so)")
    parser.add_argument("--skip-equivalent", action="store_true",
                        help="do not run the mutants EQUIVALENT lists (each argued there): "
                        "they survive every stage, the slowest runs of all")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return 0
    made = mutants()
    stale = sorted(set(EQUIVALENT) - {m.key for m in made})
    if stale:  # the code moved or changed: each equivalence must be argued afresh
        raise SystemExit(f"mutate.py: EQUIVALENT keys that match no mutant: {stale}")
    todo = [m for m in made if re.search(args.match, m.key)][
        args.offset::max(1, args.sample)]
    if args.list:
        print("\n".join(m.key for m in todo))
        return 0
    skipped = [m for m in todo if m.key in EQUIVALENT] if args.skip_equivalent else []
    todo = [m for m in todo if m not in skipped]
    start = time.monotonic()
    if args.stages:
        os.environ["MUTATE_STAGES"] = args.stages  # the workers inherit it
    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        copies = [Path(tmp) / f"w{i}" for i in range(args.jobs)]
        for c in copies:
            _copy_repo(c)
        deselect = [] if args.no_baseline else baseline_failures(copies[0])
        deselect += sorted(FLAKY - set(deselect))  # a kill by one could be the load
        if deselect:
            print(f"deselected (failing before any mutation, or load-flaky): {deselect}")
        survivors, equivalent, killed = [], [], 0
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            chunks = [todo[i::args.jobs] for i in range(args.jobs)]
            futures = [pool.submit(run_chunk, chunk, copy, deselect)
                       for chunk, copy in zip(chunks, copies)]
            results = [r for f in futures for r in f.result()]
        for mutant, killer in sorted(results, key=lambda r: r[0].key):
            if killer:
                killed += 1
            elif mutant.key in EQUIVALENT:
                equivalent.append(mutant)
            else:
                survivors.append(mutant)
    by_file = Counter(k.split("::")[0] for _, k in results if k)
    print("killed by: " + ", ".join(f"{f} {n}" for f, n in by_file.most_common()))
    counted = len(todo) - len(equivalent)
    for m in equivalent:
        print(f"equivalent: {m.key}  ({EQUIVALENT[m.key]})")
    for m in skipped:
        print(f"equivalent, not run: {m.key}  ({EQUIVALENT[m.key]})")
    for m in survivors:
        print(f"SURVIVED: {m.key}")
    score = 100.0 * killed / counted if counted else 100.0
    if args.sample > 1:
        print(f"a sample: every {args.sample}th mutant from #{args.offset} "
              f"(--sample {args.sample} --offset {args.offset})")
    if skipped:
        print(f"{len(skipped)} equivalent mutants not run (--skip-equivalent)")
    print(f"{len(todo)} mutants, {len(equivalent)} equivalent, {killed} killed, "
          f"{len(survivors)} survived: score {killed}/{counted} = {score:.1f}% "
          f"({time.monotonic() - start:.0f} s)")
    return 0 if score >= 95.0 else 1


if __name__ == "__main__":
    sys.exit(main())
