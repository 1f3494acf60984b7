"""Backprop in the debuggers people use, tested with the real ones.

* A real debugpy (what VS Code runs): ``python -m debugpy --listen 127.0.0.1:<port>
  --wait-for-client script.py``, driven over the Debug Adapter Protocol from here as VS Code
  drives it (initialize, attach, setBreakpoints, configurationDone, stopped, stackTrace,
  scopes, variables): a Value expands to data, grad, op, labelled inputs, local
  derivatives and contributions (the pydevd extension in
  ``pydevd_plugins/extensions/pydevd_plugin_micrograd_nn.py``), and
  ``micrograd_nn.debug.backward`` stops there before a chosen node's grad is written.
* A real pdb in a subprocess: ``why``, ``path``, ``inputs``, ``where``, ``graph``, and the
  stops before a watched grad and before the first non-finite grad.
* The same views as functions, in process.

Skips the debugpy tests when debugpy is not installed, except under CI=true, where they fail.
"""

from __future__ import annotations

import ast
import json
import math
import os
import random
import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from micrograd_nn import (
    MLP,
    AnomalyError,
    Parameter,
    Value,
    debug,
    detect_anomaly,
    format_number,
    topological_order,
)

REPO = Path(__file__).resolve().parent.parent
PLUGIN = "pydevd_plugins.extensions.pydevd_plugin_micrograd_nn"


def need_debugpy() -> None:
    try:
        import debugpy  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true, so the debugpy tests must run, but debugpy is not installed "
                        "(pip install debugpy)")
        pytest.skip("debugpy is not installed (pip install debugpy)")


# --- a Debug Adapter Protocol client ---------------------------------------------------




def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Session:
    """One debugpy process and a DAP connection to it."""

    def __init__(self, script: Path, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.port = free_port()
        env = dict(os.environ)
        # The repository root holds pydevd_plugins/extensions/ (an editable install maps
        # only micrograd_nn, and pydevd finds extensions through sys.path).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        env.pop("PYTHONBREAKPOINT", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "debugpy", "--listen", f"127.0.0.1:{self.port}",
             "--wait-for-client", str(script)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            cwd=script.parent)
        self.sock = self._connect()
        self.buffer = b""
        self.seq = 0
        self.events: list[dict[str, Any]] = []

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
                return sock
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    out, err = self.proc.communicate(timeout=5)
                    raise RuntimeError(f"debugpy did not listen:\n{out}\n{err}") from None
                time.sleep(0.1)

    def _read_message(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        message: dict[str, Any] = json.loads(body)
        return message

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("debugpy closed the connection")
        self.buffer += chunk

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        data = json.dumps({"seq": self.seq, "type": "request", "command": command,
                           "arguments": arguments}).encode("utf-8")
        self.sock.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(data), data))
        return self.seq

    def wait(self, *, response: int | None = None, event: str | None = None,
             ) -> dict[str, Any]:
        """The response to request ``response``, or the next ``event`` (earlier events of
        that name that arrived meanwhile are kept in ``events`` and returned first)."""
        if event is not None:
            for i, e in enumerate(self.events):
                if e.get("event") == event:
                    return self.events.pop(i)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = self._read_message()
            if message["type"] == "response" and message.get("request_seq") == response:
                if not message.get("success"):
                    raise RuntimeError(f"request failed: {message}")
                return message
            if message["type"] == "event":
                if event is not None and message["event"] == event:
                    return message
                self.events.append(message)
        raise TimeoutError(f"no {'response' if response else event} within {self.timeout}s")

    def request(self, command: str, **arguments: Any) -> dict[str, Any]:
        body: dict[str, Any] = self.wait(response=self.send(command, **arguments)).get(
            "body", {})
        return body

    def start(self, breakpoints: dict[Path, list[int]], wait_for_stop: bool = True,
              **attach_options: Any) -> dict[str, Any]:
        """initialize, attach, setBreakpoints, configurationDone; returns the first
        ``stopped`` event (or {} without ``wait_for_stop``)."""
        self.request("initialize", clientID="tests", adapterID="python", linesStartAt1=True,
                     columnsStartAt1=True, pathFormat="path", supportsVariableType=True)
        options = {"justMyCode": False, **attach_options}
        attach = self.send("attach", connect={"host": "127.0.0.1", "port": self.port},
                           **options)
        self.wait(event="initialized")
        for path, lines in breakpoints.items():
            self.request("setBreakpoints", source={"path": str(path)},
                         breakpoints=[{"line": n} for n in lines])
        self.request("configurationDone")
        self.wait(response=attach)
        if not wait_for_stop:
            return {}
        body: dict[str, Any] = self.wait(event="stopped")["body"]
        return body

    def top_frame(self, thread_id: int) -> dict[str, Any]:
        frames: list[dict[str, Any]] = self.request(
            "stackTrace", threadId=thread_id, startFrame=0, levels=20)["stackFrames"]
        return frames[0]

    def locals(self, frame_id: int) -> dict[str, dict[str, Any]]:
        scopes = self.request("scopes", frameId=frame_id)["scopes"]
        ref = next(s["variablesReference"] for s in scopes if s["name"].lower() == "locals")
        return self.children(ref)

    def children(self, ref: int) -> dict[str, dict[str, Any]]:
        """name -> DAP variable (``value``, ``variablesReference``, ``evaluateName``), in
        the order the debugger lists them (dicts keep it)."""
        variables = self.request("variables", variablesReference=ref)["variables"]
        return {v["name"]: v for v in variables}

    def close(self) -> tuple[str, str]:
        try:
            try:
                self.send("disconnect", terminateDebuggee=True)
            except OSError:
                pass
            self.sock.close()
        finally:
            try:
                out, err = self.proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, err = self.proc.communicate()
        return out, err


