"""Save and load an MLP's parameters as JSON: plain numbers, nothing is ever executed.

A file looks like::

    {"format": "micrograd_nn.mlp", "version": 1,
     "architecture": {"nin": 2, "layers": [{"nout": 3, "activation": "tanh"}, ...]},
     "weights": [{"W": [[...], ...], "b": [...]}, ...]}

:func:`save` is atomic: it writes a temporary file in the target's directory, flushes and
fsyncs it, then renames it over the target (``os.replace``), so a crash or a kill at any
moment leaves either the old file or the new one, never a truncated mix. A temporary file
that a killed save leaves behind is removed by the next save to the same file. Where
``open(path, "w")`` would fail (a read-only file, a missing folder), ``save`` fails the same
way naming ``path``; a FIFO, device or socket is refused and never replaced; where only the
file, not its folder, is writable, ``save(..., atomic=False)`` writes in place.

:func:`load` checks everything (the JSON, the architecture, every number: a finite real,
not a bool) before it changes anything: on any problem it raises :class:`ModelFileError`
and the model keeps the weights it had.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
import secrets
import socket
import stat
from typing import Any, Union

from .nn import MLP

__all__ = ["save", "load", "ModelFileError", "FORMAT", "VERSION"]

FORMAT = "micrograd_nn.mlp"
VERSION = 1
_MAX_DIGITS = 400  # a longer number literal is no weight (and could be slow to parse)
_TEMP = ".micrograd-tmp"
_MAX_PREFIX = 255 - 45  # a file name's limit (255 bytes) less pid, random part and _TEMP
_TEMP_TAIL = re.compile(r"([1-9][0-9]{0,8})\.[0-9a-f]{16}" + re.escape(_TEMP))  # pid.random
_Path = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]  # what open() takes


class ModelFileError(ValueError):
    """A model file is missing, unreadable, not JSON, or does not fit the model; or a
    model cannot be saved as one (it holds a NaN or an infinity)."""


def _document(model: MLP) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": model.architecture(),
        "weights": [{"W": w, "b": b} for w, b in _finite_weights(model)],
    }


def _finite_weights(model: MLP) -> list[tuple[list[list[float]], list[float]]]:
    """``model.get_weights()``, or ModelFileError naming the first number JSON cannot hold
    (json would say only "Out of range float values are not JSON compliant")."""
    layers = model.get_weights()
    for i, (w, b) in enumerate(layers, 1):
        for j, (row, bias) in enumerate(zip(w, b), 1):
            named = {f"weight {k}": v for k, v in enumerate(row, 1)}
            named["bias"] = bias
            for what, v in named.items():
                if not math.isfinite(v):
                    raise ModelFileError(f"cannot save layer {i}, neuron {j}, {what}: it "
                                         f"is {v}, and a model file holds finite numbers")
    return layers


def _check_model(model: Any) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"save/load work on an MLP, got {type(model).__name__}")
    return model


def save(model: MLP, path: _Path, atomic: bool = True) -> None:
    """Write ``model``'s architecture and parameters to ``path`` as JSON, atomically.

    ``path`` is any file name ``open()`` takes (str, bytes or a path object). Where
    ``open(path, "w")`` would fail, ``save`` fails the same way (the same OSError, naming
    ``path``): a missing folder, a read-only file, a folder or file you may not write. A
    symlink is written through, as ``open(path, "w")`` would: its target gets the new
    content and the link stays a link. A FIFO, a device or a socket is refused with
    :class:`ModelFileError` (as :func:`load` refuses them) and never replaced.

    With ``atomic=True`` (the default) the text goes to a temporary file beside the target,
    which is then renamed over it: a crash leaves the old file or the new one, never a
    mix. That needs a folder you may write in; where only the file is writable,
    ``save`` raises PermissionError saying so, and ``atomic=False`` writes the file in
    place (as ``open(path, "w")`` does: a crash mid-write can leave it truncated)."""
    text = json.dumps(_document(_check_model(model)), allow_nan=False) + "\n"
    shown = os.fsdecode(path)  # errors name the user's path, never the temporary one
    try:
        target = _writable_target(shown)
        if atomic:
            _replace_atomically(target, text, shown)
        else:
            _write_in_place(target, text, shown)
    except OSError as e:
        if e.filename == shown:
            raise
        raise _renamed(e, shown) from None


def _renamed(error: OSError, shown: str) -> OSError:
    """The same kind of OSError, naming ``shown`` instead of the file it was raised on."""
    return type(error)(error.errno, error.strerror or str(error), shown)


def _writable_target(shown: str) -> str:
    """The real file ``shown`` names (symlinks followed), after checking that
    ``open(shown, "w")`` could write it; ModelFileError for a special file."""
    if shown == "":
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), shown)
    if shown.endswith((os.sep, os.altsep or os.sep)):  # names a folder; realpath drops the /
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), shown)
    # Renaming over a link itself would replace it with a plain file: write its target.
    target = os.path.realpath(shown)
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target  # a new file (the folder is checked when it is created)
    if stat.S_ISLNK(info.st_mode):  # realpath stops at a symlink loop; open() refuses one
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), shown)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), shown)
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"cannot save to {shown!r}: it is {_kind(info.st_mode)}, not a "
                             "regular file (save never replaces a special file)")
    # Opening without O_TRUNC changes nothing, and asks the system exactly what
    # open(path, "w") would (the rename below would bypass a read-only file's mode).
    fd = os.open(target, os.O_WRONLY | _WRITE_FLAGS)
    os.close(fd)
    return target


def _kind(mode: int) -> str:
    kinds = [(stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# O_NONBLOCK: should a FIFO be swapped in after the check, opening it fails or returns at
# once (then fstat refuses it) instead of waiting for a reader; O_NOCTTY: as for reading.
_WRITE_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | _CLOEXEC


def _replace_atomically(target: str, text: str, shown: str) -> None:
    directory, name = os.path.split(target)
    # The host and process id in the name let a later save tell a killed save's leftover
    # from a live saver's file (the random part keeps this process's threads apart).
    prefix = f".{name}.{socket.gethostname()}."
    if len(os.fsencode(prefix)) > _MAX_PREFIX:  # the temporary name must fit where name does
        digest = hashlib.sha256(os.fsencode(f"{name}\0{socket.gethostname()}")).hexdigest()
        prefix = f".{digest[:32]}."
    _remove_stale_temporaries(directory, prefix)
    tmp = os.path.join(directory, f"{prefix}{os.getpid()}.{secrets.token_hex(8)}{_TEMP}")
    try:
        # 0666 less the umask, as open(path, "w") gives (mkstemp would make it private)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o666)
    except PermissionError as e:
        if os.path.exists(target):  # open(path, "w") would work: say why save does not
            raise PermissionError(
                e.errno, f"cannot save atomically: the folder {directory!r} is not writable "
                "(save writes a temporary file beside the target and renames it over it); "
                "save(model, path, atomic=False) writes the file in place", shown) from None
        raise
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            _keep_mode(target, f.fileno())
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        _writable_target(target)  # still a regular file we may write (no swap since)
        try:
            os.replace(tmp, target)
        except PermissionError as e:  # a sticky folder (/tmp): only the owner may replace
            raise PermissionError(
                e.errno, f"cannot save atomically: the folder {directory!r} does not let "
                "this user replace the file (a sticky folder, such as /tmp, lets only its "
                "owner do that); save(model, path, atomic=False) writes the file in place",
                shown) from None
    except BaseException:
        # Also on KeyboardInterrupt: no half-written temporary file is left behind.
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _write_in_place(target: str, text: str, shown: str) -> None:
    """``open(target, "w")``'s way: truncate and write (not atomic), then fsync."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | _WRITE_FLAGS, 0o666)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # swapped in since the check
            raise ModelFileError(f"cannot save to {shown!r}: it is no longer a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(f.fileno(), True)
        f.truncate(0)
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _remove_stale_temporaries(directory: str, prefix: str) -> None:
    """Delete the temporary files that saves killed on this host left behind: those whose
    process is gone. A live saver's file (another process's, or this one's) stays."""
    if os.name != "posix":  # there os.kill(pid, 0) would terminate the process
        return
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for entry in names:
        found = entry.startswith(prefix) and _TEMP_TAIL.fullmatch(entry, len(prefix))
        if found and not _alive(int(found[1])):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass  # another save removed it first, or it is not ours to remove


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists, as another user
    return True


def _keep_mode(target: str, fd: int) -> None:
    """A file that replaces another keeps the other's permission bits, and its owner and
    group where this process may set them (root saving over a user's file), as writing
    into the file would."""
    try:
        info = os.stat(target)
    except OSError:
        return
    if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, info.st_uid, info.st_gid)
        except OSError:
            pass  # an ordinary user cannot give a file away: it stays theirs
    os.fchmod(fd, stat.S_IMODE(info.st_mode))  # after chown, which may clear setgid


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (where the platform lets a directory be fsynced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reject_constant(name: str) -> float:
    raise ModelFileError(f"{name} is not a finite number")


def _parse_float(text: str) -> float:
    if len(text) > _MAX_DIGITS:
        raise ModelFileError(f"number literal of {len(text)} characters is too long")
    value = float(text)
    if not math.isfinite(value):
        raise ModelFileError(f"number {text} is out of the float range")
    return value


def _parse_int(text: str) -> int:
    if len(text) > _MAX_DIGITS:
        raise ModelFileError(f"integer literal of {len(text)} digits is too long")
    return int(text)


# O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one (the
# fstat check then refuses it); O_NOCTTY: opening a terminal does not make it ours.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
    | getattr(os, "O_BINARY", 0)


def _read(path: str, limit: int) -> Any:
    """The JSON document at ``path``, or ModelFileError saying why it cannot be had."""
    try:
        fd = os.open(path, _READ_FLAGS)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                # a FIFO or a device could block or never end; a directory is no model
                raise ModelFileError(f"model file {path!r} is not a regular file")
            with open(fd, "rb", closefd=False) as f:
                raw = f.read(limit + 1)
        finally:
            os.close(fd)
    except OSError as e:
        raise ModelFileError(f"cannot read model file {path!r}: {e.strerror or e}") from None
    if len(raw) > limit:
        raise ModelFileError(f"model file {path!r} is larger than {limit} bytes: not this "
                             "model's file")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                          parse_float=_parse_float, parse_int=_parse_int)
    except ModelFileError as e:
        raise ModelFileError(f"model file {path!r}: {e}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"model file {path!r} is not UTF-8 text") from None
    except RecursionError:
        raise ModelFileError(f"model file {path!r} is nested too deeply") from None
    except ValueError as e:  # json.JSONDecodeError, and int()'s digit limit
        raise ModelFileError(f"model file {path!r} is not valid JSON ({e}); truncated?") \
            from None


def _expect(doc: Any, key: str, kind: type, path: str) -> Any:
    if not isinstance(doc, dict) or key not in doc:
        raise ModelFileError(f"model file {path!r} has no {key!r}")
    value = doc[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ModelFileError(f"model file {path!r}: {key!r} should be a "
                             f"{kind.__name__}, got {type(value).__name__}")
    return value


def load(model: MLP, path: _Path) -> MLP:
    """Set ``model``'s parameters from the file at ``path`` (written by :func:`save`) and
    return the model. Raises :class:`ModelFileError`, leaving the model unchanged, if the
    file is not a regular file (a FIFO or a device is refused at once, never waited on),
    is unreadable, not JSON, holds a non-finite or non-numeric weight, or was saved
    from a different architecture."""
    path = os.fsdecode(path)
    model = _check_model(model)
    limit = 2**20 + 64 * model.num_params  # generous for any float's text; refuses giants
    doc = _read(path, limit)
    if _expect(doc, "format", str, path) != FORMAT:
        raise ModelFileError(f"model file {path!r} is not a {FORMAT} file "
                             f"(format {doc['format']!r})")
    if _expect(doc, "version", int, path) != VERSION:
        raise ModelFileError(f"model file {path!r} has version {doc['version']}; "
                             f"this micrograd_nn reads version {VERSION}")
    arch = _expect(doc, "architecture", dict, path)
    if arch != model.architecture():
        raise ModelFileError(f"model file {path!r} holds a different architecture: "
                             f"file {arch!r}, model {model.architecture()!r}")
    layers = _expect(doc, "weights", list, path)
    pairs = []
    for i, layer in enumerate(layers, 1):
        w = _expect(layer, "W", list, f"{path}, layer {i}")
        b = _expect(layer, "b", list, f"{path}, layer {i}")
        pairs.append((w, b))
    try:
        model.set_weights(pairs)
    except (TypeError, ValueError, OverflowError) as e:
        raise ModelFileError(f"model file {path!r}: {e}") from None
    return model
