"""fit / evaluate / predict: the three kinds of gradient descent, history, progress bar and
lines, callbacks, errors."""

import io
import random
import sys

import numpy as np
import pytest

from micrograd_nn import MLP, SGD, Adam, Callback, Neuron, Value, evaluate, fit, predict
from micrograd_nn.train import accuracy, two_moons

X_TABLE = [[0, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 1]]
Y_TABLE = [0, 1, 1, 0]
W_SEED = [-0.165955990594852, 0.4406489868843162, -0.9997712503653102]


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, as sys.stdout in a console does."""

    def isatty(self):
        return True


def logistic():
    return Neuron(3, "sigmoid", weights=W_SEED)


def flat(model):
    return [v for w, b in model.get_weights() for v in [x for row in w for x in row] + b]


def quiet_fit(model, X, y, **kw):
    kw.setdefault("verbose", False)
    return fit(model, X, y, **kw)


def seed_000_numpy_trace(epochs):
    """The seed's own full-batch loop in NumPy: the loss before each update."""
    X, y = np.array(X_TABLE, float), np.array(Y_TABLE, float)
    W, b, trace = np.array(W_SEED), 0.0, []
    for _ in range(epochs):
        A = 1 / (1 + np.exp(-(X @ W + b)))
        trace.append(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))
        dz = A - y
        W, b = W - X.T @ dz / len(y), b - dz.mean()
    return trace


def test_full_batch_fit_reproduces_the_seed_000_loop():
    model = logistic()
    h = quiet_fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0),
                  epochs=20, shuffle=False)
    assert h.loss == pytest.approx(seed_000_numpy_trace(20), rel=1e-12)
    assert h.loss[0] == pytest.approx(0.822322582088, abs=1e-12)  # the seed's printed figure
    assert h.epochs == 20 and len(h.seconds) == 20 and h.metrics["accuracy"][-1] == 1.0
    assert h.history == {"loss": h.loss, "accuracy": h.metrics["accuracy"]}


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 10), (3, 4), (10, 1),
                                                         (50, 1)])
def test_batch_size_sets_the_number_of_steps(batch_size, steps_per_epoch):
    X, y = two_moons(10, seed=1)
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model.parameters(), 0.1)
    quiet_fit(model, X, y, optimizer=opt, epochs=2, batch_size=batch_size)
    assert opt.steps == 2 * steps_per_epoch


def test_stochastic_fit_without_shuffle_equals_a_hand_written_loop():
    X, y = two_moons(6, seed=2)
    a, b = MLP(2, [3, 1], seed=9), MLP(2, [3, 1], seed=9)
    quiet_fit(a, X, y, loss="mse", optimizer=SGD(a.parameters(), 0.2), epochs=2, batch_size=1,
              shuffle=False)
    for _ in range(2):
        for x, t in zip(X, y):
            b.zero_grad()
            ((b(x) - t) ** 2).backward()
            for p in b.parameters():
                p.data -= 0.2 * p.grad
    assert flat(a) == pytest.approx(flat(b), rel=1e-12)


def test_shuffle_with_a_seed_is_reproducible_and_leaves_global_random_alone():
    X, y = two_moons(20, seed=3)
    random.seed(5)
    state = random.getstate()
    runs = []
    for _ in range(2):
        model = MLP(2, [4, 1], seed=1)
        quiet_fit(model, X, y, optimizer=Adam(model.parameters(), 0.05), epochs=3,
                  batch_size=4, seed=42)
        runs.append(model.get_weights())
    assert runs[0] == runs[1]
    assert random.getstate() == state


def test_shuffle_changes_the_order_the_samples_are_seen_in():
    X, y = two_moons(20, seed=3)
    weights = []
    for seed in (1, 2):
        model = MLP(2, [4, 1], seed=1)
        quiet_fit(model, X, y, optimizer=SGD(model.parameters(), 0.1), epochs=1,
                  batch_size=1, seed=seed)
        weights.append(model.get_weights())
    assert weights[0] != weights[1]


