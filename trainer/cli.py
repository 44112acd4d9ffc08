"""train.py's command line: train a TransformerLM built from an implementation package and watch it learn.

Exit status: 0 when the run finished, 2 for a bad flag or file (one line), 1 when the trained
package's code is unfinished or fails (one line naming it), 130 after Ctrl-C (a checkpoint is
saved first).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType

import torch

from course.tracebacks import innermost_frame, one_line
from course import REPO_ROOT
from course.packages import ImplNotFound, load, resolve
from course.parts import PARTS

from .data import BadInput, Corpus, builtin, from_file
from .history import LossHistory
from .loop import Settings, Trainer

RUN_FILE, CHECKPOINT, LOSSES, PLOT, SAMPLES = "run.json", "checkpoint.pt", "losses.csv", "loss_curve.png", "samples.txt"
SETTING_FLAGS = ("preset", "context_length", "d_model", "num_layers", "num_heads", "max_iters", "batch_size", "lr_max", "warmup_iters", "seed")
MODEL_FLAGS = ("preset", "context_length", "d_model", "num_layers", "num_heads")  # a checkpoint fits only its own model
NEEDED = ("CharTokenizer", "TransformerConfig", "TransformerLM", "AdamW", "get_batch", "cosine_lr_schedule", "clip_grad_norm",
          "estimate_loss", "save_checkpoint", "load_checkpoint", "generate")
PROMPT_LENGTH = 16


class LearnerError(Exception):
    """The trained package's code is unfinished or failed: one line (and a hint), exit status 1."""


def number(convert, minimum, *, inclusive: bool = True):
    """An argparse type: a number of at least (or, with inclusive=False, above) `minimum`."""
    kind = "an integer" if convert is int else "a number"
    bound = f"{'at least' if inclusive else 'above'} {minimum}"

    def checked(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not (value >= minimum if inclusive else value > minimum):
            raise argparse.ArgumentTypeError(f"expected {kind} {bound}, got {text!r}")
        return value

    return checked


def parse(argv: list[str] | None) -> argparse.Namespace:
    d = Settings()
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train a TransformerLM built from your code (or another package) on the built-in corpus or a text "
        "file, and watch its validation loss approach the floor no model can beat.",
        epilog="Ctrl-C stops after the current step and saves a checkpoint. With --resume, flags left out take the "
        "resumed run's values (from DIR/run.json).",
    )
    what = parser.add_argument_group("what to train")
    what.add_argument("--impl", help="package whose code is trained: assignment (your code, the default), solutions (the reference), "
                      "a package name or a path to a package folder")
    what.add_argument("--data", metavar="FILE", help="a UTF-8 text file to train on (its last 10%% validates) instead of the built-in corpus")
    what.add_argument("--preset", choices=("llama", "gpt"), help=f"model family (default {d.preset})")
    what.add_argument("--context-length", type=int, metavar="T", help=f"tokens per training window (default {d.context_length})")
    what.add_argument("--d-model", type=int, metavar="C", help=f"width of each token's vector (default {d.d_model})")
    what.add_argument("--num-layers", type=int, metavar="N", help=f"transformer blocks (default {d.num_layers})")
    what.add_argument("--num-heads", type=int, metavar="H", help=f"attention heads per block (default {d.num_heads})")
    how = parser.add_argument_group("how to train")
    how.add_argument("--max-iters", type=number(int, 1), metavar="N", help=f"training steps in all (default {d.max_iters}); "
                     "with --resume, a larger number trains on")
    how.add_argument("--batch-size", type=number(int, 1), metavar="B", help=f"windows per step (default {d.batch_size})")
    how.add_argument("--lr", dest="lr_max", type=number(float, 0, inclusive=False), metavar="LR",
                     help=f"peak learning rate; the cosine schedule decays it to a tenth (default {d.lr_max:g})")
    how.add_argument("--warmup-iters", type=number(int, 0), metavar="N", help=f"steps of linear warm-up (default {d.warmup_iters})")
    how.add_argument("--seed", type=int, help=f"seeds the initial weights and the batches (default {d.seed})")
    how.add_argument("--eval-interval", type=number(int, 1), default=100, metavar="N",
                     help="measure the validation loss and save a checkpoint every N steps (default 100)")
    how.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", type=Path, help="folder for the checkpoint, the losses and the plot "
                     "(default runs/<impl>-<data>-<preset>)")
    out.add_argument("--resume", action="store_true", help="continue the run saved in --out from its checkpoint")
    out.add_argument("--samples", type=number(int, 0), default=3, metavar="N", help="texts to generate at the end (default 3)")
    out.add_argument("--sample-length", type=number(int, 1), default=200, metavar="N", help="characters per sample (default 200)")
    out.add_argument("--temperature", type=number(float, 0), default=0.8, metavar="TEMP",
                     help="sampling temperature: lower is safer, higher is wilder, 0 always takes the likeliest (default 0.8)")
    return parser.parse_args(argv)


