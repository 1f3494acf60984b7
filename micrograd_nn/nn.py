"""Neural networks built from :class:`~micrograd_nn.engine.Value`: Neuron, Layer, MLP.

A neuron computes ``act(w_1 x_1 + ... + w_n x_n + b)``; the weighted sum is one n-ary
``Sum`` node, so a diagram shows it as a single Σ and backward hands every term the same
upstream gradient (d/dt Σ = 1). A :class:`Layer` is a list of neurons that see the same
inputs; an :class:`MLP` is a chain of layers.

Weights come from the model's own ``random.Random`` (seeded by ``seed``), never from the
global ``random`` state, so building a model changes nothing else in the program.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO, Union

from .checks import check_int
from .checks import to_float as _as_float
from .floats import exact_sum, stable_sigmoid
from .modes import records_nothing
from .value import Value, leaf, zero_grad

__all__ = ["Parameter", "Owner", "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS"]

Output = Union[Value, list[Value]]

# Activation name -> the Value method that applies it (None: linear, the sum itself).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "linear": None,
}


def _relu_data(x: float) -> float:
    return x if x > 0.0 else 0.0


# The same activations on plain floats, for inference without a graph (under no_grad):
# each gives bit for bit the data its Value method gives.
DATA_ACTIVATIONS: dict[str, Callable[[float], float] | None] = {
    "tanh": math.tanh,
    "sigmoid": stable_sigmoid,
    "relu": _relu_data,
    "linear": None,
}


def _uniform(rng: random.Random, nin: int) -> float:
    """U(-1, 1), as upstream micrograd draws its weights."""
    return rng.uniform(-1.0, 1.0)


def _xavier(rng: random.Random, nin: int) -> float:
    """N(0, 1/n_in): keeps the variance of a layer's sums near that of its inputs."""
    return rng.gauss(0.0, math.sqrt(1.0 / nin))


INITS: dict[str, Callable[[random.Random, int], float]] = {
    "uniform": _uniform,
    "xavier": _xavier,
}


class Owner(NamedTuple):
    """The neuron that made a :class:`Parameter`: its place in the model (``path``, such as
    ``'layer 1/neuron 3'``) and its ``activation``. Diagrams group the nodes a neuron computes
    by it; one Owner is shared by all of a neuron's parameters."""

    path: str
    activation: str


class Parameter(Value):
    """A trainable leaf (a weight or a bias). Diagrams tell it from an input by its class.

    ``owner`` is the :class:`Owner` of a parameter a Neuron, Layer or MLP made (None for one
    you make yourself). Only parameters carry it, so op nodes cost nothing more."""

    __slots__ = ("owner",)

    def __init__(self, data: float, label: str = "", owner: Owner | None = None) -> None:
        super().__init__(data, label)
        self.owner = owner


def _check_activation(activation: str) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}")
    return activation


def _neuron_activation(activation: str | None, nonlin: bool | None) -> str:
    """The activation a Neuron gets from ``activation`` or upstream's ``nonlin`` flag."""
    if nonlin is None:
        return "tanh" if activation is None else activation
    if activation is not None:
        raise ValueError(f"give activation={activation!r} or nonlin={nonlin!r}, not both")
    # Upstream tests the flag by truth value (its MLP passes a bool), so do the same.
    return "relu" if nonlin else "linear"


def _check_init(init: str) -> str:
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    return init


def _check_sample(x: Any, nin: int, who: str) -> None:
    if isinstance(x, (str, bytes, Value)) or not hasattr(x, "__len__"):
        raise TypeError(f"{who} expects a sequence of {nin} inputs, got {type(x).__name__}")
    if len(x) != nin:
        raise ValueError(f"{who} expects {nin} inputs, got {len(x)}")


def _as_data(x: Any, nin: int, who: str) -> list[float]:
    """The inputs of one sample as plain floats (for the graph-free path under no_grad)."""
    _check_sample(x, nin, who)
    return [v.data if isinstance(v, Value) else _as_float(v, f"{who} input {i}")
            for i, v in enumerate(x)]


def _as_inputs(x: Any, nin: int, who: str) -> list[Value]:
    """The inputs of one sample as Values (numbers become leaves, shared by all neurons)."""
    _check_sample(x, nin, who)
    out = []
    for i, v in enumerate(x):
        if isinstance(v, Value):
            out.append(v)
        else:
            out.append(leaf(_as_float(v, f"{who} input {i}")))
    return out


def _leaves(data: list[float]) -> list[Value]:
    return [leaf(d) for d in data]


