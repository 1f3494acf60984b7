"""Stepping through backward: Value.backward_steps, viz.backward_frames and the page's content."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from test_viz import SVG_NS, neuron

from micrograd_nn import Constant, Value, format_number, topological_order, viz

grad_colour = viz.dot.grad_colour


def square_plus_self() -> Value:
    a = Value(-1.5, "a")
    return (a * a + a).named("out")


def doubled_twice() -> Value:
    a = Value(0.7, "a")
    b = (a + a).named("b")
    return (b + b).named("c")


def diamond() -> Value:
    a = Value(1.3, "a")
    b, c = (a * 2.0).named("b"), (a + 3.0).named("c")
    return (b * c).tanh().named("d")


def mixed() -> Value:
    x, y = Value(0.4, "x"), Value(-2.0, "y")
    h = (x * y).named("h")
    return Value.sum([h.exp(), h * x, (y ** 2).log(), h / 3.0]).relu().sigmoid().named("out")


GRAPHS = [square_plus_self, doubled_twice, diamond, mixed, lambda: neuron()[0]]


def final_grads(root: Value) -> dict[Value, float]:
    """Each node's grad after ``root.backward()`` from zeroed grads."""
    root.zero_grad()
    root.backward()
    return {n: n.grad for n in topological_order(root, leaves=True)}


@pytest.mark.parametrize("build", GRAPHS)
def test_backward_steps_visit_each_op_once_with_its_grad_complete(build):
    root = build()
    final = final_grads(root)
    interior = [n for n in final if n.inputs]
    root.zero_grad()
    visited = []
    for step in root.backward_steps():
        # Nothing reaches a node after its own step, so its grad must be final already.
        assert step.node.grad == final[step.node]
        assert step.upstream == final[step.node]
        visited.append(step.node)
    assert len(visited) == len(interior) == step.total
    assert set(visited) == set(interior)


@pytest.mark.parametrize("build", GRAPHS)
def test_backward_steps_end_with_exactly_backwards_grads(build):
    root = build()
    final = final_grads(root)
    root.zero_grad()
    for _ in root.backward_steps():
        pass
    assert {n: n.grad for n in final} == final


def test_shared_nodes_get_every_paths_contribution():
    out = square_plus_self()  # d/da (a*a + a) = 2a + 1
    out.backward()
    a = out.inputs[0].inputs[0]
    assert a.grad == 2 * -1.5 + 1
    c = doubled_twice()  # c = 4a
    c.backward()
    assert c.inputs[0].inputs[0].grad == 4.0


def frame_texts(path) -> list[str]:
    return [t.text or "" for t in ET.parse(path).iter(f"{SVG_NS}text")]


def highlighted(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [g.get("id") for g in root.iter(f"{SVG_NS}g") if "highlight" in g.get("class", "")]


def test_one_frame_before_backward_and_one_per_step(tmp_path):
    o, leaves = neuron()
    steps = len([n for n in topological_order(o, leaves=True) if n.inputs])
    paths = viz.backward_frames(o, tmp_path / "frames")
    assert len(paths) == steps + 1
    assert [p.name for p in paths] == [f"step_{k:03d}.svg" for k in range(steps + 1)]
    assert highlighted(paths[0]) == []
    assert all(len(highlighted(p)) == 1 for p in paths[1:])


def test_frames_show_grads_as_they_are_at_each_step(tmp_path):
    o, leaves = neuron()
    paths = viz.backward_frames(o, tmp_path)
    first, last = frame_texts(paths[0]), frame_texts(paths[-1])
    grads = [t for t in first if t.startswith("grad ")]
    assert grads and set(grads) == {"grad 0.0000"}
    assert "grad 1.0000" in frame_texts(paths[1])  # step 1 seeds o.grad = 1
    for leaf in leaves.values():  # the pass leaves backward's grads, and so does the last frame
        assert f"grad {format_number(leaf.grad)}" in last
    assert leaves["w1"].grad == 2.0 * o.data * (1 - o.data)


def test_frames_highlight_the_steps_nodes_in_backward_order(tmp_path):
    o, _ = neuron()
    ids = {n: f"v{k}" for k, n in enumerate(topological_order(o, leaves=True))}
    expected = [ids[step.node] for step in o.backward_steps()]
    paths = viz.backward_frames(o, tmp_path)
    assert [highlighted(p)[0] for p in paths[1:]] == expected


def test_frames_keep_one_layout_while_grads_change(tmp_path):
    x = Value(0.25, "x")
    y = (x * -40.0).tanh() * 1234.5  # grads of very different widths appear step by step
    sizes = {ET.parse(p).getroot().get("viewBox") for p in viz.backward_frames(y, tmp_path)}
    assert len(sizes) == 1


def test_frames_png_and_bad_format(tmp_path):
    paths = viz.backward_frames(doubled_twice(), tmp_path, format="png")
    assert len(paths) == 3 and paths[0].read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="format must be one of"):
        viz.backward_frames(doubled_twice(), tmp_path, format="gif")