@dataclass
class Run:
    """What is trained, on what and how: saved as run.json, so that --resume continues the same run."""

    impl: str
    data: str | None  # an absolute path; None for the built-in corpus
    settings: Settings

    def save(self, out: Path) -> None:
        (out / RUN_FILE).write_text(json.dumps({"impl": self.impl, "data": self.data, "settings": asdict(self.settings)}, indent=2) + "\n")

    @classmethod
    def load(cls, out: Path) -> Run:
        if not (out / CHECKPOINT).is_file() or not (out / RUN_FILE).is_file():
            raise BadInput(f"--resume: there is no checkpoint in {shown(out)} to continue; leave out --resume to start afresh "
                           "there, or name the run's folder with --out")
        try:
            saved = json.loads((out / RUN_FILE).read_text())
            settings = Settings(**{**saved["settings"], "betas": tuple(saved["settings"]["betas"])})
            return cls(saved["impl"], saved["data"], settings)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"--resume: {shown(out / RUN_FILE)} is not a run record train.py wrote ({type(exc).__name__}: {exc})") from None


def plan(args: argparse.Namespace) -> tuple[Run, Path]:
    """The run to do and its folder: the flags given, over the resumed run's settings or the defaults."""
    given = {name: getattr(args, name) for name in SETTING_FLAGS if getattr(args, name) is not None}
    if "lr_max" in given:
        given["lr_min"] = given["lr_max"] / 10
    data = str(Path(args.data).resolve()) if args.data else None
    out = args.out or default_out(args)
    if not args.resume:
        return Run(args.impl or "assignment", data, Settings(**given)), out
    previous = Run.load(out)
    for name in MODEL_FLAGS:
        if name in given and given[name] != getattr(previous.settings, name):
            flag = "--" + name.replace("_", "-")
            raise BadInput(f"--resume: the model in {shown(out)} has {flag} {getattr(previous.settings, name)}, not {given[name]}; "
                           f"leave out {flag} (a checkpoint fits only its own model) or start a new run with another --out")
    if args.data and data != previous.data:
        raise BadInput(f"--resume: {shown(out)} was trained on {previous.data or 'the built-in corpus'}; leave out --data "
                       "or start a new run with another --out")
    return Run(args.impl or previous.impl, previous.data, replace(previous.settings, **given)), out


def default_out(args: argparse.Namespace) -> Path:
    impl = Path(args.impl or "assignment").name
    data = Path(args.data).stem if args.data else "builtin"
    return REPO_ROOT / "runs" / f"{impl}-{data}-{args.preset or Settings.preset}"


def shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def pick_device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError:
        raise BadInput(f"--device {name}: not a device torch knows; use cpu, cuda or mps") from None
    usable = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if not usable.get(device.type, False):
        raise BadInput(f"--device {name}: torch {torch.__version__} finds no {device.type} device here; leave out --device to train on the cpu")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise BadInput(f"--device {name}: there are only {torch.cuda.device_count()} CUDA devices")
    return device


