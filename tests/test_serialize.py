"""save / load: exact round trip, atomic writes (even under SIGKILL), hostile files refused."""

import json
import math
import os
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
