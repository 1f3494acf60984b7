"""Callbacks for :func:`~micrograd_nn.fit`, and the progress displays built on them.

A callback is any object with some of these methods (:class:`Callback` has them all, doing
nothing; subclass it and override what you need). ``fit`` calls them in this order:

* ``on_train_begin(logs)``: ``{'epochs': E, 'steps': total optimizer steps, 'samples': n}``
* ``on_batch_end(step, logs)`` after each optimizer step; ``step`` counts from 0 over the
  whole run; ``logs`` is ``{'epoch': e, 'loss': the batch's mean loss, 'size': samples}``
* ``on_epoch_end(epoch, logs)``; ``epoch`` counts from 0 (as in Keras); ``logs`` is
  ``{'loss': ..., 'accuracy': ..., 'seconds': ...}``, the values ``History`` just recorded
* ``on_train_end(logs)`` after the last epoch, with the last epoch's logs

``verbose=1`` in ``fit`` picks a display by where the output goes: in a terminal,
:class:`ProgressBar` (one line redrawn in place with a carriage return), or ``tqdm``'s bar
when tqdm is installed and the output is standard output; in a Jupyter notebook,
:class:`NotebookBar` (one output updated in place while training, then the final bar as
one printed line: a saved or nbconvert-exported notebook holds that line alone); anywhere
else (a file, a pipe, a log), :class:`ProgressLines` (plain lines, at most one per tenth
of the run, never a carriage return).
``verbose=2`` gives :class:`EpochLines` (one line per epoch) everywhere.
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from typing import Any, TextIO

__all__ = ["Callback", "ProgressBar", "ProgressLines", "NotebookBar", "EpochLines", "TqdmBar",
           "progress_display", "epoch_text"]

Logs = dict[str, Any]


class Callback:
    """Base class of ``fit``'s callbacks: every hook does nothing (module docstring)."""

    def on_train_begin(self, logs: Logs) -> None:
        """Before the first epoch."""

    def on_batch_end(self, step: int, logs: Logs) -> None:
        """After the optimizer's step ``step`` (0, 1, ... over the whole run)."""

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """After epoch ``epoch`` (0, 1, ...), with its loss, metrics and seconds."""

    def on_train_end(self, logs: Logs) -> None:
        """After the last epoch, with its logs."""

    def close(self) -> None:
        """Called once when ``fit`` returns or raises: a display ends its line here."""


def epoch_text(epoch: int, epochs: int, logs: Logs) -> str:
    """``Epoch 3/30 - loss: 0.1234 - accuracy: 0.9500 - 0.02s`` (epoch counts from 1)."""
    parts = [f"Epoch {epoch}/{epochs}"]
    parts += [f"{name}: {value:.4f}" for name, value in logs.items() if name != "seconds"]
    if "seconds" in logs:
        parts.append(f"{logs['seconds']:.2f}s")
    return " - ".join(parts)


class EpochLines(Callback):
    """One line per epoch (``verbose=2``), or every ``every``-th epoch and the last."""

    def __init__(self, file: TextIO, every: int = 1) -> None:
        self.file, self.every, self.epochs = file, every, 0

    def on_train_begin(self, logs: Logs) -> None:
        """Remember how many epochs there are, for ``Epoch k/E``."""
        self.epochs = logs["epochs"]

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Print the epoch's line when it is due."""
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            print(epoch_text(epoch + 1, self.epochs, logs), file=self.file, flush=True)


