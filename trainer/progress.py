"""What train.py shows between its evaluation lines: a live bar in a terminal, plain lines anywhere else.

Without a terminal (CI, a notebook, `| tee`) a bar cannot redraw itself and would stay silent
for minutes, so a plain line is printed every PLAIN_EVERY_SECONDS seconds instead, and once
more when training stops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from rich.progress import Progress, ProgressColumn, Task
from rich.text import Text

PLAIN_EVERY_SECONDS = 10.0
RUNNING_MEAN = 20  # steps: the progress shows the mean training loss of the last so many, one batch being noisy
BAR_WIDTH = 30  # characters: with the rest of its line, the bar fits an 80-column terminal


@dataclass
class Status:
    """Where training stands."""

    iteration: int
    total: int  # iterations in all
    loss: str  # the running training loss and what it averages, e.g. "0.612 (mean of last 20 steps)"
    speed: str  # tokens per second of training steps (evaluations not counted)


def progress_display(console, status: Status) -> TerminalBar | PlainLines:
    """A live bar when the console is a terminal, plain lines otherwise; use it as a context manager."""
    return TerminalBar(console, status) if console.is_terminal else PlainLines(console, status)


class TerminalBar:
    """Two lines redrawn in place:

        iter   120/1000 ━━━━──────────────────────────  0:00:10 elapsed, 0:01:13 left
        train loss 1.234 (mean of last 20 steps)  35,123 tok/s
    """

    def __init__(self, console, status: Status):
        self.progress = Progress(TwoLines(), console=console)
        self.task = self.progress.add_task("training", total=status.total, completed=status.iteration,
                                           loss=status.loss, speed=status.speed)

    def __enter__(self) -> TerminalBar:
        self.progress.start()
        return self

    def show(self, status: Status) -> None:
        self.progress.update(self.task, completed=status.iteration, loss=status.loss, speed=status.speed)

    def __exit__(self, *exc) -> None:
        self.progress.stop()


class TwoLines(ProgressColumn):
    """TerminalBar's text, drawn anew at every refresh (so the elapsed time ticks on during an evaluation)."""

    def render(self, task: Task) -> Text:
        done = round(BAR_WIDTH * task.completed / task.total) if task.total else BAR_WIDTH
        return Text.assemble(
            f"iter {task.completed:>5.0f}/{task.total:.0f} ",
            ("━" * done, "bar.finished"), ("─" * (BAR_WIDTH - done), "bar.back"),  # told apart without colour too
            f"  {clock(task.elapsed)} elapsed, {clock(task.time_remaining)} left\n",
            f"train loss {task.fields['loss']}  {task.fields['speed']} tok/s",
        )


class PlainLines:
    """A line such as `iter   120/1000  train loss 1.234 (mean of last 20 steps)  35,123 tok/s  0:00:10 elapsed`
    every PLAIN_EVERY_SECONDS seconds, and one where training stops."""

    def __init__(self, console, status: Status):
        self.console, self.started = console, time.perf_counter()
        self.last_line, self.unshown = self.started, None

    def __enter__(self) -> PlainLines:
        return self

    def show(self, status: Status) -> None:
        self.unshown = status
        if time.perf_counter() - self.last_line >= PLAIN_EVERY_SECONDS:
            self.print(status)

    def print(self, status: Status) -> None:
        self.last_line, self.unshown = time.perf_counter(), None
        self.console.print(f"iter {status.iteration:>5}/{status.total}  train loss {status.loss}  "
                           f"{status.speed} tok/s  {clock(self.last_line - self.started)} elapsed")

    def __exit__(self, exc_type, *exc) -> None:
        if self.unshown is not None and exc_type is None:  # where training stopped, unless it failed
            self.print(self.unshown)


def clock(seconds: float | None) -> str:
    """`seconds` as h:mm:ss, or -:--:-- while not known."""
    return "-:--:--" if seconds is None else str(timedelta(seconds=round(seconds)))