def test_verbose_2_prints_one_progress_line_per_epoch():
    out = io.StringIO()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=3,
        verbose=2, file=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - loss: 0.8223 - accuracy: ")
    assert lines[2].startswith("Epoch 3/3") and lines[2].endswith("s")


def test_verbose_k_prints_every_kth_epoch_and_the_last():
    out = io.StringIO()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=7,
        verbose=3, file=out)
    assert [ln.split(" - ")[0] for ln in out.getvalue().splitlines()] == [
        "Epoch 3/7", "Epoch 6/7", "Epoch 7/7"]
    same = io.StringIO()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=7,
        verbose=2, log_every=3, file=same)
    assert [ln.split(" - ")[:2] for ln in same.getvalue().splitlines()] == [
        ln.split(" - ")[:2] for ln in out.getvalue().splitlines()]


def test_default_verbose_draws_one_bar_redrawn_in_place_on_a_terminal():
    out = FakeTerminal()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=3,
        batch_size=2, file=out)
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")  # one line, ended once
    frames = text[:-1].split("\r")[1:]
    assert frames[0].startswith("[==========>                   ] 2/6 Epoch 1/3 - loss: ")
    last = frames[-1].rstrip()
    assert last.startswith("[==============================] 6/6 Epoch 3/3 - loss: ")
    assert " - accuracy: " in last and last.endswith("s")
    # Each frame is padded to cover the one before it.
    assert all(len(b) >= len(a.rstrip()) for a, b in zip(frames, frames[1:]))


def test_the_bar_ends_its_line_when_training_raises():
    out = io.StringIO()

    def failing(outputs, targets):
        if failing.calls == 2:
            raise RuntimeError("loss failed")
        failing.calls += 1
        return Value.sum([(o - t) ** 2 for o, t in zip(outputs, targets)])

    failing.calls = 0
    with pytest.raises(RuntimeError, match="loss failed"):
        fit(logistic(), X_TABLE, Y_TABLE, loss=failing, epochs=3, file=out)
    assert out.getvalue().endswith("\n") and "Epoch 2/3" in out.getvalue()


def test_verbose_1_uses_tqdm_auto_on_a_terminals_stdout_when_installed(monkeypatch):
    from micrograd_nn import progress

    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)

    made = []

    class FakeTqdm:
        def __init__(self, **kw):
            self.kw, self.updates, self.postfix, self.closed = kw, 0, None, False
            made.append(self)

        def update(self, n):
            self.updates += n

        def set_description(self, text, refresh=True):
            self.description = text

        def set_postfix(self, values):
            self.postfix = values

        def close(self):
            self.closed = True

    monkeypatch.setattr(progress, "_tqdm", lambda: FakeTqdm)
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=3,
        batch_size=1)
    (bar,) = made
    assert bar.kw["total"] == 12 and bar.updates == 12 and bar.closed
    assert bar.description == "Epoch 3/3" and set(bar.postfix) == {"loss", "accuracy"}
    assert terminal.getvalue() == ""  # tqdm drew it; nothing else was printed


@pytest.mark.parametrize("kw, words", [({"verbose": -1}, "verbose"),
                                       ({"log_every": 0}, "log_every")])
def test_bad_verbose_or_log_every_raises(kw, words):
    with pytest.raises(ValueError, match=words):
        fit(logistic(), X_TABLE, Y_TABLE, **kw)


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs):
        self.calls.append(("begin", None, dict(logs)))

    def on_batch_end(self, step, logs):
        self.calls.append(("batch", step, dict(logs)))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch", epoch, dict(logs)))

    def on_train_end(self, logs):
        self.calls.append(("end", None, dict(logs)))