class _Bar(Callback):
    """What the bars share: the run's progress (optimizer steps done of all) and the
    figures to show beside it; subclasses decide when and where to show it."""

    def __init__(self, width: int = 30) -> None:
        self.width = width
        self.total = self.done = self.epochs = self.epoch = 0
        self.logs: Logs = {}
        self.running = [0.0, 0]  # this epoch's summed batch loss and samples
        self.start = time.perf_counter()

    def on_train_begin(self, logs: Logs) -> None:
        """Start the clock; the bar counts optimizer steps."""
        self.total, self.epochs = logs["steps"], logs["epochs"]
        self.start = time.perf_counter()

    def on_batch_end(self, step: int, logs: Logs) -> None:
        """Advance; keep this epoch's running mean loss (Keras shows the same)."""
        self.done = step + 1
        self.running[0] += logs["loss"] * logs["size"]
        self.running[1] += logs["size"]
        self.logs = {"loss": self.running[0] / self.running[1]}
        self.epoch = logs["epoch"] + 1

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Keep the epoch's final figures."""
        self.epoch, self.running = epoch + 1, [0.0, 0]
        self.logs = {k: v for k, v in logs.items() if k != "seconds"}

    def text(self) -> str:
        """``[=====>    ] 120/300 Epoch 12/30 - loss: ...``"""
        filled = self.width * self.done // max(self.total, 1)
        bar = "=" * filled + (">" if filled < self.width else "") + " " * self.width
        return f"[{bar[:self.width]}] {self.done}/{self.total} " + \
            epoch_text(self.epoch, self.epochs, self.logs)

    def finish(self) -> None:
        """The final figures, with the run's total time."""
        self.logs["seconds"] = time.perf_counter() - self.start


class _LiveBar(_Bar):
    """A bar drawn again after every epoch and, within an epoch, at most every ``interval``
    seconds (so a long stochastic epoch does not flood the output); ``draw`` shows it."""

    def __init__(self, file: TextIO, width: int = 30, interval: float = 0.1) -> None:
        super().__init__(width)
        self.file, self.interval = file, interval
        self.drawn_at = time.perf_counter()

    def draw(self) -> None:
        """Show the current figures (each live bar its own way)."""
        raise NotImplementedError

    def on_batch_end(self, step: int, logs: Logs) -> None:
        """Advance, and redraw when ``interval`` has passed."""
        super().on_batch_end(step, logs)
        if time.perf_counter() - self.drawn_at >= self.interval:
            self.draw()

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Show the epoch's final figures."""
        super().on_epoch_end(epoch, logs)
        self.draw()


class ProgressBar(_LiveBar):
    """One line redrawn in place: ``[=====>    ] 120/300 Epoch 12/30 - loss: ...``.

    A carriage return moves back to the start of the line, which a terminal honours (a file
    or a pipe would keep every frame: :class:`ProgressLines` is for those). Redrawn after
    every epoch, and within an epoch at most every ``interval`` seconds (so a long
    stochastic epoch does not flood the output)."""

    def __init__(self, file: TextIO, width: int = 30, interval: float = 0.1) -> None:
        super().__init__(file, width, interval)
        self.line_length = 0

    def close(self) -> None:
        """Finish the line, with the total time."""
        if self.line_length:
            self.finish()
            self.draw()
            print(file=self.file, flush=True)

    def draw(self) -> None:
        """Write the line over the previous one."""
        text = self.text()
        # Pad with spaces: a shorter line must cover what is left of the longer one.
        self.file.write("\r" + text.ljust(self.line_length))
        self.file.flush()
        self.line_length = len(text)
        self.drawn_at = time.perf_counter()


class ProgressLines(_Bar):
    """The bar as plain lines, for a file, a pipe or a log: one line when an epoch ends
    each tenth of the run (every epoch for 10 epochs or fewer), the last with the total
    time; never a carriage return."""

    def __init__(self, file: TextIO, width: int = 30) -> None:
        super().__init__(width)
        self.file = file
        self.shown = -1  # steps done when the last line was printed

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """Print a line when the run has passed another tenth (the last waits for close)."""
        super().on_epoch_end(epoch, logs)
        tenth = 10 * (epoch + 1) // max(self.epochs, 1)
        if tenth > 10 * epoch // max(self.epochs, 1) and epoch + 1 < self.epochs:
            self.line()

    def close(self) -> None:
        """The last line, with the total time (also where training stopped on an error)."""
        if self.done != self.shown and (self.done or self.epoch):
            self.finish()
            self.line()

    def line(self) -> None:
        """Print the current figures as one line."""
        print(self.text(), file=self.file, flush=True)
        self.shown = self.done


