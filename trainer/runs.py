"""A run's folder and its record: what is trained, on what and how (run.json), and the rules of --resume."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from course import REPO_ROOT

from .data import BadInput
from .loop import Settings

RUN_FILE, CHECKPOINT, LOSSES = "run.json", "checkpoint.pt", "losses.csv"
PLOT, SAMPLES = "loss_curve.png", "samples.txt"
SETTING_FLAGS = ("preset", "context_length", "d_model", "num_layers", "num_heads", "max_iters", "batch_size", "lr_max",
                 "warmup_iters", "seed")
# A checkpoint fits only its own model, so a resumed run keeps these.
MODEL_FLAGS = ("preset", "context_length", "d_model", "num_layers", "num_heads")


@dataclass
class Reporting:
    """How a run reports as it goes: how often it evaluates (and saves a checkpoint), and the texts it samples."""

    eval_interval: int = 100
    samples: int = 3
    sample_length: int = 200
    temperature: float = 0.8


REPORTING_FLAGS = tuple(f.name for f in fields(Reporting))


@dataclass
class Run:
    """What is trained, on what and how: saved as run.json, so that --resume continues the same run.

    Every flag is saved but --device (where to train, not what) and --out (the run's folder).
    """

    impl: str
    data: str | None  # an absolute path; None for the built-in corpus
    settings: Settings
    reporting: Reporting = field(default_factory=Reporting)

    def save(self, out: Path) -> None:
        record = {"impl": self.impl, "data": self.data, "settings": asdict(self.settings),
                  "reporting": asdict(self.reporting)}
        (out / RUN_FILE).write_text(json.dumps(record, indent=2) + "\n")

    @classmethod
    def load(cls, out: Path) -> Run:
        if not (out / CHECKPOINT).is_file() or not (out / RUN_FILE).is_file():
            raise BadInput(f"--resume: there is no checkpoint in {shown(out)} to continue; leave out --resume to "
                           "start afresh there, or name the run's folder with --out")
        try:
            saved = json.loads((out / RUN_FILE).read_text())
            settings = Settings(**{**saved["settings"], "betas": tuple(saved["settings"]["betas"])})
            reporting = Reporting(**saved.get("reporting", {}))  # a run saved before it was recorded: the defaults
            return cls(saved["impl"], saved["data"], settings, reporting)
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"--resume: {shown(out / RUN_FILE)} is not a run record train.py wrote "
                           f"({type(exc).__name__}: {exc})") from None


def plan(args: argparse.Namespace) -> tuple[Run, Path]:
    """The run to do and its folder: the flags given, over the resumed run's settings or the defaults."""
    given, reporting = flags_given(args, SETTING_FLAGS), flags_given(args, REPORTING_FLAGS)
    if "lr_max" in given:
        given["lr_min"] = given["lr_max"] / 10
    data = str(Path(args.data).resolve()) if args.data else None
    out = args.out or default_out(args)
    if not args.resume:
        if (out / CHECKPOINT).is_file() and not args.force:
            raise BadInput(f"{shown(out)} holds a run with a checkpoint; add --resume to continue it, or --force to "
                           "start afresh and replace it (or name another folder with --out)")
        return Run(args.impl or "assignment", data, Settings(**given), Reporting(**reporting)), out
    previous = Run.load(out)
    for name in MODEL_FLAGS:
        if name in given and given[name] != getattr(previous.settings, name):
            flag = "--" + name.replace("_", "-")
            raise BadInput(f"--resume: the model in {shown(out)} has {flag} {getattr(previous.settings, name)}, not "
                           f"{given[name]}; leave out {flag} (a checkpoint fits only its own model) or start a new "
                           "run with another --out")
    if args.data and data != previous.data:
        raise BadInput(f"--resume: {shown(out)} was trained on {previous.data or 'the built-in corpus'}; leave out "
                       "--data or start a new run with another --out")
    run = Run(args.impl or previous.impl, previous.data, replace(previous.settings, **given),
              replace(previous.reporting, **reporting))
    return run, out


def flags_given(args: argparse.Namespace, names: tuple[str, ...]) -> dict:
    """The flags among `names` given on the command line (those left out are None)."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def default_out(args: argparse.Namespace) -> Path:
    impl = Path(args.impl or "assignment").name
    data = Path(args.data).stem if args.data else "builtin"
    return REPO_ROOT / "runs" / f"{impl}-{data}-{args.preset or Settings.preset}"


def prepare_out(out: Path, resume: bool) -> None:
    """Create the run's folder; a fresh run (with --force, when there was one) removes what an earlier one left."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create that folder ({exc.strerror})") from None
    if not resume:
        for name in (CHECKPOINT, LOSSES, PLOT, SAMPLES):
            (out / name).unlink(missing_ok=True)


def shown(path: Path) -> str:
    """`path` relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