class Module:
    """Base of every model: access to the parameters, their gradients and a summary."""

    def __call__(self, x: Sequence[Value | float]) -> Output:
        """The model's output for one sample (a Value, or a list of Values)."""
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    def parameters(self) -> list[Parameter]:
        """Every trainable Value of the model, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0.0 (call before each backward)."""
        zero_grad(self.parameters())

    @property
    def num_params(self) -> int:
        """How many trainable numbers the model has."""
        return len(self.parameters())

    def summary_rows(self) -> list[tuple[str, str, int]]:
        """(layer, output shape, parameter count) for each row of :meth:`summary`."""
        return [(type(self).__name__, "?", self.num_params)]

    def summary(self, file: TextIO | None = None) -> None:
        """Print a Keras-like table: each layer, its output shape, its parameter count."""
        rows = [("Layer (type)", "Output Shape", "Param #")]
        rows += [(name, shape, str(n)) for name, shape, n in self.summary_rows()]
        widths = [max(len(r[i]) for r in rows) + 4 for i in range(3)]
        rule = "=" * sum(widths)

        def line(r: tuple[str, str, str]) -> str:
            return "".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()

        text = [line(rows[0]), rule] + [line(r) for r in rows[1:]]
        text += [rule, f"Total params: {self.num_params}"]
        print("\n".join(text), file=file if file is not None else sys.stdout)


