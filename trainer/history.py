"""The losses of a run: kept as a CSV (one row per iteration) and drawn as a PNG."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("iteration", "train_loss", "val_loss")
CUT_ABOVE_FLOOR = 0.5  # nats: how far above the highest floor the plot's y-axis goes


@dataclass
class LossHistory:
    """Losses by iteration: `train[i]` is the loss of step i (1, 2, ...), `val[i]` the model's after i steps."""

    train: dict[int, float] = field(default_factory=dict)
    val: dict[int, float] = field(default_factory=dict)

    def recent_train_loss(self, iteration: int, span: int) -> float:
        """The mean training loss of the `span` steps up to `iteration` (those recorded)."""
        losses = self.recent_train_losses(iteration, span)
        return sum(losses) / len(losses) if losses else math.nan

    def recent_train_losses(self, iteration: int, span: int) -> list[float]:
        """The training losses recorded for the `span` steps up to `iteration`."""
        return [self.train[i] for i in range(iteration - span + 1, iteration + 1) if i in self.train]

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(COLUMNS)
            for i in sorted(self.train.keys() | self.val.keys()):
                writer.writerow([i, *(f"{d[i]:.6f}" if i in d else "" for d in (self.train, self.val))])

    @classmethod
    def read_csv(cls, path: Path, up_to: int) -> LossHistory:
        """The losses of iterations 0..up_to (those after a checkpoint belong to steps that are taken again)."""
        history = cls()
        if path.is_file():
            with path.open(newline="") as f:
                for row in csv.DictReader(f):
                    i = int(row["iteration"])
                    for d, column in ((history.train, "train_loss"), (history.val, "val_loss")):
                        if i <= up_to and row[column]:
                            d[i] = float(row[column])
        return history

    def plot(self, path: Path, title: str, floors: dict[str, float] | None = None) -> None:
        """Training and validation loss against iteration, with each floor (by its label) as a horizontal line.

        With floors, the y-axis is linear and cut at CUT_ABOVE_FLOOR nats above the highest one (or
        a quarter above the latest validation loss while that is higher), so that the approach to
        them fills the plot rather than the first steps' losses (about ln(vocabulary size), 3.4 on
        the built-in corpus); a note under the plot says so. Without floors, a log axis shows every
        loss.
        """
        import matplotlib

        matplotlib.use("Agg")  # files only, no window
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FormatStrFormatter

        fig, ax = plt.subplots(figsize=(8, 5))
        if self.train:
            ax.plot(*zip(*sorted(self.train.items())), color="tab:blue", alpha=0.5, linewidth=1,
                    label="training loss (one batch)")
        if self.val:
            ax.plot(*zip(*sorted(self.val.items())), "o-", color="tab:orange", markersize=3, label="validation loss")
        for (label, floor), style in zip((floors or {}).items(), ("--", ":")):
            ax.axhline(floor, color="black", linestyle=style, linewidth=1, label=label)
        ax.set(title=title, xlabel="iteration", ylabel="loss (nats per character)")
        if floors:
            bottom, top = self.y_range(floors.values())
            ax.set_ylim(bottom, top)
            highest = max([*self.train.values(), *self.val.values()], default=top)
            if highest > top:
                fig.text(0.01, 0.01, f"The y-axis is cut at {top:.2f} to show the approach to the floors; the "
                         f"highest loss, {highest:.2f}, is off the top.", fontsize=8, color="dimgray")
        else:
            ax.set_yscale("log")
            for set_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
                set_formatter(FormatStrFormatter("%g"))  # 0.6, 0.7, ..., 1, 2, 3 rather than powers of ten
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="best")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)

    def y_range(self, floors) -> tuple[float, float]:
        """The plot's y-axis with floors: from a little below the lowest floor (or loss) to CUT_ABOVE_FLOOR above
        the highest floor, or a quarter above the latest validation loss while that is higher, or to the highest
        loss when that is lower."""
        losses = [*self.train.values(), *self.val.values()]
        latest_val = self.val[max(self.val)] if self.val else 0.0
        top = min(max(max(floors) + CUT_ABOVE_FLOOR, 1.25 * latest_val), max(losses, default=math.inf))
        bottom = min(*floors, *losses)
        return bottom - 0.05 * (top - bottom), top
