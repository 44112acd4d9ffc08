"""Small stand-in models that Part 3's cases hand to the learner's training functions, so that checkpoints,
estimate_loss and generate are judged apart from the learner's own TransformerLM."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from torch import nn

GEN_CONTEXT, GEN_VOCAB = 8, 12


def tiny_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def train_steps(model, opt, x, y, steps):
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()



class LossRecorder(nn.Module):
    """A stand-in model: its loss depends on the batch, and it notes how each call was made."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.01))
        self.dropout = nn.Dropout(0.5)
        self.calls: list[dict] = []

    def forward(self, idx, targets=None):
        loss = self.scale * (idx.float().mean() + targets.float().mean())
        self.calls.append({"training": self.training, "grad": torch.is_grad_enabled(), "loss": loss.item()})
        return idx.float(), loss


class BigramRecorder(nn.Module):
    """A stand-in model: its next-token logits depend on the last token only; it keeps every input."""

    def __init__(self, table):
        super().__init__()
        self.config = SimpleNamespace(context_length=GEN_CONTEXT, vocab_size=GEN_VOCAB)
        self.table = table
        self.inputs: list[torch.Tensor] = []

    def forward(self, idx):
        self.inputs.append(idx.clone())
        return self.table[idx]  # (B, T, V)