def import_impl(spec: str) -> ModuleType:
    try:
        resolved = resolve(spec)
    except ImplNotFound as exc:
        raise BadInput(str(exc)) from None
    try:
        impl = load(resolved)
    except Exception as exc:
        raise LearnerError(f"train.py: could not import {spec}: {type(exc).__name__}: {one_line(str(exc))}") from None
    missing = [name for name in NEEDED if not hasattr(impl, name)]
    if missing:
        raise BadInput(f"--impl {spec} has no {', '.join(missing)}: train.py needs Part 2's model and Part 3's training functions")
    return impl


def explain(exc: BaseException, impl: ModuleType) -> str:
    """What went wrong, in one line, at the innermost place in the trained package (else anywhere)."""
    found = innermost_frame(exc, impl)
    if found is None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{os.path.relpath(frame.filename, REPO_ROOT)}:{frame.lineno}, in {frame.name}"
        return f"train.py: {type(exc).__name__}: {one_line(str(exc))} ({where})"
    root, tb = found
    code = tb.tb_frame.f_code
    where = f"{os.path.relpath(code.co_filename, os.path.dirname(root))}:{tb.tb_lineno}"
    if isinstance(exc, NotImplementedError) and tb.tb_next is None:  # raised right there: a stub
        name = code.co_qualname.split(".")[0]
        part = next((p for p in PARTS if name in p.names), None)
        check = f"test it with `uv run pytest -k {part.test_name}`" if part else "see what else is missing with `uv run python grade.py`"
        return f"train.py needs {name}, which is not implemented yet ({where}, in {code.co_qualname})\nWrite it, then {check}."
    return f"train.py: your {code.co_qualname} raised {type(exc).__name__}: {one_line(str(exc))} ({where})"


@contextmanager
def learner_code(impl: ModuleType):
    """Turns an exception from (or caused by) the trained package's code into a LearnerError."""
    try:
        yield
    except (BadInput, LearnerError):
        raise
    except Exception as exc:
        raise LearnerError(explain(exc, impl)) from None


def tokenizer_for(impl: ModuleType, text: str):
    """The package's CharTokenizer, tried once here so that an unfinished one stops the run before it starts."""
    tokenizer = impl.CharTokenizer(text)
    _ = tokenizer.decode(tokenizer.encode(text[:1])), tokenizer.vocab_size
    return tokenizer


def check_model(impl: ModuleType, settings: Settings, vocab_size: int) -> None:
    try:
        settings.model_config(impl, vocab_size)
    except ValueError as exc:
        raise BadInput(f"bad model settings: {exc}") from None


def token_ids(tokenizer, corpus: Corpus) -> tuple[torch.Tensor, torch.Tensor]:
    """The training and the validation text as 1-D tensors of token ids."""
    return tuple(torch.tensor(tokenizer.encode(text), dtype=torch.long) for text in (corpus.train_text, corpus.validation_text))


class StopRequest:
    """While active, a first Ctrl-C asks training to stop after the current step; a second one interrupts at once."""

    requested = False

    def __enter__(self) -> StopRequest:
        self.previous = signal.signal(signal.SIGINT, self.handle)
        return self

    def handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        signal.signal(signal.SIGINT, self.previous)