class Neuron(Module):
    """``act(Σ_i w_i x_i + b)``: one weight per input and a bias.

    ``weights``/``bias`` give the starting values; otherwise weights are drawn by ``init``
    from ``rng`` (``'uniform'``: U(-1, 1); ``'xavier'``: N(0, 1/nin)) and the bias is 0.
    ``label`` prefixes the parameters' labels (``w1``, ``w2`` ... and ``b``).

    ``activation`` defaults to ``'tanh'``. ``nonlin`` is upstream micrograd's keyword, so
    code written for it runs unchanged: ``nonlin=True`` is ``activation='relu'``,
    ``nonlin=False`` is ``activation='linear'``; give one of the two, not both.
    """

    def __init__(self, nin: int, activation: str | None = None, init: str = "uniform",
                 rng: random.Random | None = None, weights: Sequence[float] | None = None,
                 bias: float = 0.0, label: str = "", *, nonlin: bool | None = None) -> None:
        self.nin = check_int(nin, "nin")
        self.activation = _check_activation(_neuron_activation(activation, nonlin))
        if weights is None:
            draw = INITS[_check_init(init)]
            rng = rng if rng is not None else random.Random()
            weights = [draw(rng, self.nin) for _ in range(self.nin)]
        elif len(weights) != self.nin:
            raise ValueError(f"Neuron with {self.nin} inputs needs {self.nin} weights, "
                             f"got {len(weights)}")
        self.w = [Parameter(_as_float(wi, f"weight {i}"), f"{label}w{i + 1}")
                  for i, wi in enumerate(weights)]
        self.b = Parameter(_as_float(bias, "bias"), f"{label}b")
        self._act = ACTIVATIONS[self.activation]
        self._act_data = DATA_ACTIVATIONS[self.activation]
        self.place("neuron")

    def place(self, path: str) -> None:
        """Name this neuron's place in its model (``'layer 1/neuron 3'``) on its parameters'
        ``owner``; a Layer or MLP calls it as it builds the neuron."""
        owner = Owner(path, self.activation)
        for p in self.parameters():
            p.owner = owner

    def forward(self, xs: list[Value]) -> Value:
        """The neuron on inputs already checked and turned into Values."""
        out = Value.sum([wi * xi for wi, xi in zip(self.w, xs)] + [self.b])
        return out if self._act is None else self._act(out)

    def forward_data(self, xs: list[float]) -> float:
        """The same computation on plain floats, with no graph: what ``__call__`` does
        under ``no_grad`` (the numbers are identical to :meth:`forward`'s)."""
        out = exact_sum([wi.data * xi for wi, xi in zip(self.w, xs)] + [self.b.data])
        return out if self._act_data is None else self._act_data(out)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """The neuron's output for one sample ``x`` (``nin`` numbers or Values). Under
        ``no_grad`` (without ``detect_anomaly``) it is computed on plain floats and returned
        as a leaf."""
        if records_nothing():
            return leaf(self.forward_data(_as_data(x, self.nin, "Neuron")))
        return self.forward(_as_inputs(x, self.nin, "Neuron"))

    def parameters(self) -> list[Parameter]:
        """``w_1 ... w_n`` then ``b``."""
        return self.w + [self.b]

    def summary_rows(self) -> list[tuple[str, str, int]]:
        """One row: the neuron."""
        return [(f"neuron ({self.activation})", "(None, 1)", self.num_params)]

    def get_weights(self) -> tuple[list[float], float]:
        """``(weights, bias)`` as plain floats."""
        return [p.data for p in self.w], self.b.data

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons, each seeing the same ``nin`` inputs.

    ``weights`` (``nout`` rows of ``nin``) and ``biases`` give the starting values;
    otherwise weights are drawn by ``init`` from ``rng`` and the biases are 0.
    ``activation`` defaults to ``'tanh'``; upstream micrograd's ``nonlin`` keyword works
    as for :class:`Neuron`.
    """

    def __init__(self, nin: int, nout: int, activation: str | None = None,
                 init: str = "uniform", rng: random.Random | None = None,
                 weights: Sequence[Sequence[float]] | None = None,
                 biases: Sequence[float] | None = None, label: str = "", *,
                 nonlin: bool | None = None) -> None:
        self.nin = check_int(nin, "nin")
        self.nout = check_int(nout, "nout")
        activation = _check_activation(_neuron_activation(activation, nonlin))
        for given, what in ((weights, "weight rows"), (biases, "biases")):
            if given is not None and len(given) != self.nout:
                raise ValueError(f"Layer of {self.nout} neurons needs {self.nout} {what}, "
                                 f"got {len(given)}")
        rng = rng if rng is not None else random.Random()
        self.neurons = [
            Neuron(self.nin, activation, init, rng,
                   weights=None if weights is None else weights[j],
                   bias=0.0 if biases is None else biases[j], label=f"{label}n{j + 1}.")
            for j in range(self.nout)]
        self.activation = activation
        self.place("layer")

    def place(self, path: str) -> None:
        """Name this layer's place in its model (``'layer 2'``) on its neurons'
        parameters, as ``'<path>/neuron <j>'``."""
        for j, neuron in enumerate(self.neurons, 1):
            neuron.place(f"{path}/neuron {j}")

    def forward(self, xs: list[Value]) -> list[Value]:
        """The layer's outputs for inputs already checked and turned into Values."""
        return [n.forward(xs) for n in self.neurons]

    def forward_data(self, xs: list[float]) -> list[float]:
        """The layer on plain floats, with no graph (see :meth:`Neuron.forward_data`)."""
        return [n.forward_data(xs) for n in self.neurons]

    def __call__(self, x: Sequence[Value | float]) -> Output:
        """The layer's outputs for one sample; a single Value when ``nout == 1``. Under
        ``no_grad`` they are computed on plain floats and returned as leaves."""
        if records_nothing():
            out = _leaves(self.forward_data(_as_data(x, self.nin, "Layer")))
        else:
            out = self.forward(_as_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Parameter]:
        """Each neuron's parameters in turn."""
        return [p for n in self.neurons for p in n.parameters()]

    def summary_rows(self) -> list[tuple[str, str, int]]:
        """One row: the layer."""
        return [(f"dense ({self.activation})", f"(None, {self.nout})", self.num_params)]

    def get_weights(self) -> tuple[list[list[float]], list[float]]:
        """``(W, b)``: ``W`` has one row of ``nin`` weights per neuron."""
        rows = [n.get_weights() for n in self.neurons]
        return [w for w, _ in rows], [b for _, b in rows]

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``nin`` inputs, then one layer per entry of ``sizes``.

    Hidden layers use ``activation``, the last layer ``output_activation`` (linear by
    default, as upstream micrograd). ``init='uniform'`` draws weights from U(-1, 1),
    ``'xavier'`` from N(0, 1/n_in); biases start at 0. ``seed`` seeds the model's own
    random generator (None: a fresh, unseeded one). ``MLP(2, [3, 1])`` has 13 parameters.

    Upstream micrograd's ``MLP(nin, nouts)`` (ReLU hidden layers, linear output, weights
    from U(-1, 1) in the same order) is ``MLP(nin, nouts, activation='relu')``; with
    ``seed=1337`` it starts from the very weights of upstream's demo, which calls
    ``random.seed(1337)`` before building its model.
    """

    def __init__(self, nin: int, sizes: Sequence[int], activation: str = "tanh",
                 output_activation: str = "linear", init: str = "uniform",
                 seed: int | None = None) -> None:
        self.nin = check_int(nin, "nin")
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or not sizes:
            raise ValueError(f"sizes must be a non-empty list of layer sizes, got {sizes!r}")
        sizes = [check_int(s, "each layer size") for s in sizes]
        _check_activation(activation)
        _check_activation(output_activation)
        _check_init(init)
        rng = random.Random(seed)
        dims = [self.nin] + sizes
        last = len(sizes) - 1
        self.layers = [
            Layer(dims[i], dims[i + 1], output_activation if i == last else activation,
                  init, rng, label=f"L{i + 1}.")
            for i in range(len(sizes))]
        for i, layer in enumerate(self.layers, 1):
            layer.place(f"layer {i}")

    @classmethod
    def from_weights(cls, layers: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]],
                     activation: str = "tanh", output_activation: str = "linear") -> MLP:
        """An MLP with given weights: ``layers`` holds one ``(W, b)`` per layer, ``W`` with
        one row of input weights per neuron (the form :meth:`get_weights` returns)."""
        if not layers:
            raise ValueError("from_weights needs at least one (W, b) layer")
        try:
            nin = len(layers[0][0][0])
            sizes = [len(w) for w, _ in layers]
        except (TypeError, IndexError, ValueError):
            raise ValueError("from_weights needs a list of (W, b) pairs, W a list of rows of "
                             "weights") from None
        model = cls(nin, sizes, activation, output_activation, seed=0)
        model.set_weights(layers)
        return model

    def __call__(self, x: Sequence[Value | float]) -> Output:
        """The network's output for one sample; a single Value when the last layer has one
        neuron, else a list. In typed code, :meth:`scalar` and :meth:`outputs` say which."""
        h = self.outputs(x)
        return h[0] if len(h) == 1 else h

    def outputs(self, x: Sequence[Value | float]) -> list[Value]:
        """The network's outputs for one sample, always as a list (one Value per neuron of
        the last layer)."""
        if records_nothing():  # inference: plain floats, no graph, leaves out
            hd = _as_data(x, self.nin, "MLP")
            for layer in self.layers:
                hd = layer.forward_data(hd)
            return _leaves(hd)
        h = _as_inputs(x, self.nin, "MLP")
        for layer in self.layers:
            h = layer.forward(h)
        return h

    def scalar(self, x: Sequence[Value | float]) -> Value:
        """The output of a one-output network for one sample, as a Value (ValueError if the
        last layer has several neurons)."""
        if self.layers[-1].nout != 1:
            raise ValueError(f"scalar() needs a network with one output; this one has "
                             f"{self.layers[-1].nout}: use outputs()")
        return self.outputs(x)[0]

    def parameters(self) -> list[Parameter]:
        """Each layer's parameters in turn."""
        return [p for layer in self.layers for p in layer.parameters()]

    def summary_rows(self) -> list[tuple[str, str, int]]:
        """One row per layer."""
        return [(f"dense_{i} ({la.activation})", f"(None, {la.nout})", la.num_params)
                for i, la in enumerate(self.layers, 1)]

    def architecture(self) -> dict[str, Any]:
        """What a saved file must match: inputs, and each layer's size and activation."""
        return {"nin": self.nin,
                "layers": [{"nout": la.nout, "activation": la.activation}
                           for la in self.layers]}

    def get_weights(self) -> list[tuple[list[list[float]], list[float]]]:
        """One ``(W, b)`` per layer, as plain floats."""
        return [layer.get_weights() for layer in self.layers]

    def set_weights(self, layers: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]]
                    ) -> None:
        """Overwrite every weight and bias. Everything is checked first (shapes, finite
        real numbers), so on any error the model is left exactly as it was."""
        checked = _check_weights(self, layers)
        for p, v in zip(self.parameters(), checked):
            p.data = v

    def __repr__(self) -> str:
        sizes = [la.nout for la in self.layers]
        return f"MLP(nin={self.nin}, sizes={sizes})"


