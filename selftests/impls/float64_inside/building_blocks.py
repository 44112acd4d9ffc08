"""Part 1. Every reduction (norm, softmax, attention scores, loss) is computed in float64."""

import math

import torch
from torch import Tensor, nn

from .precision import narrow, wide


class Linear(nn.Module):
    def __init__(self, in_features: int, out_features: int, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        std = math.sqrt(2.0 / (self.in_features + self.out_features))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=std, a=-3.0 * std, b=3.0 * std)

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("...i,oi->...o", x, self.weight)


class Embedding(nn.Module):
    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        nn.init.trunc_normal_(self.weight, mean=0.0, std=1.0, a=-3.0, b=3.0)

    def forward(self, token_ids: Tensor) -> Tensor:
        return self.weight[token_ids.long()]


class RMSNorm(nn.Module):
    def __init__(self, d_model: int, eps: float = 1e-5, device=None, dtype=None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model, device=device, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        x64 = wide(x)
        mean_square = x64.square().mean(dim=-1, keepdim=True)
        normalised = x64 / torch.sqrt(mean_square + self.eps)
        return narrow(normalised * wide(self.weight), x)


def silu(x: Tensor) -> Tensor:
    return x * torch.sigmoid(x)


class SwiGLU(nn.Module):
    def __init__(self, d_model: int, d_ff: int | None = None, device=None, dtype=None):
        super().__init__()
        if d_ff is None:
            # 8/3 * d_model rounded up to a multiple of 64, in exact integer arithmetic (no float ceil surprises)
            d_ff = ((8 * d_model + 3 * 64 - 1) // (3 * 64)) * 64
        self.d_ff = int(d_ff)
        self.w1 = Linear(d_model, self.d_ff, device=device, dtype=dtype)
        self.w2 = Linear(self.d_ff, d_model, device=device, dtype=dtype)
        self.w3 = Linear(d_model, self.d_ff, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        gate = silu(self.w1(x))
        value = self.w3(x)
        return self.w2(gate * value)


def softmax(x: Tensor, dim: int) -> Tensor:
    x64 = wide(x)
    shifted = x64 - x64.amax(dim=dim, keepdim=True)
    exponentials = shifted.exp()
    return narrow(exponentials / exponentials.sum(dim=dim, keepdim=True), x)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = torch.einsum("...qd,...kd->...qk", wide(q), wide(k)) * scale
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype, device=scores.device))
    weights = softmax(scores, dim=-1)  # float64 in, float64 out
    out = torch.einsum("...qk,...kd->...qd", weights, wide(v))
    return narrow(out, q)


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    z = wide(logits)
    m = z.amax(dim=-1, keepdim=True)
    log_normaliser = m.squeeze(-1) + (z - m).exp().sum(dim=-1).log()
    target_score = z.gather(-1, targets.long().unsqueeze(-1)).squeeze(-1)
    return narrow((log_normaliser - target_score).mean(), logits)
