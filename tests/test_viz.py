"""viz.draw_dot and viz.render: what a diagram shows, that it is stable, and its errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import pytest

from micrograd_nn import Constant, Parameter, Value, format_number, topological_order, viz
from micrograd_nn.nn import MLP

grad_colour = viz.dot.grad_colour

REPO = Path(__file__).resolve().parent.parent
SVG_NS = "{http://www.w3.org/2000/svg}"


def neuron() -> tuple[Value, dict[str, Value]]:
    """Seed 002's neuron sigmoid(w1*x1 + w2*x2 + b) with plain Value leaves, labelled."""
    leaves = {name: Value(v, name) for name, v in
              [("x1", 2.0), ("x2", 3.0), ("w1", 0.0), ("w2", 1.0), ("b", 4.0)]}
    x1, x2, w1, w2, b = leaves.values()
    n = Value.sum([(w1 * x1).named("w1x1"), (w2 * x2).named("w2x2"), b]).named("n")
    return n.sigmoid().named("o"), leaves


def node_line(source: str, label: str) -> str:
    """The DOT statement of the Value box whose first field is ``label``."""
    lines = [ln for ln in source.splitlines() if f'label="{{ {label} |' in ln]
    assert len(lines) == 1, f"expected one node labelled {label!r}, got {lines}"
    return lines[0]


def svg_texts(path: Path) -> list[str]:
    return [t.text or "" for t in ET.parse(path).iter(f"{SVG_NS}text")]


def test_dot_source_shows_every_label_data_grad_and_op():
    o, _ = neuron()
    o.backward()
    source = viz.draw_dot(o).source
    for node in topological_order(o, leaves=True):
        line = node_line(source, node.label)
        assert f"data {format_number(node.data)}" in line
        assert f"grad {format_number(node.grad)}" in line
    for op in ("*", "Σ", "sigmoid"):
        assert f"label={op}" in source or f'label="{op}"' in source


def test_svg_rendered_by_dot_contains_labels_values_and_ops(tmp_path):
    o, _ = neuron()
    o.backward()
    path = viz.render(o, tmp_path / "neuron.svg")
    assert path == tmp_path / "neuron.svg"
    texts = svg_texts(path)
    for node in topological_order(o, leaves=True):
        assert node.label in texts
        assert f"data {format_number(node.data)}" in texts
        assert f"grad {format_number(node.grad)}" in texts
    assert {"*", "Σ", "sigmoid"} <= set(texts)


def test_same_graph_built_twice_gives_identical_dot_source():
    first, second = neuron()[0], neuron()[0]
    first.backward()
    second.backward()
    a, b = viz.draw_dot(first).source, viz.draw_dot(second).source
    assert a == b
    assert str(id(first)) not in a


def test_diagram_shows_inline_in_jupyter_as_svg():
    o, _ = neuron()
    bundle = viz.draw_dot(o)._repr_mimebundle_()
    assert "data 0.9991" in bundle["image/svg+xml"]


def test_unlabelled_nodes_are_named_as_explain_names_them():
    x = Value(1.5)
    y = (x * 2.0).tanh()
    source = viz.draw_dot(y).source
    # x by the variable that holds it (micrograd_nn.varnames); x * 2.0 no variable holds
    assert "{ x | data 1.5000" in source and "{ mul#1 | data 3.0000" in source
    assert 'label="{ data 2.0000 }"' in source  # the constant: its value, no name or grad


def test_sum_of_many_terms_is_one_sigma_op_node():
    xs = [Value(float(i), f"x{i}") for i in range(5)]
    source = viz.draw_dot(Value.sum(xs)).source
    assert source.count('label="Σ"') == 1
    sigma = re.search(r'(v\d+_op) \[label="Σ"', source).group(1)
    # one edge per term, in input order
    tails = re.findall(rf"(v\d+) -> {sigma}", source)
    labels = [re.search(rf"\b{t} \[label=\"{{ (x\d)", source).group(1) for t in tails]
    assert labels == ["x0", "x1", "x2", "x3", "x4"]