def test_callbacks_see_every_step_and_epoch_with_what_history_records():
    rec = Recorder()
    model = logistic()
    h = quiet_fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0),
                  epochs=2, batch_size=3, callbacks=[rec])
    kinds = [(kind, n) for kind, n, _ in rec.calls]
    assert kinds == [("begin", None), ("batch", 0), ("batch", 1), ("epoch", 0), ("batch", 2),
                     ("batch", 3), ("epoch", 1), ("end", None)]
    assert rec.calls[0][2] == {"epochs": 2, "steps": 4, "samples": 4}
    epochs = [logs for kind, _, logs in rec.calls if kind == "epoch"]
    assert [e["loss"] for e in epochs] == h.loss
    assert [e["accuracy"] for e in epochs] == h.accuracy
    assert [e["seconds"] for e in epochs] == h.seconds
    assert rec.calls[-1][2] == epochs[-1]
    batches = [logs for kind, _, logs in rec.calls if kind == "batch"]
    assert [b["size"] for b in batches] == [3, 1, 3, 1] and [b["epoch"] for b in batches] == [
        0, 0, 1, 1]
    # The epoch's loss is the size-weighted mean of its batches' losses.
    assert h.loss[0] == pytest.approx((3 * batches[0]["loss"] + batches[1]["loss"]) / 4)


def test_a_callback_may_define_only_the_hooks_it_needs():
    class EveryEpoch:
        def __init__(self):
            self.losses = []

        def on_epoch_end(self, epoch, logs):
            self.losses.append(logs["loss"])

    cb = EveryEpoch()
    h = quiet_fit(logistic(), X_TABLE, Y_TABLE, loss="bce", epochs=3, callbacks=[cb])
    assert cb.losses == h.loss


def test_history_names_what_the_readme_says_it_holds():
    model = logistic()
    h = quiet_fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0),
                  epochs=4)
    assert h.accuracy is h.metrics["accuracy"] and len(h.accuracy) == 4
    assert len(h.loss) == len(h.seconds) == h.epochs == 4
    assert repr(h).startswith(f"History(epochs=4, loss {h.loss[0]:.4g} -> {h.loss[-1]:.4g}, "
                              f"accuracy ")
    assert quiet_fit(logistic(), X_TABLE, Y_TABLE, metrics=()).accuracy == []


def test_verbose_false_prints_nothing(capsys):
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=2,
        verbose=False)
    assert capsys.readouterr().out == ""


def test_l2_adds_alpha_times_sum_of_squares_to_the_loss():
    plain, reg = logistic(), logistic()
    h0 = quiet_fit(plain, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(plain.parameters(), 1.0))
    h1 = quiet_fit(reg, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(reg.parameters(), 1.0),
                   l2=0.01)
    assert h1.loss[0] - h0.loss[0] == pytest.approx(0.01 * sum(w * w for w in W_SEED))


def test_evaluate_and_predict_give_plain_numbers_for_the_seed_model():
    model = logistic()
    preds = predict(model, X_TABLE)
    assert preds == pytest.approx([0.60841366, 0.45860596, 0.3262757, 0.36375058], abs=5e-9)
    assert all(isinstance(p, float) for p in preds)
    result = evaluate(model, X_TABLE, Y_TABLE, loss="bce")
    assert result["loss"] == pytest.approx(0.822322582088, abs=1e-12)
    assert result["accuracy"] == 0.25  # only the last row is on the right side of 0.5


def test_predict_of_a_multi_output_model_gives_lists_of_floats():
    preds = predict(MLP(2, [3, 4], seed=0), [[1.0, 2.0]])
    assert len(preds[0]) == 4 and all(isinstance(v, float) for v in preds[0])


def test_accuracy_reads_argmax_for_lists_and_threshold_for_single_outputs():
    assert accuracy([[Value(0.1), Value(0.9)], [Value(2.0), Value(1.0)]], [1, 1]) == 0.5
    assert accuracy([Value(0.7), Value(-0.2)], [1.0, -1.0], threshold=0.0) == 1.0
    assert accuracy([Value(0.7), Value(0.2)], [1.0, 1.0]) == 0.5


def test_hinge_targets_minus_one_plus_one_are_scored_at_zero():
    X, y = two_moons(30, seed=4, labels=(-1.0, 1.0))
    model = MLP(2, [8, 1], activation="relu", seed=0)
    quiet_fit(model, X, y, loss="hinge", optimizer=SGD(model.parameters(), 0.1), epochs=30)
    right = sum((s > 0) == (t > 0) for s, t in zip(predict(model, X), y)) / len(y)
    assert evaluate(model, X, y, loss="hinge")["accuracy"] == right


