"""The training loop, written once against the public names of an implementation package.

train.py, the benchmark and the grader's end-to-end case all drive a Trainer; what it calls
(TransformerLM, AdamW, get_batch, cosine_lr_schedule, clip_grad_norm, estimate_loss,
save_checkpoint, load_checkpoint, generate) comes from the package it is given, so a learner
trains their own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import IO

import torch


@dataclass
class Settings:
    """The model's sizes and the run's hyperparameters (defaults: the README's training run)."""

    preset: str = "llama"
    context_length: int = 64
    d_model: int = 128
    num_layers: int = 2
    num_heads: int = 4
    batch_size: int = 32
    max_iters: int = 1000
    lr_max: float = 3e-3
    lr_min: float = 3e-4
    warmup_iters: int = 50
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = 1.0
    eval_iters: int = 10
    seed: int = 0

    def model_config(self, impl: ModuleType, vocab_size: int):
        sizes = {k: getattr(self, k) for k in ("context_length", "d_model", "num_layers", "num_heads")}
        return impl.TransformerConfig.preset(self.preset, vocab_size=vocab_size, **sizes)


class Trainer:
    """A TransformerLM from `impl`, its AdamW, and one seeded stream of training batches."""

    def __init__(self, impl: ModuleType, settings: Settings, vocab_size: int, train_data: torch.Tensor,
                 val_data: torch.Tensor, device: str | torch.device = "cpu"):
        self.impl, self.settings, self.device = impl, settings, torch.device(device)
        self.train_data, self.val_data = train_data, val_data
        torch.manual_seed(settings.seed)
        self.config = settings.model_config(impl, vocab_size)
        self.model = impl.TransformerLM(self.config, device=self.device)
        # Decay the matrices (weights and embeddings), not the norms' gains or the biases.
        params = [p for p in self.model.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": settings.weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        self.optimizer = impl.AdamW(groups, lr=settings.lr_max, betas=settings.betas)
        self.iteration = 0

    @property
    def learning_rate(self) -> float:
        s = self.settings
        return self.impl.cosine_lr_schedule(self.iteration, s.lr_max, s.lr_min, s.warmup_iters, s.max_iters)

    def step(self) -> tuple[float, float]:
        """One optimizer step on a fresh batch; returns (training loss, gradient norm before clipping)."""
        s = self.settings
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate
        batch = torch.Generator().manual_seed(s.seed * 1_000_003 + self.iteration)  # a function of the iteration alone
        inputs, targets = self.impl.get_batch(self.train_data, s.batch_size, s.context_length, self.device, batch)
        _, loss = self.model(inputs, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = self.impl.clip_grad_norm(self.model.parameters(), s.grad_clip)
        self.optimizer.step()
        self.iteration += 1
        return loss.item(), float(norm)

    def validation_loss(self, seed: int = 1234) -> float:
        """Mean loss over the same `eval_iters` validation batches every time."""
        s = self.settings
        batches = torch.Generator().manual_seed(seed)
        return self.impl.estimate_loss(self.model, self.val_data, s.batch_size, s.context_length, s.eval_iters,
                                       self.device, batches)

    def save(self, out: str | IO[bytes]) -> None:
        self.impl.save_checkpoint(out, self.model, self.optimizer, self.iteration)

    def resume(self, src: str | IO[bytes]) -> None:
        """Load a checkpoint. Each batch depends only on the iteration, so the run goes on as if never stopped."""
        self.iteration = self.impl.load_checkpoint(src, self.model, self.optimizer)

    def sample(self, prompt: torch.Tensor, max_new_tokens: int, temperature: float = 0.8,
               top_k: int | None = None) -> torch.Tensor:
        was_training = self.model.training
        self.model.eval()
        prompt = prompt.to(self.device)
        out = self.impl.generate(self.model, prompt, max_new_tokens, temperature=temperature, top_k=top_k)
        self.model.train(was_training)
        return out