def run_debugpy(tmp_path: Path, script: str, breakpoint_at: str | None = None,
                ) -> tuple[Session, dict[str, Any]]:
    """Write ``script``, start it under debugpy with a breakpoint on the line that holds
    ``breakpoint_at`` (or none), and return the session at its first stop."""
    need_debugpy()
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    marks = {path: [lines.index(next(x for x in lines if breakpoint_at in x)) + 1]
             } if breakpoint_at else {}
    session = Session(path)
    try:
        return session, session.start(marks)
    except BaseException:
        out, err = session.close()
        raise AssertionError(f"debugpy session failed:\n{out}\n{err}") from None


VALUE_SCRIPT = f"""
    import sys
    print("AT START", "micrograd_nn" in sys.modules, {PLUGIN!r} in sys.modules, flush=True)
    from micrograd_nn import Neuron, Parameter, Value, detect_anomaly


    def main():
        x = Value(2.0, "x")
        w = Parameter(3.0, "w")
        y = x * w
        loss = (y + x).named("loss")
        loss.backward()
        params = [w, x]
        named = {{"w": w}}
        plain, mixed = [1, 2], [w, 1]
        neuron = Neuron(2)
        p = neuron.parameters()[0]
        with detect_anomaly():
            sited = x * 2.0
        print("STOP HERE")


    main()
"""


