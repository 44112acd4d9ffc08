"""An independent, correct implementation of the Part 1 API built on torch's own functions.

The grader's self-tests grade this package alongside the reference solutions. It shares no
code with `solutions`, so a full score here shows the grader accepts any correct
implementation, not just one that matches the reference line for line.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "Linear",
    "Embedding",
    "RMSNorm",
    "silu",
    "SwiGLU",
    "softmax",
    "scaled_dot_product_attention",
    "cross_entropy",
]


class Linear(nn.Module):
    """y = x Wᵀ, no bias; W ~ N(0, 2/(in+out)) truncated at ±3σ."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        std = math.sqrt(2.0 / (in_features + out_features))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight)


class Embedding(nn.Module):
    """Lookup table; weight ~ N(0, 1) truncated at ±3."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        return F.embedding(token_ids, self.weight)


class RMSNorm(nn.Module):
    """RMS normalisation over the last dim, computed in at least float32, returned in the input dtype."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        compute_dtype = torch.promote_types(x.dtype, torch.float32)
        y = F.rms_norm(x.to(compute_dtype), (self.d_model,), self.weight.to(compute_dtype), self.eps)
        return y.to(x.dtype)


def silu(x: Tensor) -> Tensor:
    return F.silu(x)


class SwiGLU(nn.Module):
    """w2(silu(w1 x) * w3 x); default d_ff = 8/3 d_model rounded up to a multiple of 64."""

    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = 64 * math.ceil(8 * d_model / (3 * 64))
        self.d_model = d_model
        self.d_ff = d_ff
        self.w1 = Linear(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Linear(d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def softmax(x: Tensor, dim: int) -> Tensor:
    return torch.softmax(x, dim=dim)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    # A bool attn_mask means the same here as in the API: True = may attend.
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    vocab_size = logits.shape[-1]
    # F.cross_entropy wants int64 class indices.
    return F.cross_entropy(logits.reshape(-1, vocab_size), targets.reshape(-1).long())
