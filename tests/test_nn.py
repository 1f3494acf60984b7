"""Neuron, Layer, MLP: construction, initialisation, forward values, errors, summary."""

import io
import math
import random
import statistics

import pytest

from micrograd_nn import MLP, Layer, Neuron, Parameter, Value


def test_mlp_2_3_1_has_13_parameters_all_of_them_parameter_leaves():
    model = MLP(2, [3, 1], seed=0)
    assert model.num_params == 13
    assert all(isinstance(p, Parameter) and not p.inputs for p in model.parameters())
    assert len({id(p) for p in model.parameters()}) == 13


def test_summary_lists_each_layer_its_output_shape_and_the_total():
    out = io.StringIO()
    MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0).summary(file=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert lines[2].split() == ["dense_1", "(tanh)", "(None,", "3)", "9"]
    assert lines[3].split() == ["dense_2", "(sigmoid)", "(None,", "1)", "4"]
    assert lines[-1] == "Total params: 13"


def test_same_seed_gives_same_weights_and_global_random_state_is_untouched():
    random.seed(123)
    state = random.getstate()
    a = MLP(3, [4, 2], seed=7).get_weights()
    b = MLP(3, [4, 2], seed=7).get_weights()
    assert a == b
    assert MLP(3, [4, 2], seed=8).get_weights() != a
    assert random.getstate() == state


def test_uniform_init_draws_weights_in_minus_one_one_and_zero_biases():
    model = MLP(10, [20, 5], init="uniform", seed=1)
    for w, b in model.get_weights():
        assert all(-1.0 <= v <= 1.0 for row in w for v in row)
        assert b == [0.0] * len(b)


def test_xavier_init_has_mean_zero_and_variance_one_over_fan_in():
    nin = 50
    w, b = MLP(nin, [400], init="xavier", seed=2).get_weights()[0]
    flat = [v for row in w for v in row]
    assert abs(statistics.fmean(flat)) < 0.01
    assert statistics.pvariance(flat) == pytest.approx(1.0 / nin, rel=0.05)
    assert b == [0.0] * 400


@pytest.mark.parametrize("activation, f", [
    ("tanh", math.tanh), ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
    ("relu", lambda z: max(z, 0.0)), ("linear", lambda z: z)])
def test_neuron_applies_its_activation_to_the_weighted_sum(activation, f):
    n = Neuron(3, activation, weights=[0.5, -1.0, 2.0], bias=0.25)
    z = 0.5 * 1.0 - 1.0 * 2.0 + 2.0 * -0.5 + 0.25
    assert n([1.0, 2.0, -0.5]).data == pytest.approx(f(z), abs=1e-15)


def test_weighted_sum_is_one_sum_node_over_every_term_and_the_bias():
    n = Neuron(4, "linear", weights=[1.0, 2.0, 3.0, 4.0], bias=5.0)
    out = n([1.0, 1.0, 1.0, 1.0])
    assert out.op == "sum" and len(out.inputs) == 5 and out.inputs[-1] is n.b
    assert out.data == 15.0


def test_neuron_gradients_are_the_inputs_times_the_activation_slope():
    n = Neuron(2, "tanh", weights=[0.3, -0.2], bias=0.1)
    out = n([2.0, 3.0])
    out.backward()
    slope = 1 - out.data ** 2
    assert [p.grad for p in n.parameters()] == pytest.approx([2 * slope, 3 * slope, slope])


def test_seed_002_neuron_and_network_outputs():
    assert Neuron(2, "sigmoid", weights=[0, 1], bias=4)([2, 3]).data == pytest.approx(
        0.9990889488055994, abs=1e-15)
    net = MLP.from_weights([([[0, 1], [0, 1]], [0, 0]), ([[0, 1]], [0])],
                           activation="sigmoid", output_activation="sigmoid")
    assert net([2, 3]).data == pytest.approx(0.7216325609518421, abs=1e-15)


def test_mlp_returns_a_value_for_one_output_and_a_list_for_several():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 4], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 4


def test_inputs_may_be_values_and_receive_gradients():
    x = [Value(1.0), Value(-2.0)]
    MLP(2, [3, 1], seed=0)(x).backward()
    assert any(v.grad != 0.0 for v in x)


def test_weights_get_labels_naming_layer_neuron_and_index():
    labels = [p.label for p in MLP(2, [2, 1], seed=0).parameters()]
    assert labels[:3] == ["L1.n1.w1", "L1.n1.w2", "L1.n1.b"]
    assert labels[-1] == "L2.n1.b"


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_layer_with_given_weights_and_biases():
    layer = Layer(2, 2, "linear", weights=[[1.0, 0.0], [0.0, 1.0]], biases=[1.0, 2.0])
    assert [o.data for o in layer([3.0, 4.0])] == [4.0, 6.0]


def test_from_weights_round_trips_get_weights():
    model = MLP(3, [4, 2], seed=5)
    copy = MLP.from_weights(model.get_weights(), activation="tanh")
    assert copy.get_weights() == model.get_weights()
    assert [o.data for o in copy([1.0, 2.0, 3.0])] == [o.data for o in model([1.0, 2.0, 3.0])]