def test_a_value_in_debugpy_expands_to_data_grad_op_inputs_local_derivatives_contributions(
        tmp_path):
    session, stopped = run_debugpy(tmp_path, VALUE_SCRIPT, "STOP HERE")
    try:
        assert stopped["reason"] == "breakpoint"
        frame = session.top_frame(stopped["threadId"])
        assert frame["name"] == "main"
        local = session.locals(frame["id"])
        # the one-line summaries: label, data, grad, op (or kind)
        assert local["y"]["value"] == "6.0000 · grad 1.0000 · '*'"
        assert local["loss"]["value"] == "loss = 8.0000 · grad 1.0000 · '+'"
        assert local["w"]["value"] == "w = 3.0000 · grad 2.0000 · parameter"
        assert local["params"]["value"] == (
            "list of 2 Values: w = 3.0000 (grad 2.0000), x = 2.0000 (grad 4.0000)")
        assert local["named"]["value"] == "dict of 1 Values: 'w': 3.0000 (grad 2.0000)"
        assert local["plain"]["value"] == "[1, 2]"  # other lists are left to pydevd
        assert local["mixed"]["value"].startswith("[Value(")
        # y's children, in this order, not the private slots
        y = session.children(local["y"]["variablesReference"])
        assert list(y) == ["data", "grad", "op", "inputs", "local derivatives",
                           "contributions", "created at", "label"]
        assert [y[k]["value"] for k in ("data", "grad", "op", "label")] == [
            "6.0", "1.0", "'*'", "''"]
        assert y["data"]["evaluateName"] == "y.data"
        assert "not recorded" in y["created at"]["value"]
        ins = session.children(y["inputs"]["variablesReference"])
        assert {k: v["value"] for k, v in ins.items()} == {
            "x": "x = 2.0000 · grad 4.0000 · leaf", "w": "w = 3.0000 · grad 2.0000 · parameter"}
        assert ins["w"]["evaluateName"] == "y.inputs[1]"
        # y is unlabelled: it is named by the variable that holds it
        local_d = session.children(y["local derivatives"]["variablesReference"])
        assert {k: v["value"] for k, v in local_d.items()} == {"∂y/∂x": "3.0", "∂y/∂w": "2.0"}
        shares = session.children(y["contributions"]["variablesReference"])
        assert {k: v["value"] for k, v in shares.items()} == {"to x": "3.0", "to w": "2.0"}
        # a leaf has no inputs; a model's parameter names its neuron; a node made inside
        # detect_anomaly knows where
        x = session.children(local["x"]["variablesReference"])
        assert "a leaf" in x["inputs"]["value"] and "local derivatives" not in x
        p = session.children(local["p"]["variablesReference"])
        assert p["neuron"]["value"] == "'neuron (tanh)'"
        sited = session.children(local["sited"]["variablesReference"])
        made = textwrap.dedent(VALUE_SCRIPT).splitlines().index("        sited = x * 2.0") + 1
        assert sited["created at"]["value"] == repr(f"{tmp_path / 'script.py'}:{made}")
    finally:
        out, err = session.close()
    assert "AT START False True" in out, (out, err)


def test_the_views_show_as_their_lines_in_vs_codes_debug_console_hover_and_watch(tmp_path):
    """What the Debug Console shows is the ``result`` of an ``evaluate`` request: the whole
    text of why(x, loss) and graph(loss), line for line, in every context VS Code asks in (a
    str subclass of this length would show as ``<Text, len() = N>``)."""
    session, stopped = run_debugpy(tmp_path, VALUE_SCRIPT, "STOP HERE")
    try:
        frame = session.top_frame(stopped["threadId"])["id"]
        session.request("evaluate", expression="from micrograd_nn.debug import why, graph",
                        frameId=frame, context="repl")
        for expression in ("why(x, loss)", "graph(loss)"):
            expected = session.request("evaluate", expression=f"str({expression})",
                                       frameId=frame, context="repl")["result"]
            assert len(ast.literal_eval(expected)) > 128  # the length pydevd abbreviates
            for context in ("repl", "watch", "hover"):
                shown = session.request("evaluate", expression=expression, frameId=frame,
                                        context=context)["result"]
                assert shown.splitlines() == ast.literal_eval(expected).splitlines(), context
                assert len(shown.splitlines()) > 2
    finally:
        session.close()


STOP_SCRIPT = """
    from micrograd_nn import Parameter, Value, debug

    x = Value(2.0, "x")
    w = Parameter(3.0, "w")
    y = (x * w).named("y")
    loss = (y.log() * (y - 6.0) + x * w).named("loss")
    debug.backward(loss, stop_at=[w])
    print("GRADS", repr(w.grad), repr(x.grad), flush=True)
"""


