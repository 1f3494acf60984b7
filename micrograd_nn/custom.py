"""Your own op: :func:`custom_op` turns a forward function and its derivative into an op
that backward, step-through, diagrams, gradcheck, check_ops and detect_anomaly treat like
the built-in ones.

It is built on the same machinery as the built-in ops (:class:`~micrograd_nn.ops.Op`):
``custom_op`` writes the op's class for you, with your ``forward`` and your derivative as
its ``derivatives``, and the generic chain rule ``Op._backward`` applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .checks import is_number
from .value import OPS, Constant, Op, Value

__all__ = ["custom_op", "CustomOp"]


class CustomOp(Op, register=False):
    """Base of the classes :func:`custom_op` makes (kept out of the built-in registry
    ``OPS``). ``user_forward``, ``user_derivative`` and ``user_value_derivative`` are the
    functions it was given."""

    __slots__ = ()
    user_forward: Callable[..., Any]
    user_derivative: Callable[..., Any]
    user_value_derivative: Callable[..., Any] | None = None

    @classmethod
    def run_forward(cls, *xs: float) -> float:
        """The user's forward on floats, its result checked to be a real number."""
        out = cls.user_forward(*xs)
        if isinstance(out, bool) or not is_number(out):
            raise TypeError(f"custom op '{cls.op}': forward must return a number, got "
                            f"{type(out).__name__} {out!r}")
        return float(out)

    def derivatives(self, z: Any, *xs: Any) -> tuple[Any, ...]:
        """The user's derivative on floats; on Values (for higher derivatives) the
        ``value_derivative`` given to :func:`custom_op`, or NotImplementedError."""
        cls = type(self)
        if any(isinstance(x, Value) for x in (z, *xs)):
            if cls.user_value_derivative is None:
                raise NotImplementedError(
                    f"custom op '{cls.op}' has no derivative on Values, which higher "
                    "derivatives need: pass value_derivative= to custom_op")
            return _as_tuple(cls.op, cls.user_value_derivative(*xs), len(xs), Value)
        return _as_tuple(cls.op, cls.user_derivative(*xs), len(xs), float)


def _as_tuple(op: str, ds: Any, n: int, kind: type) -> tuple[Any, ...]:
    """The derivative's result as one entry per input: a bare number is allowed for one
    input, None means the input receives nothing (a closed gate)."""
    if not isinstance(ds, (tuple, list)):
        ds = (ds,)
    if len(ds) != n:
        raise ValueError(f"custom op '{op}': derivative gave {len(ds)} values for {n} "
                         f"input{'s' if n > 1 else ''}")
    out: list[Any] = []
    for d in ds:
        if d is None or isinstance(d, Value):
            out.append(d)
        elif isinstance(d, bool) or not is_number(d):
            raise TypeError(f"custom op '{op}': derivative must give numbers, got "
                            f"{type(d).__name__} {d!r}")
        else:
            out.append(float(d) if kind is float else d)
    return tuple(out)


def _builtin_names() -> set[str]:
    return {cls.op for cls in OPS.values() if isinstance(cls.op, str)} | {"**"}


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"custom_op: name must be a non-empty str without surrounding "
                         f"spaces, got {name!r}")
    if name in _builtin_names() or name.startswith("**"):
        raise ValueError(f"custom_op: {name!r} is a built-in op's name; choose another")
    return name


def custom_op(name: str, forward: Callable[..., float], derivative: Callable[..., Any],
              value_derivative: Callable[..., Any] | None = None) -> Callable[..., Value]:
    """A new op named ``name``: returns a function of Values (and numbers, which become
    constants) making one node per call, whose ``op`` is ``name``.

    ``forward(*floats) -> float`` computes the value (raise ValueError outside its
    domain); ``derivative(*floats)`` gives ∂out/∂input for each input, as a tuple (a bare
    number for one input; None for an input that receives nothing). For higher derivatives
    (``micrograd_nn.grad(..., create_graph=True)``) give ``value_derivative``, the same
    derivative written with Value ops (it receives Values); without it they raise
    NotImplementedError. The returned function has ``op_class``, the op's class.

    >>> square = custom_op("square", lambda x: x * x, lambda x: 2 * x)
    >>> y = square(Value(3.0)); y.backward(); (y.data, y.op)
    (9.0, 'square')
    """
    _check_name(name)
    for what, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(f"custom_op: {what} must be callable, got {fn!r}")
    if value_derivative is not None and not callable(value_derivative):
        raise TypeError(f"custom_op: value_derivative must be callable, got {value_derivative!r}")
    cls = _op_class(name, forward, derivative, value_derivative)

    def apply(*args: Value | float) -> Value:
        if not args:
            raise TypeError(f"custom op '{name}' needs at least one input")
        return _make_node(cls, [a if isinstance(a, Value) else Constant(a) for a in args])

    apply.__name__ = apply.__qualname__ = name if name.isidentifier() else "custom_op"
    apply.__doc__ = f"The custom op '{name}' on Values. " + (forward.__doc__ or "")
    apply.op_class = cls  # type: ignore[attr-defined]
    return apply


def _op_class(name: str, forward: Callable[..., float], derivative: Callable[..., Any],
              value_derivative: Callable[..., Any] | None) -> type[CustomOp]:
    given_forward = forward  # the class body below defines its own ``forward``

    class Custom(CustomOp, register=False):
        __slots__ = ()
        op = name
        expr = f"{name}({{args}})"
        # Step text: "d<name>/d<input>" for each input (steps.py's default for local_text
        # None) says as much as can be said about a derivative given as code.
        user_forward = staticmethod(given_forward)
        user_derivative = staticmethod(derivative)
        user_value_derivative = None if value_derivative is None else staticmethod(
            value_derivative)

        @staticmethod
        def forward(*xs: float) -> float:
            return Custom.run_forward(*xs)

    Custom.__doc__ = f"Custom op '{name}'." + (
        f" Derivative: {derivative.__doc__}" if derivative.__doc__ else "")
    Custom.__name__ = Custom.__qualname__ = f"CustomOp[{name}]"
    return Custom


def _make_node(cls: type[CustomOp], inputs: Sequence[Value]) -> Value:
    """A node of ``cls`` over ``inputs`` (``Op.apply``: domain errors name the node; three or
    more inputs make an n-ary node, as ``Value.sum`` does)."""
    return cls.apply(*inputs)