def test_mini_batch_training_learns_two_moons():
    X, y = two_moons(60, noise=0.1, seed=5)
    model = MLP(2, [8, 1], output_activation="sigmoid", seed=0)
    h = quiet_fit(model, X, y, loss="bce", optimizer=Adam(model.parameters(), 0.05),
                  epochs=40, batch_size=10, seed=0)
    assert h.loss[-1] < h.loss[0] / 2
    assert evaluate(model, X, y, loss="bce")["accuracy"] >= 0.85


@pytest.mark.parametrize("kw, words", [
    ({"loss": "nope"}, "unknown loss"),
    ({"optimizer": "lbfgs"}, "unknown optimizer"),
    ({"metrics": ["f1"]}, "unknown metric"),
    ({"batch_size": 0}, "batch_size"),
    ({"epochs": -1}, "epochs"),
])
def test_bad_fit_arguments_raise_value_error(kw, words):
    with pytest.raises(ValueError, match=words):
        quiet_fit(logistic(), X_TABLE, Y_TABLE, **kw)


def test_mismatched_samples_and_targets_raise():
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        quiet_fit(logistic(), X_TABLE, Y_TABLE[:3])


def test_two_moons_is_seeded_balanced_and_leaves_global_random_alone():
    random.seed(1)
    state = random.getstate()
    X, y = two_moons(101, noise=0.1, seed=7)
    assert (X, y) == two_moons(101, noise=0.1, seed=7)
    assert random.getstate() == state
    assert len(X) == 101 and y.count(0.0) == 50 and y.count(1.0) == 51
    assert two_moons(10, seed=7, labels=(-1.0, 1.0))[1].count(-1.0) == 5


def test_fit_pauses_the_collector_only_during_a_step_and_restores_it_after_an_error():
    import gc

    seen = []

    def watching_loss(outputs, targets):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("loss failed")
        return Value.sum([(o - t) ** 2 for o, t in zip(outputs, targets)]) / len(outputs)

    model = logistic()
    with pytest.raises(RuntimeError, match="loss failed"):
        quiet_fit(model, X_TABLE, Y_TABLE, loss=watching_loss, epochs=2, batch_size=None)
    assert seen == [False, False]
    assert gc.isenabled()


# --- nothing silently wrong: refusals and the display outside a terminal (issue 19) -------

def test_fit_inside_no_grad_refuses_and_changes_nothing():
    from micrograd_nn import no_grad
    model = logistic()
    before = [p.data for p in model.parameters()]
    with no_grad(), pytest.raises(RuntimeError, match=r"inside no_grad\(\)"):
        quiet_fit(model, X_TABLE, Y_TABLE, loss="bce", epochs=3)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("output", ["linear", "tanh", "relu"])
def test_bce_on_an_output_that_is_no_probability_refuses_naming_the_fixes(output):
    X, y = two_moons(20, seed=0)
    model = MLP(2, [4, 1], output_activation=output, seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"output_activation=\"sigmoid\".*bce_with_logits"):
        quiet_fit(model, X, y, loss="bce", epochs=2)
    assert [p.data for p in model.parameters()] == before
    from micrograd_nn.losses import bce
    with pytest.raises(ValueError, match="bce_with_logits"):
        quiet_fit(model, X, y, loss=bce, epochs=2)  # the function, not only its name
    with pytest.raises(ValueError, match="bce_with_logits"):
        evaluate(model, X, y, loss="bce")


def test_bce_on_sigmoid_outputs_and_logits_on_linear_ones_train():
    X, y = two_moons(20, seed=0)
    for output, loss in [("sigmoid", "bce"), ("linear", "bce_with_logits")]:
        history = quiet_fit(MLP(2, [4, 1], output_activation=output, seed=0), X, y,
                            loss=loss, epochs=5, optimizer="adam")
        assert history.loss[-1] < history.loss[0]
    quiet_fit(Neuron(3, "sigmoid", weights=W_SEED), X_TABLE, Y_TABLE, loss="bce")


