"""Distributions over the last axis: log-sum-exp, (log-)softmax, attention weights, the loss."""

import math

import torch
from torch import Tensor


def logsumexp(x: Tensor, dim: int) -> Tensor:
    """log(sum(exp(x))) along dim, kept as a size-1 dim; stable because the max is pulled out."""
    m = x.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # a slice of all -inf stays -inf, not NaN
    return m + torch.log(torch.sum(torch.exp(x - m), dim=dim, keepdim=True))


def log_softmax(x: Tensor, dim: int) -> Tensor:
    return x - logsumexp(x, dim)


def softmax(x: Tensor, dim: int) -> Tensor:
    # p_i = exp(x_i - log Z): the normaliser is subtracted in log space
    return torch.exp(log_softmax(x, dim))


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask.logical_not(), -math.inf)
    return torch.einsum("...qk,...kd->...qd", softmax(scores, dim=-1), v)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean negative log-likelihood of the targets under softmax(logits)."""
    log_p = log_softmax(logits, dim=-1)
    return -torch.gather(log_p, -1, targets[..., None]).mean()