def test_debugpy_stops_before_a_watched_grad_is_written_with_the_rule_in_locals(tmp_path):
    session, stopped = run_debugpy(tmp_path, STOP_SCRIPT)
    try:
        frame = session.top_frame(stopped["threadId"])
        assert frame["name"] == "_stop_before_write"
        local = session.locals(frame["id"])
        # the first op to write w.grad is loss's `x * w` term: before 0, after 2
        assert local["reason"]["value"] == "\"w's grad is about to be written\""
        assert local["target"]["value"] == "w = 3.0000 · grad 0.0000 · parameter"
        assert (local["before"]["value"], local["after"]["value"]) == ("0.0", "2.0")
        assert local["upstream"]["value"] == "1.0"
        node = session.children(local["node"]["variablesReference"])
        assert node["op"]["value"] == "'*'"
        session.request("continue", threadId=stopped["threadId"])
        second = session.wait(event="stopped")["body"]
        local = session.locals(session.top_frame(second["threadId"])["id"])
        assert local["before"]["value"] == "2.0"  # then y's `x * w`: 2 + 2·y.grad
        session.request("continue", threadId=second["threadId"])
    finally:
        out, err = session.close()
    plain = Value(2.0), Parameter(3.0)
    y = plain[0] * plain[1]
    (y.log() * (y - 6.0) + plain[0] * plain[1]).backward()
    assert f"GRADS {plain[1].grad!r} {plain[0].grad!r}" in out, (out, err)


def test_with_just_my_code_the_stop_in_library_code_says_how_to_get_it(tmp_path):
    # VS Code's default: library code (an installed micrograd_nn) is skipped; here the
    # worktree's micrograd_nn is excluded by a rule, as site-packages would be.
    need_debugpy()
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(STOP_SCRIPT), encoding="utf-8")
    session = Session(path)
    try:
        session.start({}, wait_for_stop=False, justMyCode=True,
                      rules=[{"path": str(REPO / "micrograd_nn"), "include": False}])
        session.proc.wait(timeout=60)
    finally:
        out, err = session.close()
    assert "GRADS" in out, (out, err)
    assert err.count('set "justMyCode": false in launch.json to stop here') == 1, err


PYCHARM_SCRIPT = """
import os, sys
import debugpy
sys.path.insert(0, os.path.join(os.path.dirname(debugpy.__file__), "_vendored", "pydevd"))
import pydevd_plugins.extensions  # noqa: F401 - pydevd's package, extended by ours
from _pydevd_bundle import pydevd_xml
from micrograd_nn import Value

x, w = Value(2.0, "x"), Value(3.0, "w")
y = (x * w).named("y")
y.backward()


def children(obj):  # what PyCharm's protocol asks: the type's resolver, then its dictionary
    resolver = pydevd_xml.get_type(obj)[2]
    return resolver, resolver.get_dictionary(obj)


resolver, top = children(y)
print(type(resolver).__name__, list(top))
local = resolver.resolve(y, "local derivatives")
print(children(local)[0].resolve(local, "∂y/∂w"), children(local)[1])
print(pydevd_xml.var_to_xml(y, "y"))
"""