def test_edges_follow_input_order_for_non_commutative_ops():
    a, b = Value(5.0, "a"), Value(2.0, "b")
    source = viz.draw_dot((b - a).named("d")).source
    edges = re.findall(r"(v\d+) -> v\d+_op", source)
    assert [re.search(rf"\b{e} \[label=\"{{ (\w+)", source).group(1) for e in edges] == ["b", "a"]


def test_parameters_inputs_and_constants_are_drawn_differently():
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    source = viz.draw_dot((x * w + 1.0).named("z"), params=[w]).source
    param, inp = node_line(source, "w"), node_line(source, "x")
    const = next(ln for ln in source.splitlines() if 'label="{ data 1.0000 }"' in ln)
    assert "penwidth=3" in param and "rounded" not in param
    assert "rounded" in inp and "penwidth" not in inp
    assert "dashed" in const and "grad" not in const


def test_nn_parameters_are_marked_without_params_argument():
    model = MLP(2, [1], seed=0)
    y = model([Value(1.0, "x1"), Value(2.0, "x2")])
    source = viz.draw_dot(y).source
    assert all(isinstance(p, Parameter) for p in model.parameters())
    for p in model.parameters():
        assert "penwidth=3" in node_line(source, p.label)
    assert "rounded" in node_line(source, "x1")


def test_numbers_show_four_decimals_or_four_significant_digits():
    assert [format_number(x) for x in (2.0, -0.19661193, 0.0, 0.000910221, 1.5e8)] == [
        "2.0000", "-0.1966", "0.0000", "0.0009102", "1.5e+08"]


def test_grad_colour_is_red_for_positive_blue_for_negative_and_deepens_with_size():
    def rgb(colour: str) -> tuple[int, ...]:
        return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))

    assert grad_colour(0.0, 1.0) == "#ffffff"
    red, blue = rgb(grad_colour(1.0, 1.0)), rgb(grad_colour(-1.0, 1.0))
    assert red[0] > red[2] and blue[2] > blue[0]
    weak, strong = rgb(grad_colour(0.01, 1.0)), rgb(grad_colour(0.5, 1.0))
    assert sum(strong) < sum(weak) < 3 * 255  # darker = further from white, still tinted
    assert grad_colour(7.0, 1.0) == grad_colour(1.0, 1.0)  # capped at the scale


def test_node_fill_follows_its_grad_sign():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    d = (a - b).named("d")
    d.backward()
    source = viz.draw_dot(d).source
    assert grad_colour(1.0, 1.0) in node_line(source, "a")
    assert grad_colour(-1.0, 1.0) in node_line(source, "b")


def test_show_grad_false_leaves_out_grads_and_colours():
    o, _ = neuron()
    o.backward()
    source = viz.draw_dot(o, show_grad=False).source
    assert not re.search(r'label="[^"]*grad', source)
    assert set(re.findall(r'fillcolor="?(#?\w+)', source)) <= {"#ffffff", "white"}


def test_highlight_marks_the_node_and_its_op():
    o, leaves = neuron()
    n = o.inputs[0]
    source = viz.draw_dot(o, highlight=n).source
    assert "class=highlight" in node_line(source, "n")
    assert source.count("class=highlight") == 1


def test_top_to_bottom_layout_lays_record_fields_across():
    o, _ = neuron()
    source = viz.draw_dot(o, rankdir="TB").source
    assert "rankdir=TB" in source and 'label="o | data 0.9991' in source


def test_bad_arguments_raise_clear_errors():
    o, _ = neuron()
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_dot(o, rankdir="sideways")
    with pytest.raises(TypeError, match="needs a Value"):
        viz.draw_dot(0.5)
    with pytest.raises(ValueError, match="max_nodes must be at least 1"):
        viz.draw_dot(o, max_nodes=0)
    with pytest.raises(TypeError, match="max_nodes must be an int"):
        viz.draw_dot(o, max_nodes=10.5)
    with pytest.raises(ValueError, match="not a node of this graph"):
        viz.draw_dot(o, highlight=Value(1.0, "elsewhere"))
    with pytest.raises(TypeError, match="params"):
        viz.draw_dot(o, params=[1.0])


