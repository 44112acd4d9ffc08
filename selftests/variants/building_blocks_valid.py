"""Part 1's correct implementations: the valid variants (@valid: each must score full marks),
and the correct bases that the wrong implementations in building_blocks.py override.

Standalone (torch only, nothing from the repo), like the wrong implementations.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .registry import valid

# --------------------------------------------------------------------------------------------
# Correct bases, shared with the wrong implementations (and Part 2's attention)
# --------------------------------------------------------------------------------------------


def _trunc_normal_(w: Tensor, std: float) -> Tensor:
    """Correct init: N(0, std²) truncated at ±3 std."""
    return nn.init.trunc_normal_(w, mean=0.0, std=std, a=-3 * std, b=3 * std)


class _Linear(nn.Module):
    """A correct Linear; the base class of the Linear variants and the layer inside the SwiGLU ones."""

    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, math.sqrt(2.0 / (self.in_features + self.out_features)))

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("...i,oi->...o", x, self.weight)


class _Embedding(nn.Module):
    """A correct Embedding; the base class of the Embedding variants."""

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _trunc_normal_(self.weight.data, 1.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids]


class _RMSNorm(nn.Module):
    """RMSNorm's constructor; the variants supply `forward`."""

    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.d_model = d_model
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))


def _attention_scores(q: Tensor, k: Tensor) -> Tensor:
    """Correctly scaled scores q kᵀ / sqrt(d_k)."""
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])


# --------------------------------------------------------------------------------------------
# Linear
# --------------------------------------------------------------------------------------------


@valid("linear_matmul", "forward as x @ W.T instead of einsum", replaces="Linear")
class _LinearMatmul(_Linear):
    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.T


@valid("linear_functional", "forward with F.linear", replaces="Linear")
class _LinearFunctional(_Linear):
    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight)


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


@valid("embedding_index_select", "lookup with index_select on the flattened ids", replaces="Embedding")
class _EmbeddingIndexSelect(_Embedding):
    def forward(self, token_ids: Tensor) -> Tensor:
        flat = self.weight.index_select(0, token_ids.reshape(-1))
        return flat.reshape(*token_ids.shape, self.embedding_dim)


@valid("embedding_functional", "lookup with F.embedding", replaces="Embedding")
class _EmbeddingFunctional(_Embedding):
    def forward(self, token_ids: Tensor) -> Tensor:
        return F.embedding(token_ids, self.weight)


# --------------------------------------------------------------------------------------------
# RMSNorm
# --------------------------------------------------------------------------------------------


@valid(
    "rmsnorm_rsqrt",
    "multiplies by torch.rsqrt(mean(x²) + eps) after promoting to at least float32",
    replaces="RMSNorm",
)
class _RMSNormRsqrt(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        x32 = x.to(torch.promote_types(x.dtype, torch.float32))
        y = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        return y.to(x.dtype)


@valid(
    "rmsnorm_float_upcast",
    "upcasts with x.float() only for fp16/bf16 inputs and divides by torch.sqrt",
    replaces="RMSNorm",
)
class _RMSNormFloatUpcast(_RMSNorm):
    def forward(self, x: Tensor) -> Tensor:
        in_dtype = x.dtype
        if in_dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        rms = torch.sqrt(torch.mean(x * x, dim=-1, keepdim=True) + self.eps)
        return (x / rms * self.weight).to(in_dtype)


# --------------------------------------------------------------------------------------------
# SiLU
# --------------------------------------------------------------------------------------------


@valid("silu_sigmoid", "x * torch.sigmoid(x)", replaces="silu")
def _silu_sigmoid(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


@valid("silu_exp", "x / (1 + exp(-x)) written out", replaces="silu")
def _silu_exp(x: Tensor) -> Tensor:
    # Forward is exact everywhere (x / inf = -0 for very negative x), but the gradient is NaN
    # once exp(-x) overflows (x below about -88 in float32).
    return x / (1 + torch.exp(-x))


# --------------------------------------------------------------------------------------------
# Softmax
# --------------------------------------------------------------------------------------------


@valid("softmax_logsumexp", "exp(x - logsumexp(x))", replaces="softmax")
def _softmax_logsumexp(x: Tensor, dim: int) -> Tensor:
    # Stable, but in float32 at inputs ~1000 x - logsumexp(x) loses ~1 ulp of 1000 (~6e-5),
    # so the result has a relative error of a few 1e-5 there.
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


@valid("softmax_max_values", "exp(x - max) / sum with torch.max(...).values", replaces="softmax")
def _softmax_max_values(x: Tensor, dim: int) -> Tensor:
    e = torch.exp(x - torch.max(x, dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)


# --------------------------------------------------------------------------------------------
# Scaled dot-product attention
# --------------------------------------------------------------------------------------------


@valid(
    "attention_matmul_transpose",
    "torch.matmul with k.transpose(-2, -1), masked_fill(~mask, -inf)",
    replaces="scaled_dot_product_attention",
)
def _attention_matmul_transpose(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


@valid(
    "attention_fill_large_negative",
    "masked scores set to -1e9 instead of -inf (float32/bf16 only: -1e9 does not fit in fp16)",
    replaces="scaled_dot_product_attention",
)
def _attention_fill_large_negative(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = _attention_scores(q, k)
    if mask is not None:
        # exp(-1e9 - max) underflows to exactly 0 in float32 / bfloat16.
        scores = scores.masked_fill(mask == 0, -1e9)
    return torch.softmax(scores, dim=-1) @ v


@valid("attention_where", "einsum scores and torch.where(mask, scores, -inf)", replaces="scaled_dot_product_attention")
def _attention_where(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = torch.where(mask, scores, float("-inf"))
    return torch.einsum("...qk,...kd->...qd", torch.softmax(scores, dim=-1), v)


# --------------------------------------------------------------------------------------------
# Cross-entropy
# --------------------------------------------------------------------------------------------


@valid("cross_entropy_gather", "log-softmax as x - logsumexp, target picked with gather", replaces="cross_entropy")
def _cross_entropy_gather(logits: Tensor, targets: Tensor) -> Tensor:
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    picked = log_probs.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return -picked.mean()


@valid(
    "cross_entropy_flatten_index",
    "flattens positions, logsumexp minus the target logit picked by advanced indexing",
    replaces="cross_entropy",
)
def _cross_entropy_flatten_index(logits: Tensor, targets: Tensor) -> Tensor:
    flat = logits.reshape(-1, logits.shape[-1])
    flat_targets = targets.reshape(-1).long()
    target_logits = flat[torch.arange(flat.shape[0], device=flat.device), flat_targets]
    return (torch.logsumexp(flat, dim=-1) - target_logits).mean()