def test_metrics_given_as_one_name_is_that_metric():
    history = quiet_fit(logistic(), X_TABLE, Y_TABLE, loss="bce", epochs=2,
                        metrics="accuracy")
    assert set(history.metrics) == {"accuracy"} and len(history.accuracy) == 2
    assert set(evaluate(logistic(), X_TABLE, Y_TABLE, metrics="accuracy")) == {
        "loss", "accuracy"}
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        quiet_fit(logistic(), X_TABLE, Y_TABLE, metrics="f1")


@pytest.mark.parametrize("bad", ["abc", "2", 1.5, None, [1]])
def test_verbose_that_is_no_level_raises_a_clear_type_error(bad):
    with pytest.raises(TypeError, match=r"verbose must be 0, 1 or 2 .*got"):
        fit(logistic(), X_TABLE, Y_TABLE, verbose=bad)


def test_evaluate_and_predict_of_no_samples_say_there_is_nothing_to_evaluate():
    with pytest.raises(ValueError, match="no samples to evaluate"):
        evaluate(logistic(), [], [])
    with pytest.raises(ValueError, match="no samples to train on"):
        quiet_fit(logistic(), [], [])


@pytest.mark.parametrize("bad, error", [(-0.1, ValueError), (float("nan"), ValueError),
                                        (float("inf"), ValueError), (True, TypeError),
                                        ("0.1", TypeError)])
def test_l2_must_be_a_finite_number_at_least_zero(bad, error):
    with pytest.raises(error, match="l2"):
        quiet_fit(logistic(), X_TABLE, Y_TABLE, l2=bad)


def test_verbose_1_into_a_file_prints_lines_not_carriage_returns():
    out = io.StringIO()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=3,
        batch_size=2, file=out)
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 3  # 3 epochs: one line each
    assert lines[0].startswith("[==========>                   ] 2/6 Epoch 1/3 - loss: ")
    assert lines[-1].startswith("[==============================] 6/6 Epoch 3/3 - loss: ")
    assert " - accuracy: " in lines[-1] and lines[-1].endswith("s")


def test_verbose_1_into_a_file_prints_at_most_a_line_per_tenth_of_the_run():
    out = io.StringIO()
    model = logistic()
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0),
        epochs=95, file=out)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [ln.split("] ")[1].split(" ")[0] for ln in lines] == [
        f"{k}/95" for k in (10, 19, 29, 38, 48, 57, 67, 76, 86, 95)]


def test_verbose_1_into_a_pipe_prints_lines(tmp_path):
    """As `python script.py | tee log` sees it: a real pipe, not a terminal."""
    import subprocess
    code = ("from micrograd_nn import MLP, fit\nfrom micrograd_nn.train import two_moons\n"
            "X, y = two_moons(20, seed=0)\n"
            "fit(MLP(2, [4, 1], output_activation='sigmoid', seed=0), X, y, loss='bce', "
            "epochs=4, batch_size=5, seed=0)\n")
    root = __file__.rsplit("/tests/", 1)[0]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True, cwd=root,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": root})
    assert "\r" not in proc.stdout
    assert len(proc.stdout.splitlines()) == 4
    assert proc.stdout.splitlines()[-1].startswith("[==============================] 16/16")


def test_verbose_1_on_a_terminal_redraws_one_line_in_place(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # the built-in bar
    out = FakeTerminal()
    model = logistic()
    monkeypatch.setattr(sys, "stdout", out)
    fit(model, X_TABLE, Y_TABLE, loss="bce", optimizer=SGD(model.parameters(), 1.0), epochs=2)
    text = out.getvalue()
    assert text.startswith("\r[") and text.count("\n") == 1
    assert text.rstrip().split("\r")[-1].startswith(
        "[==============================] 2/2 Epoch 2/2 - loss: ")