def test_frames_refuse_a_graph_past_max_nodes_before_running_backward(tmp_path):
    v = Value(0.5, "x")
    for _ in range(30):
        v = v.tanh()
    with pytest.raises(ValueError, match="31 nodes"):
        viz.backward_frames(v, tmp_path, max_nodes=20)
    assert v.grad == 0.0 and list(tmp_path.iterdir()) == []


def page_data(page: str) -> dict:
    """The step data a page's script reads."""
    block = re.search(r'<script type="application/json" id="steps-data">(.*?)</script>', page,
                      re.S).group(1)
    return json.loads(block)


def test_page_is_one_svg_with_data_for_every_forward_and_backward_step(tmp_path):
    o, leaves = neuron()
    steps = list(o.backward_steps())
    page = viz.backward_html(o, tmp_path / "sub" / "backward.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1
    data = page_data(page)
    ops = [n for n in topological_order(o, leaves=True) if n.inputs]
    assert len(data["forward"]) == len(ops) and len(data["backward"]) == len(steps)
    assert f"Step 0 / {len(ops) + len(steps)}" in page
    names = data["names"]
    assert [names[f["node"]] for f in data["forward"]] == [n.label for n in ops]  # inputs first
    assert data["forward"][-1] == {"node": names.index("o"), "equation": "o = sigmoid(n)",
                                   "numbers": "= sigmoid(7.0000) = 0.9991"}
    for step, row in zip(steps, data["backward"]):
        assert names[row["node"]] == step.node.label
        assert row["equation"] == step.equation() and row["lines"] == step.lines()
        assert row["passed"] == list(step.passed)
    assert leaves["w1"].grad == 2.0 * o.data * (1 - o.data)  # grads left as backward's
    assert f"w1.grad = {format_number(leaves['w1'].grad)}" in data["done"]
    external = re.findall(r'(?:src|href)\s*=\s*"(?!#)[^"]*"|@import|url\(\s*["\']?http', page)
    assert external == [] and "<script src" not in page and "<link" not in page


def test_page_changes_replay_to_backwards_grads_with_draw_dot_colours(tmp_path):
    root = mixed()
    order = topological_order(root, leaves=True)
    final = final_grads(root)
    data = viz.page.step_data(root, order)
    shown = {}
    for row in data["backward"]:
        for change in row["changes"]:
            shown[change["node"]] = (change["grad"], change["fill"])
    scale = viz.dot.largest_grad(order)
    for k, node in enumerate(order):
        if node.grad and not isinstance(node, Constant):
            assert shown[k] == (f"grad {format_number(final[node])}",
                                grad_colour(final[node], scale)), data["names"][k]


def test_page_ids_are_unique_and_data_is_script_safe(tmp_path):
    x = Value(1.0, "</script><b>")
    page = viz.step_page((x * 2.0).tanh().named("y"))
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert page.count("</script>") == 2  # the data block's and the script's own
    assert page_data(page)["names"][0] == "</script><b>"


def test_page_refuses_collapse_and_too_big_graphs_before_running_backward():
    v = Value(0.5, "x")
    for _ in range(30):
        v = v.tanh()
    with pytest.raises(ValueError, match="31 nodes"):
        viz.step_page(v, max_nodes=20)
    assert v.grad == 0.0
    with pytest.raises(ValueError, match="takes no collapse"):
        viz.step_page(v, collapse="neuron")


def test_page_says_what_to_do_when_graphviz_is_too_slow(monkeypatch):
    def slow(source, fmt, timeout):
        raise TimeoutError
    monkeypatch.setattr(viz.page, "run_dot", slow)
    with pytest.raises(ValueError, match="subgraph.*collapse='neuron'.*time_limit"):
        viz.step_page(diamond(), time_limit=0.01)


# --- one pass: one walk, no grad written for the layout, the page's files inlined --------

@pytest.fixture
def walks(monkeypatch):
    """Counts the graph walks made anywhere (the engine's walkers, under every name they
    are imported as)."""
    import sys

    import micrograd_nn

    graph = sys.modules[micrograd_nn.topological_order.__module__]
    counted = {"n": 0, "depth": 0}
    for name in ("topological_order", "walk", "op_nodes"):
        original = getattr(graph, name, None)
        if original is None:
            continue

        def counting(*args, _original=original, **kwargs):
            counted["n"] += counted["depth"] == 0  # topological_order may call walk
            counted["depth"] += 1
            try:
                return _original(*args, **kwargs)
            finally:
                counted["depth"] -= 1

        for module in list(sys.modules.values()):
            if module is not None and (module.__name__ or "").startswith("micrograd_nn") \
                    and getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, counting)
    return counted


def test_the_page_walks_the_graph_once_besides_the_backward_pass_it_steps_through(walks):
    from test_page_browser import mlp_loss

    root = mlp_loss()
    root.backward()  # what a backward pass costs on its own: finding its order
    backward = walks["n"]
    walks["n"] = 0
    viz.step_page(root)
    assert backward == 1 and walks["n"] == backward + 1  # names come from the page's walk


