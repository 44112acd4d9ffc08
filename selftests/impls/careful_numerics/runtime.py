"""Using a model: checkpoints, a validation estimate and sampling."""

import torch
from torch import Tensor, nn

from .data import get_batch
from .numerics import softmax


def save_checkpoint(out, model: nn.Module, optimizer: torch.optim.Optimizer, iteration: int) -> None:
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "iteration": int(iteration)}, out)


def load_checkpoint(src, model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    checkpoint = torch.load(src, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    return int(checkpoint["iteration"])


def estimate_loss(model: nn.Module, data, batch_size: int, context_length: int, eval_iters: int,
                  device="cpu", generator: torch.Generator | None = None) -> float:
    was_training = model.training
    model.eval()
    total = 0.0
    try:
        with torch.no_grad():
            for _ in range(eval_iters):
                inputs, targets = get_batch(data, batch_size, context_length, device, generator)
                _, loss = model(inputs, targets)
                total += loss.item()
    finally:
        model.train(was_training)
    return total / eval_iters


def keep_top_k(logits: Tensor, k: int) -> Tensor:
    k = min(k, logits.shape[-1])
    kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def keep_top_p(logits: Tensor, p: float) -> Tensor:
    probs = softmax(logits, dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    drop_sorted = mass_before >= p  # the first token has 0 before it, so it always stays
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


@torch.no_grad()
def generate(model: nn.Module, idx: Tensor, max_new_tokens: int, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None) -> Tensor:
    context_length = model.config.context_length
    for _ in range(max_new_tokens):
        logits = model(idx[:, -context_length:])[:, -1, :]
        logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
        if temperature == 0:
            next_token = logits.argmax(dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                logits = keep_top_k(logits, top_k)
            if top_p is not None:
                logits = keep_top_p(logits, top_p)
            next_token = torch.multinomial(softmax(logits, dim=-1), num_samples=1)
        idx = torch.cat((idx, next_token.to(idx.dtype)), dim=1)
    return idx
