"""The README's measured figures: what tools/benchmark.py measured, as the markdown that stands in README.md
between `<!-- bench:NAME -->` and `<!-- /bench -->`, one block per group of measurements.

A measurement belongs to the machine it was made on, so every block ends with a line naming that machine
(its cores, torch's version, the day, the load average when the benchmark started). `python -m tools.benchmark
GROUP --readme` rewrites the blocks of the groups it measured and leaves the rest of README.md as it is.
"""

from __future__ import annotations

import datetime
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from grader.batch import cores

from .readme_figures import MARKED, fill

BLOCKS = ("startup", "ops", "training", "batch")  # one block per group, named after it


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Machine:
    """Where and when a group was measured."""

    cores: int
    cpu: str
    torch: str
    day: str
    load: float  # the one-minute load average as the benchmark started: the other work on the machine
    threads: str = ""  # OMP_NUM_THREADS, when it was set

    @classmethod
    def now(cls) -> Machine:
        return cls(cores(), cpu_model(), metadata.version("torch"), datetime.date.today().isoformat(),
                   os.getloadavg()[0], os.environ.get("OMP_NUM_THREADS", ""))

    def line(self) -> str:
        threads = f", OMP_NUM_THREADS={self.threads}" if self.threads else ""
        return (f"Measured on {self.cores} cores ({self.cpu}), torch {self.torch}{threads}, on {self.day}, "
                f"load average {self.load:.2f} as the benchmark started.")


def counted(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def aim(value: float, most: float, unit: str = "x") -> str:
    """The aim, and whether the figure missed it."""
    return f"≤ {most:g}{unit}" + ("" if value <= most else ": missed")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


# -- the groups' results and their blocks ------------------------------------------------------------------


@dataclass
class Timed:
    label: str  # markdown
    seconds: float
    aim: float  # the most it may take, as a multiple of the bare import of torch


@dataclass
class Startup:
    machine: Machine
    repeats: int
    base: float  # seconds of `python -c "import torch"`
    rows: list[Timed]

    def blocks(self) -> dict[str, str]:
        rows = [['`python -c "import torch"`', f"{self.base:.2f}", "1.00x", ""]]
        rows += [[r.label, f"{r.seconds:.2f}", f"{r.seconds / self.base:.2f}x", aim(r.seconds / self.base, r.aim)]
                 for r in self.rows]
        text = table(["command", "seconds", 'vs `python -c "import torch"`', "aim"], rows)
        how = f"Median of {counted(self.repeats, 'run')}, after a warm-up run."
        return {"startup": f"{text}\n\n{how} {self.machine.line()}"}


@dataclass
class Compared:
    label: str  # markdown
    ours: float  # seconds per call
    theirs: float
    aim: float  # the most `ours / theirs` may be


@dataclass
class Ops:
    machine: Machine
    shape: str  # "batch 8, 256 tokens, ..."
    threads: int  # torch's
    repeats: int
    min_time: tuple[float, float]  # seconds each timing lasts at least: an operation's, a training step's
    rows: list[Compared]
    step: Compared  # a whole training step

    def blocks(self) -> dict[str, str]:
        rows = [[r.label, f"{r.ours * 1e3:.1f} ms", f"{r.theirs * 1e3:.1f} ms", f"{r.ours / r.theirs:.2f}x",
                 aim(r.ours / r.theirs, r.aim)] for r in [*self.rows, self.step]]
        text = table(["", "reference", "torch", "ratio", "aim"], rows)
        how = (f"Forward + backward at {self.shape}, and a training step with AdamW; each the best of "
               f"{counted(self.repeats, 'timing')}, a timing the mean over calls for at least {self.min_time[0]:g} s "
               f"({self.min_time[1]:g} s for the step); {counted(self.threads, 'torch thread')}.")
        return {"ops": f"{how}\n\n{text}\n\n{self.machine.line()}"}


@dataclass
class Floor:
    label: str  # "the window floor, 0.515"
    iterations: int | None  # None: not reached
    seconds: float | None


@dataclass
class Training:
    machine: Machine
    settings: str  # train.py's defaults, in words
    within: float  # nats per character above a floor that counts as reaching it
    aim_seconds: float
    cap: int  # the iterations after which a floor not reached is given up
    floors: list[Floor]
    ours: float  # tokens per second of the training loop: the reference's
    theirs: float  # the same loop with the torch.nn model and torch.optim.AdamW

    def blocks(self) -> dict[str, str]:
        rows = []
        for f in self.floors:
            figures = ([f"{f.iterations}", f"{f.seconds:.1f}", aim(f.seconds, self.aim_seconds, " s")]
                       if f.iterations is not None and f.seconds is not None else
                       [f"not after {self.cap}", "", f"≤ {self.aim_seconds:g} s: missed"])
            rows.append([f"within {self.within:g} of {f.label}", *figures])
        floors = table(["validation loss", "iterations", "seconds", "aim"], rows)
        loop = table(["training loop", "tokens/s"], [
            ["reference (its TransformerLM and AdamW)", f"{self.ours:,.0f}"],
            ["the same loop with the torch.nn model and `torch.optim.AdamW`",
             f"{self.theirs:,.0f} (the reference takes {self.theirs / self.ours:.2f}x its time)"]])
        intro = f"With train.py's defaults ({self.settings}):"
        return {"training": f"{intro}\n\n{floors}\n\n{loop}\n\n{self.machine.line()}"}


@dataclass
class BatchRun:
    jobs: int
    seconds: float  # the whole command, wall-clock


@dataclass
class Batch:
    machine: Machine
    copies: int
    runs: list[BatchRun] = field(default_factory=list)

    def blocks(self) -> dict[str, str]:
        rows = []
        for run in self.runs:
            rate = self.copies / run.seconds * 60
            jobs = f"{run.jobs}" + (" (one per core)" if run.jobs == self.machine.cores > 1 else "")
            rows.append([jobs, f"{run.seconds:.1f}", f"{rate:.1f}", f"{rate / run.jobs:.1f}"])
        text = table(["`--jobs`", f"seconds for {self.copies}", "submissions per minute", "per minute per core"], rows)
        return {"batch": f"{text}\n\n{self.machine.line()}"}


def write_readme(readme: Path, results: list) -> list[str]:
    """Rewrite the README's blocks of `results` (the groups measured), nothing else; the names written."""
    figures = {name: (lambda body=body: body) for result in results for name, body in result.blocks().items()}
    text = readme.read_text()
    written, unknown = fill(text, "bench", figures)
    stray = [name for name in unknown if name not in BLOCKS]
    if stray:
        raise SystemExit(f"README.md marks bench figures the benchmark does not measure: {', '.join(stray)}")
    if written != text:
        readme.write_text(written)
    marked = {m["name"] for m in MARKED.finditer(text) if m["owner"] == "bench"}
    return [name for name in figures if name in marked]