def test_frames_walk_the_graph_once_besides_the_backward_pass(walks):
    root = mixed()
    root.backward()
    backward = walks["n"]
    walks["n"] = 0
    list(viz.frames.frame_graphs(root))
    assert backward == 1 and walks["n"] == backward + 1


def test_laying_out_writes_no_grad_only_backward_does(monkeypatch, tmp_path):
    """Whenever a box is drawn (for the page's one layout, or any frame), every node's grad
    is backward's own: the old page and frames wrote each node's widest grad (and each
    frame's grads) into the nodes to draw them."""
    root = mixed()
    final = final_grads(root)
    drawn = []

    def check(*args, _record=viz.dot._record, **kwargs):
        drawn.append({n: n.grad for n in final} == final)
        return _record(*args, **kwargs)

    monkeypatch.setattr(viz.dot, "_record", check)
    viz.step_page(root)
    viz.backward_frames(root, tmp_path)
    assert len(drawn) > 2 * len(final) and all(drawn)
    assert {n: n.grad for n in final} == final


def test_widest_grads_keeps_each_nodes_longest_text():
    widest = viz.dot.widest_grads(3, [(0, 1.0), (0, -12.5), (0, 3.0), (2, 123456.0), (2, 1.0)])
    assert widest == [-12.5, 0.0, 123456.0]


def test_the_page_inlines_its_html_css_and_js_files_once_each():
    page = viz.step_page(diamond())
    for name in ("page.css", "page.js"):
        text = viz.page.asset(name)
        assert page.count(text) == 1
        # Inlined in <style>/<script>: nothing in them may end the element early.
        assert "</" not in text and "<!--" not in text
    assert page.startswith(viz.page.asset("page.html").split("{{", 1)[0])


def test_the_script_reads_steps_by_field_name_not_position():
    script = viz.page.asset("page.js")
    assert not re.search(r"\b(D\.\w+\[[^\]]+\]|step|change|forward|backward|[bcf])\[\d\]", script)
    root = diamond()
    data = viz.page.step_data(root, topological_order(root, leaves=True))
    assert set(data["forward"][0]) == {"node", "equation", "numbers"}
    assert set(data["backward"][0]) == {"node", "equation", "lines", "passed", "changes"}
    assert set(data["backward"][0]["changes"][0]) == {"node", "grad", "fill"}
    for name in ("numbers", "lines", "passed", "changes", "equation"):
        assert f".{name}" in script  # the fields the page writes are the fields it reads


HOSTILE = ["<!--", "</script>", "<script>alert(1)</script>", "a\u2028b\u2029c", "-->", "&amp;",
           "{{data}}", "\\", "\"'"]


def test_hostile_labels_survive_into_the_pages_data_unchanged():
    from micrograd_nn import custom_op

    op = custom_op("plus_one", lambda x: x + 1.0, lambda x: 1.0)
    op.op_class.op = "<!--op-->"  # refused by custom_op; an Op subclass may still carry it
    op.op_class.expr = "<!--op-->({args})"
    x = Value(0.5, HOSTILE[0])
    out = x
    for label in HOSTILE[1:]:
        out = (out * 1.5).named(label)
    out = op(out).named("</script><!--")
    page = viz.step_page(out)
    data = page_data(page)
    assert data["names"][:1] == ["<!--"] and set(HOSTILE) <= set(data["names"])
    assert data["names"][-1] == "</script><!--"
    assert data["forward"][-1]["equation"] == "</script><!-- = <!--op-->(\"')"
    block = page.split('id="steps-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and "\u2028" not in block
    assert page.count("</script>") == 2 and page.count('id="steps-data"') == 1


def test_the_page_makes_no_step_but_backwards_own(monkeypatch):
    """The forward text is written from the node, not borrowed from a made-up BackwardStep."""
    from micrograd_nn import BackwardStep

    made = []
    init = BackwardStep.__init__

    def counting(self, *args, **kwargs):
        made.append(args[2] if len(args) > 2 else kwargs.get("node"))
        init(self, *args, **kwargs)

    monkeypatch.setattr(BackwardStep, "__init__", counting)
    root = mixed()
    data = viz.page.step_data(root, topological_order(root, leaves=True))
    assert len(made) == len(data["backward"]) == len(data["forward"])
    assert data["forward"][0]["equation"] == "h = x * y"


def test_frames_of_a_graph_with_hostile_names_render(tmp_path):
    from micrograd_nn import custom_op

    op = custom_op("plus_one", lambda x: x + 1.0, lambda x: 1.0)
    op.op_class.op = "<b>op</b>\\"  # refused by custom_op; an Op subclass may carry it
    root = op((Value(0.5, "x\x00<!--") * 2.0).named("</script>")).named("\\")
    paths = viz.backward_frames(root, tmp_path)
    assert len(paths) == 3
    assert "x\u2400<!--" in frame_texts(paths[-1]) and "<b>op</b>\\" in frame_texts(paths[1])
