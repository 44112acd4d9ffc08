"""Sampling with the Gumbel-max trick.

If G_1..G_V are independent Gumbel(0, 1) variables, argmax_i (log p_i + G_i) is distributed
exactly as Categorical(p). A Gumbel variable is -log(-log U) for U uniform on (0, 1), so one
call to torch.rand per step replaces torch.multinomial. Filtered tokens have log p = -inf and
are never chosen.
"""

import torch
from torch import Tensor

from .probability import log_softmax


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """-inf below the k-th largest logit of each row (found by sorting)."""
    if k >= logits.shape[-1]:
        return logits
    kth_largest = logits.sort(dim=-1, descending=True).values[..., k - 1 : k]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Keep the most likely tokens until their probability reaches p (at least one); -inf elsewhere."""
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    sorted_probs = log_softmax(sorted_logits, dim=-1).exp()
    mass_before = sorted_probs.cumsum(dim=-1) - sorted_probs
    sorted_logits = sorted_logits.masked_fill(mass_before >= p, float("-inf"))
    return torch.empty_like(logits).scatter_(-1, order, sorted_logits)  # back to vocabulary order


def gumbel_noise(shape, device, dtype) -> Tensor:
    u = torch.rand(shape, device=device, dtype=dtype).clamp_(min=torch.finfo(dtype).tiny)  # U = 0 has no log
    return -torch.log(-torch.log(u))


def sample_gumbel_max(logits: Tensor) -> Tensor:
    log_p = log_softmax(logits, dim=-1)
    return torch.argmax(log_p + gumbel_noise(log_p.shape, log_p.device, log_p.dtype), dim=-1, keepdim=True)


@torch.no_grad()
def generate(model, idx: Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None) -> Tensor:
    window = model.config.context_length
    for _ in range(max_new_tokens):
        logits = model(idx[:, -window:])[:, -1, :].float()
        if temperature == 0:
            chosen = logits.argmax(dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                logits = top_k_filter(logits, top_k)
            if top_p is not None:
                logits = top_p_filter(logits, top_p)
            chosen = sample_gumbel_max(logits)
        idx = torch.cat([idx, chosen.to(idx.dtype)], dim=-1)
    return idx
