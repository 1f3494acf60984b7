"""Moving to PyTorch: the same model in ``torch.nn``, the same training in ``torch.optim``,
and, when two computations disagree, the first node where they do.

- :func:`to_torch` / :func:`from_torch`: an :class:`~micrograd_nn.MLP` (or a Layer or a
  Neuron) as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and activations, and
  back; the round trip keeps every weight bit for bit.
- :func:`compare`: re-run a recorded graph op by op in PyTorch (:data:`TORCH_OPS` maps
  every op in :data:`micrograd_nn.OPS` to its torch function; custom ops run as a
  ``torch.autograd.Function`` made from their forward and derivative, or as a torch
  function you give), let torch's autograd compute every node's gradient, and report the
  first node whose value or gradient disagrees, with its op, label, both numbers and the
  chain of ops back to the leaves. Where the two engines follow different documented
  rules (``0 · inf`` behind a zero gradient, ``x / x``, the exactly rounded ``sum``) the
  report says which engine follows which rule instead of calling it a bug.
- :func:`fit_parity`: train a model with :func:`micrograd_nn.fit` and its PyTorch twin
  with the matching ``torch.optim`` optimizer, step by step on the same batches, and
  measure how far losses and weights drift apart.
- :func:`assert_matches_torch`: either check as an assertion, for your own tests.

PyTorch is optional: ``pip install "micrograd_nn[torch]"``. Importing ``micrograd_nn``
never imports this module; importing this module imports torch (CPU builds are fine).
This module is the bridge's face: the names live in ``torch_ops`` (each op's torch function,
custom ops as a ``torch.autograd.Function``), ``torch_compare`` (:func:`compare` and its
report) and ``torch_train`` (the models and :func:`fit_parity`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

from . import Module, Value

# The bridge's names, from the modules that define them (this module is their face):
from .torch_compare import ATOL as ATOL
from .torch_compare import RTOL as RTOL
from .torch_compare import RULES as RULES
from .torch_compare import Comparison as Comparison
from .torch_compare import Disagreement as Disagreement
from .torch_compare import NodeComparison as NodeComparison
from .torch_compare import SecondOrder as SecondOrder
from .torch_compare import compare as compare
from .torch_ops import TORCH_OPS as TORCH_OPS
from .torch_ops import torch as torch
from .torch_train import PARITY_TOLERANCE as PARITY_TOLERANCE
from .torch_train import TORCH_ACTIVATIONS as TORCH_ACTIVATIONS
from .torch_train import TORCH_LOSSES as TORCH_LOSSES
from .torch_train import EpochParity as EpochParity
from .torch_train import FitParity as FitParity
from .torch_train import fit_parity as fit_parity
from .torch_train import from_torch as from_torch
from .torch_train import to_torch as to_torch
from .torch_train import torch_optimizer as torch_optimizer

# ---------------------------------------------------------------------------------------
# For users' tests

_Subject = Union[Module, Value, Callable[..., Value]]


def assert_matches_torch(subject: _Subject, *args: Any, tolerance: float = PARITY_TOLERANCE,
                         allow_rule_differences: bool = True, **kwargs: Any) -> Any:
    """Assert that micrograd_nn and PyTorch agree, in one of two forms:

    - ``assert_matches_torch(model, X, y, loss=..., optimizer=..., epochs=..., ...)``
      trains both engines with :func:`fit_parity` (same arguments) and fails if any step's
      loss or any weight differs by more than ``tolerance`` (default
      :data:`PARITY_TOLERANCE`); returns the :class:`FitParity`.
    - ``assert_matches_torch(root)`` or ``assert_matches_torch(f, inputs, ...)`` runs
      :func:`compare` (same keyword arguments) and fails on a disagreement, with the
      report as the message; documented rule differences pass unless
      ``allow_rule_differences=False``. Returns the :class:`Comparison`.

    Raises AssertionError (so pytest shows the message under your line).
    """
    __tracebackhide__ = True
    if isinstance(subject, Module):
        parity = fit_parity(subject, *args, **kwargs)
        worst = max(parity.max_loss_difference, parity.max_weight_difference)
        if not worst <= tolerance:
            raise AssertionError(f"training differs from PyTorch by {worst:.3g} (> "
                                 f"{tolerance:g}):\n{parity}")
        return parity
    report = compare(subject, *args, **kwargs)
    bad = report.unexplained if allow_rule_differences else report.disagreements
    if bad:
        raise AssertionError(str(report))
    return report
