"""Part 3: tokenizer, batches, optimizer, schedule, clipping, checkpoints, evaluation, sampling."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import IO, Any, Final, TypedDict

import numpy as np
import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor, nn

from .blocks import softmax

DEFAULT_LR: Final[float] = 1e-3
DEFAULT_BETAS: Final[tuple[float, float]] = (0.9, 0.999)
DEFAULT_EPS: Final[float] = 1e-8
DEFAULT_WEIGHT_DECAY: Final[float] = 0.01
GREEDY: Final[float] = 0.0
"""A temperature of 0 means: always take the most likely token."""


class CharTokenizer:
    """One token per distinct character; ids are indices into the sorted characters."""

    chars: list[str]
    _ids: dict[str, int]

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self._ids = {character: index for index, character in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def id_of(self, character: str) -> int:
        """The id of one character; a ValueError names any character the tokenizer never saw."""
        index: int | None = self._ids.get(character)
        if index is None:
            raise ValueError(f"character {character!r} is not in the vocabulary")
        return index

    def encode(self, text: str) -> list[int]:
        return [self.id_of(character) for character in text]

    def decode(self, ids: Iterable[int] | Int[Tensor, " n"]) -> str:
        as_ints: list[int] = ids.tolist() if isinstance(ids, Tensor) else [int(i) for i in ids]
        return "".join(self.chars[i] for i in as_ints)


def get_batch(
    data: Int[Tensor, " N"] | np.ndarray,
    batch_size: int,
    context_length: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> tuple[Int[Tensor, "B T"], Int[Tensor, "B T"]]:
    """batch_size random windows and their targets, one token later."""
    tokens: Int[Tensor, " N"] = torch.as_tensor(data)
    n_tokens: int = tokens.shape[0]
    if n_tokens <= context_length:
        raise ValueError(f"cannot take a window of {context_length} tokens plus a target from {n_tokens} tokens")
    # Every window of T + 1 tokens, as a view: row s is tokens[s : s + T + 1], s = 0 .. N - T - 1.
    all_windows: Int[Tensor, "starts T_plus_1"] = tokens.unfold(0, context_length + 1, 1)
    starts: Int[Tensor, " B"] = torch.randint(0, all_windows.shape[0], (batch_size,), generator=generator)
    chosen: Int[Tensor, "B T_plus_1"] = all_windows[starts].to(device=device, dtype=torch.long)
    return chosen[:, :-1], chosen[:, 1:]


class AdamW(torch.optim.Optimizer):
    """Adam with decoupled weight decay; the step count is kept per parameter, as a tensor."""

    def __init__(
        self,
        params: Iterable[nn.Parameter] | Iterable[dict[str, Any]],
        lr: float = DEFAULT_LR,
        betas: tuple[float, float] = DEFAULT_BETAS,
        eps: float = DEFAULT_EPS,
        weight_decay: float = DEFAULT_WEIGHT_DECAY,
    ) -> None:
        defaults: dict[str, Any] = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @staticmethod
    def update(
        p: Float[Tensor, "*shape"],
        grad: Float[Tensor, "*shape"],
        state: dict[str, Tensor],
        lr: float,
        betas: tuple[float, float],
        eps: float,
        weight_decay: float,
    ) -> None:
        """One AdamW step for one parameter, in place."""
        beta1, beta2 = betas
        if not state:
            state["step"] = torch.tensor(0.0)
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
        state["step"] += 1
        t: float = state["step"].item()
        m: Float[Tensor, "*shape"] = state["exp_avg"].lerp_(grad, 1.0 - beta1)  # beta1 m + (1 - beta1) g
        v: Float[Tensor, "*shape"] = state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        m_hat: Float[Tensor, "*shape"] = m / (1.0 - beta1**t)
        v_hat: Float[Tensor, "*shape"] = v / (1.0 - beta2**t)
        p.mul_(1.0 - lr * weight_decay)
        p.addcdiv_(m_hat, v_hat.sqrt().add_(eps), value=-lr)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss: Any = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self.update(p, p.grad, self.state[p], group["lr"], group["betas"], group["eps"],
                                    group["weight_decay"])
        return loss


def cosine_lr_schedule(t: int, lr_max: float, lr_min: float, warmup_iters: int, cosine_iters: int) -> float:
    """Linear warmup to lr_max, half a cosine down to lr_min at cosine_iters, then flat."""
    if t < warmup_iters:
        return float(t / warmup_iters * lr_max)
    if t > cosine_iters:
        return float(lr_min)
    decay_length: int = cosine_iters - warmup_iters
    progress: float = (t - warmup_iters) / decay_length if decay_length > 0 else 0.0
    return float(lr_min + (1.0 + math.cos(math.pi * progress)) / 2.0 * (lr_max - lr_min))


def clip_grad_norm(parameters: Iterable[nn.Parameter], max_norm: float, eps: float = 1e-6) -> Float[Tensor, ""]:
    """Scale every gradient by max_norm / (total + eps) when the global norm exceeds max_norm."""
    grads: list[Tensor] = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    squared_norms: Float[Tensor, " n_params"] = torch.stack([g.detach().float().square().sum() for g in grads])
    total: Float[Tensor, ""] = squared_norms.sum().sqrt()
    if total > max_norm:
        factor: Float[Tensor, ""] = max_norm / (total + eps)
        for g in grads:
            g.mul_(factor.to(g.dtype))
    return total


class Checkpoint(TypedDict):
    """What save_checkpoint writes."""

    model: dict[str, Tensor]
    optimizer: dict[str, Any]
    iteration: int


def save_checkpoint(out: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    checkpoint: Checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": iteration}
    torch.save(checkpoint, out)


def load_checkpoint(src: str | IO[bytes], model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    checkpoint: Checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["iteration"]


def estimate_loss(
    model: nn.Module,
    data: Int[Tensor, " N"],
    batch_size: int,
    context_length: int,
    eval_iters: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> float:
    """The mean loss over eval_iters batches, in eval mode and without gradients."""
    was_training: bool = model.training
    model.eval()
    losses: list[float] = []
    try:
        with torch.no_grad():
            for _ in range(eval_iters):
                inputs, targets = get_batch(data, batch_size, context_length, device, generator)
                _, loss = model(inputs, targets)
                losses.append(loss.item())
    finally:
        model.train(was_training)
    return float(sum(losses) / len(losses))


def top_k_filter(logits: Float[Tensor, "B V"], k: int) -> Float[Tensor, "B V"]:
    """-inf everywhere but at the k largest logits of each row (all of them if k >= V)."""
    if k >= logits.shape[-1]:
        return logits
    threshold: Float[Tensor, "B 1"] = torch.topk(logits, k, dim=-1).values[:, -1:]
    return logits.masked_fill(logits < threshold, -math.inf)


def top_p_filter(logits: Float[Tensor, "B V"], p: float) -> Float[Tensor, "B V"]:
    """-inf outside the smallest set of most likely tokens whose probabilities sum to p."""
    probabilities: Float[Tensor, "B V"] = softmax(logits, dim=-1)
    descending, order = torch.sort(probabilities, dim=-1, descending=True)
    mass_before: Float[Tensor, "B V"] = torch.cumsum(descending, dim=-1) - descending
    drop_sorted: Bool[Tensor, "B V"] = mass_before >= p
    drop: Bool[Tensor, "B V"] = torch.empty_like(drop_sorted).scatter_(-1, order, drop_sorted)
    return logits.masked_fill(drop, -math.inf)


def next_token(
    logits: Float[Tensor, "B V"], temperature: float, top_k: int | None, top_p: float | None
) -> Int[Tensor, "B 1"]:
    """Greedy at temperature 0, else a sample from the filtered, tempered distribution."""
    if temperature == GREEDY:
        return logits.argmax(dim=-1, keepdim=True)
    scaled: Float[Tensor, "B V"] = logits / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    return torch.multinomial(softmax(scaled, dim=-1), num_samples=1)


@torch.no_grad()
def generate(
    model: nn.Module,
    idx: Int[Tensor, "B T"],
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> Int[Tensor, "B T_plus_N"]:
    """Append max_new_tokens tokens, one at a time, each from the last position's logits."""
    context_length: int = model.config.context_length
    sequence: Int[Tensor, "B _"] = idx
    for _ in range(max_new_tokens):
        logits: Float[Tensor, "B V"] = model(sequence[:, -context_length:])[:, -1, :]
        sequence = torch.cat([sequence, next_token(logits, temperature, top_k, top_p)], dim=-1)
    return sequence