class Session:
    """One training run: the trainer, its losses, and the files it keeps up to date in `out`."""

    def __init__(self, impl: ModuleType, run: Run, corpus: Corpus, tokenizer, device: torch.device, out: Path, console, eval_interval: int):
        self.run, self.corpus, self.tokenizer, self.device, self.out, self.console = run, corpus, tokenizer, device, out, console
        self.eval_interval = eval_interval
        self.trainer = Trainer(impl, run.settings, tokenizer.vocab_size, *token_ids(tokenizer, corpus), device)
        self.history = LossHistory()

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def resume(self) -> None:
        self.trainer.resume(str(self.out / CHECKPOINT))
        self.history = LossHistory.read_csv(self.out / LOSSES, up_to=self.trainer.iteration)

    def evaluate(self) -> None:
        """Measure the validation loss, print it next to the floor, save a checkpoint."""
        i, floor = self.trainer.iteration, self.corpus.floor
        self.history.val[i] = val = self.trainer.validation_loss()
        train = f"{self.history.recent_train_loss(i, self.eval_interval):.3f}" if i else "  -  "
        line = f"iter {i:>5}  train {train}  val {val:.3f}"
        if floor is not None:
            line += f"  floor {floor:.3f} (entropy rate {self.corpus.entropy_rate:.3f})  gap {val - floor:.3f}"
        self.console.print(line)
        self.save()

    def save(self) -> None:
        partial = self.out / (CHECKPOINT + ".partial")  # never leave a half-written checkpoint
        self.trainer.save(str(partial))
        os.replace(partial, self.out / CHECKPOINT)
        self.history.write_csv(self.out / LOSSES)

    def train(self) -> bool:
        """Train to max_iters, evaluating every eval_interval steps, then plot; returns whether Ctrl-C stopped it."""
        with StopRequest() as stop:
            self.steps_with_progress_bar(stop)
        if stop.requested:
            self.save()
        self.plot()
        return stop.requested

    def steps_with_progress_bar(self, stop: StopRequest) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        s, trainer = self.settings, self.trainer
        tokens_per_step, steps, seconds = s.batch_size * s.context_length, 0, 0.0  # seconds of stepping, not evaluating
        columns = (TextColumn("iter {task.completed:>5.0f}/{task.total:.0f}"), BarColumn(), TextColumn("loss {task.fields[loss]}"),
                   TextColumn("{task.fields[speed]} tok/s"), TimeRemainingColumn())
        with Progress(*columns, console=self.console) as progress:
            bar = progress.add_task("training", total=s.max_iters, completed=trainer.iteration, loss="  -  ", speed="-")
            while trainer.iteration < s.max_iters and not stop.requested:
                start = time.perf_counter()
                loss, _ = trainer.step()
                steps, seconds = steps + 1, seconds + time.perf_counter() - start
                if not math.isfinite(loss):
                    raise LearnerError(f"train.py: the training loss became {loss} at iter {trainer.iteration}, so training stopped "
                                       f"(the checkpoint in {shown(self.out)} is from before). Check AdamW, clip_grad_norm and "
                                       "the model with their tests, or try a smaller --lr.")
                self.history.train[trainer.iteration] = loss
                recent = self.history.recent_train_loss(trainer.iteration, 20)
                progress.update(bar, completed=trainer.iteration, loss=f"{recent:.3f}", speed=f"{steps * tokens_per_step / seconds:,.0f}")
                if trainer.iteration % self.eval_interval == 0 or trainer.iteration == s.max_iters:
                    self.evaluate()

    def plot(self) -> None:
        s = self.settings
        title = f"{self.run.impl}, {s.preset}: num_layers {s.num_layers}, d_model {s.d_model}, context_length {s.context_length}; {self.corpus.name}"
        self.history.plot(self.out / PLOT, title, self.corpus.floor)

    def samples(self, count: int, length: int, temperature: float) -> list[str]:
        """`count` texts generated from prompts taken from the validation text, each headed by its prompt."""
        if count == 0:
            return []
        prompts = prompts_from(self.corpus.validation_text, count, min(PROMPT_LENGTH, self.settings.context_length))
        torch.manual_seed(self.settings.seed)
        generated = self.trainer.sample(torch.tensor([self.tokenizer.encode(p) for p in prompts]), length, temperature)
        texts = [self.tokenizer.decode(row.tolist()) for row in generated]
        return [f"--- sample {n} (prompt {p!r}, temperature {temperature:g})\n{t}" for n, (p, t) in enumerate(zip(prompts, texts), 1)]

    def describe(self) -> list[str]:
        """What is about to be trained, on what, and how."""
        s, corpus, trainer = self.settings, self.corpus, self.trainer
        parameters = sum(p.numel() for p in trainer.model.parameters())
        lines = [
            (f"model: TransformerLM from {self.run.impl}, {s.preset} preset, num_layers {s.num_layers}, d_model {s.d_model}, "
             f"num_heads {s.num_heads}, context_length {s.context_length}: {parameters:,} parameters"),
            (f"data: {corpus.name}, {len(corpus.train_text):,} characters to train on and {len(corpus.validation_text):,} to "
             f"validate; {trainer.config.vocab_size} distinct characters, one token each"),
        ]
        if corpus.floor is not None:
            lines.append(f"floor: no model can reach a mean loss below {corpus.floor:.3f} on windows of {s.context_length} "
                         f"characters of this text (its entropy rate is {corpus.entropy_rate:.3f} nats/char)")
        lines.append(f"training: {s.max_iters} steps of {s.batch_size} x {s.context_length} tokens, lr {s.lr_max:g} to {s.lr_min:g}, "
                     f"on {self.device}, writing to {shown(self.out)}/")
        if trainer.iteration:
            lines.append(f"resuming at iter {trainer.iteration}")
        if trainer.iteration >= s.max_iters:
            lines.append(f"this run has had its {s.max_iters} steps; give a larger --max-iters to train on")
        return lines

    def summary(self) -> list[str]:
        i, floor = self.trainer.iteration, self.corpus.floor
        lines = []
        if i in self.history.val:
            gap = f", {self.history.val[i] - floor:.3f} above the floor of {floor:.3f}" if floor is not None else ""
            lines.append(f"done: validation loss {self.history.val[i]:.3f} after {i} steps{gap}")
        written = [name for name in (CHECKPOINT, RUN_FILE, LOSSES, PLOT, SAMPLES) if (self.out / name).exists()]
        return lines + [f"wrote {shown(self.out)}/: {', '.join(written)}"]


