"""micrograd_nn.varnames: unlabelled nodes named by the variables that hold them.

Looked up only when something is displayed: no node carries anything for it."""

from __future__ import annotations

import sys
import threading

from micrograd_nn import Value
from micrograd_nn.varnames import user_frames, variable_names


def test_nodes_are_named_by_the_callers_variables():
    x = Value(2.0)
    w = Value(3.0)
    y = x * w
    names = variable_names([x, w, y, y * 2.0])
    assert names == {id(x): "x", id(w): "w", id(y): "y"}  # the last one no variable holds


def test_inner_frames_win_and_a_name_never_stands_for_two_nodes():
    outer = Value(9.0)

    def layer(x: Value) -> dict[int, str]:
        h = x * 2.0
        return variable_names([x, h, outer])

    a = Value(4.0)
    assert sorted(layer(a).values()) == ["h", "outer", "x"]  # x (inner) wins over a

    x = Value(1.0)

    def shadow() -> tuple[Value, dict[int, str]]:
        x = Value(7.0)
        return x, variable_names([x, outer_x])

    outer_x = x
    inner, result = shadow()
    assert result[id(inner)] == "x"
    # the outer node is held by `outer_x`, and by `x` in the outer frame: not "x" again
    assert result[id(outer_x)] in (
        "outer_x", "x@test_inner_frames_win_and_a_name_never_stands_for_two_nodes")


def test_items_of_lists_and_private_names_come_last():
    xs = [Value(float(i)) for i in range(3)]
    _hidden = Value(1.5)
    names = variable_names([xs[2], _hidden])
    assert names == {id(xs[2]): "xs[2]", id(_hidden): "_hidden"}
    also = _hidden  # noqa: F841 - a public name for it
    assert variable_names([_hidden])[id(_hidden)] == "also"


def test_library_and_debugger_frames_are_skipped():
    frames = user_frames()
    modules = {f.f_globals.get("__name__", "").split(".")[0] for f in frames}
    assert not modules & {"micrograd_nn", "pytest", "_pytest", "pluggy"}
    assert frames[0] is sys._getframe()


def test_all_threads_finds_a_node_held_only_in_another_thread():
    # pydevd answers from the stopped thread, but a debugger may run in its own thread.
    ready, done = threading.Event(), threading.Event()
    box: list[Value] = []

    def worker() -> None:
        held_elsewhere = Value(3.0)
        box.append(held_elsewhere)
        ready.set()
        done.wait(10)
        del held_elsewhere

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert ready.wait(10)
        # here only the list holds it (items are searched last): the worker's variable wins
        found = variable_names(box, user_frames(None, all_threads=True))
        only_here = variable_names(box)
    finally:
        done.set()
        t.join()
    assert found == {id(box[0]): "held_elsewhere"}
    assert only_here == {id(box[0]): "box[0]"}


def test_this_threads_frames_come_first_with_all_threads():
    frames = user_frames(None, all_threads=True)
    assert sys._getframe() in frames
    assert frames.index(sys._getframe()) < len(frames)


def test_a_module_marked_not_user_code_lends_no_names():
    import types

    from micrograd_nn.text import node_names
    from micrograd_nn.varnames import NOT_USER_CODE

    tool = types.ModuleType("tool")
    exec("def show(highlight):\n    return node_names(highlight)\n", tool.__dict__)
    tool.node_names = node_names
    x = Value(2.0)
    y = x * 3.0
    assert tool.show(y)[y] == "highlight"  # an ordinary module's variable names a node
    setattr(tool, NOT_USER_CODE, True)
    assert tool.show(y)[y] == "y"  # the tool's frame is skipped: the caller's name is used