def test_pycharms_protocol_gets_the_same_children_from_pydevd(tmp_path):
    # PyCharm speaks pydevd's XML protocol (get_dictionary / resolve), not DAP.
    need_debugpy()
    path = tmp_path / "pycharm.py"
    path.write_text(PYCHARM_SCRIPT, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("ValueProvider ['data', 'grad', 'op', 'inputs', 'local derivatives', "
                        "'contributions', 'created at', 'label']")
    assert lines[1] == "2.0 {'∂y/∂x': 3.0, '∂y/∂w': 2.0}"
    value = re.search(r'value="([^"]*)"', lines[2])
    assert value and unquote(value.group(1)) == "y = 6.0000 · grad 1.0000 · '*'", lines[2]
    assert 'isContainer="True"' in lines[2]


# --- pdb ---------------------------------------------------------------------------------

PDB_SCRIPT = """
    from micrograd_nn import MLP, Value, detect_anomaly

    x = Value(2.0, "x")
    w = Value(3.0, "w")
    y = x * w
    with detect_anomaly():
        z = y.tanh()
    loss = z + x * y
    loss.backward()
    model = MLP(2, [2, 1])
    out = model([1.0, -2.0])
    breakpoint()
    print("END")
"""


def run_pdb(tmp_path: Path, script: str, commands: list[str]) -> str:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    env = dict(os.environ, PYTHONBREAKPOINT="micrograd_nn.debug.set_trace",
               PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, str(path)], input="\n".join(commands) + "\n",
                          capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pdb_why_path_inputs_where_graph(tmp_path):
    out = run_pdb(tmp_path, PDB_SCRIPT, [
        "why x", "path x loss", "inputs y", "where z", "where y", "where", "graph loss",
        "graph out", "why 3", "c"])
    # why: x is used twice, by y = x * w and by x * y; the two shares sum to x.grad
    assert "why x.grad = 12.0001   (root: loss," in out
    assert "  + ∂y/∂x × y.grad = 3.0000 × 2.0000 = 6.0001      [y = x * w]" in out
    assert "  + ∂mul#1/∂x × mul#1.grad = 6.0000 × 1.0000 = 6.0000      [mul#1 = x * y]" in out
    assert "  = 12.0001\nwhich is x.grad" in out
    assert "paths from x to loss: 3, ∂loss/∂x = sum of their products = 12.0001" in out
    assert "  x → mul#1 → loss:  ∂mul#1/∂x × ∂loss/∂mul#1 = 6.0000 × 1.0000 = 6.0000" in out
    assert ("  x: data 2.0000, grad 12.0001, ∂y/∂x = 3.0000, backward passes it "
            "3.0000 × 2.0000 = 6.0001") in out
    assert "z was made at " in out and "script.py:8" in out
    assert "where y was made is not recorded" in out
    # pdb stops on the line after breakpoint(); from 3.13 on the breakpoint() line itself
    line = (13, "breakpoint()") if sys.version_info >= (3, 13) else (14, 'print("END")')
    assert out.count(f"script.py({line[0]})<module>()\n-> {line[1]}") == 2  # stop, `where`
    assert "├── z = 1.0000 (grad 1.0000) 'tanh'" in out
    assert "└── mul#1 = 12.0000 (grad 1.0000) '*'" in out
    assert "out = neuron layer 2/neuron 1 (linear) = " in out
    assert "├── mul#3 = " not in out  # inside a neuron: collapsed
    assert "├── tanh#1 = neuron layer 1/neuron 1 (tanh) = " in out
    assert "*** TypeError: why(v) must be a micrograd_nn Value, got int 3" in out
    assert out.rstrip().endswith("END")
    # the README's pdb example is this session's output (pdb prints its prompt, not the
    # commands, when they come from a pipe)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- debugger-pdb: held by tests/test_debugger.py -->\n```\n", 1)[
        1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if not line.startswith("(Pdb) ")]
    got = [line.replace("(Pdb) ", "") for line in out.splitlines()]
    start = got.index(shown[0])
    assert got[start:start + 6] == shown[:6]  # why x
    start = got.index(shown[6])
    assert got[start:start + 4] == shown[6:]  # path x loss


NONFINITE_SCRIPT = """
    from micrograd_nn import Value, debug

    a = Value(0.0, "a")
    b = Value(1.5, "b")
    r = a.sqrt().named("r")
    loss = (r * b + (a + 1.0) * b).named("loss")
    debug.backward(loss, stop_at=[b])
    print("GRADS", repr(a.grad), repr(b.grad), flush=True)
"""


