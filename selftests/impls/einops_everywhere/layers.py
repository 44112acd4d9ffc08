"""The building blocks, with einops doing every reshape, reduction and contraction."""

import math

import torch
import torch.nn as nn
from einops import einsum, rearrange, reduce
from torch import Tensor


def _compute_dtype(x: Tensor) -> torch.dtype:
    """float16/bfloat16 are widened to float32; float32 and float64 stay as they are."""
    return torch.promote_types(x.dtype, torch.float32)


class Linear(nn.Module):
    """y = x W^T with W of shape (d_out, d_in), truncated-normal init at +-3 std."""

    def __init__(self, d_in: int, d_out: int, device=None, dtype=None):
        super().__init__()
        std = math.sqrt(2.0 / (d_in + d_out))
        self.weight = nn.Parameter(torch.empty(d_out, d_in, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3 * std, b=3 * std)

    def forward(self, x: Tensor) -> Tensor:
        return einsum(x, self.weight, "... d_in, d_out d_in -> ... d_out")


class Embedding(nn.Module):
    """A (vocab, d) table of learnable rows, looked up by token id."""

    def __init__(self, vocab: int, d: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(vocab, d, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, ids: Tensor) -> Tensor:
        return self.weight[ids]


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * g, the statistics in at least float32."""

    def __init__(self, d: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        in_dtype = x.dtype
        x = x.to(_compute_dtype(x))
        mean_square = reduce(x * x, "... d -> ... 1", "mean")
        y = x * torch.rsqrt(mean_square + self.eps) * self.weight
        return y.to(in_dtype)


def silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


class SwiGLU(nn.Module):
    """w2(silu(w1 x) * w3 x); d_ff defaults to 8/3 d rounded up to a multiple of 64."""

    def __init__(self, d: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            d_ff = 64 * math.ceil(8 * d / 3 / 64)
        self.d_ff = int(d_ff)
        self.w1 = Linear(d, self.d_ff, device=device, dtype=dtype)
        self.w3 = Linear(d, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))


def softmax(x: Tensor, dim: int) -> Tensor:
    # Move `dim` last so einops can name it, then move it back.
    xs = x.movedim(dim, -1)
    shifted = xs - reduce(xs, "... n -> ... 1", "max").detach()
    e = shifted.exp()
    probs = e / reduce(e, "... n -> ... 1", "sum")
    return probs.movedim(-1, dim)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    d_k = q.shape[-1]
    scores = einsum(q, k, "... q d, ... k d -> ... q k") / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)
    return einsum(weights, v, "... q k, ... k d -> ... q d")


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    flat = rearrange(logits, "... v -> (...) v")
    tgt = rearrange(targets, "... -> (...)")
    peak = reduce(flat, "n v -> n 1", "max").detach()
    log_sum_exp = rearrange(peak, "n 1 -> n") + reduce((flat - peak).exp(), "n v -> n", "sum").log()
    picked = flat[torch.arange(flat.shape[0], device=flat.device), tgt]
    return reduce(log_sum_exp - picked, "n -> ", "mean")
