"""Check analytic gradients against central finite differences, as torch.autograd.gradcheck does."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .engine import Value, no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_grads"]


class GradcheckError(AssertionError):
    """A gradient disagreed with its finite difference. ``mismatches`` lists
    ``(index, label, analytic, numeric)`` for every input that disagreed."""

    def __init__(self, message: str, mismatches: list[tuple[int, str, float, float]]) -> None:
        super().__init__(message)
        self.mismatches = mismatches


def _evaluate(f: Callable[..., Value], inputs: Sequence[Value]) -> float:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    return out.data


def numerical_grads(f: Callable[..., Value], inputs: Sequence[Value],
                    eps: float = 1e-6) -> list[float]:
    """Central differences (f(x+eps) - f(x-eps)) / 2eps for each input, graph off.

    Each input's data is put back exactly as it was, also if ``f`` raises."""
    grads = []
    with no_grad():
        for v in inputs:
            saved = v.data
            try:
                v.data = saved + eps
                plus = _evaluate(f, inputs)
                v.data = saved - eps
                minus = _evaluate(f, inputs)
            finally:
                v.data = saved
            grads.append((plus - minus) / (2.0 * eps))
    return grads


def gradcheck(f: Callable[..., Value], inputs: Sequence[Value], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True when ``f(*inputs).backward()`` gives every input the gradient that a central
    finite difference gives, within ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Otherwise raises :class:`GradcheckError` (an AssertionError) listing each input that
    disagrees with both numbers, or returns False when ``raise_exception`` is False.
    The inputs' data is left as it was; their grads hold the analytic gradients.
    """
    inputs = list(inputs)
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"gradcheck: input {i} must be a Value, got {type(v).__name__} {v!r}")
    if eps <= 0 or atol < 0 or rtol < 0:
        raise ValueError(
            f"gradcheck: need eps > 0, atol >= 0, rtol >= 0 (got {eps}, {atol}, {rtol})")
    for v in inputs:
        v.grad = 0.0
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__} {out!r}")
    out.backward()
    analytic = [v.grad for v in inputs]
    numeric = numerical_grads(f, inputs, eps)
    mismatches = []
    for i, (v, a, n) in enumerate(zip(inputs, analytic, numeric)):
        if not abs(a - n) <= atol + rtol * abs(n):
            mismatches.append((i, v.label, a, n))
    if not mismatches:
        return True
    if not raise_exception:
        return False
    lines = [f"gradcheck: {len(mismatches)} of {len(inputs)} gradients disagree "
             f"(eps={eps}, atol={atol}, rtol={rtol}):"]
    for i, label, a, n in mismatches:
        name = f"input {i}" + (f" '{label}'" if label else "")
        lines.append(f"  {name}: analytic {a!r}, numeric {n!r}, difference {a - n!r}")
    raise GradcheckError("\n".join(lines), mismatches)