def test_pdb_stops_before_a_watched_grad_and_before_the_first_non_finite_grad(tmp_path):
    out = run_pdb(tmp_path, NONFINITE_SCRIPT, [
        "p reason, target.label, before, after", "c",
        "p reason, target.label, before, after", "c",
        "p reason, target.label, before, after", "p node.op, upstream, local_grads",
        "why target", "c"])
    stops = [line for line in out.splitlines() if line.startswith("(Pdb) (")]
    assert stops == [
        # (a + 1) * b passes (a + 1).data to b, then r * b passes r.data = 0
        "(Pdb) (\"b's grad is about to be written\", 'b', 0.0, 1.0)",
        "(Pdb) (\"b's grad is about to be written\", 'b', 1.0, 1.0)",
        # a has 1.5 from a + 1; sqrt's derivative at 0 is inf
        "(Pdb) (\"backward of 'sqrt' is about to write a non-finite grad (inf)\", 'a', "
        "1.5, inf)",
        "(Pdb) ('sqrt', 1.5, (inf,))",
    ], out
    assert ("-> breakpoint()" if sys.version_info >= (3, 13) else "-> _write(inputs, written)"
            ) in out
    assert "backward is stopped part-way" in out
    a, b = Value(0.0), Value(1.5)
    (a.sqrt() * b + (a + 1.0) * b).backward()
    assert f"GRADS {a.grad!r} {b.grad!r}" in out


# --- the views as functions, in process --------------------------------------------------


def small_graph() -> dict[str, Value]:
    x = Value(2.0, "x")
    w = Value(-3.0, "w")
    y = x * w
    loss = (y.tanh() + y * x).named("loss")
    loss.backward()
    return {"x": x, "w": w, "y": y, "loss": loss}


def test_why_is_the_chain_rule_with_numbers_and_names_nodes_by_their_variables():
    g = small_graph()
    x, y, loss = g["x"], g["y"], g["loss"]
    text = debug.why(x, loss)
    assert repr(text) == str(text) == text  # a console shows the lines
    assert text.splitlines() == [
        f"why x.grad = {format_number(x.grad)}   (root: loss, given)",
        "x is used 2 times; its grad is the sum of ∂(use)/∂x × (use).grad, in the order "
        "backward adds them:",
        "  + ∂mul#1/∂x × mul#1.grad = -6.0000 × 1.0000 = -6.0000      [mul#1 = y * x]",
        f"  + ∂y/∂x × y.grad = -3.0000 × {format_number(y.grad)} = "
        f"{format_number(-3.0 * y.grad)}      [y = x * w]",
        f"  = {format_number(x.grad)}",
        "which is x.grad",
    ]
    assert debug.why(loss).splitlines()[-1] == (
        "loss is the root: backward starts with loss.grad = 1")
    # without a root: the largest graph the caller's variables hold
    assert "(root: loss, the largest graph" in debug.why(x)
    lonely = Value(1.0)
    (lonely * 2.0).backward()  # no variable holds the graph: say so, do not guess
    with pytest.raises(ValueError, match="no variable here holds a graph that uses it"):
        debug.why(lonely)


def test_why_on_random_graphs_sums_exactly_to_every_grad():
    rng = random.Random(22)
    for _ in range(30):
        leaves = [Value(rng.uniform(-2, 2), f"v{i}") for i in range(4)]
        nodes = list(leaves)
        for _ in range(12):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice([a * b, a + b, (a - b).tanh(), a.sigmoid() * b]))
        root = nodes[-1]
        root.backward()
        for v in leaves:
            if v in set(topological_order(root, leaves=True)):
                assert debug.why(v, root).splitlines()[-1] == f"which is {v.label}.grad"


