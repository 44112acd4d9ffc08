"""Layers with parameters, and the two activations."""

import math

import torch
from torch import Tensor, nn


def _trunc_normal(*shape: int, std: float, device=None, dtype=None) -> nn.Parameter:
    w = torch.empty(*shape, device=device, dtype=dtype)
    return nn.Parameter(nn.init.trunc_normal_(w, std=std, a=-3 * std, b=3 * std))


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.weight = _trunc_normal(out_features, in_features, std=math.sqrt(2 / (in_features + out_features)),
                                    device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("...i,oi->...o", x, self.weight)


class BiasedLinear(Linear):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__(in_features, out_features, device=device, dtype=dtype)
        self.bias = nn.Parameter(torch.zeros(out_features, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x) + self.bias


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.weight = _trunc_normal(num_embeddings, embedding_dim, std=1.0, device=device, dtype=dtype)

    def forward(self, token_ids: Tensor) -> Tensor:
        rows = self.weight.index_select(0, token_ids.reshape(-1))
        return rows.reshape(*token_ids.shape, self.weight.shape[1])


def _upcast(x: Tensor) -> Tensor:
    return x.to(torch.promote_types(x.dtype, torch.float32))


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        h = _upcast(x)
        return (h * h.square().mean(-1, keepdim=True).add(self.eps).rsqrt() * self.weight).to(x.dtype)


class LayerNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(d_model, device=device, dtype=dtype)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        h = _upcast(x)
        var, mean = torch.var_mean(h, dim=-1, keepdim=True, correction=0)  # the population variance
        y = (h - mean) * torch.rsqrt(var + self.eps) * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y.to(x.dtype)


def silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


def gelu(x: Tensor) -> Tensor:
    # x times the standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2
    return x * (1 + torch.erf(x * math.sqrt(0.5))) / 2


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        self.d_ff = d_ff if d_ff is not None else 64 * math.ceil(8 * d_model / 3 / 64)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))


class GeluMLP(nn.Module):
    def __init__(self, d_model: int, d_ff: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        Layer = BiasedLinear if bias else Linear
        self.w1 = Layer(d_model, d_ff, device=device, dtype=dtype)
        self.w2 = Layer(d_ff, d_model, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(gelu(self.w1(x)))


class RotaryPositionalEmbedding(nn.Module):
    """Each adjacent pair (x[2i], x[2i+1]) is the complex number x[2i] + i x[2i+1]; rotating it by
    an angle a is multiplying by e^{ia} = cos a + i sin a."""

    def __init__(self, theta: float, d_k: int, max_seq_len: int, device=None):
        super().__init__()
        if d_k % 2:
            raise ValueError(f"rotary embeddings pair up features, so d_k must be even (got {d_k})")
        frequencies = theta ** (-torch.arange(0, d_k, 2, dtype=torch.float64, device=device) / d_k)
        angles = torch.arange(max_seq_len, dtype=torch.float64, device=device)[:, None] * frequencies
        self.register_buffer("cos", angles.cos().float(), persistent=False)
        self.register_buffer("sin", angles.sin().float(), persistent=False)

    def forward(self, x: Tensor, token_positions: Tensor) -> Tensor:
        dtype = torch.promote_types(x.dtype, torch.float32)  # complex views exist for float32/64 only
        z = torch.view_as_complex(x.to(dtype).reshape(*x.shape[:-1], -1, 2).contiguous())
        rotation = torch.complex(self.cos[token_positions].to(dtype), self.sin[token_positions].to(dtype))
        return torch.view_as_real(z * rotation).flatten(-2).to(x.dtype)