def _check_weights(model: MLP, layers: Any) -> list[float]:
    """Every number of ``layers`` as floats, in ``model.parameters()`` order, or an error
    naming the first thing that does not fit."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(f"weights must be a list of (W, b) pairs, got {type(layers).__name__}")
    if len(layers) != len(model.layers):
        raise ValueError(f"model has {len(model.layers)} layers, weights have {len(layers)}")
    flat: list[float] = []
    for i, (layer, pair) in enumerate(zip(model.layers, layers), 1):
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"layer {i}: expected a (W, b) pair")
        w, b = pair
        _check_len(w, layer.nout, f"layer {i}: W rows")
        _check_len(b, layer.nout, f"layer {i}: biases")
        for j, (row, bj) in enumerate(zip(w, b), 1):
            _check_len(row, layer.nin, f"layer {i}, neuron {j}: weights")
            flat.extend(_as_float(v, f"layer {i}, neuron {j}, weight {k}")
                        for k, v in enumerate(row, 1))
            flat.append(_as_float(bj, f"layer {i}, neuron {j}, bias"))
    return flat


def _check_len(seq: Any, n: int, what: str) -> None:
    if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
        raise TypeError(f"{what}: expected a list of {n}, got {type(seq).__name__}")
    if len(seq) != n:
        raise ValueError(f"{what}: expected {n}, got {len(seq)}")