def test_path_lists_every_path_and_their_sum_is_the_derivative():
    g = small_graph()
    text = debug.path(g["x"], g["loss"])
    lines = text.splitlines()
    assert lines[0].startswith("paths from x to loss: 3, ∂loss/∂x = sum of their products = ")
    total = float(lines[0].rsplit("= ", 1)[1])
    assert math.isclose(total, g["x"].grad, rel_tol=1e-4)
    assert len(lines) == 4 and all(" → " in line for line in lines[1:])
    # either order; a limit on what is written out, not on the count
    assert debug.path(g["loss"], g["x"]).splitlines()[0].startswith(
        "paths from x to loss (swapped")
    assert debug.path(g["x"], g["loss"], limit=1).splitlines()[-1] == "  ... and 2 more"
    with pytest.raises(ValueError, match="no path"):
        debug.path(g["x"], Value(1.0))


def test_inputs_where_and_graph():
    g = small_graph()
    y = g["y"]  # the views name unlabelled nodes by the caller's variables
    grad = format_number(g["x"].grad)
    assert debug.inputs(y).splitlines()[1].startswith(
        f"  x: data 2.0000, grad {grad}, ∂y/∂x = -3.0000, backward passes it -3.0000 × ")
    assert debug.inputs(g["x"]) == f"x (a leaf)   data 2.0000, grad {grad}: no inputs"
    assert "is not recorded" in debug.where(g["y"])
    with detect_anomaly():
        made = g["x"] * 2.0
    line = sys._getframe().f_lineno - 1
    assert debug.where(made) == f"made was made at {__file__}:{line}"
    tree = debug.graph(g["loss"]).splitlines()
    assert tree[0] == "loss = -13.0000 (grad 1.0000) '+'"
    assert tree[2] == "│   └── y = -6.0000 (grad 2.0000) '*'"
    assert tree[6] == "    ├── y (shown above)"
    assert debug.graph(g["loss"], depth=1).splitlines()[-1] == (
        "    └── ... (2 inputs below depth 1)")
    assert debug.graph(g["loss"], max_lines=2).splitlines()[-1].startswith("... 4 more nodes")
    with pytest.raises(TypeError, match="must be a micrograd_nn Value, got float 1.0"):
        debug.graph(1.0)  # type: ignore[arg-type]


def test_graph_collapses_a_model_to_one_line_per_neuron():
    model = MLP(2, [3, 1], seed=1)
    out = model([0.5, -1.0])
    collapsed = debug.graph(out).splitlines()
    assert collapsed[0].startswith("out = neuron layer 2/neuron 1 (linear) = ")
    assert collapsed[0].endswith(", 4 parameters, 4 ops")
    assert sum("neuron layer 1/" in line for line in collapsed) == 3
    assert len(debug.graph(out, collapse=False, max_lines=1000).splitlines()) > 3 * len(collapsed)


def test_backward_stops_before_each_write_and_ends_bit_for_bit_as_backward(monkeypatch):
    def model_and_loss() -> tuple[list[Parameter], Value]:
        model = MLP(3, [4, 4, 1], seed=5)
        pred = model([0.3, -1.2, 2.0])
        return model.parameters(), (pred - 0.7) ** 2

    params, loss = model_and_loss()
    seen: list[tuple[str, float, float]] = []

    def hook() -> None:
        frame = sys._getframe(1)
        assert frame.f_code.co_name == "_stop_before_write"
        f = frame.f_locals
        assert f["target"].grad == f["before"]  # stopped *before* the write
        assert f["target"] in f["inputs"] and f["inputs"] == f["node"].inputs
        assert f["upstream"] == f["node"].grad
        assert f["contributions"] == tuple(d * f["upstream"] for d in f["local_grads"])
        seen.append((f["target"].label, f["before"], f["after"]))

    monkeypatch.setattr(sys, "breakpointhook", hook)
    debug.backward(loss, stop_at=params)
    assert len(seen) == len(params)  # each parameter's grad is written once (one consumer)
    expected_params, expected = model_and_loss()
    expected.backward()
    assert [p.grad for p in params] == [p.grad for p in expected_params]
    assert {label: after for label, _, after in seen} == {
        p.label: p.grad for p in expected_params}


