"""One training run as train.py shows it: the progress bar, evaluations, checkpoints, the plot and the samples."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from types import ModuleType

import torch

from .data import Corpus, token_ids
from .history import LossHistory
from .interrupt import StopRequest
from .loop import Settings, Trainer
from .package import LearnerError, is_reference
from .progress import RUNNING_MEAN, Status, progress_display
from .runs import CHECKPOINT, LOSSES, PLOT, RUN_FILE, SAMPLES, Run, shown

PROMPT_LENGTH = 16


class Session:
    """One training run: the trainer, its losses, and the files it keeps up to date in `out`."""

    def __init__(self, impl: ModuleType, run: Run, corpus: Corpus, tokenizer, device: torch.device, out: Path,
                 console):
        self.run, self.corpus, self.tokenizer, self.device = run, corpus, tokenizer, device
        self.out, self.console = out, console
        self.eval_interval = run.reporting.eval_interval
        self.trainer = Trainer(impl, run.settings, tokenizer.vocab_size, *token_ids(tokenizer, corpus), device)
        self.history = LossHistory()

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def resume(self) -> None:
        """Go on from the checkpoint, with the losses recorded up to it (later ones are of steps taken again)."""
        self.trainer.resume(str(self.out / CHECKPOINT))
        self.history = LossHistory.read_csv(self.out / LOSSES, up_to=self.trainer.iteration)
        self.history.write_csv(self.out / LOSSES)  # so that losses.csv always ends where the checkpoint is

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
            self.steps_with_progress(stop)
        if stop.requested:
            self.save()
        self.plot()
        return stop.requested

    def steps_with_progress(self, stop: StopRequest) -> None:
        s, trainer = self.settings, self.trainer
        tokens_per_step = s.batch_size * s.context_length
        steps, seconds = 0, 0.0  # seconds of stepping, not evaluating
        with progress_display(self.console, self.status(speed="-")) as progress:
            while trainer.iteration < s.max_iters and not stop.requested:
                start = time.perf_counter()
                loss, _ = trainer.step()
                steps, seconds = steps + 1, seconds + time.perf_counter() - start
                if not math.isfinite(loss):
                    raise LearnerError(self.diverged(loss))
                self.history.train[trainer.iteration] = loss
                progress.show(self.status(speed=f"{steps * tokens_per_step / seconds:,.0f}"))
                if trainer.iteration % self.eval_interval == 0 or trainer.iteration == s.max_iters:
                    self.evaluate()

    def diverged(self, loss: float) -> str:
        """The message for a training loss that is no longer a number."""
        advice = ("Try a smaller --lr." if is_reference(self.trainer.impl)
                  else "Check AdamW, clip_grad_norm and the model with their tests, or try a smaller --lr.")
        return (f"train.py: the training loss became {loss} at iter {self.trainer.iteration}, so training stopped "
                f"(the checkpoint in {shown(self.out)} is from before). {advice}")

    def status(self, speed: str) -> Status:
        """Where training stands, for the progress display. After --resume, the running training loss goes on
        from the steps recorded before the checkpoint."""
        losses = self.history.recent_train_losses(self.trainer.iteration, RUNNING_MEAN)
        n = len(losses)
        loss = f"{sum(losses) / n:.3f} (mean of last {n} step{'s' if n > 1 else ''})" if losses else "  -  "
        return Status(self.trainer.iteration, self.settings.max_iters, loss, speed)

    def plot(self) -> None:
        s = self.settings
        title = (f"{self.run.impl}, {s.preset}: num_layers {s.num_layers}, d_model {s.d_model}, "
                 f"context_length {s.context_length}; {self.corpus.name}")
        self.history.plot(self.out / PLOT, title, self.floors())

    def floors(self) -> dict[str, float]:
        """The corpus's floors, when known, by the label the plot gives them."""
        corpus, floors = self.corpus, {}
        if corpus.floor is not None:
            floors[f"window floor {corpus.floor:.3f}: the best mean loss over windows of "
                   f"{self.settings.context_length} characters"] = corpus.floor
        if corpus.entropy_rate is not None:
            floors[f"entropy rate {corpus.entropy_rate:.3f}: the best with unlimited context"] = corpus.entropy_rate
        return floors

    def samples(self) -> list[str]:
        """Texts generated from prompts taken from the validation text, each headed by its prompt."""
        r = self.run.reporting
        count, length, temperature = r.samples, r.sample_length, r.temperature
        if count == 0:
            return []
        prompts = prompts_from(self.corpus.validation_text, count, min(PROMPT_LENGTH, self.settings.context_length))
        torch.manual_seed(self.settings.seed)
        generated = self.trainer.sample(torch.tensor([self.tokenizer.encode(p) for p in prompts]), length, temperature)
        texts = [self.tokenizer.decode(row.tolist()) for row in generated]
        return [f"--- sample {n} (prompt {p!r}, temperature {temperature:g})\n{t}"
                for n, (p, t) in enumerate(zip(prompts, texts), 1)]

    def describe(self) -> list[str]:
        """What is about to be trained, on what, and how."""
        s, corpus, trainer = self.settings, self.corpus, self.trainer
        parameters = sum(p.numel() for p in trainer.model.parameters())
        lines = [
            (f"model: TransformerLM from {self.run.impl}, {s.preset} preset, num_layers {s.num_layers}, "
             f"d_model {s.d_model}, num_heads {s.num_heads}, context_length {s.context_length}: "
             f"{parameters:,} parameters"),
            (f"data: {corpus.name}, {len(corpus.train_text):,} characters to train on and "
             f"{len(corpus.validation_text):,} to validate; {trainer.config.vocab_size} distinct characters, "
             "one token each"),
        ]
        if corpus.floor is not None:
            lines.append(f"floor: no model can reach a mean loss below {corpus.floor:.3f} on windows of "
                         f"{s.context_length} characters of this text (its entropy rate is "
                         f"{corpus.entropy_rate:.3f} nats/char)")
        lines.append(f"training: {s.max_iters} steps of {s.batch_size} x {s.context_length} tokens, "
                     f"lr {s.lr_max:g} to {s.lr_min:g}, on {self.device}, writing to {shown(self.out)}/")
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
    """`count` slices of `text`, `length` characters each, spread over it, each after a space if one is near."""
    last_start = len(text) - length
    prompts = []
    for n in range(count):
        start = n * last_start // count
        space = text.find(" ", start, start + length)
        if 0 <= space < last_start:
            start = space + 1
        prompts.append(text[start : start + length])
    return prompts
