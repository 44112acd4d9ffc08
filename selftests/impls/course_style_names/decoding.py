"""Evaluation and decoding."""

import torch

from .data import get_batch
from .nn_utils import softmax


@torch.no_grad()
def estimate_loss(
    model: torch.nn.Module,
    dataset,
    batch_size: int,
    context_length: int,
    eval_iters: int,
    device: str | torch.device = "cpu",
    generator: torch.Generator | None = None,
) -> float:
    was_training = model.training
    model.eval()
    losses = []
    for _ in range(eval_iters):
        inputs, targets = get_batch(dataset, batch_size, context_length, device, generator)
        _, loss = model(inputs, targets)
        losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)


@torch.no_grad()
def generate(
    model: torch.nn.Module,
    prompt: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    context_length = model.config.context_length
    out = prompt
    for _ in range(max_new_tokens):
        logits = model(out[:, -context_length:])[:, -1, :]
        if temperature == 0:
            next_token = torch.argmax(logits, dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None and top_k < logits.shape[-1]:
                kth_largest = torch.topk(logits, top_k, dim=-1).values[:, -1:]
                logits = logits.masked_fill(~(logits >= kth_largest), float("-inf"))
            probs = softmax(logits, dim=-1)
            if top_p is not None:
                sorted_probs, sorted_indices = torch.sort(probs, dim=-1, descending=True)
                # keep a token while the mass before it has not yet reached top_p (the first is always kept)
                mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
                keep_sorted = mass_before < top_p
                keep_sorted[:, 0] = True
                keep = torch.zeros_like(keep_sorted).scatter(-1, sorted_indices, keep_sorted)
                probs = probs.masked_fill(~keep, 0.0)
                probs = probs / probs.sum(dim=-1, keepdim=True)
            next_token = torch.multinomial(probs, num_samples=1)
        out = torch.cat([out, next_token], dim=-1)
    return out
