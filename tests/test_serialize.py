"""save / load: exact round trip, atomic writes (even under SIGKILL), hostile files refused."""

import json
import math
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from micrograd_nn import MLP, ModelFileError, load, save


def model(seed=0):
    return MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=seed)


def test_round_trip_restores_every_number_exactly(tmp_path):
    a, b = model(1), model(2)
    save(a, tmp_path / "m.json")
    assert load(b, tmp_path / "m.json") is b
    assert b.get_weights() == a.get_weights()


def test_file_is_plain_json_naming_format_and_architecture(tmp_path):
    save(model(), tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "micrograd_nn.mlp" and doc["version"] == 1
    assert doc["architecture"] == {"nin": 2, "layers": [{"nout": 3, "activation": "tanh"},
                                                        {"nout": 2, "activation": "sigmoid"}]}


def test_save_leaves_no_temporary_file_behind(tmp_path):
    save(model(), tmp_path / "m.json")
    save(model(3), tmp_path / "m.json")
    assert os.listdir(tmp_path) == ["m.json"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where, name", [
    (lambda m: m.layers[1].neurons[0].w[2], "layer 2, neuron 1, weight 3"),
    (lambda m: m.layers[0].neurons[2].b, "layer 1, neuron 3, bias")])
def test_save_refuses_a_non_finite_weight_naming_it_and_writes_nothing(
        tmp_path, value, where, name):
    target = tmp_path / "m.json"
    save(model(1), target)
    good = target.read_text()
    m = model(2)
    where(m).data = value
    with pytest.raises(ModelFileError, match=f"{name}: it is {value}"):
        save(m, target)
    assert target.read_text() == good
    assert os.listdir(tmp_path) == ["m.json"]


class BytesPath:
    """An os.PathLike whose path is bytes."""

    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


@pytest.mark.parametrize("kind", ["str", "bytes", "str path", "bytes path", "non-UTF-8 bytes"])
def test_save_and_load_take_any_file_name_open_takes(tmp_path, kind):
    name = tmp_path / "m.json"
    path = {"str": str(name), "bytes": bytes(name), "str path": name,
            "bytes path": BytesPath(bytes(name)),
            "non-UTF-8 bytes": bytes(tmp_path) + b"/m\xff.json"}[kind]
    if kind == "non-UTF-8 bytes":
        try:
            open(path, "w").close()
        except OSError:
            pytest.skip("this file system refuses non-UTF-8 names")
    save(model(1), path)
    assert os.listdir(bytes(tmp_path)) == [os.path.basename(os.fsencode(path))]
    assert load(model(2), path).get_weights() == model(1).get_weights()


def test_save_writes_through_a_symlink_to_its_target(tmp_path):
    real = tmp_path / "real.json"
    save(model(1), real)
    (tmp_path / "sub").mkdir()
    link = tmp_path / "sub" / "link.json"
    link.symlink_to(os.path.join("..", "real.json"))
    save(model(2), link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "real.json")
    assert load(model(5), real).get_weights() == model(2).get_weights()
    assert sorted(os.listdir(tmp_path)) == ["real.json", "sub"]
    assert os.listdir(tmp_path / "sub") == ["link.json"]
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("new.json")
    save(model(3), dangling)
    assert dangling.is_symlink()
    assert load(model(5), tmp_path / "new.json").get_weights() == model(3).get_weights()
    loop = tmp_path / "loop.json"
    loop.symlink_to("loop.json")
    with pytest.raises(OSError):
        save(model(3), loop)
    assert loop.is_symlink()


def test_failed_save_keeps_the_old_file_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "m.json"
    save(model(1), target)
    good = target.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save(model(2), target)
    assert target.read_text() == good
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_refuses_something_that_is_not_an_mlp(tmp_path):
    with pytest.raises(TypeError, match="MLP"):
        save("model", tmp_path / "m.json")


