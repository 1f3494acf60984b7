"""Your own op: :func:`custom_op` turns a forward function and its derivative into an op
that backward, step-through, diagrams, gradcheck, check_ops and detect_anomaly treat like
the built-in ones.

It is built on the same machinery as the built-in ops (:class:`~micrograd_nn.ops.Op`):
``custom_op`` writes the op's class for you, with your ``forward`` and your derivative as
its ``derivatives``, and the generic chain rule ``Op._backward`` applies them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Union

from .checks import is_number
from .value import OPS, Constant, Op, Value
from .value import Domain as ValueDomain

__all__ = ["custom_op", "CustomOp", "DerivativeMismatch"]


class DerivativeMismatch(ValueError):
    """A custom op's ``value_derivative`` and ``derivative`` give different numbers at the
    same point: first and higher derivatives would disagree."""


class CustomOp(Op, register=False):
    """Base of the classes :func:`custom_op` makes (kept out of the built-in registry
    ``OPS``). ``user_forward``, ``user_derivative`` and ``user_value_derivative`` are the
    functions it was given."""

    __slots__ = ()
    user_forward: Callable[..., Any]
    user_derivative: Callable[..., Any]
    user_value_derivative: Callable[..., Any] | None = None
    domain: Domain = None

    @classmethod
    def run_forward(cls, *xs: float) -> float:
        """The user's forward on floats, its result checked to be a finite real number
        (NaN is refused with a ValueError and ±inf with an OverflowError, as ``Value()``
        and the built-in ops refuse them)."""
        out = cls.user_forward(*xs)
        if isinstance(out, bool) or not is_number(out):
            raise TypeError(f"custom op '{cls.op}': forward must return a number, got "
                            f"{type(out).__name__} {out!r}")
        z = float(out)
        if not math.isfinite(z):
            at = ", ".join(repr(x) for x in xs)
            kind = ValueError if math.isnan(z) else OverflowError
            raise kind(f"custom op '{cls.op}': forward gave {z!r} at ({at}); an op's value "
                       "must be a finite number (raise ValueError outside its domain)")
        return z

    def derivatives(self, z: Any, *xs: Any) -> tuple[Any, ...]:
        """The user's derivative on floats; on Values (for higher derivatives) the
        ``value_derivative`` given to :func:`custom_op`, or NotImplementedError. On Values,
        each result must be a Value (or None) and equal, at these numbers, what the float
        derivative gives: a ValueError names the op, the point and both numbers."""
        cls = type(self)
        if any(isinstance(x, Value) for x in (z, *xs)):
            if cls.user_value_derivative is None:
                raise NotImplementedError(
                    f"custom op '{cls.op}' has no derivative on Values, which higher "
                    "derivatives need: pass value_derivative= to custom_op")
            ds = _as_tuple(cls.op, cls.user_value_derivative(*xs), len(xs), Value)
            _check_agreement(cls, ds, [x.data if isinstance(x, Value) else x for x in xs])
            return ds
        return _as_tuple(cls.op, cls.user_derivative(*xs), len(xs), float)


Domain = Union[None, Callable[..., bool], Sequence[Any]]


def _check_agreement(cls: type[CustomOp], ds: tuple[Any, ...], xs: list[float]) -> None:
    """value_derivative and derivative must give the same numbers at the same point, or
    higher and first derivatives would disagree: equal to rounding, ``|a - b| <= 1e-9 *
    max(|a|, |b|) + 1e-300`` (the absolute term for rounding among subnormals); None, the
    input receiving nothing, is 0."""
    floats = _as_tuple(cls.op, cls.user_derivative(*xs), len(xs), float)
    for k, (d, f) in enumerate(zip(ds, floats)):
        a = 0.0 if d is None else d.data
        b = 0.0 if f is None else f
        if a == b or (math.isfinite(a) and math.isfinite(b)
                      and abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-300):
            continue
        at = ", ".join(repr(x) for x in xs)
        raise DerivativeMismatch(
            f"custom op '{cls.op}': value_derivative gives {a!r} for input {k} at ({at}), "
            f"derivative gives {b!r}: they must be the same derivative (one written with "
            "Value ops, one on floats)")


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
        elif kind is Value:
            raise TypeError(
                f"custom op '{op}': value_derivative must give Values built from its Value "
                f"arguments (or None), got {type(d).__name__} {d!r}: a plain number has no "
                "derivative of its own, so higher derivatives would be silently 0 (for a "
                "derivative that really is constant, return micrograd_nn.Constant(c))")
        elif isinstance(d, bool) or not is_number(d):
            raise TypeError(f"custom op '{op}': derivative must give numbers, got "
                            f"{type(d).__name__} {d!r}")
        else:
            out.append(float(d) if kind is float else d)
    return tuple(out)


def _builtin_names() -> set[str]:
    return {cls.op for cls in OPS.values() if isinstance(cls.op, str)} | {"**"}


_UNSAFE = set('\\<>"{}')


def _check_name(name: Any) -> str:
    """A name that prints as itself everywhere it is shown: steps, diagrams (DOT and HTML
    labels), the step page, messages."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"custom_op: name must be a non-empty str without surrounding "
                         f"spaces, got {name!r}")
    if not name.isprintable() or _UNSAFE & set(name):
        raise ValueError(f"custom_op: name {name!r} has a character that diagrams, HTML or "
                         "step text would not show as itself (control characters such as "
                         "NUL, and any of \\ < > \" { }): choose a plain name")
    if name in _builtin_names() or name.startswith("**"):
        raise ValueError(f"custom_op: {name!r} is a built-in op's name; choose another")
    return name