def test_why_at_a_stop_does_not_call_a_grad_still_on_its_way_nothing(monkeypatch):
    """Stopped before w's first write, tanh has not yet passed mul#1 its grad: why says the
    0 is so far, not that nothing passes back (which it says once backward is done)."""
    x, w = Value(2.0, "x"), Value(3.0, "w")
    loss = ((x * w).tanh() + x * w).named("loss")
    shown: list[str] = []
    monkeypatch.setattr(sys, "breakpointhook", lambda: shown.append(str(debug.why(w, loss))))
    debug.backward(loss, stop_at=[w])
    first = shown[0].splitlines()
    assert first[3].endswith("   (mul#1.grad is 0 so far: backward is stopped part-way, and "
                             "may not have reached it)")
    assert first[-1].startswith("but w.grad is 0.0000: backward is stopped part-way")
    assert "so far" not in shown[1]  # by the second stop mul#1 has its grad
    v, u = Value(2.0, "v"), Value(3.0, "u")
    dead = (v * u * 0.0).named("dead")
    dead.backward()
    assert debug.why(u, dead).splitlines()[2].endswith(
        "[mul#1 = v * u]   (mul#1.grad is 0: nothing passes back)")


def test_importing_micrograd_nn_imports_no_debugger():
    code = ("import sys, micrograd_nn; from micrograd_nn import Value; (Value(2.0) * 3).backward()"
            "; print(sorted(m for m in sys.modules if m.startswith(('pdb', 'bdb', 'pydevd', "
            "'_pydevd', 'debugpy', 'micrograd_nn.debug'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"


# --- the README's debugger section, held to a real session ------------------------------


def readme_blocks() -> tuple[str, str]:
    """The script and the Variables-pane text under README's "In a debugger"."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    part = readme.split("<!-- debugger-variables: held by tests/test_debugger.py -->", 1)[1]
    script = part.split("```python\n", 1)[1].split("```", 1)[0]
    shown = part.split("```text\n", 1)[1].split("```", 1)[0]
    return script, shown


def render(session: Session, name: str, var: dict[str, Any], depth: int) -> list[str]:
    """A variable as the Variables pane shows it, expanded ``depth`` levels: name: value."""
    lines = [f"{name}: {var['value']}"]
    if depth and var["variablesReference"]:
        for child_name, child in session.children(var["variablesReference"]).items():
            lines += ["  " + line for line in render(session, child_name, child, depth - 1)]
    return lines


def test_readme_shows_what_a_real_debugpy_session_shows(tmp_path):
    script, shown = readme_blocks()
    session, stopped = run_debugpy(tmp_path, script, "# breakpoint here")
    try:
        frame = session.top_frame(stopped["threadId"])
        local = session.locals(frame["id"])
        text = render(session, "y", local["y"], 2)
        text += render(session, "params", local["params"], 0)
    finally:
        session.close()
    assert "\n".join(text) + "\n" == shown


def test_inside_detect_anomaly_the_stop_comes_before_its_error(monkeypatch):
    a = Value(0.0, "a")
    loss = (a.sqrt() * 2.0).named("loss")
    seen: list[tuple[str, float, float]] = []

    def hook() -> None:
        f = sys._getframe(1).f_locals
        assert f["target"] is a and a.grad == f["before"] == 0.0  # not written yet
        seen.append((f["reason"], f["before"], f["after"]))

    monkeypatch.setattr(sys, "breakpointhook", hook)
    with detect_anomaly(), pytest.raises(AnomalyError, match="non-finite grad inf"):
        debug.backward(loss)
    assert len(seen) == 1 and seen[0][0].startswith("detect_anomaly is about to raise: ")
    assert seen[0][1:] == (0.0, math.inf) and a.grad == math.inf  # then written, as before