def good_doc():
    return json.loads(json.dumps({
        "format": "micrograd_nn.mlp", "version": 1,
        "architecture": model().architecture(),
        "weights": [{"W": w, "b": b} for w, b in model(9).get_weights()]}))


def with_weight(value_text):
    """A good file's text with its first weight replaced by raw JSON text."""
    doc = good_doc()
    doc["weights"][0]["W"][0][0] = "@@"
    return json.dumps(doc).replace('"@@"', value_text)


def edited(edit):
    doc = good_doc()
    edit(doc)
    return json.dumps(doc)


HOSTILE = {
    "empty": "",
    "not json": "this is not json",
    "binary": b"\xff\xfe\x00\x01garbage",
    "a list": "[1, 2, 3]",
    "nan": with_weight("NaN"),
    "infinity": with_weight("-Infinity"),
    "huge float": with_weight("1e999"),
    "huge int literal": with_weight("1" + "0" * 5000),
    "int beyond float": with_weight("1" + "0" * 320),
    "string weight": with_weight('"0.5"'),
    "bool weight": with_weight("true"),
    "null weight": with_weight("null"),
    "nested list weight": with_weight("[0.5]"),
    "deep nesting": '{"format": ' + "[" * 100000 + "]" * 100000 + "}",
    "wrong format": edited(lambda d: d.update(format="pickle")),
    "wrong version": edited(lambda d: d.update(version=2)),
    "bool version": edited(lambda d: d.update(version=True)),
    "other architecture": edited(lambda d: d["architecture"]["layers"][0].update(nout=4)),
    "other activation": edited(lambda d: d["architecture"]["layers"][1].update(
        activation="relu")),
    "missing weights": edited(lambda d: d.pop("weights")),
    "missing bias list": edited(lambda d: d["weights"][1].pop("b")),
    "short row": edited(lambda d: d["weights"][0]["W"][1].pop()),
    "extra layer": edited(lambda d: d["weights"].append(d["weights"][1])),
    "weights not a list": edited(lambda d: d.update(weights={"W": 1})),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_bad_file_raises_model_file_error_and_leaves_model_unchanged(tmp_path, name):
    content = HOSTILE[name]
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    m = model(5)
    before = m.get_weights()
    with pytest.raises(ModelFileError, match="bad.json"):
        load(m, path)
    assert m.get_weights() == before


def test_every_truncation_of_a_good_file_is_refused(tmp_path):
    save(model(1), tmp_path / "good.json")
    text = (tmp_path / "good.json").read_text()
    m = model(5)
    before = m.get_weights()
    for cut in range(0, len(text) - 1, 7):  # the last byte is a newline; without it, valid
        (tmp_path / "cut.json").write_text(text[:cut])
        with pytest.raises(ModelFileError):
            load(m, tmp_path / "cut.json")
    assert m.get_weights() == before


def test_missing_file_raises_model_file_error(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load(model(), tmp_path / "nothing.json")


def load_in_thread(path, timeout=10):
    """load(model(), path) in a thread: the exception it raised, or a failure if it hangs."""
    outcome = []

    def run():
        try:
            load(model(), path)
        except BaseException as e:
            outcome.append(e)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        # A load blocked opening a FIFO: open the writing end to let it go, then fail.
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout)
        pytest.fail(f"load({path!r}) blocked")
    return outcome[0] if outcome else None


@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_a_fifo_directory_or_device_is_refused_at_once(tmp_path, kind):
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        path = tmp_path / "m.json"
        os.mkfifo(path)
    else:
        path = tmp_path if kind == "directory" else os.devnull
    error = load_in_thread(path)
    assert isinstance(error, ModelFileError) and "not a regular file" in str(error), error


def test_oversized_file_is_refused_before_parsing(tmp_path):
    (tmp_path / "big.json").write_text(" " * (2 ** 20 + 64 * 17 + 10))
    with pytest.raises(ModelFileError, match="larger than"):
        load(model(), tmp_path / "big.json")


SAVER = textwrap.dedent("""
    import sys
    from micrograd_nn import MLP, save
    target = sys.argv[1]
    models = [MLP(64, [128, 64, 10], seed=s) for s in (1, 2)]
    print("ready", flush=True)
    k = 0
    while True:
        save(models[k % 2], target)
        k += 1
""")


SAVE_THEN = textwrap.dedent("""
    import os, signal, sys, time
    from micrograd_nn import MLP, save

    def replace(src, dst):  # the temporary file is written: die or wait, as asked
        if sys.argv[2] == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        print("waiting", flush=True)
        time.sleep(60)
    os.replace = replace
    save(MLP(2, [3, 2], seed=0), sys.argv[1])
""")


def start_saver(tmp_path, target, then):
    """A process that saves a model to ``target`` and, with its temporary file written,
    dies by SIGKILL (``then="die"``) or waits (``"wait"``, it prints a line first)."""
    script = tmp_path / "save_then.py"
    script.write_text(SAVE_THEN)
    return subprocess.Popen([sys.executable, str(script), str(target), then],
                            stdout=subprocess.PIPE, text=True)


def test_save_removes_the_temporary_file_a_killed_save_left_but_no_other_hosts(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    killed = start_saver(tmp_path, models / "m.json", "die")
    killed.communicate()
    assert killed.returncode == -signal.SIGKILL
    [stray] = os.listdir(models)
    host = f".{socket.gethostname()}."
    assert host in stray
    # The same file as a saver on another machine sharing this directory would name it.
    elsewhere = stray.replace(host, ".another-host.")
    shutil.copy(models / stray, models / elsewhere)
    save(model(), models / "m.json")
    assert sorted(os.listdir(models)) == sorted([elsewhere, "m.json"])


def test_save_leaves_a_live_savers_temporary_file_alone(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    live = start_saver(tmp_path, models / "m.json", "wait")
    try:
        assert live.stdout.readline() == "waiting\n"
        [working] = os.listdir(models)
        save(model(), models / "m.json")
        assert sorted(os.listdir(models)) == sorted([working, "m.json"])
    finally:
        live.kill()
        live.communicate()


@pytest.mark.slow
def test_killing_a_process_mid_save_never_leaves_a_broken_file(tmp_path):
    """A subprocess saves a ~17k-parameter model over the same file in a loop; SIGKILL it
    at several moments. Each time the file must load and hold one of the two models."""
    target = tmp_path / "m.json"
    expected = [MLP(64, [128, 64, 10], seed=s).get_weights() for s in (1, 2)]
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    probe = MLP(64, [128, 64, 10], seed=0)
    for delay in (0.05, 0.13, 0.21, 0.3, 0.42):
        proc = subprocess.Popen([sys.executable, str(script), str(target)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout.readline().strip() == "ready"
            while not target.exists():
                time.sleep(0.005)
            time.sleep(delay)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        load(probe, target)
        assert probe.get_weights() in expected
        save(probe, target)  # and removes the temporary file the kill may have left
        assert sorted(os.listdir(tmp_path)) == ["m.json", "saver.py"]


def test_saved_file_gets_the_mode_a_plain_write_would_and_keeps_a_replaced_files(tmp_path):
    import os
    import stat

    from micrograd_nn import MLP, save

    model = MLP(2, [2, 1], seed=0)
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    fresh = tmp_path / "fresh.json"
    save(model, fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    os.chmod(fresh, 0o640)
    save(model, fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640


# --- special files, permissions and the names in errors (issue 19) ---------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_save_onto_a_fifo_refuses_and_leaves_the_fifo_a_fifo(tmp_path):
    import stat
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ModelFileError, match=r"'.*pipe': it is a FIFO, not a regular file"):
        save(model(), fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # not replaced by a regular file
    assert sorted(os.listdir(tmp_path)) == ["pipe"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_save_through_a_symlink_to_a_fifo_refuses_too(tmp_path):
    import stat
    os.mkfifo(tmp_path / "pipe")
    os.symlink("pipe", tmp_path / "link.json")
    with pytest.raises(ModelFileError, match="link.json': it is a FIFO"):
        save(model(), tmp_path / "link.json")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
    assert os.path.islink(tmp_path / "link.json")


def test_save_onto_a_unix_socket_refuses(tmp_path):
    import stat
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets on this platform")
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(ModelFileError, match="is a socket, not a regular file"):
            save(model(), path)
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


def test_save_onto_a_directory_fails_as_open_would_naming_it(tmp_path):
    with pytest.raises(IsADirectoryError) as err:
        save(model(), tmp_path)
    assert err.value.filename == str(tmp_path)
    assert sorted(os.listdir(tmp_path)) == []


def test_errors_name_the_users_path_never_the_temporary_name(tmp_path):
    missing = tmp_path / "no such folder" / "m.json"
    with pytest.raises(FileNotFoundError) as err:
        save(model(), missing)
    assert err.value.filename == str(missing)
    assert "micrograd-tmp" not in str(err.value)

    os.symlink(tmp_path / "gone" / "target.json", tmp_path / "dangling.json")
    with pytest.raises(FileNotFoundError) as err:
        save(model(), tmp_path / "dangling.json")
    assert err.value.filename == str(tmp_path / "dangling.json")
    assert "micrograd-tmp" not in str(err.value)

    with pytest.raises(FileNotFoundError) as err:  # as open("", "w") says
        save(model(), "")
    assert err.value.filename == ""
    assert "micrograd-tmp" not in str(err.value)
    assert sorted(os.listdir(tmp_path)) == ["dangling.json"]


def test_a_dangling_symlink_into_an_existing_folder_is_written_through(tmp_path):
    os.symlink("target.json", tmp_path / "link.json")  # as open(path, "w") creates the target
    save(model(1), tmp_path / "link.json")
    assert os.path.islink(tmp_path / "link.json")
    assert load(model(2), tmp_path / "target.json").get_weights() == model(1).get_weights()


# An ordinary user's view: root bypasses file permissions, so these run a child process
# as nobody (setpriv) on files in a temporary folder that nobody may enter.

@pytest.fixture(scope="module")
def nobody_package():
    """A copy of the package in a new folder every user may read: the checkout (or its
    virtual environment) may sit in a folder only its owner can enter."""
    import tempfile
    path = tempfile.mkdtemp(prefix="micrograd-nn-package-")
    try:
        os.chmod(path, 0o755)
        source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "micrograd_nn")
        shutil.copytree(source, os.path.join(path, "micrograd_nn"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        for folder, dirs, files in os.walk(path):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        yield path
    finally:
        shutil.rmtree(path)


def _as_nobody(code, cwd, package):
    """Run ``code`` as user nobody (setpriv) in ``cwd``, importing the package copy."""
    if os.name != "posix" or shutil.which("setpriv") is None:
        pytest.skip("needs setpriv (util-linux) to run as an ordinary user")
    if os.geteuid() != 0:
        pytest.skip("needs root, to run a child as another user (nobody) with setpriv")
    # The interpreter itself (a venv's python may sit where nobody cannot enter); the
    # package needs only the standard library.
    python = os.path.realpath(sys.executable)
    command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
               python, "-I", "-c", f"import sys; sys.path.insert(0, {package!r})\n{code}"]
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
                          check=False)
    if "setpriv" in proc.stderr and proc.returncode != 0:
        pytest.skip(f"setpriv cannot drop privileges here: {proc.stderr.strip()}")
    if proc.returncode != 0 and "error while loading shared libraries" in proc.stderr:
        # an interpreter built with a shared libpython in a folder only root may enter
        # (pyenv under /root): an ordinary user cannot start it at all
        pytest.skip(f"this interpreter cannot run as an ordinary user: {proc.stderr.strip()}")
    return proc


@pytest.fixture
def shared_tmp():
    """A new temporary folder (mode 0755) that an ordinary user can enter but not write;
    pytest's own tmp_path sits under a folder only its owner may enter."""
    import tempfile
    path = tempfile.mkdtemp(prefix="micrograd-nn-save-")
    try:
        os.chmod(path, 0o755)
        parent = os.path.dirname(path)
        while parent != os.path.dirname(parent):
            if not os.stat(parent).st_mode & 0o001:
                pytest.skip(f"{parent} is closed to other users")
            parent = os.path.dirname(parent)
        yield pathlib.Path(path)
    finally:
        os.chmod(path, 0o700)
        shutil.rmtree(path)


SAVE_AS_NOBODY = textwrap.dedent("""
    import json, sys
    from micrograd_nn import MLP, save
    m = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=9)
    try:
        open_error = None
        try:
            open(sys.argv[1] if len(sys.argv) > 1 else "m.json", "a").close()
        except OSError as e:
            open_error = type(e).__name__
        save(m, "m.json")
        print(json.dumps({"saved": True, "open": open_error}))
    except OSError as e:
        print(json.dumps({"saved": False, "error": type(e).__name__, "filename": e.filename,
                          "message": str(e), "open": open_error}))
""")


def test_save_over_a_read_only_file_fails_as_open_w_would_for_an_ordinary_user(shared_tmp,
        nobody_package):
    os.chmod(shared_tmp, 0o777)  # the folder is writable: only the file protects itself
    save(model(1), shared_tmp / "m.json")
    os.chmod(shared_tmp / "m.json", 0o444)
    before = (shared_tmp / "m.json").read_text()
    proc = _as_nobody(SAVE_AS_NOBODY, shared_tmp, nobody_package)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["open"] == "PermissionError"  # what open(path, "w") does
    assert result["saved"] is False and result["error"] == "PermissionError"
    assert result["filename"] == "m.json" and "micrograd-tmp" not in result["message"]
    assert (shared_tmp / "m.json").read_text() == before
    assert sorted(os.listdir(shared_tmp)) == ["m.json"]


def test_save_in_a_read_only_folder_over_a_writable_file_refuses_naming_the_users_path(
        shared_tmp, nobody_package):
    save(model(1), shared_tmp / "m.json")
    os.chmod(shared_tmp / "m.json", 0o666)  # the file is writable, its folder (0755) is not
    before = (shared_tmp / "m.json").read_text()
    proc = _as_nobody(SAVE_AS_NOBODY, shared_tmp, nobody_package)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["open"] is None  # open(path, "w") would succeed here
    assert result["saved"] is False and result["error"] == "PermissionError"
    assert result["filename"] == "m.json"
    assert "atomic=False" in result["message"] and "micrograd-tmp" not in result["message"]
    assert (shared_tmp / "m.json").read_text() == before
    assert sorted(os.listdir(shared_tmp)) == ["m.json"]


def test_save_atomic_false_writes_in_place_where_open_w_would(shared_tmp, nobody_package):
    save(model(1), shared_tmp / "m.json")
    os.chmod(shared_tmp / "m.json", 0o666)
    code = SAVE_AS_NOBODY.replace('save(m, "m.json")', 'save(m, "m.json", atomic=False)')
    proc = _as_nobody(code, shared_tmp, nobody_package)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["saved"] is True
    assert load(model(2), shared_tmp / "m.json").get_weights() == model(9).get_weights()
    assert sorted(os.listdir(shared_tmp)) == ["m.json"]


def test_save_as_an_ordinary_user_in_a_folder_they_cannot_write_names_the_path(shared_tmp,
        nobody_package):
    proc = _as_nobody(SAVE_AS_NOBODY, shared_tmp, nobody_package)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["open"] == "PermissionError"
    assert result["saved"] is False and result["error"] == "PermissionError"
    assert result["filename"] == "m.json" and "micrograd-tmp" not in result["message"]
    assert os.listdir(shared_tmp) == []


def test_atomic_false_keeps_refusing_special_files_and_rewrites_shorter(tmp_path):
    import stat
    big = MLP(2, [30, 2], seed=1)
    save(big, tmp_path / "m.json")
    small = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=4)
    save(small, tmp_path / "m.json", atomic=False)  # shorter text: the tail must go
    assert load(model(0), tmp_path / "m.json").get_weights() == small.get_weights()
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")
        with pytest.raises(ModelFileError, match="is a FIFO"):
            save(small, tmp_path / "pipe", atomic=False)
        assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


def test_save_in_a_sticky_folder_over_another_users_writable_file_says_why(shared_tmp,
        nobody_package):
    """As in /tmp: the folder is writable by all, but only a file's owner may replace it."""
    os.chmod(shared_tmp, 0o1777)
    save(model(1), shared_tmp / "m.json")  # root's file, writable by everyone
    os.chmod(shared_tmp / "m.json", 0o666)
    before = (shared_tmp / "m.json").read_text()
    proc = _as_nobody(SAVE_AS_NOBODY, shared_tmp, nobody_package)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["open"] is None  # open(path, "w") would succeed here
    assert result["saved"] is False and result["error"] == "PermissionError"
    assert result["filename"] == "m.json" and "sticky" in result["message"]
    assert "atomic=False" in result["message"]
    assert (shared_tmp / "m.json").read_text() == before
    assert sorted(os.listdir(shared_tmp)) == ["m.json"]  # its temporary file removed


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_saving_over_a_users_file_keeps_its_owner_and_mode(tmp_path):
    import pwd
    nobody = pwd.getpwnam("nobody")
    save(model(1), tmp_path / "m.json")
    os.chown(tmp_path / "m.json", nobody.pw_uid, nobody.pw_gid)
    os.chmod(tmp_path / "m.json", 0o640)
    save(model(2), tmp_path / "m.json")
    info = os.stat(tmp_path / "m.json")
    assert (info.st_uid, info.st_gid) == (nobody.pw_uid, nobody.pw_gid)
    assert info.st_mode & 0o777 == 0o640
    assert load(model(3), tmp_path / "m.json").get_weights() == model(2).get_weights()


def test_save_to_a_name_near_the_length_limit_works_as_open_w_would(tmp_path):
    name = "y" * 240 + ".json"  # open() takes it; a temporary name built on it would not
    with open(tmp_path / name, "w"):
        pass
    save(model(1), tmp_path / name)
    assert load(model(2), tmp_path / name).get_weights() == model(1).get_weights()
    assert os.listdir(tmp_path) == [name]


@pytest.mark.parametrize("name", ["new.json/", "m.json/"])
def test_a_path_ending_in_a_slash_names_a_folder_as_open_says(tmp_path, name):
    save(model(1), tmp_path / "m.json")
    path = str(tmp_path / name.rstrip("/")) + "/"
    with pytest.raises(IsADirectoryError) as err:
        save(model(2), path)
    assert err.value.filename == path
    assert sorted(os.listdir(tmp_path)) == ["m.json"]  # no new.json made
    assert load(model(3), tmp_path / "m.json").get_weights() == model(1).get_weights()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_atomic_false_refuses_a_fifo_swapped_in_after_the_check_without_waiting(
        tmp_path, monkeypatch):
    """The race: the path is checked, then replaced by a FIFO before it is opened."""
    import stat

    from micrograd_nn import serialize
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    monkeypatch.setattr(serialize, "_writable_target", lambda shown: str(fifo))  # no check
    outcome = []

    def attempt():
        try:
            save(model(), fifo, atomic=False)
            outcome.append("saved")
        except (OSError, ModelFileError) as e:
            outcome.append(e)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert outcome, "save blocked on a FIFO, waiting for a reader"
    assert outcome[0] != "saved"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