def custom_op(name: str, forward: Callable[..., float], derivative: Callable[..., Any],
              value_derivative: Callable[..., Any] | None = None,
              domain: Domain = None) -> Callable[..., Value]:
    """A new op named ``name``: returns a function of Values (and numbers, which become
    constants) making one node per call, whose ``op`` is ``name``.

    ``forward(*floats) -> float`` computes the value (raise ValueError outside its
    domain); ``derivative(*floats)`` gives ∂out/∂input for each input, as a tuple (a bare
    number for one input; None for an input that receives nothing). For higher derivatives
    (``micrograd_nn.grad(..., create_graph=True)``) give ``value_derivative``, the same
    derivative written with Value ops (it receives Values); without it they raise
    NotImplementedError. It must give Values (a plain number would have no derivative of
    its own) and the same numbers as ``derivative``: either mistake is a clear error when
    higher derivatives use it, and ``check_ops``/``gradgradcheck`` report a disagreement.

    ``forward`` must return a finite number: NaN is a ValueError, ±inf an OverflowError,
    naming the op and the point. ``domain`` says where the op is defined, for
    :func:`micrograd_nn.testing.expressions` to draw only valid inputs: one ``(low,
    high)`` pair (None for no bound) per input, or a function of the input numbers
    returning True inside the domain (a ``micrograd_nn.value.Domain`` gives its low and
    high). The returned function has ``op_class`` (the op's
    class) and ``domain``.

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
    domain = _check_domain(domain)
    cls = _op_class(name, forward, derivative, value_derivative)
    cls.domain = domain

    def apply(*args: Value | float) -> Value:
        if not args:
            raise TypeError(f"custom op '{name}' needs at least one input")
        return _make_node(cls, [a if isinstance(a, Value) else Constant(a) for a in args])

    apply.__name__ = apply.__qualname__ = name if name.isidentifier() else "custom_op"
    apply.__doc__ = f"The custom op '{name}' on Values. " + (forward.__doc__ or "")
    apply.op_class = cls  # type: ignore[attr-defined]
    apply.domain = domain  # type: ignore[attr-defined]
    return apply


def _check_domain(domain: Any) -> Domain:
    if domain is None or callable(domain):
        return domain  # type: ignore[no-any-return]
    if not isinstance(domain, (tuple, list)) or not domain:
        raise TypeError(f"custom_op: domain must be a function of the inputs, or one "
                        f"(low, high) pair per input, got {domain!r}")
    single = isinstance(domain, ValueDomain) or (
        len(domain) == 2 and not isinstance(domain[0], (tuple, list)))
    pairs = [domain] if single else list(domain)
    out = []
    for pair in pairs:
        if isinstance(pair, ValueDomain):
            pair = (pair.low, pair.high)
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"custom_op: each domain entry must be a (low, high) pair, got "
                            f"{pair!r}")
        lo, hi = (-math.inf if pair[0] is None else float(pair[0]),
                  math.inf if pair[1] is None else float(pair[1]))
        if not lo < hi:
            raise ValueError(f"custom_op: domain ({lo!r}, {hi!r}) is empty: low must be below "
                             "high")
        out.append((lo, hi))
    return tuple(out)


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