@pytest.mark.parametrize("make, error, words", [
    (lambda: MLP(2, [3, 1], activation="swish"), ValueError, "swish"),
    (lambda: MLP(2, [3, 1], output_activation="softmax"), ValueError, "softmax"),
    (lambda: MLP(2, [3, 1], init="he"), ValueError, "he"),
    (lambda: MLP(0, [3]), ValueError, "nin"),
    (lambda: MLP(2, []), ValueError, "sizes"),
    (lambda: MLP(2, [3, 0]), ValueError, "layer size"),
    (lambda: MLP(2, [2.5]), TypeError, "layer size must be an int"),
    (lambda: MLP("2", [1]), TypeError, "nin must be an int"),
    (lambda: Neuron(2, weights=[1.0]), ValueError, "2 weights"),
    (lambda: Neuron(2, weights=[1.0, True]), TypeError, "bool"),
    (lambda: Neuron(2, weights=[1.0, math.nan]), ValueError, "finite"),
    (lambda: Neuron(2, weights=[1.0, "2"]), TypeError, "str"),
    (lambda: Layer(2, 2, biases=[0.0]), ValueError, "biases"),
])
def test_bad_construction_raises_a_clear_error(make, error, words):
    with pytest.raises(error, match=words):
        make()


@pytest.mark.parametrize("x, error, words", [
    ([1.0], ValueError, "expects 2 inputs, got 1"),
    ([1.0, 2.0, 3.0], ValueError, "expects 2 inputs, got 3"),
    (1.0, TypeError, "sequence"),
    ("ab", TypeError, "sequence"),
    ([1.0, "x"], TypeError, "input 1"),
    ([1.0, math.inf], ValueError, "finite"),
])
def test_bad_input_raises_a_clear_error(x, error, words):
    with pytest.raises(error, match=words):
        MLP(2, [3, 1], seed=0)(x)


def test_set_weights_with_a_bad_number_leaves_the_model_unchanged():
    model = MLP(2, [2, 1], seed=0)
    before = model.get_weights()
    bad = [(w, b) for w, b in before]
    bad[1] = ([[0.0, math.nan]], [0.0])
    with pytest.raises(ValueError, match="layer 2, neuron 1, weight 2"):
        model.set_weights(bad)
    assert model.get_weights() == before


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_no_grad_inference_gives_the_graphs_numbers_exactly_and_builds_no_graph(activation):
    from micrograd_nn import no_grad

    rng = random.Random(7)
    model = MLP(3, [5, 4, 2], activation=activation, output_activation=activation, seed=3)
    neuron, layer = Neuron(3, activation, rng=rng), Layer(3, 2, activation, rng=rng)
    for _ in range(20):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        for module in (model, neuron, layer):
            with_graph = module(x)
            with no_grad():
                without = module(x)
            pairs = zip(with_graph, without) if isinstance(without, list) else \
                [(with_graph, without)]
            for g, n in pairs:
                assert n.data == g.data
                assert n.inputs == () and g.inputs != ()


def test_no_grad_inference_checks_inputs_like_the_graph_path():
    from micrograd_nn import no_grad

    model = MLP(2, [3, 1], seed=0)
    with no_grad():
        with pytest.raises(ValueError, match="expects 2 inputs"):
            model([1.0])
        with pytest.raises(TypeError, match="input 1"):
            model([1.0, "a"])
        assert model([Value(1.0), 2]).data == model([1.0, 2.0]).data


def test_detect_anomaly_still_checks_a_model_run_under_no_grad():
    from micrograd_nn import AnomalyError, detect_anomaly, no_grad

    model = MLP.from_weights([([[1e200]], [0.0])], output_activation="linear")
    with no_grad():
        assert model([1e200]).data == math.inf  # the float path: IEEE, silently
    with detect_anomaly(), no_grad(), pytest.raises(AnomalyError, match="op '\\*' produced inf"):
        model([1e200])


def test_typed_calls_scalar_and_outputs_say_what_they_return():
    one = MLP(2, [3, 1], seed=0)
    many = MLP(2, [3, 2], seed=0)
    x = [0.5, -1.0]
    assert one.scalar(x).data == one(x).data
    assert [v.data for v in many.outputs(x)] == [v.data for v in many(x)]
    assert [v.data for v in one.outputs(x)] == [one(x).data]
    with pytest.raises(ValueError, match="one output"):
        many.scalar(x)


def test_layer_takes_upstreams_nonlin_keyword():
    assert {n.activation for n in Layer(2, 3, nonlin=False).neurons} == {"linear"}
    assert {n.activation for n in Layer(2, 3, nonlin=True).neurons} == {"relu"}
    assert {n.activation for n in Layer(2, 3).neurons} == {"tanh"}
    with pytest.raises(ValueError, match="not both"):
        Layer(2, 3, activation="tanh", nonlin=True)
