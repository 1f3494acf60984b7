"""The verdict corpus: right rules at hostile inputs, which must pass (or, where double
precision truly cannot resolve them, be "cannot be checked here"), wrong rules, which
must be reported, for gradcheck, check_ops and gradgradcheck, and slopes hidden in
rounding noise, where a right and a wrong rule look alike: both must be "cannot be
checked here", never passed.

    python tests/verdict_corpus.py      # counts false verdicts of the installed micrograd_nn

``tests/test_verdicts.py`` runs every case; this file also runs against an older checkout
(``PYTHONPATH=/path/to/old python tests/verdict_corpus.py``) to count its false verdicts,
using only names that checkout has too.
"""

from __future__ import annotations

import math
import sys

from micrograd_nn import GradcheckError, Value, custom_op, gradcheck, gradgradcheck
from micrograd_nn.gradcheck import check_ops

# custom ops: (forward, derivative) right or wrong in the ways hand-written rules are
bug_square = custom_op("bug_square", lambda x: 1e4 * x * x, lambda x: 1e4 * x)  # x, not 2x
bug_cos = custom_op("bug_cos", lambda x: 1e6 * math.cos(x), lambda x: 1e6 * math.sin(x))
tiny_sin = custom_op("tiny_sin", lambda x: 1e-6 * math.sin(x), lambda x: 1.01e-6 * math.cos(x))
off_exp = custom_op("off_exp", math.exp, lambda x: math.exp(x) + 1.0)  # additive term
neg_tanh = custom_op("neg_tanh", math.tanh, lambda x: -(1 - math.tanh(x) ** 2))  # sign
pct_log = custom_op("pct_log", math.log, lambda x: 1.01 / x)  # 1% off near the domain edge
steep_relu = custom_op("steep_relu", lambda x: max(x, 0.0), lambda x: 3.0 if x >= 0 else 0.0)
nan_rule = custom_op("nan_rule", lambda x: x * x, lambda x: math.nan)
inf_rule = custom_op("inf_rule", lambda x: x * x, lambda x: math.inf)
lying = custom_op("lying", lambda x: x ** 3, lambda x: 3 * x * x, lambda x: x * x * 3.0 + 1.0)
readme_square = custom_op("readme_square", lambda x: x * x, lambda x: x)  # the README's bug
frozen = custom_op("frozen", lambda x: x ** 3, lambda x: 3 * x * x, lambda x: 3 * x * x.data)

# (name, f, inputs): right rules at hostile inputs: gradcheck must not say "wrong"
RIGHT = [
    ("log near 0", lambda v: v.log(), [1e-7]),
    ("sqrt near 0", lambda v: v.sqrt(), [1e-7]),
    ("log1p near -1", lambda v: v.log1p(), [-1 + 1e-9]),
    ("x*x at 1e17", lambda v: v * v, [1e17]),
    ("sin at 1e10", lambda v: v.sin(), [1e10]),
    ("(x - 1e8)**2 at 1e8 + 0.5", lambda v: (v - 1e8) ** 2, [1e8 + 0.5]),
    ("exp at 700", lambda v: v.exp(), [700.0]),
    ("tanh saturating", lambda v: v.tanh(), [15.0]),
    ("1/x near 0", lambda v: 1 / v, [1e-5]),
    ("x**0.5 near 0", lambda v: v ** 0.5, [1e-9]),
    ("x**-2 at 1e-3", lambda v: v ** -2, [1e-3]),
    ("relu at 0", lambda v: v.relu(), [0.0]),
    ("abs at 0", lambda v: abs(v) * 3, [0.0]),
    ("max at a tie", lambda a, b: max(a, b) * 2, [1.0, 1.0]),
    ("tiny input, big offset", lambda v: (v + 1) * (v + 1), [1e-300]),
    ("huge product", lambda a, b: a * b * a, [1e9, 2e9]),
    ("sigmoid far out", lambda v: v.sigmoid(), [-30.0]),
    ("log of a tiny sum", lambda a, b: (a * a + b * b).log(), [1e-4, 2e-4]),
    ("expm1 small", lambda v: v.expm1(), [1e-12]),
    ("just below a power of two", lambda v: v.sin() * v, [2 - 2 ** -52]),
]

# slopes hidden in the rounding noise of f's values: a right rule and a wrong one (off by
# a factor, or 0 where the slope is not) agree with the numerical derivative alike, so
# neither may pass: gradcheck and check_ops must say "cannot be checked here"
half_cos = custom_op("half_cos", math.cos, lambda x: -0.5 * math.sin(x))
flat_offset = custom_op("flat_offset", lambda x: 2.0 * x + 1e25, lambda x: 0.0)
bug_cube = custom_op("bug_cube", lambda x: x ** 3, lambda x: x * x)
tan_less_x = custom_op("tan_less_x", lambda x: math.fsum([math.tan(x), -x]),
                       lambda x: math.tan(x) ** 2)
tan_minus = custom_op("tan_minus", lambda x: math.fsum([math.tan(x), -x]),
                      lambda x: math.tan(x) ** 2 + 0.5)  # tan(x)**2 is right