class NotebookBar(_LiveBar):
    """The bar in a Jupyter notebook: one text output updated in place (IPython's display
    updates), at most every ``interval`` seconds and after every epoch; when training ends
    that output is emptied and the final bar printed to ``file`` as one line. The saved
    notebook (and an nbconvert export) holds that line alone, never a carriage return."""

    def __init__(self, file: TextIO, width: int = 30, interval: float = 0.1) -> None:
        super().__init__(file, width, interval)
        self.handle: Any = None

    def close(self) -> None:
        """Empty the live output and print the final bar, with the total time, as a line."""
        if self.handle is not None:
            self.finish()
            self.handle.update({"text/plain": ""}, raw=True)
            print(self.text(), file=self.file, flush=True)

    def draw(self) -> None:
        """Show the bar: a new output the first time, an update of it after."""
        # Only ever made inside a running kernel, where IPython is imported already.
        display: Any = importlib.import_module("IPython.display").display
        bundle = {"text/plain": self.text()}
        if self.handle is None:
            self.handle = display(bundle, raw=True, display_id=True)
        else:
            self.handle.update(bundle, raw=True)
        self.drawn_at = time.perf_counter()


class TqdmBar(Callback):
    """tqdm's bar (``tqdm.auto``: a widget in Jupyter with ipywidgets, text elsewhere)."""

    def __init__(self, tqdm_class: Any, file: TextIO) -> None:
        self.tqdm_class, self.file, self.epochs = tqdm_class, file, 0
        self.bar: Any = None

    def on_train_begin(self, logs: Logs) -> None:
        """Open the bar over every optimizer step."""
        self.epochs = logs["epochs"]
        self.bar = self.tqdm_class(total=logs["steps"], unit="step", file=self.file)

    def on_batch_end(self, step: int, logs: Logs) -> None:
        """One step done."""
        self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs) -> None:
        """The epoch and its figures beside the bar."""
        self.bar.set_description(f"Epoch {epoch + 1}/{self.epochs}", refresh=False)
        self.bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items() if k != "seconds"})

    def close(self) -> None:
        """Close the bar (it stays on screen)."""
        if self.bar is not None:
            self.bar.close()


def _tqdm() -> Any:
    """``tqdm.auto.tqdm``, or None when tqdm is not installed."""
    with warnings.catch_warnings():
        # Without ipywidgets tqdm.auto warns and falls back to its text bar: what we want.
        warnings.simplefilter("ignore")
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped]  # no stubs
        except ImportError:
            return None
    return tqdm


def _is_terminal(out: TextIO) -> bool:
    try:
        return bool(out.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def _in_notebook(out: TextIO) -> bool:
    """Is ``out`` a Jupyter kernel's output stream (ipykernel's OutStream)?"""
    return type(out).__module__.startswith("ipykernel") and "IPython" in sys.modules


def progress_display(verbose: int, every: int, file: TextIO | None) -> Callback | None:
    """The display ``fit(verbose=...)`` asks for: None (0); for 1, by where the output
    goes (module docstring): tqdm's bar (a terminal's standard output, tqdm installed),
    :class:`ProgressBar` (a terminal), :class:`NotebookBar` (a notebook) or
    :class:`ProgressLines` (anything else); :class:`EpochLines` (2)."""
    if verbose == 0:
        return None
    out = file if file is not None else sys.stdout
    if verbose == 2:
        return EpochLines(out, every)
    if _in_notebook(out):
        return NotebookBar(out)
    if not _is_terminal(out):
        return ProgressLines(out)
    tqdm = _tqdm() if file is None else None
    return TqdmBar(tqdm, out) if tqdm is not None else ProgressBar(out)