def test_record_syntax_in_labels_is_escaped(tmp_path):
    x = Value(1.0, "a{b}|<c>")
    path = viz.render(x.tanh().named('say "hi"'), tmp_path / "odd.svg")
    assert {"a{b}|<c>", 'say "hi"'} <= set(svg_texts(path))


def chain(length: int) -> Value:
    v = Value(0.1, "x")
    for _ in range(length - 1):
        v = v.tanh()
    return v


def test_too_many_nodes_raises_saying_how_many_and_what_to_do():
    with pytest.raises(ValueError) as info:
        viz.draw_dot(chain(20_000), max_nodes=1000)
    message = str(info.value)
    assert "20,000 nodes" in message and "max_nodes=1,000" in message
    assert "subgraph" in message and "max_nodes=20000" in message


def test_huge_graph_stops_counting_past_the_cap():
    with pytest.raises(ValueError, match="more than 100,000 nodes"):
        viz.draw_dot(chain(100_002))


def test_exactly_max_nodes_is_drawn():
    source = viz.draw_dot(chain(50), max_nodes=50).source
    assert len(re.findall(r"^\tv\d+ \[", source, re.M)) == 50


def test_render_format_comes_from_suffix_or_argument(tmp_path):
    o, _ = neuron()
    png = viz.render(o, tmp_path / "a.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = viz.render(o, tmp_path / "b", format="pdf")
    assert pdf == tmp_path / "b.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert viz.render(o, tmp_path / "sub" / "c").name == "c.svg"
    with pytest.raises(ValueError, match="ends in .svg but format='png'"):
        viz.render(o, tmp_path / "d.svg", format="png")
    with pytest.raises(ValueError, match="format must be one of"):
        viz.render(o, tmp_path / "e", format="gif")


def test_render_without_dot_says_how_to_install_and_keeps_the_source(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    o, _ = neuron()
    with pytest.raises(viz.DotNotFoundError) as info:
        viz.render(o, tmp_path / "graph.svg")
    message = str(info.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install"):
        assert hint in message
    source = tmp_path / "graph.dot"
    assert str(source) in message
    assert source.read_text(encoding="utf-8") == viz.draw_dot(o).source
    assert not (tmp_path / "graph.svg").exists()


def test_every_way_to_show_a_diagram_without_dot_says_how_to_install_it(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    o, _ = neuron()
    diagram = viz.draw_dot(o)  # making the DOT source needs no dot
    shows = {
        "Jupyter's inline display": diagram._repr_mimebundle_,
        "pipe": lambda: diagram.pipe(format="svg"),
        "render (graphviz's)": lambda: diagram.render(tmp_path / "g", format="svg"),
        "backward_frames": lambda: viz.backward_frames(o, tmp_path / "frames"),
        "backward_html": lambda: viz.backward_html(o, tmp_path / "page.html"),
    }
    for name, show in shows.items():
        with pytest.raises(viz.DotNotFoundError) as info:
            show()
        message = str(info.value)
        assert "`dot` program was not found" in message, name
        for hint in ("apt-get install graphviz", "brew install graphviz", "graphviz.org"):
            assert hint in message, name


NO_GRAPHVIZ = """
import sys
sys.modules["graphviz"] = None  # what a missing package looks like to import
from micrograd_nn import Value, viz
x = Value(2.0, "x")
y = (x * x).tanh()
for draw in (lambda: viz.draw_dot(y), lambda: viz.render(y, "a.svg"),
             lambda: viz.backward_frames(y, "frames"), lambda: viz.backward_html(y, "a.html")):
    try:
        draw()
    except ImportError as err:
        print(err.name, err)
print("grad", x.grad)
"""


def test_viz_imports_without_graphviz_and_drawing_says_how_to_install_it(tmp_path):
    run = subprocess.run([sys.executable, "-c", NO_GRAPHVIZ], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    lines = run.stdout.splitlines()
    assert len(lines) == 5, run.stdout
    for line in lines[:4]:
        assert line.startswith("graphviz ") and 'pip install "micrograd_nn[viz]"' in line
    assert lines[4] == "grad 0.0"  # backward was not run before failing
    assert not list(tmp_path.iterdir())  # and nothing was written


def test_importing_viz_does_not_import_graphviz():
    code = "import sys; from micrograd_nn import viz; print('graphviz' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def upstream_style_draw(root) -> graphviz.Digraph:
    """What upstream micrograd's trace_graph notebook does: walk ``_prev`` into a set,
    name nodes by ``id()``, read ``_op``, ``data`` and ``grad``."""
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    for n in nodes:
        uid = str(id(n))
        label = "{ data %.4f | grad %.4f }" % (n.data, n.grad)  # noqa: UP031 (as upstream)
        dot.node(name=uid, label=label, shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def upstream_records(dot: graphviz.Digraph) -> list[str]:
    return sorted(re.findall(r'label="(\{ data [^"]*\})"', dot.source))


def test_upstream_micrograd_draw_dot_pattern_works_on_our_value():
    from micrograd.engine import Value as UpstreamValue

    def expr(V):
        a, b, c = V(2.0), V(-3.0), V(10.0)
        return (a * b + c).relu() * a

    ours, theirs = expr(Value), expr(UpstreamValue)
    ours.backward()
    theirs.backward()
    drawn = upstream_style_draw(ours)
    assert upstream_records(drawn) == upstream_records(upstream_style_draw(theirs))
    ops = re.findall(r'label="?([^"{]+?)"?\]', drawn.source)
    assert sorted(ops) == ["*", "*", "+", "relu"]


def test_docs_graph_svg_is_the_neuron_after_backward():
    o, leaves = neuron()
    o.backward()
    texts = svg_texts(REPO / "docs" / "graph.svg")
    for name, leaf in leaves.items():
        assert name in texts and f"grad {format_number(leaf.grad)}" in texts
    assert "data 0.9991" in texts


def test_draw_graph_example_writes_diagrams_and_pages(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "draw_graph.py"), "--json",
         "--out", str(tmp_path)], capture_output=True, text=True, check=True)
    paths = json.loads(out.stdout)
    assert set(paths) == {"neuron_svg", "mlp_svg", "mlp_collapsed_svg", "page", "mlp_page",
                          "big_page"}
    assert "data 0.9991" in svg_texts(Path(paths["neuron_svg"]))  # σ(7)
    assert {"loss", "layer 1", "neuron 3"} <= set(svg_texts(Path(paths["mlp_svg"])))
    collapsed = svg_texts(Path(paths["mlp_collapsed_svg"]))
    assert collapsed.count("tanh, 17 params") == 16 and "neuron 1 → y" in collapsed
    assert Path(paths["page"]).read_text(encoding="utf-8").count("<svg") == 1


def test_constants_are_leaves_not_parameters_even_if_listed():
    k = Constant(2.0)
    source = viz.draw_dot((Value(1.0, "x") * k).named("y"), params=[k]).source
    const = next(ln for ln in source.splitlines() if 'label="{ data 2.0000 }"' in ln)
    assert "dashed" in const and "penwidth" not in const


def cluster_bodies(source: str) -> dict[str, str]:
    """Each ``subgraph cluster_…`` block's text (nested blocks included) by cluster name."""
    bodies = {}
    for match in re.finditer(r"subgraph (cluster_\w+) \{", source):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(source[end], 0) if source[end - 1] != "\\" else 0
            end += 1
        bodies[match.group(1)] = source[match.end():end]
    return bodies


def mlp_sample(sizes: list[int], **kw) -> tuple[MLP, Value]:
    model = MLP(2, sizes, seed=3, **kw)
    y = model.scalar([Value(0.5, "x1"), Value(-1.0, "x2")]).named("y")
    return model, ((y - 1.0) ** 2).named("loss")


def test_parameters_know_the_neuron_that_made_them():
    model, _ = mlp_sample([3, 1])
    owners = {p.label: p.owner for p in model.parameters()}
    assert owners["L1.n2.w1"].path == "layer 1/neuron 2" == owners["L1.n2.b"].path
    assert owners["L2.n1.b"] == ("layer 2/neuron 1", "linear")
    assert Parameter(1.0).owner is None


def test_mlp_diagram_draws_each_neuron_inside_its_layer():
    model, loss = mlp_sample([3, 1])
    source = viz.draw_dot(loss).source
    bodies = cluster_bodies(source)
    assert {"cluster_layer_1", "cluster_layer_2", "cluster_layer_1_neuron_3",
            "cluster_layer_2_neuron_1"} <= set(bodies)
    assert "cluster_layer_1_neuron_3" in bodies["cluster_layer_1"]
    assert 'label="neuron 3"' in bodies["cluster_layer_1_neuron_3"]
    ids = viz.dot.dot_ids(topological_order(loss, leaves=True))
    neuron = model.layers[0].neurons[2]
    members = neuron.parameters()
    sums = {n for n in ids if n.op == "sum" and n.inputs[-1] is neuron.b}
    tanhs = {n for n in ids if n.op == "tanh" and n.inputs[0] in sums}
    products = {t for s in sums for t in s.inputs[:-1]}
    body = bodies["cluster_layer_1_neuron_3"]
    for node in [*members, *sums, *tanhs, *products]:
        assert re.search(rf"\b{ids[node]} \[", body), node
    assert not re.search(r'label="\{ (x1|x2|loss|y) ', body)
    # inputs and the loss are outside every neuron; y, the linear output neuron's sum, is in it
    assert not re.search(r'label="\{ (x1|x2|loss) ', "".join(bodies.values()))
    assert 'label="{ y |' in bodies["cluster_layer_2_neuron_1"]


def test_nodes_that_only_touch_parameters_stay_outside_the_neurons():
    model, loss = mlp_sample([2, 1])
    penalty = Value.sum([p * p for p in model.parameters()]).named("l2")
    squashed = (loss + penalty).sigmoid().named("out")  # sigmoid of a non-neuron node
    y = model.scalar([1.0, 2.0]).sigmoid().named("p")  # linear neuron, then a user's sigmoid
    for root, outside in ((squashed, "l2"), (y, "p")):
        bodies = "".join(cluster_bodies(viz.draw_dot(root).source).values())
        assert f'{{ {outside} |' not in bodies
    groups = viz.groups.module_groups(topological_order(squashed, leaves=True))
    assert not any(n.op == "*" and n.inputs[0] is n.inputs[1] for n in groups)  # no p * p


def test_clusters_false_and_hand_built_graphs_have_no_clusters():
    _, loss = mlp_sample([3, 1])
    assert "subgraph" not in viz.draw_dot(loss, clusters=False).source
    assert "subgraph" not in viz.draw_dot(neuron()[0]).source


def test_collapse_draws_a_box_per_neuron_or_layer():
    _, loss = mlp_sample([16, 16, 1])
    loss.backward()
    by_neuron = viz.draw_dot(loss, collapse="neuron").source
    boxes = re.findall(r'^\s*(u\d+) \[label="\{ ([^|]*) \| ([^|]*) \|', by_neuron, re.M)
    assert len(boxes) == 33
    assert [b[1].strip() for b in boxes[:3]] == ["neuron 1", "neuron 2", "neuron 3"]
    assert "neuron 1 → y" in by_neuron and "linear, 17 params" in by_neuron
    by_layer = viz.draw_dot(loss, collapse="layer").source
    assert re.findall(r'label="\{ (layer \d) \| (\d+) neurons', by_layer) == [
        ("layer 1", "16"), ("layer 2", "16")]
    assert len(re.findall(r"^\s*u\d+ -> u\d+", by_layer, re.M)) == 2  # one edge per pair
    viz.dot.drawn_order(loss, 40, "neuron")  # 33 boxes + inputs + loss ops fit in 40
    with pytest.raises(ValueError, match="collapse='neuron' still leaves .* boxes"):
        viz.draw_dot(loss, collapse="neuron", max_nodes=20)
    with pytest.raises(ValueError, match="collapse must be"):
        viz.draw_dot(loss, collapse="everything")


# --- hostile names, dense bundles, two models in one loss --------------------------------

@pytest.mark.parametrize("op_name", ["ends\\", "<b>x</b>", "<!--x", 'say "hi" {x} | y', 'a\\"b',
                                     "\\N", "\\l"])
def test_any_op_name_and_label_draws(op_name):
    from micrograd_nn import custom_op

    # custom_op refuses such names; an Op subclass of the user's own can still carry one
    double = custom_op("double", lambda x: 2 * x, lambda x: 2.0)
    double.op_class.op = op_name
    x = Value(1.0, "nul\x00here\\")
    y = double(x).named("<b>y</b>\x7f")
    y.backward()
    svg = viz.draw_dot(y).pipe(format="svg").decode("utf-8")  # dot parses what we wrote
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG_NS}text")]
    assert op_name in texts  # the op's ellipse shows its name as written
    assert "nul\u2400here\\" in texts and "<b>y</b>\u2421" in texts  # controls drawn visibly


def mlp_edges_from(source: str, node_id: str) -> list[str]:
    return re.findall(rf"^\s*{node_id} -> \S+( \[[^\]]*\])?$", source, re.M)


def test_a_node_many_ops_read_draws_its_edges_light_so_a_bundle_is_no_black_bar():
    _, loss = mlp_sample([16, 16, 1])
    order = topological_order(loss, leaves=True)
    ids = viz.dot.dot_ids(order)
    source = viz.draw_dot(loss).source
    readers = {n: sum(n in m.inputs for m in order) for n in order}
    wide = [n for n in order if readers[n] == 16 and n.op == "tanh"]  # layer 1's outputs
    assert len(wide) == 16
    for node in wide:
        edges = mlp_edges_from(source, ids[node])
        assert len(edges) == 16 and all('color="#c4c4c4"' in e for e in edges)
    # Layer 2's outputs are read once each, by the output neuron: 16 edges into one neuron.
    into_output = [n for n in order if readers[n] == 1 and n.op == "tanh"]
    assert len(into_output) == 16
    assert all(mlp_edges_from(source, ids[n]) == [' [arrowsize=0.5 color="#c4c4c4" penwidth=0.6]']
               for n in into_output)
    once = next(n for n in order if readers[n] == 1 and n.op == "*")
    assert mlp_edges_from(source, ids[once]) == [""]  # an edge inside a neuron stays as it was
    _, small = mlp_sample([2, 1])  # a few edges between neurons are no bundle: drawn as ever
    assert "#c4c4c4" not in viz.draw_dot(small).source


def two_models() -> tuple[MLP, MLP, Value]:
    """A teacher and a student (same shape, so the same paths) on the same sample."""
    teacher, student = MLP(2, [2, 1], seed=1), MLP(2, [2, 1], seed=2)
    x = [Value(0.5, "x1"), Value(-1.0, "x2")]
    loss = ((teacher.scalar(x) - student.scalar(x)) ** 2).named("loss")
    loss.backward()
    return teacher, student, loss


def test_two_models_in_one_loss_draw_apart():
    teacher, student, loss = two_models()
    order = topological_order(loss, leaves=True)
    groups = viz.groups.module_groups(order)
    for number, model in ((1, teacher), (2, student)):
        for layer, index in ((model.layers[0], 1), (model.layers[1], 2)):
            for j, neuron in enumerate(layer.neurons, 1):
                path = f"model {number} · layer {index}/neuron {j}"
                assert {groups[p] for p in neuron.parameters()} == {path}
    bodies = cluster_bodies(viz.draw_dot(loss).source)
    labels = {re.search(r'label="([^"]*)"', body).group(1) for body in bodies.values()}
    assert {"model 1 · layer 1", "model 2 · layer 1", "model 2 · layer 2"} <= labels
    by_neuron = viz.draw_dot(loss, collapse="neuron").source
    boxes = re.findall(r'^\s*u\d+ \[label="\{ ([^|]*) \| ([^|]*) \|', by_neuron, re.M)
    assert len(boxes) == 6  # 3 neurons in each model, each box its own neuron's params
    assert sorted(b[1].strip() for b in boxes) == ["linear, 3 params"] * 2 + [
        "tanh, 3 params"] * 4
    by_layer = viz.draw_dot(loss, collapse="layer").source
    assert sorted(re.findall(r'label="\{ (model \d · layer \d) \|', by_layer)) == [
        "model 1 · layer 1", "model 1 · layer 2", "model 2 · layer 1", "model 2 · layer 2"]


def test_one_model_keeps_its_plain_paths_and_a_gan_numbers_its_models_in_graph_order():
    _, loss = mlp_sample([3, 1])
    assert "model" not in " ".join(viz.groups.module_groups(
        topological_order(loss, leaves=True)).values())
    generator, discriminator = MLP(1, [3, 2], seed=1), MLP(2, [3, 1], seed=2)
    fake = generator([Value(0.3, "z")])
    score = discriminator.scalar(fake).sigmoid().named("d")
    groups = viz.groups.module_groups(topological_order(score, leaves=True))

    def model_of(model: MLP) -> set[str]:
        return {groups[p].split(" · ")[0] for p in model.parameters()}

    # The discriminator's first neuron is met first; the generator's layer 2 feeds the
    # discriminator's layer 1, which does not make them one model.
    assert model_of(discriminator) == {"model 1"} and model_of(generator) == {"model 2"}


def test_value_box_gives_each_drawn_boxs_texts_and_fill():
    """``viz.dot.value_box`` is how draw_dot draws a box: its texts are the texts Graphviz
    draws in that box and its fill the box's fill (the playground patches drawn diagrams
    with them), for every kind of node, odd names and both ``show_grad`` settings."""
    from micrograd_nn.text import node_names

    x, w = Value(2.0, "x{|}<\x01>"), Parameter(-3.0, label="w")
    y = ((x * w + 1.5) * Constant(2.0, label="two")).tanh().named('say "hi"')
    z = (y + Value(0.0, "n")).named("z")
    z.backward()
    order = topological_order(z, leaves=True)
    ids, names = viz.dot.dot_ids(order), node_names(z, order)
    for show_grad in (True, False):
        svg = ET.fromstring(viz.draw_dot(z, show_grad=show_grad).pipe(format="svg"))
        groups = {g.get("id"): g for g in svg.iter(f"{SVG_NS}g")}
        scale = viz.dot.largest_grad(order) if show_grad else None
        for node in order:
            texts, attrs = viz.dot.value_box(node, names[node], node.grad, scale)
            group = groups[ids[node]]
            assert [t.text or "" for t in group.iter(f"{SVG_NS}text")] == texts
            shape = next(e for e in group if e.tag in (f"{SVG_NS}polygon", f"{SVG_NS}path"))
            assert shape.get("fill") == attrs["fillcolor"], (names[node], show_grad)
    assert viz.dot.value_box(x, "x", 0.5, None)[0] == ["x", "data 2.0000"]
    constant = next(n for n in order if isinstance(n, Constant) and not n.label)
    assert viz.dot.value_box(constant, "1.5", 0.0, 1.0)[0] == ["data 1.5000"]
