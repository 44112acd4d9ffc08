"""The losses of a run: kept as a CSV (one row per iteration) and drawn as a PNG."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("iteration", "train_loss", "val_loss")


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

    def plot(self, path: Path, title: str, floor: float | None = None) -> None:
        """Training and validation loss against iteration, with the floor as a dashed line."""
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
        if floor is not None:
            ax.axhline(floor, color="black", linestyle="--", linewidth=1,
                       label=f"floor {floor:.3f}: the best any model can do")
        ax.set(title=title, xlabel="iteration", ylabel="loss (nats per character)", yscale="log")
        for set_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
            set_formatter(FormatStrFormatter("%g"))  # 0.6, 0.7, ..., 1, 2, 3 rather than powers of ten
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
