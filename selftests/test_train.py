"""train.py as a learner runs it: a tiny run of the reference, Ctrl-C and --resume (with every setting kept),
the refusal to replace a run, progress without a terminal, the plot's range, bad input, unfinished code.

The reference run and Ctrl-C go through train.py in a subprocess; the rest calls trainer.cli.main
in this process, which is quicker and sees the same exit status and messages (an exception that
escaped main would fail the test, as a traceback would).
"""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from trainer import progress
from trainer.cli import main
from trainer.history import CUT_ABOVE_FLOOR, LossHistory
from trainer.package import explain

from .helpers import ROOT

# A model and run small enough to train in about a second; all 40 steps are warm-up steps
# (warmup_iters is 50), so their learning rates do not depend on --max-iters.
TINY = ["--context-length", "16", "--d-model", "32", "--num-layers", "1", "--num-heads", "2", "--batch-size", "8",
        "--eval-interval", "10", "--samples", "1", "--sample-length", "20"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# One thread: a model this small gains nothing from two, and two stall whenever another process holds a core.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def train_py(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "train.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          env=ENV, timeout=120)


def train_losses(out, up_to: int = 10**9) -> dict[int, str]:
    with (out / "losses.csv").open() as f:
        return {int(row["iteration"]): row["train_loss"] for row in csv.DictReader(f)
                if row["train_loss"] and int(row["iteration"]) <= up_to}


def snapshot(folder) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and modification time, by name."""
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    proc = train_py("--impl", "solutions", *TINY, "--max-iters", "40", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return proc, out


def test_a_run_prints_progress_and_the_floor_and_writes_its_files(reference_run):
    proc, out = reference_run
    assert "Traceback" not in proc.stderr
    progress_lines = [line for line in proc.stdout.splitlines() if re.match(r"iter +\d+/40  train loss ", line)]
    assert progress_lines[-1].startswith("iter    40/40  train loss ")  # stdout is no terminal: plain lines, no bar
    assert "tok/s" in progress_lines[-1] and "\x1b" not in proc.stdout
    evaluations = [line for line in proc.stdout.splitlines() if line.startswith("iter ") and " val " in line]
    assert [line.split()[1] for line in evaluations] == ["0", "10", "20", "30", "40"]
    assert all("floor 0.613 (entropy rate 0.482)  gap " in line for line in evaluations), evaluations
    assert "--- sample 1" in proc.stdout
    assert (out / "checkpoint.pt").stat().st_size > 0
    assert (out / "loss_curve.png").read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(train_losses(out)) == list(range(1, 41))


@pytest.mark.skipif(sys.platform == "win32", reason="Ctrl-C is not a signal one process can send another on Windows")
def test_ctrl_c_saves_a_checkpoint_and_resume_goes_on_exactly(reference_run, tmp_path):
    _, finished = reference_run
    command = [sys.executable, str(ROOT / "train.py"), "--impl", "solutions", *TINY, "--max-iters", "100000",
               "--out", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                          env=ENV) as proc:
        for line in proc.stdout:
            if line.startswith("iter    10 "):
                proc.send_signal(signal.SIGINT)
                break
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "--resume" in stdout
    stopped_at = max(train_losses(tmp_path))
    assert stopped_at >= 10

    resumed = train_py("--impl", "solutions", "--max-iters", "40", "--resume", "--out", str(tmp_path))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at iter {stopped_at}" in resumed.stdout
    # The same steps as the run that was never stopped:
    assert train_losses(tmp_path, up_to=40) == train_losses(finished)


@pytest.fixture
def one_thread():
    """In-process runs on one thread too (see ENV)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def run_main(args, capsys) -> tuple[int, str, str]:
    """trainer.cli.main in this process: (exit status, stdout, stderr); argparse's exit counts as a status."""
    try:
        status = main(args)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_a_text_file_trains_without_a_floor(tmp_path, capsys, one_thread):
    text = tmp_path / "poem.txt"
    text.write_text("the cat sat on the mat, and the dog ran to the park.\n" * 40)
    args = ["--impl", "solutions", "--data", str(text), *TINY, "--max-iters", "10", "--out", str(tmp_path / "out")]
    status, out, err = run_main(args, capsys)
    assert status == 0, err
    assert "iter    10  train " in out and "floor" not in out
    assert (tmp_path / "out" / "loss_curve.png").read_bytes()[:8] == PNG_SIGNATURE


def test_the_loss_curve_shows_the_approach_to_the_floors_not_the_first_losses():
    floors = (0.515, 0.482)  # the built-in corpus's window floor and entropy rate
    trained = LossHistory(train={i: 0.52 + 3 / i for i in range(1, 1001)}, val={0: 3.4, 500: 0.56, 1000: 0.53})
    bottom, top = trained.y_range(floors)
    assert bottom < 0.482 and top == pytest.approx(0.515 + CUT_ABOVE_FLOOR) and top < 1.5  # 3.4 and 3.52 are cut off
    early = LossHistory(train={1: 3.5, 2: 3.3}, val={0: 3.4, 2: 2.0})
    assert early.y_range(floors)[1] == pytest.approx(1.25 * 2.0)  # far from the floors: the latest losses stay in view


@pytest.fixture
def bad_files(tmp_path):
    """Files that are no use as --data, by name."""
    files = {"empty": tmp_path / "empty.txt", "short": tmp_path / "short.txt", "latin1": tmp_path / "latin1.txt",
             "folder": tmp_path}
    files["empty"].write_text("")
    files["short"].write_text("far too short for one window of 65 characters\n")
    files["latin1"].write_bytes("café crème".encode("latin-1"))
    return files


@pytest.mark.parametrize(
    "args, says",
    [
        (["--data", "no/such/file.txt"], "--data no/such/file.txt: there is no such file"),
        (["--data", "{empty}"], "the file is empty"),
        (["--data", "{short}"], "too few for --context-length 64"),
        (["--context-length", "40000"], "too long for the built-in corpus: its validation text has 40,000 characters"),
        (["--data", "{latin1}"], "not UTF-8 text"),
        (["--data", "{folder}"], "that is a folder"),
        (["--preset", "bert"], "invalid choice: 'bert'"),
        (["--d-model", "100", "--num-heads", "3"],
         "bad model settings: d_model (100) must be divisible by num_heads (3)"),
        (["--num-layers", "0"], "num_layers must be a positive integer, not 0"),
        (["--max-iters", "0"], "--max-iters: expected an integer at least 1"),
        (["--lr", "-1"], "--lr: expected a number above 0"),
        (["--device", "cuda:7"], "--device cuda:7: "),
        (["--device", "toaster"], "not a device torch knows"),
        (["--resume"], "there is no checkpoint in"),
        (["--impl", "no_such_package"], "no package of that name"),
    ],
)
def test_bad_input_gets_one_line_and_exit_status_2(args, says, bad_files, tmp_path, capsys):
    args = [arg.format(**bad_files) for arg in args]
    status, out, err = run_main(["--impl", "solutions", "--out", str(tmp_path / "out"), *args], capsys)
    assert status == 2
    assert says in err and "Traceback" not in err
    assert out == ""  # refused before anything started
    assert len(err.strip().splitlines()) == 1 or err.startswith("usage:")  # argparse shows the usage first


def test_resume_refuses_a_model_of_another_size(reference_run, capsys):
    _, out = reference_run
    status, _, err = run_main(["--resume", "--out", str(out), "--d-model", "64"], capsys)
    assert status == 2 and "has --d-model 32, not 64" in err


def test_a_new_run_refuses_to_replace_one_with_a_checkpoint_unless_forced(reference_run, tmp_path, capsys, one_thread):
    _, finished = reference_run
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    before = snapshot(out)
    fresh = ["--impl", "solutions", *TINY, "--max-iters", "10", "--out", str(out)]
    status, _, err = run_main(fresh, capsys)
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "add --resume to continue it, or --force" in err
    assert snapshot(out) == before  # nothing written, nothing removed
    status, _, err = run_main([*fresh, "--force"], capsys)
    assert status == 0, err
    assert sorted(train_losses(out)) == list(range(1, 11))  # the 40 steps of the run it replaced are gone


def test_resume_keeps_every_setting_and_the_running_loss(tmp_path, capsys, one_thread):
    out = tmp_path / "run"
    model = ["--context-length", "16", "--d-model", "32", "--num-layers", "1", "--num-heads", "2", "--batch-size", "8"]
    reporting = ["--eval-interval", "4", "--samples", "2", "--sample-length", "7", "--temperature", "0"]
    first = ["--impl", "solutions", *model, *reporting, "--max-iters", "10", "--out", str(out)]
    status, _, err = run_main(first, capsys)
    assert status == 0, err

    status, stdout, err = run_main(["--resume", "--out", str(out), "--max-iters", "16", "--samples", "1"], capsys)
    assert status == 0, err
    evaluations = [line.split() for line in stdout.splitlines() if line.startswith("iter ") and " val " in line]
    assert [line[1] for line in evaluations] == ["12", "16"]  # every 4 steps still (the default is 100)
    header, text = (out / "samples.txt").read_text().split("\n", 1)
    assert header.endswith("temperature 0)") and len(text) == 16 + 7 + 1  # prompt, 7 characters, the final newline
    assert json.loads((out / "run.json").read_text())["reporting"] == {
        "eval_interval": 4, "samples": 1, "sample_length": 7, "temperature": 0.0}  # --samples 1 was given

    losses = {i: float(loss) for i, loss in train_losses(out).items()}
    assert sorted(losses) == list(range(1, 17))
    # The training loss at iter 12 is the mean of steps 9 to 12: two before the checkpoint (at 10), two after.
    assert evaluations[0][3] == f"{sum(losses[i] for i in range(9, 13)) / 4:.3f}"


PROGRESS_LINE = re.compile(r"iter +(\d+)/(\d+)  train loss (\d\.\d{3}) \(mean of last (\d+) steps?\)  "
                           r"[\d,]+ tok/s  \d+:\d\d:\d\d elapsed")


def test_without_a_terminal_progress_is_plain_lines_whose_running_loss_goes_on_across_a_resume(
        tmp_path, capsys, one_thread, monkeypatch):
    monkeypatch.setattr(progress, "PLAIN_EVERY_SECONDS", 0)  # a line at every step (10 s apart otherwise)
    out = tmp_path / "run"
    status, first, err = run_main(["--impl", "solutions", *TINY, "--max-iters", "8", "--out", str(out)], capsys)
    assert status == 0, err
    status, resumed, err = run_main(["--resume", "--out", str(out), "--max-iters", "10"], capsys)
    assert status == 0, err

    losses = [float(loss) for _, loss in sorted(train_losses(out).items())]  # steps 1 to 10
    shown = [PROGRESS_LINE.fullmatch(line).groups() for line in (first + resumed).splitlines()
             if PROGRESS_LINE.fullmatch(line)]
    assert [int(i) for i, *_ in shown] == list(range(1, 11)), first + resumed
    for i, total, loss, steps in shown:
        assert int(total) == (8 if int(i) <= 8 else 10)
        assert int(steps) == int(i)  # all steps so far: fewer than 20, even after resuming at 8
        assert loss == f"{sum(losses[: int(i)]) / int(i):.3f}"
    assert "\x1b" not in first + resumed  # no cursor movement or colour


def test_pristine_stubs_name_what_is_missing_and_its_test(tmp_path, capsys, pristine_stubs):
    status, out, err = run_main(["--impl", str(pristine_stubs), "--out", str(tmp_path)], capsys)
    assert status == 1
    first, hint = err.strip().splitlines()
    assert first.startswith("train.py needs CharTokenizer, which is not implemented yet (assignment/training.py:")
    assert "`uv run pytest -k test_tokenizer`" in hint


def test_messages_never_call_the_reference_yours():
    import solutions

    with pytest.raises(ValueError) as raised:
        solutions.get_batch(torch.arange(5), 1, 10)  # too short for a window
    message = explain(raised.value, solutions)
    assert message.startswith("train.py: the reference's code in solutions/ raised ValueError: ")
    assert "your" not in message


LEARNER = '''
    """The reference with one thing changed, as a learner's package."""
    from solutions import *  # noqa: F401,F403
    import solutions as _reference

    {change}
'''


@pytest.mark.parametrize(
    "change, says",
    [
        ("def get_batch(*args, **kwargs):\n    raise NotImplementedError('get_batch is not implemented yet')",
         ["train.py needs get_batch, which is not implemented yet (learner/__init__.py:",
          "`uv run pytest -k test_get_batch`"]),
        ("def get_batch(*args, **kwargs):\n    raise ValueError('no windows today')",
         ["train.py: your code in learner/ raised ValueError: no windows today; at get_batch (__init__.py:"]),
        (("class TransformerLM(_reference.TransformerLM):\n    def forward(self, idx, targets=None):\n"
          "        return positions(idx)\n\ndef positions(idx):\n    raise ValueError('no head dimension')"),
         ["train.py: your code in learner/ raised ValueError: no head dimension; at TransformerLM.forward "
          "(__init__.py:", ") -> positions (__init__.py:"]),
        ("def clip_grad_norm(parameters, max_norm):\n    return None",
         ["train.py: TypeError:", "(trainer/loop.py:"]),
        (("class TransformerLM(_reference.TransformerLM):\n    def forward(self, idx, targets=None):\n"
          "        out = super().forward(idx, targets)\n"
          "        return out if targets is None else (out[0], out[1] * float('nan'))"),
         ["the training loss became nan at iter 1"]),
        ("def oops(:", ["train.py: could not import", "SyntaxError"]),
    ],
    ids=["stub", "raises", "raises-two-calls-deep", "returns-none", "nan-loss", "syntax-error"],
)
def test_a_failure_in_learner_code_is_one_line_and_exit_status_1(change, says, tmp_path, capsys, one_thread):
    package = tmp_path / "learner"
    package.mkdir()
    source = LEARNER.format(change=textwrap.indent(change, "    ").strip())
    (package / "__init__.py").write_text(textwrap.dedent(source))
    args = ["--impl", str(package), *TINY, "--max-iters", "3", "--out", str(tmp_path / "out")]
    status, _, err = run_main(args, capsys)
    assert status == 1, err
    assert "Traceback" not in err
    for text in says:
        assert text in err
