"""Parameterised layers: projections, lookup tables, norms, feed-forward blocks, rotary positions."""

import math

import torch
from einops import rearrange
from torch import Tensor, nn

from .numerics import compute_dtype, gelu, silu


def truncated_normal(shape: tuple[int, ...], std: float, device=None, dtype=None) -> nn.Parameter:
    weight = torch.empty(shape, device=device, dtype=dtype)
    nn.init.trunc_normal_(weight, mean=0.0, std=std, a=-3.0 * std, b=3.0 * std)
    return nn.Parameter(weight)


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        std = math.sqrt(2.0 / (in_features + out_features))
        self.weight = truncated_normal((out_features, in_features), std, device, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return torch.matmul(x, self.weight.t())


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.weight = truncated_normal((num_embeddings, embedding_dim), 1.0, device, dtype)

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids.long()]


def inverse_sqrt(mean_square: Tensor, eps: float) -> Tensor:
    """1 / sqrt(mean_square + eps), floored so that eps = 0 on an all-zero row stays finite."""
    return torch.rsqrt((mean_square + eps).clamp_min(torch.finfo(mean_square.dtype).tiny))


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        wide = x.to(compute_dtype(x.dtype))
        normed = wide * inverse_sqrt(wide.pow(2).mean(dim=-1, keepdim=True), self.eps)
        return (normed * self.weight.to(wide.dtype)).to(x.dtype)


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        wide = x.to(compute_dtype(x.dtype))
        centred = wide - wide.mean(dim=-1, keepdim=True)
        variance = centred.pow(2).mean(dim=-1, keepdim=True)  # biased: divides by d_model
        out = centred * inverse_sqrt(variance, self.eps) * self.weight.to(wide.dtype)
        if self.bias is not None:
            out = out + self.bias.to(wide.dtype)
        return out.to(x.dtype)


def swiglu_hidden_size(d_model: int) -> int:
    """8/3 * d_model rounded up to a multiple of 64, in integer arithmetic (no float rounding)."""
    return 64 * -(-8 * d_model // (3 * 64))


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        self.d_ff = int(d_ff) if d_ff is not None else swiglu_hidden_size(d_model)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        make = BiasedLinear if bias else Linear
        self.w1 = make(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = make(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2 != 0:
            raise ValueError(f"rotary embeddings rotate pairs of features, so d_k must be even, not {d_k}")
        # Angles in float64: position * frequency reaches max_seq_len radians, where float32 would
        # already lose digits; the tables are stored in float32.
        pair = torch.arange(d_k // 2, dtype=torch.float64)
        frequencies = theta ** (-2.0 * pair / d_k)
        angles = torch.outer(torch.arange(max_seq_len, dtype=torch.float64), frequencies)
        self.register_buffer("cos", torch.cos(angles).to(device=device, dtype=torch.float32), persistent=False)
        self.register_buffer("sin", torch.sin(angles).to(device=device, dtype=torch.float32), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        cos = self.cos[token_positions].to(x.dtype)
        sin = self.sin[token_positions].to(x.dtype)
        pairs = rearrange(x, "... (half two) -> ... half two", two=2)
        even, odd = pairs[..., 0], pairs[..., 1]
        rotated = torch.stack((even * cos - odd * sin, even * sin + odd * cos), dim=-1)
        return rearrange(rotated, "... half two -> ... (half two)")
