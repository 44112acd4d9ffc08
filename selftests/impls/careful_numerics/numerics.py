"""Elementwise activations, softmax, attention and the loss, each written to stay finite."""

import math

import torch
from torch import Tensor


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype to do reductions in: at least float32 (float64 stays float64)."""
    return torch.promote_types(dtype, torch.float32)


def silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


def gelu(x: Tensor) -> Tensor:
    return 0.5 * x * (1.0 + torch.erf(x * (1.0 / math.sqrt(2.0))))


def softmax(x: Tensor, dim: int) -> Tensor:
    # The shift is a constant per slice, so no gradient needs to flow through it.
    shift = x.amax(dim=dim, keepdim=True).detach()
    exps = torch.exp(x - shift)
    return exps / exps.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.matmul(q, k.transpose(-2, -1)) * scale
    if mask is not None:
        # The most negative finite number, not -inf: exp() of it minus the row's max is exactly 0,
        # and a row with every key masked gives a uniform row instead of NaN (inf - inf).
        scores = scores.masked_fill(~mask.to(torch.bool), torch.finfo(scores.dtype).min)
    weights = softmax(scores, dim=-1)
    return torch.matmul(weights, v)


def logsumexp(x: Tensor, dim: int) -> Tensor:
    shift = x.amax(dim=dim, keepdim=True).detach()
    return (shift + torch.log(torch.exp(x - shift).sum(dim=dim, keepdim=True))).squeeze(dim)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    z = logits.to(compute_dtype(logits.dtype))
    target_logit = z.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return (logsumexp(z, dim=-1) - target_logit).mean().to(logits.dtype)