def prompts_from(text: str, count: int, length: int) -> list[str]:
    """`count` slices of `text`, `length` characters each, spread over it, each starting after a space if one is near."""
    last_start = len(text) - length
    prompts = []
    for n in range(count):
        start = n * last_start // count
        space = text.find(" ", start, start + length)
        if 0 <= space < last_start:
            start = space + 1
        prompts.append(text[start : start + length])
    return prompts


def prepare_out(out: Path, resume: bool) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create that folder ({exc.strerror})") from None
    if not resume:  # a fresh run replaces whatever an earlier one left there
        for name in (CHECKPOINT, LOSSES, PLOT, SAMPLES):
            (out / name).unlink(missing_ok=True)


def train(args: argparse.Namespace) -> int:
    from rich.console import Console

    run, out = plan(args)
    s = run.settings
    corpus = from_file(args.data or run.data, s.context_length) if run.data else builtin(s.context_length)
    device = pick_device(args.device)
    impl = import_impl(run.impl)
    console = Console(markup=False, emoji=False, highlight=False, soft_wrap=True)  # text from files is printed as it is
    with learner_code(impl):
        tokenizer = tokenizer_for(impl, corpus.vocabulary_text)
        vocab_size = tokenizer.vocab_size
    check_model(impl, s, vocab_size)
    prepare_out(out, args.resume)
    with learner_code(impl):
        session = Session(impl, run, corpus, tokenizer, device, out, console, args.eval_interval)
        if args.resume:
            session.resume()
        run.save(out)
        for line in session.describe():
            console.print(line)
        if not args.resume:
            session.evaluate()  # the untrained model: about ln(vocabulary size)
        if session.train():
            console.print(f"stopped at iter {session.trainer.iteration}: checkpoint saved; continue with "
                          f"`uv run python train.py --out {shown(out)} --resume`")
            return 130
        samples = session.samples(args.samples, args.sample_length, args.temperature)
    (out / SAMPLES).write_text("\n\n".join(samples) + "\n")
    for line in samples + session.summary():
        console.print(line)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        return train(args)
    except BadInput as exc:
        print(f"train.py: {exc}", file=sys.stderr)
        return 2
    except LearnerError as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("train.py: interrupted", file=sys.stderr)
        return 130
