"""Part 1, written the way the maths reads."""

import math

import torch
import torch.nn as nn
from torch import Tensor

SQRT_HALF = math.sqrt(0.5)


def standard_normal_cdf(z: float) -> float:
    """Phi(z) = (1 + erf(z / sqrt 2)) / 2."""
    return 0.5 * (1.0 + math.erf(z * SQRT_HALF))


def truncated_normal(shape: tuple[int, ...], std: float, device=None, dtype=None) -> Tensor:
    """N(0, std^2) conditioned on |x| <= 3 std, by inverse-transform sampling.

    If U is uniform on [Phi(-3), Phi(3)], then Phi^{-1}(U) = sqrt(2) erfinv(2U - 1) is a standard
    normal restricted to [-3, 3]. The final clamp only guards against rounding at the edges.
    """
    lo, hi = standard_normal_cdf(-3.0), standard_normal_cdf(3.0)
    u = torch.empty(shape, device=device, dtype=torch.float64).uniform_(lo, hi)
    z = math.sqrt(2.0) * torch.erfinv(2.0 * u - 1.0)
    return (std * z.clamp(-3.0, 3.0)).to(dtype or torch.get_default_dtype())


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        sigma = math.sqrt(2.0 / (in_features + out_features))
        self.weight = nn.Parameter(truncated_normal((out_features, in_features), sigma, device, dtype))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.weight.transpose(0, 1)  # y = x W^T


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(truncated_normal((num_embeddings, embedding_dim), 1.0, device, dtype))

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids]


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        wide = x.to(torch.promote_types(x.dtype, torch.float32))
        rms = torch.sqrt(wide.square().mean(dim=-1, keepdim=True) + self.eps)
        return (wide / rms * self.weight).to(x.dtype)


def silu(x: Tensor) -> Tensor:
    # sigma(x) = 1 / (1 + e^-x) = (1 + tanh(x / 2)) / 2, which never overflows.
    return x * 0.5 * (1.0 + torch.tanh(0.5 * x))


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        # ceil(8 d / 3 / 64) * 64, in integer arithmetic: ceil(a / b) = (a + b - 1) // b
        self.d_ff = d_ff if d_ff is not None else (8 * d_model + 191) // 192 * 64
        self.w1 = Linear(d_model, self.d_ff, device, dtype)
        self.w3 = Linear(d_model, self.d_ff, device, dtype)
        self.w2 = Linear(self.d_ff, d_model, device, dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.w2(silu(self.w1(x)) * self.w3(x))


def softmax(x: Tensor, dim: int) -> Tensor:
    """softmax(x) = exp(x - log sum exp x): the log-normaliser is computed stably by torch."""
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(-math.inf, dtype=scores.dtype, device=scores.device))
    return softmax(scores, dim=-1) @ v


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """mean_i [ log sum_j exp z_ij - z_i,target_i ]"""
    log_z = torch.logsumexp(logits, dim=-1)
    z_target = torch.gather(logits, -1, targets.unsqueeze(-1)).squeeze(-1)
    return (log_z - z_target).mean()