off_square = custom_op("off_square", lambda x: x * x, lambda x: 2.0 * x + 1e-20)
HIDDEN = [
    ("cos at pi (slope 1.2e-16)", lambda v: v.cos(), [math.pi]),
    ("cos at pi, half the slope", half_cos, [math.pi]),
    ("x*x at 1e-200", lambda v: v * v, [1e-200]),
    ("x*x at 1e-200, slope x", readme_square, [1e-200]),
    ("2x + 1e25", lambda v: v * 2.0 + 1e25, [1.0]),
    ("2x + 1e25 with slope 0", flat_offset, [1.0]),
    ("x**3 at 1e-100 (slope 3e-200)", lambda v: v ** 3, [1e-100]),
    ("x**3 at 1e-100 with slope x**2", bug_cube, [1e-100]),
    ("x*x at 0 with slope 2x + 1e-20", off_square, [0.0]),
]

# right rules where f is computed with cancellation (its rounding is not an ulp of its
# value): gradcheck must not blame them (tan(2**-k) rounds alike for every k)
NOISY = [
    ("tan(x) - x at 0", tan_less_x, [0.0]),
    ("tan(x) - x at 0, beside a second input", lambda v, w: tan_less_x(v) + w, [0.0, 1.0]),
]

# wrong rules: gradcheck and check_ops must report them, naming the op
WRONG = [
    ("bug_square x 1e4 at 1e-6", bug_square, [1e-6], "bug_square"),
    ("the README's square at 0.5", lambda v: readme_square(v).tanh() + v, [0.5],
     "readme_square"),
    ("cos with the wrong sign x 1e6 at 1e-7", bug_cos, [1e-7], "bug_cos"),
    ("1% wrong where the slope is 1e-6", tiny_sin, [0.3], "tiny_sin"),
    ("additive term", lambda v: off_exp(v) * 2, [0.4], "off_exp"),
    ("sign", lambda v: neg_tanh(v) + v * v, [0.7], "neg_tanh"),
    ("1% off near the domain edge", pct_log, [1e-6], "pct_log"),
    ("outside the one-sided slopes at a kink", steep_relu, [0.0], "steep_relu"),
    ("NaN rule", nan_rule, [2.0], "nan_rule"),
    ("an infinite slope where f moves finitely", inf_rule, [1.0], "inf_rule"),
    ("tan(x) - x at 0, off by 0.5", tan_minus, [0.0], "tan_minus"),
]

# second derivatives: right ones must pass gradgradcheck, wrong ones be reported
RIGHT2 = [
    ("relu(x)*x at 0", lambda v: v.relu() * v, [0.0]),
    ("sqrt at 1e-5", lambda v: v.sqrt(), [1e-5]),
    ("x*y*x at 1e9", lambda a, b: a * b * a, [1e9, 2e9]),
    ("log near 0", lambda v: v.log(), [1e-6]),
    ("sigmoid(ab) log a", lambda a, b: (a * b).sigmoid() * a.log(), [1.3, 0.4]),
    ("tanh", lambda v: v.tanh() * v, [0.5]),
]
WRONG2 = [
    ("frozen factor in value_derivative", frozen, [2.0]),
    ("value_derivative that disagrees", lying, [2.0]),
]


def verdict(run, *args) -> str:
    """'pass', 'wrong' (GradcheckError), or the name of anything else it raised."""
    try:
        return "pass" if run(*args) else "wrong"
    except GradcheckError:
        return "wrong"
    except Exception as e:  # noqa: BLE001 - any other outcome is recorded, not hidden
        return type(e).__name__


def results() -> list[tuple[str, str, str, str]]:
    """(checker, case, expected, got) for every case."""
    out = []
    for name, f, xs in RIGHT:
        out.append(("gradcheck", name, "pass", verdict(gradcheck, f, [Value(x) for x in xs])))
        out.append(("check_ops", name, "pass", verdict(check_ops, f(*[Value(x) for x in xs]))))
    for name, f, xs, _ in WRONG:
        out.append(("gradcheck", name, "wrong", verdict(gradcheck, f, [Value(x) for x in xs])))
        out.append(("check_ops", name, "wrong",
                    verdict(check_ops, f(*[Value(x) for x in xs]))))
    for name, f, xs in NOISY:
        out.append(("gradcheck", name, "pass", verdict(gradcheck, f, [Value(x) for x in xs])))
        out.append(("check_ops", name, "pass", verdict(check_ops, f(*[Value(x) for x in xs]))))
    for name, f, xs in HIDDEN:
        out.append(("gradcheck", name, "unchecked",
                    verdict(gradcheck, f, [Value(x) for x in xs])))
        out.append(("check_ops", name, "unchecked",
                    verdict(check_ops, f(*[Value(x) for x in xs]))))
    for name, f, xs in RIGHT2:
        out.append(("gradgradcheck", name, "pass", verdict(gradgradcheck, f, xs)))
    for name, f, xs in WRONG2:
        out.append(("gradgradcheck", name, "wrong", verdict(gradgradcheck, f, xs)))
    return out


def is_false(expected: str, got: str) -> bool:
    """A false verdict: a right rule blamed (or a checker raising an op's error), a wrong
    rule passed, or a slope hidden in the noise judged either way. "CannotCheckError" on
    a right rule is an honest third outcome."""
    if expected == "pass":
        return got not in ("pass", "CannotCheckError")
    if expected == "unchecked":
        return got != "CannotCheckError"
    return got != "wrong"


if __name__ == "__main__":
    rows = results()
    false = [r for r in rows if is_false(r[2], r[3])]
    for checker, name, expected, got in false:
        print(f"FALSE  {checker:13s} {name}: expected {expected}, got {got}")
    print(f"{len(false)} false verdicts of {len(rows)}")
    sys.exit(1 if false else 0)
