"""Part 1: the building blocks, each with its shapes spelled out in the signature."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

import torch
from einops import einsum
from jaxtyping import Bool, Float, Int
from torch import Tensor, nn

TRUNCATION: Final[float] = 3.0
"""Initial weights are cut at this many standard deviations."""
EMBEDDING_STD: Final[float] = 1.0
SWIGLU_WIDTH_RATIO: Final[Fraction] = Fraction(8, 3)
"""SwiGLU's default hidden width relative to d_model (exact, so the rounding below is exact)."""
SWIGLU_WIDTH_MULTIPLE: Final[int] = 64
MIN_COMPUTE_DTYPE: Final[torch.dtype] = torch.float32
"""Norms do their arithmetic in this dtype or a wider one."""


def truncated_normal_parameter(
    shape: tuple[int, ...], std: float, device: torch.device | str | None, dtype: torch.dtype | None
) -> nn.Parameter:
    """A parameter drawn from N(0, std^2), cut at +-TRUNCATION * std."""
    weight: Float[Tensor, "..."] = torch.empty(shape, device=device, dtype=dtype)
    nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-TRUNCATION * std, b=TRUNCATION * std)
    return nn.Parameter(weight)


def glorot_std(fan_in: int, fan_out: int) -> float:
    """sqrt(2 / (fan_in + fan_out)): keeps activations at a steady scale through many layers."""
    return math.sqrt(2.0 / (fan_in + fan_out))


def widened(dtype: torch.dtype) -> torch.dtype:
    """The dtype to normalise in: dtype itself if at least MIN_COMPUTE_DTYPE, else that."""
    return torch.promote_types(dtype, MIN_COMPUTE_DTYPE)


class Linear(nn.Module):
    """y = x W^T, with W of shape (out_features, in_features)."""

    weight: nn.Parameter

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = truncated_normal_parameter(
            (out_features, in_features), glorot_std(in_features, out_features), device, dtype
        )

    def forward(self, x: Float[Tensor, "*batch d_in"]) -> Float[Tensor, "*batch d_out"]:
        return einsum(x, self.weight, "... d_in, d_out d_in -> ... d_out")


class Embedding(nn.Module):
    """Row `i` of the table is the vector of token `i`."""

    weight: nn.Parameter

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None) -> None:
        super().__init__()
        self.weight = truncated_normal_parameter((num_embeddings, embedding_dim), EMBEDDING_STD, device, dtype)

    def forward(self, token_ids: Int[Tensor, "*batch"]) -> Float[Tensor, "*batch d_model"]:
        return self.weight[token_ids]


class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * g, over the last dimension."""

    eps: float
    weight: nn.Parameter

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Float[Tensor, "*batch d_model"]) -> Float[Tensor, "*batch d_model"]:
        wide: Float[Tensor, "*batch d_model"] = x.to(widened(x.dtype))
        mean_square: Float[Tensor, "*batch 1"] = wide.square().mean(dim=-1, keepdim=True)
        normalised: Float[Tensor, "*batch d_model"] = wide / torch.sqrt(mean_square + self.eps)
        return (normalised * self.weight).to(x.dtype)


def silu(x: Float[Tensor, "*shape"]) -> Float[Tensor, "*shape"]:
    """x * sigmoid(x)."""
    return x * torch.sigmoid(x)


def default_swiglu_width(d_model: int) -> int:
    """8/3 * d_model, rounded up to the next multiple of SWIGLU_WIDTH_MULTIPLE."""
    multiples: int = math.ceil(SWIGLU_WIDTH_RATIO * d_model / SWIGLU_WIDTH_MULTIPLE)
    return SWIGLU_WIDTH_MULTIPLE * multiples


class SwiGLU(nn.Module):
    """out = W2 (silu(W1 x) * W3 x)."""

    d_ff: int
    w1: Linear
    w2: Linear
    w3: Linear

    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None) -> None:
        super().__init__()
        self.d_ff = default_swiglu_width(d_model) if d_ff is None else int(d_ff)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)

    def forward(self, x: Float[Tensor, "*batch d_model"]) -> Float[Tensor, "*batch d_model"]:
        gate: Float[Tensor, "*batch d_ff"] = silu(self.w1(x))
        value: Float[Tensor, "*batch d_ff"] = self.w3(x)
        return self.w2(gate * value)


def softmax(x: Float[Tensor, "*shape"], dim: int) -> Float[Tensor, "*shape"]:
    """exp(x - max) / sum(exp(x - max)) along `dim`."""
    shifted: Float[Tensor, "*shape"] = x - torch.amax(x, dim=dim, keepdim=True)
    exponentials: Float[Tensor, "*shape"] = torch.exp(shifted)
    return exponentials / torch.sum(exponentials, dim=dim, keepdim=True)


def additive_mask(mask: Bool[Tensor, "*batch n_q n_k"], like: Tensor) -> Float[Tensor, "*batch n_q n_k"]:
    """0 where attending is allowed, -inf where it is not, in the dtype and device of `like`."""
    allowed: Float[Tensor, ""] = torch.zeros((), dtype=like.dtype, device=like.device)
    blocked: Float[Tensor, ""] = torch.full((), -math.inf, dtype=like.dtype, device=like.device)
    return torch.where(mask.to(device=like.device, dtype=torch.bool), allowed, blocked)


def scaled_dot_product_attention(
    q: Float[Tensor, "*batch n_q d_k"],
    k: Float[Tensor, "*batch n_k d_k"],
    v: Float[Tensor, "*batch n_k d_v"],
    mask: Bool[Tensor, "*batch n_q n_k"] | None = None,
) -> Float[Tensor, "*batch n_q d_v"]:
    """softmax(q k^T / sqrt(d_k) + bias) v, with bias = -inf on masked pairs."""
    d_k: int = q.shape[-1]
    scores: Float[Tensor, "*batch n_q n_k"] = einsum(q, k, "... n_q d_k, ... n_k d_k -> ... n_q n_k") / math.sqrt(d_k)
    if mask is not None:
        scores = scores + additive_mask(mask, scores)
    weights: Float[Tensor, "*batch n_q n_k"] = softmax(scores, dim=-1)
    return einsum(weights, v, "... n_q n_k, ... n_k d_v -> ... n_q d_v")


def cross_entropy(logits: Float[Tensor, "*batch vocab"], targets: Int[Tensor, "*batch"]) -> Float[Tensor, ""]:
    """mean(logsumexp(z) - z[target]), with the max pulled out of the log-sum-exp."""
    peak: Float[Tensor, "*batch 1"] = torch.amax(logits, dim=-1, keepdim=True)
    summed: Float[Tensor, "*batch 1"] = torch.exp(logits - peak).sum(dim=-1, keepdim=True)
    log_normaliser: Float[Tensor, "*batch"] = (peak + torch.log(summed)).squeeze(-1)
    target_logits: Float[Tensor, "*batch"] = torch.gather(logits, -1, targets.unsqueeze(-1)).squeeze(-1)
    return torch.mean(log_normaliser - target_logits)
